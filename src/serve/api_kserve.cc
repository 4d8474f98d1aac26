// The KServe v2 / Triton inference protocol (REST), with the binary tensor data extension.
//   GET  /v2/health/live, /v2/health/ready, /v2, /v2/models/{name}, /v2/models/{name}/ready
//   POST /v2/models/{name}[/versions/{v}]/infer
// One input per request, either
//   BYTES [N]         encoded images (JSON: base64 strings or data: URLs; binary: 4-byte little-endian
//                     length + bytes per element, as Triton's clients write them), or
//   FP32  [B,C,H,W]   pixel_values, already preprocessed.
// Outputs: "pooler_output" [B,P] (the default when the checkpoint has a pooler) and
// "last_hidden_state" [B,T,D] (the default otherwise), as JSON data or, when asked with
// "binary_data": true, as raw little-endian float32 after the JSON header
// (Inference-Header-Content-Length).
#include <bit>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "serve/api.h"
#include "serve/api_common.h"
#include "serve/encoding.h"

namespace vit::serve {
namespace {

static_assert(std::endian::native == std::endian::little, "binary tensors are little-endian");

constexpr int kMaxNesting = 8;

std::string ModelNameFrom(const Request& request) {
  std::string name = request.path_params.empty() ? std::string() : request.path_params[0];
  // /v2/models/{name}/versions/{v}/...: this server has one version of one model.
  const size_t versions = name.rfind("/versions/");
  if (versions != std::string::npos) name.resize(versions);
  return name;
}

void CheckModelName(ServeContext& context, const Request& request) {
  const std::string name = ModelNameFrom(request);
  if (name != context.model().name)
    throw Error("model \"" + name.substr(0, 200) + "\" is not served here; this server serves \"" +
                    context.model().name + "\"",
                ErrorKind::kNotFound);
}

int64_t ElementCount(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 40) / d))
      throw Error(what + ": invalid shape", ErrorKind::kInvalidArgument);
    n *= d;
  }
  return n;
}

// Row-major flattening of "data", flat or nested as the shape, with a bound on nesting.
void Flatten(const Json& data, int depth, std::vector<const Json*>& out, const std::string& what) {
  if (depth > kMaxNesting) throw Error(what + ": \"data\" is nested too deeply", ErrorKind::kInvalidArgument);
  if (data.is_array()) {
    for (const Json& item : data) Flatten(item, depth + 1, out, what);
  } else {
    out.push_back(&data);
  }
}

struct Input {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;
  const Json* data = nullptr;                   // JSON data, or
  std::optional<std::span<const uint8_t>> binary;  // its bytes after the JSON header
};

struct Output {
  std::string name;
  bool binary = false;
};

struct InferRequest {
  std::string id;
  Input input;
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

InferRequest ParseInferRequest(const Json& body, std::span<const uint8_t> binary, bool has_pooler) {
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
    r.input.binary = binary;
  } else {
    if (!binary.empty())
      throw Error(std::to_string(binary.size()) + " bytes follow the JSON header, but no input has binary_data_size",
                  ErrorKind::kInvalidArgument);
    auto data = in.find("data");
    if (data == in.end()) throw Error("\"inputs[0]\": no \"data\" and no binary data", ErrorKind::kInvalidArgument);
    r.input.data = &*data;
  }

  const bool binary_default = BinaryParameter(body, "binary_data_output", false);
  if (auto outputs = body.find("outputs"); outputs != body.end() && !outputs->is_null()) {
    if (!outputs->is_array()) throw Error("\"outputs\": expected a list", ErrorKind::kInvalidArgument);
    for (const Json& o : *outputs) {
      if (!o.is_object()) throw Error("\"outputs\": expected objects", ErrorKind::kInvalidArgument);
      Output out{OptionalString(o, "name").value_or(""), BinaryParameter(o, "binary_data", binary_default)};
      if (out.name != "pooler_output" && out.name != "last_hidden_state")
        throw Error("\"outputs\": unknown output \"" + out.name.substr(0, 64) +
                        "\"; expected \"pooler_output\" or \"last_hidden_state\"",
                    ErrorKind::kInvalidArgument);
      r.outputs.push_back(out);
    }
  }
  if (r.outputs.empty()) r.outputs.push_back({has_pooler ? "pooler_output" : "last_hidden_state", binary_default});
  for (const Output& o : r.outputs)
    if (o.name == "pooler_output" && !has_pooler)
      throw Error("output \"pooler_output\": this checkpoint has no pooler (pooler.dense); ask for "
                  "\"last_hidden_state\"",
                  ErrorKind::kUnsupported);
  return r;
}

// BYTES elements: binary as <u32 little-endian length><bytes>..., or JSON strings.
std::vector<EncodedImage> BytesInput(const Input& input, std::vector<std::vector<uint8_t>>& storage) {
  const int64_t count = ElementCount(input.shape, "inputs[0]");
  std::vector<EncodedImage> images;
  if (input.binary) {
    std::span<const uint8_t> rest = *input.binary;
    while (!rest.empty()) {
      const std::string name = "inputs[0][" + std::to_string(images.size()) + "]";
      if (rest.size() < 4) throw Error(name + ": truncated length prefix", ErrorKind::kInvalidArgument);
      uint32_t length;
      std::memcpy(&length, rest.data(), 4);
      if (length > rest.size() - 4)
        throw Error(name + ": length " + std::to_string(length) + " runs past the end of the binary data",
                    ErrorKind::kInvalidArgument);
      images.push_back({rest.subspan(4, length), name});
      rest = rest.subspan(4 + size_t{length});
    }
  } else {
    std::vector<const Json*> items;
    Flatten(*input.data, 0, items, "inputs[0]");
    storage.reserve(items.size());
    for (const Json* item : items) {
      const std::string name = "inputs[0][" + std::to_string(images.size()) + "]";
      if (!item->is_string())
        throw Error(name + ": expected an encoded image as a base64 string or a data: URL", ErrorKind::kInvalidArgument);
      storage.push_back(DecodeImageString(item->get_ref<const std::string&>(), name));
      images.push_back({storage.back(), name});
    }
  }
  if (static_cast<int64_t>(images.size()) != count)
    throw Error("inputs[0]: shape holds " + std::to_string(count) + " elements but " + std::to_string(images.size()) +
                    " were given",
                ErrorKind::kInvalidArgument);
  return images;
}

Tensor Fp32Input(const Input& input) {
  if (input.shape.size() != 4)
    throw Error("inputs[0]: FP32 pixel_values need a shape [B,C,H,W]", ErrorKind::kInvalidArgument);
  const int64_t count = ElementCount(input.shape, "inputs[0]");
  // The data's size is checked against the shape before anything of the shape's size is allocated.
  if (input.binary) {
    if (input.binary->size() != static_cast<size_t>(count) * sizeof(float))
      throw Error("inputs[0]: " + std::to_string(input.binary->size()) + " bytes of binary data for " +
                      std::to_string(count) + " FP32 elements",
                  ErrorKind::kInvalidArgument);
    Tensor t(input.shape);
    if (count > 0) std::memcpy(t.data(), input.binary->data(), input.binary->size());
    return t;
  }
  std::vector<const Json*> items;
  Flatten(*input.data, 0, items, "inputs[0]");
  if (static_cast<int64_t>(items.size()) != count)
    throw Error("inputs[0]: shape holds " + std::to_string(count) + " elements but \"data\" has " +
                    std::to_string(items.size()),
                ErrorKind::kInvalidArgument);
  Tensor t(input.shape);
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i]->is_number())
      throw Error("inputs[0].data[" + std::to_string(i) + "]: expected a number", ErrorKind::kInvalidArgument);
    t.data()[i] = items[i]->get<float>();
  }
  return t;
}

// Stacks the rows' `name` output into one [B, ...] array.
std::vector<float> Gather(const std::vector<RowOutput>& rows, const std::string& name, std::vector<int64_t>& shape) {
  std::vector<float> values;
  shape.clear();
  for (const RowOutput& row : rows) {
    const Tensor& t = name == "pooler_output" ? row.pooler_output : row.last_hidden_state;
    if (shape.empty()) {
      shape = t.shape();
      shape[0] = static_cast<int64_t>(rows.size());
      values.reserve(static_cast<size_t>(t.numel()) * rows.size());
    }
    values.insert(values.end(), t.data(), t.data() + t.numel());
  }
  return values;
}

Json ShapeJson(const std::vector<int64_t>& shape) { return Json(shape); }

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
  CheckModelName(context, request);
  return KServeReady(context, request);
}

Response KServeModelMetadata(ServeContext& context, const Request& request) {
  CheckModelName(context, request);
  const ServedModel& m = context.model();
  const ViTConfig& c = m.config;
  const int64_t pooler = c.pooler_output_size ? c.pooler_output_size : c.hidden_size;
  Json outputs = Json::array();
  if (m.info.has_pooler) outputs.push_back({{"name", "pooler_output"}, {"datatype", "FP32"}, {"shape", {-1, pooler}}});
  outputs.push_back(
      {{"name", "last_hidden_state"}, {"datatype", "FP32"}, {"shape", {-1, c.num_patches() + 1, c.hidden_size}}});
  const Json metadata = {
      {"name", m.name},
      {"versions", {"1"}},
      {"platform", "vit"},
      {"inputs",
       {{{"name", "images"}, {"datatype", "BYTES"}, {"shape", {-1}}},
        {{"name", "pixel_values"},
         {"datatype", "FP32"},
         {"shape", {-1, c.num_channels, c.image_size, c.image_size}}}}},
      {"outputs", outputs}};
  return Response::Json(metadata.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Response KServeInfer(ServeContext& context, const Request& request) {
  InFlight in_flight(context.metrics);
  CheckModelName(context, request);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();

  std::string_view json_text = request.body;
  std::span<const uint8_t> binary;
  if (const std::string header = request.Header("inference-header-content-length"); !header.empty()) {
    size_t length = 0;
    const auto r = std::from_chars(header.data(), header.data() + header.size(), length);
    if (r.ec != std::errc() || r.ptr != header.data() + header.size() || length > request.body.size())
      throw Error("Inference-Header-Content-Length: \"" + header.substr(0, 32) + "\" is not a length within the " +
                      std::to_string(request.body.size()) + "-byte body",
                  ErrorKind::kInvalidArgument);
    json_text = request.body.substr(0, length);
    binary = {reinterpret_cast<const uint8_t*>(request.body.data()) + length, request.body.size() - length};
  }
  const Json body = ParseJsonObject(json_text);
  const InferRequest infer = ParseInferRequest(body, binary, context.model().info.has_pooler);

  std::vector<RowOutput> rows;
  if (infer.input.datatype == "BYTES") {
    std::vector<std::vector<uint8_t>> storage;
    const std::vector<EncodedImage> images = BytesInput(infer.input, storage);
    rows = context.inference.RunImages(images, deadline);
  } else if (infer.input.datatype == "FP32") {
    rows = context.inference.RunPixelValues(Fp32Input(infer.input), deadline);
  } else {
    throw Error("inputs[0].datatype: expected \"BYTES\" (encoded images) or \"FP32\" (pixel_values), got \"" +
                    infer.input.datatype.substr(0, 32) + "\"",
                ErrorKind::kInvalidArgument);
  }

  std::string header = R"({"model_name":)" + Json(context.model().name).dump(-1, ' ', false, Json::error_handler_t::replace) +
                       R"(,"model_version":"1")";
  if (!infer.id.empty()) header += R"(,"id":)" + Json(infer.id).dump(-1, ' ', false, Json::error_handler_t::replace);
  header += R"(,"outputs":[)";
  std::string blobs;
  for (size_t i = 0; i < infer.outputs.size(); ++i) {
    const Output& o = infer.outputs[i];
    std::vector<int64_t> shape;
    const std::vector<float> values = Gather(rows, o.name, shape);
    if (i) header += ',';
    header += R"({"name":")" + o.name + R"(","datatype":"FP32","shape":)" + ShapeJson(shape).dump();
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
