// The per-topic history ring: bounded, ordered by seq, publisher ids and idempotency keys
// findable by exact string, and "evicted up to" bookkeeping that tells whether the frames after a position are complete.
#include "hub/topic_ring.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace ssekit;

namespace {

FramePtr frame(std::uint64_t seq, std::string id = {}, std::string key = {}) {
    FramePtr f;
    Event e;
    e.id = id.empty() ? "m-" + std::to_string(seq) : id;
    e.data = "event " + std::to_string(seq);
    EXPECT_TRUE(make_frame(seq, "t", e, f, std::move(key)));
    return f;
}

std::string id_of_key(const TopicRing &r, std::string_view key) {
    const Frame *f = r.find_key(key);
    return f ? f->id : "(none)";
}

std::vector<std::uint64_t> seqs_after(const TopicRing &r, std::uint64_t after) {
    std::vector<FramePtr> out;
    r.append_after(after, out);
    std::vector<std::uint64_t> seqs;
    for (auto &f : out) seqs.push_back(f->seq);
    return seqs;
}

}  // namespace

TEST(TopicRing, KeepsTheNewestFramesUpToCapacity) {
    TopicRing r(3);
    for (std::uint64_t s : {2, 5, 7, 8, 11}) r.push(frame(s), false);
    EXPECT_EQ(r.size(), 3u);
    EXPECT_EQ(seqs_after(r, 0), (std::vector<std::uint64_t>{7, 8, 11}));
    EXPECT_EQ(r.front()->seq, 7u);
    EXPECT_EQ(r.back()->seq, 11u);
}

TEST(TopicRing, ReturnsFramesAfterAnySeqEvenOneItNeverHeld) {
    TopicRing r(10);
    for (std::uint64_t s : {2, 5, 7, 8, 11}) r.push(frame(s), false);
    EXPECT_EQ(seqs_after(r, 5), (std::vector<std::uint64_t>{7, 8, 11}));
    EXPECT_EQ(seqs_after(r, 6), (std::vector<std::uint64_t>{7, 8, 11}));
    EXPECT_EQ(seqs_after(r, 1), (std::vector<std::uint64_t>{2, 5, 7, 8, 11}));
    EXPECT_TRUE(seqs_after(r, 11).empty());
    EXPECT_TRUE(seqs_after(r, 100).empty());
}

TEST(TopicRing, TracksTheHighestEvictedSeq) {
    TopicRing r(2);
    EXPECT_EQ(r.evicted_upto(), 0u);
    r.push(frame(3), false);
    r.push(frame(4), false);
    EXPECT_EQ(r.evicted_upto(), 0u);
    r.push(frame(9), false);
    EXPECT_EQ(r.evicted_upto(), 3u);
    r.push(frame(10), false);
    EXPECT_EQ(r.evicted_upto(), 4u);
}

TEST(TopicRing, WithCapacityZeroEveryFrameIsEvictedAtOnce) {
    TopicRing r(0);
    r.push(frame(5), true);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.evicted_upto(), 5u);
    EXPECT_FALSE(r.find_id("m-5"));
}

TEST(TopicRing, FindsIndexedIdsByExactStringUntilEvicted) {
    TopicRing r(2);
    r.push(frame(1, "order-1"), true);
    r.push(frame(2, "order-2"), true);
    EXPECT_EQ(r.find_id("order-1"), 1u);
    EXPECT_EQ(r.find_id("order-2"), 2u);
    EXPECT_FALSE(r.find_id("order-"));
    EXPECT_FALSE(r.find_id("ORDER-1"));
    r.push(frame(3, "order-3"), true);
    EXPECT_FALSE(r.find_id("order-1"));
    EXPECT_EQ(r.find_id("order-3"), 3u);
}

TEST(TopicRing, DoesNotIndexIdsItWasNotAskedTo) {
    TopicRing r(4);
    r.push(frame(1, "1000-1"), false);
    EXPECT_FALSE(r.find_id("1000-1"));
}

TEST(TopicRing, ARepeatedIdFindsTheNewestFrameAndSurvivesTheOldOnesEviction) {
    TopicRing r(2);
    r.push(frame(1, "same"), true);
    r.push(frame(2, "same"), true);
    EXPECT_EQ(r.find_id("same"), 2u);
    r.push(frame(3, "other"), true);  // evicts seq 1, which also carried "same"
    EXPECT_EQ(r.find_id("same"), 2u);
    r.push(frame(4, "other2"), true);  // evicts seq 2
    EXPECT_FALSE(r.find_id("same"));
}

TEST(TopicRing, CountsRetainedChunkBytes) {
    TopicRing r(2);
    auto a = frame(1), b = frame(2), c = frame(3);
    r.push(a, false);
    r.push(b, false);
    EXPECT_EQ(r.bytes(), a->chunk.size() + b->chunk.size());
    r.push(c, false);
    EXPECT_EQ(r.bytes(), b->chunk.size() + c->chunk.size());
}

TEST(TopicRing, HoldsReferencesNotCopies) {
    TopicRing r(4);
    auto f = frame(1);
    r.push(f, false);
    std::vector<FramePtr> out;
    r.append_after(0, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].get(), f.get());
}

TEST(TopicRing, WrapsAroundManyTimesInOrder) {
    TopicRing r(5);
    for (std::uint64_t s = 1; s <= 1003; ++s) r.push(frame(s), s % 2 == 0);
    EXPECT_EQ(seqs_after(r, 0), (std::vector<std::uint64_t>{999, 1000, 1001, 1002, 1003}));
    EXPECT_EQ(r.evicted_upto(), 998u);
    EXPECT_EQ(r.find_id("m-1002"), 1002u);
    EXPECT_FALSE(r.find_id("m-998"));
}

TEST(TopicRing, FindsTheFrameOfAKeyWhileItIsRetainedAndNoLonger) {
    TopicRing r(3);
    r.push(frame(4, "a", "k-a"), false);
    r.push(frame(6, "b"), false);  // no key
    r.push(frame(9, "c", "k-c"), false);
    EXPECT_EQ(id_of_key(r, "k-a"), "a");
    EXPECT_EQ(id_of_key(r, "k-c"), "c");
    EXPECT_EQ(r.find_key("k-b"), nullptr);
    EXPECT_EQ(r.find_key(""), nullptr);  // no key is no key
    r.push(frame(10, "d", "k-d"), false);  // evicts seq 4
    EXPECT_EQ(r.find_key("k-a"), nullptr);
    EXPECT_EQ(id_of_key(r, "k-c"), "c");
}

TEST(TopicRing, TheKeyIndexNeverHoldsMoreThanTheRetainedFrames) {
    TopicRing r(4);
    for (std::uint64_t s = 1; s <= 10000; ++s) r.push(frame(s, {}, "key-" + std::to_string(s)), false);
    for (std::uint64_t s = 1; s <= 9996; s += 97) EXPECT_EQ(r.find_key("key-" + std::to_string(s)), nullptr) << s;
    for (std::uint64_t s = 9997; s <= 10000; ++s) EXPECT_EQ(id_of_key(r, "key-" + std::to_string(s)), "m-" + std::to_string(s));
}

TEST(TopicRing, WithCapacityZeroNoKeyIsRemembered) {
    TopicRing r(0);
    r.push(frame(1, "a", "k"), false);
    EXPECT_EQ(r.find_key("k"), nullptr);
}
