#include "model/packed_cache.h"

#include <unistd.h>

#include <cstdio>
#include <system_error>

#include "core/hash.h"
#include "io/mapped_file.h"
#include "io/safetensors.h"
#include "vit/error.h"

namespace vit::model {
namespace {

constexpr size_t kAlign = 64;  // the packed weights' alignment, asked by FromPacked
constexpr const char* kKeyField = "vit.packed.key";
constexpr const char* kLayoutPrefix = "vit.packed.layout.";

// What identifies the weights: a changed file (new size or time) gets a new key and is packed again.
std::string KeyOf(const io::TensorSource& source, Precision precision) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::canonical(source.path(), ec);
  if (ec) path = source.path();
  const auto mtime = std::filesystem::last_write_time(path, ec);
  return "vit packed linear layers v1; source " + path.string() + "; bytes " + std::to_string(source.file_bytes()) +
         "; mtime " + std::to_string(ec ? 0 : mtime.time_since_epoch().count()) + "; precision " +
         PrecisionName(precision);
}

}  // namespace

PackedCache::PackedCache(const std::filesystem::path& dir, const io::TensorSource& source,
                         Precision precision)
    : key_(KeyOf(source, precision)), precision_(precision) {
  char name[64];
  std::snprintf(name, sizeof name, "%016llx-%s.safetensors", static_cast<unsigned long long>(core::Fnv1a64(key_)),
                PrecisionName(precision));
  file_ = dir / name;
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) return;
  try {
    auto mapped = std::make_shared<io::MappedFile>(file_);
    records_ = io::ParseSafetensors(mapped->bytes(), file_.string(), &metadata_);
    if (metadata_[kKeyField] != key_) throw Error("its key is for other weights");
    mapping_ = std::move(mapped);
  } catch (const Error& e) {
    ignored_ = e.what();
    records_.clear();
    metadata_.clear();
  }
}

PackedCache::~PackedCache() = default;

const io::TensorRecord* PackedCache::Record(const std::string& name, io::DType dtype) const {
  for (const auto& r : records_)
    if (r.name == name) return r.dtype == dtype ? &r : nullptr;
  return nullptr;
}

std::optional<kernels::PackedLinear> PackedCache::Find(const std::string& name, int64_t out_features,
                                                       int64_t in_features) {
  const auto layout = metadata_.find(kLayoutPrefix + name);
  const io::TensorRecord* weights = Record(name + ".weights", io::DType::kU8);
  const io::TensorRecord* bias = Record(name + ".bias", io::DType::kF32);
  const io::TensorRecord* scales = Record(name + ".scales", io::DType::kF32);
  const io::TensorRecord* offsets = Record(name + ".offsets", io::DType::kF32);
  if (layout == metadata_.end() || weights == nullptr || bias == nullptr) {
    ++misses_;
    return std::nullopt;
  }
  auto floats = [](const io::TensorRecord* r) {
    return r == nullptr ? std::span<const float>()
                        : std::span<const float>(reinterpret_cast<const float*>(r->data), r->nbytes / sizeof(float));
  };
  try {  // FromPacked checks the layout against this process's and every size
    auto linear = kernels::PackedLinear::FromPacked({weights->data, weights->nbytes}, layout->second, floats(bias),
                                                    floats(scales), floats(offsets), out_features, in_features,
                                                    precision_, mapping_);
    ++hits_;
    return linear;
  } catch (const Error&) {
    ++misses_;
    return std::nullopt;
  }
}

void PackedCache::Add(const std::string& name, const kernels::PackedLinear& linear) {
  entries_.push_back({name, linear.layout(), linear.packed_weights(), linear.bias(), linear.weight_scales(),
                      linear.offset_terms()});
}

std::string PackedCache::Save() {
  if (misses_ == 0 && mapping_) return "used " + file_.string();
  const std::filesystem::path temporary = file_.string() + ".tmp." + std::to_string(::getpid());
  try {
    // Written straight from the layers' memory (no second copy of the weights); zero padding after each
    // layer keeps every packed block at a 64-byte file offset, so it maps aligned.
    static const std::byte zeros[kAlign] = {};
    std::vector<io::TensorRecord> records;
    std::map<std::string, std::string> metadata{{kKeyField, key_}};
    size_t offset = 0;
    auto add = [&](const std::string& name, io::DType dtype, const void* data, size_t bytes) {
      io::TensorRecord r;
      r.name = name;
      r.dtype = dtype;
      r.shape = {static_cast<int64_t>(bytes / io::DTypeSize(dtype))};
      r.data = static_cast<const std::byte*>(data);
      r.nbytes = bytes;
      records.push_back(std::move(r));
      offset += bytes;
    };
    for (const Entry& e : entries_) {
      add(e.name + ".weights", io::DType::kU8, e.weights.data(), e.weights.size());
      add(e.name + ".bias", io::DType::kF32, e.bias.data(), e.bias.size_bytes());
      if (!e.scales.empty()) add(e.name + ".scales", io::DType::kF32, e.scales.data(), e.scales.size_bytes());
      if (!e.offsets.empty()) add(e.name + ".offsets", io::DType::kF32, e.offsets.data(), e.offsets.size_bytes());
      if (offset % kAlign != 0) add(e.name + ".padding", io::DType::kU8, zeros, kAlign - offset % kAlign);
      metadata[kLayoutPrefix + e.name] = e.layout;
    }
    std::filesystem::create_directories(file_.parent_path());
    io::WriteSafetensors(temporary, records, metadata);
    std::filesystem::rename(temporary, file_);
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove(temporary, ec);
    return std::string("not written: ") + e.what();
  }
  return "wrote " + file_.string() + (ignored_.empty() ? "" : " (replacing a file not used: " + ignored_ + ")");
}

}  // namespace vit::model
