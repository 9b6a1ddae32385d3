// Fuzz target redis_envelope: the pub/sub payloads ssed's Redis bridge reads
// (redis/envelope.cpp: decode_envelope, the JSON envelope or plain data) and the envelope that
// ssed and sse-pub write (encode_envelope).
//
// Input: the whole input is one payload, as `PUBLISH sse:topic <payload>` delivers it. The
// same bytes, cut at their first three NUL bytes into id, event type, data and a retry, are
// also one request to encode.
// Checks, beyond "no crash":
//  - a payload taken as an envelope starts with {"ssekit":1, and, encoded again, decodes to the
//    same event; one taken as plain data is the data, whole, with no type, id or retry, and
//    only an envelope-looking payload may come with a reason it was not one;
//  - any request encodes to an envelope that decodes to it, each field as the JSON writer
//    must send it (invalid UTF-8 as U+FFFD, base/utf8.hpp).
#include <string>

#include "base/utf8.hpp"
#include "fuzz_support.hpp"
#include "redis/envelope.hpp"

namespace {

using ssekit::PublishRequest;

bool same(const PublishRequest &a, const PublishRequest &b) {
    return a.type == b.type && a.data == b.data && a.id == b.id && a.retry == b.retry;
}

void check_decode(std::string_view payload) {
    PublishRequest req;
    req.data = "left over from an earlier message";
    std::string bad;
    if (ssekit::decode_envelope(payload, req, &bad)) {
        FUZZ_CHECK(payload.starts_with(ssekit::kEnvelopePrefix) && bad.empty());
        std::string again;
        ssekit::encode_envelope(req, again);
        PublishRequest back;
        FUZZ_CHECK(ssekit::decode_envelope(again, back));
        FUZZ_CHECK(same(back, req));
    } else {
        FUZZ_CHECK(req.data == payload && req.type.empty() && req.id.empty() && !req.retry);
        FUZZ_CHECK(bad.empty() || payload.starts_with(ssekit::kEnvelopePrefix));
    }
}

// The next field of `rest`, up to a NUL byte (or the end).
std::string_view field(std::string_view &rest) {
    std::size_t nul = rest.find('\0');
    std::string_view f = rest.substr(0, nul);
    rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    return f;
}

void check_encode(std::string_view input) {
    PublishRequest req;
    req.id = field(input);
    req.type = field(input);
    req.data = field(input);
    if (!input.empty()) req.retry = std::hash<std::string_view>{}(input);
    std::string wire;
    ssekit::encode_envelope(req, wire);
    PublishRequest back;
    FUZZ_CHECK(ssekit::decode_envelope(wire, back));
    std::string scratch;
    PublishRequest expected;
    expected.id = ssekit::to_valid_utf8(req.id, scratch);
    expected.type = ssekit::to_valid_utf8(req.type, scratch);
    expected.data = ssekit::to_valid_utf8(req.data, scratch);
    expected.retry = req.retry;
    FUZZ_CHECK(same(back, expected));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    check_decode(input);
    check_encode(input);
    return 0;
}
