// vit::Tensor <-> numpy. Outputs share the Tensor's storage (the array keeps a reference to it, so the
// model never reuses storage a Python array still shows); inputs are checked and copied into a Tensor.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "vit/tensor.h"

namespace vit::python {

// A float32 array over t's storage, without a copy; None for an empty Tensor.
pybind11::object ToNumpy(const Tensor& t);
// A tuple of ToNumpy arrays.
pybind11::tuple ToNumpyTuple(const std::vector<Tensor>& tensors);

// A copy of a C-contiguous float32 array of `rank` dimensions (any rank when rank < 0), named `what` in
// errors (vit::Error kInvalidArgument for a wrong dtype, rank, layout, or NaN/infinity when finite).
Tensor FromNumpy(const pybind11::array& array, const std::string& what, int rank, bool finite);

}  // namespace vit::python
