#include "hub/topic_ring.hpp"

#include <algorithm>

namespace ssekit {

namespace {

using Index = std::unordered_map<std::string_view, std::uint64_t>;

// Points `name` at `seq`. Re-keys rather than assigns: an old key views the older frame's
// string, which may be freed once that frame is evicted. One lookup when `name` is new.
void index_name(Index &index, std::string_view name, std::uint64_t seq) {
    if (auto [it, fresh] = index.try_emplace(name, seq); !fresh) {
        index.erase(it);
        index.emplace(name, seq);
    }
}

// Drops the entry for `name` only if it still names `seq`, not a newer frame with the same name.
void unindex_name(Index &index, std::string_view name, std::uint64_t seq) {
    if (auto it = index.find(name); it != index.end() && it->second == seq) index.erase(it);
}

}  // namespace

void TopicRing::evict_front() {
    FramePtr &old = buf_[head_];
    evicted_upto_ = old->seq;
    bytes_ -= old->chunk.size();
    unindex_name(ids_, old->id, old->seq);
    if (!old->key.empty()) unindex_name(keys_, old->key, old->seq);
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
    if (index_id && !f->id.empty()) index_name(ids_, f->id, f->seq);
    if (!f->key.empty()) index_name(keys_, f->key, f->seq);
    buf_[(head_ + size_) % buf_.size()] = std::move(f);
    ++size_;
}

std::optional<std::uint64_t> TopicRing::find_id(std::string_view id) const {
    if (auto it = ids_.find(id); it != ids_.end()) return it->second;
    return std::nullopt;
}

const Frame *TopicRing::find_key(std::string_view key) const {
    auto it = keys_.find(key);
    // Frames carry seqs from 1, so the frame with seq S is the first one after S - 1.
    return it == keys_.end() ? nullptr : at(first_after(it->second - 1)).get();
}

std::size_t TopicRing::first_after(std::uint64_t after) const {
    // Binary search over logical positions 0..size_-1 for the first seq > after.
    std::size_t lo = 0, hi = size_;
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (at(mid)->seq <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void TopicRing::append_after(std::uint64_t after, std::vector<FramePtr> &out) const {
    std::size_t lo = first_after(after);
    out.reserve(out.size() + (size_ - lo));
    for (std::size_t i = lo; i < size_; ++i) out.push_back(at(i));
}

}  // namespace ssekit
