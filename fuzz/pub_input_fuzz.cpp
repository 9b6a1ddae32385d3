// Fuzz target pub_input: sse-pub's standard-input reader (pub/pub_input.cpp) in each of its
// modes: lines, whole (-s), bytes (-s --base64) and json (--json, one object a line).
//
// Input: byte 0 picks the mode (low 2 bits) and the limits (small batches, a small largest
// event), then what arrives on standard input. The reader reads it from a memfd (an anonymous
// in-memory file; no file system), to its end.
// Checks, beyond "no crash":
//  - lines: the events are the input's non-blank lines, in order, line ends (LF, CRLF)
//    stripped, numbered by line; whole: one event, the input less one final line end; bytes:
//    one event, the input exactly; json: each event's fields pass check_fields, numbered by
//    line; a refused line ends the input with an error naming it;
//  - a batch holds at most max_events, and passes max_bytes only by its last event;
//  - an error is too_large only when some line (or the whole input) is longer than
//    max_event_bytes, and is repeated by the next call; events_read() counts the events.
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "fuzz_support.hpp"
#include "pub/pub_input.hpp"

namespace {

using ssekit::InputEvent;
using ssekit::InputMode;
using ssekit::Status;

// The input's lines as the lines mode defines them, blank ones included: (line number, text).
std::vector<std::pair<std::uint64_t, std::string_view>> lines_of(std::string_view in) {
    std::vector<std::pair<std::uint64_t, std::string_view>> out;
    for (std::uint64_t no = 1; !in.empty(); ++no) {
        std::size_t nl = in.find('\n');
        std::string_view line = in.substr(0, nl);
        in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        out.emplace_back(no, line);
    }
    return out;
}

std::size_t longest_line(std::string_view in) {
    std::size_t longest = 0;
    for (const auto &[no, line] : lines_of(in)) longest = std::max(longest, line.size() + 2);
    return longest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    ssekit::fuzz::FuzzInput in(data, size);
    const std::uint8_t b = in.byte();
    const auto mode = static_cast<InputMode>(b & 3);
    ssekit::InputLimits limits;
    if (b & 4) limits.max_events = 1 + ((b >> 4) & 3);
    if (b & 8) limits.max_bytes = 16;
    if (b & 64) limits.max_event_bytes = 64;
    const std::string_view stdin_bytes = in.rest();

    ssekit::UniqueFd fd(::memfd_create("pub_input_fuzz", MFD_CLOEXEC));
    FUZZ_CHECK(fd.valid());
    FUZZ_CHECK(::write(fd.get(), stdin_bytes.data(), stdin_bytes.size()) == static_cast<ssize_t>(stdin_bytes.size()));
    FUZZ_CHECK(::lseek(fd.get(), 0, SEEK_SET) == 0);

    ssekit::InputReader reader(fd.get(), mode, limits);
    std::vector<InputEvent> events, batch;
    Status end;
    for (;;) {
        end = reader.next_batch(batch);
        FUZZ_CHECK(batch.size() <= limits.max_events);
        std::size_t bytes = 0;
        for (const InputEvent &e : batch) {
            FUZZ_CHECK(bytes < limits.max_bytes);  // the batch was not full before this event
            bytes += e.req.data.size();
            events.push_back(e);
        }
        if (!end || batch.empty()) break;
    }
    FUZZ_CHECK(reader.events_read() == events.size());
    if (!end) {
        std::vector<InputEvent> again;
        Status repeated = reader.next_batch(again);
        FUZZ_CHECK(again.empty() && repeated.code() == end.code() && repeated.message() == end.message());
    }
    if (end.code() == Status::Code::too_large)
        FUZZ_CHECK((mode == InputMode::whole || mode == InputMode::bytes ? stdin_bytes.size()
                                                                         : longest_line(stdin_bytes)) >
                   limits.max_event_bytes);

    if (mode == InputMode::whole || mode == InputMode::bytes) {
        if (!end) return 0;
        std::string_view expected = stdin_bytes;
        if (mode == InputMode::whole) {
            if (expected.ends_with("\r\n")) expected.remove_suffix(2);
            else if (expected.ends_with('\n')) expected.remove_suffix(1);
        }
        FUZZ_CHECK(events.size() == 1 && events[0].req.data == expected);
        return 0;
    }

    std::uint64_t last_line = 0;
    for (const InputEvent &e : events) {
        FUZZ_CHECK(e.line > last_line);
        last_line = e.line;
        if (mode == InputMode::json) FUZZ_CHECK(ssekit::check_fields(e.req));
    }
    if (end.code() == Status::Code::invalid_argument) FUZZ_CHECK(end.message().starts_with("line "));
    if (mode == InputMode::lines && end) {
        std::size_t i = 0;
        for (const auto &[no, line] : lines_of(stdin_bytes)) {
            if (line.empty()) continue;
            FUZZ_CHECK(i < events.size() && events[i].line == no && events[i].req.data == line);
            ++i;
        }
        FUZZ_CHECK(i == events.size());
    }
    return 0;
}
