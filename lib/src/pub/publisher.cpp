#include "pub/publisher.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <random>
#include <thread>

#include "base/curl_handles.hpp"
#include "base/duration.hpp"
#include "base/excerpt.hpp"
#include "base/json.hpp"
#include "redis/conn.hpp"
#include "redis/envelope.hpp"
#include "redis/idempotency.hpp"
#include "redis/stream.hpp"

namespace ssekit {

namespace {

// ---------------------------------------------------------------------------------------------
// HTTP sink (libcurl)

size_t collect(char *ptr, size_t size, size_t n, void *user) {
    static_cast<std::string *>(user)->append(ptr, size * n);
    return size * n;
}

// The "error" member of a JSON reply, else the body itself cut to one short line.
std::string reply_error(const std::string &body) {
    if (auto error = json_string_member(body, "error")) return *error;
    std::string line = one_line_excerpt(std::string_view(body).substr(0, body.find('\n')), 200);
    return line.empty() ? "(no message)" : line;
}

class HttpSink final : public Sink {
public:
    HttpSink(HttpSinkOptions o, Logger log) : o_(std::move(o)), log_(std::move(log)) {
        while (!o_.server.empty() && o_.server.back() == '/') o_.server.pop_back();
    }

    std::string describe() const override { return o_.server; }
    bool reached() const override { return reached_; }
    std::optional<std::chrono::milliseconds> retry_after() const override { return retry_after_; }

    Status send(std::span<const PublishRequest> events, std::size_t &accepted) override {
        accepted = 0;
        std::size_t i = 0;
        while (i < events.size()) {
            // A run: consecutive events of one topic, within the batch bounds.
            std::size_t j = i + 1, bytes = events[i].data.size();
            while (j < events.size() && events[j].topic == events[i].topic && j - i < o_.max_batch_events &&
                   bytes < o_.max_batch_bytes) {
                bytes += events[j].data.size();
                ++j;
            }
            std::size_t acc = 0;
            Status st = post_run(events.subspan(i, j - i), acc);
            accepted += acc;
            if (!st) return st;
            i = j;
        }
        return Status::ok();
    }

private:
    Status post_run(std::span<const PublishRequest> run, std::size_t &acc) {
        acc = 0;
        Status st = run.size() == 1 ? post_one(run[0]) : post_batch(run);
        if (st) {
            acc = run.size();
            return st;
        }
        // The server's body limit is below our batch bound: halve until it fits.
        if (st.code() == Status::Code::too_large && run.size() > 1) {
            std::size_t half = run.size() / 2, a = 0, b = 0;
            log_.debug("batch of " + std::to_string(run.size()) + " events too large; splitting");
            st = post_run(run.first(half), a);
            acc += a;
            if (!st) return st;
            st = post_run(run.subspan(half), b);
            acc += b;
        }
        return st;
    }

    std::string escape(std::string_view s) {
        CurlStringPtr e(curl_easy_escape(curl_.get(), s.data(), static_cast<int>(s.size())));
        return e ? std::string(e.get()) : std::string();
    }

    Status ensure_handle() {
        if (curl_) return Status::ok();
        curl_.reset(curl_easy_init());
        if (!curl_) return Status::internal("curl_easy_init failed");
        return Status::ok();
    }

    Status post_one(const PublishRequest &e) {
        if (auto st = ensure_handle(); !st) return st;
        std::string url = o_.server + "/events/" + escape(e.topic);
        char sep = '?';
        auto param = [&](const char *name, std::string_view v) {
            url.push_back(sep);
            url.append(name).push_back('=');
            url.append(escape(v));
            sep = '&';
        };
        if (!e.type.empty()) param("event", e.type);
        if (!e.id.empty()) param("id", e.id);
        if (e.retry) param("retry", std::to_string(*e.retry));
        std::string reply;
        long code = 0;
        if (auto st = perform(url, e.data, "text/plain; charset=utf-8", e.key, code, reply); !st) return st;
        if (code / 100 == 2 && log_.enabled(Logger::Level::debug)) {
            if (auto id = json_string_member(reply, "id"))
                log_.debug((reply.find("\"duplicate\":true") != std::string::npos ? "already published as id "
                                                                                   : "published id ") +
                           *id + " to " + e.topic);
        }
        return status_for(code, reply, "id", url);
    }

    // Whether the keys of `run` count up from the first, "<stem><N>", "<stem><N+1>", ... (as
    // KeyMinter's do): then one Idempotency-Key header gives ssed all of them (http_api.hpp).
    static bool keys_count_up(std::span<const PublishRequest> run) {
        const std::string_view first = run[0].key;
        const std::size_t stem = first.find_last_not_of("0123456789") + 1;  // npos + 1 = 0
        std::uint64_t n = 0;
        const char *last = first.data() + first.size();
        if (stem == first.size() || std::from_chars(first.data() + stem, last, n).ec != std::errc()) return false;
        char digits[24];
        for (const auto &e : run) {
            const char *end = std::to_chars(digits, digits + sizeof digits, n++).ptr;
            const std::string_view number(digits, static_cast<std::size_t>(end - digits));
            if (e.key.size() != stem + number.size() || !e.key.starts_with(first.substr(0, stem)) ||
                !e.key.ends_with(number))
                return false;
        }
        return true;
    }

    Status post_batch(std::span<const PublishRequest> run) {
        if (auto st = ensure_handle(); !st) return st;
        const bool counted = keys_count_up(run);
        std::string body;
        for (const auto &e : run) {
            body.append(R"({"data":)");
            append_json_string(body, e.data);
            if (!e.type.empty()) {
                body.append(R"(,"event":)");
                append_json_string(body, e.type);
            }
            if (!e.id.empty()) {
                body.append(R"(,"id":)");
                append_json_string(body, e.id);
            }
            if (!e.key.empty() && !counted) {
                body.append(R"(,"key":)");
                append_json_string(body, e.key);
            }
            if (e.retry) body.append(R"(,"retry":)").append(std::to_string(*e.retry));
            body.append("}\n");
        }
        std::string url = o_.server + "/events/" + escape(run[0].topic);
        std::string reply;
        long code = 0;
        const std::string_view key = counted ? std::string_view(run[0].key) : std::string_view();
        if (auto st = perform(url, body, "application/x-ndjson", key, code, reply); !st) return st;
        log_.debug("POST " + url + ": " + std::to_string(run.size()) + " events, status " + std::to_string(code));
        return status_for(code, reply, "first_id", url);
    }

    // `key`: the Idempotency-Key header ("" = none): of a single event, or a batch's first.
    Status perform(const std::string &url, const std::string &body, const char *ctype, std::string_view key,
                   long &code, std::string &reply) {
        CURL *c = curl_.get();
        CurlSlistPtr headers;
        auto add = [&](const std::string &h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
        add(std::string("Content-Type: ") + ctype);
        add("Expect:");  // no 100-continue round trip for larger bodies
        if (!o_.token.empty()) add("Authorization: Bearer " + o_.token);
        if (!key.empty()) add("Idempotency-Key: " + std::string(key));
        char errbuf[CURL_ERROR_SIZE] = {0};
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o_.connect_timeout.count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.request_timeout.count()));
        curl_easy_setopt(c, CURLOPT_USERAGENT, "sse-pub/" SSEKIT_VERSION);
        retry_after_.reset();
        CURLcode rc = curl_easy_perform(c);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
        if (rc != CURLE_OK) {
            std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
            return Status::unavailable("POST " + url + ": " + why);
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        reached_ = true;
        curl_off_t retry_after_s = 0;  // libcurl reads both forms, seconds and an HTTP date
        if (code == 503 && curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after_s) == CURLE_OK && retry_after_s > 0)
            retry_after_ = std::chrono::seconds(retry_after_s);
        const char *answered_type = nullptr;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &answered_type);
        content_type_ = answered_type ? answered_type : "no Content-Type";
        return Status::ok();
    }

    // ssed answers with JSON: `success_member` ("id" for one event, "first_id" for a batch) on
    // success, "error" otherwise.
    Status status_for(long code, const std::string &reply, std::string_view success_member,
                      const std::string &url) const {
        const bool ssed_json = json_string_member(reply, code / 100 == 2 ? success_member : "error").has_value();
        std::string m = "POST " + url + ": " + std::to_string(code);
        if (code / 100 == 2 && ssed_json) return Status::ok();
        switch (code) {
        case 400: return Status::invalid_argument(m + " " + reply_error(reply));
        case 401:
        case 403: return Status::permission(m + " " + reply_error(reply));
        case 413: return Status::too_large(m + " " + reply_error(reply));  // a proxy's too: halve the batch
        case 502:
        case 503:
        case 504: return Status::unavailable(m + " " + reply_error(reply));  // ssed's Redis or a proxy's upstream is down
        default: break;
        }
        if (!ssed_json)
            return Status::protocol(m + " without ssed's JSON (" + content_type_ + "): is --server an ssed?");
        return Status::protocol(m + " " + reply_error(reply));
    }

    HttpSinkOptions o_;
    Logger log_;
    CurlEasyPtr curl_;
    bool reached_ = false;                                  // an HTTP answer came back
    std::optional<std::chrono::milliseconds> retry_after_;  // of the last answer, a 503
    std::string content_type_;                              // of the last answer
};

// ---------------------------------------------------------------------------------------------
// Redis sink (pipelined PUBLISH)

class RedisSink final : public Sink {
public:
    RedisSink(RedisSinkOptions o, Logger log) : o_(std::move(o)), log_(std::move(log)) {}

    std::string describe() const override { return o_.endpoint.display(); }
    bool reached() const override { return reached_; }

    Status send(std::span<const PublishRequest> events, std::size_t &accepted) override {
        accepted = 0;
        if (!conn_.connected()) {
            acknowledged_mark_.clear();  // its DEL would go to a new connection: let it expire
            if (auto st = RedisConn::connect(o_.endpoint, o_.connect_timeout, conn_); !st) return st;
            if (auto st = conn_.set_io_timeout(o_.io_timeout); !st) return st;
            reached_ = true;
            log_.debug("connected to " + describe());
            if (o_.streams)
                if (auto st = load_stream_script(); !st) return st;
        }
        while (accepted < events.size()) {
            auto batch = events.subspan(accepted, std::min(o_.max_batch_events, events.size() - accepted));
            std::size_t done = 0;  // leading events of `batch` known accepted
            Status st = o_.streams           ? send_streams(batch, done)
                        : all_minted(batch) ? send_marked(batch, done)
                                            : send_keyed(batch, done);
            accepted += done;
            if (!st) return st;
        }
        return Status::ok();
    }

private:
    Status refused(const RedisValue &v) const {
        return Status::protocol("redis " + describe() + (o_.streams ? ": stream publish refused: " : ": PUBLISH refused: ") + v.str);
    }

    // Streams: the script is loaded once per connection and called by its SHA1 (redis/stream.hpp).
    // Should Redis forget it (SCRIPT FLUSH), the call is refused, the connection is dropped and
    // the events are sent again after loading it anew.
    Status load_stream_script() {
        RedisValue v;
        if (auto st = conn_.command({"SCRIPT", "LOAD", stream_publish_script()}, v); !st) return st;
        if (v.type != RedisValue::Type::string) return refused(v);
        script_sha_ = std::move(v.str);
        return Status::ok();
    }

    bool all_minted(std::span<const PublishRequest> batch) const {
        if (o_.minted_key_prefix.empty()) return false;
        return std::all_of(batch.begin(), batch.end(),
                           [&](const PublishRequest &e) { return e.key.starts_with(o_.minted_key_prefix); });
    }

    // Streams: one script call for the batch, atomic, as ssed's bridge does; the script drops an
    // event whose key Redis remembers (a resend) and answers its original id.
    Status send_streams(std::span<const PublishRequest> batch, std::size_t &done) {
        if (auto st = append_stream_publish(conn_, o_.prefix, o_.stream_maxlen, batch, script_sha_); !st)
            return st;
        if (auto st = conn_.flush(); !st) return st;
        RedisValue v;
        if (auto st = conn_.read_reply(v); !st) return st;
        if (v.type == RedisValue::Type::error && v.str.starts_with("NOSCRIPT")) {
            conn_ = RedisConn{};
            return Status::unavailable("redis " + describe() + ": the stream script was flushed; loading it again");
        }
        if (v.type == RedisValue::Type::error) return refused(v);
        std::vector<std::string> ids;
        std::vector<long long> receivers;
        if (auto st = parse_stream_publish_reply(v, batch.size(), ids, receivers); !st) return st;
        if (log_.enabled(Logger::Level::debug))
            for (std::size_t k = 0; k < batch.size(); ++k)
                log_.debug((receivers[k] < 0 ? "already published as id " : "published id ") + ids[k] + " to " +
                           batch[k].topic);
        done = batch.size();
        return Status::ok();
    }

    // Pubsub, keys not (all) minted here: checked and recorded per key, atomically
    // (redis/idempotency.hpp), as ssed does.
    Status send_keyed(std::span<const PublishRequest> batch, std::size_t &done) {
        std::vector<std::string> ids;
        std::vector<long long> receivers;
        if (auto st = publish_keyed(conn_, o_.prefix, o_.stream_maxlen, batch, ids, receivers); !st) {
            conn_ = RedisConn{};  // it may be inside a WATCH or MULTI
            return st;
        }
        for (std::size_t k = 0; k < batch.size(); ++k)
            if (receivers[k] < 0) log_.debug("already published as id " + ids[k] + " to " + batch[k].topic);
        done = batch.size();
        return Status::ok();
    }

    // Pubsub, keys minted here: the batch and its mark in one MULTI/EXEC (redis/idempotency.hpp),
    // after reading the mark under WATCH: a mark already there counts events an earlier attempt
    // published, which are accepted without being sent again.
    Status send_marked(std::span<const PublishRequest> batch, std::size_t &done) {
        const std::string mark = batch_mark(o_.prefix, batch[0].key);
        for (;;) {
            // One round trip: drop the mark of the batch acknowledged before, watch and read ours.
            const bool drop = !acknowledged_mark_.empty();
            if (drop)
                if (auto st = conn_.append({"DEL", acknowledged_mark_}); !st) return st;
            if (auto st = conn_.append({"WATCH", mark}); !st) return st;
            if (auto st = conn_.append({"GET", mark}); !st) return st;
            if (auto st = conn_.flush(); !st) return st;
            RedisValue v;
            for (int r = drop ? 3 : 2; r > 0; --r) {
                if (auto st = conn_.read_reply(v); !st) return st;
                if (v.type == RedisValue::Type::error) return refused(v);
            }
            acknowledged_mark_.clear();
            if (v.type == RedisValue::Type::string) {
                std::uint64_t published = 0;
                auto [end, ec] = std::from_chars(v.str.data(), v.str.data() + v.str.size(), published);
                if (ec != std::errc() || end != v.str.data() + v.str.size())
                    return Status::protocol("redis " + describe() + ": unexpected batch mark " + mark + " = " + v.str);
                done = std::min<std::size_t>(batch.size(), published);
                log_.debug(std::to_string(done) + " event(s) from key " + batch[0].key + " were published before");
                if (auto st = conn_.command({"UNWATCH"}, v); !st) return st;
                acknowledged_mark_ = mark;
                return Status::ok();
            }
            // PUBLISHes are written in the Redis protocol into one block and queued with one
            // call: hiredis' per-command formatting was a third of sse-pub's CPU per event.
            batch_.clear();
            const std::string count = std::to_string(batch.size());
            const std::string ttl = std::to_string(kKeyRecordTtl.count());
            append_resp(batch_, {"MULTI"});
            append_resp(batch_, {"SET", mark, count, "PX", ttl});
            for (const auto &e : batch) {
                if (channel_topic_ != e.topic) {
                    channel_ = channel_for(o_.prefix, e.topic);
                    channel_topic_ = e.topic;
                }
                payload_.clear();
                encode_envelope(e, payload_);
                append_resp(batch_, {"PUBLISH", channel_, payload_});
            }
            append_resp(batch_, {"EXEC"});
            if (auto st = conn_.append_formatted(batch_); !st) return st;
            if (auto st = conn_.flush(); !st) return st;
            // +OK, +QUEUED for the SET and each PUBLISH, then EXEC's answer.
            for (std::size_t r = 0; r < batch.size() + 2; ++r) {
                if (auto st = conn_.read_reply_head(v); !st) return st;
                if (v.type == RedisValue::Type::error) return refused(v);
            }
            if (auto st = conn_.read_reply_head(v); !st) return st;
            if (v.type == RedisValue::Type::error) return refused(v);
            if (v.type == RedisValue::Type::nil) continue;  // the mark changed meanwhile: read it again
            done = batch.size();
            acknowledged_mark_ = mark;
            return Status::ok();
        }
    }

    RedisSinkOptions o_;
    Logger log_;
    RedisConn conn_;
    bool reached_ = false;                   // connected once
    std::string batch_, payload_;            // reused across batches
    std::string channel_, channel_topic_;    // the channel of the last topic seen
    std::string acknowledged_mark_;          // of the last batch acknowledged: deleted with the next
    std::string script_sha_;                 // streams: the loaded stream script's SHA1
};

}  // namespace

std::unique_ptr<Sink> make_http_sink(HttpSinkOptions opts, Logger log) {
    return std::make_unique<HttpSink>(std::move(opts), std::move(log));
}

std::unique_ptr<Sink> make_redis_sink(RedisSinkOptions opts, Logger log) {
    return std::make_unique<RedisSink>(std::move(opts), std::move(log));
}

// ---------------------------------------------------------------------------------------------
// Keys

KeyMinter::KeyMinter() {
    // 7 characters of 62 (41 bits): a key stays within std::string's inline buffer up to
    // 10 million events, so minting one costs no allocation, here or where it is stored.
    static constexpr char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::random_device rd;
    std::uint64_t run = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    for (int i = 0; i < 7; ++i, run /= 62) prefix_.push_back(digits[run % 62]);
    prefix_.push_back('-');
}

std::string KeyMinter::next() {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, ++n_);
    (void)ec;  // 24 digits hold any uint64
    std::string key;
    key.reserve(prefix_.size() + static_cast<std::size_t>(end - digits));
    key.append(prefix_).append(digits, end);
    return key;
}

// ---------------------------------------------------------------------------------------------
// Publisher

Publisher::Publisher(std::unique_ptr<Sink> sink, RetryPolicy policy, Logger log,
                     const volatile std::sig_atomic_t *stop)
    : sink_(std::move(sink)), policy_(policy),
      backoff_({policy.initial, policy.max}, {0.25, Backoff::Jitter::Side::above}), log_(std::move(log)), stop_(stop) {}

Status Publisher::publish(std::span<const PublishRequest> events) {
    using clock = std::chrono::steady_clock;
    std::size_t done = 0;
    backoff_.reset();
    std::optional<clock::time_point> outage_start;
    while (done < events.size()) {
        std::size_t acc = 0;
        Status st = sink_->send(events.subspan(done), acc);
        done += acc;
        published_ += acc;
        if (st) break;
        if (st.code() != Status::Code::unavailable) return st;
        if (acc > 0) {  // progress: a new outage starts now
            outage_start.reset();
            backoff_.reset();
        }
        auto now = clock::now();
        if (!outage_start) outage_start = now;
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - *outage_start);
        auto retry_for = policy_.retry_for;
        if (!sink_->reached() && policy_.unreached_for) retry_for = std::min(retry_for, *policy_.unreached_for);
        if (retry_for.count() == 0) return st;
        if (elapsed >= retry_for)
            return Status::unavailable(st.message() + "; gave up after " + format_duration(elapsed));
        // The server's Retry-After if it gave one, else full backoff plus jitter; never past
        // the deadline, and no wait that would end beyond it.
        auto wait = std::min(backoff_.next(), retry_for - elapsed);
        if (auto asked = sink_->retry_after()) {
            if (*asked > retry_for - elapsed)
                return Status::unavailable(st.message() + "; the server asks to retry after " +
                                           format_duration(*asked) + ", beyond --retry-for");
            wait = *asked;
        }
        log_.warn(st.message() + "; retrying in " + format_duration(wait));
        // In short slices, so Ctrl-C during an outage ends the wait at once.
        for (auto until = clock::now() + wait; clock::now() < until;) {
            if (stop_ && *stop_) return Status::unavailable(st.message() + "; interrupted");
            std::this_thread::sleep_for(std::min<clock::duration>(until - clock::now(), std::chrono::milliseconds(50)));
        }
    }
    return Status::ok();
}

}  // namespace ssekit
