#include "tail/reconnect_policy.hpp"

#include <algorithm>

namespace ssekit {

ReconnectPolicy::ReconnectPolicy(std::uint64_t reconnection_ms, std::uint64_t cap_ms, Random random)
    : backoff_({std::chrono::milliseconds(std::min(reconnection_ms, max_reconnection_ms)),
                std::chrono::milliseconds(std::min(cap_ms, max_reconnection_ms)),
                std::chrono::milliseconds(min_backoff_ms)},
               // above: the reconnection time is a floor (WHATWG: wait it, optionally longer).
               {jitter_fraction, Backoff::Jitter::Side::above}, std::move(random)) {}

std::chrono::milliseconds ReconnectPolicy::next_delay(bool delivered) {
    if (delivered) backoff_.reset();
    return backoff_.next();
}

}  // namespace ssekit
