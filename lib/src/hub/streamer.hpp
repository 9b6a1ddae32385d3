// A note on the streamer.
//
// One thread that owns every subscriber socket of a hub and writes frames to them with
// epoll(7). Other threads talk to it only through its inbox, a vector of commands that the
// thread swaps out under a short lock; an eventfd wakes it, written only when the inbox was
// empty, so a burst of publishes costs one wake-up. Commands run in the order posted:
//  - join(ticket, topics): a subscriber exists from now on and queues every later frame of
//    its topics, before it has a socket; activate(ticket, fd) gives it one. Because the hub
//    posts joins and frames under the lock that assigns seqs, a subscriber sees each frame
//    after its replay exactly once.
//  - frame(topic, f): queued for every subscriber of the topic (a reference, not a copy).
// Per subscriber: a queue of FramePtr, an offset into the first, and the unsent byte count.
// Writes go out as sendmsg(2) of up to IOV_MAX frames. A subscriber whose unsent bytes pass
// max_backlog_bytes (after trying to write) gets a best-effort ": slow consumer" comment and
// is closed. One that gets no bytes for `heartbeat` is sent ":\n\n". A ticket neither
// activated nor cancelled within adopt_timeout is dropped.
//
// Sockets are edge-triggered (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), registered once: the
// thread writes right after queueing, so EPOLLOUT only matters after a write hit EAGAIN, and
// edge triggering reports exactly that full-to-writable transition without an epoll_ctl(MOD)
// per backlog change. Peer close shows as EPOLLRDHUP/EPOLLHUP/EPOLLERR or read() == 0; bytes a
// subscriber sends are read and ignored.
//
// Combining: a publisher that posts through a Streamer::Combine does the streaming thread's
// work itself when that thread is idle, instead of waking it (two thread wake-ups per publish
// at low rates were most of ssed's CPU per publish). The thread's state (subscribers, member
// lists, queues) belongs to whoever holds an internal work lock: the thread holds it except
// around epoll_wait; at the Combine's end the publisher try-locks it and, on success, takes
// and runs the inbox exactly as the thread would, writes, and unlocks; on failure it writes
// the eventfd. The inbox is still the one order of commands, so combining changes who runs
// them, never their order. Subscribers closed by a combiner are freed by the thread only.
// A publisher combines only small fan-outs (Combine::max_deliveries): for large ones the
// thread does better, writing a burst of frames with one sendmsg per subscriber while the
// publisher's thread answers its request.
//
// Thread safety: post_* and the counters may be called from any thread. Callers that need
// frames and joins ordered (the hub) must post them under one lock of their own.
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

// One topic as the streamer sees it. Its owner (the hub) keeps it at a stable address for
// the streamer's lifetime. `subscribers` may be read by anyone; the member list belongs to
// whoever holds the streamer's work lock (its thread, or a combining publisher).
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
};

class Streamer {
public:
    // Starts the thread. Throws std::system_error when epoll/eventfd/timerfd cannot be made.
    Streamer(StreamerLimits limits, Logger log);
    // Stops the thread and closes every socket (no final chunk; drain first for that).
    ~Streamer();
    Streamer(const Streamer &) = delete;
    Streamer &operator=(const Streamer &) = delete;

    // Defers the wake-up of the posts made through it to its destruction. Then, if one of them
    // found the inbox empty, the destroying thread runs the inbox itself (fan-out and socket
    // writes) when the streaming thread is idle and the frames posted through it went to at
    // most max_deliveries subscribers in all, and wakes that thread otherwise. Create it
    // before the lock the posts are made under, so that it ends after the lock is released
    // and no socket I/O happens under that lock. One thread's, never shared; not movable.
    class Combine {
    public:
        static constexpr std::size_t max_deliveries = 8;
        explicit Combine(Streamer &s) : streamer_(s) {}
        ~Combine();
        Combine(const Combine &) = delete;
        Combine &operator=(const Combine &) = delete;

    private:
        friend class Streamer;
        Streamer &streamer_;
        bool owed_ = false;  // a post found the inbox empty: this Combine must see it taken
        std::size_t deliveries_ = 0;  // subscribers of the frames posted through it
    };

    // Queues `f` for every subscriber of `topic`.
    void post_frame(TopicSlot &topic, FramePtr f);
    // The same, with the wake-up left to `combine` (see Combine).
    void post_frame(TopicSlot &topic, FramePtr f, Combine &combine);
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
    // Commands posted and not yet taken by the thread (a measure of how far behind it is).
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
