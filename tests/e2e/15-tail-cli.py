"""sse-tail's command line as a user sees it: usage errors (64, one line), --help, --version."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402

HELP = " (see sse-tail --help)\n"


class Cli(ProcTestCase):
    def tail(self, *args):
        return self.run_tool([binary("sse-tail"), *args], timeout=30)

    def test_usage_errors_exit_64_with_one_line(self):
        cases = [
            ((), "URL is required"),
            (("--bogus", "http://127.0.0.1:1/t"), "The following argument was not expected: --bogus"),
            (("-n", "0", "http://127.0.0.1:1/t"), "--count: must be a whole number, 1 or more, not '0'"),
            (("-W", "soon", "http://127.0.0.1:1/t"), "--timeout: must be a number of seconds above 0, not 'soon'"),
            (("-q", "-v", "http://127.0.0.1:1/t"), "--quiet excludes --verbose"),
            (("-f", "{nope}", "http://127.0.0.1:1/t"),
             "unknown field {nope} in --format (use {event}, {data}, {id}, {url})"),
            (("-f", "jsno", "http://127.0.0.1:1/t"),
             "unknown --format 'jsno' (use data, raw, json or a template such as '{event}: {data}')"),
            (("-H", "NoColon", "http://127.0.0.1:1/t"), "--header must look like 'Name: value': NoColon"),
            (("ftp://127.0.0.1/t",), "URL must start with http:// or https://: ftp://127.0.0.1/t"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                rc, out, err = self.tail(*args)
                self.assertEqual((rc, out), (64, ""))
                self.assertEqual(err, "sse-tail: error: " + message + HELP)

    def test_bad_regex_names_the_problem(self):
        rc, out, err = self.tail("-m", "(", "http://127.0.0.1:1/t")
        self.assertEqual(rc, 64)
        self.assertTrue(err.startswith("sse-tail: error: --match: "), err)
        self.assertEqual(err.count("\n"), 1)

    def test_help_ends_with_the_exit_codes_and_the_man_page(self):
        rc, out, err = self.tail("--help")
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.startswith("sse-tail: follow Server-Sent Events streams"), out)
        self.assertIn("Usage: sse-tail [OPTIONS] [URL...]", out)  # optional: - or --input FILE
        self.assertIn("Exit status:\n  0 ", out)
        self.assertIn("  77  permission denied: HTTP 401 or 403\n", out)
        self.assertTrue(out.endswith("\nSee sse-tail(1).\n"), out[-200:])
        for flag in ("--header", "--last-event-id", "--retry", "--no-reconnect", "--idle-timeout", "--format",
                     "--count", "--timeout", "--event", "--match", "--quiet", "--verbose", "--version",
                     "--insecure", "--request", "--data", "--json", "--reconnect", "--until", "--exec", "--state"):
            self.assertIn(flag, out)

    def test_version(self):
        for flag in ("-V", "--version"):
            rc, out, err = self.tail(flag)
            self.assertEqual((rc, err), (0, ""))
            self.assertRegex(out, r"^sse-tail \d+\.\d+\.\d+\n$")

    def test_man_page_lists_every_option(self):  # its exit codes: tests/unit/exit_table_test.cpp
        page = os.path.join(os.path.dirname(__file__), "..", "..", "man", "sse-tail.1")
        with open(page) as f:
            text = f.read()
        for flag in ("header", "last-event-id", "retry", "no-reconnect", "idle-timeout", "format", "count",
                     "timeout", "event", "match", "quiet", "verbose", "version", "insecure", "request", "data", "json",
                     "reconnect", "until", "exec", "state"):
            self.assertIn("\\-\\-" + flag.replace("-", "\\-"), text, flag)


if __name__ == "__main__":
    unittest.main()
