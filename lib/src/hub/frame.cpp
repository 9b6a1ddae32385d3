#include "hub/frame.hpp"

#include <charconv>

#include "ssekit/wire.hpp"

namespace ssekit {

namespace {

// Wraps an encoded block held in `f.chunk` in place: "<hex>\r\n" before it, "\r\n" after.
FramePtr wrap(Frame f, const std::string &block) {
    f.chunk.reserve(block.size() + 12);
    append_chunk(block, f.chunk);
    f.block_offset = f.chunk.size() - 2 - block.size();
    f.block_size = block.size();
    return std::make_shared<const Frame>(std::move(f));
}

}  // namespace

void append_chunk(std::string_view block, std::string &out) {
    char hex[17];
    auto [end, ec] = std::to_chars(hex, hex + sizeof hex, block.size(), 16);
    (void)ec;  // 16 hex digits always hold a size_t
    out.append(hex, static_cast<std::size_t>(end - hex)).append("\r\n");
    out.append(block).append("\r\n");
}

Status make_frame(std::uint64_t seq, std::string_view topic, const Event &e, FramePtr &out, std::string key) {
    std::string block;
    block.reserve(e.data.size() + e.id.size() + e.type.size() + 32);
    if (auto s = encode(e, block); !s) return s;
    Frame f;
    f.seq = seq;
    f.topic.assign(topic);
    f.id = e.id;
    f.type = e.type;
    f.key = std::move(key);
    out = wrap(std::move(f), block);
    return Status::ok();
}

FramePtr make_comment_frame(std::string_view text) {
    std::string block;
    encode_comment(text, block);
    return wrap(Frame{}, block);
}

FramePtr make_retry_frame(std::uint64_t ms) {
    std::string block;
    encode_retry(ms, block);
    return wrap(Frame{}, block);
}

FramePtr make_last_chunk_frame() {
    Frame f;
    f.chunk = "0\r\n\r\n";
    f.block_offset = 3;
    return std::make_shared<const Frame>(std::move(f));
}

}  // namespace ssekit
