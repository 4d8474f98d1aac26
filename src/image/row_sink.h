// Where a decoder puts its RGB rows: a whole Image, or a resize that consumes them as they come (so a
// 4000x3000 JPEG never exists in memory at full size when only 224x224 is wanted).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vit::image {

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Once, before any row: the picture's size, and its EXIF orientation when the caller asked for
  // exif_transpose (1 otherwise).
  virtual void Begin(int width, int height, int orientation) = 0;
  // Memory where the decoder may write rows [y, y + count) directly (rows `stride` bytes apart), or
  // nullptr to have the decoder keep them in its own buffer. `count` is at most MaxDirectRows().
  virtual uint8_t* DirectRows(int y, int count, size_t& stride) = 0;
  virtual int MaxDirectRows() const = 0;
  // Rows [y, y + count) are complete (in the DirectRows memory, or at `rgb`), in order from the top.
  virtual void Rows(int y, int count, const uint8_t* rgb, size_t stride) = 0;
};

}  // namespace vit::image
