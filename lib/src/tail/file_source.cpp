#include "tail/file_source.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ssekit/parser.hpp"

namespace ssekit {

SseClient::Result read_event_stream(int fd, const std::string &name, const std::string &last_event_id,
                                    std::size_t max_event_size,
                                    std::optional<std::chrono::steady_clock::time_point> deadline,
                                    const SseClient::EventHandler &on_event, const SseClient::FlushHandler &on_flush,
                                    const volatile std::sig_atomic_t &stop) {
    using End = SseClient::End;
    using Clock = std::chrono::steady_clock;
    Parser parser(last_event_id, max_event_size);
    std::string buf(64 * 1024, '\0');
    for (;;) {
        if (stop) return {End::interrupted, Status::ok()};
        auto wait = std::chrono::milliseconds(100);
        if (deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
            if (left.count() <= 0) return {End::timed_out, Status::ok()};
            wait = std::min(wait, left);
        }
        pollfd p{fd, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
        if (ready < 0 && errno != EINTR) return {End::finished, Status::io(name + ": " + std::strerror(errno))};
        if (ready <= 0) continue;
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return {End::finished, Status::io(name + ": " + std::strerror(errno))};
        }
        if (n == 0) {
            parser.end_of_stream();
            return {End::finished, Status::ok()};
        }
        if (Status st = parser.feed(std::string_view(buf.data(), static_cast<std::size_t>(n))); !st)
            return {End::finished, Status::protocol(name + ": " + st.message())};
        (void)parser.take_retry();
        bool delivered = false;
        while (auto e = parser.next()) {
            delivered = true;
            if (!on_event(*e, name)) {
                on_flush();
                return {End::stopped, Status::ok()};
            }
        }
        if (delivered && !on_flush()) return {End::stopped, Status::ok()};
    }
}

}  // namespace ssekit
