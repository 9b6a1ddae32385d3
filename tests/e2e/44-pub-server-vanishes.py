"""sse-pub against a server that vanishes in the middle of a batch: it answers two NDJSON
batches as ssed does, then reads part of the third (or all of it) and closes without an answer,
and from then on nothing listens. sse-pub retries for --retry-for, then exits 69, and the
"published N of M" it prints never counts an event the server did not acknowledge."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, binary  # noqa: E402
from scripted_sse import ScriptedSseServer, close, read_at_most, send, status  # noqa: E402

LINES = "".join(f"event {i}\n" for i in range(5000))  # sse-pub sends batches of up to 1,000


def ssed_answer(request):
    """What ssed answers to an NDJSON batch: 200 and the count."""
    n = sum(1 for line in request.body.split(b"\n") if line.strip())
    body = json.dumps({"published": n, "first_id": "1-1", "last_id": f"1-{n}"})
    return [status(200, content_type="application/json", headers={"Content-Length": str(len(body))}), send(body),
            close()]


class ServerVanishes(ProcTestCase):
    def run_case(self, third):
        """Runs sse-pub with LINES against a server that acknowledges two batches and treats the
        third with the script `third`; returns (exit status, stderr, events acknowledged)."""
        srv = ScriptedSseServer([ssed_answer, ssed_answer, third])
        self.addCleanup(srv.stop)
        path = os.path.join(self.tmp, "lines")
        with open(path, "w") as f:
            f.write(LINES)
        with open(path) as stdin:
            pub = self.start([binary("sse-pub"), "--server", f"http://127.0.0.1:{srv.port}", "--retry-for", "2", "t"],
                             stdin=stdin)
            requests = srv.wait_requests(3, timeout=30)
            srv.stop()  # gone: from now on connections are refused
            rc = pub.wait(60)
        acknowledged = sum(sum(1 for line in r.body.split(b"\n") if line.strip()) for r in requests[:2])
        return rc, pub.stderr(), acknowledged

    def assert_tells_the_truth(self, rc, err, acknowledged):
        self.assertEqual(rc, 69, err)
        m = re.search(r"published (\d+) of (\d+) events", err)
        self.assertIsNotNone(m, err)
        published, total = int(m.group(1)), int(m.group(2))
        self.assertLessEqual(published, acknowledged, err)  # never an event without its 2xx
        self.assertLessEqual(published, total, err)
        self.assertEqual(err.count("error:"), 1, err)  # one line says it, after the retry warnings

    def test_a_batch_cut_off_half_way_is_not_counted(self):
        self.assert_tells_the_truth(*self.run_case([read_at_most(4000), close()]))

    def test_a_batch_read_whole_but_never_answered_is_not_counted(self):
        self.assert_tells_the_truth(*self.run_case([close()]))


if __name__ == "__main__":
    unittest.main()
