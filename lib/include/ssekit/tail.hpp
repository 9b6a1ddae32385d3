// A note on sse-tail.
//
// sse-tail follows one or more event streams (SseClient) and prints each event in the chosen
// format (Formatter), one write(2) per event so a reader sees whole events at once. For
// scripts it stops on its own: after --count events, on the first event matching --match
// (POSIX extended regex over the data, compiled once; regexec does not recurse, so a 10 MiB
// line is safe), or when --timeout expires (exit 1). -e filters by event type before --count
// and --match look. A closed stdout (`sse-tail URL | head -1`) ends the run quietly with
// status 0; another write error is Exit::io. Exit codes: see exit.hpp and sse-tail(1).
#pragma once

#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ssekit/exit.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace CLI {
class App;
}

namespace ssekit {

struct TailOptions {
    std::vector<std::string> urls;          // URLs, or TOPIC[,TOPIC...] of the ssed at server_url()
    std::string server;                     // --server; "" = env_server, else kDefaultServerUrl
    std::string env_server;                 // $SSE_SERVER (a hidden option, see cli.hpp)
    std::string token;                      // --token, $SSE_TOKEN: Authorization: Bearer
    std::vector<std::string> headers;       // -H 'Name: value', repeatable
    std::string last_event_id;              // --last-event-id
    std::optional<std::uint64_t> retry_ms;  // --retry MS: starting reconnection time
    bool no_reconnect = false;
    double idle_timeout_s = 45;             // 0: off
    std::string format = "data";            // data | raw | json | template
    std::optional<std::uint64_t> count;     // -n
    std::optional<double> timeout_s;        // -W
    std::vector<std::string> events;        // -e, repeatable; empty: every type
    std::optional<std::string> match;       // -m
    bool quiet = false;
    int verbose = 0;                        // -v info, -vv debug
    bool insecure = false;

    // -q keeps errors only, -v adds connects and reconnects, -vv debugging detail (of which
    // there is none yet); warnings by default.
    Logger::Level log_level() const;
};

// Declares sse-tail's options, -V/--version and the --help footer (exit codes, man page).
void bind_tail_options(CLI::App &app, TailOptions &opts);

// Checks what CLI11 cannot: the format, the regex, the headers, the URL schemes, the topic
// names, and --server/$SSE_SERVER when a topic is given. For
// parse_args (cli.hpp); run_tail checks the format and regex again as it compiles them.
Status check_tail_options(const TailOptions &opts);

// The URLs opts.urls stand for: a URL as given, TOPIC[,TOPIC...] as the server's
// /events/TOPIC[,TOPIC...]. REQUIRES: opts passed check_tail_options.
std::vector<std::string> stream_urls(const TailOptions &opts);

// Runs sse-tail: follows stream_urls(opts) and writes events to `out_fd` until a stop condition.
// `stop` is set by the SIGINT/SIGTERM handler. REQUIRES: opts passed check_tail_options; SIGPIPE
// is ignored.
Exit run_tail(const TailOptions &opts, int out_fd, const Logger &log, const volatile std::sig_atomic_t &stop);

}  // namespace ssekit
