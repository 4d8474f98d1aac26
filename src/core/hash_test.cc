#include "core/hash.h"

#include <gtest/gtest.h>

namespace vit::core {
namespace {

// The reference values of the FNV-1a 64-bit definition.
TEST(Fnv1a64, MatchesTheDefinitionsTestVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace vit::core
