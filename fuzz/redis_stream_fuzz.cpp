// Fuzz target redis_stream: Redis replies as ssed's Redis bridge reads them, from the bytes of
// the RESP protocol (hiredis' reader) through to_value() (redis/conn.cpp) to the decoders:
// stream entries (redis/stream.cpp: decode_stream_entry, one XRANGE entry [id, [field,
// value, ...]] or a reply holding several), the streams publish script's reply
// (parse_stream_publish_reply) and pub/sub messages ["pmessage", pattern, channel, payload]
// (topic_of_channel, decode_envelope).
//
// Input: RESP bytes, possibly several replies.
// Checks, beyond "no crash":
//  - a decoded entry carries the entry's id, and its envelope rest (encode_stream_rest), put
//    in an entry with the same id, decodes to the same event;
//  - a publish reply that parses gives one id and one receiver count per event.
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "redis/conn.hpp"
#include "redis/envelope.hpp"
#include "redis/stream.hpp"

namespace {

using ssekit::PublishRequest;
using ssekit::RedisValue;

struct ReaderFree {
    void operator()(redisReader *r) const { redisReaderFree(r); }
};

RedisValue string_value(std::string s) {
    RedisValue v;
    v.type = RedisValue::Type::string;
    v.str = std::move(s);
    return v;
}

RedisValue array_value(std::vector<RedisValue> elements) {
    RedisValue v;
    v.type = RedisValue::Type::array;
    v.elements = std::move(elements);
    return v;
}

void check_entry(const RedisValue &entry) {
    PublishRequest req;
    if (!ssekit::decode_stream_entry(entry, req)) return;
    const std::string &id = entry.elements[0].str;
    FUZZ_CHECK(req.id == id);
    std::string rest;
    ssekit::encode_stream_rest(req, rest);
    RedisValue again = array_value({string_value(id), array_value({string_value(std::string(ssekit::kStreamField)),
                                                                   string_value(rest)})});
    PublishRequest back;
    FUZZ_CHECK(ssekit::decode_stream_entry(again, back));
    FUZZ_CHECK(back.id == req.id && back.type == req.type && back.data == req.data && back.retry == req.retry);
}

void check_reply(const RedisValue &v) {
    check_entry(v);
    for (const RedisValue &e : v.elements) check_entry(e);

    std::vector<std::string> ids;
    std::vector<long long> receivers;
    const std::size_t n = v.elements.size() / 2;
    if (ssekit::parse_stream_publish_reply(v, n, ids, receivers)) FUZZ_CHECK(ids.size() == n && receivers.size() == n);

    if (v.type == RedisValue::Type::array && v.elements.size() == 4 && v.elements[0].str == "pmessage") {
        PublishRequest req;
        req.topic.assign(ssekit::topic_of_channel(ssekit::kDefaultChannelPrefix, v.elements[2].str));
        (void)ssekit::decode_envelope(v.elements[3].str, req);
    }
}

// Whether a '*' anywhere in the input is followed by a count over 64 Ki. hiredis 0.14 allocates
// what an array's count says before any element arrives; the bridge reads a Redis it trusts,
// so a reply of a billion elements is not an input worth a fuzzer's time. (Anywhere: after a
// bulk string hiredis skips two bytes unread, so a reply may start at any byte.)
bool declares_huge_array(std::string_view in) {
    for (std::size_t at = 0; (at = in.find('*', at)) != std::string_view::npos; ++at) {
        std::size_t digits = 0;
        while (at + 1 + digits < in.size() && in[at + 1 + digits] >= '0' && in[at + 1 + digits] <= '9') ++digits;
        if (digits > 5 || (digits == 5 && in.substr(at + 1, 5) > "65536")) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (declares_huge_array(std::string_view(reinterpret_cast<const char *>(data), size))) return 0;
    std::unique_ptr<redisReader, ReaderFree> reader(redisReaderCreate());
    FUZZ_CHECK(reader != nullptr);
    if (redisReaderFeed(reader.get(), reinterpret_cast<const char *>(data), size) != REDIS_OK) return 0;
    for (;;) {
        void *raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || raw == nullptr) break;
        ssekit::RedisReplyPtr reply(static_cast<redisReply *>(raw));
        check_reply(ssekit::to_value(*reply));
    }
    return 0;
}
