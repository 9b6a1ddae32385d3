// A note on the request sse-tail sends.
//
// By default a GET, as an EventSource sends. curl's options, spelt as curl spells them, make
// it a call to a streaming API (a language model's `POST /v1/chat/completions`, MCP):
//  - -X/--request METHOD sets the method (an HTTP token);
//  - -d/--data DATA is a body as `curl -d` sends it: `@FILE` reads FILE without its CRs and
//    LFs, `@-` standard input; several are joined with '&'; libcurl then sends
//    `Content-Type: application/x-www-form-urlencoded` unless a -H names one;
//  - --json DATA is a body sent as is (`@FILE`, `@-` read whole), several concatenated, with
//    `Content-Type: application/json` unless a -H names one. Unlike curl's, Accept stays
//    `text/event-stream` (the answer is a stream), unless a -H names one;
//  - a body makes the method POST unless -X says otherwise.
// Bodies are read once, before the first connect, at most kMaxBodyBytes in all; standard input
// can be read by one @- only.
//
// -H takes 'Name: value' or @FILE: FILE holds header lines (LF or CRLF; blank lines skipped)
// and is read again at every connect, so a rotated token is picked up. At start an unreadable
// file or a bad line is an error; later the file's last good lines are kept, with a warning.
//
// A request with a body or a method other than GET is a call, not a subscription: it may be
// costly and is not idempotent, so it is not sent again when its stream ends (see
// resends_by_default; --reconnect overrides).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssekit/status.hpp"

namespace ssekit {

inline constexpr std::size_t kMaxBodyBytes = std::size_t(64) << 20;
inline constexpr std::size_t kMaxHeaderFileBytes = std::size_t(1) << 20;

struct RequestBody {
    std::string bytes;
    std::string content_type;  // "" lets libcurl choose (form-urlencoded)
};

// Whether `url` starts with http:// or https:// (in any case): the schemes sse-tail follows.
bool is_http_url(std::string_view url);

// Whether one of the -H values (not an @FILE) sets header `name` (lower-case; matched
// case-insensitively).
bool sets_header(const std::vector<std::string> &values, std::string_view name);

// One header line: 'Name: value', no CR, LF or NUL, not Last-Event-ID (--last-event-id).
Status check_header(std::string_view line);

// Checks a -H value: a header line, or @FILE (not @-: a header file is read again and again).
Status check_header_option(std::string_view value);

// Checks -X, -d and --json together: the method is a token, -d and --json are not mixed,
// and only one value reads @- (standard input).
Status check_request_options(const std::optional<std::string> &method, const std::vector<std::string> &data,
                             const std::vector<std::string> &json);

// The body of -d and --json values (reading their @FILE and @- forms; @- from `stdin_fd`);
// nullopt when there are none. Errors name the option and the file.
Status load_body(const std::vector<std::string> &data, const std::vector<std::string> &json, int stdin_fd,
                 std::optional<RequestBody> &out);

// Whether a request is sent again when its stream ends, without --reconnect / --no-reconnect.
bool resends_by_default(const std::string &method, bool has_body);

// The header lines of -H values, reading each @FILE now. Not thread-safe.
class RequestHeaders {
public:
    explicit RequestHeaders(std::vector<std::string> values) : values_(std::move(values)) {}

    // The literal lines and each file's lines, in -H order. A file that cannot be read or holds
    // a bad line contributes its last good lines (none before the first good read), and
    // `problem` says why ("-H @FILE: ..."); it is "" when every file was read.
    std::vector<std::string> read(std::string &problem);

private:
    std::vector<std::string> values_;
    std::map<std::string, std::vector<std::string>> last_good_;  // by file name
};

}  // namespace ssekit
