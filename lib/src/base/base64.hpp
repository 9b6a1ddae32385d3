// A note on base64.
//
// The one base64 codec (RFC 4648 §4: the standard alphabet, `=` padding), for binary payloads
// carried as event data: sse-pub --base64 encodes, sse-tail --decode base64 decodes. SSE data
// is text, one line per `data:` field, so the encoder writes a single line with no breaks.
// The decoder is strict, as RFC 4648 §3.3 allows: the length is a multiple of 4, padding only
// at the end, no whitespace or line breaks, and the unused bits of the last group are zero
// (one canonical text per byte string), so a corrupted payload is reported rather than
// silently decoded to other bytes.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ssekit {

// Appends the base64 text of `bytes` to `out`.
void append_base64(std::string &out, std::string_view bytes);
std::string base64_encode(std::string_view bytes);

// Appends the bytes `text` encodes to `out`. False (and `out` as it was) when `text` is not
// strict base64 (see above).
bool append_base64_decoded(std::string &out, std::string_view text);

}  // namespace ssekit
