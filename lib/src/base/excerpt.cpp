#include "base/excerpt.hpp"

#include "base/utf8.hpp"

namespace ssekit {

std::string one_line_excerpt(std::string_view text, std::size_t max_bytes, bool more) {
    std::string scratch;
    text = to_valid_utf8(text, scratch);
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::string out;
    std::size_t i = 0;
    while (i < text.size() && is_space(text[i])) ++i;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::string piece;
        std::size_t used = 1;
        if (is_space(text[i])) {
            while (i + used < text.size() && is_space(text[i + used])) ++used;
            if (i + used == text.size()) break;  // trailing space is trimmed
            piece = " ";
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            piece = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
        } else {
            used = utf8_step(text, i).length;  // valid by now: one whole character
            piece = std::string(text.substr(i, used));
        }
        if (out.size() + piece.size() > max_bytes) {
            more = true;
            break;
        }
        out += piece;
        i += used;
    }
    if (more) out += "...";
    return out;
}

}  // namespace ssekit
