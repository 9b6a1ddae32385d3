"""sse-tail speaks sse-pub's vocabulary: a TOPIC argument (no "://") follows
$SSE_SERVER/events/TOPIC (or --server's), and --token or $SSE_TOKEN is sent as
Authorization: Bearer, against a real ssed that requires a subscribe token."""
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary, wait_for  # noqa: E402


class TailServerAndToken(ProcTestCase):
    def follow(self, ssed, topic, *args, env=None):
        """Starts sse-tail for one event on `topic`, waits until ssed counts it as a
        subscriber, publishes, and returns (exit status, stdout, stderr)."""
        before = ssed.metric("ssed_subscribers") or 0
        tail = self.start([binary("sse-tail"), "-n", "1", "-W", "60", *args], env=env)
        wait_for(lambda: (ssed.metric("ssed_subscribers") or 0) > before or tail.p.poll() is not None,
                 timeout=30, what="sse-tail subscribed")
        if tail.p.poll() is None:
            ssed.publish(topic, "hello")
        rc = tail.wait(timeout=60)
        return rc, tail.stdout(), tail.stderr()

    def test_a_topic_argument_follows_the_server_from_sse_server_with_the_token(self):
        ssed = Ssed(self, "--subscribe-token", "s3cret")
        rc, out, err = self.follow(ssed, "news", "news", env={"SSE_SERVER": ssed.url, "SSE_TOKEN": "s3cret"})
        self.assertEqual((rc, out), (0, "hello\n"), err)

    def test_server_and_token_flags_and_a_topic_list(self):
        ssed = Ssed(self, "--subscribe-token", "s3cret")
        rc, out, err = self.follow(ssed, "b", "--server", ssed.url, "--token", "s3cret", "a,b")
        self.assertEqual((rc, out), (0, "hello\n"), err)

    def test_a_wrong_token_is_refused_with_77(self):
        ssed = Ssed(self, "--subscribe-token", "s3cret")
        rc, _, err = self.run_tool([binary("sse-tail"), "--server", ssed.url, "--token", "wrong", "news"])
        self.assertEqual(rc, 77, err)

    def test_a_token_with_a_line_break_is_refused(self):
        rc, _, err = self.run_tool([binary("sse-tail"), "http://127.0.0.1:1/t"], env={"SSE_TOKEN": "a\r\nb"})
        self.assertEqual(rc, 78, err)
        self.assertTrue(err.endswith("(from SSE_TOKEN)\n"), err)
        rc, _, err = self.run_tool([binary("sse-tail"), "--token", "a\nb", "http://127.0.0.1:1/t"])
        self.assertEqual(rc, 64, err)


if __name__ == "__main__":
    unittest.main()
