// pytorch_model.bin as torch.save (>= 1.6) writes it: a zip of <archive>/data.pkl (the state_dict's
// pickle) and one stored entry <archive>/data/<key> per storage. Read without executing anything:
// see unpickler.h. Tensors point into the archive's bytes; strided views are copied.
#pragma once

#include <cstddef>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "io/tensor_source.h"

namespace vit::io {

// The tensors of a torch.save zip image. Records point into `bytes`, or into a buffer appended to
// `copies` for tensors that are not contiguous in their storage. `where` names the file in errors.
std::vector<TensorRecord> ParseTorchCheckpoint(std::span<const std::byte> bytes, const std::string& where,
                                               std::deque<std::vector<std::byte>>& copies);

}  // namespace vit::io
