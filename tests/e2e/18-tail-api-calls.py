"""sse-tail as the client of a streaming HTTP API (a language model's chat completions, MCP):
curl's -X, -d and --json, --until '[DONE]', an API's JSON error on stderr, and a call that is
not sent twice unless --reconnect says so."""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from chat_api import KEY, chat_completion  # noqa: E402
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, hang, ok_stream, send, status  # noqa: E402

REQUEST = {"model": "mock", "stream": True, "messages": [{"role": "user", "content": "Hello streaming world"}]}
AUTH = f"Authorization: Bearer {KEY}"


class ApiCalls(ProcTestCase):
    def tail(self, *args, input=None):
        return self.run_tool([binary("sse-tail"), "-W", "30", *args], input=input, timeout=60)

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        with open(path, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
        return path

    def test_the_documented_chat_example_prints_the_reply(self):
        if not shutil.which("jq"):
            self.skipTest("jq not installed")
        req = self.write("req.json", json.dumps(REQUEST, indent=2) + "\n")
        # The API keeps the connection open after [DONE]: only --until can end the run.
        with ScriptedSseServer([chat_completion(then=hang())]) as srv:
            pipeline = (f"{binary('sse-tail')} -W 30 --json @{req} -H \"Authorization: Bearer $KEY\" "
                        f"--until '[DONE]' -f json {srv.url('/v1/chat/completions')} "
                        "| jq -j '.data | fromjson | .choices[0].delta.content'")
            r = subprocess.run(["sh", "-c", pipeline], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, KEY=KEY))
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "Hello streaming world ", ""))
            (request,) = srv.requests
            self.assertEqual(request.request_line, "POST /v1/chat/completions HTTP/1.1")
            self.assertEqual(request.headers["content-type"], "application/json")
            self.assertEqual(request.headers["accept"], "text/event-stream")
            self.assertEqual(request.headers["authorization"], f"Bearer {KEY}")
            with open(req, "rb") as f:
                self.assertEqual(request.body, f.read())  # as is, newlines kept

    def test_until_stops_at_the_marker_of_any_type_without_printing_it(self):
        script = [status(), send("data: a\n\nevent: end\ndata: [DONE]\n\ndata: after\n\n"), hang()]
        with ScriptedSseServer([script]) as srv:
            rc, out, err = self.tail("-e", "message", "--until", "[DONE]", srv.url())
            self.assertEqual((rc, out, err), (0, "a\n", ""))

    def test_data_is_sent_as_curl_sends_it(self):
        form = self.write("form.txt", "b=2\r\n&c=3\n")
        with ScriptedSseServer([ok_stream("data: ok\n\n")]) as srv:
            rc, out, err = self.tail("-d", "a=1", "-d", f"@{form}", srv.url())
            self.assertEqual((rc, out), (0, "ok\n"), err)
            (request,) = srv.requests
            self.assertEqual(request.method, "POST")
            self.assertEqual(request.body, b"a=1&b=2&c=3")  # joined with &, CR and LF of @FILE removed
            self.assertEqual(request.headers["content-type"], "application/x-www-form-urlencoded")

    def test_a_body_can_come_from_standard_input(self):
        with ScriptedSseServer([chat_completion()]) as srv:
            rc, out, err = self.tail("--json", "@-", "-H", AUTH, "--until", "[DONE]", "-f", "{data}", srv.url(),
                                     input=json.dumps(REQUEST))
            self.assertEqual(rc, 0, err)
            self.assertEqual([json.loads(line)["choices"][0]["delta"]["content"] for line in out.splitlines()],
                             ["Hello ", "streaming ", "world "])
            self.assertEqual(json.loads(srv.requests[0].body), REQUEST)

    def test_request_sets_the_method_and_headers_override_the_defaults(self):
        with ScriptedSseServer([ok_stream("data: ok\n\n")]) as srv:
            rc, _, err = self.tail("-X", "PUT", "--json", "{}", "-H", "Content-Type: application/vnd.x+json",
                                   "-H", "Accept: application/json, text/event-stream", srv.url())
            self.assertEqual(rc, 0, err)
            (request,) = srv.requests
            self.assertEqual((request.method, request.body), ("PUT", b"{}"))
            self.assertEqual(request.headers["content-type"], "application/vnd.x+json")
            self.assertEqual(request.headers["accept"], "application/json, text/event-stream")
            self.assertNotIn("expect", request.headers)

    def test_a_call_is_not_sent_again_when_its_stream_ends(self):
        for args in (("--json", "{}"), ("-X", "POST")):
            with self.subTest(args=args), ScriptedSseServer([ok_stream("id: 1\ndata: a\n\n")],
                                                            after=ok_stream("data: again\n\n")) as srv:
                # Were it sent again, "again" would print and the run would last until -W.
                rc, out, err = self.tail(*args, "--retry", "20", srv.url())
                self.assertEqual((rc, out, err), (0, "a\n", ""))
                self.assertEqual(srv.request_count(), 1)

    def test_reconnect_sends_the_call_again_with_last_event_id(self):
        scripts = [ok_stream("id: 1\ndata: a\n\n"), ok_stream("id: 2\ndata: b\n\n")]
        with ScriptedSseServer(scripts) as srv:
            rc, out, err = self.tail("--reconnect", "--json", '{"q": 1}', "--retry", "20", "-n", "2", srv.url())
            self.assertEqual((rc, out), (0, "a\nb\n"), err)
            first, second = srv.requests[:2]
            self.assertEqual((first.body, second.body), (b'{"q": 1}', b'{"q": 1}'))
            self.assertNotIn("last-event-id", first.headers)
            self.assertEqual(second.headers["last-event-id"], "1")

    def test_an_api_error_says_why(self):
        with ScriptedSseServer([chat_completion()]) as srv:
            rc, out, err = self.tail("--json", json.dumps(REQUEST), "-H", "Authorization: Bearer sk-wrong",
                                     srv.url())
            self.assertEqual((rc, out), (77, ""))
            self.assertEqual(err.count("\n"), 1, err)
            self.assertIn(f"{srv.url()}: HTTP 401 Unauthorized: {{ \"error\": {{ \"message\": "
                          "\"Incorrect API key provided.\"", err)
        with ScriptedSseServer([chat_completion()]) as srv:
            rc, out, err = self.tail("--json", "{not json", "-H", AUTH, srv.url())
            self.assertEqual(rc, 76, err)
            self.assertIn("HTTP 400 Bad Request: {", err)
            self.assertIn("We could not parse the JSON body of your request.", err)

    def test_bad_bodies_are_usage_errors(self):
        big = os.path.join(self.tmp, "big.json")
        with open(big, "wb") as f:
            f.truncate((64 << 20) + 1)
        missing = os.path.join(self.tmp, "missing.json")
        cases = [
            (("--json", f"@{missing}"), f"--json: {missing}: No such file or directory"),
            (("--json", f"@{big}"), f"--json: {big}: larger than 64 MiB"),
            (("-d", "a", "--json", "{}"), "use --data or --json, not both (see sse-tail --help)"),
            (("-d", "@-", "--json", "@-"), "use --data or --json, not both (see sse-tail --help)"),
            (("-d", "@-", "-d", "@-"), "standard input (@-) can be read only once (see sse-tail --help)"),
            (("-X", "GET /x", "-d", "a"), "--request must be an HTTP method such as POST, not 'GET /x' "
                                          "(see sse-tail --help)"),
            (("--reconnect", "--no-reconnect"), "--no-reconnect excludes --reconnect (see sse-tail --help)"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                rc, out, err = self.tail(*args, "http://127.0.0.1:1/never")
                self.assertEqual((rc, out, err), (64, "", f"sse-tail: error: {message}\n"))


if __name__ == "__main__":
    unittest.main()
