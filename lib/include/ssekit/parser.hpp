// A note on the parser.
//
// An incremental ("push") parser for text/event-stream, following the WHATWG HTML algorithm
// step by step: feed() takes chunks of any size and split anywhere (inside a CRLF pair, inside
// a UTF-8 sequence, inside the BOM), and next() hands out the events dispatched so far, hiredis
// style. It never touches sockets, so sse-tail, the tests and fuzzers all drive the same code.
//
// Rules implemented (each has a test in tests/unit/parser_test.cpp):
//  - one leading UTF-8 BOM is stripped at stream start;
//  - lines end at CR, LF or CRLF;
//  - a line starting with ':' is a comment; a line without ':' is a field name with empty value;
//  - one space after the colon is stripped; unknown fields are ignored;
//  - data lines are joined with LF, the final LF removed; an empty data buffer dispatches nothing;
//  - the type defaults to "message" and resets after each dispatch;
//  - the last event ID persists across events; `id` containing U+0000 is ignored; an empty `id`
//    resets it;
//  - `retry` is taken only when its value is all ASCII digits;
//  - an unterminated block at end of stream is discarded;
//  - invalid UTF-8 is decoded with U+FFFD replacement characters.
// Memory: one line buffer, one data buffer and the queue of dispatched events grow with the
// input and are reused, so a steady stream allocates nothing per event: a dispatched event
// swaps buffers with a spent one in the queue. The queue keeps as many events as the most one
// feed() dispatched (bounded by the chunk size). Lines of many MiB work; `max_size`
// (0 = unlimited) bounds a line and the data of one event, so whatever a server sends, the
// parser holds at most about that much.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssekit/event.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

class Parser {
public:
    // `last_event_id` seeds the last event ID buffer: a client that reconnects keeps the id it
    // had (as browsers do), so an event without `id:` on the new connection still carries it.
    explicit Parser(std::string last_event_id = {}, std::size_t max_size = 0);

    // Consumes a chunk. Returns an error (too_large) only when a line or an event's data
    // exceeds max_size; the parser is then unusable.
    Status feed(std::string_view chunk);

    // The stream ended: a pending unterminated block is discarded (spec), nothing dispatched.
    void end_of_stream();

    // The next dispatched event, oldest first, or nullptr when none is left. Event::type is the
    // effective type ("message" when none was given); Event::id is the last event ID at
    // dispatch; retry is unset. The event belongs to the parser and stays valid until the next
    // feed() (which reuses its buffers): copy what must live longer.
    const Event *next();

    // A reconnection time from a valid `retry:` field seen since the last call, if any.
    std::optional<std::uint64_t> take_retry();

    // The last event ID string: the last event ID buffer as of the latest dispatch (an `id:`
    // line counts only once its block ends). This is what a client sends as Last-Event-ID.
    const std::string &last_event_id() const { return last_event_id_; }

    // Bytes fed so far (all of them, comments and heartbeats included).
    std::uint64_t bytes_fed() const { return bytes_fed_; }

private:
    void process_line(std::string_view line);
    void process_field(std::string_view name, std::string_view value);
    void dispatch();

    Status feed_bytes(std::string_view bytes);
    Status line_too_long() const;

    std::string line_;       // bytes of the current, unterminated line (raw, not yet decoded)
    std::string decoded_;    // scratch for UTF-8 decoding of one line, reused
    std::string data_;
    std::string type_;
    std::string id_buffer_;       // the spec's "last event ID buffer"
    std::string last_event_id_;   // the spec's "last event ID string", set at dispatch
    // Dispatched events: ready_[ready_head_, ready_count_) are waiting for next(); the slots
    // before them were handed out, those from ready_count_ on are spent, kept for their buffers.
    std::vector<Event> ready_;
    std::size_t ready_head_ = 0;
    std::size_t ready_count_ = 0;
    std::optional<std::uint64_t> retry_;
    std::size_t max_size_;
    bool data_too_large_ = false;  // the data of the event being built passed max_size_
    std::uint64_t bytes_fed_ = 0;
    std::uint8_t bom_matched_ = 0;  // bytes of the BOM seen at stream start (0..3)
    bool bom_done_ = false;
    bool last_was_cr_ = false;      // the previous chunk ended in CR: a leading LF is its pair
};

}  // namespace ssekit
