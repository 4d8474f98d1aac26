// config.json -> vit::ViTConfig, validated: every error names the file and the field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "vit/config.h"

namespace vit::model {

ViTConfig ParseConfig(std::string_view json, const std::string& name = "config.json");
ViTConfig LoadConfig(const std::filesystem::path& model_dir);

}  // namespace vit::model
