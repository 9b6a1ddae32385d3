// The main of a fuzz target outside libFuzzer (the plain and sanitizer builds): replays inputs
// through LLVMFuzzerTestOneInput, so every seed and every saved crash runs in ctest with no
// clang needed (fuzz/replay-<target>). Arguments are files, or directories whose files are
// all replayed (recursively, in name order, so a failure always names the same input first).
// Exits 1 when no input was found: a wrong path must not pass as an empty corpus. A failing
// invariant aborts (fuzz_support.hpp) after this has named the input.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

void replay(const std::filesystem::path &file) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay %s (%zu bytes)\n", file.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path arg = argv[i];
        if (std::filesystem::is_directory(arg)) {
            for (const auto &e : std::filesystem::recursive_directory_iterator(arg))
                if (e.is_regular_file()) files.push_back(e.path());
        } else if (std::filesystem::is_regular_file(arg)) {
            files.push_back(arg);
        } else {
            std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
            return 1;
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: %s FILE|DIR... (no input found)\n", argc > 0 ? argv[0] : "replay");
        return 1;
    }
    std::sort(files.begin(), files.end());
    for (const auto &f : files) replay(f);
    std::fprintf(stderr, "replayed %zu inputs\n", files.size());
    return 0;
}
