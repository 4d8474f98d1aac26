#include "inputs.h"

#include <algorithm>
#include <cctype>

#include "vit/error.h"
#include "vit/npy.h"

namespace vit::tool {
namespace {

std::string LowerExtension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

void AddFile(const std::filesystem::path& path, std::vector<InputItem>& items) {
  if (LowerExtension(path) == ".npy") {
    const auto shape = ReadNpyShape(path);
    if (shape.size() != 4)
      throw Error(path.string() + ": pixel_values must be [batch, channels, height, width], got " +
                      std::to_string(shape.size()) + " dimensions",
                  ErrorKind::kInvalidArgument);
    for (int64_t i = 0; i < shape[0]; ++i) items.push_back({path, i});
  } else {
    items.push_back({path, -1});
  }
}

}  // namespace

std::string InputItem::Name() const {
  return npy_row < 0 ? path.string() : path.string() + "[" + std::to_string(npy_row) + "]";
}

bool IsImageExtension(const std::filesystem::path& path) {
  static const char* kExtensions[] = {".jpg", ".jpeg", ".jpe", ".jfif", ".mpo", ".png", ".webp", ".bmp", ".dib",
                                      ".gif", ".tif", ".tiff", ".pbm", ".pgm", ".ppm", ".pnm", ".tga", ".ico",
                                      ".cur", ".pcx", ".sgi", ".rgb", ".rgba", ".bw", ".xbm", ".dds", ".psd",
                                      ".jp2", ".j2k", ".j2c", ".jpc", ".jpf", ".jpx", ".heic", ".heif", ".hif",
                                      ".avif"};
  const std::string ext = LowerExtension(path);
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

std::vector<InputItem> ExpandInputs(const std::vector<std::string>& inputs) {
  std::vector<InputItem> items;
  for (const std::string& input : inputs) {
    const std::filesystem::path path(input);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (auto it = std::filesystem::recursive_directory_iterator(
               path, std::filesystem::directory_options::follow_directory_symlink, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && (IsImageExtension(it->path()) || LowerExtension(it->path()) == ".npy"))
          files.push_back(it->path());
      }
      if (ec) throw Error(input + ": cannot list folder: " + ec.message(), ErrorKind::kIo);
      std::sort(files.begin(), files.end());
      for (const auto& f : files) AddFile(f, items);
    } else if (std::filesystem::exists(path, ec)) {
      AddFile(path, items);
    } else {
      throw Error(input + ": no such file or folder", ErrorKind::kNotFound);
    }
  }
  return items;
}

}  // namespace vit::tool
