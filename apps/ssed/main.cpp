// ssed: the Server-Sent Events hub. Parsing, signals and the exit status; the rest is
// run_ssed() in the library.
#include <atomic>
#include <csignal>
#include <iostream>

#include "ssekit/cli.hpp"
#include "ssekit/signals.hpp"
#include "ssekit/ssed.hpp"

namespace {

std::atomic<bool> g_stop{false};  // set by SIGTERM/SIGINT; run_ssed then drains
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char **argv) {
    // SIGPIPE: cpp-httplib's Server() ignores it process-wide; every send also uses MSG_NOSIGNAL.
    ssekit::SsedOptions opts;
    if (auto rc = ssekit::parse_args(opts, ssekit::bind_ssed_options, ssekit::check_ssed_options,
                                     {argv + 1, argv + argc}, std::cout, ssekit::Logger("ssed")))
        return static_cast<int>(*rc);

    ssekit::on_stop_signals(on_signal);

    const ssekit::Logger log("ssed", opts.log_level());
    return ssekit::exit_main(log, [&] { return ssekit::run_ssed(opts, log, g_stop, std::cout); });
}
