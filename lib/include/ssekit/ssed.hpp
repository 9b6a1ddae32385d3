// A note on ssed, the hub daemon.
//
// SsedOptions is everything ssed(1) can be told, from the command line or from SSED_*
// environment variables (the command line wins; parse_args in cli.hpp tells a bad variable,
// exit 78, from a bad flag, 64). run_ssed() wires the pieces together: a Hub
// (topics, history, one streamer per event loop) behind a HttpServer (the loops, cpp-httplib
// as parser and router) carrying the HTTP API, then serves until `stop` is set and drains: it stops
// accepting, sends every subscriber a jittered `retry:` and the final chunk, and returns.
//
// Once listening, run_ssed prints the URL (e.g. "http://127.0.0.1:43121") alone on a line on
// `out` and flushes, so a script or test can start it on port 0 and read where it is; the
// ready line with the address and limits goes to the Logger (stderr).
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "ssekit/api_options.hpp"
#include "ssekit/door_limits.hpp"
#include "ssekit/exit.hpp"
#include "ssekit/hub_limits.hpp"
#include "ssekit/log.hpp"
#include "ssekit/redis_options.hpp"
#include "ssekit/status.hpp"

namespace CLI {
class App;
}

namespace ssekit {

// The hub's and the API's own structs are embedded, so their defaults are ssed's defaults.
struct SsedOptions {
    std::string listen = "127.0.0.1:8080";  // HOST:PORT, [V6ADDR]:PORT; port 0 = any free one
    std::size_t threads = 16;               // --redis: workers for requests that wait on Redis
    HubLimits limits;     // --history, --max-topics, --max-subscribers, --max-backlog, --heartbeat
    ApiOptions api;       // --max-body, --max-batch-body, --retry, --cors-origin, tokens
    DoorLimits door;      // --max-head, --max-headers, the timeouts, --max-connections, --loops
    std::string redis;    // "" = in-process bus; else the Redis URL
    std::string redis_prefix{kDefaultChannelPrefix};  // channel = prefix + topic
    RedisMode redis_mode = RedisMode::pubsub;
    double drain_timeout = 5;  // seconds allowed for the drain on SIGTERM/SIGINT
    bool quiet = false;
    int verbose = 0;           // -v: the access log (api.access_log) too; -vv: and the debug log
    bool debug = false;        // -d: the same as -vv

    // ssed logs its lifecycle (ready, drain, exit) by default: info, unlike the client tools.
    Logger::Level log_level() const;
};

// Declares every option on `app`, bound to `opts`, each with its SSED_* environment variable.
// Also sets the version flag and the --help footer (exit codes, "See ssed(1).").
void bind_ssed_options(CLI::App &app, SsedOptions &opts);

// What CLI11 cannot check: --redis-mode streams needs --redis, and the Redis URL must parse.
// For parse_args (cli.hpp); run_ssed checks again.
Status check_ssed_options(const SsedOptions &opts);

// Splits "HOST:PORT" or "[V6ADDR]:PORT" (":PORT" means all IPv4 interfaces, 0.0.0.0).
Status parse_listen(std::string_view text, std::string &host, int &port);

// Runs the hub until `stop` becomes true, then drains. Exit::ok after a clean drain,
// Exit::usage when check_ssed_options fails, Exit::os when the address cannot be bound (one
// line logged).
Exit run_ssed(const SsedOptions &opts, const Logger &log, const std::atomic<bool> &stop,
              std::ostream &out);

}  // namespace ssekit
