// The gRPC service's status codes; the service itself is tested end to end by tests/serve/test_grpc.py.
#include "serve/grpc_server.h"

#include <gtest/gtest.h>

namespace vit::serve {
namespace {

TEST(GrpcCodeFor, MapsTheHttpStatusesTheRoutesAnswer) {
  EXPECT_EQ(GrpcCodeFor(200), grpc::StatusCode::OK);
  EXPECT_EQ(GrpcCodeFor(400), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(422), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(404), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcCodeFor(413), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcCodeFor(429), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcCodeFor(503), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GrpcCodeFor(504), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(GrpcCodeFor(500), grpc::StatusCode::INTERNAL);
}

}  // namespace
}  // namespace vit::serve
