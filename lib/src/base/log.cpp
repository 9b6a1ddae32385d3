#include "ssekit/log.hpp"

#include <unistd.h>

#include <cerrno>

namespace ssekit {

void Logger::write_line(std::string_view severity, std::string_view message) const {
    std::string line;
    line.reserve(program_.size() + severity.size() + message.size() + 4);
    line.append(program_).append(": ");
    if (!severity.empty()) line.append(severity).append(": ");
    line.append(message).push_back('\n');
    // One write(2) per line so concurrent threads never interleave within a line.
    const char *p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

void Logger::error(std::string_view m) const { write_line("error", m); }
void Logger::warn(std::string_view m) const {
    if (enabled(Level::warn)) write_line("warning", m);
}
void Logger::info(std::string_view m) const {
    if (enabled(Level::info)) write_line("", m);
}
void Logger::debug(std::string_view m) const {
    if (enabled(Level::debug)) write_line("debug", m);
}

}  // namespace ssekit
