// A note on the hub.
//
// The Hub is ssed's in-process event bus: topics, a bounded history ring per topic, and the
// streamers (streamer.hpp) that own the subscriber sockets: one per event loop of ssed, each
// driven by its FrontDoor loop (StreamLoops::driven), or, for a Hub alone, one or more on
// threads of their own. cpp-httplib never blocks on a subscriber: it validates and answers a
// subscription (status, headers, retry:, the replay), then hands the socket to the Hub with
// adopt(), which gives it to the streamer the subscription joined: the one of the loop that
// handled the request (Streamer::home()), so in ssed the socket never changes threads.
//
// Invariants
//  - Each published event is encoded once into an immutable Frame; the history ring and every
//    subscriber's output queue hold shared references to it, never copies.
//  - Every Frame gets a hub-wide sequence number `seq` (1, 2, ...), in publish order. Ids that
//    the hub mints are "<epoch>-<seq>", epoch being the hub's start time in ms, so an id from an
//    earlier run of the server is recognised as such. A publisher may give its own id instead.
//  - publish() costs O(1) in the number of subscribers under the hub lock: it appends to the
//    ring and to the inbox of every streamer that has subscribers of the topic (per topic, one
//    TopicSlot per streamer counts them), the same frame for each. After releasing the lock it
//    wakes those streamers' drivers (eventfd), except its own: a publish handled on a loop
//    leaves that loop's share to the end of the loop's iteration, with no wake-up at all. It
//    never waits for a subscriber.
//  - No gap, no duplicate between the replay and the stream: subscribe() registers the
//    subscriber with its streamer (Streamer::home() if that is one of the hub's, else the
//    first) under the same lock that orders publishes, so every frame with seq greater than
//    the replay's last is queued for it; adopt() then starts writing them.
//  - A subscriber whose unsent backlog passes max_backlog_bytes is dropped, counted once in
//    HubStats::slow_consumers_dropped: it is sent a final comment and the last chunk when its
//    socket takes them within a short grace (streamer.hpp), then closed; it resumes with
//    Last-Event-ID.
//
// Resume policy (documented in ssed(1)): with a Last-Event-ID found in the history of one of
// the requested topics, the replay is every retained frame after it, then live. When the id is
// unknown (evicted, from an earlier run, or never seen) the Gap says why, the HTTP layer sends
// an `event: ssed-gap` notice, and the replay is the whole retained history, then live.
// In detail, in this order:
//  1. An id a publisher gave is looked up by exact string in the requested topics' rings
//     (the newest frame carrying it wins).
//  2. Otherwise an id minted by this run ("<epoch>-<seq>", our epoch, a seq already assigned)
//     is a position in the hub-wide order even when its frame is gone or belongs to another
//     topic: the replay is the requested topics' frames with a greater seq.
//  3. Found either way, but a requested topic has evicted a frame after that position: the
//     replay is the same (frames after it) and Gap{evicted} reports the loss.
//  4. Not found: Gap{earlier_run} for our form with an older epoch, else Gap{unknown}; the
//     replay is the whole retained history of the requested topics.
// Replays of several topics are merged in seq order. subscribe_from_start() is step 4 without
// the Gap: the whole retained history, asked for as such.
//
// Idempotency keys (sse/publish.hpp): a publish whose key a retained frame of its topic carries
// is not published again; it is answered with that frame's id and seq and
// PublishResult::duplicate (subscribers 0), also within one batch. The keys are indexed in the
// topic's ring (topic_ring.hpp), so the hub remembers a key exactly as long as it keeps the
// event in the topic's history: at most `history` keys per topic, forgotten when the event is
// evicted, when the topic is reclaimed, and when ssed restarts (documented in ssed(1)).
//
// Data that is not valid UTF-8 is made so (make_data_valid_utf8) before it is encoded, so
// every way into the hub gives subscribers the same bytes.
//
// Streams mode (HubLimits::stream_ids, ssed --redis-mode streams): events arrive with Redis
// stream ids "<ms>-<n>" (stream_id.hpp), strictly increasing per topic. publish() then drops
// an event whose stream id is not greater than the newest one its topic has seen (a duplicate
// from a backfill after a Redis outage) and reports it as PublishResult::duplicate.
// subscribe_after() replays, per topic, the retained frames after a given stream id; the
// Redis bridge reads what comes before that from Redis (redis_bridge.hpp).
//
// Topics are created by the first publish, subscribe or admit() that names them. When
// max_topics is reached, topics with no subscriber (and no admit() hold) whose history is
// empty or older than topic_ttl are reclaimed to make room (counted in
// HubStats::topics_reclaimed); a topic created after a reclaim treats frames up to the newest
// reclaimed seq as evicted, so a client that resumes from before it gets Gap{evicted}
// (possibly for a topic that never lost anything: a notice, never a silent loss). A
// reclaimed topic is freed only after every streamer has run the frames already posted for
// it (Streamer::post_release).
//
// Thread safety: all public members may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hub/bus.hpp"
#include "hub/frame.hpp"  // Frame, FramePtr
#include "hub/stream_id.hpp"
#include "hub/streamer.hpp"
#include "sse/publish.hpp"
#include "ssekit/hub_limits.hpp"
#include "ssekit/event.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {


struct HubStats {
    std::size_t subscribers = 0;
    std::size_t topics = 0;
    std::uint64_t published = 0;
    std::uint64_t topics_reclaimed = 0;   // idle topics removed to make room (see the note)
    std::uint64_t delivered = 0;          // live events whose bytes were all written to a subscriber socket
    std::uint64_t slow_consumers_dropped = 0;
    std::size_t history_frames = 0;
    std::size_t history_bytes = 0;
};

// How the hub's streamers are run: `count` of them, each on a thread of its own (a Hub alone,
// tests), or each driven by an event loop of the caller's through streamer(k) (ssed: one per
// FrontDoor loop). REQUIRES: 1 <= count <= 64.
struct StreamLoops {
    std::size_t count = 1;
    bool driven = false;
};

class Hub final : public Bus {
public:
    Hub(HubLimits limits, Logger log, StreamLoops loops = {});
    // Stops the streamers' threads and closes every subscriber socket. REQUIRES: no loop
    // drives a streamer any more (each has detached).
    ~Hub();
    Hub(const Hub &) = delete;
    Hub &operator=(const Hub &) = delete;

    // Bus: publish() is O(1) in the number of subscribers; publish_batch() is atomic. Both
    // refuse by admit()'s rule.
    PublishResult publish(PublishRequest req) override;
    std::vector<PublishResult> publish_batch(std::vector<PublishRequest> reqs,
                                             std::size_t *failed_index = nullptr) override;
    // The one admission rule of publish() and publish_batch(), for a bus that publishes
    // elsewhere first and delivers here later (the Redis bridge): check_publish() for each
    // request, then whether this hub takes them all now (delivery not behind; room under
    // max_topics, reclaiming idle topics as a publish would). Returns ok, or exactly the
    // refusal publish_batch() would return (status, message, retry_after) with `*failed_index`
    // as it would set it (reqs.size() when ok). On ok the requests' topics exist (created empty
    // if need be) and are not reclaimed for HubLimits::admit_hold, so the room they were given
    // stays theirs until their events arrive; nothing is published.
    PublishResult admit(std::span<const PublishRequest> reqs, std::size_t *failed_index = nullptr);
    // Subscribers of `topic` now (0 when it does not exist), as PublishResult::subscribers counts.
    std::size_t subscribers_of(std::string_view topic) const;

    // Registers a subscriber to `topics` (each checked with check_topic()) resuming after
    // `last_event_id` ("" = live only). The caller writes `replay`, then calls adopt() with the
    // socket, or cancel() if the handshake failed.
    SubscribeResult subscribe(const std::vector<std::string> &topics, std::string_view last_event_id) override;
    // Bus: the whole retained history of `topics`, merged in seq order, then live; never a Gap.
    SubscribeResult subscribe_from_start(const std::vector<std::string> &topics) override;
    // Streams mode: registers a subscriber to `topics` (distinct, valid) whose replay is, for
    // each topics[i], the retained frames after stream id after[i] (frames without a stream id
    // among them included), merged in publish order. Gap{evicted} when topics[i] has evicted a
    // frame with a stream id greater than after[i]. REQUIRES: after.size() == topics.size().
    SubscribeResult subscribe_after(const std::vector<std::string> &topics, const std::vector<StreamId> &after);

    // Takes ownership of `fd` (a connected socket whose response headers and replay are
    // written; chunked transfer encoding in force) and starts streaming to it, on the streamer
    // the ticket joined. An unknown or expired ticket just closes the fd; after drain() the
    // subscriber is sent retry: and the final chunk at once.
    void adopt(std::uint64_t ticket, int fd);
    // Drops the subscriber `ticket` (and closes its socket if it was adopted).
    void cancel(std::uint64_t ticket) override;

    // Graceful stop: every subscriber gets `retry: <ms>` with ms spread over
    // [base, base + jitter], then the final chunk, and is closed. Returns when all are closed
    // or `deadline` passed (then the rest are closed without it). Later subscribe() calls
    // return unavailable.
    void drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter,
               std::chrono::milliseconds deadline);

    HubStats stats() const;
    std::vector<TopicInfo> topics() const override;
    // Bus: always ok (nothing behind it can fail); metrics() are HubStats as ssed_* samples.
    Status health() const override;
    std::vector<Metric> metrics() const override;
    std::uint64_t epoch() const;  // ms since the Unix epoch when the hub started

    // The streamer of loop k, for the loop that drives it. REQUIRES: k < StreamLoops::count.
    Streamer &streamer(std::size_t k);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ssekit
