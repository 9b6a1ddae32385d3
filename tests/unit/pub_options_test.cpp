// sse-pub's command line: an args vector (and SSE_* variables) in, PubOptions or the Exit out,
// no process spawned.
#include "ssekit/pub.hpp"

#include <gtest/gtest.h>

#include "parse_args_harness.hpp"

using ssekit::Exit;
using ssekit::PubOptions;
using ssekit::RedisMode;
using test_support::joined;
using test_support::ScopedEnv;

namespace {

test_support::Parsed<PubOptions> parse(std::vector<std::string> args) {
    return test_support::parse_with<PubOptions>("sse-pub", ssekit::bind_pub_options, ssekit::check_pub_options,
                                                std::move(args));
}

}  // namespace

TEST(PubOptions, DefaultsReadLinesAndPublishOverHttp) {
    auto p = parse({"news"});
    ASSERT_FALSE(p.exit) << p.err;
    const PubOptions &o = p.opts;
    EXPECT_EQ(o.topic, "news");
    EXPECT_FALSE(o.data);
    EXPECT_TRUE(o.server.empty() && o.redis.empty());
    EXPECT_TRUE(o.event.empty() && o.id.empty() && o.token.empty());
    EXPECT_FALSE(o.reconnect_ms);
    EXPECT_EQ(o.redis_prefix, ssekit::kDefaultChannelPrefix);
    EXPECT_EQ(o.redis_mode, RedisMode::pubsub);
    EXPECT_EQ(o.stream_maxlen, ssekit::kDefaultStreamMaxlen);
    EXPECT_EQ(o.retry_policy.retry_for, ssekit::RetryPolicy{}.retry_for);
    EXPECT_FALSE(o.retry_for_set);
    EXPECT_FALSE(o.whole || o.json || o.quiet);
    EXPECT_TRUE(o.warnings.empty());
    EXPECT_EQ(o.log_level(), ssekit::Logger::Level::warn);
}

TEST(PubOptions, EveryOptionLandsInTheStruct) {
    auto p = parse({"--server", "https://h:1", "-e", "price", "-i", "7", "--reconnect-ms", "500", "--token", "tk",
                    "--retry-for", "2.5", "-s", "-vv", "t"});
    ASSERT_FALSE(p.exit) << p.err;
    const PubOptions &o = p.opts;
    EXPECT_EQ(o.server, "https://h:1");
    EXPECT_EQ(o.event, "price");
    EXPECT_EQ(o.id, "7");
    EXPECT_EQ(o.reconnect_ms, 500u);
    EXPECT_EQ(o.token, "tk");
    EXPECT_EQ(o.retry_policy.retry_for, std::chrono::milliseconds(2500));
    EXPECT_TRUE(o.retry_for_set);
    EXPECT_TRUE(o.whole);
    EXPECT_EQ(o.log_level(), ssekit::Logger::Level::debug);

    auto r = parse({"--redis", "redis://127.0.0.1:6379/1", "--redis-prefix", "x:", "--redis-mode", "streams",
                    "--stream-maxlen", "50", "--json", "-q", "t"});
    ASSERT_FALSE(r.exit) << r.err;
    EXPECT_EQ(r.opts.redis, "redis://127.0.0.1:6379/1");
    EXPECT_EQ(r.opts.redis_prefix, "x:");
    EXPECT_EQ(r.opts.redis_mode, RedisMode::streams);
    EXPECT_EQ(r.opts.stream_maxlen, 50u);
    EXPECT_TRUE(r.opts.json);
    EXPECT_EQ(r.opts.log_level(), ssekit::Logger::Level::quiet);

    auto d = parse({"t", "hello"});
    ASSERT_FALSE(d.exit) << d.err;
    EXPECT_EQ(d.opts.data, "hello");
}

TEST(PubOptions, EnvironmentVariablesSetTheServerAndToken) {
    ScopedEnv server("SSE_SERVER", "http://127.0.0.1:9"), token("SSE_TOKEN", "s3cret");
    auto p = parse({"t", "x"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(p.opts.env_server, "http://127.0.0.1:9");
    EXPECT_EQ(p.opts.token, "s3cret");
    // An exported SSE_SERVER does not conflict with --redis.
    auto r = parse({"--redis", "redis://127.0.0.1:6379", "t", "x"});
    EXPECT_FALSE(r.exit) << r.err;
}

TEST(PubOptions, HelpAndVersionExitZeroAndPrintToOut) {
    auto help = parse({"--help"});
    EXPECT_EQ(help.exit, Exit::ok);
    EXPECT_NE(help.out.find("Usage: sse-pub"), std::string::npos);
    EXPECT_NE(help.out.find("pubsub|streams"), std::string::npos);
    EXPECT_EQ(help.out.find("--server-from-env"), std::string::npos);  // hidden
    EXPECT_NE(help.out.find("See sse-pub(1)"), std::string::npos);
    for (const char *group : {"[Option Group: Server]", "[Option Group: Redis]", "[Option Group: Event fields]",
                              "[Option Group: Standard input]"})
        EXPECT_NE(help.out.find(group), std::string::npos) << group;
    for (const char *deprecated : {"--prefix", "--retry "}) EXPECT_EQ(help.out.find(deprecated), std::string::npos);

    auto version = parse({"-V"});
    EXPECT_EQ(version.exit, Exit::ok);
    EXPECT_EQ(version.out, std::string("sse-pub ") + SSEKIT_VERSION + "\n");
}

TEST(PubOptions, UsageErrorsExit64WithOneLine) {
    const std::vector<std::vector<std::string>> bad = {
        {},                                            // no TOPIC
        {"--bogus", "t"},
        {"t", "a", "b"},                               // one DATA at most
        {"--redis", "redis://h", "--server", "http://h", "t"},
        {"-s", "--json", "t"},
        {"-q", "-v", "t"},
        {"t", "x", "-s"},                              // DATA with -s
        {"--redis-mode", "nope", "--redis", "redis://h", "t"},
        {"--redis-mode", "streams", "t"},              // needs --redis
        {"--redis-mode", "streams", "--redis", "redis://h", "-s", "-i", "1", "t"},
        {"-i", "1", "t"},                              // --id without DATA or -s
        {"-k", "order-1", "t"},                        // --key without DATA or -s
        {"--json", "--key", "order-1", "t"},           // --json lines carry their own "key"
        {"--retry-for", "-1", "t"},
        {"--stream-maxlen", "0", "t"},
        {"--reconnect-ms", "soon", "t"},
        {"--retry", "soon", "t"},                      // the deprecated spelling, checked alike
        {"--token", "a\nb", "t", "x"},                 // would split the header line
        {"--server", "ftp://h", "t", "x"},
        {"--redis", "rediss://127.0.0.1:6380", "t", "x"},
    };
    for (const auto &args : bad) {
        auto p = parse(args);
        EXPECT_EQ(p.exit, Exit::usage) << joined(args);
        EXPECT_TRUE(p.err.starts_with("sse-pub: error: ")) << p.err;
        EXPECT_TRUE(p.err.ends_with(" (see sse-pub --help)\n")) << p.err;
        EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << p.err;
    }
}

TEST(PubOptions, ABadEnvironmentValueExits78NamingTheVariable) {
    ScopedEnv server("SSE_SERVER", "127.0.0.1:8080");  // no scheme
    auto p = parse({"t", "x"});
    EXPECT_EQ(p.exit, Exit::config);
    EXPECT_EQ(p.err, "sse-pub: error: server URL \"127.0.0.1:8080\" must start with http:// or https:// (from "
                     "SSE_SERVER)\n");
    // --server on the command line makes SSE_SERVER irrelevant.
    EXPECT_FALSE(parse({"--server", "http://h", "t", "x"}).exit);
}

TEST(PubOptions, DeprecatedSpellingsStillWorkAndEachWarnsOnce) {
    auto p = parse({"--redis", "redis://127.0.0.1:6379", "--prefix", "x:", "--retry", "500", "t", "x"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(p.opts.redis_prefix, "x:");
    EXPECT_EQ(p.opts.reconnect_ms, 500u);
    EXPECT_EQ(p.opts.warnings, (std::vector<std::string>{"--prefix is deprecated: use --redis-prefix",
                                                         "--retry is deprecated: use --reconnect-ms"}));
    EXPECT_EQ(p.err, "");  // run_pub logs them, at the level -q/-v chose
}

TEST(PubOptions, ATokenWithALineBreakIsRefused) {
    ScopedEnv token("SSE_TOKEN", "s3cret\r\nX-Evil: 1");
    auto p = parse({"t", "x"});
    EXPECT_EQ(p.exit, Exit::config);
    EXPECT_TRUE(p.err.ends_with("must not contain CR, LF or NUL (from SSE_TOKEN)\n")) << p.err;
    EXPECT_FALSE(parse({"--token", "fine", "t", "x"}).exit);  // the flag hides the variable
}
