// A note on reading an event stream from a file descriptor.
//
// sse-tail - and sse-tail --input FILE parse bytes that are not an HTTP response: stdin
// (`curl -N URL | sse-tail -f json -`) or a saved capture. read_event_stream() feeds them to
// the same Parser and hands events to the same handlers as SseClient, so every output format
// and stop condition (-n, -m, -e, -W) applies unchanged. There is nothing to reconnect to:
// end of input ends the run (End::finished, ok), and an unterminated last block is dropped,
// as the spec says of a stream that ends. `retry:` fields are read and have no use here.
// The fd is polled every 100 ms at most, so the stop flag and the deadline are honoured on a
// quiet pipe. Not thread-safe; the fd is not owned.
#pragma once

#include <optional>
#include <string>

#include "tail/sse_client.hpp"

namespace ssekit {

// Reads `fd` (named `name` in messages and in the json format's "url") to its end. The parser
// is seeded with `last_event_id`. A read error finishes with Status::io; a line or an event's
// data over `max_event_size` (0 = no bound) with Status::protocol.
SseClient::Result read_event_stream(int fd, const std::string &name, const std::string &last_event_id,
                                    std::size_t max_event_size,
                                    std::optional<std::chrono::steady_clock::time_point> deadline,
                                    const SseClient::EventHandler &on_event, const SseClient::FlushHandler &on_flush,
                                    const volatile std::sig_atomic_t &stop);

}  // namespace ssekit
