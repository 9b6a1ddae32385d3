// A note on Redis Streams mode (ssed --redis-mode streams, sse-pub --redis-mode streams).
//
// Each topic is a capped Redis Stream whose key is the channel name, `<prefix><topic>` (keys
// and pub/sub channels are separate namespaces in Redis). Publishing runs one Lua script
// (kStreamPublishScript), atomically for all the events it is given:
//     XADD <prefix><topic> MAXLEN ~ <cap> * e <rest>
//     PUBLISH <prefix><topic> {"ssekit":1,"id":"<stream id>",<rest>
// so an event is never stored without its live notification or notified without being
// stored, and the event's id is the stream id Redis assigned. `rest` is the envelope
// (redis_envelope.hpp) after its id: `"event":...,"data":...,"retry":N}`. Live fan-out is the
// same pub/sub envelope as in pubsub mode; the stream is what a resume reads back.
// Publishers cannot choose ids in this mode (Redis does): a request with an id is refused.
//
// Pure functions, except append_stream_publish which writes to the given connection.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ssekit/hub.hpp"
#include "ssekit/redis_conn.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

enum class RedisMode { pubsub, streams };
std::string_view to_string(RedisMode m);

// The stream entry field that holds the envelope's rest.
inline constexpr std::string_view kStreamField = "e";
// KEYS: one stream key per event; ARGV[1]: the cap; ARGV[1 + i]: the rest of event i.
// Returns a flat array: stream id, PUBLISH receivers, for each event in order.
extern const std::string_view kStreamPublishScript;

// invalid_argument when `req` carries an id (in streams mode Redis assigns ids).
Status check_stream_request(const PublishRequest &req);

// Appends the envelope of `req` without its id: what follows `{"ssekit":1,"id":"<id>",`.
void encode_stream_rest(const PublishRequest &req, std::string &out);

// Queues one EVAL of the script for `events` (ids empty) on `c`; nothing is sent yet.
Status append_stream_publish(RedisConn &c, std::string_view prefix, std::size_t cap,
                             std::span<const PublishRequest> events);

// Reads the script's reply for `n` events: their stream ids and PUBLISH receiver counts.
// A Redis error reply is unavailable with Redis' message.
Status parse_stream_publish_reply(const RedisValue &v, std::size_t n, std::vector<std::string> &ids,
                                  std::vector<long long> &receivers);

// Fills `req` (id, type, data, retry; topic untouched) from one XRANGE entry
// [id, [field, value, ...]]. False when the entry has no `e` field or it does not decode
// (an entry some other writer added).
bool decode_stream_entry(const RedisValue &entry, PublishRequest &req);

}  // namespace ssekit
