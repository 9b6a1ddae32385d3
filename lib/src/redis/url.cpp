#include "redis/url.hpp"

#include <charconv>

namespace ssekit {

namespace {

Status bad(std::string_view url, std::string_view why) {
    std::string m = "redis URL \"";
    m.append(url).append("\": ").append(why);
    return Status::invalid_argument(std::move(m));
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes `in`; false on a malformed escape.
bool percent_decode(std::string_view in, std::string &out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

bool parse_int(std::string_view s, int lo, int hi, int &out) {
    if (s.empty()) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

// Reads "key=value&key=value" for the unix form: db, password, user.
Status parse_query(std::string_view url, std::string_view query, RedisEndpoint &out) {
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        std::string value;
        if (eq == std::string_view::npos || !percent_decode(pair.substr(eq + 1), value))
            return bad(url, "bad query parameter \"" + std::string(pair) + "\"");
        if (key == "db") {
            if (!parse_int(value, 0, 1 << 20, out.db)) return bad(url, "db must be a number");
        } else if (key == "password") {
            out.password = value;
        } else if (key == "user") {
            out.user = value;
        } else {
            return bad(url, "unknown query parameter \"" + std::string(key) + "\"");
        }
    }
    return Status::ok();
}

}  // namespace

std::string RedisEndpoint::display() const {
    if (kind == Kind::unix_socket) return "unix://" + path + "?db=" + std::to_string(db);
    bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    return "redis://" + h + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Status parse_redis_url(std::string_view url, RedisEndpoint &out) {
    out = RedisEndpoint{};
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return bad(url, "expected redis://host[:port][/db] or unix:///path");
    std::string_view scheme = url.substr(0, scheme_end);
    std::string_view rest = url.substr(scheme_end + 3);

    if (scheme == "rediss") return bad(url, "TLS is not supported by this build");
    if (scheme == "unix" || scheme == "redis+unix") {
        out.kind = RedisEndpoint::Kind::unix_socket;
        size_t q = rest.find('?');
        std::string_view path = rest.substr(0, q);
        if (path.empty() || path[0] != '/') return bad(url, "a unix socket path must be absolute");
        if (!percent_decode(path, out.path)) return bad(url, "bad %-escape in the path");
        if (q != std::string_view::npos) return parse_query(url, rest.substr(q + 1), out);
        return Status::ok();
    }
    if (scheme != "redis") return bad(url, "unknown scheme \"" + std::string(scheme) + "\"");

    // The authority ends at the first '/', '?' or '#'; the userinfo at its last '@'.
    size_t auth_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, auth_end);
    std::string_view tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        size_t colon = userinfo.find(':');
        std::string_view user = userinfo.substr(0, colon);
        std::string_view pass = colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1);
        // "redis://secret@host" is redis-cli's form for a password without a user.
        if (colon == std::string_view::npos) std::swap(user, pass);
        if (!percent_decode(user, out.user) || !percent_decode(pass, out.password))
            return bad(url, "bad %-escape in the user or password");
    }

    std::string_view host = authority, port;
    if (!authority.empty() && authority[0] == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad(url, "unterminated [ in the host");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad(url, "junk after the [host]");
            port = after.substr(1);
            if (port.empty()) return bad(url, "empty port");
        }
    } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return bad(url, "empty port");
    }
    if (!host.empty()) out.host = std::string(host);
    if (!port.empty() && !parse_int(port, 1, 65535, out.port))
        return bad(url, "port must be a number from 1 to 65535");

    if (!tail.empty() && tail[0] == '/') {
        size_t q = tail.find_first_of("?#");
        std::string_view db = tail.substr(1, q == std::string_view::npos ? std::string_view::npos : q - 1);
        if (!db.empty() && !parse_int(db, 0, 1 << 20, out.db)) return bad(url, "the database must be a number");
        tail = q == std::string_view::npos ? std::string_view{} : tail.substr(q);
    }
    if (!tail.empty() && tail[0] == '?') {
        size_t hash = tail.find('#');
        return parse_query(url, tail.substr(1, hash == std::string_view::npos ? hash : hash - 1), out);
    }
    return Status::ok();
}

}  // namespace ssekit
