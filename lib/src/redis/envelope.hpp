// A note on the Redis envelope and channel names.
//
// Events travel through Redis pub/sub on channel `<prefix><topic>` (prefix "sse:" by default),
// so `redis-cli PUBLISH sse:news hello` reaches every ssed subscriber of topic "news". The
// payload is either
//   - the envelope, a JSON object that starts with exactly `{"ssekit":1,` followed by
//     "id" (always), "event" (when not "message"), "data" and "retry" (when set), e.g.
//     {"ssekit":1,"id":"1764063335123-9f3a2c1e-1","event":"price","data":"42"}
//   - anything else, taken whole as the data of a "message" event (plain payload).
// Only the exact leading bytes `{"ssekit":1,` mark an envelope: other JSON is plain data.
// Data is JSON text, so bytes that are not valid UTF-8 arrive as U+FFFD (an SSE client
// decodes them that way anyway).
//
// Ids are fixed before an event enters Redis, so every ssed instance shows the same id. Minted
// ids have the form `<unix-ms>-<tag>-<seq>`: the minting time in milliseconds, 8 hex digits
// drawn at random once per minting process, and a per-process counter from 1. Two processes
// would have to draw the same tag and mint in the same millisecond with the same counter to
// collide. The three-part form never looks like ssed's own `<epoch>-<seq>` ids.
//
// Pure functions; IdMinter::next() is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "sse/publish.hpp"
#include "ssekit/redis_options.hpp"  // kDefaultChannelPrefix
#include "ssekit/status.hpp"

namespace ssekit {

inline constexpr std::string_view kEnvelopePrefix = R"({"ssekit":1,)";

// Appends the envelope for `req` (its topic goes in the channel name, not the payload).
void encode_envelope(const PublishRequest &req, std::string &out);

// Fills `req` (type, data, id, retry; topic untouched) from a payload. Returns true when the
// payload was an envelope, false when it was taken as plain data. An envelope that starts
// right but does not parse is taken as plain data and `bad` says why.
bool decode_envelope(std::string_view payload, PublishRequest &req, std::string *bad = nullptr);

// The channel for `topic`, and the topic of a channel ("" when it lacks the prefix).
std::string channel_for(std::string_view prefix, std::string_view topic);
std::string_view topic_of_channel(std::string_view prefix, std::string_view channel);

class IdMinter {
public:
    IdMinter();  // draws the random tag
    std::string next();

private:
    std::uint32_t tag_;
    std::atomic<std::uint64_t> seq_{0};
};

}  // namespace ssekit
