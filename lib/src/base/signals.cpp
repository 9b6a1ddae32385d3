#include "ssekit/signals.hpp"

#include <signal.h>

namespace ssekit {

void on_stop_signals(void (*handler)(int)) {
    struct sigaction sa = {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace ssekit
