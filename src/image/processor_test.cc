#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"
#include "vit/image_processor.h"

namespace vit {
namespace {

using image::testing::RandomBytes;

std::string ErrorOf(const std::string& json, ErrorKind* kind = nullptr) {
  try {
    ImageProcessor::FromJson(json, "model/preprocessor_config.json");
  } catch (const Error& e) {
    if (kind != nullptr) *kind = e.kind();
    return e.what();
  }
  return "";
}

TEST(ProcessorConfigTest, LegacyFeatureExtractorForm) {
  const auto p = ImageProcessor::FromJson(R"({
    "do_normalize": true, "do_resize": true, "feature_extractor_type": "ViTFeatureExtractor",
    "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 384})");
  EXPECT_EQ(p.config().height, 384);
  EXPECT_EQ(p.config().width, 384);
  EXPECT_EQ(p.config().resample, 2);
  EXPECT_DOUBLE_EQ(p.config().rescale_factor, 1.0 / 255.0);
}

TEST(ProcessorConfigTest, ExplicitFormAndDefaults) {
  const auto p = ImageProcessor::FromJson(R"({"image_processor_type": "ViTImageProcessor",
    "size": {"height": 160, "width": 288}, "resample": 3, "image_mean": [0.485, 0.456, 0.406],
    "image_std": 0.25, "do_rescale": false, "rescale_factor": 0.5, "some_future_key": [1, 2]})");
  const auto& c = p.config();
  EXPECT_EQ(c.height, 160);
  EXPECT_EQ(c.width, 288);
  EXPECT_EQ(c.resample, 3);
  EXPECT_FALSE(c.do_rescale);
  EXPECT_DOUBLE_EQ(c.rescale_factor, 0.5);
  EXPECT_EQ(c.image_mean[0], 0.485f);
  EXPECT_EQ(c.image_std[2], 0.25f);
  EXPECT_TRUE(c.do_normalize);  // default kept
  const auto empty = ImageProcessor::FromJson("{}");
  EXPECT_EQ(empty.config().height, 224);
  EXPECT_EQ(empty.config().resample, 2);
  EXPECT_EQ(empty.config().image_mean[1], 0.5f);
  const auto list = ImageProcessor::FromJson(R"({"size": [100, 50]})");
  EXPECT_EQ(list.config().height, 100);
  EXPECT_EQ(list.config().width, 50);
}

TEST(ProcessorConfigTest, NullsBehaveAsInTransformers) {
  const auto p = ImageProcessor::FromJson(R"({"do_resize": null, "size": null, "image_mean": null})");
  EXPECT_FALSE(p.config().do_resize);  // None is falsy in preprocess
  EXPECT_EQ(p.config().height, 224);
  EXPECT_EQ(p.config().image_mean[0], 0.5f);
}

TEST(ProcessorConfigTest, ShortestEdgeIsRefusedOnlyWhenResizing) {
  ErrorKind kind = ErrorKind::kInternal;
  const std::string message = ErrorOf(R"({"size": {"shortest_edge": 224}})", &kind);
  EXPECT_NE(message.find("model/preprocessor_config.json: field \"size\""), std::string::npos) << message;
  EXPECT_NE(message.find("shortest_edge"), std::string::npos) << message;
  EXPECT_EQ(kind, ErrorKind::kUnsupported);
  EXPECT_NO_THROW(ImageProcessor::FromJson(R"({"do_resize": false, "size": {"shortest_edge": 224}})"));
}

TEST(ProcessorConfigTest, BadFieldsNameFileAndField) {
  ErrorKind kind = ErrorKind::kInternal;
  EXPECT_NE(ErrorOf(R"({"resample": 9})", &kind).find("field \"resample\": is 9"), std::string::npos);
  EXPECT_EQ(kind, ErrorKind::kInvalidInput);
  EXPECT_NE(ErrorOf(R"({"size": 0})").find("field \"size\": must be at least 1"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"size": 22.5})").find("field \"size\": must be a whole number"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"size": {"height": 10}})").find("field \"size\": has keys {height}; expected"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_mean": [0.5, 0.5]})").find("field \"image_mean\": must have 3 elements"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_std": "0.5"})").find("field \"image_std\": must be a number"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"do_resize": "yes"})").find("field \"do_resize\": must be true or false"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"rescale_factor": null})").find("field \"rescale_factor\": is null"), std::string::npos);
  EXPECT_NE(ErrorOf(R"([1, 2])").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"size": )").find("model/preprocessor_config.json"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_processor_type": "ConvNextImageProcessor"})", &kind).find("ConvNextImageProcessor"),
            std::string::npos);
  EXPECT_EQ(kind, ErrorKind::kUnsupported);
}

// transformers' rescale then normalize, written out: float32(float64(v) * factor), (x - mean) / std.
float Expected(uint8_t v, double factor, float mean, float std) {
  const float x = static_cast<float>(static_cast<double>(v) * factor);
  return (x - mean) / std;
}

TEST(ProcessorTest, RescaleAndNormalizeInTransformersFloatOrder) {
  ImageProcessorConfig c;
  c.do_resize = false;
  c.image_mean = {0.485f, 0.456f, 0.406f};
  c.image_std = {0.229f, 0.224f, 0.225f};
  const ImageProcessor p(c);
  Image img;
  img.width = 256;
  img.height = 1;
  for (int v = 0; v < 256; ++v) img.rgb.insert(img.rgb.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(255 - v), 7});
  std::vector<float> out(3 * 256);
  p.PreprocessInto(img, out.data());
  for (int v = 0; v < 256; ++v) {
    ASSERT_EQ(out[static_cast<size_t>(v)], Expected(static_cast<uint8_t>(v), c.rescale_factor, 0.485f, 0.229f)) << v;
    ASSERT_EQ(out[256 + static_cast<size_t>(v)], Expected(static_cast<uint8_t>(255 - v), c.rescale_factor, 0.456f, 0.224f));
    ASSERT_EQ(out[512 + static_cast<size_t>(v)], Expected(7, c.rescale_factor, 0.406f, 0.225f));
  }
  // Without rescale the uint8 values go to float32 and are normalised as they are.
  c.do_rescale = false;
  c.do_normalize = false;
  ImageProcessor(c).PreprocessInto(img, out.data());
  EXPECT_EQ(out[200], 200.0f);
}

TEST(ProcessorTest, BatchShapesAndSizeChecks) {
  ImageProcessorConfig c;
  c.height = 8;
  c.width = 5;
  const ImageProcessor p(c);
  Image a{20, 10, RandomBytes(20 * 10 * 3, 1)};
  Image b{3, 3, RandomBytes(27, 2)};
  const std::vector<Image> images = {a, b};
  const Tensor t = p.Preprocess(images);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 3, 8, 5}));
  std::vector<float> one(3 * 8 * 5);
  p.PreprocessInto(b, one.data());
  EXPECT_EQ(std::memcmp(one.data(), t.data() + 3 * 8 * 5, one.size() * sizeof(float)), 0);

  c.do_resize = false;
  try {
    ImageProcessor(c).Preprocess(images);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("image 1 gives pixel_values of 3x3"), std::string::npos) << e.what();
  }
  Image broken{4, 4, std::vector<uint8_t>(5)};
  EXPECT_THROW(p.PreprocessInto(broken, one.data()), Error);
  c.do_resize = true;
  c.resample = 6;
  EXPECT_THROW(ImageProcessor(c).PreprocessInto(a, one.data()), Error);
}

TEST(ProcessorTest, PreprocessEncodedEqualsDecodeThenPreprocess) {
  ImageProcessorConfig c;
  c.height = 31;
  c.width = 17;
  for (const int resample : {0, 1, 2, 3, 4, 5}) {
    c.resample = resample;
    const ImageProcessor p(c);
    for (const bool exif : {false, true}) {
      DecodeOptions options;
      options.exif_transpose = exif;
      for (const int components : {1, 3, 4}) {
        auto jpeg = image::testing::EncodeJpeg(97, 61, components, RandomBytes(97 * 61 * 4, 3));
        if (exif) jpeg = image::testing::WithExifOrientation(jpeg, 8);
        const Tensor fused = p.PreprocessEncoded(jpeg, "x.jpg", options);
        std::vector<float> two_step(static_cast<size_t>(fused.numel()));
        p.PreprocessInto(DecodeImage(jpeg, "x.jpg", options), two_step.data());
        ASSERT_EQ(fused.shape(), (std::vector<int64_t>{3, 31, 17}));
        EXPECT_EQ(std::memcmp(fused.data(), two_step.data(), two_step.size() * sizeof(float)), 0)
            << "resample " << resample << " components " << components << " exif " << exif;
      }
    }
  }
  // Non-JPEG and do_resize=false take the two-step path inside.
  c.do_resize = false;
  const auto png = image::testing::EncodePng(6, 4, PNG_COLOR_TYPE_RGB, 8, RandomBytes(72, 4));
  EXPECT_EQ(ImageProcessor(c).PreprocessEncoded(png).shape(), (std::vector<int64_t>{3, 4, 6}));
  EXPECT_THROW(ImageProcessor(c).PreprocessEncoded({}), Error);
}

// The four hub configs as those repos hold them, read as their classes read them.
TEST(ProcessorFamilyTest, HubConfigs) {
  const auto dinov2 = ImageProcessor::FromJson(R"({"crop_size": {"height": 224, "width": 224}, "do_center_crop": true,
    "do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
    "image_mean": [0.485, 0.456, 0.406], "image_processor_type": "BitImageProcessor",
    "image_std": [0.229, 0.224, 0.225], "resample": 3, "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 256}})").config();
  EXPECT_EQ(dinov2.image_processor_type, "BitImageProcessor");
  EXPECT_EQ(dinov2.shortest_edge, 256);
  EXPECT_TRUE(dinov2.do_center_crop);
  EXPECT_EQ(dinov2.crop_height, 224);
  EXPECT_EQ(dinov2.OutputSize(640, 480), (std::array<int, 2>{224, 224}));
  EXPECT_EQ(dinov2.ResizedSize(640, 480), (std::array<int, 2>{256, 341}));  // int(256 * 640 / 480)

  const auto clip = ImageProcessor::FromJson(R"({"crop_size": 224, "do_center_crop": true, "do_normalize": true,
    "do_resize": true, "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3, "size": 224})").config();
  EXPECT_EQ(clip.image_processor_type, "CLIPImageProcessor");
  EXPECT_EQ(clip.shortest_edge, 224);  // an int size is the shortest edge for CLIP
  EXPECT_EQ(clip.crop_width, 224);
  EXPECT_EQ(clip.ResizedSize(100, 333), (std::array<int, 2>{745, 224}));  // int(224 * 333 / 100) = 745

  const auto siglip = ImageProcessor::FromJson(R"({"do_normalize": true, "do_rescale": true, "do_resize": true,
    "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
    "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
    "size": {"height": 224, "width": 224}})").config();
  EXPECT_EQ(siglip.image_processor_type, "SiglipImageProcessor");
  EXPECT_FALSE(siglip.do_center_crop);
  EXPECT_EQ(siglip.OutputSize(640, 480), (std::array<int, 2>{224, 224}));

  const auto deit = ImageProcessor::FromJson(R"({"crop_size": 224, "do_center_crop": true, "do_normalize": true,
    "do_resize": true, "feature_extractor_type": "DeiTFeatureExtractor", "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225], "resample": 3, "size": 256})").config();
  EXPECT_EQ(deit.image_processor_type, "DeiTImageProcessor");
  EXPECT_EQ(deit.shortest_edge, 0);  // DeiT's int size is a square
  EXPECT_EQ(deit.ResizedSize(640, 480), (std::array<int, 2>{256, 256}));
  EXPECT_EQ(deit.OutputSize(640, 480), (std::array<int, 2>{224, 224}));
  EXPECT_NE(deit.Describe().find("DeiTImageProcessor: convert_rgb, resize 256x256 BICUBIC, center_crop 224x224"),
            std::string::npos)
      << deit.Describe();
}

TEST(ProcessorFamilyTest, ClassDefaultsAndRefusals) {
  const auto bit = ImageProcessor::FromJson(R"({"image_processor_type": "BitImageProcessor"})").config();
  EXPECT_EQ(bit.shortest_edge, 224);
  EXPECT_EQ(bit.resample, 3);
  EXPECT_EQ(bit.image_mean[0], 0.48145466f);  // OPENAI_CLIP_MEAN
  const auto deit = ImageProcessor::FromJson(R"({"image_processor_type": "DeiTImageProcessor"})").config();
  EXPECT_EQ(deit.height, 256);
  EXPECT_EQ(deit.image_mean[0], 0.5f);  // IMAGENET_STANDARD_MEAN
  // ViT has no centre crop: the keys are ignored.
  EXPECT_FALSE(ImageProcessor::FromJson(R"({"do_center_crop": true, "crop_size": 5})").config().do_center_crop);
  // A height/width size for Bit resizes to that size.
  const auto square = ImageProcessor::FromJson(R"({"image_processor_type": "BitImageProcessor", "size": [300, 200]})");
  EXPECT_EQ(square.config().ResizedSize(10, 10), (std::array<int, 2>{300, 200}));
  const auto kosmos = ImageProcessor::FromJson(R"({"image_processor_type": "CLIPImageProcessor", "size": 196,
    "use_square_size": true})");
  EXPECT_EQ(kosmos.config().ResizedSize(10, 30), (std::array<int, 2>{196, 196}));
  ErrorKind kind = ErrorKind::kInternal;
  EXPECT_NE(ErrorOf(R"({"image_processor_type": "SiglipImageProcessor", "size": 224})", &kind)
                .find("field \"size\": has keys {shortest_edge}; SiglipImageProcessor resizes to"),
            std::string::npos);
  EXPECT_EQ(kind, ErrorKind::kUnsupported);
  EXPECT_NE(ErrorOf(R"({"image_processor_type": "DeiTImageProcessor", "crop_size": {"shortest_edge": 3}})")
                .find("field \"crop_size\": has keys {shortest_edge}; center_crop needs"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_processor_type": "CLIPImageProcessor", "crop_size": 0})")
                .find("field \"crop_size\": must be at least 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": -2}})")
                .find("field \"size.shortest_edge\": must be at least 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"image_processor_type": 3})").find("field \"image_processor_type\": must be a string"),
            std::string::npos);
}

// get_resize_output_image_size(default_to_square=False) on the shapes that test its arithmetic.
TEST(ProcessorFamilyTest, ShortestEdgeArithmetic) {
  ImageProcessorConfig c;
  c.shortest_edge = 256;
  EXPECT_EQ(c.ResizedSize(1, 1), (std::array<int, 2>{256, 256}));
  EXPECT_EQ(c.ResizedSize(3, 1), (std::array<int, 2>{256, 768}));
  EXPECT_EQ(c.ResizedSize(1, 700), (std::array<int, 2>{179200, 256}));
  EXPECT_EQ(c.ResizedSize(500, 375), (std::array<int, 2>{256, 341}));  // 341.33 truncated
  EXPECT_EQ(c.ResizedSize(375, 500), (std::array<int, 2>{341, 256}));
  c.shortest_edge = 224;
  EXPECT_EQ(c.ResizedSize(299, 400), (std::array<int, 2>{299, 224}));  // 299.665...
  EXPECT_EQ(c.ResizedSize(7, 10), (std::array<int, 2>{320, 224}));      // 224 * 10 / 7 = 320.0 exactly
}

// center_crop on a picture smaller than the crop: zero padding, the picture at ceil(d / 2).
TEST(ProcessorFamilyTest, CenterCropPadsWithZeros) {
  ImageProcessorConfig c;
  c.do_resize = false;
  c.do_rescale = false;
  c.do_normalize = false;
  c.do_center_crop = true;
  c.crop_height = 4;
  c.crop_width = 3;
  // 1 wide, 7 high: rows 1..4 kept (top = (7 - 4) // 2 = 1), column 1 of 3 (left = (1 - 3) // 2 = -1).
  Image tall{1, 7, {}};
  for (int y = 0; y < 7; ++y) tall.rgb.insert(tall.rgb.end(), {uint8_t(10 + y), uint8_t(20 + y), uint8_t(30 + y)});
  std::vector<float> out(3 * 4 * 3, -1.0f);
  ImageProcessor(c).PreprocessInto(tall, out.data());
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 3; ++x) {
      const float want = x == 1 ? static_cast<float>(10 + y + 1) : 0.0f;
      EXPECT_EQ(out[static_cast<size_t>(y * 3 + x)], want) << y << "," << x;
    }
  }
  // 2x1 into 3x4 (odd padding): left pad ceil(1 / 2) = 1, top pad ceil(3 / 2) = 2.
  c.crop_width = 3;
  Image wide{2, 1, {1, 1, 1, 2, 2, 2}};
  ImageProcessor(c).PreprocessInto(wide, out.data());
  const std::vector<float> red(out.begin(), out.begin() + 12);
  EXPECT_EQ(red, (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0}));
}

// The streamed JPEG path computes the shortest-edge size from the upright picture.
TEST(ProcessorFamilyTest, StreamedJpegMatchesTwoStepWithShortestEdgeAndCrop) {
  ImageProcessorConfig c;
  c.shortest_edge = 40;
  c.resample = 3;
  c.do_center_crop = true;
  c.crop_height = 36;
  c.crop_width = 50;
  const ImageProcessor p(c);
  for (const int orientation : {1, 6}) {
    DecodeOptions options;
    options.exif_transpose = true;
    auto jpeg = image::testing::EncodeJpeg(97, 61, 3, RandomBytes(97 * 61 * 3, 5));
    if (orientation != 1) jpeg = image::testing::WithExifOrientation(jpeg, orientation);
    const Tensor fused = p.PreprocessEncoded(jpeg, "x.jpg", options);
    ASSERT_EQ(fused.shape(), (std::vector<int64_t>{3, 36, 50}));
    std::vector<float> two_step(static_cast<size_t>(fused.numel()));
    p.PreprocessInto(DecodeImage(jpeg, "x.jpg", options), two_step.data());
    EXPECT_EQ(std::memcmp(fused.data(), two_step.data(), two_step.size() * sizeof(float)), 0) << orientation;
  }
  c.do_center_crop = false;
  const Tensor uncropped = ImageProcessor(c).PreprocessEncoded(image::testing::EncodeJpeg(97, 61, 3, RandomBytes(97 * 61 * 3, 5)));
  EXPECT_EQ(uncropped.shape(), (std::vector<int64_t>{3, 40, 63}));  // int(40 * 97 / 61) = 63
}

}  // namespace
}  // namespace vit
