"""sse-pub and Ctrl-C: what was read is still published and the exit status tells whether all of
it was. Interrupting a pipeline that is caught up exits 0; interrupting retries during an outage
exits 69 at once with the counts, instead of waiting out --retry-for."""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from procs import free_port  # noqa: E402


class PubSignals(ProcTestCase):
    def test_ctrl_c_on_a_caught_up_pipeline_exits_0(self):
        ssed = Ssed(self)
        sub = ssed.subscribe("/events/logs")
        self.addCleanup(sub.close)
        self.assertEqual(sub.wait_status(), 200)
        pub = self.start([binary("sse-pub"), "--server", ssed.url, "-v", "logs"], stdin=subprocess.PIPE)
        pub.p.stdin.write("one\n")
        pub.p.stdin.flush()
        self.assertEqual([e["data"] for e in sub.wait_events(1)], ["one"])
        pub.p.stdin.write("two\n")
        pub.p.stdin.flush()
        self.assertEqual([e["data"] for e in sub.wait_events(2)], ["one", "two"])
        pub.signal(signal.SIGINT)
        self.assertEqual(pub.wait(10), 0, pub.stderr())
        self.assertIn("interrupted; published 2 events", pub.stderr())

    def test_ctrl_c_during_retries_exits_69_with_the_counts(self):
        url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        pub = self.start([binary("sse-pub"), "--server", url, "--retry-for", "60", "t", "x"])
        pub.wait_line(lambda l: "retrying in" in l, timeout=15, stream="err")
        began = time.monotonic()
        pub.signal(signal.SIGINT)
        self.assertEqual(pub.wait(10), 69, pub.stderr())
        self.assertLess(time.monotonic() - began, 10)
        self.assertIn("interrupted; published 0 of 1 event", pub.stderr())


if __name__ == "__main__":
    unittest.main()
