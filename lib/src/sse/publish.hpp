// A note on publishing: the one vocabulary of ssed, its Redis bridge and sse-pub.
//
// A PublishRequest is the event a publisher sends (to a topic), a PublishResult the answer.
// Every path that accepts an event (the in-process hub, the Redis bridge, ssed's HTTP API and
// sse-pub before it sends anything) checks it with check_publish(), so a bad topic, id or
// event type is refused with the same words whichever bus is behind ssed:
//   invalid topic "a b": use 1 to 128 characters from A-Z a-z 0-9 _ . : @ ~ -
//   event contains a line break            (would let a publisher forge fields)
//   id contains a line break / id contains a NUL character
//   id is not valid UTF-8 / event is not valid UTF-8
//   invalid key "a b": use 1 to 128 characters from ! to ~ (printable ASCII, no space)
// Topic names: 1 to 128 characters from [A-Za-z0-9_.:@~-]; a comma separates topics in a URL
// and '#' is kept for the Redis key names (the streams counter, idempotency records), so
// neither can be part of a name.
//
// Bytes that are not UTF-8, one rule for every path (ssed(1), "BYTES"): a subscriber decodes
// the stream as UTF-8 with U+FFFD for what is ill-formed (base/utf8.hpp), so an id or event
// type that is not UTF-8 would arrive as something else than was published (and a client
// resuming with it would name an id that was never sent): it is refused. Data is carried as
// the decoder would read it: make_data_valid_utf8() replaces each ill-formed subpart by
// U+FFFD, the same in a single POST, a batch, and an envelope into Redis, so subscribers get
// the same bytes whichever way an event came. Binary data goes base64-encoded (sse-pub --base64).
//
// Idempotency keys (PublishRequest::key): a publisher that may send an event twice (it retries
// after an answer was lost) gives it a key; a bus that still remembers the key for the topic
// does not publish the event again and answers with the original id and `duplicate` set. What
// each bus remembers, and for how long, is in hub.hpp and redis/idempotency.hpp.
//
// JSON lines (ssed's NDJSON batches, sse-pub --json) become requests through
// publish_request_from_json(), the one conversion: {"data", "event", "id", "key", "retry",
// "topic"}, "data" required (a line without it is a mistake, not an empty event).
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
    std::string key;                      // idempotency key (see the note); "" = none
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
    // Status ok, but the event was not published again: its key is remembered for the topic
    // (`id` and `seq` are then the original event's; subscribers 0, instances none), or (the
    // hub in streams mode) its stream id is no newer than the topic's newest (seq 0).
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

// What an idempotency key may be, in words.
inline constexpr std::string_view kKeyRule = "1 to 128 characters from ! to ~ (printable ASCII, no space)";
inline constexpr std::size_t kMaxKeyLength = 128;

// ok, or invalid_argument `invalid key "KEY": use <kKeyRule>` (KEY quoted as in check_topic).
// "" is refused too: callers test for "no key" first.
Status check_key(std::string_view key);

// The `event:` and `id:` rules of the encoder (ssekit/wire.hpp), valid UTF-8 (see the note),
// for req.type and req.id; check_key(req.key) when there is a key.
Status check_fields(const PublishRequest &req);

// check_topic(req.topic), then check_fields(req): what every bus runs before publishing.
Status check_publish(const PublishRequest &req);

// Replaces each ill-formed UTF-8 subpart of req.data by U+FFFD (see the note); a no-op, and
// no copy, for valid data.
void make_data_valid_utf8(PublishRequest &req);

// Fills `out` from one JSON object line (see the note); `out.topic` is "" when the line names
// none. invalid_argument naming the problem ("not valid JSON", "\"data\" is missing", ...).
// Does not run check_publish(): the caller does, once the default topic is known.
Status publish_request_from_json(std::string_view line, PublishRequest &out);

}  // namespace ssekit
