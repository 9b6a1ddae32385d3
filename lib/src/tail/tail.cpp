#include "ssekit/tail.hpp"

#include <regex.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "base/duration.hpp"
#include "ssekit/cli.hpp"
#include "sse/publish.hpp"
#include "tail/sse_client.hpp"
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

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

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

Status check_tail_options(const TailOptions &o) {
    Formatter f;
    if (Status s = Formatter::parse(o.format, f); !s) return s;
    if (o.match) {
        Regex re;
        if (Status s = re.compile(*o.match); !s) return Status::invalid_argument("--match: " + s.message());
    }
    bool topics = false;
    for (const auto &url : o.urls) {
        if (names_topics(url)) {
            if (!valid_topic_list(url))
                return Status::invalid_argument("\"" + url + "\" is neither a URL (http:// or https://) nor " +
                                                "TOPIC[,TOPIC...] ([A-Za-z0-9_.:@~-], 1 to 128 characters)");
            topics = true;
        } else if (!starts_with_nocase(url, "http://") && !starts_with_nocase(url, "https://")) {
            return Status::invalid_argument("URL must start with http:// or https://: " + url);
        }
    }
    if (topics)
        if (Status s = check_server_url(server_url(o.server, o.env_server)); !s) return s;
    for (const auto &h : o.headers) {
        size_t colon = h.find(':');
        if (colon == std::string::npos || colon == 0 || h.find_first_of(" \t") < colon)
            return Status::invalid_argument("--header must look like 'Name: value': " + h);
        if (h.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            return Status::invalid_argument("--header must not contain CR, LF or NUL");
        if (starts_with_nocase(h, "last-event-id:"))
            return Status::invalid_argument("use --last-event-id rather than -H 'Last-Event-ID: ...'");
    }
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
             {"sse-tail news", "sse-tail -n 1 -m '^done$' -W 60 jobs",
              "sse-tail -f json http://127.0.0.1:8080/events/a https://example.com/feed",
              "sse-tail -f '{event}: {data}' -e price prices"},
             "See sse-tail(1).");
    app.add_option("URL", o.urls,
                   "Event-stream URL(s) to follow (http or https), or TOPIC[,TOPIC...] for --server/events/TOPIC")
        ->required();

    auto *from = app.add_option_group("Server");
    add_server_option(*from, o.server, o.env_server, "for TOPIC arguments");
    add_token_option(*from, o.token, "for ssed's --subscribe-token");
    // Repeatable options take one value each: in an option group, CLI11 would otherwise hand
    // them the URLs that follow (it keeps those for the positionals only in the app itself).
    from->add_option("-H,--header", o.headers, "Extra request header, repeatable")
        ->type_name("'NAME: VALUE'")
        ->allow_extra_args(false);
    from->add_flag("-k,--insecure", o.insecure, "Do not verify TLS certificates");

    auto *resume = app.add_option_group("Resume and reconnect");
    resume->add_option("--last-event-id", o.last_event_id, "Start from this event ID (sent as Last-Event-ID)")
        ->type_name("ID");
    resume->add_option("--retry", o.retry_ms, "Reconnection time before the server sets one (default 3000)")
        ->type_name("MS")
        ->check(whole_number(0));
    resume->add_flag("--no-reconnect", o.no_reconnect, "Exit at the end of the stream instead of reconnecting");
    resume->add_option("--idle-timeout", o.idle_timeout_s,
                       "Reconnect after this long without a byte (default 45, 0 = off)")
        ->type_name("SECONDS")
        ->check(seconds_at_least(true));

    auto *output = app.add_option_group("Output");
    output->add_option("-f,--format", o.format, "data (default), raw, json, or a template like '{event}: {data}'")
        ->type_name("FORMAT");

    auto *until = app.add_option_group("Filter and stop");
    until->add_option("-e,--event", o.events, "Only events of this type, repeatable")
        ->type_name("NAME")
        ->allow_extra_args(false);
    until->add_option("-m,--match", o.match, "Exit 0 on the first event whose data matches (POSIX ERE)")
        ->type_name("REGEX");
    until->add_option("-n,--count", o.count, "Exit 0 after N events (that passed -e/-m)")
        ->type_name("N")
        ->check(whole_number(1));
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
    if (Status s = Formatter::parse(opts.format, formatter); !s) {
        log.error(s.message());
        return Exit::usage;
    }
    formatter.set_json_url(opts.urls.size() > 1);
    Regex re;
    if (opts.match) {
        if (Status s = re.compile(*opts.match); !s) {
            log.error("--match: " + s.message());
            return Exit::usage;
        }
    }
    // --match without --count stops at the first match.
    const std::uint64_t limit = opts.count.value_or(opts.match ? 1 : 0);

    StreamOptions so;
    so.urls = stream_urls(opts);
    so.headers = opts.headers;
    // As in curl, an Authorization given with -H wins over the one --token makes.
    if (!opts.token.empty() && std::none_of(opts.headers.begin(), opts.headers.end(), [](const std::string &h) {
            return starts_with_nocase(h, "authorization:");
        }))
        so.headers.push_back("Authorization: Bearer " + opts.token);
    so.last_event_id = opts.last_event_id;
    so.retry_ms = opts.retry_ms;
    so.reconnect = !opts.no_reconnect;
    // Beyond ~31 years a timeout means "never"; clamping keeps the clock arithmetic in range.
    auto to_ms = [](double s) {
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(std::min(s, 1e9) * 1000)));
    };
    so.idle_timeout = to_ms(opts.idle_timeout_s);
    so.insecure = opts.insecure;
    if (opts.timeout_s)
        so.deadline = std::chrono::steady_clock::now() + to_ms(*opts.timeout_s);

    std::uint64_t printed = 0;
    bool pipe_closed = false;
    std::optional<Status> write_error;
    // Events of one received chunk are formatted into `pending` and written together when the
    // client flushes, before it waits for more bytes: one write(2) per burst instead of one per
    // event, and never an event held back.
    std::string pending;
    auto on_event = [&](const Event &e, std::string_view url) -> bool {
        if (!opts.events.empty() &&
            std::find(opts.events.begin(), opts.events.end(), e.type) == opts.events.end())
            return true;
        if (opts.match && !re.matches(e.data)) return true;
        formatter.format(e, url, pending);
        ++printed;
        return limit == 0 || printed < limit;
    };
    auto on_flush = [&]() -> bool {
        if (pending.empty()) return true;
        bool ok = write_all(out_fd, pending, stop);
        pending.clear();
        if (!ok) {
            if (errno == EPIPE) pipe_closed = true;              // `| head`: the reader is done
            else if (errno != EINTR) write_error = Status::io(std::string("writing output: ") + std::strerror(errno));
        }
        return ok;
    };

    SseClient client(std::move(so), log);
    SseClient::Result r = client.run(on_event, on_flush, stop);
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
