// The one exit-code table (exit.cpp) against what users read: each tool's --help (parsed
// in-process) and each man page's EXIT STATUS list exactly that tool's codes, with the same
// meaning.
#include "ssekit/exit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "parse_args_harness.hpp"
#include "ssekit/pub.hpp"
#include "ssekit/ssed.hpp"
#include "ssekit/tail.hpp"

namespace {

const std::vector<std::string> kPrograms = {"ssed", "sse-pub", "sse-tail"};

// One code as a tool documents it.
struct Documented {
    int code;
    std::string text;
};

// The table's rows for `program`, as "meaning: when".
std::vector<Documented> table_rows(const std::string &program) {
    std::vector<Documented> rows;
    for (const auto &row : ssekit::exit_codes())
        for (const auto &use : row.uses)
            if (use.program == program)
                rows.push_back({static_cast<int>(row.code), std::string(row.meaning) + ": " + std::string(use.when)});
    return rows;
}

std::string help_of(const std::string &program) {
    std::vector<std::string> args = {"--help"};
    if (program == "ssed") {
        return test_support::parse_with<ssekit::SsedOptions>(program, ssekit::bind_ssed_options,
                                                             ssekit::check_ssed_options, args).out;
    }
    if (program == "sse-pub") {
        return test_support::parse_with<ssekit::PubOptions>(program, ssekit::bind_pub_options,
                                                            ssekit::check_pub_options, args).out;
    }
    return test_support::parse_with<ssekit::TailOptions>(program, ssekit::bind_tail_options,
                                                         ssekit::check_tail_options, args).out;
}

// The "  64  usage error: ..." lines after "Exit status:" in a --help text.
std::vector<Documented> help_rows(const std::string &help) {
    std::vector<Documented> rows;
    std::istringstream in(help.substr(std::min(help.find("\nExit status:\n"), help.size())));
    std::string line;
    std::getline(in, line);  // the blank before
    std::getline(in, line);  // "Exit status:"
    while (std::getline(in, line) && !line.empty()) {
        std::istringstream fields(line);
        Documented d{};
        fields >> d.code >> std::ws;
        std::getline(fields, d.text);
        rows.push_back(d);
    }
    return rows;
}

// man(7) text to plain words: ".B x" and ".BR a b" lose their macro, quotes and escapes go.
std::string plain(const std::string &roff_line) {
    std::string s = roff_line;
    if (!s.empty() && s[0] == '.') {
        std::size_t space = s.find(' ');
        s = space == std::string::npos ? "" : s.substr(space + 1);
        s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
    }
    for (auto [from, to] : {std::pair<std::string, std::string>{"\\-", "-"}, {"\\(dq", "\""}}) {
        for (std::size_t at; (at = s.find(from)) != std::string::npos;) s.replace(at, from.size(), to);
    }
    return s;
}

// The entries of a man page's EXIT STATUS: ".TP", ".B <code>", then the text.
std::vector<Documented> man_rows(const std::string &page) {
    std::ifstream in(std::string(SSEKIT_SOURCE_DIR) + "/man/" + page);
    EXPECT_TRUE(in) << page;
    std::vector<Documented> rows;
    std::string line;
    bool in_section = false, want_code = false;
    while (std::getline(in, line)) {
        if (line.starts_with(".SH")) {
            in_section = line == ".SH EXIT STATUS";
            continue;
        }
        if (!in_section) continue;
        if (line == ".TP") {
            want_code = true;
        } else if (want_code && line.starts_with(".B ")) {
            rows.push_back({std::stoi(line.substr(3)), ""});
            want_code = false;
        } else if (line.starts_with(".PP")) {
            in_section = false;  // closing remarks
        } else if (!rows.empty()) {
            rows.back().text += (rows.back().text.empty() ? "" : " ") + plain(line);
        }
    }
    return rows;
}

std::string lower(std::string s) {
    for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<int> codes(const std::vector<Documented> &rows) {
    std::vector<int> out;
    for (const auto &r : rows) out.push_back(r.code);
    return out;
}

}  // namespace

TEST(ExitTable, EveryToolUsesTheCodesOfExitDotHppAndEveryCodeHasAUser) {
    for (const auto &row : ssekit::exit_codes()) {
        EXPECT_FALSE(row.uses.empty()) << static_cast<int>(row.code);
        for (const auto &use : row.uses)
            EXPECT_NE(std::find(kPrograms.begin(), kPrograms.end(), use.program), kPrograms.end()) << use.program;
    }
}

TEST(ExitTable, EachHelpListsExactlyItsToolsRows) {
    for (const auto &program : kPrograms) {
        auto expected = table_rows(program);
        auto got = help_rows(help_of(program));
        ASSERT_EQ(codes(got), codes(expected)) << program;
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].text, expected[i].text) << program;
    }
}

TEST(ExitTable, EachManPageListsTheSameCodesWithTheSameMeaning) {
    for (const auto &program : kPrograms) {
        auto expected = table_rows(program);
        auto got = man_rows(program + ".1");
        ASSERT_EQ(codes(got), codes(expected)) << program << ".1";
        for (std::size_t i = 0; i < got.size(); ++i) {
            std::string meaning = expected[i].text.substr(0, expected[i].text.find(": "));
            EXPECT_TRUE(lower(got[i].text).starts_with(meaning))
                << program << ".1, code " << got[i].code << ": \"" << got[i].text << "\" should open with \""
                << meaning << "\"";
        }
    }
}

TEST(Help, EachFitsEightyColumnsAndShowsExamplesBeforeTheExitCodes) {
    for (const auto &program : kPrograms) {
        std::string help = help_of(program);
        std::istringstream in(help);
        std::string line;
        while (std::getline(in, line)) EXPECT_LE(line.size(), 80u) << program << ": " << line;
        auto examples = help.find("\nExamples:\n  " + program);
        EXPECT_NE(examples, std::string::npos) << program;
        EXPECT_LT(examples, help.find("\nExit status:\n")) << program;
    }
}
