// sse-pub: publish Server-Sent Events to ssed over HTTP, or into Redis. See sse-pub(1).
#include <csignal>
#include <iostream>
#include <unistd.h>

#include "ssekit/cli.hpp"
#include "ssekit/pub.hpp"
#include "ssekit/signals.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_stop_signal(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char **argv) {
    // A Redis or HTTP peer that goes away must be an error return, not a SIGPIPE death.
    std::signal(SIGPIPE, SIG_IGN);

    ssekit::PubOptions opts;
    if (auto rc = ssekit::parse_args(opts, ssekit::bind_pub_options, ssekit::check_pub_options,
                                     {argv + 1, argv + argc}, std::cout, ssekit::Logger("sse-pub")))
        return static_cast<int>(*rc);

    // Ctrl-C ends reading; what was read is still published and the counts are reported.
    ssekit::on_stop_signals(on_stop_signal);

    const ssekit::Logger log("sse-pub", opts.log_level());
    return ssekit::exit_main(log, [&] { return ssekit::run_pub(opts, STDIN_FILENO, log, stop_requested); });
}
