#include "hub/resolve.h"

#include "vit/error.h"

namespace vit::hub {

bool LooksLikeHubId(const std::string& model) {
  return !model.empty() && model.find('/') != std::string::npos && model.front() != '/' && model.front() != '.' &&
         !std::filesystem::exists(model);
}

std::filesystem::path ResolveModel(const std::string& model, const HubOptions& /*options*/) {
  if (std::filesystem::is_directory(model)) return model;
  throw Error("model '" + model + "' is not a folder (hub ids are not supported yet)", ErrorKind::kNotFound);
}

}  // namespace vit::hub
