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
#include <ostream>
#include <string>
#include <vector>

#include "ssekit/exit.hpp"
#include "ssekit/log.hpp"

namespace CLI {
class App;
}

namespace ssekit {

struct TailOptions {
    std::vector<std::string> urls;
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
    bool verbose = false;
    bool insecure = false;
};

// Declares sse-tail's options, -V/--version and the --help footer (exit codes, man page).
void bind_tail_options(CLI::App &app, TailOptions &opts);

// Parses `args` (argv without the program name) into `opts` and checks what CLI11 cannot
// (format, regex, headers, URL schemes). Returns nothing when sse-tail should run; otherwise
// the Exit to end with: ok after --help/--version (printed to `out`), usage after a one-line
// error on stderr.
std::optional<Exit> parse_tail_args(CLI::App &app, TailOptions &opts, std::vector<std::string> args,
                                    std::ostream &out);

// The Logger for the options' -q/-v.
Logger tail_logger(const TailOptions &opts);

// Runs sse-tail: follows opts.urls and writes events to `out_fd` until a stop condition.
// `stop` is set by the SIGINT/SIGTERM handler. REQUIRES: opts passed parse_tail_args; SIGPIPE
// is ignored.
Exit run_tail(const TailOptions &opts, int out_fd, const Logger &log, const volatile std::sig_atomic_t &stop);

}  // namespace ssekit
