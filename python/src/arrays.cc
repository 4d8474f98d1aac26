#include "arrays.h"

#include <cmath>
#include <cstring>

#include "vit/error.h"

namespace py = pybind11;

namespace vit::python {

py::object ToNumpy(const Tensor& t) {
  if (t.shape().empty()) return py::none();
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  if (t.numel() == 0) return py::array_t<float>(shape);
  auto* owner = new Tensor(t);
  py::capsule keep(owner, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array_t<float>(shape, owner->data(), keep);
}

py::tuple ToNumpyTuple(const std::vector<Tensor>& tensors) {
  py::tuple out(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) out[i] = ToNumpy(tensors[i]);
  return out;
}

Tensor FromNumpy(const py::array& array, const std::string& what, int rank, bool finite) {
  if (!py::array_t<float>::check_(array))
    throw Error(what + ": expected float32 values, got dtype " + std::string(py::str(array.dtype())),
                ErrorKind::kInvalidArgument);
  if (rank >= 0 && array.ndim() != rank)
    throw Error(what + ": expected " + std::to_string(rank) + " dimensions, got " + std::to_string(array.ndim()),
                ErrorKind::kInvalidArgument);
  if (!(array.flags() & py::array::c_style))
    throw Error(what + ": expected a C-contiguous array (numpy.ascontiguousarray)", ErrorKind::kInvalidArgument);
  std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
  Tensor t(shape);
  const auto n = static_cast<size_t>(t.numel());
  if (n > 0) std::memcpy(t.data(), array.data(), n * sizeof(float));
  if (finite) {
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(t.data()[i]))
        throw Error(what + ": holds NaN or infinite values (the first at flat index " + std::to_string(i) + ")",
                    ErrorKind::kInvalidArgument);
    }
  }
  return t;
}

}  // namespace vit::python
