// A note on the fuzz targets' shared helpers.
//
// Every target in fuzz/ is one LLVMFuzzerTestOneInput over in-memory work: no sockets, no
// files, no thread left running when it returns, nothing kept from one input to the next (so
// a crash replays from its input alone). These helpers are what all of them use:
//   FUZZ_CHECK(cond)  an invariant. Unlike assert() it holds with NDEBUG too (ctest replays the
//                     corpus in RelWithDebInfo builds) and aborts, which libFuzzer reports as a
//                     crash and saves the input.
//   FuzzInput         takes parameters from the front of the input (a limit, chunk sizes),
//                     then hands out the rest: a short input still gets valid parameters.
//   chunks()          cuts bytes into the pieces a socket might deliver.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, \
                         #cond);                                                          \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

namespace ssekit::fuzz {

class FuzzInput {
public:
    FuzzInput(const std::uint8_t *data, std::size_t size)
        : rest_(reinterpret_cast<const char *>(data), size) {}

    // The next byte, or 0 once the input is used up.
    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }

    // Chunk sizes for chunks(): a count byte (0..7), then one byte per size (a size of b + 1).
    // No sizes means one chunk.
    std::vector<std::size_t> chunk_sizes() {
        std::vector<std::size_t> sizes(byte() % 8);
        for (auto &s : sizes) s = std::size_t{byte()} + 1;
        return sizes;
    }

    std::string_view rest() const { return rest_; }

private:
    std::string_view rest_;
};

// `bytes` cut into pieces of sizes[0], sizes[1], ... (cycling; the last piece may be shorter);
// the whole of it as one piece when `sizes` is empty. The pieces are views of `bytes`.
inline std::vector<std::string_view> chunks(std::string_view bytes, const std::vector<std::size_t> &sizes) {
    if (sizes.empty()) return {bytes};
    std::vector<std::string_view> out;
    for (std::size_t i = 0; !bytes.empty(); ++i) {
        std::size_t n = std::min(sizes[i % sizes.size()], bytes.size());
        out.push_back(bytes.substr(0, n));
        bytes.remove_prefix(n);
    }
    return out;
}

}  // namespace ssekit::fuzz
