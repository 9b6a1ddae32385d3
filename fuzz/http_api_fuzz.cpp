// Fuzz target http_api: ssed's routes (ssed/http_api.cpp: subscribe, publish one event or an
// NDJSON batch, topics, metrics, health, CORS preflight) with what a request may carry:
// paths, queries, headers and bodies. The requests go through the same driver as the request
// target (door_driver.hpp), over one in-process Hub, so a publish can be resumed from by the
// next request's Last-Event-ID.
//
// Input: byte 0 picks the API options (api_options() in door_driver.hpp), then requests separated by
// NUL bytes, each written loosely so the fuzzer spends its time on the API, not on framing:
//     METHOD TARGET
//     Header: value
//     (blank line)
//     body
// The driver gets it as HTTP/1.1 with CRLF line ends and a Content-Length matching the body
// (unless the request names its own Content-Length or Transfer-Encoding).
// Checks: those of door_driver.hpp.
#include <algorithm>
#include <cctype>
#include <string>

#include "door_driver.hpp"

namespace {

bool names_framing(std::string_view head) {
    for (std::string_view name : {"content-length:", "transfer-encoding:"}) {
        for (std::size_t at = 0; (at = head.find('\n', at)) != std::string_view::npos; ++at) {
            std::string_view line = head.substr(at + 1, name.size());
            if (line.size() == name.size() &&
                std::equal(line.begin(), line.end(), name.begin(),
                           [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
                return true;
        }
    }
    return false;
}

// One loose request as HTTP/1.1 bytes.
std::string to_http(std::string_view loose) {
    std::size_t blank = loose.find("\n\n");
    std::string_view head = loose.substr(0, blank);
    std::string_view body = blank == std::string_view::npos ? std::string_view() : loose.substr(blank + 2);
    std::size_t eol = head.find('\n');
    std::string out(head.substr(0, eol));
    out.append(" HTTP/1.1\r\n");
    if (eol != std::string_view::npos) {
        for (char c : head.substr(eol + 1)) {
            if (c == '\n') out.push_back('\r');
            out.push_back(c);
        }
        out.append("\r\n");
    }
    if (!names_framing(head) && !body.empty()) out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    out.append("\r\n").append(body);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    ssekit::fuzz::FuzzInput in(data, size);
    const ssekit::ApiOptions api = ssekit::fuzz::api_options(in.byte());
    std::string bytes;
    std::string_view rest = in.rest();
    while (!rest.empty()) {
        std::size_t nul = rest.find('\0');
        bytes.append(to_http(rest.substr(0, nul)));
        rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    }
    ssekit::fuzz::DoorDriver door(api, {});
    door.feed(bytes);
    return 0;
}
