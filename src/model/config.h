// config.json -> vit::ViTConfig, validated: every error names the file and the field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "vit/config.h"

namespace vit::model {

// The model_types config.json may name: the members of the ViT family (model/family.h).
const std::vector<std::string>& SupportedModelTypes();

ViTConfig ParseConfig(std::string_view json, const std::string& name = "config.json");
ViTConfig LoadConfig(const std::filesystem::path& model_dir);

}  // namespace vit::model
