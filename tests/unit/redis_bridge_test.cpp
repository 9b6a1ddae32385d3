// The Redis side of ssekit: the envelope, minted ids, idempotency keys and the bridge into a
// Hub, with a real redis-server started on a free loopback port (skipped when redis-server is not installed).
#include "ssed/redis_bridge.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "redis/conn.hpp"
#include "redis/envelope.hpp"
#include "redis/idempotency.hpp"
#include "redis/stream.hpp"
#include "hub/stream_id.hpp"

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
        EXPECT_EQ(res.instances, 2u);  // two Redis receivers: the two bridges
        EXPECT_EQ(res.subscribers, 0u);  // nobody subscribes on the instance it was posted to
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

// The issue's scenario: --max-topics 3 and five topics. Through Redis the answers are the
// in-process hub's, word for word, and what is refused never enters Redis: nothing answered
// 200 is dropped on delivery.
TEST(RedisBridge, RefusesWhatThisInstancesHubWouldRefuseBeforeRedisWithTheSameAnswer) {
    REQUIRE_REDIS();
    RedisServer redis;
    HubLimits limits;
    limits.max_topics = 3;
    Hub alone(limits, quiet_log()), hub(limits, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    for (int i = 1; i <= 5; ++i) {
        PublishRequest r;
        r.topic = "t" + std::to_string(i);
        r.data = "x";
        PublishResult local = alone.publish(r), via_redis = bridge.publish(r);
        EXPECT_EQ(via_redis.status.code(), local.status.code()) << r.topic;
        EXPECT_EQ(via_redis.status.message(), local.status.message()) << r.topic;
        EXPECT_EQ(via_redis.retry_after, local.retry_after) << r.topic;
        EXPECT_EQ(via_redis.status.is_ok(), i <= 3) << r.topic << ": " << via_redis.status.message();
    }
    std::vector<PublishRequest> batch(2);
    batch[0].topic = "t1", batch[1].topic = "t9";
    std::size_t local_failed = 99, redis_failed = 99;
    auto local = alone.publish_batch(batch, &local_failed), via_redis = bridge.publish_batch(batch, &redis_failed);
    EXPECT_EQ(via_redis.at(0).status.message(), local.at(0).status.message());
    EXPECT_EQ(redis_failed, local_failed);
    EXPECT_EQ(redis_failed, 1u);

    EXPECT_EQ(bridge.stats().published, 3u);  // the refused ones never reached Redis
    PublishRequest last;
    last.topic = "t1";
    last.data = "after";
    ASSERT_TRUE(bridge.publish(last).status.is_ok());
    ASSERT_TRUE(wait_until([&] { return bridge.stats().received == 4; }));
    EXPECT_EQ(bridge.stats().dropped, 0u);
    EXPECT_EQ(hub.stats().published, 4u);
}

TEST(RedisBridge, SubscribersCountsThisInstancesSubscribersAndInstancesTheRedisReceivers) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(HubLimits{}, quiet_log()), hub2(HubLimits{}, quiet_log());
    RedisBridge b1(hub1, options_for(redis), quiet_log()), b2(hub2, options_for(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    SubscribeResult here = b1.subscribe({"t"}, ""), there1 = b2.subscribe({"t"}, ""), there2 = b2.subscribe({"t"}, "");
    PublishRequest r;
    r.topic = "t";
    r.data = "x";
    PublishResult res = b1.publish(r);
    ASSERT_TRUE(res.status.is_ok()) << res.status.message();
    EXPECT_EQ(res.subscribers, 1u);  // as an in-process hub would say: this instance's
    EXPECT_EQ(res.instances, 2u);
    Hub alone(HubLimits{}, quiet_log());
    EXPECT_FALSE(alone.publish(r).instances);  // no Redis, no receivers to count
    b1.cancel(here.ticket);
    b2.cancel(there1.ticket);
    b2.cancel(there2.ticket);
}

// Another instance's limits cannot be checked by the one a publisher uses: what it refuses on
// delivery is lost for its subscribers, and counted, never silently.
TEST(RedisBridge, AnEventAnotherInstanceRefusesOnDeliveryIsCounted) {
    REQUIRE_REDIS();
    RedisServer redis;
    HubLimits small;
    small.max_topics = 1;
    Hub roomy(HubLimits{}, quiet_log()), tight(small, quiet_log());
    RedisBridge b1(roomy, options_for(redis), quiet_log()), b2(tight, options_for(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    for (const char *t : {"a", "b", "c"}) {
        PublishRequest r;
        r.topic = t;
        r.data = "x";
        ASSERT_TRUE(b1.publish(r).status.is_ok()) << t;
    }
    ASSERT_TRUE(wait_until([&] { return b2.stats().received + b2.stats().dropped == 3; }));
    EXPECT_EQ(b2.stats().received, 1u);
    EXPECT_EQ(b2.stats().refused, 2u);
    EXPECT_EQ(b2.stats().dropped, 2u);
    bool listed = false;
    for (const Metric &m : b2.metrics())
        if (std::string_view(m.name) == "ssed_redis_refused_total") listed = m.value == 2;
    EXPECT_TRUE(listed);
    EXPECT_EQ(b1.stats().refused, 0u);
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

// ----------------------------------------------------------------------------------------------
// Streams mode (--redis-mode streams)

namespace {

RedisBridgeOptions streams_options(const RedisServer &r, std::size_t history = 1000) {
    RedisBridgeOptions o = options_for(r);
    o.mode = RedisMode::streams;
    o.history = history;
    return o;
}

HubLimits streams_hub(std::size_t history = 1000) {
    HubLimits l;
    l.history = history;
    l.stream_ids = true;
    return l;
}

std::vector<std::string> ids_of(const std::vector<FramePtr> &frames) {
    std::vector<std::string> out;
    for (const auto &f : frames) out.push_back(f->id);
    return out;
}

std::vector<std::string> publish_n(RedisBridge &b, const std::string &topic, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        PublishRequest r;
        r.topic = topic;
        r.data = "event " + std::to_string(i);
        PublishResult res = b.publish(std::move(r));
        EXPECT_TRUE(res.status.is_ok()) << res.status.message();
        ids.push_back(res.id);
    }
    return ids;
}

long long xlen(const RedisServer &redis, const std::string &key) {
    RedisConn c;
    RedisValue v;
    EXPECT_TRUE(RedisConn::connect(redis.endpoint(), 2s, c).is_ok());
    EXPECT_TRUE(c.command({"XLEN", key}, v).is_ok());
    return v.integer;
}

}  // namespace

TEST(RedisBridgeStreams, PublishStoresEachEventInTheTopicsStreamWithTheStreamIdAsItsId) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(streams_hub(), quiet_log());
    RedisBridge bridge(hub, streams_options(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    std::vector<PublishRequest> batch(3);
    for (int i = 0; i < 3; ++i) batch[i].topic = "s", batch[i].data = std::to_string(i);
    batch[1].type = "tick";
    std::size_t failed = 99;
    auto res = bridge.publish_batch(batch, &failed);
    ASSERT_EQ(failed, 3u);
    ASSERT_EQ(res.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(parse_stream_id(res[i].id)) << res[i].id;
        EXPECT_EQ(res[i].instances, 1u);   // the one bridge
        EXPECT_EQ(res[i].subscribers, 0u);  // and no subscriber of its own
        if (i > 0) {
            EXPECT_EQ(compare_stream_ids(res[i - 1].id, res[i].id), -1);
        }
    }
    EXPECT_EQ(xlen(redis, "sse:s"), 3);
    ASSERT_TRUE(wait_until([&] { return history(hub, "s").size() == 3; }));
    auto h = history(hub, "s");
    EXPECT_EQ(h[1]->block(), "event: tick\nid: " + res[1].id + "\ndata: 1\n\n");

    PublishRequest own;
    own.topic = "s";
    own.id = "mine";
    EXPECT_EQ(bridge.publish(own).status.code(), Status::Code::invalid_argument);
    EXPECT_EQ(xlen(redis, "sse:s"), 3);
}

TEST(RedisBridgeStreams, AnInstanceStartedLaterResumesFromRedisExactly) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(streams_hub(), quiet_log());
    RedisBridge b1(hub1, streams_options(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    auto ids = publish_n(b1, "r", 5);

    Hub hub2(streams_hub(), quiet_log());  // as after a restart: an empty Hub
    RedisBridge b2(hub2, streams_options(redis), quiet_log());
    ASSERT_TRUE(b2.start().is_ok());
    SubscribeResult sub = b2.subscribe({"r"}, ids[1]);
    ASSERT_TRUE(sub.status.is_ok()) << sub.status.message();
    EXPECT_FALSE(sub.gap);
    EXPECT_EQ(ids_of(sub.replay), (std::vector<std::string>(ids.begin() + 2, ids.end())));
    EXPECT_EQ(sub.replay[0]->block(), "id: " + ids[2] + "\ndata: event 2\n\n");
    hub2.cancel(sub.ticket);

    SubscribeResult latest = b2.subscribe({"r"}, ids[4]);
    EXPECT_TRUE(latest.replay.empty());
    EXPECT_FALSE(latest.gap);
    hub2.cancel(latest.ticket);

    SubscribeResult garbage = b2.subscribe({"r"}, "not-a-stream-id");
    ASSERT_TRUE(garbage.gap);
    EXPECT_EQ(garbage.gap->reason, Gap::Reason::unknown);
    EXPECT_EQ(ids_of(garbage.replay), ids);
    hub2.cancel(garbage.ticket);
    EXPECT_EQ(b2.stats().resumes, 3u);
}

TEST(RedisBridgeStreams, AnInstanceThatSawTheEventsLiveReplaysNoneTwice) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(streams_hub(), quiet_log()), hub2(streams_hub(), quiet_log());
    RedisBridge b1(hub1, streams_options(redis), quiet_log()), b2(hub2, streams_options(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    auto ids = publish_n(b1, "live", 6);
    // Without waiting for delivery: the barrier makes the Hub's part and Redis' part meet.
    SubscribeResult sub = b2.subscribe({"live"}, ids[2]);
    ASSERT_TRUE(sub.status.is_ok()) << sub.status.message();
    EXPECT_EQ(ids_of(sub.replay), (std::vector<std::string>(ids.begin() + 3, ids.end())));
    hub2.cancel(sub.ticket);
}

TEST(RedisBridgeStreams, AnIdOlderThanTheCappedStreamIsAGap) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(streams_hub(3), quiet_log());
    RedisBridge bridge(hub, streams_options(redis, 3), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    std::vector<PublishRequest> batch(250);
    for (auto &r : batch) r.topic = "cap", r.data = "x";
    auto res = bridge.publish_batch(batch);
    ASSERT_EQ(res.size(), 250u);
    EXPECT_LT(xlen(redis, "sse:cap"), 250);  // MAXLEN ~ 3 trimmed whole nodes
    SubscribeResult sub = bridge.subscribe({"cap"}, res[0].id);
    ASSERT_TRUE(sub.gap);
    EXPECT_EQ(sub.gap->reason, Gap::Reason::evicted);
    EXPECT_EQ(sub.gap->last_event_id, res[0].id);
    EXPECT_EQ(ids_of(sub.replay), (std::vector<std::string>{res[247].id, res[248].id, res[249].id}));
    hub.cancel(sub.ticket);
}

TEST(RedisBridgeStreams, EventsMissedWhileTheSubscriptionWasDownAreBackfilledOnce) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(streams_hub(), quiet_log());
    RedisBridge bridge(hub, streams_options(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    auto before = publish_n(bridge, "bf", 2);
    ASSERT_TRUE(wait_until([&] { return history(hub, "bf").size() == 2; }));

    // Kill the bridge's subscription and publish in the same pipeline: Redis runs them in
    // order, so the events land while the bridge is away (it waits out its backoff).
    RedisConn c;
    ASSERT_TRUE(RedisConn::connect(redis.endpoint(), 2s, c).is_ok());
    std::vector<PublishRequest> missed(3);
    for (int i = 0; i < 3; ++i) missed[i].topic = "bf", missed[i].data = "missed " + std::to_string(i);
    ASSERT_TRUE(c.append({"CLIENT", "KILL", "TYPE", "pubsub"}).is_ok());
    ASSERT_TRUE(append_stream_publish(c, "sse:", 1000, missed).is_ok());
    ASSERT_TRUE(c.flush().is_ok());
    RedisValue killed, published;
    ASSERT_TRUE(c.read_reply(killed).is_ok());
    ASSERT_TRUE(c.read_reply(published).is_ok());
    EXPECT_EQ(killed.integer, 1);
    std::vector<std::string> missed_ids;
    std::vector<long long> receivers;
    ASSERT_TRUE(parse_stream_publish_reply(published, 3, missed_ids, receivers).is_ok());
    EXPECT_EQ(receivers[0], 0);  // nobody was subscribed

    ASSERT_TRUE(wait_until([&] { return bridge.stats().reconnects >= 1 && history(hub, "bf").size() == 5; }, 15s));
    auto after = publish_n(bridge, "bf", 1);
    ASSERT_TRUE(wait_until([&] { return history(hub, "bf").size() == 6; }));
    std::vector<std::string> want = before;
    want.insert(want.end(), missed_ids.begin(), missed_ids.end());
    want.push_back(after[0]);
    EXPECT_EQ(ids_of(history(hub, "bf")), want);
    EXPECT_EQ(bridge.stats().backfilled, 3u);
}

TEST(RedisBridgeStreams, ResumeWithRedisDownIsUnavailable) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(streams_hub(), quiet_log());
    RedisBridge bridge(hub, streams_options(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    auto ids = publish_n(bridge, "d", 1);
    redis.stop();
    ASSERT_TRUE(wait_until([&] { return !bridge.healthy(); }));
    SubscribeResult sub = bridge.subscribe({"d"}, ids[0]);
    EXPECT_EQ(sub.status.code(), Status::Code::unavailable);
    // Live-only subscriptions need no Redis.
    SubscribeResult live = bridge.subscribe({"d"}, "");
    EXPECT_TRUE(live.status.is_ok());
    hub.cancel(live.ticket);
}

TEST(RedisBridgeStreams, ResumeWhilePublishingGoesOnHasNoGapAndNoDuplicate) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(streams_hub(), quiet_log());
    HubLimits l2 = streams_hub();
    l2.heartbeat = 0ms;
    Hub hub2(l2, quiet_log());
    RedisBridge b1(hub1, streams_options(redis), quiet_log()), b2(hub2, streams_options(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    auto ids = publish_n(b1, "x", 20);
    std::vector<std::string> more;
    std::thread publisher([&] { more = publish_n(b1, "x", 300); });
    std::this_thread::sleep_for(5ms);  // let some of them race the resume (no assertion on timing)
    SubscribeResult sub = b2.subscribe({"x"}, ids[5]);
    ASSERT_TRUE(sub.status.is_ok()) << sub.status.message();
    EXPECT_FALSE(sub.gap);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    hub2.adopt(sub.ticket, sv[0]);  // the hub owns sv[0] now
    publisher.join();
    ids.insert(ids.end(), more.begin(), more.end());
    std::vector<std::string> want(ids.begin() + 6, ids.end());

    std::vector<std::string> got = ids_of(sub.replay);
    std::string buf;
    timeval tv{10, 0};
    ::setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string last_line = "id: " + want.back() + "\n";
    while (buf.find(last_line) == std::string::npos) {
        char chunk[65536];
        ssize_t n = ::read(sv[1], chunk, sizeof chunk);
        if (n <= 0) break;
        buf.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(sv[1]);
    for (std::size_t at = buf.find("id: "); at != std::string::npos; at = buf.find("id: ", at + 1)) {
        std::size_t nl = buf.find('\n', at);
        got.push_back(buf.substr(at + 4, nl - at - 4));
    }
    EXPECT_EQ(got, want);
}

TEST(RedisBridgeStreams, ResumeOfSeveralTopicsReadsEachStream) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(streams_hub(), quiet_log());
    RedisBridge b1(hub1, streams_options(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    auto a = publish_n(b1, "ta", 3);
    auto b = publish_n(b1, "tb", 2);
    Hub hub2(streams_hub(), quiet_log());
    RedisBridge b2(hub2, streams_options(redis), quiet_log());
    ASSERT_TRUE(b2.start().is_ok());
    SubscribeResult sub = b2.subscribe({"ta", "tb", "ta"}, a[1]);
    ASSERT_TRUE(sub.status.is_ok()) << sub.status.message();
    EXPECT_FALSE(sub.gap);
    EXPECT_EQ(ids_of(sub.replay), (std::vector<std::string>{a[2], b[0], b[1]}));
    hub2.cancel(sub.ticket);
}

TEST(RedisBridgeStreams, IdsIncreaseAcrossTopicsEvenPastAStreamAheadOfTheCounter) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(streams_hub(), quiet_log());
    RedisBridge bridge(hub, streams_options(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    auto first = publish_n(bridge, "p", 1);
    {
        // Another writer put an entry far ahead into topic q's stream.
        RedisConn c;
        RedisValue v;
        ASSERT_TRUE(RedisConn::connect(redis.endpoint(), 2s, c).is_ok());
        ASSERT_TRUE(c.command({"XADD", "sse:q", "99999999999999-5", "other", "x"}, v).is_ok());
        ASSERT_EQ(v.str, "99999999999999-5");
    }
    auto q = publish_n(bridge, "q", 1);
    auto p = publish_n(bridge, "p", 1);
    EXPECT_EQ(q[0], "99999999999999-6");  // XADD * past the stream's top
    EXPECT_EQ(p[0], "99999999999999-7");  // and the counter follows it on every topic
    EXPECT_EQ(compare_stream_ids(first[0], q[0]), -1);
}

// ----------------------------------------------------------------------------------------------
// Idempotency keys (redis/idempotency.hpp)

namespace {

PublishRequest keyed(std::string topic, std::string key, std::string data = "x") {
    PublishRequest r;
    r.topic = std::move(topic);
    r.key = std::move(key);
    r.data = std::move(data);
    return r;
}

RedisValue redis_command(const RedisServer &redis, const std::vector<std::string_view> &argv) {
    RedisConn c;
    RedisValue v;
    EXPECT_TRUE(RedisConn::connect(redis.endpoint(), 2s, c).is_ok());
    EXPECT_TRUE(c.command(argv, v).is_ok());
    return v;
}

}  // namespace

TEST(RedisIdempotency, RecordsLiveUnderThePrefixWhereNoStreamOrChannelIs) {
    EXPECT_EQ(key_record("sse:", "news"), "sse:#idem:news");
    EXPECT_EQ(previous_key_record("sse:", "news"), "sse:#idem-old:news");
    EXPECT_EQ(batch_mark("app/", "0123456789abcdef-1"), "app/#idem-batch:0123456789abcdef-1");
    // '#' is no topic character: no topic's stream or channel `<prefix><topic>` has these names.
    for (const auto &name : {key_record("sse:", "news"), batch_mark("sse:", "k")})
        EXPECT_FALSE(valid_topic(topic_of_channel("sse:", name))) << name;
}

TEST(RedisIdempotency, EventsWithKeysAreGroupedByTopicAndThoseWithoutAreGroupZero) {
    std::vector<PublishRequest> events{keyed("a", "1"), keyed("b", "2"), keyed("a", "3"), keyed("c", "")};
    KeyGroups g = key_groups("sse:", events);
    EXPECT_EQ(g.records, (std::vector<std::string>{"sse:#idem:a", "sse:#idem-old:a", "sse:#idem:b", "sse:#idem-old:b"}));
    EXPECT_EQ(g.group_of, (std::vector<std::size_t>{1, 2, 1, 0}));
}

TEST(RedisBridge, AKeyPublishedOnceIsADuplicateOnEveryInstanceAndAfterARestart) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(HubLimits{}, quiet_log()), hub2(HubLimits{}, quiet_log());
    auto b1 = std::make_unique<RedisBridge>(hub1, options_for(redis), quiet_log());
    RedisBridge b2(hub2, options_for(redis), quiet_log());
    ASSERT_TRUE(b1->start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    PublishResult first = b1->publish(keyed("k", "order-17", "once"));
    ASSERT_TRUE(first.status.is_ok()) << first.status.message();
    EXPECT_FALSE(first.duplicate);
    EXPECT_EQ(first.instances, 2u);
    PublishResult other = b2.publish(keyed("k", "order-17", "once"));
    ASSERT_TRUE(other.status.is_ok()) << other.status.message();
    EXPECT_TRUE(other.duplicate);
    EXPECT_EQ(other.id, first.id);
    EXPECT_EQ(other.instances, std::nullopt);  // it reached no one this time
    // This instance restarts; Redis lives on and still knows the key.
    b1.reset();
    b1 = std::make_unique<RedisBridge>(hub1, options_for(redis), quiet_log());
    ASSERT_TRUE(b1->start().is_ok());
    PublishResult after = b1->publish(keyed("k", "order-17", "once"));
    EXPECT_TRUE(after.duplicate);
    EXPECT_EQ(after.id, first.id);
    ASSERT_TRUE(b2.publish(keyed("k", "order-18", "next")).status.is_ok());
    ASSERT_TRUE(wait_until([&] { return history(hub2, "k").size() == 2; }));
    auto h = history(hub2, "k");
    EXPECT_EQ(h[0]->id, first.id);
    EXPECT_NE(h[1]->block().find("data: next"), std::string_view::npos);
    EXPECT_EQ(b1->stats().published, 0u);  // duplicates are not counted as published
    EXPECT_EQ(b2.stats().published, 1u);
}

TEST(RedisBridge, ABatchSentAgainPublishesOnlyWhatIsNew) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    auto once = bridge.publish_batch({keyed("b", "r-1", "1"), keyed("b", "r-2", "2")});
    ASSERT_EQ(once.size(), 2u);
    std::size_t failed = 99;
    auto res = bridge.publish_batch({keyed("b", "r-1", "1"), keyed("b", "r-2", "2"), keyed("b", "r-3", "3"),
                                     keyed("b", "r-3", "3"), keyed("c", "r-1", "other topic")},
                                    &failed);
    EXPECT_EQ(failed, 5u);
    ASSERT_EQ(res.size(), 5u);
    EXPECT_TRUE(res[0].duplicate && res[1].duplicate && res[3].duplicate);
    EXPECT_FALSE(res[2].duplicate || res[4].duplicate);  // a key is remembered per topic
    EXPECT_EQ(res[0].id, once[0].id);
    EXPECT_EQ(res[1].id, once[1].id);
    EXPECT_EQ(res[3].id, res[2].id);
    ASSERT_TRUE(wait_until([&] { return history(hub, "b").size() == 3 && history(hub, "c").size() == 1; }));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(history(hub, "b").size(), 3u);
}

TEST(RedisBridge, TwoInstancesSendingTheSameKeysAtOncePublishEachEventOnce) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(HubLimits{}, quiet_log()), hub2(HubLimits{}, quiet_log());
    RedisBridge b1(hub1, options_for(redis), quiet_log()), b2(hub2, options_for(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    constexpr int kEvents = 400, kBatch = 10;
    std::atomic<int> fresh{0}, duplicates{0}, failed{0};
    auto send_all = [&](RedisBridge &b) {
        for (int first = 0; first < kEvents; first += kBatch) {
            std::vector<PublishRequest> batch;
            for (int i = first; i < first + kBatch; ++i) batch.push_back(keyed("race", "k" + std::to_string(i)));
            for (const auto &r : b.publish_batch(std::move(batch))) {
                if (!r.status) ++failed;
                else if (r.duplicate) ++duplicates;
                else ++fresh;
            }
        }
    };
    std::thread t1([&] { send_all(b1); }), t2([&] { send_all(b2); });
    t1.join();
    t2.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(fresh.load(), kEvents);
    EXPECT_EQ(duplicates.load(), kEvents);
    ASSERT_TRUE(wait_until([&] { return history(hub1, "race").size() >= static_cast<std::size_t>(kEvents); }));
    std::this_thread::sleep_for(100ms);  // nothing more arrives
    EXPECT_EQ(history(hub1, "race").size(), static_cast<std::size_t>(kEvents));
}

TEST(RedisBridge, RecordsHoldAtLeastTheLastHistoryKeysAndExpire) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridgeOptions o = options_for(redis);
    o.history = 3;
    RedisBridge bridge(hub, o, quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    for (int i = 1; i <= 7; ++i) ASSERT_FALSE(bridge.publish(keyed("r", "k" + std::to_string(i))).duplicate) << i;
    // k4..k7 came after k1..k3: the last three keys (and more) are remembered, the oldest not.
    for (int i = 4; i <= 7; ++i) EXPECT_TRUE(bridge.publish(keyed("r", "k" + std::to_string(i))).duplicate) << i;
    EXPECT_FALSE(bridge.publish(keyed("r", "k1")).duplicate);
    // Each record also holds its encoding field (idempotency.hpp).
    long long held = redis_command(redis, {"HLEN", "sse:#idem:r"}).integer + redis_command(redis, {"HLEN", "sse:#idem-old:r"}).integer;
    EXPECT_LE(held, 2 * (3 + 1));
    for (const char *record : {"sse:#idem:r", "sse:#idem-old:r"}) {
        long long ttl = redis_command(redis, {"PTTL", record}).integer;
        EXPECT_GT(ttl, 0) << record;
        EXPECT_LE(ttl, kKeyRecordTtl.count()) << record;
    }
}

TEST(RedisBridgeStreams, AKeyPublishedOnceIsNotAddedToTheStreamAgain) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub1(streams_hub(), quiet_log()), hub2(streams_hub(), quiet_log());
    RedisBridge b1(hub1, streams_options(redis), quiet_log()), b2(hub2, streams_options(redis), quiet_log());
    ASSERT_TRUE(b1.start().is_ok());
    ASSERT_TRUE(b2.start().is_ok());
    auto first = b1.publish_batch({keyed("s", "a"), keyed("s", "b")});
    ASSERT_EQ(first.size(), 2u);
    ASSERT_TRUE(first[1].status.is_ok()) << first[1].status.message();
    std::size_t failed = 99;
    auto again = b2.publish_batch({keyed("s", "a"), keyed("s", "b"), keyed("s", "c")}, &failed);
    ASSERT_EQ(failed, 3u);
    EXPECT_TRUE(again[0].duplicate && again[1].duplicate);
    EXPECT_EQ(again[0].id, first[0].id);
    EXPECT_EQ(again[1].id, first[1].id);
    EXPECT_FALSE(again[2].duplicate);
    EXPECT_EQ(compare_stream_ids(first[1].id, again[2].id), -1);
    EXPECT_EQ(xlen(redis, "sse:s"), 3);
    // An instance that resumes from Redis replays each event once.
    Hub hub3(streams_hub(), quiet_log());
    RedisBridge b3(hub3, streams_options(redis), quiet_log());
    ASSERT_TRUE(b3.start().is_ok());
    SubscribeResult sub = b3.subscribe_from_start({"s"});
    ASSERT_TRUE(sub.status.is_ok()) << sub.status.message();
    EXPECT_EQ(ids_of(sub.replay), (std::vector<std::string>{first[0].id, first[1].id, again[2].id}));
    hub3.cancel(sub.ticket);
}

TEST(RedisBridgeStreams, ABatchOfDuplicatesLeavesTheCounterAlone) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(streams_hub(), quiet_log());
    RedisBridge bridge(hub, streams_options(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    PublishResult first = bridge.publish(keyed("s", "a"));
    std::string counter = redis_command(redis, {"GET", "sse:#lastid"}).str;
    EXPECT_EQ(counter, first.id);
    EXPECT_TRUE(bridge.publish(keyed("s", "a")).duplicate);
    EXPECT_EQ(redis_command(redis, {"GET", "sse:#lastid"}).str, counter);
    EXPECT_EQ(compare_stream_ids(first.id, publish_n(bridge, "s", 1)[0]), -1);
}

TEST(RedisBridge, AnIdThatIsNotUtf8IsRefusedBeforeRedis) {
    REQUIRE_REDIS();
    RedisServer redis;
    Hub hub(HubLimits{}, quiet_log());
    RedisBridge bridge(hub, options_for(redis), quiet_log());
    ASSERT_TRUE(bridge.start().is_ok());
    PublishRequest r;
    r.topic = "u";
    r.id = "\xFF";
    r.data = "x";
    PublishResult res = bridge.publish(std::move(r));
    EXPECT_EQ(res.status.message(), "id is not valid UTF-8");
    EXPECT_EQ(bridge.stats().published, 0u);
}
