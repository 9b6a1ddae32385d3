#include "hub/event_id.hpp"

#include <charconv>

namespace ssekit {

namespace {

// Parses a whole decimal number without sign or leading zeros.
std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

void append_number(std::uint64_t v, std::string &out) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    (void)ec;  // 24 bytes always hold a 64-bit number
    out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void append_event_id(const EventId &id, std::string &out) {
    append_number(id.epoch, out);
    out.push_back('-');
    append_number(id.seq, out);
}

std::string format_event_id(const EventId &id) {
    std::string s;
    append_event_id(id, s);
    return s;
}

std::optional<EventId> parse_event_id(std::string_view text) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    // parse_number insists on digits only, so a second '-' or a sign is refused.
    auto epoch = parse_number(text.substr(0, dash));
    auto seq = parse_number(text.substr(dash + 1));
    if (!epoch || !seq) return std::nullopt;
    return EventId{*epoch, *seq};
}

IdPosition locate_event_id(std::string_view text, std::uint64_t epoch, std::uint64_t next_seq) {
    auto id = parse_event_id(text);
    if (!id) return {};
    if (id->epoch == epoch && id->seq < next_seq) return {IdPosition::Kind::this_run, id->seq};
    if (id->epoch < epoch) return {IdPosition::Kind::earlier_run, 0};
    return {};
}

}  // namespace ssekit
