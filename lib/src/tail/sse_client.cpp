#include "tail/sse_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include "base/curl_handles.hpp"
#include "base/duration.hpp"
#include "base/excerpt.hpp"
#include "ssekit/parser.hpp"
#include "tail/reconnect_policy.hpp"

namespace ssekit {

namespace {

using Clock = std::chrono::steady_clock;

// A failed response's body is kept up to kErrorBodyBytes and shown up to kErrorExcerptBytes:
// enough for an API's {"error": {"message": ...}}, pretty-printed or not.
constexpr std::size_t kErrorBodyBytes = 1024;
constexpr std::size_t kErrorExcerptBytes = 300;

// curl's receive buffer per transfer (CURLOPT_BUFFERSIZE; its default is 16 KiB), and how much
// input is parsed, at most, before its events are flushed (see Impl::flush).
constexpr long kReceiveBuffer = 256 * 1024;


std::string lower(std::string_view s) {
    std::string out(s);
    for (auto &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// "text/event-stream; charset=utf-8" -> "text/event-stream" (the MIME type's essence).
std::string mime_essence(std::string_view content_type) {
    return lower(trim(content_type.substr(0, content_type.find(';'))));
}

std::string header_name(std::string_view header) { return lower(trim(header.substr(0, header.find(':')))); }

// `url` with `param` ("name=value") appended to its query by libcurl's own URL parser, so an
// existing query or a fragment stays right. Unchanged when libcurl cannot parse it: the
// request then reports the bad URL.
std::string with_query_param(const std::string &url, const char *param) {
    CurlUrlPtr u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
        curl_url_set(u.get(), CURLUPART_QUERY, param, CURLU_APPENDQUERY) != CURLUE_OK)
        return url;
    char *raw = nullptr;
    if (curl_url_get(u.get(), CURLUPART_URL, &raw, 0) != CURLUE_OK || !raw) return url;
    CurlStringPtr out(raw);
    return std::string(out.get());
}

long curl_http_version(HttpVersion v) {
    switch (v) {
    case HttpVersion::http1_1: return CURL_HTTP_VERSION_1_1;
    case HttpVersion::http2_tls: return CURL_HTTP_VERSION_2TLS;
    case HttpVersion::http2_prior_knowledge: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    }
    return CURL_HTTP_VERSION_1_1;
}

std::string_view http_version_name(long curl_version) {
    switch (curl_version) {
    case CURL_HTTP_VERSION_1_0: return "HTTP/1.0";
    case CURL_HTTP_VERSION_1_1: return "HTTP/1.1";
    case CURL_HTTP_VERSION_2_0: return "HTTP/2";
    case CURL_HTTP_VERSION_3: return "HTTP/3";
    default: return "HTTP";
    }
}

}  // namespace

struct SseClient::Impl {
    // One followed URL: its policy and last event ID outlive connections; the rest is per
    // connection and reset by start().
    struct Stream {
        enum class State { active, waiting, done };

        std::string url;
        std::string request_url;  // url, plus since=start with from_start
        ReconnectPolicy policy;
        std::string last_id;
        State state = State::waiting;
        Clock::time_point reconnect_at{};
        Status outcome;  // for done: ok (ended, 204) or the failure

        CurlEasyPtr easy;
        CurlSlistPtr request_headers;
        std::optional<Parser> parser;
        Clock::time_point last_byte{};
        std::uint64_t body_bytes = 0;
        long status = 0;
        std::string reason;
        std::string content_type;
        bool checked = false;  // status and Content-Type looked at
        bool valid = false;    // ... and found to be an event stream
        bool http_failed = false;    // ... and the status was neither 200 nor 204
        std::string error_body;      // the start of that response's body
        bool error_body_cut = false;  // ... which went on beyond kErrorBodyBytes
        bool idle_fired = false;
        std::optional<Status> fatal;
        bool no_content = false;  // HTTP 204
        char errbuf[CURL_ERROR_SIZE] = {};

        Impl *owner = nullptr;

        Stream(std::string u, ReconnectPolicy p) : url(std::move(u)), policy(std::move(p)) {}
    };

    StreamOptions opts;
    Logger log;
    RequestHeaders headers;
    CurlMultiPtr multi;
    std::vector<std::unique_ptr<Stream>> streams;
    const EventHandler *on_event = nullptr;
    const FlushHandler *on_flush = nullptr;
    bool stopping = false;
    bool unflushed = false;             // events were delivered since the last on_flush
    std::uint64_t unflushed_bytes = 0;  // body bytes parsed since then

    Impl(StreamOptions o, Logger l) : opts(std::move(o)), log(std::move(l)), headers(opts.headers) {}

    // Whether the streams share connections (HTTP/2 multiplexing). Not for h2c with libcurl
    // before 8.0: reusing a prior-knowledge connection fails with "Error in the HTTP2 framing
    // layer" (curl#10634, fixed in 8.0.0; Debian 12 has 7.88.1).
    bool multiplexes() const {
        if (opts.http_version == HttpVersion::http1_1) return false;
        if (opts.http_version == HttpVersion::http2_tls) return true;
        return curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;
    }

    // ---- callbacks (static trampolines; userdata is the Stream) ----

    static size_t on_header(char *buf, size_t size, size_t n, void *userdata) {
        auto *s = static_cast<Stream *>(userdata);
        std::string_view line(buf, size * n);
        s->last_byte = Clock::now();
        if (line.substr(0, 5) == "HTTP/") {
            // A new response (after a redirect or 1xx): forget the previous one's headers.
            s->content_type.clear();
            s->reason.clear();
            s->status = 0;
            size_t sp = line.find(' ');
            if (sp != std::string_view::npos) {
                std::string_view rest = line.substr(sp + 1);
                s->status = std::strtol(std::string(rest.substr(0, 3)).c_str(), nullptr, 10);
                if (rest.size() > 4) s->reason = std::string(trim(rest.substr(4)));
            }
        } else if (size_t colon = line.find(':'); colon != std::string_view::npos &&
                                                  header_name(line.substr(0, colon)) == "content-type") {
            s->content_type = std::string(trim(line.substr(colon + 1)));
        }
        return size * n;
    }

    static size_t on_body(char *buf, size_t size, size_t n, void *userdata) {
        auto *s = static_cast<Stream *>(userdata);
        return s->owner->body(*s, std::string_view(buf, size * n));
    }

    static int on_progress(void *userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        auto *s = static_cast<Stream *>(userdata);
        auto idle = s->owner->opts.idle_timeout;
        if (idle.count() > 0 && Clock::now() - s->last_byte > idle) {
            s->idle_fired = true;
            return 1;  // abort: the transfer ends with CURLE_ABORTED_BY_CALLBACK
        }
        return 0;
    }

    // ---- per-connection logic ----

    // Looks at the final response's status and Content-Type (WHATWG: anything but a 200
    // text/event-stream fails the connection; 204 means stop). Returns true for a stream.
    bool check(Stream &s) {
        s.checked = true;
        if (s.status == 204) {
            s.no_content = true;
            return false;
        }
        if (s.status != 200) {
            s.http_failed = true;  // reported with the start of the body once it is in
            return false;
        }
        if (std::string essence = mime_essence(s.content_type); essence != "text/event-stream") {
            s.fatal = Status::protocol(s.url + ": Content-Type is " +
                                       (s.content_type.empty() ? std::string("missing")
                                                               : "\"" + s.content_type + "\"") +
                                       ", not text/event-stream");
            return false;
        }
        s.valid = true;
        long version = 0;
        curl_easy_getinfo(s.easy.get(), CURLINFO_HTTP_VERSION, &version);
        log.info(s.url + ": connected (" + std::string(http_version_name(version)) + " 200)");
        return true;
    }

    // The failure of a response that is neither 200 nor 204, with the start of its body, so
    // `{"error": {"message": "invalid api key"}}` is seen, not only "HTTP 401".
    Status http_failure(const Stream &s) const {
        std::string m = s.url + ": HTTP " + std::to_string(s.status);
        if (!s.reason.empty()) m += " " + s.reason;
        if (std::string excerpt = one_line_excerpt(s.error_body, kErrorExcerptBytes, s.error_body_cut);
            !excerpt.empty())
            m += ": " + excerpt;
        return (s.status == 401 || s.status == 403) ? Status::permission(m) : Status::protocol(m);
    }

    size_t body(Stream &s, std::string_view bytes) {
        // Returning 0 aborts the transfer (CURLE_WRITE_ERROR).
        if (!s.checked && !check(s) && !s.http_failed) return 0;
        if (s.http_failed) {
            const size_t room = kErrorBodyBytes - s.error_body.size();
            s.error_body.append(bytes.substr(0, room));
            if (bytes.size() <= room) return bytes.size();
            s.error_body_cut = true;
            return 0;  // enough of it
        }
        if (!s.valid) return 0;
        s.last_byte = Clock::now();
        if (s.body_bytes == 0 && !bytes.empty()) s.policy.connected();
        s.body_bytes += bytes.size();
        if (Status st = s.parser->feed(bytes); !st) {
            s.fatal = Status::protocol(s.url + ": " + st.message());
            return 0;
        }
        if (auto retry = s.parser->take_retry()) s.policy.set_reconnection_time(*retry);
        s.last_id = s.parser->last_event_id();
        while (auto e = s.parser->next()) {
            if (stopping) continue;  // drain: nothing is delivered after a stop
            unflushed = true;
            if (!(*on_event)(*e, s.url)) stopping = true;
        }
        unflushed_bytes += bytes.size();
        if (unflushed_bytes >= kReceiveBuffer) flush();
        s.last_byte = Clock::now();  // time spent in the handlers (--exec) is not the server's silence
        return bytes.size();
    }

    // Hands what was delivered to the flush handler. Output is flushed once per round of
    // curl_multi_perform, after every byte read in it was parsed and before waiting for more
    // (curl hands the body over in pieces of at most 16 KiB whatever its buffer size, so a flush
    // per piece would cost a write(2) per 16 KiB), and also within a round every
    // kReceiveBuffer bytes: while bytes keep arriving, curl reads on in the same round, and the
    // output must neither wait for that nor pile up.
    void flush() {
        unflushed_bytes = 0;
        if (!unflushed) return;
        unflushed = false;
        if (!(*on_flush)()) stopping = true;
    }

    Status start(Stream &s) {
        s.easy.reset(curl_easy_init());
        if (!s.easy) return Status::internal("curl_easy_init failed");
        s.parser.emplace(s.last_id, opts.max_event_size);
        s.last_byte = Clock::now();
        s.body_bytes = 0;
        s.status = 0;
        s.reason.clear();
        s.content_type.clear();
        s.checked = s.valid = s.idle_fired = s.no_content = s.http_failed = s.error_body_cut = false;
        s.error_body.clear();
        s.fatal.reset();
        s.errbuf[0] = '\0';

        bool user_accept = false, user_content_type = false;
        curl_slist *list = nullptr;
        auto append = [&list](const std::string &h) {
            if (curl_slist *l = curl_slist_append(list, h.c_str())) list = l;
        };
        std::string problem;
        for (const auto &h : headers.read(problem)) {
            const std::string name = header_name(h);
            user_accept |= name == "accept";
            user_content_type |= name == "content-type";
            append(h);
        }
        if (!problem.empty()) log.warn(problem + " (sending its last good headers)");
        if (!user_accept) append("Accept: text/event-stream");
        append("Cache-Control: no-cache");
        if (opts.body) {
            if (!user_content_type && !opts.body->content_type.empty())
                append("Content-Type: " + opts.body->content_type);
            append("Expect:");  // no 100-continue round trip (and its 1 s wait) before a large body
        }
        if (!s.last_id.empty()) append("Last-Event-ID: " + s.last_id);
        s.request_headers.reset(list);

        CURL *e = s.easy.get();
        curl_easy_setopt(e, CURLOPT_URL, s.request_url.c_str());
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, curl_http_version(opts.http_version));
        if (multiplexes()) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        // Not multiplexing h2c: libcurl before 8.0 also fails a connection reused one after
        // the other, so a reconnect gets a fresh one.
        if (opts.http_version == HttpVersion::http2_prior_knowledge && !multiplexes())
            curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
        if (opts.body) {
            // opts outlives the transfer, so libcurl may use the bytes in place.
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, opts.body->bytes.data());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(opts.body->bytes.size()));
        }
        // Set only when it is not what the body implies, so a 303 still turns a POST into a GET.
        if (const char *implied = opts.body ? "POST" : "GET"; !opts.method.empty() && opts.method != implied)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, opts.method.c_str());
        curl_easy_setopt(e, CURLOPT_USERAGENT, "sse-tail/" SSEKIT_VERSION);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s.errbuf);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &s);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
        // A busy stream then costs one recv per 256 KiB rather than per 16 KiB; a quiet one is
        // handed on as soon as its bytes arrive all the same.
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, kReceiveBuffer);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, &s);
        if (opts.insecure) {
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (curl_multi_add_handle(multi.get(), e) != CURLM_OK) return Status::internal("curl_multi_add_handle failed");
        s.state = Stream::State::active;
        log.info("connecting to " + s.url + (s.last_id.empty() ? "" : " (Last-Event-ID: " + s.last_id + ")"));
        return Status::ok();
    }

    void schedule(Stream &s, bool delivered, const std::string &why, bool warn) {
        auto delay = s.policy.next_delay(delivered);
        s.state = Stream::State::waiting;
        s.reconnect_at = Clock::now() + delay;
        std::string m = s.url + ": " + why + "; reconnecting in " + format_duration(delay);
        if (warn) log.warn(m);
        else log.info(m);
    }

    void finish_url(Stream &s, Status outcome) {
        s.state = Stream::State::done;
        if (!outcome) log.error(outcome.message());
        s.outcome = std::move(outcome);
    }

    // A transfer ended with `rc`: decide between reconnecting, ending the URL and failing it.
    void transfer_done(Stream &s, CURLcode rc) {
        curl_multi_remove_handle(multi.get(), s.easy.get());
        std::string curl_error = s.errbuf[0] ? s.errbuf : curl_easy_strerror(rc);
        long os_errno = 0;
        // "Couldn't connect to server" hides the reason; errno says "Connection refused".
        if (rc == CURLE_COULDNT_CONNECT && curl_easy_getinfo(s.easy.get(), CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
            os_errno != 0)
            curl_error = std::string("connect: ") + std::strerror(static_cast<int>(os_errno));
        s.easy.reset();
        s.request_headers.reset();
        if (s.parser) {
            s.parser->end_of_stream();
            s.last_id = s.parser->last_event_id();
        }
        if (stopping) {  // the run is over; nothing to decide or report
            s.state = Stream::State::done;
            return;
        }
        // A response without a body (204, an empty 500) never reached the write callback.
        if (!s.checked && s.status != 0 && (rc == CURLE_OK || rc == CURLE_PARTIAL_FILE)) check(s);

        if (s.no_content) {
            log.info(s.url + ": HTTP 204: the server asked not to reconnect");
            return finish_url(s, Status::ok());
        }
        if (s.http_failed) return finish_url(s, http_failure(s));
        if (s.fatal) return finish_url(s, *s.fatal);

        const bool delivered = s.body_bytes > 0;
        if (s.idle_fired) {
            std::string why = "no data for " + format_duration(opts.idle_timeout);
            if (!opts.reconnect) return finish_url(s, Status::unavailable(s.url + ": " + why));
            return schedule(s, delivered, why, true);
        }
        if (s.valid) {
            // The stream was established and is over, cleanly or not: an event source reconnects.
            if (!opts.reconnect) {
                log.info(s.url + ": stream ended");
                return finish_url(s, Status::ok());
            }
            return schedule(s, delivered, rc == CURLE_OK ? "stream ended" : curl_error, rc != CURLE_OK);
        }
        switch (rc) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_TOO_MANY_REDIRECTS:
            return finish_url(s, Status::protocol(s.url + ": " + curl_error));
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            return finish_url(s, Status::unavailable(s.url + ": " + curl_error + " (-k skips verification)"));
        default: break;
        }
        if (!opts.reconnect) return finish_url(s, Status::unavailable(s.url + ": " + curl_error));
        schedule(s, false, curl_error, true);
    }

    Result run(const EventHandler &event_handler, const FlushHandler &flush_handler,
               const volatile std::sig_atomic_t &stop) {
        on_event = &event_handler;
        on_flush = &flush_handler;
        while (true) {
            if (stop) return {End::interrupted, Status::ok()};
            if (stopping) return {End::stopped, Status::ok()};
            auto now = Clock::now();
            if (opts.deadline && now >= *opts.deadline) return {End::timed_out, Status::ok()};

            bool any_open = false;
            auto wake = now + std::chrono::milliseconds(100);
            if (opts.deadline) wake = std::min(wake, *opts.deadline);
            for (auto &sp : streams) {
                Stream &s = *sp;
                if (s.state == Stream::State::waiting && now >= s.reconnect_at) {
                    if (Status st = start(s); !st) {
                        log.error(st.message());
                        return {End::finished, st};
                    }
                }
                if (s.state == Stream::State::waiting) wake = std::min(wake, s.reconnect_at);
                if (s.state != Stream::State::done) any_open = true;
            }
            if (!any_open) {
                for (auto &sp : streams)
                    if (!sp->outcome) return {End::finished, sp->outcome};
                return {End::finished, Status::ok()};
            }

            int running = 0;
            CURLMcode mc = curl_multi_perform(multi.get(), &running);
            flush();
            if (mc != CURLM_OK) {
                Status st = Status::internal(std::string("curl_multi_perform: ") + curl_multi_strerror(mc));
                log.error(st.message());
                return {End::finished, st};
            }
            int left = 0;
            bool ended = false;
            while (CURLMsg *msg = curl_multi_info_read(multi.get(), &left)) {
                if (msg->msg != CURLMSG_DONE) continue;
                ended = true;
                for (auto &sp : streams)
                    if (sp->easy.get() == msg->easy_handle) {
                        transfer_done(*sp, msg->data.result);
                        break;
                    }
            }
            // A transfer that ended may have ended the run (or be due to reconnect at once): look
            // at the states again before polling, or an exit at the end of a stream waits 100 ms.
            if (stopping || stop || ended) continue;

            auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
            int timeout_ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 100));
            curl_multi_poll(multi.get(), nullptr, 0, timeout_ms, nullptr);
        }
    }
};

SseClient::SseClient(StreamOptions options, Logger log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(log))) {
    static std::once_flag curl_init;
    std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    impl_->multi.reset(curl_multi_init());
    if (impl_->multi && !impl_->multiplexes())
        curl_multi_setopt(impl_->multi.get(), CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
    const std::uint64_t start_ms = impl_->opts.retry_ms.value_or(ReconnectPolicy::default_reconnection_ms);
    for (const auto &url : impl_->opts.urls) {
        auto s = std::make_unique<Impl::Stream>(url, ReconnectPolicy(start_ms));
        auto resumed = impl_->opts.last_event_ids.find(url);
        s->last_id = resumed != impl_->opts.last_event_ids.end() ? resumed->second : impl_->opts.last_event_id;
        s->request_url = impl_->opts.from_start ? with_query_param(url, "since=start") : url;
        s->owner = impl_.get();
        impl_->streams.push_back(std::move(s));
    }
}

SseClient::~SseClient() {
    // Easy handles must leave the multi handle before either is cleaned up.
    for (auto &s : impl_->streams)
        if (s->easy) curl_multi_remove_handle(impl_->multi.get(), s->easy.get());
}

SseClient::Result SseClient::run(const EventHandler &on_event, const FlushHandler &on_flush,
                                 const volatile std::sig_atomic_t &stop) {
    if (!impl_->multi) return {End::finished, Status::internal("curl_multi_init failed")};
    return impl_->run(on_event, on_flush, stop);
}

}  // namespace ssekit
