// Images as Python hands them over (file paths, encoded bytes, uint8 RGB arrays [H, W, 3]) and their
// decoding and preprocessing, spread over the threads with the GIL released.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vit/error.h"
#include "vit/image.h"
#include "vit/image_processor.h"
#include "vit/tensor.h"

namespace vit::python {

struct ImageInput {
  enum class Kind { kPath, kEncoded, kPixels } kind = Kind::kPath;
  std::string name;                 // the path, or images[i]: what an error names
  std::filesystem::path path;
  const uint8_t* data = nullptr;    // encoded bytes, or RGB rows for kPixels
  size_t size = 0;
  int height = 0, width = 0;
  pybind11::object keep;            // the Python object data points into
};

// From a list of str/os.PathLike, bytes, or C-contiguous uint8 arrays [H, W, 3]; needs the GIL.
std::vector<ImageInput> ParseImageInputs(const pybind11::sequence& items);

// One image's pixel_values [3, H, W], or the error that stopped it.
struct Preprocessed {
  Tensor pixel_values;
  std::string error;  // empty when it worked
  ErrorKind kind = ErrorKind::kInvalidInput;
};

// Items [begin, end) of inputs, preprocessed in parallel on the calling thread's OpenMP team. Call
// without the GIL: it touches no Python object.
std::vector<Preprocessed> PreprocessRange(const ImageProcessor& processor, const std::vector<ImageInput>& inputs,
                                          size_t begin, size_t end, const DecodeOptions& decode);

// Stacks rows of equal shape into [B, 3, H, W]; kInvalidArgument naming the first input whose size
// differs (names[i] is row i's input).
Tensor StackRows(const std::vector<const Tensor*>& rows, const std::vector<const std::string*>& names);

}  // namespace vit::python
