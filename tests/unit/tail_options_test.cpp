// sse-tail's command line: an args vector in, TailOptions (or the Exit) out, no process spawned.
#include "ssekit/tail.hpp"

#include <gtest/gtest.h>

#include "parse_args_harness.hpp"

using ssekit::Exit;
using ssekit::TailOptions;

namespace {

test_support::Parsed<TailOptions> parse(std::vector<std::string> args) {
    return test_support::parse_with<TailOptions>("sse-tail", ssekit::bind_tail_options, ssekit::check_tail_options,
                                                 std::move(args));
}

}  // namespace

TEST(TailOptions, DefaultsFollowOneUrlForever) {
    auto p = parse({"http://127.0.0.1:1/t"});
    ASSERT_FALSE(p.exit);
    EXPECT_EQ(p.opts.urls, std::vector<std::string>{"http://127.0.0.1:1/t"});
    EXPECT_EQ(p.opts.format, "data");
    EXPECT_DOUBLE_EQ(p.opts.idle_timeout_s, 45.0);
    EXPECT_FALSE(p.opts.no_reconnect);
    EXPECT_FALSE(p.opts.count);
    EXPECT_FALSE(p.opts.timeout_s);
    EXPECT_FALSE(p.opts.retry_ms);
    EXPECT_FALSE(p.opts.match);
    EXPECT_TRUE(p.opts.events.empty());
    EXPECT_TRUE(p.opts.last_event_id.empty());
    EXPECT_FALSE(p.opts.quiet || p.opts.verbose || p.opts.insecure);
    EXPECT_TRUE(p.opts.server.empty() && p.opts.token.empty());
}

TEST(TailOptions, EveryOptionLandsInTheStruct) {
    auto p = parse({"-H", "Authorization: Bearer x", "--header", "X-A: 1", "--last-event-id", "41", "--retry",
                    "500", "--no-reconnect", "--idle-timeout", "2.5", "-f", "json", "-n", "3", "-W", "60", "-e",
                    "a", "--event", "b", "-m", "^done$", "-v", "-k", "--token", "tk", "--server",
                    "http://s:1", "http://h/a", "https://h/b"});
    ASSERT_FALSE(p.exit);
    const TailOptions &o = p.opts;
    EXPECT_EQ(o.urls, (std::vector<std::string>{"http://h/a", "https://h/b"}));
    EXPECT_EQ(o.headers, (std::vector<std::string>{"Authorization: Bearer x", "X-A: 1"}));
    EXPECT_EQ(o.last_event_id, "41");
    EXPECT_EQ(o.retry_ms, 500u);
    EXPECT_TRUE(o.no_reconnect);
    EXPECT_DOUBLE_EQ(o.idle_timeout_s, 2.5);
    EXPECT_EQ(o.format, "json");
    EXPECT_EQ(o.count, 3u);
    EXPECT_DOUBLE_EQ(*o.timeout_s, 60.0);
    EXPECT_EQ(o.events, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(o.match, "^done$");
    EXPECT_EQ(o.verbose, 1);
    EXPECT_TRUE(o.insecure);
    EXPECT_EQ(o.token, "tk");
    EXPECT_EQ(o.server, "http://s:1");
    EXPECT_EQ(o.log_level(), ssekit::Logger::Level::info);
}

TEST(TailOptions, RequestOptionsAreSpeltAsCurlSpellsThem) {
    auto p = parse({"-X", "PUT", "-d", "a=1", "--data", "@form.txt", "-H", "@headers.txt", "--reconnect",
                    "--until", "[DONE]", "http://h/a"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(p.opts.method, "PUT");
    EXPECT_EQ(p.opts.data, (std::vector<std::string>{"a=1", "@form.txt"}));
    EXPECT_EQ(p.opts.headers, std::vector<std::string>{"@headers.txt"});
    EXPECT_TRUE(p.opts.reconnect);
    EXPECT_EQ(p.opts.until, "[DONE]");

    auto scripts = parse({"--exec", "notify-send \"$SSE_EVENT\"", "--state", "/var/lib/x/state", "http://h/a"});
    ASSERT_FALSE(scripts.exit) << scripts.err;
    EXPECT_EQ(scripts.opts.exec, "notify-send \"$SSE_EVENT\"");
    EXPECT_EQ(scripts.opts.state, "/var/lib/x/state");

    auto json = parse({"--json", "{\"a\":", "--json", "1}", "--request", "POST", "http://h/a"});
    ASSERT_FALSE(json.exit) << json.err;
    EXPECT_EQ(json.opts.json, (std::vector<std::string>{"{\"a\":", "1}"}));
    EXPECT_EQ(json.opts.method, "POST");
}

TEST(TailOptions, NoBodyNoMethodNoUntilByDefault) {
    auto p = parse({"http://h/a"});
    ASSERT_FALSE(p.exit);
    EXPECT_TRUE(!p.opts.method && p.opts.data.empty() && p.opts.json.empty());
    EXPECT_FALSE(p.opts.reconnect);
    EXPECT_FALSE(p.opts.until || p.opts.exec || p.opts.state);
}

TEST(TailOptions, QuietLoggerKeepsErrorsOnly) {
    auto p = parse({"-q", "http://h/a"});
    ASSERT_FALSE(p.exit);
    EXPECT_EQ(p.opts.log_level(), ssekit::Logger::Level::quiet);
}

TEST(TailOptions, IdleTimeoutZeroTurnsTheTimerOff) {
    auto p = parse({"--idle-timeout", "0", "http://h/a"});
    ASSERT_FALSE(p.exit);
    EXPECT_DOUBLE_EQ(p.opts.idle_timeout_s, 0.0);
}

TEST(TailOptions, HelpAndVersionExitZeroAndPrintToOut) {
    auto help = parse({"--help"});
    EXPECT_EQ(help.exit, Exit::ok);
    EXPECT_NE(help.out.find("Usage: sse-tail"), std::string::npos);
    EXPECT_NE(help.out.find(ssekit::exit_code_table("sse-tail")), std::string::npos);
    EXPECT_NE(help.out.find("See sse-tail(1).\n"), std::string::npos);
    for (const char *group : {"[Option Group: Server and request]", "[Option Group: Resume and reconnect]", "[Option Group: Output]",
                              "[Option Group: Filter and stop]"})
        EXPECT_NE(help.out.find(group), std::string::npos) << group;

    auto version = parse({"-V"});
    EXPECT_EQ(version.exit, Exit::ok);
    EXPECT_EQ(version.out, std::string("sse-tail ") + SSEKIT_VERSION + "\n");
}

TEST(TailOptions, UsageErrorsExit64) {
    const std::vector<std::vector<std::string>> bad = {
        {},                                       // no URL
        {"--bogus", "http://h/a"},                // unknown option
        {"-n", "0", "http://h/a"},                // count below 1
        {"-n", "many", "http://h/a"},
        {"-W", "0", "http://h/a"},                // timeout must be positive
        {"-W", "-1", "http://h/a"},
        {"--idle-timeout", "-1", "http://h/a"},
        {"--retry", "-5", "http://h/a"},
        {"-q", "-v", "http://h/a"},               // exclusive
        {"-f", "{nope}", "http://h/a"},           // bad template
        {"-f", "jsno", "http://h/a"},             // misspelt format
        {"-m", "(", "http://h/a"},                // bad regex
        {"-H", "NoColon", "http://h/a"},          // bad header
        {"-H", ": empty name", "http://h/a"},
        {"-H", "Last-Event-ID: 3", "http://h/a"}, // use --last-event-id
        {"ftp://h/a"},                            // not http(s)
        {"127.0.0.1:8080/t"},                     // neither a URL nor a topic
        {"a,,b"},                                 // an empty topic in the list
        {"--token", "a\rb", "http://h/a"},        // would split the header line
        {"-n"},                                   // missing value
        {"-X", "GET /x", "http://h/a"},           // not a method
        {"-X", "", "http://h/a"},
        {"-d", "a", "--json", "{}", "http://h/a"},  // one kind of body
        {"-d", "@-", "-d", "@-", "http://h/a"},   // stdin read once
        {"--json", "@-", "-d", "@-", "http://h/a"},
        {"-H", "@-", "http://h/a"},               // a header file is read again at each connect
        {"-H", "@", "http://h/a"},
        {"--reconnect", "--no-reconnect", "http://h/a"},
        {"--until", "http://h/a"},                // missing value (takes the URL, then no URL)
    };
    for (const auto &args : bad) {
        auto p = parse(args);
        EXPECT_EQ(p.exit, Exit::usage) << test_support::joined(args);
        EXPECT_TRUE(p.err.starts_with("sse-tail: error: ")) << p.err;
        EXPECT_TRUE(p.err.ends_with(" (see sse-tail --help)\n")) << p.err;
    }
}

TEST(TailOptions, VerbosityIsQuietInfoOrDebugAsInEveryTool) {
    EXPECT_EQ(parse({"-v", "http://h/a"}).opts.log_level(), ssekit::Logger::Level::info);
    EXPECT_EQ(parse({"-vv", "http://h/a"}).opts.log_level(), ssekit::Logger::Level::debug);
    EXPECT_EQ(parse({"http://h/a"}).opts.log_level(), ssekit::Logger::Level::warn);
}

TEST(TailOptions, ATopicArgumentIsAStreamOfTheServer) {
    auto p = parse({"news", "a,b", "https://other/feed"});
    ASSERT_FALSE(p.exit) << p.err;
    EXPECT_EQ(ssekit::stream_urls(p.opts),
              (std::vector<std::string>{"http://127.0.0.1:8080/events/news", "http://127.0.0.1:8080/events/a,b",
                                        "https://other/feed"}));
    {
        test_support::ScopedEnv server("SSE_SERVER", "http://hub:9/");
        auto e = parse({"news"});
        ASSERT_FALSE(e.exit) << e.err;
        EXPECT_EQ(ssekit::stream_urls(e.opts), std::vector<std::string>{"http://hub:9/events/news"});
        auto f = parse({"--server", "https://flag:1", "news"});  // the flag wins
        EXPECT_EQ(ssekit::stream_urls(f.opts), std::vector<std::string>{"https://flag:1/events/news"});
    }
}

TEST(TailOptions, ABadEnvironmentValueExits78NamingTheVariable) {
    {
        test_support::ScopedEnv server("SSE_SERVER", "hub:9");
        auto p = parse({"news"});
        EXPECT_EQ(p.exit, Exit::config);
        EXPECT_EQ(p.err, "sse-tail: error: server URL \"hub:9\" must start with http:// or https:// (from SSE_SERVER)\n");
        EXPECT_FALSE(parse({"http://h/a"}).exit);  // no topic: SSE_SERVER is not used
    }
    {
        test_support::ScopedEnv token("SSE_TOKEN", "s3cret\nX-Evil: 1");
        auto p = parse({"http://h/a"});
        EXPECT_EQ(p.exit, Exit::config);
        EXPECT_TRUE(p.err.ends_with("must not contain CR, LF or NUL (from SSE_TOKEN)\n")) << p.err;
    }
}
