// ssed: the Server-Sent Events hub. Parsing, signals and the exit status; the rest is
// run_ssed() in the library.
#include <csignal>
#include <iostream>

#include "ssekit/signals.hpp"
#include "ssekit/ssed.hpp"

namespace {

std::atomic<bool> g_stop{false};  // set by SIGTERM/SIGINT; run_ssed then drains
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char **argv) {
    ssekit::SsedOptions opts;
    CLI::App app;
    ssekit::bind_ssed_options(app, opts);
    if (auto rc = ssekit::parse_ssed_args(app, argc, argv)) return *rc;

    ssekit::on_stop_signals(on_signal);
    // SIGPIPE: cpp-httplib's Server() ignores it process-wide; every send also uses MSG_NOSIGNAL.

    ssekit::Logger log("ssed", opts.log_level());
    return ssekit::exit_main(log, [&] { return ssekit::run_ssed(opts, log, g_stop, std::cout); });
}
