// A note on --exec.
//
// EventCommand runs one shell command per event: `/bin/sh -c COMMAND`, with the event (as -f
// formats it) on its standard input and SSE_EVENT (the type), SSE_ID (the last event ID) and
// SSE_URL added to sse-tail's environment; its standard output and error are sse-tail's. The
// event's bytes reach the command only through its stdin and environment, never its command
// line, so no data can inject shell code. run() returns once the command has exited, so
// commands run one at a time, in event order.
//
// A command that fails (a status other than 0, a signal, /bin/sh missing) is reported by
// run()'s Status, for the caller to log and go on. A command that exits without reading its
// input is not a failure in itself: the write fails with EPIPE (the process ignores SIGPIPE,
// which the command gets back at its default). A stop request (SIGINT/SIGTERM sets `stop`)
// while the command runs sends it SIGTERM, and run() still waits for it, so none outlives
// sse-tail. Not thread-safe.
#pragma once

#include <csignal>
#include <string>
#include <string_view>
#include <vector>

#include "ssekit/event.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

class EventCommand {
public:
    // Snapshots the environment (less any SSE_EVENT, SSE_ID, SSE_URL) for every run.
    explicit EventCommand(std::string command);

    // Runs the command for one event, `input` on its stdin. Returns ok, or why it failed
    // ("exited with status 3", "killed by signal 9 (Killed)", "cannot start /bin/sh: ...").
    Status run(std::string_view input, const Event &e, std::string_view url, const volatile std::sig_atomic_t &stop);

private:
    std::string command_;
    std::vector<std::string> environment_;
};

}  // namespace ssekit
