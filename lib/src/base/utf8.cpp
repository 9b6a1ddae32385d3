#include "base/utf8.hpp"

namespace ssekit {

namespace {

// Where the run of valid UTF-8 starting at text[i] ends; when that is before the end of
// `text`, `error` is the ill-formed subpart found there.
std::size_t end_of_valid_run(std::string_view text, std::size_t i, Utf8Step &error) {
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) { ++i; continue; }
        error = utf8_step(text, i);
        if (!error.valid) break;
        i += error.length;
    }
    return i;
}

}  // namespace

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
