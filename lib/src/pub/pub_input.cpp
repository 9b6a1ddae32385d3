#include "pub/pub_input.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>


namespace ssekit {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
}

InputReader::InputReader(int fd, InputMode mode, InputLimits limits, const volatile std::sig_atomic_t *stop)
    : fd_(fd), mode_(mode), limits_(limits), stop_(stop) {}

Status InputReader::fill(bool wait) {
    if (eof_) return Status::ok();
    for (;;) {
        // A stop signal ends the input here; the events read so far still go out. The flag is
        // checked before every wait and the wait is sliced, because a signal that lands just
        // before poll() would not interrupt it.
        if (stop_ && *stop_) {
            eof_ = interrupted_ = true;
            return Status::ok();
        }
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, wait ? (stop_ ? 100 : -1) : 0);
        if (r == 0 && wait) continue;  // a slice passed with nothing to read
        if (r < 0) {
            if (errno == EINTR) continue;
            return Status::io(std::string("cannot poll standard input: ") + std::strerror(errno));
        }
        if (r == 0) return Status::ok();  // nothing ready and not waiting
        // Drop consumed bytes before growing, so the buffer stays about one batch in size.
        if (pos_ > 0 && pos_ >= buf_.size() / 2) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
        std::size_t old = buf_.size();
        buf_.resize(old + kReadChunk);
        ssize_t n = ::read(fd_, buf_.data() + old, kReadChunk);
        if (n < 0) {
            buf_.resize(old);
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {  // a non-blocking stdin: poll again
                if (!wait) return Status::ok();
                continue;
            }
            return Status::io(std::string("cannot read standard input: ") + std::strerror(errno));
        }
        buf_.resize(old + static_cast<std::size_t>(n));
        if (n == 0) eof_ = true;
        return Status::ok();
    }
}

bool InputReader::take_line(std::string_view &line) {
    std::string_view rest = std::string_view(buf_).substr(pos_);
    std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
        if (!eof_ || rest.empty()) return false;
        line = rest;  // last line without a newline
        pos_ = buf_.size();
    } else {
        line = rest.substr(0, nl);
        pos_ += nl + 1;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no_;
    return true;
}

Status InputReader::line_too_long(std::uint64_t line_number) const {
    return Status::too_large("line " + std::to_string(line_number) + " is longer than " +
                             std::to_string(limits_.max_event_bytes >> 20) + " MiB");
}

Status InputReader::to_event(std::string_view line, std::vector<InputEvent> &out, std::size_t &bytes) {
    if (line.empty()) return Status::ok();  // blank lines are skipped (see header)
    // A whole line may arrive in one read: the check on what waits for its newline misses it.
    if (line.size() > limits_.max_event_bytes) return line_too_long(line_no_);
    InputEvent ev;
    ev.line = line_no_;
    if (mode_ == InputMode::lines) {
        ev.req.data.assign(line);
    } else {
        auto where = [&](const Status &s) {
            return Status::invalid_argument("line " + std::to_string(line_no_) + ": " + s.message());
        };
        if (auto st = publish_request_from_json(line, ev.req); !st) return where(st);
        // The topic may still be the command line's (""): its fields are checked now, so the
        // error names this line and the events before it still go out.
        if (auto st = check_fields(ev.req); !st) return where(st);
    }
    bytes += ev.req.data.size();
    out.push_back(std::move(ev));
    ++events_read_;
    return Status::ok();
}

Status InputReader::read_whole(std::vector<InputEvent> &out) {
    if (done_) return Status::ok();
    while (!eof_) {
        if (auto st = fill(true); !st) return st;
        if (buf_.size() - pos_ > limits_.max_event_bytes)
            return Status::too_large("standard input is larger than " +
                                     std::to_string(limits_.max_event_bytes >> 20) + " MiB");
    }
    std::string_view all = std::string_view(buf_).substr(pos_);
    if (mode_ == InputMode::whole) {  // bytes mode keeps the final line ending: it is data
        if (all.ends_with("\r\n")) all.remove_suffix(2);
        else if (all.ends_with('\n')) all.remove_suffix(1);
    }
    InputEvent ev;
    ev.req.data.assign(all);
    out.push_back(std::move(ev));
    ++events_read_;
    done_ = true;
    buf_.clear();
    pos_ = 0;
    return Status::ok();
}

Status InputReader::next_batch(std::vector<InputEvent> &out) {
    out.clear();
    if (!pending_.is_ok()) return pending_;
    if (mode_ == InputMode::whole || mode_ == InputMode::bytes) return read_whole(out);

    std::size_t bytes = 0;
    for (;;) {
        std::string_view line;
        while (out.size() < limits_.max_events && bytes < limits_.max_bytes && take_line(line)) {
            if (auto st = to_event(line, out, bytes); !st) {
                pending_ = st;
                eof_ = true;
                // The good events before the bad line go out first; the error comes next call.
                return out.empty() ? pending_ : Status::ok();
            }
        }
        if (out.size() >= limits_.max_events || bytes >= limits_.max_bytes) return Status::ok();
        if (eof_) return Status::ok();
        if (buf_.size() - pos_ > limits_.max_event_bytes) {
            pending_ = line_too_long(line_no_ + 1);
            eof_ = true;
            return out.empty() ? pending_ : Status::ok();
        }
        // With events in hand, take only what is readable right now; otherwise wait.
        std::size_t before = buf_.size();
        bool was_eof = eof_;
        if (auto st = fill(out.empty()); !st) {
            pending_ = st;
            return out.empty() ? pending_ : Status::ok();
        }
        if (!out.empty() && buf_.size() == before && eof_ == was_eof) return Status::ok();
    }
}

}  // namespace ssekit
