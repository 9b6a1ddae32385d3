// A note on the hub.
//
// The Hub is ssed's in-process event bus: topics, a bounded history ring per topic, and one
// streaming thread that owns every subscriber socket (epoll). cpp-httplib never blocks on a
// subscriber: it validates and answers a subscription (status, headers, retry:, the replay),
// then hands the socket to the Hub with adopt().
//
// Invariants
//  - Each published event is encoded once into an immutable Frame; the history ring and every
//    subscriber's output queue hold shared references to it, never copies.
//  - Every Frame gets a hub-wide sequence number `seq` (1, 2, ...), in publish order. Ids that
//    the hub mints are "<epoch>-<seq>", epoch being the hub's start time in ms, so an id from an
//    earlier run of the server is recognised as such. A publisher may give its own id instead.
//  - publish() costs O(1) in the number of subscribers: it appends to the ring and to the
//    streamer's inbox and wakes the streamer (eventfd); it never waits for a subscriber.
//  - No gap, no duplicate across the hand-over: subscribe() registers the subscriber with the
//    streamer under the same lock that orders publishes, so every frame with seq greater than
//    the replay's last is queued for it; adopt() then starts writing them.
//  - A subscriber whose unsent backlog passes max_backlog_bytes is sent a final comment and
//    closed, and counted in Stats::slow_consumers_dropped; it resumes with Last-Event-ID.
//
// Resume policy (documented in ssed(1)): with a Last-Event-ID found in the history of one of
// the requested topics, the replay is every retained frame after it, then live. When the id is
// unknown (evicted, from an earlier run, or never seen) the Gap says why, the HTTP layer sends
// an `event: ssed-gap` notice, and the replay is the whole retained history, then live.
//
// Thread safety: all public members may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssekit/event.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

// An encoded event, immutable once built.
struct Frame {
    std::uint64_t seq = 0;
    std::string topic;
    std::string id;     // the SSE id as sent in the `id:` field
    std::string type;   // "" means "message"
    // The block wrapped in its HTTP/1.1 chunk: "<hex len>\r\n<event-stream block>\r\n".
    // Subscriber sockets get these bytes verbatim.
    std::string chunk;
    std::size_t block_offset = 0;  // where the event-stream block starts inside `chunk`
    std::size_t block_size = 0;
    // The bare event-stream block (for writers that do their own chunk framing).
    std::string_view block() const { return std::string_view(chunk).substr(block_offset, block_size); }
};
using FramePtr = std::shared_ptr<const Frame>;

struct HubLimits {
    std::size_t history = 1000;                     // frames kept per topic for resume
    std::size_t max_topics = 10000;                 // topics that may exist at once
    std::size_t max_subscribers = 100000;           // subscriber connections at once
    std::size_t max_backlog_bytes = 1 << 20;        // unsent bytes before a subscriber is dropped
    std::chrono::milliseconds heartbeat{15000};     // comment heartbeat interval (0 = off)
};

struct PublishRequest {
    std::string topic;
    std::string type;                     // `event:`; "" = message
    std::string data;
    std::string id;                       // "" = the hub mints "<epoch>-<seq>"
    std::optional<std::uint64_t> retry;   // `retry:` in the same block
};

struct PublishResult {
    Status status;             // invalid_argument (CR/LF in id/type, bad topic), unavailable (limits)
    std::string id;            // the id the event carries
    std::uint64_t seq = 0;
    std::size_t subscribers = 0;  // subscribers of the topic when it was published
};

struct Gap {
    enum class Reason { evicted, earlier_run, unknown };
    Reason reason = Reason::unknown;
    std::string last_event_id;  // what the client asked to resume from
};
std::string_view to_string(Gap::Reason r);

struct SubscribeResult {
    Status status;                  // invalid_argument (topic), unavailable (subscriber/topic limits)
    std::uint64_t ticket = 0;       // for adopt() or cancel()
    std::vector<FramePtr> replay;   // to write, in order, before the socket is handed over
    std::optional<Gap> gap;         // set when Last-Event-ID was given but not found
};

struct HubStats {
    std::size_t subscribers = 0;
    std::size_t topics = 0;
    std::uint64_t published = 0;
    std::uint64_t delivered = 0;          // frames written (or queued) to subscribers
    std::uint64_t slow_consumers_dropped = 0;
    std::size_t history_frames = 0;
    std::size_t history_bytes = 0;
};

struct TopicInfo {
    std::string name;
    std::size_t subscribers = 0;
    std::size_t history_frames = 0;
    std::uint64_t published = 0;
    std::string last_id;
};

class Hub {
public:
    Hub(HubLimits limits, Logger log);
    ~Hub();  // stops the streaming thread and closes every subscriber socket
    Hub(const Hub &) = delete;
    Hub &operator=(const Hub &) = delete;

    // Publishes one event. Thread-safe, O(1) in the number of subscribers.
    PublishResult publish(PublishRequest req);
    // Publishes a batch atomically: every request is validated first; on the first invalid one
    // nothing is published and that result (with its index in `failed_index`) is returned.
    std::vector<PublishResult> publish_batch(std::vector<PublishRequest> reqs,
                                             std::size_t *failed_index = nullptr);

    // Registers a subscriber to `topics` (each valid per valid_topic()) resuming after
    // `last_event_id` ("" = live only). The caller writes `replay`, then calls adopt() with the
    // socket, or cancel() if the handshake failed.
    SubscribeResult subscribe(const std::vector<std::string> &topics, std::string_view last_event_id);

    // Takes ownership of `fd` (a connected socket whose response headers and replay are
    // written; chunked transfer encoding in force) and starts streaming to it.
    void adopt(std::uint64_t ticket, int fd);
    void cancel(std::uint64_t ticket);

    // Graceful stop: every subscriber gets `retry: <ms>` with ms spread over
    // [base, base + jitter], then the final chunk, and is closed. Returns when all are closed
    // or `deadline` passed.
    void drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter,
               std::chrono::milliseconds deadline);

    HubStats stats() const;
    std::vector<TopicInfo> topics() const;
    std::uint64_t epoch() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Topic names: 1 to 128 characters from [A-Za-z0-9_.:@~-]. Comma separates topics in a URL.
bool valid_topic(std::string_view name);

}  // namespace ssekit
