"""ssed end to end: publish with curl, subscribe with curl, raw sockets and sse-tail; several
topics on one connection; NDJSON batches; health, metrics and the topic list."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402


class PubSub(ProcTestCase):
    def curl(self, *args, input=None):
        return self.run_tool(["curl", "-sS", "--max-time", "20", *args], input=input)

    def test_curl_publishes_and_a_curl_subscriber_receives_in_order(self):
        ssed = Ssed(self)
        sub = self.start(["curl", "-sSN", "--max-time", "30", f"{ssed.url}/events/news"])
        sub.wait_line(lambda l: l.startswith("retry:"))
        rc, out, err = self.curl("-X", "POST", "--data-binary", "first", f"{ssed.url}/events/news")
        self.assertEqual(rc, 0, err)
        reply = json.loads(out)
        self.assertEqual(reply["subscribers"], 1)
        rc, out, err = self.curl("-X", "POST", "--data-binary", "second\nline", f"{ssed.url}/events/news?event=update&id=n2")
        self.assertEqual(json.loads(out), {"id": "n2", "subscribers": 1})
        sub.wait_line(lambda l: l == "data: line\n")
        text = sub.stdout()
        self.assertIn(f"id: {reply['id']}\ndata: first\n\n", text)
        self.assertIn("event: update\nid: n2\ndata: second\ndata: line\n\n", text)
        self.assertLess(text.index("data: first"), text.index("data: second"))

    def test_one_connection_carries_several_topics(self):
        ssed = Ssed(self)
        streams = [ssed.subscribe("/events/a,b"), ssed.subscribe("/events?topic=a&topic=b")]
        for s in streams:
            self.addCleanup(s.close)
            self.assertEqual(s.wait_status(), 200)
            s.wait_text("retry:")
        for topic, data in [("a", "1"), ("c", "not for us"), ("b", "2"), ("a", "3")]:
            status, _, _ = ssed.publish(topic, data)
            self.assertEqual(status, 200)
        for s in streams:
            self.assertEqual([e["data"] for e in s.wait_events(3)], ["1", "2", "3"])

    def test_a_batch_is_published_in_order_with_its_own_ids_and_types(self):
        ssed = Ssed(self)
        s = ssed.subscribe("/events/jobs")
        self.addCleanup(s.close)
        s.wait_text("retry:")
        lines = '{"data":"one"}\n{"event":"done","data":{"ok":true},"id":"j-2"}\n\n{"data":"three"}\n'
        status, headers, body = ssed.request("POST", "/events/jobs", lines.encode(),
                                             {"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 200, body)
        reply = json.loads(body)
        self.assertEqual(reply["published"], 3)
        events = s.wait_events(3)
        self.assertEqual([(e["event"], e["data"]) for e in events],
                         [("message", "one"), ("done", '{"ok":true}'), ("message", "three")])
        self.assertEqual(events[0]["id"], reply["first_id"])
        self.assertEqual(events[1]["id"], "j-2")
        self.assertEqual(events[2]["id"], reply["last_id"])

    def test_health_metrics_and_topics(self):
        ssed = Ssed(self)
        s = ssed.subscribe("/events/alpha")
        self.addCleanup(s.close)
        s.wait_text("retry:")
        ssed.publish("alpha", "x")
        s.wait_events(1)
        status, _, body = ssed.request("GET", "/healthz")
        self.assertEqual((status, body), (200, "ok\n"))
        self.assertEqual(ssed.metric("ssed_subscribers"), 1)
        self.assertEqual(ssed.metric("ssed_published_total"), 1)
        self.assertEqual(ssed.metric("ssed_delivered_total"), 1)
        status, headers, body = ssed.request("GET", "/topics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        [topic] = json.loads(body)
        self.assertEqual((topic["topic"], topic["subscribers"], topic["published"]), ("alpha", 1, 1))
        status, headers, body = ssed.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn('fetch("/events/"', body)  # the page reads the stream itself (see 62-browser-page)

    def test_sse_tail_receives_what_curl_publishes(self):
        tail_bin = binary("sse-tail")  # skips cleanly when sse-tail is not built
        ssed = Ssed(self)
        tail = self.start([tail_bin, "-n", "2", "-f", "json", "-W", "30", f"{ssed.url}/events/t"])
        # sse-tail subscribes live: wait for it to be counted before publishing.
        from procs import wait_for
        wait_for(lambda: ssed.metric("ssed_subscribers") == 1, 15, what="sse-tail to subscribe")
        ssed.publish("t", "hello", event="greet", id="g1")
        ssed.publish("t", "world")
        self.assertEqual(tail.wait(30), 0, tail.stderr())
        out = [json.loads(l) for l in tail.stdout().splitlines()]
        self.assertEqual([(o["event"], o["data"]) for o in out], [("greet", "hello"), ("message", "world")])
        self.assertEqual(out[0]["id"], "g1")


if __name__ == "__main__":
    unittest.main()
