#include "ssed/redis_bridge.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <algorithm>
#include <optional>
#include <mutex>
#include <thread>

#include "redis/conn.hpp"
#include "redis/envelope.hpp"
#include "redis/idempotency.hpp"
#include "hub/stream_id.hpp"
#include "base/backoff.hpp"
#include "base/duration.hpp"
#include "base/unique_fd.hpp"

namespace ssekit {

namespace {

std::uint64_t wall_ms() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

struct RedisBridge::Impl {
    Hub &hub;
    RedisBridgeOptions o;
    Logger log;
    IdMinter minter;
    UniqueFd stop_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    UniqueFd wake_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};  // a barrier was requested
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
    std::mutex read_mu;  // guards reader (streams: resume reads)
    RedisConn reader;

    // Streams: barriers. A caller takes ticket ++requested and wakes the thread, which sends
    // PING b<ticket> on the subscriber connection; its PONG sets done (and the session it
    // came on). Guarded by barrier_mu.
    std::mutex barrier_mu;
    std::condition_variable barrier_cv;
    std::uint64_t barrier_requested = 0;
    std::uint64_t barrier_done = 0;
    std::uint64_t barrier_session = 0;
    std::atomic<std::uint64_t> session_gen{0};  // +1 for each confirmed subscription
    // Streams mode: the first id of the history Redis holds (stream_since_key), read at each
    // (re)connection. Guarded by since_mu.
    std::mutex since_mu;
    std::optional<StreamId> since;

    std::atomic<std::uint64_t> received{0}, plain{0}, dropped{0}, refused{0}, published{0}, publish_failures{0},
        reconnects{0}, duplicates{0}, backfilled{0}, resumes{0};

    Impl(Hub &h, RedisBridgeOptions opts, Logger l) : hub(h), o(std::move(opts)), log(std::move(l)) {}

    void wake() {
        std::uint64_t one = 1;
        ssize_t n = ::write(wake_fd.get(), &one, sizeof one);
        (void)n;
    }
    void barrier_reached(std::string_view token);  // bridge thread: PONG b<n> arrived
    // Waits until the subscriber connection answered a PING sent now; not_found when the answer
    // came on another subscription than `session`.
    Status barrier(std::uint64_t session);
    Status read_newest(RedisConn &c, const std::string &key, const std::string &after, std::size_t count,
                       std::vector<RedisValue> &out, bool &more);
    void backfill(std::uint64_t lost_ms);  // bridge thread, after re-subscribing
    // Streams mode: the replay after `last_event_id`, or (from_start) every kept entry, no Gap.
    SubscribeResult resume(const std::vector<std::string> &topics, std::string_view last_event_id, bool from_start);

    // Sleeps up to `d`; false when stop() was called meanwhile.
    bool wait_or_stop(std::chrono::milliseconds d) {
        pollfd p{stop_fd.get(), POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(d.count()));
        return !stopping.load();
    }

    // Returns whether this was the first report (start() then answers with it).
    bool report_first(const Status &st) {
        std::lock_guard lock(start_mu);
        if (first_done) return false;
        first_done = true;
        first_status = st;
        start_cv.notify_all();
        return true;
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
        if (r.status && r.duplicate) {
            duplicates.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (!r.status) return count_drop(channel, r.status);
        received.fetch_add(1, std::memory_order_relaxed);
    }

    // An event from Redis the Hub did not take. A bad channel or field is the sender's problem
    // (debug); a refusal by this instance's limits (topic limit, delivery behind: unavailable)
    // loses the event for our subscribers although its publisher got 200 from the instance it
    // used, so it is counted apart and warned about, at most once a second. Bridge thread only.
    void count_drop(const std::string &channel, const Status &why) {
        std::uint64_t n = dropped.fetch_add(1, std::memory_order_relaxed) + 1;
        if (why.code() != Status::Code::unavailable) {
            log.debug("redis " + channel + ": message dropped: " + why.message());
            return;
        }
        refused.fetch_add(1, std::memory_order_relaxed);
        if (auto now = std::chrono::steady_clock::now(); now - last_drop_warning >= std::chrono::seconds(1)) {
            last_drop_warning = now;
            log.warn("redis " + channel + ": message dropped: " + why.message() + " (" + std::to_string(n) +
                     " dropped so far)");
        }
    }

    // One subscriber session: connect, PSUBSCRIBE, deliver until the connection fails or stop.
    // `lost_at` is set when an earlier subscription broke: the gap is logged once it is over.
    Status session(bool &got_subscribed, std::optional<std::chrono::steady_clock::time_point> &lost_at,
                   std::uint64_t &last_heard_ms) {
        RedisConn c;
        std::uint64_t barrier_sent = 0;
        if (auto st = RedisConn::connect(o.endpoint, o.connect_timeout, c); !st) return st;
        if (o.mode == RedisMode::streams)
            if (auto st = read_since(c); !st) return st;
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
                if (got_subscribed) last_heard_ms = wall_ms();
                if (v.type != RedisValue::Type::array || v.elements.empty()) continue;
                const std::string &kind = v.elements[0].str;
                if (kind == "pmessage") {
                    deliver(v);
                } else if (kind == "pong") {
                    if (v.elements.size() == 2 && v.elements[1].str.starts_with("b")) barrier_reached(v.elements[1].str);
                } else if (kind == "psubscribe") {
                    got_subscribed = true;
                    // Entries added while we were away, before any live message that follows.
                    if (lost_at && o.mode == RedisMode::streams) backfill(last_heard_ms);
                    last_heard_ms = wall_ms();
                    session_gen.fetch_add(1);
                    subscribed.store(true);
                    // A barrier requested while we were not subscribed gets its PING now.
                    wake();
                    if (lost_at) {
                        reconnects.fetch_add(1, std::memory_order_relaxed);
                        log.warn("redis " + c.endpoint() + ": subscribed again after " +
                                 format_duration(std::chrono::steady_clock::now() - *lost_at) +
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
            pollfd p[3] = {{c.fd(), POLLIN, 0}, {stop_fd.get(), POLLIN, 0}, {wake_fd.get(), POLLIN, 0}};
            int r = ::poll(p, 3, static_cast<int>(o.ping_interval.count()));
            if (r < 0) {
                if (errno == EINTR) continue;
                return Status::io("poll failed");
            }
            if (p[1].revents) return Status::ok();
            if (p[2].revents) {
                std::uint64_t n = 0;
                ssize_t got = ::read(wake_fd.get(), &n, sizeof n);
                (void)got;
                std::uint64_t want;
                {
                    std::lock_guard lock(barrier_mu);
                    want = barrier_requested;
                }
                if (got_subscribed && want > barrier_sent) {
                    // One PING answers every barrier requested so far.
                    std::string token = "b" + std::to_string(want);
                    if (auto s2 = c.append({"PING", token}); !s2) return s2;
                    if (auto s2 = c.flush(); !s2) return s2;
                    barrier_sent = want;
                }
                if (!(p[0].revents & POLLIN)) continue;
            }
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
        Backoff backoff({o.backoff_initial, o.backoff_max});
        std::optional<std::chrono::steady_clock::time_point> lost_at;
        std::uint64_t last_heard_ms = wall_ms();
        std::string last_error;
        while (!stopping.load()) {
            bool got = false;
            Status st = session(got, lost_at, last_heard_ms);
            subscribed.store(false);
            if (stopping.load()) break;
            if (got) {
                backoff.reset();
                lost_at = std::chrono::steady_clock::now();
                log.warn(st.message() + "; local subscribers stay connected; reconnecting");
                last_error.clear();
            } else {
                // The first failure is start()'s answer, and ssed exits with it: no "retrying".
                // After that, one line per distinct error, not one per attempt.
                if (!report_first(st) && st.message() != last_error) log.warn(st.message() + "; retrying");
                last_error = st.message();
            }
            if (!wait_or_stop(backoff.next())) break;
        }
        report_first(Status::unavailable("redis bridge stopped"));
    }

    // Marks where this Redis' history starts, if nobody has, and remembers it.
    Status read_since(RedisConn &c) {
        std::string key = stream_since_key(o.prefix);
        RedisValue v;
        if (auto st = c.command({"EVAL", kStreamSinceScript, "1", key}, v); !st) return st;
        if (v.type == RedisValue::Type::error) return Status::unavailable("redis EVAL (" + key + "): " + v.str);
        std::lock_guard lock(since_mu);
        since = parse_stream_id(v.str);
        return Status::ok();
    }

    // The publisher connection, (re)connected when needed. REQUIRES: pub_mu held.
    Status publisher() { return ensure(pub); }

    // `c` connected, reconnected when needed. REQUIRES: the mutex guarding `c` held.
    Status ensure(RedisConn &c) {
        if (c.connected()) {
            // An idle request connection has nothing to read; readable means the peer closed
            // it (Redis restarted): reconnect now instead of failing the next command.
            pollfd p{c.fd(), POLLIN, 0};
            if (::poll(&p, 1, 0) == 0) return Status::ok();
            c = RedisConn{};
        }
        if (auto st = RedisConn::connect(o.endpoint, o.connect_timeout, c); !st) return st;
        return c.set_io_timeout(o.publish_timeout);
    }

    // Streams: one script call for the whole batch (atomic); the ids come back from Redis.
    Status publish_streams(std::vector<PublishRequest> &reqs, std::vector<long long> &receivers) {
        std::lock_guard lock(pub_mu);
        if (auto st = publisher(); !st) return st;
        auto fail = [&](Status st) {
            pub = RedisConn{};
            return st;
        };
        if (auto st = append_stream_publish(pub, o.prefix, o.history, reqs); !st) return fail(st);
        if (auto st = pub.flush(); !st) return fail(st);
        RedisValue v;
        if (auto st = pub.read_reply(v); !st) return fail(st);
        std::vector<std::string> ids;
        if (auto st = parse_stream_publish_reply(v, reqs.size(), ids, receivers); !st) return st;
        for (std::size_t i = 0; i < reqs.size(); ++i) reqs[i].id = std::move(ids[i]);
        return Status::ok();
    }

    // Pubsub mode, a batch with idempotency keys, atomic (redis/idempotency.hpp): the events
    // whose key Redis remembers are skipped, their original ids replace the minted ones,
    // receivers -1.
    Status publish_keyed(std::vector<PublishRequest> &reqs, std::vector<long long> &receivers) {
        std::lock_guard lock(pub_mu);
        if (auto st = publisher(); !st) return st;
        std::vector<std::string> ids;
        if (auto st = ssekit::publish_keyed(pub, o.prefix, o.history, reqs, ids, receivers); !st) {
            pub = RedisConn{};  // it may be inside a WATCH or MULTI
            return st;
        }
        for (std::size_t i = 0; i < reqs.size(); ++i) reqs[i].id = std::move(ids[i]);
        return Status::ok();
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

// ---------------------------------------------------------------------------------------------
// Streams mode: barrier, backfill, resume

void RedisBridge::Impl::barrier_reached(std::string_view token) {
    std::uint64_t n = 0;
    for (char ch : token.substr(1)) {
        if (ch < '0' || ch > '9') return;
        n = n * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    std::lock_guard lock(barrier_mu);
    if (n > barrier_done) {
        barrier_done = n;
        barrier_session = session_gen.load();
    }
    barrier_cv.notify_all();
}

Status RedisBridge::Impl::barrier(std::uint64_t session) {
    std::unique_lock lock(barrier_mu);
    std::uint64_t ticket = ++barrier_requested;
    wake();
    if (!barrier_cv.wait_for(lock, o.barrier_timeout, [&] { return barrier_done >= ticket; }))
        return Status::unavailable("redis: the subscription did not answer within " +
                                   std::to_string(o.barrier_timeout.count()) + " ms");
    if (barrier_session != session) return Status::not_found("redis: the subscription was re-established");
    return Status::ok();
}

// Reads the entries of `key` after `after` ("-" = from the start), the newest `count` of them
// (oldest first in `out`); `more` tells whether older ones after `after` were left out.
Status RedisBridge::Impl::read_newest(RedisConn &c, const std::string &key, const std::string &after,
                                      std::size_t count, std::vector<RedisValue> &out, bool &more) {
    std::string lower = after == "-" ? "-" : "(" + after;
    std::string n = std::to_string(count + 1);
    RedisValue v;
    if (auto st = c.command({"XREVRANGE", key, "+", lower, "COUNT", n}, v); !st) return st;
    if (v.type == RedisValue::Type::error) return Status::unavailable("redis XREVRANGE " + key + ": " + v.str);
    more = v.elements.size() > count;
    if (more) v.elements.pop_back();
    out.assign(std::make_move_iterator(v.elements.rbegin()), std::make_move_iterator(v.elements.rend()));
    return Status::ok();
}

void RedisBridge::Impl::backfill(std::uint64_t lost_ms) {
    RedisConn c;
    if (auto st = ensure(c); !st) {
        log.warn("redis backfill: " + st.message());
        return;
    }
    std::string fallback = std::to_string(lost_ms) + "-0";
    std::uint64_t total = 0;
    for (const auto &t : hub.topics()) {
        auto sid = parse_stream_id(t.last_id);
        std::string after = sid ? t.last_id : fallback;
        std::vector<RedisValue> entries;
        bool more = false;
        if (auto st = read_newest(c, channel_for(o.prefix, t.name), after, o.history, entries, more); !st) {
            log.warn("redis backfill of " + t.name + ": " + st.message());
            return;
        }
        if (more)
            log.warn("redis backfill of " + t.name + ": more than " + std::to_string(o.history) +
                     " events were published meanwhile; local subscribers get the newest " +
                     std::to_string(o.history));
        for (const auto &e : entries) {
            PublishRequest req;
            req.topic = t.name;
            if (!decode_stream_entry(e, req)) continue;
            PublishResult r = hub.publish(std::move(req));
            if (!r.status) count_drop(channel_for(o.prefix, t.name), r.status);
            else if (!r.duplicate) ++total;
        }
    }
    backfilled.fetch_add(total, std::memory_order_relaxed);
    if (total > 0) log.info("redis: " + std::to_string(total) + " event(s) missed during the outage read back from the streams");
}

SubscribeResult RedisBridge::Impl::resume(const std::vector<std::string> &topics, std::string_view last_event_id,
                                          bool from_start) {
    SubscribeResult res;
    for (const auto &t : topics)
        if (res.status = check_topic(t); !res.status) return res;
    std::optional<StreamId> last = parse_stream_id(last_event_id);
    for (int attempt = 0;; ++attempt) {
        std::uint64_t session = session_gen.load();
        if (!subscribed.load()) {
            res.status = Status::unavailable("redis: the subscription is down; cannot resume");
            return res;
        }
        std::optional<Gap> gap;
        if (!last && !from_start) gap = Gap{Gap::Reason::unknown, std::string(last_event_id)};
        {
            // An id from before the history this Redis holds: Redis forgot what came after it
            // (a restart without persistence), though no stream shows a trim.
            std::lock_guard lock(since_mu);
            if (last && since && *last < *since) gap = Gap{Gap::Reason::earlier_run, std::string(last_event_id)};
        }
        std::vector<StreamId> bounds;
        std::vector<FramePtr> from_redis;
        std::vector<StreamId> from_redis_ids;
        {
            std::lock_guard lock(read_mu);
            Status st = ensure(reader);
            for (std::size_t i = 0; st && i < topics.size(); ++i) {
                std::string key = channel_for(o.prefix, topics[i]);
                std::vector<RedisValue> entries;
                bool more = false;
                st = read_newest(reader, key, last ? std::string(last_event_id) : "-", o.history, entries, more);
                if (!st) break;
                if (more && last) gap = Gap{Gap::Reason::evicted, std::string(last_event_id)};
                if (last && !gap) {
                    // L older than the first entry, and something was trimmed: it may be lost.
                    RedisValue info;
                    st = reader.command({"XINFO", "STREAM", key}, info);
                    if (!st) break;
                    if (info.type == RedisValue::Type::array) {
                        long long length = -1, added = -1;
                        std::optional<StreamId> first;
                        for (std::size_t k = 0; k + 1 < info.elements.size(); k += 2) {
                            const std::string &name = info.elements[k].str;
                            const RedisValue &val = info.elements[k + 1];
                            if (name == "length") length = val.integer;
                            else if (name == "entries-added") added = val.integer;
                            else if (name == "first-entry" && val.type == RedisValue::Type::array && !val.elements.empty())
                                first = parse_stream_id(val.elements[0].str);
                        }
                        // Redis < 7 has no entries-added: then any older L counts as a gap.
                        bool trimmed = added < 0 || added > length;
                        if (first && *first > *last && trimmed) gap = Gap{Gap::Reason::evicted, std::string(last_event_id)};
                    }
                }
                StreamId bound = last.value_or(StreamId{});
                for (const auto &e : entries) {
                    PublishRequest req;
                    req.topic = topics[i];
                    if (!decode_stream_entry(e, req)) continue;
                    auto sid = parse_stream_id(req.id);
                    if (!sid) continue;
                    Event ev{std::move(req.type), std::move(req.data), std::move(req.id), req.retry};
                    FramePtr f;
                    if (!make_frame(0, topics[i], ev, f)) continue;
                    from_redis.push_back(std::move(f));
                    from_redis_ids.push_back(*sid);
                    bound = std::max(bound, *sid);
                }
                bounds.push_back(bound);
            }
            if (!st) {
                reader = RedisConn{};
                res.status = Status::unavailable("redis: cannot read the streams to resume: " + st.message());
                return res;
            }
        }
        Status st = barrier(session);
        if (st.code() == Status::Code::not_found && attempt < 2) continue;
        if (!st) {
            res.status = Status::unavailable(st.message());
            return res;
        }
        res = hub.subscribe_after(topics, bounds);
        if (!res.status) return res;
        if (res.gap) res.gap->last_event_id.assign(last_event_id);
        if (gap) res.gap = gap;
        if (from_start) res.gap.reset();  // what was trimmed was not asked for
        if (topics.size() > 1) {
            // Several streams: merge by stream id (the ms part is Redis' clock for all of them).
            std::vector<std::size_t> order(from_redis.size());
            for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
            std::stable_sort(order.begin(), order.end(),
                             [&](std::size_t a, std::size_t b) { return from_redis_ids[a] < from_redis_ids[b]; });
            std::vector<FramePtr> sorted;
            sorted.reserve(order.size());
            for (auto k : order) sorted.push_back(from_redis[k]);
            from_redis.swap(sorted);
        }
        from_redis.insert(from_redis.end(), std::make_move_iterator(res.replay.begin()),
                          std::make_move_iterator(res.replay.end()));
        res.replay = std::move(from_redis);
        resumes.fetch_add(1, std::memory_order_relaxed);
        return res;
    }
}

RedisBridge::RedisBridge(Hub &hub, RedisBridgeOptions opts, Logger log)
    : impl_(std::make_unique<Impl>(hub, std::move(opts), std::move(log))) {}

RedisBridge::~RedisBridge() { stop(); }

Status RedisBridge::start() {
    if (impl_->stop_fd.get() < 0 || impl_->wake_fd.get() < 0) return Status::internal("eventfd failed");
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
    s.refused = impl_->refused.load();
    s.published = impl_->published.load();
    s.publish_failures = impl_->publish_failures.load();
    s.reconnects = impl_->reconnects.load();
    s.duplicates = impl_->duplicates.load();
    s.backfilled = impl_->backfilled.load();
    s.resumes = impl_->resumes.load();
    return s;
}

void RedisBridge::cancel(std::uint64_t ticket) { impl_->hub.cancel(ticket); }

std::vector<TopicInfo> RedisBridge::topics() const { return impl_->hub.topics(); }

Status RedisBridge::health() const {
    return healthy() ? Status::ok() : Status::unavailable("redis unavailable");
}

std::vector<Metric> RedisBridge::metrics() const {
    std::vector<Metric> m = impl_->hub.metrics();
    RedisBridgeStats r = stats();
    m.insert(m.end(), {
        {"ssed_redis_up", "gauge", "1 while the Redis subscription is live, else 0.", healthy() ? 1u : 0u},
        {"ssed_redis_received_total", "counter", "Messages received from Redis and handed to the hub.", r.received},
        {"ssed_redis_plain_total", "counter", "Of those, plain payloads (not an ssekit envelope).", r.plain},
        {"ssed_redis_dropped_total", "counter",
         "Messages from Redis dropped: bad channel or envelope, or refused by the hub.", r.dropped},
        {"ssed_redis_refused_total", "counter",
         "Of those, refused by this instance's limits on delivery (--max-topics, delivery behind): lost for its "
         "subscribers.",
         r.refused},
        {"ssed_redis_published_total", "counter", "Events this instance published into Redis.", r.published},
        {"ssed_redis_publish_failures_total", "counter", "Publishes refused because Redis failed (answered 503).",
         r.publish_failures},
        {"ssed_redis_reconnects_total", "counter", "Subscriber connections to Redis made after the first.",
         r.reconnects},
        {"ssed_redis_duplicates_total", "counter",
         "Streams mode: events the hub already had (backfill overlap), dropped.", r.duplicates},
        {"ssed_redis_backfilled_total", "counter", "Streams mode: entries read back from Redis after an outage.",
         r.backfilled},
        {"ssed_redis_resumes_total", "counter", "Streams mode: subscriptions resumed from Redis.", r.resumes},
    });
    return m;
}

namespace {

// `topics` without repeats, in first-seen order (a topic named twice is read once).
std::vector<std::string> distinct(const std::vector<std::string> &topics) {
    std::vector<std::string> unique;
    for (const auto &t : topics)
        if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);
    return unique;
}

}  // namespace

SubscribeResult RedisBridge::subscribe(const std::vector<std::string> &topics, std::string_view last_event_id) {
    if (impl_->o.mode != RedisMode::streams || last_event_id.empty()) return impl_->hub.subscribe(topics, last_event_id);
    std::vector<std::string> unique = distinct(topics);
    if (unique.empty()) return impl_->hub.subscribe(unique, last_event_id);  // its "no topic" error
    return impl_->resume(unique, last_event_id, false);
}

SubscribeResult RedisBridge::subscribe_from_start(const std::vector<std::string> &topics) {
    if (impl_->o.mode != RedisMode::streams) return impl_->hub.subscribe_from_start(topics);
    std::vector<std::string> unique = distinct(topics);
    if (unique.empty()) return impl_->hub.subscribe_from_start(unique);  // its "no topic" error
    return impl_->resume(unique, "", true);
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
    const bool streams = impl_->o.mode == RedisMode::streams;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        Status st = check_publish(reqs[i]);
        if (st && streams) st = check_stream_request(reqs[i]);
        if (!st) {
            if (failed_index) *failed_index = i;
            out.push_back(PublishResult{st, {}, 0, 0});
            return out;
        }
    }
    // What this instance's Hub would refuse is refused here, before it enters Redis, with the
    // in-process answer: a 200 must not be followed by a silent drop on delivery.
    if (PublishResult r = impl_->hub.admit(reqs, failed_index); !r.status) {
        out.push_back(std::move(r));
        return out;
    }
    // Ids are fixed before the events reach the instances, so every instance shows the same
    // one: minted here, or (streams) the stream ids Redis assigns.
    if (!streams)
        for (auto &r : reqs)
            if (r.id.empty()) r.id = impl_->minter.next();
    std::vector<long long> receivers;  // -1: a duplicate (its key is remembered), id the original
    const bool keyed =
        std::any_of(reqs.begin(), reqs.end(), [](const PublishRequest &r) { return !r.key.empty(); });
    Status st = streams ? impl_->publish_streams(reqs, receivers)
                : keyed ? impl_->publish_keyed(reqs, receivers)
                        : impl_->publish_all(reqs, receivers);
    if (!st) {
        impl_->publish_failures.fetch_add(reqs.size(), std::memory_order_relaxed);
        impl_->log.warn(st.message() + "; " + std::to_string(reqs.size()) + " event(s) refused with 503");
        if (failed_index) *failed_index = 0;  // the whole batch failed; nothing was published
        out.push_back(PublishResult{Status::unavailable("Redis is unavailable: " + st.message()), {}, 0, 0});
        return out;
    }
    if (failed_index) *failed_index = reqs.size();  // as Hub::publish_batch: none failed
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        PublishResult r{Status::ok(), std::move(reqs[i].id), 0, 0};
        r.duplicate = receivers[i] < 0;
        if (!r.duplicate) {  // a duplicate reached no one this time
            r.subscribers = impl_->hub.subscribers_of(reqs[i].topic);
            r.instances = static_cast<std::size_t>(receivers[i]);
            impl_->published.fetch_add(1, std::memory_order_relaxed);
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace ssekit
