#include "io/json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

#include "io/json_fields.h"
#include "io/peak_memory_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

std::string ErrorOf(const std::string& text, const JsonLimits& limits = {}) {
  try {
    ParseJson(text, "x.json", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonTest, KeepsOrderAndValues) {
  const Json j = ParseJson(R"({"b": [1, -2, 3.5, "s", true, null], "a": {"c": {}}})", "x.json");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.begin().key(), "b");
  EXPECT_EQ(j.dump(), R"({"b":[1,-2,3.5,"s",true,null],"a":{"c":{}}})");
  EXPECT_EQ(ParseJson("7", "x.json"), Json(7));
  EXPECT_EQ(ParseSortedJson(R"({"b": 1, "a": [2]})", "x.json").dump(), R"({"a":[2],"b":1})");
}

TEST(JsonTest, RefusesDuplicateKeysAtAnyDepth) {
  EXPECT_NE(ErrorOf(R"({"a": 1, "a": 2})").find("x.json: duplicate JSON key \"a\""), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"o": [{"k": 1, "k": 1}]})").find("duplicate JSON key \"k\""), std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"o": {"k": 1}, "p": {"k": 1}})"), "");  // the same key in sibling objects is fine
}

TEST(JsonTest, RefusesSyntaxErrorsAndTrailingText) {
  EXPECT_NE(ErrorOf("{\"a\": 1,}").find("x.json: invalid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("{} {}").find("invalid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("").find("invalid JSON"), std::string::npos);
}

// An unused key nested 100,000 levels deep (200 KB): refused at the depth limit, not parsed and then
// pretty-printed in quadratic time and stack.
TEST(JsonTest, DeepNestingStopsAtTheLimitInBoundedMemory) {
  const std::string deep = "{\"unused\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string error;
  const int64_t growth = testing::PeakRssGrowth([&] { error = ErrorOf(deep); });
  EXPECT_NE(error.find("nested deeper than 64 levels"), std::string::npos) << error;
  EXPECT_LT(growth, int64_t{16} << 20);
  EXPECT_NE(ErrorOf("[[[1]]]", {.max_depth = 2}).find("nested deeper than 2"), std::string::npos);
  EXPECT_EQ(ErrorOf("[[1]]", {.max_depth = 2}), "");
}

TEST(JsonTest, RefusesTextOverTheSizeLimit) {
  EXPECT_NE(ErrorOf("[1, 2, 3]", {.max_bytes = 8}).find("9 bytes, over the limit of 8"), std::string::npos);
}

// nlohmann's own ordered_json parser finds each new key by a linear scan: 200,000 keys would take
// 2 * 10^10 comparisons. Ours takes O(log n) a key; the bound is generous for a loaded machine.
TEST(JsonTest, WideObjectsCostNoQuadraticWork) {
  std::string wide = "{";
  for (int i = 0; i < 200000; ++i) wide += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  wide += "}";
  const auto start = std::chrono::steady_clock::now();
  const Json j = ParseJson(wide, "wide.json");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(j.size(), 200000u);
  EXPECT_LT(seconds, 5.0);
}

TEST(JsonTest, ReadsOnlyRegularFilesWithinTheLimit) {
  const auto dir = std::filesystem::temp_directory_path() / ("vit_json_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ok.json") << R"({"a": 1})";
  EXPECT_EQ(ReadJsonFile(dir / "ok.json")["a"], 1);
  std::filesystem::create_symlink("/dev/zero", dir / "zero.json");
  for (const auto& special : {std::filesystem::path("/dev/zero"), dir / "zero.json"}) {
    try {
      ReadJsonFile(special);
      ADD_FAILURE() << "read " << special;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(special.string()), std::string::npos) << e.what();
    }
  }
  try {
    ReadJsonFile(dir / "ok.json", {.max_bytes = 4});
    ADD_FAILURE() << "read a file over the limit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("8 bytes, over the 4-byte limit"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vit::io

namespace vit::io {
namespace {

TEST(JsonTest, CheckAppliesTheSameRulesWithoutBuilding) {
  EXPECT_NO_THROW(CheckJson(R"({"a": [1, {"b": null}]})", "body"));
  EXPECT_THROW(CheckJson(R"({"a": 1, "a": 1})", "body"), Error);
  EXPECT_THROW(CheckJson(std::string(100, '[') + std::string(100, ']'), "body"), Error);
  EXPECT_THROW(CheckJson("{", "body"), Error);
}

}  // namespace
}  // namespace vit::io

namespace vit::io {
namespace {

std::string FieldError(const std::function<void(const JsonFields&)>& read,
                       const std::string& text = R"({"n": 300, "s": "x", "b": true, "neg": -1, "f": 1.5, "z": null})") {
  const Json json = ParseJson(text, "c.json");
  try {
    read(JsonFields(json, "c.json"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonFieldsTest, OneErrorFormatForEveryField) {
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<std::string>("missing"); }), "c.json: field \"missing\": is missing");
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<int>("s"); }), "c.json: field \"s\": expected a whole number, got \"x\"");
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<uint8_t>("n"); }),
            "c.json: field \"n\": expected a whole number in 0..255, got 300");
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<uint32_t>("neg"); }),
            "c.json: field \"neg\": expected a whole number in 0..4294967295, got -1");
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<int>("f"); }), "c.json: field \"f\": expected a whole number, got 1.5");
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<bool>("n"); }), "c.json: field \"n\": expected true or false, got 300");
  EXPECT_EQ(FieldError([](const JsonFields& r) { r.Get<std::string>("z"); }), "c.json: field \"z\": expected a string, got null");
  EXPECT_EQ(FieldError([](const JsonFields&) {}, "[1]"), "c.json: expected a JSON object, got array");
  // A long value is cut short in the message.
  const std::string long_text = "{\"v\": [" + std::string(200, '1') + "]}";
  EXPECT_LT(FieldError([](const JsonFields& r) { r.Get<std::string>("v"); }, long_text).size(), 150u);
}

TEST(JsonFieldsTest, ReadKeepsTheDefaultForAbsentOrNull) {
  const Json json = ParseJson(R"({"n": 7, "z": null})", "c.json");
  const JsonFields r(json, "c.json");
  int n = 1, z = 2, absent = 3;
  r.Read("n", n);
  r.Read("z", z);
  r.Read("absent", absent);
  EXPECT_EQ(n, 7);
  EXPECT_EQ(z, 2);
  EXPECT_EQ(absent, 3);
  EXPECT_DOUBLE_EQ(r.Get<double>("n"), 7.0);
}

}  // namespace
}  // namespace vit::io
