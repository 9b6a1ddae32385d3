"""ssed resume policy: Last-Event-ID (header or ?lastEventId=) replays exactly what was missed;
an evicted id, or one from an earlier run of ssed, gets an `event: ssed-gap` notice first."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary, wait_for  # noqa: E402


class Resume(ProcTestCase):
    def test_a_reconnecting_client_gets_exactly_what_it_missed(self):
        ssed = Ssed(self)
        ids = ssed.publish_all("t", ["a", "b", "c", "d"])
        for how in ({"headers": {"Last-Event-ID": ids[1]}, "path": "/events/t"},
                    {"headers": {}, "path": f"/events/t?lastEventId={ids[1]}"},
                    {"headers": {}, "path": f"/events/t?last_event_id={ids[1]}"}):
            s = ssed.subscribe(how["path"], how["headers"])
            self.addCleanup(s.close)
            events = s.wait_events(2)
            self.assertEqual([(e["id"], e["data"]) for e in events], [(ids[2], "c"), (ids[3], "d")], how)
            self.assertFalse(any(e.get("event") == "ssed-gap" for e in s.events()))

    def test_resume_spans_several_topics_in_publish_order(self):
        ssed = Ssed(self)
        first = ssed.publish_all("x", ["x1"])
        ssed.publish_all("y", ["y1"])
        ssed.publish_all("x", ["x2"])
        ssed.publish_all("z", ["z1"])
        s = ssed.subscribe("/events/x,y", {"Last-Event-ID": first[0]})
        self.addCleanup(s.close)
        s.wait_events(2)
        self.assertEqual([e["data"] for e in s.data_events()], ["y1", "x2"])

    def test_an_evicted_id_gets_a_gap_notice_then_what_is_left(self):
        ssed = Ssed(self, "--history", "2")
        ids = ssed.publish_all("t", ["1", "2", "3", "4", "5"])
        s = ssed.subscribe("/events/t", {"Last-Event-ID": ids[0]})
        self.addCleanup(s.close)
        events = s.wait_events(3)
        gap = events[0]
        self.assertEqual(gap["event"], "ssed-gap")
        self.assertNotIn("id", gap)  # the notice must not move the client's Last-Event-ID
        self.assertEqual(json.loads(gap["data"]), {"reason": "evicted", "last_event_id": ids[0]})
        self.assertEqual([e["data"] for e in events[1:]], ["4", "5"])

    def test_an_id_from_an_earlier_run_gets_a_gap_notice(self):
        first = Ssed(self)
        [old_id] = first.publish_all("t", ["before restart"])
        first.proc.signal()
        self.assertEqual(first.proc.wait(15), 0)
        second = Ssed(self)
        second.publish_all("t", ["after restart"])
        s = second.subscribe("/events/t", {"Last-Event-ID": old_id})
        self.addCleanup(s.close)
        events = s.wait_events(2)
        self.assertEqual(events[0]["event"], "ssed-gap")
        self.assertEqual(json.loads(events[0]["data"]), {"reason": "earlier_run", "last_event_id": old_id})
        self.assertEqual(events[1]["data"], "after restart")

    def test_sse_tail_follows_ssed_across_a_restart(self):
        tail_bin = binary("sse-tail")
        first = Ssed(self, "--retry", "100")
        port = first.port
        # -n 2: the gap notice is printed (json) but is not one of the events counted.
        tail = self.start([tail_bin, "-n", "2", "-f", "json", "-W", "60", f"{first.url}/events/t"])
        wait_for(lambda: first.metric("ssed_subscribers") == 1, 15, what="sse-tail to subscribe")
        first.publish_all("t", ["one"])
        first.proc.signal()
        self.assertEqual(first.proc.wait(15), 0)
        # Same port, so sse-tail's reconnection (retry: from the drain) finds the new run.
        second = Ssed(self, listen=f"127.0.0.1:{port}")
        wait_for(lambda: second.metric("ssed_subscribers") == 1, 30, what="sse-tail to reconnect")
        second.publish_all("t", ["two"])
        self.assertEqual(tail.wait(30), 0, tail.stderr())
        out = [json.loads(l) for l in tail.stdout().splitlines()]
        self.assertEqual([o["event"] for o in out], ["message", "ssed-gap", "message"])
        self.assertEqual(json.loads(out[1]["data"])["reason"], "earlier_run")
        self.assertEqual([out[0]["data"], out[2]["data"]], ["one", "two"])


if __name__ == "__main__":
    unittest.main()
