#include "base/json.hpp"

#include <gtest/gtest.h>

using ssekit::JsonEvent;

namespace {
std::string as_json(std::string_view s) {
    std::string out;
    ssekit::append_json_string(out, s);
    return out;
}
}  // namespace

TEST(Json, EscapesQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(as_json("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(as_json("l1\nl2\r\t\b\f"), R"("l1\nl2\r\t\b\f")");
    EXPECT_EQ(as_json(std::string("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
}

TEST(Json, KeepsValidUtf8AsIs) {
    EXPECT_EQ(as_json("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(Json, ReplacesInvalidUtf8SoTheOutputIsAlwaysValidJson) {
    EXPECT_EQ(as_json("a\xFF" "b\xC3"), "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\"");
    EXPECT_EQ(as_json("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
}

TEST(Json, ReplacesEachMaximalIllFormedSubpartOnceAsTheParserDoes) {
    // The WHATWG decoder's rule (base/utf8.hpp): a truncated sequence is one U+FFFD, not one
    // per byte, so sse-tail's json and data formats show the same text.
    EXPECT_EQ(as_json("\xE2\x82("), "\"\xEF\xBF\xBD(\"");
    EXPECT_EQ(as_json("x\xF0\x9F\x98"), "\"x\xEF\xBF\xBD\"");
    EXPECT_EQ(as_json("\xF0\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong
    EXPECT_EQ(as_json("\xE2\x82\"\n"), "\"\xEF\xBF\xBD\\\"\\n\"");  // the cut byte is escaped afresh
}

TEST(Json, ParsesAnEventObject) {
    JsonEvent e;
    ASSERT_TRUE(ssekit::parse_json_event(R"({"event":"up","data":"x\ny","id":"7","retry":100,"topic":"t"})", e).is_ok());
    EXPECT_EQ(e.event, "up");
    EXPECT_EQ(e.data, "x\ny");
    EXPECT_TRUE(e.has_data);
    EXPECT_EQ(e.id, "7");
    EXPECT_EQ(e.retry, 100u);
    EXPECT_EQ(e.topic, "t");
}

TEST(Json, NonStringDataIsPublishedAsCompactJson) {
    JsonEvent e;
    ASSERT_TRUE(ssekit::parse_json_event(R"({"data": {"a": [1, 2]}})", e).is_ok());
    EXPECT_EQ(e.data, R"({"a":[1,2]})");
}

TEST(Json, IgnoresUnknownKeysAndAcceptsMissingOnes) {
    JsonEvent e;
    ASSERT_TRUE(ssekit::parse_json_event(R"({"extra":true})", e).is_ok());
    EXPECT_FALSE(e.has_data);
    EXPECT_TRUE(e.id.empty());
}

TEST(Json, RefusesWhatIsNotAnEventObject) {
    JsonEvent e;
    EXPECT_EQ(ssekit::parse_json_event("not json", e).message(), "not valid JSON");
    EXPECT_EQ(ssekit::parse_json_event("[1]", e).message(), "not a JSON object");
    EXPECT_EQ(ssekit::parse_json_event(R"({"id": 5})", e).message(), "\"id\" must be a string");
    EXPECT_EQ(ssekit::parse_json_event(R"({"retry": -1})", e).message(),
              "\"retry\" must be a non-negative integer");
    EXPECT_FALSE(ssekit::parse_json_event(R"({"data":"x"} trailing)", e).is_ok());
}

TEST(Json, ReadsAStringMemberOfAReply) {
    EXPECT_EQ(ssekit::json_string_member(R"j({"error":"subscriber limit reached (1)"})j", "error"),
              "subscriber limit reached (1)");
    EXPECT_EQ(ssekit::json_string_member(R"({"id":7})", "id"), std::nullopt);
    EXPECT_EQ(ssekit::json_string_member("Bad Gateway", "error"), std::nullopt);
    EXPECT_EQ(ssekit::json_string_member(R"(["error"])", "error"), std::nullopt);
}

TEST(Json, EscapesTheSameAtEveryOffsetOfALongAsciiRun) {
    // Runs are skipped eight bytes at a time: whatever needs care, anywhere in a long string
    // (and across the boundary of an eight-byte step), is written as it is on its own.
    const std::initializer_list<std::string_view> careful = {
        "\"", "\\", "\n", "\x01", "\x1f", std::string_view("\0", 1), "\xC3\xA9", "\xFF", "\xE2\x82", " ", "\x7f", "~"};
    for (std::string_view s : careful) {
        std::string alone = as_json(s);
        alone = alone.substr(1, alone.size() - 2);
        for (size_t before = 0; before <= 17; ++before) {
            std::string pad1(before, 'a'), pad2(19 - before, 'b');
            EXPECT_EQ(as_json(pad1 + std::string(s) + pad2), "\"" + pad1 + alone + pad2 + "\"")
                << "after " << before << " ASCII bytes";
        }
    }
}
