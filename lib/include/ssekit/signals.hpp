// A note on signals.
//
// The three tools stop on SIGINT and SIGTERM by setting a flag that their loops poll; the flag
// itself lives in each main (the one kind of global the project allows). The handler is
// installed without SA_RESTART, so a read, write or poll blocked when the signal lands returns
// EINTR and the loop sees the flag at once.
#pragma once

namespace ssekit {

// Installs `handler` for SIGINT and SIGTERM (no SA_RESTART, nothing masked).
void on_stop_signals(void (*handler)(int));

}  // namespace ssekit
