// A note on files.
//
// The few whole files the tools read and write: a request body or header file read with a
// size bound (so `-d @/dev/zero` is refused, not swallowed), and a state file replaced
// atomically (a temporary file beside it, then rename(2)), so a reader or a crash sees the
// old contents or the new, never half of them. Errors name the file and say why, ready for
// "program: error: --data @FILE: ...". Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ssekit/status.hpp"

namespace ssekit {

// Reads `fd` to its end into `out` (replacing it). More than `limit` bytes is too_large, a
// read error io; `name` names the input in the messages ("standard input").
Status read_bounded(int fd, std::size_t limit, const std::string &name, std::string &out);

// Reads the file at `path` as read_bounded does. A missing file is not_found.
Status read_file(const std::string &path, std::size_t limit, std::string &out);

// Replaces the file at `path` with `bytes` (mode 0644 less the umask) atomically. io on failure.
Status replace_file(const std::string &path, std::string_view bytes);

}  // namespace ssekit
