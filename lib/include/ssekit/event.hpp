// A note on events.
//
// An Event is what the WHATWG "Server-sent events" section dispatches: a type (the `event:`
// field, "message" when absent), the data (lines joined with LF) and the last event ID in force
// when it was dispatched. `retry` is not part of an event as a browser sees it; it rides along
// so the encoder can emit a `retry:` field in the same block.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssekit {

struct Event {
    std::string type;                    // empty means "message" on the wire (field omitted)
    std::string data;
    std::string id;                      // empty: no `id:` field (encoder) / no last id (parser)
    std::optional<std::uint64_t> retry;  // milliseconds; encoder only
};

// The type a listener sees: `type`, or "message" when it is empty.
// A view (of `e.type` or a literal), so formatting an event copies no string.
inline std::string_view effective_type(const Event &e) {
    return e.type.empty() ? std::string_view("message") : std::string_view(e.type);
}

}  // namespace ssekit
