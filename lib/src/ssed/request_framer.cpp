#include "ssed/request_framer.hpp"

#include <strings.h>

namespace ssekit {

namespace {

bool equals_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

RequestFramer &self(http_parser *p) { return *static_cast<RequestFramer *>(p->data); }

// Headers the canonical form rewrites: the framing is ours, and the 100-continue is answered.
bool framing_header(std::string_view name) {
    return equals_nocase(name, "content-length") || equals_nocase(name, "transfer-encoding") ||
           equals_nocase(name, "expect");
}

// http-parser 2.9.4 takes any header name that starts with "Transfer-Encoding" for one (it sets
// the flag on the prefix and never clears it), so "Transfer-Encodingx: y" makes it refuse a
// Content-Length or an unchunked request. Every other parser reads an unrelated header there, so
// the two framings of one request (and our canonical form framed again) would disagree: we refuse
// such a name outright, with a reason that says so.
bool extends_transfer_encoding(const RequestHead &head) {
    constexpr std::string_view te = "transfer-encoding";
    for (const auto &[name, value] : head.headers)
        if (name.size() > te.size() && equals_nocase(std::string_view(name).substr(0, te.size()), te)) return true;
    return false;
}

constexpr const char *extends_transfer_encoding_reason = "a header name that extends Transfer-Encoding";

}  // namespace

std::string_view RequestHead::header(std::string_view name) const {
    for (const auto &[k, v] : headers)
        if (equals_nocase(k, name)) return v;
    return {};
}

RequestFramer::RequestFramer(FramerLimits limits) : limits_(limits), body_limit_(limits.max_body) {
    http_parser_settings_init(&settings_);
    settings_.on_message_begin = on_message_begin;
    settings_.on_url = on_url;
    settings_.on_header_field = on_header_field;
    settings_.on_header_value = on_header_value;
    settings_.on_headers_complete = on_headers_complete;
    settings_.on_body = on_body;
    settings_.on_message_complete = on_message_complete;
    next();
}

void RequestFramer::next() {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    state_ = State::head;
    started_ = in_value_ = false;
    verdict_ = 0;
    reason_.clear();
    head_ = RequestHead{};
    body_.clear();
    head_bytes_ = 0;
    body_limit_ = limits_.max_body;
}

int RequestFramer::fail(int verdict, std::string reason) {
    state_ = State::failed;
    verdict_ = verdict;
    reason_ = std::move(reason);
    return 1;  // stops http_parser_execute
}

std::size_t RequestFramer::feed(std::string_view bytes) {
    std::size_t used = 0;
    while (used < bytes.size() && (state_ == State::head || state_ == State::body)) {
        const State before = state_;
        std::string_view chunk = bytes.substr(used);
        // Never hand the parser more of a head than the limit allows, so the count is exact.
        if (before == State::head) chunk = chunk.substr(0, limits_.max_head + 1 - head_bytes_);
        std::size_t n = http_parser_execute(&parser_, &settings_, chunk.data(), chunk.size());
        used += n;
        if (before == State::head) head_bytes_ += n;
        if (state_ == State::failed) break;
        http_errno err = HTTP_PARSER_ERRNO(&parser_);
        if (err == HPE_PAUSED) {
            // Paused at the end of the head or of the request: hand control back.
            http_parser_pause(&parser_, 0);
            break;
        }
        if (err != HPE_OK) {
            fail(400, extends_transfer_encoding(head_) ? extends_transfer_encoding_reason : http_errno_description(err));
            break;
        }
        if (state_ == State::head && head_bytes_ > limits_.max_head) {
            fail(431, "request head larger than " + std::to_string(limits_.max_head) + " bytes");
            break;
        }
    }
    return used;
}

int RequestFramer::on_message_begin(http_parser *p) {
    self(p).started_ = true;
    return 0;
}

int RequestFramer::on_url(http_parser *p, const char *at, std::size_t n) {
    self(p).head_.target.append(at, n);
    return 0;
}

int RequestFramer::on_header_field(http_parser *p, const char *at, std::size_t n) {
    RequestFramer &f = self(p);
    if (f.state_ != State::head) return 0;  // a chunked body's trailer: framing only, dropped
    if (f.head_.headers.empty() || f.in_value_) {
        if (f.head_.headers.size() >= f.limits_.max_headers)
            return f.fail(431, "more than " + std::to_string(f.limits_.max_headers) + " header lines");
        f.head_.headers.emplace_back();
        f.in_value_ = false;
    }
    f.head_.headers.back().first.append(at, n);
    return 0;
}

int RequestFramer::on_header_value(http_parser *p, const char *at, std::size_t n) {
    RequestFramer &f = self(p);
    if (f.state_ != State::head) return 0;
    f.in_value_ = true;
    if (!f.head_.headers.empty()) f.head_.headers.back().second.append(at, n);
    return 0;
}

int RequestFramer::on_headers_complete(http_parser *p) {
    RequestFramer &f = self(p);
    if (p->http_major != 1 || p->http_minor > 1) {
        f.fail(505, "HTTP version " + std::to_string(p->http_major) + "." + std::to_string(p->http_minor) +
                        " not supported");
        return 3;  // not 1 or 2, which mean "no body" / "upgrade" here
    }
    RequestHead &h = f.head_;
    // http-parser (not strict) takes "Content-Length :" for Content-Length; a proxy may not, and
    // the name would pass our canonical form unrecognised. RFC 9112 5.1: a server must refuse it.
    for (const auto &[name, value] : h.headers)
        if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
            f.fail(400, "whitespace between a header name and its colon");
            return 3;
        }
    if (extends_transfer_encoding(h)) {
        f.fail(400, extends_transfer_encoding_reason);
        return 3;
    }
    h.method = http_method_str(static_cast<http_method>(p->method));
    h.http_major = p->http_major;
    h.http_minor = p->http_minor;
    h.keep_alive = http_should_keep_alive(p) != 0;
    h.expect_continue = equals_nocase(h.header("Expect"), "100-continue");
    const bool chunked = (p->flags & F_CHUNKED) != 0;
    if (!chunked && (p->flags & F_CONTENTLENGTH)) h.content_length = p->content_length;
    h.has_body = chunked || (h.content_length && *h.content_length > 0);
    f.state_ = State::body;
    http_parser_pause(p, 1);  // the caller checks the head before any body byte is read
    return 0;
}

int RequestFramer::on_body(http_parser *p, const char *at, std::size_t n) {
    RequestFramer &f = self(p);
    if (f.body_.size() + n > f.body_limit_)
        return f.fail(413, "request body larger than " + std::to_string(f.body_limit_) + " bytes");
    f.body_.append(at, n);
    return 0;
}

int RequestFramer::on_message_complete(http_parser *p) {
    RequestFramer &f = self(p);
    f.state_ = State::complete;
    http_parser_pause(p, 1);  // what follows is the next request
    return 0;
}

std::string RequestFramer::canonical() const {
    std::string out;
    out.reserve(head_bytes_ + body_.size() + 32);
    out.append(head_.method).push_back(' ');
    out.append(head_.target).append(" HTTP/");
    out.append(std::to_string(head_.http_major)).push_back('.');
    out.append(std::to_string(head_.http_minor)).append("\r\n");
    for (const auto &[k, v] : head_.headers) {
        if (framing_header(k)) continue;
        out.append(k).append(": ").append(v).append("\r\n");
    }
    if (head_.has_body || !body_.empty()) out.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n");
    out.append("\r\n").append(body_);
    return out;
}

}  // namespace ssekit
