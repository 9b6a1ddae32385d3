#include "base/base64.hpp"

#include <array>
#include <cstdint>

namespace ssekit {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::int8_t kInvalid = -1;

constexpr std::array<std::int8_t, 256> make_values() {
    std::array<std::int8_t, 256> v{};
    for (auto &x : v) x = kInvalid;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) v[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return v;
}
constexpr std::array<std::int8_t, 256> kValues = make_values();

}  // namespace

void append_base64(std::string &out, std::string_view bytes) {
    out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out.push_back(kAlphabet[n >> 18 & 63]);
        out.push_back(kAlphabet[n >> 12 & 63]);
        out.push_back(kAlphabet[n >> 6 & 63]);
        out.push_back(kAlphabet[n & 63]);
    }
    if (std::size_t left = bytes.size() - i; left > 0) {
        std::uint32_t n = byte(i) << 16 | (left == 2 ? byte(i + 1) << 8 : 0);
        out.push_back(kAlphabet[n >> 18 & 63]);
        out.push_back(kAlphabet[n >> 12 & 63]);
        out.push_back(left == 2 ? kAlphabet[n >> 6 & 63] : '=');
        out.push_back('=');
    }
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    append_base64(out, bytes);
    return out;
}

bool append_base64_decoded(std::string &out, std::string_view text) {
    if (text.size() % 4 != 0) return false;
    const std::size_t start = out.size();
    out.reserve(start + text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        // Padding: only in the last group, as "xx==" or "xxx=".
        std::size_t pad = 0;
        if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
        std::uint32_t n = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            std::int8_t v = k >= 4 - pad ? 0 : kValues[static_cast<unsigned char>(text[i + k])];
            if (v == kInvalid) {
                out.resize(start);
                return false;
            }
            n = n << 6 | static_cast<std::uint32_t>(v);
        }
        // Canonical: the bits the padding leaves over must be zero.
        if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) {
            out.resize(start);
            return false;
        }
        out.push_back(static_cast<char>(n >> 16 & 0xff));
        if (pad < 2) out.push_back(static_cast<char>(n >> 8 & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
    }
    return true;
}

}  // namespace ssekit
