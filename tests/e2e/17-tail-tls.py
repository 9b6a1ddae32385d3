"""sse-tail over https: a self-signed certificate fails verification (69) unless -k."""
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, ok_stream, self_signed_context  # noqa: E402


class Tls(ProcTestCase):
    def setUp(self):
        super().setUp()
        self.ctx = self_signed_context(self.tmp)
        if self.ctx is None:
            self.skipTest("openssl(1) not installed")

    def test_insecure_accepts_a_self_signed_certificate(self):
        with ScriptedSseServer([ok_stream("id: 1\ndata: secret\n\n")], ssl_context=self.ctx) as srv:
            rc, out, err = self.run_tool([binary("sse-tail"), "-k", "-n", "1", "-f", "{id} {data}", "-W", "30",
                                          srv.url()], timeout=60)
            self.assertEqual((rc, out, err), (0, "1 secret\n", ""))
            self.assertEqual(srv.requests[0].headers["accept"], "text/event-stream")

    def test_an_unverifiable_certificate_fails_with_69_and_a_hint(self):
        with ScriptedSseServer([], ssl_context=self.ctx) as srv:
            rc, out, err = self.run_tool([binary("sse-tail"), "-W", "30", srv.url()], timeout=60)
            self.assertEqual((rc, out), (69, ""), err)
            self.assertTrue(err.startswith(f"sse-tail: error: {srv.url()}: "), err)
            self.assertTrue(err.endswith("(-k skips verification)\n"), err)
            self.assertEqual(err.count("\n"), 1, err)


if __name__ == "__main__":
    unittest.main()
