// sse-tail: follow Server-Sent Events streams and print their events. See sse-tail(1).
#include <csignal>
#include <iostream>
#include <unistd.h>

#include "ssekit/cli.hpp"
#include "ssekit/signals.hpp"
#include "ssekit/tail.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_stop_signal(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char **argv) {
    // libcurl runs with CURLOPT_NOSIGNAL, so a closed stdout or socket must not kill us: EPIPE
    // comes back from write(2) instead and `| head -1` ends quietly.
    std::signal(SIGPIPE, SIG_IGN);

    ssekit::TailOptions opts;
    if (auto rc = ssekit::parse_args(opts, ssekit::bind_tail_options, ssekit::check_tail_options,
                                     {argv + 1, argv + argc}, std::cout, ssekit::Logger("sse-tail")))
        return static_cast<int>(*rc);

    // A write(2) blocked on a full pipe returns EINTR, so SIGTERM still ends us.
    ssekit::on_stop_signals(on_stop_signal);

    const ssekit::Logger log("sse-tail", opts.log_level());
    return ssekit::exit_main(log, [&] { return ssekit::run_tail(opts, STDOUT_FILENO, log, stop_requested); });
}
