"""sse-pub fails fast when nothing, or something other than ssed, is there: one event to a
closed port gives up after a few seconds and asks whether ssed runs there (69); line mode keeps
--retry-for; an answer that is not ssed's (a 501, an HTML page) is final at once (76); a 503's
Retry-After sets the wait, and one beyond --retry-for ends the retries at once."""
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from procs import free_port, wait_for  # noqa: E402

SSED_REPLY = (200, {"Content-Type": "application/json"}, json.dumps({"id": "1-1", "subscribers": 0}))


class ScriptedHttp:
    """An HTTP server on 127.0.0.1 answering each POST with the next (status, headers, body) of
    `answers` (the last one repeats), recording when each request came."""

    def __init__(self, case, answers):
        self.answers, self.times = list(answers), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.times.append(time.monotonic())
                status, headers, body = outer.answers[min(len(outer.times), len(outer.answers)) - 1]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        case.addCleanup(self.server.server_close)
        case.addCleanup(self.server.shutdown)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


class PubFailFast(ProcTestCase):
    def pub(self, *args, input=None, env=None):
        started = time.monotonic()
        rc, out, err = self.run_tool([binary("sse-pub"), *args], input=input, env=env, timeout=120)
        return rc, err, time.monotonic() - started

    def test_one_event_to_a_closed_port_gives_up_in_seconds_and_asks_whether_ssed_runs_there(self):
        url = f"http://127.0.0.1:{free_port()}"
        for args, env in ((["--server", url], None), ([], {"SSE_SERVER": url})):
            rc, err, took = self.pub(*args, "news", "hi", env=env)
            self.assertEqual(rc, 69, err)
            self.assertIn(f"is ssed running at {url}? (set --server or SSE_SERVER)", err)
            self.assertIn("published 0 of 1 event;", err)
            self.assertLess(took, 20, "the documented 3 s, not --retry-for's 30 s")

    def test_line_mode_keeps_retrying_for_retry_for(self):
        port = free_port()
        pub = self.start([binary("sse-pub"), "--server", f"http://127.0.0.1:{port}", "late"], stdin=subprocess.PIPE)
        pub.p.stdin.write("still here\n")
        pub.p.stdin.flush()
        # Six backoff waits (0.1 s doubling, 25 % jitter) add up to more than one DATA event's 3 s.
        wait_for(lambda: pub.stderr().count("retrying in") >= 6, timeout=30, what="six retries")
        self.assertIsNone(pub.p.poll(), pub.stderr())
        Ssed(self, listen=f"127.0.0.1:{port}")
        pub.p.stdin.close()
        self.assertEqual(pub.wait(timeout=60), 0, pub.stderr())

    def test_an_answer_that_is_not_ssed_s_is_final_at_once(self):
        html = {"Content-Type": "text/html"}
        for answer in ((501, html, "<html><body>Unsupported method</body></html>"),
                       (200, html, "<!doctype html><title>Welcome to nginx!</title>"),
                       (500, {"Content-Type": "text/plain"}, "oops")):
            server = ScriptedHttp(self, [answer])
            rc, err, _ = self.pub("--server", server.url, "t", "x", "--retry-for", "60")
            self.assertEqual(rc, 76, err)
            self.assertIn("is --server an ssed?", err)
            self.assertEqual(len(server.times), 1, "not retried")
            rc, err, _ = self.pub("--server", server.url, "t", input="a\nb\n")  # line mode alike
            self.assertEqual(rc, 76, err)

    def test_a_503_with_retry_after_waits_that_long(self):
        busy = (503, {"Content-Type": "application/json", "Retry-After": "2"}, json.dumps({"error": "busy"}))
        server = ScriptedHttp(self, [busy, SSED_REPLY])
        rc, err, _ = self.pub("--server", server.url, "t", "x")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(server.times), 2)
        self.assertGreaterEqual(server.times[1] - server.times[0], 1.9)
        self.assertIn("retrying in 2 s", err)

    def test_a_retry_after_beyond_retry_for_ends_the_retries_at_once(self):
        busy = (503, {"Content-Type": "application/json", "Retry-After": "120"}, json.dumps({"error": "busy"}))
        server = ScriptedHttp(self, [busy])
        rc, err, took = self.pub("--server", server.url, "t", "x", "--retry-for", "5")
        self.assertEqual(rc, 69, err)
        self.assertIn("the server asks to retry after 120 s, beyond --retry-for", err)
        self.assertEqual(len(server.times), 1)
        self.assertLess(took, 30)


if __name__ == "__main__":
    unittest.main()
