// sse-pub's retry policy (publisher.hpp): what is accepted is never sent again, connection
// trouble is retried until --retry-for passes without progress, refusals are final at once;
// and the keys sse-pub gives events, new in every run.
#include "pub/publisher.hpp"

#include <gtest/gtest.h>

#include <deque>

using namespace ssekit;
using namespace std::chrono_literals;

namespace {

// A sink that plays a script: each call accepts `accept` events (at most what it was given)
// and returns `status`.
struct Step {
    std::size_t accept;
    Status status;
};

class ScriptedSink : public Sink {
public:
    explicit ScriptedSink(std::deque<Step> script, std::vector<std::string> *seen)
        : script_(std::move(script)), seen_(seen) {}
    Status send(std::span<const PublishRequest> events, std::size_t &accepted) override {
        Step s = script_.empty() ? Step{events.size(), Status::ok()} : script_.front();
        if (!script_.empty()) script_.pop_front();
        accepted = std::min(s.accept, events.size());
        for (std::size_t i = 0; i < accepted; ++i) seen_->push_back(events[i].data);
        return s.status;
    }
    std::string describe() const override { return "scripted"; }

private:
    std::deque<Step> script_;
    std::vector<std::string> *seen_;
};

std::vector<PublishRequest> events(int n) {
    std::vector<PublishRequest> v(n);
    for (int i = 0; i < n; ++i) v[i].topic = "t", v[i].data = std::to_string(i);
    return v;
}

RetryPolicy fast(std::chrono::milliseconds retry_for) {
    RetryPolicy p;
    p.retry_for = retry_for;
    p.initial = 1ms;
    p.max = 5ms;
    return p;
}

Logger quiet() { return Logger("publisher_test", Logger::Level::quiet); }

}  // namespace

TEST(Publisher, AcceptedEventsAreNeverSentAgainAfterABrokenConnection) {
    std::vector<std::string> seen;
    auto sink = std::make_unique<ScriptedSink>(
        std::deque<Step>{{2, Status::unavailable("broken")}, {0, Status::unavailable("refused")}, {3, Status::ok()}},
        &seen);
    Publisher pub(std::move(sink), fast(10s), quiet());
    auto ev = events(5);
    ASSERT_TRUE(pub.publish(ev).is_ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
    EXPECT_EQ(pub.published(), 5u);
}

TEST(Publisher, RetryForZeroFailsOnTheFirstConnectionError) {
    std::vector<std::string> seen;
    auto sink = std::make_unique<ScriptedSink>(std::deque<Step>{{1, Status::unavailable("refused")}}, &seen);
    Publisher pub(std::move(sink), fast(0ms), quiet());
    auto ev = events(3);
    Status st = pub.publish(ev);
    EXPECT_EQ(st.code(), Status::Code::unavailable);
    EXPECT_EQ(pub.published(), 1u);
}

TEST(Publisher, GivesUpAfterRetryForWithoutProgressAndSaysSo) {
    std::vector<std::string> seen;
    std::deque<Step> script(10000, Step{0, Status::unavailable("Connection refused")});
    Publisher pub(std::make_unique<ScriptedSink>(script, &seen), fast(50ms), quiet());
    auto ev = events(2);
    Status st = pub.publish(ev);
    EXPECT_EQ(st.code(), Status::Code::unavailable);
    EXPECT_NE(st.message().find("Connection refused; gave up after"), std::string::npos) << st.message();
    EXPECT_EQ(pub.published(), 0u);
}

TEST(Publisher, RefusalsAreFinalAtOnce) {
    for (Status refusal : {Status::invalid_argument("400"), Status::permission("401"), Status::too_large("413"),
                           Status::protocol("404")}) {
        std::vector<std::string> seen;
        auto sink = std::make_unique<ScriptedSink>(std::deque<Step>{{1, refusal}, {5, Status::ok()}}, &seen);
        Publisher pub(std::move(sink), fast(10s), quiet());
        auto ev = events(3);
        Status st = pub.publish(ev);
        EXPECT_EQ(st.code(), refusal.code());
        EXPECT_EQ(pub.published(), 1u);
        EXPECT_EQ(seen.size(), 1u);
    }
}

TEST(Publisher, CountsAccumulateOverCalls) {
    std::vector<std::string> seen;
    Publisher pub(std::make_unique<ScriptedSink>(std::deque<Step>{}, &seen), fast(1s), quiet());
    auto a = events(3), b = events(4);
    ASSERT_TRUE(pub.publish(a).is_ok());
    ASSERT_TRUE(pub.publish(b).is_ok());
    EXPECT_EQ(pub.published(), 7u);
}

namespace {

// A destination that never answers, or answers 503 asking for a wait.
class UnreachedSink : public ScriptedSink {
public:
    using ScriptedSink::ScriptedSink;
    bool reached() const override { return false; }
};

class RetryAfterSink : public ScriptedSink {
public:
    RetryAfterSink(std::deque<Step> script, std::vector<std::string> *seen, std::chrono::milliseconds asked)
        : ScriptedSink(std::move(script), seen), asked_(asked) {}
    std::optional<std::chrono::milliseconds> retry_after() const override { return asked_; }

private:
    std::chrono::milliseconds asked_;
};

}  // namespace

TEST(Publisher, ADestinationThatNeverAnsweredIsRetriedOnlyForUnreachedFor) {
    std::vector<std::string> seen;
    std::deque<Step> script(100000, Step{0, Status::unavailable("Connection refused")});
    RetryPolicy policy = fast(1h);
    policy.unreached_for = 50ms;
    Publisher pub(std::make_unique<UnreachedSink>(script, &seen), policy, quiet());
    auto ev = events(1);
    Status st = pub.publish(ev);  // returns in about 50 ms, not an hour
    EXPECT_EQ(st.code(), Status::Code::unavailable);
    EXPECT_NE(st.message().find("gave up after"), std::string::npos) << st.message();
}

TEST(Publisher, UnreachedForDoesNotApplyOnceTheDestinationAnswered) {
    std::vector<std::string> seen;
    RetryPolicy policy = fast(10s);
    policy.unreached_for = 0ms;  // would give up at once if it applied
    auto sink = std::make_unique<ScriptedSink>(std::deque<Step>{{0, Status::unavailable("503")}, {1, Status::ok()}},
                                               &seen);
    Publisher pub(std::move(sink), policy, quiet());
    auto ev = events(1);
    EXPECT_TRUE(pub.publish(ev).is_ok());
}

TEST(Publisher, RetryAfterBeyondRetryForGivesUpAtOnceSayingSo) {
    std::vector<std::string> seen;
    auto sink = std::make_unique<RetryAfterSink>(std::deque<Step>{{0, Status::unavailable("503 busy")}}, &seen, 1h);
    Publisher pub(std::move(sink), fast(10s), quiet());
    auto ev = events(1);
    Status st = pub.publish(ev);
    EXPECT_EQ(st.code(), Status::Code::unavailable);
    EXPECT_NE(st.message().find("the server asks to retry after"), std::string::npos) << st.message();
}

TEST(KeyMinter, KeysAreTheRunIdThenACountAndEveryRunDrawsItsOwn) {
    KeyMinter a, b;
    ASSERT_EQ(a.prefix().size(), 8u);  // 7 of [0-9A-Za-z] and '-'
    EXPECT_EQ(a.prefix().find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), 7u);
    EXPECT_EQ(a.next(), a.prefix() + "1");
    EXPECT_EQ(a.next(), a.prefix() + "2");
    EXPECT_NE(a.prefix(), b.prefix());
    EXPECT_EQ(b.next(), b.prefix() + "1");
    EXPECT_TRUE(check_key(a.next()).is_ok());
}
