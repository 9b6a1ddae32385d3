#include "tail/reconnect_policy.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace ssekit {

ReconnectPolicy::ReconnectPolicy(std::uint64_t reconnection_ms, std::uint64_t cap_ms, Random random)
    : reconnection_ms_(std::min(reconnection_ms, max_reconnection_ms)), cap_ms_(std::min(cap_ms, max_reconnection_ms)), random_(std::move(random)) {
    if (!random_) {
        auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
        random_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
    }
}

std::uint64_t ReconnectPolicy::base_delay_ms() const {
    if (failures_ == 0) return reconnection_ms_;
    // A server that asked for a longer wait than our cap gets it: the cap only limits our growth.
    const std::uint64_t cap = std::max(cap_ms_, reconnection_ms_);
    std::uint64_t wait = std::max(reconnection_ms_, min_backoff_ms);
    for (unsigned i = 0; i < failures_ && wait < cap; ++i) wait *= 2;
    return std::min(wait, cap);
}

std::chrono::milliseconds ReconnectPolicy::next_delay(bool delivered) {
    if (delivered) failures_ = 0;
    const std::uint64_t base = base_delay_ms();
    ++failures_;
    double r = std::clamp(random_(), 0.0, 1.0);
    double factor = 1.0 - jitter_fraction * r;
    return std::chrono::milliseconds(static_cast<std::uint64_t>(static_cast<double>(base) * factor));
}

}  // namespace ssekit
