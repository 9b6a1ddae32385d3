// A note on ssed's front door.
//
// FrontDoor is an event loop of ssed, one thread that owns each client socket it accepts from
// accept to close, streams included: epoll, non-blocking sockets, no thread ever waiting on a
// client. It
// listens (backlog from /proc/sys/net/core/somaxconn; SO_REUSEPORT on request, so several ssed
// processes can share a port as nginx's `reuseport` does),
// accepts as fast as connections come, reads each connection into a RequestFramer (bounded:
// request_framer.hpp), and only when a request is complete hands it to the Handler, which
// parses and routes it (cpp-httplib, http_server.hpp) and returns the bytes of the answer. The
// loop writes them without blocking; a subscription's answer (headers and replay) is written
// the same way, then the socket becomes a stream: AdoptFn gives it to the hub, which gives it
// to the streamer this loop drives (the `streams` given at construction, streamer.hpp). The
// loop drives that streamer on its own thread: the streamer's epoll set sits in the loop's
// (nested, level-triggered), and the loop calls Streamer::turn() at the end of every
// iteration and does not wait while the streamer has writes left, so frames the iteration's
// publishes queued for this loop's subscribers are written before it waits again, with no
// thread woken, a large fan-out in slices between requests. When run() returns the streamer is
// detached (it goes on, on a thread of its own, until the hub closes its streams).
//
// Limits and deadlines (DoorLimits, each an ssed option; a client that breaks one is answered
// if the protocol allows and closed, and is counted in stats()):
//   - head: at most max_head bytes and max_headers lines (431), within head_timeout of its first
//     byte (408): a slow-loris client holds a few KiB for head_timeout, never a thread;
//   - body: at most the limit the head check gives (413); the head check (auth, declared size)
//     runs before any body byte is read, so a refused upload is never read (answered with
//     Connection: close); `Expect: 100-continue` is answered by the loop;
//   - body rate: a body must arrive within body_timeout plus one second per min_body_rate bytes
//     received (408);
//   - idle keep-alive: idle_timeout between requests, then closed quietly;
//   - writing an answer: write_timeout without progress, then closed;
//   - max_connections open at once (streams not counted): past it, accepting pauses until one
//     closes, so the kernel's backlog holds the rest.
// A connection's memory is its framer (max_head + the body limit) plus the answer being written.
//
// Requests are handled on the loop thread when the handler never blocks (the in-process bus:
// a publish is O(1)), or by `workers` threads when it may (ssed --redis waits on Redis), with
// at most `queue` requests waiting (past it: 503 with Retry-After). Workers never touch a
// socket; their answers come back to the loop through an eventfd.
//
// Several loops may share one listening socket (share(), ssed --loops): each then owns the
// connections it accepted and the streams they became, and the Handler is called from all of
// them. The loop's thread and its workers hold a Streamer::Home for `streams`, so a
// subscription they handle joins this loop's streamer.
//
// Thread safety: run() on one thread; stop() and stats() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hub/streamer.hpp"
#include "ssed/request_framer.hpp"
#include "ssekit/door_limits.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

struct DoorStats {
    std::uint64_t accepted = 0;
    std::uint64_t requests = 0;
    std::uint64_t adopted = 0;         // connections handed over as streams
    std::uint64_t refused = 0;         // answered 4xx by the door itself (limits, head check)
    std::uint64_t timed_out = 0;       // closed by a deadline
    std::size_t open = 0;              // connections the door holds now
};

// Where a connection comes from, for REMOTE_ADDR and logs.
struct Peer {
    std::string ip;
    int port = 0;
    std::string local_ip;
    int local_port = 0;
};

// What the door needs from the HTTP layer. Both calls are made from the loop thread, or (handle
// only) from a worker when DoorLimits::workers > 0.
class DoorHandler {
public:
    struct Answer {
        std::string bytes;                       // the whole response, or its head and replay
        std::optional<std::uint64_t> takeover;   // becomes a stream with this ticket
        bool close = false;                      // close after writing
    };
    virtual ~DoorHandler() = default;
    // Called when a head is complete, before its body is read. Returns nothing to go on, with
    // `body_limit` set to the largest body this request may have; or the bytes of a final
    // answer (the connection is closed after it).
    virtual std::optional<std::string> check_head(const RequestHead &head, const Peer &peer,
                                                  std::size_t &body_limit) = 0;
    // Handles one complete request (in canonical form, request_framer.hpp). `must_close`: the
    // answer must say Connection: close (the client asked, or the server is stopping).
    virtual Answer handle(std::string request, const Peer &peer, bool must_close) = 0;
    // A subscription whose ticket will never be adopted (the client left first).
    virtual void abandon(std::uint64_t ticket) = 0;
};

// "Not Found" for 404, and so on for the statuses ssed answers with ("Error" for others).
const char *reason_phrase(int status);

class FrontDoor {
public:
    // Receives a connected, non-blocking socket whose answer has been written; owns it from then.
    using AdoptFn = std::function<void(std::uint64_t ticket, int fd)>;

    // `streams` (may be null: no streams on this loop) is a Driven streamer that this loop
    // drives from run() on; it must outlive the FrontDoor.
    FrontDoor(DoorHandler &handler, AdoptFn adopt, DoorLimits limits, Logger log, Streamer *streams = nullptr);
    ~FrontDoor();  // stop(), then closes what is left
    FrontDoor(const FrontDoor &) = delete;
    FrontDoor &operator=(const FrontDoor &) = delete;

    // Listens on host:port (0 = a free port). Status::io naming the address on failure.
    Status bind(const std::string &host, int port, int &bound_port);
    // Listens on `first`'s socket too (another loop of the same server): the kernel wakes one
    // loop per connection (EPOLLEXCLUSIVE). REQUIRES: first.bind() succeeded.
    Status share(const FrontDoor &first);
    // Serves until stop(). REQUIRES: bind() or share() succeeded.
    void run();
    // Stops accepting and closes idle connections at once; requests in progress are answered
    // (subscriptions handed over), for at most a second; then run() returns. Any thread, any time.
    void stop();
    bool running() const { return running_.load(); }

    DoorStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<bool> running_{false};
};

}  // namespace ssekit
