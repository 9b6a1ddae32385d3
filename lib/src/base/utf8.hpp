// A note on UTF-8.
//
// ssekit decodes untrusted bytes as UTF-8 in two places, the SSE parser (every line of a
// stream) and the JSON writer (every string sse-tail prints with --format json, and every one
// ssed or sse-pub sends). Both follow this one rule, the WHATWG Encoding standard's "UTF-8
// decoder" with replacement (also Unicode's "U+FFFD substitution of maximal subparts"), so the
// same bytes print the same in every output, and the same as a browser's EventSource shows them:
//  - a well-formed sequence is kept as is; overlongs, surrogates (U+D800..U+DFFF) and code
//    points above U+10FFFF are not well-formed;
//  - each maximal ill-formed subpart becomes one U+FFFD: the longest prefix of a well-formed
//    sequence that is present ("\xE2\x82" then "(" or the end: one U+FFFD), or else one byte
//    ("\xF0\x80\x80": 0x80 cannot follow 0xF0, so three U+FFFD);
//  - the byte that cut a sequence short starts afresh, so ASCII after it is never swallowed.
// Stateless functions over a string_view; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ssekit {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD, UTF-8

// What starts at one byte of the input.
struct Utf8Step {
    std::size_t length;  // bytes: the well-formed sequence, or the maximal ill-formed subpart
    bool valid;          // false: those `length` bytes become one U+FFFD
};

// The sequence starting at text[i]. REQUIRES: i < text.size(). ASCII is {1, true}; callers on
// a hot path test for ASCII themselves and call this only for bytes >= 0x80.
constexpr Utf8Step utf8_step(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return {1, true};
    std::size_t needed;
    // The range of the first continuation byte excludes overlongs (E0, F0), surrogates (ED)
    // and code points above U+10FFFF (F4); later ones are always 80..BF.
    unsigned char lower = 0x80, upper = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        needed = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        needed = 2;
        if (lead == 0xE0) lower = 0xA0;
        if (lead == 0xED) upper = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        needed = 3;
        if (lead == 0xF0) lower = 0x90;
        if (lead == 0xF4) upper = 0x8F;
    } else {
        return {1, false};  // 80..C1, F5..FF never start a sequence
    }
    for (std::size_t k = 1; k <= needed; ++k) {
        if (i + k >= text.size()) return {k, false};  // the input ended inside the sequence
        const unsigned char b = byte(i + k);
        if (b < lower || b > upper) return {k, false};  // b is decoded afresh
        lower = 0x80, upper = 0xBF;
    }
    return {needed + 1, true};
}

// Whether `text` is well-formed UTF-8 throughout (to_valid_utf8 would return it unchanged).
bool is_valid_utf8(std::string_view text);

// `text` with each maximal ill-formed subpart replaced by U+FFFD. Returns `text` itself when it
// is valid (no copy: the common case); otherwise fills `scratch` and returns a view of it, so
// the result lives as long as both `text` and `scratch` stay untouched.
std::string_view to_valid_utf8(std::string_view text, std::string &scratch);

}  // namespace ssekit
