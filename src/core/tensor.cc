#include "vit/tensor.h"

#include <cstring>

#include "core/aligned.h"
#include "vit/error.h"

namespace vit {
namespace {

int64_t Product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("negative tensor dimension", ErrorKind::kInvalidArgument);
    if (d != 0 && n > INT64_MAX / d) throw Error("tensor shape overflows", ErrorKind::kInvalidArgument);
    n *= d;
  }
  return n;
}

}  // namespace

Tensor::Tensor(std::vector<int64_t> shape) : shape_(std::move(shape)) {
  const int64_t n = Product(shape_);
  storage_ = std::shared_ptr<float>(static_cast<float*>(core::AlignedAlloc(static_cast<size_t>(n) * sizeof(float))),
                                    core::AlignedDeleter());
  data_ = storage_.get();
}

Tensor Tensor::Zeros(std::vector<int64_t> shape) {
  Tensor t(std::move(shape));
  std::memset(t.data(), 0, static_cast<size_t>(t.numel()) * sizeof(float));
  return t;
}

int64_t Tensor::numel() const { return shape_.empty() && data_ == nullptr ? 0 : Product(shape_); }

Tensor Tensor::Rows(int64_t begin, int64_t end) const {
  if (rank() == 0 || begin < 0 || end < begin || end > shape_[0])
    throw Error("Tensor::Rows(" + std::to_string(begin) + ", " + std::to_string(end) + ") out of range for " +
                    ShapeString(),
                ErrorKind::kInvalidArgument);
  Tensor t = *this;
  t.shape_[0] = end - begin;
  t.data_ = data_ + begin * (numel() / (shape_[0] == 0 ? 1 : shape_[0]));
  return t;
}

Tensor Tensor::Reshaped(std::vector<int64_t> shape) const {
  if (Product(shape) != numel())
    throw Error("cannot reshape " + ShapeString() + " to another element count", ErrorKind::kInvalidArgument);
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::Clone() const {
  Tensor t(shape_);
  if (numel() > 0) std::memcpy(t.data(), data_, static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

std::string Tensor::ShapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape_.size(); ++i) s += (i ? "," : "") + std::to_string(shape_[i]);
  return s + "]";
}

}  // namespace vit
