// The KServe v2 / Open Inference Protocol (REST), with the binary tensor data extension; the model, its
// input and outputs are kserve_tensors.h's, shared with the gRPC service.
//   GET  /v2/health/live, /v2/health/ready, /v2, /v2/models/{name}[/versions/{v}][/ready]
//   POST /v2/models/{name}[/versions/{v}]/infer
// One input per request, either
//   BYTES [N]         encoded images (JSON: base64 strings or data: URLs; binary: 4-byte little-endian
//                     length + bytes per element, as Triton's clients write them), or
//   FP32  [B,C,H,W]   pixel_values, already preprocessed.
// Inference-Header-Content-Length: 0 makes the whole body the input's data with no JSON header: one
// encoded image (BYTES [1]), answered with the default output.
// Outputs: "image_embeds" [B,E] (CLIP with visual_projection: the default when there), "pooler_output"
// [B,P] (the default when the checkpoint has a pooler and no image_embeds) and "last_hidden_state" [B,T,D]
// (the default otherwise), as JSON data or, when asked with
// "binary_data": true, as raw little-endian float32 after the JSON header
// (Inference-Header-Content-Length).
#include <charconv>
#include <nlohmann/json.hpp>

#include "serve/api.h"
#include "serve/api_common.h"
#include "serve/encoding.h"
#include "serve/kserve_tensors.h"

namespace vit::serve {
namespace {

std::string Dump(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

// path_params[0] is "{name}" or "{name}/versions/{v}"; model names may hold '/'.
void CheckModelOf(ServeContext& context, const Request& request) {
  std::string name = request.path_params.empty() ? std::string() : request.path_params[0];
  std::string version;
  if (const size_t at = name.rfind("/versions/"); at != std::string::npos) {
    version = name.substr(at + 10);
    name.resize(at);
    if (version.empty()) version = "(empty)";
  }
  kserve::CheckModel(context.model(), name, version);
}

struct Output {
  std::string name;
  bool binary = false;
};

struct InferRequest {
  std::string id;
  kserve::InputTensor input;
  std::vector<Output> outputs;
};

bool BinaryParameter(const Json& holder, const char* key, bool fallback) {
  auto params = holder.find("parameters");
  if (params == holder.end() || !params->is_object()) return fallback;
  auto it = params->find(key);
  if (it == params->end()) return fallback;
  if (!it->is_boolean())
    throw Error(std::string("parameters.") + key + ": expected true or false", ErrorKind::kInvalidArgument);
  return it->get<bool>();
}

InferRequest ParseInferRequest(const Json& body, std::span<const uint8_t> binary, const ModelInfo& info) {
  InferRequest r;
  if (auto id = OptionalString(body, "id")) r.id = *id;
  auto inputs = body.find("inputs");
  if (inputs == body.end() || !inputs->is_array() || inputs->size() != 1)
    throw Error("\"inputs\": expected a list of one input: BYTES images or FP32 pixel_values",
                ErrorKind::kInvalidArgument);
  const Json& in = (*inputs)[0];
  if (!in.is_object()) throw Error("\"inputs[0]\": expected an object", ErrorKind::kInvalidArgument);
  r.input.name = OptionalString(in, "name").value_or("");
  r.input.datatype = OptionalString(in, "datatype").value_or("");
  auto shape = in.find("shape");
  if (shape == in.end() || !shape->is_array())
    throw Error("\"inputs[0].shape\": expected a list of integers", ErrorKind::kInvalidArgument);
  for (const Json& d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      throw Error("\"inputs[0].shape\": expected non-negative integers", ErrorKind::kInvalidArgument);
    r.input.shape.push_back(d.get<int64_t>());
  }
  size_t binary_size = 0;
  bool has_binary = false;
  if (auto params = in.find("parameters"); params != in.end() && params->is_object()) {
    if (auto size = params->find("binary_data_size"); size != params->end()) {
      if (!size->is_number_unsigned())
        throw Error("\"inputs[0].parameters.binary_data_size\": expected a byte count", ErrorKind::kInvalidArgument);
      binary_size = size->get<size_t>();
      has_binary = true;
    }
  }
  if (has_binary) {
    if (binary_size != binary.size())
      throw Error("\"inputs[0].parameters.binary_data_size\" is " + std::to_string(binary_size) + " but " +
                      std::to_string(binary.size()) + " bytes follow the JSON header",
                  ErrorKind::kInvalidArgument);
    r.input.source = kserve::InputTensor::Source::kRaw;
    r.input.raw = binary;
  } else {
    if (!binary.empty())
      throw Error(std::to_string(binary.size()) + " bytes follow the JSON header, but no input has binary_data_size",
                  ErrorKind::kInvalidArgument);
    auto data = in.find("data");
    if (data == in.end()) throw Error("\"inputs[0]\": no \"data\" and no binary data", ErrorKind::kInvalidArgument);
    r.input.source = kserve::InputTensor::Source::kJson;
    r.input.json = &*data;
  }

  const bool binary_default = BinaryParameter(body, "binary_data_output", false);
  std::vector<std::string> names;
  std::vector<bool> binary_flags;
  if (auto outputs = body.find("outputs"); outputs != body.end() && !outputs->is_null()) {
    if (!outputs->is_array()) throw Error("\"outputs\": expected a list", ErrorKind::kInvalidArgument);
    for (const Json& o : *outputs) {
      if (!o.is_object()) throw Error("\"outputs\": expected objects", ErrorKind::kInvalidArgument);
      names.push_back(OptionalString(o, "name").value_or(""));
      binary_flags.push_back(BinaryParameter(o, "binary_data", binary_default));
    }
  }
  names = kserve::ResolveOutputs(std::move(names), info);
  for (size_t i = 0; i < names.size(); ++i)
    r.outputs.push_back({names[i], i < binary_flags.size() ? binary_flags[i] : binary_default});
  return r;
}

Json TensorJson(const kserve::TensorMetadata& t) {
  return {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
}

}  // namespace

Response KServeLive(ServeContext&, const Request&) { return Response::Json(R"({"live":true})"); }

Response KServeReady(ServeContext& context, const Request&) {
  if (context.draining) return Response::Json(R"({"ready":false})", 503);
  return Response::Json(R"({"ready":true})");
}

Response KServeServerMetadata(ServeContext&, const Request&) {
  return Response::Json(R"({"name":"vit","version":"0.1.0","extensions":["binary_tensor_data"]})");
}

Response KServeModelReady(ServeContext& context, const Request& request) {
  CheckModelOf(context, request);
  const bool ready = !context.draining;
  return Response::Json(Dump({{"name", context.model().name}, {"ready", ready}}), ready ? 200 : 503);
}

Response KServeModelMetadata(ServeContext& context, const Request& request) {
  CheckModelOf(context, request);
  const ServedModel& m = context.model();
  Json outputs = Json::array();
  for (const kserve::TensorMetadata& o : kserve::OutputMetadata(m)) outputs.push_back(TensorJson(o));
  const Json metadata = {{"name", m.name},
                         {"versions", {kserve::kModelVersion}},
                         {"platform", "vit"},
                         {"inputs", {TensorJson(kserve::InputMetadata(m))}},
                         {"outputs", outputs}};
  return Response::Json(Dump(metadata));
}

Response KServeInfer(ServeContext& context, const Request& request) {
  InFlight in_flight(context.metrics);
  CheckModelOf(context, request);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();
  const ModelInfo& info = context.model().info;
  const auto body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(request.body.data()), request.body.size());

  InferRequest infer;
  Json json_header;
  const std::string length_header = request.Header("inference-header-content-length");
  size_t length = request.body.size();
  if (!length_header.empty()) {
    const auto r = std::from_chars(length_header.data(), length_header.data() + length_header.size(), length);
    if (r.ec != std::errc() || r.ptr != length_header.data() + length_header.size() || length > request.body.size())
      throw Error("Inference-Header-Content-Length: \"" + length_header.substr(0, 32) +
                      "\" is not a length within the " + std::to_string(request.body.size()) + "-byte body",
                  ErrorKind::kInvalidArgument);
  }
  if (length == 0 && !length_header.empty()) {
    // No JSON header: the body is the one input's data, one encoded image.
    if (body.empty()) throw Error("request body: empty image", ErrorKind::kInvalidArgument);
    infer.input.name = "images";
    infer.input.datatype = "BYTES";
    infer.input.shape = {1};
    infer.input.source = kserve::InputTensor::Source::kBytesContents;
    infer.input.bytes_contents.push_back(body);
    infer.outputs.push_back({kserve::ResolveOutputs({}, info)[0], false});
  } else {
    json_header = ParseJsonObject(request.body.substr(0, length));
    infer = ParseInferRequest(json_header, body.subspan(length), info);
  }

  const std::vector<RowOutput> rows = kserve::RunInput(context.inference, infer.input, deadline);

  std::string header = R"({"model_name":)" + Dump(context.model().name) + R"(,"model_version":")" +
                       kserve::kModelVersion + '"';
  if (!infer.id.empty()) header += R"(,"id":)" + Dump(infer.id);
  header += R"(,"outputs":[)";
  std::string blobs;
  for (size_t i = 0; i < infer.outputs.size(); ++i) {
    const Output& o = infer.outputs[i];
    std::vector<int64_t> shape;
    const std::vector<float> values = kserve::Gather(rows, o.name, shape);
    if (i) header += ',';
    header += R"({"name":")" + o.name + R"(","datatype":"FP32","shape":)" + Json(shape).dump();
    if (o.binary) {
      const size_t bytes = values.size() * sizeof(float);
      header += R"(,"parameters":{"binary_data_size":)" + std::to_string(bytes) + "}}";
      blobs.append(reinterpret_cast<const char*>(values.data()), bytes);
    } else {
      header += R"(,"data":)";
      AppendJsonFloats(header, values);
      header += '}';
    }
  }
  header += "]}";
  if (blobs.empty()) return Response::Json(std::move(header));
  Response r;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("Inference-Header-Content-Length", std::to_string(header.size()));
  r.body = std::move(header) + blobs;
  return r;
}

}  // namespace vit::serve
