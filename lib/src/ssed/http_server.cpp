#include "ssed/http_server.hpp"

#include <algorithm>
#include <limits>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

// process_request()'s parameters are those of 0.11.4; later releases changed them. Re-read
// them before changing this number.
static_assert(std::string_view(CPPHTTPLIB_VERSION) == "0.11.4",
              "http_server.cpp relies on cpp-httplib 0.11.4 internals");

namespace ssekit {

namespace {

// Per-request flags set by handlers and providers, which run on the thread that called
// process_request(); so a thread-local is exactly "this request".
thread_local std::optional<std::uint64_t> tl_takeover;
thread_local bool tl_close = false;

// One framed request in, the answer's bytes out: cpp-httplib parses, routes and writes as it
// would on a socket, and never touches one.
class MemoryStream final : public httplib::Stream {
public:
    MemoryStream(std::string_view request, std::string &answer, const Peer &peer)
        : in_(request), out_(answer), peer_(peer) {}

    bool is_readable() const override { return off_ < in_.size(); }
    bool is_writable() const override { return true; }

    ssize_t read(char *ptr, size_t size) override {
        // cpp-httplib reads the request line and headers one byte per call.
        if (size == 1 && off_ < in_.size()) {
            *ptr = in_[off_++];
            return 1;
        }
        size_t n = std::min(size, in_.size() - off_);
        std::memcpy(ptr, in_.data() + off_, n);
        off_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char *ptr, size_t size) override {
        out_.append(ptr, size);
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string &ip, int &port) const override {
        ip = peer_.ip;
        port = peer_.port;
    }
    void get_local_ip_and_port(std::string &ip, int &port) const override {
        ip = peer_.local_ip;
        port = peer_.local_port;
    }
    // No socket: nothing in cpp-httplib may poll or write one behind our back.
    socket_t socket() const override { return INVALID_SOCKET; }

private:
    std::string_view in_;
    size_t off_ = 0;
    std::string &out_;
    const Peer &peer_;
};

// A head check's final answer, closing the connection (its body is never read).
std::string serialize_final(const httplib::Response &res) {
    std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_phrase(res.status) + "\r\n";
    for (const auto &[k, v] : res.headers) {
        if (k == "Connection" || k == "Content-Length") continue;
        out.append(k).append(": ").append(v).append("\r\n");
    }
    out.append("Content-Length: ").append(std::to_string(res.body.size())).append("\r\n");
    out.append("Connection: close\r\n\r\n").append(res.body);
    return out;
}

// cpp-httplib 0.11.4 percent-decodes every header value it parses (detail::parse_header calls
// decode_url; later releases stopped, as RFC 9110 has it). Routes would then see a Last-Event-ID,
// a token or an Idempotency-Key other than the one sent ("a%41" as "aA"), and CORS would reflect
// an Origin's "%00" as a NUL byte. So each '%' in a header value of the framed request is sent
// on as "%25", which that decoding turns back into the byte that arrived. The request line is
// left alone: its target is a URL, decoded as one. `request` is a framed request's canonical
// form (RequestFramer::canonical(): "Name: value" lines ending in CRLF), so the first ':' of a
// line ends its name.
void keep_header_values_raw(std::string &request) {
    const std::size_t head_end = request.find("\r\n\r\n");
    const std::size_t first_line_end = request.find("\r\n");
    if (head_end == std::string::npos || head_end == first_line_end) return;  // no header lines
    if (request.find('%', first_line_end) >= head_end) return;                // the usual case
    std::string out = request.substr(0, first_line_end + 2);
    out.reserve(request.size() + 16);
    std::size_t line = first_line_end + 2;
    while (line < head_end + 2) {
        const std::size_t end = request.find("\r\n", line);
        const std::size_t colon = std::min(request.find(':', line), end);
        out.append(request, line, colon - line);
        for (std::size_t i = colon; i < end; ++i)
            if (request[i] == '%')
                out.append("%25");
            else
                out.push_back(request[i]);
        out.append("\r\n");
        line = end + 2;
    }
    out.append(request, head_end + 2);
    request = std::move(out);
}

}  // namespace

// cpp-httplib ends a chunked content provider as soon as svr_sock_ is INVALID_SOCKET ("the
// server is shutting down"); its own listen loop would have set it. We never let cpp-httplib
// listen, so svr_sock_ holds a value that is not a descriptor until shutdown(), and nothing
// else of cpp-httplib's reads it (its listen(), stop() and accept loop are never called).
constexpr socket_t kNotShuttingDown = std::numeric_limits<socket_t>::max();

HttpServer::HttpServer(DoorLimits limits, AdoptFn adopt, CancelFn cancel, Logger log, std::vector<Streamer *> streams)
    : cancel_(std::move(cancel)) {
    const std::size_t loops = std::max<std::size_t>(1, limits.loops);
    if (!streams.empty() && streams.size() != loops) throw std::invalid_argument("HttpServer: one streamer per loop");
    DoorLimits each = limits;
    if (limits.workers > 0) each.workers = std::max<std::size_t>(1, limits.workers / loops);  // the total, shared
    DoorHandler &handler = *this;  // a private base: converted here, where it is accessible
    for (std::size_t i = 0; i < loops; ++i)
        doors_.push_back(std::make_unique<FrontDoor>(handler, adopt, each, log, streams.empty() ? nullptr : streams[i]));
    svr_sock_ = kNotShuttingDown;
    // What cpp-httplib writes in "Keep-Alive: timeout=T, max=N": the door's idle timeout, and
    // no count limit (the door has none).
    keep_alive_timeout_sec_ = std::max<time_t>(1, static_cast<time_t>(limits.idle_timeout.count() / 1000));
    keep_alive_max_count_ = std::numeric_limits<int>::max();
}

HttpServer::~HttpServer() { shutdown(); }

Status HttpServer::bind(const std::string &host, int port, int &bound_port) {
    if (auto s = doors_.front()->bind(host, port, bound_port); !s) return s;
    for (std::size_t i = 1; i < doors_.size(); ++i)
        if (auto s = doors_[i]->share(*doors_.front()); !s) return s;
    return Status::ok();
}

void HttpServer::serve() {
    std::vector<std::thread> others;
    for (std::size_t i = 1; i < doors_.size(); ++i) others.emplace_back([door = doors_[i].get()] { door->run(); });
    doors_.front()->run();
    for (auto &d : doors_) d->stop();  // one loop ended (shutdown, or its socket failed): all end
    for (auto &t : others) t.join();
}

void HttpServer::shutdown() {
    for (auto &d : doors_) d->stop();
    svr_sock_ = INVALID_SOCKET;  // a provider still running now ends
}

DoorStats HttpServer::stats() const {
    DoorStats sum;
    for (const auto &d : doors_) {
        DoorStats s = d->stats();
        sum.accepted += s.accepted;
        sum.requests += s.requests;
        sum.adopted += s.adopted;
        sum.refused += s.refused;
        sum.timed_out += s.timed_out;
        sum.open += s.open;
    }
    return sum;
}

void HttpServer::request_takeover(std::uint64_t ticket) { tl_takeover = ticket; }
void HttpServer::request_close() { tl_close = true; }

std::optional<std::string> HttpServer::check_head(const RequestHead &head, const Peer &peer, std::size_t &body_limit) {
    body_limit = payload_max_length_;
    if (!head_check_) return std::nullopt;
    httplib::Request req;
    req.method = head.method;
    req.target = head.target;
    std::string_view target = head.target;
    std::size_t q = target.find('?');
    req.path = httplib::detail::decode_url(std::string(target.substr(0, q)), false);
    if (q != std::string_view::npos) httplib::detail::parse_query_text(std::string(target.substr(q + 1)), req.params);
    for (const auto &[k, v] : head.headers) req.headers.emplace(k, v);
    req.remote_addr = peer.ip;
    req.remote_port = peer.port;
    httplib::Response res;
    res.status = 200;
    if (head_check_(req, res, body_limit)) return std::nullopt;
    return serialize_final(res);
}

DoorHandler::Answer HttpServer::handle(std::string request, const Peer &peer, bool must_close) {
    Answer a;
    keep_header_values_raw(request);
    MemoryStream stream(request, a.bytes, peer);
    tl_takeover.reset();
    tl_close = false;
    bool closed = false;
    bool ok = process_request(stream, must_close, closed, nullptr);
    ++handled_;
    a.takeover = tl_takeover;
    tl_takeover.reset();
    a.close = !a.takeover && (!ok || closed || tl_close || must_close);
    tl_close = false;
    return a;
}

void HttpServer::abandon(std::uint64_t ticket) {
    if (cancel_) cancel_(ticket);
}

}  // namespace ssekit
