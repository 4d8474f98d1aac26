// PNG chunks as Pillow 9.4's PngImagePlugin reads them, without the image data: the chunks before the
// first IDAT (Image.open: every handler, then every CRC), and those after the chunk in which the last
// row was decoded (load_end: the handlers again, no CRCs, stopping quietly at the end of the file, at a
// chunk header that is cut or not four letters, at IEND, or at an animation's next fcTL). Whatever a
// handler raises refuses the file, and so does a chunk whose length runs past the end of the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/decoders.h"

namespace vit::image {

uint32_t PngBigEndian32(const uint8_t* p);

// The orientation Pillow's getexif() finds in PNG metadata: eXIf, else a "Raw profile type exif" text
// (ImageMagick's hex dump), then the XMP fallback from an "XML:com.adobe.xmp" iTXt.
struct PngMetadata {
  std::vector<uint8_t> exif;
  bool has_exif = false;
  bool exif_is_text = false;  // from a zTXt or iTXt chunk keyed "exif"
  std::string raw_profile_exif;
  std::string xmp;
  // Refuses the file where Pillow's getexif() raises.
  int Orientation(const DecodeContext& ctx) const;
};

class PngChunkWalk {
 public:
  explicit PngChunkWalk(const DecodeContext& ctx) : ctx_(ctx) {}

  // Image.open's walk; returns where the first chunk of image data starts (its length field): an IDAT,
  // or an fdAT whose sequence number this walk has checked.
  size_t ToImageData();
  // load_read's check of an fdAT that carries on the image data (chunk_fdAT: its length and sequence
  // number); `data` holds the chunk's `length` bytes, or what the file has of them.
  void ContinueWithFrameData(const uint8_t* data, uint32_t length, size_t held);
  // load_end's walk from the end of the data of the IDAT chunk that held the last row.
  void AfterImageData(size_t at);

  // An fcTL before IDAT: the frame rectangle the image data fills (the rest of the picture stays 0).
  struct Box {
    uint32_t x = 0, y = 0, width = 0, height = 0;
  };
  const std::optional<Box>& frame_box() const { return box_; }
  const PngMetadata& metadata() const { return meta_; }

  // The header as Image.open leaves it: the size of the last IHDR, the bit depth and colour type of
  // the last IHDR whose pair is one of Pillow's _MODES (none: -1), interlaced when any IHDR said so,
  // and the last PLTE read while the mode was "P".
  uint32_t width() const { return width_; }
  uint32_t height() const { return height_; }
  int bit_depth() const { return bit_depth_; }
  int color_type() const { return color_type_; }
  bool interlaced() const { return interlaced_; }
  const std::optional<std::vector<uint8_t>>& palette() const { return palette_; }

 private:
  // One chunk's handler (chunk_XXXX and its _safe_read); `data` holds `length` bytes.
  void Handle(const std::string& name, const uint8_t* data, uint32_t length);
  [[noreturn]] void Refuse(const std::string& reason) const;

  const DecodeContext& ctx_;
  PngMetadata meta_;
  std::optional<Box> box_;
  uint32_t width_ = 0, height_ = 0;
  int bit_depth_ = 0, color_type_ = -1;
  std::optional<int64_t> seq_num_;
  std::optional<uint32_t> n_frames_;
  bool default_image_ = false;
  size_t text_memory_ = 0;
  bool animated_ = false;
  bool interlaced_ = false;
  std::optional<std::vector<uint8_t>> palette_;
};

}  // namespace vit::image
