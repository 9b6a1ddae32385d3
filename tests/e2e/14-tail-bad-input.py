"""Bad input gives a clear result: garbage bytes, invalid UTF-8, a 10 MiB line, bytes split
anywhere, a server that hangs mid-event."""
import json
import os
import random
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, chunks, hang, send, status  # noqa: E402

REPLACEMENT = "\ufffd"


class BadInput(ProcTestCase):
    def tail(self, script, *args, timeout=60):
        with ScriptedSseServer([script]) as srv:
            r = self.run_tool_bytes([binary("sse-tail"), "-W", "30", *args, srv.url()], timeout)
            return r

    def run_tool_bytes(self, argv, timeout):
        import subprocess
        r = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr.decode()

    def test_invalid_utf8_becomes_replacement_characters(self):
        rc, out, err = self.tail([status(), send(b"data: ok \xff\xfe end \xc3\n\n"), hang()], "-n", "1", "-f", "json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["data"], f"ok {REPLACEMENT}{REPLACEMENT} end {REPLACEMENT}")
        rc, out, err = self.tail([status(), send(b"data: \xff\n\n"), hang()], "-n", "1")
        self.assertEqual(out, "\ufffd\n".encode())

    def test_garbage_bytes_do_not_stop_the_stream(self):
        rnd = random.Random(1234)
        garbage = bytes(rnd.choice([b for b in range(256) if b not in b"\r\n:"]) for _ in range(100000))
        body = b"x" + garbage + b"\n\n" + b"\x00\x01: \xfe\n" + b"\n" + b"data: after\n\n"
        rc, out, err = self.tail([status(), send(body), hang()], "-n", "1", "-f", "json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), {"event": "message", "data": "after", "id": ""})

    def test_nul_in_data_survives_and_nul_in_id_is_ignored(self):
        rc, out, err = self.tail([status(), send(b"id: 1\ndata: ok\n\nid: a\x00b\ndata: a\x00b\n\n"), hang()],
                                 "-n", "2", "-f", "json")
        self.assertEqual(rc, 0, err)
        second = json.loads(out.splitlines()[1])
        self.assertEqual(second, {"event": "message", "data": "a\x00b", "id": "1"})

    def test_a_10_mib_line_works(self):
        big = "x" * (10 * 1024 * 1024 - 1) + "y"
        rc, out, err = self.tail([status(), send("data: " + big + "\n\ndata: small\n\n"), hang()], "-n", "2",
                                 timeout=120)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, (big + "\nsmall\n").encode())

    def test_a_server_that_sends_without_end_is_cut_at_max_event_size(self):
        # A 300 MB line, or 300 MB of data lines without a blank line: sse-tail stops at its
        # bound (a protocol error, 76) instead of growing with them.
        line = [status(), send(b"data: " + b"x" * (64 * 1024 * 1024)), hang()]
        rc, out, err = self.tail(line, "--max-event-size", "1M", "--no-reconnect")
        self.assertEqual((rc, out), (76, b""), err)
        self.assertIn("a line is longer than 1048576 bytes", err)
        lines = [status(), send(b"data: 0123456789abcdef\n" * (4 * 1024 * 1024)), hang()]
        rc, out, err = self.tail(lines, "--max-event-size", "1M", "--no-reconnect")
        self.assertEqual((rc, out), (76, b""), err)
        self.assertIn("an event's data is larger than 1048576 bytes", err)

    def test_match_on_a_10_mib_line(self):
        big = "x" * (10 * 1024 * 1024) + " done"
        rc, out, err = self.tail([status(), send("data: small\n\ndata: " + big + "\n\n"), hang()],
                                 "-m", "(x|y)+ done$", timeout=120)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out), len(big) + 1)

    def test_bytes_split_inside_crlf_and_utf8(self):
        stream = "\ufeffdata: caf\u00e9\r\n\r\nid: \u20ac\r\ndata: \U0001F600\r\n\r\ndata: end\r\n\r\n".encode()
        rc, out, err = self.tail([status(), chunks(stream, size=1, pause=0.002), hang()], "-n", "3",
                                 "-f", "{id}|{data}")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.decode(), "|caf\u00e9\n\u20ac|\U0001F600\n\u20ac|end\n")

    def test_idle_timeout_ends_a_hanging_server_with_no_reconnect(self):
        rc, out, err = self.tail([status(), send("data: never finish"), hang()], "--no-reconnect",
                                 "--idle-timeout", "0.3")
        self.assertEqual(rc, 69)
        self.assertEqual(out, b"")
        self.assertIn("no data for 0.3 s", err)


if __name__ == "__main__":
    unittest.main()
