// A note on ssed, the hub daemon.
//
// SsedOptions is everything ssed(1) can be told, from the command line or from SSED_*
// environment variables (the command line wins). run_ssed() wires the pieces together: a Hub
// (topics, history, the streaming thread) behind a HttpServer (cpp-httplib with the socket
// hand-off) carrying the HTTP API, then serves until `stop` is set and drains: it stops
// accepting, sends every subscriber a jittered `retry:` and the final chunk, and returns.
//
// Once listening, run_ssed prints the URL (e.g. "http://127.0.0.1:43121") alone on a line on
// `out` and flushes, so a script or test can start it on port 0 and read where it is; the
// ready line with the address and limits goes to the Logger (stderr).
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "ssekit/exit.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

struct SsedOptions {
    std::string listen = "127.0.0.1:8080";     // HOST:PORT, [V6ADDR]:PORT; port 0 = any free one
    std::size_t history = 1000;                // events kept per topic for resume
    std::size_t max_topics = 10000;
    std::size_t max_subscribers = 100000;
    std::uint64_t max_backlog = 1 << 20;       // unsent bytes before a subscriber is dropped
    std::uint64_t max_body = 1 << 20;          // single-event POST body
    std::uint64_t max_batch_body = 16 << 20;   // NDJSON batch POST body
    double heartbeat = 15;                     // seconds between comment heartbeats; 0 = off
    std::uint64_t retry = 3000;                // ms, the `retry:` sent to each new subscriber
    std::vector<std::string> cors_origins;     // allowed Origins; "*" = any
    std::string publish_token;
    std::string subscribe_token;
    std::size_t threads = 16;                  // request pool (never holds streams)
    std::string redis;                         // "" = in-process bus; else the Redis URL
    std::string redis_prefix = "sse:";         // channel = prefix + topic
    std::string redis_mode = "pubsub";         // pubsub | streams (redis_bridge.hpp)
    double drain_timeout = 5;                  // seconds allowed for the drain on SIGTERM/SIGINT
    bool quiet = false;
    bool verbose = false;
    bool debug = false;

    // ssed logs its lifecycle (ready, drain, exit) by default: info, unlike the client tools.
    Logger::Level log_level() const;
};

// Declares every option on `app`, bound to `opts`, each with its SSED_* environment variable.
// Also sets the version flag and the --help footer (exit codes, "See ssed(1).").
void bind_ssed_options(CLI::App &app, SsedOptions &opts);

// Parses argv with an app made by bind_ssed_options. Returns nullopt to go on, or the exit
// status to leave with: 0 after --help/--version, 64 for a bad option, 78 when the offending
// value came from an SSED_* environment variable. Errors are one line on stderr.
std::optional<int> parse_ssed_args(CLI::App &app, int argc, const char *const *argv);

// Splits "HOST:PORT" or "[V6ADDR]:PORT" (":PORT" means all IPv4 interfaces, 0.0.0.0).
Status parse_listen(std::string_view text, std::string &host, int &port);

// Runs the hub until `stop` becomes true, then drains. Exit::ok after a clean drain,
// Exit::os when the address cannot be bound (one line logged).
Exit run_ssed(const SsedOptions &opts, const Logger &log, const std::atomic<bool> &stop,
              std::ostream &out);

}  // namespace ssekit
