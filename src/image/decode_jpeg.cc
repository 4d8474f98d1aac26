// JPEG through libjpeg-turbo with Pillow's settings (src/libImaging/JpegDecode.c, JpegImagePlugin.py):
// the library's default colour-space guess, JDCT_ISLOW, fancy upsampling, no scaling; 1 component is
// "L", 3 are "RGB", 4 are Adobe-inverted "CMYK;I" (YCCK converted to CMYK by libjpeg first).
//
// Pillow feeds libjpeg through a suspending source and calls a file truncated when libjpeg still asks
// for bytes after the last one, except while finishing up after the last scanline. The same source
// here, given the whole file, makes the same calls: a JPEG missing its scan data or even only its EOI
// marker (the Huffman reader looks ahead for it) is refused as Pillow refuses it, and one with extra
// bytes after the image is accepted.
#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>

#include "core/cancel.h"
#include "image/decoders.h"
#include "image/exif.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool cancelled = false;
};

void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (corrupt-data resyncs and the like) are counted by libjpeg and otherwise ignored, as
// Pillow ignores them: such files decode to the same damaged pixels in both.
void OnOutputMessage(j_common_ptr) {}

// A progressive JPEG may repeat scans without end (libjpeg only warns); each one costs a pass over
// every coefficient, so 20,000 scans in 345 KB take a minute. Real encoders write at most a dozen;
// libjpeg-turbo's own tools and fuzzers stop at 500 (djpeg -maxscans, TJPARAM_SCANLIMIT).
constexpr int kMaxScans = 500;

// Also where a decode for a requester that stopped waiting (core/cancel.h) stops: libjpeg calls this
// between scans and rows.
void CountScans(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  if (CancelRequested()) {
    reinterpret_cast<ErrorManager*>(cinfo->err)->cancelled = true;
    std::longjmp(reinterpret_cast<ErrorManager*>(cinfo->err)->jump, 1);
  }
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof(err->message), "more than %d scans (a decompression bomb)", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

void NoOp(j_decompress_ptr) {}
boolean Suspend(j_decompress_ptr) { return FALSE; }

void SkipInput(j_decompress_ptr cinfo, long num_bytes) {
  jpeg_source_mgr* src = cinfo->src;
  if (num_bytes <= 0) return;
  const auto skip = static_cast<size_t>(num_bytes);
  if (skip > src->bytes_in_buffer) {
    // Past the end: the next read suspends, which is Pillow's "image file is truncated".
    src->next_input_byte += src->bytes_in_buffer;
    src->bytes_in_buffer = 0;
  } else {
    src->next_input_byte += skip;
    src->bytes_in_buffer -= skip;
  }
}

// Everything libjpeg touches between setjmp and longjmp lives here, on the heap, so that nothing the
// jump skips over needs a destructor and no local is left indeterminate.
struct JpegState {
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  jpeg_source_mgr source{};
  jpeg_progress_mgr progress{};
  bool created = false;
  std::vector<uint8_t> row;
  int orientation = 1;
  ~JpegState() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

[[noreturn]] void Truncated(const DecodeContext& ctx, const char* where) {
  ctx.Fail(std::string("truncated JPEG: the data ends ") + where + " (Pillow: image file is truncated)");
}

// JpegImagePlugin.APP: the first APP1 that starts "Exif\0" is info["exif"]; a JFIF APP0 with unit 1
// before it sets info["dpi"]. Without that dpi, Image.open calls getexif() right away to look for one,
// catching SyntaxError (the block is then cached empty) but not struct.error (Image.open then refuses
// the file). With it, the block is first read by exif_transpose's getexif(), where both raise.
int ExifOrientationAsPillowReadsIt(const DecodeContext& ctx, jpeg_saved_marker_ptr markers) {
  bool dpi = false;
  for (jpeg_saved_marker_ptr m = markers; m != nullptr; m = m->next) {
    const bool jfif = m->marker == JPEG_APP0 && m->data_length >= 4 && std::memcmp(m->data, "JFIF", 4) == 0;
    if (jfif && m->data_length < 7) {
      ctx.Fail("JPEG JFIF segment of " + std::to_string(m->data_length) +
               " bytes is too short for its version field (Pillow: struct.error, cannot identify image file)");
    }
    if (jfif && m->data_length >= 12 && m->data[7] == 1) dpi = true;
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 5 || std::memcmp(m->data, "Exif\0", 5) != 0) continue;
    const std::span<const uint8_t> block(m->data, m->data_length);
    const ExifLoad load = PillowExifLoad(block);
    if (!dpi) {
      if (load == ExifLoad::kStructError) {
        ctx.Fail("JPEG EXIF segment holds a BigTIFF or cut TIFF header (Pillow: unpack requires a buffer of 4 bytes)");
      }
      if (load == ExifLoad::kSyntaxError) return 1;  // read once at open, failed quietly, cached empty
      if (PillowJpegDpiRaises(block)) {
        ctx.Fail("JPEG EXIF XResolution is a single byte, a single digit or empty text, which Pillow's dpi "
                 "lookup cannot divide (Pillow: IndexError, cannot identify image file)");
      }
    }
    if (!ctx.want_orientation()) return 1;
    if (load != ExifLoad::kOk) {
      ctx.Fail("JPEG EXIF segment does not hold a TIFF header after \"Exif\\0\\0\" (Pillow: not a TIFF file)");
    }
    return ExifOrientation(block);
  }
  return 1;
}

}  // namespace

int DecodeJpegInto(const DecodeContext& ctx, RowSink& sink) {
  auto state = std::make_unique<JpegState>();
  JpegState& s = *state;
  jpeg_decompress_struct& cinfo = s.cinfo;
  cinfo.err = jpeg_std_error(&s.err.pub);
  s.err.pub.error_exit = OnError;
  s.err.pub.output_message = OnOutputMessage;
  if (setjmp(s.err.jump)) {
    if (s.err.cancelled) ThrowIfCancelled();
    ctx.Fail(std::string("corrupt JPEG: ") + s.err.message);
  }
  jpeg_create_decompress(&cinfo);
  s.created = true;
  s.source.init_source = NoOp;
  s.source.fill_input_buffer = Suspend;
  s.source.skip_input_data = SkipInput;
  s.source.resync_to_restart = jpeg_resync_to_restart;
  s.source.term_source = NoOp;
  s.source.next_input_byte = ctx.bytes().data();
  s.source.bytes_in_buffer = ctx.bytes().size();
  cinfo.src = &s.source;
  s.progress.progress_monitor = CountScans;
  cinfo.progress = &s.progress;
  // JFIF (APP0) and EXIF (APP1), in file order: Image.open reads the EXIF block already where no dpi
  // precedes it (JpegImagePlugin.APP), and what that read raises decides the file's fate.
  jpeg_save_markers(&cinfo, JPEG_APP0, 0xFFFF);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);

  int header;
  do {
    header = jpeg_read_header(&cinfo, FALSE);
  } while (header == JPEG_HEADER_TABLES_ONLY);
  if (header == JPEG_SUSPENDED) Truncated(ctx, "inside the header");

  if (cinfo.data_precision != 8) {
    ctx.Fail("cannot handle " + std::to_string(cinfo.data_precision) + "-bit JPEG samples", ErrorKind::kUnsupported);
  }
  const int components = cinfo.num_components;
  if (components != 1 && components != 3 && components != 4) {
    ctx.Fail("cannot handle " + std::to_string(components) + "-component JPEG images", ErrorKind::kUnsupported);
  }
  ctx.CheckSize(cinfo.image_width, cinfo.image_height);
  s.orientation = ExifOrientationAsPillowReadsIt(ctx, cinfo.marker_list);

  cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  cinfo.scale_num = cinfo.scale_denom = 1;
  if (!jpeg_start_decompress(&cinfo)) Truncated(ctx, "before the last scan");

  const auto width = static_cast<int>(cinfo.output_width);
  const auto height = static_cast<int>(cinfo.output_height);
  ctx.CheckSize(width, height);
  sink.Begin(width, height, s.orientation);
  const int band = std::min(16, sink.MaxDirectRows());
  if (components != 3) s.row.resize(static_cast<size_t>(width) * static_cast<size_t>(components) * static_cast<size_t>(band));
  while (cinfo.output_scanline < cinfo.output_height) {
    const auto y = static_cast<int>(cinfo.output_scanline);
    const int want = std::min(band, height - y);
    size_t stride = 0;
    uint8_t* out = sink.DirectRows(y, want, stride);
    JSAMPROW rows[16];
    for (int i = 0; i < want; ++i) {
      rows[i] = components == 3 ? out + static_cast<size_t>(i) * stride
                                : s.row.data() + static_cast<size_t>(i) * static_cast<size_t>(width * components);
    }
    const auto got = static_cast<int>(jpeg_read_scanlines(&cinfo, rows, static_cast<JDIMENSION>(want)));
    if (got == 0) Truncated(ctx, "before the last scanline");
    for (int i = 0; i < got && components != 3; ++i) {
      uint8_t* rgb = out + static_cast<size_t>(i) * stride;
      if (components == 1) {
        GrayRowToRgb(rows[i], static_cast<size_t>(width), rgb);
      } else {
        InvertedCmykRowToRgb(rows[i], static_cast<size_t>(width), rgb);
      }
    }
    sink.Rows(y, got, out, stride);
  }
  // Pillow ignores a suspension here (the EOI may be missing once every scanline is out), but not an
  // error: a broken marker after the image still fails the load.
  jpeg_finish_decompress(&cinfo);
  return s.orientation;
}

Decoded DecodeJpeg(const DecodeContext& ctx) {
  ImageSink sink(ctx);
  Decoded decoded;
  decoded.orientation = DecodeJpegInto(ctx, sink);
  decoded.image = sink.Take();
  return decoded;
}

}  // namespace vit::image
