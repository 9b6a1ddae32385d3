// A note on the door driver (the fuzz targets request and http_api).
//
// DoorDriver takes the bytes one client connection sends through what ssed does with them, with
// no socket: a RequestFramer driven as the front door drives it (FrontDoor::Impl::consume: the
// head, the head check and its body limit, the declared-length refusal, the complete request,
// then the next pipelined one), and the HttpServer's handler (cpp-httplib's parsing and
// routing, ssed's HTTP API) over a fresh in-process Hub. A subscription's ticket is abandoned,
// as when its client leaves during the hand-over. One driver per input: the Hub's streaming
// thread is joined when the driver goes, and nothing is left for the next input.
//
// Checks on the way (FUZZ_CHECK), beyond "no crash":
//  - the framer stays within its limits: a head of at most max_head bytes and max_headers
//    lines, a body of at most the limit in force; and it always makes progress (a feed that
//    consumes nothing and changes nothing would spin ssed's loop);
//  - the canonical form frames to the same request: framed again, consuming exactly its
//    bytes, it gives the same method, target, version, headers (framing ones aside) and body
//    (so what cpp-httplib reads is what we framed);
//  - every answer (the head check's, the handler's) is one well-formed HTTP/1.1 response, never
//    a 500 (an exception escaped a handler); a subscription's is a chunked stream left open.
#pragma once

#include <http_parser.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "hub/hub.hpp"
#include "ssed/http_api.hpp"
#include "ssed/http_server.hpp"
#include "ssed/request_framer.hpp"

namespace ssekit::fuzz {

// API options from one input byte: tokens, CORS, the access log, small batch and body limits.
inline ApiOptions api_options(std::uint8_t b) {
    ApiOptions o;
    if (b & 1) o.publish_token = "s3cret";
    if (b & 2) o.subscribe_token = "s3cret";
    if (b & 4) o.cors_origins.push_back("http://a.example");
    if (b & 8) o.cors_origins.push_back("*");
    o.access_log = (b & 16) != 0;  // into a quiet logger: redact_target() runs, nothing prints
    if (b & 32) {
        o.max_batch_events = 3;
        o.max_subscribe_topics = 2;
    }
    if (b & 64) {
        o.max_body = 64;
        o.max_batch_body = 256;
    }
    return o;
}

class DoorDriver {
public:
    DoorDriver(const ApiOptions &api, FramerLimits limits)
        : hub_(HubLimits{}, quiet()),
          // No socket is ever adopted: the door, which would adopt one, never runs.
          server_(DoorLimits{}, [](std::uint64_t, int) { FUZZ_CHECK(false); },
                  [this](std::uint64_t t) { hub_.cancel(t); }, quiet()),
          limits_(limits),
          framer_(limits) {
        install_http_api(server_, hub_, api, quiet());
    }

    // The bytes of one recv(). False once the connection is over (refused, closed, or handed
    // over as a stream): the door reads no more from it.
    bool feed(std::string_view bytes) {
        while (!bytes.empty() && !over_) {
            const auto before = framer_.state();
            const std::size_t used = framer_.feed(bytes);
            FUZZ_CHECK(used <= bytes.size());
            FUZZ_CHECK(used > 0 || framer_.state() != before);
            bytes.remove_prefix(used);
            check_bounds();
            switch (framer_.state()) {
            case RequestFramer::State::head:
                break;
            case RequestFramer::State::body:
                if (!head_checked_) check_head();
                break;
            case RequestFramer::State::complete:
                dispatch();
                break;
            case RequestFramer::State::failed:
                FUZZ_CHECK(framer_.verdict() == 400 || framer_.verdict() == 413 || framer_.verdict() == 431 ||
                           framer_.verdict() == 505);
                over_ = true;
                break;
            }
        }
        return !over_;
    }

private:
    static Logger quiet() { return Logger("fuzz", Logger::Level::quiet); }

    void check_bounds() const {
        if (framer_.state() == RequestFramer::State::failed) return;
        FUZZ_CHECK(framer_.head_bytes() <= limits_.max_head);
        FUZZ_CHECK(framer_.body().size() <= body_limit_);
        if (framer_.state() != RequestFramer::State::head)
            FUZZ_CHECK(framer_.head().headers.size() <= limits_.max_headers);
    }

    void check_head() {
        head_checked_ = true;
        std::size_t limit = 0;
        if (auto final_answer = server_.door_handler().check_head(framer_.head(), peer_, limit)) {
            int status = check_response(*final_answer, false, false);
            FUZZ_CHECK(status >= 400 && status < 500);
            over_ = true;
            return;
        }
        body_limit_ = std::min(limit, limits_.max_body);  // the fuzzer's limit may be lower
        framer_.set_body_limit(body_limit_);
        const RequestHead &h = framer_.head();
        if (h.content_length && *h.content_length > body_limit_) over_ = true;  // the door's 413
    }

    void dispatch() {
        const RequestHead &h = framer_.head();
        const std::string canonical = framer_.canonical();
        check_reframed(framer_, canonical);
        DoorHandler::Answer a = server_.door_handler().handle(canonical, peer_, !h.keep_alive);
        int status = check_response(a.bytes, h.method == "HEAD", a.takeover.has_value());
        FUZZ_CHECK(status != 500);
        if (a.takeover) {
            server_.door_handler().abandon(*a.takeover);
            over_ = true;
            return;
        }
        if (a.close || !h.keep_alive) {
            over_ = true;
            return;
        }
        framer_.next();
        head_checked_ = false;
        body_limit_ = limits_.max_body;
    }

    // The canonical form framed again: the same request (see the note).
    static void check_reframed(const RequestFramer &framed, const std::string &canonical) {
        FramerLimits roomy{canonical.size() + 1, canonical.size() + 1, canonical.size() + 1};
        RequestFramer again(roomy);
        std::size_t used = again.feed(canonical);
        FUZZ_CHECK(again.state() == RequestFramer::State::body);
        used += again.feed(std::string_view(canonical).substr(used));
        FUZZ_CHECK(again.state() == RequestFramer::State::complete);
        FUZZ_CHECK(used == canonical.size());
        const RequestHead &a = framed.head(), &b = again.head();
        FUZZ_CHECK(a.method == b.method && a.target == b.target && a.http_major == b.http_major &&
                   a.http_minor == b.http_minor && a.keep_alive == b.keep_alive);
        FUZZ_CHECK(unframed(a.headers) == unframed(b.headers));
        FUZZ_CHECK(framed.body() == again.body());
    }

    // The headers that are not about framing (the canonical form rewrites those).
    static std::vector<std::pair<std::string, std::string>> unframed(const std::vector<std::pair<std::string, std::string>> &headers) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto &h : headers) {
            std::string name = h.first;
            for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (name != "content-length" && name != "transfer-encoding" && name != "expect") out.push_back(h);
        }
        return out;
    }

    // Parses `bytes` as one HTTP response and returns its status. `open`: a subscription's
    // answer, whose chunked body goes on in the stream.
    static int check_response(const std::string &bytes, bool head_request, bool open) {
        struct State {
            bool head_request;
            bool complete = false;
        } st{head_request};
        http_parser_settings settings;
        http_parser_settings_init(&settings);
        // A HEAD answer announces a body it does not carry.
        settings.on_headers_complete = [](http_parser *p) { return static_cast<State *>(p->data)->head_request ? 1 : 0; };
        settings.on_message_complete = [](http_parser *p) {
            static_cast<State *>(p->data)->complete = true;
            return 0;
        };
        http_parser p;
        http_parser_init(&p, HTTP_RESPONSE);
        p.data = &st;
        std::size_t n = http_parser_execute(&p, &settings, bytes.data(), bytes.size());
        FUZZ_CHECK(HTTP_PARSER_ERRNO(&p) == HPE_OK);
        FUZZ_CHECK(n == bytes.size());
        FUZZ_CHECK(p.http_major == 1 && p.http_minor == 1);
        if (open) {
            FUZZ_CHECK(!st.complete && (p.flags & F_CHUNKED));
        } else {
            if (!st.complete) http_parser_execute(&p, &settings, nullptr, 0);  // end of input
            FUZZ_CHECK(st.complete);
        }
        return static_cast<int>(p.status_code);
    }

    Hub hub_;
    HttpServer server_;
    FramerLimits limits_;
    RequestFramer framer_;
    Peer peer_{"127.0.0.1", 40000, "127.0.0.1", 8080};
    std::size_t body_limit_ = limits_.max_body;
    bool head_checked_ = false;
    bool over_ = false;
};

}  // namespace ssekit::fuzz
