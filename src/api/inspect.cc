#include "vit/inspect.h"

#include "hub/resolve.h"
#include "io/json.h"
#include "io/regular_file.h"
#include "io/tensor_source.h"
#include "model/config.h"
#include "model/family.h"

namespace vit {

ModelInspection InspectModel(const std::string& model, const HubOptions& hub) {
  ModelInspection result;
  const std::filesystem::path dir = hub::ResolveModel(model, hub);
  result.directory = dir.string();
  const ViTConfig config = model::LoadConfig(dir);  // validates; the raw text is what the user wants to see
  result.model_type = config.model_type;
  result.family = model::FamilyOf(config).name;
  result.config_json = io::ReadRegularTextFile(dir / "config.json", io::JsonLimits{}.max_bytes, "a JSON file");
  auto source = io::OpenCheckpoint(dir);
  result.weights_file = source->path().string();
  result.weights_bytes = source->file_bytes();
  for (const auto& t : source->tensors()) {
    result.tensors.push_back({t.name, std::string(io::DTypeName(t.dtype)), t.shape});
    result.num_parameters += t.numel();
  }
  return result;
}

}  // namespace vit
