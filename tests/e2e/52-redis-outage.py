"""ssed --redis as a user of two instances sees it: sse-tail on each instance shows every event
that sse-pub put into Redis, with identical ids; and a Redis restart in the middle of a stream
keeps local subscribers connected, answers publishes with 503 (never a false success), reports
/healthz degraded, and resumes delivery once Redis is back."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from procs import wait_for  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402


class TwoInstancesAndRedis(ProcTestCase):
    def setUp(self):
        super().setUp()
        self.redis = RedisServer(self)
        self.a = Ssed(self, "--redis", self.redis.url)
        self.b = Ssed(self, "--redis", self.redis.url)

    def healthz(self, ssed):
        try:
            return ssed.request("GET", "/healthz", timeout=5)[0]
        except OSError:
            return None

    def test_sse_tail_on_each_instance_sees_every_event_with_identical_ids(self):
        n = 500
        tails = [self.start([binary("sse-tail"), "-f", "json", "-n", str(n), "-W", "60",
                             f"{s.url}/events/deploys"]) for s in (self.a, self.b)]
        for s in (self.a, self.b):
            wait_for(lambda s=s: s.metric("ssed_subscribers") == 1, 15, what="sse-tail subscribed")
        lines = "".join(f"build {i}\n" for i in range(n))
        rc, _, err = self.run_tool([binary("sse-pub"), "--redis", self.redis.url, "-e", "build", "deploys"],
                                   input=lines)
        self.assertEqual(rc, 0, err)
        seen = []
        for t in tails:
            self.assertEqual(t.wait(60), 0, t.stderr())
            seen.append([json.loads(line) for line in t.stdout().splitlines()])
        self.assertEqual(seen[0], seen[1])
        self.assertEqual([e["data"] for e in seen[0]], [f"build {i}" for i in range(n)])
        self.assertEqual({e["event"] for e in seen[0]}, {"build"})
        self.assertEqual(len({e["id"] for e in seen[0]}), n, "ids are unique")

    def test_redis_restart_mid_stream(self):
        sub = self.b.subscribe("/events/news")
        self.addCleanup(sub.close)
        self.assertEqual(sub.wait_status(), 200)
        status, _, body = self.a.publish("news", "before")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["data"] for e in sub.wait_events(1)], ["before"])

        self.assertEqual(self.b.metric("ssed_redis_up"), 1)
        self.assertEqual(self.a.metric("ssed_redis_published_total"), 1)
        self.redis.stop()
        for s in (self.a, self.b):
            wait_for(lambda s=s: self.healthz(s) == 503, 30, what="/healthz to report degraded")
        self.assertEqual(self.b.metric("ssed_redis_up"), 0)
        status, _, body = self.a.publish("news", "during")
        self.assertEqual(status, 503, body)
        self.assertIn("error", json.loads(body))
        rc, _, err = self.run_tool([binary("sse-pub"), "--server", self.b.url, "--retry-for", "0",
                                    "news", "during"])
        self.assertEqual(rc, 69, err)
        self.assertIn("published 0 of 1", err)

        self.redis.start()
        for s in (self.a, self.b):
            wait_for(lambda s=s: self.healthz(s) == 200, 30, what="/healthz to recover")
        status, _, body = self.a.publish("news", "after")
        self.assertEqual(status, 200, body)
        self.assertGreaterEqual(self.b.metric("ssed_redis_reconnects_total"), 1)
        self.assertGreaterEqual(self.a.metric("ssed_redis_publish_failures_total"), 1)
        events = sub.wait_events(2, timeout=30)
        # The same connection carried on: no reconnect, nothing false, nothing twice.
        self.assertFalse(sub.closed)
        self.assertEqual([e["data"] for e in events], ["before", "after"])
        # The instance logged the outage.
        self.assertRegex(self.b.proc.stderr(), r"(?i)redis")


if __name__ == "__main__":
    unittest.main()
