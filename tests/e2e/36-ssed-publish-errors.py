"""One publish rule, one wording: a bad topic, id or event type is refused with the same status
and message by ssed on its in-process bus and by ssed --redis, and sse-pub says the same words
whether it publishes over HTTP or straight into Redis."""
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402

TOPIC_RULE = "use 1 to 128 characters from A-Z a-z 0-9 _ . : @ ~ -"
NDJSON = {"Content-Type": "application/x-ndjson"}

# (what, method path, body, headers) -> the status and error every bus must answer with.
CASES = [
    ("bad topic in the path", "/events/" + urllib.parse.quote("a b"), "x", None,
     400, 'invalid topic "a b": ' + TOPIC_RULE),
    ("line break in ?event=", "/events/t?event=" + urllib.parse.quote("x\ndata: forged"), "x", None,
     400, "event contains a line break"),
    ("line break in ?id=", "/events/t?id=" + urllib.parse.quote("1\r2"), "x", None,
     400, "id contains a line break"),
    ("NUL in ?id=", "/events/t?id=%00", "x", None, 400, "id contains a NUL character"),
    ("a batch line naming a bad topic", "/events/t", '{"data":"a"}\n{"data":"b","topic":"no/slash"}\n', NDJSON,
     400, 'line 2: invalid topic "no/slash": ' + TOPIC_RULE),
    ("a batch line with a bad id", "/events/t", '{"data":"a","id":"x\\ny"}\n', NDJSON,
     400, "line 1: id contains a line break"),
    ("a batch line without data", "/events/t", '{"event":"a"}\n', NDJSON, 400, 'line 1: "data" is missing'),
]


class PublishErrorsReadTheSame(ProcTestCase):
    def setUp(self):
        super().setUp()
        self.redis = RedisServer(self)
        self.memory = Ssed(self)
        self.bridged = Ssed(self, "--redis", self.redis.url)

    def answer(self, ssed, path, body, headers):
        status, _, text = ssed.request("POST", path, body=body.encode(), headers=headers)
        return status, json.loads(text).get("error")

    def test_every_bad_request_gets_the_same_answer_from_both_buses(self):
        for what, path, body, headers, status, error in CASES:
            with self.subTest(what):
                self.assertEqual(self.answer(self.memory, path, body, headers), (status, error))
                self.assertEqual(self.answer(self.bridged, path, body, headers), (status, error))
        # Nothing of a refused batch was published, on either bus.
        for ssed in (self.memory, self.bridged):
            self.assertEqual(ssed.metric("ssed_published_total"), 0)

    def test_a_bad_subscription_topic_reads_the_same(self):
        for ssed in (self.memory, self.bridged):
            status, _, text = ssed.request("GET", "/events/" + urllib.parse.quote("a b"))
            self.assertEqual((status, json.loads(text)["error"]), (400, 'invalid topic "a b": ' + TOPIC_RULE))

    def test_sse_pub_says_the_same_over_http_and_into_redis(self):
        errors = []
        for target in (["--server", self.memory.url], ["--redis", self.redis.url]):
            rc, _, err = self.run_tool([binary("sse-pub"), *target, "a b", "x"])
            self.assertEqual(rc, 65, err)
            errors.append(err)
        self.assertEqual(errors[0], errors[1])
        self.assertEqual(errors[0], 'sse-pub: error: invalid topic "a b": ' + TOPIC_RULE + "\n")


if __name__ == "__main__":
    unittest.main()
