#include "redis/idempotency.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

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

const std::string_view kRecordEncodingValue =
    "longer than hash-max-listpack-value (64 bytes): Redis keeps this hash as a hash table";

// idem.load(n, group, key, records): reads, for every event i of 1..n with group[i] > 0, what
// the records of its group (records(g) -> current, previous) hold for key[i].
// idem.original(g, key): the id remembered for key, or false.
// idem.note(g, key, id): key was published now (as id): a later event of this call with the
// same key is a duplicate, and idem.record writes it.
// idem.record(remember, ttl, records): writes what was noted, the current record becoming the
// previous one first when it holds `remember` keys; both expire after ttl ms.
// Commands take at most 1000 arguments from a list at a time (Lua's unpack has a limit).
const std::string &key_record_lua() {
    // Built on first use: it is part of another constant (the streams script).
    static const std::string lua = std::string(R"(local idem = {known = {}, fresh = {}}
function idem.load(n, group, key, records)
  local keys_of = {}
  for i = 1, n do
    local g = group[i]
    if g > 0 then
      keys_of[g] = keys_of[g] or {}
      table.insert(keys_of[g], key[i])
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
      local held = redis.call('HLEN', cur)
      if held > 0 then held = held - 1 end  -- the encoding field is no key
      if held >= remember then
        redis.call('RENAME', cur, old)
        held = 0
      end
      if held == 0 then redis.call('HSET', cur, ')") + std::string(kRecordEncodingField) + "', '" +
                                   std::string(kRecordEncodingValue) + R"(') end
      for i = 1, #f, 1000 do redis.call('HSET', cur, unpack(f, i, math.min(i + 999, #f))) end
      redis.call('PEXPIRE', cur, ttl)
      redis.call('PEXPIRE', old, ttl)
    end
  end
end
)";
    return lua;
}

KeyGroups key_groups(std::string_view prefix, std::span<const PublishRequest> events) {
    KeyGroups g;
    std::vector<std::string_view> topics;  // of the groups, in order
    g.group_of.reserve(events.size());
    for (const auto &e : events) {
        if (e.key.empty()) {
            g.group_of.push_back(0);
            continue;
        }
        auto it = std::find(topics.begin(), topics.end(), std::string_view(e.topic));
        if (it == topics.end()) {
            topics.push_back(e.topic);
            g.records.push_back(key_record(prefix, e.topic));
            g.records.push_back(previous_key_record(prefix, e.topic));
            it = topics.end() - 1;
        }
        g.group_of.push_back(static_cast<std::size_t>(it - topics.begin()) + 1);
    }
    return g;
}

namespace {

// Attempts of publish_keyed() while other writers keep changing the records it read.
constexpr int kKeyedAttempts = 8;

// A Redis error reply (or an answer of the wrong shape): not an outage a retry would outlast.
Status redis_error(std::string_view what, const RedisValue &v) {
    return Status::protocol("redis " + std::string(what) + " refused: " + v.str);
}

}  // namespace

Status publish_keyed(RedisConn &c, std::string_view prefix, std::size_t remember,
                     std::span<const PublishRequest> events, std::vector<std::string> &ids,
                     std::vector<long long> &receivers) {
    const KeyGroups groups = key_groups(prefix, events);
    const std::size_t group_count = groups.records.size() / 2;
    // members[g - 1]: the events of group g, in order.
    std::vector<std::vector<std::size_t>> members(group_count);
    for (std::size_t i = 0; i < events.size(); ++i)
        if (groups.group_of[i] > 0) members[groups.group_of[i] - 1].push_back(i);
    const std::string ttl = std::to_string(kKeyRecordTtl.count());
    remember = std::max<std::size_t>(remember, 1);

    for (int attempt = 0; attempt < kKeyedAttempts; ++attempt) {
        // Round 1: watch the records and read what they hold for the batch's keys.
        std::vector<std::string_view> argv{"WATCH"};
        argv.insert(argv.end(), groups.records.begin(), groups.records.end());
        if (auto st = c.append(argv); !st) return st;
        for (std::size_t g = 0; g < group_count; ++g)
            for (std::size_t r = 0; r < 2; ++r) {
                argv.assign({"HMGET", groups.records[2 * g + r]});
                for (std::size_t i : members[g]) argv.push_back(events[i].key);
                if (auto st = c.append(argv); !st) return st;
            }
        for (std::size_t g = 0; g < group_count; ++g)
            if (auto st = c.append({"HLEN", groups.records[2 * g]}); !st) return st;
        if (auto st = c.flush(); !st) return st;
        RedisValue v;
        if (auto st = c.read_reply_head(v); !st) return st;
        if (v.type == RedisValue::Type::error) return redis_error("WATCH", v);
        // known[i]: the id the records hold for events[i]'s key, "" when none.
        std::vector<std::string> known(events.size());
        for (std::size_t g = 0; g < group_count; ++g)
            for (std::size_t r = 0; r < 2; ++r) {
                if (auto st = c.read_reply(v); !st) return st;
                if (v.type != RedisValue::Type::array || v.elements.size() != members[g].size())
                    return redis_error("HMGET " + groups.records[2 * g + r], v);
                // The current record (r = 0) is newer: it wins over the previous one.
                for (std::size_t j = 0; j < members[g].size(); ++j)
                    if (v.elements[j].type == RedisValue::Type::string && known[members[g][j]].empty())
                        known[members[g][j]] = std::move(v.elements[j].str);
            }
        std::vector<long long> held(group_count);
        for (std::size_t g = 0; g < group_count; ++g) {
            if (auto st = c.read_reply_head(v); !st) return st;
            if (v.type != RedisValue::Type::integer) return redis_error("HLEN " + groups.records[2 * g], v);
            held[g] = v.integer > 0 ? v.integer - 1 : 0;  // the encoding field is no key
        }

        // What is new, a key repeated within the batch being a duplicate of its first event.
        ids.assign(events.size(), {});
        receivers.assign(events.size(), 0);
        std::vector<std::size_t> fresh;                           // events to publish, in order
        std::vector<std::vector<std::size_t>> recorded(group_count);  // their keyed ones, per group
        std::unordered_map<std::string_view, std::size_t> first_of;   // "<group> <key>" -> event
        std::vector<std::string> group_keys(events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            const std::size_t g = groups.group_of[i];
            if (g > 0 && known[i].empty()) {
                group_keys[i].append(std::to_string(g)).append(" ").append(events[i].key);
                if (auto [it, first] = first_of.try_emplace(group_keys[i], i); !first)
                    known[i] = events[it->second].id;
            }
            if (!known[i].empty()) {
                ids[i] = std::move(known[i]);
                receivers[i] = -1;
                continue;
            }
            ids[i] = events[i].id;
            fresh.push_back(i);
            if (g > 0) recorded[g - 1].push_back(i);
        }
        if (fresh.empty()) return c.command({"UNWATCH"}, v);

        // Round 2: record the new keys and publish, all or nothing, unless the records changed.
        std::size_t queued = 0;
        if (auto st = c.append({"MULTI"}); !st) return st;
        for (std::size_t g = 0; g < group_count; ++g) {
            if (recorded[g].empty()) continue;
            const std::string &cur = groups.records[2 * g], &old = groups.records[2 * g + 1];
            bool empty = held[g] == 0;
            if (held[g] >= static_cast<long long>(remember)) {
                if (auto st = c.append({"RENAME", cur, old}); !st) return st;
                ++queued;
                empty = true;
            }
            argv.assign({"HSET", cur});
            if (empty) argv.insert(argv.end(), {kRecordEncodingField, kRecordEncodingValue});
            for (std::size_t i : recorded[g]) argv.insert(argv.end(), {events[i].key, events[i].id});
            if (auto st = c.append(argv); !st) return st;
            if (auto st = c.append({"PEXPIRE", cur, ttl}); !st) return st;
            if (auto st = c.append({"PEXPIRE", old, ttl}); !st) return st;
            queued += 3;
        }
        std::string block, channel, envelope;
        for (std::size_t i : fresh) {
            channel = channel_for(prefix, events[i].topic);
            envelope.clear();
            encode_envelope(events[i], envelope);
            append_resp(block, {"PUBLISH", channel, envelope});
        }
        if (auto st = c.append_formatted(block); !st) return st;
        if (auto st = c.append({"EXEC"}); !st) return st;
        if (auto st = c.flush(); !st) return st;
        for (std::size_t r = 0; r < 1 + queued + fresh.size(); ++r) {  // +OK, then +QUEUED each
            if (auto st = c.read_reply_head(v); !st) return st;
            if (v.type == RedisValue::Type::error) return redis_error("MULTI", v);
        }
        if (auto st = c.read_reply(v); !st) return st;
        if (v.type == RedisValue::Type::nil) continue;  // another writer changed the records: again
        if (v.type != RedisValue::Type::array || v.elements.size() != queued + fresh.size())
            return redis_error("EXEC", v);
        for (std::size_t k = 0; k < fresh.size(); ++k) receivers[fresh[k]] = v.elements[queued + k].integer;
        return Status::ok();
    }
    return Status::unavailable("redis: the idempotency records of the batch's topics kept changing; try again");
}

}  // namespace ssekit
