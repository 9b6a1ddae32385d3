"""ssed --redis when Redis fails (52-redis-outage.py has pub/sub's restart: subscribers stay,
503 meanwhile, delivery after): Redis killed and restarted under a streams-mode ssed, with an
append-only file (every acknowledged event is kept, a resume from before the crash misses
nothing) and without persistence (Redis forgets the streams: subscribers that stayed connected
lose nothing, and a later resume from before the restart gets a gap notice, then what came
after it); pub/sub's history outliving a Redis restart; one instance cut off from a Redis
that another keeps publishing into (pub/sub: its subscribers miss those events, and are not
told; streams: it reads them back); and a Redis that never started."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary, wait_for  # noqa: E402
from procs import free_port  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from relay import TcpRelay  # noqa: E402


class RedisFaults(ProcTestCase):
    def healthz(self, ssed):
        try:
            return ssed.request("GET", "/healthz", timeout=5)[0]
        except OSError:
            return None

    def through_a_redis_crash(self, redis, *mode):
        """A subscriber stays connected while Redis is killed and started again; returns the
        ssed, the ids of the three events before the crash, and that subscriber."""
        ssed = Ssed(self, "--redis", redis.url, *mode)
        sub = ssed.subscribed("news")
        ids = ssed.publish_all("news", ["one", "two", "three"])
        sub.wait_events(3)
        redis.stop(hard=True)
        wait_for(lambda: self.healthz(ssed) == 503, 30, what="/healthz to report degraded")
        status, _, body = ssed.publish("news", "during")
        self.assertEqual(status, 503, body)  # never a false success
        redis.start()
        wait_for(lambda: self.healthz(ssed) == 200, 30, what="/healthz to recover")
        ssed.publish_all("news", ["four"])
        # The connection that stayed open missed nothing and got nothing twice.
        self.assertEqual([e["data"] for e in sub.wait_events(4, timeout=30)], ["one", "two", "three", "four"])
        self.assertFalse(sub.closed)
        return ssed, ids, sub

    def test_streams_with_an_append_only_redis_keep_every_acknowledged_event_through_a_crash(self):
        redis = RedisServer(self, persistent=True)
        ssed, ids, _ = self.through_a_redis_crash(redis, "--redis-mode", "streams")
        resumed = ssed.subscribed("news", ids[0])
        self.assertEqual([e["data"] for e in resumed.wait_events(3)], ["two", "three", "four"])
        self.assertNotIn("ssed-gap", resumed.text())

    def test_streams_on_a_redis_without_persistence_forget_what_came_before_its_restart(self):
        redis = RedisServer(self)
        ssed, ids, _ = self.through_a_redis_crash(redis, "--redis-mode", "streams")
        resumed = ssed.subscribed("news", ids[0])
        ssed.publish_all("news", ["five"])
        # "two" and "three" were acknowledged, then lost with Redis' memory. The resume says so
        # (Redis' history now starts after ids[0]: stream_since_key), then gets what came after.
        events = resumed.wait_events(3)
        self.assertEqual(events[0]["event"], "ssed-gap", events)
        self.assertEqual(json.loads(events[0]["data"]), {"reason": "earlier_run", "last_event_id": ids[0]})
        self.assertEqual([e["data"] for e in events[1:]], ["four", "five"])

    def test_pubsub_history_is_the_instance_s_own_and_outlives_a_redis_restart(self):
        redis = RedisServer(self)
        ssed, ids, _ = self.through_a_redis_crash(redis)
        resumed = ssed.subscribed("news", ids[0])
        self.assertEqual([e["data"] for e in resumed.wait_events(3)], ["two", "three", "four"])
        self.assertNotIn("ssed-gap", resumed.text())

    def test_a_streams_resume_while_redis_is_down_is_503_not_a_silent_live_only_stream(self):
        redis = RedisServer(self)
        ssed = Ssed(self, "--redis", redis.url, "--redis-mode", "streams")
        [first] = ssed.publish_all("news", ["one"])
        redis.stop(hard=True)
        wait_for(lambda: self.healthz(ssed) == 503, 30, what="/healthz to report degraded")
        s = ssed.subscribe("/events/news", {"Last-Event-ID": first})
        self.addCleanup(s.close)
        self.assertEqual(s.wait_status(), 503)
        live = ssed.subscribed("news")  # no Last-Event-ID: nothing to read from Redis
        self.assertFalse(live.closed)

    def cut_off_while_another_instance_publishes(self, *mode):
        """Instance B is cut off from Redis (a relay in between closes) while A, on the same
        Redis, publishes; returns what B's subscriber got, and B."""
        redis = RedisServer(self)
        relay = TcpRelay(self, redis.port)
        a = Ssed(self, "--redis", redis.url, *mode)
        b = Ssed(self, "--redis", f"redis://127.0.0.1:{relay.port}", *mode)
        sub = b.subscribed("news")
        a.publish_all("news", ["before"])
        sub.wait_events(1)
        relay.cut()
        wait_for(lambda: self.healthz(b) == 503, 30, what="B to notice it is cut off")
        a.publish_all("news", ["while B was cut off"])  # A still reaches Redis: 200
        relay.restore()
        wait_for(lambda: self.healthz(b) == 200, 30, what="B to subscribe again")
        a.publish_all("news", ["after"])
        sub.wait_text("data: after", timeout=30)
        self.assertFalse(sub.closed)
        self.assertNotIn("ssed-gap", sub.text())
        return [e["data"] for e in sub.data_events()], b

    def test_pubsub_an_instance_cut_off_from_redis_misses_what_others_publish_and_only_logs_it(self):
        got, b = self.cut_off_while_another_instance_publishes()
        self.assertEqual(got, ["before", "after"])
        self.assertIn("missed by this instance", b.proc.stderr())

    def test_streams_an_instance_cut_off_from_redis_reads_back_what_it_missed(self):
        got, b = self.cut_off_while_another_instance_publishes("--redis-mode", "streams")
        self.assertEqual(got, ["before", "while B was cut off", "after"])
        self.assertGreaterEqual(b.metric("ssed_redis_backfilled_total"), 1)

    def test_a_redis_that_never_started_means_ssed_does_not_start(self):
        url = f"redis://127.0.0.1:{free_port()}"
        for mode in ("pubsub", "streams"):
            rc, out, err = self.run_tool([binary("ssed"), "--listen", "127.0.0.1:0", "--redis", url,
                                          "--redis-mode", mode], timeout=60)
            self.assertEqual(rc, 69, err)
            self.assertEqual(out, "", "no URL: it never listened")
            self.assertEqual(err.count("error:"), 1, err)
            self.assertIn("127.0.0.1", err)


if __name__ == "__main__":
    unittest.main()
