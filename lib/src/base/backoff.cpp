#include "base/backoff.hpp"

#include <algorithm>
#include <optional>
#include <random>

namespace ssekit {

Backoff::Backoff(Limits limits, Jitter jitter, Random random)
    : limits_(limits), jitter_(jitter), random_(std::move(random)) {
    if (!random_ && jitter_.fraction > 0) {
        random_ = [engine = std::optional<std::minstd_rand>()]() mutable {
            if (!engine) engine.emplace(std::random_device{}());
            return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
        };
    }
}

std::chrono::milliseconds Backoff::delay() const {
    const auto initial = limits_.initial;
    if (steps_ == 0) return initial;
    const auto cap = std::max(limits_.cap, initial);
    auto wait = std::max(initial, limits_.floor);
    // Stops at the cap, so the loop is short and the doubling cannot overflow.
    for (unsigned i = 0; i < steps_ && wait.count() > 0 && wait < cap; ++i) wait = wait > cap / 2 ? cap : wait * 2;
    return std::min(wait, cap);
}

std::chrono::milliseconds Backoff::next() {
    const auto wait = delay();
    if (steps_ < std::numeric_limits<unsigned>::max()) ++steps_;
    if (jitter_.fraction <= 0) return wait;
    const double spread = jitter_.fraction * std::clamp(random_(), 0.0, 1.0);
    const double factor = jitter_.side == Jitter::Side::below ? 1.0 - spread : 1.0 + spread;
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(static_cast<double>(wait.count()) * factor));
}

}  // namespace ssekit
