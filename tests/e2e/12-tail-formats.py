"""sse-tail's output formats, and what a browser's EventSource would see from a tricky stream."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, ok_stream  # noqa: E402

STREAM = "event: tick\nid: 3\ndata: a\ndata: b\n\ndata: plain\n\n"


class Formats(ProcTestCase):
    def tail(self, *args, stream=STREAM, count="2"):
        with ScriptedSseServer([ok_stream(stream)]) as srv:
            rc, out, err = self.run_tool([binary("sse-tail"), "-n", count, "-W", "30", *args, srv.url()])
            self.assertEqual(rc, 0, err)
            self.assertEqual(err, "")
            return out, srv.url()

    def test_data_is_the_default(self):
        self.assertEqual(self.tail()[0], "a\nb\nplain\n")
        self.assertEqual(self.tail("-f", "data")[0], "a\nb\nplain\n")

    def test_raw_prints_the_events_as_event_stream_blocks(self):
        out, _ = self.tail("--format", "raw")
        self.assertEqual(out, "event: tick\nid: 3\ndata: a\ndata: b\n\nid: 3\ndata: plain\n\n")

    def test_json_prints_one_object_per_line_with_event_data_id(self):
        out, _ = self.tail("-f", "json")
        lines = out.splitlines()
        self.assertEqual(lines[0], '{"event":"tick","data":"a\\nb","id":"3"}')
        self.assertEqual(json.loads(lines[1]), {"event": "message", "data": "plain", "id": "3"})

    def test_template_fields_and_escapes(self):
        out, url = self.tail("-f", "{event}\\t{id}\\t{data}|{url}|{{}}\\\\")
        self.assertEqual(out, f"tick\t3\ta\nb|{url}|{{}}\\\nmessage\t3\tplain|{url}|{{}}\\\n")

    def test_template_ending_in_newline_gets_no_second_one(self):
        out, _ = self.tail("-f", "{event}: {data}\\n")
        self.assertEqual(out, "tick: a\nb\nmessage: plain\n")

    def test_browser_view_of_a_tricky_stream(self):
        # BOM, CRLF and lone CR line ends, comments, a field without colon, unknown fields,
        # multi-line data, id persistence, id reset, event type reset after dispatch.
        stream = ("\ufeff: a comment first\r\n"
                  "event: add\r\nid: 1\r\ndata: first\r\ndata:second\r\nunknown: x\r\n\r\n"
                  ": between\r\n"
                  "data: third\r\r"
                  "id\r\nevent: drop\n:c\ndata:  two spaces\n\n"
                  "data: never seen\n\n")
        out, _ = self.tail("--format", "json", stream=stream, count="3")
        self.assertEqual([json.loads(line) for line in out.splitlines()], [
            {"event": "add", "data": "first\nsecond", "id": "1"},
            {"event": "message", "data": "third", "id": "1"},
            {"event": "drop", "data": " two spaces", "id": ""},
        ])
        self.assertEqual(out.count("\n"), 3)

    def test_an_empty_data_block_dispatches_nothing_but_data_colon_does(self):
        stream = "event: x\n\ndata\n\ndata:\ndata:\n\n"
        out, _ = self.tail("-f", "json", stream=stream, count="2")
        self.assertEqual([json.loads(line) for line in out.splitlines()],
                         [{"event": "message", "data": "", "id": ""},
                          {"event": "message", "data": "\n", "id": ""}])

    def test_json_adds_the_url_when_following_several(self):
        with ScriptedSseServer([ok_stream("data: one\n\n")]) as a, ScriptedSseServer([ok_stream("data: two\n\n")]) as b:
            rc, out, err = self.run_tool([binary("sse-tail"), "-f", "json", "-n", "2", "-W", "30", a.url(), b.url()])
            self.assertEqual(rc, 0, err)
            got = sorted((json.loads(line)["url"], json.loads(line)["data"]) for line in out.splitlines())
            self.assertEqual(got, sorted([(a.url(), "one"), (b.url(), "two")]))


if __name__ == "__main__":
    unittest.main()
