// Fuzz target sse_parser: ssekit::Parser (sse/parser.cpp), the text/event-stream parser that
// sse-tail runs on every byte a server sends.
//
// Input: byte 0 picks max_size (0: unlimited, else a multiple of 16 up to 4080), then chunk
// sizes (fuzz_support.hpp), then the stream.
// Checks, beyond "no crash":
//  - the split does not matter: fed whole and fed in the chunks, the parser gives the same
//    events, the same last event ID, the same final retry and the same error, if any;
//  - each event is what the parser's contract says: every field valid UTF-8, no CR in data,
//    no CR or LF in type or id, no NUL in id, the type never empty, data within max_size;
//  - the encoder and the parser agree: an event encoded with ssekit::encode() parses back to
//    the same type, data and id;
//  - bytes_fed() counts every byte.
#include <optional>
#include <string>
#include <vector>

#include "base/utf8.hpp"
#include "fuzz_support.hpp"
#include "ssekit/parser.hpp"
#include "ssekit/wire.hpp"

namespace {

using ssekit::Event;
using ssekit::Parser;

// What a client sees of a stream.
struct Transcript {
    std::vector<Event> events;
    std::string last_event_id;
    std::optional<std::uint64_t> retry;  // the last one taken
    bool failed = false;
};

bool same_event(const Event &a, const Event &b) { return a.type == b.type && a.data == b.data && a.id == b.id; }

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto step = ssekit::utf8_step(s, i);
        if (!step.valid) return false;
        i += step.length;
    }
    return true;
}

Transcript parse(const std::vector<std::string_view> &pieces, std::size_t max_size) {
    Parser p({}, max_size);
    Transcript t;
    std::uint64_t fed = 0;
    for (auto piece : pieces) {
        fed += piece.size();
        t.failed = !p.feed(piece);
        FUZZ_CHECK(p.bytes_fed() == fed);
        // The events dispatched before an error are handed out too (sse-tail shows them).
        while (const Event *e = p.next()) t.events.push_back(*e);
        if (auto r = p.take_retry()) t.retry = r;
        if (t.failed) break;
    }
    t.last_event_id = p.last_event_id();
    return t;
}

void check_event(const Event &e, std::size_t max_size) {
    FUZZ_CHECK(!e.type.empty());
    FUZZ_CHECK(valid_utf8(e.type) && valid_utf8(e.data) && valid_utf8(e.id));
    FUZZ_CHECK(e.data.find('\r') == std::string::npos);
    FUZZ_CHECK(e.type.find_first_of("\r\n") == std::string::npos);
    FUZZ_CHECK(e.id.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    FUZZ_CHECK(max_size == 0 || e.data.size() <= max_size);

    std::string wire;
    FUZZ_CHECK(ssekit::encode(e, wire));
    Parser again;
    FUZZ_CHECK(again.feed(wire));
    const Event *back = again.next();
    FUZZ_CHECK(back != nullptr && same_event(*back, e));
    FUZZ_CHECK(again.next() == nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    ssekit::fuzz::FuzzInput in(data, size);
    const std::size_t max_size = std::size_t{in.byte()} * 16;
    const auto sizes = in.chunk_sizes();
    const std::string_view stream = in.rest();

    Transcript whole = parse({stream}, max_size);
    Transcript split = parse(ssekit::fuzz::chunks(stream, sizes), max_size);

    FUZZ_CHECK(whole.failed == split.failed);
    FUZZ_CHECK(whole.events.size() == split.events.size());
    for (std::size_t i = 0; i < whole.events.size(); ++i) FUZZ_CHECK(same_event(whole.events[i], split.events[i]));
    FUZZ_CHECK(whole.retry == split.retry);
    if (!whole.failed) FUZZ_CHECK(whole.last_event_id == split.last_event_id);
    for (const Event &e : whole.events) check_event(e, max_size);
    return 0;
}
