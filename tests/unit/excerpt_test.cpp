// one_line_excerpt: a peer's reply as it appears inside a one-line error message.
#include "base/excerpt.hpp"

#include <gtest/gtest.h>

using ssekit::one_line_excerpt;

TEST(OneLineExcerpt, ShortTextIsKeptAsIs) {
    EXPECT_EQ(one_line_excerpt(R"({"error":{"message":"invalid api key"}})", 300),
              R"({"error":{"message":"invalid api key"}})");
    EXPECT_EQ(one_line_excerpt("", 300), "");
}

TEST(OneLineExcerpt, PrettyPrintedJsonReadsAsOneLine) {
    EXPECT_EQ(one_line_excerpt("{\n    \"error\": {\n\t\"message\": \"no\"\r\n    }\n}\n", 300),
              R"({ "error": { "message": "no" } })");
}

TEST(OneLineExcerpt, LeadingAndTrailingSpaceIsTrimmed) { EXPECT_EQ(one_line_excerpt(" \n boom \r\n", 300), "boom"); }

TEST(OneLineExcerpt, OtherControlCharactersAreEscaped) {
    EXPECT_EQ(one_line_excerpt(std::string("a\x1b[31mb\x7f\0c", 10), 300), "a\\x1b[31mb\\x7f\\x00c");
}

TEST(OneLineExcerpt, InvalidUtf8BecomesReplacementCharacters) {
    EXPECT_EQ(one_line_excerpt("caf\xc3", 300), "caf\xEF\xBF\xBD");
}

TEST(OneLineExcerpt, LongTextIsCutAtACharacterBoundary) {
    EXPECT_EQ(one_line_excerpt("abcdef", 4), "abcd...");
    // "é" is two bytes: it does not fit in the fourth byte, so it is left out whole.
    EXPECT_EQ(one_line_excerpt("abc\xc3\xa9", 4), "abc...");
    EXPECT_EQ(one_line_excerpt("abc\x01", 5), "abc...");  // an escape is not split either
}

TEST(OneLineExcerpt, MoreMarksTheStartOfALongerText) {
    EXPECT_EQ(one_line_excerpt("abc", 300, true), "abc...");
}
