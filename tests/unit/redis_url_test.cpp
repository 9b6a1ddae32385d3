// Redis URLs as sse-pub(1) and ssed(1) document them.
#include "redis/url.hpp"

#include <gtest/gtest.h>

using ssekit::parse_redis_url;
using ssekit::RedisEndpoint;

namespace {
RedisEndpoint parse_ok(const char *url) {
    RedisEndpoint ep;
    auto st = parse_redis_url(url, ep);
    EXPECT_TRUE(st.is_ok()) << url << ": " << st.message();
    return ep;
}
std::string parse_error(const char *url) {
    RedisEndpoint ep;
    auto st = parse_redis_url(url, ep);
    EXPECT_FALSE(st.is_ok()) << url;
    EXPECT_EQ(st.code(), ssekit::Status::Code::invalid_argument);
    return st.message();
}
}  // namespace

TEST(RedisUrl, HostAloneMeansPort6379AndDatabase0) {
    auto ep = parse_ok("redis://cache.local");
    EXPECT_EQ(ep.kind, RedisEndpoint::Kind::tcp);
    EXPECT_EQ(ep.host, "cache.local");
    EXPECT_EQ(ep.port, 6379);
    EXPECT_EQ(ep.db, 0);
    EXPECT_EQ(ep.password, "");
}

TEST(RedisUrl, ReadsPortAndDatabase) {
    auto ep = parse_ok("redis://127.0.0.1:6390/3");
    EXPECT_EQ(ep.host, "127.0.0.1");
    EXPECT_EQ(ep.port, 6390);
    EXPECT_EQ(ep.db, 3);
}

TEST(RedisUrl, EmptyHostMeansLoopback) {
    EXPECT_EQ(parse_ok("redis://").host, "127.0.0.1");
    EXPECT_EQ(parse_ok("redis://:7000").port, 7000);
}

TEST(RedisUrl, BracketedIpv6Host) {
    auto ep = parse_ok("redis://[::1]:6400/2");
    EXPECT_EQ(ep.host, "::1");
    EXPECT_EQ(ep.port, 6400);
    EXPECT_EQ(ep.db, 2);
    EXPECT_EQ(ep.display(), "redis://[::1]:6400/2");
}

TEST(RedisUrl, UserAndPasswordArePercentDecoded) {
    auto ep = parse_ok("redis://alice:p%40ss%3Aword@host:1/0");
    EXPECT_EQ(ep.user, "alice");
    EXPECT_EQ(ep.password, "p@ss:word");
    EXPECT_EQ(ep.host, "host");
}

TEST(RedisUrl, PasswordWithoutUserInBothSpellings) {
    auto a = parse_ok("redis://:secret@host");
    EXPECT_EQ(a.user, "");
    EXPECT_EQ(a.password, "secret");
    auto b = parse_ok("redis://secret@host");
    EXPECT_EQ(b.user, "");
    EXPECT_EQ(b.password, "secret");
}

TEST(RedisUrl, DisplayNeverShowsThePassword) {
    auto ep = parse_ok("redis://u:hunter2@h:1/5");
    EXPECT_EQ(ep.display(), "redis://h:1/5");
    EXPECT_EQ(ep.display().find("hunter2"), std::string::npos);
}

TEST(RedisUrl, UnixSocketWithDatabase) {
    auto ep = parse_ok("unix:///run/redis/redis.sock?db=4");
    EXPECT_EQ(ep.kind, RedisEndpoint::Kind::unix_socket);
    EXPECT_EQ(ep.path, "/run/redis/redis.sock");
    EXPECT_EQ(ep.db, 4);
    EXPECT_EQ(ep.display(), "unix:///run/redis/redis.sock?db=4");
}

TEST(RedisUrl, RedisPlusUnixWithPassword) {
    auto ep = parse_ok("redis+unix:///tmp/r.sock?password=p%26w&db=1");
    EXPECT_EQ(ep.kind, RedisEndpoint::Kind::unix_socket);
    EXPECT_EQ(ep.path, "/tmp/r.sock");
    EXPECT_EQ(ep.password, "p&w");
    EXPECT_EQ(ep.db, 1);
}

TEST(RedisUrl, TlsIsRefusedClearly) {
    EXPECT_NE(parse_error("rediss://host:6380").find("TLS is not supported by this build"), std::string::npos);
}

TEST(RedisUrl, RefusesWhatItCannotRead) {
    EXPECT_NE(parse_error("localhost:6379").find("expected redis://"), std::string::npos);
    EXPECT_NE(parse_error("http://host").find("unknown scheme \"http\""), std::string::npos);
    EXPECT_NE(parse_error("redis://host:0").find("port"), std::string::npos);
    EXPECT_NE(parse_error("redis://host:65536").find("port"), std::string::npos);
    EXPECT_NE(parse_error("redis://host:abc").find("port"), std::string::npos);
    EXPECT_NE(parse_error("redis://host:").find("empty port"), std::string::npos);
    EXPECT_NE(parse_error("redis://host/x").find("database"), std::string::npos);
    EXPECT_NE(parse_error("redis://[::1").find("unterminated"), std::string::npos);
    EXPECT_NE(parse_error("unix://relative.sock").find("absolute"), std::string::npos);
    EXPECT_NE(parse_error("unix:///s.sock?color=red").find("unknown query parameter"), std::string::npos);
    EXPECT_NE(parse_error("redis://u:%zz@h").find("%-escape"), std::string::npos);
}

TEST(RedisUrl, ErrorsQuoteTheUrl) {
    EXPECT_EQ(parse_error("rediss://h").rfind("redis URL \"rediss://h\": ", 0), 0u);
}
