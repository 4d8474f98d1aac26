// preprocessor_config.json as transformers' <Class>.from_dict reads it, for the class that
// image_processor_type (or the legacy feature_extractor_type) names: ViTImageProcessor, BitImageProcessor
// (DINOv2), CLIPImageProcessor, SiglipImageProcessor, DeiTImageProcessor. Both spellings in the wild are
// accepted: the legacy feature-extractor one ("size": 224, "crop_size": 224) and the explicit one
// ("size": {"height": 224, "width": 224}, {"shortest_edge": 256}); keys left out keep the class's
// defaults and keys the class does not know are ignored, as transformers ignores them.
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <vector>
#include <sstream>

#include "io/json.h"
#include "io/json_fields.h"
#include "io/regular_file.h"
#include "vit/error.h"
#include "vit/image_processor.h"

namespace vit {
namespace {

using io::Json;

class ConfigReader {
 public:
  ConfigReader(const Json& json, const std::string& name) : fields_(json, name) {}

  [[noreturn]] void Fail(const std::string& key, const std::string& what, ErrorKind kind = ErrorKind::kInvalidInput) const {
    fields_.Fail(key, what, kind);
  }

  const Json* Find(const std::string& key) const { return fields_.Find(key); }

  // Python truthiness of what from_dict stores: null is falsy (preprocess then sees None).
  void Bool(const std::string& key, bool& out) const {
    const Json* v = Find(key);
    if (v == nullptr) return;
    if (v->is_null()) {
      out = false;
    } else if (v->is_boolean()) {
      out = v->get<bool>();
    } else if (v->is_number()) {
      out = v->get<double>() != 0.0;
    } else {
      Fail(key, "must be true or false, not " + io::JsonTypeName(*v));
    }
  }

  double Number(const std::string& key, const Json& v) const {
    if (!v.is_number()) Fail(key, "must be a number, not " + io::JsonTypeName(v));
    const double d = v.get<double>();
    if (!std::isfinite(d)) Fail(key, "must be a finite number");
    return d;
  }

  int PositiveInt(const std::string& key, const Json& v) const {
    if (!v.is_number_integer()) Fail(key, "must be a whole number of pixels, not " + io::JsonTypeName(v));
    const auto n = v.get<int64_t>();
    if (n < 1 || n > std::numeric_limits<int>::max()) {
      Fail(key, "must be at least 1 (Pillow: height and width must be > 0), got " + std::to_string(n));
    }
    return static_cast<int>(n);
  }

  // A float, or a list of one per channel; IMAGENET_STANDARD (0.5) when null.
  void PerChannel(const std::string& key, std::array<float, 3>& out) const {
    const Json* v = Find(key);
    if (v == nullptr || v->is_null()) return;
    if (v->is_number()) {
      out.fill(static_cast<float>(Number(key, *v)));
      return;
    }
    if (!v->is_array()) Fail(key, "must be a number or a list of 3 numbers, not " + io::JsonTypeName(*v));
    if (v->size() != 3) {
      Fail(key, "must have 3 elements (one per RGB channel), got " + std::to_string(v->size()));
    }
    // np.array(mean, dtype=float32): each value rounded to the nearest float.
    for (size_t c = 0; c < 3; ++c) out[c] = static_cast<float>(Number(key, (*v)[c]));
  }

 private:
  io::JsonFields fields_;
};

// What differs between the classes: their __init__ defaults and how get_size_dict reads an int size.
struct Family {
  const char* name;
  bool size_int_is_shortest_edge;  // get_size_dict(size, default_to_square=False)
  bool resize_shortest_edge;       // resize() takes {"shortest_edge"} (Bit, CLIP); the others need height/width
  bool has_center_crop;            // do_center_crop and crop_size exist
  int default_shortest_edge;       // default size {"shortest_edge": n}, or 0 ...
  int default_height, default_width;  // ... {"height", "width"}
  int default_resample;
  std::array<float, 3> default_mean, default_std;
};

constexpr std::array<float, 3> kStandardMean{0.5f, 0.5f, 0.5f};
constexpr std::array<float, 3> kStandardStd{0.5f, 0.5f, 0.5f};
constexpr std::array<float, 3> kClipMean{0.48145466f, 0.4578275f, 0.40821073f};
constexpr std::array<float, 3> kClipStd{0.26862954f, 0.26130258f, 0.27577711f};

constexpr Family kVit{"ViTImageProcessor", false, false, false, 0, 224, 224, 2, kStandardMean, kStandardStd};
constexpr Family kBit{"BitImageProcessor", true, true, true, 224, 224, 224, 3, kClipMean, kClipStd};
constexpr Family kClip{"CLIPImageProcessor", true, true, true, 224, 224, 224, 3, kClipMean, kClipStd};
constexpr Family kSiglip{"SiglipImageProcessor", true, false, false, 0, 224, 224, 3, kStandardMean, kStandardStd};
constexpr Family kDeit{"DeiTImageProcessor", false, false, true, 0, 256, 256, 3, kStandardMean, kStandardStd};

// The class a type name means: the image processor, its legacy feature extractor and its fast twin
// (which vit runs on the PIL path, as the slow class does).
const Family* FindFamily(const std::string& type) {
  for (const Family* f : {&kVit, &kBit, &kClip, &kSiglip, &kDeit}) {
    const std::string name = f->name;
    const std::string stem = name.substr(0, name.size() - std::string("ImageProcessor").size());
    if (type == name || type == name + "Fast" || type == stem + "FeatureExtractor") return f;
  }
  return nullptr;
}

// A size or crop_size as get_size_dict leaves it.
struct SizeDict {
  int shortest_edge = 0;  // with or without longest_edge
  int height = 0, width = 0;
  bool has_height_width = false;
  std::string keys;  // as written, for errors
};

// get_size_dict(value, default_to_square=!int_is_shortest_edge, param_name=key): an int is a square or a
// shortest edge, a list is [height, width], a dict must have one of the key sets transformers allows.
SizeDict ReadSizeDict(const ConfigReader& r, const std::string& key, const Json& v, bool int_is_shortest_edge) {
  SizeDict d;
  if (v.is_number()) {
    const int n = r.PositiveInt(key, v);
    if (int_is_shortest_edge) {
      d.shortest_edge = n;
      d.keys = "shortest_edge";
    } else {
      d.height = d.width = n;
      d.has_height_width = true;
      d.keys = "height, width";
    }
    return d;
  }
  if (v.is_array()) {
    if (v.size() != 2) r.Fail(key, "as a list must be [height, width], got " + std::to_string(v.size()) + " elements");
    d.height = r.PositiveInt(key, v[0]);
    d.width = r.PositiveInt(key, v[1]);
    d.has_height_width = true;
    d.keys = "height, width";
    return d;
  }
  if (!v.is_object()) {
    r.Fail(key, "must be a number, [height, width] or {\"height\": h, \"width\": w} / {\"shortest_edge\": n}, not " +
                    io::JsonTypeName(v));
  }
  std::set<std::string> keys;
  for (const auto& item : v.items()) {
    keys.insert(item.key());
    d.keys += (d.keys.empty() ? "" : ", ") + item.key();
  }
  const std::set<std::set<std::string>> allowed = {{"height", "width"}, {"shortest_edge"}, {"shortest_edge", "longest_edge"},
                                                   {"longest_edge"}, {"max_height", "max_width"}};
  if (allowed.count(keys) == 0) {
    r.Fail(key, "has keys {" + d.keys +
                    "}; expected {height, width}, {shortest_edge}, {shortest_edge, longest_edge}, {longest_edge} or "
                    "{max_height, max_width}");
  }
  for (const auto& item : v.items()) {
    const int n = r.PositiveInt(key + "." + item.key(), item.value());
    if (item.key() == "height") d.height = n;
    if (item.key() == "width") d.width = n;
    if (item.key() == "shortest_edge") d.shortest_edge = n;
  }
  d.has_height_width = keys.count("height") != 0;
  return d;
}

}  // namespace

ImageProcessor ImageProcessor::FromJson(std::string_view text, const std::string& name) {
  const Json json = io::ParseJson(text, name);
  if (!json.is_object()) throw Error(name + ": expected a JSON object, got " + io::JsonTypeName(json));
  const ConfigReader r(json, name);
  ImageProcessorConfig c;

  // image_processor_type wins over feature_extractor_type, as AutoImageProcessor reads them.
  const Family* family = &kVit;
  const Json* named = r.Find("image_processor_type");
  const bool has_new_name = named != nullptr && !named->is_null();
  for (const char* key : {"image_processor_type", "feature_extractor_type"}) {
    const Json* v = r.Find(key);
    if (v == nullptr || v->is_null() || (has_new_name && key == std::string("feature_extractor_type"))) continue;
    if (!v->is_string()) r.Fail(key, "must be a string, not " + io::JsonTypeName(*v));
    const std::string type = v->get<std::string>();
    family = FindFamily(type);
    if (family == nullptr) {
      r.Fail(key,
             "is \"" + type +
                 "\"; supported: ViTImageProcessor, BitImageProcessor, CLIPImageProcessor, SiglipImageProcessor, "
                 "DeiTImageProcessor (or their legacy *FeatureExtractor names)",
             ErrorKind::kUnsupported);
    }
  }
  c.image_processor_type = family->name;
  c.shortest_edge = family->default_shortest_edge;
  c.height = family->default_height;
  c.width = family->default_width;
  c.resample = family->default_resample;
  c.image_mean = family->default_mean;
  c.image_std = family->default_std;
  c.do_center_crop = family->has_center_crop;

  r.Bool("do_resize", c.do_resize);
  r.Bool("do_rescale", c.do_rescale);
  r.Bool("do_normalize", c.do_normalize);
  r.Bool("do_convert_rgb", c.do_convert_rgb);
  if (family->has_center_crop) r.Bool("do_center_crop", c.do_center_crop);

  // size: read by get_size_dict in __init__ (bad key sets fail there), used by resize() (which needs
  // height and width, or for Bit and CLIP a shortest_edge, which wins when both are given).
  if (const Json* size = r.Find("size"); size != nullptr && !size->is_null()) {
    SizeDict d = ReadSizeDict(r, "size", *size, family->size_int_is_shortest_edge);
    // CLIPImageProcessor's use_square_size (older Kosmos-2 configs): the shortest edge as a square.
    if (family == &kClip && d.shortest_edge > 0) {
      if (const Json* sq = r.Find("use_square_size"); sq != nullptr && sq->is_boolean() && sq->get<bool>()) {
        d = SizeDict{0, d.shortest_edge, d.shortest_edge, true, "height, width"};
      }
    }
    if (family->resize_shortest_edge && d.shortest_edge > 0) {
      c.shortest_edge = d.shortest_edge;
    } else if (d.has_height_width) {
      c.shortest_edge = 0;
      c.height = d.height;
      c.width = d.width;
    } else if (c.do_resize) {
      r.Fail("size",
             "has keys {" + d.keys + "}; " + family->name + " resizes to " +
                 (family->resize_shortest_edge ? "{\"shortest_edge\"} or {\"height\", \"width\"}" : "{\"height\", \"width\"}") +
                 " only",
             ErrorKind::kUnsupported);
    }
  }
  if (family->has_center_crop) {
    if (const Json* crop = r.Find("crop_size"); crop != nullptr && !crop->is_null()) {
      const SizeDict d = ReadSizeDict(r, "crop_size", *crop, false);
      if (d.has_height_width) {
        c.crop_height = d.height;
        c.crop_width = d.width;
      } else if (c.do_center_crop) {
        r.Fail("crop_size", "has keys {" + d.keys + "}; center_crop needs {\"height\", \"width\"}", ErrorKind::kUnsupported);
      }
    }
  }

  if (const Json* v = r.Find("resample"); v != nullptr) {
    if (v->is_null()) {
      if (c.do_resize) r.Fail("resample", "is null but do_resize is true");
    } else {
      if (!v->is_number_integer()) r.Fail("resample", "must be a PIL resampling filter number 0..5, not " + io::JsonTypeName(*v));
      const auto f = v->get<int64_t>();
      if (f < 0 || f > 5) {
        r.Fail("resample", "is " + std::to_string(f) +
                               "; Pillow knows NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5");
      }
      c.resample = static_cast<int>(f);
    }
  }

  if (const Json* v = r.Find("rescale_factor"); v != nullptr) {
    if (v->is_null()) {
      if (c.do_rescale) r.Fail("rescale_factor", "is null but do_rescale is true");
    } else {
      c.rescale_factor = r.Number("rescale_factor", *v);
    }
  }
  r.PerChannel("image_mean", c.image_mean);
  r.PerChannel("image_std", c.image_std);
  return ImageProcessor(c);
}

std::string ImageProcessorConfig::Describe() const {
  // Shortest round-trip spellings: the float32 mean and std as the JSON gave them, 1/255 in full.
  const auto number = [](auto v) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
    return std::string(buffer, result.ptr);
  };
  const auto triple = [&](const std::array<float, 3>& v) {
    return "[" + number(v[0]) + ", " + number(v[1]) + ", " + number(v[2]) + "]";
  };
  static const char* const kFilters[] = {"NEAREST", "LANCZOS", "BILINEAR", "BICUBIC", "BOX", "HAMMING"};
  std::string s = image_processor_type + ":";
  std::vector<std::string> steps;
  if (do_convert_rgb) steps.push_back("convert_rgb");
  if (do_resize) {
    const std::string filter = resample >= 0 && resample <= 5 ? kFilters[resample] : std::to_string(resample);
    steps.push_back(shortest_edge > 0 ? "resize shortest_edge " + std::to_string(shortest_edge) + " " + filter
                                      : "resize " + std::to_string(height) + "x" + std::to_string(width) + " " + filter);
  }
  if (do_center_crop) steps.push_back("center_crop " + std::to_string(crop_height) + "x" + std::to_string(crop_width));
  if (do_rescale) steps.push_back("rescale " + number(rescale_factor));
  if (do_normalize) steps.push_back("normalize mean " + triple(image_mean) + " std " + triple(image_std));
  for (size_t i = 0; i < steps.size(); ++i) s += (i ? ", " : " ") + steps[i];
  return s;
}

ImageProcessor ImageProcessor::FromPretrained(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "preprocessor_config.json";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return ImageProcessor();
  return FromJson(io::ReadRegularTextFile(file, io::JsonLimits{}.max_bytes, "a JSON file"), file.string());
}

}  // namespace vit
