"""ssed's `ssed-gap` notice is about the stream, not data in it. Against an ssed restarted
between two connections (so sse-tail resumes with an id from an earlier run): raw and json
print the notice as the event it is; data and templates print only data and say it on stderr;
in no format does the notice count toward --count or --match."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary, wait_for  # noqa: E402


class GapNotice(ProcTestCase):
    def test_the_gap_notice_is_shown_as_what_it_is_and_never_counted(self):
        first = Ssed(self, "--retry", "100")
        url = f"{first.url}/events/t"
        # -n 2 and -m: a counted notice would end each of them one event early.
        argv = {
            "data": ["-n", "2"],
            "template": ["-n", "2", "-f", "{event}:{data}"],
            "json": ["-n", "2", "-f", "json"],
            "raw": ["-n", "2", "-f", "raw"],
            # The notice's data says earlier_run: matched, it would be the second of the two.
            "match": ["-n", "2", "-m", "^(one|two)$|earlier_run"],
            "match-json": ["-n", "2", "-m", "^(one|two)$|earlier_run", "-f", "json"],
        }
        tails = {name: self.start([binary("sse-tail"), "-W", "60", *args, url]) for name, args in argv.items()}
        wait_for(lambda: first.metric("ssed_subscribers") == len(tails), 15, what="every sse-tail to subscribe")
        [one] = first.publish_all("t", ["one"])
        for name, tail in tails.items():
            tail.wait_line(lambda l: "one" in l, 15)
        first.proc.signal()
        self.assertEqual(first.proc.wait(15), 0)
        # The same port: each sse-tail reconnects with Last-Event-ID `one`, from the earlier run.
        second = Ssed(self, listen=f"127.0.0.1:{first.port}")
        wait_for(lambda: second.metric("ssed_subscribers") == len(tails), 30, what="every sse-tail to reconnect")
        [two] = second.publish_all("t", ["two"])
        for name, tail in tails.items():
            self.assertEqual(tail.wait(30), 0, f"{name}: {tail.stderr()}")

        gap = {"reason": "earlier_run", "last_event_id": one}
        # data and templates: only data on stdout, the notice as a warning on stderr.
        self.assertEqual(tails["data"].stdout(), "one\ntwo\n")
        self.assertEqual(tails["template"].stdout(), "message:one\nmessage:two\n")
        self.assertEqual(tails["match"].stdout(), "one\ntwo\n")
        for name in ("data", "template", "match"):
            self.assertIn("warning:", tails[name].stderr(), name)
            self.assertIn("events may be missing (ssed-gap", tails[name].stderr(), name)
            self.assertIn("earlier_run", tails[name].stderr(), name)
        # json and raw: the notice as the event it is, between the two data events.
        for name in ("json", "match-json"):
            out = [json.loads(line) for line in tails[name].stdout().splitlines()]
            expected = [{"event": "message", "data": "one", "id": one}, {"event": "ssed-gap", "data": gap, "id": one},
                        {"event": "message", "data": "two", "id": two}]
            self.assertEqual([{**o, "data": json.loads(o["data"]) if o["event"] == "ssed-gap" else o["data"]}
                              for o in out], expected, name)
            self.assertNotIn("ssed-gap", tails[name].stderr(), name)
        raw = tails["raw"].stdout()
        self.assertIn(f"event: ssed-gap\nid: {one}\ndata: {json.dumps(gap, separators=(',', ':'))}\n\n", raw)
        self.assertTrue(raw.endswith(f"id: {two}\ndata: two\n\n"), raw)

    def test_e_can_leave_the_notice_out_of_json_and_then_it_is_a_warning(self):
        first = Ssed(self, "--retry", "100")
        tail = self.start([binary("sse-tail"), "-W", "60", "-n", "1", "-f", "json", "-e", "message",
                           "--last-event-id", "1-1", f"{first.url}/events/t"])
        wait_for(lambda: first.metric("ssed_subscribers") == 1, 15, what="sse-tail to subscribe")
        first.publish_all("t", ["after"])
        self.assertEqual(tail.wait(30), 0, tail.stderr())
        self.assertEqual([json.loads(l)["data"] for l in tail.stdout().splitlines()], ["after"])
        self.assertIn("ssed-gap", tail.stderr())


if __name__ == "__main__":
    unittest.main()
