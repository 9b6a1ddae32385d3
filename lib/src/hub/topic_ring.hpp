// A note on the topic ring.
//
// The bounded history of one topic: the last `capacity` frames in publish order, for clients
// that resume with Last-Event-ID. Frames are shared references (FramePtr), never copies.
//  - Seqs in the ring strictly increase (the hub assigns them under its lock), so a position
//    is found by binary search; seqs of one topic have gaps, as seq is hub-wide.
//  - Ids a publisher gave (not minted by the hub) are indexed by exact string. When an id
//    repeats, the index points at the newest frame carrying it.
//  - Idempotency keys (Frame::key) are indexed the same way, so the hub can tell a publish
//    whose key a retained frame carries; an entry goes with its frame, so the index never
//    holds more than `capacity` keys.
//  - evicted_upto() is the highest seq pushed out of the ring (0 when none), so "frames after
//    seq S are complete" holds exactly when S >= evicted_upto().
// The storage grows with use up to `capacity`, so an idle topic costs a few words.
//
// Thread safety: none; the hub guards each ring with its lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/frame.hpp"

namespace ssekit {

class TopicRing {
public:
    // `evicted_upto`: what counts as evicted from the start (a topic created again after the
    // hub reclaimed topics: frames up to that seq may have been in one, so a resume from before
    // it must report a gap; see hub.hpp).
    explicit TopicRing(std::size_t capacity, std::uint64_t evicted_upto = 0)
        : capacity_(capacity), evicted_upto_(evicted_upto) {}

    // Appends `f` (REQUIRES: f->seq greater than every seq pushed before), evicting the oldest
    // frame when full. `index_id`: make f->id findable by find_id() (publisher-given ids).
    void push(FramePtr f, bool index_id);

    // The seq of the newest retained frame whose id is exactly `id` among the indexed ones.
    std::optional<std::uint64_t> find_id(std::string_view id) const;
    // The newest retained frame whose key is `key`; nullptr when none. Valid until the next push.
    const Frame *find_key(std::string_view key) const;

    // Appends the retained frames with seq > `after`, oldest first (after = 0: all of them).
    void append_after(std::uint64_t after, std::vector<FramePtr> &out) const;

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    bool empty() const { return size_ == 0; }
    std::size_t bytes() const { return bytes_; }  // sum of chunk sizes retained
    std::uint64_t evicted_upto() const { return evicted_upto_; }
    const FramePtr &front() const { return at(0); }  // REQUIRES: !empty()
    const FramePtr &back() const { return at(size_ - 1); }  // REQUIRES: !empty()
    const FramePtr &at(std::size_t i) const { return buf_[(head_ + i) % buf_.size()]; }

private:
    void evict_front();
    void grow();
    // The logical position of the first retained frame with seq > `after` (size() when none).
    std::size_t first_after(std::uint64_t after) const;

    std::size_t capacity_;
    std::vector<FramePtr> buf_;  // circular; grows by doubling up to capacity_
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t evicted_upto_ = 0;
    // Keys view the id (key) inside the frame, which the ring keeps alive while the entry exists.
    std::unordered_map<std::string_view, std::uint64_t> ids_;
    std::unordered_map<std::string_view, std::uint64_t> keys_;
};

}  // namespace ssekit
