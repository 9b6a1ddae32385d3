"""sse-pub --redis: a Redis subscriber sees the documented envelope on <prefix><topic>, ids are
minted before the event enters Redis, a retry after a lost answer publishes nothing twice (in
pubsub and streams mode, with sse-pub's keys and with keys given to it), and connection problems
give the documented exit codes."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary, free_port  # noqa: E402
from redis_fixture import RedisServer, Subscriber  # noqa: E402
from relay import TcpRelay  # noqa: E402

ENVELOPE = b'{"ssekit":1,'
MINTED = re.compile(r"^\d{13,}-[0-9a-f]{8}-\d+$")


class PubRedis(ProcTestCase):
    def pub(self, *args, input=None):
        return self.run_tool([binary("sse-pub"), *args], input=input)

    def test_one_event_is_published_as_an_envelope_on_the_prefixed_channel(self):
        redis = RedisServer(self)
        sub = Subscriber(redis)
        rc, out, err = self.pub("--redis", redis.url, "news", "hello", "-e", "greeting", "-i", "n1",
                                "--reconnect-ms", "900")
        self.assertEqual((rc, out, err), (0, "", ""))
        channel, payload = sub.wait(1)[0]
        self.assertEqual(channel, "sse:news")
        self.assertTrue(payload.startswith(ENVELOPE), payload)
        self.assertEqual(json.loads(payload),
                         {"ssekit": 1, "id": "n1", "event": "greeting", "data": "hello", "retry": 900})

    def test_ids_are_minted_before_redis_unique_and_in_order(self):
        redis = RedisServer(self)
        sub = Subscriber(redis)
        rc, _, err = self.pub("--redis", redis.url, "t", input="a\nb\n\nc\n")
        self.assertEqual(rc, 0, err)
        got = [json.loads(p) for _, p in sub.wait(3)]
        self.assertEqual([g["data"] for g in got], ["a", "b", "c"])
        ids = [g["id"] for g in got]
        for i in ids:
            self.assertRegex(i, MINTED)
        self.assertEqual(len(set(ids)), 3)
        self.assertEqual([int(i.rsplit("-", 1)[1]) for i in ids], [1, 2, 3])
        self.assertEqual(len({i.split("-")[1] for i in ids}), 1)  # one tag per process
        self.assertNotIn("event", got[0])  # "message" is left out

    def test_prefix_multiline_data_and_json_lines(self):
        redis = RedisServer(self)
        sub = Subscriber(redis, "app/*")
        rc, _, err = self.pub("--redis", redis.url, "--redis-prefix", "app/", "doc", "-s", input="l1\nl2 \"q\"\n")
        self.assertEqual(rc, 0, err)
        rc, _, err = self.pub("--redis", redis.url, "--prefix", "app/", "doc", "--json",
                              input='{"data":"j","topic":"other","id":"mine"}\n')
        self.assertEqual((rc, err), (0, "sse-pub: warning: --prefix is deprecated: use --redis-prefix\n"))
        (c1, p1), (c2, p2) = sub.wait(2)
        self.assertEqual((c1, json.loads(p1)["data"]), ("app/doc", 'l1\nl2 "q"'))
        self.assertEqual((c2, json.loads(p2)["id"]), ("app/other", "mine"))

    def test_many_lines_are_pipelined_and_all_arrive_in_order(self):
        redis = RedisServer(self)
        sub = Subscriber(redis)
        n = 20000
        rc, _, err = self.pub("--redis", redis.url, "bulk", input="".join(f"{i}\n" for i in range(n)))
        self.assertEqual(rc, 0, err)
        self.assertEqual([json.loads(p)["data"] for _, p in sub.wait(n, timeout=60)], [str(i) for i in range(n)])

    def lines(self, n):
        return "".join(f"{i}\n" for i in range(n))

    def received_until_end(self, redis, sub, channel="sse:t"):
        """The data of every message on `channel` up to a last one sent now."""
        redis.client().command("PUBLISH", channel, "end")
        got = sub.wait(1)
        while got[-1][1] != b"end":
            got = sub.wait(len(got) + 1)
        return [json.loads(p)["data"] if p.startswith(ENVELOPE) else p.decode() for c, p in got if c == channel]

    def test_a_batch_whose_answer_was_lost_is_not_published_twice(self):
        redis = RedisServer(self)
        sub = Subscriber(redis)
        # The answer to the first PUBLISHes is lost once Redis ran them: their EXEC's (not the read
        # of the batch's mark before it), or with a publisher that sends bare PUBLISHes, their
        # receiver counts.
        def publishes(answer):
            return (b"QUEUED" in answer and b"*" in answer) or answer.startswith(b":1\r\n:")
        relay = TcpRelay(self, redis.port,
                      lose=lambda connection, round, answer: connection == 0 and not relay.lost and publishes(answer))
        n = 1000
        rc, _, err = self.pub("--redis", f"redis://127.0.0.1:{relay.port}", "t", "--retry-for", "10", "-vv",
                              input=self.lines(n))
        self.assertEqual(rc, 0, err)
        self.assertEqual(relay.lost_count(), 1)
        self.assertEqual(self.received_until_end(redis, sub), [str(i) for i in range(n)] + ["end"])
        self.assertRegex(err, r"\d+ event\(s\) from key \S+ were published before")  # the resend found the mark
        # A batch's mark goes once the batch is acknowledged; the last one expires.
        marks = redis.client().command("KEYS", "sse:#idem-batch:*")
        self.assertLessEqual(len(marks), 1)
        for mark in marks:
            self.assertGreater(redis.client().command("PTTL", mark), 0)

    def test_in_streams_mode_a_retry_adds_nothing_twice_to_the_stream(self):
        redis = RedisServer(self)
        sub = Subscriber(redis)
        relay = TcpRelay(self, redis.port, lose=lambda connection, round, _: connection == 0 and round == 1)
        n = 500
        rc, _, err = self.pub("--redis", f"redis://127.0.0.1:{relay.port}", "--redis-mode", "streams", "t",
                              "--retry-for", "10", input=self.lines(n))
        self.assertEqual(rc, 0, err)
        self.assertEqual(relay.lost_count(), 1)
        self.assertEqual(redis.client().command("XLEN", "sse:t"), n)
        self.assertEqual(self.received_until_end(redis, sub), [str(i) for i in range(n)] + ["end"])

    def test_keys_given_in_json_lines_are_published_once_whatever_the_runs(self):
        redis = RedisServer(self)
        sub = Subscriber(redis)
        lines = '{"data":"a","key":"order-1"}\n{"data":"b","key":"order-2"}\n'
        for extra in ("", '{"data":"c","key":"order-3"}\n'):
            rc, _, err = self.pub("--redis", redis.url, "t", "--json", input=lines + extra)
            self.assertEqual(rc, 0, err)
        self.assertEqual(self.received_until_end(redis, sub), ["a", "b", "c", "end"])
        self.assertEqual(len([i for i in redis.client().command("HMGET", "sse:#idem:t", "order-1", "order-2", "order-3")
                              if i is not None]), 3)

    def test_unreachable_redis_exits_69_with_the_counts(self):
        url = f"redis://127.0.0.1:{free_port()}"
        rc, _, err = self.pub("--redis", url, "t", "x", "--retry-for", "0")
        self.assertEqual(rc, 69)
        self.assertIn("Connection refused", err)
        self.assertIn("published 0 of 1 event\n", err)

    def test_bad_urls_are_usage_errors(self):
        rc, _, err = self.pub("--redis", "rediss://127.0.0.1:6380", "t", "x")
        self.assertEqual(rc, 64)
        self.assertEqual(err, 'sse-pub: error: redis URL "rediss://127.0.0.1:6380": TLS is not supported by this build'
                              ' (see sse-pub --help)\n')
        rc, _, err = self.pub("--redis", "redis://h", "--server", "http://h", "t", "x")
        self.assertEqual(rc, 64)
        self.assertIn("excludes", err)

    def test_wrong_password_exits_77(self):
        redis = RedisServer(self)
        redis.client().command("CONFIG", "SET", "requirepass", "right")
        rc, _, err = self.pub("--redis", f"redis://:wrong@127.0.0.1:{redis.port}", "t", "x")
        self.assertEqual(rc, 77, err)
        self.assertIn("AUTH refused", err)
        sub_client = redis.client()
        self.assertEqual(sub_client.command("AUTH", "right"), "OK")
        rc, _, err = self.pub("--redis", f"redis://:right@127.0.0.1:{redis.port}/2", "t", "x")
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main()
