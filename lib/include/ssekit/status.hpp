// A note on errors in ssekit.
//
// Expected failures (bad input, a refused connection, a 401, Redis down) come back as values, in
// the manner of leveldb's Status and httplib's Result: a Status is ok() or carries a code and a
// one-line message fit to print after "program: error: ". Exceptions are for bugs and
// construction only; each main catches them once (see exit.hpp).
#pragma once

#include <string>
#include <utility>

namespace ssekit {

class Status {
public:
    enum class Code {
        ok,
        invalid_argument,  // the caller's input is refused (newline in an id, bad topic name)
        unavailable,       // cannot connect, retries exhausted, backend down
        protocol,          // the peer broke the protocol (not an event stream, bad reply)
        permission,        // 401 / 403
        io,                // a local read or write failed
        not_found,
        too_large,
        internal,
    };

    Status() = default;
    static Status ok() { return {}; }
    static Status invalid_argument(std::string m) { return {Code::invalid_argument, std::move(m)}; }
    static Status unavailable(std::string m) { return {Code::unavailable, std::move(m)}; }
    static Status protocol(std::string m) { return {Code::protocol, std::move(m)}; }
    static Status permission(std::string m) { return {Code::permission, std::move(m)}; }
    static Status io(std::string m) { return {Code::io, std::move(m)}; }
    static Status not_found(std::string m) { return {Code::not_found, std::move(m)}; }
    static Status too_large(std::string m) { return {Code::too_large, std::move(m)}; }
    static Status internal(std::string m) { return {Code::internal, std::move(m)}; }

    bool is_ok() const { return code_ == Code::ok; }
    explicit operator bool() const { return is_ok(); }
    Code code() const { return code_; }
    const std::string &message() const { return message_; }

private:
    Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
    Code code_ = Code::ok;
    std::string message_;
};

}  // namespace ssekit
