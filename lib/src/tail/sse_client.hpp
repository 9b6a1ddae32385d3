// A note on the stream client.
//
// SseClient follows one or more event-stream URLs at once, the way a browser's EventSource
// does, on one thread with libcurl's multi interface, so events from all streams reach the
// handler one at a time (output needs no locking).
//
// Per URL, per the WHATWG "Server-sent events" processing model:
//  - each request sends `Accept: text/event-stream`, `Cache-Control: no-cache`, the extra
//    headers (their @FILEs read again at each connect), and `Last-Event-ID` whenever the last
//    event ID string is non-empty; redirects are followed (http and https only); the method
//    and body are tail/request.hpp's;
//  - the final response must be 200 with Content-Type essence `text/event-stream`; anything
//    else fails the connection for good (permission for 401/403, protocol otherwise), except
//    204, which means "stop": the URL ends without error. Status and Content-Type are read in
//    the header callback, so the error body never reaches the parser; its first KiB is kept
//    and the message ends with the start of it (base/excerpt.hpp), so an API's JSON error shows;
//  - bytes go to a fresh Parser per connection, seeded with the last event ID; a `retry:`
//    field sets the ReconnectPolicy's reconnection time;
//  - when the connection drops, ends, cannot be made, or stays silent past the idle timeout
//    (heartbeats count as bytes), the client waits as the policy says and connects again;
//    with reconnect off, an ended stream finishes the URL, a failed connect is `unavailable`.
// The idle timer is stamped in the write/header callbacks and checked in XFERINFO, never with
// CURLOPT_LOW_SPEED_*, which aborts healthy streams whose heartbeats are sparse.
// HTTP version: HTTP/1.1 unless asked (libcurl alone would offer h2 on https; we say which).
// With HTTP/2 (ALPN over TLS, or prior knowledge on http://) each request waits for an
// existing connection to the same server (CURLOPT_PIPEWAIT), so several URLs are multiplexed
// as streams of one connection instead of one connection each; h2c (prior knowledge) only
// with libcurl 8.0 or later, whose connection reuse works for it (curl#10634): before, each
// h2c request gets a connection of its own.
// from_start adds `since=start` to each request's query: ssed then replays the topic's whole
// retained history with no gap notice (a Last-Event-ID, once there is one, still wins there);
// other servers ignore an unknown parameter.
// REQUIRES: the process ignores SIGPIPE (CURLOPT_NOSIGNAL is set).
// Not thread-safe: run() belongs to one thread.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssekit/event.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"
#include "tail/request.hpp"

namespace ssekit {

enum class HttpVersion { http1_1, http2_tls, http2_prior_knowledge };

struct StreamOptions {
    std::vector<std::string> urls;
    std::size_t max_event_size = 0;            // a line or an event's data past it: protocol error
    std::vector<std::string> headers;          // -H values: "Name: value" or "@FILE"
    std::string method;                        // "": GET, or POST with a body
    std::optional<RequestBody> body;
    std::string last_event_id;                 // sent on the first request when non-empty
    std::map<std::string, std::string, std::less<>> last_event_ids;  // by URL; wins over last_event_id
    std::optional<std::uint64_t> retry_ms;     // starting reconnection time (default 3000)
    bool reconnect = true;
    std::chrono::milliseconds idle_timeout{45000};  // 0: off
    bool insecure = false;                     // skip TLS certificate and host verification
    bool from_start = false;                   // ?since=start on every request (ssed: all history)
    HttpVersion http_version = HttpVersion::http1_1;
    std::optional<std::chrono::steady_clock::time_point> deadline;  // run() gives up then
};

class SseClient {
public:
    // Returns false to stop the run (no further event is delivered).
    using EventHandler = std::function<bool(const Event &e, std::string_view url)>;
    // Called once the events of everything read in one round (one receive per busy stream)
    // have all been handed to the EventHandler, before the client waits for more bytes: the
    // moment to flush output, so a burst costs one write and a lone event is still printed at
    // once. Not called for a round that delivered nothing. Returns false to stop the run.
    using FlushHandler = std::function<bool()>;

    enum class End {
        finished,     // every URL ended (stream over with reconnect off, 204, or failed)
        stopped,      // the handler returned false
        interrupted,  // the stop flag was set
        timed_out,    // the deadline passed
    };
    struct Result {
        End end;
        Status status;  // for `finished`: the first URL's failure, or ok
    };

    SseClient(StreamOptions options, Logger log);
    ~SseClient();
    SseClient(const SseClient &) = delete;
    SseClient &operator=(const SseClient &) = delete;

    // Follows the URLs until one of the Result::End conditions. `stop` is polled at least
    // every 100 ms (a signal handler sets it). Call once.
    Result run(const EventHandler &on_event, const FlushHandler &on_flush,
               const volatile std::sig_atomic_t &stop);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ssekit
