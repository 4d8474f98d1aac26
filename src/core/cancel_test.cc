#include "core/cancel.h"

#include <gtest/gtest.h>

#include <thread>

#include "vit/error.h"

namespace vit {
namespace {

TEST(CancelScope, SetsTheFlagForThisThreadAndScopeOnly) {
  std::atomic<bool> flag{true};
  EXPECT_FALSE(CancelRequested());
  {
    CancelScope scope(&flag);
    EXPECT_TRUE(CancelRequested());
    EXPECT_THROW(ThrowIfCancelled(), Error);
    bool other_thread = true;
    std::thread([&] { other_thread = CancelRequested(); }).join();
    EXPECT_FALSE(other_thread);
    {
      CancelScope inner(nullptr);
      EXPECT_FALSE(CancelRequested());
    }
    EXPECT_TRUE(CancelRequested());
    flag = false;
    EXPECT_FALSE(CancelRequested());
  }
  flag = true;
  EXPECT_FALSE(CancelRequested());
  EXPECT_NO_THROW(ThrowIfCancelled());
}

}  // namespace
}  // namespace vit
