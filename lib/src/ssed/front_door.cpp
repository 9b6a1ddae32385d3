#include "ssed/front_door.hpp"

#include <arpa/inet.h>
#include <malloc.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/json.hpp"
#include "base/unique_fd.hpp"

namespace ssekit {

namespace {

using Clock = std::chrono::steady_clock;

// epoll tags below the first connection id.
constexpr std::uint64_t kListenTag = 1;
constexpr std::uint64_t kWakeTag = 2;
constexpr std::uint64_t kStreamsTag = 3;
constexpr std::uint64_t kFirstConnId = 16;

constexpr std::size_t kReadChunk = 64 * 1024;
// Requests one connection may have answered in a row before others get a turn.
constexpr int kRequestsPerTurn = 64;
// How long, and how much of, a closing connection's unread input is drained, so the answer is
// not destroyed by a reset (the lingering close of RFC 9112 §9.6); a client that goes on
// sending past either is cut off.
constexpr std::chrono::milliseconds kLinger{2000};
constexpr std::size_t kLingerBytes = 4 << 20;
constexpr std::chrono::milliseconds kTick{100};
// How long stop() lets requests in progress finish.
constexpr std::chrono::milliseconds kStopGrace{1000};

// An answer the door gives itself: JSON error body, like the API's.
std::string door_answer(int status, std::string_view message, bool close, std::string_view extra_headers = {}) {
    std::string body = "{\"error\":";
    append_json_string(body, message);
    body.append("}\n");
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    out.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
    out.append(close ? "\r\nConnection: close\r\n" : "\r\n").append(extra_headers).append("\r\n").append(body);
    return out;
}

void address_of(const sockaddr_storage &addr, std::string &ip, int &port) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
        const auto &a = reinterpret_cast<const sockaddr_in &>(addr);
        ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
        port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto &a = reinterpret_cast<const sockaddr_in6 &>(addr);
        ::inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
        port = ntohs(a.sin6_port);
    }
    ip = buf;
}

// The kernel's cap on listen backlogs: asking for more is silently cut to it.
int listen_backlog() {
    std::ifstream f("/proc/sys/net/core/somaxconn");
    int n = 0;
    if (f >> n && n > 0) return n;
    return SOMAXCONN;
}

struct Conn {
    enum class Phase {
        reading,    // a request's bytes (or nothing yet: idle keep-alive)
        handling,   // a worker has the request
        writing,    // the answer goes out
        lingering,  // answered and shut for writing; unread input drained until EOF
    };

    Conn(std::uint64_t i, int f, Peer p, const FramerLimits &fl) : id(i), fd(f), peer(std::move(p)), framer(fl) {}

    std::uint64_t id;
    UniqueFd fd;
    Peer peer;
    RequestFramer framer;
    Phase phase = Phase::reading;
    bool closed = false;
    // The socket may hold bytes not read yet. Cleared by a recv() that returned less than it
    // asked for (the socket was empty then; edge triggering reports anything that comes
    // later), set again by each epoll event: saves the recv() that would return EAGAIN after
    // every request. Kept set once the peer half-closed, so its EOF is read.
    bool may_read = true;
    bool peer_shut = false;  // EPOLLRDHUP seen
    bool head_checked = false;
    bool close_after = false;            // close (lingering) once the answer is out
    std::optional<std::uint64_t> takeover;
    std::string pending;                 // bytes read past a complete request: the next one
    std::string out;                     // answer bytes not yet written
    std::size_t out_off = 0;
    std::size_t lingered = 0;            // bytes discarded while lingering
    Clock::time_point deadline;          // of the current phase (see check_deadlines)
    Clock::time_point body_start;
};

}  // namespace

const char *reason_phrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

struct FrontDoor::Impl {
    Impl(FrontDoor &o, DoorHandler &h, AdoptFn a, DoorLimits l, Logger lg, Streamer *s)
        : owner(o), handler(h), adopt(std::move(a)), limits(l), log(std::move(lg)), streams(s),
          framer_limits{l.max_head, l.max_headers, 1 << 20},
          epoll(::epoll_create1(EPOLL_CLOEXEC)),
          wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
        if (!epoll.valid() || !wake.valid()) throw std::system_error(errno, std::generic_category(), "front door");
        add(wake.get(), kWakeTag, EPOLLIN);
        if (streams) add(streams->poll_fd(), kStreamsTag, EPOLLIN);  // level-triggered: see turn()
        for (std::size_t i = 0; i < limits.workers; ++i) workers.emplace_back([this] { work(); });
    }
    ~Impl() {
        {
            std::lock_guard lock(mu);
            workers_stop = true;
        }
        cv.notify_all();
        for (auto &t : workers) t.join();
        // Subscriptions answered by a worker after the loop ended are never adopted.
        for (auto &d : done)
            if (d.answer.takeover) handler.abandon(*d.answer.takeover);
        for (auto &[id, c] : conns)
            if (c->takeover && !c->closed) handler.abandon(*c->takeover);
    }

    void add(int fd, std::uint64_t tag, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = tag;
        if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
    void wake_loop() {
        std::uint64_t one = 1;
        while (::write(wake.get(), &one, sizeof one) < 0 && errno == EINTR) {
        }
    }

    // ---- the loop -----------------------------------------------------------------------

    void run();
    void accept_all();
    void set_accepting(bool on);
    void on_wake();
    void progress(Conn &c);
    bool read_some(Conn &c);
    void consume(Conn &c, std::string_view bytes);
    void dispatch(Conn &c);
    void answer(Conn &c, DoorHandler::Answer a);
    void refuse(Conn &c, int status, std::string_view message);
    bool write_out(Conn &c);
    void after_answer(Conn &c);
    void hand_over(Conn &c);
    void close(Conn &c);
    void check_deadlines(Clock::time_point now);
    void begin_stop();

    // ---- workers ------------------------------------------------------------------------

    struct Job {
        std::uint64_t conn;
        std::string request;
        Peer peer;
        bool must_close;
    };
    struct Done {
        std::uint64_t conn;
        DoorHandler::Answer answer;
    };
    void work();

    FrontDoor &owner;
    DoorHandler &handler;
    AdoptFn adopt;
    DoorLimits limits;
    Logger log;
    Streamer *streams;  // driven by this loop; may be null
    FramerLimits framer_limits;
    UniqueFd epoll;
    UniqueFd wake;
    UniqueFd listen_fd;
    std::string local_ip;
    int local_port = 0;
    bool accepting = false;
    Clock::time_point accept_resume{};  // after EMFILE: try again from then
    Clock::time_point last_accept_warning{};

    std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns;
    std::size_t peak_open = 0;  // most connections held since the last trim
    std::vector<std::uint64_t> graveyard;  // closed this turn; erased after the events
    std::vector<std::uint64_t> ready;      // to be served again next turn (fairness)
    std::uint64_t next_id = kFirstConnId;
    std::array<char, kReadChunk> buf{};

    std::atomic<bool> stop_requested{false};
    bool stopping = false;
    Clock::time_point stop_deadline{};

    std::mutex mu;  // guards jobs, done, workers_stop
    std::condition_variable cv;
    std::deque<Job> jobs;
    std::vector<Done> done;
    bool workers_stop = false;
    std::size_t in_flight = 0;  // loop thread only: jobs handed to workers, not yet answered
    std::vector<std::thread> workers;

    std::atomic<std::uint64_t> accepted{0}, requests{0}, adopted{0}, refused{0}, timed_out{0};
    std::atomic<std::size_t> open{0};
};

void FrontDoor::Impl::run() {
    std::array<epoll_event, 256> events;
    auto next_tick = Clock::now() + kTick;
    // Subscriptions handled here join this loop's streamer, which this thread drives.
    std::optional<Streamer::Home> home;
    if (streams) {
        streams->attach();
        home.emplace(*streams);
    }
    for (;;) {
        if (stopping) {
            bool busy = in_flight > 0;
            for (auto &[id, c] : conns)
                if (c->phase == Conn::Phase::handling || c->phase == Conn::Phase::writing) busy = true;
            if (!busy || Clock::now() >= stop_deadline) break;
        }
        // No wait while connections or streams have work left from the last turn.
        bool more = !ready.empty() || (streams && streams->writes_pending());
        int timeout = more ? 0 : static_cast<int>(kTick.count());
        int n = ::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), timeout);
        if (n < 0 && errno != EINTR) {
            log.error(std::string("epoll_wait: ") + std::strerror(errno));
            break;
        }
        bool streams_ready = false;
        for (int i = 0; i < n; ++i) {
            std::uint64_t tag = events[i].data.u64;
            if (tag == kListenTag) {
                accept_all();
                continue;
            }
            if (tag == kStreamsTag) {
                streams_ready = true;  // handled after the requests, in the same turn
                continue;
            }
            if (tag == kWakeTag) {
                on_wake();
                continue;
            }
            auto it = conns.find(tag);
            if (it == conns.end() || it->second->closed) continue;
            Conn &c = *it->second;
            if (events[i].events & (EPOLLERR | EPOLLHUP)) {
                close(c);
                continue;
            }
            if (events[i].events & EPOLLRDHUP) c.peer_shut = true;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP)) c.may_read = true;
            progress(c);
        }
        std::vector<std::uint64_t> again;
        again.swap(ready);
        for (auto id : again)
            if (auto it = conns.find(id); it != conns.end() && !it->second->closed) progress(*it->second);
        auto now = Clock::now();
        if (now >= next_tick) {
            check_deadlines(now);
            next_tick = now + kTick;
        }
        for (auto id : graveyard) conns.erase(id);
        graveyard.clear();
        open.store(conns.size(), std::memory_order_relaxed);
        // The streams' share of this iteration: the frames its publishes queued for this
        // loop's subscribers, the sockets it handed over, and whatever the streamer's own
        // epoll set reported. Before the next wait, so nothing owed to this thread waits.
        if (streams) streams->turn(streams_ready);
    }
    for (auto &[id, c] : conns)
        if (!c->closed) close(*c);
    conns.clear();
    open.store(0);
    if (streams) streams->detach();  // its streams go on without this loop
}

void FrontDoor::Impl::set_accepting(bool on) {
    if (on == accepting || !listen_fd.valid()) return;
    // Removed and added rather than modified: EPOLLEXCLUSIVE (one loop woken per connection
    // when several share the socket) cannot be set by EPOLL_CTL_MOD.
    if (on)
        add(listen_fd.get(), kListenTag, EPOLLIN | EPOLLEXCLUSIVE);
    else
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, listen_fd.get(), nullptr);
    accepting = on;
}

void FrontDoor::Impl::accept_all() {
    // Until the queue is empty: a connection left in the kernel's accept queue while we answer
    // others is how a connect storm overflows it (the client's ACK is dropped, and it waits a
    // one-second retransmit). Answering can wait; accepting cannot.
    for (;;) {
        if (conns.size() >= limits.max_connections) {
            set_accepting(false);  // the kernel's backlog holds the rest until one closes
            return;
        }
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        int fd = ::accept4(listen_fd.get(), reinterpret_cast<sockaddr *>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            // Out of descriptors or memory: pause, or the loop would spin on the same error.
            auto now = Clock::now();
            if (now - last_accept_warning >= std::chrono::seconds(1)) {
                last_accept_warning = now;
                log.warn(std::string("accept: ") + std::strerror(errno) + "; not accepting for 100 ms");
            }
            set_accepting(false);
            accept_resume = now + std::chrono::milliseconds(100);
            return;
        }
        // TCP_NODELAY comes from the listening socket (see bind()): no setsockopt per accept.
        Peer peer;
        address_of(addr, peer.ip, peer.port);
        peer.local_ip = local_ip;
        peer.local_port = local_port;
        auto c = std::make_unique<Conn>(next_id++, fd, std::move(peer), framer_limits);
        c->deadline = Clock::now() + limits.idle_timeout;
        epoll_event ev{};
        // Edge-triggered, registered once: every read and write runs until EAGAIN.
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = c->id;
        if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // c closes fd
        ++accepted;
        conns.emplace(c->id, std::move(c));
    }
}

void FrontDoor::Impl::on_wake() {
    std::uint64_t n;
    while (::read(wake.get(), &n, sizeof n) > 0) {
    }
    if (stop_requested.load() && !stopping) begin_stop();
    std::vector<Done> answers;
    {
        std::lock_guard lock(mu);
        answers.swap(done);
    }
    for (auto &d : answers) {
        --in_flight;
        auto it = conns.find(d.conn);
        if (it == conns.end() || it->second->closed) {
            if (d.answer.takeover) handler.abandon(*d.answer.takeover);
            continue;
        }
        answer(*it->second, std::move(d.answer));
        progress(*it->second);
    }
}

void FrontDoor::Impl::begin_stop() {
    stopping = true;
    stop_deadline = Clock::now() + kStopGrace;
    if (listen_fd.valid()) {
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, listen_fd.get(), nullptr);
        listen_fd.reset();
    }
    // Idle and half-read connections end now; answers in progress are finished.
    for (auto &[id, c] : conns)
        if (c->phase == Conn::Phase::reading || c->phase == Conn::Phase::lingering) close(*c);
}

// Drives one connection until it has to wait for the socket or a worker.
void FrontDoor::Impl::progress(Conn &c) {
    int served = 0;
    while (!c.closed) {
        switch (c.phase) {
        case Conn::Phase::handling:
            return;
        case Conn::Phase::writing:
            if (!write_out(c)) return;
            after_answer(c);
            if (++served >= kRequestsPerTurn && !c.closed && c.phase == Conn::Phase::reading) {
                ready.push_back(c.id);  // others first; this one goes on next turn
                return;
            }
            break;
        case Conn::Phase::reading:
            if (c.out_off < c.out.size()) {  // a "100 Continue" may be waiting
                write_out(c);
                if (c.closed) return;
            }
            if (!c.pending.empty()) {
                std::string bytes = std::move(c.pending);
                c.pending.clear();
                consume(c, bytes);
                break;
            }
            if (!c.may_read || !read_some(c)) return;
            break;
        case Conn::Phase::lingering: {
            ssize_t n = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
            if (n > 0 && (c.lingered += static_cast<std::size_t>(n)) <= kLingerBytes) break;
            if (n < 0 && errno == EINTR) break;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            close(c);  // EOF or error: the client has our answer
            return;
        }
        }
    }
}

// One recv(); false when the connection must wait (EAGAIN) or was closed.
bool FrontDoor::Impl::read_some(Conn &c) {
    ssize_t n = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
        if (static_cast<std::size_t>(n) < buf.size() && !c.peer_shut) c.may_read = false;
        consume(c, std::string_view(buf.data(), static_cast<std::size_t>(n)));
        return true;
    }
    if (n < 0 && errno == EINTR) return true;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c.may_read = false;
        return false;
    }
    // EOF (or a reset): an idle connection ends quietly, a half-sent request is dropped.
    close(c);
    return false;
}

void FrontDoor::Impl::consume(Conn &c, std::string_view bytes) {
    while (!bytes.empty() && c.phase == Conn::Phase::reading && !c.closed) {
        const bool was_started = c.framer.started();
        std::size_t used = c.framer.feed(bytes);
        bytes.remove_prefix(used);
        if (!was_started && c.framer.started()) c.deadline = Clock::now() + limits.head_timeout;
        switch (c.framer.state()) {
        case RequestFramer::State::head:
            break;  // all consumed; more to come
        case RequestFramer::State::body:
            if (!c.head_checked) {
                c.head_checked = true;
                std::size_t body_limit = 0;
                if (auto final_answer = handler.check_head(c.framer.head(), c.peer, body_limit)) {
                    ++refused;
                    answer(c, DoorHandler::Answer{std::move(*final_answer), std::nullopt, true});
                    return;
                }
                c.framer.set_body_limit(body_limit);
                const RequestHead &h = c.framer.head();
                if (h.content_length && *h.content_length > body_limit)
                    return refuse(c, 413, "request body larger than " + std::to_string(body_limit) + " bytes");
                if (h.expect_continue && h.has_body) c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
                c.body_start = Clock::now();
            }
            break;
        case RequestFramer::State::complete:
            c.pending.assign(bytes);
            return dispatch(c);
        case RequestFramer::State::failed:
            return refuse(c, c.framer.verdict(), c.framer.reason());
        }
    }
}

void FrontDoor::Impl::dispatch(Conn &c) {
    ++requests;
    const bool must_close = !c.framer.head().keep_alive || stopping;
    std::string request = c.framer.canonical();
    if (limits.workers == 0) {
        c.phase = Conn::Phase::handling;
        return answer(c, handler.handle(std::move(request), c.peer, must_close));
    }
    {
        std::lock_guard lock(mu);
        if (jobs.size() >= limits.queue) {
            // The workers are behind (a slow Redis): say when to come back, keep the connection.
            ++refused;
            c.phase = Conn::Phase::handling;
            return answer(c, DoorHandler::Answer{door_answer(503, "server busy: too many requests waiting",
                                                             must_close, "Retry-After: 1\r\n"),
                                                 std::nullopt, must_close});
        }
        jobs.push_back(Job{c.id, std::move(request), c.peer, must_close});
    }
    ++in_flight;
    c.phase = Conn::Phase::handling;
    cv.notify_one();
}

void FrontDoor::Impl::answer(Conn &c, DoorHandler::Answer a) {
    c.out.append(a.bytes);
    c.takeover = a.takeover;
    c.close_after = c.close_after || a.close || !c.framer.head().keep_alive || stopping;
    c.phase = Conn::Phase::writing;
    c.deadline = Clock::now() + limits.write_timeout;
}

void FrontDoor::Impl::refuse(Conn &c, int status, std::string_view message) {
    ++refused;
    c.close_after = true;
    c.out.append(door_answer(status, message, true));
    c.takeover.reset();
    c.phase = Conn::Phase::writing;
    c.deadline = Clock::now() + limits.write_timeout;
}

// Writes what is pending; true when all of it is out.
bool FrontDoor::Impl::write_out(Conn &c) {
    while (c.out_off < c.out.size()) {
        ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c.out_off += static_cast<std::size_t>(n);
            if (c.phase == Conn::Phase::writing) c.deadline = Clock::now() + limits.write_timeout;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;  // EPOLLOUT resumes
        close(c);
        return false;
    }
    c.out.clear();
    c.out_off = 0;
    return true;
}

void FrontDoor::Impl::after_answer(Conn &c) {
    if (c.takeover) return hand_over(c);
    if (c.close_after) {
        // Lingering close: no more answers, but read what the client still sends until it
        // closes, so our answer is not lost to a reset.
        ::shutdown(c.fd.get(), SHUT_WR);
        c.phase = Conn::Phase::lingering;
        c.deadline = Clock::now() + kLinger;
        return;
    }
    c.framer.next();
    c.head_checked = false;
    c.phase = Conn::Phase::reading;
    c.deadline = Clock::now() + limits.idle_timeout;
}

void FrontDoor::Impl::hand_over(Conn &c) {
    std::uint64_t ticket = *c.takeover;
    c.takeover.reset();
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
    ++adopted;
    adopt(ticket, c.fd.release());  // the streamer's socket now
    c.closed = true;
    graveyard.push_back(c.id);
}

void FrontDoor::Impl::close(Conn &c) {
    if (c.closed) return;
    if (c.takeover) {
        handler.abandon(*c.takeover);
        c.takeover.reset();
    }
    // A worker may still hold this connection's request: its answer finds the id gone.
    c.fd.reset();
    c.closed = true;
    graveyard.push_back(c.id);
}

void FrontDoor::Impl::check_deadlines(Clock::time_point now) {
    // After a burst (a connect storm: thousands of handshakes at once, their sockets now
    // streams), hand the memory those requests used back to the system: the allocator keeps
    // freed small blocks otherwise, and an idle subscriber would seem to cost twice its size.
    peak_open = std::max(peak_open, conns.size());
    if (peak_open >= 1024 && conns.size() < peak_open / 4) {
        ::malloc_trim(0);
        peak_open = conns.size();
    }
    if (!accepting && !stopping && listen_fd.valid() && conns.size() < limits.max_connections && now >= accept_resume)
        set_accepting(true);
    for (auto &[id, cp] : conns) {
        Conn &c = *cp;
        if (c.closed) continue;
        switch (c.phase) {
        case Conn::Phase::handling:
            break;  // the handler's own timeouts bound it
        case Conn::Phase::reading: {
            auto state = c.framer.state();
            if (state == RequestFramer::State::body) {
                // The body may take body_timeout, plus a second for every min_body_rate bytes.
                auto allowed = limits.body_timeout + std::chrono::milliseconds(
                                   c.framer.body().size() * 1000 / std::max<std::size_t>(limits.min_body_rate, 1));
                if (now - c.body_start > allowed) {
                    ++timed_out;
                    refuse(c, 408, "request body too slow");
                    progress(c);
                }
            } else if (now > c.deadline) {
                if (c.framer.started()) {
                    ++timed_out;
                    refuse(c, 408, "request head not complete within " +
                                       std::to_string(limits.head_timeout.count() / 1000) + " s");
                    progress(c);
                } else {
                    close(c);  // idle keep-alive: no answer is owed
                }
            }
            break;
        }
        case Conn::Phase::writing:
        case Conn::Phase::lingering:
            if (now > c.deadline) {
                if (c.phase == Conn::Phase::writing) ++timed_out;
                close(c);
            }
            break;
        }
    }
}

void FrontDoor::Impl::work() {
    std::optional<Streamer::Home> home;  // subscriptions this worker handles stream on its loop
    if (streams) home.emplace(*streams);
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return workers_stop || !jobs.empty(); });
            if (jobs.empty()) return;
            job = std::move(jobs.front());
            jobs.pop_front();
        }
        DoorHandler::Answer a = handler.handle(std::move(job.request), job.peer, job.must_close);
        {
            std::lock_guard lock(mu);
            done.push_back(Done{job.conn, std::move(a)});
        }
        wake_loop();
    }
}

// ---------------------------------------------------------------------------------------------

FrontDoor::FrontDoor(DoorHandler &handler, AdoptFn adopt, DoorLimits limits, Logger log, Streamer *streams)
    : impl_(std::make_unique<Impl>(*this, handler, std::move(adopt), limits, std::move(log), streams)) {}

FrontDoor::~FrontDoor() { stop(); }

Status FrontDoor::bind(const std::string &host, int port, int &bound_port) {
    const DoorLimits &limits = impl_->limits;
    std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo *found = nullptr;
    std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
        return Status::io("cannot listen on " + where + ": " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
    int err = EADDRNOTAVAIL;
    for (addrinfo *ai = found; ai; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd.valid()) {
            err = errno;
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        // Only when asked: with it, a second ssed on the same port would share it silently
        // instead of failing with "address in use".
        if (limits.reuse_port) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        // Accepted sockets inherit it: no Nagle wait between an answer's head and body.
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), listen_backlog()) != 0) {
            err = errno;
            continue;
        }
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&addr), &len);
        address_of(addr, impl_->local_ip, impl_->local_port);
        bound_port = impl_->local_port;
        impl_->listen_fd = std::move(fd);
        impl_->set_accepting(true);
        return Status::ok();
    }
    return Status::io("cannot listen on " + where + ": " + std::strerror(err));
}

Status FrontDoor::share(const FrontDoor &first) {
    if (!first.impl_->listen_fd.valid()) return Status::internal("share(): the first loop is not bound");
    impl_->listen_fd.reset(::fcntl(first.impl_->listen_fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!impl_->listen_fd.valid()) return Status::io(std::string("cannot share the listening socket: ") + std::strerror(errno));
    impl_->local_ip = first.impl_->local_ip;
    impl_->local_port = first.impl_->local_port;
    impl_->set_accepting(true);
    return Status::ok();
}

void FrontDoor::run() {
    running_.store(true);
    if (impl_->stop_requested.load()) impl_->begin_stop();
    impl_->run();
    running_.store(false);
}

void FrontDoor::stop() {
    impl_->stop_requested.store(true);
    impl_->wake_loop();
}

DoorStats FrontDoor::stats() const {
    DoorStats s;
    s.accepted = impl_->accepted.load();
    s.requests = impl_->requests.load();
    s.adopted = impl_->adopted.load();
    s.refused = impl_->refused.load();
    s.timed_out = impl_->timed_out.load();
    s.open = impl_->open.load();
    return s;
}

}  // namespace ssekit
