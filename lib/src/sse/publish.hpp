// A note on publishing: the one vocabulary of ssed, its Redis bridge and sse-pub.
//
// A PublishRequest is the event a publisher sends (to a topic), a PublishResult the answer.
// Every path that accepts an event (the in-process hub, the Redis bridge, ssed's HTTP API and
// sse-pub before it sends anything) checks it with check_publish(), so a bad topic, id or
// event type is refused with the same words whichever bus is behind ssed:
//   invalid topic "a b": use 1 to 128 characters from A-Z a-z 0-9 _ . : @ ~ -
//   event contains a line break            (would let a publisher forge fields)
//   id contains a line break / id contains a NUL character
// Topic names: 1 to 128 characters from [A-Za-z0-9_.:@~-]; a comma separates topics in a URL
// and '#' is kept for the Redis streams counter key, so neither can be part of a name.
//
// JSON lines (ssed's NDJSON batches, sse-pub --json) become requests through
// publish_request_from_json(), the one conversion: {"data", "event", "id", "retry", "topic"},
// "data" required (a line without it is a mistake, not an empty event).
//
// The type of ssed's `ssed-gap` notice (ssed(1), RESUMING AND GAPS) lives here too: ssed
// sends it, sse-tail tells it from data.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssekit/status.hpp"

namespace ssekit {

// The event type of the notice ssed sends when it cannot resume exactly after a Last-Event-ID.
inline constexpr std::string_view gap_notice_type = "ssed-gap";

struct PublishRequest {
    std::string topic;                    // "" only before a default topic is filled in
    std::string type;                     // `event:`; "" = message
    std::string data;
    std::string id;                       // "" = the bus mints one
    std::optional<std::uint64_t> retry;   // `retry:` in the same block
    // With id "": send no `id:` field instead of minting one. For plain Redis payloads, where
    // ssed instances could not agree on an id (redis/envelope.hpp).
    bool no_id = false;
};

struct PublishResult {
    Status status;             // invalid_argument (check_publish), unavailable (limits, Redis down)
    std::string id;            // the id the event carries
    std::uint64_t seq = 0;     // the hub's sequence number; 0 when published into Redis
    // Subscribers of the topic on this ssed instance when it was published, whichever the bus
    // (with Redis, those of other instances are not counted: see `instances`).
    std::size_t subscribers = 0;
    // Published into Redis: the Redis clients that received it (PUBLISH's answer), normally
    // the ssed instances sharing that Redis, this one included. None for the in-process hub.
    std::optional<std::size_t> instances = std::nullopt;
    // Streams mode: the event was dropped, its stream id being no newer than the topic's
    // newest (status ok, seq 0).
    bool duplicate = false;
    // With status unavailable: when trying again may succeed (0 = no hint). ssed answers it as
    // Retry-After; the hub sets it when delivery is behind (backpressure).
    std::chrono::seconds retry_after{0};
};

// What a topic name may be, in words, for error messages and --help.
inline constexpr std::string_view kTopicRule = "1 to 128 characters from A-Z a-z 0-9 _ . : @ ~ -";

bool valid_topic(std::string_view name);

// ok, or invalid_argument `invalid topic "NAME": use <kTopicRule>` (NAME JSON-quoted, cut
// to 64 bytes, so the message stays one short line whatever arrived).
Status check_topic(std::string_view name);

// The `event:` and `id:` rules of the encoder (ssekit/wire.hpp) for req.type and req.id.
Status check_fields(const PublishRequest &req);

// check_topic(req.topic), then check_fields(req): what every bus runs before publishing.
Status check_publish(const PublishRequest &req);

// Fills `out` from one JSON object line (see the note); `out.topic` is "" when the line names
// none. invalid_argument naming the problem ("not valid JSON", "\"data\" is missing", ...).
// Does not run check_publish(): the caller does, once the default topic is known.
Status publish_request_from_json(std::string_view line, PublishRequest &out);

}  // namespace ssekit
