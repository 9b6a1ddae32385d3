// format_duration: how every duration reads in ssekit's messages (see base/duration.hpp).
#include "base/duration.hpp"

#include <gtest/gtest.h>

#include <limits>

using ssekit::format_duration;
using namespace std::chrono_literals;

TEST(FormatDuration, WholeSecondsHaveNoDecimals) {
    EXPECT_EQ(format_duration(15s), "15 s");
    EXPECT_EQ(format_duration(2000ms), "2 s");
    EXPECT_EQ(format_duration(0ms), "0 s");
}

TEST(FormatDuration, FractionsKeepTheirMillisecondsWithoutTrailingZeros) {
    EXPECT_EQ(format_duration(1500ms), "1.5 s");
    EXPECT_EQ(format_duration(250ms), "0.25 s");
    EXPECT_EQ(format_duration(1234ms), "1.234 s");
    EXPECT_EQ(format_duration(5ms), "0.005 s");
}

TEST(FormatDuration, RoundsToTheMillisecond) {
    EXPECT_EQ(format_duration(1499999us), "1.5 s");
    EXPECT_EQ(format_duration(400us), "0 s");
    EXPECT_EQ(format_duration(std::chrono::steady_clock::duration(2500000000)), "2.5 s");
}

TEST(FormatDuration, TakesSecondsAsADouble) {
    EXPECT_EQ(format_duration(std::chrono::duration<double>(0.5)), "0.5 s");
    EXPECT_EQ(format_duration(std::chrono::duration<double>(4)), "4 s");
    EXPECT_EQ(format_duration(std::chrono::duration<double>(0.1 + 0.2)), "0.3 s");
}

TEST(FormatDuration, NegativeAndHugeValuesStillRead) {
    EXPECT_EQ(format_duration(-2500ms), "-2.5 s");
    EXPECT_EQ(format_duration(std::chrono::duration<double>(1e9)), "1000000000 s");
    EXPECT_EQ(format_duration(std::chrono::duration<double>(std::numeric_limits<double>::infinity())), "inf s");
}
