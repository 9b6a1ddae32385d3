#include "ssekit/wire.hpp"

#include <charconv>

namespace ssekit {

Status validate_field(std::string_view field, std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos)
        return Status::invalid_argument(std::string(field) + " contains a line break");
    // A parser ignores an `id` field containing U+0000, so the event would lose its id.
    if (field == "id" && value.find('\0') != std::string_view::npos)
        return Status::invalid_argument("id contains a NUL character");
    return Status::ok();
}

namespace {

void append_field(std::string &out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).push_back('\n');
}

}  // namespace

Status encode(const Event &e, std::string &out) {
    if (auto s = validate_field("event", e.type); !s) return s;
    if (auto s = validate_field("id", e.id); !s) return s;

    // "message" is the default type; leaving the field out saves bytes on every event.
    if (!e.type.empty() && e.type != "message") append_field(out, "event", e.type);
    if (!e.id.empty()) append_field(out, "id", e.id);
    if (e.retry) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, *e.retry);
        (void)ec;
        append_field(out, "retry", std::string_view(digits, static_cast<size_t>(end - digits)));
    }
    // CR, LF and CRLF all end a line: each line of data becomes one `data:` field.
    std::string_view data = e.data;
    for (;;) {
        size_t brk = data.find_first_of("\r\n");
        append_field(out, "data", data.substr(0, brk));
        if (brk == std::string_view::npos) break;
        size_t next = brk + 1;
        if (data[brk] == '\r' && next < data.size() && data[next] == '\n') ++next;
        data.remove_prefix(next);
    }
    out.push_back('\n');
    return Status::ok();
}

void encode_comment(std::string_view text, std::string &out) {
    out.push_back(':');
    if (!text.empty()) {
        out.push_back(' ');
        size_t start = out.size();
        out.append(text);
        // A line break would end the comment and let the rest be read as fields.
        for (size_t i = start; i < out.size(); ++i)
            if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
    }
    out.append("\n\n");
}

void encode_retry(std::uint64_t ms, std::string &out) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, ms);
    (void)ec;
    out.append("retry: ").append(digits, static_cast<size_t>(end - digits)).append("\n\n");
}

}  // namespace ssekit
