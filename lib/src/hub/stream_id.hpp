// A note on Redis stream ids (ssed --redis-mode streams).
//
// In streams mode every event is an entry of a capped Redis Stream, and its SSE id is the
// entry's id "<ms>-<n>": the milliseconds of the XADD and a counter within that millisecond.
// Within one stream the ids strictly increase, so they order the events of a topic and a
// Last-Event-ID says exactly where a client stands, on any ssed instance and across restarts.
// The form is strict (decimal digits, no sign, no leading zeros except a lone "0", both parts
// fit in 64 bits), so each id has one spelling; "5" alone, "05-1" or "1-2-3" are not stream ids.
// Ids compare as the pair (ms, n).
//
// Pure functions; thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {

struct StreamId {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;
    friend auto operator<=>(const StreamId &, const StreamId &) = default;
};

// The StreamId spelled by `text`, or nullopt when it is not exactly "<digits>-<digits>" as above.
std::optional<StreamId> parse_stream_id(std::string_view text);
std::string format_stream_id(const StreamId &id);

// -1, 0 or 1 as `a` is before, equal to or after `b`; nullopt when either is not a stream id.
std::optional<int> compare_stream_ids(std::string_view a, std::string_view b);

}  // namespace ssekit
