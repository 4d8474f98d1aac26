// The handlers called directly, with a fake model: request parsing, error statuses and the KServe
// tensor formats (images need the decoders and are covered end to end by tests/serve/).
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "serve/api.h"
#include "serve/serve_testing.h"

namespace vit::serve {
namespace {

using Json = nlohmann::json;
using testing::FakeRunner;

class ApiTest : public ::testing::Test {
 protected:
  explicit ApiTest(bool with_pooler = true) : runner_(with_pooler) {
    model_.name = "org/tiny";
    model_.config.image_size = 2;
    model_.config.patch_size = 1;
    model_.config.hidden_size = FakeRunner::kWidth;
    model_.info.has_pooler = with_pooler;
  }

  Response Call(Response (*handler)(ServeContext&, const Request&), std::string body,
                std::map<std::string, std::string> headers = {}, std::vector<std::string> params = {}) {
    body_ = std::move(body);
    Request r;
    r.method = "POST";
    r.body = body_;
    r.headers = std::move(headers);
    r.path_params = std::move(params);
    const Handler h = [&](const Request& req) { return handler(context_, req); };
    return Guarded(h, r, ErrorStyle::kTei);
  }
  Response Infer(const Json& body, std::map<std::string, std::string> headers = {}) {
    return Call(KServeInfer, body.dump(), std::move(headers), {"org/tiny"});
  }
  static std::string ErrorOf(const Response& r) { return Json::parse(r.body)["error"].get<std::string>(); }

  ServedModel model_;
  FakeRunner runner_;
  Batcher batcher_{runner_, {.max_batch_size = 4, .max_wait = std::chrono::milliseconds(1)}};
  Inference inference_{model_, batcher_, {}};
  Metrics metrics_;
  ServeContext context_{inference_, metrics_, {}};
  std::string body_;
};

Json PixelInput(int batch) {
  Json data = Json::array();
  for (int i = 0; i < batch * 12; ++i) data.push_back(static_cast<float>(i / 12 + 1));
  return {{"name", "pixel_values"}, {"datatype", "FP32"}, {"shape", {batch, 3, 2, 2}}, {"data", data}};
}

TEST_F(ApiTest, KServeFp32JsonDefaultsToPoolerOutput) {
  const Response r = Infer({{"id", "42"}, {"inputs", {PixelInput(2)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = Json::parse(r.body);
  EXPECT_EQ(j["model_name"], "org/tiny");
  EXPECT_EQ(j["id"], "42");
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "pooler_output");
  EXPECT_EQ(j["outputs"][0]["shape"], Json({2, FakeRunner::kWidth}));
  // Row i's pooler is -first_pixel - d; image i is filled with i + 1.
  EXPECT_EQ(j["outputs"][0]["data"][0], -1.0);
  EXPECT_EQ(j["outputs"][0]["data"][FakeRunner::kWidth + 2], -4.0);
}

TEST_F(ApiTest, KServeBinaryInputAndOutput) {
  std::vector<float> pixels(24);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = i < 12 ? 3.0f : 5.0f;
  const Json header = {{"inputs", {{{"name", "pixel_values"},
                                    {"datatype", "FP32"},
                                    {"shape", {2, 3, 2, 2}},
                                    {"parameters", {{"binary_data_size", 96}}}}}},
                       {"outputs", {{{"name", "last_hidden_state"}, {"parameters", {{"binary_data", true}}}},
                                    {{"name", "pooler_output"}}}}};
  const std::string text = header.dump();
  std::string body = text;
  body.append(reinterpret_cast<const char*>(pixels.data()), 96);
  const Response r = Call(KServeInfer, body, {{"inference-header-content-length", std::to_string(text.size())}},
                          {"org/tiny/versions/1"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/octet-stream");
  ASSERT_EQ(r.headers.size(), 1u);
  const size_t json_length = std::stoul(r.headers[0].second);
  const Json j = Json::parse(r.body.substr(0, json_length));
  EXPECT_EQ(j["outputs"][0]["shape"], Json({2, FakeRunner::kTokens, FakeRunner::kWidth}));
  const size_t bytes = j["outputs"][0]["parameters"]["binary_data_size"];
  ASSERT_EQ(bytes, 2 * FakeRunner::kTokens * FakeRunner::kWidth * sizeof(float));
  ASSERT_EQ(r.body.size(), json_length + bytes);
  std::vector<float> hidden(bytes / sizeof(float));
  std::memcpy(hidden.data(), r.body.data() + json_length, bytes);
  EXPECT_EQ(hidden[0], FakeRunner::Expected(3, 0, 0));
  EXPECT_EQ(hidden[FakeRunner::kTokens * FakeRunner::kWidth + 7], FakeRunner::Expected(5, 1, 3));
  EXPECT_EQ(j["outputs"][1]["data"][0], -3.0);
}

TEST_F(ApiTest, KServeErrors) {
  EXPECT_EQ(Call(KServeInfer, R"({"inputs": [)", {}, {"org/tiny"}).status, 400);
  EXPECT_EQ(Call(KServeInfer, Json{{"inputs", {PixelInput(1)}}}.dump(), {}, {"other"}).status, 404);
  Json wrong_shape = PixelInput(1);
  wrong_shape["shape"] = {1, 3, 4, 1};
  Response r = Infer({{"inputs", {wrong_shape}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("[B,3,2,2]"), std::string::npos) << r.body;
  Json short_data = PixelInput(1);
  short_data["data"].erase(0);
  EXPECT_EQ(Infer({{"inputs", {short_data}}}).status, 400);
  Json int8 = PixelInput(1);
  int8["datatype"] = "INT8";
  EXPECT_EQ(Infer({{"inputs", {int8}}}).status, 400);
  r = Infer({{"inputs", {PixelInput(1)}}, {"outputs", {{{"name", "logits"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("logits"), std::string::npos);
  EXPECT_EQ(Infer({{"inputs", Json::array()}}).status, 400);
  // A huge shape with little data is refused before anything of its size is allocated.
  Json huge = PixelInput(1);
  huge["shape"] = {1000000, 3, 2000, 2000};
  EXPECT_EQ(Infer({{"inputs", {huge}}}).status, 400);
  // Binary sizes that disagree.
  r = Call(KServeInfer, R"({"inputs":[{"name":"p","datatype":"FP32","shape":[1,3,2,2],"parameters":{"binary_data_size":48}}]})" + std::string(10, 'x'),
           {{"inference-header-content-length", "95"}}, {"org/tiny"});
  EXPECT_EQ(r.status, 400);
  r = Call(KServeInfer, "{}", {{"inference-header-content-length", "99"}}, {"org/tiny"});
  EXPECT_EQ(r.status, 400);
  // Deeply nested data is bounded.
  Json nested = PixelInput(1);
  std::string deep = std::string(50, '[') + "1" + std::string(50, ']');
  nested["data"] = Json::parse(deep);
  EXPECT_EQ(Infer({{"inputs", {nested}}}).status, 400);
}

TEST_F(ApiTest, KServeMetadataAndHealth) {
  Request r;
  r.path_params = {"org/tiny"};
  const Json meta = Json::parse(KServeModelMetadata(context_, r).body);
  EXPECT_EQ(meta["name"], "org/tiny");
  EXPECT_EQ(meta["outputs"][0]["name"], "pooler_output");
  EXPECT_EQ(KServeModelReady(context_, r).status, 200);
  EXPECT_EQ(KServeLive(context_, r).status, 200);
  EXPECT_EQ(Health(context_, r).status, 200);
  context_.draining = true;
  EXPECT_EQ(KServeReady(context_, r).status, 503);
  EXPECT_EQ(Health(context_, r).status, 503);
}

TEST_F(ApiTest, TeiAndOpenAIRequestErrorsNameTheField) {
  Response r = Call(TeiEmbed, "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("malformed JSON"), std::string::npos);
  // Duplicate keys are refused, not silently collapsed to the last.
  r = Call(TeiEmbed, R"({"inputs": "Zm9v", "inputs": "YmFy"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("duplicate JSON key \"inputs\""), std::string::npos) << ErrorOf(r);
  r = Call(TeiEmbed, R"({"input": "Zm9v"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("\"inputs\""), std::string::npos);
  r = Call(TeiEmbed, R"({"inputs": ["Zm9v", 3]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("inputs[1]"), std::string::npos);
  r = Call(TeiEmbed, R"({"inputs": "Zm9v!!"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("base64"), std::string::npos);
  r = Call(TeiEmbed, R"({"inputs": "Zm9v", "pooling": "max"})");
  EXPECT_EQ(r.status, 400);
  r = Call(TeiEmbed, R"({"inputs": "Zm9v", "normalize": "yes"})");
  EXPECT_EQ(r.status, 400);
  r = Call(TeiEmbed, R"([1, 2])");
  EXPECT_EQ(r.status, 400);
  r = Call(TeiEmbed, "");
  EXPECT_EQ(r.status, 400);
  r = Call(OpenAIEmbeddings, R"({"input": "Zm9v", "encoding_format": "int8"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorOf(r).find("encoding_format"), std::string::npos);
  r = Call(OpenAIEmbeddings, R"({"input": [[1, 2, 3]]})");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ApiTest, TooManyImagesInOneRequestIs413) {
  Json inputs = Json::array();
  for (int i = 0; i < 40; ++i) inputs.push_back("Zm9v");
  const Response r = Call(TeiEmbed, Json{{"inputs", inputs}}.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(ErrorOf(r).find("--max-client-batch-size"), std::string::npos);
}

class NoPoolerApiTest : public ApiTest {
 protected:
  NoPoolerApiTest() : ApiTest(false) {}
};

TEST_F(NoPoolerApiTest, PoolerIs422AndKServeDefaultsToLastHiddenState) {
  Response r = Call(TeiEmbed, R"({"inputs": "Zm9v", "pooling": "pooler"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(ErrorOf(r).find("pooler"), std::string::npos);
  r = Infer({{"inputs", {PixelInput(1)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["outputs"][0]["name"], "last_hidden_state");
  r = Infer({{"inputs", {PixelInput(1)}}, {"outputs", {{{"name", "pooler_output"}}}}});
  EXPECT_EQ(r.status, 422);
}

TEST_F(ApiTest, ConcurrencyLimitIs429) {
  InferenceLimits limits;
  limits.max_concurrent_requests = 1;
  Inference limited(model_, batcher_, limits);
  auto held = limited.Admit();
  try {
    limited.Admit();
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 429);
    EXPECT_EQ(e.retry_after_s(), 1);
  }
}

TEST_F(ApiTest, SlowModelIs504) {
  FakeRunner slow(true, std::chrono::milliseconds(300));
  Batcher batcher(slow, {.max_batch_size = 1, .max_wait = std::chrono::milliseconds(0)});
  InferenceLimits limits;
  limits.request_timeout = std::chrono::milliseconds(50);
  Inference inference(model_, batcher, limits);
  Tensor pixels({1, 3, 2, 2});
  for (float& v : pixels.values()) v = 1;
  try {
    inference.RunPixelValues(pixels, inference.Deadline());
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 504);
  }
}

}  // namespace
}  // namespace vit::serve
