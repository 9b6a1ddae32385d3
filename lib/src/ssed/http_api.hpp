// A note on ssed's HTTP API.
//
// Translates HTTP into Bus calls and nothing more (hub/bus.hpp: the in-process Hub, or the
// Redis bridge; the API never asks which); fan-out, history and heartbeats live in the Hub. Routes (documented in ssed(1)):
//   GET  /events/{t[,t...]}   subscribe (also ?topic=t, repeatable; GET /events?topic=...);
//                             ?since=start replays all history without a gap notice
//   POST /events/{t}          publish the body as data (?event=, ?id=, ?retry=, header
//                             Idempotency-Key), or a batch of NDJSON lines with Content-Type:
//                             application/x-ndjson, atomically (a "key" per line, or for the
//                             lines without one Idempotency-Key: <stem><N>, counting up:
//                             <stem><N+1> for the second event, ...); an event whose key the
//                             bus remembers is answered as a duplicate
//   GET  /healthz  /metrics  /topics  /         health, Prometheus text, JSON list, HTML page
//   OPTIONS *                 CORS preflight
// Errors are JSON {"error": "..."} with 400 (bad topic, id, event, JSON), 401 (token), 403
// (a publish from another origin), 404, 413 (body or batch too large), 421 (a Host not in
// ApiOptions::allowed_hosts, on every route) or 503 (topic or subscriber limit, hub or Redis
// behind). The Host and Origin checks and the publish token run on the request's head, before
// its body is read (HttpServer::set_head_check).
//
// A subscription is answered with exactly `Content-Type: text/event-stream` (a charset would
// make cpp-httplib compress the stream and hold events back), `Cache-Control: no-cache`,
// `X-Accel-Buffering: no`, then `retry:`, an `event: ssed-gap` notice when the Last-Event-ID
// is unknown, and the replay; the socket then moves to the Hub (HttpServer::request_takeover).
//
// Thread safety: the handlers run on the server's pool threads; the Bus is thread-safe and
// the options are copied at install time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/bus.hpp"
#include "ssed/http_server.hpp"
#include "ssekit/api_options.hpp"
#include "ssekit/log.hpp"

namespace ssekit {

// Registers every route on `server`. `bus` must outlive `server`; /healthz answers 503 while
// bus.health() is not ok.
void install_http_api(HttpServer &server, Bus &bus, const ApiOptions &opts, const Logger &log);

// The built-in HTML page served at GET / (self-contained: no external assets).
std::string_view index_page_html();

// `target` (path and query) as the access log writes it: an access_token parameter's value is
// replaced by REDACTED, so a token a browser sent in the URL never reaches a log.
std::string redact_target(std::string_view target);

// Compares two secrets in time that depends only on their lengths.
bool tokens_equal(std::string_view a, std::string_view b);

// The host a Host header value names (RFC 9110 7.2, `host [":" port]`): lowercased, without
// the port, an IPv6 literal without its brackets, one trailing dot dropped ("example.com." is
// "example.com"). Nothing when the value is no such thing: empty, a port that is not digits,
// stray brackets or colons, bytes no host name or address has. With `port_allowed` false
// (an --allowed-host name) a port is refused too, and a bare IPv6 literal is accepted.
std::optional<std::string> parse_host(std::string_view value, bool port_allowed = true);

}  // namespace ssekit
