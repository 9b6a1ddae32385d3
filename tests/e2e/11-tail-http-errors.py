"""sse-tail and the WHATWG rules for a response: only 200 text/event-stream is a stream; 204
means stop; anything else fails for good with a one-line error and its exit code."""
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary, free_port  # noqa: E402
from scripted_sse import ScriptedSseServer, close, ok_stream, send, status  # noqa: E402

RECONNECT_QUICKLY = ["--retry", "20", "-W", "30"]


class HttpErrors(ProcTestCase):
    def tail(self, *args, timeout=60):
        return self.run_tool([binary("sse-tail"), *args], timeout=timeout)

    def assert_fails(self, script, code, message_tail, *args):
        # The scripts after the first would be served to a (wrong) reconnect: it must not come.
        with ScriptedSseServer([script], after=ok_stream("data: reconnected\n\n")) as srv:
            rc, out, err = self.tail(*RECONNECT_QUICKLY, *args, srv.url())
            self.assertEqual(rc, code, err)
            self.assertEqual(out, "")
            self.assertEqual(err, f"sse-tail: error: {srv.url()}: {message_tail}\n")
            self.assertEqual(srv.request_count(), 1)

    def test_http_500_fails_with_76_and_no_reconnect(self):
        self.assert_fails([status(500, content_type="text/plain"), send("boom"), close()], 76,
                          "HTTP 500 Internal Server Error: boom")

    def test_http_500_without_a_body(self):
        self.assert_fails([status(500, content_type=None), close()], 76, "HTTP 500 Internal Server Error")

    def test_http_404_even_with_an_event_stream_type(self):
        self.assert_fails([status(404), send("data: x\n\n"), close()], 76, "HTTP 404 Not Found: data: x")

    def test_http_401_fails_with_77(self):
        self.assert_fails([status(401, content_type="text/plain"), send("who?"), close()], 77,
                          "HTTP 401 Unauthorized: who?")

    def test_http_403_fails_with_77(self):
        self.assert_fails([status(403, content_type="text/plain"), close()], 77, "HTTP 403 Forbidden")

    def test_a_json_error_body_is_shown_on_one_line(self):
        body = '{\n  "error": {\n    "message": "invalid api key",\n    "type": "auth"\n  }\n}\n'
        self.assert_fails([status(400, "Bad Request", content_type="application/json"), send(body), close()], 76,
                          'HTTP 400 Bad Request: { "error": { "message": "invalid api key", "type": "auth" } }')

    def test_a_long_error_body_is_cut_and_control_characters_are_escaped(self):
        body = "\x1b[2J" + "x" * 5000
        with ScriptedSseServer([[status(502, content_type="text/html"), send(body), close()]]) as srv:
            rc, out, err = self.tail(*RECONNECT_QUICKLY, srv.url())
            self.assertEqual(rc, 76, err)
            prefix = f"sse-tail: error: {srv.url()}: HTTP 502 Whatever: \\x1b[2J"
            self.assertTrue(err.startswith(prefix), err)
            self.assertTrue(err.endswith("x...\n"), err)
            self.assertLess(len(err), len(prefix) + 310)
            self.assertEqual(err.count("\n"), 1)

    def test_wrong_content_type_fails_with_76(self):
        self.assert_fails([status(200, content_type="text/html"), send("<p>data: x</p>\n\n"), close()], 76,
                          'Content-Type is "text/html", not text/event-stream')

    def test_missing_content_type_fails_with_76(self):
        self.assert_fails([status(200, content_type=None), send("data: x\n\n"), close()], 76,
                          "Content-Type is missing, not text/event-stream")

    def test_content_type_parameters_and_case_are_accepted(self):
        script = [status(content_type="Text/Event-Stream ; charset=utf-8"), send("data: ok\n\n"), close()]
        with ScriptedSseServer([script]) as srv:
            rc, out, err = self.tail("-n", "1", "-W", "30", srv.url())
            self.assertEqual((rc, out), (0, "ok\n"), err)

    def test_http_204_means_stop_and_exits_0(self):
        with ScriptedSseServer([[status(204, content_type=None), close()]],
                               after=ok_stream("data: reconnected\n\n")) as srv:
            rc, out, err = self.tail(*RECONNECT_QUICKLY, srv.url())
            self.assertEqual((rc, out, err), (0, "", ""))
            self.assertEqual(srv.request_count(), 1)

    def test_redirects_are_followed(self):
        for code in (301, 302, 307):
            with self.subTest(code=code):
                scripts = [[status(code, content_type="text/html", headers={"Location": "/moved"}),
                            send("<a>moved</a>"), close()],
                           ok_stream("data: here\n\n")]
                with ScriptedSseServer(scripts) as srv:
                    rc, out, err = self.tail("-n", "1", "-W", "30", srv.url())
                    self.assertEqual((rc, out), (0, "here\n"), err)
                    self.assertEqual([r.path for r in srv.requests], ["/events", "/moved"])
                    self.assertEqual(srv.requests[1].headers["accept"], "text/event-stream")

    def test_a_redirect_to_an_error_fails(self):
        scripts = [[status(302, content_type=None, headers={"Location": "/gone"}), close()],
                   [status(500, content_type=None), close()]]
        with ScriptedSseServer(scripts) as srv:
            rc, out, err = self.tail(*RECONNECT_QUICKLY, srv.url())
            self.assertEqual(rc, 76, err)
            self.assertIn("HTTP 500", err)

    def test_connection_refused_with_no_reconnect_exits_69(self):
        url = f"http://127.0.0.1:{free_port()}/events"
        rc, out, err = self.tail("--no-reconnect", url)
        self.assertEqual(rc, 69, err)
        self.assertEqual(out, "")
        self.assertEqual(err, f"sse-tail: error: {url}: connect: Connection refused\n")

    def test_connection_refused_is_retried_with_a_warning_without_no_reconnect(self):
        url = f"http://127.0.0.1:{free_port()}/events"
        rc, out, err = self.tail("--retry", "50", "-W", "1", url)
        self.assertEqual(rc, 1, err)
        self.assertIn("sse-tail: warning: " + url, err)
        self.assertIn("reconnecting in", err)

    def test_quiet_hides_warnings_but_not_errors(self):
        url = f"http://127.0.0.1:{free_port()}/events"
        rc, _, err = self.tail("-q", "--retry", "50", "-W", "1", url)
        self.assertEqual((rc, err), (1, ""))
        rc, _, err = self.tail("-q", "--no-reconnect", url)
        self.assertEqual(rc, 69)
        self.assertIn("sse-tail: error:", err)

    def test_no_reconnect_exits_0_at_the_end_of_the_stream(self):
        with ScriptedSseServer([ok_stream("data: a\n\n", "data: b\n\n")],
                               after=ok_stream("data: reconnected\n\n")) as srv:
            rc, out, err = self.tail("--no-reconnect", "-W", "30", srv.url())
            self.assertEqual((rc, out, err), (0, "a\nb\n", ""))
            self.assertEqual(srv.request_count(), 1)


if __name__ == "__main__":
    unittest.main()
