// A note on backoff.
//
// Backoff is the one rule for "wait longer after each failure" that ssekit's three retry loops
// share: sse-tail's reconnects (tail/reconnect_policy), sse-pub's publish retries
// (pub/publisher) and ssed's Redis reconnects (ssed/redis_bridge). A value type with no clock
// and no sleeping: next() says how long to wait, the caller waits.
//  - Step 0 waits `initial`; step k > 0 waits max(initial, floor)·2^k, so a zero initial wait
//    (sse-tail's `retry: 0`) still grows instead of spinning. No wait before jitter exceeds
//    `cap` (jitter above may add to it), but the cap limits growth only: a wait is never cut
//    below `initial`.
//  - reset() goes back to step 0 (the caller made progress); set_initial() keeps the step, so a
//    new starting wait applies to the doubling already under way.
//  - Jitter (optional) spreads each wait w uniformly over [w - f·w, w] (Side::below) or
//    [w, w + f·w] (Side::above), so clients dropped at once do not come back at once. The
//    random source is injected (a function returning a value in [0, 1); values outside are
//    clamped); by default it is seeded from std::random_device on first use, as a seed costs
//    ~40 us and most publishes never retry. A copy carries the source's state with it.
// Not thread-safe: one Backoff per retry loop.
#pragma once

#include <chrono>
#include <functional>
#include <limits>

namespace ssekit {

struct BackoffLimits {
    std::chrono::milliseconds initial;
    std::chrono::milliseconds cap;
    std::chrono::milliseconds floor{0};  // the least wait the doubling starts from
};

struct BackoffJitter {
    enum class Side { below, above };
    double fraction = 0;  // 0: none
    Side side = Side::above;
};

class Backoff {
public:
    using Random = std::function<double()>;  // uniform in [0, 1)
    using Limits = BackoffLimits;
    using Jitter = BackoffJitter;  // (outside the class: GCC refuses `Jitter jitter = {}` here)

    // REQUIRES: limits not negative.
    explicit Backoff(Limits limits, Jitter jitter = {}, Random random = {});

    // The wait for this step, with jitter; then moves to the next step.
    std::chrono::milliseconds next();

    // The wait for this step before jitter.
    std::chrono::milliseconds delay() const;

    void reset() { steps_ = 0; }
    void set_initial(std::chrono::milliseconds initial) { limits_.initial = initial; }
    std::chrono::milliseconds initial() const { return limits_.initial; }

    // next() calls since the last reset (the failures in a row, for most callers).
    unsigned steps() const { return steps_; }

private:
    Limits limits_;
    Jitter jitter_;
    Random random_;
    unsigned steps_ = 0;
};

}  // namespace ssekit
