#include "vit/npy.h"

#include <cstring>
#include <fstream>

#include "io/npy.h"
#include "io/npy_block_writer.h"
#include "io/npy_parse.h"
#include "vit/error.h"

namespace vit {

Tensor ReadNpy(const std::filesystem::path& path) {
  io::NpyArray array = io::ReadNpy(path);
  Tensor t(array.shape);
  if (!array.data.empty()) std::memcpy(t.data(), array.data.data(), array.data.size() * sizeof(float));
  return t;
}

std::vector<int64_t> ReadNpyShape(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open", ErrorKind::kNotFound);
  std::vector<char> head(65536 + 16);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return io::ParseNpyHeader(std::as_bytes(std::span(head)), path.string()).shape;
}

void WriteNpy(const std::filesystem::path& path, const Tensor& tensor) {
  io::WriteNpy(path, tensor.shape(), tensor.data());
}

struct NpyWriter::Impl {
  io::NpyBlockWriter writer;
  int row_axis;
};

NpyWriter::NpyWriter(const std::filesystem::path& path, std::vector<int64_t> shape, int row_axis)
    : impl_(new Impl{io::NpyBlockWriter(path, std::move(shape), row_axis), row_axis}) {}
NpyWriter::~NpyWriter() = default;

void NpyWriter::WriteRows(int64_t first_row, const Tensor& block) {
  const auto& shape = impl_->writer.shape();
  bool ok = block.rank() == static_cast<int>(shape.size());
  for (int i = 0; ok && i < block.rank(); ++i)
    ok = i == impl_->row_axis || block.dim(i) == shape[static_cast<size_t>(i)];
  if (!ok)
    throw Error("NpyWriter: block " + block.ShapeString() + " does not fit the array's other dimensions",
                ErrorKind::kInvalidArgument);
  impl_->writer.WriteRows(first_row, block.dim(impl_->row_axis), block.data());
}

void NpyWriter::WriteRows(int64_t first_row, const std::vector<Tensor>& slices) {
  const auto& shape = impl_->writer.shape();
  if (impl_->row_axis != 1 || static_cast<int64_t>(slices.size()) != shape[0])
    throw Error("NpyWriter: expected " + std::to_string(shape[0]) + " slices along axis 0", ErrorKind::kInternal);
  for (size_t i = 0; i < slices.size(); ++i) {
    const Tensor& s = slices[i];
    bool ok = s.rank() + 1 == static_cast<int>(shape.size());
    for (int k = 1; ok && k < s.rank(); ++k) ok = s.dim(k) == shape[static_cast<size_t>(k + 1)];
    if (!ok) throw Error("NpyWriter: slice " + s.ShapeString() + " does not fit the array", ErrorKind::kInvalidArgument);
    impl_->writer.WriteSlab(static_cast<int64_t>(i), first_row, s.dim(0), s.data());
  }
}

void NpyWriter::Finish(int64_t rows) { impl_->writer.Finish(rows); }
const std::vector<int64_t>& NpyWriter::shape() const { return impl_->writer.shape(); }

}  // namespace vit
