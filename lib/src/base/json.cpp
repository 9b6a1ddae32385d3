#include "base/json.hpp"

#include <nlohmann/json.hpp>

namespace ssekit {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid
// (overlongs, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    size_t n;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1Fu; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0Fu; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07u; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

}  // namespace

void append_json_string(std::string &out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping in one append.
        size_t run = i;
        while (run < text.size()) {
            unsigned char c = static_cast<unsigned char>(text[run]);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
            ++run;
        }
        out.append(text.substr(i, run - i));
        i = run;
        if (i >= text.size()) break;
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            size_t n = utf8_sequence_length(text, i);
            if (n == 0) {
                out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
                ++i;
            } else {
                out.append(text.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
            out.append("\\u00");
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xF]);
        }
        ++i;
    }
    out.push_back('"');
}

std::optional<std::string> json_string_member(std::string_view text, std::string_view key) {
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return std::nullopt;
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

Status parse_json_event(std::string_view line, JsonEvent &out) {
    out = JsonEvent{};
    nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::invalid_argument("not valid JSON");
    if (!j.is_object()) return Status::invalid_argument("not a JSON object");

    auto take_string = [&](const char *key, std::string &dest) -> Status {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return Status::ok();
        if (!it->is_string()) return Status::invalid_argument(std::string("\"") + key + "\" must be a string");
        dest = it->get<std::string>();
        return Status::ok();
    };
    if (auto s = take_string("topic", out.topic); !s) return s;
    if (auto s = take_string("event", out.event); !s) return s;
    if (auto s = take_string("id", out.id); !s) return s;

    if (auto it = j.find("data"); it != j.end() && !it->is_null()) {
        out.has_data = true;
        out.data = it->is_string() ? it->get<std::string>() : it->dump();
    }
    if (auto it = j.find("retry"); it != j.end() && !it->is_null()) {
        if (!it->is_number_unsigned()) return Status::invalid_argument("\"retry\" must be a non-negative integer");
        out.retry = it->get<std::uint64_t>();
    }
    return Status::ok();
}

}  // namespace ssekit
