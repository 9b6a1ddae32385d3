#include "ssekit/exit.hpp"

#include <exception>

namespace ssekit {

Exit exit_for(const Status &s) {
    switch (s.code()) {
    case Status::Code::ok: return Exit::ok;
    case Status::Code::invalid_argument: return Exit::data;
    case Status::Code::too_large: return Exit::data;
    case Status::Code::unavailable: return Exit::unavailable;
    case Status::Code::protocol: return Exit::protocol;
    case Status::Code::not_found: return Exit::protocol;
    case Status::Code::permission: return Exit::no_perm;
    case Status::Code::io: return Exit::io;
    case Status::Code::internal: return Exit::software;
    }
    return Exit::software;
}

std::string exit_code_table() {
    return "Exit status:\n"
           "  0   done: --count or --match met, input drained, stopped by SIGINT/SIGTERM\n"
           "  1   --timeout expired first\n"
           "  64  usage error (bad option or argument)\n"
           "  65  input refused (newline in id or event, bad JSON line, too large)\n"
           "  66  input file cannot be read\n"
           "  69  cannot connect, or retries exhausted\n"
           "  70  internal error\n"
           "  71  operating-system error (cannot bind, out of descriptors)\n"
           "  74  writing output failed\n"
           "  76  protocol error (not an event stream: HTTP status or Content-Type)\n"
           "  77  permission denied (HTTP 401 or 403)\n"
           "  78  configuration error (bad environment value)\n";
}

int exit_main(const Logger &log, const std::function<Exit()> &body) {
    try {
        return static_cast<int>(body());
    } catch (const std::exception &e) {
        log.error(std::string("internal error: ") + e.what());
    } catch (...) {
        log.error("internal error: unknown exception");
    }
    return static_cast<int>(Exit::software);
}

}  // namespace ssekit
