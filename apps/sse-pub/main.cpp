// sse-pub: publish Server-Sent Events to ssed over HTTP, or into Redis. See sse-pub(1).
#include <csignal>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "ssekit/exit.hpp"
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
    CLI::App app;
    ssekit::bind_pub_options(app, opts);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        ssekit::Logger("sse-pub").error(std::string(e.what()) + " (see sse-pub --help)");
        return static_cast<int>(ssekit::Exit::usage);
    }
    // Ctrl-C ends reading; what was read is still published and the counts are reported.
    ssekit::on_stop_signals(on_stop_signal);

    ssekit::Logger log("sse-pub", opts.log_level());
    return ssekit::exit_main(log, [&] { return ssekit::run_pub(opts, STDIN_FILENO, log, stop_requested); });
}
