"""ssed's life: the URL on stdout and a ready line on stderr; heartbeats on idle streams; drain
on SIGTERM/SIGINT (each subscriber gets retry: and the end of the stream, ssed exits 0); an
address in use is exit 71 with one line."""
import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402


class Lifecycle(ProcTestCase):
    def test_prints_its_url_alone_on_stdout_and_a_ready_line_on_stderr(self):
        ssed = Ssed(self)
        self.assertRegex(ssed.proc.stdout(), r"^http://127\.0\.0\.1:\d+\n$")
        line = ssed.proc.wait_line(lambda l: "ready on" in l, stream="err")
        self.assertTrue(line.startswith(f"ssed: ready on {ssed.url} ("), line)
        self.assertIn("history 1000", line)

    def test_listens_on_ipv6_loopback(self):
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback")
        ssed = Ssed(self, listen="[::1]:0")
        self.assertTrue(ssed.url.startswith("http://[::1]:"), ssed.url)
        status, _, body = ssed.request("GET", "/healthz")
        self.assertEqual((status, body), (200, "ok\n"))

    def test_idle_streams_get_heartbeats(self):
        ssed = Ssed(self, "--heartbeat", "1")
        s = ssed.subscribe("/events/quiet")
        self.addCleanup(s.close)
        s.wait_until(lambda st: sum(1 for e in st.events() if "comment" in e) >= 2, timeout=20,
                     what="two heartbeat comments")
        self.assertEqual(s.data_events(), [])

    def drain_with(self, sig):
        ssed = Ssed(self, "--retry", "2000")
        streams = [ssed.subscribe(f"/events/t{i}") for i in range(3)]
        for s in streams:
            self.addCleanup(s.close)
            s.wait_text("retry: 2000\n\n")
        ssed.proc.signal(sig)
        for s in streams:
            self.assertTrue(s.wait_closed(15), "stream not closed by the drain")
            self.assertTrue(s.dechunker.done, "no final chunk: " + repr(s.text()))
            retries = [int(e["retry"]) for e in s.events() if "retry" in e]
            self.assertEqual(len(retries), 2, s.text())  # the first one, then the drain's
            self.assertGreaterEqual(retries[1], 2000)
        self.assertEqual(ssed.proc.wait(15), 0, ssed.proc.stderr())
        self.assertIn("draining 3 subscribers", ssed.proc.stderr())

    def test_sigterm_drains_subscribers_and_exits_0(self):
        self.drain_with(signal.SIGTERM)

    def test_sigint_drains_too(self):
        self.drain_with(signal.SIGINT)

    def test_an_address_in_use_is_exit_71_with_one_line(self):
        first = Ssed(self)
        rc, out, err = self.run_tool([binary("ssed"), "--listen", f"127.0.0.1:{first.port}"], timeout=15)
        self.assertEqual(rc, 71, err)
        self.assertEqual(out, "")
        self.assertEqual(err.count("\n"), 1, err)
        self.assertTrue(err.startswith(f"ssed: error: cannot listen on 127.0.0.1:{first.port}: "), err)


if __name__ == "__main__":
    unittest.main()
