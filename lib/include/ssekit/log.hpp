// A note on logging.
//
// Logger is the only code in ssekit that writes to stderr; stdout carries data only. A line is
// one sentence, program name first: "sse-tail: error: connect http://...: Connection refused".
// -q keeps errors only, -v adds info, -d adds debug. A Logger is a small value: main builds one
// from the options and hands copies to the components, so no global logging state exists.
// Thread-safe: each line goes out in one write(2), so lines from several threads never mix.
#pragma once

#include <string>
#include <string_view>

namespace ssekit {

class Logger {
public:
    enum class Level { quiet = 0, warn = 1, info = 2, debug = 3 };  // errors always print

    explicit Logger(std::string program = "ssekit", Level level = Level::warn)
        : program_(std::move(program)), level_(level) {}

    bool enabled(Level l) const { return l <= level_; }
    Level level() const { return level_; }
    const std::string &program() const { return program_; }

    void error(std::string_view message) const;
    void warn(std::string_view message) const;
    void info(std::string_view message) const;
    void debug(std::string_view message) const;

private:
    void write_line(std::string_view severity, std::string_view message) const;
    std::string program_;
    Level level_;
};

}  // namespace ssekit
