// A note on Redis connections.
//
// RedisConn owns one blocking hiredis context (freed with redisFree) and speaks to it in
// argv form only, so every argument is binary-safe. connect() applies a connect timeout, then
// AUTH and SELECT from the endpoint. Commands are pipelined: append() queues, flush() writes,
// read_reply() takes replies in order — one round trip for a whole batch of PUBLISHes.
//
// hiredis 0.14 marks a context dead after any I/O error or timeout; RedisConn reports it as
// Status::unavailable and connected() turns false; the owner makes a new connection (a dead
// context is never reused). No socket timeout is set by default: a subscriber connection
// polls the fd itself (dependency-notes §2); a publisher may set_io_timeout().
//
// Not thread-safe: one thread uses a RedisConn at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "redis/url.hpp"
#include "ssekit/status.hpp"

struct redisContext;
struct redisReply;

namespace ssekit {

struct RedisContextFree {
    void operator()(redisContext *c) const;
};
struct RedisReplyFree {
    void operator()(redisReply *r) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

// A reply in plain C++ terms.
struct RedisValue {
    enum class Type { string, array, integer, nil, status, error };
    Type type = Type::nil;
    std::string str;                 // string, status, error
    long long integer = 0;
    std::vector<RedisValue> elements;  // array
};
RedisValue to_value(const redisReply &r);

// Appends one command in the Redis protocol (an array of bulk strings) to `out`.
void append_resp(std::string &out, std::initializer_list<std::string_view> argv);

class RedisConn {
public:
    RedisConn() = default;

    // Connects, then AUTH and SELECT as the endpoint asks. Errors are unavailable (cannot
    // connect, I/O) or permission (AUTH refused), with the endpoint in the message.
    static Status connect(const RedisEndpoint &ep, std::chrono::milliseconds timeout, RedisConn &out);

    bool connected() const { return ctx_ != nullptr && !broken_; }
    int fd() const;  // -1 when not connected

    // Sets SO_RCVTIMEO/SO_SNDTIMEO; a timeout then breaks the context (hiredis 0.14).
    Status set_io_timeout(std::chrono::milliseconds t);

    // Queues one command (argv form) in the output buffer; nothing is sent yet.
    Status append(const std::vector<std::string_view> &argv);
    // Queues commands already in RESP form (see append_resp), as one block: a pipeline of
    // thousands of PUBLISHes costs one copy instead of one hiredis format call each.
    Status append_formatted(std::string_view resp);
    // Writes the output buffer completely (blocking).
    Status flush();
    // Reads the next reply (blocking until it arrives). Redis error replies are values, not
    // errors: only I/O failure is a non-ok Status.
    Status read_reply(RedisValue &out);
    // The same, keeping only the reply's type, string and integer (an array's elements are not
    // copied): for the many answers of a pipeline that only need checking.
    Status read_reply_head(RedisValue &out);
    // Returns a reply already buffered without touching the socket; false when none is.
    bool buffered_reply(RedisValue &out, Status &st);
    // Reads whatever the socket has into hiredis' buffer (call after poll() said readable).
    Status read_socket();

    // append + flush + read_reply in one call.
    Status command(const std::vector<std::string_view> &argv, RedisValue &out);

    const std::string &endpoint() const { return endpoint_; }

private:
    Status fail(std::string_view what);
    Status next_reply(RedisReplyPtr &reply);  // blocking; the reply as hiredis gives it
    std::unique_ptr<redisContext, RedisContextFree> ctx_;
    std::string endpoint_;
    bool broken_ = false;
};

}  // namespace ssekit
