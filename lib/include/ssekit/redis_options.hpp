// A note on the Redis settings ssed and sse-pub share.
//
// Both tools meet in Redis on channel `<prefix><topic>` and must agree on the default prefix
// and on the modes' names (--redis-prefix, --redis-mode), so those live here once: the
// constant, the enum and the one table of the names CLI11 binds it with. Public so the tools'
// options (ssed.hpp, pub.hpp) can hold a RedisMode; the Redis code (redis/) stays internal.
// Pure; redis_mode_names() is a static table, safe from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace ssekit {

// The channel prefix when none is given: `redis-cli PUBLISH sse:news hi` reaches topic news.
inline constexpr std::string_view kDefaultChannelPrefix = "sse:";

// Streams mode: the MAXLEN ~ cap of each topic's stream when sse-pub is given none.
inline constexpr std::size_t kDefaultStreamMaxlen = 1000;

// pubsub: Redis only relays events; streams: each topic is also a capped Redis Stream
// (redis/stream.hpp), ids are stream ids and a resume reads from Redis.
enum class RedisMode { pubsub, streams };

// The --redis-mode names: "pubsub", "streams".
const std::map<std::string, RedisMode> &redis_mode_names();

}  // namespace ssekit
