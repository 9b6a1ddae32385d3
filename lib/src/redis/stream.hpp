// A note on Redis Streams mode (ssed --redis-mode streams, sse-pub --redis-mode streams).
//
// Each topic is a capped Redis Stream whose key is the channel name, `<prefix><topic>` (keys
// and pub/sub channels are separate namespaces in Redis). Publishing runs one Lua script
// (stream_publish_script()), atomically for all the events it is given; for each event:
//     XADD <prefix><topic> MAXLEN ~ <cap> <id> e <rest>
//     PUBLISH <prefix><topic> {"ssekit":1,"id":"<id>",<rest>
// so an event is never stored without its live notification or notified without being
// stored. `rest` is the envelope (redis_envelope.hpp) after its id:
// `"event":...,"data":...,"retry":N}`. Live fan-out is the same pub/sub envelope as in pubsub
// mode; the stream is what a resume reads back.
//
// Ids are stream ids "<ms>-<n>" that increase across ALL topics of a prefix, not only within
// a stream: the script takes <ms> from Redis' TIME and keeps the last id it gave in the key
// `<prefix>#lastid` (no topic can be named so: '#' is not a topic character), so an event
// published after another has a greater id whatever its topic. That is what lets one
// Last-Event-ID position a client in every stream of a several-topic subscription (plain
// `XADD *` ids count per stream: "5-0" on one topic can come after "5-1" on another). Should a
// stream be ahead of the counter (entries added by another writer), that event falls back to
// `XADD *` and the counter follows it. Publishers cannot choose ids: a request with one is
// refused.
//
// An event with an idempotency key whose key record (redis/idempotency.hpp) remembers it is
// not added again: the script answers its original stream id instead, in the same call, so the
// check holds for every ssed and sse-pub writing to the prefix. The records' `remember` bound
// is the cap: a key is remembered at least as long as its entry can be in the stream.
//
// Pure functions, except append_stream_publish which writes to the given connection.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sse/publish.hpp"
#include "redis/conn.hpp"
#include "ssekit/redis_options.hpp"  // RedisMode
#include "ssekit/status.hpp"

namespace ssekit {

// The stream entry field that holds the envelope's rest.
inline constexpr std::string_view kStreamField = "e";
// KEYS[1]: the counter key; KEYS[1 + i]: the stream of event i (i = 1..n), then the key records
// of the events' groups (redis/idempotency.hpp: KeyGroups); ARGV[1]: the cap; ARGV[2]: the
// records' ttl in ms; ARGV[3]: n; then for each event its rest, group and key.
// Returns a flat array: stream id, PUBLISH receivers, for each event in order; for a duplicate
// the original stream id and -1.
const std::string &stream_publish_script();

// `<prefix>#lastid`: the last id the script gave (see the note).
std::string stream_counter_key(std::string_view prefix);

// `<prefix>#lastid:since`: the first id of the history this Redis holds. Set (if missing) by
// the publish script when the counter is missing and by kStreamSinceScript, with Redis' TIME,
// so a Redis that lost its memory (restarted without persistence) gets a later one: a resume
// from an id before it may have missed events, even if no stream shows a trim.
std::string stream_since_key(std::string_view prefix);

// KEYS[1]: stream_since_key. Sets it to "<now ms>-0" if missing; returns its value.
extern const std::string_view kStreamSinceScript;

// invalid_argument when `req` carries an id (in streams mode Redis assigns ids).
Status check_stream_request(const PublishRequest &req);

// Appends the envelope of `req` without its id: what follows `{"ssekit":1,"id":"<id>",`.
void encode_stream_rest(const PublishRequest &req, std::string &out);

// Queues one EVAL of the script for `events` (ids empty) on `c`; nothing is sent yet. With
// `sha` (what SCRIPT LOAD answered for stream_publish_script() on this server), EVALSHA
// instead: for a caller sending one event per call, the script's text is most of the bytes
// and Redis hashes it on every EVAL.
Status append_stream_publish(RedisConn &c, std::string_view prefix, std::size_t cap,
                             std::span<const PublishRequest> events, std::string_view sha = {});

// Reads the script's reply for `n` events: their stream ids and PUBLISH receiver counts (-1:
// a duplicate, the id being the original one).
// A Redis error reply is unavailable with Redis' message.
Status parse_stream_publish_reply(const RedisValue &v, std::size_t n, std::vector<std::string> &ids,
                                  std::vector<long long> &receivers);

// Fills `req` (id, type, data, retry; topic untouched) from one XRANGE entry
// [id, [field, value, ...]]. False when the entry has no `e` field or it does not decode
// (an entry some other writer added).
bool decode_stream_entry(const RedisValue &entry, PublishRequest &req);

}  // namespace ssekit
