// A note on exit codes.
//
// One table for all three tools, sysexits(3) where a code exists, so a script can tell "not
// yet" (1) from "you called me wrong" (64) from "the other side is down" (69). exit_codes()
// is that table: per code, its meaning and, for each tool that can return it, when. Each
// tool's --help prints its rows (exit_code_table(program)) and each man page's EXIT STATUS
// lists the same codes, each entry opening with the same meaning; tests/unit/exit_table_test
// checks every help and man page against it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

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

// When one tool returns a code: `program` is "ssed", "sse-pub" or "sse-tail".
struct ExitCodeUse {
    std::string_view program;
    std::string_view when;
};

// One row of the table: the code, what it means ("usage error"), and who returns it when.
struct ExitCodeRow {
    Exit code;
    std::string_view meaning;
    std::vector<ExitCodeUse> uses;
};

// The table, by code. Static; safe from any thread.
const std::vector<ExitCodeRow> &exit_codes();

// The rows `program` can return, as printed at the end of its --help: "Exit status:", then
// "  64  usage error: bad option or argument", one line per code, within 80 columns.
std::string exit_code_table(std::string_view program);

// Runs body, turning an escaped exception into a logged error and Exit::software.
int exit_main(const Logger &log, const std::function<Exit()> &body);

}  // namespace ssekit
