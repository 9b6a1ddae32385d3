// A note on excerpts.
//
// A peer's reply goes into a one-line message ("HTTP 401 Unauthorized: {"error": ...}") through
// one_line_excerpt, so an error line can neither be split nor spoof the terminal: runs of
// spaces, tabs, CRs and LFs become one space (a pretty-printed JSON error reads as one line),
// other control characters and DEL become \xNN, invalid UTF-8 becomes U+FFFD (base/utf8.hpp),
// and the text is cut at a character boundary, "..." marking the cut. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ssekit {

// `text`, trimmed and made printable as above, at most `max_bytes` long before the "...".
// `more` says that `text` is itself the start of something longer (so it ends with "...").
std::string one_line_excerpt(std::string_view text, std::size_t max_bytes, bool more = false);

}  // namespace ssekit
