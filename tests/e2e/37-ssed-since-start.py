"""A subscriber that may connect after the first publish: `?since=start` (sse-tail
--from-start) replays the topic's whole retained history with no gap notice, then live
events; a Last-Event-ID wins over it. And the README's CI recipe, which starts sse-tail and
triggers the work at once, sees the result every time (20 runs, no miss)."""
import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(HERE, "..", "support")))
from procs import BIN  # noqa: E402
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402

README = os.path.join(HERE, "..", "..", "README.md")
RUNS = 20


class SinceStart(ProcTestCase):
    def test_since_start_replays_all_history_without_a_gap_then_live(self):
        ssed = Ssed(self, "--history", "3")
        ids = ssed.publish_all("t", ["a", "b", "c", "d"])  # "a" is evicted: not asked for
        s = ssed.subscribe("/events/t?since=start")
        self.addCleanup(s.close)
        self.assertEqual([(e["id"], e["data"]) for e in s.wait_events(3)], list(zip(ids[1:], "bcd")))
        [live] = ssed.publish_all("t", ["e"])
        self.assertEqual(s.wait_events(4)[3]["id"], live)
        self.assertFalse(any(e.get("event") == "ssed-gap" for e in s.events()), s.text())

    def test_a_last_event_id_wins_over_since_start(self):
        ssed = Ssed(self)
        ids = ssed.publish_all("t", ["a", "b", "c"])
        s = ssed.subscribe("/events/t?since=start", {"Last-Event-ID": ids[1]})
        self.addCleanup(s.close)
        self.assertEqual([e["data"] for e in s.wait_events(1)], ["c"])
        ssed.publish_all("t", ["d"])
        self.assertEqual([e["data"] for e in s.wait_events(2)], ["c", "d"])

    def test_an_unknown_since_is_refused(self):
        ssed = Ssed(self)
        status, _, body = ssed.request("GET", "/events/t?since=yesterday")
        self.assertEqual(status, 400)
        self.assertIn("since", json.loads(body)["error"])

    def test_sse_tail_from_start_sees_events_published_before_it_connected(self):
        ssed = Ssed(self)
        ids = ssed.publish_all("t", ["early 1", "early 2"])
        rc, out, err = self.run_tool([binary("sse-tail"), "--from-start", "-n", "2", "-f", "json", "-W", "30",
                                      f"{ssed.url}/events/t?x=1"])
        self.assertEqual(rc, 0, err)
        self.assertEqual([(o["id"], o["data"]) for o in map(json.loads, out.splitlines())],
                         list(zip(ids, ["early 1", "early 2"])))

    def test_the_readme_ci_recipe_never_misses_the_result(self):
        with open(README) as f:
            [recipe] = re.findall(r"\*\*A CI smoke test\.\*\*.*?```sh\n(.*?)```", f.read(), re.S)
        self.assertIn("--from-start", recipe)
        self.assertNotIn("until", recipe)  # no waiting for the subscription: that is the point
        # The changes: our ssed instead of the recipe's own, and a shorter --timeout, so that a
        # miss fails in seconds, not a minute.
        lines = [l for l in recipe.splitlines() if not l.startswith(("ssed ", "kill $hub"))]
        self.assertEqual(len(lines), 3, recipe)
        script = "set -e\n" + "\n".join(lines).replace("-W 60", "-W 20") + "\n"
        ssed = Ssed(self)
        env = dict(os.environ, PATH=os.path.abspath(BIN) + os.pathsep + os.environ["PATH"], SSE_SERVER=ssed.url)
        for run in range(RUNS):
            work = os.path.join(self.tmp, str(run))
            os.mkdir(work)
            # A fresh topic per run, as a fresh build id would be.
            r = subprocess.run(["bash", "-c", script.replace("build-42", f"build-{run}")], cwd=work, env=env,
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, f"run {run} missed the result: {r.stderr}")
            self.assertEqual(r.stdout, "build 42 passed\n", f"run {run}")
            with open(os.path.join(work, "result.txt")) as f:
                self.assertEqual(f.read(), '{"status":"passed"}\n', f"run {run}")

if __name__ == "__main__":
    unittest.main()
