#include "base/json.hpp"

#include <nlohmann/json.hpp>

#include "base/utf8.hpp"

namespace ssekit {

namespace {

// A byte that a JSON string cannot hold as is (control, '"', '\\') or that starts UTF-8.
constexpr bool needs_care(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

}  // namespace

void append_json_string(std::string &out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping, valid UTF-8 included, in one append.
        size_t run = i;
        Utf8Step step{1, true};
        while (run < text.size()) {
            // Plain ASCII in a loop of its own: a quarter faster on ASCII text than one loop
            // testing every case (measured on 200-byte strings).
            while (run < text.size() && !needs_care(static_cast<unsigned char>(text[run]))) ++run;
            if (run == text.size() || static_cast<unsigned char>(text[run]) < 0x80) break;
            step = utf8_step(text, run);
            if (!step.valid) break;
            run += step.length;
        }
        out.append(text.substr(i, run - i));
        i = run;
        if (i >= text.size()) break;
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {  // an ill-formed subpart (base/utf8.hpp): one U+FFFD
            out.append(kReplacementCharacter);
            i += step.length;
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
