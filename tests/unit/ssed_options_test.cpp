// ssed's command line: an args vector (and SSED_* variables) in, SsedOptions or the Exit out,
// no process spawned.
#include "ssekit/ssed.hpp"

#include <gtest/gtest.h>

#include "parse_args_harness.hpp"

using ssekit::Exit;
using ssekit::RedisMode;
using ssekit::SsedOptions;
using test_support::joined;
using test_support::ScopedEnv;

namespace {

test_support::Parsed<SsedOptions> parse(std::vector<std::string> args) {
    return test_support::parse_with<SsedOptions>("ssed", ssekit::bind_ssed_options, ssekit::check_ssed_options,
                                                 std::move(args));
}

}  // namespace

TEST(SsedOptions, DefaultsAreTheLibrarysOwn) {
    auto p = parse({});
    ASSERT_FALSE(p.exit) << p.err;
    const SsedOptions &o = p.opts;
    const ssekit::HubLimits hub;
    const ssekit::ApiOptions api;
    EXPECT_EQ(o.listen, "127.0.0.1:8080");
    EXPECT_EQ(o.threads, 16u);
    EXPECT_EQ(o.limits.history, hub.history);
    EXPECT_EQ(o.limits.max_topics, hub.max_topics);
    EXPECT_EQ(o.limits.max_subscribers, hub.max_subscribers);
    EXPECT_EQ(o.limits.max_backlog_bytes, hub.max_backlog_bytes);
    EXPECT_EQ(o.limits.heartbeat, hub.heartbeat);
    EXPECT_EQ(o.limits.peer_timeout, hub.peer_timeout);
    EXPECT_EQ(hub.peer_timeout, std::chrono::seconds(60));  // the documented default
    EXPECT_EQ(o.api.max_body, api.max_body);
    EXPECT_EQ(o.api.max_batch_body, api.max_batch_body);
    EXPECT_EQ(o.api.retry_ms, api.retry_ms);
    EXPECT_TRUE(o.api.cors_origins.empty());
    EXPECT_TRUE(o.api.allowed_hosts.empty());  // any Host
    EXPECT_TRUE(o.api.publish_token.empty() && o.api.subscribe_token.empty());
    EXPECT_EQ(o.verbose, 0);
    EXPECT_TRUE(o.redis.empty());
    EXPECT_EQ(o.redis_prefix, ssekit::kDefaultChannelPrefix);
    EXPECT_EQ(o.redis_mode, RedisMode::pubsub);
    EXPECT_DOUBLE_EQ(o.drain_timeout, 5.0);
    EXPECT_EQ(o.log_level(), ssekit::Logger::Level::info);
}

TEST(SsedOptions, EveryOptionLandsInTheStruct) {
    auto p = parse({"-l", "[::1]:0", "--threads", "4", "--cors-origin", "http://a,http://b", "--allowed-host",
                    "localhost,[::1]", "--allowed-host", "hub.example", "--redis",
                    "redis://127.0.0.1:6379/2", "--redis-prefix", "x:", "--redis-mode", "streams", "--publish-token",
                    "pt", "--subscribe-token", "st", "--history", "7", "--max-topics", "8", "--max-subscribers", "9",
                    "--max-backlog", "64k", "--max-body", "2M", "--max-batch-body", "3M", "--heartbeat", "2.5",
                    "--peer-timeout", "4.5", "--retry", "500", "--drain-timeout", "1.5", "-v", "-d"});
    ASSERT_FALSE(p.exit) << p.err;
    const SsedOptions &o = p.opts;
    EXPECT_EQ(o.listen, "[::1]:0");
    EXPECT_EQ(o.threads, 4u);
    EXPECT_EQ(o.api.cors_origins, (std::vector<std::string>{"http://a", "http://b"}));
    EXPECT_EQ(o.api.allowed_hosts, (std::vector<std::string>{"localhost", "[::1]", "hub.example"}));
    EXPECT_EQ(o.redis, "redis://127.0.0.1:6379/2");
    EXPECT_EQ(o.redis_prefix, "x:");
    EXPECT_EQ(o.redis_mode, RedisMode::streams);
    EXPECT_EQ(o.api.publish_token, "pt");
    EXPECT_EQ(o.api.subscribe_token, "st");
    EXPECT_EQ(o.limits.history, 7u);
    EXPECT_EQ(o.limits.max_topics, 8u);
    EXPECT_EQ(o.limits.max_subscribers, 9u);
    EXPECT_EQ(o.limits.max_backlog_bytes, 64u << 10);
    EXPECT_EQ(o.api.max_body, 2u << 20);
    EXPECT_EQ(o.api.max_batch_body, 3u << 20);
    EXPECT_EQ(o.limits.heartbeat, std::chrono::milliseconds(2500));
    EXPECT_EQ(o.limits.peer_timeout, std::chrono::milliseconds(4500));
    EXPECT_EQ(o.api.retry_ms, 500u);
    EXPECT_DOUBLE_EQ(o.drain_timeout, 1.5);
    EXPECT_EQ(o.verbose, 1);
    EXPECT_TRUE(o.debug);
    EXPECT_EQ(o.log_level(), ssekit::Logger::Level::debug);
}

TEST(SsedOptions, VerbosityIsQuietInfoOrDebugAsInEveryTool) {
    EXPECT_EQ(parse({"-v"}).opts.log_level(), ssekit::Logger::Level::info);  // info and the access log
    EXPECT_EQ(parse({"-vv"}).opts.log_level(), ssekit::Logger::Level::debug);
    EXPECT_EQ(parse({"-d"}).opts.log_level(), ssekit::Logger::Level::debug);  // -d is -vv, kept
    ScopedEnv verbose("SSED_VERBOSE", "2");
    EXPECT_EQ(parse({}).opts.log_level(), ssekit::Logger::Level::debug);
}

TEST(SsedOptions, QuietKeepsErrorsOnly) {
    auto p = parse({"-q"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(p.opts.log_level(), ssekit::Logger::Level::quiet);
}

TEST(SsedOptions, EnvironmentVariablesSetOptionsAndTheCommandLineWins) {
    ScopedEnv listen("SSED_LISTEN", "127.0.0.1:0"), history("SSED_HISTORY", "5"), mode("SSED_REDIS_MODE", "streams"),
        redis("SSED_REDIS", "redis://127.0.0.1:1"), peer("SSED_PEER_TIMEOUT", "7");
    auto p = parse({"--history", "6"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(p.opts.listen, "127.0.0.1:0");
    EXPECT_EQ(p.opts.limits.peer_timeout, std::chrono::seconds(7));
    EXPECT_EQ(p.opts.limits.history, 6u);
    EXPECT_EQ(p.opts.redis_mode, RedisMode::streams);
}

TEST(SsedOptions, HelpAndVersionExitZeroAndPrintToOut) {
    auto help = parse({"--help"});
    EXPECT_EQ(help.exit, Exit::ok);
    EXPECT_NE(help.out.find("Usage: ssed"), std::string::npos);
    EXPECT_NE(help.out.find("pubsub|streams"), std::string::npos);
    EXPECT_NE(help.out.find("See ssed(1)."), std::string::npos);
    EXPECT_EQ(help.err, "");

    auto version = parse({"--version"});
    EXPECT_EQ(version.exit, Exit::ok);
    EXPECT_EQ(version.out, std::string("ssed ") + SSEKIT_VERSION + "\n");
}

TEST(SsedOptions, UsageErrorsExit64WithOneLine) {
    const std::vector<std::vector<std::string>> bad = {
        {"--bogus"},
        {"extra"},
        {"--listen", "nowhere"},
        {"--listen", "127.0.0.1:70000"},
        {"--listen", "::1:80"},                  // IPv6 needs brackets
        {"--threads", "0"},
        {"--history", "lots"},
        {"--max-body", "big"},
        {"--heartbeat", "-1"},
        {"--peer-timeout", "-1"},
        {"--peer-timeout", "soon"},
        {"--peer-timeout", "100000"},
        {"--drain-timeout", "7200"},
        {"-q", "-v"},
        {"--redis-mode", "nope"},
        {"--redis-mode", "1"},                   // names only, not the enum's numbers
        {"--redis-mode", "streams"},             // needs --redis
        {"--redis", "http://127.0.0.1:6379"},    // not a Redis URL
        {"--allowed-host", "localhost:8080"},    // a host, not a host and port
        {"--allowed-host", "a,b c"},
    };
    for (const auto &args : bad) {
        auto p = parse(args);
        EXPECT_EQ(p.exit, Exit::usage) << joined(args);
        EXPECT_TRUE(p.err.starts_with("ssed: error: ")) << p.err;
        EXPECT_TRUE(p.err.ends_with(" (see ssed --help)\n")) << p.err;
        EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << p.err;
    }
}

TEST(SsedOptions, ABadEnvironmentValueExits78NamingTheVariable) {
    {
        ScopedEnv history("SSED_HISTORY", "lots");
        auto p = parse({});
        EXPECT_EQ(p.exit, Exit::config);
        EXPECT_TRUE(p.err.starts_with("ssed: error: ")) << p.err;
        EXPECT_TRUE(p.err.ends_with(" (from SSED_HISTORY)\n")) << p.err;
    }
    {
        ScopedEnv mode("SSED_REDIS_MODE", "streams");  // fails the check, not the parse
        auto p = parse({"-q"});
        EXPECT_EQ(p.exit, Exit::config);
        EXPECT_EQ(p.err, "ssed: error: --redis-mode streams needs --redis URL (from SSED_REDIS_MODE)\n");
    }
    {
        ScopedEnv quiet("SSED_QUIET", "1"), listen("SSED_LISTEN", "127.0.0.1:0");
        auto p = parse({"-v"});  // -q from the environment excludes -v
        EXPECT_EQ(p.exit, Exit::config);
        EXPECT_TRUE(p.err.ends_with(" (from SSED_QUIET)\n")) << p.err;
    }
}

TEST(SsedOptions, ABadFlagWinsOverABadVariable) {
    ScopedEnv history("SSED_HISTORY", "lots");
    auto p = parse({"--bogus"});
    EXPECT_EQ(p.exit, Exit::usage);
    EXPECT_NE(p.err.find("--bogus"), std::string::npos) << p.err;
    EXPECT_TRUE(p.err.ends_with(" (see ssed --help)\n")) << p.err;
}

TEST(SsedOptions, ACommandLineValueHidesABadVariable) {
    ScopedEnv history("SSED_HISTORY", "lots");
    auto p = parse({"--history", "3"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(p.opts.limits.history, 3u);
}
