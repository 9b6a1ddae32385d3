// Redis stream ids "<ms>-<n>" (ssed --redis-mode streams): strict parsing, ordering, and the
// Hub's streams-mode rules: a stream id that does not increase per topic is dropped, and
// subscribe_after() replays only what follows a given stream id.
#include "hub/stream_id.hpp"

#include <gtest/gtest.h>

#include "hub/hub.hpp"
#include "redis/stream.hpp"

using namespace ssekit;
using namespace std::chrono_literals;

TEST(StreamId, ParsesMillisecondsDashCounter) {
    auto id = parse_stream_id("1764063339123-7");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->ms, 1764063339123u);
    EXPECT_EQ(id->seq, 7u);
    EXPECT_EQ(format_stream_id(*id), "1764063339123-7");
    EXPECT_EQ(format_stream_id({0, 0}), "0-0");
}

TEST(StreamId, RefusesEverythingButTheStrictForm) {
    for (const char *bad : {"", "5", "-", "5-", "-5", "05-1", "5-01", "1-2-3", "a-1", "1-b", " 1-2", "1-2 ",
                            "+1-2", "1764063339123-9f3a2c1e-1", "18446744073709551616-0"})
        EXPECT_FALSE(parse_stream_id(bad)) << bad;
    EXPECT_TRUE(parse_stream_id("18446744073709551615-18446744073709551615"));
}

TEST(StreamId, OrdersByMillisecondsThenCounter) {
    EXPECT_EQ(compare_stream_ids("1-0", "1-0"), 0);
    EXPECT_EQ(compare_stream_ids("1-9", "2-0"), -1);
    EXPECT_EQ(compare_stream_ids("2-10", "2-9"), 1);  // numbers, not strings
    EXPECT_EQ(compare_stream_ids("10-0", "9-5"), 1);
    EXPECT_FALSE(compare_stream_ids("1-0", "x"));
}

// ---- the stream entry codec (redis_stream.hpp) ----

TEST(RedisStream, TheRestIsTheEnvelopeAfterItsId) {
    PublishRequest r;
    r.type = "tick";
    r.data = "a\nb";
    r.retry = 700;
    std::string rest;
    encode_stream_rest(r, rest);
    EXPECT_EQ(rest, R"("event":"tick","data":"a\nb","retry":700})");
    PublishRequest plain;
    plain.data = "x";
    rest.clear();
    encode_stream_rest(plain, rest);
    EXPECT_EQ(rest, R"("data":"x"})");
}

TEST(RedisStream, AnEntryDecodesBackWithItsStreamIdAsTheId) {
    RedisValue entry{RedisValue::Type::array, "", 0, {}};
    entry.elements.push_back(RedisValue{RedisValue::Type::string, "17-3", 0, {}});
    RedisValue fields{RedisValue::Type::array, "", 0, {}};
    fields.elements.push_back(RedisValue{RedisValue::Type::string, "e", 0, {}});
    fields.elements.push_back(RedisValue{RedisValue::Type::string, R"("event":"tick","data":"hi"})", 0, {}});
    entry.elements.push_back(fields);
    PublishRequest r;
    ASSERT_TRUE(decode_stream_entry(entry, r));
    EXPECT_EQ(r.id, "17-3");
    EXPECT_EQ(r.type, "tick");
    EXPECT_EQ(r.data, "hi");
    // Another writer's entry (no `e` field) is not ours.
    entry.elements[1].elements[0].str = "data";
    EXPECT_FALSE(decode_stream_entry(entry, r));
}

TEST(RedisStream, AnEventWithItsOwnIdIsRefused) {
    PublishRequest r;
    r.id = "mine";
    EXPECT_EQ(check_stream_request(r).code(), Status::Code::invalid_argument);
    r.id.clear();
    EXPECT_TRUE(check_stream_request(r).is_ok());
}

// ---- the Hub in streams mode ----

namespace {

HubLimits streams_limits(std::size_t history = 1000) {
    HubLimits l;
    l.heartbeat = 0ms;
    l.history = history;
    l.stream_ids = true;
    return l;
}

PublishResult pub(Hub &hub, std::string topic, std::string id) {
    PublishRequest r;
    r.topic = std::move(topic);
    r.data = "x";
    r.id = std::move(id);
    return hub.publish(std::move(r));
}

std::vector<std::string> ids_of(const std::vector<FramePtr> &frames) {
    std::vector<std::string> out;
    for (const auto &f : frames) out.push_back(f->id);
    return out;
}

Logger quiet_log() { return Logger("stream_id_test", Logger::Level::quiet); }

}  // namespace

TEST(HubStreams, DropsAStreamIdThatDoesNotIncreasePerTopic) {
    Hub hub(streams_limits(), quiet_log());
    EXPECT_FALSE(pub(hub, "t", "5-1").duplicate);
    EXPECT_FALSE(pub(hub, "t", "5-2").duplicate);
    PublishResult again = pub(hub, "t", "5-2");
    EXPECT_TRUE(again.status.is_ok());
    EXPECT_TRUE(again.duplicate);
    EXPECT_TRUE(pub(hub, "t", "4-9").duplicate);
    EXPECT_FALSE(pub(hub, "other", "1-0").duplicate);  // per topic
    EXPECT_FALSE(pub(hub, "t", "10-0").duplicate);     // numeric order
    EXPECT_EQ(hub.stats().published, 4u);
    SubscribeResult all = hub.subscribe_after({"t"}, {StreamId{0, 0}});
    EXPECT_EQ(ids_of(all.replay), (std::vector<std::string>{"5-1", "5-2", "10-0"}));
}

TEST(HubStreams, WithoutStreamModeTheSameIdIsKept) {
    HubLimits l = streams_limits();
    l.stream_ids = false;
    Hub hub(l, quiet_log());
    EXPECT_FALSE(pub(hub, "t", "5-1").duplicate);
    EXPECT_FALSE(pub(hub, "t", "5-1").duplicate);
    EXPECT_EQ(hub.stats().published, 2u);
}

TEST(HubStreams, SubscribeAfterReplaysOnlyLaterFramesPerTopic) {
    Hub hub(streams_limits(), quiet_log());
    pub(hub, "a", "1-0");
    pub(hub, "b", "2-0");
    pub(hub, "a", "3-0");
    pub(hub, "b", "4-0");
    SubscribeResult r = hub.subscribe_after({"a", "b"}, {StreamId{1, 0}, StreamId{0, 0}});
    ASSERT_TRUE(r.status.is_ok());
    EXPECT_FALSE(r.gap);
    EXPECT_EQ(ids_of(r.replay), (std::vector<std::string>{"2-0", "3-0", "4-0"}));  // publish order
    hub.cancel(r.ticket);
    SubscribeResult none = hub.subscribe_after({"a"}, {StreamId{3, 0}});
    EXPECT_TRUE(none.replay.empty());
    hub.cancel(none.ticket);
}

TEST(HubStreams, AFrameEvictedAfterTheBoundIsAGap) {
    Hub hub(streams_limits(2), quiet_log());
    pub(hub, "t", "1-0");
    pub(hub, "t", "2-0");
    pub(hub, "t", "3-0");  // evicts 1-0
    SubscribeResult ok = hub.subscribe_after({"t"}, {StreamId{1, 0}});
    EXPECT_FALSE(ok.gap);
    EXPECT_EQ(ids_of(ok.replay), (std::vector<std::string>{"2-0", "3-0"}));
    SubscribeResult lost = hub.subscribe_after({"t"}, {StreamId{0, 5}});
    ASSERT_TRUE(lost.gap);
    EXPECT_EQ(lost.gap->reason, Gap::Reason::evicted);
    EXPECT_EQ(ids_of(lost.replay), (std::vector<std::string>{"2-0", "3-0"}));
}
