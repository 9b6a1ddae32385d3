"""A subscriber that stops reading while 100,000 events (about 100 MB) are published: the
subscribers that read get every event, in order; the stalled one is dropped once its backlog
passes --max-backlog and counted in /metrics; ssed's memory stays bounded by that, not by what
was published. (Whether the stalled client is told why is another test's business.)"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import SANITIZER, ProcTestCase, Ssed, binary, measured_memory_env, wait_for  # noqa: E402

# Under TSan, 20,000 (20 MB, still twenty times --max-backlog): four processes parsing 100 MB
# there took 90 s on a loaded 2-core machine, and TSan skips the memory bound that needs the 100 MB.
N = 20_000 if SANITIZER == "thread" else 100_000
PAD = "x" * 1000
PER_WRITE = 500        # lines written to sse-pub at a time
WRITES_PER_SECOND = 50  # 25,000 events (25 MB) a second: well within what a reader keeps up with


class StalledReader(ProcTestCase):
    def test_a_reader_that_stops_is_dropped_and_counted_and_no_one_else_notices(self):
        # --max-backlog at its default, 1 MiB
        ssed = Ssed(self, "--heartbeat", "0", env=measured_memory_env())
        ssed.stalled("flood")
        readers = [self.start([binary("sse-tail"), "-n", str(N), "-f", "{id}", "-W", "120",
                               f"{ssed.url}/events/flood"]) for _ in range(2)]
        wait_for(lambda: ssed.metric("ssed_subscribers") == 3, 15, what="three subscribers")
        before = ssed.rss_kb()

        pub = self.start([binary("sse-pub"), "--server", ssed.url, "flood"], stdin=subprocess.PIPE)
        started = time.monotonic()
        for w in range(N // PER_WRITE):
            pub.p.stdin.write("".join(f"{w * PER_WRITE + i} {PAD}\n" for i in range(PER_WRITE)))
            pub.p.stdin.flush()
            # Paced, so that the readers' pace is never the question.
            time.sleep(max(0.0, started + (w + 1) / WRITES_PER_SECOND - time.monotonic()))
        pub.p.stdin.close()
        self.assertEqual(pub.wait(60), 0, pub.stderr())
        self.assertEqual(ssed.metric("ssed_published_total"), N)

        # Every reader got all N, in publish order: the ids' sequence numbers are 1..N.
        for r in readers:
            self.assertEqual(r.wait(120), 0, r.stderr())
            seqs = [int(line.rsplit("-", 1)[1]) for line in r.stdout().splitlines()]
            self.assertEqual(seqs, list(range(seqs[0], seqs[0] + N)))
        self.assertEqual(ssed.metric("ssed_slow_consumers_dropped_total"), 1)
        wait_for(lambda: ssed.metric("ssed_subscribers") == 0, 15, what="the stalled one to be gone")
        # Bounded by --max-backlog (and history), not by the 100 MB that went through (not
        # ssed's own memory under TSan: measured_memory_env).
        grew_mb = (ssed.rss_kb("VmHWM") - before) / 1024
        if SANITIZER != "thread":
            self.assertLess(grew_mb, 40, f"ssed's peak memory grew by {grew_mb:.0f} MB")


if __name__ == "__main__":
    unittest.main()
