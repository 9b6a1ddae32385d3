// A note on the front door's limits.
//
// DoorLimits is a plain value: the limits and deadlines ssed's front door (ssed/front_door.hpp,
// internal) applies to every connection before it becomes a stream. It is public, and only it,
// so that ssed's options (ssed.hpp) can embed it and every default lives here once; what each
// limit does, and what a client that breaks it gets, is in front_door.hpp and ssed(1).
// No behaviour, no ownership; copy it freely.
#pragma once

#include <chrono>
#include <cstddef>

namespace ssekit {

struct DoorLimits {
    std::size_t max_head = 64 * 1024;                 // request line + headers, bytes (431)
    std::size_t max_headers = 100;                    // header lines (431)
    std::chrono::milliseconds head_timeout{10000};    // from a request's first byte to its blank line (408)
    std::chrono::milliseconds idle_timeout{30000};    // between requests on a keep-alive connection
    std::chrono::milliseconds body_timeout{10000};    // a body's grace, before min_body_rate counts (408)
    std::size_t min_body_rate = 64 * 1024;            // bytes per second a body must keep up after it
    std::chrono::milliseconds write_timeout{10000};   // an answer not read for this long: closed
    // Connections open at once that are not (yet) streams; past it accepting pauses and the
    // kernel's backlog holds the rest. Each holds at most max_head + the body limit.
    std::size_t max_connections = 20000;
    std::size_t workers = 0;   // threads for requests that may block (Redis); 0: on the loop
    std::size_t queue = 1024;  // requests waiting for a worker; past it 503 with Retry-After
    bool reuse_port = false;   // SO_REUSEPORT on the listening socket
    // Event loops sharing the listening socket; each owns the connections it accepts, streams
    // included (max_connections and queue apply to each; workers are split over them).
    std::size_t loops = 1;
};

}  // namespace ssekit
