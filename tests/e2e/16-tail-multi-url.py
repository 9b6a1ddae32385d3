"""sse-tail follows several URLs at once: whole events, each tagged in JSON, failures per URL."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, chunks, close, hang, ok_stream, send, status  # noqa: E402


class MultiUrl(ProcTestCase):
    def tail(self, *args):
        return self.run_tool([binary("sse-tail"), "-W", "60", *args], timeout=90)

    def test_events_from_both_streams_arrive_whole_and_tagged(self):
        n = 200
        big = "z" * 5000

        def stream(tag):
            return "".join(f"id: {tag}{i}\ndata: {tag} {i} {big}\n\n" for i in range(n))

        with ScriptedSseServer([[status(), chunks(stream("a"), size=7000), hang()]]) as a, \
                ScriptedSseServer([[status(), chunks(stream("b"), size=3000), hang()]]) as b:
            rc, out, err = self.tail("-f", "json", "-n", str(2 * n), a.url(), b.url())
            self.assertEqual(rc, 0, err)
            objs = [json.loads(line) for line in out.splitlines()]  # a torn line would not parse
            self.assertEqual(len(objs), 2 * n)
            for url, tag in ((a.url(), "a"), (b.url(), "b")):
                mine = [o for o in objs if o["url"] == url]
                self.assertEqual([o["id"] for o in mine], [f"{tag}{i}" for i in range(n)])
                self.assertTrue(all(o["data"] == f"{tag} {i} {big}" for i, o in enumerate(mine)))

    def test_a_failing_url_is_reported_while_the_others_go_on(self):
        with ScriptedSseServer([[status(500, content_type=None), close()]]) as bad, \
                ScriptedSseServer([[status(), send("data: one\n\n"), chunks("data: two\n\n", size=4, pause=0.05),
                                    hang()]]) as good:
            rc, out, err = self.tail("-n", "2", bad.url(), good.url())
            self.assertEqual((rc, out), (0, "one\ntwo\n"), err)
            self.assertEqual(err, f"sse-tail: error: {bad.url()}: HTTP 500 Internal Server Error\n")

    def test_exit_status_reports_the_failure_once_every_url_has_ended(self):
        with ScriptedSseServer([[status(401, content_type=None), close()]]) as bad, \
                ScriptedSseServer([ok_stream("data: fine\n\n")]) as good:
            rc, out, err = self.tail("--no-reconnect", bad.url(), good.url())
            self.assertEqual((rc, out), (77, "fine\n"), err)
            self.assertIn("HTTP 401 Unauthorized", err)

    def test_each_url_keeps_its_own_last_event_id(self):
        with ScriptedSseServer([ok_stream("id: a1\ndata: x\n\n"), ok_stream("data: y\n\n")]) as a, \
                ScriptedSseServer([ok_stream("id: b1\ndata: x\n\n"), ok_stream("data: y\n\n")]) as b:
            rc, out, err = self.tail("--retry", "20", "-n", "4", a.url(), b.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(a.requests[1].headers["last-event-id"], "a1")
            self.assertEqual(b.requests[1].headers["last-event-id"], "b1")


if __name__ == "__main__":
    unittest.main()
