// The WHATWG Encoding standard's UTF-8 decoder (section 9.1.1, "UTF-8 decoder"), with the
// "replacement" error mode: each maximal ill-formed subpart becomes one U+FFFD. The cases come
// from the algorithm's steps: the lead byte sets how many bytes are needed and the range of the
// first continuation byte (E0: A0..BF, ED: 80..9F, F0: 90..BF, F4: 80..8F), a byte out of range
// is an error and is "prepended to stream" (decoded afresh), and the end of the stream inside a
// sequence is one error.
#include "base/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

using ssekit::to_valid_utf8;
using ssekit::utf8_step;

namespace {

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

std::string decode(std::string_view in) {
    std::string scratch;
    return std::string(to_valid_utf8(in, scratch));
}

std::string encode(std::uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

}  // namespace

TEST(Utf8, KeepsEveryScalarValueAsIs) {
    for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (cp == 0xD800) cp = 0xE000;  // surrogates are not scalar values
        std::string s = encode(cp);
        auto step = utf8_step(s, 0);
        ASSERT_TRUE(step.valid) << std::hex << cp;
        ASSERT_EQ(step.length, s.size()) << std::hex << cp;
    }
    EXPECT_EQ(decode("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(Utf8, ValidInputIsReturnedWithoutACopy) {
    std::string_view in = "plain ascii and caf\xC3\xA9";
    std::string scratch;
    EXPECT_EQ(to_valid_utf8(in, scratch).data(), in.data());
    EXPECT_TRUE(scratch.empty());
    EXPECT_EQ(decode(""), "");
}

TEST(Utf8, ContinuationBytesAloneAreOneErrorEach) {
    for (int b = 0x80; b <= 0xBF; ++b) EXPECT_EQ(decode(std::string(1, static_cast<char>(b))), R) << b;
    EXPECT_EQ(decode("\x80\xBF"), R + R);
}

TEST(Utf8, BytesThatNeverStartASequenceAreOneErrorEach) {
    // C0 and C1 could only start overlongs; F5..FF would be above U+10FFFF or are unused.
    for (int b : {0xC0, 0xC1, 0xF5, 0xF8, 0xFC, 0xFE, 0xFF})
        EXPECT_EQ(decode(std::string(1, static_cast<char>(b)) + "\x80"), R + R) << b;
}

TEST(Utf8, OverlongsAreOneErrorPerByte) {
    // After C0, E0 or F0 the next byte is out of range, so every byte is its own subpart.
    EXPECT_EQ(decode("\xC0\xAF"), R + R);
    EXPECT_EQ(decode("\xE0\x80\xAF"), R + R + R);
    EXPECT_EQ(decode("\xF0\x80\x80"), R + R + R);
    EXPECT_EQ(decode("\xF0\x80\x80\xAF"), R + R + R + R);
    EXPECT_EQ(decode("\xE0\x9F\xBF"), R + R + R);  // U+07FF in three bytes
}

TEST(Utf8, SurrogatesAreOneErrorPerByte) {
    EXPECT_EQ(decode("\xED\xA0\x80"), R + R + R);  // U+D800
    EXPECT_EQ(decode("\xED\xBF\xBF"), R + R + R);  // U+DFFF
    EXPECT_EQ(decode("\xED\xA0\x80\xED\xB0\x80"), R + R + R + R + R + R);  // a CESU-8 pair
    EXPECT_EQ(decode("\xED\x9F\xBF"), "\xED\x9F\xBF");  // U+D7FF is fine
}

TEST(Utf8, CodePointsAboveU10FFFFAreErrors) {
    EXPECT_EQ(decode("\xF4\x90\x80\x80"), R + R + R + R);  // U+110000: 90 cannot follow F4
    EXPECT_EQ(decode("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");  // U+10FFFF is fine
}

TEST(Utf8, ATruncatedSequenceIsOneError) {
    EXPECT_EQ(decode("\xE2\x82"), R);  // at the end of the input
    EXPECT_EQ(decode("\xF0\x9F\x98"), R);
    EXPECT_EQ(decode("x\xC3"), "x" + R);
    EXPECT_EQ(utf8_step("\xF0\x9F\x98", 0).length, 3u);
    EXPECT_FALSE(utf8_step("\xF0\x9F\x98", 0).valid);
}

TEST(Utf8, TheByteThatCutsASequenceShortIsDecodedAfresh) {
    EXPECT_EQ(decode("\xE2\x82("), R + "(");
    EXPECT_EQ(decode("\xF0\x9F\x98" "A"), R + "A");
    EXPECT_EQ(decode("\xE2\x82\xE2\x82\xAC"), R + "\xE2\x82\xAC");
    EXPECT_EQ(decode("\xC3\n"), R + "\n");
}

TEST(Utf8, MatchesTheUnicodeStandardsExampleOfMaximalSubparts) {
    // The Unicode Standard, section 3.9, "U+FFFD Substitution of Maximal Subparts" (the
    // practice the WHATWG decoder follows): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
    EXPECT_EQ(decode("a\xF1\x80\x80\xE1\x80\xC2" "b\x80" "c\x80\xBF" "d"),
              "a" + R + R + R + "b" + R + "c" + R + R + "d");
}

TEST(Utf8, TheOutputIsAlwaysValid) {
    std::mt19937 random(12345);
    for (int round = 0; round < 2000; ++round) {
        std::string bytes(1 + random() % 32, '\0');
        for (char &c : bytes) c = static_cast<char>(0x7C + random() % 0x84);  // mostly non-ASCII
        std::string once = decode(bytes);
        std::string scratch;
        ASSERT_EQ(to_valid_utf8(once, scratch).data(), once.data()) << "decoding " << bytes;
    }
}

TEST(Utf8, DecodesTheSameAtEveryOffsetOfALongAsciiRun) {
    // ASCII is skipped eight bytes at a time: a sequence or an error at any offset from the
    // start, and across the boundary of an eight-byte step, decodes as it does on its own.
    for (std::string_view s : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x80", "\xFF", "\xE2\x82",
                               "\xF0\x9F\x98", "\xED\xA0\x80"}) {
        for (size_t before = 0; before <= 17; ++before) {
            std::string pad1(before, 'a'), pad2(19 - before, 'b');
            EXPECT_EQ(decode(pad1 + std::string(s) + pad2), pad1 + decode(s) + pad2)
                << "after " << before << " ASCII bytes";
        }
    }
}
