// A note on sse-pub's input.
//
// InputReader turns a file descriptor (stdin) into events, in one of three modes:
//   lines  one event per line (default). The line ending (LF or CRLF) is stripped. Blank lines
//          are skipped, as mosquitto_pub -l does: an SSE event with empty data is never
//          dispatched by a client, so sending one would only look like loss. A last line
//          without a newline is still an event.
//   whole  the whole input is one event (-s); one final line ending is stripped, so
//          `echo hi | sse-pub -s t` sends "hi". Inner newlines become data lines.
//   bytes  the whole input is one event, every byte of it kept (-s --base64: a binary file
//          round-trips exactly, its final newline included).
//   json   one JSON object a line (--json): {"data": ..., "event", "id", "retry", "topic"}, as
//          parse_json_event reads them; "data" is required; blank lines are skipped.
//
// Fast and interactive at once: next_batch() blocks only until one event is ready, then takes
// every further event that is already readable without waiting (poll with timeout 0), up to
// InputLimits; so a lone line from `tail -F` goes out at once, and a pipe full of lines goes
// out in batches. No timer ever holds an event back.
//
// A bad JSON line (or an id/event with CR or LF in it) ends the input: the events before it
// are returned first, the error on the following call, naming the line number.
// Not thread-safe; the reader does not own the fd.
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "sse/publish.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

enum class InputMode { lines, whole, bytes, json };

struct InputLimits {
    std::size_t max_events = 1000;              // events per batch
    std::size_t max_bytes = 1 << 20;            // data bytes per batch (one event may exceed it)
    std::size_t max_event_bytes = 64u << 20;    // one line or one -s input; larger is refused
};

struct InputEvent {
    PublishRequest req;        // topic "" = the topic from the command line
    std::uint64_t line = 0;    // 1-based input line (0 in whole mode)
};

class InputReader {
public:
    // `stop` (optional, set by a SIGINT/SIGTERM handler) ends the input as end of file would:
    // what was read before it is still returned, then an empty batch.
    InputReader(int fd, InputMode mode, InputLimits limits = {},
                const volatile std::sig_atomic_t *stop = nullptr);

    // Clears `out`, blocks until at least one event is ready or input ends, then adds every
    // event ready without waiting (bounded by the limits). An empty `out` with ok() means end of
    // input. Errors: invalid_argument (bad JSON line, CR/LF in id/event), too_large, io.
    Status next_batch(std::vector<InputEvent> &out);

    std::uint64_t events_read() const { return events_read_; }
    bool interrupted() const { return interrupted_; }

private:
    Status fill(bool wait);   // reads once; wait=false returns at once when nothing is ready
    bool take_line(std::string_view &line);
    Status to_event(std::string_view line, std::vector<InputEvent> &out, std::size_t &bytes);
    Status read_whole(std::vector<InputEvent> &out);

    int fd_;
    InputMode mode_;
    InputLimits limits_;
    std::string buf_;
    std::size_t pos_ = 0;          // start of the unconsumed part of buf_
    std::uint64_t line_no_ = 0;
    Status line_too_long(std::uint64_t line_number) const;
    std::uint64_t events_read_ = 0;
    const volatile std::sig_atomic_t *stop_;
    bool eof_ = false;
    bool interrupted_ = false;
    bool done_ = false;            // whole mode: the event was returned
    Status pending_;               // error to report on the next call
};

}  // namespace ssekit
