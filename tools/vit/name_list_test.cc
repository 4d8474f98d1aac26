#include "name_list.h"

#include <gtest/gtest.h>

#include "vit/error.h"

namespace vit::tool {
namespace {

TEST(NameList, PlainNamesAreWrittenAsTheyAre) {
  EXPECT_EQ(NameLine("photos/cat 1.jpg"), "photos/cat 1.jpg");
  EXPECT_EQ(NameLine("caf\xc3\xa9.png"), "caf\xc3\xa9.png");
  EXPECT_EQ(NameLine("a\"b.png"), "a\"b.png");  // a quote inside is harmless: only a leading one is JSON
  EXPECT_EQ(NameFromLine("photos/cat 1.jpg", "inputs.txt"), "photos/cat 1.jpg");
}

TEST(NameList, NamesALineCannotHoldAreJsonStrings) {
  EXPECT_EQ(NameLine("a\nb.jpg"), "\"a\\nb.jpg\"");
  EXPECT_EQ(NameLine("tab\there"), "\"tab\\there\"");
  EXPECT_EQ(NameLine("\"quoted\".png"), "\"\\\"quoted\\\".png\"");
  EXPECT_EQ(NameLine(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  for (const std::string& name : {std::string("a\nb.jpg"), std::string("cr\r\n"), std::string("\"q\\\".png"),
                                 std::string("bell\x07\x7f"), std::string("caf\xc3\xa9\n")}) {
    const std::string line = NameLine(name);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(NameFromLine(line, "inputs.txt"), name);
  }
}

TEST(NameList, ReadsJsonEscapesAndRejectsBrokenQuotes) {
  EXPECT_EQ(NameFromLine("\"caf\\u00e9\"", "x"), "caf\xc3\xa9");
  EXPECT_THROW(NameFromLine("\"open", "x"), Error);
  EXPECT_THROW(NameFromLine("\"a\"b\"", "x"), Error);
  EXPECT_THROW(NameFromLine("\"\\q\"", "x"), Error);
}

}  // namespace
}  // namespace vit::tool
