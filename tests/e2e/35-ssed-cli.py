"""ssed's command line: --help ends with the exit-code table and names the man page; --version;
bad flags exit 64 and bad SSED_* values exit 78, each with one line on stderr."""
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, binary  # noqa: E402


class Cli(ProcTestCase):
    def ssed(self, *args, env=None):
        return self.run_tool([binary("ssed"), *args], timeout=15, env=env)

    def test_help_lists_options_and_ends_with_exit_codes_and_the_man_page(self):
        rc, out, err = self.ssed("--help")
        self.assertEqual((rc, err), (0, ""))
        for opt in ["--listen", "--history", "--max-subscribers", "--max-topics", "--max-backlog", "--max-body",
                    "--heartbeat", "--cors-origin", "--publish-token", "--subscribe-token", "SSED_LISTEN"]:
            self.assertIn(opt, out)
        self.assertIn("Exit status:\n  0 ", out)
        self.assertIn("  71  ", out)
        self.assertTrue(out.rstrip().endswith("See ssed(1)."), out[-200:])

    def test_version(self):
        rc, out, _ = self.ssed("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^ssed \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_64_with_one_line(self):
        for args, needle in [(["--bogus"], "--bogus"), (["--listen", "nowhere"], "expected HOST:PORT"),
                             (["--listen", "127.0.0.1:70000"], "port must be 0 to 65535"),
                             (["--threads", "0"], "--threads"), (["-q", "-v"], "excludes")]:
            rc, out, err = self.ssed(*args)
            self.assertEqual(rc, 64, (args, err))
            self.assertEqual(out, "")
            self.assertEqual(err.count("\n"), 1, err)
            self.assertTrue(err.startswith("ssed: error: "), err)
            self.assertIn(needle, err)

    def test_a_bad_environment_value_exits_78(self):
        rc, out, err = self.ssed(env={"SSED_HISTORY": "lots"})
        self.assertEqual(rc, 78, err)
        self.assertTrue(err.startswith("ssed: error: "), err)
        self.assertTrue(err.endswith(" (from SSED_HISTORY)\n"), err)
        self.assertEqual(err.count("\n"), 1, err)


if __name__ == "__main__":
    unittest.main()
