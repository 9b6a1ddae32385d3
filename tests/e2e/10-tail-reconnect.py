"""sse-tail reconnects like an EventSource: Last-Event-ID, retry:, --retry, idle timeout,
backoff while the server is unreachable."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary, free_port  # noqa: E402
from scripted_sse import ScriptedSseServer, chunks, hang, ok_stream, send, status  # noqa: E402


def waits(stderr):
    """The waits, in seconds, that sse-tail announced ("reconnecting in 0.1 s")."""
    return [float(x) for x in re.findall(r"reconnecting in ([0-9.]+) s", stderr)]


class Reconnect(ProcTestCase):
    def tail(self, *args, timeout=60):
        return self.run_tool([binary("sse-tail"), *args], timeout=timeout)

    def test_reconnect_sends_the_last_event_id_and_keeps_it(self):
        with ScriptedSseServer([ok_stream("id: 7\ndata: a\n\n"), ok_stream("data: b\n\n")]) as srv:
            rc, out, err = self.tail("--retry", "50", "-n", "2", "-f", "json", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual([json.loads(line) for line in out.splitlines()],
                             [{"event": "message", "data": "a", "id": "7"},
                              {"event": "message", "data": "b", "id": "7"}])
            first, second = srv.requests[:2]
            self.assertNotIn("last-event-id", first.headers)
            self.assertEqual(second.headers["last-event-id"], "7")

    def test_an_empty_id_field_stops_sending_last_event_id(self):
        with ScriptedSseServer([ok_stream("id: 5\ndata: a\n\nid\ndata: b\n\n"), ok_stream("data: c\n\n")]) as srv:
            rc, out, err = self.tail("--retry", "50", "-n", "3", "-f", "{id}|{data}", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "5|a\n|b\n|c\n")
            self.assertNotIn("last-event-id", srv.requests[1].headers)

    def test_an_id_in_an_unfinished_block_is_not_sent(self):
        # The stream ends inside a block: the block is discarded, its id never became the
        # last event ID, so the reconnect still says 1 and "partial" is never printed.
        scripts = [ok_stream("id: 1\ndata: a\n\nid: 2\ndata: partial\n"), ok_stream("data: b\n\n")]
        with ScriptedSseServer(scripts) as srv:
            rc, out, err = self.tail("--retry", "50", "-n", "2", "-f", "{id}|{data}", "-W", "30", srv.url())
            self.assertEqual((rc, out), (0, "1|a\n1|b\n"), err)
            self.assertEqual(srv.requests[1].headers["last-event-id"], "1")

    def test_last_event_id_option_is_sent_on_the_first_request(self):
        with ScriptedSseServer([ok_stream("data: a\n\n")]) as srv:
            rc, out, err = self.tail("--last-event-id", "42", "-n", "1", "-f", "json", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(srv.requests[0].headers["last-event-id"], "42")
            self.assertEqual(json.loads(out)["id"], "42")  # seeded, as a reconnecting browser does

    def test_request_carries_accept_cache_control_and_extra_headers(self):
        with ScriptedSseServer([ok_stream("data: a\n\n")]) as srv:
            rc, _, err = self.tail("-H", "Authorization: Bearer t0k", "-H", "X-One: 1", "-n", "1", "-W", "30",
                                   srv.url())
            self.assertEqual(rc, 0, err)
            h = srv.requests[0].headers
            self.assertEqual(h["accept"], "text/event-stream")
            self.assertEqual(h["cache-control"], "no-cache")
            self.assertEqual(h["authorization"], "Bearer t0k")
            self.assertEqual(h["x-one"], "1")
            self.assertNotIn("accept-encoding", h)

    def test_server_retry_field_sets_the_wait(self):
        # --retry 60000 would make the test time out if retry: were ignored.
        with ScriptedSseServer([ok_stream("retry: 100\ndata: a\n\n"), ok_stream("data: b\n\n")]) as srv:
            rc, out, err = self.tail("-v", "--retry", "60000", "-n", "2", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "a\nb\n")
            # The server's retry: is a floor; jitter adds at most a quarter (WHATWG: "optionally,
            # wait some more").
            self.assertTrue(0.1 <= waits(err)[0] <= 0.125, err)
            self.assertLess(srv.requests[0].time, srv.requests[1].time)

    def test_retry_option_sets_the_starting_wait_with_jitter_above_it(self):
        with ScriptedSseServer([ok_stream("data: a\n\n"), ok_stream("data: b\n\n")]) as srv:
            rc, out, err = self.tail("-v", "--retry", "400", "-n", "2", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            (wait,) = waits(err)[:1]
            self.assertGreaterEqual(wait, 0.4)
            self.assertLessEqual(wait, 0.5)

    def test_default_reconnection_time_is_about_three_seconds(self):
        with ScriptedSseServer([ok_stream("data: a\n\n"), ok_stream("data: b\n\n")]) as srv:
            rc, out, err = self.tail("-v", "-n", "2", "-W", "60", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "a\nb\n")
            self.assertTrue(3.0 <= waits(err)[0] <= 3.75, err)

    def test_backoff_grows_while_the_server_is_unreachable(self):
        url = f"http://127.0.0.1:{free_port()}/events"
        rc, out, err = self.tail("-v", "--retry", "100", "-W", "4", url)
        self.assertEqual(rc, 1, err)  # --timeout expired
        w = waits(err)
        self.assertGreaterEqual(len(w), 3, err)
        self.assertEqual(w, sorted(w), err)
        self.assertGreater(w[-1], w[0] * 2, err)
        self.assertIn("timed out after 4 s", err)

    def test_idle_timeout_drops_a_silent_connection_and_reconnects(self):
        with ScriptedSseServer([[status(), send("data: a\n\n"), hang()], ok_stream("data: b\n\n")]) as srv:
            rc, out, err = self.tail("--idle-timeout", "0.5", "--retry", "50", "-n", "2", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "a\nb\n")
            self.assertEqual(srv.request_count(), 2)
            self.assertIn("no data for 0.5 s", err)

    def test_heartbeats_keep_a_sparse_stream_alive(self):
        # Comments every 0.2 s against a 3 s idle timeout: one connection throughout.
        with ScriptedSseServer([[status(), chunks(": hb\n\n" * 10, size=6, pause=0.2), send("data: x\n\n"),
                                 hang()]]) as srv:
            rc, out, err = self.tail("--idle-timeout", "3", "-n", "1", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "x\n")
            self.assertEqual(srv.request_count(), 1)

    def test_a_stream_that_ends_is_followed_again(self):
        scripts = [ok_stream(f"id: {i}\ndata: e{i}\n\n") for i in range(4)]
        with ScriptedSseServer(scripts) as srv:
            rc, out, err = self.tail("--retry", "20", "-n", "4", "-W", "30", srv.url())
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "e0\ne1\ne2\ne3\n")
            self.assertEqual([r.headers.get("last-event-id") for r in srv.requests[:4]], [None, "0", "1", "2"])


if __name__ == "__main__":
    unittest.main()
