// A note on the hub's limits.
//
// HubLimits is a plain value: the sizes and intervals the in-process Hub (hub/hub.hpp, internal)
// is built with. It is public, and only it, so that ssed's options (ssed.hpp) can embed it and
// every default lives here once; the Hub itself, its threads and sockets stay internal.
// No behaviour, no ownership; copy it freely.
#pragma once

#include <chrono>
#include <cstddef>

namespace ssekit {

struct HubLimits {
    std::size_t history = 1000;                     // frames kept per topic for resume
    std::size_t max_topics = 10000;                 // topics that may exist at once
    // A topic with no subscriber whose history is empty, or whose newest event is older than
    // this, may be reclaimed when max_topics is reached (so subscribes naming topics that never
    // get an event cannot fill the limit for good).
    std::chrono::milliseconds topic_ttl{3600000};
    std::size_t max_subscribers = 100000;           // subscriber connections at once
    std::size_t max_backlog_bytes = 1 << 20;        // unsent bytes before a subscriber is dropped
    std::chrono::milliseconds heartbeat{15000};     // comment heartbeat interval (0 = off)
    // A subscriber's peer that acknowledges nothing for this long is closed (TCP_USER_TIMEOUT,
    // plus keep-alive probes so an idle stream is asked too); 0 = the kernel's own limit.
    std::chrono::milliseconds peer_timeout{60000};
    std::chrono::milliseconds adopt_timeout{10000}; // a ticket neither adopted nor cancelled is dropped
    // ssed --redis: a topic admitted for a publish (Hub::admit) is kept from reclaiming this
    // long while its event travels through Redis (milliseconds, normally; the bridge's
    // publish timeout is 5 s), so the room it was given cannot go to another topic meanwhile.
    std::chrono::milliseconds admit_hold{10000};
    // Frames published but not yet fanned out by a loop's streamer; past this, publish
    // returns unavailable (ssed answers 503, sse-pub backs off and retries) rather than let
    // memory grow without bound while the streamer is behind. 64 Ki frames is well over a
    // second of fan-out at any subscriber count, and the bench measured 280 MB of RSS with
    // the earlier bound of 1 Mi frames under an open-loop burst.
    std::size_t max_inbox = 1 << 16;
    // Backpressure: deliveries (frames x their topic's subscribers) posted but not yet fanned
    // out. Past this a publish gets unavailable with a retry hint (ssed: 503 with Retry-After),
    // so publishers are slowed instead of the queue growing to seconds of delivery latency:
    // 64 Ki deliveries are tens of milliseconds of fan-out; with 1,000 subscribers and open-loop
    // publishers, scripts/bench.sh measured delivery p99 at about 75 ms with it, 0.25 s with
    // 256 Ki, and seconds without. Slow subscribers do not count here (their own queues are
    // bounded by max_backlog_bytes), so they cannot stall publishing for everyone.
    std::size_t max_inbox_deliveries = 1 << 16;
    // Streams mode (hub/hub.hpp): drop events whose stream id does not increase per topic.
    bool stream_ids = false;
};

}  // namespace ssekit
