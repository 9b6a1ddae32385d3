"""ssed --redis-mode streams: events go into a capped Redis Stream per topic and their ids are
stream ids, so a client that read some events on one instance resumes on another, or on an
instance restarted meanwhile, with exactly the events it missed (read back from Redis), in
order, with the ids every instance shows. A Last-Event-ID older than the capped stream gets an
ssed-gap notice, then what Redis still holds."""
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402

STREAM_ID = re.compile(r"^\d+-\d+$")


class RedisStreamsE2E(ProcTestCase):
    def setUp(self):
        super().setUp()
        self.redis = RedisServer(self)

    def ssed(self, *extra):
        return Ssed(self, "--redis", self.redis.url, "--redis-mode", "streams", *extra)

    def pub_http(self, ssed, topic, *lines):
        rc, _, err = self.run_tool([binary("sse-pub"), "--server", ssed.url, topic], input="".join(l + "\n" for l in lines))
        self.assertEqual(rc, 0, err)

    def pub_redis(self, topic, *lines, extra=()):
        rc, _, err = self.run_tool([binary("sse-pub"), "--redis", self.redis.url, "--redis-mode", "streams", *extra,
                                    topic], input="".join(l + "\n" for l in lines))
        self.assertEqual(rc, 0, err)

    def test_resume_across_instances_and_across_a_restart_gives_exactly_the_missed_events(self):
        a, b = self.ssed(), self.ssed()
        witness = b.subscribed("news")     # stays connected: the ids every instance shows
        client = b.subscribed("news")      # reads some, goes away, resumes elsewhere
        self.pub_http(a, "news", "one", "two", "three")
        self.pub_redis("news", "four", "five")
        seen = client.wait_events(5)
        self.assertEqual([e["data"] for e in seen], ["one", "two", "three", "four", "five"])
        for e in seen:
            self.assertRegex(e["id"], STREAM_ID)
        client.close()

        self.pub_http(a, "news", "six", "seven")
        self.pub_redis("news", "eight")
        all_ids = [e["id"] for e in witness.wait_events(8)]
        self.assertEqual([e["id"] for e in seen], all_ids[:5])

        # Resume on the OTHER instance: exactly the missed events, same ids, in order.
        resumed = a.subscribed("news", seen[-1]["id"])
        got = resumed.wait_events(3)
        self.assertEqual([(e["id"], e["data"]) for e in got],
                         list(zip(all_ids[5:], ["six", "seven", "eight"])))
        self.assertNotIn("ssed-gap", resumed.text())
        # ...then live, with no duplicate.
        self.pub_http(b, "news", "nine")
        got = resumed.wait_events(4)
        self.assertEqual([e["data"] for e in got], ["six", "seven", "eight", "nine"])
        last = got[-1]["id"]
        resumed.close()

        # Kill A outright, publish while it is gone, start it again: the resume comes from Redis.
        a.proc.signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        self.pub_http(b, "news", "ten", "eleven")
        self.pub_redis("news", "twelve")
        witness_ids = [e["id"] for e in witness.wait_events(12)]
        a2 = self.ssed()
        again = a2.subscribed("news", last)
        got = again.wait_events(3)
        self.assertEqual([(e["id"], e["data"]) for e in got],
                         list(zip(witness_ids[9:], ["ten", "eleven", "twelve"])))
        self.assertNotIn("ssed-gap", again.text())

    def test_an_id_older_than_the_capped_stream_gets_a_gap_notice_then_what_redis_holds(self):
        a = self.ssed("--history", "5")
        # sse-pub caps the stream at about 5 entries; Redis trims whole nodes of 100.
        self.pub_redis("capped", *[f"e{i}" for i in range(250)], extra=("--stream-maxlen", "5"))
        first = a.subscribed("capped", "0-1")
        events = first.wait_events(5)
        self.assertIn("event: ssed-gap", first.text())
        gap = [e for e in first.events() if e.get("event") == "ssed-gap"]
        self.assertIn('"reason":"evicted"', gap[0]["data"])
        self.assertIn('"last_event_id":"0-1"', gap[0]["data"])
        self.assertEqual([e["data"] for e in events if e["event"] == "message"], [f"e{i}" for i in range(245, 250)])

    def test_ids_are_redis_s_so_a_publisher_given_id_is_refused(self):
        a = self.ssed()
        status, _, body = a.publish("t", "x", id="mine")
        self.assertEqual(status, 400, body)
        self.assertIn("streams mode", body)
        rc, _, err = self.run_tool([binary("sse-pub"), "--redis", self.redis.url, "--redis-mode", "streams",
                                    "-i", "mine", "t", "x"])
        self.assertEqual(rc, 64, err)
        self.assertIn("--redis-mode streams", err)
        rc, _, err = self.run_tool([binary("ssed"), "--redis-mode", "streams", "--listen", "127.0.0.1:0"])
        self.assertEqual(rc, 64, err)
        self.assertIn("needs --redis", err)


if __name__ == "__main__":
    unittest.main()
