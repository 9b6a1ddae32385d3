// A note on idempotency keys in Redis (ssed --redis, sse-pub --redis).
//
// The rule is sse/publish.hpp's: an event whose key is remembered for its topic is not
// published again; the answer is the id it was published with. In Redis it must hold across
// ssed instances sharing Redis and across restarts of ssed and sse-pub while Redis lives, so
// the memory is in Redis, in two forms:
//
// Key records, for any key (ssed's HTTP publishers, keys given to sse-pub):
//   `<prefix>#idem:<topic>`      hash key -> id: the current record of the topic
//   `<prefix>#idem-old:<topic>`  the previous one
// A publish looks an event's key up in both and records it in the current one atomically with
// the publish itself: in pubsub mode publish_keyed() reads the records under WATCH, then
// records and PUBLISHes in one MULTI/EXEC that fails if another writer changed them meanwhile
// (then it reads again); in streams mode the streams script (redis/stream.hpp) does both in
// one call. So of two attempts of one event, whichever runs first publishes and the other is
// the duplicate, on any instance. (Native commands, not a script, in pubsub mode: a Lua loop
// over a batch's events cost Redis about ten times the PUBLISHes themselves.) When the current
// record holds `remember` keys (the bus's history: ssed --history, sse-pub --stream-maxlen) it becomes
// the previous one and the one before is dropped: a key is remembered until at least
// `remember` later keys of its topic were recorded, and a topic holds at most
// 2 x (remember + one batch) keys. Both hashes expire kKeyRecordTtl after the topic's last
// keyed publish, so an abandoned topic leaves nothing behind. ('#' is no topic character, so
// these names never meet a stream key `<prefix><topic>` or the counter `<prefix>#lastid`.)
//
// Batch marks, for the keys sse-pub makes itself (pubsub mode): those keys are new by
// construction (a random run id and a counter), so no other publisher can send them and the
// only possible duplicate is sse-pub's own resend of a batch whose answer was lost. So instead
// of a record per event, each batch leaves one mark, `<prefix>#idem-batch:<first key>` = the
// number of events in it, SET in the same MULTI/EXEC as its PUBLISHes; a resend finds the
// mark and publishes only the events after those it counts. The mark is WATCHed and read
// before the MULTI of every attempt, so an attempt delayed in the network aborts if another
// one ran first. sse-pub deletes a mark once its batch is acknowledged; a mark left by a
// process that died expires after kKeyRecordTtl.
//
// A record hash starts with the field kRecordEncodingField, whose value is longer than
// Redis' hash-max-listpack-value (64 by default), so Redis keeps it as a hash table from the
// start: a thousand keys written into its compact listpack form first cost several times more.
//
// Pure functions, except publish_keyed(), which talks to Redis on the given connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/conn.hpp"
#include "sse/publish.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

// How long the key records of a topic, and a batch mark, outlive the last publish that
// wrote them.
inline constexpr std::chrono::milliseconds kKeyRecordTtl{3600 * 1000};

// `<prefix>#idem:<topic>` and `<prefix>#idem-old:<topic>`.
std::string key_record(std::string_view prefix, std::string_view topic);
std::string previous_key_record(std::string_view prefix, std::string_view topic);

// `<prefix>#idem-batch:<first_key>`.
std::string batch_mark(std::string_view prefix, std::string_view first_key);

// The Lua of the streams script's part in this: `idem.load`, `idem.original`, `idem.note` and
// `idem.record` (see idempotency.cpp), over key records named in KEYS.
const std::string &key_record_lua();

// The field (no key can be named so: keys have no space) and value described in the note.
inline constexpr std::string_view kRecordEncodingField = " hashtable";
extern const std::string_view kRecordEncodingValue;

// The key records the events of one publish use: each distinct topic among the events with a
// key is a group g (1, 2, ...) with its current and previous record; group_of[i] is the group
// of events[i], 0 for an event without a key.
struct KeyGroups {
    std::vector<std::string> records;   // current, previous, current, previous, ...
    std::vector<std::size_t> group_of;  // one per event
};
KeyGroups key_groups(std::string_view prefix, std::span<const PublishRequest> events);

// Pubsub mode: publishes each of `events` (ids set; some or all with keys) whose key the
// records do not remember, and records those keys, as the note says; atomic for the batch.
// Fills, per event, ids[i] (its id, or the original one for a duplicate) and receivers[i]
// (PUBLISH receivers; -1 for a duplicate). Two round trips, more while other writers keep
// changing the records. unavailable on an I/O error (the connection is then dead) or when the
// records changed under every one of a few attempts; protocol on a Redis error reply. After
// an error the connection may be inside a WATCH or MULTI: drop it.
Status publish_keyed(RedisConn &c, std::string_view prefix, std::size_t remember,
                     std::span<const PublishRequest> events, std::vector<std::string> &ids,
                     std::vector<long long> &receivers);

}  // namespace ssekit
