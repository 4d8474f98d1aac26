// preprocessor_config.json as transformers' ViTImageProcessor.from_dict reads it. Both spellings in the
// wild are accepted: the legacy ViTFeatureExtractor one ("size": 224) and the explicit one
// ("size": {"height": 224, "width": 224}); keys left out keep ViTImageProcessor's defaults and keys the
// processor does not know are ignored, as transformers ignores them.
#include <cmath>
#include <fstream>
#include <limits>
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

bool IsVitProcessorType(const std::string& type) {
  return type == "ViTImageProcessor" || type == "ViTFeatureExtractor" || type == "ViTImageProcessorFast";
}

}  // namespace

ImageProcessor ImageProcessor::FromJson(std::string_view text, const std::string& name) {
  const Json json = io::ParseJson(text, name);
  if (!json.is_object()) throw Error(name + ": expected a JSON object, got " + io::JsonTypeName(json));
  const ConfigReader r(json, name);
  ImageProcessorConfig c;

  for (const char* key : {"image_processor_type", "feature_extractor_type"}) {
    const Json* v = r.Find(key);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_string()) r.Fail(key, "must be a string, not " + io::JsonTypeName(*v));
    const std::string type = v->get<std::string>();
    if (!IsVitProcessorType(type)) {
      r.Fail(key, "is \"" + type + "\"; only ViTImageProcessor (or the legacy ViTFeatureExtractor) is supported",
             ErrorKind::kUnsupported);
    }
  }

  r.Bool("do_resize", c.do_resize);
  r.Bool("do_rescale", c.do_rescale);
  r.Bool("do_normalize", c.do_normalize);
  r.Bool("do_convert_rgb", c.do_convert_rgb);

  // get_size_dict(size): an int means a square, a list is (height, width), a dict needs height and width
  // for ViTImageProcessor.resize (shortest_edge & co. pass get_size_dict but fail at resize time).
  bool size_usable = true;
  std::string size_problem;
  if (const Json* size = r.Find("size"); size != nullptr && !size->is_null()) {
    if (size->is_number()) {
      c.height = c.width = r.PositiveInt("size", *size);
    } else if (size->is_array()) {
      if (size->size() != 2) r.Fail("size", "as a list must be [height, width], got " + std::to_string(size->size()) + " elements");
      c.height = r.PositiveInt("size", (*size)[0]);
      c.width = r.PositiveInt("size", (*size)[1]);
    } else if (size->is_object()) {
      const bool has_h = size->contains("height"), has_w = size->contains("width");
      if (has_h && has_w) {
        c.height = r.PositiveInt("size.height", (*size)["height"]);
        c.width = r.PositiveInt("size.width", (*size)["width"]);
      } else if (has_h || has_w) {
        r.Fail("size", "must give both \"height\" and \"width\"");
      } else {
        size_usable = false;
        std::string keys;
        for (const auto& item : size->items()) keys += (keys.empty() ? "" : ", ") + item.key();
        size_problem = "has keys {" + keys + "}; ViTImageProcessor resizes to {\"height\", \"width\"} only";
      }
    } else {
      r.Fail("size", "must be a number, [height, width] or {\"height\": h, \"width\": w}, not " + io::JsonTypeName(*size));
    }
  }
  if (c.do_resize && !size_usable) r.Fail("size", size_problem, ErrorKind::kUnsupported);

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

ImageProcessor ImageProcessor::FromPretrained(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "preprocessor_config.json";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return ImageProcessor();
  return FromJson(io::ReadRegularTextFile(file, io::JsonLimits{}.max_bytes, "a JSON file"), file.string());
}

}  // namespace vit
