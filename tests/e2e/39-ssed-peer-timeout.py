"""ssed --peer-timeout: a subscriber whose peer vanishes without a FIN or a RST is closed once
the peer has acknowledged nothing for that long, not before, and not ~15 minutes later (the
kernel's retransmission limit); so is a reader whose receive window stays shut that long.

How the peer vanishes: sse-tail runs in a network namespace of the test's own, joined to ssed
by a veth pair (tests/support/netns.py); ssed listens on the test side's private address. Then
the namespace's end of the pair is brought down (`ip link set ... down`), so every packet ssed
sends is dropped silently and sse-tail keeps its socket: from ssed's side exactly a laptop
closed or a NAT entry gone. (No netem or iptables is needed; skipped when not root.)"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary, wait_for  # noqa: E402
from netns import VethNamespace  # noqa: E402

PEER_TIMEOUT = 3.0


class PeerTimeout(ProcTestCase):
    def vanish_and_time_it(self, *ssed_args):
        """Seconds from the moment sse-tail's end goes down to ssed closing its stream."""
        ns = VethNamespace(self)
        ssed = Ssed(self, "--peer-timeout", str(PEER_TIMEOUT), *ssed_args, listen=f"{ns.host_addr}:0")
        tail = self.start(ns.argv([binary("sse-tail"), "-f", "json", "--idle-timeout", "600",
                                   f"{ssed.url}/events/t"]))
        wait_for(lambda: ssed.metric("ssed_subscribers") == 1, 15, what="sse-tail to subscribe through the veth")
        [sent] = ssed.publish_all("t", ["across the veth"])
        tail.wait_line(lambda l: json.loads(l)["id"] == sent, 15)  # the path works, and is acknowledged
        ns.cut()
        cut = time.monotonic()
        wait_for(lambda: ssed.metric("ssed_subscribers") == 0, 60, 0.05, what="ssed to give up on the vanished peer")
        took = time.monotonic() - cut
        _, _, topics = ssed.request("GET", "/topics")
        self.assertEqual(json.loads(topics)[0]["subscribers"], 0)
        self.assertIsNone(tail.p.poll(), "sse-tail saw nothing: its end just went quiet")
        print(f"ssed noticed the vanished peer after {took:.2f} s", file=sys.stderr)
        return took

    def test_a_stream_with_heartbeats_notices_within_the_timeout_plus_a_heartbeat(self):
        took = self.vanish_and_time_it("--heartbeat", "1")
        # The first unacknowledged heartbeat goes out at most 1 s after the cut; TCP gives up on
        # it PEER_TIMEOUT later. Not before: the timeout runs from a send after the cut.
        self.assertGreaterEqual(took, PEER_TIMEOUT - 0.1)
        self.assertLess(took, PEER_TIMEOUT + 1 + 10)

    def test_an_idle_stream_without_heartbeats_is_probed_and_noticed_too(self):
        took = self.vanish_and_time_it("--heartbeat", "0")
        # Keep-alive probes from half the timeout on; the connection ends once PEER_TIMEOUT has
        # passed since the last ACK, which came with the event just before the cut.
        self.assertGreaterEqual(took, PEER_TIMEOUT - 0.5)
        self.assertLess(took, PEER_TIMEOUT + 10)

    def test_a_reader_whose_window_stays_shut_is_closed_after_the_timeout_too(self):
        # No namespace needed: a loopback reader that never reads. Its backlog stays far below
        # --max-backlog, so it is the peer timeout that ends it, not the slow-consumer rule.
        ssed = Ssed(self, "--peer-timeout", str(PEER_TIMEOUT), "--max-backlog", "64M", "--heartbeat", "0")
        ssed.stalled("t")
        wait_for(lambda: ssed.metric("ssed_subscribers") == 1, 15, what="the reader to subscribe")
        began = time.monotonic()
        # 3 MB at once: more than the kernel buffers for it, so its window shuts.
        batch = "".join(json.dumps({"data": "x" * 1000}) + "\n" for _ in range(3000))
        status, _, body = ssed.request("POST", "/events/t", batch.encode(), {"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 200, body)
        wait_for(lambda: ssed.metric("ssed_subscribers") == 0, 60, 0.05, what="ssed to give up on the reader")
        self.assertGreaterEqual(time.monotonic() - began, PEER_TIMEOUT - 0.1)
        self.assertEqual(ssed.metric("ssed_slow_consumers_dropped_total"), 0)


if __name__ == "__main__":
    unittest.main()
