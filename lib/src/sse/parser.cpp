// The WHATWG HTML "Server-sent events" parsing algorithm (section "Parsing an event stream" and
// "Interpreting an event stream"), applied to chunks as they arrive.
#include "ssekit/parser.hpp"

#include <charconv>
#include <cstring>

#include "base/utf8.hpp"

namespace ssekit {

namespace {

constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};

}  // namespace

Parser::Parser(std::string last_event_id, std::size_t max_size)
    : id_buffer_(last_event_id), last_event_id_(std::move(last_event_id)), max_size_(max_size) {}

Status Parser::feed(std::string_view chunk) {
    bytes_fed_ += chunk.size();
    // Every event next() handed out has been read by now (its validity ends here): their slots
    // take the events this chunk dispatches.
    if (ready_head_ == ready_count_) ready_head_ = ready_count_ = 0;
    // The decoder strips one BOM at stream start; its three bytes may arrive in separate chunks.
    while (!bom_done_ && !chunk.empty()) {
        if (static_cast<unsigned char>(chunk.front()) == kBom[bom_matched_]) {
            chunk.remove_prefix(1);
            if (++bom_matched_ == 3) bom_done_ = true;
            continue;
        }
        bom_done_ = true;
        // Not a BOM after all: the bytes held back are ordinary input.
        if (bom_matched_ > 0) {
            auto held = std::string_view(reinterpret_cast<const char *>(kBom), bom_matched_);
            if (auto s = feed_bytes(held); !s) return s;
        }
    }
    return feed_bytes(chunk);
}

namespace {

// The index of the first `c` in bytes[from, to), or `to`: memchr, which scans words at a time.
size_t find_byte(std::string_view bytes, size_t from, size_t to, char c) {
    const void *hit = std::memchr(bytes.data() + from, c, to - from);
    return hit ? static_cast<size_t>(static_cast<const char *>(hit) - bytes.data()) : to;
}

}  // namespace

Status Parser::line_too_long() const {
    return Status::too_large("a line is longer than " + std::to_string(max_size_) + " bytes");
}

Status Parser::feed_bytes(std::string_view bytes) {
    const size_t n = bytes.size();
    size_t i = 0;
    // A CR ended the previous line; an LF right after it belongs to the same line break.
    if (last_was_cr_ && n > 0) {
        last_was_cr_ = false;
        if (bytes.front() == '\n') i = 1;
    }
    // A line ends at the first LF or CR. Most streams use LF alone, so the next CR is searched
    // for once and again only after a line has ended at it; each line then costs one memchr
    // for LF, bounded by that CR.
    size_t cr = find_byte(bytes, i, n, '\r');
    while (i < n) {
        if (cr < i) cr = find_byte(bytes, i, n, '\r');
        const size_t end = find_byte(bytes, i, cr, '\n');
        if (end == n) {
            // No line end in this chunk: keep the partial line for the next one.
            line_.append(bytes.substr(i));
            if (max_size_ && line_.size() > max_size_) return line_too_long();
            return Status::ok();
        }
        if (line_.empty()) {
            // The whole line is inside this chunk: no copy.
            if (max_size_ && end - i > max_size_) return line_too_long();
            process_line(bytes.substr(i, end - i));
        } else {
            line_.append(bytes.substr(i, end - i));
            if (max_size_ && line_.size() > max_size_) return line_too_long();
            process_line(line_);
            line_.clear();
        }
        if (data_too_large_)
            return Status::too_large("an event's data is larger than " + std::to_string(max_size_) + " bytes");
        i = end + 1;
        if (bytes[end] == '\r') {
            if (i < n) {
                if (bytes[i] == '\n') ++i;
            } else {
                last_was_cr_ = true;
            }
        }
    }
    return Status::ok();
}

void Parser::process_line(std::string_view raw) {
    // The stream is decoded as UTF-8 before it is parsed. CR and LF are ASCII: they end any
    // pending sequence (as an error), so decoding line by line gives the stream's decoding.
    std::string_view line = to_valid_utf8(raw, decoded_);
    // "If the line is empty (a blank line): Dispatch the event."
    if (line.empty()) {
        dispatch();
        return;
    }
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    if (line.front() == ':') return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        // "process the field using the whole line as the field name, and the empty string as
        // the field value."
        process_field(line, {});
        return;
    }
    std::string_view value = line.substr(colon + 1);
    // "If value starts with a U+0020 SPACE character, remove it from value."
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    process_field(line.substr(0, colon), value);
}

void Parser::process_field(std::string_view name, std::string_view value) {
    if (name == "event") {
        type_.assign(value);
    } else if (name == "data") {
        data_.append(value);
        data_.push_back('\n');
        if (max_size_ && data_.size() > max_size_) data_too_large_ = true;
    } else if (name == "id") {
        // "If the field value does not contain U+0000 NULL, then set the last event ID buffer
        // to the field value. Otherwise, ignore the field."
        if (value.find('\0') == std::string_view::npos) id_buffer_.assign(value);
    } else if (name == "retry") {
        // "If the field value consists of only ASCII digits, then interpret the field value as
        // an integer in base ten, and set the event stream's reconnection time to that
        // integer. Otherwise, ignore the field."
        if (value.empty()) return;
        for (char c : value)
            if (c < '0' || c > '9') return;
        std::uint64_t ms = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        (void)ptr;
        // Too many digits for 64 bits: the longest wait we can represent is as good.
        retry_ = ec == std::errc() ? ms : UINT64_MAX;
    }
    // "Otherwise: The field is ignored."
}

void Parser::dispatch() {
    // 1. "Set the last event ID string of the event source to the value of the last event ID
    //    buffer." This happens even when no event is dispatched.
    if (last_event_id_ != id_buffer_) last_event_id_ = id_buffer_;
    // 2. "If the data buffer is an empty string, set the data buffer and the event type buffer
    //    to the empty string and return."
    if (data_.empty()) {
        type_.clear();
        return;
    }
    // 3. "If the data buffer's last character is a U+000A LINE FEED (LF) character, then
    //    remove the last character from the data buffer."
    if (data_.back() == '\n') data_.pop_back();
    // The event goes into a spent slot of the queue, whose buffers this reuses: the data buffer
    // is swapped in (no copy) and the slot's old one becomes the next data buffer.
    if (ready_count_ == ready_.size()) ready_.emplace_back();
    Event &e = ready_[ready_count_++];
    // 4-5. Type defaults to "message"; lastEventId is the last event ID string.
    e.type.assign(type_.empty() ? std::string_view("message") : std::string_view(type_));
    e.data.swap(data_);
    e.id.assign(last_event_id_);
    // "Set the data buffer and the event type buffer to the empty string."
    data_.clear();
    type_.clear();
}

void Parser::end_of_stream() {
    // "Once the end of the file is reached, any pending data must be discarded. (If the file
    // ends in the middle of an event, before the final empty line, the incomplete event is not
    // dispatched.)"
    line_.clear();
    data_.clear();
    type_.clear();
    id_buffer_ = last_event_id_;
    last_was_cr_ = false;
}

const Event *Parser::next() {
    if (ready_head_ == ready_count_) return nullptr;
    return &ready_[ready_head_++];
}

std::optional<std::uint64_t> Parser::take_retry() {
    auto r = retry_;
    retry_.reset();
    return r;
}

}  // namespace ssekit
