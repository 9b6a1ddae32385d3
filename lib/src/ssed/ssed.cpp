#include "ssekit/ssed.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <thread>
#include <utility>

#include "base/duration.hpp"
#include "hub/hub.hpp"
#include "redis/url.hpp"
#include "ssed/http_api.hpp"
#include "ssed/http_server.hpp"
#include "ssed/redis_bridge.hpp"
#include "ssekit/cli.hpp"

namespace ssekit {

Logger::Level SsedOptions::log_level() const {
    if (debug || verbose >= 2) return Logger::Level::debug;
    if (quiet) return Logger::Level::quiet;
    return Logger::Level::info;
}

void bind_ssed_options(CLI::App &app, SsedOptions &o) {
    set_help(app, "ssed",
             "ssed: a Server-Sent Events hub. Subscribers GET /events/{topic}, publishers POST "
             "/events/{topic}.",
             "Every option can also be set through the environment variable shown (Env:...); the "
             "command line wins.",
             {"ssed -l 127.0.0.1:8080", "ssed -l '[::1]:0' --history 5000 --publish-token s3cret",
              "ssed --redis redis://127.0.0.1:6379 --redis-mode streams", "SSED_LISTEN=:9000 ssed -q"},
             "See ssed(1).");

    auto sizes = CLI::AsSizeValue(false);  // 64k, 1M, 16MiB: factors of 1024

    auto *net = app.add_option_group("Network");
    net->add_option("-l,--listen", o.listen, "Address to listen on: HOST:PORT or [V6ADDR]:PORT; port 0 picks a free one")
        ->envname("SSED_LISTEN")
        ->capture_default_str()
        ->check([](const std::string &v) {
            std::string host;
            int port = 0;
            auto s = parse_listen(v, host, port);
            return s ? std::string() : s.message();
        });
    net->add_option("--threads", o.threads, "With --redis: threads that wait on Redis for requests")
        ->envname("SSED_THREADS")
        ->capture_default_str()
        ->check(CLI::Range(2, 1024));
    net->add_option("--cors-origin", o.api.cors_origins, "Allow this browser Origin (repeatable; * = any)")
        ->envname("SSED_CORS_ORIGIN")
        ->delimiter(',');
    net->add_option("--allowed-host", o.api.allowed_hosts,
                    "Answer only requests whose Host header names HOST (repeatable; default: any); others get 421")
        ->envname("SSED_ALLOWED_HOST")
        ->delimiter(',')
        ->type_name("HOST")
        ->check([](const std::string &v) {
            return parse_host(v, false) ? std::string()
                                        : "\"" + v + "\" is not a host name or address without a port";
        });

    auto *bus = app.add_option_group("Redis");
    bus->add_option("--redis", o.redis,
                    "Fan out through Redis pub/sub at URL (redis://[user:pass@]host[:port][/db] or "
                    "unix:///path); every ssed on the same Redis and prefix shares the events")
        ->envname("SSED_REDIS");
    bus->add_option("--redis-prefix", o.redis_prefix, "Redis channel prefix (channel = PREFIX + TOPIC)")
        ->envname("SSED_REDIS_PREFIX")
        ->capture_default_str();

    takes_names(bus->add_option("--redis-mode", o.redis_mode,
                                "pubsub: Redis only relays events; streams: each topic is also a capped Redis "
                                "Stream (--history entries), ids are stream ids, and a resume reads from Redis")
                    ->envname("SSED_REDIS_MODE"),
                redis_mode_names(), o.redis_mode);

    auto *auth = app.add_option_group("Access");
    auth->add_option("--publish-token", o.api.publish_token, "Bearer token required to publish")
        ->envname("SSED_PUBLISH_TOKEN");
    auth->add_option("--subscribe-token", o.api.subscribe_token, "Bearer token required to subscribe and list topics")
        ->envname("SSED_SUBSCRIBE_TOKEN");

    auto *lim = app.add_option_group("Limits");
    lim->add_option("--history", o.limits.history, "Events kept per topic for Last-Event-ID resume")
        ->envname("SSED_HISTORY")
        ->capture_default_str();
    lim->add_option("--max-topics", o.limits.max_topics, "Topics that may exist at once (503 past it)")
        ->envname("SSED_MAX_TOPICS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
    lim->add_option("--max-subscribers", o.limits.max_subscribers, "Subscriber connections at once (503 past it)")
        ->envname("SSED_MAX_SUBSCRIBERS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
    lim->add_option("--max-backlog", o.limits.max_backlog_bytes, "Unsent bytes before a slow subscriber is dropped")
        ->envname("SSED_MAX_BACKLOG")
        ->capture_default_str()
        ->transform(sizes);
    lim->add_option("--max-body", o.api.max_body, "Largest POST body for one event (413 past it)")
        ->envname("SSED_MAX_BODY")
        ->capture_default_str()
        ->transform(sizes);
    lim->add_option("--max-batch-body", o.api.max_batch_body, "Largest application/x-ndjson batch body (413 past it)")
        ->envname("SSED_MAX_BATCH_BODY")
        ->capture_default_str()
        ->transform(sizes);

    lim->add_option("--max-subscribe-topics", o.api.max_subscribe_topics, "Topics one subscription may name (400 past it)")
        ->envname("SSED_MAX_SUBSCRIBE_TOPICS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
    add_seconds_option(*lim, "--topic-ttl", o.limits.topic_ttl,
                       "Seconds after its last event an unwatched topic may be reclaimed")
        ->envname("SSED_TOPIC_TTL")
        ->check(CLI::Range(0.0, 31536000.0));
    lim->add_option("--max-batch-events", o.api.max_batch_events, "Events in one NDJSON batch (413 past it)")
        ->envname("SSED_MAX_BATCH_EVENTS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, o.limits.max_inbox));

    // The front door: what a connection may do before it is a stream (ssed/front_door.hpp).
    auto *door = app.add_option_group("Connections");
    door->add_option("--max-head", o.door.max_head, "Largest request line + headers (431 past it)")
        ->envname("SSED_MAX_HEAD")
        ->capture_default_str()
        ->transform(sizes)
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 24));
    door->add_option("--max-headers", o.door.max_headers, "Header lines in one request (431 past it)")
        ->envname("SSED_MAX_HEADERS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{8}, std::size_t{10000}));
    add_seconds_option(*door, "--head-timeout", o.door.head_timeout,
                       "Seconds a request's head may take from its first byte (408 past it)")
        ->envname("SSED_HEAD_TIMEOUT")
        ->check(CLI::Range(0.1, 3600.0));
    add_seconds_option(*door, "--body-timeout", o.door.body_timeout,
                       "Seconds of grace for a body, then --min-body-rate counts (408)")
        ->envname("SSED_BODY_TIMEOUT")
        ->check(CLI::Range(0.1, 3600.0));
    door->add_option("--min-body-rate", o.door.min_body_rate, "Bytes per second a long body must keep up")
        ->envname("SSED_MIN_BODY_RATE")
        ->capture_default_str()
        ->transform(sizes)
        ->check(CLI::PositiveNumber);
    add_seconds_option(*door, "--idle-timeout", o.door.idle_timeout,
                       "Seconds an idle keep-alive connection is kept")
        ->envname("SSED_IDLE_TIMEOUT")
        ->check(CLI::Range(0.1, 86400.0));
    add_seconds_option(*door, "--write-timeout", o.door.write_timeout,
                       "Seconds an answer may go unread before the connection is closed")
        ->envname("SSED_WRITE_TIMEOUT")
        ->check(CLI::Range(0.1, 3600.0));
    door->add_option("--max-connections", o.door.max_connections,
                     "Connections that are not streams at once (more wait in the backlog)")
        ->envname("SSED_MAX_CONNECTIONS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
    door->add_flag("--reuse-port", o.door.reuse_port, "Set SO_REUSEPORT: several ssed may share the port")
        ->envname("SSED_REUSE_PORT");
    door->add_option("--loops", o.door.loops,
                     "Event loops (threads), each owning the connections it accepts and their streams; "
                     "raise to the cores ssed has to itself")
        ->envname("SSED_LOOPS")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{64}));

    auto *str = app.add_option_group("Streams");
    add_seconds_option(*str, "--heartbeat", o.limits.heartbeat,
                       "Seconds between comment heartbeats on idle streams; 0 = off")
        ->envname("SSED_HEARTBEAT")
        ->check(CLI::Range(0.0, 86400.0));
    add_seconds_option(*str, "--peer-timeout", o.limits.peer_timeout,
                       "Seconds a subscriber may leave data or a keep-alive probe unacknowledged before it "
                       "is closed (a peer gone without a FIN); 0 = the kernel's limit")
        ->envname("SSED_PEER_TIMEOUT")
        ->check(CLI::Range(0.0, 86400.0));
    str->add_option("--retry", o.api.retry_ms, "Reconnection delay (ms) sent as retry: to every subscriber")
        ->envname("SSED_RETRY")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{86400000}));
    str->add_option("--drain-timeout", o.drain_timeout, "Seconds allowed for the drain on SIGTERM/SIGINT")
        ->envname("SSED_DRAIN_TIMEOUT")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));

    auto *q = app.add_flag("-q,--quiet", o.quiet, "Log errors only")->envname("SSED_QUIET");
    auto *v = app.add_flag("-v,--verbose", o.verbose, "Also log one line per HTTP request; -vv: debugging detail too")
                  ->envname("SSED_VERBOSE");
    auto *d = app.add_flag("-d,--debug", o.debug, "Same as -vv")->envname("SSED_DEBUG");
    q->excludes(v)->excludes(d);
}

Status check_ssed_options(const SsedOptions &o) {
    if (o.redis_mode == RedisMode::streams && o.redis.empty())
        return Status::invalid_argument("--redis-mode streams needs --redis URL");
    if (!o.redis.empty()) {
        RedisEndpoint endpoint;
        if (auto s = parse_redis_url(o.redis, endpoint); !s) return s;
    }
    return Status::ok();
}

Status parse_listen(std::string_view text, std::string &host, int &port) {
    auto bad = [&](std::string_view why) {
        return Status::invalid_argument("bad listen address \"" + std::string(text) + "\": " +
                                        std::string(why));
    };
    std::string_view h, p;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos) return bad("missing ]");
        h = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':') return bad("expected [V6ADDR]:PORT");
        p = text.substr(close + 2);
        if (h.empty()) return bad("empty address");
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return bad("expected HOST:PORT");
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
        if (h.find(':') != std::string_view::npos) return bad("put an IPv6 address in brackets: [::1]:8080");
    }
    int value = -1;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value < 0 || value > 65535)
        return bad("port must be 0 to 65535");
    host = h.empty() ? "0.0.0.0" : std::string(h);
    port = value;
    return Status::ok();
}

namespace {

// Each subscriber is a descriptor: take all the kernel allows. Returns the new soft limit.
rlim_t raise_nofile_limit(const Logger &log) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit want = rl;
        want.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &want) == 0) return want.rlim_cur;
        log.warn(std::string("cannot raise the descriptor limit: ") + std::strerror(errno));
    }
    return rl.rlim_cur;
}

std::string joined_hosts(const std::vector<std::string> &hosts) {
    std::string out;
    for (const auto &h : hosts) out.append(out.empty() ? "" : ",").append(h);
    return out;
}

std::string url_host(const std::string &host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// Stops the server and joins its thread on every way out of run_ssed.
class Listener {
public:
    explicit Listener(HttpServer &s) : server_(s), thread_([this] {
        server_.serve();
        done_ = true;
    }) {}
    ~Listener() { stop(); }
    bool done() const { return done_.load(); }
    void stop() {
        if (!thread_.joinable()) return;
        server_.shutdown();
        thread_.join();
    }

private:
    HttpServer &server_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace

Exit run_ssed(const SsedOptions &o, const Logger &log, const std::atomic<bool> &stop,
              std::ostream &out) {
    std::string host;
    int port = 0;
    Status checked = check_ssed_options(o);
    if (checked) checked = parse_listen(o.listen, host, port);
    if (!checked) {
        log.error(checked.message());
        return Exit::usage;
    }
    rlim_t fd_limit = raise_nofile_limit(log);
    // Past the descriptor limit accept() fails and clients hang; a 503 is better, so keep
    // --max-subscribers below it, with room for the pool's and the publishers' connections.
    HubLimits limits = o.limits;
    std::size_t &max_subscribers = limits.max_subscribers;
    bool capped = false;
    if (fd_limit != RLIM_INFINITY) {
        std::size_t reserve = 2 * o.threads + 64;
        std::size_t cap = fd_limit > reserve + 1 ? static_cast<std::size_t>(fd_limit) - reserve : 1;
        if (max_subscribers > cap) {
            max_subscribers = cap;
            capped = true;
        }
    }

    const bool streams = o.redis_mode == RedisMode::streams;
    limits.stream_ids = streams;
    // One streamer per loop, each driven by its loop: a connection is one thread's from
    // accept to close, its stream included.
    const std::size_t loops = std::max<std::size_t>(1, o.door.loops);
    Hub hub(limits, log, StreamLoops{loops, true});

    // ssed --redis: publishes go through Redis and come back to every instance's Hub. The
    // bridge is declared after the Hub (it feeds it) and before the server (whose handlers
    // call it), so it is destroyed in between.
    std::optional<RedisBridge> redis;
    std::string bus_name = "memory";
    if (!o.redis.empty()) {
        RedisBridgeOptions ro;
        if (auto s = parse_redis_url(o.redis, ro.endpoint); !s) {  // check_ssed_options passed it
            log.error(s.message());
            return Exit::usage;
        }
        ro.prefix = o.redis_prefix;
        ro.mode = o.redis_mode;
        ro.history = std::max<std::size_t>(limits.history, 1);
        redis.emplace(hub, ro, log);
        if (auto s = redis->start(); !s) {
            log.error(s.message());  // names the endpoint already
            return exit_for(s);
        }
        bus_name = "redis " + ro.endpoint.display() + ", channels " + o.redis_prefix + "<topic>" +
              (streams ? ", streams mode" : "");
    }

    // The front door handles requests on its own thread when the bus never blocks (a publish
    // into the Hub is O(1)); with Redis, a publish waits for Redis, so --threads workers do.
    DoorLimits door = o.door;
    door.workers = redis ? o.threads : 0;
    std::vector<Streamer *> loop_streams;
    for (std::size_t k = 0; k < loops; ++k) loop_streams.push_back(&hub.streamer(k));
    HttpServer server(
        door, [&hub](std::uint64_t ticket, int fd) { hub.adopt(ticket, fd); },
        [&hub](std::uint64_t ticket) { hub.cancel(ticket); }, log, std::move(loop_streams));
    ApiOptions api = o.api;
    api.access_log = o.verbose >= 1 || o.debug;  // -v, -vv, -d
    // The one place that knows which bus is in use; the API only sees a Bus.
    Bus &bus = redis ? static_cast<Bus &>(*redis) : hub;
    install_http_api(server, bus, api, log);

    int bound = 0;
    if (auto s = server.bind(host, port, bound); !s) {
        log.error(s.message());
        return Exit::os;
    }
    Listener listener(server);
    std::string url = "http://" + url_host(host) + ":" + std::to_string(bound);
    out << url << '\n' << std::flush;
    log.info("ready on " + url + " (bus: " + bus_name + "; history " + std::to_string(limits.history) +
             " per topic; max " + std::to_string(limits.max_topics) + " topics, " +
             std::to_string(max_subscribers) + " subscribers" +
             (capped ? " (capped by the descriptor limit)" : "") + "; backlog " +
             std::to_string(limits.max_backlog_bytes) + " B; body " + std::to_string(api.max_body) + " B, batch " +
             std::to_string(api.max_batch_body) + " B; heartbeat " +
             (limits.heartbeat.count() > 0 ? format_duration(limits.heartbeat) : std::string("off")) + "; " +
             std::to_string(o.threads) + " threads; descriptor limit " +
             (fd_limit == RLIM_INFINITY ? std::string("unlimited") : std::to_string(fd_limit)) +
             (api.allowed_hosts.empty() ? "" : "; allowed hosts " + joined_hosts(api.allowed_hosts)) +
             (api.publish_token.empty() ? "" : "; publish token required") +
             (api.subscribe_token.empty() ? "" : "; subscribe token required") + ")");

    while (!stop.load() && !listener.done())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Exit rc = Exit::ok;
    if (!stop.load()) {
        log.error("the listening socket failed; stopping");
        rc = Exit::os;
    }

    auto begin = std::chrono::steady_clock::now();
    std::size_t subscribers = hub.stats().subscribers;
    log.info("draining " + std::to_string(subscribers) + " subscriber" +
             (subscribers == 1 ? "" : "s"));
    listener.stop();  // no new requests; requests in progress finish (and hand over)
    auto budget = std::chrono::milliseconds(static_cast<long long>(o.drain_timeout * 1000));
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - begin);
    auto left = std::max(budget - spent, std::chrono::milliseconds(100));
    // Spread reconnections over [retry, retry + max(retry, 1 s)]: a restart is no thundering herd.
    auto base = std::chrono::milliseconds(api.retry_ms);
    hub.drain(base, std::max(base, std::chrono::milliseconds(1000)), left);
    HubStats st = hub.stats();
    log.info("stopped after " + std::to_string(st.published) + " events published, " +
             std::to_string(st.delivered) + " delivered");
    return rc;
}

}  // namespace ssekit
