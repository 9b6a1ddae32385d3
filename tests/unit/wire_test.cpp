// The encoder, read as a specification: what ssed writes must read back, through the parser,
// as exactly what was published, and no field value can break the framing.
#include "ssekit/wire.hpp"

#include <gtest/gtest.h>

#include "ssekit/parser.hpp"

using ssekit::Event;

namespace {

std::string encoded(const Event &e) {
    std::string out;
    EXPECT_TRUE(ssekit::encode(e, out).is_ok());
    return out;
}

Event round_trip(const Event &e) {
    ssekit::Parser p;
    EXPECT_TRUE(p.feed(encoded(e)).is_ok());
    const Event *got = p.next();
    EXPECT_TRUE(got);
    EXPECT_FALSE(p.next());
    return got ? *got : Event{};
}

}  // namespace

TEST(Wire, EncodesAllFields) {
    EXPECT_EQ(encoded({"update", "hello", "42", 5000}), "event: update\nid: 42\nretry: 5000\ndata: hello\n\n");
}

TEST(Wire, OmitsDefaultTypeAndEmptyId) {
    EXPECT_EQ(encoded({"", "x", "", std::nullopt}), "data: x\n\n");
    EXPECT_EQ(encoded({"message", "x", "", std::nullopt}), "data: x\n\n");
}

TEST(Wire, CrLfAndCrAndLfInDataAllBecomeSeparateDataLines) {
    EXPECT_EQ(encoded({"", "a\nb\r\nc\rd", "", std::nullopt}), "data: a\ndata: b\ndata: c\ndata: d\n\n");
    EXPECT_EQ(round_trip({"", "a\r\nb", "", std::nullopt}).data, "a\nb");
}

TEST(Wire, EmptyDataStillDispatchesAnEvent) {
    EXPECT_EQ(encoded({"", "", "", std::nullopt}), "data: \n\n");
    EXPECT_EQ(round_trip({"", "", "", std::nullopt}).data, "");
}

TEST(Wire, TrailingNewlineInDataSurvives) {
    EXPECT_EQ(round_trip({"", "line\n", "", std::nullopt}).data, "line\n");
    EXPECT_EQ(round_trip({"", "\n\n", "", std::nullopt}).data, "\n\n");
}

TEST(Wire, LeadingSpacesInValuesSurvive) {
    auto e = round_trip({" spaced", "  two", " id", std::nullopt});
    EXPECT_EQ(e.data, "  two");
    EXPECT_EQ(e.type, " spaced");
    EXPECT_EQ(e.id, " id");
}

TEST(Wire, RefusesLineBreaksInIdAndType) {
    for (std::string bad : {"a\nb", "a\rb", "a\r\nb", "\n"}) {
        std::string out = "keep";
        auto s = ssekit::encode({"", "x", bad, std::nullopt}, out);
        EXPECT_EQ(s.code(), ssekit::Status::Code::invalid_argument);
        EXPECT_EQ(out, "keep");
        s = ssekit::encode({bad, "x", "", std::nullopt}, out);
        EXPECT_EQ(s.code(), ssekit::Status::Code::invalid_argument);
        EXPECT_EQ(out, "keep");
    }
}

TEST(Wire, RefusesNulInId) {
    std::string out;
    EXPECT_FALSE(ssekit::encode({"", "x", std::string("a\0b", 3), std::nullopt}, out).is_ok());
    EXPECT_TRUE(out.empty());
}

TEST(Wire, InjectionAttemptInDataStaysData) {
    Event e = round_trip({"", "x\n\nevent: evil\ndata: injected\nid: 666", "", std::nullopt});
    EXPECT_EQ(e.type, "message");
    EXPECT_EQ(e.id, "");
    EXPECT_EQ(e.data, "x\n\nevent: evil\ndata: injected\nid: 666");
}

TEST(Wire, CommentsCannotEndTheirBlock) {
    std::string out;
    ssekit::encode_comment("a\nb\rc", out);
    EXPECT_EQ(out, ": a b c\n\n");
    out.clear();
    ssekit::encode_comment("", out);
    EXPECT_EQ(out, ":\n\n");
}

TEST(Wire, RetryBlock) {
    std::string out;
    ssekit::encode_retry(2500, out);
    EXPECT_EQ(out, "retry: 2500\n\n");
    ssekit::Parser p;
    ASSERT_TRUE(p.feed(out).is_ok());
    EXPECT_EQ(p.take_retry(), 2500u);
}
