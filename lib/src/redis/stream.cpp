#include "redis/stream.hpp"

#include "redis/envelope.hpp"

namespace ssekit {

namespace {

// encode_envelope() of a request with an empty id starts with exactly this.
constexpr std::string_view kEmptyIdHead = R"({"ssekit":1,"id":"",)";

}  // namespace

const std::string_view kStreamPublishScript = R"(local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
local last = redis.call('GET', KEYS[1])
if not last then
  -- A Redis that has no counter has no history before this id (stream_since_key).
  redis.call('SET', KEYS[1] .. ':since', string.format('%.0f-0', ms), 'NX')
end
if last then
  local lms, ln = string.match(last, '^(%d+)-(%d+)$')
  if lms and tonumber(lms) >= ms then
    ms = tonumber(lms)
    n = tonumber(ln) + 1
  end
end
local out = {}
for i = 2, #KEYS do
  local id = string.format('%.0f-%.0f', ms, n)
  local r = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], id, 'e', ARGV[i])
  if type(r) == 'table' and r.err then
    -- The stream is ahead of the counter (written by someone else): let Redis pick.
    r = redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
    local rms, rn = string.match(r, '^(%d+)-(%d+)$')
    ms = tonumber(rms)
    n = tonumber(rn)
  end
  out[#out + 1] = r
  out[#out + 1] = redis.call('PUBLISH', KEYS[i], '{"ssekit":1,"id":"' .. r .. '",' .. ARGV[i])
  n = n + 1
end
redis.call('SET', KEYS[1], string.format('%.0f-%.0f', ms, n - 1))
return out
)";

std::string stream_counter_key(std::string_view prefix) {
    std::string k(prefix);
    k.append("#lastid");
    return k;
}

std::string stream_since_key(std::string_view prefix) {
    std::string k = stream_counter_key(prefix);
    k.append(":since");  // the publish script derives it the same way from KEYS[1]
    return k;
}

const std::string_view kStreamSinceScript = R"(local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f-0', ms), 'NX')
return redis.call('GET', KEYS[1])
)";

const std::map<std::string, RedisMode> &redis_mode_names() {
    static const std::map<std::string, RedisMode> names = {{"pubsub", RedisMode::pubsub},
                                                           {"streams", RedisMode::streams}};
    return names;
}

Status check_stream_request(const PublishRequest &req) {
    if (!req.id.empty())
        return Status::invalid_argument("id \"" + req.id +
                                        "\" refused: in streams mode Redis assigns ids (the stream entry id)");
    return Status::ok();
}

void encode_stream_rest(const PublishRequest &req, std::string &out) {
    std::size_t at = out.size();
    if (req.id.empty()) {
        encode_envelope(req, out);
    } else {
        PublishRequest copy = req;
        copy.id.clear();
        encode_envelope(copy, out);
    }
    // The envelope with an empty id, minus its head, is the rest.
    out.erase(at, kEmptyIdHead.size());
}

Status append_stream_publish(RedisConn &c, std::string_view prefix, std::size_t cap,
                             std::span<const PublishRequest> events) {
    std::vector<std::string> keys, rests;
    keys.reserve(events.size());
    rests.reserve(events.size());
    for (const auto &e : events) {
        keys.push_back(channel_for(prefix, e.topic));
        rests.emplace_back();
        encode_stream_rest(e, rests.back());
    }
    std::string numkeys = std::to_string(events.size() + 1), capstr = std::to_string(cap == 0 ? 1 : cap);
    std::string counter = stream_counter_key(prefix);
    std::vector<std::string_view> argv;
    argv.reserve(5 + 2 * events.size());
    argv.push_back("EVAL");
    argv.push_back(kStreamPublishScript);
    argv.push_back(numkeys);
    argv.push_back(counter);
    for (const auto &k : keys) argv.push_back(k);
    argv.push_back(capstr);
    for (const auto &r : rests) argv.push_back(r);
    return c.append(argv);
}

Status parse_stream_publish_reply(const RedisValue &v, std::size_t n, std::vector<std::string> &ids,
                                  std::vector<long long> &receivers) {
    if (v.type == RedisValue::Type::error) return Status::unavailable("redis stream publish: " + v.str);
    if (v.type != RedisValue::Type::array || v.elements.size() != 2 * n)
        return Status::unavailable("redis stream publish: unexpected reply");
    for (std::size_t i = 0; i < n; ++i) {
        ids.push_back(v.elements[2 * i].str);
        receivers.push_back(v.elements[2 * i + 1].integer);
    }
    return Status::ok();
}

bool decode_stream_entry(const RedisValue &entry, PublishRequest &req) {
    if (entry.type != RedisValue::Type::array || entry.elements.size() != 2) return false;
    const RedisValue &fields = entry.elements[1];
    if (fields.type != RedisValue::Type::array) return false;
    for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
        if (fields.elements[i].str != kStreamField) continue;
        const std::string &id = entry.elements[0].str;
        std::string env;
        env.reserve(kEnvelopePrefix.size() + id.size() + fields.elements[i + 1].str.size() + 8);
        env.append(kEnvelopePrefix).append(R"("id":")").append(id).append(R"(",)");
        env.append(fields.elements[i + 1].str);
        return decode_envelope(env, req) && req.id == id;
    }
    return false;
}

}  // namespace ssekit
