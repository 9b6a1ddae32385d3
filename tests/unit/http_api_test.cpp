// ssed's HTTP API, in-process: a Hub behind a HttpServer on 127.0.0.1, port 0, driven with
// cpp-httplib's Client and raw sockets (for streams). Reads as the API part of ssed(1).
#include "ssed/http_api.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "hub/hub.hpp"

using namespace std::chrono_literals;
using namespace ssekit;

namespace {

// Wired as run_ssed wires it: two loops, each driving its streamer.
class Ssed {
public:
    explicit Ssed(ApiOptions api = {}, HubLimits limits = {})
        : hub_(limits, Logger("http_api_test", Logger::Level::quiet), StreamLoops{2, true}),
          server_(two_loops(), [this](std::uint64_t t, int fd) { hub_.adopt(t, fd); },
                  [this](std::uint64_t t) { hub_.cancel(t); }, Logger("http_api_test", Logger::Level::quiet),
                  {&hub_.streamer(0), &hub_.streamer(1)}) {
        install_http_api(server_, hub_, api, Logger("http_api_test", Logger::Level::quiet));
        auto st = server_.bind("127.0.0.1", 0, port_);
        EXPECT_TRUE(st.is_ok()) << st.message();
        thread_ = std::thread([this] { server_.serve(); });
        while (!server_.serving()) std::this_thread::sleep_for(1ms);
    }
    ~Ssed() {
        server_.shutdown();
        thread_.join();
    }
    int port() const { return port_; }
    Hub &hub() { return hub_; }
    std::unique_ptr<httplib::Client> client() const {
        auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
        c->set_tcp_nodelay(true);
        c->set_read_timeout(10);
        return c;
    }

private:
    static DoorLimits two_loops() {
        DoorLimits l;
        l.loops = 2;
        return l;
    }
    Hub hub_;
    HttpServer server_;
    int port_ = 0;
    std::thread thread_;
};

// A subscriber on a raw socket: sends the request, collects whatever arrives.
class Stream {
public:
    Stream(int port, const std::string &target, const std::string &headers = "") {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" +
                          headers + "\r\n";
        EXPECT_EQ(::send(fd_, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    }
    ~Stream() { ::close(fd_); }

    // Reads until `needle` appears (true) or 10 s pass or the peer closes (false), or (when
    // given) `or_else` appears (false).
    bool wait_for(const std::string &needle, const std::string &or_else = "") {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (got_.find(needle) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline || closed_) return false;
            if (!or_else.empty() && got_.find(or_else) != std::string::npos) return false;
            pump(100);
        }
        return true;
    }
    bool wait_closed() {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!closed_ && std::chrono::steady_clock::now() < deadline) pump(100);
        return closed_;
    }
    const std::string &got() const { return got_; }
    std::string head() const { return got_.substr(0, got_.find("\r\n\r\n") + 2); }

private:
    void pump(int ms) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return;
        char buf[8192];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) closed_ = true;
        else got_.append(buf, static_cast<size_t>(n));
    }
    int fd_ = -1;
    std::string got_;
    bool closed_ = false;
};

std::string post(httplib::Client &c, const std::string &path, const std::string &body,
                 int expect_status, const std::string &type = "text/plain") {
    auto r = c.Post(path.c_str(), body, type.c_str());
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, expect_status) << path << " -> " << r->body;
    return r->body;
}

std::size_t published(Hub &hub) { return hub.stats().published; }

}  // namespace

TEST(HttpApi, PublishAnswersTheIdAndTheSubscriberCount) {
    Ssed ssed;
    auto c = ssed.client();
    std::string body = post(*c, "/events/news", "hello", 200);
    EXPECT_NE(body.find("\"subscribers\":0"), std::string::npos) << body;
    auto id = std::to_string(ssed.hub().epoch()) + "-1";
    EXPECT_NE(body.find("\"id\":\"" + id + "\""), std::string::npos) << body;
    body = post(*c, "/events/news?id=custom-7&event=update&retry=5000", "x", 200);
    EXPECT_NE(body.find("\"id\":\"custom-7\""), std::string::npos) << body;
}

TEST(HttpApi, SubscribeSendsExactlyTheStreamHeadersThenRetryAndTheStream) {
    Ssed ssed;
    Stream s(ssed.port(), "/events/news", "Accept-Encoding: gzip, br\r\n");
    ASSERT_TRUE(s.wait_for("retry: 3000\n\n")) << s.got();
    std::string head = s.head();
    EXPECT_NE(head.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << head;
    // No charset: with one, cpp-httplib would compress the stream and hold events back.
    EXPECT_NE(head.find("\r\nContent-Type: text/event-stream\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nCache-Control: no-cache\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nX-Accel-Buffering: no\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.find("Content-Encoding"), std::string::npos) << head;

    auto c = ssed.client();
    post(*c, "/events/news?event=update", "line one\nline two", 200);
    EXPECT_TRUE(s.wait_for("event: update\nid: " + std::to_string(ssed.hub().epoch()) +
                           "-1\ndata: line one\ndata: line two\n\n"))
        << s.got();
}

TEST(HttpApi, SeveralTopicsShareOneConnection) {
    Ssed ssed;
    Stream path(ssed.port(), "/events/a,b");
    Stream query(ssed.port(), "/events?topic=a&topic=b");
    Stream mixed(ssed.port(), "/events/a?topic=b");
    for (auto *s : {&path, &query, &mixed}) ASSERT_TRUE(s->wait_for("retry:")) << s->got();
    auto c = ssed.client();
    post(*c, "/events/a", "to-a", 200);
    post(*c, "/events/b", "to-b", 200);
    post(*c, "/events/c", "to-c", 200);
    for (auto *s : {&path, &query, &mixed}) {
        EXPECT_TRUE(s->wait_for("data: to-b\n\n")) << s->got();
        EXPECT_NE(s->got().find("data: to-a\n\n"), std::string::npos);
        EXPECT_LT(s->got().find("data: to-a"), s->got().find("data: to-b"));
        EXPECT_EQ(s->got().find("to-c"), std::string::npos);
    }
}

TEST(HttpApi, ResumesAfterLastEventIdFromTheHeaderOrTheQuery) {
    Ssed ssed;
    auto c = ssed.client();
    post(*c, "/events/t?id=e1", "one", 200);
    post(*c, "/events/t?id=e2", "two", 200);
    post(*c, "/events/t?id=e3", "three", 200);
    Stream header(ssed.port(), "/events/t", "Last-Event-ID: e1\r\n");
    Stream camel(ssed.port(), "/events/t?lastEventId=e2");
    Stream snake(ssed.port(), "/events/t?last_event_id=e2");
    ASSERT_TRUE(header.wait_for("data: three\n\n")) << header.got();
    EXPECT_EQ(header.got().find("data: one"), std::string::npos);
    EXPECT_NE(header.got().find("data: two"), std::string::npos);
    for (auto *s : {&camel, &snake}) {
        ASSERT_TRUE(s->wait_for("data: three\n\n")) << s->got();
        EXPECT_EQ(s->got().find("data: two"), std::string::npos) << s->got();
        EXPECT_EQ(s->got().find("ssed-gap"), std::string::npos) << s->got();
    }
}

// The id a browser sends back is the id's bytes (WHATWG: the last event ID string), never
// percent-decoded: "50%41" is not "50A".
TEST(HttpApi, ALastEventIdWithAPercentSignResumesFromThatEvent) {
    Ssed ssed;
    auto c = ssed.client();
    post(*c, "/events/t?id=50A", "decoy", 200);
    post(*c, "/events/t?id=50%2541", "first", 200);  // the query is a URL: the id is 50%41
    post(*c, "/events/t", "second", 200);
    Stream s(ssed.port(), "/events/t", "Last-Event-ID: 50%41\r\n");
    ASSERT_TRUE(s.wait_for("data: second\n\n")) << s.got();
    EXPECT_EQ(s.got().find("data: first"), std::string::npos) << s.got();
    EXPECT_EQ(s.got().find("ssed-gap"), std::string::npos) << s.got();
}

TEST(HttpApi, AnUnknownLastEventIdGetsAGapNoticeThenTheWholeHistory) {
    Ssed ssed;
    auto c = ssed.client();
    post(*c, "/events/t", "kept", 200);
    Stream s(ssed.port(), "/events/t", "Last-Event-ID: 1-5\r\n");
    ASSERT_TRUE(s.wait_for("data: kept\n\n")) << s.got();
    std::string gap = "event: ssed-gap\ndata: {\"reason\":\"earlier_run\",\"last_event_id\":\"1-5\"}\n\n";
    auto at = s.got().find(gap);
    ASSERT_NE(at, std::string::npos) << s.got();
    EXPECT_LT(s.got().find("retry: 3000"), at);
    EXPECT_LT(at, s.got().find("data: kept"));
}

TEST(HttpApi, ABatchIsPublishedWhole) {
    Ssed ssed;
    auto c = ssed.client();
    std::string batch = "{\"data\":\"a\"}\n\n{\"event\":\"e\",\"data\":\"b\",\"id\":\"b-id\"}\r\n"
                        "{\"topic\":\"other\",\"data\":{\"k\":1}}\n";
    std::string body = post(*c, "/events/t", batch, 200, "application/x-ndjson");
    EXPECT_NE(body.find("\"published\":3"), std::string::npos) << body;
    EXPECT_NE(body.find("\"first_id\":\"" + std::to_string(ssed.hub().epoch()) + "-1\""),
              std::string::npos) << body;
    EXPECT_NE(body.find("\"last_id\":\"" + std::to_string(ssed.hub().epoch()) + "-3\""),
              std::string::npos) << body;
    Stream other(ssed.port(), "/events/other", "Last-Event-ID: b-id\r\n");
    EXPECT_TRUE(other.wait_for("data: {\"k\":1}\n\n")) << other.got();
}

TEST(HttpApi, ABadBatchLineIsNamedAndNothingIsPublished) {
    Ssed ssed;
    auto c = ssed.client();
    std::string body = post(*c, "/events/t", "{\"data\":\"ok\"}\nnot json\n", 400, "application/x-ndjson");
    EXPECT_NE(body.find("\"error\":\"line 2: "), std::string::npos) << body;
    body = post(*c, "/events/t", "{\"data\":\"ok\"}\n{\"id\":\"a\\nb\",\"data\":\"x\"}\n", 400,
                "application/x-ndjson");
    EXPECT_NE(body.find("line 2"), std::string::npos) << body;
    body = post(*c, "/events/t", "{\"data\":\"ok\"}\n{\"topic\":\"no spaces\",\"data\":\"x\"}\n", 400,
                "application/x-ndjson");
    EXPECT_NE(body.find("line 2"), std::string::npos) << body;
    EXPECT_EQ(published(ssed.hub()), 0u);
    post(*c, "/events/t", "\n\n", 400, "application/x-ndjson");
}

TEST(HttpApi, APublishWithAKeyTheBusRemembersIsAnsweredWithTheOriginalId) {
    Ssed ssed;
    auto c = ssed.client();
    Stream s(ssed.port(), "/events/k");
    ASSERT_TRUE(s.wait_for("retry:"));
    auto first = c->Post("/events/k", httplib::Headers{{"Idempotency-Key", "order-17"}}, "once", "text/plain");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    const std::string id = std::to_string(ssed.hub().epoch()) + "-1";
    EXPECT_EQ(first->body, "{\"id\":\"" + id + "\",\"subscribers\":1}\n");
    // Sent again, the header in the IETF draft's quoted form this time: not published again.
    auto again = c->Post("/events/k", httplib::Headers{{"Idempotency-Key", "\"order-17\""}}, "once", "text/plain");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(again->body, "{\"id\":\"" + id + "\",\"subscribers\":0,\"duplicate\":true}\n");
    post(*c, "/events/k", "next", 200);
    ASSERT_TRUE(s.wait_for("data: next\n"));
    EXPECT_EQ(s.got().find("data: once\n"), s.got().rfind("data: once\n")) << s.got();  // once
    EXPECT_EQ(published(ssed.hub()), 2u);
    auto bad = c->Post("/events/k", httplib::Headers{{"Idempotency-Key", "two words"}}, "x", "text/plain");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(bad->body, "{\"error\":\"invalid key \\\"two words\\\": use " + std::string(kKeyRule) + "\"}\n");
}

TEST(HttpApi, ABatchAnswerNamesTheLinesThatWereDuplicates) {
    Ssed ssed;
    auto c = ssed.client();
    post(*c, "/events/t", "{\"data\":\"a\",\"key\":\"r-1\"}\n", 200, "application/x-ndjson");
    std::string body = post(*c, "/events/t", "{\"data\":\"a\",\"key\":\"r-1\"}\n\n{\"data\":\"b\",\"key\":\"r-2\"}\n",
                            200, "application/x-ndjson");
    const std::string epoch = std::to_string(ssed.hub().epoch());
    EXPECT_EQ(body, "{\"published\":1,\"first_id\":\"" + epoch + "-1\",\"last_id\":\"" + epoch +
                        "-2\",\"duplicates\":[1]}\n");
    body = post(*c, "/events/t", "{\"data\":\"c\"}\n", 200, "application/x-ndjson");
    EXPECT_EQ(body.find("duplicates"), std::string::npos) << body;  // only when there are some
    body = post(*c, "/events/t", "{\"data\":\"c\",\"key\":\"no spaces\"}\n", 400, "application/x-ndjson");
    EXPECT_NE(body.find("line 1: invalid key"), std::string::npos) << body;
}

TEST(HttpApi, ABatchsIdempotencyKeyIsTheFirstEventsKeyCountingUpForTheNext) {
    Ssed ssed;
    auto c = ssed.client();
    const std::string epoch = std::to_string(ssed.hub().epoch());
    auto batch = [&](const std::string &key, const std::string &body) {
        auto r = c->Post("/events/t", httplib::Headers{{"Idempotency-Key", key}}, body, "application/x-ndjson");
        EXPECT_TRUE(r);
        return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
    };
    // Lines 1 and 2 get run-7 and run-8; a line with its own key keeps it.
    EXPECT_EQ(batch("run-7", "{\"data\":\"a\"}\n{\"data\":\"b\"}\n"),
              "200 {\"published\":2,\"first_id\":\"" + epoch + "-1\",\"last_id\":\"" + epoch + "-2\"}\n");
    // The same keys one by one, or in a batch that starts elsewhere, are the same events.
    auto one = c->Post("/events/t", httplib::Headers{{"Idempotency-Key", "run-8"}}, "b", "text/plain");
    ASSERT_TRUE(one);
    EXPECT_NE(one->body.find("\"duplicate\":true"), std::string::npos) << one->body;
    EXPECT_EQ(batch("run-8", "{\"data\":\"b\"}\n{\"data\":\"c\"}\n{\"data\":\"own\",\"key\":\"mine\"}\n"),
              "200 {\"published\":2,\"first_id\":\"" + epoch + "-2\",\"last_id\":\"" + epoch +
                  "-4\",\"duplicates\":[1]}\n");
    EXPECT_EQ(batch("no-number", "{\"data\":\"x\"}\n"),
              "400 {\"error\":\"Idempotency-Key on a batch must end in a number: the first event's key, counted up "
              "for each next event\"}\n");
    EXPECT_EQ(published(ssed.hub()), 4u);
}

TEST(HttpApi, IdsAndTypesThatAreNotUtf8AreRefusedAndTheAnswerCarriesTheIdAsSent) {
    Ssed ssed;
    auto c = ssed.client();
    std::string body = post(*c, "/events/t?id=caf%C3", "x", 400);
    EXPECT_EQ(body, "{\"error\":\"id is not valid UTF-8\"}\n");
    body = post(*c, "/events/t?event=%FF", "x", 400);
    EXPECT_EQ(body, "{\"error\":\"event is not valid UTF-8\"}\n");
    body = post(*c, "/events/t", "{\"data\":\"\xFF\"}\n", 400, "application/x-ndjson");
    EXPECT_EQ(body, "{\"error\":\"line 1: not valid UTF-8, as JSON text must be (send binary data base64-encoded)\"}\n");
    EXPECT_EQ(published(ssed.hub()), 0u);
    // A valid one reads back the same in the answer and on the wire.
    body = post(*c, "/events/t?id=caf%C3%A9", "x", 200);
    EXPECT_NE(body.find("\"id\":\"caf\xC3\xA9\""), std::string::npos) << body;
    Stream s(ssed.port(), "/events/t?since=start");
    EXPECT_TRUE(s.wait_for("id: caf\xC3\xA9\ndata: x\n")) << s.got();
}

TEST(HttpApi, DataThatIsNotUtf8IsSentAsTheDecoderReadsIt) {
    Ssed ssed;
    auto c = ssed.client();
    post(*c, "/events/t", "a\xFF\xE2\x82z", 200);
    Stream s(ssed.port(), "/events/t?since=start");
    EXPECT_TRUE(s.wait_for("data: a\xEF\xBF\xBD\xEF\xBF\xBDz\n")) << s.got();
}

TEST(HttpApi, RefusesBadTopicsIdsEventsAndRetriesWith400) {
    Ssed ssed;
    auto c = ssed.client();
    std::string body = post(*c, "/events/has%20space", "x", 400);
    EXPECT_NE(body.find("invalid topic"), std::string::npos) << body;
    post(*c, "/events/a,b", "x", 400);  // publish goes to one topic
    post(*c, "/events/" + std::string(129, 'x'), "x", 400);
    body = post(*c, "/events/t?id=a%0Ab", "x", 400);
    EXPECT_NE(body.find("id contains a line break"), std::string::npos) << body;
    post(*c, "/events/t?event=a%0Db", "x", 400);
    post(*c, "/events/t?retry=soon", "x", 400);
    auto r = c->Get("/events/bad%20topic");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    r = c->Get("/events");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(published(ssed.hub()), 0u);
}

TEST(HttpApi, RefusesBodiesOverTheLimitWith413AndKeepsServing) {
    ApiOptions api;
    api.max_body = 16;
    api.max_batch_body = 64;
    Ssed ssed(api);
    auto c = ssed.client();
    c->set_keep_alive(true);
    std::string body = post(*c, "/events/t", std::string(17, 'x'), 413);
    EXPECT_NE(body.find("larger than 16 bytes"), std::string::npos) << body;
    post(*c, "/events/t", std::string(16, 'x'), 200);  // the connection still works
    post(*c, "/events/t", "{\"data\":\"" + std::string(40, 'y') + "\"}\n", 200, "application/x-ndjson");
    post(*c, "/events/t", std::string(65, 'z'), 413, "application/x-ndjson");
    post(*c, "/events/t", std::string(10000, 'z'), 413);  // past cpp-httplib's own limit too
    EXPECT_EQ(published(ssed.hub()), 2u);
}

TEST(HttpApi, TokensGuardPublishingAndSubscribingSeparately) {
    ApiOptions api;
    api.publish_token = "pub-secret";
    api.subscribe_token = "sub-secret";
    Ssed ssed(api);
    auto c = ssed.client();
    auto r = c->Post("/events/t", "x", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
    httplib::Headers wrong{{"Authorization", "Bearer sub-secret"}};
    r = c->Post("/events/t", wrong, "x", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    httplib::Headers right{{"Authorization", "Bearer pub-secret"}};
    r = c->Post("/events/t", right, "x", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);

    r = c->Get("/events/t");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = c->Get("/topics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    Stream by_header(ssed.port(), "/events/t", "Authorization: Bearer sub-secret\r\n");
    Stream by_query(ssed.port(), "/events/t?access_token=sub-secret");
    ASSERT_TRUE(by_header.wait_for("retry:"));
    ASSERT_TRUE(by_query.wait_for("retry:"));
    r = c->Post("/events/t?access_token=pub-secret", "y", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(by_header.wait_for("data: y\n\n")) << by_header.got();
    EXPECT_TRUE(by_query.wait_for("data: y\n\n")) << by_query.got();
}

TEST(HttpApi, CorsAnswersAllowedOriginsOnly) {
    ApiOptions api;
    api.cors_origins = {"https://app.example"};
    Ssed ssed(api);
    auto c = ssed.client();
    httplib::Headers allowed{{"Origin", "https://app.example"},
                             {"Access-Control-Request-Method", "POST"}};
    auto r = c->Options("/events/t", allowed);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Headers"),
              "Authorization, Content-Type, Idempotency-Key, Last-Event-ID");
    EXPECT_FALSE(r->get_header_value("Access-Control-Max-Age").empty());
    r = c->Post("/events/t", httplib::Headers{{"Origin", "https://app.example"}}, "x", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://app.example");

    httplib::Headers other{{"Origin", "https://evil.example"}};
    // A page from another origin may not publish (a simple POST is sent whatever CORS says).
    r = c->Post("/events/t", other, "forged", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(r->body.find("may not publish"), std::string::npos) << r->body;
    // ssed's own page, loaded from it, publishes from its own origin.
    r = c->Post("/events/t", httplib::Headers{{"Origin", "http://127.0.0.1:" + std::to_string(ssed.port())}}, "mine",
                "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    r = c->Options("/events/t", other);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(r->has_header("Access-Control-Allow-Methods"));
    r = c->Get("/healthz", other);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));

    Stream s(ssed.port(), "/events/t", "Origin: https://app.example\r\n");
    ASSERT_TRUE(s.wait_for("retry:"));
    EXPECT_NE(s.head().find("Access-Control-Allow-Origin: https://app.example"), std::string::npos);
}

TEST(HttpApi, AStarOriginAllowsAnyOrigin) {
    ApiOptions api;
    api.cors_origins = {"*"};
    Ssed ssed(api);
    auto c = ssed.client();
    auto r = c->Get("/healthz", httplib::Headers{{"Origin", "http://localhost:3000"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
}

TEST(HttpApi, ServesHealthMetricsTopicsAndThePage) {
    Ssed ssed;
    auto c = ssed.client();
    Stream s(ssed.port(), "/events/alpha");
    ASSERT_TRUE(s.wait_for("retry:"));
    post(*c, "/events/alpha", "x", 200);
    ASSERT_TRUE(s.wait_for("data: x\n\n"));

    auto r = c->Get("/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok\n");

    r = c->Get("/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    for (const char *m : {"ssed_subscribers", "ssed_topics", "ssed_published_total",
                          "ssed_delivered_total", "ssed_slow_consumers_dropped_total",
                          "ssed_history_frames", "ssed_history_bytes"}) {
        EXPECT_NE(r->body.find(std::string("# HELP ") + m + " "), std::string::npos) << m;
        EXPECT_NE(r->body.find(std::string("# TYPE ") + m + " "), std::string::npos) << m;
    }
    EXPECT_NE(r->body.find("\nssed_published_total 1\n"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("\nssed_topics 1\n"), std::string::npos) << r->body;

    r = c->Get("/topics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.rfind("[{\"topic\":\"alpha\",", 0), 0u) << r->body;

    r = c->Get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/html", 0), 0u);
    EXPECT_NE(r->body.find("text/event-stream"), std::string::npos);
    EXPECT_EQ(r->body.find("http://"), std::string::npos) << "the page must not load external assets";
    EXPECT_EQ(r->body.find("https://"), std::string::npos) << "the page must not load external assets";

    r = c->Get("/no/such/thing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->body, "{\"error\":\"not found\"}\n");
}

TEST(HttpApi, SubscriberAndTopicLimitsAnswer503) {
    HubLimits limits;
    limits.max_subscribers = 1;
    limits.max_topics = 2;
    Ssed ssed({}, limits);
    Stream first(ssed.port(), "/events/t");
    ASSERT_TRUE(first.wait_for("retry:"));
    auto c = ssed.client();
    auto r = c->Get("/events/t");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_NE(r->body.find("\"error\":"), std::string::npos);
    post(*c, "/events/u", "x", 200);
    post(*c, "/events/v", "x", 503);
}

TEST(HttpApi, ABusyHubAnswers503WithRetryAfter) {
    HubLimits limits;
    limits.max_inbox_deliveries = 0;  // always behind: see Hub's test of the same
    Ssed ssed({}, limits);
    auto c = ssed.client();
    auto r = c->Post("/events/t", "x", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->get_header_value("Retry-After"), "1");
    r = c->Post("/events/t", "{\"data\":\"x\"}\n", "application/x-ndjson");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->get_header_value("Retry-After"), "1");
}

TEST(HttpApi, ASubscriberThatLeavesBeforeTheHandOffFreesItsSlot) {
    HubLimits limits;
    limits.max_subscribers = 1;
    Ssed ssed({}, limits);
    auto c = ssed.client();
    // HEAD runs the handler but never the provider: the subscription must be released.
    auto r = c->Head("/events/t");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    // The streaming thread releases the slot asynchronously (within milliseconds), so a
    // subscribe sent at once may still meet the limit; within a few seconds it must get in.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        Stream s(ssed.port(), "/events/t");
        // A 503 keeps the connection open (keep-alive): stop at its body, not at a close.
        if (s.wait_for("retry:", "subscriber limit reached")) break;
        ASSERT_NE(s.got().find(" 503 "), std::string::npos) << s.got();
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the slot was never freed";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

TEST(HttpApi, TheAccessLogNeverShowsAToken) {
    EXPECT_EQ(redact_target("/events/a"), "/events/a");
    EXPECT_EQ(redact_target("/events/a?access_token=s3cret"), "/events/a?access_token=REDACTED");
    EXPECT_EQ(redact_target("/events/a?lastEventId=7&access_token=s3cret&x=1"),
              "/events/a?lastEventId=7&access_token=REDACTED&x=1");
    EXPECT_EQ(redact_target("/events/a?access_token"), "/events/a?access_token=REDACTED");
    EXPECT_EQ(redact_target("/events/a?access_tokens=keep"), "/events/a?access_tokens=keep");
}

TEST(HttpApi, TokensCompareEqualOnlyWhenIdentical) {
    EXPECT_TRUE(tokens_equal("secret", "secret"));
    EXPECT_TRUE(tokens_equal("", ""));
    EXPECT_FALSE(tokens_equal("secret", "secreT"));
    EXPECT_FALSE(tokens_equal("secret", "secret2"));
    EXPECT_FALSE(tokens_equal("", "x"));
}

// ---- Host ----

namespace {

// Sends `bytes` on a fresh connection and returns all that comes back until the server closes
// (or 10 s pass).
std::string exchange(int port, const std::string &bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[8192];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return got;
}

}  // namespace

TEST(HttpApi, ParseHostReadsTheHostOfAHostHeader) {
    EXPECT_EQ(parse_host("localhost"), "localhost");
    EXPECT_EQ(parse_host("LocalHost:8080"), "localhost");
    EXPECT_EQ(parse_host(" 127.0.0.1:80 "), "127.0.0.1");
    EXPECT_EQ(parse_host("[::1]:8080"), "::1");
    EXPECT_EQ(parse_host("[::FFFF:127.0.0.1]"), "::ffff:127.0.0.1");
    EXPECT_EQ(parse_host("example.com.:80"), "example.com");
    EXPECT_EQ(parse_host("host:"), "host");  // an empty port is in the grammar
    for (const char *bad : {"", ":80", "[::1", "[::1]x", "[]", "[abc]", "a:b", "a:80:90", "::1", "a b", "a/b",
                            "a@b", "evil.example\r\nX: y", "caf\xc3\xa9", "a%2eb", "[::1%eth0]", "."})
        EXPECT_FALSE(parse_host(bad)) << bad;
    // --allowed-host names: no port, and a bare IPv6 literal is fine there.
    EXPECT_EQ(parse_host("::1", false), "::1");
    EXPECT_EQ(parse_host("[::1]", false), "::1");
    EXPECT_EQ(parse_host("App.Example", false), "app.example");
    EXPECT_FALSE(parse_host("localhost:8080", false));
    EXPECT_FALSE(parse_host("[::1]:8080", false));
}

// DNS rebinding: a page whose name now resolves to 127.0.0.1 sends its own name as Host (and
// as Origin, so the cross-origin publish check passes it). Only --allowed-host stops it: on
// every route, at the head, before any body is read.
TEST(HttpApi, AHostNotAllowedGets421OnEveryRouteBeforeItsBody) {
    ApiOptions api;
    api.allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
    Ssed ssed(api);
    const std::string port = std::to_string(ssed.port());
    const std::string evil = "Host: evil.example:" + port + "\r\n";
    const std::string origin = "Origin: http://evil.example:" + port + "\r\n";
    const std::vector<std::string> heads = {
        "GET /events/t HTTP/1.1\r\n" + evil + "Accept: text/event-stream\r\n\r\n",
        "GET /events?topic=t HTTP/1.1\r\n" + evil + "\r\n",
        "GET /topics HTTP/1.1\r\n" + evil + "\r\n",
        "GET /metrics HTTP/1.1\r\n" + evil + "\r\n",
        "GET /healthz HTTP/1.1\r\n" + evil + "\r\n",
        "GET / HTTP/1.1\r\n" + evil + "\r\n",
        "OPTIONS /events/t HTTP/1.1\r\n" + evil + origin + "\r\n",
        // Its body is never sent: the answer must not wait for it.
        "POST /events/t HTTP/1.1\r\n" + evil + origin + "Content-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n",
        "GET /events/t HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n",  // no Host at all
        "GET /events/t HTTP/1.1\r\nHost: localhost\r\n" + evil + "\r\n",  // two
        "GET /events/t HTTP/1.1\r\nHost: local host\r\n\r\n",
    };
    for (const std::string &head : heads) {
        std::string got = exchange(ssed.port(), head);
        EXPECT_EQ(got.rfind("HTTP/1.1 421 Misdirected Request\r\n", 0), 0u) << head << "->\n" << got;
        std::string body = got.substr(got.find("\r\n\r\n") + 4);
        EXPECT_EQ(body.rfind("{\"error\":", 0), 0u) << body;
        EXPECT_EQ(body.find('\n'), body.size() - 1) << "one line: " << body;
    }
    std::string got = exchange(ssed.port(), "GET / HTTP/1.1\r\n" + evil + "\r\n");
    EXPECT_NE(got.find("{\"error\":\"host \\\"evil.example\\\" is not served here (see --allowed-host)\"}\n"),
              std::string::npos)
        << got;
    EXPECT_EQ(published(ssed.hub()), 0u);
    EXPECT_EQ(ssed.hub().stats().subscribers, 0u);
    EXPECT_EQ(ssed.hub().stats().topics, 0u);

    // The listed names, in any case, with or without a port.
    const std::vector<std::string> listed = {"localhost:" + port, "LOCALHOST", "127.0.0.1:" + port, "[::1]:" + port};
    for (const std::string &host : listed) {
        got = exchange(ssed.port(), "POST /events/t HTTP/1.1\r\nHost: " + host +
                                        "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
        EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << host << "->\n" << got;
    }
    EXPECT_EQ(published(ssed.hub()), 4u);
    Stream s(ssed.port(), "/events/t", "");  // sends "Host: x": not listed
    EXPECT_TRUE(s.wait_closed());
    EXPECT_EQ(s.got().rfind("HTTP/1.1 421 ", 0), 0u) << s.got();
}

TEST(HttpApi, WithoutAllowedHostsAnyHostIsServed) {
    Ssed ssed;
    std::string got = exchange(ssed.port(), "POST /events/t HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 1\r\n"
                                            "Connection: close\r\n\r\nx");
    EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
    got = exchange(ssed.port(), "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");  // none at all
    EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
}

TEST(HttpApi, AnAllowedHostThatDoesNotParseMatchesNothingAndAllowsNothingElse) {
    ApiOptions api;
    api.allowed_hosts = {"bad host:80"};  // what the option's check refuses; the API must not read it as "any"
    Ssed ssed(api);
    std::string got = exchange(ssed.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(got.rfind("HTTP/1.1 421 ", 0), 0u) << got;
}
