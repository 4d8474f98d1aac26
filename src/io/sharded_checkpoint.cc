// model.safetensors.index.json / pytorch_model.bin.index.json: {"metadata": {...}, "weight_map":
// {tensor name: shard file name}}. Each shard is opened once; the tensors are the weight_map's, in
// shard order and, within a shard, in file order.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/json.h"
#include "io/tensor_source.h"
#include "vit/error.h"

namespace vit::io {
namespace {

class ShardedSource final : public TensorSource {
 public:
  explicit ShardedSource(const std::filesystem::path& index_json) : path_(index_json) {
    const std::string where = index_json.string();
    const Json index = ReadJsonFile(index_json);
    if (!index.is_object()) throw Error(where + ": expected a JSON object with a \"weight_map\"");
    auto weight_map = index.find("weight_map");
    if (weight_map == index.end() || !weight_map->is_object()) {
      throw Error(where + ": \"weight_map\" is missing or not an object of tensor name -> shard file");
    }

    // Shard file names in order of first appearance.
    std::vector<std::string> shard_names;
    std::map<std::string, std::string> shard_of;  // tensor -> shard
    for (const auto& [tensor, shard] : weight_map->items()) {
      if (!shard.is_string()) {
        throw Error(where + ": weight_map[\"" + tensor + "\"] is " + shard.dump() + ", expected a file name");
      }
      const std::string& shard_name = shard.get_ref<const std::string&>();
      CheckShardName(shard_name, where, tensor);
      if (std::find(shard_names.begin(), shard_names.end(), shard_name) == shard_names.end()) {
        shard_names.push_back(shard_name);
      }
      shard_of.emplace(tensor, shard_name);
    }
    if (shard_names.empty()) throw Error(where + ": weight_map is empty");

    const std::filesystem::path folder = index_json.parent_path();
    for (const std::string& shard_name : shard_names) {
      std::filesystem::path shard_path = folder / shard_name;
      std::error_code ec;
      if (!std::filesystem::is_regular_file(shard_path, ec)) {
        throw Error(where + ": shard " + shard_name + " named in weight_map does not exist", ErrorKind::kNotFound);
      }
      std::unique_ptr<TensorSource> shard = OpenShard(shard_path, where);
      file_bytes_ += shard->file_bytes();
      std::set<std::string> found;
      for (const TensorRecord& record : shard->tensors()) {
        auto it = shard_of.find(record.name);
        if (it != shard_of.end() && it->second == shard_name) {
          tensors_.push_back(record);
          owner_.push_back(shards_.size());
          found.insert(record.name);
        }
      }
      for (const auto& [tensor, owner] : shard_of) {
        if (owner == shard_name && !found.count(tensor)) {
          throw Error(where + ": weight_map puts \"" + tensor + "\" in " + shard_name + ", but that shard has no such tensor");
        }
      }
      shards_.push_back(std::move(shard));
    }
  }

  const std::vector<TensorRecord>& tensors() const override { return tensors_; }
  const std::filesystem::path& path() const override { return path_; }
  uint64_t file_bytes() const override { return file_bytes_; }
  void ReleasePages() override {
    for (auto& shard : shards_) shard->ReleasePages();
  }
  void ReleaseTensor(const TensorRecord& tensor) override {
    for (auto& shard : shards_) shard->ReleaseTensor(tensor);  // only its owner's mapping holds it
  }
  void CopyBytes(const TensorRecord& tensor, std::byte* out) const override {
    // Records handed out are this source's own, so their index names the shard that holds them.
    const auto offset = reinterpret_cast<uintptr_t>(&tensor) - reinterpret_cast<uintptr_t>(tensors_.data());
    const size_t i = offset / sizeof(TensorRecord);
    if (i < tensors_.size() && &tensors_[i] == &tensor) return shards_[owner_[i]]->CopyBytes(tensor, out);
    TensorSource::CopyBytes(tensor, out);
  }

 private:
  // Shards live beside the index: a bare relative path with no way out of the folder.
  static void CheckShardName(const std::string& name, const std::string& where, const std::string& tensor) {
    std::filesystem::path p(name);
    bool escapes = name.empty() || p.is_absolute() || p.has_root_name() || p.has_root_directory();
    for (const auto& part : p) escapes = escapes || part == "..";
    if (escapes || name.find('\0') != std::string::npos) {
      throw Error(where + ": weight_map[\"" + tensor + "\"] names shard \"" + name +
                  "\", expected a file name inside the checkpoint folder");
    }
  }

  static std::unique_ptr<TensorSource> OpenShard(const std::filesystem::path& shard, const std::string& where) {
    const std::string ext = shard.extension().string();
    if (ext == ".safetensors") return OpenSafetensors(shard);
    if (ext == ".bin" || ext == ".pt" || ext == ".pth") return OpenTorchCheckpoint(shard);
    throw Error(where + ": shard " + shard.filename().string() + " is neither .safetensors nor .bin",
                ErrorKind::kUnsupported);
  }

  std::filesystem::path path_;
  std::vector<std::unique_ptr<TensorSource>> shards_;
  std::vector<size_t> owner_;  // per tensor of tensors_: its index in shards_
  std::vector<TensorRecord> tensors_;
  uint64_t file_bytes_ = 0;
};

}  // namespace

std::unique_ptr<TensorSource> OpenShardedCheckpoint(const std::filesystem::path& index_json) {
  return std::make_unique<ShardedSource>(index_json);
}

}  // namespace vit::io
