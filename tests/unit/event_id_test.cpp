// Event ids: "<epoch>-<seq>" minted by the hub, parsed back strictly, and located relative to
// a running hub (this run / earlier run / unknown).
#include "hub/event_id.hpp"

#include <gtest/gtest.h>

#include <limits>

using ssekit::EventId;
using ssekit::IdPosition;
using ssekit::format_event_id;
using ssekit::locate_event_id;
using ssekit::parse_event_id;

TEST(EventId, FormatsEpochDashSeq) {
    EXPECT_EQ(format_event_id({1764063339123, 42}), "1764063339123-42");
    EXPECT_EQ(format_event_id({0, 0}), "0-0");
}

TEST(EventId, ParsesWhatItFormats) {
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (EventId id : {EventId{1764063339123, 1}, EventId{1, 999999}, EventId{max, max}, EventId{0, 0}})
        EXPECT_EQ(parse_event_id(format_event_id(id)), id) << format_event_id(id);
}

TEST(EventId, RefusesAnythingButTwoPlainDecimalNumbers) {
    for (const char *bad : {"", "-", "1-", "-1", "1", "a-1", "1-a", "1-2-3", "01-2", "1-02", "+1-2", "1-+2",
                            " 1-2", "1-2 ", "1--2", "18446744073709551616-1", "1-18446744073709551616",
                            "abc", "1.5-2", "0x1-2"})
        EXPECT_FALSE(parse_event_id(bad)) << '"' << bad << '"';
}

TEST(EventId, LocatesIdsOfThisRunByTheirSeq) {
    IdPosition p = locate_event_id("1000-7", 1000, 10);
    EXPECT_EQ(p.kind, IdPosition::Kind::this_run);
    EXPECT_EQ(p.seq, 7u);
}

TEST(EventId, ASeqThisRunHasNotReachedIsUnknown) {
    EXPECT_EQ(locate_event_id("1000-10", 1000, 10).kind, IdPosition::Kind::unknown);
    EXPECT_EQ(locate_event_id("1000-9", 1000, 10).kind, IdPosition::Kind::this_run);
}

TEST(EventId, AnOlderEpochIsAnEarlierRun) {
    EXPECT_EQ(locate_event_id("999-123456", 1000, 10).kind, IdPosition::Kind::earlier_run);
}

TEST(EventId, ANewerEpochOrAForeignIdIsUnknown) {
    EXPECT_EQ(locate_event_id("1001-1", 1000, 10).kind, IdPosition::Kind::unknown);
    EXPECT_EQ(locate_event_id("order-17", 1000, 10).kind, IdPosition::Kind::unknown);
    EXPECT_EQ(locate_event_id("0999-1", 1000, 10).kind, IdPosition::Kind::unknown);
}
