// The Redis side of ssekit: the envelope, minted ids and the bridge into a Hub, with a real
// redis-server started on a free loopback port (skipped when redis-server is not installed).
#include "ssekit/redis_bridge.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "ssekit/redis_conn.hpp"
#include "ssekit/redis_envelope.hpp"

using namespace ssekit;
using namespace std::chrono_literals;

namespace {

bool wait_until(const std::function<bool()> &cond, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return cond();
}

int free_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr *>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

// redis-server on 127.0.0.1:<port> in a temp dir without persistence; stopped by PID.
class RedisServer {
public:
    static constexpr const char *kBinary = "/usr/bin/redis-server";

    RedisServer() : port_(free_port()) {
        char tmpl[] = "/tmp/ssekit-redis-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        start();
    }
    ~RedisServer() {
        stop();
        std::filesystem::remove_all(dir_);
    }
    void start() {
        std::string port = std::to_string(port_);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl(kBinary, kBinary, "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir_.c_str(), "--loglevel", "warning",
                    static_cast<char *>(nullptr));
            ::_exit(127);
        }
        EXPECT_TRUE(wait_until([&] { return ping(); })) << "redis-server did not answer PING";
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    bool ping() const {
        RedisConn c;
        RedisValue v;
        return RedisConn::connect(endpoint(), 500ms, c).is_ok() && c.command({"PING"}, v).is_ok() && v.str == "PONG";
    }
    RedisEndpoint endpoint() const {
        RedisEndpoint ep;
        ep.port = port_;
        return ep;
    }
    // PUBLISH from an ordinary client, as redis-cli would.
    long long publish(std::string_view channel, std::string_view payload) const {
        RedisConn c;
        RedisValue v;
        EXPECT_TRUE(RedisConn::connect(endpoint(), 2s, c).is_ok());
        EXPECT_TRUE(c.command({"PUBLISH", channel, payload}, v).is_ok());
        return v.integer;
    }

private:
    int port_;
    std::string dir_;
    pid_t pid_ = -1;
};

bool have_redis() { return ::access(RedisServer::kBinary, X_OK) == 0; }

#define REQUIRE_REDIS() \
    if (!have_redis()) GTEST_SKIP() << "redis-server is not installed"

RedisBridgeOptions options_for(const RedisServer &r) {
    RedisBridgeOptions o;
    o.endpoint = r.endpoint();
    o.ping_interval = 500ms;
    o.backoff_max = 200ms;
    return o;
}

Logger quiet_log() { return Logger("redis_bridge_test", Logger::Level::quiet); }

// Every frame the hub holds for `topic`, oldest first (an unknown Last-Event-ID replays all).
std::vector<FramePtr> history(Hub &hub, const std::string &topic) {
    SubscribeResult r = hub.subscribe({topic}, "no-such-id");
    hub.cancel(r.ticket);
    return r.replay;
}

}  // namespace

// ----------------------------------------------------------------------------------------------
// Envelope and ids

TEST(RedisEnvelope, StartsWithTheMarkerAndRoundTrips) {
    PublishRequest in;
    in.topic = "t";
    in.id = "1-abc-2";
    in.type = "price";
    in.data = "line 1\nline \"2\"";
    in.retry = 1500;
    std::string payload;
    encode_envelope(in, payload);
    EXPECT_EQ(payload, R"({"ssekit":1,"id":"1-abc-2","event":"price","data":"line 1\nline \"2\"","retry":1500})");
    PublishRequest out;
    EXPECT_TRUE(decode_envelope(payload, out));
    EXPECT_EQ(out.id, in.id);
    EXPECT_EQ(out.type, in.type);
    EXPECT_EQ(out.data, in.data);
    EXPECT_EQ(out.retry, in.retry);
}

TEST(RedisEnvelope, MessageTypeAndRetryAreLeftOut) {
    PublishRequest in;
    in.id = "x";
    in.data = "d";
    std::string payload;
    encode_envelope(in, payload);
    EXPECT_EQ(payload, R"({"ssekit":1,"id":"x","data":"d"})");
}

TEST(RedisEnvelope, AnythingElseIsPlainData) {
    for (std::string_view p : {"hello", R"({"id":"1","data":"x"})", R"({ "ssekit":1,"data":"x"})",
                               R"({"ssekit":2,"data":"x"})", ""}) {
        PublishRequest out;
        EXPECT_FALSE(decode_envelope(p, out)) << p;
        EXPECT_EQ(out.data, p);
        EXPECT_EQ(out.id, "");
    }
}

TEST(RedisEnvelope, ABrokenEnvelopeIsPlainDataAndSaysWhy) {
    PublishRequest out;
    std::string bad;
    EXPECT_FALSE(decode_envelope(R"({"ssekit":1,"id":5})", out, &bad));
    EXPECT_EQ(out.data, R"({"ssekit":1,"id":5})");
    EXPECT_NE(bad.find("\"id\" must be a string"), std::string::npos) << bad;
}

TEST(RedisEnvelope, ChannelIsPrefixPlusTopic) {
    EXPECT_EQ(channel_for("sse:", "news"), "sse:news");
    EXPECT_EQ(topic_of_channel("sse:", "sse:news"), "news");
    EXPECT_EQ(topic_of_channel("sse:", "other:news"), "");
}

TEST(IdMinter, MintsMsTagSeqUniqueAndOrderedWithinAProcess) {
    IdMinter a, b;
    // <unix-ms>-<8 hex>-<seq>
    auto well_formed = [](const std::string &id) {
        auto d1 = id.find('-'), d2 = id.find('-', d1 + 1);
        if (d1 < 13 || d2 != d1 + 9 || id.find('-', d2 + 1) != std::string::npos || d2 + 1 == id.size()) return false;
        auto all = [&](std::size_t from, std::size_t to, const char *set) {
            return id.substr(from, to - from).find_first_not_of(set) == std::string::npos;
        };
        return all(0, d1, "0123456789") && all(d1 + 1, d2, "0123456789abcdef") && all(d2 + 1, id.size(), "0123456789");
    };
    std::set<std::string> seen;
    std::string prev_a;
    for (int i = 1; i <= 1000; ++i) {
        std::string id = a.next();
        ASSERT_TRUE(well_formed(id)) << id;
        EXPECT_TRUE(id.ends_with("-" + std::to_string(i)));
        seen.insert(id);
        seen.insert(b.next());
    }
    EXPECT_EQ(seen.size(), 2000u);
}

// ----------------------------------------------------------------------------------------------
// The bridge with a real redis-server

TEST(RedisBridge, StartFailsWhenRedisIsUnreachable) {
    Hub hub(HubLimits{}, quiet_log());
    RedisBridgeOptions o;
    o.endpoint.port = free_port();
    RedisBridge bridge(hub, o, quiet_log());
    Status st = bridge.start();
    EXPECT_EQ(st.code(), Status::Code::unavailable);
    EXPECT_NE(st.message().find("Connection refused"), std::string::npos) << st.message();
    EXPECT_FALSE(bridge.healthy());
}

TEST(RedisBridge, PlainRedisCliPublishArrivesAsAMessageWithoutId) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    EXPECT_TRUE(bridge.healthy());
    EXPECT_EQ(redis.publish("sse:news", "hello"), 1);
    ASSERT_TRUE(wait_until([&] { return history(hub, "news").size() == 1; }));
    FramePtr f = history(hub, "news")[0];
    EXPECT_EQ(f->id, "");
    EXPECT_EQ(f->type, "");
    EXPECT_EQ(f->block(), "data: hello\n\n");
    EXPECT_EQ(bridge.stats().plain, 1u);
}

TEST(RedisBridge, EnvelopeKeepsItsIdTypeAndRetry) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    redis.publish("sse:t", R"({"ssekit":1,"id":"e-1","event":"tick","data":"a\nb","retry":700})");
    ASSERT_TRUE(wait_until([&] { return history(hub, "t").size() == 1; }));
    FramePtr f = history(hub, "t")[0];
    EXPECT_EQ(f->id, "e-1");
    EXPECT_EQ(f->type, "tick");
    std::string block(f->block());
    EXPECT_NE(block.find("id: e-1\n"), std::string::npos) << block;
    EXPECT_NE(block.find("retry: 700\n"), std::string::npos) << block;
    EXPECT_NE(block.find("data: a\ndata: b\n"), std::string::npos) << block;
}

TEST(RedisBridge, BadChannelsAndInjectedNewlinesAreDropped) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    redis.publish("sse:bad topic!", "x");
    redis.publish("sse:t", R"({"ssekit":1,"id":"a\nid: forged","data":"x"})");
    redis.publish("sse:t", "after");
    ASSERT_TRUE(wait_until([&] { return bridge.stats().received == 1; }));
    EXPECT_EQ(bridge.stats().dropped, 2u);
    auto h = history(hub, "t");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0]->block(), "data: after\n\n");
}

TEST(RedisBridge, TwoInstancesShowIdenticalIdsInTheSameOrder) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(HubLimits{}, quiet_log()), hub2(HubLimits{}, quiet_log());
    RedisBridge b1(hub1, options_for(redis), quiet_log()), b2(hub2, options_for(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        PublishRequest r;
        r.topic = "shared";
        r.data = "event " + std::to_string(i);
        if (i == 2) r.id = "given-id";
        PublishResult res = (i % 2 ? b2 : b1).publish(std::move(r));
        ASSERT_TRUE(res.status.is_ok()) << res.status.message();
        EXPECT_EQ(res.subscribers, 2u);  // two Redis receivers: the two bridges
        ids.push_back(res.id);
    }
    EXPECT_EQ(ids[2], "given-id");
    ASSERT_TRUE(wait_until([&] { return history(hub1, "shared").size() == 5 && history(hub2, "shared").size() == 5; }));
    auto h1 = history(hub1, "shared"), h2 = history(hub2, "shared");
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(h1[i]->id, ids[i]);
        EXPECT_EQ(h2[i]->id, ids[i]);
        EXPECT_EQ(h1[i]->block(), h2[i]->block());
    }
}

TEST(RedisBridge, BatchIsAllOrNone) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    std::vector<PublishRequest> bad(3);
    for (auto &r : bad) r.topic = "b", r.data = "x";
    bad[1].type = "evil\nevent";
    std::size_t failed = 99;
    auto res = bridge.publish_batch(bad, &failed);
    EXPECT_EQ(failed, 1u);
    EXPECT_EQ(res.back().status.code(), Status::Code::invalid_argument);

    std::vector<PublishRequest> good(3);
    for (int i = 0; i < 3; ++i) good[i].topic = "b", good[i].data = std::to_string(i);
    failed = 99;
    res = bridge.publish_batch(good, &failed);
    EXPECT_EQ(failed, 3u);
    ASSERT_EQ(res.size(), 3u);
    ASSERT_TRUE(wait_until([&] { return history(hub, "b").size() == 3; }));
    auto h = history(hub, "b");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(h[i]->id, res[i].id);
        EXPECT_EQ(h[i]->block(), "id: " + res[i].id + "\ndata: " + std::to_string(i) + "\n\n");
    }
}

TEST(RedisBridge, RedisRestartIsSurvivedAndPublishDuringTheOutageIsRefused) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    PublishRequest r;
    r.topic = "t";
    r.data = "before";
    ASSERT_TRUE(bridge.publish(r).status.is_ok());
    ASSERT_TRUE(wait_until([&] { return history(hub, "t").size() == 1; }));

    redis.stop();
    ASSERT_TRUE(wait_until([&] { return !bridge.healthy(); }));
    r.data = "during";
    PublishResult during = bridge.publish(r);
    EXPECT_EQ(during.status.code(), Status::Code::unavailable);  // never a false success

    redis.start();
    ASSERT_TRUE(wait_until([&] { return bridge.healthy(); }, 15s));
    EXPECT_GE(bridge.stats().reconnects, 1u);
    r.data = "after";
    PublishResult after = bridge.publish(r);
    ASSERT_TRUE(after.status.is_ok()) << after.status.message();
    ASSERT_TRUE(wait_until([&] { return history(hub, "t").size() == 2; }));
    auto h = history(hub, "t");
    EXPECT_EQ(h[1]->id, after.id);
    EXPECT_NE(std::string(h[1]->block()).find("data: after"), std::string::npos);
}

TEST(RedisBridge, StopIsPromptAndIdempotent) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    auto t0 = std::chrono::steady_clock::now();
    bridge.stop();
    bridge.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_FALSE(bridge.healthy());
}
