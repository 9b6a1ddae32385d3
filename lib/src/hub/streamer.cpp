#include "hub/streamer.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory_resource>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "base/unique_fd.hpp"

namespace ssekit {

namespace {

using Clock = std::chrono::steady_clock;

UniqueFd checked(int fd, const char *what) {
    if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
    return UniqueFd(fd);
}

// A peer that vanished without a FIN (a laptop closed, a NAT entry dropped) would hold its slot
// until TCP gives up retransmitting, ~15 minutes. A user timeout turns "nothing acknowledged for
// `t`" into an error: heartbeats keep data in flight, so a busy or heartbeating stream fails
// within about one heartbeat plus `t`. Keep-alive probes from t/2 on, a few before `t`, give an
// idle stream (heartbeats off) something to acknowledge too; with a user timeout set the kernel
// ends the connection once `t` has passed since the last ACK, whatever TCP_KEEPCNT says. Linux
// times zero-window probes alike, so a reader whose window stays shut for `t` is ended too.
// Best effort: not a TCP socket (a socketpair in tests), and the options fail harmlessly.
void set_peer_timeout(int fd, std::chrono::milliseconds t) {
    if (t.count() <= 0) return;  // 0: the kernel's own limits
    unsigned user_timeout_ms = static_cast<unsigned>(std::min<std::int64_t>(t.count(), INT_MAX));
    int idle_s = static_cast<int>(std::clamp<std::int64_t>((t.count() / 2 + 999) / 1000, 1, 32767));
    int interval_s = static_cast<int>(std::clamp<std::int64_t>(t.count() / 6000, 1, 32767));
    int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
    (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
}

// The innermost Streamer::Home of this thread.
thread_local Streamer *tl_home = nullptr;

// Subscribers a loop writes to per turn (see turn()).
constexpr std::size_t kWritesPerTurn = 16;

}  // namespace

// What the streamer knows about one subscriber. Kept small: 10,000 idle subscribers
// must stay within a few KB each, so no buffers beyond the frame queue, which is released
// whenever it empties after a burst. It and its member list live in the streamer's pool
// (see Impl::pool_), not among the connection's short-lived allocations.
struct StreamSubscriber {
    explicit StreamSubscriber(std::pmr::memory_resource *pool) : topics(pool) {}
    enum class State : std::uint8_t { pending, active, closing, dead };
    struct Membership {
        TopicSlot *topic;
        std::size_t pos;  // index in topic->members_, kept current for O(1) removal
    };

    std::uint64_t ticket = 0;
    UniqueFd fd;
    State state = State::pending;
    bool dirty = false;       // in the flush list of this loop iteration
    bool blocked = false;     // the last write hit EAGAIN; wait for EPOLLOUT
    bool overflowed = false;  // backlog passed the limit before the socket arrived
    std::pmr::vector<Membership> topics;
    std::vector<FramePtr> queue;  // unsent frames from index `head`
    std::size_t head = 0;
    std::size_t offset = 0;   // bytes of queue[head] already written
    std::size_t backlog = 0;  // unsent bytes
    Clock::time_point last_write;  // or the join time while pending
    Clock::time_point close_by = Clock::time_point::max();  // dropped as slow: closed then at the latest

    bool live() const { return state == State::pending || state == State::active; }
};

namespace {

// Frees a subscriber into the pool it came from.
struct PoolDelete {
    std::pmr::memory_resource *pool;
    void operator()(StreamSubscriber *s) const { std::pmr::polymorphic_allocator<StreamSubscriber>(pool).delete_object(s); }
};
using SubscriberPtr = std::unique_ptr<StreamSubscriber, PoolDelete>;

struct Command {
    enum class Kind : std::uint8_t { frame, join, activate, cancel, drain, close_all, stop, release };
    explicit Command(Kind k) : kind(k) {}
    Kind kind;
    std::uint32_t deliveries = 0;  // frame only: the topic's subscribers when it was posted
    TopicSlot *topic = nullptr;
    FramePtr frame;
    std::uint64_t ticket = 0;
    int fd = -1;
    std::unique_ptr<std::vector<TopicSlot *>> topics;  // join only; keeps frame commands small
    std::chrono::milliseconds base{0}, jitter{0};     // drain only
    std::shared_ptr<void> released;                   // release only: freed once it has run
};

}  // namespace

struct Streamer::Impl {
    Impl(Streamer &owner, StreamerLimits limits, Logger log, bool own_thread);
    ~Impl();

    // Pushes `c`; returns whether the inbox was empty, i.e. whether this post must see the
    // inbox taken (see the note above push()).
    bool push(Command c);
    // Pushes `c`; true when the caller must wake() the driver: the post found the inbox empty
    // and was made off the driver's thread (on it, the driver owes itself a take instead).
    bool post_unsignalled(Command c);
    void post(Command c) {
        if (post_unsignalled(std::move(c))) wake();
    }
    void wake();
    bool on_driver() const { return std::this_thread::get_id() == driver_.load(std::memory_order_relaxed); }
    void run();  // a thread of its own drives: until the stop command
    void turn(bool ready);

    // The driver's thread only, below.
    void handle_events(int n);
    void take_inbox();
    // Writes to at most `budget` of the subscribers with bytes to send, oldest first; the rest
    // wait for the next turn (writes_pending()).
    void flush_dirty(std::size_t budget = SIZE_MAX);
    bool writes_pending() const { return dirty_head_ < dirty_.size(); }
    // Frees the closed subscribers no list names any more.
    void free_closed() {
        std::erase_if(graveyard_, [](const SubscriberPtr &s) { return !s->dirty; });
    }
    void run_command(Command &c);
    void fan_out(TopicSlot &topic, const FramePtr &f);
    void join(std::uint64_t ticket, std::vector<TopicSlot *> &topics);
    void activate(std::uint64_t ticket, int fd);
    void drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter);
    void start_closing(StreamSubscriber &s);
    void enqueue(StreamSubscriber &s, FramePtr f);
    void flush(StreamSubscriber &s);
    void consume(StreamSubscriber &s, std::size_t n);
    void on_socket_event(StreamSubscriber &s, std::uint32_t events);
    bool discard_input(StreamSubscriber &s);  // false when the peer closed or failed
    void on_tick();
    void drop_slow(StreamSubscriber &s);
    void leave_topics(StreamSubscriber &s);
    void close_sub(StreamSubscriber &s);
    void mark_dirty(StreamSubscriber &s);

    Streamer &owner_;
    StreamerLimits limits_;
    Logger log_;
    UniqueFd epoll_, wake_, timer_;
    std::chrono::milliseconds tick_{1000};

    std::mutex inbox_mu_;
    std::vector<Command> inbox_;  // guarded by inbox_mu_
    // The thread that drives: its own thread, or the loop that attached; none before either
    // (posts then always wake). Read by posters to tell whether they are the driver.
    std::atomic<std::thread::id> driver_{};

    // Everything below belongs to the driver.
    bool owed_self_ = false;     // the driver posted onto an empty inbox: its next turn takes it
    std::vector<Command> work_;  // the swapped-out inbox, reused
    std::vector<epoll_event> events_ = std::vector<epoll_event>(256);
    // Where what outlives a connection's request is allocated: the subscribers, their member
    // lists and the map's nodes. Apart from the request's buffers (freed after the hand-over),
    // so those free into whole pages the allocator can give back; mixed with them, each idle
    // subscriber kept ~0.4 KB of freed request memory pinned (0.6 KB RSS for 0.2 KB live).
    std::pmr::unsynchronized_pool_resource pool_;
    std::pmr::unordered_map<std::uint64_t, SubscriberPtr> subs_{&pool_};
    std::vector<StreamSubscriber *> dirty_;  // to write to, from dirty_head_ on
    std::size_t dirty_head_ = 0;
    // Closed subscribers, freed at the end of the turn (events fetched earlier in it may still
    // name them), or once no longer in dirty_.
    std::vector<SubscriberPtr> graveyard_;
    std::vector<iovec> iov_;
    FramePtr heartbeat_ = make_comment_frame("");
    FramePtr slow_notice_ = make_comment_frame("slow consumer, resume with Last-Event-ID");
    FramePtr last_chunk_ = make_last_chunk_frame();
    bool draining_ = false;
    std::chrono::milliseconds drain_base_{0}, drain_jitter_{0};
    std::mt19937_64 rng_{std::random_device{}()};
    Clock::time_point now_ = Clock::now();  // set by the driver when it starts a turn
    bool stop_ = false;
    std::thread thread_;  // last: starts after every member above is ready
};

Streamer::Impl::Impl(Streamer &owner, StreamerLimits limits, Logger log, bool own_thread)
    : owner_(owner), limits_(limits), log_(std::move(log)) {
    epoll_ = checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
    wake_ = checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd");
    timer_ = checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd_create");
    // The tick serves heartbeats and ticket expiry; half the heartbeat keeps every silence
    // under one heartbeat interval.
    auto want = limits_.adopt_timeout / 2;
    if (limits_.heartbeat.count() > 0) want = std::min(want, limits_.heartbeat / 2);
    tick_ = std::clamp(want, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
    itimerspec its{};
    its.it_interval.tv_sec = tick_.count() / 1000;
    its.it_interval.tv_nsec = (tick_.count() % 1000) * 1000000;
    its.it_value = its.it_interval;
    if (::timerfd_settime(timer_.get(), 0, &its, nullptr) < 0)
        throw std::system_error(errno, std::generic_category(), "timerfd_settime");
    // Level-triggered: both are drained by one read each time they fire.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &wake_;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) < 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    ev.data.ptr = &timer_;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &ev) < 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    iov_.resize(IOV_MAX);
    if (own_thread) thread_ = std::thread([this] { run(); });
}

Streamer::Impl::~Impl() {
    if (thread_.joinable()) {
        push(Command(Command::Kind::stop));
        wake();  // always: the stop must be taken even if the inbox held other commands
        thread_.join();
    }
    // Commands never taken may still own sockets.
    for (auto &cmd : inbox_)
        if (cmd.kind == Command::Kind::activate && cmd.fd >= 0) ::close(cmd.fd);
}

// No lost wake-up. Whoever pushes onto an EMPTY inbox is "owed": it must make sure that the
// inbox is taken after its push. Pushes onto a non-empty inbox rely on the owed post before
// them, since whoever takes the inbox takes everything in it. An owed post
//  (a) made on the driver's thread sets owed_self_, and the driver takes the inbox in the
//      turn() that ends its loop iteration, before it waits again (its own thread, which never
//      posts but the stop, checks before each wait too);
//  (b) made on any other thread writes the eventfd after its push (post(), or signal() once
//      the poster has released its lock). The driver reads the eventfd and only then swaps.
//      If its read came after the write, its swap comes after the push; if before, the write
//      leaves the eventfd readable and (level-triggered) the next epoll_wait returns at once.
// Order: only the driver swaps, and it runs each batch before the next swap, so commands run
// in the order they were pushed.
bool Streamer::Impl::push(Command c) {
    bool was_empty;
    {
        std::lock_guard lock(inbox_mu_);
        was_empty = inbox_.empty();
        inbox_.push_back(std::move(c));
    }
    owner_.inbox_size_.fetch_add(1, std::memory_order_relaxed);
    return was_empty;
}

bool Streamer::Impl::post_unsignalled(Command c) {
    // A burst costs one wake-up: only the post that finds the inbox empty is owed.
    if (!push(std::move(c))) return false;
    if (!on_driver()) return true;
    owed_self_ = true;
    return false;
}

void Streamer::Impl::wake() {
    std::uint64_t one = 1;
    while (::write(wake_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void Streamer::Impl::flush_dirty(std::size_t budget) {
    // By index: nothing flush() does adds to dirty_, but the vector may not move under us.
    std::size_t i = dirty_head_;
    for (; i < dirty_.size() && budget > 0; ++i, --budget) {
        StreamSubscriber *s = dirty_[i];
        s->dirty = false;
        if (s->state == StreamSubscriber::State::active || s->state == StreamSubscriber::State::closing)
            flush(*s);
    }
    dirty_head_ = i;
    if (dirty_head_ == dirty_.size()) {
        dirty_.clear();
        dirty_head_ = 0;
    } else if (dirty_head_ >= 1024 && dirty_head_ * 2 >= dirty_.size()) {
        dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(dirty_head_));
        dirty_head_ = 0;
    }
}

void Streamer::Impl::run() {
    driver_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    while (!stop_) {
        if (owed_self_ || writes_pending()) {  // left by the loop that detached
            if (std::exchange(owed_self_, false)) take_inbox();
            flush_dirty();
            free_closed();
            continue;
        }
        int n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            log_.error(std::string("epoll_wait: ") + std::strerror(errno));
            break;
        }
        now_ = Clock::now();
        handle_events(n);
        flush_dirty();
        free_closed();
    }
}

void Streamer::Impl::turn(bool ready) {
    // The common case in a loop iteration: nothing here.
    if (!ready && !owed_self_ && !writes_pending()) return;
    now_ = Clock::now();
    if (ready) {
        int n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), 0);
        if (n > 0) handle_events(n);
    }
    if (owed_self_) {
        owed_self_ = false;
        take_inbox();
    }
    // A slice of the writes, then back to the loop's requests: a fan-out to thousands does
    // not hold up the publishers' answers, and while the loop answers them their frames join
    // the queues of the subscribers not yet written to, which then take several frames in one
    // sendmsg (the batching a streaming thread of its own got by running beside the loop).
    flush_dirty(kWritesPerTurn);
    free_closed();
}

void Streamer::Impl::handle_events(int n) {
    for (int i = 0; i < n; ++i) {
        void *p = events_[i].data.ptr;
        if (p == &wake_) {
            std::uint64_t count;
            // Read the eventfd before swapping the inbox, so no post is left unsignalled.
            while (::read(wake_.get(), &count, sizeof count) < 0 && errno == EINTR) {
            }
            take_inbox();
        } else if (p == &timer_) {
            std::uint64_t expirations;
            while (::read(timer_.get(), &expirations, sizeof expirations) < 0 && errno == EINTR) {
            }
            on_tick();
        } else {
            // Still allocated even if closed since: subscribers are freed at the end of the
            // turn, after the events of this epoll_wait.
            auto &s = *static_cast<StreamSubscriber *>(p);
            if (s.state != StreamSubscriber::State::dead) on_socket_event(s, events_[i].events);
        }
    }
}

void Streamer::Impl::take_inbox() {
    {
        std::lock_guard lock(inbox_mu_);
        work_.swap(inbox_);
    }
    owner_.inbox_size_.fetch_sub(work_.size(), std::memory_order_relaxed);
    std::size_t deliveries = 0;
    for (const auto &c : work_) deliveries += c.deliveries;
    owner_.inbox_deliveries_.fetch_sub(deliveries, std::memory_order_relaxed);
    for (auto &c : work_) run_command(c);
    work_.clear();
    // After a burst, give the memory back (the vectors swap, so both would keep it).
    if (work_.capacity() > 65536) std::vector<Command>().swap(work_);
}

void Streamer::Impl::run_command(Command &c) {
    switch (c.kind) {
    case Command::Kind::frame:
        fan_out(*c.topic, c.frame);
        break;
    case Command::Kind::join:
        join(c.ticket, *c.topics);
        break;
    case Command::Kind::activate:
        activate(c.ticket, std::exchange(c.fd, -1));
        break;
    case Command::Kind::cancel:
        if (auto it = subs_.find(c.ticket); it != subs_.end()) close_sub(*it->second);
        break;
    case Command::Kind::drain:
        drain(c.base, c.jitter);
        break;
    case Command::Kind::close_all: {
        std::vector<StreamSubscriber *> all;
        for (auto &[ticket, s] : subs_) all.push_back(s.get());
        for (auto *s : all) close_sub(*s);
        break;
    }
    case Command::Kind::stop:
        stop_ = true;
        break;
    case Command::Kind::release:
        c.released.reset();  // every earlier command (frames naming its slot) has run
        break;
    }
}

void Streamer::Impl::fan_out(TopicSlot &topic, const FramePtr &f) {
    // Iterate by index: a write error inside enqueue() may close a member and shrink the list.
    for (std::size_t i = 0; i < topic.members_.size();) {
        StreamSubscriber *s = topic.members_[i];
        if (s->live()) enqueue(*s, f);
        if (i < topic.members_.size() && topic.members_[i] == s) ++i;
    }
}

void Streamer::Impl::join(std::uint64_t ticket, std::vector<TopicSlot *> &topics) {
    SubscriberPtr s(std::pmr::polymorphic_allocator<StreamSubscriber>(&pool_).new_object<StreamSubscriber>(&pool_),
                    PoolDelete{&pool_});
    s->ticket = ticket;
    s->last_write = now_;
    s->topics.reserve(topics.size());
    for (TopicSlot *t : topics) {
        s->topics.push_back({t, t->members_.size()});
        t->members_.push_back(s.get());
    }
    subs_.emplace(ticket, std::move(s));
}

void Streamer::Impl::activate(std::uint64_t ticket, int raw_fd) {
    UniqueFd fd(raw_fd);
    auto it = subs_.find(ticket);
    if (it == subs_.end() || it->second->state != StreamSubscriber::State::pending) {
        log_.debug("adopt: ticket " + std::to_string(ticket) + " is gone; closing its socket");
        return;
    }
    StreamSubscriber &s = *it->second;
    int flags = ::fcntl(fd.get(), F_GETFL);
    // A loop's socket is non-blocking already (accept4); others are made so.
    if (flags < 0 || (!(flags & O_NONBLOCK) && ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0)) {
        log_.warn(std::string("adopt: fcntl: ") + std::strerror(errno));
        close_sub(s);
        return;
    }
    // Without TCP_NODELAY back-to-back small events wait for the reader's delayed ACK.
    // Not a TCP socket (a socketpair in tests): the option fails harmlessly.
    int one = 1;
    (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_peer_timeout(fd.get(), limits_.peer_timeout);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &s;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev) < 0) {
        log_.warn(std::string("adopt: epoll_ctl: ") + std::strerror(errno));
        close_sub(s);
        return;
    }
    s.fd = std::move(fd);
    s.state = StreamSubscriber::State::active;
    s.last_write = now_;
    if (s.overflowed) {
        drop_slow(s);
        return;
    }
    if (draining_) start_closing(s);
    mark_dirty(s);
}

void Streamer::Impl::drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter) {
    draining_ = true;
    drain_base_ = base;
    drain_jitter_ = jitter;
    for (auto &[ticket, s] : subs_)
        if (s->state == StreamSubscriber::State::active) {
            start_closing(*s);
            mark_dirty(*s);
        }
}

void Streamer::Impl::start_closing(StreamSubscriber &s) {
    // Spread reconnects so a restart is not met by every client in the same millisecond.
    std::uniform_int_distribution<std::int64_t> spread(0, std::max<std::int64_t>(0, drain_jitter_.count()));
    auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, drain_base_.count() + spread(rng_)));
    // Closing first: enqueue() then only queues, so nothing is closed under the caller's loop.
    s.state = StreamSubscriber::State::closing;
    enqueue(s, make_retry_frame(ms));
    enqueue(s, last_chunk_);
}

void Streamer::Impl::mark_dirty(StreamSubscriber &s) {
    if (!s.dirty) {
        s.dirty = true;
        dirty_.push_back(&s);
    }
}

void Streamer::Impl::enqueue(StreamSubscriber &s, FramePtr f) {
    s.backlog += f->chunk.size();
    s.queue.push_back(std::move(f));
    if (s.state == StreamSubscriber::State::pending) {
        if (s.backlog > limits_.max_backlog_bytes) {
            // No socket yet to write to: forget the frames; adopt() will tell the client.
            s.overflowed = true;
            s.queue = {};
            s.head = s.offset = s.backlog = 0;
        }
        return;
    }
    if (s.state == StreamSubscriber::State::closing) {
        mark_dirty(s);
        return;
    }
    if (s.backlog > limits_.max_backlog_bytes) {
        // A burst can pass the limit within one iteration; only bytes the socket refuses
        // make a consumer slow.
        if (!s.blocked) flush(s);
        if (s.state == StreamSubscriber::State::active && s.backlog > limits_.max_backlog_bytes) drop_slow(s);
        return;
    }
    mark_dirty(s);
}

void Streamer::Impl::flush(StreamSubscriber &s) {
    while (s.head < s.queue.size() && !s.blocked) {
        std::size_t count = 0;
        for (std::size_t i = s.head; i < s.queue.size() && count < iov_.size(); ++i, ++count) {
            const std::string &chunk = s.queue[i]->chunk;
            std::size_t skip = i == s.head ? s.offset : 0;
            iov_[count].iov_base = const_cast<char *>(chunk.data() + skip);
            iov_[count].iov_len = chunk.size() - skip;
        }
        msghdr msg{};
        msg.msg_iov = iov_.data();
        msg.msg_iovlen = count;
        // sendmsg rather than writev: MSG_NOSIGNAL, so a closed peer is EPIPE, not SIGPIPE.
        ssize_t n = ::sendmsg(s.fd.get(), &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                s.blocked = true;
                break;
            }
            log_.debug("subscriber " + std::to_string(s.ticket) + ": write: " + std::strerror(errno));
            close_sub(s);
            return;
        }
        s.last_write = now_;
        consume(s, static_cast<std::size_t>(n));
    }
    if (s.head == s.queue.size() && s.state == StreamSubscriber::State::closing) {
        // Unread input at close() makes the kernel send RST, which can destroy the final
        // chunk in the client's receive buffer; read it first.
        discard_input(s);
        close_sub(s);
    }
}

bool Streamer::Impl::discard_input(StreamSubscriber &s) {
    char buf[512];
    for (;;) {
        ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);  // false: EOF or error
    }
}

void Streamer::Impl::consume(StreamSubscriber &s, std::size_t n) {
    s.backlog -= n;
    // delivered() counts events whose last byte went out, not frames queued: a subscriber
    // that stops reading (and is dropped) must not count as delivered to.
    std::uint64_t written = 0;
    bool mid_frame = false;
    while (n > 0) {
        std::size_t left = s.queue[s.head]->chunk.size() - s.offset;
        if (n < left) {
            s.offset += n;
            mid_frame = true;
            break;
        }
        n -= left;
        written += s.queue[s.head]->seq != 0;  // not heartbeats, notices, retry: or the last chunk
        s.queue[s.head++].reset();
        s.offset = 0;
    }
    if (written) owner_.delivered_.fetch_add(written, std::memory_order_relaxed);
    if (mid_frame) return;
    if (s.head == s.queue.size()) {
        // Give back what a burst made the queue grow to; idle subscribers must stay small.
        if (s.queue.capacity() > 16)
            s.queue = {};
        else
            s.queue.clear();
        s.head = 0;
    } else if (s.head >= 64 && s.head * 2 >= s.queue.size()) {
        s.queue.erase(s.queue.begin(), s.queue.begin() + static_cast<std::ptrdiff_t>(s.head));
        s.head = 0;
    }
}

void Streamer::Impl::on_socket_event(StreamSubscriber &s, std::uint32_t events) {
    if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        close_sub(s);
        return;
    }
    // Subscribers have nothing to say after their request; read and ignore, and notice EOF.
    if ((events & EPOLLIN) && !discard_input(s)) {
        close_sub(s);
        return;
    }
    if (events & EPOLLOUT) {
        s.blocked = false;
        if (s.head < s.queue.size()) mark_dirty(s);
    }
}

void Streamer::Impl::on_tick() {
    // Collect first: sending or closing may erase from subs_.
    std::vector<StreamSubscriber *> expired, idle;
    for (auto &[ticket, sp] : subs_) {
        StreamSubscriber &s = *sp;
        if (s.state == StreamSubscriber::State::pending) {
            if (now_ - s.last_write >= limits_.adopt_timeout) expired.push_back(&s);
        } else if (s.state == StreamSubscriber::State::closing && now_ >= s.close_by) {
            expired.push_back(&s);  // a slow consumer's notice did not go out within the grace
        } else if (s.state == StreamSubscriber::State::active && limits_.heartbeat.count() > 0 &&
                   s.head == s.queue.size() && now_ - s.last_write + tick_ >= limits_.heartbeat) {
            // Sent when the silence would pass one heartbeat before the next tick.
            idle.push_back(&s);
        }
    }
    for (auto *s : idle)
        if (s->state == StreamSubscriber::State::active) enqueue(*s, heartbeat_);
    for (auto *s : expired) {
        log_.debug("subscriber " + std::to_string(s->ticket) +
                   (s->state == StreamSubscriber::State::pending ? " was never adopted; dropped"
                                                                 : ": the slow-consumer notice was not read; closed"));
        close_sub(*s);
    }
}

void Streamer::Impl::drop_slow(StreamSubscriber &s) {
    // The frames not yet begun are forgotten; the one begun is finished (a stream cut inside a
    // chunk would hide the notice), then the notice and the last chunk, so a subscriber that
    // reads again learns why the stream ended. They get drop_grace to go out, then the socket
    // is closed whatever is left (on_tick): memory stays at three frames, and a peer that never
    // reads again does not see the notice. It leaves its topics now: it gets nothing more.
    FramePtr partial = s.head < s.queue.size() && s.offset > 0 ? s.queue[s.head] : nullptr;
    std::size_t offset = partial ? s.offset : 0;
    s.queue = {};  // and the capacity a backlog made it grow to
    s.head = 0;
    s.offset = offset;
    s.backlog = 0;
    if (partial) {
        s.backlog = partial->chunk.size() - offset;
        s.queue.push_back(std::move(partial));
    }
    for (const FramePtr *f : {&slow_notice_, &last_chunk_}) {
        s.backlog += (*f)->chunk.size();
        s.queue.push_back(*f);
    }
    leave_topics(s);
    s.state = StreamSubscriber::State::closing;
    s.close_by = now_ + limits_.drop_grace;
    owner_.slow_dropped_.fetch_add(1, std::memory_order_relaxed);
    log_.debug("subscriber " + std::to_string(s.ticket) + " dropped as a slow consumer");
    // Written when the socket takes it (now, or on EPOLLOUT); closed once written.
    s.blocked = false;
    flush(s);
}

void Streamer::Impl::leave_topics(StreamSubscriber &s) {
    for (auto &m : s.topics) {
        // Swap-remove; the member moved into the hole learns its new position.
        auto &members = m.topic->members_;
        StreamSubscriber *last = members.back();
        members[m.pos] = last;
        if (last != &s)
            for (auto &lm : last->topics)
                if (lm.topic == m.topic) lm.pos = m.pos;
        members.pop_back();
        m.topic->subscribers.fetch_sub(1, std::memory_order_relaxed);
    }
    s.topics.clear();
}

void Streamer::Impl::close_sub(StreamSubscriber &s) {
    if (s.state == StreamSubscriber::State::dead) return;
    s.state = StreamSubscriber::State::dead;
    leave_topics(s);
    if (s.fd.get() >= 0) {
        // Deregister explicitly: if someone else still holds a duplicate of the fd, close()
        // alone would leave it registered, with a pointer to freed memory.
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.fd.get(), nullptr);
        s.fd.reset();
    }
    s.queue = {};
    owner_.subscribers_.fetch_sub(1, std::memory_order_relaxed);
    // Events later in this iteration may still point at it: free it at the end.
    auto it = subs_.find(s.ticket);
    graveyard_.push_back(std::move(it->second));
    subs_.erase(it);
}

// ---- Streamer: the public face ----

Streamer::Streamer(StreamerLimits limits, Logger log)
    : impl_(std::make_unique<Impl>(*this, limits, std::move(log), true)) {}

Streamer::Streamer(StreamerLimits limits, Logger log, Driven)
    : impl_(std::make_unique<Impl>(*this, limits, std::move(log), false)) {}

Streamer::~Streamer() = default;

int Streamer::poll_fd() const { return impl_->epoll_.get(); }

void Streamer::attach() { impl_->driver_.store(std::this_thread::get_id(), std::memory_order_relaxed); }

void Streamer::turn(bool ready) { impl_->turn(ready); }

bool Streamer::writes_pending() const { return impl_->writes_pending(); }

void Streamer::detach() {
    impl_->turn(false);
    // No driver until the new thread says so: a post in between wakes, which is always safe.
    impl_->driver_.store(std::thread::id(), std::memory_order_relaxed);
    impl_->thread_ = std::thread([im = impl_.get()] { im->run(); });
}

Streamer::Home::Home(Streamer &s) : previous_(tl_home) { tl_home = &s; }
Streamer::Home::~Home() { tl_home = previous_; }
Streamer *Streamer::home() { return tl_home; }

void Streamer::post_frame(TopicSlot &topic, FramePtr f) {
    if (post_frame_unsignalled(topic, std::move(f))) impl_->wake();
}

bool Streamer::post_frame_unsignalled(TopicSlot &topic, FramePtr f) {
    Command c(Command::Kind::frame);
    c.topic = &topic;
    c.frame = std::move(f);
    c.deliveries = count_deliveries(topic);
    return impl_->post_unsignalled(std::move(c));
}

void Streamer::signal() { impl_->wake(); }

std::uint32_t Streamer::count_deliveries(const TopicSlot &topic) {
    std::size_t n = topic.subscribers.load(std::memory_order_relaxed);
    auto d = static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
    inbox_deliveries_.fetch_add(d, std::memory_order_relaxed);
    return d;
}

void Streamer::post_join(std::uint64_t ticket, std::vector<TopicSlot *> topics) {
    subscribers_.fetch_add(1, std::memory_order_relaxed);
    for (TopicSlot *t : topics) t->subscribers.fetch_add(1, std::memory_order_relaxed);
    Command c(Command::Kind::join);
    c.ticket = ticket;
    c.topics = std::make_unique<std::vector<TopicSlot *>>(std::move(topics));
    impl_->post(std::move(c));
}

void Streamer::post_activate(std::uint64_t ticket, int fd) {
    Command c(Command::Kind::activate);
    c.ticket = ticket;
    c.fd = fd;
    impl_->post(std::move(c));
}

void Streamer::post_cancel(std::uint64_t ticket) {
    Command c(Command::Kind::cancel);
    c.ticket = ticket;
    impl_->post(std::move(c));
}

void Streamer::post_drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter) {
    Command c(Command::Kind::drain);
    c.base = base;
    c.jitter = jitter;
    impl_->post(std::move(c));
}

void Streamer::post_close_all() { impl_->post(Command(Command::Kind::close_all)); }

void Streamer::post_release(std::shared_ptr<void> owner) {
    Command c(Command::Kind::release);
    c.released = std::move(owner);
    impl_->post(std::move(c));
}

}  // namespace ssekit
