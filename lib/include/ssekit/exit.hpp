// A note on exit codes.
//
// One table for all three tools, sysexits(3) where a code exists, so a script can tell "not
// yet" (1) from "you called me wrong" (64) from "the other side is down" (69). The table is
// printed by every --help (exit_code_table()) and repeated in each man page's EXIT STATUS; a
// unit test checks the man pages against it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

enum class Exit : int {
    ok = 0,            // done as asked: --count or --match met, input drained, SIGINT/SIGTERM
    timeout = 1,       // --timeout expired before --count/--match was met
    usage = 64,        // EX_USAGE: bad flags or arguments
    data = 65,         // EX_DATAERR: input refused (newline in id/event, bad JSON line, too large)
    no_input = 66,     // EX_NOINPUT: an input file cannot be read
    unavailable = 69,  // EX_UNAVAILABLE: cannot connect, retries exhausted, Redis unreachable
    software = 70,     // EX_SOFTWARE: internal error
    os = 71,           // EX_OSERR: cannot bind, out of descriptors
    io = 74,           // EX_IOERR: writing output failed (a closed pipe ends quietly with 0)
    protocol = 76,     // EX_PROTOCOL: not an event stream (HTTP status, Content-Type), bad reply
    no_perm = 77,      // EX_NOPERM: 401 or 403
    config = 78,       // EX_CONFIG: bad environment value or configuration
};

// The Exit a library Status maps to when it ends a program.
Exit exit_for(const Status &s);

// The exit-code table as printed at the end of --help (one line per code).
std::string exit_code_table();

// Runs body, turning an escaped exception into a logged error and Exit::software.
int exit_main(const Logger &log, const std::function<Exit()> &body);

}  // namespace ssekit
