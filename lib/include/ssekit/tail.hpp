// A note on sse-tail.
//
// sse-tail follows one or more event streams (SseClient) and prints each event in the chosen
// format (Formatter). Events are written whole, in bursts: what one round of reads brought is
// formatted into one buffer and written with one write(2) before sse-tail waits for more, so a
// reader never sees half an event and a lone event is never held back. For
// scripts it stops on its own: after --count events, on the first event matching --match
// (POSIX extended regex over the data, compiled once; regexec does not recurse, so a 10 MiB
// line is safe), at the first event whose data is exactly --until (not printed; any type:
// it marks the end, as `data: [DONE]` does for a language-model API), or when --timeout
// expires (exit 1). -e filters by event type before --count and --match look. A request
// with a body (tail/request.hpp) is not sent again when its stream ends, unless --reconnect.
// --exec runs a command per event instead of printing it (tail/event_command.hpp); --state
// keeps each URL's last event ID in a file and resumes from it (tail/state_file.hpp). A
// closed stdout (`sse-tail URL | head -1`) ends the run quietly with status 0; another write
// error is Exit::io. Exit codes: see exit.hpp and sse-tail(1).
//
// The URL `-` (or --input FILE) reads an event stream from stdin or a file instead, with the
// same parser, outputs and stop conditions, and exits 0 at its end (tail/file_source.hpp).
// ssed's `ssed-gap` notice is about the stream, not in it: it never counts toward --count or
// --match; raw and json print it as the event it is (unless -e leaves it out), data and
// templates turn it into a warning on stderr, so it never passes for data.
// --decode base64 writes each event's data decoded, byte for byte with nothing added (data
// format only); an event whose data is not strict base64 (base/base64.hpp) is reported on
// stderr and skipped, and -m looks at the decoded bytes.
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
    std::vector<std::string> headers;       // -H 'Name: value' or @FILE, repeatable
    std::optional<std::string> method;      // -X; unset: GET, or POST with a body
    std::vector<std::string> data;          // -d, repeatable (joined with '&')
    std::vector<std::string> json;          // --json, repeatable (concatenated)
    std::string last_event_id;              // --last-event-id
    std::optional<std::uint64_t> retry_ms;  // --retry MS: starting reconnection time
    bool no_reconnect = false;
    bool reconnect = false;                 // --reconnect: send a call again too
    double idle_timeout_s = 45;             // 0: off
    std::string format = "data";            // data | raw | json | template
    std::optional<std::uint64_t> count;     // -n
    std::optional<double> timeout_s;        // -W
    std::vector<std::string> events;        // -e, repeatable; empty: every type
    std::optional<std::string> match;       // -m
    std::optional<std::string> until;       // --until DATA
    std::optional<std::string> exec;        // --exec CMD: run per event instead of printing
    std::optional<std::string> state;       // --state FILE: last event ID per URL
    bool quiet = false;
    int verbose = 0;                        // -v info, -vv debug
    bool insecure = false;
    std::string input;                      // --input FILE, or the URL "-"; "-" = standard input
    bool from_start = false;                // --from-start: ?since=start (ssed: all its history)
    std::string decode;                     // --decode: "" or "base64"
    bool http2 = false;                     // --http2: HTTP/2 by ALPN over TLS
    bool http2_prior_knowledge = false;     // --http2-prior-knowledge: h2c on http://
    // --max-event-size: the longest line and the most data of one event sse-tail holds; a
    // stream that sends more ends with the protocol error (76), so memory stays bounded.
    std::size_t max_event_size = std::size_t(16) << 20;

    // -q keeps errors only, -v adds connects and reconnects, -vv debugging detail (of which
    // there is none yet); warnings by default.
    Logger::Level log_level() const;
};

// Declares sse-tail's options, -V/--version and the --help footer (exit codes, man page).
void bind_tail_options(CLI::App &app, TailOptions &opts);

// Checks what CLI11 cannot: the format, the regex, the headers, the URL schemes, the topic
// names, --server/$SSE_SERVER when a topic is given, the method and bodies (tail/request.hpp;
// files are read by run_tail, not here). For
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
