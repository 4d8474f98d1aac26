// TIFF through libtiff, first directory only, read the way Pillow 9.4 reads it (TiffImagePlugin.py
// OPEN_INFO and _setup, TiffDecode.c): strips or tiles through TIFFReadEncodedStrip / TIFFReadTile,
// separate planes one band at a time, JPEG-compressed YCbCr decoded to RGB by libjpeg inside libtiff
// (JPEGCOLORMODE_RGB), other YCbCr through TIFFRGBAImage. Samples land in a 4-byte-per-pixel buffer
// laid out as Pillow's own image memory, then go to RGB as convert("RGB") would: 32-bit float grey
// (mode "F") through "L" (clipped, truncated), 12-bit grey ("I;12") as "I;16" (clipped), premultiplied
// 16-bit RGBA by its high bytes, then un-premultiplied; CIELab ("LAB") through LittleCMS with the
// profiles and pixel formats of Pillow's ImageCms (Lab D50 to sRGB, perceptual).
//
// Pillow 9.4 also applies the Orientation tag of a TIFF while loading it (TiffImageFile.load_end), and
// exif_transpose then finds the same tag again: both happen here, as in Pillow.
//
// libtiff reports through per-file handlers (libtiff >= 4.5), so nothing reaches stderr and messages
// end up in the vit::Error.
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/exif.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

struct Source {
  std::span<const uint8_t> bytes;
  uint64_t offset = 0;
  std::string error;
};

tmsize_t ReadProc(thandle_t h, void* out, tmsize_t n) {
  auto* s = static_cast<Source*>(h);
  if (n <= 0 || s->offset >= s->bytes.size()) return 0;
  const size_t got = std::min(static_cast<size_t>(n), static_cast<size_t>(s->bytes.size() - s->offset));
  std::memcpy(out, s->bytes.data() + s->offset, got);
  s->offset += got;
  return static_cast<tmsize_t>(got);
}
tmsize_t WriteProc(thandle_t, void*, tmsize_t) { return 0; }
toff_t SeekProc(thandle_t h, toff_t off, int whence) {
  auto* s = static_cast<Source*>(h);
  if (whence == SEEK_CUR) {
    s->offset += off;
  } else if (whence == SEEK_END) {
    s->offset = s->bytes.size() + off;
  } else {
    s->offset = off;
  }
  return s->offset;
}
int CloseProc(thandle_t) { return 0; }
toff_t SizeProc(thandle_t h) { return static_cast<Source*>(h)->bytes.size(); }
int MapProc(thandle_t h, void** base, toff_t* size) {
  auto* s = static_cast<Source*>(h);
  *base = const_cast<uint8_t*>(s->bytes.data());
  *size = s->bytes.size();
  return 1;
}
void UnmapProc(thandle_t, void*, toff_t) {}

int OnError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* s = static_cast<Source*>(user);
  char text[512];
  std::vsnprintf(text, sizeof(text), fmt, ap);
  if (s->error.empty()) s->error = std::string(module != nullptr ? module : "libtiff") + ": " + text;
  return 1;
}
int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};
struct OptionsDeleter {
  void operator()(TIFFOpenOptions* o) const { TIFFOpenOptionsFree(o); }
};

// Pillow's raw modes for TIFF rows (after libtiff has put 16-bit samples in native order).
enum class Raw {
  kBilevel, kBilevelInverted,     // "1", "1;I"
  kGray2, kGray2Inverted,         // "L;2", "L;2I"
  kGray4, kGray4Inverted,         // "L;4", "L;4I"
  kGray8, kGray8Inverted,         // "L", "L;I"
  kGray16, kGray16Signed,         // "I;16N" (mode I;16), "I;16S" (mode I)
  kGray32, kGray32Signed,         // "I;32N", "I;32S" (mode I)
  kGray12,                        // "I;12" (mode I;16)
  kFloat,                         // "F;32F"/"F;32BF" (mode F)
  kFloatSwapped,                  // "F;32BF" over libtiff's native floats: a compressed big-endian file
  kGrayAlpha,                     // "LA"
  kRgb, kRgbExtra, kRgbPremultiplied,  // "RGB", "RGBA"/"RGBX"/"RGBXX"..., "RGBa" (+X)
  kRgb16, kRgba16,                // "RGB;16N", "RGBA;16N"/"RGBX;16N"
  kRgbPremultiplied16,            // "RGBa;16L"/"RGBa;16B"
  kLab,                           // "LAB": a and b stored offset by 128
  kPalette1, kPalette2, kPalette4, kPalette8, kPaletteAlpha,
  kCmyk, kCmyk16,                 // "CMYK" (+X), "CMYK;16N"
  kYccAsRgb,                      // JPEG YCbCr decoded to RGB by libtiff
};

// Pillow's image memory: bands in bytes 0..3 of each pixel; which final conversion applies.
enum class Mode { kGray, kPalette, kRgb, kCmyk, kLab };

struct Layout {
  Raw raw;
  Mode mode;
  int bands;            // Pillow's im->bands: planes read when PLANARCONFIG_SEPARATE
  int samples;          // samples per pixel in the file
  int bits;             // bits per sample
  bool rgba_interface = false;  // YCbCr other than contiguous JPEG: libtiff's TIFFRGBAImage converts it
};

// A layout outside Pillow's OPEN_INFO, which Pillow refuses with "unknown pixel mode" too.
[[noreturn]] void Unsupported(const DecodeContext& ctx, const std::string& what) {
  ctx.Fail("TIFF layout that Pillow does not read either: " + what + " (Pillow: unknown pixel mode)",
           ErrorKind::kUnsupported);
}

Layout PickLayout(const DecodeContext& ctx, TIFF* tif, uint16_t photometric, uint16_t compression, uint16_t planar) {
  uint16_t bits = 1, samples = 1, format = SAMPLEFORMAT_UINT, extra_count = 0;
  uint16_t* extra = nullptr;
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  const int base = (photometric == PHOTOMETRIC_RGB || photometric == PHOTOMETRIC_YCBCR ||
                    photometric == PHOTOMETRIC_CIELAB)
                       ? 3
                   : photometric == PHOTOMETRIC_SEPARATED                                ? 4
                                                                                         : 1;
  if (samples != base + extra_count) {
    Unsupported(ctx, std::to_string(samples) + " samples per pixel for photometric " + std::to_string(photometric) +
                         " with " + std::to_string(extra_count) + " extra");
  }
  const auto first_extra = [&] { return extra_count > 0 ? extra[0] : -1; };
  const auto all_extra_unspecified_after = [&](int from) {
    for (int i = from; i < extra_count; ++i) {
      if (extra[i] != EXTRASAMPLE_UNSPECIFIED) return false;
    }
    return true;
  };
  Layout l{Raw::kGray8, Mode::kGray, 1, samples, bits};
  const bool uint = format == SAMPLEFORMAT_UINT;
  switch (photometric) {
    case PHOTOMETRIC_MINISWHITE:
    case PHOTOMETRIC_MINISBLACK: {
      const bool inverted = photometric == PHOTOMETRIC_MINISWHITE;
      if (extra_count == 1 && extra[0] == EXTRASAMPLE_UNASSALPHA && bits == 8 && uint && !inverted) {
        l.raw = Raw::kGrayAlpha;
        l.bands = 2;
        return l;
      }
      if (extra_count != 0) break;
      if (uint && bits == 1) l.raw = inverted ? Raw::kBilevelInverted : Raw::kBilevel;
      else if (uint && bits == 2) l.raw = inverted ? Raw::kGray2Inverted : Raw::kGray2;
      else if (uint && bits == 4) l.raw = inverted ? Raw::kGray4Inverted : Raw::kGray4;
      else if (uint && bits == 8) l.raw = inverted ? Raw::kGray8Inverted : Raw::kGray8;
      // OPEN_INFO has 16-bit MinIsWhite only little-endian, read uninverted as "I;16".
      else if (uint && bits == 16 && (!inverted || !TIFFIsBigEndian(tif))) l.raw = Raw::kGray16;
      else if (format == SAMPLEFORMAT_INT && bits == 16 && !inverted) l.raw = Raw::kGray16Signed;
      else if (uint && bits == 32 && !inverted && !TIFFIsBigEndian(tif)) l.raw = Raw::kGray32;
      else if (format == SAMPLEFORMAT_INT && bits == 32 && !inverted) l.raw = Raw::kGray32Signed;
      // "F" for either photometric, never inverted; "I;12" only little-endian MinIsBlack.
      // Pillow decodes compressed files through libtiff, which hands over native floats, and still
      // unpacks them as big-endian when the file is: their bytes come out reversed.
      else if (format == SAMPLEFORMAT_IEEEFP && bits == 32) {
        l.raw = TIFFIsBigEndian(tif) && compression != COMPRESSION_NONE ? Raw::kFloatSwapped : Raw::kFloat;
      }
      else if (uint && bits == 12 && !inverted && !TIFFIsBigEndian(tif)) l.raw = Raw::kGray12;
      else break;
      return l;
    }
    case PHOTOMETRIC_RGB:
      if (!uint) break;
      l.mode = Mode::kRgb;
      l.bands = extra_count == 0 ? 3 : 4;
      if (bits == 8) {
        if (extra_count == 0) {
          l.raw = Raw::kRgb;
        } else if (extra_count <= 3 && all_extra_unspecified_after(1)) {
          l.raw = first_extra() == EXTRASAMPLE_ASSOCALPHA ? Raw::kRgbPremultiplied : Raw::kRgbExtra;
        } else {
          break;
        }
        return l;
      }
      if (bits == 16) {
        if (extra_count == 0) {
          l.raw = Raw::kRgb16;
        } else if (extra_count == 1) {
          l.raw = first_extra() == EXTRASAMPLE_ASSOCALPHA ? Raw::kRgbPremultiplied16 : Raw::kRgba16;
        } else {
          break;
        }
        return l;
      }
      break;
    case PHOTOMETRIC_PALETTE:
      if (!uint) break;
      l.mode = Mode::kPalette;
      if (extra_count == 0 && bits == 1) l.raw = Raw::kPalette1;
      else if (extra_count == 0 && bits == 2) l.raw = Raw::kPalette2;
      else if (extra_count == 0 && bits == 4) l.raw = Raw::kPalette4;
      else if (extra_count == 0 && bits == 8) l.raw = Raw::kPalette8;
      else if (extra_count == 1 && extra[0] == EXTRASAMPLE_UNASSALPHA && bits == 8) {
        l.raw = Raw::kPaletteAlpha;
        l.bands = 2;
      } else {
        break;
      }
      return l;
    case PHOTOMETRIC_SEPARATED:
      if (!uint) break;
      l.mode = Mode::kCmyk;
      l.bands = 4;
      if (bits == 8 && extra_count <= 2 && all_extra_unspecified_after(0)) {
        l.raw = Raw::kCmyk;
        return l;
      }
      if (bits == 16 && extra_count == 0 && !TIFFIsBigEndian(tif)) {
        l.raw = Raw::kCmyk16;
        return l;
      }
      break;
    case PHOTOMETRIC_CIELAB:
      if (!uint || bits != 8 || extra_count != 0) break;
      l.mode = Mode::kLab;
      l.bands = 3;
      l.raw = Raw::kLab;
      return l;
    case PHOTOMETRIC_YCBCR:
      if (!uint || bits != 8 || extra_count != 0) break;
      l.mode = Mode::kRgb;
      l.bands = 3;
      l.raw = Raw::kYccAsRgb;
      if (compression == COMPRESSION_JPEG && planar == PLANARCONFIG_CONTIG) {
        TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
      } else if (compression == COMPRESSION_NONE) {
        // Pillow reads uncompressed YCbCr with its own raw decoder as 4-byte "RGBX" pixels, which runs
        // out of data: it refuses such files, and so does vit.
        ctx.Fail("uncompressed YCbCr TIFF (Pillow: image file is truncated)", ErrorKind::kUnsupported);
      } else {
        l.rgba_interface = true;
      }
      return l;
    default:
      break;
  }
  Unsupported(ctx, "photometric " + std::to_string(photometric) + ", " + std::to_string(samples) + " x " +
                       std::to_string(bits) + "-bit samples, sample format " + std::to_string(format));
}

uint8_t Clip(int64_t v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// One contiguous row of n pixels into Pillow's 4-byte pixels.
void UnpackRow(const Layout& l, const uint8_t* in, size_t n, uint8_t* px) {
  const size_t step = static_cast<size_t>(l.samples);
  for (size_t x = 0; x < n; ++x) {
    uint8_t* o = px + 4 * x;
    switch (l.raw) {
      case Raw::kBilevel:
      case Raw::kBilevelInverted: {
        const bool set = ((in[x >> 3] >> (7 - (x & 7))) & 1) != 0;
        o[0] = (set != (l.raw == Raw::kBilevelInverted)) ? 255 : 0;
        break;
      }
      case Raw::kGray2:
      case Raw::kGray2Inverted: {
        const int v = ((in[x >> 2] >> (6 - 2 * (x & 3))) & 3) * 0x55;
        o[0] = static_cast<uint8_t>(l.raw == Raw::kGray2Inverted ? 255 - v : v);
        break;
      }
      case Raw::kGray4:
      case Raw::kGray4Inverted: {
        const int v = ((x & 1) != 0 ? in[x >> 1] & 15 : in[x >> 1] >> 4) * 0x11;
        o[0] = static_cast<uint8_t>(l.raw == Raw::kGray4Inverted ? 255 - v : v);
        break;
      }
      case Raw::kGray8:
        o[0] = in[x];
        break;
      case Raw::kGray8Inverted:
        o[0] = static_cast<uint8_t>(255 - in[x]);
        break;
      case Raw::kGray16: {
        uint16_t v;
        std::memcpy(&v, in + 2 * x, 2);
        o[0] = Clip(v);
        break;
      }
      case Raw::kGray16Signed: {
        int16_t v;
        std::memcpy(&v, in + 2 * x, 2);
        o[0] = Clip(v);
        break;
      }
      case Raw::kGray32: {
        uint32_t v;
        std::memcpy(&v, in + 4 * x, 4);
        o[0] = Clip(static_cast<int32_t>(v));  // Pillow's "I" is int32
        break;
      }
      case Raw::kGray32Signed: {
        int32_t v;
        std::memcpy(&v, in + 4 * x, 4);
        o[0] = Clip(v);
        break;
      }
      case Raw::kGray12: {
        // unpackI12_I16: two samples in three bytes, most significant bits first.
        const uint8_t* p = in + (x / 2) * 3;
        const int v = (x & 1) == 0 ? (p[0] << 4) | (p[1] >> 4) : ((p[1] & 0x0F) << 8) | p[2];
        o[0] = Clip(v);
        break;
      }
      case Raw::kFloat:
      case Raw::kFloatSwapped: {
        uint8_t b[4];
        std::memcpy(b, in + 4 * x, 4);
        if (l.raw == Raw::kFloatSwapped) {
          std::swap(b[0], b[3]);
          std::swap(b[1], b[2]);
        }
        float v;
        std::memcpy(&v, b, 4);
        o[0] = FloatToL(v);
        break;
      }
      case Raw::kLab: {
        const uint8_t* p = in + x * step;
        o[0] = p[0];
        o[1] = static_cast<uint8_t>(p[1] ^ 128);
        o[2] = static_cast<uint8_t>(p[2] ^ 128);
        break;
      }
      case Raw::kRgbPremultiplied16: {
        const uint8_t* p = in + x * step * 2;
        const int a = p[7];
        for (int b = 0; b < 3; ++b) o[b] = a == 0 ? 0 : a == 255 ? p[2 * b + 1] : Clip(p[2 * b + 1] * 255 / a);
        o[3] = static_cast<uint8_t>(a);
        break;
      }
      case Raw::kGrayAlpha:
        o[0] = in[2 * x];
        o[3] = in[2 * x + 1];
        break;
      case Raw::kRgb:
      case Raw::kYccAsRgb:
      case Raw::kRgbExtra:
      case Raw::kCmyk:
        for (int b = 0; b < l.bands; ++b) o[b] = in[x * step + static_cast<size_t>(b)];
        break;
      case Raw::kRgbPremultiplied: {
        const uint8_t* p = in + x * step;
        const int a = p[3];
        for (int b = 0; b < 3; ++b) o[b] = a == 0 ? 0 : a == 255 ? p[b] : Clip(p[b] * 255 / a);
        o[3] = p[3];
        break;
      }
      case Raw::kRgb16:
      case Raw::kRgba16:
      case Raw::kCmyk16:
        for (int b = 0; b < l.bands; ++b) o[b] = in[(x * step + static_cast<size_t>(b)) * 2 + 1];
        break;
      case Raw::kPalette1:
        o[0] = static_cast<uint8_t>((in[x >> 3] >> (7 - (x & 7))) & 1);
        break;
      case Raw::kPalette2:
        o[0] = static_cast<uint8_t>((in[x >> 2] >> (6 - 2 * (x & 3))) & 3);
        break;
      case Raw::kPalette4:
        o[0] = static_cast<uint8_t>((x & 1) != 0 ? in[x >> 1] & 15 : in[x >> 1] >> 4);
        break;
      case Raw::kPalette8:
        o[0] = in[x];
        break;
      case Raw::kPaletteAlpha:
        o[0] = in[2 * x];
        o[3] = in[2 * x + 1];
        break;
    }
  }
}

// One row of one plane (8 or 16 bits per sample) into band `band` of Pillow's pixels.
void UnpackPlaneRow(int bits, const uint8_t* in, size_t n, int band, uint8_t* px) {
  for (size_t x = 0; x < n; ++x) px[4 * x + static_cast<size_t>(band)] = bits == 16 ? in[2 * x + 1] : in[x];
}

// Bytes a row of n pixels needs in the file's layout (Pillow's unpacker row size).
size_t RowBytes(const Layout& l, size_t n, bool planar) {
  const size_t bits_per_pixel = static_cast<size_t>(l.bits) * (planar ? 1 : static_cast<size_t>(l.samples));
  return (n * bits_per_pixel + 7) / 8;
}

// The bytes of one value of a TIFF field type, as Pillow's ImageFileDirectory_v2 loads them; 0 for a
// type it skips.
uint64_t PillowUnitSize(uint32_t type) {
  switch (type) {
    case 1: case 2: case 6: case 7: return 1;
    case 3: case 8: return 2;
    case 4: case 9: case 11: case 13: return 4;
    case 5: case 10: case 12: case 16: return 8;
    default: return 0;
  }
}

// IFD0 as Pillow's ImageFileDirectory reads it, for libtiff. Pillow stops at the first entry that the
// file ends inside of, or whose value lies in part past the end of the file: that entry and every later
// one are dropped. Of a tag repeated in what it read, it keeps the last, libtiff the first. Where
// either happens (classic TIFF), a copy of the file goes to libtiff with the entry count cut and the
// earlier entries of a repeated tag renamed to an unknown tag, which it skips.
std::span<const uint8_t> AsPillowReadsIfd0(std::span<const uint8_t> bytes, std::vector<uint8_t>& patched) {
  if (bytes.size() < 8) return bytes;
  const bool big = bytes[0] == 'M';
  const auto u16 = [&](size_t at) {
    return big ? static_cast<uint32_t>(bytes[at] << 8 | bytes[at + 1]) : static_cast<uint32_t>(bytes[at + 1] << 8 | bytes[at]);
  };
  const auto u32 = [&](size_t at) { return big ? u16(at) << 16 | u16(at + 2) : u16(at + 2) << 16 | u16(at); };
  if (u16(2) != 42) return bytes;
  const size_t ifd = u32(4);
  if (ifd > bytes.size() || bytes.size() - ifd < 2) return bytes;
  const size_t declared = u16(ifd);
  size_t count = std::min<size_t>(declared, (bytes.size() - ifd - 2) / 12);
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = ifd + 2 + 12 * i;
    const uint64_t size = uint64_t{u32(entry + 4)} * PillowUnitSize(u16(entry + 2));
    if (size > 4 && (u32(entry + 8) > bytes.size() || bytes.size() - u32(entry + 8) < size)) {
      count = i;
      break;
    }
  }
  if (count != declared) {
    patched.assign(bytes.begin(), bytes.end());
    patched[ifd + (big ? 1 : 0)] = static_cast<uint8_t>(count & 0xFF);
    patched[ifd + (big ? 0 : 1)] = static_cast<uint8_t>(count >> 8);
  }
  std::vector<uint32_t> tags(count);
  for (size_t i = 0; i < count; ++i) tags[i] = u16(ifd + 2 + 12 * i);
  for (size_t i = 0; i < count; ++i) {
    if (std::find(tags.begin() + static_cast<std::ptrdiff_t>(i) + 1, tags.end(), tags[i]) == tags.end()) continue;
    if (patched.empty()) patched.assign(bytes.begin(), bytes.end());
    patched[ifd + 2 + 12 * i] = patched[ifd + 3 + 12 * i] = 0xFF;  // tag 65535: not one libtiff knows
  }
  return patched.empty() ? bytes : std::span<const uint8_t>(patched);
}

}  // namespace

Decoded DecodeTiff(const DecodeContext& ctx) {
  Source source;
  std::vector<uint8_t> patched;
  source.bytes = AsPillowReadsIfd0(ctx.bytes(), patched);
  const std::unique_ptr<TIFFOpenOptions, OptionsDeleter> options(TIFFOpenOptionsAlloc());
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), OnError, &source);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), OnWarning, &source);
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), tmsize_t{1} << 31);
  const std::unique_ptr<TIFF, TiffCloser> tif(TIFFClientOpenExt(ctx.name().c_str(), "r", &source, ReadProc, WriteProc,
                                                                SeekProc, CloseProc, SizeProc, MapProc, UnmapProc,
                                                                options.get()));
  const auto fail = [&](const std::string& what) {
    ctx.Fail("corrupt or truncated TIFF: " + what + (source.error.empty() ? "" : " (" + source.error + ")"));
  };
  if (!tif) fail("libtiff cannot read the header");

  uint32_t width = 0, height = 0;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height)) {
    fail("no ImageWidth/ImageLength");
  }
  ctx.CheckSize(width, height);
  uint16_t photometric = PHOTOMETRIC_MINISWHITE, compression = COMPRESSION_NONE, planar = PLANARCONFIG_CONTIG;
  TIFFGetField(tif.get(), TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_COMPRESSION, &compression);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_PLANARCONFIG, &planar);
  const Layout layout = PickLayout(ctx, tif.get(), photometric, compression, planar);

  if (layout.raw == Raw::kRgbPremultiplied16 && planar == PLANARCONFIG_SEPARATE) {
    ctx.Fail("premultiplied 16-bit RGBA TIFF in separate planes (Pillow: unknown raw mode for given image mode)");
  }
  Palette palette;
  if (layout.mode == Mode::kPalette) {
    uint16_t *r = nullptr, *g = nullptr, *b = nullptr;
    if (!TIFFGetField(tif.get(), TIFFTAG_COLORMAP, &r, &g, &b)) fail("palette image without ColorMap");
    const int entries = std::min(256, 1 << layout.bits);
    for (int i = 0; i < entries; ++i) {
      palette.Set(i, static_cast<uint8_t>(r[i] / 256), static_cast<uint8_t>(g[i] / 256), static_cast<uint8_t>(b[i] / 256));
    }
  }

  const size_t w = width, h = height;
  std::vector<uint8_t> px(w * h * 4, 0);
  const bool separate = planar == PLANARCONFIG_SEPARATE && layout.bands > 1;
  if (layout.rgba_interface) {
    // YCbCr without JPEG (subsampled): libtiff's RGBA interface, as Pillow's _decodeAsRGBA.
    char message[1024] = "";
    TIFFRGBAImage img;
    if (!TIFFRGBAImageOK(tif.get(), message) || !TIFFRGBAImageBegin(&img, tif.get(), 0, message)) fail(message);
    img.orientation = ORIENTATION_TOPLEFT;  // as Pillow: the file's orientation is applied later
    img.req_orientation = ORIENTATION_TOPLEFT;
    const bool ok = TIFFRGBAImageGet(&img, reinterpret_cast<uint32_t*>(px.data()), width, height) != 0;
    TIFFRGBAImageEnd(&img);
    if (!ok) fail("YCbCr data");
  } else if (TIFFIsTiled(tif.get())) {
    uint32_t tw = 0, th = 0;
    TIFFGetField(tif.get(), TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif.get(), TIFFTAG_TILELENGTH, &th);
    const tmsize_t tile_size = TIFFTileSize(tif.get());
    const tmsize_t row_size = TIFFTileRowSize(tif.get());
    if (tw == 0 || th == 0 || tile_size <= 0 || row_size <= 0 ||
        static_cast<size_t>(row_size) < RowBytes(layout, tw, separate) ||
        static_cast<uint64_t>(row_size) * th > static_cast<uint64_t>(tile_size)) {
      fail("inconsistent tile layout");
    }
    // Tiles may overhang the image, but not by gigabytes: a 16x16 image with 32768x65536 tiles would
    // allocate 2 GB for its one tile.
    const uint64_t image_bytes = static_cast<uint64_t>(RowBytes(layout, w, separate)) * h;
    const uint64_t tile_budget = std::max<uint64_t>(4 * image_bytes, uint64_t{64} << 20);
    if (static_cast<uint64_t>(tile_size) > tile_budget) {
      ctx.Fail("TIFF tiles of " + std::to_string(tw) + "x" + std::to_string(th) + " pixels (" +
               std::to_string(tile_size) + " bytes each) are far larger than the " + std::to_string(width) + "x" +
               std::to_string(height) + " image they hold");
    }
    std::vector<uint8_t> buffer(static_cast<size_t>(tile_size));
    const int planes = separate ? layout.bands : 1;
    for (uint32_t y = 0; y < height; y += th) {
      for (int plane = 0; plane < planes; ++plane) {
        for (uint32_t x = 0; x < width; x += tw) {
          if (TIFFReadTile(tif.get(), buffer.data(), x, y, 0, static_cast<uint16_t>(plane)) == -1) fail("tile data");
          const size_t cw = std::min<size_t>(tw, w - x), ch = std::min<size_t>(th, h - y);
          for (size_t ty = 0; ty < ch; ++ty) {
            const uint8_t* in = buffer.data() + ty * static_cast<size_t>(row_size);
            uint8_t* out = px.data() + ((y + ty) * w + x) * 4;
            if (separate) {
              UnpackPlaneRow(layout.bits, in, cw, plane, out);
            } else {
              UnpackRow(layout, in, cw, out);
            }
          }
        }
      }
    }
  } else {
    uint32_t rows_per_strip = 0;
    if (TIFFGetField(tif.get(), TIFFTAG_ROWSPERSTRIP, &rows_per_strip) != 1 || rows_per_strip == UINT32_MAX ||
        rows_per_strip == 0) {
      rows_per_strip = height;
    }
    const tmsize_t strip_size = TIFFStripSize(tif.get());
    const tmsize_t row_size = TIFFScanlineSize(tif.get());
    const size_t need = RowBytes(layout, w, separate);
    if (strip_size <= 0 || row_size <= 0 || static_cast<size_t>(row_size) < need ||
        static_cast<uint64_t>(strip_size) > static_cast<uint64_t>(need) * rows_per_strip) {
      fail("inconsistent strip layout");
    }
    std::vector<uint8_t> buffer(static_cast<size_t>(strip_size));
    const int planes = separate ? layout.bands : 1;
    for (uint32_t y = 0; y < height; y += rows_per_strip) {
      for (int plane = 0; plane < planes; ++plane) {
        const uint32_t strip = TIFFComputeStrip(tif.get(), y, static_cast<uint16_t>(plane));
        if (TIFFReadEncodedStrip(tif.get(), strip, buffer.data(), strip_size) == -1) fail("strip data");
        const size_t rows = std::min<size_t>(rows_per_strip, h - y);
        for (size_t r = 0; r < rows; ++r) {
          const uint8_t* in = buffer.data() + r * static_cast<size_t>(row_size);
          uint8_t* out = px.data() + (y + r) * w * 4;
          if (separate) {
            UnpackPlaneRow(layout.bits, in, w, plane, out);
          } else {
            UnpackRow(layout, in, w, out);
          }
        }
      }
    }
    if (separate && layout.raw == Raw::kRgbPremultiplied) {
      for (size_t i = 0; i < w * h; ++i) {
        uint8_t* o = px.data() + 4 * i;
        const int a = o[3];
        for (int b = 0; b < 3; ++b) o[b] = a == 0 ? 0 : a == 255 ? o[b] : Clip(o[b] * 255 / a);
      }
    }
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  uint8_t* rgb = decoded.image.rgb.data();
  switch (layout.mode) {
    case Mode::kGray:
      for (size_t i = 0; i < w * h; ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = px[4 * i];
      break;
    case Mode::kPalette:
      for (size_t i = 0; i < w * h; ++i) std::memcpy(rgb + 3 * i, palette.Entry(px[4 * i]), 3);
      break;
    case Mode::kRgb:
      RgbaRowToRgb(px.data(), w * h, rgb);
      break;
    case Mode::kCmyk:
      CmykRowToRgb(px.data(), w * h, rgb);
      break;
    case Mode::kLab:
      if (!LabToRgb(px.data(), w, h, rgb)) {
        ctx.Fail("LittleCMS could not build the Lab to sRGB transform", ErrorKind::kInternal);
      }
      break;
  }
  // The Orientation tag of IFD0, which Pillow applies on load and exif_transpose finds again.
  const int orientation = ExifOrientation(source.bytes);
  decoded.image = ApplyOrientation(std::move(decoded.image), orientation);
  decoded.orientation = orientation;
  return decoded;
}

}  // namespace vit::image
