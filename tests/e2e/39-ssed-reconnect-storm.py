"""10,000 subscribers, ssed killed with SIGKILL (so no drain spreads their reconnections), a new
ssed on the same port, and all 10,000 reconnecting at once with their Last-Event-ID: every one
gets back in (200, the ssed-gap notice that their id is from an earlier run), none is refused
or left waiting past a generous bound, and the next event reaches all of them. The defaults of
--max-subscribers and --max-connections allow it."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ManySubscribers, ProcTestCase, Ssed, raise_fd_limit  # noqa: E402

N = 10_000
GOT_IN_WITHIN = 30.0  # seconds; the README's benchmark measures about half a second


class ReconnectStorm(ProcTestCase):
    def test_ten_thousand_clients_reconnecting_at_once_all_get_back_in(self):
        if raise_fd_limit() < N + 500:
            self.skipTest(f"descriptor limit below {N + 500}")
        first = Ssed(self, "--heartbeat", "0")
        subs = ManySubscribers(first.host, first.port, "/events/storm", N)
        self.addCleanup(subs.close)
        subs.wait(lambda: subs.headers_received() == N, what=f"{N} response headers")
        self.assertEqual(subs.ok_count(), N)
        [last_id] = first.publish_all("storm", ["ev-0"])
        subs.wait(lambda: all(seq == [0] for seq in subs.sequences()), what="every subscriber to get ev-0")

        first.proc.signal(signal.SIGKILL)
        first.proc.wait(10)
        subs.wait(lambda: len(subs.closed) == N, what="every connection to end with the process")
        subs.close()
        second = Ssed(self, "--heartbeat", "0", listen=f"127.0.0.1:{first.port}")

        t0 = time.monotonic()
        again = ManySubscribers(second.host, second.port, "/events/storm", N, headers={"Last-Event-ID": last_id},
                                at_once=True)
        self.addCleanup(again.close)
        gap = b"event: ssed-gap\ndata: {\"reason\":\"earlier_run\""
        again.wait(lambda: sum(1 for s in again.socks if gap in again.bufs[s]) + len(again.failed) + len(again.closed)
                   >= N, timeout=GOT_IN_WITHIN, what=f"{N} clients to get back in")
        took = time.monotonic() - t0
        self.assertEqual((len(again.failed), len(again.closed)), (0, 0), "connects failed or streams closed")
        self.assertEqual(again.ok_count(), N)
        self.assertEqual(second.metric("ssed_subscribers"), N)
        print(f"{N} clients back in {took:.2f} s", file=sys.stderr)

        status, _, body = second.publish("storm", "ev-1")
        self.assertEqual(status, 200, body)
        again.wait(lambda: all(seq == [1] for seq in again.sequences()), what="every subscriber to get ev-1")


if __name__ == "__main__":
    unittest.main()
