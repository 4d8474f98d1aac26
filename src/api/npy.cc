#include "vit/npy.h"

#include <cstring>

#include "io/mapped_file.h"
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
  return io::ReadNpyHeader(path).shape;
}

void WriteNpy(const std::filesystem::path& path, const Tensor& tensor) {
  io::WriteNpy(path, tensor.shape(), tensor.data());
}

struct NpyReader::Impl {
  io::MappedFile file;
  io::NpyHeader header;
  int64_t row_elements = 1;
  size_t element_bytes = 4;
};

NpyReader::NpyReader(const std::filesystem::path& path) : impl_(new Impl{io::MappedFile(path), {}, 1, 4}) {
  const std::string where = path.string();
  impl_->header = io::ParseNpyHeader(impl_->file.bytes(), where);
  const io::NpyHeader& h = impl_->header;
  if (h.descr != "<f4" && h.descr != "<f8")
    throw Error(where + ": .npy dtype '" + h.descr + "' is not supported (expected '<f4' or '<f8')");
  if (h.fortran_order) throw Error(where + ": Fortran-order .npy arrays are not supported (save with C order)");
  if (h.shape.empty()) throw Error(where + ": a 0-d .npy array has no rows");
  impl_->element_bytes = h.descr == "<f4" ? 4 : 8;
  uint64_t total = 1;
  for (size_t i = 0; i < h.shape.size(); ++i) {
    const auto d = static_cast<uint64_t>(h.shape[i]);
    if (d != 0 && total > (uint64_t{1} << 62) / d) throw Error(where + ": .npy shape overflows");
    total *= d;
    if (i > 0) impl_->row_elements *= h.shape[i];
  }
  if (total * impl_->element_bytes > impl_->file.size() - h.data_offset)
    throw Error(where + ": .npy data is truncated: the header promises " + std::to_string(total * impl_->element_bytes) +
                " bytes, the file holds " + std::to_string(impl_->file.size() - h.data_offset));
}

NpyReader::~NpyReader() = default;

const std::vector<int64_t>& NpyReader::shape() const { return impl_->header.shape; }

void NpyReader::ReadRows(int64_t first, int64_t count, float* out) const {
  if (first < 0 || count < 0 || first + count > impl_->header.shape[0])
    throw Error("NpyReader: rows out of range", ErrorKind::kInvalidArgument);
  const size_t n = static_cast<size_t>(count * impl_->row_elements);
  const std::byte* src = impl_->file.data() + impl_->header.data_offset +
                         static_cast<size_t>(first * impl_->row_elements) * impl_->element_bytes;
  if (impl_->element_bytes == 4) {
    std::memcpy(out, src, n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, src + i * 8, 8);
      out[i] = static_cast<float>(v);
    }
  }
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
