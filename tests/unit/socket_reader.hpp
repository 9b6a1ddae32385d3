// Test support for the hub and streamer tests: the client end of a subscriber socket. Reads
// with deadlines, undoes the HTTP/1.1 chunk framing and splits the event stream into blocks.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace test_support {

// A connected AF_UNIX stream pair: `server` is handed to the hub, `client` is read here.
struct SocketPair {
    int server = -1;
    int client = -1;
    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
            server = fds[0];
            client = fds[1];
        }
    }
    ~SocketPair() {
        if (client >= 0) ::close(client);
    }
    SocketPair(const SocketPair &) = delete;
    SocketPair &operator=(const SocketPair &) = delete;
};

// What a client has received, de-chunked.
struct Received {
    std::string raw;             // bytes as read
    std::string body;            // chunk payloads concatenated
    bool last_chunk = false;     // "0\r\n\r\n" seen
    bool framing_error = false;  // not valid chunked encoding
    bool eof = false;            // the server closed the connection

    // Re-decodes `raw` from the start (raw is small in tests).
    void decode() {
        body.clear();
        last_chunk = framing_error = false;
        std::string_view in = raw;
        while (!in.empty()) {
            auto crlf = in.find("\r\n");
            if (crlf == std::string_view::npos) return;  // incomplete size line
            std::size_t size = 0;
            std::string_view hex = in.substr(0, crlf);
            if (hex.empty()) {
                framing_error = true;
                return;
            }
            for (char c : hex) {
                int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
                if (d < 0) {
                    framing_error = true;
                    return;
                }
                size = size * 16 + static_cast<std::size_t>(d);
            }
            if (in.size() < crlf + 2 + size + 2) return;  // incomplete chunk
            if (in.substr(crlf + 2 + size, 2) != "\r\n") {
                framing_error = true;
                return;
            }
            if (size == 0) {
                last_chunk = true;
                in.remove_prefix(crlf + 4);
                if (!in.empty()) framing_error = true;  // nothing may follow the last chunk
                return;
            }
            body.append(in.substr(crlf + 2, size));
            in.remove_prefix(crlf + 2 + size + 2);
        }
    }

    // The complete blocks of the event stream (each without its terminating blank line).
    std::vector<std::string> blocks() const {
        std::vector<std::string> out;
        std::string_view b = body;
        for (;;) {
            auto end = b.find("\n\n");
            if (end == std::string_view::npos) break;
            out.emplace_back(b.substr(0, end));
            b.remove_prefix(end + 2);
        }
        return out;
    }

    // The ids of the event blocks, in order (comments and retry-only blocks skipped).
    std::vector<std::string> ids() const {
        std::vector<std::string> out;
        for (const auto &blk : blocks()) {
            std::string_view v = blk;
            auto at = v.find("id: ");
            if (at != 0 && at != std::string_view::npos) at = v.find("\nid: ");
            if (at == std::string_view::npos) continue;
            if (v[at] == '\n') ++at;
            v.remove_prefix(at + 4);
            out.emplace_back(v.substr(0, v.find('\n')));
        }
        return out;
    }

    std::size_t count_blocks(std::string_view exact) const {
        std::size_t n = 0;
        for (const auto &b : blocks()) n += b == exact;
        return n;
    }
};

// Reads from `fd` until `done(received)` holds, the peer closes, or `timeout` passes.
// Returns done(received) at the end.
inline bool read_until(int fd, Received &r, const std::function<bool(const Received &)> &done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!done(r) && !r.eof) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n <= 0) continue;
        char buf[65536];
        ssize_t got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got > 0) {
            r.raw.append(buf, static_cast<std::size_t>(got));
            r.decode();
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
            r.eof = true;
        }
    }
    return done(r);
}

// Waits until `cond()` holds or `timeout` passes; returns cond().
inline bool wait_for(const std::function<bool()> &cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= until) return cond();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

}  // namespace test_support
