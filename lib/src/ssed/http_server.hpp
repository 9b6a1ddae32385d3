// A note on the HTTP server (cpp-httplib glue for ssed).
//
// HttpServer is the httplib::Server that http_api registers its routes on, served by ssed's
// own event loop (FrontDoor, front_door.hpp) instead of cpp-httplib's thread pool: the door
// owns every socket, frames each request (request_framer.hpp) and hands a complete one here;
// HttpServer runs cpp-httplib's parsing and routing over an in-memory stream of those bytes and
// returns the bytes of the answer for the door to write. cpp-httplib never sees a socket, so no
// thread ever waits on a client.
//
// A subscription is answered the same way: its handler writes the status line, headers and
// replay through cpp-httplib (a chunked content provider), flags a take-over
// (request_takeover) and returns false; the door writes those bytes and then gives the socket
// to AdoptFn (Hub::adopt) instead of closing it: it becomes a stream of the streamer that
// loop drives (the `streams` given per loop), on the same thread. A ticket whose socket never
// arrives (the client left while its answer was being written) is handed to CancelFn.
//
// Before a body is read, the head check set with set_head_check() may refuse the request
// (no token, a declared body over the limit: 401, 413, answered with Connection: close) and
// says how large the body may be.
//
// Header values reach the routes as they were sent: cpp-httplib 0.11.4 percent-decodes them,
// and handle() escapes each '%' of them so that its decoding gives the sent bytes back.
//
// This is the ONLY file that relies on cpp-httplib internals: the protected process_request(),
// whose signature changed in later releases. The .cpp static_asserts CPPHTTPLIB_VERSION ==
// "0.11.4", and http_server_test fails if the installed package changes under it.
//
// Thread safety: routes and the head check are set before bind(). serve() runs the door's
// loops (the first on the calling thread, the others on threads of their own, ssed --loops);
// shutdown() may be called from any thread. request_takeover()/request_close()
// act on the calling thread's current request only.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ssed/front_door.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

class HttpServer : public httplib::Server, private DoorHandler {
public:
    // Receives a connected socket whose response head and body prefix have been written; the
    // callee owns `fd` from then on.
    using AdoptFn = std::function<void(std::uint64_t ticket, int fd)>;
    using CancelFn = std::function<void(std::uint64_t ticket)>;
    // Returns true to read the body (at most `body_limit` bytes), or false with `res` filled in
    // as the final answer. `req` has the method, path, query parameters and headers; no body.
    using HeadCheck = std::function<bool(const httplib::Request &req, httplib::Response &res, std::size_t &body_limit)>;

    // `streams`: empty, or one Driven streamer per loop (DoorLimits::loops), streams[k] driven
    // by loop k (front_door.hpp); they must outlive the server.
    HttpServer(DoorLimits limits, AdoptFn adopt, CancelFn cancel, Logger log, std::vector<Streamer *> streams = {});
    ~HttpServer() override;

    void set_head_check(HeadCheck check) { head_check_ = std::move(check); }

    // Binds host:port (port 0 = a free port). On success sets `bound_port`; on failure returns
    // Status::io naming the address and the OS error.
    Status bind(const std::string &host, int port, int &bound_port);
    // Serves until shutdown(); runs on the caller's thread. REQUIRES: bind() succeeded.
    void serve();
    // Stops accepting; requests in progress are answered (and handed over) for at most a
    // second; serve() then returns. Safe before serve() has started and more than once.
    void shutdown();
    // Whether serve() is running (for tests that start it on a thread).
    bool serving() const { return doors_.front()->running(); }
    // Summed over the loops.
    DoorStats stats() const;

    // Called from a content provider: after this response the connection goes to AdoptFn with
    // `ticket` instead of being closed. The provider must then return false.
    static void request_takeover(std::uint64_t ticket);
    // Called from a handler: close the connection after this response.
    static void request_close();

    // Requests answered through cpp-httplib (a test hook: proves the .so dispatches to it).
    std::uint64_t requests_handled() const { return handled_.load(); }

    // What the front door calls (check_head, handle, abandon), for driving the server with
    // request bytes and no socket (fuzz/door_driver.hpp).
    DoorHandler &door_handler() { return *this; }

private:
    std::optional<std::string> check_head(const RequestHead &head, const Peer &peer, std::size_t &body_limit) override;
    Answer handle(std::string request, const Peer &peer, bool must_close) override;
    void abandon(std::uint64_t ticket) override;

    HeadCheck head_check_;
    CancelFn cancel_;
    std::vector<std::unique_ptr<FrontDoor>> doors_;  // DoorLimits::loops of them; [0] binds
    std::atomic<std::uint64_t> handled_{0};
};

}  // namespace ssekit
