"""sse-tail - and --input FILE: any byte source (a pipe, a saved capture) is parsed with the
same parser and printed with the same outputs; -n, -m, -e and -W apply; there is no
reconnect, and the end of the input is the end of the run, with status 0."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402

CAPTURE = ("\ufeff: a comment\r\nretry: 5\r\n"
           "event: build\r\nid: 1\r\ndata: started\r\n\r\n"
           "data: line 1\ndata: line 2\n\n"
           "id: 3\rdata: done\r\r"
           "data: never dispatched, the stream ends first")


class TailInput(ProcTestCase):
    def tail(self, *args, input=None):
        return self.run_tool([binary("sse-tail"), *args], input=input)

    def test_stdin_is_parsed_like_a_stream_and_its_end_exits_0(self):
        rc, out, err = self.tail("-f", "json", "-", input=CAPTURE)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual([json.loads(line) for line in out.splitlines()],
                         [{"event": "build", "data": "started", "id": "1"},
                          {"event": "message", "data": "line 1\nline 2", "id": "1"},
                          {"event": "message", "data": "done", "id": "3"}])

    def test_a_saved_capture_with_every_format_and_filter(self):
        path = os.path.join(self.tmp, "capture.sse")
        with open(path, "w", newline="") as f:
            f.write(CAPTURE)
        self.assertEqual(self.tail("--input", path), (0, "started\nline 1\nline 2\ndone\n", ""))
        self.assertEqual(self.tail("--input", path, "-f", "{id} {event}"), (0, "1 build\n1 message\n3 message\n", ""))
        self.assertEqual(self.tail("--input", path, "-e", "message", "-n", "1"), (0, "line 1\nline 2\n", ""))
        self.assertEqual(self.tail("--input", path, "-m", "^do"), (0, "done\n", ""))
        self.assertEqual(self.tail("--input", path, "--last-event-id", "0", "-f", "{id}", "-e", "message"),
                         (0, "1\n3\n", ""))
        # raw output is itself a capture: parsed again, the same events.
        rc, raw, _ = self.tail("--input", path, "-f", "raw")
        self.assertEqual(rc, 0)
        self.assertEqual(self.tail("-f", "json", "-", input=raw), self.tail("-f", "json", "--input", path))

    def test_events_are_printed_as_they_arrive_not_at_the_end_of_input(self):
        p = self.start([binary("sse-tail"), "-f", "json", "-"], stdin=subprocess.PIPE)
        p.p.stdin.write("data: first\n\n")
        p.p.stdin.flush()
        self.assertEqual(json.loads(p.wait_line(lambda l: "first" in l, 15))["data"], "first")
        p.p.stdin.write("data: second\n\n")
        p.p.stdin.close()
        self.assertEqual(p.wait(15), 0, p.stderr())
        self.assertEqual([json.loads(l)["data"] for l in p.stdout().splitlines()], ["first", "second"])

    def test_timeout_applies_to_a_silent_pipe(self):
        p = self.start([binary("sse-tail"), "-W", "0.3", "-"], stdin=subprocess.PIPE)
        self.assertEqual(p.wait(15), 1, p.stderr())
        self.assertIn("timed out", p.stderr())

    def test_an_unreadable_file_exits_66_and_a_url_with_input_is_a_usage_error(self):
        rc, out, err = self.tail("--input", os.path.join(self.tmp, "missing.sse"))
        self.assertEqual(rc, 66, err)
        self.assertIn("missing.sse", err)
        self.assertEqual(self.tail("--input", "x.sse", "http://127.0.0.1:1/t")[0], 64)
        self.assertEqual(self.tail("-", "http://127.0.0.1:1/t")[0], 64)
        rc, _, err = self.tail()
        self.assertEqual(rc, 64)
        self.assertIn("URL is required", err)


if __name__ == "__main__":
    unittest.main()
