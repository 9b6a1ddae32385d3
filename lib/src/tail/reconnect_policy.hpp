// A note on reconnecting.
//
// ReconnectPolicy decides how long sse-tail waits before it connects to a stream again. It is
// pure logic (no clock, no sockets) so the tests can drive it step by step.
//
//  - The reconnection time starts at 3000 ms (WHATWG's suggestion), or at --retry MS. A valid
//    `retry:` field from the server replaces it, as it does in a browser's EventSource.
//  - After a connection that delivered bytes, the wait is the reconnection time.
//  - While the server stays unreachable (refused, reset, or answered without a byte of body),
//    each further attempt doubles the wait, starting from max(reconnection time, 250 ms) so
//    that `retry: 0` cannot spin, up to the cap (30 s, or the reconnection time if that is
//    larger). connected() resets the doubling.
//  - Jitter: the wait actually used is uniform in [w, 1.25 w], where w is the wait above, so a
//    crowd of clients dropped at once does not come back at once. Jitter and backoff only ever
//    add: the spec says to wait the reconnection time, "optionally" longer, so a server's
//    `retry:` is a floor and no wait is shorter than it.
//  - Reconnection times above one day are taken as one day, so a huge `retry:` cannot
//    overflow a clock.
// The doubling, cap and jitter are base/backoff.hpp's; this class adds the reconnection time.
// The random source is injected (a function returning a value in [0, 1)); tests pass a fixed one.
// Not thread-safe: one policy per followed URL, used by one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "base/backoff.hpp"

namespace ssekit {

class ReconnectPolicy {
public:
    using Random = Backoff::Random;  // uniform in [0, 1)

    static constexpr std::uint64_t default_reconnection_ms = 3000;
    static constexpr std::uint64_t default_cap_ms = 30000;
    static constexpr std::uint64_t min_backoff_ms = 250;
    static constexpr double jitter_fraction = 0.25;
    static constexpr std::uint64_t max_reconnection_ms = 24ull * 60 * 60 * 1000;

    // `random` defaults to Backoff's (seeded from std::random_device on first use).
    explicit ReconnectPolicy(std::uint64_t reconnection_ms = default_reconnection_ms,
                             std::uint64_t cap_ms = default_cap_ms, Random random = {});

    // A `retry:` field (or --retry): the new reconnection time.
    void set_reconnection_time(std::uint64_t ms) {
        backoff_.set_initial(std::chrono::milliseconds(std::min(ms, max_reconnection_ms)));
    }
    std::uint64_t reconnection_time() const { return static_cast<std::uint64_t>(backoff_.initial().count()); }

    // The current connection delivered bytes: the server is reachable, so backoff restarts.
    void connected() { backoff_.reset(); }

    // A connection ended or an attempt failed. `delivered` says whether it delivered any bytes
    // (if so the backoff restarts first). Returns the wait before the next attempt.
    std::chrono::milliseconds next_delay(bool delivered);

    // Attempts in a row that delivered nothing.
    unsigned failures() const { return backoff_.steps(); }

private:
    Backoff backoff_;  // initial = the reconnection time, floor = min_backoff_ms
};

}  // namespace ssekit
