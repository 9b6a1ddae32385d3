// The hub, read as a specification of hub.hpp: ids and order, resume after a Last-Event-ID
// (one topic or several), the gap reasons, publisher-given ids, the hand-over without loss or
// duplicate, slow consumers, heartbeats, peer close, drain, and the limits.
#include "hub/hub.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <optional>
#include <thread>

#include "socket_reader.hpp"
#include "hub/event_id.hpp"

using namespace ssekit;
using namespace std::chrono_literals;
using test_support::read_until;
using test_support::Received;
using test_support::SocketPair;
using test_support::wait_for;

namespace {

HubLimits quiet() {
    HubLimits l;
    l.heartbeat = 0ms;
    return l;
}

PublishResult pub(Hub &hub, std::string topic, std::string data = "x", std::string id = {}) {
    PublishRequest r;
    r.topic = std::move(topic);
    r.data = std::move(data);
    r.id = std::move(id);
    return hub.publish(std::move(r));
}

std::vector<std::string> ids_of(const std::vector<FramePtr> &frames) {
    std::vector<std::string> out;
    for (const auto &f : frames) out.push_back(f->id);
    return out;
}

std::string minted(const Hub &hub, std::uint64_t seq) { return format_event_id({hub.epoch(), seq}); }

auto has_ids(std::size_t n) {
    return [n](const Received &r) { return r.ids().size() >= n; };
}

}  // namespace

// ---- publish and ids ----

TEST(Hub, MintsEpochDashSeqIdsInPublishOrderAcrossTopics) {
    Hub hub(quiet(), Logger("test"));
    auto a = pub(hub, "a"), b = pub(hub, "b"), c = pub(hub, "a");
    ASSERT_TRUE(a.status && b.status && c.status);
    EXPECT_EQ(a.seq, 1u);
    EXPECT_EQ(b.seq, 2u);
    EXPECT_EQ(c.seq, 3u);
    EXPECT_EQ(a.id, minted(hub, 1));
    EXPECT_EQ(c.id, minted(hub, 3));
}

TEST(Hub, KeepsAPublisherGivenIdAsIs) {
    Hub hub(quiet(), Logger("test"));
    auto r = pub(hub, "a", "x", "order-17");
    ASSERT_TRUE(r.status);
    EXPECT_EQ(r.id, "order-17");
    auto s = hub.subscribe({"a"}, "nope");
    ASSERT_EQ(s.replay.size(), 1u);
    EXPECT_EQ(s.replay[0]->id, "order-17");
    EXPECT_NE(s.replay[0]->block().find("id: order-17\n"), std::string_view::npos);
    hub.cancel(s.ticket);
}

TEST(Hub, FramesHoldTheEncodedBlockInsideItsChunk) {
    Hub hub(quiet(), Logger("test"));
    PublishRequest r;
    r.topic = "a";
    r.type = "price";
    r.data = "1\n2";
    r.retry = 500;
    ASSERT_TRUE(hub.publish(r).status);
    auto s = hub.subscribe({"a"}, "unknown-id");
    ASSERT_EQ(s.replay.size(), 1u);
    const Frame &f = *s.replay[0];
    std::string block = "event: price\nid: " + minted(hub, 1) + "\nretry: 500\ndata: 1\ndata: 2\n\n";
    EXPECT_EQ(f.block(), block);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", block.size());
    EXPECT_EQ(f.chunk, std::string(hex) + "\r\n" + block + "\r\n");
    EXPECT_EQ(f.topic, "a");
    EXPECT_EQ(f.type, "price");
    hub.cancel(s.ticket);
}

TEST(Hub, RefusesBadTopicsAndFieldsThatWouldBreakTheStream) {
    Hub hub(quiet(), Logger("test"));
    EXPECT_EQ(pub(hub, "").status.code(), Status::Code::invalid_argument);
    EXPECT_EQ(pub(hub, "a b").status.code(), Status::Code::invalid_argument);
    EXPECT_EQ(pub(hub, "a", "x", "1\n2").status.code(), Status::Code::invalid_argument);
    PublishRequest r;
    r.topic = "a";
    r.type = "x\rdata: injected";
    EXPECT_EQ(hub.publish(r).status.code(), Status::Code::invalid_argument);
    EXPECT_EQ(hub.stats().published, 0u);
    EXPECT_EQ(hub.stats().topics, 0u);
}

TEST(Hub, IdleTopicsAreReclaimedWhenTheTopicLimitIsReached) {
    HubLimits limits = quiet();
    limits.max_topics = 3;
    limits.topic_ttl = std::chrono::hours(1);
    Hub hub(limits, Logger("test"));
    // Subscriptions that name topics and leave: the topics exist but hold nothing.
    for (const char *t : {"a", "b", "c"}) {
        auto s = hub.subscribe({t}, "");
        ASSERT_TRUE(s.status) << s.status.message();
        hub.cancel(s.ticket);
    }
    ASSERT_TRUE(wait_for([&] { return hub.stats().subscribers == 0; }));
    EXPECT_EQ(hub.stats().topics, 3u);
    // The limit is reached, but they are idle: a new topic gets in.
    EXPECT_TRUE(pub(hub, "d").status);
    EXPECT_EQ(hub.stats().topics_reclaimed, 3u);
    EXPECT_EQ(hub.stats().topics, 1u);
}

TEST(Hub, ATopicWithASubscriberOrFreshHistoryIsKept) {
    HubLimits limits = quiet();
    limits.max_topics = 2;
    limits.topic_ttl = std::chrono::hours(1);
    Hub hub(limits, Logger("test"));
    auto watched = hub.subscribe({"watched"}, "");
    ASSERT_TRUE(watched.status);
    ASSERT_TRUE(pub(hub, "busy").status);  // history newer than the TTL
    PublishResult r = pub(hub, "new");
    EXPECT_EQ(r.status.code(), Status::Code::unavailable);
    EXPECT_NE(r.status.message().find("topic limit reached"), std::string::npos);
    EXPECT_EQ(hub.stats().topics_reclaimed, 0u);
    hub.cancel(watched.ticket);
}

TEST(Hub, AResumeIntoAReclaimedTopicIsToldOfTheGap) {
    HubLimits limits = quiet();
    limits.max_topics = 1;
    limits.topic_ttl = std::chrono::milliseconds(0);  // any history counts as old
    Hub hub(limits, Logger("test"));
    PublishResult first = pub(hub, "a");
    ASSERT_TRUE(pub(hub, "a").status);
    ASSERT_TRUE(pub(hub, "b").status);  // reclaims "a" and its two events
    ASSERT_TRUE(pub(hub, "a").status);  // "a" again, reclaiming "b"
    auto s = hub.subscribe({"a"}, first.id);
    ASSERT_TRUE(s.status) << s.status.message();
    ASSERT_TRUE(s.gap);
    EXPECT_EQ(s.gap->reason, Gap::Reason::evicted);
    ASSERT_EQ(s.replay.size(), 1u);  // what "a" holds now
    hub.cancel(s.ticket);
}

TEST(Hub, APublishWhileDeliveryIsBehindIsRefusedWithARetryHint) {
    // A bound of 0 deliveries: the hub counts itself behind from the start (the plumbing of
    // backpressure; how far behind is measured by scripts/bench.sh).
    HubLimits limits = quiet();
    limits.max_inbox_deliveries = 0;
    Hub hub(limits, Logger("test"));
    PublishResult r = pub(hub, "a");
    EXPECT_EQ(r.status.code(), Status::Code::unavailable);
    EXPECT_EQ(r.retry_after, std::chrono::seconds(1));
    std::size_t failed = 7;
    std::vector<PublishRequest> reqs(2);
    reqs[0].topic = reqs[1].topic = "a";
    auto rs = hub.publish_batch(reqs, &failed);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].retry_after, std::chrono::seconds(1));
    EXPECT_EQ(failed, 0u);
    EXPECT_EQ(hub.stats().published, 0u);
}

TEST(Hub, PublishBatchIsAllOrNothing) {
    Hub hub(quiet(), Logger("test"));
    std::vector<PublishRequest> reqs(3);
    reqs[0].topic = "a";
    reqs[1].topic = "b";
    reqs[1].id = "bad\nid";
    reqs[2].topic = "a";
    std::size_t failed = 99;
    auto res = hub.publish_batch(reqs, &failed);
    EXPECT_EQ(failed, 1u);
    ASSERT_EQ(res.size(), 1u);
    EXPECT_EQ(res[0].status.code(), Status::Code::invalid_argument);
    EXPECT_EQ(hub.stats().published, 0u);

    reqs[1].id = "fine";
    res = hub.publish_batch(reqs, &failed);
    EXPECT_EQ(failed, 3u);
    ASSERT_EQ(res.size(), 3u);
    EXPECT_EQ(res[0].seq, 1u);
    EXPECT_EQ(res[1].id, "fine");
    EXPECT_EQ(res[2].seq, 3u);
    EXPECT_EQ(hub.stats().published, 3u);
}

// ---- idempotency keys ----

namespace {

PublishRequest keyed(std::string topic, std::string key, std::string data = "x") {
    PublishRequest r;
    r.topic = std::move(topic);
    r.key = std::move(key);
    r.data = std::move(data);
    return r;
}

}  // namespace

TEST(Hub, APublishWhoseKeyTheHistoryHoldsIsAnsweredWithTheOriginalAndNotDeliveredAgain) {
    Hub hub(quiet(), Logger("test"));
    auto s = hub.subscribe({"a"}, "");
    SocketPair sp;
    hub.adopt(s.ticket, sp.server);
    PublishResult first = hub.publish(keyed("a", "k1", "once"));
    ASSERT_TRUE(first.status);
    EXPECT_FALSE(first.duplicate);
    PublishResult again = hub.publish(keyed("a", "k1", "once"));
    ASSERT_TRUE(again.status) << again.status.message();
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.id, first.id);
    EXPECT_EQ(again.seq, first.seq);
    EXPECT_EQ(again.subscribers, 0u);  // nobody got it this time
    PublishResult next = pub(hub, "a", "after");
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(2)));
    EXPECT_EQ(r.ids(), (std::vector<std::string>{first.id, next.id}));
    EXPECT_EQ(hub.stats().published, 2u);
    EXPECT_EQ(hub.stats().history_frames, 2u);
}

TEST(Hub, KeysAreRememberedPerTopic) {
    Hub hub(quiet(), Logger("test"));
    ASSERT_TRUE(hub.publish(keyed("a", "k")).status);
    PublishResult other = hub.publish(keyed("b", "k"));
    ASSERT_TRUE(other.status);
    EXPECT_FALSE(other.duplicate);
}

TEST(Hub, AKeyIsForgottenWithItsEventsHistoryAndThenAcceptedAgain) {
    HubLimits limits = quiet();
    limits.history = 3;
    Hub hub(limits, Logger("test"));
    PublishResult first = hub.publish(keyed("a", "k"));
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(pub(hub, "a").status);
    EXPECT_TRUE(hub.publish(keyed("a", "k")).duplicate);  // still among the last 3
    ASSERT_TRUE(pub(hub, "a").status);                     // pushes the keyed event out
    PublishResult later = hub.publish(keyed("a", "k"));
    ASSERT_TRUE(later.status);
    EXPECT_FALSE(later.duplicate);
    EXPECT_NE(later.id, first.id);
}

TEST(Hub, WithoutHistoryNoKeyIsRemembered) {
    HubLimits limits = quiet();
    limits.history = 0;
    Hub hub(limits, Logger("test"));
    ASSERT_TRUE(hub.publish(keyed("a", "k")).status);
    EXPECT_FALSE(hub.publish(keyed("a", "k")).duplicate);
}

TEST(Hub, ABatchSentAgainPublishesOnlyWhatIsNew) {
    Hub hub(quiet(), Logger("test"));
    std::vector<PublishRequest> first{keyed("a", "r-1"), keyed("a", "r-2")};
    auto once = hub.publish_batch(first);
    ASSERT_EQ(once.size(), 2u);
    // The same two again (their answer was lost), one new, and a repeat within the batch.
    std::vector<PublishRequest> again{keyed("a", "r-1"), keyed("a", "r-2"), keyed("a", "r-3"), keyed("a", "r-3")};
    std::size_t failed = 99;
    auto res = hub.publish_batch(again, &failed);
    EXPECT_EQ(failed, 4u);
    ASSERT_EQ(res.size(), 4u);
    EXPECT_TRUE(res[0].duplicate && res[1].duplicate && res[3].duplicate);
    EXPECT_FALSE(res[2].duplicate);
    EXPECT_EQ(res[0].id, once[0].id);
    EXPECT_EQ(res[1].id, once[1].id);
    EXPECT_EQ(res[3].id, res[2].id);
    EXPECT_EQ(hub.stats().published, 3u);
}

TEST(Hub, ABadKeyIsRefusedLikeAnyBadField) {
    Hub hub(quiet(), Logger("test"));
    PublishResult r = hub.publish(keyed("a", "two words"));
    EXPECT_EQ(r.status.message(), check_key("two words").message());
    EXPECT_EQ(hub.stats().published, 0u);
}

// ---- bytes that are not UTF-8 ----

TEST(Hub, DataThatIsNotUtf8ReachesSubscribersAsTheDecoderReadsIt) {
    Hub hub(quiet(), Logger("test"));
    ASSERT_TRUE(pub(hub, "a", "x\xFFy").status);
    std::vector<PublishRequest> batch(1);
    batch[0].topic = "a";
    batch[0].data = "x\xFFy";
    ASSERT_EQ(hub.publish_batch(batch).size(), 1u);
    auto s = hub.subscribe_from_start({"a"});
    ASSERT_EQ(s.replay.size(), 2u);
    for (const auto &f : s.replay) EXPECT_NE(f->block().find("data: x\xEF\xBF\xBDy\n"), std::string_view::npos);
    hub.cancel(s.ticket);
}

TEST(Hub, AnIdThatIsNotUtf8IsRefused) {
    Hub hub(quiet(), Logger("test"));
    EXPECT_EQ(pub(hub, "a", "x", "\xC3(").status.message(), "id is not valid UTF-8");
}

// ---- resume ----

TEST(Hub, WithoutLastEventIdTheReplayIsEmpty) {
    Hub hub(quiet(), Logger("test"));
    pub(hub, "a");
    auto s = hub.subscribe({"a"}, "");
    ASSERT_TRUE(s.status);
    EXPECT_TRUE(s.replay.empty());
    EXPECT_FALSE(s.gap);
    hub.cancel(s.ticket);
}

TEST(Hub, ResumeAfterAnIdReplaysExactlyTheLaterFrames) {
    Hub hub(quiet(), Logger("test"));
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.push_back(pub(hub, "a").id);
    auto s = hub.subscribe({"a"}, ids[6]);
    EXPECT_FALSE(s.gap);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{ids[7], ids[8], ids[9]}));
    auto last = hub.subscribe({"a"}, ids[9]);
    EXPECT_TRUE(last.replay.empty());
    EXPECT_FALSE(last.gap);
    hub.cancel(s.ticket);
    hub.cancel(last.ticket);
}

TEST(Hub, ResumeAcrossSeveralTopicsMergesTheirFramesInPublishOrder) {
    Hub hub(quiet(), Logger("test"));
    auto a1 = pub(hub, "a"), b2 = pub(hub, "b"), c3 = pub(hub, "c"), a4 = pub(hub, "a"), b5 = pub(hub, "b");
    auto s = hub.subscribe({"a", "b"}, a1.id);
    EXPECT_FALSE(s.gap);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{b2.id, a4.id, b5.id}));
    // The position is hub-wide: an id from a topic not subscribed still says where to go on.
    auto t = hub.subscribe({"a", "b"}, c3.id);
    EXPECT_FALSE(t.gap);
    EXPECT_EQ(ids_of(t.replay), (std::vector<std::string>{a4.id, b5.id}));
    hub.cancel(s.ticket);
    hub.cancel(t.ticket);
}

TEST(Hub, PublisherGivenIdsAreResumable) {
    Hub hub(quiet(), Logger("test"));
    pub(hub, "a", "x", "order-1");
    pub(hub, "a", "x", "order-2");
    pub(hub, "b", "x");
    pub(hub, "a", "x", "order-3");
    auto s = hub.subscribe({"a"}, "order-1");
    EXPECT_FALSE(s.gap);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{"order-2", "order-3"}));
    hub.cancel(s.ticket);
}

TEST(Hub, AnEvictedPositionGivesGapEvictedAndWhatIsLeft) {
    HubLimits l = quiet();
    l.history = 3;
    Hub hub(l, Logger("test"));
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.push_back(pub(hub, "a").id);
    auto s = hub.subscribe({"a"}, ids[1]);
    ASSERT_TRUE(s.gap);
    EXPECT_EQ(s.gap->reason, Gap::Reason::evicted);
    EXPECT_EQ(s.gap->last_event_id, ids[1]);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{ids[7], ids[8], ids[9]}));
    EXPECT_EQ(to_string(Gap::Reason::evicted), "evicted");
    hub.cancel(s.ticket);
}

TEST(Hub, AnEvictedFrameIsNoGapWhenEverythingAfterItIsStillThere) {
    HubLimits l = quiet();
    l.history = 3;
    Hub hub(l, Logger("test"));
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(pub(hub, "a").id);
    auto s = hub.subscribe({"a"}, ids[0]);  // ids[0] itself is gone, 1..3 are kept
    EXPECT_FALSE(s.gap);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{ids[1], ids[2], ids[3]}));
    hub.cancel(s.ticket);
}

TEST(Hub, AFoundIdStillReportsFramesLostInAnotherRequestedTopic) {
    HubLimits l = quiet();
    l.history = 2;
    Hub hub(l, Logger("test"));
    auto a = pub(hub, "a", "x", "a-1");
    for (int i = 0; i < 5; ++i) pub(hub, "b");
    auto s = hub.subscribe({"a", "b"}, "a-1");
    ASSERT_TRUE(s.gap);
    EXPECT_EQ(s.gap->reason, Gap::Reason::evicted);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{minted(hub, 5), minted(hub, 6)}));
    hub.cancel(s.ticket);
}

// ?since=start: what a client that may have connected after the first publish asks for.
TEST(Hub, FromStartIsTheWholeRetainedHistoryOfEveryTopicWithoutAGap) {
    HubLimits l = quiet();
    l.history = 3;
    Hub hub(l, Logger("test"));
    for (int i = 0; i < 5; ++i) pub(hub, "a");  // 1 and 2 evicted: not asked for, so no gap
    pub(hub, "b");
    pub(hub, "a");
    auto s = hub.subscribe_from_start({"a", "b"});
    ASSERT_TRUE(s.status);
    EXPECT_FALSE(s.gap);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{minted(hub, 4), minted(hub, 5), minted(hub, 6),
                                                          minted(hub, 7)}));
    auto fresh = hub.subscribe_from_start({"new"});
    EXPECT_TRUE(fresh.status);
    EXPECT_TRUE(fresh.replay.empty());
    EXPECT_FALSE(fresh.gap);
    EXPECT_FALSE(hub.subscribe_from_start({"bad topic"}).status);
    hub.cancel(s.ticket);
    hub.cancel(fresh.ticket);
}

TEST(Hub, FromStartThenLiveMissesNothingPublishedAfterTheSubscription) {
    Hub hub(quiet(), Logger("test"));
    auto before = pub(hub, "a");
    auto s = hub.subscribe_from_start({"a"});
    EXPECT_EQ(ids_of(s.replay), std::vector<std::string>{before.id});
    SocketPair sp;
    hub.adopt(s.ticket, sp.server);
    auto after = pub(hub, "a");
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(1)));
    EXPECT_EQ(r.ids(), std::vector<std::string>{after.id});
}

TEST(Hub, AnIdFromAnEarlierRunGivesGapEarlierRunAndTheWholeHistory) {
    Hub hub(quiet(), Logger("test"));
    auto x = pub(hub, "a"), y = pub(hub, "a");
    auto s = hub.subscribe({"a"}, format_event_id({hub.epoch() - 1, 1}));
    ASSERT_TRUE(s.gap);
    EXPECT_EQ(s.gap->reason, Gap::Reason::earlier_run);
    EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{x.id, y.id}));
    hub.cancel(s.ticket);
}

TEST(Hub, AnIdNeverSeenGivesGapUnknownAndTheWholeHistory) {
    Hub hub(quiet(), Logger("test"));
    auto x = pub(hub, "a"), y = pub(hub, "b"), z = pub(hub, "a");
    for (std::string id : {std::string("no-such-id"), minted(hub, 4), format_event_id({hub.epoch() + 1, 1})}) {
        auto s = hub.subscribe({"a", "b"}, id);
        ASSERT_TRUE(s.gap) << id;
        EXPECT_EQ(s.gap->reason, Gap::Reason::unknown) << id;
        EXPECT_EQ(ids_of(s.replay), (std::vector<std::string>{x.id, y.id, z.id})) << id;
        hub.cancel(s.ticket);
    }
}

TEST(Hub, WithNoHistoryEveryResumeIsAGap) {
    HubLimits l = quiet();
    l.history = 0;
    Hub hub(l, Logger("test"));
    auto x = pub(hub, "a");
    pub(hub, "a");
    auto s = hub.subscribe({"a"}, x.id);
    ASSERT_TRUE(s.gap);
    EXPECT_EQ(s.gap->reason, Gap::Reason::evicted);
    EXPECT_TRUE(s.replay.empty());
    hub.cancel(s.ticket);
}

// ---- streaming ----

TEST(Hub, AnAdoptedSubscriberReceivesLiveEventsInOrder) {
    Hub hub(quiet(), Logger("test"));
    auto s = hub.subscribe({"a"}, "");
    SocketPair sp;
    hub.adopt(s.ticket, sp.server);
    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i) ids.push_back(pub(hub, i % 2 ? "a" : "other").id);
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(25)));
    std::vector<std::string> want;
    for (int i = 1; i < 50; i += 2) want.push_back(ids[i]);
    EXPECT_EQ(r.ids(), want);
    EXPECT_FALSE(r.framing_error);
    // Counted once written: the loop thread may count them a moment after the reader has them.
    EXPECT_TRUE(wait_for([&] { return hub.stats().delivered == 25u; })) << hub.stats().delivered;
}

TEST(Hub, SubscribingToATopicTwiceDeliversOnce) {
    Hub hub(quiet(), Logger("test"));
    auto s = hub.subscribe({"a", "a"}, "");
    SocketPair sp;
    hub.adopt(s.ticket, sp.server);
    auto x = pub(hub, "a");
    auto y = pub(hub, "a");
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(2)));
    EXPECT_EQ(r.ids(), (std::vector<std::string>{x.id, y.id}));
    EXPECT_EQ(hub.topics().at(0).subscribers, 1u);
}

// Subscribes while another thread publishes without pause, and adopts some sockets at once and
// some only after more events went out: replay + stream must be every seq after the resume
// point, each exactly once.
TEST(Hub, NoLossAndNoDuplicateAcrossTheHandOver) {
    HubLimits l = quiet();
    l.history = 100000;
    l.max_backlog_bytes = 16 << 20;
    Hub hub(l, Logger("test"));
    const std::uint64_t total = 6000;
    const int subs = 100;
    std::atomic<std::uint64_t> done{0};
    std::thread publisher([&] {
        for (std::uint64_t i = 1; i <= total; ++i) {
            pub(hub, "t");
            done = i;
            if (i % 64 == 0) std::this_thread::yield();
        }
    });
    struct Sub {
        std::unique_ptr<SocketPair> sp = std::make_unique<SocketPair>();
        std::uint64_t from = 0;
        std::vector<std::string> replay;
        Received r;
    };
    std::vector<Sub> all(subs);
    for (int i = 0; i < subs; ++i) {
        wait_for([&] { return done >= static_cast<std::uint64_t>(i) * total / subs; });
        Sub &s = all[i];
        s.from = hub.stats().published / 2;  // resume somewhat behind the head
        auto res = hub.subscribe({"t"}, format_event_id({hub.epoch(), s.from}));
        ASSERT_TRUE(res.status);
        ASSERT_FALSE(res.gap);
        s.replay = ids_of(res.replay);
        if (i % 3 == 0) wait_for([&] { return done >= std::min(total, hub.stats().published + 50); }, 2s);
        hub.adopt(res.ticket, s.sp->server);
    }
    publisher.join();
    for (auto &s : all) {
        std::size_t want = total - s.from;
        ASSERT_TRUE(read_until(s.sp->client, s.r, [&](const Received &r) { return s.replay.size() + r.ids().size() >= want; }, 30s));
        std::vector<std::string> got = s.replay;
        for (auto &id : s.r.ids()) got.push_back(id);
        ASSERT_EQ(got.size(), want) << "subscriber from " << s.from;
        for (std::size_t k = 0; k < got.size(); ++k) ASSERT_EQ(got[k], minted(hub, s.from + 1 + k));
    }
}

TEST(Hub, ThousandSubscribersOfOneTopicEachReceiveEveryEventInOrder) {
    const int n = 1000, events = 100;
    // Two descriptors per subscriber: raise this test process's soft limit if it is lower.
    rlimit lim{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
    const rlim_t need = 2 * n + 64;
    if (lim.rlim_cur < need) {
        if (lim.rlim_max < need) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << lim.rlim_max << " < " << need;
        lim.rlim_cur = need;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);
    }
    Hub hub(quiet(), Logger("test"));
    std::vector<std::unique_ptr<SocketPair>> socks;
    for (int i = 0; i < n; ++i) {
        auto s = hub.subscribe({"fan"}, "");
        ASSERT_TRUE(s.status);
        socks.push_back(std::make_unique<SocketPair>());
        ASSERT_GE(socks.back()->server, 0);
        hub.adopt(s.ticket, socks.back()->server);
    }
    std::vector<std::string> ids;
    for (int e = 0; e < events; ++e) {
        // 100 events x 1,000 subscribers outrun the streaming thread: the hub pushes back
        // (HubLimits::max_inbox_deliveries), and a publisher tries again, as sse-pub does.
        PublishResult r;
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!(r = pub(hub, "fan", "event " + std::to_string(e))).status) {
            ASSERT_EQ(r.retry_after, std::chrono::seconds(1)) << r.status.message();
            ASSERT_LT(std::chrono::steady_clock::now(), deadline);
            std::this_thread::sleep_for(1ms);
        }
        ids.push_back(r.id);
    }
    EXPECT_EQ(hub.topics().at(0).subscribers, static_cast<std::size_t>(n));
    for (auto &sp : socks) {
        Received r;
        ASSERT_TRUE(read_until(sp->client, r, has_ids(events)));
        ASSERT_EQ(r.ids(), ids);
    }
    // Counted as written: the readers may see the last bytes a moment before the count moves.
    EXPECT_TRUE(wait_for([&] { return hub.stats().delivered == static_cast<std::uint64_t>(n) * events; }))
        << hub.stats().delivered;
}

// Subscriptions made under a Streamer::Home join that streamer; the rest join the first.
// Each published frame reaches every subscriber once, in order, whichever loop it is on, and
// the counts add up over the loops.
TEST(Hub, SubscribersOnSeveralLoopsEachGetEveryFrameOnceInOrder) {
    Hub hub(quiet(), Logger("test"), StreamLoops{3, false});
    std::vector<std::unique_ptr<SocketPair>> socks;
    for (int i = 0; i < 9; ++i) {
        std::optional<Streamer::Home> home;
        if (i % 3 > 0) home.emplace(hub.streamer(i % 3));
        auto s = hub.subscribe({"fan"}, "");
        ASSERT_TRUE(s.status);
        socks.push_back(std::make_unique<SocketPair>());
        hub.adopt(s.ticket, socks.back()->server);
    }
    ASSERT_TRUE(wait_for([&] {
        return hub.streamer(0).subscribers() == 3 && hub.streamer(1).subscribers() == 3 &&
               hub.streamer(2).subscribers() == 3;
    }));
    std::vector<std::string> ids;
    for (int e = 0; e < 50; ++e) ids.push_back(pub(hub, "fan", "event " + std::to_string(e)).id);
    EXPECT_EQ(hub.topics().at(0).subscribers, 9u);
    for (auto &sp : socks) {
        Received r;
        ASSERT_TRUE(read_until(sp->client, r, has_ids(50)));
        EXPECT_EQ(r.ids(), ids);
    }
    EXPECT_TRUE(wait_for([&] { return hub.stats().delivered == 9u * 50; }));
    EXPECT_EQ(hub.stats().subscribers, 9u);
}

TEST(Hub, DropsASlowConsumerAndCountsItWhileOthersGetEverything) {
    HubLimits l = quiet();
    l.max_backlog_bytes = 64 * 1024;
    Hub hub(l, Logger("test"));
    SocketPair slow, fast;
    auto s1 = hub.subscribe({"a"}, ""), s2 = hub.subscribe({"a"}, "");
    hub.adopt(s1.ticket, slow.server);
    hub.adopt(s2.ticket, fast.server);
    const std::string payload(4000, 'p');
    const std::size_t total = 2000;
    Received r;
    std::string last;
    for (std::size_t i = 1; i <= total; ++i) {
        last = pub(hub, "a", payload).id;
        if (i % 8 == 0) {
            ASSERT_TRUE(read_until(fast.client, r, has_ids(i)));
        }
    }
    ASSERT_TRUE(read_until(fast.client, r, has_ids(total), 20s));
    EXPECT_EQ(r.ids().back(), last);
    EXPECT_TRUE(wait_for([&] { return hub.stats().slow_consumers_dropped == 1 && hub.stats().subscribers == 1; }));
    Received s;
    read_until(slow.client, s, [](const Received &) { return false; }, 10s);
    EXPECT_TRUE(s.eof);
}

TEST(Hub, SendsHeartbeatsToIdleSubscribers) {
    HubLimits l;
    l.heartbeat = 50ms;
    Hub hub(l, Logger("test"));
    auto s = hub.subscribe({"a"}, "");
    SocketPair sp;
    hub.adopt(s.ticket, sp.server);
    Received r;
    EXPECT_TRUE(read_until(sp.client, r, [](const Received &x) { return x.count_blocks(":") >= 2; }));
}

TEST(Hub, APeerThatClosesIsRemoved) {
    Hub hub(quiet(), Logger("test"));
    auto s = hub.subscribe({"a"}, "");
    auto sp = std::make_unique<SocketPair>();
    hub.adopt(s.ticket, sp->server);
    EXPECT_EQ(hub.stats().subscribers, 1u);
    EXPECT_EQ(hub.topics().at(0).subscribers, 1u);
    sp.reset();
    EXPECT_TRUE(wait_for([&] { return hub.stats().subscribers == 0 && hub.topics().at(0).subscribers == 0; }));
}

TEST(Hub, CancelForgetsATicket) {
    Hub hub(quiet(), Logger("test"));
    auto s = hub.subscribe({"a"}, "");
    EXPECT_EQ(hub.stats().subscribers, 1u);
    hub.cancel(s.ticket);
    EXPECT_TRUE(wait_for([&] { return hub.stats().subscribers == 0; }));
    SocketPair sp;  // adopting a cancelled ticket just closes the socket
    hub.adopt(s.ticket, sp.server);
    Received r;
    read_until(sp.client, r, [](const Received &) { return false; }, 5s);
    EXPECT_TRUE(r.eof);
}

TEST(Hub, DrainSendsRetryAndTheLastChunkAndRefusesNewSubscribers) {
    Hub hub(quiet(), Logger("test"));
    std::vector<std::unique_ptr<SocketPair>> socks;
    for (int i = 0; i < 5; ++i) {
        auto s = hub.subscribe({"a"}, "");
        socks.push_back(std::make_unique<SocketPair>());
        hub.adopt(s.ticket, socks.back()->server);
    }
    pub(hub, "a");
    ASSERT_TRUE(wait_for([&] { return hub.stats().delivered == 5; }));
    hub.drain(1000ms, 1000ms, 5s);
    EXPECT_EQ(hub.stats().subscribers, 0u);
    for (auto &sp : socks) {
        Received r;
        read_until(sp->client, r, [](const Received &x) { return x.last_chunk && x.eof; });
        EXPECT_TRUE(r.last_chunk);
        EXPECT_FALSE(r.framing_error);
        auto blocks = r.blocks();
        ASSERT_EQ(blocks.size(), 2u);
        ASSERT_EQ(blocks[1].rfind("retry: ", 0), 0u);
        int ms = std::stoi(blocks[1].substr(7));
        EXPECT_GE(ms, 1000);
        EXPECT_LE(ms, 2000);
    }
    EXPECT_EQ(hub.subscribe({"a"}, "").status.code(), Status::Code::unavailable);
}

TEST(Hub, DrainGivesUpAtTheDeadline) {
    Hub hub(quiet(), Logger("test"));
    auto s = hub.subscribe({"a"}, "");  // never adopted: cannot be drained
    auto t0 = std::chrono::steady_clock::now();
    hub.drain(0ms, 0ms, 100ms);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
    EXPECT_TRUE(wait_for([&] { return hub.stats().subscribers == 0; }));
}

// ---- limits and stats ----

TEST(Hub, TopicLimitRefusesPublishAndSubscribeThatWouldCreateOneMore) {
    HubLimits l = quiet();
    l.max_topics = 2;
    Hub hub(l, Logger("test"));
    EXPECT_TRUE(pub(hub, "a").status);
    auto s = hub.subscribe({"b"}, "");
    EXPECT_TRUE(s.status);
    EXPECT_EQ(pub(hub, "c").status.code(), Status::Code::unavailable);
    EXPECT_EQ(hub.subscribe({"a", "c"}, "").status.code(), Status::Code::unavailable);
    std::vector<PublishRequest> batch(2);
    batch[0].topic = "a";
    batch[1].topic = "d";
    std::size_t failed = 99;
    EXPECT_EQ(hub.publish_batch(batch, &failed).at(0).status.code(), Status::Code::unavailable);
    EXPECT_EQ(failed, 1u);
    EXPECT_TRUE(pub(hub, "b").status);  // existing topics still work
    EXPECT_EQ(hub.stats().topics, 2u);
    EXPECT_EQ(hub.stats().published, 2u);
    hub.cancel(s.ticket);
}

// admit() is the rule publish() applies, for a bus that delivers later (ssed --redis): the
// same refusal, and the room it grants is held until the event comes back.
TEST(Hub, AdmitRefusesExactlyAsPublishWouldAndHoldsTheRoomItGrants) {
    HubLimits l = quiet();
    l.max_topics = 2;
    Hub admitting(l, Logger("test")), publishing(l, Logger("test"));
    auto one = [](std::string topic) {
        std::vector<PublishRequest> r(1);
        r[0].topic = std::move(topic);
        return r;
    };
    for (const char *t : {"a", "b", "c"}) {
        std::size_t failed = 99;
        PublishResult admitted = admitting.admit(one(t), &failed);
        PublishResult published = pub(publishing, t);
        EXPECT_EQ(admitted.status.code(), published.status.code()) << t;
        EXPECT_EQ(admitted.status.message(), published.status.message()) << t;
        EXPECT_EQ(admitted.retry_after, published.retry_after) << t;
        EXPECT_EQ(failed, admitted.status ? 1u : 0u) << t;
    }
    // "a" and "b" hold nothing yet, and nobody watches them: held all the same.
    EXPECT_EQ(admitting.stats().topics, 2u);
    EXPECT_EQ(admitting.stats().topics_reclaimed, 0u);
    EXPECT_TRUE(pub(admitting, "a").status);
    EXPECT_TRUE(pub(admitting, "b").status);
    EXPECT_EQ(admitting.stats().published, 2u);

    std::vector<PublishRequest> batch(3);
    batch[0].topic = "a";
    batch[1].topic = "bad topic";
    batch[2].topic = "z";
    std::size_t failed = 99;
    EXPECT_EQ(admitting.admit(batch, &failed).status.code(), Status::Code::invalid_argument);
    EXPECT_EQ(failed, 1u);
    batch[1].topic = "b";
    PublishResult refused = admitting.admit(batch, &failed);
    EXPECT_EQ(refused.status.message(), "topic limit reached (2)");
    EXPECT_EQ(failed, 2u);
    std::size_t published_failed = 99;
    EXPECT_EQ(publishing.publish_batch(batch, &published_failed).at(0).status.message(), refused.status.message());
    EXPECT_EQ(published_failed, failed);

    // Backpressure too: the hint as publish() gives it.
    HubLimits behind = quiet();
    behind.max_inbox_deliveries = 0;
    Hub busy(behind, Logger("test"));
    PublishResult r = busy.admit(one("a"), &failed);
    EXPECT_EQ(r.status.code(), Status::Code::unavailable);
    EXPECT_EQ(r.retry_after, std::chrono::seconds(1));
    EXPECT_EQ(failed, 0u);
}

TEST(Hub, AnAdmitHoldEndsSoAnEventThatNeverCameFreesItsRoom) {
    HubLimits l = quiet();
    l.max_topics = 1;
    l.admit_hold = 20ms;
    Hub hub(l, Logger("test"));
    std::vector<PublishRequest> r(1);
    r[0].topic = "lost";
    ASSERT_TRUE(hub.admit(r).status);
    EXPECT_EQ(pub(hub, "other").status.code(), Status::Code::unavailable);
    std::this_thread::sleep_for(40ms);
    EXPECT_TRUE(pub(hub, "other").status);
    EXPECT_EQ(hub.stats().topics_reclaimed, 1u);
}

TEST(Hub, SubscriberLimitRefusesOneMore) {
    HubLimits l = quiet();
    l.max_subscribers = 2;
    Hub hub(l, Logger("test"));
    auto a = hub.subscribe({"a"}, ""), b = hub.subscribe({"a"}, "");
    EXPECT_TRUE(a.status && b.status);
    EXPECT_EQ(hub.subscribe({"a"}, "").status.code(), Status::Code::unavailable);
    hub.cancel(a.ticket);
    EXPECT_TRUE(wait_for([&] { return hub.subscribe({"a"}, "").status.is_ok(); }));
}

TEST(Hub, StatsAndTopicsDescribeTheHub) {
    HubLimits l = quiet();
    l.history = 2;
    Hub hub(l, Logger("test"));
    pub(hub, "b");
    pub(hub, "a");
    pub(hub, "a");
    auto last = pub(hub, "a", "x", "last-a");
    auto s = hub.subscribe({"a"}, "");
    HubStats st = hub.stats();
    EXPECT_EQ(st.topics, 2u);
    EXPECT_EQ(st.published, 4u);
    EXPECT_EQ(st.subscribers, 1u);
    EXPECT_EQ(st.history_frames, 3u);  // a keeps 2, b keeps 1
    EXPECT_GT(st.history_bytes, 0u);
    auto ts = hub.topics();
    ASSERT_EQ(ts.size(), 2u);
    EXPECT_EQ(ts[0].name, "a");
    EXPECT_EQ(ts[0].published, 3u);
    EXPECT_EQ(ts[0].history_frames, 2u);
    EXPECT_EQ(ts[0].subscribers, 1u);
    EXPECT_EQ(ts[0].last_id, "last-a");
    EXPECT_EQ(ts[1].name, "b");
    EXPECT_EQ(ts[1].subscribers, 0u);
    EXPECT_EQ(last.subscribers, 0u);
    EXPECT_EQ(pub(hub, "a").subscribers, 1u);
    hub.cancel(s.ticket);
}
