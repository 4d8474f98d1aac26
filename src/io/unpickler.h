// A pickle reader that understands exactly what torch.save writes for a state_dict and nothing more.
// It never imports or calls anything: GLOBAL is checked against an allow-list of names whose effect
// is reimplemented here (an OrderedDict, a tensor view of a storage, a Parameter wrapper), and every
// other opcode or global is an error naming it. Storages stay symbolic: the key of their zip entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/tensor_source.h"

namespace vit::io {

// A torch storage as named by a persistent id: ('storage', torch.FloatStorage, key, location, numel).
struct PickledStorage {
  std::string key;  // the archive entry <archive>/data/<key>
  DType dtype = DType::kF32;
  uint64_t numel = 0;
};

// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...).
struct PickledTensor {
  std::string name;  // the state_dict key
  PickledStorage storage;
  int64_t storage_offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

// The tensors of a pickled {name: tensor} dict (OrderedDict or dict), in pickle order. `where`
// names the file in error messages.
std::vector<PickledTensor> UnpickleStateDict(std::span<const std::byte> pickle, const std::string& where);

}  // namespace vit::io
