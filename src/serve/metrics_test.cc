#include "serve/metrics.h"

#include <gtest/gtest.h>

namespace vit::serve {
namespace {

bool Has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  Metrics m;
  m.ObserveRequest("/embed", 200, 0.02);
  m.ObserveRequest("/embed", 200, 0.2);
  m.ObserveRequest("/embed", 422, 0.001);
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, R"(vit_requests_total{route="/embed",status="200"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(vit_requests_total{route="/embed",status="422"} 1)"));
  EXPECT_TRUE(Has(text, "# TYPE vit_request_duration_seconds histogram"));
  // Cumulative buckets: 0.001 <= 0.005; 0.02 <= 0.025; 0.2 <= 0.25.
  EXPECT_TRUE(Has(text, R"(vit_request_duration_seconds_bucket{route="/embed",le="0.005"} 1)"));
  EXPECT_TRUE(Has(text, R"(vit_request_duration_seconds_bucket{route="/embed",le="0.025"} 2)"));
  EXPECT_TRUE(Has(text, R"(vit_request_duration_seconds_bucket{route="/embed",le="0.25"} 3)"));
  EXPECT_TRUE(Has(text, R"(vit_request_duration_seconds_bucket{route="/embed",le="+Inf"} 3)"));
  EXPECT_TRUE(Has(text, R"(vit_request_duration_seconds_count{route="/embed"} 3)"));
}

TEST(Metrics, BatchesImagesQueueAndInFlight) {
  Metrics m;
  m.SetQueueDepthSource([] { return size_t{5}; });
  m.ObserveBatch(8, 0.1);
  m.ObserveBatch(3, 0.05);
  {
    InFlight a(m), b(m);
    EXPECT_TRUE(Has(m.Render(), "vit_requests_in_flight 2"));
  }
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, "vit_requests_in_flight 0"));
  EXPECT_TRUE(Has(text, "vit_queue_depth 5"));
  EXPECT_TRUE(Has(text, "vit_images_total 11"));
  EXPECT_TRUE(Has(text, "vit_batches_total 2"));
  EXPECT_TRUE(Has(text, R"(vit_batch_size_bucket{le="2"} 0)")) << text;
  EXPECT_TRUE(Has(text, R"(vit_batch_size_bucket{le="4"} 1)"));
  EXPECT_TRUE(Has(text, R"(vit_batch_size_bucket{le="8"} 2)"));
  EXPECT_TRUE(Has(text, "vit_batch_size_sum 11"));
  EXPECT_NE(text.find("vit_images_per_second "), std::string::npos);
  EXPECT_EQ(text.find("vit_images_per_second 0\n"), std::string::npos);  // 11 images just now
}

TEST(Metrics, ProcessMemory) {
  const std::string text = Metrics().Render();
  for (const char* name : {"process_resident_memory_bytes ", "vit_heap_in_use_bytes "}) {
    const size_t at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name;
    const double value = std::stod(text.substr(at + 1 + std::string(name).size()));
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer replaces glibc's malloc, whose mallinfo2() then reports nothing.
    if (std::string(name) == "vit_heap_in_use_bytes ") {
      EXPECT_GE(value, 0) << name;
      continue;
    }
#endif
    EXPECT_GT(value, 1e5) << name;
  }
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.ObserveRequest("a\"b\\c", 200, 0);
  EXPECT_NE(m.Render().find(R"(route="a\"b\\c")"), std::string::npos);
}

}  // namespace
}  // namespace vit::serve
