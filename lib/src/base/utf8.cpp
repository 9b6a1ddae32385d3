#include "base/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace ssekit {

namespace {

// The end of the run of ASCII bytes starting at text[i]. Most text is ASCII and every line the
// parser reads passes here, so it tests eight bytes at a time (a word with no high bit set is
// eight ASCII bytes), and fewer than eight at the end with the last word of `text`, which
// overlaps bytes already seen: those may be non-ASCII (then the bytes are tested one by one).
std::size_t ascii_run_end(std::string_view text, std::size_t i) {
    constexpr std::uint64_t highs = 0x8080808080808080u;
    const std::size_t n = text.size();
    std::uint64_t w;
    for (; i + 8 <= n; i += 8) {
        std::memcpy(&w, text.data() + i, 8);
        if (w & highs) break;
    }
    if (i < n && i + 8 > n && n >= 8) {
        std::memcpy(&w, text.data() + n - 8, 8);
        if (!(w & highs)) return n;
    }
    while (i < n && static_cast<unsigned char>(text[i]) < 0x80) ++i;
    return i;
}

// Where the run of valid UTF-8 starting at text[i] ends; when that is before the end of
// `text`, `error` is the ill-formed subpart found there.
std::size_t end_of_valid_run(std::string_view text, std::size_t i, Utf8Step &error) {
    while ((i = ascii_run_end(text, i)) < text.size()) {
        error = utf8_step(text, i);
        if (!error.valid) break;
        i += error.length;
    }
    return i;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    Utf8Step error{0, true};
    return end_of_valid_run(text, 0, error) == text.size();
}

std::string_view to_valid_utf8(std::string_view text, std::string &scratch) {
    // Most input is valid: find the first error without copying anything.
    Utf8Step error{0, true};
    std::size_t i = end_of_valid_run(text, 0, error);
    if (i == text.size()) return text;
    scratch.assign(text.substr(0, i));
    while (i < text.size()) {  // an error starts at text[i]
        scratch.append(kReplacementCharacter);
        i += error.length;
        std::size_t end = end_of_valid_run(text, i, error);
        scratch.append(text.substr(i, end - i));  // the valid run after it, in one append
        i = end;
    }
    return scratch;
}

}  // namespace ssekit
