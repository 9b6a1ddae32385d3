// sse-tail's output formats (see tail_output.hpp and OUTPUT FORMAT in sse-tail(1)).
#include "tail/tail_output.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ssekit/parser.hpp"

using ssekit::Event;
using ssekit::Formatter;

namespace {

Formatter make(std::string_view spec) {
    Formatter f;
    auto s = Formatter::parse(spec, f);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return f;
}

std::string render(Formatter &f, const Event &e, std::string_view url = "http://h/t") {
    std::string out;
    f.format(e, url, out);
    return out;
}

Event ev(std::string type, std::string data, std::string id = {}) {
    return Event{std::move(type), std::move(data), std::move(id), std::nullopt};
}

std::vector<Event> parse_all(std::string_view bytes) {
    ssekit::Parser p;
    EXPECT_TRUE(p.feed(bytes).is_ok());
    std::vector<Event> out;
    while (auto e = p.next()) out.push_back(*e);
    return out;
}

}  // namespace

// ---- data ----

TEST(DataFormat, PrintsTheDataThenANewline) {
    auto f = make("data");
    EXPECT_EQ(render(f, ev("message", "hello")), "hello\n");
    EXPECT_EQ(render(f, ev("tick", "a\nb")), "a\nb\n");
    EXPECT_EQ(render(f, ev("message", "")), "\n");
}

// ---- json ----

TEST(JsonFormat, HasExactlyEventDataAndId) {
    auto f = make("json");
    EXPECT_EQ(render(f, ev("update", "x", "7")), R"({"event":"update","data":"x","id":"7"})" "\n");
}

TEST(JsonFormat, UsesMessageWhenNoTypeAndEmptyIdWhenNone) {
    auto f = make("json");
    EXPECT_EQ(render(f, ev("", "x")), R"({"event":"message","data":"x","id":""})" "\n");
}

TEST(JsonFormat, EscapesQuotesBackslashesControlsAndNewlines) {
    auto f = make("json");
    std::string line = render(f, ev("message", "a\"b\\c\nd\te\x01", "i\"d"));
    EXPECT_EQ(line, R"({"event":"message","data":"a\"b\\c\nd\te\u0001","id":"i\"d"})" "\n");
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["data"], "a\"b\\c\nd\te\x01");
    EXPECT_EQ(j.size(), 3u);
}

TEST(JsonFormat, AlwaysValidJsonEvenForInvalidUtf8) {
    auto f = make("json");
    std::string line = render(f, ev("message", std::string("ok \xff\xfe end") + "\xc3\xa9"));
    auto j = nlohmann::json::parse(line);  // throws if not valid
    EXPECT_EQ(j["data"], "ok \xEF\xBF\xBD\xEF\xBF\xBD end\xc3\xa9");
}

TEST(JsonFormat, AddsTheUrlWhenAskedForSeveralStreams) {
    auto f = make("json");
    f.set_json_url(true);
    auto j = nlohmann::json::parse(render(f, ev("message", "x"), "http://127.0.0.1:1/a"));
    EXPECT_EQ(j["url"], "http://127.0.0.1:1/a");
    EXPECT_EQ(j["event"], "message");
}

TEST(JsonFormat, IsOneLinePerEvent) {
    auto f = make("json");
    std::string out = render(f, ev("message", "l1\nl2\r\nl3"));
    EXPECT_EQ(out.find('\n'), out.size() - 1);
}

// ---- raw ----

TEST(RawFormat, WritesEventIdAndOneDataLinePerLine) {
    auto f = make("raw");
    EXPECT_EQ(render(f, ev("tick", "a\nb", "5")), "event: tick\nid: 5\ndata: a\ndata: b\n\n");
}

TEST(RawFormat, OmitsMessageTypeAndEmptyId) {
    auto f = make("raw");
    EXPECT_EQ(render(f, ev("message", "x")), "data: x\n\n");
}

TEST(RawFormat, EmptyDataAndEmptyLinesSurvive) {
    auto f = make("raw");
    EXPECT_EQ(render(f, ev("message", "")), "data:\n\n");
    EXPECT_EQ(render(f, ev("message", "\n")), "data:\ndata:\n\n");
}

TEST(RawFormat, RoundTripsThroughTheParser) {
    const std::vector<Event> events = {
        ev("message", "plain"),
        ev("update", "two\nlines", "1"),
        ev("message", " leading space", "1"),  // id persisted
        ev("message", "", "2"),
        ev("x", "\n\nblank lines\n", "2"),
        ev("message", "after reset"),           // id reset to ""
        ev("message", "unicode \xc3\xa9 \xe2\x82\xac", "\xc3\xa9"),
        ev(" spaced type", "colon: inside", " spaced id"),
    };
    auto f = make("raw");
    std::string bytes;
    for (const auto &e : events) f.format(e, "u", bytes);
    auto back = parse_all(bytes);
    ASSERT_EQ(back.size(), events.size()) << bytes;
    for (size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(back[i].type, events[i].type) << i;
        EXPECT_EQ(back[i].data, events[i].data) << i;
        EXPECT_EQ(back[i].id, events[i].id) << i;
    }
}

// ---- templates ----

TEST(TemplateFormat, ReplacesFieldsAndAppendsANewline) {
    auto f = make("{event}: {data}");
    EXPECT_EQ(render(f, ev("tick", "1")), "tick: 1\n");
    auto g = make("[{id}] {url} {event} {data}");
    EXPECT_EQ(render(g, ev("", "d", "9"), "http://x/y"), "[9] http://x/y message d\n");
}

TEST(TemplateFormat, EndingInANewlineAddsNoSecondOne) {
    auto f = make("{data}\\n");
    EXPECT_EQ(render(f, ev("m", "x")), "x\n");
    auto g = make("{data}\\n\\n");
    EXPECT_EQ(render(g, ev("m", "x")), "x\n\n");
}

TEST(TemplateFormat, HandlesEscapesAndBraces) {
    auto f = make("{{{event}}}\\t{data}\\\\n");
    EXPECT_EQ(render(f, ev("a", "b")), "{a}\tb\\n\n");
}

TEST(TemplateFormat, InsertsValuesVerbatim) {
    auto f = make("{data}");
    EXPECT_EQ(render(f, ev("m", "{event} \\n")), "{event} \\n\n");
}

TEST(TemplateFormat, RejectsBadTemplatesWithAClearMessage) {
    Formatter f;
    auto s = Formatter::parse("{nope}", f);
    EXPECT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("unknown field {nope}"), std::string::npos) << s.message();
    EXPECT_FALSE(Formatter::parse("{data", f).is_ok());
    EXPECT_FALSE(Formatter::parse("{data} }", f).is_ok());
    EXPECT_FALSE(Formatter::parse("{data}\\x", f).is_ok());
    EXPECT_FALSE(Formatter::parse("{data}\\", f).is_ok());
}

TEST(TemplateFormat, AFormatNamingNoFieldIsRefused) {
    Formatter f;
    auto s = Formatter::parse("jsno", f);
    EXPECT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("unknown --format 'jsno'"), std::string::npos) << s.message();
}

TEST(FormatNames, SelectTheBuiltInFormats) {
    EXPECT_EQ(make("data").kind(), Formatter::Kind::data);
    EXPECT_EQ(make("raw").kind(), Formatter::Kind::raw);
    EXPECT_EQ(make("json").kind(), Formatter::Kind::json);
    EXPECT_EQ(make("{data}").kind(), Formatter::Kind::templ);
}
