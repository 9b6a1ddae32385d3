#include "hub/topic_ring.hpp"

#include <algorithm>

namespace ssekit {

void TopicRing::evict_front() {
    FramePtr &old = buf_[head_];
    evicted_upto_ = old->seq;
    bytes_ -= old->chunk.size();
    // Drop the index entry only if it still names this frame, not a newer one with the same id.
    if (auto it = ids_.find(old->id); it != ids_.end() && it->second == old->seq) ids_.erase(it);
    old.reset();
    head_ = (head_ + 1) % buf_.size();
    --size_;
}

void TopicRing::grow() {
    std::size_t cap = std::min(capacity_, std::max<std::size_t>(4, buf_.size() * 2));
    std::vector<FramePtr> bigger(cap);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(buf_[(head_ + i) % buf_.size()]);
    buf_ = std::move(bigger);
    head_ = 0;
}

void TopicRing::push(FramePtr f, bool index_id) {
    if (capacity_ == 0) {
        // Nothing is retained: the frame counts as evicted at once, so resumes report the gap.
        evicted_upto_ = f->seq;
        return;
    }
    if (size_ == capacity_) evict_front();
    if (size_ == buf_.size()) grow();
    bytes_ += f->chunk.size();
    if (index_id && !f->id.empty()) {
        // Re-key rather than assign: the old key views the older frame's string, which may be
        // freed once that frame is evicted.
        if (auto it = ids_.find(f->id); it != ids_.end()) ids_.erase(it);
        ids_.emplace(std::string_view(f->id), f->seq);
    }
    buf_[(head_ + size_) % buf_.size()] = std::move(f);
    ++size_;
}

std::optional<std::uint64_t> TopicRing::find_id(std::string_view id) const {
    if (auto it = ids_.find(id); it != ids_.end()) return it->second;
    return std::nullopt;
}

void TopicRing::append_after(std::uint64_t after, std::vector<FramePtr> &out) const {
    // Binary search over logical positions 0..size_-1 for the first seq > after.
    std::size_t lo = 0, hi = size_;
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (at(mid)->seq <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    out.reserve(out.size() + (size_ - lo));
    for (std::size_t i = lo; i < size_; ++i) out.push_back(at(i));
}

}  // namespace ssekit
