#include "hub/hub.hpp"

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "hub/event_id.hpp"
#include "hub/streamer.hpp"
#include "hub/topic_ring.hpp"
#include "ssekit/wire.hpp"

namespace ssekit {

std::string_view to_string(Gap::Reason r) {
    switch (r) {
    case Gap::Reason::evicted: return "evicted";
    case Gap::Reason::earlier_run: return "earlier_run";
    case Gap::Reason::unknown: return "unknown";
    }
    return "unknown";
}

namespace {

struct Topic {
    Topic(std::string n, std::size_t history, std::uint64_t evicted_upto, std::size_t loops)
        : name(std::move(n)), ring(history, evicted_upto), slots(loops), last_active(std::chrono::steady_clock::now()) {}
    // Joined and not yet closed, on every loop.
    std::size_t subscribers() const {
        std::size_t n = 0;
        for (const auto &s : slots) n += s.subscribers.load(std::memory_order_relaxed);
        return n;
    }
    std::string name;
    TopicRing ring;
    // Streamer k's view of the topic, slots[k]; stable addresses (Topic lives in a unique_ptr).
    std::vector<TopicSlot> slots;
    std::uint64_t published = 0;
    std::string last_id;
    std::chrono::steady_clock::time_point last_active;  // created, or last published to
    // Events admitted for it (Hub::admit) are on their way through Redis: not reclaimed before.
    std::chrono::steady_clock::time_point held_until{};
    // Streams mode: the newest stream id published, and the newest one evicted from the ring.
    std::optional<StreamId> newest_stream_id;
    std::optional<StreamId> evicted_stream_id;
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// A ticket names its streamer in its low bits, so adopt() and cancel() need no lookup.
constexpr unsigned kLoopBits = 6;  // at most 64 loops: Signals keeps one bit per streamer
constexpr std::uint64_t kLoopMask = (1u << kLoopBits) - 1;

std::vector<std::unique_ptr<Streamer>> make_streamers(const HubLimits &l, const Logger &log, StreamLoops loops) {
    if (loops.count < 1 || loops.count > kLoopMask + 1) throw std::invalid_argument("Hub: 1 to 64 stream loops");
    StreamerLimits sl{l.max_backlog_bytes, l.heartbeat, l.adopt_timeout, l.peer_timeout};
    std::vector<std::unique_ptr<Streamer>> out;
    for (std::size_t k = 0; k < loops.count; ++k)
        out.push_back(loops.driven ? std::make_unique<Streamer>(sl, log, Streamer::Driven{})
                                   : std::make_unique<Streamer>(sl, log));
    return out;
}

}  // namespace

struct Hub::Impl {
    Impl(HubLimits l, Logger lg, StreamLoops loops)
        : limits(l), log(std::move(lg)), epoch(now_ms()), streamers(make_streamers(l, log, loops)) {}

    // The wake-ups a publish owes, made after it releases mu (Streamer::signal), so no
    // syscall happens under the lock. Declare it before the lock.
    class Signals {
    public:
        explicit Signals(Impl &hub) : hub_(hub) {}
        ~Signals() {
            for (std::size_t k = 0; owed_; ++k, owed_ >>= 1)
                if (owed_ & 1) hub_.streamers[k]->signal();
        }
        Signals(const Signals &) = delete;
        Signals &operator=(const Signals &) = delete;
        void owe(std::size_t k) { owed_ |= std::uint64_t{1} << k; }

    private:
        Impl &hub_;
        std::uint64_t owed_ = 0;  // bit k: streamer k
    };

    // REQUIRES: mu held. The topic named `name`, created if `create` and the limit allows.
    Topic *find_topic(std::string_view name) {
        auto it = topics.find(name);
        return it == topics.end() ? nullptr : it->second.get();
    }
    Topic *create_topic(std::string_view name) {
        auto t = std::make_unique<Topic>(std::string(name), limits.history, reclaimed_upto, streamers.size());
        Topic *p = t.get();
        topics.emplace(p->name, std::move(t));
        return p;
    }
    // REQUIRES: mu held, the request checked, the topic existing or creatable. The wake-ups
    // the frame owes go to `signals`, which the caller ends after releasing mu.
    PublishResult publish_locked(PublishRequest &req, Signals &signals);
    // REQUIRES: mu held. Queues `f` for the subscribers of `t` on every loop that has some.
    void post_frame(Topic &t, const FramePtr &f, Signals &signals) {
        for (std::size_t k = 0; k < streamers.size(); ++k) {
            TopicSlot &slot = t.slots[k];
            if (slot.subscribers.load(std::memory_order_relaxed) == 0) continue;
            if (streamers[k]->post_frame_unsignalled(slot, f)) signals.owe(k);
        }
    }
    // The streamer a subscription made on this thread joins: its loop's, else the first.
    std::size_t home_loop() const {
        if (Streamer *home = Streamer::home())
            for (std::size_t k = 0; k < streamers.size(); ++k)
                if (streamers[k].get() == home) return k;
        return 0;
    }
    // REQUIRES: mu held. Joins a new subscriber of `joined` on this thread's loop; returns its
    // ticket.
    std::uint64_t join_locked(const std::vector<Topic *> &joined) {
        std::size_t k = home_loop();
        std::uint64_t ticket = (next_ticket++ << kLoopBits) | k;
        std::vector<TopicSlot *> slots;
        slots.reserve(joined.size());
        for (Topic *t : joined) slots.push_back(&t->slots[k]);
        // Under the lock that orders publishes: every frame after this replay reaches the ticket.
        streamers[k]->post_join(ticket, std::move(slots));
        return ticket;
    }
    Streamer *streamer_of(std::uint64_t ticket) {
        std::size_t k = ticket & kLoopMask;
        return k < streamers.size() ? streamers[k].get() : nullptr;
    }
    std::size_t subscribers() const {
        std::size_t n = 0;
        for (const auto &s : streamers) n += s->subscribers();
        return n;
    }
    // REQUIRES: mu held. Whether `fresh` more topics fit under max_topics, reclaiming idle ones
    // (no subscriber; history empty or older than topic_ttl) when they do not.
    bool room_for(std::size_t fresh) {
        if (topics.size() + fresh <= limits.max_topics) return true;
        reclaim_locked();
        return topics.size() + fresh <= limits.max_topics;
    }
    void reclaim_locked() {
        const auto now = std::chrono::steady_clock::now();
        std::vector<std::string_view> idle;
        for (const auto &[name, t] : topics)
            if (t->subscribers() == 0 && now >= t->held_until &&
                (t->ring.empty() || now - t->last_active >= limits.topic_ttl))
                idle.push_back(name);
        for (std::string_view name : idle) {
            auto node = topics.extract(topics.find(name));
            Topic &t = *node.mapped();
            history_frames.fetch_sub(t.ring.size(), std::memory_order_relaxed);
            history_bytes.fetch_sub(t.ring.bytes(), std::memory_order_relaxed);
            if (!t.ring.empty()) reclaimed_upto = std::max(reclaimed_upto, t.ring.back()->seq);
            // Freed once every streamer has fanned out the frames already posted for it: each
            // holds a reference until its release command runs.
            std::shared_ptr<Topic> gone(std::move(node.mapped()));
            for (auto &s : streamers) s->post_release(gone);
        }
        topics_reclaimed.fetch_add(idle.size(), std::memory_order_relaxed);
        topic_count.store(topics.size(), std::memory_order_relaxed);
    }

    // Whether a streamer is so far behind that `frames` more must wait (backpressure:
    // HubLimits::max_inbox, max_inbox_deliveries, each loop's inbox held to them).
    bool behind(std::size_t frames = 1) const {
        for (const auto &s : streamers)
            if (s->inbox_size() + frames > limits.max_inbox || s->inbox_deliveries() >= limits.max_inbox_deliveries)
                return true;
        return false;
    }
    static PublishResult busy() {
        PublishResult r{Status::unavailable("hub busy: delivery is behind; retry shortly"), {}, 0, 0};
        r.retry_after = std::chrono::seconds(1);
        return r;
    }
    // REQUIRES: mu held, every request checked (check_publish). Hub::admit's rule: ok, or the
    // refusal, with `failed` the index publish_batch reports (0 when no request is to blame).
    // With `hold`, on ok the requests' topics exist and are held for limits.admit_hold.
    PublishResult admit_publish_locked(std::span<const PublishRequest> reqs, std::size_t &failed, bool hold);
    // REQUIRES: mu held, names valid. Whether one more subscriber of `names` may join (not
    // draining, subscriber and topic limits); on success `topics` holds their Topics, in the
    // order of `names`, created as needed.
    Status admit_locked(const std::vector<std::string_view> &names, std::vector<Topic *> &topics);
    // subscribe() and subscribe_from_start(): the replay starts after `last_event_id` (see
    // hub.hpp), or at the oldest retained frame when `from_start`.
    SubscribeResult subscribe(const std::vector<std::string> &names, std::string_view last_event_id, bool from_start);

    HubLimits limits;
    Logger log;
    const std::uint64_t epoch;

    mutable std::mutex mu;  // orders publishes and subscribes; guards everything below it
    std::unordered_map<std::string, std::unique_ptr<Topic>, StringHash, std::equal_to<>> topics;
    std::uint64_t next_seq = 1;
    std::uint64_t next_ticket = 1;
    // The newest seq a reclaimed topic held: a topic created later treats everything up to it
    // as evicted, so a client resuming from before it is told of a gap, never misses silently.
    std::uint64_t reclaimed_upto = 0;
    bool draining = false;

    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> topics_reclaimed{0};
    std::atomic<std::size_t> topic_count{0};
    std::atomic<std::size_t> history_frames{0};
    std::atomic<std::size_t> history_bytes{0};

    // Last: destroyed first, so their threads stop before the topics they point into go away.
    // One per loop; tickets name theirs (kLoopBits).
    std::vector<std::unique_ptr<Streamer>> streamers;
};

PublishResult Hub::Impl::publish_locked(PublishRequest &req, Signals &signals) {
    Topic *t = find_topic(req.topic);
    if (!t) {
        t = create_topic(req.topic);
        topic_count.store(topics.size(), std::memory_order_relaxed);
    }
    if (!req.key.empty())
        if (const Frame *original = t->ring.find_key(req.key)) {
            PublishResult dup{Status::ok(), original->id, original->seq, 0};
            dup.duplicate = true;
            return dup;
        }
    std::optional<StreamId> sid;
    if (limits.stream_ids && !req.id.empty()) {
        sid = parse_stream_id(req.id);
        if (sid && t->newest_stream_id && *sid <= *t->newest_stream_id) {
            PublishResult dup{Status::ok(), std::move(req.id), 0, t->subscribers()};
            dup.duplicate = true;
            return dup;
        }
    }
    std::uint64_t seq = next_seq++;
    bool minted = req.id.empty() && !req.no_id;
    Event e{std::move(req.type), std::move(req.data), std::move(req.id), req.retry};
    // The id carries the seq, so minting (and the encoding that includes it) happens under
    // the lock that assigns seqs; the encoder is a single pass over the data.
    if (minted) append_event_id(EventId{epoch, seq}, e.id);
    FramePtr f;
    if (auto s = make_frame(seq, t->name, e, f, std::move(req.key)); !s) {
        // Unreachable: the request was checked before the lock was taken.
        --next_seq;
        return PublishResult{s, {}, 0, 0};
    }
    std::size_t frames_before = t->ring.size(), bytes_before = t->ring.bytes();
    if (limits.stream_ids) {
        // Remember what the push evicts, so subscribe_after() can tell a gap.
        const FramePtr *gone = t->ring.capacity() == 0 ? &f : t->ring.size() == t->ring.capacity() ? &t->ring.front() : nullptr;
        if (gone)
            if (auto g = parse_stream_id((*gone)->id); g && (!t->evicted_stream_id || *g > *t->evicted_stream_id))
                t->evicted_stream_id = g;
        if (sid) t->newest_stream_id = sid;
    }
    t->ring.push(f, !minted && !e.id.empty());
    history_frames.fetch_add(t->ring.size() - frames_before, std::memory_order_relaxed);
    history_bytes.fetch_add(t->ring.bytes() - bytes_before, std::memory_order_relaxed);
    ++t->published;
    t->last_id = e.id;
    t->last_active = std::chrono::steady_clock::now();
    published.fetch_add(1, std::memory_order_relaxed);
    PublishResult r{Status::ok(), std::move(e.id), seq, t->subscribers()};
    post_frame(*t, f, signals);
    return r;
}

Hub::Hub(HubLimits limits, Logger log, StreamLoops loops)
    : impl_(std::make_unique<Impl>(limits, std::move(log), loops)) {}

Hub::~Hub() = default;

PublishResult Hub::Impl::admit_publish_locked(std::span<const PublishRequest> reqs, std::size_t &failed, bool hold) {
    failed = 0;
    if (behind(reqs.size())) return busy();
    // Count the topics the requests would create, so a batch fails before anything is published.
    std::vector<std::string_view> fresh;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        std::string_view name = reqs[i].topic;
        if (find_topic(name) || std::find(fresh.begin(), fresh.end(), name) != fresh.end()) continue;
        fresh.push_back(name);
        if (!room_for(fresh.size())) {
            failed = i;
            return PublishResult{Status::unavailable("topic limit reached (" + std::to_string(limits.max_topics) + ")"),
                                 {}, 0, 0};
        }
    }
    failed = reqs.size();
    if (hold) {
        // The room just counted stays taken until the events come back (or the hold ends),
        // so the next admission sees it: sequential publishes answer as the in-process bus.
        const auto until = std::chrono::steady_clock::now() + limits.admit_hold;
        for (const auto &r : reqs) {
            Topic *t = find_topic(r.topic);
            if (!t) t = create_topic(r.topic);
            t->held_until = std::max(t->held_until, until);
        }
        topic_count.store(topics.size(), std::memory_order_relaxed);
    }
    return PublishResult{Status::ok(), {}, 0, 0};
}

PublishResult Hub::admit(std::span<const PublishRequest> reqs, std::size_t *failed_index) {
    for (std::size_t i = 0; i < reqs.size(); ++i)
        if (auto s = check_publish(reqs[i]); !s) {
            if (failed_index) *failed_index = i;
            return PublishResult{s, {}, 0, 0};
        }
    std::size_t failed = 0;
    std::lock_guard lock(impl_->mu);
    PublishResult r = impl_->admit_publish_locked(reqs, failed, true);
    if (failed_index) *failed_index = failed;
    return r;
}

std::size_t Hub::subscribers_of(std::string_view topic) const {
    std::lock_guard lock(impl_->mu);
    const Topic *t = impl_->find_topic(topic);
    return t ? t->subscribers() : 0;
}

PublishResult Hub::publish(PublishRequest req) {
    if (auto s = check_publish(req); !s) return PublishResult{s, {}, 0, 0};
    make_data_valid_utf8(req);
    // Declared before the lock, so its wake-ups happen after the lock is released.
    Impl::Signals signals(*impl_);
    std::lock_guard lock(impl_->mu);
    std::size_t failed = 0;
    if (PublishResult refused = impl_->admit_publish_locked({&req, 1}, failed, false); !refused.status) return refused;
    return impl_->publish_locked(req, signals);
}

std::vector<PublishResult> Hub::publish_batch(std::vector<PublishRequest> reqs, std::size_t *failed_index) {
    auto fail = [&](std::size_t i, PublishResult r) {
        if (failed_index) *failed_index = i;
        return std::vector<PublishResult>{std::move(r)};
    };
    for (std::size_t i = 0; i < reqs.size(); ++i)
        if (auto s = check_publish(reqs[i]); !s) return fail(i, PublishResult{std::move(s), {}, 0, 0});
    for (auto &r : reqs) make_data_valid_utf8(r);
    std::vector<PublishResult> results;
    results.reserve(reqs.size());
    Impl::Signals signals(*impl_);  // before the lock: see publish()
    std::lock_guard lock(impl_->mu);
    std::size_t failed = 0;
    if (PublishResult refused = impl_->admit_publish_locked(reqs, failed, false); !refused.status)
        return fail(failed, std::move(refused));
    for (auto &r : reqs) results.push_back(impl_->publish_locked(r, signals));
    if (failed_index) *failed_index = reqs.size();
    return results;
}

Status Hub::Impl::admit_locked(const std::vector<std::string_view> &names, std::vector<Topic *> &out) {
    if (draining) return Status::unavailable("shutting down");
    if (subscribers() >= limits.max_subscribers)
        return Status::unavailable("subscriber limit reached (" + std::to_string(limits.max_subscribers) + ")");
    auto count_fresh = [&] {
        std::size_t n = 0;
        for (auto name : names)
            if (!find_topic(name)) ++n;
        return n;
    };
    std::size_t fresh = count_fresh();
    // room_for() may reclaim some of `names` themselves (idle), so count again after it.
    if (fresh > 0 && (!room_for(fresh) || topics.size() + count_fresh() > limits.max_topics))
        return Status::unavailable("topic limit reached (" + std::to_string(limits.max_topics) + ")");
    out.clear();
    for (auto n : names) {
        Topic *t = find_topic(n);
        out.push_back(t ? t : create_topic(n));
    }
    topic_count.store(topics.size(), std::memory_order_relaxed);
    return Status::ok();
}

SubscribeResult Hub::subscribe(const std::vector<std::string> &names, std::string_view last_event_id) {
    return impl_->subscribe(names, last_event_id, false);
}

SubscribeResult Hub::subscribe_from_start(const std::vector<std::string> &names) {
    return impl_->subscribe(names, {}, true);
}

SubscribeResult Hub::Impl::subscribe(const std::vector<std::string> &names, std::string_view last_event_id,
                                     bool from_start) {
    SubscribeResult res;
    if (names.empty()) {
        res.status = Status::invalid_argument("no topic given");
        return res;
    }
    std::vector<std::string_view> wanted;
    for (const auto &n : names) {
        if (res.status = check_topic(n); !res.status) return res;
        // A topic named twice is subscribed once, or every frame would be sent twice.
        if (std::find(wanted.begin(), wanted.end(), n) == wanted.end()) wanted.push_back(n);
    }

    std::lock_guard lock(mu);
    std::vector<Topic *> joined;
    if (res.status = admit_locked(wanted, joined); !res.status) return res;

    if (from_start || !last_event_id.empty()) {
        // Resume policy: see hub.hpp. From the start is "after seq 0", which nothing evicts
        // in a way the client did not ask for.
        std::optional<std::uint64_t> pos;
        if (from_start) pos = 0;
        else
            for (Topic *t : joined)
                if (auto seq = t->ring.find_id(last_event_id); seq && (!pos || *seq > *pos)) pos = seq;
        if (!pos) {
            IdPosition where = locate_event_id(last_event_id, epoch, next_seq);
            if (where.kind == IdPosition::Kind::this_run)
                pos = where.seq;
            else
                res.gap = Gap{where.kind == IdPosition::Kind::earlier_run ? Gap::Reason::earlier_run
                                                                          : Gap::Reason::unknown,
                              std::string(last_event_id)};
        }
        if (pos && !from_start)
            for (Topic *t : joined)
                if (t->ring.evicted_upto() > *pos) res.gap = Gap{Gap::Reason::evicted, std::string(last_event_id)};
        std::uint64_t after = pos.value_or(0);
        for (Topic *t : joined) t->ring.append_after(after, res.replay);
        if (joined.size() > 1)
            std::sort(res.replay.begin(), res.replay.end(),
                      [](const FramePtr &a, const FramePtr &b) { return a->seq < b->seq; });
    }

    res.ticket = join_locked(joined);
    return res;
}

SubscribeResult Hub::subscribe_after(const std::vector<std::string> &names, const std::vector<StreamId> &after) {
    SubscribeResult res;
    if (names.empty() || names.size() != after.size()) {
        res.status = Status::invalid_argument("no topic given");
        return res;
    }
    for (const auto &n : names)
        if (res.status = check_topic(n); !res.status) return res;

    auto &im = *impl_;
    std::lock_guard lock(im.mu);
    std::vector<Topic *> topics;
    if (res.status = im.admit_locked({names.begin(), names.end()}, topics); !res.status) return res;
    std::vector<Topic *> joined;
    for (std::size_t i = 0; i < names.size(); ++i) {
        Topic *t = topics[i];
        // A topic named twice is subscribed once, or every frame would be sent twice.
        if (std::find(joined.begin(), joined.end(), t) != joined.end()) continue;
        if (t->evicted_stream_id && *t->evicted_stream_id > after[i])
            res.gap = Gap{Gap::Reason::evicted, format_stream_id(after[i])};
        // Newest first until a frame at or before the bound: stream ids increase in the ring.
        std::size_t first = t->ring.size();
        while (first > 0) {
            auto sid = parse_stream_id(t->ring.at(first - 1)->id);
            if (sid && *sid <= after[i]) break;
            --first;
        }
        for (std::size_t k = first; k < t->ring.size(); ++k) res.replay.push_back(t->ring.at(k));
        joined.push_back(t);
    }
    if (names.size() > 1)
        std::sort(res.replay.begin(), res.replay.end(),
                  [](const FramePtr &a, const FramePtr &b) { return a->seq < b->seq; });
    res.ticket = im.join_locked(joined);
    return res;
}

void Hub::adopt(std::uint64_t ticket, int fd) {
    // On the loop that handled the subscription (the usual case) the activation is owed to
    // that loop's own turn: no thread is woken, the socket stays on its thread.
    if (Streamer *s = impl_->streamer_of(ticket))
        s->post_activate(ticket, fd);
    else
        ::close(fd);
}

void Hub::cancel(std::uint64_t ticket) {
    if (Streamer *s = impl_->streamer_of(ticket)) s->post_cancel(ticket);
}

void Hub::drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter, std::chrono::milliseconds deadline) {
    auto until = std::chrono::steady_clock::now() + deadline;
    {
        std::lock_guard lock(impl_->mu);
        impl_->draining = true;
        for (auto &s : impl_->streamers) s->post_drain(base, jitter);
    }
    // Shutdown only: a short poll keeps the streamers free of a condition to signal.
    while (impl_->subscribers() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (auto &s : impl_->streamers)
        if (s->subscribers() > 0) s->post_close_all();
}

HubStats Hub::stats() const {
    HubStats s;
    s.subscribers = impl_->subscribers();
    s.topics = impl_->topic_count.load(std::memory_order_relaxed);
    s.published = impl_->published.load(std::memory_order_relaxed);
    s.topics_reclaimed = impl_->topics_reclaimed.load(std::memory_order_relaxed);
    for (const auto &st : impl_->streamers) {
        s.delivered += st->delivered();
        s.slow_consumers_dropped += st->slow_consumers_dropped();
    }
    s.history_frames = impl_->history_frames.load(std::memory_order_relaxed);
    s.history_bytes = impl_->history_bytes.load(std::memory_order_relaxed);
    return s;
}

std::vector<TopicInfo> Hub::topics() const {
    std::vector<TopicInfo> out;
    {
        std::lock_guard lock(impl_->mu);
        out.reserve(impl_->topics.size());
        for (const auto &[name, t] : impl_->topics)
            out.push_back(TopicInfo{name, t->subscribers(), t->ring.size(),
                                    t->published, t->last_id});
    }
    std::sort(out.begin(), out.end(), [](const TopicInfo &a, const TopicInfo &b) { return a.name < b.name; });
    return out;
}

Status Hub::health() const { return Status::ok(); }

std::vector<Metric> Hub::metrics() const {
    HubStats s = stats();
    return {
        {"ssed_subscribers", "gauge", "Subscriber connections open now.", s.subscribers},
        {"ssed_topics", "gauge", "Topics that exist now.", s.topics},
        {"ssed_topics_reclaimed_total", "counter",
         "Idle topics removed to make room under --max-topics (no subscriber; no history newer than --topic-ttl).",
         s.topics_reclaimed},
        {"ssed_published_total", "counter", "Events published since start.", s.published},
        {"ssed_delivered_total", "counter",
         "Live events whose bytes were all written to a subscriber's socket (one per subscriber; not queued ones, "
         "not the replay a stream starts with).",
         s.delivered},
        {"ssed_slow_consumers_dropped_total", "counter",
         "Subscribers closed because their unsent backlog passed --max-backlog.", s.slow_consumers_dropped},
        {"ssed_history_frames", "gauge", "Events held in the per-topic history rings.", s.history_frames},
        {"ssed_history_bytes", "gauge", "Bytes held in the per-topic history rings.", s.history_bytes},
    };
}

std::uint64_t Hub::epoch() const { return impl_->epoch; }

Streamer &Hub::streamer(std::size_t k) { return *impl_->streamers.at(k); }

}  // namespace ssekit
