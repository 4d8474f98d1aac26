// Writes pickles opcode by opcode, for tests and fuzz seeds: the state_dict shape that torch.save
// produces, and anything hostile a test wants to put next to it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/io_testing.h"

namespace vit::io::testing {

class PickleBuilder {
 public:
  PickleBuilder& Op(uint8_t op) {
    bytes_ += static_cast<char>(op);
    return *this;
  }
  PickleBuilder& Raw(const std::string& s) {
    bytes_ += s;
    return *this;
  }
  PickleBuilder& Proto(uint8_t version = 2) { return Op(0x80).Op(version); }
  PickleBuilder& Global(const std::string& module, const std::string& name) {
    return Op('c').Raw(module + "\n" + name + "\n");
  }
  PickleBuilder& Mark() { return Op('('); }
  PickleBuilder& Str(const std::string& s) { return Op('X').Le(s.size(), 4).Raw(s); }
  PickleBuilder& Int(int64_t v) {
    if (v >= 0 && v < 256) return Op('K').Le(static_cast<uint64_t>(v), 1);
    if (v >= 0 && v < 65536) return Op('M').Le(static_cast<uint64_t>(v), 2);
    if (v >= INT32_MIN && v <= INT32_MAX) return Op('J').Le(static_cast<uint64_t>(v), 4);
    return Op(0x8a).Op(8).Le(static_cast<uint64_t>(v), 8);
  }
  PickleBuilder& Bool(bool b) { return Op(b ? 0x88 : 0x89); }
  PickleBuilder& None() { return Op('N'); }
  PickleBuilder& Tuple() { return Op('t'); }
  PickleBuilder& EmptyTuple() { return Op(')'); }
  PickleBuilder& EmptyDict() { return Op('}'); }
  PickleBuilder& Reduce() { return Op('R'); }
  PickleBuilder& Build() { return Op('b'); }
  PickleBuilder& SetItem() { return Op('s'); }
  PickleBuilder& SetItems() { return Op('u'); }
  PickleBuilder& PersId() { return Op('Q'); }
  PickleBuilder& Put(uint32_t i) { return i < 256 ? Op('q').Le(i, 1) : Op('r').Le(i, 4); }
  PickleBuilder& Get(uint32_t i) { return i < 256 ? Op('h').Le(i, 1) : Op('j').Le(i, 4); }
  PickleBuilder& Stop() { return Op('.'); }
  PickleBuilder& IntTuple(const std::vector<int64_t>& v) {
    Mark();
    for (int64_t x : v) Int(x);
    return Tuple();
  }
  PickleBuilder& OrderedDict() { return Global("collections", "OrderedDict").EmptyTuple().Reduce(); }

  // _rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()) as torch writes it.
  PickleBuilder& Tensor(const std::string& storage_type, const std::string& key, int64_t numel, int64_t offset,
                        const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
    Global("torch._utils", "_rebuild_tensor_v2").Mark();
    Mark().Str("storage").Global("torch", storage_type).Str(key).Str("cpu").Int(numel).Tuple().PersId();
    Int(offset).IntTuple(size).IntTuple(stride).Bool(false).OrderedDict();
    return Tuple().Reduce();
  }

  const std::string& bytes() const { return bytes_; }

 private:
  PickleBuilder& Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_ += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  std::string bytes_;
};

struct TensorSpec {
  std::string name;
  std::string storage_type = "FloatStorage";
  std::string key = "0";
  int64_t numel = 1;
  int64_t offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

// An OrderedDict of tensors, with the _metadata BUILD that module.state_dict() adds.
inline std::string StateDictPickle(const std::vector<TensorSpec>& tensors) {
  PickleBuilder p;
  p.Proto().Global("collections", "OrderedDict").Put(0).EmptyTuple().Reduce().Mark();
  for (const TensorSpec& t : tensors) p.Str(t.name).Tensor(t.storage_type, t.key, t.numel, t.offset, t.size, t.stride);
  p.SetItems();
  p.EmptyDict().Str("_metadata").Get(0).EmptyTuple().Reduce().Mark().Str("").EmptyDict().Str("version").Int(1);
  p.SetItem().SetItems().SetItem().Build().Stop();
  return p.bytes();
}

// A torch.save zip: archive/data.pkl, archive/data/<key> for each storage, archive/version.
inline std::string TorchZip(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages,
                            bool zip64 = true) {
  std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", pickle}};
  for (const auto& [key, data] : storages) entries.emplace_back("archive/data/" + key, data);
  entries.emplace_back("archive/version", "3\n");
  return StoredZip(entries, zip64);
}

}  // namespace vit::io::testing
