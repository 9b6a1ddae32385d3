"""One publish rule, one wording: a bad topic, id, event type or idempotency key (or an id or
type that is not UTF-8) is refused with the same status and message by ssed on its in-process
bus and by ssed --redis, in a single POST and in a batch, and sse-pub says the same words
whether it publishes over HTTP or straight into Redis. Data that is not UTF-8 reaches
subscribers as the same bytes whichever way it was published."""
import json
import os
import subprocess
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402

TOPIC_RULE = "use 1 to 128 characters from A-Z a-z 0-9 _ . : @ ~ -"
KEY_RULE = "use 1 to 128 characters from ! to ~ (printable ASCII, no space)"
NDJSON = {"Content-Type": "application/x-ndjson"}
NOT_UTF8_JSON = "not valid UTF-8, as JSON text must be (send binary data base64-encoded)"

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
    ("?id= that is not UTF-8", "/events/t?id=caf%C3", "x", None, 400, "id is not valid UTF-8"),
    ("?event= that is not UTF-8", "/events/t?event=%FF", "x", None, 400, "event is not valid UTF-8"),
    ("a bad Idempotency-Key", "/events/t", "x", {"Idempotency-Key": "two words"}, 400,
     'invalid key "two words": ' + KEY_RULE),
    ("a batch line with a bad key", "/events/t", '{"data":"a","key":"two words"}\n', NDJSON, 400,
     'line 1: invalid key "two words": ' + KEY_RULE),
    ("a batch line that is not UTF-8", "/events/t", b'{"data":"a"}\n{"data":"caf\xc3"}\n', NDJSON, 400,
     "line 2: " + NOT_UTF8_JSON),
]


class PublishErrorsReadTheSame(ProcTestCase):
    def setUp(self):
        super().setUp()
        self.redis = RedisServer(self)
        self.memory = Ssed(self)
        self.bridged = Ssed(self, "--redis", self.redis.url)

    def answer(self, ssed, path, body, headers):
        body = body if isinstance(body, bytes) else body.encode()
        status, _, text = ssed.request("POST", path, body=body, headers=headers)
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
        for args, error in ((["a b", "x"], 'invalid topic "a b": ' + TOPIC_RULE),
                            (["t", "x", "-i", b"caf\xc3"], "id is not valid UTF-8"),
                            (["t", "x", "-e", b"\xff"], "event is not valid UTF-8"),
                            (["t", "x", "--key", "two words"], 'invalid key "two words": ' + KEY_RULE)):
            errors = []
            for target in (["--server", self.memory.url], ["--redis", self.redis.url]):
                rc, _, err = self.run_tool([binary("sse-pub"), *target, *args])
                self.assertEqual(rc, 65, err)
                errors.append(err)
            self.assertEqual(errors, ["sse-pub: error: " + error + "\n"] * 2)
        rc, _, err = self.run_tool([binary("sse-pub"), "--server", self.memory.url, "t", "--json"],
                                   input='{"data":"a","key":"two words"}\n')
        self.assertEqual(rc, 65, err)
        self.assertIn('line 1: invalid key "two words": ' + KEY_RULE, err)
        for ssed in (self.memory, self.bridged):
            self.assertEqual(ssed.metric("ssed_published_total"), 0)

    def test_data_that_is_not_utf8_reaches_subscribers_the_same_whatever_the_path(self):
        data = b"caf\xc3 \xff\xfe end"
        # What a subscriber's decoder reads them as (WHATWG, base/utf8.hpp): one U+FFFD each.
        want = b"data: caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd end\n"
        subscribers = {}
        for name, ssed in (("memory", self.memory), ("bridged", self.bridged)):
            subscribers[name] = ssed.subscribe("/events/bytes")
            self.addCleanup(subscribers[name].close)
            self.assertEqual(subscribers[name].wait_status(), 200)
            subscribers[name].wait_text("retry:")

        def sse_pub(*args, stdin=None):
            r = subprocess.run([binary("sse-pub"), *args], input=stdin, capture_output=True, timeout=30,
                               stdin=None if stdin is not None else subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stderr)

        for name, ssed in (("memory", self.memory), ("bridged", self.bridged)):
            status, _, text = ssed.request("POST", "/events/bytes", body=data)  # a single POST
            self.assertEqual(status, 200, text)
            sse_pub("--server", ssed.url, "bytes", data)  # sse-pub, one event
            sse_pub("--server", ssed.url, "bytes", stdin=data + b"\n" + data + b"\n")  # sse-pub, a batch
        sse_pub("--redis", self.redis.url, "bytes", data)  # straight into Redis
        sse_pub("--redis", self.redis.url, "bytes", stdin=data + b"\n" + data + b"\n")
        for name, count in (("memory", 4), ("bridged", 7)):
            s = subscribers[name]
            s.wait_until(lambda st: st.body.count(b"data: ") >= count, what=f"{count} events on {name}")
            lines = [l + b"\n" for l in s.body.split(b"\n") if l.startswith(b"data: ")]
            self.assertEqual(lines, [want] * count, name)


if __name__ == "__main__":
    unittest.main()
