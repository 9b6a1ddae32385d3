#include "redis/conn.hpp"

#include <charconv>

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace ssekit {

void RedisContextFree::operator()(redisContext *c) const { redisFree(c); }
void RedisReplyFree::operator()(redisReply *r) const { freeReplyObject(r); }

namespace {

// The reply's type, string and integer, not its elements.
RedisValue head_of(const redisReply &r) {
    RedisValue v;
    switch (r.type) {
    case REDIS_REPLY_STRING: v.type = RedisValue::Type::string; break;
    case REDIS_REPLY_STATUS: v.type = RedisValue::Type::status; break;
    case REDIS_REPLY_ERROR: v.type = RedisValue::Type::error; break;
    case REDIS_REPLY_INTEGER: v.type = RedisValue::Type::integer; break;
    case REDIS_REPLY_ARRAY: v.type = RedisValue::Type::array; break;
    default: v.type = RedisValue::Type::nil; break;
    }
    if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR)
        v.str.assign(r.str, r.len);
    v.integer = r.integer;
    return v;
}

}  // namespace

RedisValue to_value(const redisReply &r) {
    RedisValue v = head_of(r);
    if (r.type == REDIS_REPLY_ARRAY) {
        v.elements.reserve(r.elements);
        for (size_t i = 0; i < r.elements; ++i) v.elements.push_back(to_value(*r.element[i]));
    }
    return v;
}

namespace {
timeval to_timeval(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    return tv;
}
}  // namespace

Status RedisConn::connect(const RedisEndpoint &ep, std::chrono::milliseconds timeout, RedisConn &out) {
    out = RedisConn{};
    out.endpoint_ = ep.display();
    timeval tv = to_timeval(timeout);
    redisContext *c = ep.kind == RedisEndpoint::Kind::unix_socket
                          ? redisConnectUnixWithTimeout(ep.path.c_str(), tv)
                          : redisConnectWithTimeout(ep.host.c_str(), ep.port, tv);
    if (c == nullptr) return Status::unavailable("redis " + out.endpoint_ + ": out of memory");
    out.ctx_.reset(c);
    if (c->err) {
        std::string m = "redis " + out.endpoint_ + ": " + c->errstr;
        out.ctx_.reset();
        return Status::unavailable(std::move(m));
    }
    RedisValue reply;
    if (!ep.password.empty()) {
        std::vector<std::string_view> argv{"AUTH"};
        if (!ep.user.empty()) argv.push_back(ep.user);
        argv.push_back(ep.password);
        if (auto st = out.command(argv, reply); !st) return st;
        if (reply.type == RedisValue::Type::error) {
            out.ctx_.reset();
            return Status::permission("redis " + out.endpoint_ + ": AUTH refused: " + reply.str);
        }
    }
    if (ep.db != 0) {
        std::string db = std::to_string(ep.db);
        if (auto st = out.command({"SELECT", db}, reply); !st) return st;
        if (reply.type == RedisValue::Type::error) {
            out.ctx_.reset();
            return Status::unavailable("redis " + out.endpoint_ + ": SELECT " + db + ": " + reply.str);
        }
    }
    return Status::ok();
}

int RedisConn::fd() const { return ctx_ ? ctx_->fd : -1; }

Status RedisConn::fail(std::string_view what) {
    broken_ = true;
    std::string m = "redis " + endpoint_ + ": " + std::string(what);
    if (ctx_ && ctx_->err) m.append(": ").append(ctx_->errstr);
    return Status::unavailable(std::move(m));
}

Status RedisConn::set_io_timeout(std::chrono::milliseconds t) {
    if (!connected()) return Status::unavailable("redis " + endpoint_ + ": not connected");
    if (redisSetTimeout(ctx_.get(), to_timeval(t)) != REDIS_OK) return fail("cannot set timeout");
    return Status::ok();
}

Status RedisConn::append(const std::vector<std::string_view> &argv) {
    if (!connected()) return Status::unavailable("redis " + endpoint_ + ": not connected");
    std::vector<const char *> ptrs;
    std::vector<size_t> lens;
    ptrs.reserve(argv.size());
    lens.reserve(argv.size());
    for (auto a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data()) != REDIS_OK)
        return fail("cannot queue command");
    return Status::ok();
}

Status RedisConn::append_formatted(std::string_view resp) {
    if (!connected()) return Status::unavailable("redis " + endpoint_ + ": not connected");
    if (redisAppendFormattedCommand(ctx_.get(), resp.data(), resp.size()) != REDIS_OK)
        return fail("cannot queue commands");
    return Status::ok();
}

void append_resp(std::string &out, std::initializer_list<std::string_view> argv) {
    char digits[24];
    auto number = [&](char kind, std::size_t n) {
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
        (void)ec;
        out.push_back(kind);
        out.append(digits, static_cast<std::size_t>(end - digits)).append("\r\n");
    };
    number('*', argv.size());
    for (std::string_view a : argv) {
        number('$', a.size());
        out.append(a).append("\r\n");
    }
}

Status RedisConn::flush() {
    if (!connected()) return Status::unavailable("redis " + endpoint_ + ": not connected");
    int done = 0;
    while (!done) {
        if (redisBufferWrite(ctx_.get(), &done) != REDIS_OK) return fail("write failed");
    }
    return Status::ok();
}

bool RedisConn::buffered_reply(RedisValue &out, Status &st) {
    st = Status::ok();
    if (!connected()) {
        st = Status::unavailable("redis " + endpoint_ + ": not connected");
        return false;
    }
    void *raw = nullptr;
    if (redisGetReplyFromReader(ctx_.get(), &raw) != REDIS_OK) {
        st = fail("protocol error");
        return false;
    }
    if (raw == nullptr) return false;
    RedisReplyPtr reply(static_cast<redisReply *>(raw));
    out = to_value(*reply);
    return true;
}

Status RedisConn::read_socket() {
    if (!connected()) return Status::unavailable("redis " + endpoint_ + ": not connected");
    if (redisBufferRead(ctx_.get()) != REDIS_OK) return fail("connection lost");
    return Status::ok();
}

Status RedisConn::read_reply(RedisValue &out) {
    RedisReplyPtr reply;
    if (auto st = next_reply(reply); !st) return st;
    out = to_value(*reply);
    return Status::ok();
}

Status RedisConn::read_reply_head(RedisValue &out) {
    RedisReplyPtr reply;
    if (auto st = next_reply(reply); !st) return st;
    out = head_of(*reply);
    return Status::ok();
}

Status RedisConn::next_reply(RedisReplyPtr &reply) {
    if (!connected()) return Status::unavailable("redis " + endpoint_ + ": not connected");
    void *raw = nullptr;
    // redisGetReply flushes pending output first, then blocks for one reply.
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) return fail("connection lost");
    reply.reset(static_cast<redisReply *>(raw));
    return Status::ok();
}

Status RedisConn::command(const std::vector<std::string_view> &argv, RedisValue &out) {
    if (auto st = append(argv); !st) return st;
    return read_reply(out);
}

}  // namespace ssekit
