// A note on request framing (ssed's front door).
//
// RequestFramer finds where one HTTP/1.x request ends in the bytes a connection sends, before
// anything else looks at them: the end of the head (request line and headers), then the body
// by Content-Length or chunked transfer coding. It is Node's former parser, http-parser 2.9
// (Debian's libhttp-parser), behind a push interface in the manner of sse/parser: feed() the
// bytes as they arrive; it never touches a socket. A well-kept parser beats our own here: it is
// the part an attacker aims at (request smuggling: both Content-Length and Transfer-Encoding,
// duplicate or malformed lengths, bad chunk sizes are all refused by it), and it has been
// fuzzed for a decade.
//
// Limits (FramerLimits), each checked as the bytes arrive, so memory never grows past them
// however a client behaves:
//   - the head (request line + headers) at most max_head bytes, and at most max_headers
//     header lines: past either, Verdict 431;
//   - the body at most the limit the head check gives (RequestFramer::set_body_limit, called
//     once the head is complete: the limit depends on the request, e.g. an NDJSON batch may be
//     larger): past it, Verdict 413.
// A syntax error is Verdict 400 (a bad method, a bad Content-Length, CL with TE, whitespace
// before a header's colon); a version other than HTTP/1.0 or 1.1 is 505.
//
// After a complete request, feed() stops (the rest of the bytes are the next, pipelined
// request) until next() is called. The request is handed on in canonical form: the same
// method, target, version and headers, minus Transfer-Encoding, Content-Length and Expect,
// plus "Content-Length: N" for the decoded body (a chunked body's trailer is dropped): so the
// parser behind us (cpp-httplib) sees exactly what we framed, and nothing it could read
// differently.
//
// Not thread-safe; one framer per connection.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssekit {

struct FramerLimits {
    std::size_t max_head = 64 * 1024;  // request line + headers, bytes
    std::size_t max_headers = 100;     // header lines
    std::size_t max_body = 1 << 20;    // until set_body_limit() says otherwise
};

// The head of one request, as it arrived.
struct RequestHead {
    std::string method;                                      // "GET", "POST", ...
    std::string target;                                      // "/events/a?x=1"
    int http_major = 1, http_minor = 1;
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
    bool keep_alive = true;       // the client allows another request on this connection
    bool expect_continue = false; // "Expect: 100-continue": it waits before sending the body
    bool has_body = false;        // Content-Length > 0 or chunked
    std::optional<std::uint64_t> content_length;  // as declared; none when chunked or absent

    // The value of header `name` (case-insensitive), "" when absent.
    std::string_view header(std::string_view name) const;
};

class RequestFramer {
public:
    enum class State {
        head,      // reading the request line and headers
        body,      // head complete (head() valid), reading the body
        complete,  // a whole request: head() and body() valid, until next()
        failed,    // verdict() says why; the connection must be answered and closed
    };

    explicit RequestFramer(FramerLimits limits = {});
    RequestFramer(const RequestFramer &) = delete;
    RequestFramer &operator=(const RequestFramer &) = delete;

    // Consumes bytes until the head is complete (state() turns body: the caller checks the
    // head and calls set_body_limit() before feeding on), the request is complete, or the
    // framer fails; returns how many it consumed. The rest must be fed again: after the head,
    // at once; after a complete request, after next() (they belong to a pipelined request).
    std::size_t feed(std::string_view bytes);

    State state() const { return state_; }
    // Whether any byte of the current request has been seen (an idle keep-alive has none).
    bool started() const { return started_; }
    // 400, 413, 431 or 505 once failed; a short reason for the error body.
    int verdict() const { return verdict_; }
    const std::string &reason() const { return reason_; }

    // REQUIRES: state() is body or complete.
    const RequestHead &head() const { return head_; }
    // The decoded body so far (complete when state() == complete).
    const std::string &body() const { return body_; }
    std::size_t head_bytes() const { return head_bytes_; }

    // The largest body this request may have; a larger one fails with 413. Call it when the
    // head is complete (state() == body), before feeding the body.
    void set_body_limit(std::size_t n) { body_limit_ = n; }

    // The request in canonical form (see the note). REQUIRES: state() == complete.
    std::string canonical() const;

    // Forgets the request and gets ready for the next one on the same connection.
    void next();

private:
    static int on_message_begin(http_parser *p);
    static int on_url(http_parser *p, const char *at, std::size_t n);
    static int on_header_field(http_parser *p, const char *at, std::size_t n);
    static int on_header_value(http_parser *p, const char *at, std::size_t n);
    static int on_headers_complete(http_parser *p);
    static int on_body(http_parser *p, const char *at, std::size_t n);
    static int on_message_complete(http_parser *p);
    int fail(int verdict, std::string reason);

    FramerLimits limits_;
    http_parser parser_{};
    http_parser_settings settings_{};
    State state_ = State::head;
    bool started_ = false;
    bool in_value_ = false;  // the last header callback was a value (a field starts a new header)
    int verdict_ = 0;
    std::string reason_;
    RequestHead head_;
    std::string body_;
    std::size_t head_bytes_ = 0;
    std::size_t body_limit_;
};

}  // namespace ssekit
