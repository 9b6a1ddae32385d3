#include "ssed/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>

// process_request()'s parameters and process_and_close_socket()'s role are those of 0.11.4;
// later releases changed both. Re-read them before changing this number.
static_assert(std::string_view(CPPHTTPLIB_VERSION) == "0.11.4",
              "http_server.cpp relies on cpp-httplib 0.11.4 internals");

namespace ssekit {

namespace {

// Per-request flags set by handlers and providers, which run on the thread that called
// process_request(); so a thread-local is exactly "this request".
thread_local std::optional<std::uint64_t> tl_takeover;
thread_local bool tl_close = false;

int poll_one(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        return r;
    }
}

// The peer is alive unless it sent a FIN (or reset): the same test as cpp-httplib's
// is_socket_alive(), so a closed subscriber is noticed before we write to it.
bool socket_alive(int fd) {
    int r = poll_one(fd, POLLIN, 0);
    if (r == 0) return true;
    if (r < 0) return false;
    char c;
    ssize_t n;
    do n = ::recv(fd, &c, 1, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    return n > 0;
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

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// One connection's stream, kept across its keep-alive requests (cpp-httplib makes a new
// SocketStream per request and drops whatever it had read ahead).
//
// Per request, cpp-httplib's own stream polls before every read and twice before every write
// and asks the kernel for both addresses: ten system calls around the two or three that move
// bytes, which were most of a publish's cost. Here the read and write timeouts are socket
// options (SO_RCVTIMEO/SO_SNDTIMEO, set once), so read() and write() go straight to
// recv()/send(), and the addresses are looked up once per connection.
class ConnStream final : public httplib::Stream {
public:
    ConnStream(int fd, int read_ms, int write_ms) : fd_(fd), read_ms_(read_ms), write_ms_(write_ms) {
        set_timeout(SO_RCVTIMEO, read_ms);
        set_timeout(SO_SNDTIMEO, write_ms);
    }

    bool has_buffered() const { return off_ < len_; }

    bool is_readable() const override { return has_buffered() || poll_one(fd_, POLLIN, read_ms_) > 0; }
    // Used by chunked providers (the subscription handshake) before each write: also checks
    // that the peer has not closed, so a client gone during the replay is noticed early.
    bool is_writable() const override {
        return poll_one(fd_, POLLOUT, write_ms_) > 0 && socket_alive(fd_);
    }

    ssize_t read(char *ptr, size_t size) override {
        if (has_buffered()) {
            size_t n = std::min(size, len_ - off_);
            std::memcpy(ptr, buf_.data() + off_, n);
            off_ += n;
            return static_cast<ssize_t>(n);
        }
        // Small reads (the request line and headers are read byte by byte) go through the buffer.
        if (size < buf_.size()) {
            ssize_t n = recv_some(buf_.data(), buf_.size());
            if (n <= 0) return n < 0 ? -1 : 0;
            off_ = 0;
            len_ = static_cast<size_t>(n);
            return read(ptr, size);
        }
        return recv_some(ptr, size);
    }

    ssize_t write(const char *ptr, size_t size) override {
        ssize_t n;
        do n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n;
    }

    void get_remote_ip_and_port(std::string &ip, int &port) const override {
        if (!remote_) remote_ = lookup(::getpeername);
        ip = remote_->ip;
        port = remote_->port;
    }
    void get_local_ip_and_port(std::string &ip, int &port) const override {
        if (!local_) local_ = lookup(::getsockname);
        ip = local_->ip;
        port = local_->port;
    }
    socket_t socket() const override { return fd_; }

private:
    struct Address {
        std::string ip;
        int port = 0;
    };

    Address lookup(int (*name_of)(int, sockaddr *, socklen_t *)) const {
        Address a;
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (name_of(fd_, reinterpret_cast<sockaddr *>(&addr), &len) == 0) address_of(addr, a.ip, a.port);
        return a;
    }

    void set_timeout(int option, int ms) {
        timeval tv{};
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        ::setsockopt(fd_, SOL_SOCKET, option, &tv, sizeof tv);
    }

    ssize_t recv_some(char *p, size_t n) {
        ssize_t r;
        do r = ::recv(fd_, p, n, 0);
        while (r < 0 && errno == EINTR);
        return r;
    }

    int fd_;
    int read_ms_;
    int write_ms_;
    std::array<char, 4096> buf_{};
    size_t off_ = 0;
    size_t len_ = 0;
    mutable std::optional<Address> remote_, local_;
};

}  // namespace

HttpServer::HttpServer(std::size_t threads, AdoptFn adopt) : adopt_(std::move(adopt)) {
    // The pool only serves short requests and handshakes; streams live in the Hub.
    new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // This callback replaces cpp-httplib's default, which set SO_REUSEADDR; keep it. Accepted
    // sockets inherit TCP_NODELAY: without it a keep-alive client waits for the delayed ACK
    // between our header and body writes (23 requests/s instead of 30,000/s).
    set_socket_options([](socket_t s) {
        int one = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    });
    set_keep_alive_timeout(2);
    set_keep_alive_max_count(100000);
}

Status HttpServer::bind(const std::string &host, int port, int &bound_port) {
    errno = 0;
    int p = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
    int err = errno;
    std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                        std::to_string(port);
    if (p < 0) {
        return Status::io("cannot listen on " + where + ": " +
                          (err != 0 ? std::strerror(err) : "address not available"));
    }
    // cpp-httplib compiles in listen(fd, 5); a second listen() only raises the backlog, and
    // spares a burst of connecting subscribers one-second SYN retransmits.
    if (::listen(svr_sock_, SOMAXCONN) != 0)
        return Status::io("cannot listen on " + where + ": " + std::strerror(errno));
    bound_port = p;
    return Status::ok();
}

bool HttpServer::serve() { return listen_after_bind(); }

void HttpServer::shutdown() {
    // As stop(), but also effective before listen_after_bind() has started: listen_internal()
    // loops only while svr_sock_ is valid, and shutting the socket down wakes a blocked accept().
    socket_t s = svr_sock_.exchange(INVALID_SOCKET);
    if (s != INVALID_SOCKET) {
        ::shutdown(s, SHUT_RDWR);
        ::close(s);
    }
}

void HttpServer::request_takeover(std::uint64_t ticket) { tl_takeover = ticket; }
void HttpServer::request_close() { tl_close = true; }

bool HttpServer::wait_for_request(int fd, bool buffered) const {
    if (buffered) return true;
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
    // Short slices, so shutdown() frees this pool thread within 100 ms.
    while (svr_sock_ != INVALID_SOCKET) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return false;
        int r = poll_one(fd, POLLIN, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (r != 0) return r > 0;
    }
    return false;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
    ++connections_served_;
    ConnStream strm(sock, to_ms(read_timeout_sec_, read_timeout_usec_),
                    to_ms(write_timeout_sec_, write_timeout_usec_));
    bool ret = false;
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
        if (!wait_for_request(sock, strm.has_buffered())) break;
        bool close_connection = left == 1 || svr_sock_ == INVALID_SOCKET;
        bool closed = false;
        tl_takeover.reset();
        tl_close = false;
        ret = process_request(strm, close_connection, closed, nullptr);
        if (tl_takeover) {
            std::uint64_t ticket = *tl_takeover;
            tl_takeover.reset();
            ++connections_adopted_;
            adopt_(ticket, sock);  // the socket is the Hub's now
            return true;
        }
        if (!ret || closed || tl_close) break;
    }
    tl_close = false;
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
}

}  // namespace ssekit
