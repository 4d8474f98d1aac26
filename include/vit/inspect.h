// What `vit inspect` shows: the config, the files and every tensor of a checkpoint, without loading it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vit/options.h"

namespace vit {

struct TensorSummary {
  std::string name;
  std::string dtype;  // safetensors spelling: F32, F16, BF16, ...
  std::vector<int64_t> shape;
};

struct ModelInspection {
  std::string directory;
  std::string config_json;        // config.json as found
  std::string model_type;         // config.json's
  std::string family;             // the member of the ViT family it names: ViT, DeiT, DINOv2, CLIP, SigLIP
  std::string weights_file;
  uint64_t weights_bytes = 0;     // all weight files together
  int64_t num_parameters = 0;
  std::vector<TensorSummary> tensors;
};

ModelInspection InspectModel(const std::string& model, const HubOptions& hub = {});

}  // namespace vit
