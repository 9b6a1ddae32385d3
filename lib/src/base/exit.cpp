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

const std::vector<ExitCodeRow> &exit_codes() {
    static const std::vector<ExitCodeRow> table = {
        {Exit::ok, "done",
         {{"ssed", "stopped by SIGINT or SIGTERM after the drain"},
          {"sse-pub", "every event published (SIGINT/SIGTERM only ends the input)"},
          {"sse-tail", "--count or --match met, the stream ended, SIGINT/SIGTERM"}}},
        {Exit::timeout, "timeout", {{"sse-tail", "--timeout expired first"}}},
        {Exit::usage, "usage error",
         {{"ssed", "bad option or argument"},
          {"sse-pub", "bad option, argument or URL"},
          {"sse-tail", "bad option, argument or URL"}}},
        {Exit::data, "input refused", {{"sse-pub", "bad topic, key, id, event or JSON line; HTTP 400 or 413"}}},
        {Exit::no_input, "input unreadable",
         {{"sse-pub", "standard input cannot be read"},
          {"sse-tail", "--input FILE or standard input cannot be read"}}},
        {Exit::unavailable, "cannot connect",
         {{"ssed", "Redis unreachable at start"},
          {"sse-pub", "retries ran out (\"published N of M events read\")"},
          {"sse-tail", "refused, host not found, TLS verification failed"}}},
        {Exit::software, "internal error",
         {{"ssed", "a bug: please report it"}, {"sse-pub", "a bug: please report it"},
          {"sse-tail", "a bug: please report it"}}},
        {Exit::os, "operating-system error", {{"ssed", "cannot bind the address, out of descriptors"}}},
        {Exit::io, "writing output failed", {{"sse-tail", "standard output (a closed pipe ends with 0)"}}},
        {Exit::protocol, "protocol error",
         {{"sse-pub", "an answer that is not ssed's, Redis error reply"},
          {"sse-tail", "not an event stream (HTTP status or Content-Type)"}}},
        {Exit::no_perm, "permission denied",
         {{"ssed", "Redis refused AUTH"},
          {"sse-pub", "HTTP 401 or 403, Redis refused AUTH"},
          {"sse-tail", "HTTP 401 or 403"}}},
        {Exit::config, "configuration error",
         {{"ssed", "bad value in an SSED_* environment variable"},
          {"sse-pub", "bad value in SSE_SERVER or SSE_TOKEN"},
          {"sse-tail", "bad value in SSE_SERVER or SSE_TOKEN"}}},
    };
    return table;
}

std::string exit_code_table(std::string_view program) {
    std::string out = "Exit status:\n";
    for (const ExitCodeRow &row : exit_codes())
        for (const ExitCodeUse &use : row.uses)
            if (use.program == program) {
                std::string code = std::to_string(static_cast<int>(row.code));
                out += "  " + code + std::string(4 - code.size(), ' ') + std::string(row.meaning) + ": " +
                       std::string(use.when) + "\n";
            }
    return out;
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
