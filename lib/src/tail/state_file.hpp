// A note on --state.
//
// The state file keeps the last event ID of each URL sse-tail follows, so a later run resumes
// where this one stopped. One line per URL: the URL, one space, the ID (possibly empty: the
// server reset it). A URL holds no space and an ID no CR, LF or NUL (the parser's rules), so
// the split at the first space is exact; any other bytes of an ID are kept as they are.
// Lines of URLs not followed in this run are kept. The file is replaced atomically
// (base/file.hpp), so a crash or a concurrent reader never sees half of it.
// Stateless functions; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "ssekit/status.hpp"

namespace ssekit {

using EventIds = std::map<std::string, std::string, std::less<>>;  // URL -> last event ID

// Reads the file at `path` into `out`; a missing file gives an empty map. A line without a
// space is invalid_argument ("FILE:3: not 'URL ID'").
Status load_event_ids(const std::string &path, EventIds &out);

// Writes `ids` to `path`, replacing it atomically.
Status save_event_ids(const std::string &path, const EventIds &ids);

}  // namespace ssekit
