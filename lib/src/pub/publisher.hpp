// A note on publishing (sse-pub's sinks).
//
// A Sink delivers events, in order, to one destination:
//   - HTTP (an ssed): one event is a plain POST /events/{topic} with the data as the body and
//     event/id/retry as query parameters; several consecutive events of one topic are one
//     NDJSON POST (Content-Type: application/x-ndjson, all or none accepted). libcurl, not the
//     cpp-httplib client: it keeps the connection alive and sends headers and a small body in
//     one write with TCP_NODELAY. Single POSTs on one connection to ssed, measured 2026-11-25:
//     libcurl 21,600/s; httplib::Client 5,550/s with set_tcp_nodelay(true), 22/s without (the
//     Nagle + delayed-ACK stall of dependency-notes §1). A 413 on a batch halves it and retries.
//   - Redis: PUBLISH <prefix><topic> <envelope> in bounded batches (redis/envelope.hpp), the ids
//     already set: a batch of keys this process minted (KeyMinter) is one MULTI/EXEC with its
//     batch mark, after a WATCH and a read of the mark; any other batch goes through the keyed
//     publish (redis/idempotency.hpp). In streams mode, one call of the stream script
//     (redis/stream.hpp) per batch, atomic; Redis assigns the ids.
// send() reports how many leading events are known to be accepted, so nothing accepted is ever
// sent twice. An event whose fate is unknown (the connection broke after it was written, before
// the reply) counts as not accepted and is sent again, with the same idempotency key: the
// destination (ssed's hub or Redis) drops it if the first attempt got through, so a retry does
// not publish an event twice while the destination remembers the key (sse-pub(1), RETRIES).
// A duplicate counts as accepted.
//
// Publisher adds the retry policy: a refused or broken connection (and an HTTP 502, 503 or
// 504: a proxy's upstream or ssed's Redis is down) is retried with capped exponential backoff
// (base/backoff.hpp: doubling from `initial` to `max`, each wait up to 25 % longer by jitter)
// until `retry_for` has passed without progress, or only `unreached_for` while the destination
// has never answered; a 503's Retry-After replaces the backoff's wait. Anything else (400,
// 401/403, 413 on one event, and an answer that is not ssed's: another status, or no ssed JSON
// in the body, such as a web server's HTML page) is final at once.
// Not thread-safe.
#pragma once

#include <csignal>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/backoff.hpp"
#include "sse/publish.hpp"
#include "ssekit/log.hpp"
#include "ssekit/redis_options.hpp"
#include "ssekit/retry_policy.hpp"
#include "redis/url.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

class Sink {
public:
    virtual ~Sink() = default;
    // Delivers `events` in order. `accepted` = how many leading events are known accepted.
    // Status: ok (all accepted), unavailable (connection trouble: the rest may be retried),
    // anything else final (invalid_argument 400, permission 401/403, too_large 413, protocol).
    virtual Status send(std::span<const PublishRequest> events, std::size_t &accepted) = 0;
    // "http://127.0.0.1:8080" or "redis://127.0.0.1:6379/0", for messages.
    virtual std::string describe() const = 0;
    // Whether the destination ever answered (an HTTP reply, a Redis connection); until then a
    // refused connection may mean that nothing runs there (RetryPolicy::unreached_for).
    virtual bool reached() const { return true; }
    // The wait the last refusal asked for (an HTTP 503's Retry-After), if it named one.
    virtual std::optional<std::chrono::milliseconds> retry_after() const { return std::nullopt; }
};

struct HttpSinkOptions {
    std::string server;  // base URL (cli.hpp's server_url); /events/{topic} is appended
    std::string token;                             // Authorization: Bearer, when not empty
    std::size_t max_batch_events = 1000;
    std::size_t max_batch_bytes = 1 << 20;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{60000};
};
std::unique_ptr<Sink> make_http_sink(HttpSinkOptions opts, Logger log);

// The idempotency keys sse-pub gives events that have none: "<run>-<n>", run being 7 characters
// of [0-9A-Za-z] drawn at random once per process (41 bits), n counting from 1. So a key is new
// by construction: no other process, and no earlier run, sends it (what lets the Redis sink
// mark whole batches); and keys of consecutive events count up (one header for a batch).
class KeyMinter {
public:
    KeyMinter();  // draws the run id
    std::string next();
    const std::string &prefix() const { return prefix_; }  // "<run>-": what every minted key starts with

private:
    std::string prefix_;
    std::uint64_t n_ = 0;
};

struct RedisSinkOptions {
    RedisEndpoint endpoint;
    std::string prefix{kDefaultChannelPrefix};
    // Keys that start with this were minted by this process (KeyMinter::prefix); "" = none.
    std::string minted_key_prefix;
    std::size_t max_batch_events = 1000;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds io_timeout{30000};
    bool streams = false;             // redis_stream.hpp: XADD + PUBLISH script; ids from Redis
    // MAXLEN ~ cap per topic stream, and how many keys per topic Redis remembers at least
    // (redis/idempotency.hpp), as ssed's --history.
    std::size_t stream_maxlen = kDefaultStreamMaxlen;
};
std::unique_ptr<Sink> make_redis_sink(RedisSinkOptions opts, Logger log);


class Publisher {
public:
    // `stop` (optional, set by a SIGINT/SIGTERM handler) cuts a retry wait short: publish()
    // then fails with what it could not send.
    Publisher(std::unique_ptr<Sink> sink, RetryPolicy policy, Logger log,
              const volatile std::sig_atomic_t *stop = nullptr);

    // Publishes all of `events` in order, retrying per the policy. On error, published()
    // tells how many events (over all calls) made it.
    Status publish(std::span<const PublishRequest> events);

    std::uint64_t published() const { return published_; }
    const Sink &sink() const { return *sink_; }

private:
    std::unique_ptr<Sink> sink_;
    RetryPolicy policy_;
    Backoff backoff_;
    Logger log_;
    std::uint64_t published_ = 0;
    const volatile std::sig_atomic_t *stop_;
};

}  // namespace ssekit
