#include "vit/inspect.h"

#include <fstream>
#include <sstream>

#include "hub/resolve.h"
#include "io/tensor_source.h"
#include "model/config.h"

namespace vit {

ModelInspection InspectModel(const std::string& model, const HubOptions& hub) {
  ModelInspection result;
  const std::filesystem::path dir = hub::ResolveModel(model, hub);
  result.directory = dir.string();
  model::LoadConfig(dir);  // validates; the raw text is what the user wants to see
  {
    std::ifstream in(dir / "config.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    result.config_json = text.str();
  }
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
