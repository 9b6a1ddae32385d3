// Test support for the option tests: one tool's command line parsed in-process, the way its
// main does (bind_<tool>_options, then parse_args with the tool's check), with what it printed.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ssekit/cli.hpp"

namespace test_support {

template <class Options>
struct Parsed {
    std::optional<ssekit::Exit> exit;  // nothing: the tool would run
    Options opts;
    std::string out;                   // --help, --version
    std::string err;                   // the error line, if any
};

// `bind(app, opts)` declares the options; `check(opts)` is the tool's post-parse check.
template <class Options>
Parsed<Options> parse_with(const std::string &program, void (*bind)(CLI::App &, Options &),
                           ssekit::Status (*check)(const Options &), std::vector<std::string> args) {
    Parsed<Options> p;
    std::ostringstream out;
    testing::internal::CaptureStderr();
    p.exit = ssekit::parse_args(p.opts, bind, check, std::move(args), out, ssekit::Logger(program));
    p.err = testing::internal::GetCapturedStderr();
    p.out = out.str();
    return p;
}

// The args of a case, for a failure message.
inline std::string joined(const std::vector<std::string> &args) {
    std::string s;
    for (const auto &a : args) s += a + " ";
    return s;
}

// Sets an environment variable for the scope of a test, and restores what was there.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::string &value) : name_(std::move(name)) {
        if (const char *old = std::getenv(name_.c_str())) old_ = old;
        ::setenv(name_.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
        else ::unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

}  // namespace test_support
