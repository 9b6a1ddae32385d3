// A note on event ids.
//
// ssed mints the id of every event published without one as "<epoch>-<seq>": `epoch` is the
// hub's start time in milliseconds since the Unix epoch, `seq` the hub-wide sequence number
// (1, 2, ... in publish order, shared by all topics). A client that reconnects sends the last
// id it saw as Last-Event-ID; parsing it back tells the hub where the client stands:
//  - an id of this run gives a position in the hub-wide order, so a resume works across
//    several topics and needs no lookup;
//  - an id of the same form with an older epoch comes from an earlier run of the server;
//  - anything else (a publisher's own id that is no longer retained, garbage) is unknown.
// The form is strict: decimal digits without leading zeros, so each id has one spelling and a
// publisher's "007-1" is never mistaken for a minted id.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {

struct EventId {
    std::uint64_t epoch = 0;
    std::uint64_t seq = 0;
    friend bool operator==(const EventId &, const EventId &) = default;
};

// Appends "<epoch>-<seq>" to `out`.
void append_event_id(const EventId &id, std::string &out);
std::string format_event_id(const EventId &id);

// The EventId spelled by `text`, or nullopt when it is not exactly "<digits>-<digits>" with no
// leading zeros (a lone "0" is allowed) and both numbers fit in 64 bits.
std::optional<EventId> parse_event_id(std::string_view text);

// Where a Last-Event-ID stands relative to a hub started at `epoch` whose next sequence number
// is `next_seq`.
struct IdPosition {
    enum class Kind {
        this_run,     // minted by this run (or positioned in it): `seq` is valid
        earlier_run,  // our form, older epoch
        unknown,      // not our form, a newer epoch, or a seq this run has not reached
    };
    Kind kind = Kind::unknown;
    std::uint64_t seq = 0;
};
IdPosition locate_event_id(std::string_view text, std::uint64_t epoch, std::uint64_t next_seq);

}  // namespace ssekit
