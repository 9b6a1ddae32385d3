"""sse-tail driving scripts: --exec runs a command per event (data on stdin, never on its
command line), --state resumes from the last event ID across runs, -H @FILE is read again at
every connect so a rotated token is picked up."""
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, hang, ok_stream, send, status  # noqa: E402

THREE = "id: 1\ndata: one\n\nevent: note\nid: 2\ndata: two\ndata: lines\n\nid\ndata: three\n\n"


class Scripts(ProcTestCase):
    def tail(self, *args):
        return self.run_tool([binary("sse-tail"), "-W", "30", *args], timeout=60)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_exec_runs_once_per_event_in_order_with_the_event_on_stdin_and_in_the_environment(self):
        log = self.path("log")
        # Each run appends "start ... end"; a second command started early would interleave.
        command = (f'echo "start $SSE_EVENT|$SSE_ID|$SSE_URL" >> {log}; cat >> {log}; sleep 0.05; '
                   f'echo end >> {log}')
        with ScriptedSseServer([[status(), send(THREE), hang()]]) as srv:
            rc, out, err = self.tail("--exec", command, "-n", "3", srv.url())
            self.assertEqual((rc, out, err), (0, "", ""))
            with open(log) as f:
                self.assertEqual(f.read(), f"start message|1|{srv.url()}\none\nend\n"
                                           f"start note|2|{srv.url()}\ntwo\nlines\nend\n"
                                           f"start message||{srv.url()}\nthree\nend\n")

    def test_exec_gets_the_event_as_format_prints_it(self):
        with ScriptedSseServer([[status(), send(THREE), hang()]]) as srv:
            rc, out, err = self.tail("--exec", "cat", "-f", "{id}:{data}", "-e", "note", "-n", "1", srv.url())
            self.assertEqual((rc, out, err), (0, "2:two\nlines\n", ""))  # the command's stdout is ours

    def test_data_never_reaches_the_command_line(self):
        bait = self.path("pwned")
        data = f"$(touch {bait})`touch {bait}`'; touch {bait}; '\"; touch {bait}; \""
        with ScriptedSseServer([[status(), send(f"id: $(touch {bait})\ndata: {data}\n\n"), hang()]]) as srv:
            rc, out, err = self.tail("--exec", 'printf "%s|%s\\n" "$SSE_ID" "$(cat)"', "-n", "1", srv.url())
            self.assertEqual((rc, err), (0, ""))
            self.assertEqual(out, f"$(touch {bait})|{data}\n")
            self.assertFalse(os.path.exists(bait))

    def test_a_failing_command_is_reported_and_the_tail_goes_on(self):
        with ScriptedSseServer([[status(), send(THREE), hang()]]) as srv:
            rc, out, err = self.tail("--exec", 'test "$SSE_ID" != 2 || exit 3; kill -9 $$', "-n", "3", srv.url())
            self.assertEqual((rc, out), (0, ""), err)
            self.assertEqual(err, "sse-tail: warning: --exec: killed by signal 9 (Killed) (event id 1)\n"
                                  "sse-tail: warning: --exec: exited with status 3 (event id 2)\n"
                                  "sse-tail: warning: --exec: killed by signal 9 (Killed)\n")

    def test_a_command_that_does_not_read_its_input_is_no_failure(self):
        big = "x" * (4 << 20)
        with ScriptedSseServer([[status(), send(f"data: {big}\n\ndata: small\n\n"), hang()]]) as srv:
            rc, out, err = self.tail("--exec", "true", "-n", "2", srv.url())
            self.assertEqual((rc, out, err), (0, "", ""))

    def test_the_command_gets_sigpipe_back_at_its_default(self):
        with ScriptedSseServer([[status(), send("data: x\n\n"), hang()]]) as srv:
            rc, out, err = self.tail("--exec", "yes | head -n 1", "-n", "1", srv.url())
            self.assertEqual((rc, out, err), (0, "y\n", ""))  # `yes` died of SIGPIPE, quietly

    def test_state_resumes_across_runs(self):
        state = self.path("state")
        with open(state, "w") as f:
            f.write("http://other.example/events 5\n")
        scripts = [ok_stream("id: 1\ndata: a\n\nid: 2\ndata: b\n\n", then=hang()), ok_stream("id: 3\ndata: c\n\n"),
                   ok_stream("data: d\n\n")]
        with ScriptedSseServer(scripts) as srv:
            rc, out, err = self.tail("--state", state, "-n", "2", srv.url())
            self.assertEqual((rc, out), (0, "a\nb\n"), err)
            with open(state) as f:
                self.assertEqual(f.read(), f"{srv.url()} 2\nhttp://other.example/events 5\n")  # by URL

            rc, out, err = self.tail("--state", state, "-n", "1", srv.url())
            self.assertEqual((rc, out), (0, "c\n"), err)
            self.assertEqual(srv.requests[1].headers["last-event-id"], "2")

            rc, out, err = self.tail("--state", state, "--last-event-id", "9", "-n", "1", srv.url())
            self.assertEqual((rc, out), (0, "d\n"), err)
            self.assertEqual(srv.requests[2].headers["last-event-id"], "9")  # the option wins
            self.assertNotIn("last-event-id", srv.requests[0].headers)
            with open(state) as f:
                self.assertEqual(f.read(), f"{srv.url()} 9\nhttp://other.example/events 5\n")
            self.assertEqual(sorted(os.listdir(self.tmp)), ["state"])  # no temporary file left

    def test_a_bad_state_file_is_a_usage_error(self):
        bad = self.path("bad")
        with open(bad, "w") as f:
            f.write("http://h/a 1\nnospace\n")
        cases = [(bad, f"--state: {bad}:2: not 'URL ID'"),
                 (self.path("no/such/dir/state"), f"--state: {self.path('no/such/dir/state')}: No such file or directory\n")]
        for state, message in cases:
            with self.subTest(state=state):
                rc, out, err = self.tail("--state", state, "http://127.0.0.1:1/never")
                self.assertEqual((rc, out), (64, ""))
                self.assertTrue(err.startswith(f"sse-tail: error: {message}"), err)
                self.assertEqual(err.count("\n"), 1, err)

    def test_a_header_file_is_read_again_at_each_connect(self):
        headers = self.path("headers")
        with open(headers, "w") as f:
            f.write("Authorization: Bearer one\r\nX-Client: a\n")

        def rotate_then_answer(request):  # the token changes between the two connections
            with open(headers, "w") as f:
                f.write("Authorization: Bearer two\n")
            return ok_stream("id: 1\ndata: a\n\n")
        with ScriptedSseServer([rotate_then_answer, ok_stream("data: b\n\n")]) as srv:
            rc, out, err = self.tail("-H", f"@{headers}", "--retry", "20", "-n", "2", srv.url())
            self.assertEqual((rc, out), (0, "a\nb\n"), err)
            first, second = srv.requests[:2]
            self.assertEqual((first.headers["authorization"], first.headers["x-client"]), ("Bearer one", "a"))
            self.assertEqual(second.headers["authorization"], "Bearer two")
            self.assertNotIn("x-client", second.headers)

    def test_a_missing_header_file_is_a_usage_error(self):
        missing = self.path("missing")
        rc, out, err = self.tail("-H", f"@{missing}", "http://127.0.0.1:1/never")
        self.assertEqual((rc, out, err), (64, "", f"sse-tail: error: -H @{missing}: {missing}: "
                                                  "No such file or directory\n"))


if __name__ == "__main__":
    unittest.main()
