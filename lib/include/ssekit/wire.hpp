// A note on the wire format (encoder side).
//
// Turns an Event into the bytes of one event-stream block, per the WHATWG HTML "Server-sent
// events" section: `event:` (omitted for "message"), `id:`, `retry:`, then one `data:` line per
// line of data, then a blank line. CR, LF and CRLF inside data are all line breaks, so data
// "a\r\nb" becomes two `data:` lines and reads back as "a\nb". Every field is written as
// "name: value" so a value that starts with a space keeps it (the parser strips one space).
//
// An id or event type containing CR or LF would let a publisher inject fields or whole events
// into every subscriber's stream, so it is refused; so is an id containing U+0000, which a
// parser ignores (the event would silently lose its id).
#pragma once

#include <string>
#include <string_view>

#include "ssekit/event.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

// Checks that `value` can be the value of an `id:` or `event:` field. `field` names it in the
// error message ("id", "event").
Status validate_field(std::string_view field, std::string_view value);

// Appends the encoded block for `e` to `out`. On error `out` is unchanged.
Status encode(const Event &e, std::string &out);

// Appends a comment block (": text\n\n") used as a heartbeat or a notice. CR/LF in `text` are
// replaced by spaces so a comment can never end the block early.
void encode_comment(std::string_view text, std::string &out);

// Appends a lone "retry: ms\n\n" block.
void encode_retry(std::uint64_t ms, std::string &out);

}  // namespace ssekit
