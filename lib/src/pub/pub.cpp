#include "ssekit/pub.hpp"

#include <cstdlib>
#include <vector>

#include "base/base64.hpp"
#include "base/duration.hpp"
#include "ssekit/cli.hpp"
#include "pub/pub_input.hpp"
#include "pub/publisher.hpp"
#include "redis/envelope.hpp"
#include "redis/stream.hpp"
#include "redis/url.hpp"

namespace ssekit {

Logger::Level PubOptions::log_level() const {
    if (quiet) return Logger::Level::quiet;
    if (verbose >= 2) return Logger::Level::debug;
    if (verbose == 1) return Logger::Level::info;
    return Logger::Level::warn;
}

void bind_pub_options(CLI::App &app, PubOptions &o) {
    set_help(app, "sse-pub", "sse-pub: publish Server-Sent Events to ssed over HTTP, or into Redis", "",
             {"sse-pub news 'hello world'", "tail -F app.log | sse-pub logs", "sse-pub --json prices < events.ndjson",
              "sse-pub --redis redis://127.0.0.1:6379 news hi"},
             "See sse-pub(1) for the envelope, ids and more examples.");
    app.add_option("TOPIC", o.topic, "Topic to publish to ([A-Za-z0-9_.:@~-], 1 to 128 characters)")->required();
    app.add_option("DATA", o.data, "Data of the one event to publish; without it, events are read from standard input");

    auto *to = app.add_option_group("Server");
    auto *server = add_server_option(*to, o.server, o.env_server, "to publish to");
    add_token_option(*to, o.token, "for ssed's --publish-token");
    auto *retry_for = add_seconds_option(*to, "--retry-for", o.retry_policy.retry_for,
                                         "Keep retrying a refused or broken connection for SECONDS (0 = no retry); "
                                         "one DATA event waits only " +
                                             seconds_number(kOneShotUnreachedFor) + " s for a server that is not there");
    app.callback([&o, retry_for] { o.retry_for_set = retry_for->count() > 0; });

    auto *bus = app.add_option_group("Redis");
    auto *redis = bus->add_option("--redis", o.redis,
                                  "Publish into Redis at URL (redis://[user:pass@]host[:port][/db] or unix:///path)")
                       ->type_name("URL");
    server->excludes(redis);
    auto *prefix = bus->add_option("--redis-prefix", o.redis_prefix, "Redis channel prefix (channel = PREFIX + TOPIC)")
                       ->type_name("PREFIX")
                       ->capture_default_str();
    add_deprecated_alias(app, "--prefix", prefix, o.warnings);
    takes_names(bus->add_option("--redis-mode", o.redis_mode,
                                "pubsub: PUBLISH only; streams: also append to the topic's capped Redis Stream "
                                "(ids are stream ids), for ssed --redis-mode streams"),
                redis_mode_names(), o.redis_mode);
    bus->add_option("--stream-maxlen", o.stream_maxlen, "Streams mode: keep about N entries per topic (MAXLEN ~ N)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40))
        ->capture_default_str();

    auto *fields = app.add_option_group("Event fields");
    fields->add_option("-e,--event", o.event, "Event type (the `event:` field) of events that have none");
    fields->add_option("-i,--id", o.id, "Id of the single event (DATA or -s); otherwise ids are minted");
    fields->add_option("-k,--key", o.key,
                       "Idempotency key of the single event (DATA or -s): a destination that remembers it "
                       "does not publish the event again; otherwise each event gets a key of this run")
        ->type_name("KEY");
    auto *reconnect = fields->add_option("--reconnect-ms", o.reconnect_ms,
                                         "Ask subscribers to wait MS before reconnecting (the `retry:` field)")
                          ->type_name("MS");
    add_deprecated_alias(app, "--retry", reconnect, o.warnings);

    auto *input = app.add_option_group("Standard input");
    auto *whole = input->add_flag("-s,--stdin-file", o.whole, "Read standard input whole as one (multi-line) event");
    auto *json =
        input->add_flag("--json", o.json, "Read one JSON object a line: {\"data\",\"event\",\"id\",\"retry\",\"topic\"}");
    whole->excludes(json);
    input->add_flag("--base64", o.base64, "Send the data base64-encoded (binary; with -s every byte kept)")
        ->excludes(json);
    auto *quiet = app.add_flag("-q,--quiet", o.quiet, "Print errors only");
    auto *verbose = app.add_flag("-v,--verbose", o.verbose, "Say what was published; -vv: debugging detail too");
    quiet->excludes(verbose);
}

Status check_pub_options(const PubOptions &o) {
    auto usage = [](const std::string &why) { return Status::invalid_argument(why); };
    const bool streams = o.redis_mode == RedisMode::streams;
    if (o.data && (o.whole || o.json)) return usage("DATA cannot be combined with -s or --json");
    if (streams && o.redis.empty()) return usage("--redis-mode streams needs --redis URL");
    if (streams && !o.id.empty()) return usage("--id cannot be used with --redis-mode streams: Redis assigns the ids");
    if (!o.id.empty() && !o.data && !o.whole)
        return usage("--id names a single event: give DATA or -s (in line and --json mode each event has its own id)");
    if (!o.key.empty() && !o.data && !o.whole)
        return usage("--key names a single event: give DATA or -s (in line mode each event gets its own key; "
                     "--json lines may carry \"key\")");
    if (!o.redis.empty()) {
        RedisEndpoint endpoint;
        return parse_redis_url(o.redis, endpoint);
    }
    return check_server_url(server_url(o.server, o.env_server));
}

namespace {

// Fills in what the command line supplies, checks what the event carries, and gives it what
// it still lacks: an id (Redis, pubsub mode), a key, data in valid UTF-8 (sse/publish.hpp).
Status prepare(PublishRequest &r, const PubOptions &o, bool redis, IdMinter &ids, KeyMinter &keys) {
    const bool streams = o.redis_mode == RedisMode::streams;
    if (r.topic.empty()) r.topic = o.topic;
    if (r.type.empty()) r.type = o.event;
    if (!r.retry) r.retry = o.reconnect_ms;
    if (auto st = check_publish(r); !st) return st;
    if (streams) {
        if (auto st = check_stream_request(r); !st) return st;  // Redis assigns the id
    } else if (redis && r.id.empty()) {
        r.id = ids.next();
    }
    if (r.key.empty()) r.key = keys.next();
    make_data_valid_utf8(r);
    return Status::ok();
}

}  // namespace

Exit run_pub(const PubOptions &o, int input_fd, const Logger &log, const volatile std::sig_atomic_t &stop) {
    for (const std::string &w : o.warnings) log.warn(w);
    if (auto st = check_pub_options(o); !st) {
        log.error(st.message());
        return Exit::usage;
    }
    // Everything the command line says is checked before anything is sent.
    PublishRequest probe;
    probe.id = o.id;
    probe.key = o.key;
    IdMinter minter;
    KeyMinter keys;
    bool redis = !o.redis.empty();
    if (auto st = prepare(probe, o, false, minter, keys); !st) {
        log.error(st.message());
        return Exit::data;
    }

    std::unique_ptr<Sink> sink;
    if (redis) {
        RedisSinkOptions ro;
        if (auto st = parse_redis_url(o.redis, ro.endpoint); !st) {
            log.error(st.message());
            return Exit::usage;
        }
        ro.prefix = o.redis_prefix;
        ro.minted_key_prefix = keys.prefix();
        ro.streams = o.redis_mode == RedisMode::streams;
        ro.stream_maxlen = o.stream_maxlen;
        sink = make_redis_sink(std::move(ro), log);
    } else {
        HttpSinkOptions ho;
        ho.server = server_url(o.server, o.env_server);
        ho.token = o.token;
        sink = make_http_sink(std::move(ho), log);
    }
    // One event from a shell: a server that is not there is most likely a wrong URL or an ssed
    // not started, not an outage to wait out (sse-pub(1), "fail fast").
    RetryPolicy policy = o.retry_policy;
    if (o.data && !o.retry_for_set) policy.unreached_for = kOneShotUnreachedFor;
    Publisher pub(std::move(sink), policy, log, &stop);
    std::string where = pub.sink().describe();

    // The events read that sse-pub set out to publish: what "published N of M" counts N against.
    // A refused line, and anything read after it, is not among them.
    std::uint64_t offered = 0;
    auto counts = [&] {
        if (o.data) return "published " + std::to_string(pub.published()) + " of 1 event";
        return "published " + std::to_string(pub.published()) + " of " + std::to_string(offered) + " events read";
    };
    auto fail = [&](const Status &st) {
        const bool nothing_there = !redis && st.code() == Status::Code::unavailable && !pub.sink().reached();
        log.error(st.message() + "; " + counts() +
                  (nothing_there ? "; is ssed running at " + where + "? (set --server or SSE_SERVER)" : ""));
        return exit_for(st);
    };

    if (o.data) {
        std::vector<PublishRequest> one(1);
        one[0].data = o.base64 ? base64_encode(*o.data) : *o.data;
        one[0].id = o.id;
        one[0].key = o.key;
        if (auto st = prepare(one[0], o, redis, minter, keys); !st) {
            log.error(st.message());
            return Exit::data;
        }
        if (auto st = pub.publish(one); !st) return fail(st);
        log.info("published 1 event to " + where + (one[0].id.empty() ? "" : " with id " + one[0].id));
        return Exit::ok;
    }

    InputMode mode = o.whole  ? (o.base64 ? InputMode::bytes : InputMode::whole)
                     : o.json ? InputMode::json
                              : InputMode::lines;
    InputReader reader(input_fd, mode, {}, &stop);
    std::vector<InputEvent> batch;
    std::vector<PublishRequest> reqs;
    for (;;) {
        Status rst = reader.next_batch(batch);
        if (!rst) {
            if (rst.code() == Status::Code::io) {
                log.error(rst.message() + "; " + counts());
                return Exit::no_input;
            }
            return fail(rst);
        }
        if (batch.empty()) break;
        reqs.clear();
        Status bad;
        for (auto &ev : batch) {
            if (mode == InputMode::whole || mode == InputMode::bytes) {
                ev.req.id = o.id;
                ev.req.key = o.key;
            }
            if (o.base64) ev.req.data = base64_encode(ev.req.data);
            if (auto st = prepare(ev.req, o, redis, minter, keys); !st) {
                bad = ev.line ? Status::invalid_argument("line " + std::to_string(ev.line) + ": " + st.message()) : st;
                break;
            }
            reqs.push_back(std::move(ev.req));
        }
        offered += reqs.size();
        // Events before a refused one still go out, so "published N" means the first N.
        if (auto st = pub.publish(reqs); !st) return fail(st);
        if (!bad.is_ok()) return fail(bad);
    }
    log.info(std::string(reader.interrupted() ? "interrupted; " : "") + "published " +
             std::to_string(pub.published()) + " events to " + where);
    return Exit::ok;
}

}  // namespace ssekit
