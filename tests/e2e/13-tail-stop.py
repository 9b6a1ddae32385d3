"""How sse-tail ends: --count, --timeout, --match, -e filters, SIGINT/SIGTERM, a closed stdout,
and a failing stdout."""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, chunks, hang, ok_stream, send, status  # noqa: E402


def events(*datas):
    return "".join(f"data: {d}\n\n" for d in datas)


class Stop(ProcTestCase):
    def tail(self, *args, timeout=60):
        return self.run_tool([binary("sse-tail"), *args], timeout=timeout)

    def test_count_exits_0_after_n_events(self):
        with ScriptedSseServer([[status(), send(events(1, 2, 3, 4, 5)), hang()]]) as srv:
            rc, out, err = self.tail("-n", "2", "-W", "30", srv.url())
            self.assertEqual((rc, out, err), (0, "1\n2\n", ""))

    def test_timeout_exits_1_when_the_count_is_not_met(self):
        with ScriptedSseServer([[status(), send(events("only")), hang()]]) as srv:
            rc, out, err = self.tail("--count", "2", "--timeout", "0.5", srv.url())
            self.assertEqual((rc, out), (1, "only\n"))
            self.assertEqual(err, "sse-tail: warning: timed out after 0.5 s (--timeout)\n")

    def test_timeout_ends_a_server_that_hangs_mid_event(self):
        with ScriptedSseServer([[status(), send("data: never fin"), hang()]]) as srv:
            rc, out, err = self.tail("-q", "-W", "0.5", srv.url())
            self.assertEqual((rc, out, err), (1, "", ""))

    def test_match_prints_the_first_matching_event_and_exits_0(self):
        with ScriptedSseServer([[status(), send(events("step 1", "step 2", "done", "after")), hang()]]) as srv:
            rc, out, err = self.tail("-m", "^done$", "-W", "30", srv.url())
            self.assertEqual((rc, out, err), (0, "done\n", ""))

    def test_match_uses_extended_regex_over_the_whole_data(self):
        with ScriptedSseServer([[status(), send("data: x\ndata: step 12\n\n" + events("step 7")), hang()]]) as srv:
            rc, out, err = self.tail("-m", "^step [0-9]+$", "-W", "30", srv.url())
            self.assertEqual((rc, out), (0, "step 7\n"), err)

    def test_match_with_count_exits_after_n_matches(self):
        with ScriptedSseServer([[status(), send(events("a1", "b", "a2", "a3")), hang()]]) as srv:
            rc, out, err = self.tail("-m", "a", "-n", "2", "-W", "30", srv.url())
            self.assertEqual((rc, out), (0, "a1\na2\n"), err)

    def test_event_filter_keeps_only_the_named_types(self):
        stream = "event: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\nevent: c\ndata: 4\n\nevent: b\ndata: 5\n\n"
        with ScriptedSseServer([[status(), send(stream), hang()]]) as srv:
            rc, out, err = self.tail("-e", "b", "--event", "message", "-n", "3", "-W", "30", srv.url())
            self.assertEqual((rc, out), (0, "2\n3\n5\n"), err)

    def signal_ends_with_0(self, sig):
        with ScriptedSseServer([[status(), send(events("first")), hang()]]) as srv:
            p = self.start([binary("sse-tail"), srv.url()])
            p.wait_line(lambda line: line == "first\n")
            p.signal(sig)
            self.assertEqual(p.wait(timeout=10), 0)
            self.assertEqual(p.stderr(), "")

    def test_sigterm_exits_0_promptly(self):
        self.signal_ends_with_0(signal.SIGTERM)

    def test_sigint_exits_0_promptly(self):
        self.signal_ends_with_0(signal.SIGINT)

    def test_sigterm_while_waiting_to_reconnect(self):
        with ScriptedSseServer([ok_stream(events("first"))]) as srv:
            p = self.start([binary("sse-tail"), "--retry", "60000", srv.url()])
            p.wait_line(lambda line: line == "first\n")
            p.signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 0)

    def test_closed_stdout_ends_quietly_with_0(self):
        # `sse-tail URL | head -1`: the first event, then more after the reader has gone.
        more = events(*range(100))
        with ScriptedSseServer([[status(), send(events("first")), chunks(more, size=9, pause=0.05), hang()]]) as srv:
            p = subprocess.Popen([binary("sse-tail"), srv.url()], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL)
            self.addCleanup(lambda: p.poll() is None and p.kill())
            self.assertEqual(p.stdout.readline(), b"first\n")
            p.stdout.close()
            self.assertEqual(p.wait(timeout=20), 0)
            self.assertEqual(p.stderr.read(), b"")
            p.stderr.close()

    def test_closed_stdout_through_a_shell_pipeline(self):
        with ScriptedSseServer([[status(), send(events("first")), chunks(events(*range(50)), size=8, pause=0.05),
                                 hang()]]) as srv:
            rc, out, err = self.run_tool(["bash", "-c", f'"$0" "$1" | head -1; echo "rc=${{PIPESTATUS[0]}}"',
                                          binary("sse-tail"), srv.url()], timeout=30)
            self.assertEqual((rc, out, err), (0, "first\nrc=0\n", ""))

    def test_write_error_exits_74(self):
        with ScriptedSseServer([[status(), send(events("x")), hang()]]) as srv, open("/dev/full", "w") as full:
            r = subprocess.run([binary("sse-tail"), "-W", "30", srv.url()], stdout=full, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, timeout=30)
            self.assertEqual(r.returncode, 74)
            self.assertEqual(r.stderr, "sse-tail: error: writing output: No space left on device\n")


if __name__ == "__main__":
    unittest.main()
