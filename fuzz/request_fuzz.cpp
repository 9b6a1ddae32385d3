// Fuzz target request: the raw bytes of one client connection to ssed, from the request
// framer (ssed/request_framer.cpp, on libhttp-parser) to cpp-httplib's routing and ssed's HTTP
// API over an in-process Hub (door_driver.hpp), pipelined requests included.
//
// Input: byte 0 picks the API options (tokens, CORS, access log, small body and batch limits),
// byte 1 the framer's limits (0: ssed's defaults, else 256 to 4096 head bytes and 1 to 16
// header lines), then chunk sizes (fuzz_support.hpp), then
// the bytes the client sends.
// Checks, beyond "no crash": those of door_driver.hpp (limits, progress, the canonical form
// framing to the same request, every answer well-formed and never a 500), and that the split
// does not matter:
// framed whole and framed in the chunks, the same requests come out in canonical form, then
// the same failure if any. (Not always the same verdict: a request at fault twice, say a
// header line too many whose name has a bad byte, gets 431 when the line's first byte comes
// alone, since that starts a header, and 400 when the bad byte comes with it.)
#include <string>
#include <vector>

#include "door_driver.hpp"

namespace {

using ssekit::FramerLimits;
using ssekit::RequestFramer;

FramerLimits framer_limits(std::uint8_t b) {
    FramerLimits l;
    if (b == 0) return l;
    l.max_head = 256 * (1 + (b & 15u));
    l.max_headers = 1 + (b >> 4);
    return l;
}

// What the framer alone makes of the bytes: each request's canonical form, then "failed" if
// it fails (body limit fixed at max_body).
std::vector<std::string> frame(const std::vector<std::string_view> &pieces, FramerLimits limits) {
    RequestFramer f(limits);
    std::vector<std::string> out;
    for (std::string_view piece : pieces) {
        while (!piece.empty()) {
            const auto before = f.state();
            const std::size_t used = f.feed(piece);
            FUZZ_CHECK(used > 0 || f.state() != before);
            piece.remove_prefix(used);
            if (f.state() == RequestFramer::State::complete) {
                out.push_back(f.canonical());
                f.next();
            } else if (f.state() == RequestFramer::State::failed) {
                out.push_back("failed");
                return out;
            }
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    ssekit::fuzz::FuzzInput in(data, size);
    const ssekit::ApiOptions api = ssekit::fuzz::api_options(in.byte());
    const FramerLimits limits = framer_limits(in.byte());
    const auto sizes = in.chunk_sizes();
    const std::string_view bytes = in.rest();
    const auto pieces = ssekit::fuzz::chunks(bytes, sizes);

    FUZZ_CHECK(frame({bytes}, limits) == frame(pieces, limits));

    ssekit::fuzz::DoorDriver door(api, limits);
    for (std::string_view piece : pieces)
        if (!door.feed(piece)) break;
    return 0;
}
