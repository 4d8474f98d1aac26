#include "serve/kserve_tensors.h"

#include <bit>
#include <cstring>

#include "serve/encoding.h"
#include "vit/error.h"
#include "vit/pooling.h"

namespace vit::serve::kserve {
namespace {

static_assert(std::endian::native == std::endian::little, "binary tensors are little-endian");

using Json = nlohmann::json;

constexpr int kMaxNesting = 8;

int64_t ElementCount(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 40) / d))
      throw Error("inputs[0]: invalid shape", ErrorKind::kInvalidArgument);
    n *= d;
  }
  return n;
}

// Row-major flattening of "data", flat or nested as the shape, with a bound on nesting.
void Flatten(const Json& data, int depth, std::vector<const Json*>& out) {
  if (depth > kMaxNesting) throw Error("inputs[0]: \"data\" is nested too deeply", ErrorKind::kInvalidArgument);
  if (data.is_array()) {
    for (const Json& item : data) Flatten(item, depth + 1, out);
  } else {
    out.push_back(&data);
  }
}

std::string ElementName(size_t i) { return "inputs[0][" + std::to_string(i) + "]"; }

void CheckCount(int64_t expected, size_t given) {
  if (static_cast<int64_t>(given) != expected)
    throw Error("inputs[0]: shape holds " + std::to_string(expected) + " elements but " + std::to_string(given) +
                    " were given",
                ErrorKind::kInvalidArgument);
}

std::vector<EncodedImage> BytesInput(const InputTensor& input, std::vector<std::vector<uint8_t>>& storage) {
  const int64_t count = ElementCount(input.shape);
  std::vector<EncodedImage> images;
  switch (input.source) {
    case InputTensor::Source::kRaw: {
      std::span<const uint8_t> rest = input.raw;
      while (!rest.empty()) {
        const std::string name = ElementName(images.size());
        if (rest.size() < 4) throw Error(name + ": truncated length prefix", ErrorKind::kInvalidArgument);
        uint32_t length;
        std::memcpy(&length, rest.data(), 4);
        if (length > rest.size() - 4)
          throw Error(name + ": length " + std::to_string(length) + " runs past the end of the binary data",
                      ErrorKind::kInvalidArgument);
        images.push_back({rest.subspan(4, length), name});
        rest = rest.subspan(4 + size_t{length});
      }
      break;
    }
    case InputTensor::Source::kBytesContents:
      for (std::span<const uint8_t> element : input.bytes_contents) images.push_back({element, ElementName(images.size())});
      break;
    case InputTensor::Source::kJson: {
      std::vector<const Json*> items;
      Flatten(*input.json, 0, items);
      storage.reserve(items.size());
      for (const Json* item : items) {
        const std::string name = ElementName(images.size());
        if (!item->is_string())
          throw Error(name + ": expected an encoded image as a base64 string or a data: URL",
                      ErrorKind::kInvalidArgument);
        storage.push_back(DecodeImageString(item->get_ref<const std::string&>(), name));
        images.push_back({storage.back(), name});
      }
      break;
    }
    case InputTensor::Source::kFp32Contents:
      throw Error("inputs[0]: BYTES data given as fp32_contents", ErrorKind::kInvalidArgument);
  }
  CheckCount(count, images.size());
  return images;
}

Tensor Fp32Input(const InputTensor& input) {
  if (input.shape.size() != 4)
    throw Error("inputs[0]: FP32 pixel_values need a shape [B,C,H,W]", ErrorKind::kInvalidArgument);
  const int64_t count = ElementCount(input.shape);
  // The data's size is checked against the shape before anything of the shape's size is allocated.
  switch (input.source) {
    case InputTensor::Source::kRaw: {
      if (input.raw.size() != static_cast<size_t>(count) * sizeof(float))
        throw Error("inputs[0]: " + std::to_string(input.raw.size()) + " bytes of binary data for " +
                        std::to_string(count) + " FP32 elements",
                    ErrorKind::kInvalidArgument);
      Tensor t(input.shape);
      if (count > 0) std::memcpy(t.data(), input.raw.data(), input.raw.size());
      return t;
    }
    case InputTensor::Source::kFp32Contents: {
      CheckCount(count, input.fp32_contents.size());
      Tensor t(input.shape);
      if (count > 0) std::memcpy(t.data(), input.fp32_contents.data(), input.fp32_contents.size_bytes());
      return t;
    }
    case InputTensor::Source::kJson: {
      std::vector<const Json*> items;
      Flatten(*input.json, 0, items);
      CheckCount(count, items.size());
      Tensor t(input.shape);
      for (size_t i = 0; i < items.size(); ++i) {
        if (!items[i]->is_number())
          throw Error("inputs[0].data[" + std::to_string(i) + "]: expected a number", ErrorKind::kInvalidArgument);
        t.data()[i] = items[i]->get<float>();
      }
      return t;
    }
    case InputTensor::Source::kBytesContents:
      break;
  }
  throw Error("inputs[0]: FP32 data given as bytes_contents", ErrorKind::kInvalidArgument);
}

}  // namespace

void CheckModel(const ServedModel& model, const std::string& name, const std::string& version) {
  if (name != model.name)
    throw Error("model \"" + name.substr(0, 200) + "\" is not served here; this server serves \"" + model.name + "\"",
                ErrorKind::kNotFound);
  if (!version.empty() && version != kModelVersion)
    throw Error("model \"" + model.name + "\" has no version \"" + version.substr(0, 64) + "\"; its one version is \"" +
                    kModelVersion + "\"",
                ErrorKind::kNotFound);
}

TensorMetadata InputMetadata(const ServedModel&) { return {"images", "BYTES", {-1}}; }

std::vector<TensorMetadata> OutputMetadata(const ServedModel& model) {
  const ViTConfig& c = model.config;
  std::vector<TensorMetadata> outputs;
  if (model.info.has_image_embeds)
    outputs.push_back({"image_embeds", "FP32", {-1, PooledWidth(c, Pooling::kImageEmbeds)}});
  if (model.info.has_pooler) outputs.push_back({"pooler_output", "FP32", {-1, PooledWidth(c, Pooling::kPooler)}});
  outputs.push_back({"last_hidden_state", "FP32", {-1, c.num_patches() + model.info.leading_tokens, c.hidden_size}});
  return outputs;
}

std::vector<RowOutput> RunInput(Inference& inference, const InputTensor& input, Inference::Clock::time_point deadline) {
  if (input.datatype == "BYTES") {
    std::vector<std::vector<uint8_t>> storage;
    const std::vector<EncodedImage> images = BytesInput(input, storage);
    return inference.RunImages(images, deadline);
  }
  if (input.datatype == "FP32") return inference.RunPixelValues(Fp32Input(input), deadline);
  throw Error("inputs[0].datatype: expected \"BYTES\" (encoded images) or \"FP32\" (pixel_values), got \"" +
                  input.datatype.substr(0, 32) + "\"",
              ErrorKind::kInvalidArgument);
}

std::vector<std::string> ResolveOutputs(std::vector<std::string> names, const ModelInfo& info) {
  for (const std::string& name : names)
    if (name != "pooler_output" && name != "last_hidden_state" && name != "image_embeds")
      throw Error("\"outputs\": unknown output \"" + name.substr(0, 64) +
                      "\"; expected \"image_embeds\", \"pooler_output\" or \"last_hidden_state\"",
                  ErrorKind::kInvalidArgument);
  if (names.empty())
    names.push_back(info.has_image_embeds ? "image_embeds" : info.has_pooler ? "pooler_output" : "last_hidden_state");
  for (const std::string& name : names) {
    if (name == "pooler_output" && !info.has_pooler)
      throw Error("output \"pooler_output\": this checkpoint has no pooler (pooler.dense); ask for "
                  "\"last_hidden_state\"",
                  ErrorKind::kUnsupported);
    if (name == "image_embeds" && !info.has_image_embeds)
      throw Error("output \"image_embeds\": this checkpoint has no visual_projection (only CLIPModel and "
                  "CLIPVisionModelWithProjection have one); ask for \"pooler_output\" or \"last_hidden_state\"",
                  ErrorKind::kUnsupported);
  }
  return names;
}

std::vector<float> Gather(const std::vector<RowOutput>& rows, const std::string& name, std::vector<int64_t>& shape) {
  std::vector<float> values;
  shape.clear();
  for (const RowOutput& row : rows) {
    const Tensor& t = name == "pooler_output"  ? row.pooler_output
                      : name == "image_embeds" ? row.image_embeds
                                               : row.last_hidden_state;
    if (shape.empty()) {
      shape = t.shape();
      shape[0] = static_cast<int64_t>(rows.size());
      values.reserve(static_cast<size_t>(t.numel()) * rows.size());
    }
    values.insert(values.end(), t.data(), t.data() + t.numel());
  }
  return values;
}

}  // namespace vit::serve::kserve
