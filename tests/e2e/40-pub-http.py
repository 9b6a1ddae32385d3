"""sse-pub against a real ssed: one event, line mode, -s, --json, tokens, refused input, a
refused connection, retrying until the server appears, a retry after a lost answer publishing
nothing twice (idempotency keys), and 100,000 piped lines arriving complete and in order."""
import json
import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402
from procs import free_port  # noqa: E402
from relay import TcpRelay  # noqa: E402


class PubHttp(ProcTestCase):
    def pub(self, *args, input=None, env=None, timeout=60):
        return self.run_tool([binary("sse-pub"), *args], input=input, env=env, timeout=timeout)

    def test_one_event_carries_its_type_id_and_retry(self):
        ssed = Ssed(self)
        s = ssed.subscribed("news")
        rc, out, err = self.pub("--server", ssed.url, "news", "hello world", "-e", "greeting", "-i", "n-1",
                                "--reconnect-ms", "2500")
        self.assertEqual((rc, out, err), (0, "", ""))
        self.assertEqual(s.wait_events(1), [{"event": "greeting", "id": "n-1", "retry": "2500",
                                             "data": "hello world"}])

    def test_server_comes_from_sse_server_when_not_given(self):
        ssed = Ssed(self)
        s = ssed.subscribed("t")
        rc, _, err = self.pub("t", "via env", env={"SSE_SERVER": ssed.url})
        self.assertEqual(rc, 0, err)
        self.assertEqual(s.wait_events(1)[0]["data"], "via env")

    def test_line_mode_sends_each_line_and_skips_blank_ones(self):
        ssed = Ssed(self)
        s = ssed.subscribed("lines")
        rc, _, err = self.pub("--server", ssed.url, "lines", "-e", "row", input="one\n\ntwo\r\nthree")
        self.assertEqual(rc, 0, err)
        events = s.wait_events(3)
        self.assertEqual([(e["event"], e["data"]) for e in events],
                         [("row", "one"), ("row", "two"), ("row", "three")])
        self.assertEqual(len({e["id"] for e in events}), 3)  # the server minted distinct ids

    def test_a_line_goes_out_at_once_while_stdin_stays_open(self):
        ssed = Ssed(self)
        s = ssed.subscribed("live")
        pub = self.start([binary("sse-pub"), "--server", ssed.url, "live"], stdin=subprocess.PIPE)
        pub.p.stdin.write("first\n")
        pub.p.stdin.flush()
        self.assertEqual([e["data"] for e in s.wait_events(1)], ["first"])  # no EOF, no timer
        pub.p.stdin.write("second\n")
        pub.p.stdin.close()
        self.assertEqual(pub.wait(), 0, pub.stderr())
        self.assertEqual([e["data"] for e in s.wait_events(2)], ["first", "second"])

    def test_stdin_file_sends_one_multiline_event(self):
        ssed = Ssed(self)
        s = ssed.subscribed("doc")
        rc, _, err = self.pub("--server", ssed.url, "doc", "-s", "-i", "d1", input="line 1\nline 2\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(s.wait_events(1), [{"event": "message", "id": "d1", "data": "line 1\nline 2"}])

    def test_json_lines_carry_their_own_fields_and_topics(self):
        ssed = Ssed(self)
        a, b = ssed.subscribed("a"), ssed.subscribed("b")
        lines = ('{"data":"1"}\n{"data":{"n":2},"event":"obj","id":"x2"}\n'
                 '{"data":"to b","topic":"b"}\n{"data":"4"}\n')
        rc, _, err = self.pub("--server", ssed.url, "a", "--json", input=lines)
        self.assertEqual(rc, 0, err)
        self.assertEqual([(e["event"], e["data"]) for e in a.wait_events(3)],
                         [("message", "1"), ("obj", '{"n":2}'), ("message", "4")])
        self.assertEqual(a.data_events()[1]["id"], "x2")
        self.assertEqual([e["data"] for e in b.wait_events(1)], ["to b"])

    def test_a_bad_json_line_stops_there_and_says_what_went_out(self):
        ssed = Ssed(self)
        s = ssed.subscribed("j")
        rc, _, err = self.pub("--server", ssed.url, "j", "--json", input='{"data":"ok"}\n{oops\n{"data":"never"}\n')
        self.assertEqual(rc, 65)
        self.assertIn("sse-pub: error: line 2: ", err)
        self.assertIn("published 1 of 1 events read", err)
        self.assertEqual([e["data"] for e in s.wait_events(1)], ["ok"])

    def test_publish_token_401_exits_77_and_the_token_works(self):
        ssed = Ssed(self, "--publish-token", "s3cret")
        s = ssed.subscribed("t")
        rc, _, err = self.pub("--server", ssed.url, "t", "no token", "--retry-for", "0")
        self.assertEqual(rc, 77, err)
        self.assertIn("401", err)
        rc, _, err = self.pub("--server", ssed.url, "t", "flag token", "--token", "s3cret")
        self.assertEqual(rc, 0, err)
        rc, _, err = self.pub("--server", ssed.url, "t", "env token", env={"SSE_TOKEN": "s3cret"})
        self.assertEqual(rc, 0, err)
        self.assertEqual([e["data"] for e in s.wait_events(2)], ["flag token", "env token"])

    def test_a_body_the_server_refuses_exits_65(self):
        ssed = Ssed(self, "--max-body", "16")
        rc, _, err = self.pub("--server", ssed.url, "t", "x" * 100)
        self.assertEqual(rc, 65, err)
        self.assertIn("413", err)

    def test_newline_in_id_or_event_exits_65_without_contacting_the_server(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        self.addCleanup(listener.close)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        for opt, value in (("-i", "a\nb"), ("-e", "x\ry"), ("--id", "ok\r\n")):
            rc, out, err = self.pub("--server", url, "t", "data", opt, value)
            self.assertEqual(rc, 65, err)
            self.assertIn("line break", err)
            self.assertEqual(out, "")
        with self.assertRaises(socket.timeout):
            listener.accept()

    def test_refused_connection_exits_69_with_the_counts(self):
        url = f"http://127.0.0.1:{free_port()}"
        rc, _, err = self.pub("--server", url, "t", "x", "--retry-for", "0")
        self.assertEqual(rc, 69)
        self.assertIn("published 0 of 1 event;", err)
        rc, _, err = self.pub("--server", url, "t", "--retry-for", "0.3", input="a\nb\nc\n")
        self.assertEqual(rc, 69)
        self.assertIn("gave up after", err)
        self.assertIn("published 0 of 3 events read", err)

    def test_retries_until_the_server_appears(self):
        port = free_port()
        pub = self.start([binary("sse-pub"), "--server", f"http://127.0.0.1:{port}", "late", "made it",
                          "--retry-for", "60"])
        pub.wait_line(lambda l: "retrying in" in l, stream="err", timeout=20)
        ssed = Ssed(self, listen=f"127.0.0.1:{port}")
        self.assertEqual(pub.wait(timeout=60), 0, pub.stderr())
        # An unknown Last-Event-ID replays the whole history: the event is there exactly once.
        s = ssed.subscribe("/events/late", {"Last-Event-ID": "none"})
        self.addCleanup(s.close)
        s.wait_text("data: made it")
        self.assertEqual([e["data"] for e in s.data_events() if e["event"] != "ssed-gap"], ["made it"])

    def test_a_batch_whose_answer_was_lost_is_not_published_twice(self):
        ssed = Ssed(self)
        s = ssed.subscribed("once")
        relay = TcpRelay(self, ssed.port, lose=lambda connection, round, _: connection == 0 and round == 1)
        n = 1000
        rc, _, err = self.pub("--server", relay.url, "once", "--retry-for", "10",
                              input="".join(f"{i}\n" for i in range(n)))
        self.assertEqual(rc, 0, err)
        self.assertEqual(relay.lost, [(0, 1)])
        self.assertIn("retrying in", err)  # the lost answer was a broken connection to sse-pub
        # A last event straight to ssed: once it is there, everything before it is too.
        ssed.publish("once", "end")
        s.wait_text("data: end")
        self.assertEqual([e["data"] for e in s.data_events()], [str(i) for i in range(n)] + ["end"])

    def test_one_event_whose_answer_was_lost_is_not_published_twice(self):
        ssed = Ssed(self)
        s = ssed.subscribed("one")
        relay = TcpRelay(self, ssed.port, lose=lambda connection, round, _: connection == 0)
        rc, _, err = self.pub("--server", relay.url, "one", "just once", "--retry-for", "10", "-vv")
        self.assertEqual(rc, 0, err)
        self.assertEqual(relay.lost_count(), 1)
        self.assertIn("already published as id ", err)
        ssed.publish("one", "end")
        s.wait_text("data: end")
        self.assertEqual([e["data"] for e in s.data_events()], ["just once", "end"])

    def test_a_key_given_to_sse_pub_is_published_once_whatever_the_runs(self):
        ssed = Ssed(self)
        s = ssed.subscribed("k")
        for _ in range(2):
            rc, _, err = self.pub("--server", ssed.url, "k", "order 17 shipped", "--key", "order-17")
            self.assertEqual(rc, 0, err)
        rc, _, err = self.pub("--server", ssed.url, "k", "--json",
                              input='{"data":"order 17 shipped","key":"order-17"}\n{"data":"next","key":"order-18"}\n')
        self.assertEqual(rc, 0, err)
        s.wait_text("data: next")
        self.assertEqual([e["data"] for e in s.data_events()], ["order 17 shipped", "next"])
        rc, _, err = self.pub("--server", ssed.url, "k", "x", "--key", "two words")
        self.assertEqual((rc, err), (65, 'sse-pub: error: invalid key "two words": use 1 to 128 characters'
                                         ' from ! to ~ (printable ASCII, no space)\n'))
        rc, _, err = self.pub("--server", ssed.url, "k", "--key", "k1", input="a\nb\n")
        self.assertEqual(rc, 64, err)
        self.assertIn("--key names a single event", err)

    def test_100000_piped_lines_arrive_complete_and_in_order(self):
        ssed = Ssed(self, "--history", "10", "--max-backlog", "64mb")
        s = ssed.subscribed("bulk")
        n = 100000
        payload = "".join(f"line {i}\n" for i in range(n))
        result = {}

        def run():
            result["r"] = self.pub("--server", ssed.url, "bulk", input=payload, timeout=120)
        t = threading.Thread(target=run)
        t.start()
        # Drain the subscriber while sse-pub runs, so its socket never backs up.
        s.wait_until(lambda st: st.body.count(b"data: line ") >= n,
                     timeout=120, what=f"{n} events")
        t.join(timeout=120)
        rc, _, err = result["r"]
        self.assertEqual(rc, 0, err)
        data = [e["data"] for e in s.data_events()]
        self.assertEqual(len(data), n)
        self.assertEqual(data, [f"line {i}" for i in range(n)])


if __name__ == "__main__":
    unittest.main()
