// A dense, row-major float32 array with shared ownership: the currency of the public API
// (pixel_values in, last_hidden_state / pooler_output / ... out).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vit {

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised storage, 64-byte aligned.
  explicit Tensor(std::vector<int64_t> shape);
  static Tensor Zeros(std::vector<int64_t> shape);

  const std::vector<int64_t>& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_.at(static_cast<size_t>(i < 0 ? i + rank() : i)); }
  int64_t numel() const;
  bool empty() const { return numel() == 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  std::span<float> values() { return {data_, static_cast<size_t>(numel())}; }
  std::span<const float> values() const { return {data_, static_cast<size_t>(numel())}; }

  // Rows [begin, end) of the leading dimension, sharing storage.
  Tensor Rows(int64_t begin, int64_t end) const;
  // Same storage, another shape of the same element count.
  Tensor Reshaped(std::vector<int64_t> shape) const;
  // A deep copy.
  Tensor Clone() const;
  // Whether no other Tensor (copy, Rows, Reshaped) shares this one's storage.
  bool sole_owner() const { return storage_ != nullptr && storage_.use_count() == 1; }

  std::string ShapeString() const;  // "[4,197,1024]"

 private:
  std::vector<int64_t> shape_;
  std::shared_ptr<float> storage_;
  float* data_ = nullptr;
};

}  // namespace vit
