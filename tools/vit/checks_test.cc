#include "checks.h"

#include <gtest/gtest.h>

#include <string>

namespace vit::cli {
namespace {

// What the check says about `value`: empty when it passes.
std::string Verdict(const CLI::Validator& check, std::string value) { return check(value); }

TEST(Checks, NameTheBoundTheValueMissed) {
  EXPECT_EQ(Verdict(Positive(), "3"), "");
  EXPECT_EQ(Verdict(Positive(), "0.5"), "");
  EXPECT_EQ(Verdict(Positive(), "0"), "must be greater than 0, got 0");
  EXPECT_EQ(Verdict(Positive(), "-2"), "must be greater than 0, got -2");
  EXPECT_EQ(Verdict(NonNegative(), "0"), "");
  EXPECT_EQ(Verdict(NonNegative(), "-1"), "must be at least 0, got -1");
  EXPECT_EQ(Verdict(AtLeast(2), "1.5"), "must be at least 2, got 1.5");
  EXPECT_EQ(Verdict(Positive(), "nan"), "must be greater than 0, got nan");
  EXPECT_EQ(Verdict(Positive(), "abc"), "'abc' is not a number");
}

TEST(Checks, RejectOptionsThroughCli11WithUsageErrors) {
  CLI::App app;
  int iterations = 1;
  app.add_option("-n,--iterations", iterations)->check(Positive());
  const char* argv[] = {"vit", "-n", "0"};
  try {
    app.parse(3, argv);
    FAIL() << "accepted --iterations 0";
  } catch (const CLI::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("must be greater than 0"), std::string::npos) << e.what();
  }
  const char* good[] = {"vit", "-n", "7"};
  app.parse(3, good);
  EXPECT_EQ(iterations, 7);
}

}  // namespace
}  // namespace vit::cli
