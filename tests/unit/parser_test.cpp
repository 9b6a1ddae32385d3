// The WHATWG "Server-sent events" parsing rules, one test each, written from the spec text.
// Every input is also fed split at every byte position (and one byte at a time), because a
// network chunk may end anywhere: inside a CRLF pair, a UTF-8 sequence or the BOM.
#include "ssekit/parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using ssekit::Event;
using ssekit::Parser;

namespace {

struct Seen {
    std::string type, data, id;
    bool operator==(const Seen &) const = default;
};
std::ostream &operator<<(std::ostream &os, const Seen &s) {
    return os << "{type=" << s.type << " data=" << s.data << " id=" << s.id << "}";
}

std::vector<Seen> drain(Parser &p) {
    std::vector<Seen> out;
    while (auto e = p.next()) out.push_back({e->type, e->data, e->id});
    return out;
}

std::vector<Seen> parse_whole(std::string_view input, std::string seed = {}) {
    Parser p(std::move(seed));
    EXPECT_TRUE(p.feed(input).is_ok());
    auto out = drain(p);
    p.end_of_stream();
    auto after = drain(p);
    out.insert(out.end(), after.begin(), after.end());
    return out;
}

// Parses `input` whole, in two pieces at every split point, and one byte at a time; all must
// give the same events, which are returned.
std::vector<Seen> parse(std::string_view input) {
    auto whole = parse_whole(input);
    for (size_t cut = 0; cut <= input.size(); ++cut) {
        Parser p;
        EXPECT_TRUE(p.feed(input.substr(0, cut)).is_ok());
        EXPECT_TRUE(p.feed(input.substr(cut)).is_ok());
        EXPECT_EQ(drain(p), whole) << "split at byte " << cut;
    }
    Parser p;
    for (char c : input) EXPECT_TRUE(p.feed(std::string_view(&c, 1)).is_ok());
    EXPECT_EQ(drain(p), whole) << "fed byte by byte";
    return whole;
}

}  // namespace

TEST(Parser, DispatchesOnBlankLineWithDefaultTypeMessage) {
    EXPECT_EQ(parse("data: hello\n\n"), (std::vector<Seen>{{"message", "hello", ""}}));
}

TEST(Parser, AcceptsCrLfAndCrAndLfLineEnds) {
    auto expected = std::vector<Seen>{{"message", "a", ""}, {"message", "b", ""}, {"message", "c", ""}};
    EXPECT_EQ(parse("data: a\r\n\r\ndata: b\r\rdata: c\n\n"), expected);
}

TEST(Parser, CrLfSplitAcrossChunksIsOneLineBreak) {
    Parser p;
    ASSERT_TRUE(p.feed("data: a\r").is_ok());
    ASSERT_TRUE(p.feed("\n\r").is_ok());
    ASSERT_TRUE(p.feed("\n").is_ok());
    EXPECT_EQ(drain(p), (std::vector<Seen>{{"message", "a", ""}}));
    // Had the LF counted as a second line end, "data: b" would not have been a separate event.
    ASSERT_TRUE(p.feed("data: b\r").is_ok());
    ASSERT_TRUE(p.feed("\r").is_ok());
    EXPECT_EQ(drain(p), (std::vector<Seen>{{"message", "b", ""}}));
}

TEST(Parser, MixedLineEndsInOneChunkEachEndALine) {
    // The parser looks for the next CR once and again only after passing it: lines ending in
    // LF before it, at it, and CRs and LFs alternating after it must all still split.
    EXPECT_EQ(parse("data: a\ndata: b\rdata: c\n\ndata: d\r\n\r\ndata: e\n\r" "data: f\r\r" ":x\ndata: g\n\n"),
              (std::vector<Seen>{{"message", "a\nb\nc", ""}, {"message", "d", ""}, {"message", "e", ""},
                                 {"message", "f", ""}, {"message", "g", ""}}));
}

TEST(Parser, JoinsDataLinesWithLfAndRemovesTheFinalLf) {
    EXPECT_EQ(parse("data: one\ndata: two\ndata:\ndata: three\n\n"),
              (std::vector<Seen>{{"message", "one\ntwo\n\nthree", ""}}));
}

TEST(Parser, EmptyDataBufferDispatchesNothing) {
    EXPECT_TRUE(parse("event: x\n\n\n\nid: 1\n\n").empty());
}

TEST(Parser, DataFieldWithEmptyValueDispatchesAnEmptyEvent) {
    // "data\n\n": buffer is "\n", not empty, so an event with data "" is dispatched.
    EXPECT_EQ(parse("data\n\n"), (std::vector<Seen>{{"message", "", ""}}));
    EXPECT_EQ(parse("data:\n\n"), (std::vector<Seen>{{"message", "", ""}}));
    EXPECT_EQ(parse("data\ndata\n\n"), (std::vector<Seen>{{"message", "\n", ""}}));
}

TEST(Parser, IgnoresComments) {
    EXPECT_EQ(parse(": hello\n:\ndata: x\n: between\n\n"), (std::vector<Seen>{{"message", "x", ""}}));
}

TEST(Parser, LineWithoutColonIsFieldNameWithEmptyValue) {
    // "event" alone sets the type to "" (so "message"); "data" alone appends an empty line.
    EXPECT_EQ(parse("event: a\nevent\ndata: x\n\n"), (std::vector<Seen>{{"message", "x", ""}}));
    EXPECT_EQ(parse("data: x\ndata\n\n"), (std::vector<Seen>{{"message", "x\n", ""}}));
}

TEST(Parser, StripsExactlyOneLeadingSpace) {
    EXPECT_EQ(parse("data:no space\n\n"), (std::vector<Seen>{{"message", "no space", ""}}));
    EXPECT_EQ(parse("data:  two spaces\n\n"), (std::vector<Seen>{{"message", " two spaces", ""}}));
    EXPECT_EQ(parse("data:\tkeeps tab\n\n"), (std::vector<Seen>{{"message", "\tkeeps tab", ""}}));
}

TEST(Parser, ValueMayContainColons) {
    EXPECT_EQ(parse("data: a:b: c\n\n"), (std::vector<Seen>{{"message", "a:b: c", ""}}));
}

TEST(Parser, IgnoresUnknownFieldsAndFieldNamesAreCaseSensitive) {
    EXPECT_EQ(parse("foo: bar\nDATA: no\nData: no\ndata: yes\n\n"),
              (std::vector<Seen>{{"message", "yes", ""}}));
    // A field name with a trailing space is a different field.
    EXPECT_EQ(parse("data : no\ndata: yes\n\n"), (std::vector<Seen>{{"message", "yes", ""}}));
}

TEST(Parser, EventTypeAppliesToOneEventThenResets) {
    EXPECT_EQ(parse("event: add\ndata: 1\n\ndata: 2\n\n"),
              (std::vector<Seen>{{"add", "1", ""}, {"message", "2", ""}}));
}

TEST(Parser, EventTypeResetsEvenWhenNothingIsDispatched) {
    EXPECT_EQ(parse("event: add\n\ndata: 2\n\n"), (std::vector<Seen>{{"message", "2", ""}}));
}

TEST(Parser, LastEventIdPersistsAcrossEvents) {
    EXPECT_EQ(parse("id: 7\ndata: a\n\ndata: b\n\n"),
              (std::vector<Seen>{{"message", "a", "7"}, {"message", "b", "7"}}));
}

TEST(Parser, EmptyIdResetsTheLastEventId) {
    EXPECT_EQ(parse("id: 7\ndata: a\n\nid\ndata: b\n\nid: 8\ndata: c\n\nid:\ndata: d\n\n"),
              (std::vector<Seen>{{"message", "a", "7"}, {"message", "b", ""}, {"message", "c", "8"},
                                 {"message", "d", ""}}));
}

TEST(Parser, IdContainingNulIsIgnored) {
    std::string input = "id: 1\ndata: a\n\nid: 2";
    input.push_back('\0');
    input += "x\ndata: b\n\n";
    EXPECT_EQ(parse(input), (std::vector<Seen>{{"message", "a", "1"}, {"message", "b", "1"}}));
}

TEST(Parser, IdWithoutDataSetsLastEventIdAtTheBlankLine) {
    Parser p;
    ASSERT_TRUE(p.feed("id: 5\n").is_ok());
    EXPECT_EQ(p.last_event_id(), "");  // takes effect only when the block ends
    ASSERT_TRUE(p.feed("\n").is_ok());
    EXPECT_EQ(p.last_event_id(), "5");
    EXPECT_FALSE(p.next());
}

TEST(Parser, IdAppliesToTheEventItIsIn) {
    EXPECT_EQ(parse("data: a\nid: 3\n\n"), (std::vector<Seen>{{"message", "a", "3"}}));
}

TEST(Parser, SeededLastEventIdCarriesIntoANewConnection) {
    EXPECT_EQ(parse_whole("data: x\n\n", "41"), (std::vector<Seen>{{"message", "x", "41"}}));
}

TEST(Parser, RetryTakenOnlyWhenAllAsciiDigits) {
    auto retry_of = [](std::string_view input) {
        Parser p;
        EXPECT_TRUE(p.feed(input).is_ok());
        return p.take_retry();
    };
    EXPECT_EQ(retry_of("retry: 1500\n"), 1500u);
    EXPECT_EQ(retry_of("retry:0\n"), 0u);
    EXPECT_FALSE(retry_of("retry: 15s\n"));
    EXPECT_FALSE(retry_of("retry: -1\n"));
    EXPECT_FALSE(retry_of("retry: 1.5\n"));
    EXPECT_FALSE(retry_of("retry:  10\n"));  // the second space is part of the value
    EXPECT_FALSE(retry_of("retry:\n"));
    EXPECT_FALSE(retry_of("retry: \xD9\xA1\n"));  // ARABIC-INDIC DIGIT ONE is not ASCII
    EXPECT_EQ(retry_of("retry: 99999999999999999999999\n"), UINT64_MAX);
}

TEST(Parser, RetryIsReportedOnceAndDoesNotDispatch) {
    Parser p;
    ASSERT_TRUE(p.feed("retry: 10\n\n").is_ok());
    EXPECT_EQ(p.take_retry(), 10u);
    EXPECT_FALSE(p.take_retry());
    EXPECT_FALSE(p.next());
}

TEST(Parser, StripsOneLeadingBomOnly) {
    EXPECT_EQ(parse("\xEF\xBB\xBF" "data: a\n\n"), (std::vector<Seen>{{"message", "a", ""}}));
    // A second BOM is part of the first line's field name, so that field is unknown.
    EXPECT_EQ(parse("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n"),
              (std::vector<Seen>{{"message", "b", ""}}));
}

TEST(Parser, BomLookalikeAtStartIsKeptAsInput) {
    // EF BB not followed by BF: those bytes are input (invalid UTF-8) and the line is a comment
    // only if it starts with ':' -- here it makes an unknown field.
    EXPECT_EQ(parse("\xEF\xBB" "data: a\n\ndata: b\n\n"), (std::vector<Seen>{{"message", "b", ""}}));
    EXPECT_EQ(parse("\xEF" ":x\ndata: b\n\n"), (std::vector<Seen>{{"message", "b", ""}}));
}

TEST(Parser, UnterminatedFinalBlockIsNotDispatched) {
    EXPECT_EQ(parse("data: a\n\ndata: b\n"), (std::vector<Seen>{{"message", "a", ""}}));
    EXPECT_EQ(parse("data: a\n\ndata: b"), (std::vector<Seen>{{"message", "a", ""}}));
}

TEST(Parser, EndOfStreamDiscardsPendingIdToo) {
    Parser p("1");
    ASSERT_TRUE(p.feed("id: 2\ndata: x\n").is_ok());
    p.end_of_stream();
    EXPECT_FALSE(p.next());
    EXPECT_EQ(p.last_event_id(), "1");
}

TEST(Parser, DecodesUtf8SplitAcrossChunks) {
    EXPECT_EQ(parse("data: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n\n"),
              (std::vector<Seen>{{"message", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", ""}}));
}

TEST(Parser, InvalidUtf8BecomesReplacementCharacters) {
    const std::string fffd = "\xEF\xBF\xBD";
    // A lone continuation byte, an invalid lead byte and a truncated sequence before ASCII.
    EXPECT_EQ(parse("data: a\x80" "b\xFF" "c\xE2\x82" "d\n\n"),
              (std::vector<Seen>{{"message", "a" + fffd + "b" + fffd + "c" + fffd + "d", ""}}));
    // A sequence cut short by the end of the line: one replacement, then the line ends.
    EXPECT_EQ(parse("data: x\xF0\x9F\x98\n\n"), (std::vector<Seen>{{"message", "x" + fffd, ""}}));
    // Overlong encoding and a UTF-16 surrogate are ill-formed byte by byte (WHATWG decoder).
    EXPECT_EQ(parse("data: \xC0\xAF\n\n"), (std::vector<Seen>{{"message", fffd + fffd, ""}}));
    EXPECT_EQ(parse("data: \xED\xA0\x80\n\n"), (std::vector<Seen>{{"message", fffd + fffd + fffd, ""}}));
}

TEST(Parser, InvalidUtf8InFieldNameDoesNotMatchAKnownField) {
    EXPECT_EQ(parse("dat\xE1: x\ndata: y\n\n"), (std::vector<Seen>{{"message", "y", ""}}));
}

TEST(Parser, HandlesManyMegabyteLinesInSmallChunks) {
    std::string big(10 * 1024 * 1024, 'x');
    std::string input = "data: " + big + "\n\n";
    Parser p;
    for (size_t i = 0; i < input.size(); i += 65536)
        ASSERT_TRUE(p.feed(std::string_view(input).substr(i, 65536)).is_ok());
    auto e = p.next();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data.size(), big.size());
    EXPECT_EQ(e->data, big);
}

TEST(Parser, MaxLineRefusesLongerLines) {
    Parser p({}, 16);
    EXPECT_TRUE(p.feed("data: short\n").is_ok());
    auto s = p.feed("data: this line is far too long\n");
    EXPECT_FALSE(s.is_ok());
    EXPECT_EQ(s.code(), ssekit::Status::Code::too_large);
}

TEST(Parser, MaxSizeBoundsTheDataOfOneEventToo) {
    // Many short data lines and no blank line: each line is fine, the event is not.
    Parser p({}, 64);
    EXPECT_TRUE(p.feed("data: 0123456789\ndata: 0123456789\n\n").is_ok());
    ASSERT_NE(p.next(), nullptr);
    ssekit::Status s = ssekit::Status::ok();
    for (int i = 0; i < 10 && s.is_ok(); ++i) s = p.feed("data: 0123456789\n");
    EXPECT_EQ(s.code(), ssekit::Status::Code::too_large);
    EXPECT_NE(s.message().find("data is larger than 64 bytes"), std::string::npos) << s.message();
}

TEST(Parser, GarbageBytesNeverCrash) {
    std::string garbage;
    unsigned x = 12345;
    for (int i = 0; i < 200000; ++i) {
        x = x * 1103515245u + 12345u;
        garbage.push_back(static_cast<char>((x >> 16) & 0xFF));
    }
    Parser p;
    for (size_t i = 0; i < garbage.size(); i += 977)
        ASSERT_TRUE(p.feed(std::string_view(garbage).substr(i, 977)).is_ok());
    size_t events = 0;
    while (auto e = p.next()) {
        ++events;
        // Whatever came out is valid UTF-8: a second parse of it changes nothing.
        ssekit::Parser q;
        ASSERT_TRUE(q.feed("data:" + std::string(" ") + e->data.substr(0, e->data.find('\n')) + "\n\n").is_ok());
        auto again = q.next();
        ASSERT_TRUE(again);
        EXPECT_EQ(again->data, e->data.substr(0, e->data.find('\n')));
    }
    EXPECT_GT(p.bytes_fed(), 0u);
    p.end_of_stream();
}

TEST(Parser, CountsEveryByteFed) {
    Parser p;
    ASSERT_TRUE(p.feed(":\n\n").is_ok());
    ASSERT_TRUE(p.feed("\xEF\xBB").is_ok());
    EXPECT_EQ(p.bytes_fed(), 5u);
}

// The example streams from the spec's "Interpreting an event stream" section.
TEST(Parser, SpecExampleStockTicker) {
    EXPECT_EQ(parse("data: YHOO\ndata: +2\ndata: 10\n\n"),
              (std::vector<Seen>{{"message", "YHOO\n+2\n10", ""}}));
}

TEST(Parser, SpecExampleFourBlocks) {
    // "The first block fires events with the data set to the empty string, as would the last
    // block if it was followed by a blank line. The middle two blocks fire events with the data
    // set to a single newline character."
    EXPECT_EQ(parse(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"),
              (std::vector<Seen>{{"message", "first event", "1"}, {"message", "second event", ""},
                                 {"message", " third event", ""}}));
    EXPECT_EQ(parse("data\n\ndata\ndata\n\ndata:"),
              (std::vector<Seen>{{"message", "", ""}, {"message", "\n", ""}}));
    EXPECT_EQ(parse("data:test\n\ndata: test\n\n"),
              (std::vector<Seen>{{"message", "test", ""}, {"message", "test", ""}}));
}

// next() hands out events the parser owns and reuses; these pin what a caller may rely on.
TEST(Parser, HandedOutEventsStayValidUntilTheNextFeed) {
    Parser p;
    ASSERT_TRUE(p.feed("data: first, longer than any small-string buffer\n\ndata: second\n\n").is_ok());
    const Event *a = p.next();
    const Event *b = p.next();
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(p.next());
    EXPECT_EQ(a->data, "first, longer than any small-string buffer");
    EXPECT_EQ(b->data, "second");
}

TEST(Parser, ReusedSlotsCarryNothingOver) {
    // The second chunk's events land in the slots (and buffers) of the first chunk's: longer
    // and shorter data, another type and id, must all come out as sent.
    Parser p;
    ASSERT_TRUE(p.feed("event: big\nid: 7\ndata: a rather long first event, past the SSO size\n\ndata: 2\n\n").is_ok());
    EXPECT_EQ(drain(p), (std::vector<Seen>{{"big", "a rather long first event, past the SSO size", "7"},
                                           {"message", "2", "7"}}));
    ASSERT_TRUE(p.feed("id\ndata: x\n\nevent: t\ndata: a rather long third event, past the SSO size too\n\ndata: y\n\n").is_ok());
    EXPECT_EQ(drain(p), (std::vector<Seen>{{"message", "x", ""},
                                           {"t", "a rather long third event, past the SSO size too", ""},
                                           {"message", "y", ""}}));
}

TEST(Parser, EventsNotYetTakenSurviveAFeed) {
    Parser p;
    ASSERT_TRUE(p.feed("data: 1\n\ndata: 2\n\n").is_ok());
    const Event *first = p.next();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->data, "1");
    // "2" was not taken: the next chunk queues behind it.
    ASSERT_TRUE(p.feed("data: 3\n\n").is_ok());
    EXPECT_EQ(drain(p), (std::vector<Seen>{{"message", "2", ""}, {"message", "3", ""}}));
}
