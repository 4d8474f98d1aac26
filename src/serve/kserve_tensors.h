// The Open Inference Protocol's (KServe v2) model as this server serves it, shared by its REST routes
// (api_kserve.cc) and its gRPC service (grpc/): the model and version a request names, the one input
// (BYTES [N] encoded images, or FP32 [B,C,H,W] pixel_values) in each form the transports carry it, the
// outputs (pooler_output [B,P], last_hidden_state [B,T,D]) and the metadata that describes them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "serve/inference.h"

namespace vit::serve::kserve {

// The one version of the one model this server has.
inline constexpr char kModelVersion[] = "1";

// vit::Error(kNotFound) unless `name` is the served model and `version` is empty or kModelVersion.
void CheckModel(const ServedModel& model, const std::string& name, const std::string& version);

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;  // -1: any size
};
// The input clients send: "images", BYTES [-1]. FP32 pixel_values [B,C,H,W] are taken in its place
// (the protocol's metadata has room for one description of an input, and images are what clients have).
TensorMetadata InputMetadata(const ServedModel& model);
// image_embeds (CLIP with visual_projection), pooler_output (checkpoints with a pooler) and last_hidden_state.
std::vector<TensorMetadata> OutputMetadata(const ServedModel& model);

// The input of a request, as one of the transports carried it.
struct InputTensor {
  enum class Source {
    kJson,          // REST: "data", flat or nested; BYTES elements are base64 strings or data: URLs
    kRaw,           // REST binary extension and gRPC raw_input_contents: FP32 little-endian; BYTES as
                    // <u32 little-endian length><bytes> per element
    kBytesContents, // gRPC contents.bytes_contents, or a REST body that is one raw image: an encoded
                    // image per element
    kFp32Contents,  // gRPC contents.fp32_contents
  };
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;
  Source source = Source::kJson;
  const nlohmann::json* json = nullptr;
  std::span<const uint8_t> raw;
  std::vector<std::span<const uint8_t>> bytes_contents;
  std::span<const float> fp32_contents;
};

// Decodes and runs the input through the batcher: vit::Error(kInvalidArgument) naming "inputs[0]" for
// a datatype, shape or data that do not agree, and Inference's errors (413, 422, 429, 504).
std::vector<RowOutput> RunInput(Inference& inference, const InputTensor& input, Inference::Clock::time_point deadline);

// The outputs asked for, checked: none means the default (image_embeds when the model has them, else
// pooler_output with a pooler, else last_hidden_state: vit/pooling.h's DefaultPooling); an unknown name is
// vit::Error(kInvalidArgument), an output the checkpoint lacks vit::Error(kUnsupported).
std::vector<std::string> ResolveOutputs(std::vector<std::string> names, const ModelInfo& info);

// The rows' `name` output stacked into one row-major [B, ...] array; `shape` receives its shape.
std::vector<float> Gather(const std::vector<RowOutput>& rows, const std::string& name, std::vector<int64_t>& shape);

}  // namespace vit::serve::kserve
