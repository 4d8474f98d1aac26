// config.json -> vit::ViTConfig, validated: every error names the file and the field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "vit/config.h"

namespace vit::model {

ViTConfig ParseConfig(std::string_view json, const std::string& name = "config.json");
ViTConfig LoadConfig(const std::filesystem::path& model_dir);

// Multiply-accumulates x2 of one forward pass of one image at the given input size (GEMMs and attention):
// what a benchmark divides by time. 123.1 GFLOP for ViT-L/16 at 224.
double ForwardFlops(const ViTConfig& config, int64_t height, int64_t width);

}  // namespace vit::model
