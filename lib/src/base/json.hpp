// A note on JSON.
//
// ssekit speaks JSON in three places: sse-tail's --format json lines, ssed's NDJSON publish
// batches (one {"event","data","id"} object a line) and the Redis envelope. This module is the
// only one that knows JSON; parsing goes through nlohmann/json inside json.cpp, writing is a
// small hand-written escaper because it sits on sse-tail's per-event path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssekit/status.hpp"

namespace ssekit {

// Appends `text` as a JSON string literal (with the quotes). Control characters, '"' and '\'
// are escaped; invalid UTF-8 becomes U+FFFD by the one rule of base/utf8.hpp (the WHATWG
// decoder's), so the output is always valid JSON and matches what the SSE parser decodes.
void append_json_string(std::string &out, std::string_view text);

// One event as a JSON object: {"event": "...", "data": "...", "id": "...", "key": "...",
// "retry": N, "topic": "..."}; every key optional. `data` may also be any other JSON value, which is then
// used as its compact serialisation (so {"data": {"a": 1}} publishes `{"a":1}`).
struct JsonEvent {
    std::string topic;
    std::string event;
    std::string data;
    std::string id;
    std::string key;  // idempotency key (sse/publish.hpp)
    std::optional<std::uint64_t> retry;
    bool has_data = false;
};

// The value of the string member `key` of the JSON object `text`; nullopt when `text` is not
// a JSON object or has no such string member. For reading replies such as {"error": "..."}.
std::optional<std::string> json_string_member(std::string_view text, std::string_view key);

// Parses one line. Errors (invalid_argument) name the problem: "not a JSON object",
// "\"id\" must be a string", ... Unknown keys are ignored, so producers may add their own.
Status parse_json_event(std::string_view line, JsonEvent &out);

}  // namespace ssekit
