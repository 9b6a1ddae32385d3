// The base64 codec (see base64.hpp): RFC 4648 §10's test vectors, and the strict decoder.
#include "base/base64.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <utility>
#include <vector>

using ssekit::append_base64_decoded;
using ssekit::base64_encode;

namespace {

std::optional<std::string> decode(std::string_view text) {
    std::string out;
    if (!append_base64_decoded(out, text)) return std::nullopt;
    return out;
}

}  // namespace

// RFC 4648 §10.
const std::vector<std::pair<std::string, std::string>> kRfc4648Vectors = {
    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesTheRfc4648Vectors) {
    for (const auto &[bytes, text] : kRfc4648Vectors) EXPECT_EQ(base64_encode(bytes), text) << bytes;
}

TEST(Base64, DecodesTheRfc4648Vectors) {
    for (const auto &[bytes, text] : kRfc4648Vectors) EXPECT_EQ(decode(text), bytes) << text;
}

TEST(Base64, UsesTheStandardAlphabetWithPlusAndSlash) {
    EXPECT_EQ(base64_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
    EXPECT_EQ(decode("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64, RoundTripsEveryByteAndRandomLengths) {
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    EXPECT_EQ(decode(base64_encode(all)), all);
    std::minstd_rand rng(42);
    for (std::size_t len = 0; len < 100; ++len) {
        std::string bytes;
        for (std::size_t i = 0; i < len; ++i) bytes.push_back(static_cast<char>(rng() & 0xff));
        std::string text = base64_encode(bytes);
        EXPECT_EQ(text.find_first_of("\r\n"), std::string::npos);  // one data: line
        EXPECT_EQ(decode(text), bytes) << len;
    }
}

TEST(Base64, TheDecoderIsStrict) {
    EXPECT_FALSE(decode("Zg"));          // unpadded
    EXPECT_FALSE(decode("Zg="));         // short padding
    EXPECT_FALSE(decode("Zm9v\nYmFy"));  // a line break
    EXPECT_FALSE(decode("Zm9v YmFy"));   // a space
    EXPECT_FALSE(decode("Zg==Zm9v"));    // padding before the end
    EXPECT_FALSE(decode("Z===")) ;       // too much padding
    EXPECT_FALSE(decode("Zm-v"));        // the URL-safe alphabet is not this one
    EXPECT_FALSE(decode("Zh=="));        // non-zero leftover bits: not the canonical "Zg=="
    EXPECT_FALSE(decode("Zm9="));        // non-canonical "Zm8="
}

TEST(Base64, AFailedDecodeLeavesTheOutputAsItWas) {
    std::string out = "kept";
    EXPECT_FALSE(append_base64_decoded(out, "Zm9vYmFy!!!!"));
    EXPECT_EQ(out, "kept");
    EXPECT_TRUE(append_base64_decoded(out, "Zm9v"));
    EXPECT_EQ(out, "keptfoo");
}
