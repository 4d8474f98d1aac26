// Pillow's resize fed one band of rows at a time, top to bottom. The horizontal pass runs on each band
// as it arrives (only on the rows the vertical pass will read, as ImagingResampleInner does); the
// vertical pass runs at the end. ResizeRgb is this with the whole picture as one band.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "image/resample.h"
#include "image/resample_passes.h"
#include "image/row_sink.h"
#include "vit/image.h"

namespace vit::image {

class StreamingResizer {
 public:
  StreamingResizer(int src_w, int src_h, int dst_w, int dst_h, Resample filter);

  // Rows [y, y + count) of the source; bands must arrive in order and may cover rows the resize ignores.
  void Rows(int y, int count, const uint8_t* rgb, size_t stride);
  // The resized picture, dst_w * dst_h * 3 bytes, once every source row has been given.
  void Finish(uint8_t* dst);

 private:
  enum class Kind { kCopy, kNearest, kConvolve };
  Kind kind_;
  int src_w_, dst_w_, dst_h_;
  // Source rows kept or produced: [row_first_, row_end_).
  int row_first_ = 0, row_end_ = 0;
  std::vector<uint8_t> rows_;  // kCopy: the picture; kConvolve: the band the vertical pass reads
  int rows_width_ = 0;         // pixels per row in rows_
  // kNearest
  std::vector<int> x_source_;
  std::vector<int> y_source_;  // per output row, -1 outside the picture
  int x_begin_ = 0, x_end_ = 0;
  std::vector<uint8_t> out_;
  // kConvolve
  bool need_horizontal_ = false, need_vertical_ = false;
  FilterTaps vertical_;
  FilterTaps horizontal_;
  std::vector<uint8_t> scratch_;
};

// A RowSink that resizes: rows reach the StreamingResizer in bands of whole row groups (kRowGroup rows,
// what the horizontal pass works on), gathered in a small buffer the decoder writes into. A picture
// that must be turned first (EXIF orientation 2..8 under exif_transpose) is kept whole, turned, then
// resized.
class ResizeSink : public RowSink {
 public:
  // [height, width] of the resized picture from the upright picture's width and height.
  using SizeRule = std::function<std::array<int, 2>(int width, int height)>;
  ResizeSink(int dst_w, int dst_h, Resample filter) : dst_w_(dst_w), dst_h_(dst_h), filter_(filter) {}
  // The size is known once Begin has the picture's (upright) size.
  ResizeSink(SizeRule rule, Resample filter) : rule_(std::move(rule)), filter_(filter) {}
  // Valid after Begin.
  int dst_width() const { return dst_w_; }
  int dst_height() const { return dst_h_; }
  void Begin(int width, int height, int orientation) override;
  uint8_t* DirectRows(int y, int count, size_t& stride) override;
  int MaxDirectRows() const override { return kMaxDirectRows; }
  void Rows(int y, int count, const uint8_t* rgb, size_t stride) override;
  // dst_w * dst_h * 3 bytes.
  void Finish(uint8_t* dst);

 private:
  static constexpr int kMaxDirectRows = 16;
  void Flush(bool all);
  SizeRule rule_;
  int dst_w_ = 0, dst_h_ = 0;
  Resample filter_;
  int orientation_ = 1;
  int height_ = 0;
  std::vector<uint8_t> band_;  // pending rows, then room for the next DirectRows
  size_t band_stride_ = 0;
  int pending_first_ = 0;      // source row of band_'s first row
  int pending_ = 0;            // rows waiting in band_
  std::unique_ptr<StreamingResizer> resizer_;
  Image whole_;  // only while an orientation is pending
};

}  // namespace vit::image
