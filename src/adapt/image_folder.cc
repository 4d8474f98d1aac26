// torchvision's ImageFolder layout, read the way torchvision reads it (find_classes, make_dataset),
// so that class ids here are the ids a PyTorch user of the same folder gets.
#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace fs = std::filesystem;
namespace {

// torchvision.datasets.folder.IMG_EXTENSIONS
constexpr const char* kImageFolderExtensions[] = {".jpg", ".jpeg", ".png", ".ppm", ".bmp",
                                                  ".pgm", ".tif",  ".tiff", ".webp"};
constexpr int kMaxDepth = 64;  // symlink loops end here rather than in ELOOP

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

bool HasImageExtension(const fs::path& file, bool also_gif) {
  const std::string ext = Lower(file.extension().string());
  for (const char* e : kImageFolderExtensions)
    if (ext == e) return true;
  return also_gif && ext == ".gif";
}

// os.walk(dir, followlinks=True) with its (root, files) pairs sorted by root and files sorted by
// name: make_dataset's order.
std::vector<fs::path> WalkImages(const fs::path& dir, bool also_gif) {
  std::vector<std::pair<std::string, std::vector<std::string>>> folders;
  std::error_code ec;
  auto walk = [&](auto&& self, const fs::path& folder, int depth) -> void {
    if (depth > kMaxDepth) throw Error(folder.string() + ": folders nested deeper than 64 (a symlink loop?)");
    std::vector<std::string> files;
    fs::directory_iterator it(folder, fs::directory_options::follow_directory_symlink, ec), end;
    if (ec) throw Error(folder.string() + ": cannot list the folder: " + ec.message(), ErrorKind::kIo);
    std::vector<fs::path> subfolders;
    for (; it != end; it.increment(ec)) {
      if (ec) throw Error(folder.string() + ": cannot list the folder: " + ec.message(), ErrorKind::kIo);
      std::error_code type_ec;
      if (it->is_directory(type_ec)) subfolders.push_back(it->path());
      else if (HasImageExtension(it->path(), also_gif)) files.push_back(it->path().filename().string());
    }
    std::sort(files.begin(), files.end());
    folders.emplace_back(folder.string(), std::move(files));
    for (const fs::path& sub : subfolders) self(self, sub, depth + 1);
  };
  walk(walk, dir, 0);
  std::sort(folders.begin(), folders.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<fs::path> out;
  for (const auto& [folder, files] : folders)
    for (const std::string& f : files) out.push_back(fs::path(folder) / f);
  return out;
}

void RequireFolder(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw Error(root.string() + ": no such folder", ErrorKind::kNotFound);
  if (!fs::is_directory(root, ec))
    throw Error(root.string() + ": not a folder (an ImageFolder has one sub-folder per class)",
                ErrorKind::kInvalidArgument);
}

std::vector<std::string> FindClasses(const fs::path& root) {
  RequireFolder(root);
  std::vector<std::string> classes;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) classes.push_back(it->path().filename().string());
  }
  if (ec) throw Error(root.string() + ": cannot list the folder: " + ec.message(), ErrorKind::kIo);
  std::sort(classes.begin(), classes.end());
  if (classes.empty())
    throw Error(root.string() + ": no class folders (an ImageFolder has one sub-folder per class)",
                ErrorKind::kInvalidInput);
  return classes;
}

ImageFolder Scan(const fs::path& root, const std::vector<std::string>& classes, const std::vector<std::string>& present) {
  ImageFolder folder;
  folder.classes = classes;
  std::vector<std::string> empty;
  for (const std::string& name : present) {
    const auto id = static_cast<int>(std::find(classes.begin(), classes.end(), name) - classes.begin());
    const std::vector<fs::path> files = WalkImages(root / name, false);
    if (files.empty()) empty.push_back(name);
    for (const fs::path& f : files) {
      folder.files.push_back(f);
      folder.labels.push_back(id);
    }
  }
  if (!empty.empty()) {
    std::string names;
    for (const auto& n : empty) names += (names.empty() ? "" : ", ") + n;
    throw Error(root.string() + ": no image in the class folder(s) " + names +
                    " (extensions .jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp, as torchvision's ImageFolder)",
                ErrorKind::kInvalidInput);
  }
  return folder;
}

}  // namespace

ImageFolder ScanImageFolder(const fs::path& root) {
  const std::vector<std::string> classes = FindClasses(root);
  return Scan(root, classes, classes);
}

ImageFolder ScanImageFolder(const fs::path& root, const std::vector<std::string>& classes) {
  const std::vector<std::string> present = FindClasses(root);
  for (const std::string& name : present)
    if (std::find(classes.begin(), classes.end(), name) == classes.end())
      throw Error(root.string() + ": class folder \"" + name + "\" is not one of the training classes",
                  ErrorKind::kInvalidInput);
  return Scan(root, classes, present);
}

std::vector<fs::path> ListImageFiles(std::span<const std::string> inputs) {
  std::vector<fs::path> out;
  for (const std::string& input : inputs) {
    std::error_code ec;
    const fs::path path(input);
    if (!fs::exists(path, ec)) throw Error(input + ": no such file or folder", ErrorKind::kNotFound);
    if (fs::is_directory(path, ec)) {
      const std::vector<fs::path> files = WalkImages(path, true);
      if (files.empty()) throw Error(input + ": no image files in this folder", ErrorKind::kInvalidInput);
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(path);
    }
  }
  return out;
}

}  // namespace vit
