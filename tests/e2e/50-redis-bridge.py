"""ssed --redis: two instances share one Redis; an event published on one (sse-pub over HTTP,
sse-pub --redis, or a plain redis-cli PUBLISH) reaches subscribers of both with the same id, and
a publisher retrying through a restart of the instance it talks to publishes each event once.
Skips while ssed has no --redis option."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from procs import free_port, wait_for  # noqa: E402
from relay import TcpRelay  # noqa: E402


def ssed_has_redis():
    out = subprocess.run([binary("ssed"), "--help"], capture_output=True, text=True, timeout=10).stdout
    return "--redis" in out


class RedisBridgeE2E(ProcTestCase):
    def setUp(self):
        super().setUp()
        if not ssed_has_redis():
            self.skipTest("ssed has no --redis option yet")
        self.redis = RedisServer(self)
        self.a = Ssed(self, "--redis", self.redis.url)
        self.b = Ssed(self, "--redis", self.redis.url)

    def test_an_event_posted_to_one_instance_reaches_both_with_the_same_id(self):
        sa, sb = self.a.subscribed("news"), self.b.subscribed("news")
        rc, _, err = self.run_tool([binary("sse-pub"), "--server", self.a.url, "news", "-e", "x"],
                                   input="one\ntwo\n")
        self.assertEqual(rc, 0, err)
        ea, eb = sa.wait_events(2), sb.wait_events(2)
        self.assertEqual(ea, eb)
        self.assertEqual([(e["event"], e["data"]) for e in ea], [("x", "one"), ("x", "two")])
        self.assertNotEqual(ea[0]["id"], ea[1]["id"])

    def test_sse_pub_redis_and_plain_redis_publish_reach_both(self):
        sa, sb = self.a.subscribed("t"), self.b.subscribed("t")
        rc, _, err = self.run_tool([binary("sse-pub"), "--redis", self.redis.url, "t", "enveloped", "-i", "e1"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.redis.client().command("PUBLISH", "sse:t", "plain"), 2)
        for s in (sa, sb):
            events = s.wait_events(2)
            self.assertEqual(events[0], {"event": "message", "id": "e1", "data": "enveloped"})
            self.assertEqual(events[1], {"event": "message", "data": "plain"})  # no id: instances cannot agree

    def test_a_publisher_retrying_through_a_restart_of_its_ssed_publishes_each_event_once(self):
        # The scenario: ssed published a batch into Redis and went away before its answer
        # reached sse-pub, which sends the batch again to the ssed started in its place.
        for mode in ("pubsub", "streams"):
            with self.subTest(mode):
                args = ("--redis", self.redis.url, "--redis-mode", mode, "--redis-prefix", mode + ":")
                port = free_port()
                front = Ssed(self, *args, listen=f"127.0.0.1:{port}")
                witness = Ssed(self, *args).subscribed("t")  # on another instance, up throughout
                relay = TcpRelay(self, port, lose=lambda connection, round, _: connection == 0 and round == 1)
                n = 1000
                pub = self.start([binary("sse-pub"), "--server", relay.url, "t", "--retry-for", "10"],
                                 stdin=subprocess.PIPE)
                pub.p.stdin.write("".join(f"{i}\n" for i in range(n)))
                pub.p.stdin.close()
                wait_for(relay.lost_count, 15, what="the lost answer")
                front.proc.stop()
                Ssed(self, *args, listen=f"127.0.0.1:{port}")
                self.assertEqual(pub.wait(30), 0, pub.stderr())
                rc, _, err = self.run_tool([binary("sse-pub"), "--server", f"http://127.0.0.1:{port}", "t", "end"])
                self.assertEqual(rc, 0, err)
                witness.wait_text("data: end")
                self.assertEqual([e["data"] for e in witness.data_events()], [str(i) for i in range(n)] + ["end"])
                if mode == "streams":
                    self.assertEqual(self.redis.client().command("XLEN", "streams:t"), n + 1)

    def test_a_publish_this_instance_would_refuse_gets_the_same_answer_as_without_redis(self):
        # The scenario: with --max-topics 3, five topics. Without the check the five
        # got 200 and two were dropped on delivery.
        alone = Ssed(self, "--max-topics", "3")
        shared = Ssed(self, "--max-topics", "3", "--redis", self.redis.url)
        watcher = self.b.subscribed("t1")  # another instance: counted in "instances", not "subscribers"
        for i in range(1, 6):
            topic = f"t{i}"
            s1, h1, b1 = alone.publish(topic, "x")
            s2, h2, b2 = shared.publish(topic, "x")
            self.assertEqual(s2, s1, topic)
            self.assertEqual(h2.get("content-type"), h1.get("content-type"))
            self.assertEqual(h2.get("retry-after"), h1.get("retry-after"))
            a1, a2 = json.loads(b1), json.loads(b2)
            if s1 == 200:
                self.assertEqual(a2["subscribers"], a1["subscribers"], b2)
                self.assertEqual(a2["subscribers"], 0)  # none on the instance posted to
                self.assertEqual(a2["instances"], 3, b2)  # a, b and shared receive it
                self.assertNotIn("instances", a1)
            else:
                self.assertEqual(a2, a1)
        self.assertEqual(alone.metric("ssed_published_total"), 3)
        self.assertEqual(shared.metric("ssed_redis_published_total"), 3)  # the refused never entered Redis
        self.assertEqual([e["data"] for e in watcher.wait_events(1)], ["x"])
        from procs import wait_for
        wait_for(lambda: shared.metric("ssed_redis_received_total") == 3, 15, what="the three events back")
        self.assertEqual(shared.metric("ssed_redis_dropped_total"), 0)
        self.assertEqual(shared.metric("ssed_redis_refused_total"), 0)

    def test_an_event_another_instance_refuses_on_delivery_is_counted_there(self):
        tight = Ssed(self, "--max-topics", "1", "--redis", self.redis.url)
        for topic in ("t1", "t2", "t3"):
            self.assertEqual(self.a.publish(topic, "x")[0], 200)
        from procs import wait_for
        wait_for(lambda: tight.metric("ssed_redis_refused_total") == 2, 15, what="tight's two refusals")
        self.assertEqual(tight.metric("ssed_redis_received_total"), 1)
        self.assertEqual(self.a.metric("ssed_redis_refused_total"), 0)

    def test_redis_down_means_503_not_a_false_success(self):
        self.redis.stop()
        rc, _, err = self.run_tool([binary("sse-pub"), "--server", self.a.url, "t", "x", "--retry-for", "0"])
        self.assertEqual(rc, 69, err)
        self.assertIn("503", err)


if __name__ == "__main__":
    unittest.main()
