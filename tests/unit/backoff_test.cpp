// Backoff: the wait after each failure in a row, shared by the three retry loops (see
// base/backoff.hpp).
#include "base/backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

using ssekit::Backoff;
using ms = std::chrono::milliseconds;
using Side = Backoff::Jitter::Side;

namespace {

Backoff::Random fixed(double r) { return [r] { return r; }; }

std::vector<ms> waits(Backoff &b, int n) {
    std::vector<ms> out;
    for (int i = 0; i < n; ++i) out.push_back(b.next());
    return out;
}

}  // namespace

TEST(Backoff, StartsAtTheInitialWaitAndDoublesUpToTheCap) {
    Backoff b({ms(100), ms(1000)});
    EXPECT_EQ(waits(b, 6), (std::vector<ms>{ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)}));
    EXPECT_EQ(b.steps(), 6u);
}

TEST(Backoff, DelayIsTheNextWaitBeforeJitter) {
    Backoff b({ms(100), ms(1000)}, {0.25, Side::above}, fixed(0.5));
    EXPECT_EQ(b.delay(), ms(100));
    EXPECT_EQ(b.delay(), ms(100));  // asking does not advance
    b.next();
    EXPECT_EQ(b.delay(), ms(200));
}

TEST(Backoff, ResetStartsOver) {
    Backoff b({ms(100), ms(5000)});
    waits(b, 4);
    b.reset();
    EXPECT_EQ(b.steps(), 0u);
    EXPECT_EQ(waits(b, 2), (std::vector<ms>{ms(100), ms(200)}));
}

TEST(Backoff, AZeroInitialWaitGrowsFromTheFloor) {
    Backoff b({ms(0), ms(30000), ms(250)});
    EXPECT_EQ(waits(b, 4), (std::vector<ms>{ms(0), ms(500), ms(1000), ms(2000)}));
    Backoff no_floor({ms(0), ms(30000)});
    EXPECT_EQ(waits(no_floor, 3), (std::vector<ms>{ms(0), ms(0), ms(0)}));
}

TEST(Backoff, TheCapLimitsGrowthButNeverCutsTheInitialWait) {
    Backoff b({ms(60000), ms(30000)});
    EXPECT_EQ(waits(b, 3), (std::vector<ms>{ms(60000), ms(60000), ms(60000)}));
}

TEST(Backoff, ANewInitialWaitKeepsTheStep) {
    Backoff b({ms(1000), ms(30000)});
    waits(b, 3);  // 1000, 2000, 4000
    b.set_initial(ms(100));
    EXPECT_EQ(b.initial(), ms(100));
    EXPECT_EQ(b.next(), ms(800));  // step 3 of a doubling from 100
}

TEST(Backoff, AHugeCapCannotOverflowTheDoubling) {
    Backoff b({ms(1), ms::max()});
    ms last{0};
    for (int i = 0; i < 200; ++i) {
        ms w = b.next();
        ASSERT_GE(w, last) << "step " << i;
        last = w;
    }
    EXPECT_EQ(last, ms::max());
}

TEST(Backoff, WithoutJitterTheRandomSourceIsNeverCalled) {
    Backoff b({ms(100), ms(1000)}, {}, [] {
        ADD_FAILURE() << "random source called";
        return 0.5;
    });
    EXPECT_EQ(waits(b, 2), (std::vector<ms>{ms(100), ms(200)}));
}

TEST(Backoff, JitterBelowShortensTheWaitByUpToTheFraction) {
    Backoff none({ms(1000), ms(30000)}, {0.25, Side::below}, fixed(0.0));
    EXPECT_EQ(none.next(), ms(1000));
    Backoff half({ms(1000), ms(30000)}, {0.25, Side::below}, fixed(0.5));
    EXPECT_EQ(half.next(), ms(875));
    Backoff most({ms(1000), ms(30000)}, {0.25, Side::below}, fixed(0.999999));
    EXPECT_GE(most.next(), ms(750));
}

TEST(Backoff, JitterAboveLengthensTheWaitByUpToTheFraction) {
    Backoff none({ms(1000), ms(30000)}, {0.25, Side::above}, fixed(0.0));
    EXPECT_EQ(none.next(), ms(1000));
    Backoff half({ms(1000), ms(30000)}, {0.25, Side::above}, fixed(0.5));
    EXPECT_EQ(half.next(), ms(1125));
    EXPECT_EQ(half.next(), ms(2250));  // the doubling is of the wait before jitter
}

TEST(Backoff, OutOfRangeRandomValuesAreClamped) {
    Backoff high({ms(1000), ms(30000)}, {0.25, Side::above}, fixed(7.0));
    EXPECT_EQ(high.next(), ms(1250));
    Backoff low({ms(1000), ms(30000)}, {0.25, Side::below}, fixed(-3.0));
    EXPECT_EQ(low.next(), ms(1000));
}

TEST(Backoff, TheDefaultRandomSourceStaysWithinTheJitter) {
    Backoff b({ms(2000), ms(2000)}, {0.25, Side::above});
    for (int i = 0; i < 1000; ++i) {
        ms w = b.next();
        ASSERT_GE(w, ms(2000));
        ASSERT_LE(w, ms(2500));
    }
}
