// A note on the HTTP API's options.
//
// ApiOptions is a plain value: what ssed's HTTP API (ssed/http_api.hpp, internal) is installed
// with, bodies, the first `retry:`, CORS, allowed Host names, tokens and the access log. It is public, and only it,
// so that ssed's options (ssed.hpp) can embed it and every default lives here once; the routes
// and the server stay internal. No behaviour, no ownership; copy it freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ssekit {

struct ApiOptions {
    std::size_t max_body = 1 << 20;         // single-event POST body, bytes
    std::size_t max_batch_body = 16 << 20;  // application/x-ndjson POST body, bytes
    // Events in one NDJSON batch (413 past it). REQUIRES: at most HubLimits::max_inbox, so a
    // batch an idle hub can take is never refused as "overloaded".
    std::size_t max_batch_events = 10000;
    std::size_t max_subscribe_topics = 64;  // topics one subscription may name (400 past it)
    std::uint64_t retry_ms = 3000;          // first `retry:` sent to every subscriber
    std::vector<std::string> cors_origins;  // exact origins, or "*" for any
    // Host names (or IP literals, IPv6 in brackets or not) that requests may name in their
    // Host header, without a port; anything else gets 421. Empty = any Host (no check).
    std::vector<std::string> allowed_hosts;
    std::string publish_token;              // "" = publishing needs no token
    std::string subscribe_token;            // "" = subscribing needs no token
    bool access_log = false;                // one info line per request
};

}  // namespace ssekit
