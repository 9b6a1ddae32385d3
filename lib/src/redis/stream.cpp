#include "redis/stream.hpp"

#include "redis/envelope.hpp"
#include "redis/idempotency.hpp"

namespace ssekit {

namespace {

// encode_envelope() of a request with an empty id starts with exactly this.
constexpr std::string_view kEmptyIdHead = R"({"ssekit":1,"id":"",)";

}  // namespace

const std::string &stream_publish_script() {
    static const std::string script = key_record_lua() + R"(local cap, ttl, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local rest, group, key = {}, {}, {}
for i = 1, n do
  local at = 3 + 3 * (i - 1)
  rest[i], group[i], key[i] = ARGV[at + 1], tonumber(ARGV[at + 2]), ARGV[at + 3]
end
local function records(g) return KEYS[1 + n + 2 * g - 1], KEYS[1 + n + 2 * g] end
idem.load(n, group, key, records)
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = 0
local last = redis.call('GET', KEYS[1])
if not last then
  -- A Redis that has no counter has no history before this id (stream_since_key).
  redis.call('SET', KEYS[1] .. ':since', string.format('%.0f-0', ms), 'NX')
end
if last then
  local lms, ln = string.match(last, '^(%d+)-(%d+)$')
  if lms and tonumber(lms) >= ms then
    ms = tonumber(lms)
    seq = tonumber(ln) + 1
  end
end
local out = {}
local published = false
for i = 1, n do
  local original = idem.original(group[i], key[i])
  if original then
    out[#out + 1] = original
    out[#out + 1] = -1
  else
    local id = string.format('%.0f-%.0f', ms, seq)
    local r = redis.pcall('XADD', KEYS[1 + i], 'MAXLEN', '~', cap, id, 'e', rest[i])
    if type(r) == 'table' and r.err then
      -- The stream is ahead of the counter (written by someone else): let Redis pick.
      r = redis.call('XADD', KEYS[1 + i], 'MAXLEN', '~', cap, '*', 'e', rest[i])
      local rms, rn = string.match(r, '^(%d+)-(%d+)$')
      ms = tonumber(rms)
      seq = tonumber(rn)
    end
    out[#out + 1] = r
    out[#out + 1] = redis.call('PUBLISH', KEYS[1 + i], '{"ssekit":1,"id":"' .. r .. '",' .. rest[i])
    idem.note(group[i], key[i], r)
    seq = seq + 1
    published = true
  end
end
if published then redis.call('SET', KEYS[1], string.format('%.0f-%.0f', ms, seq - 1)) end
idem.record(tonumber(cap), ttl, records)
return out
)";
    return script;
}

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
                             std::span<const PublishRequest> events, std::string_view sha) {
    std::vector<std::string> keys, rests;
    keys.reserve(events.size());
    rests.reserve(events.size());
    for (const auto &e : events) {
        keys.push_back(channel_for(prefix, e.topic));
        rests.emplace_back();
        encode_stream_rest(e, rests.back());
    }
    KeyGroups groups = key_groups(prefix, events);
    std::string numkeys = std::to_string(1 + events.size() + groups.records.size());
    std::string capstr = std::to_string(cap == 0 ? 1 : cap), ttl = std::to_string(kKeyRecordTtl.count());
    std::string count = std::to_string(events.size());
    std::string counter = stream_counter_key(prefix);
    std::vector<std::string_view> argv;
    argv.reserve(7 + keys.size() + groups.records.size() + 3 * events.size());
    argv.push_back(sha.empty() ? "EVAL" : "EVALSHA");
    argv.push_back(sha.empty() ? std::string_view(stream_publish_script()) : sha);
    argv.push_back(numkeys);
    argv.push_back(counter);
    for (const auto &k : keys) argv.push_back(k);
    for (const auto &r : groups.records) argv.push_back(r);
    argv.insert(argv.end(), {capstr, ttl, count});
    std::vector<std::string> group_of;
    group_of.reserve(events.size());
    for (std::size_t g : groups.group_of) group_of.push_back(std::to_string(g));
    for (std::size_t i = 0; i < events.size(); ++i)
        argv.insert(argv.end(), {rests[i], group_of[i], events[i].key});
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
