// Batched extraction: many inputs (image files, encoded images in memory, decoded images, rows of a
// pixel_values .npy) through a Model, a batch at a time. Each batch is decoded and preprocessed on all
// threads (ImageProcessor's Pillow-exact path, bit-identical to Model::Run(images)), then run; its rows go
// to a sink as soon as they exist, so that a job of any size streams. Unreadable inputs stop the job or,
// with skip_invalid, are reported and left out. Progress is reported after the model has run a batch.
//
// What `vit embed`, `vit classify`, the probes' ExtractFeatures and the Python package's Model.embed all
// call. No global state: two threads may extract with two Models at once; the callbacks run on the
// calling thread, between batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vit/image.h"
#include "vit/image_processor.h"
#include "vit/model.h"
#include "vit/options.h"
#include "vit/pooling.h"
#include "vit/tensor.h"

namespace vit {

// Images per forward pass, the default of every command and of the library.
inline constexpr int kDefaultBatchSize = 8;

// One input. Spans and pointers are not owned: they must outlive the Extract call.
struct ExtractInput {
  enum class Kind { kFile, kEncoded, kImage, kPixelValues };
  Kind kind = Kind::kFile;
  std::string name;                  // in errors, skip reports and ExtractedBatch::names
  std::filesystem::path path;        // kFile: the image; kPixelValues: a .npy of pixel_values [B, C, H, W]
  std::span<const uint8_t> bytes;    // kEncoded: a whole image file's bytes
  const Image* image = nullptr;      // kImage
  int64_t row = 0;                   // kPixelValues: the row of `path`, used as is (no preprocessing)

  static ExtractInput File(std::filesystem::path path);
  static ExtractInput Encoded(std::span<const uint8_t> bytes, std::string name);
  static ExtractInput Decoded(const Image& image, std::string name);
  static ExtractInput PixelValuesRow(std::filesystem::path npy, int64_t row);  // named "<npy>[<row>]"
};
// One kFile input per path.
std::vector<ExtractInput> FileInputs(std::span<const std::filesystem::path> paths);

struct ExtractProgress {
  size_t done = 0;            // inputs finished (run, skipped, or served from a cache by the caller)
  size_t total = 0;
  size_t skipped = 0;
  double elapsed_seconds = 0; // since the call began
};

struct ExtractOptions {
  int batch_size = kDefaultBatchSize;
  // The vector of ExtractedBatch::embeddings; unset: DefaultPooling(the model has a pooler). With
  // `embeddings` false nothing is pooled (a caller that only wants logits or hidden states).
  std::optional<Pooling> pooling;
  bool embeddings = true;
  bool normalize = false;            // L2-normalise the embeddings (L2NormalizeRows)
  RunOptions run;                    // hidden_states, attentions, interpolate_pos_encoding
  bool keep_pixel_values = false;    // fill ExtractedBatch::pixel_values
  bool skip_invalid = false;         // unreadable inputs are reported in ExtractSummary::skipped, not thrown
  DecodeOptions decode;              // exif_transpose
  std::optional<ImageProcessor> processor;  // unset: the model's (e.g. another size, with run.interpolate_pos_encoding)
  std::function<void(const ExtractProgress&)> progress;  // after each batch has run
  std::function<bool()> cancelled;   // asked before each batch; true stops the job (ExtractSummary::cancelled)
};

// The rows of one batch, in input order.
struct ExtractedBatch {
  std::vector<size_t> indices;       // index into the inputs of each row
  std::vector<std::string> names;    // ExtractInput::name of each row
  Tensor embeddings;                 // [rows, D] when options.embeddings
  ModelOutput output;                // everything the model returned for these rows
  Tensor pixel_values;               // [rows, C, H, W] with keep_pixel_values
};

struct SkippedInput {
  size_t index = 0;
  std::string name;
  std::string reason;                // the decoder's message, naming the input
};

struct ExtractSummary {
  size_t rows = 0;                   // rows handed to the sink
  std::vector<SkippedInput> skipped;
  bool cancelled = false;
  Pooling pooling = Pooling::kCls;   // the pooling used (options.pooling or the default)
};

// Calls `sink` once per batch that kept at least one row (the batch may be moved from). Throws vit::Error
// naming the input for an unreadable one without skip_invalid, for inputs whose pixel_values differ in size
// from the first one's, and for pooling kPooler on a checkpoint without a pooler. Exceptions from the sink
// or the callbacks propagate.
ExtractSummary Extract(Model& model, std::span<const ExtractInput> inputs,
                       const std::function<void(ExtractedBatch&)>& sink, const ExtractOptions& options = {});

// Every embedding at once: [kept rows, D] with the input index of each row.
struct Embeddings {
  Tensor vectors;
  std::vector<size_t> indices;
  ExtractSummary summary;
};
Embeddings ExtractEmbeddings(Model& model, std::span<const ExtractInput> inputs, const ExtractOptions& options = {});

}  // namespace vit
