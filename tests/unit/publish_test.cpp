// The publish vocabulary (sse/publish.hpp): the topic grammar, the one check every bus runs,
// and the one JSON-line conversion. Each rule is stated once here; the hub, the Redis bridge,
// ssed's API and sse-pub are tested for using it, not for re-implementing it.
#include "sse/publish.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace ssekit;

namespace {

PublishRequest req(std::string topic, std::string type = "", std::string id = "") {
    PublishRequest r;
    r.topic = std::move(topic);
    r.type = std::move(type);
    r.id = std::move(id);
    r.data = "d";
    return r;
}

}  // namespace

TEST(Publish, TopicNamesAreOneTo128OfTheTopicCharacters) {
    EXPECT_TRUE(valid_topic("a"));
    EXPECT_TRUE(valid_topic("Orders.eu-west_1:v2@x~y"));
    EXPECT_TRUE(valid_topic(std::string(128, 't')));
    EXPECT_FALSE(valid_topic(std::string(129, 't')));
    // ',' separates topics in a URL and '#' names the Redis streams counter key.
    for (const char *bad : {"", "a,b", "a/b", "a b", "\xC3\xA4", "a\n", "*", "a?b", "%41", "a#lastid"})
        EXPECT_FALSE(valid_topic(bad)) << bad;
}

TEST(Publish, ABadTopicIsNamedQuotedWithTheRule) {
    Status s = check_topic("a b");
    EXPECT_EQ(s.code(), Status::Code::invalid_argument);
    EXPECT_EQ(s.message(), "invalid topic \"a b\": use 1 to 128 characters from A-Z a-z 0-9 _ . : @ ~ -");
    EXPECT_TRUE(check_topic("news").is_ok());
}

TEST(Publish, ATopicWithControlCharactersStaysOneLineInTheMessage) {
    Status s = check_topic("a\nb\x01");
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(R"("a\nb\u0001")"), std::string::npos) << s.message();
}

TEST(Publish, AHugeTopicIsCutInTheMessage) {
    Status s = check_topic(std::string(1 << 20, 'x') + " ");
    EXPECT_LT(s.message().size(), 200u);
    EXPECT_NE(s.message().find("...\""), std::string::npos) << s.message();
}

TEST(Publish, CheckPublishRefusesWhatCouldForgeFields) {
    EXPECT_TRUE(check_publish(req("t", "price", "id-1")).is_ok());
    EXPECT_EQ(check_publish(req("t", "x\ndata: forged")).message(), "event contains a line break");
    EXPECT_EQ(check_publish(req("t", "", "1\r2")).message(), "id contains a line break");
    EXPECT_EQ(check_publish(req("t", "", std::string("a\0b", 3))).message(), "id contains a NUL character");
    EXPECT_EQ(check_publish(req("bad topic")).code(), Status::Code::invalid_argument);
    // The topic is checked first, so a request with several faults names the topic.
    EXPECT_NE(check_publish(req("", "x\n")).message().find("invalid topic"), std::string::npos);
}

TEST(Publish, CheckFieldsIgnoresTheTopic) {
    EXPECT_TRUE(check_fields(req("")).is_ok());
    EXPECT_FALSE(check_fields(req("", "a\nb")).is_ok());
}

TEST(Publish, AJsonLineBecomesARequest) {
    PublishRequest r;
    ASSERT_TRUE(publish_request_from_json(R"({"topic":"t","event":"e","id":"i","data":"d","retry":5})", r).is_ok());
    EXPECT_EQ(r.topic, "t");
    EXPECT_EQ(r.type, "e");
    EXPECT_EQ(r.id, "i");
    EXPECT_EQ(r.data, "d");
    EXPECT_EQ(r.retry, 5u);
    EXPECT_FALSE(r.no_id);
}

TEST(Publish, AJsonLineLeavesUnsaidFieldsEmpty) {
    PublishRequest r;
    r.topic = "stale";
    r.id = "stale";
    ASSERT_TRUE(publish_request_from_json(R"({"data":{"a":1}})", r).is_ok());
    EXPECT_EQ(r.topic, "");
    EXPECT_EQ(r.id, "");
    EXPECT_EQ(r.data, R"({"a":1})");  // a non-string data is its compact JSON text
    EXPECT_FALSE(r.retry);
}

TEST(Publish, AJsonLineNeedsData) {
    PublishRequest r;
    EXPECT_EQ(publish_request_from_json(R"({"event":"x"})", r).message(), "\"data\" is missing");
    EXPECT_EQ(publish_request_from_json(R"({"data":null})", r).message(), "\"data\" is missing");
    EXPECT_EQ(publish_request_from_json("[1]", r).message(), "not a JSON object");
    EXPECT_EQ(publish_request_from_json("{", r).message(), "not valid JSON");
    EXPECT_EQ(publish_request_from_json(R"({"data":"x","id":7})", r).message(), "\"id\" must be a string");
}

// ---- bytes that are not UTF-8: one rule (see publish.hpp) ----

TEST(Publish, AnIdOrEventTypeThatIsNotUtf8IsRefused) {
    // A subscriber would decode them with U+FFFD: the event would carry another id than was
    // published, and a resume would name an id that was never sent.
    EXPECT_EQ(check_publish(req("t", "", "a\xFF")).message(), "id is not valid UTF-8");
    EXPECT_EQ(check_publish(req("t", "\xC3")).message(), "event is not valid UTF-8");
    EXPECT_EQ(check_publish(req("t", "", "\xED\xA0\x80")).message(), "id is not valid UTF-8");  // a surrogate
    EXPECT_TRUE(check_publish(req("t", "pr\xC3\xA9is", "\xE2\x82\xAC-1")).is_ok());
}

TEST(Publish, DataThatIsNotUtf8IsCarriedAsTheDecoderReadsIt) {
    PublishRequest r = req("t");
    r.data = "ok \xE2\x82 then \xFF!";
    make_data_valid_utf8(r);
    EXPECT_EQ(r.data, "ok \xEF\xBF\xBD then \xEF\xBF\xBD!");
    r.data = "caf\xC3\xA9";
    make_data_valid_utf8(r);
    EXPECT_EQ(r.data, "caf\xC3\xA9");
}

TEST(Publish, AJsonLineThatIsNotUtf8IsRefusedSayingSo) {
    PublishRequest r;
    EXPECT_EQ(publish_request_from_json("{\"data\":\"\xFF\"}", r).message(),
              "not valid UTF-8, as JSON text must be (send binary data base64-encoded)");
}

// ---- idempotency keys ----

TEST(Publish, KeysAreOneTo128PrintableAsciiCharactersWithoutSpace) {
    EXPECT_TRUE(check_key("0123456789abcdef-17").is_ok());
    EXPECT_TRUE(check_key("!~\"#:/").is_ok());
    EXPECT_TRUE(check_key(std::string(128, 'k')).is_ok());
    for (const std::string &bad : {std::string(), std::string(129, 'k'), std::string("a b"), std::string("a\tb"),
                                  std::string("\xC3\xA4"), std::string("a\0b", 3), std::string("a\x7F")})
        EXPECT_EQ(check_key(bad).code(), Status::Code::invalid_argument) << bad;
    EXPECT_EQ(check_key("a b").message(),
              "invalid key \"a b\": use 1 to 128 characters from ! to ~ (printable ASCII, no space)");
}

TEST(Publish, CheckPublishChecksAKeyOnlyWhenThereIsOne) {
    PublishRequest r = req("t");
    EXPECT_TRUE(check_publish(r).is_ok());
    r.key = "k 1";
    EXPECT_EQ(check_publish(r).message(), check_key("k 1").message());
}

TEST(Publish, AJsonLineMayCarryAKey) {
    PublishRequest r;
    ASSERT_TRUE(publish_request_from_json(R"({"data":"d","key":"order-17"})", r).is_ok());
    EXPECT_EQ(r.key, "order-17");
    ASSERT_TRUE(publish_request_from_json(R"({"data":"d"})", r).is_ok());
    EXPECT_EQ(r.key, "");
    EXPECT_EQ(publish_request_from_json(R"({"data":"d","key":1})", r).message(), "\"key\" must be a string");
}
