// ReconnectPolicy: the wait before sse-tail connects again (see reconnect_policy.hpp).
#include "tail/reconnect_policy.hpp"

#include <gtest/gtest.h>

#include <limits>

using ssekit::ReconnectPolicy;
using ms = std::chrono::milliseconds;

namespace {
// Random sources at the two ends of the jitter range.
ReconnectPolicy::Random fixed(double r) { return [r] { return r; }; }
}  // namespace

TEST(ReconnectPolicy, DefaultsToThreeSeconds) {
    ReconnectPolicy p(ReconnectPolicy::default_reconnection_ms, ReconnectPolicy::default_cap_ms, fixed(0.0));
    EXPECT_EQ(p.reconnection_time(), 3000u);
    EXPECT_EQ(p.next_delay(true), ms(3000));
}

TEST(ReconnectPolicy, RetryOptionSetsTheStartingReconnectionTime) {
    ReconnectPolicy p(500, 30000, fixed(0.0));
    EXPECT_EQ(p.next_delay(true), ms(500));
}

TEST(ReconnectPolicy, ServerRetryFieldReplacesTheReconnectionTime) {
    ReconnectPolicy p(3000, 30000, fixed(0.0));
    p.set_reconnection_time(100);
    EXPECT_EQ(p.reconnection_time(), 100u);
    EXPECT_EQ(p.next_delay(true), ms(100));
}

TEST(ReconnectPolicy, DoublesWhileTheServerStaysUnreachable) {
    ReconnectPolicy p(1000, 30000, fixed(0.0));
    EXPECT_EQ(p.next_delay(true), ms(1000));   // the stream dropped after delivering
    EXPECT_EQ(p.next_delay(false), ms(2000));  // refused
    EXPECT_EQ(p.next_delay(false), ms(4000));
    EXPECT_EQ(p.next_delay(false), ms(8000));
    EXPECT_EQ(p.failures(), 4u);
}

TEST(ReconnectPolicy, BackoffStopsAtTheCap) {
    ReconnectPolicy p(1000, 5000, fixed(0.0));
    p.next_delay(false);
    for (int i = 0; i < 100; ++i) EXPECT_LE(p.next_delay(false), ms(5000));
    EXPECT_EQ(p.next_delay(false), ms(5000));
}

TEST(ReconnectPolicy, CapNeverShortensALongerServerRetry) {
    ReconnectPolicy p(3000, 30000, fixed(0.0));
    p.set_reconnection_time(60000);
    EXPECT_EQ(p.next_delay(true), ms(60000));
    EXPECT_EQ(p.next_delay(false), ms(60000));
}

TEST(ReconnectPolicy, ResetsOnceAConnectionDeliveredBytes) {
    ReconnectPolicy p(1000, 30000, fixed(0.0));
    p.next_delay(false);
    p.next_delay(false);
    EXPECT_EQ(p.next_delay(false), ms(4000));
    p.connected();
    EXPECT_EQ(p.failures(), 0u);
    EXPECT_EQ(p.next_delay(false), ms(1000));
    EXPECT_EQ(p.next_delay(false), ms(2000));
    EXPECT_EQ(p.next_delay(true), ms(1000));  // delivered: back to the reconnection time
}

TEST(ReconnectPolicy, RetryZeroReconnectsAtOnceButBacksOffFromAFloor) {
    ReconnectPolicy p(0, 30000, fixed(0.0));
    EXPECT_EQ(p.next_delay(true), ms(0));
    EXPECT_EQ(p.next_delay(false), ms(2 * ReconnectPolicy::min_backoff_ms));
    EXPECT_EQ(p.next_delay(false), ms(4 * ReconnectPolicy::min_backoff_ms));
}

// WHATWG: "wait a delay equal to the reconnection time ... Optionally, wait some more." A
// server's retry: is a floor: jitter only lengthens the wait, by at most a quarter.
TEST(ReconnectPolicy, JitterOnlyAddsToTheReconnectionTime) {
    ReconnectPolicy low(1000, 30000, fixed(0.0));
    EXPECT_EQ(low.next_delay(true), ms(1000));
    ReconnectPolicy high(1000, 30000, fixed(0.999999));
    EXPECT_GE(high.next_delay(true), ms(1249));
    EXPECT_LE(high.next_delay(true), ms(1250));

    ReconnectPolicy real(2000, 30000);  // the default random source
    for (int i = 0; i < 1000; ++i) {
        auto d = real.next_delay(true);
        EXPECT_GE(d, ms(2000));
        EXPECT_LE(d, ms(2500));
    }
}

TEST(ReconnectPolicy, AServerRetryIsAFloorEvenWhileBackingOff) {
    ReconnectPolicy p(3000, 30000, fixed(0.5));
    p.set_reconnection_time(100);
    EXPECT_EQ(p.next_delay(true), ms(112));   // 100 + 12.5 %
    for (int i = 0; i < 20; ++i) EXPECT_GE(p.next_delay(false), ms(100));
    ReconnectPolicy capped(1000, 5000, fixed(0.999999));
    for (int i = 0; i < 20; ++i) EXPECT_LE(capped.next_delay(false), ms(6250));  // cap + a quarter
}

TEST(ReconnectPolicy, OutOfRangeRandomValuesAreClamped) {
    ReconnectPolicy p(1000, 30000, fixed(7.0));
    EXPECT_EQ(p.next_delay(true), ms(1250));
    ReconnectPolicy q(1000, 30000, fixed(-3.0));
    EXPECT_EQ(q.next_delay(true), ms(1000));
}

TEST(ReconnectPolicy, AHugeRetryIsTakenAsOneDay) {
    ReconnectPolicy p(3000, 30000, fixed(0.0));
    p.set_reconnection_time(std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(p.reconnection_time(), ReconnectPolicy::max_reconnection_ms);
    EXPECT_EQ(p.next_delay(true), ms(ReconnectPolicy::max_reconnection_ms));
    EXPECT_EQ(p.next_delay(false), ms(ReconnectPolicy::max_reconnection_ms));
    ReconnectPolicy q(std::numeric_limits<std::uint64_t>::max(), 30000, fixed(0.0));
    EXPECT_EQ(q.next_delay(false), ms(ReconnectPolicy::max_reconnection_ms));
}
