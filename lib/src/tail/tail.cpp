#include "ssekit/tail.hpp"

#include <fcntl.h>
#include <regex.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "base/base64.hpp"
#include "base/duration.hpp"
#include "base/unique_fd.hpp"
#include "sse/publish.hpp"
#include "ssekit/cli.hpp"
#include "tail/event_command.hpp"
#include "tail/file_source.hpp"
#include "tail/request.hpp"
#include "tail/sse_client.hpp"
#include "tail/state_file.hpp"
#include "tail/tail_output.hpp"

namespace ssekit {

namespace {

// An owned, compiled POSIX regex.
class Regex {
public:
    Regex() = default;
    ~Regex() {
        if (compiled_) regfree(&re_);
    }
    Regex(const Regex &) = delete;
    Regex &operator=(const Regex &) = delete;

    // Compiles `pattern` (extended syntax). Returns regerror's text on failure.
    Status compile(const std::string &pattern) {
        int rc = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char buf[256];
            regerror(rc, &re_, buf, sizeof buf);
            return Status::invalid_argument(buf);
        }
        compiled_ = true;
        return Status::ok();
    }

    // Whole-buffer match: REG_STARTEND lets data containing U+0000 be searched to its end.
    bool matches(std::string_view text) const {
        regmatch_t m[1];
        m[0].rm_so = 0;
        m[0].rm_eo = static_cast<regoff_t>(text.size());
        return regexec(&re_, text.data(), 1, m, REG_STARTEND) == 0;
    }

private:
    regex_t re_{};
    bool compiled_ = false;
};

// An argument without "://" names topics of the ssed at --server: "news" or "a,b".
bool names_topics(std::string_view arg) { return arg.find("://") == std::string_view::npos; }

bool valid_topic_list(std::string_view list) {
    for (std::size_t at = 0;;) {
        std::size_t comma = list.find(',', at);
        if (!valid_topic(list.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at)))
            return false;
        if (comma == std::string_view::npos) return true;
        at = comma + 1;
    }
}

}  // namespace

std::vector<std::string> stream_urls(const TailOptions &o) {
    std::string base = server_url(o.server, o.env_server);
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::vector<std::string> urls;
    for (const auto &arg : o.urls) urls.push_back(names_topics(arg) ? base + "/events/" + arg : arg);
    return urls;
}

namespace {

// The output rules of --format and --match, compiled: the one place that reads them, both to
// check the options and to run.
Status compile_output(const TailOptions &o, Formatter &f, Regex &re) {
    if (Status s = Formatter::parse(o.format, f); !s) return s;
    if (o.match)
        if (Status s = re.compile(*o.match); !s) return Status::invalid_argument("--match: " + s.message());
    return Status::ok();
}

}  // namespace

Status check_tail_options(const TailOptions &o) {
    Formatter f;
    Regex re;
    if (Status s = compile_output(o, f, re); !s) return s;
    if (o.urls.empty() && o.input.empty())
        return Status::invalid_argument("URL is required");
    if (!o.input.empty() && !o.urls.empty())
        return Status::invalid_argument("--input FILE reads one stream: give no URL with it");
    if (o.urls.size() > 1 && std::find(o.urls.begin(), o.urls.end(), "-") != o.urls.end())
        return Status::invalid_argument("- (standard input) is one stream: give no URL with it");
    bool topics = false;
    for (const auto &url : o.urls) {
        if (url == "-") continue;
        if (names_topics(url)) {
            if (!valid_topic_list(url))
                return Status::invalid_argument("\"" + url + "\" is neither a URL (http:// or https://) nor " +
                                                "TOPIC[,TOPIC...] ([A-Za-z0-9_.:@~-], 1 to 128 characters)");
            topics = true;
        } else if (!is_http_url(url)) {
            return Status::invalid_argument("URL must start with http:// or https://: " + url);
        }
    }
    if (topics)
        if (Status s = check_server_url(server_url(o.server, o.env_server)); !s) return s;
    if (!o.decode.empty() && o.decode != "base64")
        return Status::invalid_argument("--decode knows base64 only, not \"" + o.decode + "\"");
    if (!o.decode.empty() && f.kind() != Formatter::Kind::data)
        return Status::invalid_argument("--decode writes the decoded bytes alone: use it with -f data");
    for (const auto &h : o.headers)
        if (Status s = check_header_option(h); !s) return s;
    if (Status s = check_request_options(o.method, o.data, o.json); !s) return s;
    if (o.last_event_id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        return Status::invalid_argument("--last-event-id must not contain CR, LF or NUL");
    return Status::ok();
}

namespace {

// Writes all of `bytes` to `fd`. EPIPE and other errors are told apart by errno.
bool write_all(int fd, std::string_view bytes, const volatile std::sig_atomic_t &stop) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            if (stop) {
                errno = EINTR;
                return false;
            }
            continue;
        }
        if (n == 0) errno = EIO;  // write(2) made no progress and set no errno
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

}  // namespace

void bind_tail_options(CLI::App &app, TailOptions &o) {
    set_help(app, "sse-tail", "sse-tail: follow Server-Sent Events streams and print their events", "",
             {"sse-tail news", "sse-tail -n 1 -m '^done$' -W 60 --from-start jobs",
              "sse-tail --json @req.json --until '[DONE]' https://api.example/v1/chat",
              "sse-tail -f '{event}: {data}' -e price prices"},
             "See sse-tail(1).");
    app.add_option("URL", o.urls,
                   "Stream URL(s) (http, https), TOPIC[,TOPIC...] of --server, or - for stdin");

    // Repeatable options take one value each: otherwise CLI11 would hand them the URLs that
    // follow (the URL is optional, with --input, so nothing stops it).
    auto *from = app.add_option_group("Server and request");
    add_server_option(*from, o.server, o.env_server, "for TOPIC arguments");
    add_token_option(*from, o.token, "for ssed's --subscribe-token");
    from->add_option("-H,--header", o.headers, "Extra request header, or @FILE of them read at each connect")
        ->type_name("'NAME: VALUE'")
        ->allow_extra_args(false);
    from->add_option("-X,--request", o.method, "HTTP method (default GET, or POST with a body)")->type_name("METHOD");
    from->add_option("-d,--data", o.data, "Request body as curl -d sends it (@FILE, @- for stdin); implies POST")
        ->type_name("DATA")
        ->allow_extra_args(false);
    from->add_option("--json", o.json, "JSON request body (@FILE, @- for stdin); implies POST")
        ->type_name("DATA")
        ->allow_extra_args(false);
    from->add_flag("-k,--insecure", o.insecure, "Do not verify TLS certificates");
    auto *http2 = from->add_flag("--http2", o.http2, "HTTP/2 over TLS (ALPN); URLs share a connection");
    from->add_flag("--http2-prior-knowledge", o.http2_prior_knowledge, "HTTP/2 from the start, also on http:// (h2c)")
        ->excludes(http2);
    from->add_option("--input", o.input, "Read a saved event stream from FILE (- = stdin), to its end")
        ->type_name("FILE");

    auto *resume = app.add_option_group("Resume and reconnect");
    resume->add_option("--last-event-id", o.last_event_id, "Start from this event ID (sent as Last-Event-ID)")
        ->type_name("ID");
    resume->add_flag("--from-start", o.from_start,
                     "ssed: replay the topic's kept history first, no gap notice (?since=start)");
    resume->add_option("--state", o.state, "Keep each URL's last event ID in FILE; resume from it at start")
        ->type_name("FILE");
    resume->add_option("--retry", o.retry_ms, "Reconnection time before the server sets one (default 3000)")
        ->type_name("MS")
        ->check(whole_number(0));
    auto *no_reconnect =
        resume->add_flag("--no-reconnect", o.no_reconnect, "Exit at the end of the stream instead of reconnecting");
    resume->add_flag("--reconnect", o.reconnect, "Reconnect even with a body, sending it again (with Last-Event-ID)")
        ->excludes(no_reconnect);
    resume->add_option("--idle-timeout", o.idle_timeout_s,
                       "Reconnect after this long without a byte (default 45, 0 = off)")
        ->type_name("SECONDS")
        ->check(seconds_at_least(true));

    auto *output = app.add_option_group("Output");
    output->add_option("-f,--format", o.format, "data (default), raw, json, or a template like '{event}: {data}'")
        ->type_name("FORMAT");
    output->add_option("--max-event-size", o.max_event_size, "Longest line, and most data of one event, accepted")
        ->type_name("SIZE")
        ->capture_default_str()
        ->transform(CLI::AsSizeValue(false))
        ->check(CLI::PositiveNumber);
    output->add_option("--decode", o.decode, "Write each event's data decoded (base64), bytes only")
        ->type_name("base64");
    output->add_option("--exec", o.exec, "Run CMD with sh -c per event, the event on its stdin, instead of printing")
        ->type_name("CMD");

    auto *until = app.add_option_group("Filter and stop");
    until->add_option("-e,--event", o.events, "Only events of this type, repeatable")
        ->type_name("NAME")
        ->allow_extra_args(false);
    until->add_option("-m,--match", o.match, "Exit 0 on the first event whose data matches (POSIX ERE)")
        ->type_name("REGEX");
    until->add_option("-n,--count", o.count, "Exit 0 after N events (that passed -e/-m)")
        ->type_name("N")
        ->check(whole_number(1));
    until->add_option("--until", o.until, "Exit 0 at the first event whose data is exactly DATA, not printing it")
        ->type_name("DATA");
    until->add_option("-W,--timeout", o.timeout_s, "Give up after this long (exit 1)")
        ->type_name("SECONDS")
        ->check(seconds_at_least(false));

    auto *quiet = app.add_flag("-q,--quiet", o.quiet, "Print errors only");
    app.add_flag("-v,--verbose", o.verbose, "Log connects and reconnects to stderr; -vv: debugging detail too")
        ->excludes(quiet);
}

Logger::Level TailOptions::log_level() const {
    if (quiet) return Logger::Level::quiet;
    if (verbose >= 2) return Logger::Level::debug;
    return verbose == 1 ? Logger::Level::info : Logger::Level::warn;
}

Exit run_tail(const TailOptions &opts, int out_fd, const Logger &log, const volatile std::sig_atomic_t &stop) {
    Formatter formatter;
    Regex re;
    if (Status s = compile_output(opts, formatter, re); !s) {
        log.error(s.message());
        return Exit::usage;
    }
    formatter.set_json_url(opts.urls.size() > 1);
    // --match without --count stops at the first match.
    const std::uint64_t limit = opts.count.value_or(opts.match ? 1 : 0);

    StreamOptions so;
    so.urls = stream_urls(opts);
    so.max_event_size = opts.max_event_size;
    so.headers = opts.headers;
    // As in curl, an Authorization given with -H wins over the one --token makes.
    if (!opts.token.empty() && !sets_header(opts.headers, "authorization"))
        so.headers.push_back("Authorization: Bearer " + opts.token);
    if (std::string problem; RequestHeaders(opts.headers).read(problem), !problem.empty()) {
        log.error(problem);
        return Exit::usage;
    }
    so.method = opts.method.value_or("");
    if (Status s = load_body(opts.data, opts.json, STDIN_FILENO, so.body); !s) {
        log.error(s.message());
        return Exit::usage;
    }
    so.last_event_id = opts.last_event_id;
    EventIds ids;  // --state: by URL, as of the last event handled
    if (opts.state) {
        Status s = load_event_ids(*opts.state, ids);
        if (s) s = save_event_ids(*opts.state, ids);  // can it be written? say so now, not after an event
        if (!s) {
            log.error("--state: " + s.message());
            return Exit::usage;
        }
        if (opts.last_event_id.empty()) so.last_event_ids.insert(ids.begin(), ids.end());
    }
    bool ids_changed = false;
    std::string state_problem;  // the last --state failure reported, so it is said once
    std::optional<EventCommand> command;
    if (opts.exec) command.emplace(*opts.exec);
    std::string command_input;
    so.retry_ms = opts.retry_ms;
    so.reconnect = opts.reconnect || (!opts.no_reconnect && resends_by_default(so.method, so.body.has_value()));
    // Beyond ~31 years a timeout means "never"; clamping keeps the clock arithmetic in range.
    auto to_ms = [](double s) {
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(std::min(s, 1e9) * 1000)));
    };
    so.idle_timeout = to_ms(opts.idle_timeout_s);
    so.insecure = opts.insecure;
    so.from_start = opts.from_start;
    so.http_version = opts.http2                   ? HttpVersion::http2_tls
                      : opts.http2_prior_knowledge ? HttpVersion::http2_prior_knowledge
                                                   : HttpVersion::http1_1;
    if (opts.timeout_s)
        so.deadline = std::chrono::steady_clock::now() + to_ms(*opts.timeout_s);

    std::uint64_t printed = 0;
    bool pipe_closed = false;
    std::optional<Status> write_error;
    // Events of one round of reads are formatted into `pending` and written together when the
    // client flushes, before it waits for more bytes: one write(2) per burst instead of one per
    // event, and never an event held back.
    std::string pending;
    auto wanted_type = [&](const Event &e) {
        return opts.events.empty() || std::find(opts.events.begin(), opts.events.end(), e.type) != opts.events.end();
    };
    const bool shows_types = formatter.kind() == Formatter::Kind::raw || formatter.kind() == Formatter::Kind::json;
    const bool decode = !opts.decode.empty();
    std::string decoded;
    auto on_event = [&](const Event &e, std::string_view url) -> bool {
        if (opts.state) {
            std::string &id = ids[std::string(url)];
            ids_changed |= id != e.id;
            id = e.id;
        }
        if (e.type == gap_notice_type) {  // about the stream, not data: never counted
            if (shows_types && wanted_type(e)) formatter.format(e, url, pending);
            else log.warn(std::string(url) + ": the server could not resume exactly; events may be missing (" +
                          std::string(gap_notice_type) + " " + e.data + ")");
            return true;
        }
        if (opts.until && e.data == *opts.until) return false;  // the end marker, of any type
        if (!wanted_type(e)) return true;
        if (decode) {
            decoded.clear();
            if (!append_base64_decoded(decoded, e.data)) {
                log.warn(std::string(url) + ": event " + (e.id.empty() ? "without id" : e.id) +
                         ": data is not base64; skipped");
                return true;
            }
        }
        const std::string_view data = decode ? std::string_view(decoded) : std::string_view(e.data);
        if (opts.match && !re.matches(data)) return true;
        std::string &out = command ? command_input : pending;
        if (command) command_input.clear();
        if (decode) out.append(decoded);  // the bytes alone: a newline would corrupt them
        else formatter.format(e, url, out);
        if (command) {
            if (Status s = command->run(command_input, e, url, stop); !s)
                log.warn("--exec: " + s.message() + (e.id.empty() ? "" : " (event id " + e.id + ")"));
        }
        ++printed;
        return limit == 0 || printed < limit;
    };
    // The state is saved after the output, so it never claims an event that was not printed.
    auto save_state = [&] {
        if (!ids_changed) return;
        ids_changed = false;
        Status s = save_event_ids(*opts.state, ids);
        if (!s && s.message() != state_problem) log.warn("--state: " + s.message());
        state_problem = s.message();
    };
    auto on_flush = [&]() -> bool {
        if (pending.empty()) {
            save_state();
            return true;
        }
        bool ok = write_all(out_fd, pending, stop);
        pending.clear();
        if (!ok) {
            if (errno == EPIPE) pipe_closed = true;              // `| head`: the reader is done
            else if (errno != EINTR) write_error = Status::io(std::string("writing output: ") + std::strerror(errno));
            return false;
        }
        save_state();
        return true;
    };

    SseClient::Result r{SseClient::End::finished, Status::ok()};
    const std::string input = opts.input.empty() && opts.urls == std::vector<std::string>{"-"} ? "-" : opts.input;
    if (!input.empty()) {
        UniqueFd file;
        int fd = STDIN_FILENO;
        if (input != "-") {
            file = UniqueFd(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
            if (file.get() < 0) {
                log.error(input + ": " + std::strerror(errno));
                return Exit::no_input;
            }
            fd = file.get();
        }
        r = read_event_stream(fd, input, opts.last_event_id, opts.max_event_size, so.deadline, on_event, on_flush,
                              stop);
        if (r.end == SseClient::End::finished && !r.status) {
            log.error(r.status.message());
            // Unreadable input is 66; input that breaks a limit (--max-event-size) is a protocol error.
            return r.status.code() == Status::Code::io ? Exit::no_input : exit_for(r.status);
        }
    } else {
        SseClient client(std::move(so), log);
        r = client.run(on_event, on_flush, stop);
    }
    if (write_error) {
        log.error(write_error->message());
        return Exit::io;
    }
    if (pipe_closed) return Exit::ok;
    switch (r.end) {
    case SseClient::End::stopped:
    case SseClient::End::interrupted:
        return Exit::ok;
    case SseClient::End::timed_out: {
        log.warn("timed out after " + format_duration(std::chrono::duration<double>(*opts.timeout_s)) + " (--timeout)");
        return Exit::timeout;
    }
    case SseClient::End::finished:
        return r.status ? Exit::ok : exit_for(r.status);
    }
    return Exit::software;
}

}  // namespace ssekit
