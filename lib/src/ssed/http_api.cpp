#include "ssed/http_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <memory>

#include "base/json.hpp"
#include "ssekit/wire.hpp"

namespace ssekit {

namespace {

using httplib::Request;
using httplib::Response;

// Replay is written in pieces of about this size: one chunk each, few syscalls, bounded copies.
constexpr std::size_t kReplayPiece = 64 * 1024;

std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

void send_json(Response &res, int status, std::string body) {
    res.status = status;
    body.push_back('\n');
    res.set_content(std::move(body), "application/json");
}

void send_error(Response &res, int status, std::string_view message) {
    send_json(res, status, "{\"error\":" + json_string(message) + "}");
}

// The HTTP status for a Bus status that is not ok.
int http_status_for(const Status &s) {
    switch (s.code()) {
    case Status::Code::invalid_argument: return 400;
    case Status::Code::permission: return 401;
    case Status::Code::not_found: return 404;
    case Status::Code::too_large: return 413;
    case Status::Code::unavailable: return 503;
    default: return 500;
    }
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

// A refused publish: its status, and Retry-After when the bus says when to come back.
void send_refusal(Response &res, const PublishResult &r) {
    if (r.retry_after.count() > 0) res.set_header("Retry-After", std::to_string(r.retry_after.count()));
    send_error(res, http_status_for(r.status), r.status.message());
}

// The token a client presented: `Authorization: Bearer X`, else `?access_token=X` (an
// EventSource cannot set headers).
std::string presented_token(const Request &req) {
    std::string auth = req.get_header_value("Authorization");
    if (starts_with_ci(auth, "bearer ")) {
        std::string_view t = std::string_view(auth).substr(7);
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
        return std::string(t);
    }
    return req.get_param_value("access_token");
}

bool authorized(const Request &req, const std::string &token) {
    return token.empty() || tokens_equal(presented_token(req), token);
}

void send_unauthorized(const Request &req, Response &res) {
    bool presented = req.has_header("Authorization") || req.has_param("access_token");
    res.set_header("WWW-Authenticate", presented ? "Bearer realm=\"ssed\", error=\"invalid_token\""
                                                 : "Bearer realm=\"ssed\"");
    send_error(res, 401, presented ? "invalid token" : "a bearer token is required");
}

bool parse_u64(std::string_view s, std::uint64_t &out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

void split_topics(std::string_view list, std::vector<std::string> &out) {
    for (;;) {
        size_t comma = list.find(',');
        out.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

// The key of `Idempotency-Key: KEY`, or of the IETF httpapi draft's quoted form "KEY"; ""
// without the header. Its syntax is the bus's to check (check_publish), like every field.
std::string idempotency_key(const Request &req) {
    std::string key = req.get_header_value("Idempotency-Key");
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    return key;
}

bool is_ndjson(const Request &req) {
    std::string ct = req.get_header_value("Content-Type");
    return starts_with_ci(ct, "application/x-ndjson");
}

// ---------------------------------------------------------------------------------------
// The API: one object shared by the handlers, alive as long as the server's handlers are.
// ---------------------------------------------------------------------------------------

class Api : public std::enable_shared_from_this<Api> {
public:
    Api(Bus &bus, ApiOptions opts, Logger log)
        : bus_(bus), opts_(std::move(opts)), log_(std::move(log)) {
        // A name that does not parse matches nothing; it must not empty the list (= any host).
        for (const auto &h : opts_.allowed_hosts)
            if (auto name = parse_host(h, false)) allowed_hosts_.push_back(std::move(*name));
    }

    void install(HttpServer &server);

private:
    // A subscription between subscribe() and adopt(): owned by the response's provider.
    struct Pending {
        std::uint64_t ticket = 0;
        std::vector<FramePtr> replay;
        std::optional<Gap> gap;
        bool handed = false;
    };

    std::size_t body_limit(const Request &req) const {
        return is_ndjson(req) ? opts_.max_batch_body : opts_.max_body;
    }
    // The built-in page publishes from ssed's own origin: http://<the Host it was loaded from>.
    static bool same_origin(const Request &req, const std::string &origin) {
        std::string host = req.get_header_value("Host");
        return !host.empty() && (origin == "http://" + host || origin == "https://" + host);
    }
    bool origin_allowed(const std::string &origin) const {
        for (const auto &o : opts_.cors_origins)
            if (o == "*" || o == origin) return true;
        return false;
    }

    bool check_head(const Request &req, Response &res, std::size_t &limit);
    void log_access(const Request &req, const Response &res) const {
        log_.info(req.remote_addr + " " + req.method + " " + redact_target(req.target) + " " +
                  std::to_string(res.status));
    }
    std::optional<std::string> host_refusal(const Request &req) const;
    void add_cors(const Request &req, Response &res) const;
    void preflight(const Request &req, Response &res) const;
    void subscribe(const Request &req, Response &res, std::string_view path_topics);
    void publish(const Request &req, Response &res, const httplib::ContentReader &reader);
    void publish_one(const Request &req, Response &res, const std::string &topic,
                     std::string body);
    void publish_batch(const Request &req, Response &res, const std::string &topic, std::string_view body);
    void metrics(Response &res) const;
    void topics(const Request &req, Response &res) const;

    Bus &bus_;
    ApiOptions opts_;
    Logger log_;
    std::vector<std::string> allowed_hosts_;  // opts_.allowed_hosts as parse_host() gives them
};

void Api::install(HttpServer &server) {
    auto self = shared_from_this();
    server.set_payload_max_length(std::max(opts_.max_body, opts_.max_batch_body));

    server.Get(R"(/events/([^/]+))", [self](const Request &req, Response &res) {
        self->subscribe(req, res, req.matches[1].str());
    });
    server.Get("/events", [self](const Request &req, Response &res) {
        self->subscribe(req, res, "");
    });
    server.Post(R"(/events/([^/]+))",
                [self](const Request &req, Response &res, const httplib::ContentReader &reader) {
                    self->publish(req, res, reader);
                });
    server.Get("/healthz", [self](const Request &, Response &res) {
        // With Redis down, local subscribers still stream but publishes fail: degraded.
        if (Status h = self->bus_.health(); !h) {
            res.status = 503;
            res.set_content("degraded: " + h.message() + "\n", "text/plain");
            return;
        }
        res.set_content("ok\n", "text/plain");
    });
    server.Get("/metrics", [self](const Request &, Response &res) { self->metrics(res); });
    server.Get("/topics", [self](const Request &req, Response &res) { self->topics(req, res); });
    server.Get("/", [](const Request &, Response &res) {
        res.set_header("Cache-Control", "no-cache");
        res.set_content(std::string(index_page_html()), "text/html; charset=utf-8");
    });
    server.Options(R"(.*)", [self](const Request &req, Response &res) { self->preflight(req, res); });

    server.set_head_check([self](const Request &req, Response &res, std::size_t &limit) {
        if (self->check_head(req, res, limit)) return true;
        // Answered before routing, so cpp-httplib's logger never sees it: a refused rebinding
        // or forged publish must show in the access log all the same.
        if (self->opts_.access_log) self->log_access(req, res);
        return false;
    });
    server.set_post_routing_handler(
        [self](const Request &req, Response &res) { self->add_cors(req, res); });
    // Errors cpp-httplib answers itself (404, 400, 413 past the payload limit) get a JSON body
    // too; ours already have one.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const Request &, Response &res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string msg = res.status == 404   ? "not found"
                          : res.status == 413 ? "request body too large"
                          : res.status == 400 ? "bad request"
                                              : "HTTP status " + std::to_string(res.status);
        send_json(res, res.status, "{\"error\":" + json_string(msg) + "}");
        return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([self](const Request &req, Response &res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception &e) {
            what = e.what();
        } catch (...) {
        }
        self->log_.error("internal error in " + req.method + " " + req.path + ": " + what);
        send_error(res, 500, "internal error");
    });
    if (opts_.access_log) {
        server.set_logger([self](const Request &req, const Response &res) { self->log_access(req, res); });
    }
}

// Runs when a request's head is complete, before any body byte is read (the front door's
// head check): a publish without a valid token is refused at once (its body, up to 16 MiB, is
// never read), and the body limit depends on the kind of request. The door refuses a declared
// Content-Length over the limit itself (413), and closes the connection after a refusal.
bool Api::check_head(const Request &req, Response &res, std::size_t &limit) {
    limit = body_limit(req);
    // 421 Misdirected Request, not 403: the request names an authority this server does not
    // answer for (RFC 9110 15.5.20), which no credential would change.
    if (auto refusal = host_refusal(req)) {
        send_error(res, 421, *refusal);
        return false;
    }
    if (req.method != "POST" || req.path.rfind("/events/", 0) != 0) return true;
    // CORS only decides what a page may read; a "simple" cross-origin POST is sent whatever
    // it says. So a page from another origin may not publish at all (CSRF: any site a local
    // user visits could otherwise feed a tokenless ssed on 127.0.0.1).
    if (std::string origin = req.get_header_value("Origin"); !origin.empty() && !same_origin(req, origin) &&
                                                            !origin_allowed(origin)) {
        send_error(res, 403, "origin " + json_string(origin) + " may not publish (see --cors-origin)");
        return false;
    }
    if (!authorized(req, opts_.publish_token)) {
        send_unauthorized(req, res);
        add_cors(req, res);
        return false;
    }
    return true;
}

// DNS rebinding: a page from http://evil.example:8080 whose name the attacker re-points at
// 127.0.0.1 reaches a loopback ssed as its own origin (its Origin matches its Host, CORS never
// applies); only the Host header still says evil.example. So with --allowed-host every
// request must carry exactly one Host, and it must be listed.
std::optional<std::string> Api::host_refusal(const Request &req) const {
    if (opts_.allowed_hosts.empty()) return std::nullopt;  // the default: any Host
    std::size_t count = req.get_header_value_count("Host");
    if (count != 1) return count == 0 ? "no Host header (see --allowed-host)" : "more than one Host header";
    std::string value = req.get_header_value("Host");
    auto host = parse_host(value);
    if (!host) return "bad Host header " + json_string(std::string_view(value).substr(0, 64));
    if (std::find(allowed_hosts_.begin(), allowed_hosts_.end(), *host) != allowed_hosts_.end()) return std::nullopt;
    return "host " + json_string(std::string_view(*host).substr(0, 64)) + " is not served here (see --allowed-host)";
}

void Api::add_cors(const Request &req, Response &res) const {
    if (opts_.cors_origins.empty() || !req.has_header("Origin")) return;
    std::string origin = req.get_header_value("Origin");
    if (!origin_allowed(origin)) return;
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
}

void Api::preflight(const Request &req, Response &res) const {
    res.status = 204;
    res.set_header("Allow", "GET, POST, OPTIONS");
    std::string origin = req.get_header_value("Origin");
    if (origin.empty() || !origin_allowed(origin)) return;  // no CORS headers: the browser refuses
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Last-Event-ID");
    res.set_header("Access-Control-Max-Age", "86400");
}

// GET /events/{topics} — validate, register with the Bus, write retry:, the gap notice and
// the replay, then hand the socket over.
void Api::subscribe(const Request &req, Response &res, std::string_view path_topics) {
    std::vector<std::string> topics;
    if (!path_topics.empty()) split_topics(path_topics, topics);
    for (size_t i = 0, n = req.get_param_value_count("topic"); i < n; ++i)
        split_topics(req.get_param_value("topic", i), topics);
    if (topics.empty())
        return send_error(res, 400, "no topic: use /events/{topic} or /events?topic={topic}");
    std::vector<std::string> unique;
    for (auto &t : topics) {
        if (Status s = check_topic(t); !s) return send_error(res, 400, s.message());
        if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(std::move(t));
    }
    if (unique.size() > opts_.max_subscribe_topics)
        return send_error(res, 400, "more than " + std::to_string(opts_.max_subscribe_topics) +
                                        " topics in one subscription (--max-subscribe-topics)");
    if (!authorized(req, opts_.subscribe_token)) return send_unauthorized(req, res);

    // Browsers cannot set headers on their first connect, so the query may carry the id.
    std::string last_id = req.get_header_value("Last-Event-ID");
    if (last_id.empty()) last_id = req.get_param_value("lastEventId");
    if (last_id.empty()) last_id = req.get_param_value("last_event_id");
    if (auto s = validate_field("id", last_id); !s)
        return send_error(res, 400, "Last-Event-ID: " + s.message());

    // ?since=start: the whole retained history, no gap notice, for a client that may have
    // connected after the first publish (sse-tail --from-start). A Last-Event-ID wins: a
    // reconnecting client resumes where it was, whatever its URL says.
    const std::string since = req.get_param_value("since");
    if (!since.empty() && since != "start")
        return send_error(res, 400, "since: only 'start' is understood (the whole retained history)");
    SubscribeResult sub = since == "start" && last_id.empty() ? bus_.subscribe_from_start(unique)
                                                              : bus_.subscribe(unique, last_id);
    if (!sub.status) return send_error(res, http_status_for(sub.status), sub.status.message());

    auto pending = std::make_shared<Pending>();
    pending->ticket = sub.ticket;
    pending->replay = std::move(sub.replay);
    pending->gap = std::move(sub.gap);
    const std::uint64_t retry_ms = opts_.retry_ms;

    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    // Exactly "text/event-stream": cpp-httplib compresses any other text type, and events
    // would sit in the compressor.
    res.set_chunked_content_provider(
        "text/event-stream",
        [pending, retry_ms](size_t, httplib::DataSink &sink) {
            std::string buf;
            encode_retry(retry_ms, buf);
            if (pending->gap) {
                std::string data = "{\"reason\":" + json_string(to_string(pending->gap->reason)) +
                                   ",\"last_event_id\":" + json_string(pending->gap->last_event_id) + "}";
                Event notice;
                notice.type = gap_notice_type;
                notice.data = std::move(data);
                (void)encode(notice, buf);  // fixed type, no id: cannot fail
            }
            for (const auto &frame : pending->replay) {
                buf.append(frame->block());
                if (buf.size() >= kReplayPiece) {
                    if (!sink.write(buf.data(), buf.size())) return false;
                    buf.clear();
                }
            }
            if (!buf.empty() && !sink.write(buf.data(), buf.size())) return false;
            pending->replay.clear();
            pending->handed = true;
            HttpServer::request_takeover(pending->ticket);
            return false;  // ends cpp-httplib's part without the final chunk
        },
        [pending, self = shared_from_this()](bool) {
            // The provider never ran to the end (client gone, HEAD request): release the slot.
            if (!pending->handed) self->bus_.cancel(pending->ticket);
        });
}

// POST /events/{topic}
void Api::publish(const Request &req, Response &res, const httplib::ContentReader &reader) {
    // The front door has framed the body within body_limit() and checked the token (see
    // check_head), so reading it cannot fail short of a bug.
    std::string body;
    if (!reader([&](const char *data, size_t n) {
            body.append(data, n);
            return true;
        }))
        return send_error(res, 400, "cannot read the request body");

    // The path's topic is checked here (a batch's lines may name others); the bus checks each
    // event with the same rule.
    std::string topic = req.matches[1].str();
    if (Status s = check_topic(topic); !s) return send_error(res, 400, s.message());
    if (is_ndjson(req)) return publish_batch(req, res, topic, body);
    publish_one(req, res, topic, std::move(body));
}

void Api::publish_one(const Request &req, Response &res, const std::string &topic, std::string body) {
    PublishRequest pr;
    pr.topic = topic;
    pr.type = req.get_param_value("event");
    pr.id = req.get_param_value("id");
    pr.key = idempotency_key(req);
    pr.data = std::move(body);
    if (req.has_param("retry")) {
        std::uint64_t ms = 0;
        if (!parse_u64(req.get_param_value("retry"), ms))
            return send_error(res, 400, "retry must be a whole number of milliseconds");
        pr.retry = ms;
    }
    PublishResult r = bus_.publish(std::move(pr));
    if (!r.status) return send_refusal(res, r);
    // "subscribers" is this instance's, whichever the bus; Redis adds how many received it. A
    // duplicate (its key was published before) is answered with the original id.
    std::string answer = "{\"id\":" + json_string(r.id) + ",\"subscribers\":" + std::to_string(r.subscribers);
    if (r.instances) answer.append(",\"instances\":").append(std::to_string(*r.instances));
    if (r.duplicate) answer.append(",\"duplicate\":true");
    send_json(res, 200, answer + "}");
}

// One JSON object a line, all or nothing; empty lines are skipped.
void Api::publish_batch(const Request &req, Response &res, const std::string &topic, std::string_view body) {
    // The batch's key, "<stem><N>": the key of event i (from 0) without its own is <stem><N + i>,
    // what a publisher numbering its events would give each line, in far fewer bytes.
    const std::string first_key = idempotency_key(req);
    std::string_view stem = first_key;
    std::uint64_t first_number = 0;
    if (!first_key.empty()) {
        while (!stem.empty() && stem.back() >= '0' && stem.back() <= '9') stem.remove_suffix(1);
        if (!parse_u64(std::string_view(first_key).substr(stem.size()), first_number))
            return send_error(res, 400,
                              "Idempotency-Key on a batch must end in a number: the first event's key, counted "
                              "up for each next event");
    }
    std::vector<PublishRequest> reqs;
    std::vector<std::size_t> line_of;
    std::size_t line_no = 0;
    while (!body.empty()) {
        size_t nl = body.find('\n');
        std::string_view line = body.substr(0, nl);
        body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (reqs.size() == opts_.max_batch_events)
            return send_error(res, 413, "batch larger than " + std::to_string(opts_.max_batch_events) +
                                            " events (--max-batch-events)");
        PublishRequest pr;
        if (auto s = publish_request_from_json(line, pr); !s)
            return send_error(res, 400, "line " + std::to_string(line_no) + ": " + s.message());
        if (pr.topic.empty()) pr.topic = topic;
        if (pr.key.empty() && !first_key.empty()) {
            pr.key.reserve(first_key.size() + 2);
            pr.key.assign(stem).append(std::to_string(first_number + reqs.size()));
        }
        reqs.push_back(std::move(pr));
        line_of.push_back(line_no);
    }
    if (reqs.empty()) return send_error(res, 400, "empty batch: no JSON lines");
    std::size_t count = reqs.size();
    std::size_t failed = count;
    std::vector<PublishResult> results = bus_.publish_batch(std::move(reqs), &failed);
    if (failed < count || results.size() != count) {
        Status s = results.empty() ? Status::internal("batch refused") : results.back().status;
        // An overloaded hub or an unreachable Redis refuses the batch as a whole: no line is
        // to blame, so none is named.
        bool line_at_fault = failed < count && s.code() != Status::Code::unavailable;
        std::string where = line_at_fault ? "line " + std::to_string(line_of[failed]) + ": " : "";
        if (!results.empty() && results.back().retry_after.count() > 0)
            res.set_header("Retry-After", std::to_string(results.back().retry_after.count()));
        return send_error(res, http_status_for(s), where + s.message());
    }
    // Lines whose key was published before are not published again: "published" counts the
    // others, and "duplicates" names those lines (their ids are the original ones).
    std::string duplicates;
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (!results[i].duplicate) continue;
        if (dropped++ > 0) duplicates.push_back(',');
        duplicates.append(std::to_string(line_of[i]));
    }
    send_json(res, 200, "{\"published\":" + std::to_string(count - dropped) +
                            ",\"first_id\":" + json_string(results.front().id) +
                            ",\"last_id\":" + json_string(results.back().id) +
                            (dropped ? ",\"duplicates\":[" + duplicates + "]}" : "}"));
}

void Api::metrics(Response &res) const {
    std::string out;
    for (const Metric &m : bus_.metrics()) {
        out.append("# HELP ").append(m.name).append(" ").append(m.help).append("\n");
        out.append("# TYPE ").append(m.name).append(" ").append(m.type).append("\n");
        out.append(m.name).append(" ").append(std::to_string(m.value)).append("\n");
    }
    res.set_content(out, "text/plain; version=0.0.4");
}

void Api::topics(const Request &req, Response &res) const {
    // Topic names may be private: the subscribe token guards the list too.
    if (!authorized(req, opts_.subscribe_token)) return send_unauthorized(req, res);
    std::string out = "[";
    bool first = true;
    for (const auto &t : bus_.topics()) {
        if (!first) out.push_back(',');
        first = false;
        out.append("{\"topic\":").append(json_string(t.name));
        out.append(",\"subscribers\":").append(std::to_string(t.subscribers));
        out.append(",\"history\":").append(std::to_string(t.history_frames));
        out.append(",\"published\":").append(std::to_string(t.published));
        out.append(",\"last_id\":").append(json_string(t.last_id)).append("}");
    }
    out.push_back(']');
    send_json(res, 200, std::move(out));
}

}  // namespace

void install_http_api(HttpServer &server, Bus &bus, const ApiOptions &opts, const Logger &log) {
    std::make_shared<Api>(bus, opts, log)->install(server);
}

std::string redact_target(std::string_view target) {
    // A browser's EventSource can only send its token as ?access_token=: keep it out of logs.
    std::string out(target.substr(0, target.find('?')));
    if (out.size() == target.size()) return out;
    std::string_view query = target.substr(out.size() + 1);
    char sep = '?';
    for (;;) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        out.push_back(sep);
        sep = '&';
        if (pair.substr(0, pair.find('=')) == "access_token")
            out.append("access_token=REDACTED");
        else
            out.append(pair);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

std::optional<std::string> parse_host(std::string_view v, bool port_allowed) {
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!v.empty() && blank(v.front())) v.remove_prefix(1);
    while (!v.empty() && blank(v.back())) v.remove_suffix(1);
    std::string_view host, port;
    bool has_port = false, v6 = false;
    if (!v.empty() && v.front() == '[') {
        std::size_t close = v.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = v.substr(1, close - 1);
        std::string_view rest = v.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return std::nullopt;
        has_port = !rest.empty();
        if (has_port) port = rest.substr(1);
        v6 = true;
    } else if (!port_allowed && std::count(v.begin(), v.end(), ':') > 1) {
        host = v;  // an --allowed-host IPv6 literal given without brackets
        v6 = true;
    } else {
        std::size_t colon = v.find(':');
        host = v.substr(0, colon);
        has_port = colon != std::string_view::npos;
        if (has_port) port = v.substr(colon + 1);
    }
    if (has_port && !port_allowed) return std::nullopt;
    // The grammar allows an empty port ("host:"); anything else must be digits.
    for (char c : port)
        if (c < '0' || c > '9') return std::nullopt;
    if (!v6 && !host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty()) return std::nullopt;
    std::string out;
    out.reserve(host.size());
    for (char c : host) {
        auto u = static_cast<unsigned char>(c);
        bool ok = v6 ? std::isxdigit(u) || c == ':' || c == '.'
                     : std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~';
        if (!ok || u >= 0x80) return std::nullopt;
        out.push_back(static_cast<char>(std::tolower(u)));
    }
    if (v6 && out.find(':') == std::string::npos) return std::nullopt;
    return out;
}

bool tokens_equal(std::string_view a, std::string_view b) {
    // Touch every byte of the longer string whatever the content, so timing tells nothing
    // beyond the lengths.
    std::size_t n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

}  // namespace ssekit
