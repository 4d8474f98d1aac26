// vit_preprocess_dump: the image layer on its own, for parity tests and benchmarks.
//
//   vit_preprocess_dump [--config preprocessor_config.json] [--exif-transpose] [--decoded DIR]
//                       [--path file|image] --out pixel_values.npy IMAGE...
//
// Writes pixel_values [N, 3, H, W] for the images that decode, and one line per image on stdout:
// "ok <path>" or "error <kind> <message>". --path file (the default) goes through
// ImageProcessor::PreprocessFile (JPEG rows streamed into the resize), --path image through LoadImage
// then Preprocess. --decoded DIR also writes each LoadImage picture as DIR/<index>.npy ([H, W, 3]
// float32 holding the 8-bit values) to compare decoders on their own.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "io/npy.h"
#include "vit/error.h"
#include "vit/image.h"
#include "vit/image_processor.h"

namespace {

const char* KindName(vit::ErrorKind kind) {
  switch (kind) {
    case vit::ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case vit::ErrorKind::kInvalidInput:
      return "invalid_input";
    case vit::ErrorKind::kNotFound:
      return "not_found";
    case vit::ErrorKind::kUnauthorized:
      return "unauthorized";
    case vit::ErrorKind::kUnsupported:
      return "unsupported";
    case vit::ErrorKind::kIo:
      return "io";
    case vit::ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

int Usage() {
  std::fprintf(stderr,
               "usage: vit_preprocess_dump [--config preprocessor_config.json] [--exif-transpose] "
               "[--decoded DIR] [--path file|image] --out pixel_values.npy IMAGE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, out_path, decoded_dir, path_kind = "file";
  vit::DecodeOptions decode;
  std::vector<std::string> images;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--out" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (arg == "--decoded" && i + 1 < argc) {
      decoded_dir = argv[++i];
    } else if (arg == "--path" && i + 1 < argc) {
      path_kind = argv[++i];
      if (path_kind != "file" && path_kind != "image") return Usage();
    } else if (arg == "--exif-transpose") {
      decode.exif_transpose = true;
    } else if (arg.rfind("--", 0) == 0) {
      return Usage();
    } else {
      images.push_back(arg);
    }
  }
  if (out_path.empty() || images.empty()) return Usage();
  try {
    vit::ImageProcessor processor;
    if (!config_path.empty()) {
      std::ifstream in(config_path);
      if (!in) throw vit::Error(config_path + ": cannot open", vit::ErrorKind::kNotFound);
      std::stringstream text;
      text << in.rdbuf();
      processor = vit::ImageProcessor::FromJson(text.str(), config_path);
    }
    const auto n = static_cast<int64_t>(images.size());
    const bool by_file = path_kind == "file";
    std::vector<std::optional<vit::Image>> decoded(images.size());
    std::vector<vit::Tensor> values(images.size());
    std::vector<std::string> errors(images.size());
#pragma omp parallel for schedule(dynamic)
    for (int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<size_t>(i);
      try {
        if (by_file) values[k] = processor.PreprocessFile(images[k], decode);
        if (!by_file || !decoded_dir.empty()) decoded[k] = vit::LoadImage(images[k], decode);
      } catch (const vit::Error& e) {
        errors[k] = std::string(KindName(e.kind())) + " " + e.what();
      } catch (const std::exception& e) {
        errors[k] = std::string("exception ") + e.what();
      }
    }
    std::vector<vit::Image> good;
    std::vector<const vit::Tensor*> rows;
    for (size_t i = 0; i < images.size(); ++i) {
      if (!errors[i].empty()) {
        std::printf("error %s\n", errors[i].c_str());
        continue;
      }
      std::printf("ok %s\n", images[i].c_str());
      if (!decoded_dir.empty()) {
        const vit::Image& img = *decoded[i];
        std::vector<float> rgb(img.rgb.begin(), img.rgb.end());
        vit::io::WriteNpy(decoded_dir + "/" + std::to_string(i) + ".npy", {img.height, img.width, 3}, rgb.data());
      }
      if (by_file) {
        rows.push_back(&values[i]);
      } else {
        good.push_back(std::move(*decoded[i]));
      }
    }
    if (by_file) {
      // Stack the [3, H, W] rows; they must agree, as Preprocess requires.
      const std::array<int, 2> hw = processor.config().OutputSize(processor.config().width, processor.config().height);
      std::vector<int64_t> shape = {0, 3, hw[0], hw[1]};
      if (!rows.empty()) shape = {0, rows[0]->dim(0), rows[0]->dim(1), rows[0]->dim(2)};
      std::vector<float> all;
      for (const vit::Tensor* t : rows) {
        if (t->dim(1) != shape[2] || t->dim(2) != shape[3]) {
          throw vit::Error("images of different sizes without do_resize", vit::ErrorKind::kInvalidArgument);
        }
        all.insert(all.end(), t->data(), t->data() + t->numel());
      }
      shape[0] = static_cast<int64_t>(rows.size());
      vit::io::WriteNpy(out_path, shape, all.data());
    } else {
      const vit::Tensor pixel_values = processor.Preprocess(good);
      vit::io::WriteNpy(out_path, pixel_values.shape(), pixel_values.data());
    }
  } catch (const vit::Error& e) {
    std::fprintf(stderr, "vit_preprocess_dump: %s: %s\n", KindName(e.kind()), e.what());
    return 1;
  }
  return 0;
}
