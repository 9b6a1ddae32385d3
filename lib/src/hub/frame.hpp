// A note on frames.
//
// A Frame is one event encoded once, for every subscriber: the event-stream block already
// wrapped in its HTTP/1.1 chunk ("<hex len>\r\n<block>\r\n"), so the streamer writes
// the bytes verbatim and many frames go out in one writev(2). Frames are immutable and shared
// (FramePtr): the history ring and each subscriber's queue hold references, never copies.
// Control frames (heartbeat, retry, notices, the final 0-chunk) use the same type with seq 0.
//
// Thread safety: a built Frame is read-only, so any number of threads may read it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ssekit/event.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

// An encoded event, immutable once built.
struct Frame {
    std::uint64_t seq = 0;  // hub-wide sequence number; 0 for control frames
    std::string topic;
    std::string id;     // the SSE id as sent in the `id:` field
    std::string type;   // "" means "message"
    std::string key;    // the publisher's idempotency key (sse/publish.hpp); "" = none
    // The block wrapped in its HTTP/1.1 chunk: "<hex len>\r\n<event-stream block>\r\n".
    // Subscriber sockets get these bytes verbatim.
    std::string chunk;
    std::size_t block_offset = 0;  // where the event-stream block starts inside `chunk`
    std::size_t block_size = 0;
    // The bare event-stream block (for writers that do their own chunk framing).
    std::string_view block() const { return std::string_view(chunk).substr(block_offset, block_size); }
};
using FramePtr = std::shared_ptr<const Frame>;

// Appends `block` wrapped as one HTTP/1.1 chunk to `out`. REQUIRES: !block.empty() (an
// empty chunk would end the response).
void append_chunk(std::string_view block, std::string &out);

// Builds the frame for `e` (its id, type and retry as given; `key` kept with it). Returns
// invalid_argument, and leaves `out` alone, when the id or type cannot be sent (see wire.hpp).
Status make_frame(std::uint64_t seq, std::string_view topic, const Event &e, FramePtr &out,
                  std::string key = {});

// Control frames (seq 0): a comment ": text\n\n" (":\n\n" when text is empty), a lone
// "retry: ms\n\n", and the terminating "0\r\n\r\n" of a chunked response (empty block).
FramePtr make_comment_frame(std::string_view text);
FramePtr make_retry_frame(std::uint64_t ms);
FramePtr make_last_chunk_frame();

}  // namespace ssekit
