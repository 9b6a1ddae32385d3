#include "sse/publish.hpp"

#include "base/json.hpp"
#include "ssekit/wire.hpp"

namespace ssekit {

namespace {
constexpr std::size_t kQuotedNameMax = 64;
}

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
    std::string quoted;
    append_json_string(quoted, name.substr(0, kQuotedNameMax));
    if (name.size() > kQuotedNameMax) quoted.insert(quoted.size() - 1, "...");
    return Status::invalid_argument("invalid topic " + quoted + ": use " + std::string(kTopicRule));
}

Status check_fields(const PublishRequest &req) {
    if (auto s = validate_field("event", req.type); !s) return s;
    return validate_field("id", req.id);
}

Status check_publish(const PublishRequest &req) {
    if (auto s = check_topic(req.topic); !s) return s;
    return check_fields(req);
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
    out.retry = j.retry;
    return Status::ok();
}

}  // namespace ssekit
