// A note on the Redis bridge (ssed --redis URL).
//
// With a bridge, Redis pub/sub is the bus between ssed instances: a POST publishes into Redis,
// and every instance (this one too) delivers what comes back out of Redis to its Hub, so all
// instances show the same events in the same order with the same ids.
//
// Channels and payloads (also in sse-pub(1), see redis_envelope.hpp):
//  - channel `<prefix><topic>`, default prefix "sse:"; the bridge PSUBSCRIBEs `<prefix>*`;
//    a channel whose rest is not a valid topic is dropped (counted, logged at debug);
//  - the payload is the envelope {"ssekit":1,"id":...,"event":...,"data":...,"retry":N};
//    anything else is plain data for a "message" event, so `redis-cli PUBLISH sse:news hi`
//    works. A plain payload gets NO id (PublishRequest::no_id): instances cannot agree on one,
//    and an id that differs between instances would make Last-Event-ID lie after a client
//    moves to another instance. Its subscribers keep their last id; on resume the hub may
//    replay such events again (at-least-once), it never skips one.
//  - ids: publish() keeps a given id or mints `<unix-ms>-<tag>-<seq>` before the event enters
//    Redis; every instance hands that id to Hub::publish as is.
//
// Connections: one subscriber connection on its own thread (poll on the socket and an eventfd
// for stop; PING when idle to notice a dead peer; no socket timeout on it, which would kill the
// hiredis context) and one publisher connection shared by publish() callers under a mutex.
//
// Outage: local subscribers stay connected. The subscriber thread reconnects with capped
// exponential backoff (base/backoff.hpp, no jitter) and re-subscribes; events published in Redis meanwhile are lost for this
// instance (pub/sub stores nothing), and the gap is logged with its length. publish() never
// reports a false success: with Redis unreachable it returns unavailable (ssed answers 503);
// a PUBLISH whose reply was lost counts as failed too (the publisher may retry: with an
// idempotency key the retry is answered as a duplicate, without one it is published again).
//
// Idempotency keys (redis/idempotency.hpp): a batch with keys is published by one script call
// that checks and records them in Redis, so a duplicate is recognised on every instance and
// after a restart of this one; its result carries the original id and `duplicate`. Batches
// without keys stay MULTI/PUBLISH.../EXEC. In streams mode the streams script does the same.
// healthy() is true while the subscription is live (for /healthz).
//
// Limits: publish() first asks this instance's Hub whether it would take the events
// (Hub::admit: topic limit, backpressure) and refuses what it would not, with the in-process
// answer, before anything enters Redis. Other instances' limits cannot be seen from here: each
// applies its own when an event arrives, and one it refuses (its topic limit reached, its
// delivery behind) is lost for its subscribers, counted in RedisBridgeStats::refused
// (ssed_redis_refused_total) and warned about. The check and the delivery are two moments, so
// a topic taken by another publisher in between is refused on delivery the same way.
//
// Streams mode (RedisBridgeOptions::mode, ssed --redis-mode streams; redis_stream.hpp): every
// event is also an entry of a capped stream per topic, published by one atomic Lua script, and
// its id is the stream id. Live fan-out is unchanged (the Hub, with HubLimits::stream_ids, drops
// a stream id that does not increase). A resume reads from Redis, so it works on any instance
// and after a restart (subscribe()):
//  1. per topic, XREVRANGE <key> + (L COUNT history+1 gives R, the entries after L (the newest
//     `history` of them; more means Gap{evicted}); S_t = the newest id of R, or L. L not a
//     stream id: Gap{unknown} and R = the newest `history` entries. L older than the stream's
//     first entry after a trim (XINFO STREAM: entries-added > length): Gap{evicted}.
//  2. barrier: the subscriber thread sends PING on the subscriber connection and the caller
//     waits for its PONG (at most barrier_timeout, else unavailable): Redis answers in order,
//     so every notification of an entry in R has reached the Hub by then. The PONG must come
//     on the subscription that was live before step 1, or the resume is tried again.
//  3. Hub::subscribe_after(topics, S): the ring frames after S_t, then live.
//     The replay is R (in stream-id order), then the Hub's part: no gap, no duplicate.
// After an outage the bridge re-subscribes, then backfills every topic the Hub knows with the
// entries after its newest stream id (XREVRANGE, at most `history`; for a topic without one,
// those after the last message received before the loss) before it handles live messages.
//
// Thread safety: all public members may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hub/bus.hpp"
#include "hub/hub.hpp"
#include "ssekit/log.hpp"
#include "redis/stream.hpp"
#include "redis/url.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

struct RedisBridgeOptions {
    RedisEndpoint endpoint;
    std::string prefix{kDefaultChannelPrefix};
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds publish_timeout{5000};  // reply wait on the publisher connection
    std::chrono::milliseconds ping_interval{5000};    // idle subscriber: PING, then wait this long
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{5000};
    RedisMode mode = RedisMode::pubsub;
    std::size_t history = 1000;                       // streams: MAXLEN ~ cap, resume/backfill bound
    std::chrono::milliseconds barrier_timeout{2000};  // streams: resume waits this long for the PONG
};

struct RedisBridgeStats {
    std::uint64_t received = 0;        // messages handed to the Hub
    std::uint64_t plain = 0;           // of which plain payloads
    std::uint64_t dropped = 0;         // bad channel, bad envelope fields, Hub refused
    std::uint64_t refused = 0;         // of which the Hub refused (its limits: topics, behind)
    std::uint64_t published = 0;       // events PUBLISHed by publish()/publish_batch()
    std::uint64_t publish_failures = 0;
    std::uint64_t reconnects = 0;      // subscriber connections made after the first
    std::uint64_t duplicates = 0;      // streams: messages the Hub had already (backfill overlap)
    std::uint64_t backfilled = 0;      // streams: entries read back from Redis after an outage
    std::uint64_t resumes = 0;         // streams: subscriptions resumed from Redis
};

class RedisBridge final : public Bus {
public:
    RedisBridge(Hub &hub, RedisBridgeOptions opts, Logger log);
    ~RedisBridge();  // stop()
    RedisBridge(const RedisBridge &) = delete;
    RedisBridge &operator=(const RedisBridge &) = delete;

    // Connects the subscriber once and waits until the subscription is confirmed, then keeps
    // it alive on the bridge thread. Fails (unavailable/permission) when Redis cannot be
    // reached within the connect timeout, so ssed can refuse to start (exit 69).
    Status start();
    // Stops the thread and closes both connections. Idempotent.
    void stop();

    // Bus: publishes into Redis (see the note), after the Hub's own admission check
    // (Hub::admit: this instance's topic limit and backpressure), so what the in-process bus
    // would refuse is refused with the same answer and never reaches Redis.
    // PublishResult::subscribers counts this instance's subscribers of the topic, as without
    // Redis; `instances` is the number of Redis receivers (normally the ssed instances). seq
    // is 0: the local Hub assigns its seq when the event comes back from Redis. A batch is
    // MULTI/PUBLISH.../EXEC (streams: one script call); when Redis fails, the one result is
    // unavailable and *failed_index is 0.
    PublishResult publish(PublishRequest req) override;
    std::vector<PublishResult> publish_batch(std::vector<PublishRequest> reqs,
                                             std::size_t *failed_index = nullptr) override;

    // Streams mode: a subscription to `topics` resuming after `last_event_id`, replay read from
    // Redis and then the Hub (see the note); "" = live only, straight from the Hub. Otherwise
    // (pubsub mode) the same as Hub::subscribe. unavailable when Redis cannot be read or the
    // barrier times out (ssed answers 503).
    SubscribeResult subscribe(const std::vector<std::string> &topics, std::string_view last_event_id) override;
    // Streams mode: the same read from Redis, from each stream's oldest kept entry, without a
    // Gap; pubsub mode: Hub::subscribe_from_start.
    SubscribeResult subscribe_from_start(const std::vector<std::string> &topics) override;
    void cancel(std::uint64_t ticket) override;  // the Hub's

    // Bus: unavailable while the subscription is down (local subscribers still stream, but a
    // publish would not reach them); metrics() are the Hub's, then the ssed_redis_* counters.
    Status health() const override;
    std::vector<Metric> metrics() const override;
    std::vector<TopicInfo> topics() const override;  // the Hub's

    bool healthy() const;
    RedisBridgeStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ssekit
