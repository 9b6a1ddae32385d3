#include "ssekit/redis_bridge.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <mutex>
#include <thread>

#include "ssekit/redis_conn.hpp"
#include "ssekit/redis_envelope.hpp"
#include "ssekit/wire.hpp"

namespace ssekit {

namespace {

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string seconds(std::chrono::steady_clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
    return buf;
}

Status check_request(const PublishRequest &r) {
    if (!valid_topic(r.topic)) return Status::invalid_argument("bad topic name \"" + r.topic + "\"");
    if (auto st = validate_field("id", r.id); !st) return st;
    return validate_field("event", r.type);
}

}  // namespace

struct RedisBridge::Impl {
    Hub &hub;
    RedisBridgeOptions o;
    Logger log;
    IdMinter minter;
    UniqueFd stop_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<bool> subscribed{false};

    // start() waits for the first subscription result.
    std::mutex start_mu;
    std::condition_variable start_cv;
    bool first_done = false;
    Status first_status;

    std::chrono::steady_clock::time_point last_drop_warning{};  // bridge thread only

    std::mutex pub_mu;  // guards pub
    RedisConn pub;

    std::atomic<std::uint64_t> received{0}, plain{0}, dropped{0}, published{0}, publish_failures{0}, reconnects{0};

    Impl(Hub &h, RedisBridgeOptions opts, Logger l) : hub(h), o(std::move(opts)), log(std::move(l)) {}

    // Sleeps up to `d`; false when stop() was called meanwhile.
    bool wait_or_stop(std::chrono::milliseconds d) {
        pollfd p{stop_fd.get(), POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(d.count()));
        return !stopping.load();
    }

    void report_first(const Status &st) {
        std::lock_guard lock(start_mu);
        if (first_done) return;
        first_done = true;
        first_status = st;
        start_cv.notify_all();
    }

    void deliver(const RedisValue &m) {
        // ["pmessage", pattern, channel, payload]
        if (m.elements.size() != 4) return;
        const std::string &channel = m.elements[2].str;
        std::string_view topic = topic_of_channel(o.prefix, channel);
        PublishRequest req;
        req.topic.assign(topic);
        std::string bad;
        bool envelope = decode_envelope(m.elements[3].str, req, &bad);
        if (!bad.empty()) log.debug("redis " + channel + ": envelope taken as plain data: " + bad);
        if (!envelope) {
            req.no_id = true;
            plain.fetch_add(1, std::memory_order_relaxed);
        }
        PublishResult r = hub.publish(std::move(req));
        if (!r.status) {
            std::uint64_t n = dropped.fetch_add(1, std::memory_order_relaxed) + 1;
            // A bad channel or field is the sender's problem (debug); an overloaded hub loses
            // events for our subscribers, which must be visible: warn, at most once a second.
            if (r.status.code() != Status::Code::unavailable) {
                log.debug("redis " + channel + ": message dropped: " + r.status.message());
            } else if (auto now = std::chrono::steady_clock::now(); now - last_drop_warning >= std::chrono::seconds(1)) {
                last_drop_warning = now;
                log.warn("redis " + channel + ": message dropped: " + r.status.message() + " (" +
                         std::to_string(n) + " dropped so far)");
            }
            return;
        }
        received.fetch_add(1, std::memory_order_relaxed);
    }

    // One subscriber session: connect, PSUBSCRIBE, deliver until the connection fails or stop.
    // `lost_at` is set when an earlier subscription broke: the gap is logged once it is over.
    Status session(bool &got_subscribed, std::optional<std::chrono::steady_clock::time_point> &lost_at) {
        RedisConn c;
        if (auto st = RedisConn::connect(o.endpoint, o.connect_timeout, c); !st) return st;
        std::string pattern = o.prefix + "*";
        if (auto st = c.append({"PSUBSCRIBE", pattern}); !st) return st;
        if (auto st = c.flush(); !st) return st;
        bool ping_sent = false;
        for (;;) {
            RedisValue v;
            Status st;
            // Replies may already sit in hiredis' buffer: drain them before polling the socket.
            while (c.buffered_reply(v, st)) {
                ping_sent = false;
                if (v.type != RedisValue::Type::array || v.elements.empty()) continue;
                const std::string &kind = v.elements[0].str;
                if (kind == "pmessage") {
                    deliver(v);
                } else if (kind == "psubscribe") {
                    got_subscribed = true;
                    subscribed.store(true);
                    if (lost_at) {
                        reconnects.fetch_add(1, std::memory_order_relaxed);
                        log.warn("redis " + c.endpoint() + ": subscribed again after " +
                                 seconds(std::chrono::steady_clock::now() - *lost_at) +
                                 "; events published in Redis meanwhile were missed by this instance");
                        lost_at.reset();
                    } else {
                        log.info("redis " + c.endpoint() + ": subscribed to " + pattern);
                    }
                    report_first(Status::ok());
                }
            }
            if (!st) return st;
            if (stopping.load()) return Status::ok();
            pollfd p[2] = {{c.fd(), POLLIN, 0}, {stop_fd.get(), POLLIN, 0}};
            int r = ::poll(p, 2, static_cast<int>(o.ping_interval.count()));
            if (r < 0) {
                if (errno == EINTR) continue;
                return Status::io("poll failed");
            }
            if (p[1].revents) return Status::ok();
            if (r == 0) {
                // Silence: ask. No answer within another interval means the peer is gone.
                if (ping_sent) return Status::unavailable("redis " + c.endpoint() + ": no reply to PING");
                if (auto s2 = c.append({"PING"}); !s2) return s2;
                if (auto s2 = c.flush(); !s2) return s2;
                ping_sent = true;
                continue;
            }
            if (auto s2 = c.read_socket(); !s2) return s2;
        }
    }

    void run() {
        auto backoff = o.backoff_initial;
        std::optional<std::chrono::steady_clock::time_point> lost_at;
        std::string last_error;
        while (!stopping.load()) {
            bool got = false;
            Status st = session(got, lost_at);
            subscribed.store(false);
            if (stopping.load()) break;
            if (got) {
                backoff = o.backoff_initial;
                lost_at = std::chrono::steady_clock::now();
                log.warn(st.message() + "; local subscribers stay connected; reconnecting");
                last_error.clear();
            } else {
                report_first(st);
                // One line per distinct error, not one per attempt.
                if (st.message() != last_error) log.warn(st.message() + "; retrying");
                last_error = st.message();
            }
            if (!wait_or_stop(backoff)) break;
            backoff = std::min(backoff * 2, o.backoff_max);
        }
        report_first(Status::unavailable("redis bridge stopped"));
    }

    // The publisher connection, (re)connected when needed. REQUIRES: pub_mu held.
    Status publisher() {
        if (pub.connected()) {
            // An idle publisher connection has nothing to read; readable means the peer closed
            // it (Redis restarted): reconnect now instead of failing the next PUBLISH.
            pollfd p{pub.fd(), POLLIN, 0};
            if (::poll(&p, 1, 0) == 0) return Status::ok();
            pub = RedisConn{};
        }
        if (auto st = RedisConn::connect(o.endpoint, o.connect_timeout, pub); !st) return st;
        return pub.set_io_timeout(o.publish_timeout);
    }

    Status publish_all(const std::vector<PublishRequest> &reqs, std::vector<long long> &receivers) {
        std::lock_guard lock(pub_mu);
        if (auto st = publisher(); !st) return st;
        std::string channel, payload;
        bool multi = reqs.size() > 1;
        auto fail = [&](Status st) {
            pub = RedisConn{};
            return st;
        };
        if (multi)
            if (auto st = pub.append({"MULTI"}); !st) return fail(st);
        for (const auto &r : reqs) {
            channel = channel_for(o.prefix, r.topic);
            payload.clear();
            encode_envelope(r, payload);
            if (auto st = pub.append({"PUBLISH", channel, payload}); !st) return fail(st);
        }
        if (multi)
            if (auto st = pub.append({"EXEC"}); !st) return fail(st);
        if (auto st = pub.flush(); !st) return fail(st);
        RedisValue v;
        if (!multi) {
            if (auto st = pub.read_reply(v); !st) return fail(st);
            if (v.type != RedisValue::Type::integer) return fail(Status::unavailable("redis PUBLISH: " + v.str));
            receivers.push_back(v.integer);
            return Status::ok();
        }
        // MULTI: +OK, one +QUEUED per PUBLISH, then EXEC's array of results.
        for (std::size_t i = 0; i < reqs.size() + 1; ++i) {
            if (auto st = pub.read_reply(v); !st) return fail(st);
            if (v.type == RedisValue::Type::error) return fail(Status::unavailable("redis MULTI: " + v.str));
        }
        if (auto st = pub.read_reply(v); !st) return fail(st);
        if (v.type != RedisValue::Type::array || v.elements.size() != reqs.size())
            return fail(Status::unavailable("redis EXEC: transaction failed " + v.str));
        for (const auto &e : v.elements) receivers.push_back(e.integer);
        return Status::ok();
    }
};

RedisBridge::RedisBridge(Hub &hub, RedisBridgeOptions opts, Logger log)
    : impl_(std::make_unique<Impl>(hub, std::move(opts), std::move(log))) {}

RedisBridge::~RedisBridge() { stop(); }

Status RedisBridge::start() {
    if (impl_->stop_fd.get() < 0) return Status::internal("eventfd failed");
    if (impl_->thread.joinable()) return Status::ok();
    impl_->thread = std::thread([this] { impl_->run(); });
    std::unique_lock lock(impl_->start_mu);
    impl_->start_cv.wait(lock, [&] { return impl_->first_done; });
    Status st = impl_->first_status;
    lock.unlock();
    if (!st) stop();
    return st;
}

void RedisBridge::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->stopping.store(true);
    std::uint64_t one = 1;
    ssize_t n = ::write(impl_->stop_fd.get(), &one, sizeof one);
    (void)n;
    impl_->thread.join();
    std::lock_guard lock(impl_->pub_mu);
    impl_->pub = RedisConn{};
}

bool RedisBridge::healthy() const { return impl_->subscribed.load(); }

RedisBridgeStats RedisBridge::stats() const {
    RedisBridgeStats s;
    s.received = impl_->received.load();
    s.plain = impl_->plain.load();
    s.dropped = impl_->dropped.load();
    s.published = impl_->published.load();
    s.publish_failures = impl_->publish_failures.load();
    s.reconnects = impl_->reconnects.load();
    return s;
}

PublishResult RedisBridge::publish(PublishRequest req) {
    std::size_t failed = 0;
    std::vector<PublishRequest> one;
    one.push_back(std::move(req));
    auto results = publish_batch(std::move(one), &failed);
    return std::move(results.front());
}

std::vector<PublishResult> RedisBridge::publish_batch(std::vector<PublishRequest> reqs, std::size_t *failed_index) {
    std::vector<PublishResult> out;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        if (auto st = check_request(reqs[i]); !st) {
            if (failed_index) *failed_index = i;
            out.push_back(PublishResult{st, {}, 0, 0});
            return out;
        }
    }
    // Ids are fixed here, before Redis, so every instance shows the same one.
    for (auto &r : reqs)
        if (r.id.empty()) r.id = impl_->minter.next();
    std::vector<long long> receivers;
    Status st = impl_->publish_all(reqs, receivers);
    if (!st) {
        impl_->publish_failures.fetch_add(reqs.size(), std::memory_order_relaxed);
        impl_->log.warn(st.message() + "; " + std::to_string(reqs.size()) + " event(s) refused with 503");
        if (failed_index) *failed_index = 0;  // the whole batch failed; nothing was published
        out.push_back(PublishResult{Status::unavailable("Redis is unavailable: " + st.message()), {}, 0, 0});
        return out;
    }
    impl_->published.fetch_add(reqs.size(), std::memory_order_relaxed);
    if (failed_index) *failed_index = reqs.size();  // as Hub::publish_batch: none failed
    for (std::size_t i = 0; i < reqs.size(); ++i)
        out.push_back(PublishResult{Status::ok(), std::move(reqs[i].id), 0,
                                    static_cast<std::size_t>(receivers[i] < 0 ? 0 : receivers[i])});
    return out;
}

}  // namespace ssekit
