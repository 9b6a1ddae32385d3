#include "sse/publish.hpp"

#include <algorithm>

#include "base/json.hpp"
#include "base/utf8.hpp"
#include "ssekit/wire.hpp"

namespace ssekit {

namespace {

constexpr std::size_t kQuotedNameMax = 64;

// `name` JSON-quoted and cut to kQuotedNameMax bytes, so a message stays one short line
// whatever arrived.
std::string quoted_name(std::string_view name) {
    std::string quoted;
    append_json_string(quoted, name.substr(0, kQuotedNameMax));
    if (name.size() > kQuotedNameMax) quoted.insert(quoted.size() - 1, "...");
    return quoted;
}

}  // namespace

bool valid_topic(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == ':' || c == '@' || c == '~' || c == '-';
        if (!ok) return false;
    }
    return true;
}

Status check_topic(std::string_view name) {
    if (valid_topic(name)) return Status::ok();
    return Status::invalid_argument("invalid topic " + quoted_name(name) + ": use " + std::string(kTopicRule));
}

Status check_key(std::string_view key) {
    auto printable = [](unsigned char c) { return c > ' ' && c <= '~'; };
    if (!key.empty() && key.size() <= kMaxKeyLength && std::all_of(key.begin(), key.end(), printable))
        return Status::ok();
    return Status::invalid_argument("invalid key " + quoted_name(key) + ": use " + std::string(kKeyRule));
}

Status check_fields(const PublishRequest &req) {
    if (auto s = validate_field("event", req.type); !s) return s;
    if (auto s = validate_field("id", req.id); !s) return s;
    if (!is_valid_utf8(req.type)) return Status::invalid_argument("event is not valid UTF-8");
    if (!is_valid_utf8(req.id)) return Status::invalid_argument("id is not valid UTF-8");
    if (!req.key.empty()) return check_key(req.key);
    return Status::ok();
}

Status check_publish(const PublishRequest &req) {
    if (auto s = check_topic(req.topic); !s) return s;
    return check_fields(req);
}

void make_data_valid_utf8(PublishRequest &req) {
    std::string scratch;
    if (std::string_view valid = to_valid_utf8(req.data, scratch); valid.data() != req.data.data())
        req.data = std::move(scratch);
}

Status publish_request_from_json(std::string_view line, PublishRequest &out) {
    JsonEvent j;
    if (auto s = parse_json_event(line, j); !s) return s;
    if (!j.has_data) return Status::invalid_argument("\"data\" is missing");
    out = PublishRequest{};
    out.topic = std::move(j.topic);
    out.type = std::move(j.event);
    out.data = std::move(j.data);
    out.id = std::move(j.id);
    out.key = std::move(j.key);
    out.retry = j.retry;
    return Status::ok();
}

}  // namespace ssekit
