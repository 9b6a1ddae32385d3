// A note on Redis URLs.
//
// hiredis 0.14 has no URL parser, so ssekit reads the forms users know from redis-cli -u:
//   redis://[[user]:password@]host[:port][/db]     TCP; host may be [::1]; port 6379, db 0
//   unix:///path/to.sock[?db=N]                    unix socket (also redis+unix://, and
//   redis+unix:///path?db=N&password=P)            password= / user= query keys for AUTH)
// User and password are percent-decoded. `rediss://` is refused: this build has no TLS
// (Debian's hiredis 0.14 lacks hiredis_ssl). Pub/sub ignores the database number; it is
// still SELECTed so other commands (streams mode) land where the user asked.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ssekit/status.hpp"

namespace ssekit {

struct RedisEndpoint {
    enum class Kind { tcp, unix_socket };
    Kind kind = Kind::tcp;
    std::string host = "127.0.0.1";  // tcp only
    int port = 6379;                 // tcp only
    std::string path;                // unix_socket only
    std::string user;                // "" = AUTH with the password alone (Redis < 6 form)
    std::string password;            // "" = no AUTH
    int db = 0;

    // The endpoint for messages: "redis://host:port/db" or "unix:///path?db=N"; never
    // shows the password.
    std::string display() const;
};

// Parses `url`; errors (invalid_argument) say what is wrong, e.g. "redis URL
// \"rediss://x\": TLS is not supported by this build".
Status parse_redis_url(std::string_view url, RedisEndpoint &out);

}  // namespace ssekit
