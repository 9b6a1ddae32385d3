#include "redis/idempotency.hpp"

#include <algorithm>

#include "redis/envelope.hpp"

namespace ssekit {

namespace {

std::string record_name(std::string_view prefix, std::string_view kind, std::string_view rest) {
    std::string k(prefix);
    k.append(kind).append(rest);
    return k;
}

}  // namespace

std::string key_record(std::string_view prefix, std::string_view topic) {
    return record_name(prefix, "#idem:", topic);
}

std::string previous_key_record(std::string_view prefix, std::string_view topic) {
    return record_name(prefix, "#idem-old:", topic);
}

std::string batch_mark(std::string_view prefix, std::string_view first_key) {
    return record_name(prefix, "#idem-batch:", first_key);
}

// idem.load(n, group, key, records): reads, for every event i of 1..n with group(i) > 0, what
// the records of its group (records(g) -> current, previous) hold for key(i).
// idem.original(g, key): the id remembered for key, or false.
// idem.note(g, key, id): key was published now (as id): a later event of this call with the
// same key is a duplicate, and idem.record writes it.
// idem.record(remember, ttl, records): writes what was noted, the current record becoming the
// previous one first when it holds `remember` keys; both expire after ttl ms.
// Commands take at most 1000 arguments from a list at a time (Lua's unpack has a limit).
const std::string_view kKeyRecordLua = R"(local idem = {known = {}, fresh = {}}
function idem.load(n, group, key, records)
  local keys_of = {}
  for i = 1, n do
    local g = group(i)
    if g > 0 then
      keys_of[g] = keys_of[g] or {}
      table.insert(keys_of[g], key(i))
    end
  end
  for g, keys in pairs(keys_of) do
    local known, cur, old = {}, records(g)
    for _, h in ipairs({old, cur}) do
      for i = 1, #keys, 1000 do
        local ids = redis.call('HMGET', h, unpack(keys, i, math.min(i + 999, #keys)))
        for j = 1, #ids do
          if ids[j] then known[keys[i + j - 1]] = ids[j] end
        end
      end
    end
    idem.known[g], idem.fresh[g] = known, {}
  end
end
function idem.original(g, key)
  return g > 0 and idem.known[g][key]
end
function idem.note(g, key, id)
  if g == 0 then return end
  idem.known[g][key] = id
  table.insert(idem.fresh[g], key)
  table.insert(idem.fresh[g], id)
end
function idem.record(remember, ttl, records)
  for g, f in pairs(idem.fresh) do
    if #f > 0 then
      local cur, old = records(g)
      if redis.call('HLEN', cur) >= remember then redis.call('RENAME', cur, old) end
      for i = 1, #f, 1000 do redis.call('HSET', cur, unpack(f, i, math.min(i + 999, #f))) end
      redis.call('PEXPIRE', cur, ttl)
      redis.call('PEXPIRE', old, ttl)
    end
  end
end
)";

const std::string kKeyedPublishScript = std::string(kKeyRecordLua) + R"(local remember, ttl = tonumber(ARGV[1]), ARGV[2]
local n = (#ARGV - 2) / 5
local function arg(i, field) return ARGV[2 + 5 * (i - 1) + field] end
local function group(i) return tonumber(arg(i, 4)) end
local function key(i) return arg(i, 5) end
local function records(g) return KEYS[2 * g - 1], KEYS[2 * g] end
idem.load(n, group, key, records)
local out = {}
for i = 1, n do
  local original = idem.original(group(i), key(i))
  if original then
    out[#out + 1] = original
    out[#out + 1] = -1
  else
    out[#out + 1] = arg(i, 3)
    out[#out + 1] = redis.call('PUBLISH', arg(i, 1), arg(i, 2))
    idem.note(group(i), key(i), arg(i, 3))
  end
end
idem.record(remember, ttl, records)
return out
)";

KeyGroups key_groups(std::string_view prefix, std::span<const PublishRequest> events) {
    KeyGroups g;
    std::vector<std::string_view> topics;  // of the groups, in order
    g.group_of.reserve(events.size());
    for (const auto &e : events) {
        if (e.key.empty()) {
            g.group_of.emplace_back("0");
            continue;
        }
        auto it = std::find(topics.begin(), topics.end(), std::string_view(e.topic));
        if (it == topics.end()) {
            topics.push_back(e.topic);
            g.records.push_back(key_record(prefix, e.topic));
            g.records.push_back(previous_key_record(prefix, e.topic));
            it = topics.end() - 1;
        }
        g.group_of.push_back(std::to_string(it - topics.begin() + 1));
    }
    return g;
}

Status append_keyed_publish(RedisConn &c, std::string_view prefix, std::size_t remember,
                            std::span<const PublishRequest> events) {
    KeyGroups groups = key_groups(prefix, events);
    std::vector<std::string> channels, envelopes;
    channels.reserve(events.size());
    envelopes.reserve(events.size());
    for (const auto &e : events) {
        channels.push_back(channel_for(prefix, e.topic));
        envelopes.emplace_back();
        encode_envelope(e, envelopes.back());
    }
    const std::string numkeys = std::to_string(groups.records.size());
    const std::string remember_arg = std::to_string(std::max<std::size_t>(remember, 1));
    const std::string ttl = std::to_string(kKeyRecordTtl.count());
    std::vector<std::string_view> argv;
    argv.reserve(5 + groups.records.size() + 5 * events.size());
    argv.insert(argv.end(), {"EVAL", kKeyedPublishScript, numkeys});
    for (const auto &r : groups.records) argv.push_back(r);
    argv.push_back(remember_arg);
    argv.push_back(ttl);
    for (std::size_t i = 0; i < events.size(); ++i)
        argv.insert(argv.end(), {channels[i], envelopes[i], events[i].id, groups.group_of[i], events[i].key});
    return c.append(argv);
}

}  // namespace ssekit
