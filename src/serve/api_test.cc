// The handlers called directly, with a fake model: request parsing, error statuses and the KServe
// tensor formats (images need the decoders and are covered end to end by tests/serve/).
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "serve/api.h"
#include "serve/api_common.h"
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
                std::map<std::string, std::string> headers = {}, std::vector<std::string> params = {},
                ErrorStyle style = ErrorStyle::kTei) {
    body_ = std::move(body);
    Request r;
    r.method = "POST";
    r.body = body_;
    r.headers = std::move(headers);
    r.path_params = std::move(params);
    const Handler h = [&](const Request& req) { return handler(context_, req); };
    return Guarded(h, r, style);
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

TEST_F(ApiTest, KServeVersionsOtherThanOneAre404) {
  EXPECT_EQ(Call(KServeInfer, Json{{"inputs", {PixelInput(1)}}}.dump(), {}, {"org/tiny/versions/1"}).status, 200);
  const Response r = Call(KServeInfer, Json{{"inputs", {PixelInput(1)}}}.dump(), {}, {"org/tiny/versions/2"});
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(ErrorOf(r).find("version \"2\""), std::string::npos) << r.body;
  Request request;
  request.path_params = {"org/tiny/versions/7"};
  EXPECT_EQ(Guarded([&](const Request& q) { return KServeModelMetadata(context_, q); }, request, ErrorStyle::kKServe).status,
            404);
  EXPECT_EQ(Guarded([&](const Request& q) { return KServeModelReady(context_, q); }, request, ErrorStyle::kKServe).status,
            404);
}

TEST_F(ApiTest, KServeModelReadyNamesTheModelAndMetadataListsOneInput) {
  Request r;
  r.path_params = {"org/tiny/versions/1"};
  EXPECT_EQ(Json::parse(KServeModelReady(context_, r).body), Json({{"name", "org/tiny"}, {"ready", true}}));
  const Json meta = Json::parse(KServeModelMetadata(context_, r).body);
  EXPECT_EQ(meta["versions"], Json({"1"}));
  ASSERT_EQ(meta["inputs"].size(), 1u);
  EXPECT_EQ(meta["inputs"][0], Json({{"name", "images"}, {"datatype", "BYTES"}, {"shape", {-1}}}));
  context_.draining = true;
  const Response draining = KServeModelReady(context_, r);
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(Json::parse(draining.body)["ready"], false);
}

TEST_F(ApiTest, KServeHeaderLengthZeroIsOneRawImage) {
  // The whole body is the image: not read as JSON (the fake model's processor cannot decode it, so
  // the answer names the image, not a JSON parse error).
  const Response r = Call(KServeInfer, "\x89PNG\r\n\x1a\nnot really", {{"inference-header-content-length", "0"}},
                          {"org/tiny"});
  EXPECT_NE(r.status, 200);
  EXPECT_EQ(ErrorOf(r).find("JSON"), std::string::npos) << r.body;
  EXPECT_NE(ErrorOf(r).find("inputs[0][0]"), std::string::npos) << r.body;
  EXPECT_EQ(Call(KServeInfer, "", {{"inference-header-content-length", "0"}}, {"org/tiny"}).status, 400);
}

TEST_F(ApiTest, OpenAIErrorsInOpenAIsShapeAndAWrongModelIs404) {
  Response r = Call(OpenAIEmbeddings, R"({"input": "Zm9v", "model": "gpt-4"})", {}, {}, ErrorStyle::kOpenAI);
  EXPECT_EQ(r.status, 404);
  Json e = Json::parse(r.body)["error"];
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_EQ(e["code"], "model_not_found");
  EXPECT_TRUE(e["param"].is_null());
  EXPECT_NE(e["message"].get<std::string>().find("gpt-4"), std::string::npos);
  r = Call(OpenAIEmbeddings, R"({"input": "Zm9v", "encoding_format": "int8"})", {}, {}, ErrorStyle::kOpenAI);
  EXPECT_EQ(r.status, 400);
  e = Json::parse(r.body)["error"];
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_TRUE(e["code"].is_string());
  r = Call(OpenAIEmbeddings, R"({"input": "Zm9v", "dimensions": 0})", {}, {}, ErrorStyle::kOpenAI);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Json::parse(r.body)["error"]["message"].get<std::string>().find("dimensions"), std::string::npos);
}

TEST_F(ApiTest, OpenAIModelsListsTheServedModel) {
  const Json list = Json::parse(Call(OpenAIModels, "").body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], "org/tiny");
  EXPECT_EQ(list["data"][0]["object"], "model");
  EXPECT_GT(list["data"][0]["created"].get<int64_t>(), 1600000000);
  EXPECT_EQ(Json::parse(Call(OpenAIModels, "", {}, {"org/tiny"}).body)["id"], "org/tiny");
  EXPECT_EQ(Call(OpenAIModels, "", {}, {"other"}, ErrorStyle::kOpenAI).status, 404);
}

TEST_F(ApiTest, TeiErrorTypesAreSpelledAsTeiSpellsThem) {
  auto type = [&](const std::string& body) { return Json::parse(Call(TeiEmbed, body).body)["error_type"]; };
  EXPECT_EQ(type(R"({"inputs": []})"), "Empty");
  EXPECT_EQ(Json::parse(Call(TeiEmbed, "", {{"content-type", "image/png"}}).body)["error_type"], "Empty");
  EXPECT_EQ(type(R"({"inputs": 3})"), "Validation");
  EXPECT_EQ(type(R"({"inputs": "Zm9v", "dimensions": 5})"), "Validation");  // wider than the model
  Json many = Json::array();
  for (int i = 0; i < 40; ++i) many.push_back("Zm9v");
  EXPECT_EQ(type(Json{{"inputs", many}}.dump()), "Validation");
  EXPECT_EQ(type(R"({"inputs": "Zm9v"})"), "Tokenizer");  // "foo" is no image
  EXPECT_EQ(Json::parse(ErrorResponse(429, "busy", ErrorStyle::kTei).body)["error_type"], "Overloaded");
  EXPECT_EQ(Json::parse(ErrorResponse(503, "draining", ErrorStyle::kTei).body)["error_type"], "Unhealthy");
}

TEST_F(ApiTest, InfoHasTeisTopLevelFields) {
  const Json info = Json::parse(Call(Info, "").body);
  EXPECT_EQ(info["model_id"], "org/tiny");
  EXPECT_EQ(info["model_dtype"], "float32");
  EXPECT_EQ(info["model_type"]["embedding"]["pooling"], "pooler");
  EXPECT_EQ(info["max_client_batch_size"], 32);
  EXPECT_EQ(info["max_batch_requests"], 8);
  EXPECT_EQ(info["max_input_length"], 5);  // a 2x2 image of 1x1 patches: 4 patches and [CLS]
  EXPECT_EQ(info["max_batch_tokens"], 40);
  EXPECT_EQ(info["auto_truncate"], false);
  EXPECT_TRUE(info.contains("version") && info.contains("sha") && info.contains("docker_label"));
  EXPECT_EQ(Call(Ping, "").status, 200);
}

TEST(RawImageBody, ByContentTypeOrBySignatureWhenThereIsNone) {
  auto request = [](std::string_view body, std::string content_type) {
    Request r;
    r.body = body;
    if (!content_type.empty()) r.headers["content-type"] = content_type;
    return r;
  };
  const std::string png = "\x89PNG\r\n\x1a\n....", jpeg = "\xff\xd8\xff\xe0..", json = R"({"inputs": "Zm9v"})";
  EXPECT_TRUE(RawImageBody(request(png, "")));
  EXPECT_TRUE(RawImageBody(request(jpeg, "")));
  using namespace std::string_view_literals;
  EXPECT_TRUE(RawImageBody(request("RIFF\x10\0\0\0WEBPVP8 "sv, "")));
  EXPECT_TRUE(RawImageBody(request("\0\0\0\x1c" "ftypavif"sv, "")));
  EXPECT_TRUE(RawImageBody(request("anything", "image/jpeg")));
  EXPECT_TRUE(RawImageBody(request("anything", "application/octet-stream")));
  EXPECT_FALSE(RawImageBody(request(json, "")));
  EXPECT_FALSE(RawImageBody(request(png, "application/json")));  // the client said JSON: a JSON error follows
  EXPECT_FALSE(RawImageBody(request("", "")));
  EXPECT_THROW(RawImageBody(request("", "image/png")), Error);
  EXPECT_EQ(RawImageBody(request(jpeg, ""))->name, "body");
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
