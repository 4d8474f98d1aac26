#include "images.h"

#include <cstring>
#include <exception>

namespace py = pybind11;

namespace vit::python {

std::vector<ImageInput> ParseImageInputs(const py::sequence& items) {
  std::vector<ImageInput> inputs;
  inputs.reserve(items.size());
  py::object fspath = py::module_::import("os").attr("fspath");
  py::object path_like = py::module_::import("os").attr("PathLike");
  for (size_t i = 0; i < items.size(); ++i) {
    py::object item = items[i];
    ImageInput in;
    in.name = "images[" + std::to_string(i) + "]";
    if (py::isinstance<py::str>(item) || py::isinstance(item, path_like)) {
      in.kind = ImageInput::Kind::kPath;
      in.name = py::str(fspath(item)).cast<std::string>();
      in.path = in.name;
    } else if (py::isinstance<py::bytes>(item)) {
      in.kind = ImageInput::Kind::kEncoded;
      char* data = nullptr;
      py::ssize_t size = 0;
      if (PyBytes_AsStringAndSize(item.ptr(), &data, &size) != 0) throw py::error_already_set();
      in.data = reinterpret_cast<const uint8_t*>(data);
      in.size = static_cast<size_t>(size);
      in.keep = item;
    } else if (py::isinstance<py::array>(item)) {
      auto array = item.cast<py::array>();
      if (!py::array_t<uint8_t>::check_(array) || array.ndim() != 3 || array.shape(2) != 3 ||
          !(array.flags() & py::array::c_style))
        throw Error(in.name + ": expected a C-contiguous uint8 RGB array [height, width, 3], got dtype " +
                        std::string(py::str(array.dtype())) + " and " + std::to_string(array.ndim()) + " dimensions",
                    ErrorKind::kInvalidArgument);
      if (array.shape(0) == 0 || array.shape(1) == 0)
        throw Error(in.name + ": an image of size 0", ErrorKind::kInvalidArgument);
      in.kind = ImageInput::Kind::kPixels;
      in.height = static_cast<int>(array.shape(0));
      in.width = static_cast<int>(array.shape(1));
      in.data = static_cast<const uint8_t*>(array.data());
      in.size = static_cast<size_t>(array.nbytes());
      in.keep = item;
    } else {
      throw Error(in.name + ": expected a file path, encoded image bytes or a uint8 array, got " +
                      std::string(py::str(py::type::of(item).attr("__name__"))),
                  ErrorKind::kInvalidArgument);
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

namespace {

Tensor PreprocessOne(const ImageProcessor& processor, const ImageInput& in, const DecodeOptions& decode) {
  switch (in.kind) {
    case ImageInput::Kind::kPath: return processor.PreprocessFile(in.path, decode);
    case ImageInput::Kind::kEncoded: return processor.PreprocessEncoded({in.data, in.size}, in.name, decode);
    case ImageInput::Kind::kPixels: break;
  }
  Image image;
  image.height = in.height;
  image.width = in.width;
  image.rgb.assign(in.data, in.data + in.size);
  const std::array<int, 2> hw = processor.config().OutputSize(in.width, in.height);
  Tensor out({3, hw[0], hw[1]});
  processor.PreprocessInto(image, out.data());
  return out;
}

}  // namespace

std::vector<Preprocessed> PreprocessRange(const ImageProcessor& processor, const std::vector<ImageInput>& inputs,
                                          size_t begin, size_t end, const DecodeOptions& decode) {
  const auto n = static_cast<int64_t>(end - begin);
  std::vector<Preprocessed> out(static_cast<size_t>(n));
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < n; ++i) {
    Preprocessed& p = out[static_cast<size_t>(i)];
    try {
      p.pixel_values = PreprocessOne(processor, inputs[begin + static_cast<size_t>(i)], decode);
    } catch (const Error& e) {
      p.error = e.what();
      p.kind = e.kind();
    } catch (const std::exception& e) {
      p.error = inputs[begin + static_cast<size_t>(i)].name + ": " + e.what();
      p.kind = ErrorKind::kInternal;
    }
  }
  return out;
}

Tensor StackRows(const std::vector<const Tensor*>& rows, const std::vector<const std::string*>& names) {
  const std::vector<int64_t>& first = rows.front()->shape();
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::vector<int64_t>& s = rows[i]->shape();
    if (s != first)
      throw Error(*names[i] + ": pixel_values of size " + std::to_string(s[1]) + "x" + std::to_string(s[2]) +
                      " cannot share a batch with earlier inputs of size " + std::to_string(first[1]) + "x" +
                      std::to_string(first[2]),
                  ErrorKind::kInvalidArgument);
  }
  const auto b = static_cast<int64_t>(rows.size());
  Tensor out({b, first[0], first[1], first[2]});
  const int64_t plane = first[0] * first[1] * first[2];
  for (int64_t r = 0; r < b; ++r)
    std::memcpy(out.data() + r * plane, rows[static_cast<size_t>(r)]->data(), static_cast<size_t>(plane) * sizeof(float));
  return out;
}

}  // namespace vit::python
