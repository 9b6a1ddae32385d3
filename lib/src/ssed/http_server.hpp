// A note on the HTTP server (cpp-httplib glue for ssed).
//
// HttpServer is an httplib::Server that can give a connection away. cpp-httplib 0.11.4 serves
// one connection per pool thread for as long as a response lasts, so a subscriber held there
// would pin a thread forever. Instead a subscribe handler writes the status line, headers and
// replay through cpp-httplib, flags a take-over (request_takeover) from inside its content
// provider and returns false; HttpServer then hands the still-open socket to the streaming
// thread (the AdoptFn, i.e. Hub::adopt) instead of closing it.
//
// This is the ONLY file that relies on cpp-httplib internals: the protected
// process_request() and the virtual process_and_close_socket(), whose signatures changed in
// later releases. The .cpp static_asserts CPPHTTPLIB_VERSION == "0.11.4", and
// http_server_test fails if the installed package changes under it.
//
// What the override does in place of cpp-httplib's own loop:
//  - one buffered Stream for the whole connection (poll timeouts, the same peer-FIN check in
//    is_writable() as SocketStream), so a pipelined request is never lost between requests;
//  - its own keep-alive loop that waits in 100 ms slices, so stop() takes effect at once, and
//    honours keep_alive_max_count/keep_alive_timeout as set on the server;
//  - a handler may ask for the connection to be closed after its response (request_close),
//    e.g. after a body it did not read to the end.
// It also fixes two compiled-in defaults: the listen backlog of 5 (re-listen with SOMAXCONN)
// and Nagle (SO_REUSEADDR + TCP_NODELAY on the listening socket, inherited by accepted ones).
//
// Thread safety: as httplib::Server. request_takeover()/request_close() act on the calling
// thread's current request only.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "ssekit/status.hpp"

namespace ssekit {

class HttpServer : public httplib::Server {
public:
    // Receives a connected socket whose response headers and body prefix have been written;
    // the callee owns `fd` from then on.
    using AdoptFn = std::function<void(std::uint64_t ticket, int fd)>;

    // `threads`: size of the request pool (publish, health, handshakes; never streams).
    HttpServer(std::size_t threads, AdoptFn adopt);

    // Binds host:port (port 0 = a free port) with a SOMAXCONN backlog. On success sets
    // `bound_port`; on failure returns Status::io naming the address and the OS error.
    Status bind(const std::string &host, int port, int &bound_port);

    // Serves until stop(); runs on the caller's thread. REQUIRES: bind() succeeded.
    bool serve();

    // Stops accepting, lets requests in progress finish; serve() then returns. Safe to call
    // before serve() has started and more than once.
    void shutdown();

    // Called from a content provider: after this response the connection goes to AdoptFn with
    // `ticket` instead of being closed. The provider must then return false.
    static void request_takeover(std::uint64_t ticket);
    // Called from a handler: close the connection after this response.
    static void request_close();

    // Connections handled by the override (a test hook: proves the .so dispatches to it).
    std::uint64_t connections_served() const { return connections_served_.load(); }
    std::uint64_t connections_adopted() const { return connections_adopted_.load(); }

protected:
    bool process_and_close_socket(socket_t sock) override;

private:
    bool wait_for_request(int fd, bool buffered) const;

    AdoptFn adopt_;
    std::atomic<std::uint64_t> connections_served_{0};
    std::atomic<std::uint64_t> connections_adopted_{0};
};

}  // namespace ssekit
