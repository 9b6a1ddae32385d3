// A note on sse-pub.
//
// sse-pub publishes events to an ssed over HTTP (--server) or straight into Redis (--redis),
// where every ssed started with the same --redis picks them up. `sse-pub TOPIC DATA` sends
// one event; without DATA it reads standard input (pub_input.hpp: lines, -s whole input,
// --json lines) and sends batches as they become ready.
//
// Order of checks: options are validated (topic name, CR/LF or bytes that are not UTF-8 in
// --id/--event, the --key syntax) before anything is sent, so a refused option exits 65
// without contacting the server. In Redis mode sse-pub mints an id for every event that has
// none (redis/envelope.hpp); over HTTP the server does. Every event gets an idempotency key
// (KeyMinter, pub/publisher.hpp) unless it has one (--key, "key" in --json), so a batch sent
// again after its answer was lost is not published twice; data that is not valid UTF-8 is
// sent as U+FFFD (sse/publish.hpp), the same over HTTP, in batches and into Redis.
// With --redis-mode streams, events go into a capped stream per topic as well (one atomic Lua
// script per event, redis_stream.hpp), Redis assigns the ids, and an event with an id is refused.
//
// --base64 sends each event's data base64-encoded (base/base64.hpp), for binary payloads that
// event-stream text cannot carry (NUL, CR, invalid UTF-8): DATA, each line (without its line
// break), or with -s all of stdin byte for byte, its final newline included. sse-tail
// --decode base64 gives the bytes back.
//
// Exit: 0 all published; 64 bad options (check_pub_options); 65 input refused (locally or a 400/413); 66 standard input unreadable;
// 69 cannot connect or retries exhausted ("published N of M events read" on stderr: N
// acknowledged, M read from the input before the stop, a refused line not counted; for one
// DATA event "published 0 of 1 event", after only kOneShotUnreachedFor when nothing answers
// there); 76 an answer that is not ssed's; 77 on 401/403.
#pragma once

#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ssekit/exit.hpp"
#include "ssekit/log.hpp"
#include "ssekit/redis_options.hpp"
#include "ssekit/retry_policy.hpp"
#include "ssekit/status.hpp"

namespace CLI {
class App;
}

namespace ssekit {

struct PubOptions {
    std::string topic;
    std::optional<std::string> data;    // DATA argument: one event, stdin unused
    std::string server;                 // --server; "" = env_server, else http://127.0.0.1:8080
    // $SSE_SERVER, bound as a hidden option so that a bad value is named and exits 78 like every
    // other variable; used only without --server and --redis (an exported SSE_SERVER does not
    // conflict with --redis).
    std::string env_server;
    std::string redis;                  // redis URL; excludes --server
    std::string event;                  // -e: event type for every event without its own
    std::string id;                     // -i: id of the single event (DATA or -s)
    std::string key;                    // -k: idempotency key of the single event (DATA or -s)
    std::optional<std::uint64_t> reconnect_ms;  // --reconnect-ms MS: the `retry:` field
    std::string token;                  // --token, $SSE_TOKEN
    std::string redis_prefix{kDefaultChannelPrefix};  // --redis-prefix: channel = prefix + topic
    RedisMode redis_mode = RedisMode::pubsub;
    std::size_t stream_maxlen = kDefaultStreamMaxlen;  // streams: MAXLEN ~ cap of each topic's stream
    bool whole = false;                 // -s
    bool json = false;                  // --json
    bool base64 = false;                // --base64: data sent base64-encoded (binary input)
    RetryPolicy retry_policy;           // --retry-for sets retry_for
    bool retry_for_set = false;         // --retry-for given: one DATA event then waits that long too
    bool quiet = false;
    int verbose = 0;
    std::vector<std::string> warnings;  // deprecated spellings used; run_pub logs them

    Logger::Level log_level() const;
};

// Declares sse-pub's options and arguments on `app` (help footer and version flag included).
void bind_pub_options(CLI::App &app, PubOptions &opts);

// Checks what CLI11 cannot: option combinations, the server and Redis URLs. For parse_args
// (cli.hpp); run_pub checks again.
Status check_pub_options(const PubOptions &opts);

// Runs sse-pub: publishes DATA or the events read from `input_fd`.
// `stop` is set by main's SIGINT/SIGTERM handler: reading ends, what was read is still
// published, and the exit status says whether all of it was (0) or not (69, with the counts).
Exit run_pub(const PubOptions &opts, int input_fd, const Logger &log,
             const volatile std::sig_atomic_t &stop);

}  // namespace ssekit
