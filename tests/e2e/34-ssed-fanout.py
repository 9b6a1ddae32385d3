"""ssed fan-out: a thousand concurrent subscribers each receive every event, in order; a
subscriber that stops reading slows neither the publisher nor the others."""
import http.client
import json
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ManySubscribers, ProcTestCase, Ssed, raise_fd_limit  # noqa: E402


class Fanout(ProcTestCase):
    def test_a_thousand_subscribers_each_get_every_event_in_order(self):
        if raise_fd_limit() < 1200:
            self.skipTest("descriptor limit below 1200")
        ssed = Ssed(self, "--heartbeat", "0")
        subs = ManySubscribers(ssed.host, ssed.port, "/events/wide", 1000)
        self.addCleanup(subs.close)
        subs.wait(lambda: subs.headers_received() == 1000, what="1000 response headers")
        self.assertEqual(subs.ok_count(), 1000)
        self.assertEqual(ssed.metric("ssed_subscribers"), 1000)
        conn = http.client.HTTPConnection(ssed.host, ssed.port, timeout=30)
        self.addCleanup(conn.close)
        for i in range(50):
            conn.request("POST", "/events/wide", body=f"ev-{i}".encode())
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.read())["subscribers"], 1000)
        expected = list(range(50))
        subs.wait(lambda: all(len(seq) >= 50 for seq in subs.sequences()), timeout=120,
                  what="every subscriber to receive 50 events")
        self.assertTrue(all(seq == expected for seq in subs.sequences()))

    def test_a_subscriber_that_never_reads_slows_no_one(self):
        ssed = Ssed(self, "--max-backlog", "256k", "--heartbeat", "0")
        ssed.stalled("busy")
        readers = ManySubscribers(ssed.host, ssed.port, "/events/busy", 5)
        self.addCleanup(readers.close)
        readers.wait(lambda: readers.headers_received() == 5, what="readers' headers")
        from procs import wait_for
        wait_for(lambda: ssed.metric("ssed_subscribers") == 6, 15, what="6 subscribers")

        payload = "x" * 4000
        conn = http.client.HTTPConnection(ssed.host, ssed.port, timeout=30)
        self.addCleanup(conn.close)
        n = 3000  # ~12 MB: past what the kernel buffers for the stalled reader, and --max-backlog
        for i in range(n):
            conn.request("POST", "/events/busy", body=f"ev-{i}\n{payload}".encode())
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200)  # the publisher never waits for a subscriber
            if i % 20 == 0:
                readers.pump(0)
        readers.wait(lambda: all(len(s) >= n for s in readers.sequences()), timeout=120,
                     what="readers to receive every event")
        self.assertTrue(all(s == list(range(n)) for s in readers.sequences()))
        wait_for(lambda: ssed.metric("ssed_slow_consumers_dropped_total") == 1, 30,
                 what="the stalled subscriber to be dropped")
        # Its connection is kept a moment for the slow-consumer notice, which it never reads.
        wait_for(lambda: ssed.metric("ssed_subscribers") == 5, 10, what="the stalled subscriber to be closed")
        self.assertEqual(ssed.metric("ssed_slow_consumers_dropped_total"), 1)


if __name__ == "__main__":
    unittest.main()
