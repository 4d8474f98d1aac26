// Extract: the one batched loop over inputs (decode + preprocess a batch on all threads, run it, hand its
// rows on, report progress) that the tool, the probes and the Python package share.
#include "vit/extract.h"

#include <chrono>
#include <cstring>
#include <map>
#include <memory>

#include "vit/error.h"
#include "vit/npy.h"

namespace vit {
namespace {

using Clock = std::chrono::steady_clock;

std::string ShapeText(const std::vector<int64_t>& chw) {
  return std::to_string(chw[1]) + "x" + std::to_string(chw[2]);
}

class Extractor {
 public:
  Extractor(Model& model, std::span<const ExtractInput> inputs, const ExtractOptions& options)
      : model_(model), inputs_(inputs), options_(options),
        processor_(options.processor ? *options.processor : model.processor()), start_(Clock::now()) {
    if (options.batch_size < 1)
      throw Error("extract: batch size must be at least 1, got " + std::to_string(options.batch_size),
                  ErrorKind::kInvalidArgument);
    summary_.pooling = options.pooling ? *options.pooling : DefaultPooling(model.info());
    if (options.embeddings) RequirePooling(model.info(), summary_.pooling);
  }

  ExtractSummary Run(const std::function<void(ExtractedBatch&)>& sink) {
    const size_t n = inputs_.size();
    const auto batch = static_cast<size_t>(options_.batch_size);
    for (size_t begin = 0; begin < n; begin += batch) {
      if (options_.cancelled && options_.cancelled()) {
        summary_.cancelled = true;
        break;
      }
      const size_t end = std::min(n, begin + batch);
      ExtractedBatch rows = Prepare(begin, end);
      if (!rows.indices.empty()) {
        rows.output = model_.Run(rows.pixel_values, options_.run);
        if (options_.embeddings) {
          rows.embeddings = Pool(rows.output, summary_.pooling);
          if (options_.normalize) L2NormalizeRows(rows.embeddings);
        }
        if (!options_.keep_pixel_values) rows.pixel_values = Tensor();
        summary_.rows += rows.indices.size();
        sink(rows);
      }
      if (options_.progress) {
        ExtractProgress p;
        p.done = end;
        p.total = n;
        p.skipped = summary_.skipped.size();
        p.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        options_.progress(p);
      }
    }
    return std::move(summary_);
  }

 private:
  // Opened on the calling thread, before the parallel part reads rows from the mapping.
  const NpyReader& Npy(const std::filesystem::path& path) {
    auto& reader = npy_files_[path];
    if (!reader) {
      reader = std::make_unique<NpyReader>(path);
      if (reader->shape().size() != 4)
        throw Error(path.string() + ": pixel_values must be [batch, channels, height, width], got " +
                        std::to_string(reader->shape().size()) + " dimensions",
                    ErrorKind::kInvalidArgument);
    }
    return *reader;
  }

  // [C, H, W] of one input, or the error that names it.
  Tensor PreprocessOne(const ExtractInput& input) const {
    switch (input.kind) {
      case ExtractInput::Kind::kFile: return processor_.PreprocessFile(input.path, options_.decode);
      case ExtractInput::Kind::kEncoded: return processor_.PreprocessEncoded(input.bytes, input.name, options_.decode);
      case ExtractInput::Kind::kImage: {
        if (input.image == nullptr) throw Error(input.name + ": no image", ErrorKind::kInvalidArgument);
        const std::array<int, 2> hw = processor_.config().OutputSize(input.image->width, input.image->height);
        Tensor t({3, hw[0], hw[1]});
        processor_.PreprocessInto(*input.image, t.data());
        return t;
      }
      case ExtractInput::Kind::kPixelValues: {
        const NpyReader& npy = *npy_files_.at(input.path);
        const auto& dims = npy.shape();
        if (input.row < 0 || input.row >= dims[0])
          throw Error(input.name + ": row out of range; the file has " + std::to_string(dims[0]),
                      ErrorKind::kInvalidArgument);
        Tensor t({dims[1], dims[2], dims[3]});
        npy.ReadRows(input.row, 1, t.data());
        return t;
      }
    }
    throw Error(input.name + ": unknown input kind", ErrorKind::kInternal);
  }

  ExtractedBatch Prepare(size_t begin, size_t end) {
    const auto n = static_cast<int64_t>(end - begin);
    for (size_t i = begin; i < end; ++i)
      if (inputs_[i].kind == ExtractInput::Kind::kPixelValues) Npy(inputs_[i].path);
    std::vector<Tensor> images(static_cast<size_t>(n));
    std::vector<std::string> errors(static_cast<size_t>(n));
    // Inputs are independent: spread them over the (one, OpenMP) pool. Files stream JPEG rows into the
    // resize, so a large photo is never held whole.
#pragma omp parallel for schedule(dynamic)
    for (int64_t i = 0; i < n; ++i) {
      try {
        images[static_cast<size_t>(i)] = PreprocessOne(inputs_[begin + static_cast<size_t>(i)]);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = e.what();
        if (errors[static_cast<size_t>(i)].empty()) errors[static_cast<size_t>(i)] = "unreadable";
      }
    }
    ExtractedBatch batch;
    std::vector<size_t> kept;  // within this chunk
    for (int64_t i = 0; i < n; ++i) {
      const size_t index = begin + static_cast<size_t>(i);
      const ExtractInput& input = inputs_[index];
      std::string& error = errors[static_cast<size_t>(i)];
      if (!error.empty()) {
        // Decoder messages name the file; inputs of other kinds are named here.
        if (error.find(input.name) == std::string::npos) error = input.name + ": " + error;
        if (!options_.skip_invalid) throw Error(error, ErrorKind::kInvalidInput);
        summary_.skipped.push_back({index, input.name, std::move(error)});
        continue;
      }
      const std::vector<int64_t>& shape = images[static_cast<size_t>(i)].shape();
      if (shape_.empty()) shape_ = shape;
      if (shape != shape_)
        throw Error(input.name + ": pixel_values of size " + ShapeText(shape) +
                        " cannot share a batch or output arrays with earlier inputs of size " + ShapeText(shape_),
                    ErrorKind::kInvalidArgument);
      batch.indices.push_back(index);
      batch.names.push_back(input.name);
      kept.push_back(static_cast<size_t>(i));
    }
    if (kept.empty()) return batch;
    const auto rows = static_cast<int64_t>(kept.size());
    batch.pixel_values = Tensor({rows, shape_[0], shape_[1], shape_[2]});
    const int64_t plane = shape_[0] * shape_[1] * shape_[2];
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(batch.pixel_values.data() + r * plane, images[kept[static_cast<size_t>(r)]].data(),
                  static_cast<size_t>(plane) * sizeof(float));
    return batch;
  }

  Model& model_;
  std::span<const ExtractInput> inputs_;
  const ExtractOptions& options_;
  ImageProcessor processor_;
  Clock::time_point start_;
  ExtractSummary summary_;
  std::vector<int64_t> shape_;
  std::map<std::filesystem::path, std::unique_ptr<NpyReader>> npy_files_;
};

}  // namespace

ExtractInput ExtractInput::File(std::filesystem::path path) {
  ExtractInput in;
  in.kind = Kind::kFile;
  in.name = path.string();
  in.path = std::move(path);
  return in;
}

ExtractInput ExtractInput::Encoded(std::span<const uint8_t> bytes, std::string name) {
  ExtractInput in;
  in.kind = Kind::kEncoded;
  in.name = std::move(name);
  in.bytes = bytes;
  return in;
}

ExtractInput ExtractInput::Decoded(const Image& image, std::string name) {
  ExtractInput in;
  in.kind = Kind::kImage;
  in.name = std::move(name);
  in.image = &image;
  return in;
}

ExtractInput ExtractInput::PixelValuesRow(std::filesystem::path npy, int64_t row) {
  ExtractInput in;
  in.kind = Kind::kPixelValues;
  in.name = npy.string() + "[" + std::to_string(row) + "]";
  in.path = std::move(npy);
  in.row = row;
  return in;
}

std::vector<ExtractInput> FileInputs(std::span<const std::filesystem::path> paths) {
  std::vector<ExtractInput> inputs;
  inputs.reserve(paths.size());
  for (const auto& p : paths) inputs.push_back(ExtractInput::File(p));
  return inputs;
}

ExtractSummary Extract(Model& model, std::span<const ExtractInput> inputs,
                       const std::function<void(ExtractedBatch&)>& sink, const ExtractOptions& options) {
  Extractor extractor(model, inputs, options);
  return extractor.Run(sink);
}

Embeddings ExtractEmbeddings(Model& model, std::span<const ExtractInput> inputs, const ExtractOptions& options) {
  if (!options.embeddings) throw Error("ExtractEmbeddings: options.embeddings is off", ErrorKind::kInvalidArgument);
  std::vector<float> rows;
  int64_t width = 0;
  Embeddings out;
  out.summary = Extract(
      model, inputs,
      [&](ExtractedBatch& batch) {
        width = batch.embeddings.dim(1);
        rows.insert(rows.end(), batch.embeddings.data(), batch.embeddings.data() + batch.embeddings.numel());
        out.indices.insert(out.indices.end(), batch.indices.begin(), batch.indices.end());
      },
      options);
  out.vectors = Tensor({static_cast<int64_t>(out.indices.size()), width});
  if (!rows.empty()) std::memcpy(out.vectors.data(), rows.data(), rows.size() * sizeof(float));
  return out;
}

}  // namespace vit
