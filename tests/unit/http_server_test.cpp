// HttpServer: cpp-httplib 0.11.4's parsing and routing behind ssed's front door (the event
// loop owns the sockets), and the socket hand-off. These tests also guard the version: they
// fail if the package changes.
#include "ssed/http_server.hpp"

#include "hub/hub.hpp"

#include <arpa/inet.h>
#include <link.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <map>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using ssekit::DoorLimits;
using ssekit::HttpServer;

namespace {

void close_fd(std::uint64_t, int fd) { ::close(fd); }

// `workers` 0: requests handled on the loop thread; more: on that many worker threads.
DoorLimits door(std::size_t workers = 0) {
    DoorLimits l;
    l.workers = workers;
    return l;
}

ssekit::Logger quiet() { return ssekit::Logger("http_server_test", ssekit::Logger::Level::quiet); }

// Runs a HttpServer on its own thread for the lifetime of the object.
struct RunningServer {
    HttpServer &server;
    std::thread thread;
    int port = 0;

    explicit RunningServer(HttpServer &s) : server(s) {
        auto st = server.bind("127.0.0.1", 0, port);
        EXPECT_TRUE(st.is_ok()) << st.message();
        thread = std::thread([this] { server.serve(); });
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!server.serving() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
    }
    ~RunningServer() {
        server.shutdown();
        thread.join();
    }
};

int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void send_all(int fd, const std::string &s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        off += static_cast<size_t>(n);
    }
}

// Reads until `needle` has been seen (or EOF / 10 s); returns everything read.
std::string read_until(int fd, const std::string &needle, std::string acc = {}) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (acc.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        acc.append(buf, static_cast<size_t>(n));
    }
    return acc;
}

// True once the peer has closed (recv returns 0) within 10 s.
bool peer_closes(int fd) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) return true;
        if (n < 0) return true;
    }
    return false;
}

std::string loaded_httplib_path() {
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info *info, size_t, void *out) {
            std::string name = info->dlpi_name ? info->dlpi_name : "";
            if (name.find("libcpp-httplib") != std::string::npos) {
                char real[PATH_MAX];
                *static_cast<std::string *>(out) = ::realpath(name.c_str(), real) ? real : name;
                return 1;
            }
            return 0;
        },
        &found);
    return found;
}

}  // namespace

TEST(HttpServer, IsBuiltAgainstTheCppHttplibItWasWrittenFor) {
    // http_server.cpp overrides 0.11.4 internals; a different package needs a re-read of them.
    EXPECT_STREQ(CPPHTTPLIB_VERSION, "0.11.4");
    std::string so = loaded_httplib_path();
    ASSERT_FALSE(so.empty()) << "libcpp-httplib is not loaded";
    EXPECT_NE(so.find("libcpp-httplib.so.0.11.4"), std::string::npos) << so;
}

TEST(HttpServer, ServesRequestsThroughItsOwnConnectionLoop) {
    HttpServer server(door(), close_fd, {}, quiet());
    server.Get("/ping", [](const httplib::Request &, httplib::Response &res) {
        res.set_content("pong", "text/plain");
    });
    RunningServer run(server);
    httplib::Client cli("127.0.0.1", run.port);
    auto r = cli.Get("/ping");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "pong");
    // The request went through the .so's process_request over our in-memory stream.
    EXPECT_EQ(server.requests_handled(), 1u);
    EXPECT_EQ(server.stats().accepted, 1u);
}

TEST(HttpServer, KeepsOneConnectionOpenFor100Posts) {
    HttpServer server(door(), close_fd, {}, quiet());
    std::atomic<int> posts{0};
    server.Post("/p", [&](const httplib::Request &req, httplib::Response &res) {
        ++posts;
        res.set_content("{\"echo\":\"" + req.body + "\"}", "application/json");
    });
    RunningServer run(server);
    httplib::Client cli("127.0.0.1", run.port);
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);  // as curl does; this test is about the server side
    for (int i = 0; i < 100; ++i) {
        auto r = cli.Post("/p", std::to_string(i), "text/plain");
        ASSERT_TRUE(r) << "request " << i;
        ASSERT_EQ(r->status, 200);
        ASSERT_EQ(r->body, "{\"echo\":\"" + std::to_string(i) + "\"}");
    }
    EXPECT_EQ(posts.load(), 100);
    EXPECT_EQ(server.stats().accepted, 1u);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
    HttpServer server(door(), close_fd, {}, quiet());
    server.Get(R"(/n/(\d+))", [](const httplib::Request &req, httplib::Response &res) {
        res.set_content("n=" + req.matches[1].str() + ";", "text/plain");
    });
    RunningServer run(server);
    int fd = connect_to(run.port);
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /n/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string got = read_until(fd, "n=3;");
    auto p1 = got.find("n=1;"), p2 = got.find("n=2;"), p3 = got.find("n=3;");
    ASSERT_NE(p3, std::string::npos) << got;
    EXPECT_LT(p1, p2);
    EXPECT_LT(p2, p3);
    EXPECT_TRUE(peer_closes(fd));
    ::close(fd);
}

// RFC 9110 5.5: a field value is its bytes; nothing percent-decodes it. cpp-httplib 0.11.4
// does (its parse_header calls decode_url), so without ssed's guard a route saw "a%41" as "aA"
// and "%00" as a NUL byte. The target is a URL and is still decoded as one.
TEST(HttpServer, RoutesSeeHeaderValuesAsTheyWereSent) {
    HttpServer server(door(), close_fd, {}, quiet());
    server.Post(R"(/echo/(.*))", [](const httplib::Request &req, httplib::Response &res) {
        std::string out = req.path + "|";
        for (const char *name : {"Last-Event-ID", "X-Two", "X%41"}) out += req.get_header_value(name) + "|";
        res.set_content(out + req.body, "text/plain");
    });
    RunningServer run(server);
    int fd = connect_to(run.port);
    ASSERT_GE(fd, 0);
    send_all(fd, "POST /echo/a%20b HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 50%41%00%u0041%\r\n"
                 "X-Two: 100%\r\nX%41: %%41\r\nConnection: close\r\nContent-Length: 6\r\n\r\n%41%42");
    std::string got = read_until(fd, "%41%42");
    EXPECT_NE(got.find("\r\n\r\n/echo/a b|50%41%00%u0041%|100%|%%41|%41%42"), std::string::npos) << got;
    EXPECT_TRUE(peer_closes(fd));
    ::close(fd);
}

TEST(HttpServer, HandsStreamsOffSoASmallPoolKeepsAnswering) {
    // The adopted sockets stand in for the Hub: a thread writes chunks to them.
    std::mutex mu;
    std::vector<std::pair<std::uint64_t, int>> adopted;
    // Two workers handle the handshakes: the loop and the workers never hold a stream.
    HttpServer server(
        door(2),
        [&](std::uint64_t ticket, int fd) {
            std::lock_guard<std::mutex> lock(mu);
            adopted.emplace_back(ticket, fd);
        },
        {}, quiet());
    std::atomic<std::uint64_t> next_ticket{1};
    server.Get("/stream", [&](const httplib::Request &, httplib::Response &res) {
        std::uint64_t ticket = next_ticket++;
        res.set_header("Cache-Control", "no-cache");
        res.set_chunked_content_provider("text/event-stream",
                                         [ticket](size_t, httplib::DataSink &sink) {
                                             std::string hello = "retry: 1000\n\n";
                                             if (!sink.write(hello.data(), hello.size()))
                                                 return false;
                                             HttpServer::request_takeover(ticket);
                                             return false;
                                         });
    });
    server.Get("/healthz", [](const httplib::Request &, httplib::Response &res) {
        res.set_content("ok", "text/plain");
    });
    RunningServer run(server);

    // Five streams with two workers: each would pin a thread without the hand-off.
    std::vector<int> clients;
    for (int i = 0; i < 5; ++i) {
        int fd = connect_to(run.port);
        ASSERT_GE(fd, 0);
        send_all(fd, "GET /stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
        std::string head = read_until(fd, "retry: 1000\n\n");
        ASSERT_NE(head.find("HTTP/1.1 200 OK"), std::string::npos) << head;
        ASSERT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos) << head;
        ASSERT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
        clients.push_back(fd);
    }
    {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(mu);
                if (adopted.size() == 5) break;
            }
            ASSERT_LT(std::chrono::steady_clock::now(), deadline);
            std::this_thread::sleep_for(1ms);
        }
    }
    EXPECT_EQ(server.stats().adopted, 5u);

    // The workers are free: health checks answer while all five streams stay open.
    httplib::Client cli("127.0.0.1", run.port);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(5);
    for (int i = 0; i < 3; ++i) {
        auto r = cli.Get("/healthz");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
    }

    // Whatever the new owner writes reaches each client on the same connection.
    {
        std::lock_guard<std::mutex> lock(mu);
        for (auto [ticket, fd] : adopted) {
            std::string block = "data: live " + std::to_string(ticket) + "\n\n";
            char hex[16];
            std::snprintf(hex, sizeof hex, "%zx", block.size());
            std::string chunk = std::string(hex) + "\r\n" + block + "\r\n";
            ASSERT_EQ(::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL),
                      static_cast<ssize_t>(chunk.size()));
        }
    }
    for (int fd : clients) {
        std::string got = read_until(fd, "data: live ");
        EXPECT_NE(got.find("data: live "), std::string::npos);
        // No terminating 0-chunk was sent by cpp-httplib: the stream is still open.
        EXPECT_EQ(got.find("\r\n0\r\n\r\n"), std::string::npos);
    }
    for (int fd : clients) ::close(fd);
    std::lock_guard<std::mutex> lock(mu);
    for (auto [ticket, fd] : adopted) ::close(fd);
}

TEST(HttpServer, SeveralLoopsShareTheListeningSocket) {
    DoorLimits limits = door();
    limits.loops = 3;
    HttpServer server(limits, close_fd, {}, quiet());
    server.Get("/ping", [](const httplib::Request &, httplib::Response &res) { res.set_content("pong", "text/plain"); });
    RunningServer run(server);
    std::vector<int> fds;
    for (int i = 0; i < 60; ++i) {
        int fd = connect_to(run.port);
        ASSERT_GE(fd, 0);
        send_all(fd, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
        fds.push_back(fd);
    }
    for (int fd : fds) {
        EXPECT_NE(read_until(fd, "pong").find("pong"), std::string::npos);
        ::close(fd);
    }
    EXPECT_EQ(server.stats().accepted, 60u);
    EXPECT_EQ(server.requests_handled(), 60u);
}

// Each loop drives a streamer of its own. A subscription handled on a loop (on its thread, or
// by one of its workers) joins that loop's streamer, and its socket is adopted on that loop's
// thread: the stream never changes threads. Events published from elsewhere reach them all.
TEST(HttpServer, ASubscriptionStreamsFromTheLoopThatAcceptedIt) {
    for (std::size_t workers : {0, 2}) {
        ssekit::HubLimits hl;
        hl.heartbeat = 0ms;
        ssekit::Hub hub(hl, quiet(), ssekit::StreamLoops{2, true});
        std::mutex mu;
        std::map<std::uint64_t, ssekit::Streamer *> joined_on;  // by ticket
        std::size_t adopted = 0, adopted_at_home = 0;
        DoorLimits limits = door(workers);
        limits.loops = 2;
        HttpServer server(
            limits,
            [&](std::uint64_t ticket, int fd) {
                {
                    std::lock_guard<std::mutex> lock(mu);
                    ++adopted;
                    if (joined_on[ticket] == ssekit::Streamer::home()) ++adopted_at_home;
                }
                hub.adopt(ticket, fd);
            },
            [&](std::uint64_t ticket) { hub.cancel(ticket); }, quiet(), {&hub.streamer(0), &hub.streamer(1)});
        server.Get("/stream", [&](const httplib::Request &, httplib::Response &res) {
            ssekit::SubscribeResult sub = hub.subscribe({"t"}, "");
            ASSERT_TRUE(sub.status);
            {
                std::lock_guard<std::mutex> lock(mu);
                joined_on[sub.ticket] = ssekit::Streamer::home();
            }
            res.set_chunked_content_provider("text/event-stream", [ticket = sub.ticket](size_t, httplib::DataSink &sink) {
                std::string hello = "retry: 1000\n\n";
                if (sink.write(hello.data(), hello.size())) HttpServer::request_takeover(ticket);
                return false;
            });
        });
        RunningServer run(server);
        std::vector<int> clients;
        for (int i = 0; i < 40; ++i) {
            int fd = connect_to(run.port);
            ASSERT_GE(fd, 0);
            send_all(fd, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
            ASSERT_NE(read_until(fd, "retry: 1000\n\n").find("retry: 1000"), std::string::npos);
            clients.push_back(fd);
        }
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (hub.streamer(0).subscribers() + hub.streamer(1).subscribers() < 40 || server.stats().adopted < 40) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline);
            std::this_thread::sleep_for(1ms);
        }
        {
            std::lock_guard<std::mutex> lock(mu);
            EXPECT_EQ(adopted, 40u);
            EXPECT_EQ(adopted_at_home, 40u) << "with " << workers << " workers";
            for (auto [ticket, home] : joined_on)
                EXPECT_TRUE(home == &hub.streamer(0) || home == &hub.streamer(1)) << "ticket " << ticket;
        }
        ssekit::PublishRequest req;
        req.topic = "t";
        req.data = "live";
        ASSERT_TRUE(hub.publish(req).status);
        for (int fd : clients) {
            EXPECT_NE(read_until(fd, "data: live\n\n").find("data: live\n\n"), std::string::npos);
            ::close(fd);
        }
    }
}

TEST(HttpServer, ClosesTheConnectionWhenAHandlerAsks) {
    HttpServer server(door(), close_fd, {}, quiet());
    server.Get("/bye", [](const httplib::Request &, httplib::Response &res) {
        res.set_header("Connection", "close");
        res.set_content("bye", "text/plain");
        HttpServer::request_close();
    });
    RunningServer run(server);
    int fd = connect_to(run.port);
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /bye HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got = read_until(fd, "bye");
    EXPECT_NE(got.find("200 OK"), std::string::npos);
    EXPECT_TRUE(peer_closes(fd));
    ::close(fd);
}

TEST(HttpServer, ShutdownDoesNotWaitForIdleKeepAliveConnections) {
    HttpServer server(door(), close_fd, {}, quiet());
    server.Get("/ping", [](const httplib::Request &, httplib::Response &res) {
        res.set_content("pong", "text/plain");
    });
    int port = 0;
    ASSERT_TRUE(server.bind("127.0.0.1", 0, port).is_ok());
    std::atomic<bool> returned{false};
    std::thread t([&] {
        server.serve();
        returned = true;
    });
    while (!server.serving()) std::this_thread::sleep_for(1ms);
    // Two idle connections, one after a request, one before any.
    int a = connect_to(port);
    send_all(a, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    read_until(a, "pong");
    int b = connect_to(port);
    server.shutdown();
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!returned && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(returned.load()) << "serve() still waits for idle keep-alive connections";
    t.join();
    ::close(a);
    ::close(b);
}

TEST(HttpServer, ShutdownBeforeServeStartsStillStopsIt) {
    HttpServer server(door(), close_fd, {}, quiet());
    int port = 0;
    ASSERT_TRUE(server.bind("127.0.0.1", 0, port).is_ok());
    server.shutdown();
    std::thread t([&] { server.serve(); });
    t.join();  // returns at once: the listening socket is gone
    EXPECT_FALSE(server.serving());
}

TEST(HttpServer, RefusesAnAddressInUseNamingIt) {
    HttpServer first(door(), close_fd, {}, quiet());
    RunningServer run(first);
    HttpServer second(door(), close_fd, {}, quiet());
    int port = 0;
    auto st = second.bind("127.0.0.1", run.port, port);
    ASSERT_FALSE(st.is_ok());
    EXPECT_EQ(st.code(), ssekit::Status::Code::io);
    EXPECT_NE(st.message().find("cannot listen on 127.0.0.1:" + std::to_string(run.port)),
              std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find("in use"), std::string::npos) << st.message();
}

TEST(HttpServer, BindsIpv6Loopback) {
    HttpServer server(door(), close_fd, {}, quiet());
    int port = 0;
    auto st = server.bind("::1", 0, port);
    if (!st.is_ok()) GTEST_SKIP() << "no IPv6 loopback here: " << st.message();
    EXPECT_GT(port, 0);
    server.shutdown();
}
