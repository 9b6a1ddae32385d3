// A note on the load generator.
//
// sse-loadgen drives one SSE server (ssed or nchan) from a single epoll thread and prints one
// JSON result line on stdout. It holds N subscriber connections (`GET <sub-path>`, connected in
// waves with a bounded number in flight) and, except in idle mode, publishes over K keep-alive
// connections, one request in flight on each. Bodies are `t=<CLOCK_REALTIME ns> s=<seq>`, with
// seq = n*K + p for the n-th event of publisher p: since a publisher waits for its answer before
// sending the next event, every subscriber must see each publisher's n strictly increasing,
// which is how duplicates and reordering are told apart from loss.
//
// Modes
//   fanout   subscribers + publishing as fast as the server answers, for --duration seconds,
//            but never more than --window events ahead of what the subscribers have received
//            (closed loop; --window 0 publishes open loop)
//   latency  subscribers + publishing at --rate events/s, for --duration seconds
//   idle     subscribers only; prints a "connected" line, then holds them until SIGUSR1,
//            SIGTERM or SIGINT, or --duration seconds, and prints the result line
//
// Everything is bounded: connecting (--connect-timeout), publishing (--duration), waiting for
// the last deliveries (--drain-timeout). It is a benchmark tool, so it favours cheap over
// general: the subscriber side de-chunks (when the response is chunked; nchan's eventsource
// stream is close-delimited) and only looks at `data:` lines of the form `t=... s=...`.
// Only IPv4 literal addresses are accepted, and the benchmarks only use 127.0.0.1.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ------------------------------------------------------------------------------------------
// Options and small helpers
// ------------------------------------------------------------------------------------------

constexpr int kMaxPublishers = 64;

struct Options {
    std::string mode; // fanout | latency | idle
    std::string host = "127.0.0.1";
    int port = 0;
    std::string sub_path = "/events/bench";
    std::string pub_path = "/events/bench";
    int subs = 100;
    int connect_inflight = 64;
    double connect_timeout = 30;
    int publishers = 4;
    double rate = 0;  // events/s; 0 = as fast as possible
    int window = 100; // fast mode: events ahead of the average subscriber (0 = open loop)
    double duration = 5;
    double drain_timeout = 30;
    int settle_ms = 200; // pause between "all subscribed" and the first publish
    int hold_slow = 0;   // connections that drip a never-ending request head (slow-loris)
    int hold_idle = 0;   // connections that connect and say nothing (idle keep-alives)
    std::string label;
};

[[noreturn]] void usage(const char *why) {
    std::fprintf(
        stderr,
        "sse-loadgen: error: %s\n"
        "usage: sse-loadgen fanout|latency|idle --url http://127.0.0.1:PORT\n"
        "         [--sub-path P] [--pub-path P] [--subs N] [--connect-inflight N]\n"
        "         [--connect-timeout S] [--publishers K] [--rate R] [--window W] [--duration S]\n"
        "         [--drain-timeout S] [--settle-ms MS] [--hold-slow N] [--hold-idle N]\n"
        "         [--label NAME]\n",
        why);
    std::exit(64);
}

double parse_number(const char *name, const char *v) {
    char *end = nullptr;
    double d = std::strtod(v, &end);
    if (end == v || *end != '\0' || d < 0) usage((std::string("bad value for ") + name).c_str());
    return d;
}

Options parse_args(int argc, char **argv) {
    Options o;
    if (argc < 2) usage("no mode given");
    o.mode = argv[1];
    if (o.mode != "fanout" && o.mode != "latency" && o.mode != "idle") usage("unknown mode");
    if (o.mode == "latency") o.rate = 100;
    for (int i = 2; i < argc; i += 2) {
        std::string_view k = argv[i];
        if (i + 1 >= argc) usage((std::string("missing value for ") + argv[i]).c_str());
        const char *v = argv[i + 1];
        if (k == "--url") {
            std::string_view u = v;
            if (u.substr(0, 7) != "http://") usage("--url must be http://HOST:PORT");
            u.remove_prefix(7);
            if (!u.empty() && u.back() == '/') u.remove_suffix(1);
            auto colon = u.rfind(':');
            if (colon == std::string_view::npos) usage("--url needs a port");
            o.host = std::string(u.substr(0, colon));
            o.port = static_cast<int>(
                parse_number("--url port", std::string(u.substr(colon + 1)).c_str()));
        } else if (k == "--sub-path") {
            o.sub_path = v;
        } else if (k == "--pub-path") {
            o.pub_path = v;
        } else if (k == "--subs") {
            o.subs = static_cast<int>(parse_number("--subs", v));
        } else if (k == "--connect-inflight") {
            o.connect_inflight =
                std::max(1, static_cast<int>(parse_number("--connect-inflight", v)));
        } else if (k == "--connect-timeout") {
            o.connect_timeout = parse_number("--connect-timeout", v);
        } else if (k == "--publishers") {
            o.publishers = static_cast<int>(parse_number("--publishers", v));
            if (o.publishers < 1 || o.publishers > kMaxPublishers)
                usage("--publishers must be 1..64");
        } else if (k == "--rate") {
            o.rate = parse_number("--rate", v);
        } else if (k == "--window") {
            o.window = static_cast<int>(parse_number("--window", v));
        } else if (k == "--duration") {
            o.duration = parse_number("--duration", v);
        } else if (k == "--drain-timeout") {
            o.drain_timeout = parse_number("--drain-timeout", v);
        } else if (k == "--settle-ms") {
            o.settle_ms = static_cast<int>(parse_number("--settle-ms", v));
        } else if (k == "--hold-slow") {
            o.hold_slow = static_cast<int>(parse_number("--hold-slow", v));
        } else if (k == "--hold-idle") {
            o.hold_idle = static_cast<int>(parse_number("--hold-idle", v));
        } else if (k == "--label") {
            o.label = v;
        } else {
            usage((std::string("unknown option ") + argv[i]).c_str());
        }
    }
    if (o.port <= 0 || o.port > 65535) usage("--url with a port is required");
    if (o.mode == "latency" && o.rate <= 0) usage("latency mode needs --rate > 0");
    return o;
}

std::int64_t now_ns(clockid_t c = CLOCK_MONOTONIC) {
    timespec ts{};
    clock_gettime(c, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Case-insensitive search for a header name at the start of a line; returns its trimmed value.
std::string_view header_value(std::string_view head, std::string_view name) {
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
        pos += 2;
        if (head.size() - pos < name.size() + 1) break;
        bool match = true;
        for (std::size_t i = 0; i < name.size() && match; ++i)
            match = std::tolower(static_cast<unsigned char>(head[pos + i])) == name[i];
        if (!match || head[pos + name.size()] != ':') continue;
        std::size_t b = pos + name.size() + 1;
        std::size_t e = head.find("\r\n", b);
        if (e == std::string_view::npos) e = head.size();
        while (b < e && (head[b] == ' ' || head[b] == '\t'))
            ++b;
        while (e > b && (head[e - 1] == ' ' || head[e - 1] == '\t'))
            --e;
        return head.substr(b, e - b);
    }
    return {};
}

bool contains_token(std::string_view v, std::string_view token) {
    std::string low(v);
    for (char &c : low)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return low.find(token) != std::string::npos;
}

int status_code(std::string_view head) {
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return 0;
    int code = 0;
    std::from_chars(head.data() + 9, head.data() + 12, code);
    return code;
}

// Latency histogram: 1 µs buckets up to 65.536 ms, then 64 buckets per power of two (1.6 %).
class Histogram {
  public:
    void add(std::int64_t ns) {
        std::int64_t us = std::max<std::int64_t>(0, ns / 1000);
        max_ns_ = std::max(max_ns_, ns);
        ++count_;
        if (us < kLinear) {
            ++linear_[static_cast<std::size_t>(us)];
        } else {
            int b = 63 - __builtin_clzll(static_cast<unsigned long long>(us)); // b >= 16
            auto sub = static_cast<std::size_t>((us >> (b - 6)) & 63);
            ++log_[static_cast<std::size_t>(b - 16) * 64 + sub];
        }
    }
    // Returns the p-quantile in milliseconds (bucket lower bound), 0 when empty.
    double quantile_ms(double p) const {
        if (count_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(p * double(count_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < linear_.size(); ++i)
            if ((seen += linear_[i]) >= rank) return double(i) / 1000.0;
        for (std::size_t i = 0; i < log_.size(); ++i) {
            if ((seen += log_[i]) < rank) continue;
            std::size_t b = i / 64 + 16, sub = i % 64;
            return double((64 + sub) << (b - 6)) / 1000.0;
        }
        return double(max_ns_) / 1e6;
    }
    double max_ms() const { return double(max_ns_) / 1e6; }
    std::uint64_t count() const { return count_; }

  private:
    static constexpr std::int64_t kLinear = 65536;
    std::vector<std::uint64_t> linear_ = std::vector<std::uint64_t>(kLinear);
    std::vector<std::uint64_t> log_ = std::vector<std::uint64_t>(48 * 64);
    std::int64_t max_ns_ = 0;
    std::uint64_t count_ = 0;
};

// ------------------------------------------------------------------------------------------
// Connections
// ------------------------------------------------------------------------------------------

enum class Kind : std::uint32_t { sub = 1, pub = 2, signal = 3, hold = 4 };

std::uint64_t tag(Kind k, std::size_t index) {
    return (std::uint64_t(k) << 32) | index;
}

// Incremental de-chunker: feeds the payload of a chunked body to `sink`, returns false on a
// framing error. Chunk extensions are ignored, trailers are not expected (the stream never ends
// normally).
struct Dechunker {
    enum class St : std::uint8_t { size, ext, data, data_cr, data_lf, done } st = St::size;
    std::uint64_t left = 0;
    bool saw_digit = false;

    template <class Sink> bool feed(const char *p, std::size_t n, Sink &&sink) {
        const char *end = p + n;
        while (p < end) {
            switch (st) {
            case St::size: {
                char c = *p++;
                int d = (c >= '0' && c <= '9')   ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
                if (d >= 0) {
                    left = left * 16 + std::uint64_t(d);
                    saw_digit = true;
                } else if (c == '\n') {
                    if (!saw_digit) return false;
                    st = left == 0 ? St::done : St::data;
                    saw_digit = false;
                } else if (c == ';' || c == '\r' || c == ' ') {
                    st = c == ';' ? St::ext : St::size;
                } else {
                    return false;
                }
                break;
            }
            case St::ext:
                if (*p++ == '\n') {
                    st = left == 0 ? St::done : St::data;
                    saw_digit = false;
                }
                break;
            case St::data: {
                auto take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(left, std::uint64_t(end - p)));
                sink(p, take);
                p += take;
                left -= take;
                if (left == 0) st = St::data_cr;
                break;
            }
            case St::data_cr:
                if (*p == '\r') {
                    ++p;
                    st = St::data_lf;
                    break;
                }
                [[fallthrough]];
            case St::data_lf:
                if (*p++ != '\n') return false;
                st = St::size;
                break;
            case St::done:
                return true; // the server ended the stream; the caller sees EOF next
            }
        }
        return true;
    }
};

enum class SubState : std::uint8_t { idle, connecting, headers, streaming, failed, closed };

struct Sub {
    int fd = -1;
    SubState st = SubState::idle;
    bool chunked = false;
    Dechunker dechunk;
    std::string head;    // response head, until the blank line
    std::string partial; // an event-stream line split across reads
    std::uint64_t received = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t out_of_order = 0;
    std::array<std::int64_t, kMaxPublishers> last{}; // last n seen per publisher (-1: none)
};

enum class PubState : std::uint8_t { connecting, idle, writing, reading, dead };

struct Pub {
    int fd = -1;
    PubState st = PubState::connecting;
    std::string out;
    std::size_t out_off = 0;
    std::string in;
    std::size_t body_need = 0; // bytes of body still expected (Content-Length)
    bool body_chunked = false;
    bool head_done = false;
    bool close_after = false;
    std::int64_t next_n = 0; // this publisher's next event index
    std::int64_t sent_ns = 0; // when the request in flight was sent (its round trip)
};

// A connection held open against the server while it works: a slow-loris head that drips a
// header line every second and never ends, or an idle connection that says nothing. Reopened
// whenever the server closes it, so the count stays what was asked for.
struct Hold {
    int fd = -1;
    bool slow = false;
    bool connected = false;
};

int make_socket() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// ------------------------------------------------------------------------------------------
// The run
// ------------------------------------------------------------------------------------------

class LoadGen {
  public:
    explicit LoadGen(Options o) : o_(std::move(o)) {
        subs_.resize(static_cast<std::size_t>(o_.subs));
        for (auto &s : subs_)
            s.last.fill(-1);
        addr_.sin_family = AF_INET;
        addr_.sin_port = htons(static_cast<std::uint16_t>(o_.port));
        if (inet_pton(AF_INET, o_.host.c_str(), &addr_.sin_addr) != 1)
            usage("--url host must be an IPv4 address");
        sub_request_ = "GET " + o_.sub_path + " HTTP/1.1\r\nHost: " + o_.host + ":" +
                       std::to_string(o_.port) +
                       "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
        pub_head_ = "POST " + o_.pub_path + " HTTP/1.1\r\nHost: " + o_.host + ":" +
                    std::to_string(o_.port) + "\r\nContent-Type: text/plain\r\nContent-Length: ";
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) die("epoll_create1");
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, nullptr);
        sigfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sigfd_ < 0) die("signalfd");
        add(sigfd_, EPOLLIN, tag(Kind::signal, 0));
    }
    ~LoadGen() {
        for (auto &s : subs_)
            if (s.fd >= 0) close(s.fd);
        for (auto &p : pubs_)
            if (p.fd >= 0) close(p.fd);
        for (auto &h : holds_)
            if (h.fd >= 0) close(h.fd);
        close(sigfd_);
        close(ep_);
    }
    LoadGen(const LoadGen &) = delete;
    LoadGen &operator=(const LoadGen &) = delete;

    int run() {
        start_holds();
        connect_subscribers();
        if (o_.mode == "idle") {
            print_connected();
            hold_idle();
        } else if (!stop_) {
            std::int64_t settle_end = now_ns() + std::int64_t(o_.settle_ms) * 1000000;
            loop_until([&] { return now_ns() >= settle_end; }, settle_end);
            publish_phase();
            drain_phase();
        }
        print_result();
        return 0;
    }

  private:
    [[noreturn]] static void die(const char *what) {
        std::fprintf(stderr, "sse-loadgen: error: %s: %s\n", what, std::strerror(errno));
        std::exit(71);
    }

    void add(int fd, std::uint32_t events, std::uint64_t t) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = t;
        if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
    }
    void mod(int fd, std::uint32_t events, std::uint64_t t) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = t;
        if (epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
    }

    // Runs the event loop until done() or the monotonic deadline (ns).
    template <class Done> void loop_until(Done &&done, std::int64_t deadline) {
        std::array<epoll_event, 512> evs;
        while (!stop_ && !done()) {
            std::int64_t now = now_ns();
            if (now >= deadline) break;
            // Wake at least every 100 ms so done() conditions on time are checked.
            std::int64_t wait_ns = std::min<std::int64_t>(deadline - now, 100000000);
            if (next_due_ns_ > 0)
                wait_ns = std::min(wait_ns, std::max<std::int64_t>(0, next_due_ns_ - now));
            int timeout = static_cast<int>((wait_ns + 999999) / 1000000);
            int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), timeout);
            if (n < 0) {
                if (errno == EINTR) continue;
                die("epoll_wait");
            }
            for (int i = 0; i < n; ++i)
                dispatch(evs[static_cast<std::size_t>(i)]);
            if (!holds_.empty() && now_ns() >= next_drip_ns_) drip();
            if (publishing_) pump_publishers();
        }
    }

    void dispatch(const epoll_event &ev) {
        auto kind = static_cast<Kind>(ev.data.u64 >> 32);
        auto idx = static_cast<std::size_t>(ev.data.u64 & 0xffffffffu);
        if (kind == Kind::sub)
            on_sub(idx, ev.events);
        else if (kind == Kind::pub)
            on_pub(idx, ev.events);
        else if (kind == Kind::hold)
            on_hold(idx, ev.events);
        else
            on_signal();
    }

    void on_signal() {
        signalfd_siginfo si{};
        while (read(sigfd_, &si, sizeof si) == sizeof si)
            stop_ = true;
    }

    // ---- held connections ---------------------------------------------------------------

    void start_holds() {
        holds_.resize(static_cast<std::size_t>(o_.hold_slow + o_.hold_idle));
        for (std::size_t i = 0; i < holds_.size(); ++i) {
            holds_[i].slow = i < static_cast<std::size_t>(o_.hold_slow);
            open_hold(i);
        }
        next_drip_ns_ = now_ns() + 1000000000LL;
        // Let them all get in before the measured part starts.
        loop_until([&] { return std::all_of(holds_.begin(), holds_.end(), [](const Hold &h) { return h.connected; }); },
                   now_ns() + std::int64_t(o_.connect_timeout * 1e9));
    }

    void open_hold(std::size_t i) {
        Hold &h = holds_[i];
        h.connected = false;
        h.fd = make_socket();
        if (h.fd < 0) die("socket");
        if (connect(h.fd, reinterpret_cast<const sockaddr *>(&addr_), sizeof addr_) < 0 && errno != EINPROGRESS)
            die("connect");
        add(h.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, tag(Kind::hold, i));
    }

    void on_hold(std::size_t i, std::uint32_t events) {
        Hold &h = holds_[i];
        if (!h.connected && (events & EPOLLOUT) && !(events & (EPOLLERR | EPOLLHUP))) {
            h.connected = true;
            mod(h.fd, EPOLLIN | EPOLLRDHUP, tag(Kind::hold, i));
            if (h.slow) {
                std::string head = "GET " + o_.sub_path + "-hold HTTP/1.1\r\nHost: " + o_.host + "\r\n";
                (void)!send(h.fd, head.data(), head.size(), MSG_NOSIGNAL);
            }
            return;
        }
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            // The server answered (408) or closed: open another in its place.
            ssize_t n = read(h.fd, buf_.data(), buf_.size());
            if (n > 0 && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
            epoll_ctl(ep_, EPOLL_CTL_DEL, h.fd, nullptr);
            close(h.fd);
            ++hold_reopened_;
            open_hold(i);
        }
    }

    void drip() {
        next_drip_ns_ = now_ns() + 1000000000LL;
        static const char line[] = "X-Drip: 1\r\n";
        for (auto &h : holds_)
            if (h.slow && h.connected) (void)!send(h.fd, line, sizeof line - 1, MSG_NOSIGNAL);
    }

    std::size_t holds_connected() const {
        return std::size_t(std::count_if(holds_.begin(), holds_.end(), [](const Hold &h) { return h.connected; }));
    }

    // ---- subscribers --------------------------------------------------------------------

    void connect_subscribers() {
        std::int64_t t0 = now_ns();
        std::int64_t deadline = t0 + std::int64_t(o_.connect_timeout * 1e9);
        std::size_t next = 0;
        auto refill = [&] {
            while (inflight_ < o_.connect_inflight && next < subs_.size())
                start_sub(next++);
        };
        refill();
        loop_until(
            [&] {
                refill();
                return inflight_ == 0 && next == subs_.size();
            },
            deadline);
        connect_s_ = double(now_ns() - t0) / 1e9;
        // Whatever is still in flight did not get in within the bound.
        for (auto &s : subs_) {
            if (s.st == SubState::connecting || s.st == SubState::headers ||
                s.st == SubState::idle) {
                if (s.fd >= 0) {
                    close(s.fd);
                    s.fd = -1;
                }
                s.st = SubState::failed;
                ++subs_timed_out_;
            }
        }
        inflight_ = 0;
        for (auto &s : subs_)
            subs_ok_ += s.st == SubState::streaming;
    }

    void start_sub(std::size_t i) {
        Sub &s = subs_[i];
        s.fd = make_socket();
        if (s.fd < 0) {
            s.st = SubState::failed;
            ++subs_failed_;
            if (errno == EMFILE || errno == ENFILE) ++subs_no_fd_;
            return;
        }
        int r = connect(s.fd, reinterpret_cast<const sockaddr *>(&addr_), sizeof addr_);
        if (r < 0 && errno != EINPROGRESS) {
            fail_sub(s);
            return;
        }
        s.st = SubState::connecting;
        ++inflight_;
        add(s.fd, EPOLLOUT, tag(Kind::sub, i));
    }

    void fail_sub(Sub &s) {
        if (s.fd >= 0) {
            close(s.fd);
            s.fd = -1;
        }
        if (s.st == SubState::connecting || s.st == SubState::headers) --inflight_;
        s.st = SubState::failed;
        ++subs_failed_;
    }

    void on_sub(std::size_t i, std::uint32_t events) {
        Sub &s = subs_[i];
        if (s.st == SubState::connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                fail_sub(s);
                return;
            }
            // The request is tiny: one send fits the empty socket buffer.
            ssize_t w = send(s.fd, sub_request_.data(), sub_request_.size(), MSG_NOSIGNAL);
            if (w != static_cast<ssize_t>(sub_request_.size())) {
                fail_sub(s);
                return;
            }
            s.st = SubState::headers;
            mod(s.fd, EPOLLIN | EPOLLRDHUP, tag(Kind::sub, i));
            return;
        }
        if (s.st != SubState::headers && s.st != SubState::streaming) return;
        ssize_t n = read(s.fd, buf_.data(), buf_.size());
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
            if (s.st == SubState::headers) {
                fail_sub(s);
                return;
            }
            close(s.fd);
            s.fd = -1;
            s.st = SubState::closed;
            ++subs_closed_;
            return;
        }
        // One receive timestamp per read: the events in it arrived together.
        recv_realtime_ = now_ns(CLOCK_REALTIME);
        recv_mono_ = now_ns();
        const char *p = buf_.data();
        auto len = static_cast<std::size_t>(n);
        if (s.st == SubState::headers) {
            std::size_t old = s.head.size();
            s.head.append(p, len);
            auto end = s.head.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (s.head.size() > 16384) fail_sub(s);
                return;
            }
            std::string_view head(s.head.data(), end + 2);
            if (status_code(head) != 200) {
                fail_sub(s);
                return;
            }
            s.chunked = contains_token(header_value(head, "transfer-encoding"), "chunked");
            --inflight_;
            s.st = SubState::streaming;
            std::size_t body_at = end + 4 - old; // offset of the body inside this read
            p += body_at;
            len -= body_at;
            std::string().swap(s.head);
        }
        if (len == 0) return;
        if (s.chunked) {
            if (!s.dechunk.feed(p, len, [&](const char *d, std::size_t m) { scan(s, d, m); })) {
                ++framing_errors_;
                close(s.fd);
                s.fd = -1;
                s.st = SubState::closed;
                ++subs_closed_;
            }
        } else {
            scan(s, p, len);
        }
    }

    // Splits event-stream bytes into lines; keeps a split line in s.partial.
    void scan(Sub &s, const char *p, std::size_t n) {
        const char *end = p + n;
        while (p < end) {
            const char *nl = static_cast<const char *>(std::memchr(p, '\n', std::size_t(end - p)));
            if (nl == nullptr) {
                if (s.partial.size() < 4096) s.partial.append(p, std::size_t(end - p));
                return;
            }
            if (!s.partial.empty()) {
                s.partial.append(p, std::size_t(nl - p));
                line(s, s.partial);
                s.partial.clear();
            } else {
                line(s, std::string_view(p, std::size_t(nl - p)));
            }
            p = nl + 1;
        }
    }

    // Handles one line; only `data: t=<ns> s=<seq>` matters.
    void line(Sub &s, std::string_view l) {
        if (l.size() < 10 || l[0] != 'd' || l.substr(0, 5) != "data:") return;
        l.remove_prefix(5);
        if (!l.empty() && l[0] == ' ') l.remove_prefix(1);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.substr(0, 2) != "t=") return;
        std::int64_t t = 0, seq = 0;
        auto r1 = std::from_chars(l.data() + 2, l.data() + l.size(), t);
        if (r1.ec != std::errc() || std::size_t(l.data() + l.size() - r1.ptr) < 4 ||
            std::string_view(r1.ptr, 3) != " s=")
            return;
        auto r2 = std::from_chars(r1.ptr + 3, l.data() + l.size(), seq);
        if (r2.ec != std::errc()) return;
        ++s.received;
        ++deliveries_;
        last_delivery_ns_ = recv_mono_;
        if (publishing_ || draining_) hist_.add(recv_realtime_ - t);
        auto k = static_cast<std::int64_t>(o_.publishers);
        auto p = static_cast<std::size_t>(seq % k);
        std::int64_t n = seq / k;
        std::int64_t &last = s.last[p];
        if (n == last) {
            ++s.duplicates;
            ++duplicates_;
        } else if (n < last) {
            ++s.out_of_order;
        } else {
            last = n;
        }
    }

    // ---- publishers ---------------------------------------------------------------------

    void start_pub(std::size_t i) {
        Pub &p = pubs_[i];
        p.fd = make_socket();
        if (p.fd < 0) die("socket");
        int r = connect(p.fd, reinterpret_cast<const sockaddr *>(&addr_), sizeof addr_);
        if (r < 0 && errno != EINPROGRESS) {
            p.st = PubState::dead;
            close(p.fd);
            p.fd = -1;
            return;
        }
        p.st = PubState::connecting;
        p.in.clear();
        add(p.fd, EPOLLOUT, tag(Kind::pub, i));
    }

    void pub_lost_connection(std::size_t i) {
        Pub &p = pubs_[i];
        if (p.st == PubState::writing || p.st == PubState::reading) ++publish_errors_;
        close(p.fd);
        p.fd = -1;
        // An idle connection that the server closes after publishing ended is not needed again.
        if (!publishing_) {
            p.st = PubState::dead;
            return;
        }
        ++pub_reconnects_;
        if (pub_reconnects_ > 1000) {
            p.st = PubState::dead;
            return;
        } // the server is gone
        start_pub(i);
    }

    // Sends the next event on every idle publisher whose turn has come.
    void pump_publishers() {
        std::int64_t now = now_ns();
        if (now >= publish_end_) {
            next_due_ns_ = 0;
            return;
        }
        for (std::size_t i = 0; i < pubs_.size(); ++i) {
            Pub &p = pubs_[i];
            if (p.st != PubState::idle) continue;
            if (o_.rate > 0) {
                std::int64_t due = publish_start_ + std::int64_t(double(sent_) * 1e9 / o_.rate);
                if (due > now) {
                    next_due_ns_ = due;
                    return;
                }
            } else if (o_.window > 0 && subs_ok_ > 0) {
                // Closed loop: a hub that accepts publishes faster than it delivers would
                // otherwise build an unbounded backlog, and we would measure its queue.
                std::uint64_t w = static_cast<std::uint64_t>(o_.window);
                if (sent_ >= w && deliveries_ - duplicates_ < (sent_ - w) * subs_ok_) return;
            }
            send_event(i);
        }
        next_due_ns_ = 0;
        if (o_.rate > 0)
            next_due_ns_ = publish_start_ + std::int64_t(double(sent_) * 1e9 / o_.rate);
    }

    void send_event(std::size_t i) {
        Pub &p = pubs_[i];
        std::int64_t seq = p.next_n * o_.publishers + static_cast<std::int64_t>(i);
        char body[64];
        int blen = std::snprintf(body, sizeof body, "t=%lld s=%lld",
                                 static_cast<long long>(now_ns(CLOCK_REALTIME)),
                                 static_cast<long long>(seq));
        p.out.assign(pub_head_);
        p.out.append(std::to_string(blen));
        p.out.append("\r\n\r\n");
        p.out.append(body, static_cast<std::size_t>(blen));
        p.out_off = 0;
        p.in.clear();
        p.head_done = false;
        p.st = PubState::writing;
        p.sent_ns = now_ns();
        ++sent_;
        flush_pub(i);
    }

    void flush_pub(std::size_t i) {
        Pub &p = pubs_[i];
        while (p.out_off < p.out.size()) {
            ssize_t w =
                send(p.fd, p.out.data() + p.out_off, p.out.size() - p.out_off, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN) {
                    mod(p.fd, EPOLLIN | EPOLLOUT, tag(Kind::pub, i));
                    return;
                }
                pub_lost_connection(i);
                return;
            }
            p.out_off += static_cast<std::size_t>(w);
        }
        p.st = PubState::reading;
        mod(p.fd, EPOLLIN, tag(Kind::pub, i));
    }

    void on_pub(std::size_t i, std::uint32_t events) {
        Pub &p = pubs_[i];
        if (p.st == PubState::connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                pub_lost_connection(i);
                return;
            }
            p.st = PubState::idle;
            mod(p.fd, EPOLLIN, tag(Kind::pub, i));
            return;
        }
        if (p.st == PubState::writing && (events & EPOLLOUT)) {
            flush_pub(i);
            return;
        }
        ssize_t n = read(p.fd, buf_.data(), buf_.size());
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
            pub_lost_connection(i);
            return;
        }
        if (p.st != PubState::reading) return; // stray bytes on an idle connection: ignore
        p.in.append(buf_.data(), static_cast<std::size_t>(n));
        if (!p.head_done) {
            auto end = p.in.find("\r\n\r\n");
            if (end == std::string::npos) return;
            std::string_view head(p.in.data(), end + 2);
            int code = status_code(head);
            if (code >= 200 && code < 300)
                ++published_ok_;
            else
                ++publish_errors_;
            p.head_done = true;
            p.body_chunked = contains_token(header_value(head, "transfer-encoding"), "chunked");
            p.close_after = contains_token(header_value(head, "connection"), "close");
            std::size_t cl = 0;
            auto v = header_value(head, "content-length");
            std::from_chars(v.data(), v.data() + v.size(), cl);
            p.body_need = cl;
            p.in.erase(0, end + 4);
        }
        bool complete = p.body_chunked ? p.in.find("0\r\n\r\n") != std::string::npos
                                       : p.in.size() >= p.body_need;
        if (!complete) return;
        rtt_hist_.add(now_ns() - p.sent_ns);
        if (p.close_after) {
            p.st = PubState::idle; // not in flight any more: no error on reconnect
            close(p.fd);
            p.fd = -1;
            start_pub(i);
        } else {
            p.st = PubState::idle;
        }
        ++p.next_n;
    }

    void publish_phase() {
        pubs_.resize(static_cast<std::size_t>(o_.publishers));
        for (std::size_t i = 0; i < pubs_.size(); ++i)
            start_pub(i);
        loop_until(
            [&] {
                return std::all_of(pubs_.begin(), pubs_.end(),
                                   [](const Pub &p) { return p.st != PubState::connecting; });
            },
            now_ns() + 5000000000LL);
        publish_start_ = now_ns();
        publish_end_ = publish_start_ + std::int64_t(o_.duration * 1e9);
        publishing_ = true;
        pump_publishers();
        loop_until([] { return false; }, publish_end_);
        // Let the last requests in flight be answered, so `published` is exact.
        loop_until(
            [&] {
                return std::none_of(pubs_.begin(), pubs_.end(), [](const Pub &p) {
                    return p.st == PubState::writing || p.st == PubState::reading;
                });
            },
            now_ns() + 5000000000LL);
        publishing_ = false;
        next_due_ns_ = 0;
        publish_s_ = double(now_ns() - publish_start_) / 1e9;
    }

    std::uint64_t expected() const { return published_ok_ * subs_ok_; }

    // Waits until every subscriber has every event, or the stream stalls, or the bound.
    void drain_phase() {
        draining_ = true;
        std::int64_t t0 = now_ns();
        std::int64_t deadline = t0 + std::int64_t(o_.drain_timeout * 1e9);
        std::uint64_t last = deliveries_;
        std::int64_t last_progress = t0;
        loop_until(
            [&] {
                if (deliveries_ - duplicates_ >= expected()) return true;
                std::int64_t now = now_ns();
                if (deliveries_ != last) {
                    last = deliveries_;
                    last_progress = now;
                }
                // A backlog still flowing is not loss: stop after one second without a delivery.
                return now - last_progress > 1000000000LL;
            },
            deadline);
        draining_ = false;
        // Up to the last delivery, not the end of the wait, so a lossy run's rate stays true.
        deliver_s_ = double(std::max(last_delivery_ns_, publish_end_) - publish_start_) / 1e9;
    }

    void hold_idle() {
        std::int64_t deadline = now_ns() + std::int64_t(o_.duration * 1e9);
        loop_until([] { return false; }, deadline);
    }

    // ---- output -------------------------------------------------------------------------

    std::size_t subs_open() const {
        return std::size_t(std::count_if(subs_.begin(), subs_.end(),
                                         [](const Sub &s) { return s.st == SubState::streaming; }));
    }

    void print_connected() {
        std::printf(
            "{\"phase\":\"connected\",\"label\":\"%s\",\"subs_requested\":%d,\"subs_ok\":%llu,"
            "\"connect_s\":%.3f}\n",
            o_.label.c_str(), o_.subs, static_cast<unsigned long long>(subs_ok_), connect_s_);
        std::fflush(stdout);
    }

    // This process's CPU time so far (user + system), so a run can tell its own cost apart.
    static double own_cpu_s() {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        auto s = [](const timeval &tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
        return s(ru.ru_utime) + s(ru.ru_stime);
    }

    void print_result() {
        std::uint64_t dups = 0, ooo = 0;
        for (const auto &s : subs_) {
            dups += s.duplicates;
            ooo += s.out_of_order;
        }
        std::uint64_t unique = deliveries_ - dups;
        std::uint64_t exp = expected();
        std::uint64_t lost = exp > unique ? exp - unique : 0;
        std::printf(
            "{\"phase\":\"done\",\"mode\":\"%s\",\"label\":\"%s\",\"subs_requested\":%d,\"subs_"
            "ok\":%llu,"
            "\"subs_failed\":%llu,\"subs_timed_out\":%llu,\"subs_no_fd\":%llu,\"subs_closed_by_"
            "server\":%llu,"
            "\"subs_open_at_end\":%zu,\"connect_s\":%.3f,\"publishers\":%d,\"rate\":%.1f,"
            "\"window\":%d,"
            "\"publish_s\":%.3f,\"deliver_s\":%.3f,\"published\":%llu,\"publish_errors\":%llu,"
            "\"publisher_reconnects\":%llu,\"deliveries\":%llu,\"expected\":%llu,\"lost\":%llu,"
            "\"duplicates\":%llu,\"out_of_order\":%llu,\"framing_errors\":%llu,"
            "\"deliveries_per_s\":%.0f,\"lat_samples\":%llu,\"lat_p50_ms\":%.3f,\"lat_p99_ms\":%."
            "3f,"
            "\"lat_max_ms\":%.3f,\"pub_rtt_p50_ms\":%.3f,\"pub_rtt_p99_ms\":%.3f,\"pub_rtt_max_ms\":%.3f,"
            "\"held\":%zu,\"hold_reopened\":%llu,\"loadgen_cpu_s\":%.3f,\"interrupted\":%s}\n",
            o_.mode.c_str(), o_.label.c_str(), o_.subs, static_cast<unsigned long long>(subs_ok_),
            static_cast<unsigned long long>(subs_failed_),
            static_cast<unsigned long long>(subs_timed_out_),
            static_cast<unsigned long long>(subs_no_fd_),
            static_cast<unsigned long long>(subs_closed_), subs_open(), connect_s_, o_.publishers,
            o_.rate, o_.rate > 0 ? 0 : o_.window, publish_s_, deliver_s_,
            static_cast<unsigned long long>(published_ok_),
            static_cast<unsigned long long>(publish_errors_),
            static_cast<unsigned long long>(pub_reconnects_),
            static_cast<unsigned long long>(deliveries_), static_cast<unsigned long long>(exp),
            static_cast<unsigned long long>(lost), static_cast<unsigned long long>(dups),
            static_cast<unsigned long long>(ooo), static_cast<unsigned long long>(framing_errors_),
            deliver_s_ > 0 ? double(deliveries_) / deliver_s_ : 0.0,
            static_cast<unsigned long long>(hist_.count()), hist_.quantile_ms(0.50),
            hist_.quantile_ms(0.99), hist_.max_ms(), rtt_hist_.quantile_ms(0.50), rtt_hist_.quantile_ms(0.99),
            rtt_hist_.max_ms(), holds_connected(), static_cast<unsigned long long>(hold_reopened_), own_cpu_s(),
            stop_ && o_.mode != "idle" ? "true" : "false");
        std::fflush(stdout);
    }

    Options o_;
    sockaddr_in addr_{};
    std::string sub_request_;
    std::string pub_head_;
    int ep_ = -1;
    int sigfd_ = -1;
    bool stop_ = false;
    std::vector<Sub> subs_;
    std::vector<Pub> pubs_;
    std::vector<char> buf_ = std::vector<char>(65536);
    int inflight_ = 0;
    std::uint64_t subs_ok_ = 0, subs_failed_ = 0, subs_timed_out_ = 0, subs_no_fd_ = 0,
                  subs_closed_ = 0;
    double connect_s_ = 0, publish_s_ = 0, deliver_s_ = 0;
    bool publishing_ = false, draining_ = false;
    std::int64_t publish_start_ = 0, publish_end_ = 0, next_due_ns_ = 0;
    std::uint64_t sent_ = 0, published_ok_ = 0, publish_errors_ = 0, pub_reconnects_ = 0;
    std::uint64_t deliveries_ = 0, duplicates_ = 0, framing_errors_ = 0;
    std::int64_t recv_realtime_ = 0, recv_mono_ = 0, last_delivery_ns_ = 0;
    Histogram hist_;
    Histogram rtt_hist_;  // publish request round trips
    std::vector<Hold> holds_;
    std::int64_t next_drip_ns_ = 0;
    std::uint64_t hold_reopened_ = 0;
};

} // namespace

int main(int argc, char **argv) {
    Options o = parse_args(argc, argv);
    // Every subscriber is a descriptor: take the hard limit.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    LoadGen gen(std::move(o));
    return gen.run();
}
