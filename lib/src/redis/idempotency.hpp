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
// The publish scripts (kKeyedPublishScript here for pubsub mode, the streams script of
// redis/stream.hpp) look an event's key up in both and record it in the current one, in the
// same atomic call that publishes the event, so of two attempts of one event whichever runs
// first publishes and the other is the duplicate, on any instance. When the current record
// holds `remember` keys (the bus's history: ssed --history, sse-pub --stream-maxlen) it becomes
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
// Pure functions, except the append_* ones, which queue commands on the given connection.
#pragma once

#include <chrono>
#include <cstddef>
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

// The Lua shared by the publish scripts: `idem.load`, `idem.original`, `idem.note` and
// `idem.record` (see idempotency.cpp), over key records named in KEYS.
extern const std::string_view kKeyRecordLua;

// The key records the events of one script call use: each distinct topic among the events with
// a key is a group g (1, 2, ...), named in KEYS by its current and previous record;
// group_of[i] is the group of events[i] as a decimal string, "0" for an event without a key.
struct KeyGroups {
    std::vector<std::string> records;   // current, previous, current, previous, ...
    std::vector<std::string> group_of;  // one per event
};
KeyGroups key_groups(std::string_view prefix, std::span<const PublishRequest> events);

// Pubsub mode, events with keys: KEYS[2g-1], KEYS[2g] = the records of group g; ARGV[1] =
// remember, ARGV[2] = the records' ttl in ms, then for each event its channel, envelope, id,
// group and key. Publishes each event whose key is not remembered and records it. Answers as
// the streams script does (parse_stream_publish_reply): per event its id and PUBLISH
// receivers, or the original id and -1 for a duplicate.
extern const std::string kKeyedPublishScript;

// Queues one EVAL of kKeyedPublishScript for `events` (ids set); nothing is sent yet.
Status append_keyed_publish(RedisConn &c, std::string_view prefix, std::size_t remember,
                            std::span<const PublishRequest> events);

}  // namespace ssekit
