// A note on the streamer.
//
// A streamer owns a set of subscriber sockets (in ssed, those of one event loop) and writes
// frames to them with epoll(7). Other threads talk to it only through its inbox, a vector of
// commands that its driver (below) swaps out under a short lock; an eventfd wakes the driver,
// written only when the inbox was empty, so a burst of publishes costs one wake-up. Commands
// run in the order posted:
//  - join(ticket, topics): a subscriber exists from now on and queues every later frame of
//    its topics, before it has a socket; activate(ticket, fd) gives it one. Because the hub
//    posts joins and frames under the lock that assigns seqs, a subscriber sees each frame
//    after its replay exactly once.
//  - frame(topic, f): queued for every subscriber of the topic (a reference, not a copy).
// Per subscriber: a queue of FramePtr, an offset into the first, and the unsent byte count.
// Writes go out as sendmsg(2) of up to IOV_MAX frames; delivered() counts the events whose
// last byte the socket took (not those queued). A subscriber whose unsent bytes pass
// max_backlog_bytes (after trying to write) is dropped: counted once in
// slow_consumers_dropped(), it leaves its topics, its queued frames are forgotten except the
// one partly written, which is finished, and it is sent ": slow consumer, resume with
// Last-Event-ID" and the last chunk, then closed once they are written or drop_grace (plus up
// to a tick) has passed. A peer that reads again within the grace sees the notice and a clean
// end; one that does not may see neither (best effort), only the close. One that gets no bytes
// for `heartbeat` is sent ":\n\n". A ticket neither activated nor cancelled within
// adopt_timeout is dropped.
//
// Sockets are edge-triggered (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), registered once: the
// driver writes right after queueing, so EPOLLOUT only matters after a write hit EAGAIN, and
// edge triggering reports exactly that full-to-writable transition without an epoll_ctl(MOD)
// per backlog change. Peer close shows as EPOLLRDHUP/EPOLLHUP/EPOLLERR or read() == 0; bytes a
// subscriber sends are read and ignored.
//
// Who runs it. A streamer is driven by one thread at a time, its driver, which alone touches
// its state (subscribers, member lists, queues): either a thread of its own (the first
// constructor: a Hub alone, tests), or an event loop of the caller's (Driven: ssed, where each
// FrontDoor loop drives one streamer, so a subscription accepted by a loop streams from that
// loop's thread with no hand-over). A driving loop watches poll_fd() in its own epoll set and
// calls turn() once per iteration; when the loop ends it detach()es, and a thread of the
// streamer's own drives it from then on (a drain after the loops stopped still flushes).
// A post made on the driver thread itself (a publish or adoption the loop handles) writes no
// eventfd: it is owed to the driver, whose next turn() runs it, before the loop waits again.
// A turn writes to at most 16 subscribers, and the loop turns again without waiting while
// some are left: a large fan-out is written in slices between the loop's requests, so frames
// published meanwhile join the queues of the subscribers not yet written to and go out
// together, one sendmsg per subscriber for a burst.
//
// Thread safety: post_*, signal() and the counters may be called from any thread; attach(),
// turn() and detach() only by the driving loop's thread. Callers that need frames and joins
// ordered (the hub) must post them under one lock of their own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "hub/frame.hpp"
#include "ssekit/log.hpp"

namespace ssekit {

struct StreamSubscriber;  // private to streamer.cpp

// One topic as one streamer sees it (the hub keeps one per topic and streamer). Its owner keeps
// it at a stable address until the streamer is done with it (post_release). `subscribers` may
// be read by anyone; the member list belongs to the streamer's driver.
class TopicSlot {
public:
    std::atomic<std::size_t> subscribers{0};  // joined and not yet closed

private:
    friend class Streamer;
    std::vector<StreamSubscriber *> members_;
};

struct StreamerLimits {
    std::size_t max_backlog_bytes = 1 << 20;
    std::chrono::milliseconds heartbeat{15000};  // 0 = off
    std::chrono::milliseconds adopt_timeout{10000};
    std::chrono::milliseconds peer_timeout{60000};  // 0 = the kernel's default (see activate())
    // A dropped slow consumer's notice and last chunk may wait this long (and up to one tick
    // more) for the socket to take them; then it is closed whatever is left.
    std::chrono::milliseconds drop_grace{1000};
};

class Streamer {
public:
    // Starts a thread of its own that drives it. Throws std::system_error when
    // epoll/eventfd/timerfd cannot be made (both constructors).
    Streamer(StreamerLimits limits, Logger log);
    // Driven by the caller's event loop (attach, turn, detach); no thread until detach().
    struct Driven {};
    Streamer(StreamerLimits limits, Logger log, Driven);
    // Stops its thread if it has one and closes every socket (no final chunk; drain first for
    // that). REQUIRES: no loop drives it (never attached, or detached).
    ~Streamer();
    Streamer(const Streamer &) = delete;
    Streamer &operator=(const Streamer &) = delete;

    // ---- for the loop that drives a Driven streamer ----
    // Readable when the streamer has socket events, posts from other threads or a tick to
    // handle; watch it level-triggered.
    int poll_fd() const;
    // The calling thread drives the streamer from now on.
    void attach();
    // Runs what the driver owes (its own posts), then, when `ready` (poll_fd was readable),
    // what poll_fd reported, then writes to a slice of the subscribers with bytes to send;
    // never blocks. REQUIRES: the attached thread.
    void turn(bool ready);
    // Subscribers are left to write to: the loop must turn() again without waiting.
    // REQUIRES: the attached thread.
    bool writes_pending() const;
    // The loop ends: runs what it owes, and a thread of the streamer's own drives it from now
    // on. REQUIRES: the attached thread; called once.
    void detach();

    // Subscriptions made on this thread while a Home lives join `s` (Hub::subscribe asks
    // home()): a loop's thread and its workers set one, so a stream stays on the loop that
    // accepted its connection. Scoped, nestable; one thread's, never shared.
    class Home {
    public:
        explicit Home(Streamer &s);
        ~Home();
        Home(const Home &) = delete;
        Home &operator=(const Home &) = delete;

    private:
        Streamer *previous_;
    };
    // The streamer of the innermost Home on this thread, or null.
    static Streamer *home();

    // ---- posts, from any thread ----
    // Queues `f` for every subscriber of `topic`, and wakes the driver if the post must.
    void post_frame(TopicSlot &topic, FramePtr f);
    // The same without the wake-up: returns true when the caller must call signal() (once,
    // after releasing the lock it posts under, so no syscall happens under that lock).
    [[nodiscard]] bool post_frame_unsignalled(TopicSlot &topic, FramePtr f);
    // Wakes the driver for a post_frame_unsignalled() that returned true.
    void signal();
    // A new subscriber of `topics`. Counts it at once (subscribers(), TopicSlot::subscribers).
    void post_join(std::uint64_t ticket, std::vector<TopicSlot *> topics);
    // Hands `fd` (connected, blocking or not) to the subscriber `ticket`; the streamer owns
    // the fd from this call on and closes it if the ticket is gone.
    void post_activate(std::uint64_t ticket, int fd);
    // Drops the subscriber, closing its socket if it has one.
    void post_cancel(std::uint64_t ticket);
    // From now on each subscriber (and each later activation) is sent "retry: <ms>" with ms
    // uniform in [base, base + jitter], then the final chunk, and is closed when flushed.
    void post_drain(std::chrono::milliseconds base, std::chrono::milliseconds jitter);
    // Closes every subscriber now, sent or not.
    void post_close_all();
    // Frees `owner` (a TopicSlot's owner the hub no longer uses) after every command posted
    // before this one has run, so no frame in the inbox outlives the slot it names.
    void post_release(std::shared_ptr<void> owner);

    std::size_t subscribers() const { return subscribers_.load(std::memory_order_relaxed); }
    std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
    std::uint64_t slow_consumers_dropped() const { return slow_dropped_.load(std::memory_order_relaxed); }
    // Commands posted and not yet taken by the driver (a measure of how far behind it is).
    std::size_t inbox_size() const { return inbox_size_.load(std::memory_order_relaxed); }
    // Deliveries those commands will make (each frame times its topic's subscribers when posted).
    std::size_t inbox_deliveries() const { return inbox_deliveries_.load(std::memory_order_relaxed); }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<std::size_t> subscribers_{0};
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> slow_dropped_{0};
    std::atomic<std::size_t> inbox_size_{0};
    std::atomic<std::size_t> inbox_deliveries_{0};
    std::uint32_t count_deliveries(const TopicSlot &topic);  // adds to inbox_deliveries_
};

}  // namespace ssekit
