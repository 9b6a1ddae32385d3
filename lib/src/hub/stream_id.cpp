#include "hub/stream_id.hpp"

#include <charconv>

namespace ssekit {

namespace {

bool parse_part(std::string_view s, std::uint64_t &out) {
    if (s.empty() || (s.size() > 1 && s.front() == '0')) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<StreamId> parse_stream_id(std::string_view text) {
    std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    StreamId id;
    if (!parse_part(text.substr(0, dash), id.ms) || !parse_part(text.substr(dash + 1), id.seq)) return std::nullopt;
    return id;
}

std::string format_stream_id(const StreamId &id) {
    return std::to_string(id.ms) + "-" + std::to_string(id.seq);
}

std::optional<int> compare_stream_ids(std::string_view a, std::string_view b) {
    auto x = parse_stream_id(a), y = parse_stream_id(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : *x == *y ? 0 : 1;
}

}  // namespace ssekit
