// The order of Pillow's resize (Image.resize -> _resize -> ImagingResampleInner), arranged so that the
// source can arrive band by band:
//   equal sizes       Image.resize returns a copy, whatever the filter;
//   NEAREST           _resize goes through ImagingTransform's affine scaling (Geometry.c
//                     ImagingScaleAffine): positions accumulated by repeated addition, rows and
//                     columns outside the source left at 0;
//   other filters     the vertical weights decide which source rows [first, end) matter; each such row
//                     gets the horizontal pass when the width changes; the vertical pass runs last,
//                     when the height changes.
#include "image/streaming_resize.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "image/exif.h"
#include "vit/error.h"

namespace vit::image {
namespace {

// COORD() of Geometry.c: truncation, with everything left of the image mapped to -1.
int Coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }

}  // namespace

StreamingResizer::StreamingResizer(int src_w, int src_h, int dst_w, int dst_h, Resample filter)
    : src_w_(src_w), dst_w_(dst_w), dst_h_(dst_h) {
  if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) {
    throw Error("resize from " + std::to_string(src_w) + "x" + std::to_string(src_h) + " to " + std::to_string(dst_w) +
                    "x" + std::to_string(dst_h) + ": sizes must be positive",
                ErrorKind::kInvalidArgument);
  }
  const size_t dst_bytes = static_cast<size_t>(dst_w) * static_cast<size_t>(dst_h) * 3;
  if (src_w == dst_w && src_h == dst_h) {
    kind_ = Kind::kCopy;
    row_first_ = 0;
    row_end_ = src_h;
    rows_width_ = src_w;
    rows_.resize(dst_bytes);
    return;
  }
  if (filter == Resample::kNearest) {
    kind_ = Kind::kNearest;
    // a = [w_in / w_out, 0, 0, 0, h_in / h_out, 0] from the float box (0, 0, w, h), as _resize builds it.
    const double ax = static_cast<double>(static_cast<float>(src_w) - 0.0f) / dst_w;
    const double ay = static_cast<double>(static_cast<float>(src_h) - 0.0f) / dst_h;
    x_source_.assign(static_cast<size_t>(dst_w), 0);
    x_begin_ = dst_w;
    x_end_ = 0;
    double xo = 0.0 + ax * 0.5;
    for (int x = 0; x < dst_w; ++x) {
      const int xin = Coord(xo);
      if (xin >= 0 && xin < src_w) {
        x_end_ = x + 1;
        if (x < x_begin_) x_begin_ = x;
        x_source_[static_cast<size_t>(x)] = xin;
      }
      xo += ax;
    }
    y_source_.assign(static_cast<size_t>(dst_h), -1);
    double yo = 0.0 + ay * 0.5;
    for (int y = 0; y < dst_h; ++y) {
      const int yi = Coord(yo);
      if (yi >= 0 && yi < src_h) y_source_[static_cast<size_t>(y)] = yi;
      yo += ay;
    }
    out_.assign(dst_bytes, 0);  // fill=1: whatever maps outside the source stays black
    return;
  }
  kind_ = Kind::kConvolve;
  need_horizontal_ = dst_w != src_w;
  need_vertical_ = dst_h != src_h;
  vertical_ = ComputeFilterTaps(src_h, 0.0f, static_cast<float>(src_h), dst_h, filter);
  if (need_vertical_) {
    row_first_ = vertical_.first.front();
    row_end_ = vertical_.first.back() + vertical_.count.back();
    for (auto& f : vertical_.first) f -= row_first_;
  } else {
    row_first_ = 0;
    row_end_ = src_h;
  }
  if (need_horizontal_) {
    horizontal_ = ComputeFilterTaps(src_w, 0.0f, static_cast<float>(src_w), dst_w, filter);
    scratch_.resize(HorizontalScratchBytes(src_w));
  }
  rows_width_ = need_horizontal_ ? dst_w : src_w;
  rows_.resize(static_cast<size_t>(row_end_ - row_first_) * static_cast<size_t>(rows_width_) * 3);
}

void StreamingResizer::Rows(int y, int count, const uint8_t* rgb, size_t stride) {
  const size_t row_bytes = static_cast<size_t>(src_w_) * 3;
  if (kind_ == Kind::kNearest) {
    for (int i = 0; i < count; ++i) {
      const int source = y + i;
      const uint8_t* in = rgb + static_cast<size_t>(i) * stride;
      // Output rows that sample this source row: y_source_ never decreases, so look them up directly.
      auto it = std::lower_bound(y_source_.begin(), y_source_.end(), source,
                                 [](int a, int b) { return a >= 0 && a < b; });
      for (; it != y_source_.end() && *it == source; ++it) {
        uint8_t* out = out_.data() + static_cast<size_t>(it - y_source_.begin()) * static_cast<size_t>(dst_w_) * 3;
        for (int x = x_begin_; x < x_end_; ++x) {
          const uint8_t* p = in + static_cast<size_t>(x_source_[static_cast<size_t>(x)]) * 3;
          out[3 * x + 0] = p[0];
          out[3 * x + 1] = p[1];
          out[3 * x + 2] = p[2];
        }
      }
    }
    return;
  }
  // The part of the band inside [row_first_, row_end_).
  const int begin = std::max(y, row_first_);
  const int end = std::min(y + count, row_end_);
  if (begin >= end) return;
  const uint8_t* in = rgb + static_cast<size_t>(begin - y) * stride;
  const size_t out_row = static_cast<size_t>(rows_width_) * 3;
  uint8_t* out = rows_.data() + static_cast<size_t>(begin - row_first_) * out_row;
  if (kind_ == Kind::kConvolve && need_horizontal_) {
    ResampleRowsHorizontal(in, stride, end - begin, src_w_, horizontal_, out, scratch_.data());
    return;
  }
  for (int r = 0; r < end - begin; ++r) std::memcpy(out + r * out_row, in + r * stride, row_bytes);
}

void StreamingResizer::Finish(uint8_t* dst) {
  const size_t dst_bytes = static_cast<size_t>(dst_w_) * static_cast<size_t>(dst_h_) * 3;
  if (kind_ == Kind::kNearest) {
    std::memcpy(dst, out_.data(), dst_bytes);
  } else if (kind_ == Kind::kConvolve && need_vertical_) {
    ResampleColumnsVertical(rows_.data(), rows_width_, vertical_, dst);
  } else {
    std::memcpy(dst, rows_.data(), dst_bytes);
  }
}

void ResizeSink::Begin(int width, int height, int orientation) {
  if (rule_) {
    // Orientations 5..8 swap the sides (ApplyOrientation turns the picture before it is resized).
    const bool swapped = orientation >= 5 && orientation <= 8;
    const std::array<int, 2> hw = swapped ? rule_(height, width) : rule_(width, height);
    dst_h_ = hw[0];
    dst_w_ = hw[1];
  }
  orientation_ = orientation;
  height_ = height;
  band_stride_ = static_cast<size_t>(width) * 3;
  if (orientation_ >= 2 && orientation_ <= 8) {
    whole_.width = width;
    whole_.height = height;
    whole_.rgb.resize(band_stride_ * static_cast<size_t>(height));
    return;
  }
  resizer_ = std::make_unique<StreamingResizer>(width, height, dst_w_, dst_h_, filter_);
  band_.resize(band_stride_ * static_cast<size_t>(kRowGroup - 1 + kMaxDirectRows));
}

uint8_t* ResizeSink::DirectRows(int y, int, size_t& stride) {
  stride = band_stride_;
  if (!resizer_) return whole_.rgb.data() + static_cast<size_t>(y) * band_stride_;
  return band_.data() + static_cast<size_t>(pending_) * band_stride_;
}

void ResizeSink::Rows(int y, int count, const uint8_t* rgb, size_t stride) {
  if (!resizer_) {
    uint8_t* out = whole_.rgb.data() + static_cast<size_t>(y) * band_stride_;
    if (rgb == out) return;
    for (int i = 0; i < count; ++i) std::memcpy(out + i * band_stride_, rgb + i * stride, band_stride_);
    return;
  }
  if (rgb == band_.data() + static_cast<size_t>(pending_) * band_stride_) {
    if (pending_ == 0) pending_first_ = y;
    pending_ += count;  // the decoder wrote them in place
  } else {
    for (int i = 0; i < count; ++i) {
      if (pending_ == kRowGroup - 1 + kMaxDirectRows) Flush(false);
      if (pending_ == 0) pending_first_ = y + i;
      std::memcpy(band_.data() + static_cast<size_t>(pending_++) * band_stride_, rgb + i * stride, band_stride_);
    }
  }
  Flush(pending_first_ + pending_ >= height_);
}

void ResizeSink::Flush(bool all) {
  // Whole groups go on (everything, at the bottom of the picture); the rest moves to the front.
  const int ready = all ? pending_ : pending_ - pending_ % kRowGroup;
  if (ready == 0) return;
  resizer_->Rows(pending_first_, ready, band_.data(), band_stride_);
  std::memmove(band_.data(), band_.data() + static_cast<size_t>(ready) * band_stride_,
               static_cast<size_t>(pending_ - ready) * band_stride_);
  pending_first_ += ready;
  pending_ -= ready;
}

void ResizeSink::Finish(uint8_t* dst) {
  if (resizer_) {
    resizer_->Finish(dst);
    return;
  }
  const Image turned = ApplyOrientation(std::move(whole_), orientation_);
  ResizeRgb(turned.rgb.data(), turned.width, turned.height, dst, dst_w_, dst_h_, filter_);
}

}  // namespace vit::image
