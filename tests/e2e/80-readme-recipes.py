"""The README's guide works as written: every fenced block marked `<!-- tested: NAME -->` runs
in bash against the real binaries, with its ports (8080-8082 for ssed, 6379 for Redis) moved to
free ones, and must exit 0 (printing what `prints:` says); every block marked
`<!-- covered: PATH... (why) -->` names tests that exist. The README's first fenced block stays
exactly the two commands that CI and a fresh-machine check run."""
import os
import re
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import BIN, ProcTestCase, free_port  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
MARKED = re.compile(r"<!-- (tested|covered): (.*?) -->\n```(\w*)\n(.*?)```", re.S)
PORTS = ("8080", "8081", "8082", "6379")


def marked_blocks(kind):
    return [(label, body) for k, label, _, body in MARKED.findall(README) if k == kind]


class ReadmeRecipes(ProcTestCase):
    def run_recipe(self, name, body):
        needs = {"redis-server", "redis-cli"} if "redis-" in body else set()
        needs |= {tool for tool in ("jq", "curl") if re.search(rf"\b{tool}\b", body)}
        missing = [tool for tool in sorted(needs) if not shutil.which(tool)]
        if missing:
            self.skipTest(f"{name} needs {', '.join(missing)}")
        ports = {port: str(free_port()) for port in PORTS}
        script = re.sub(r"\b(" + "|".join(PORTS) + r")\b", lambda m: ports[m.group(1)], body)
        env = dict(os.environ, PATH=os.path.abspath(BIN) + os.pathsep + os.environ["PATH"],
                   SSED_LISTEN=f"127.0.0.1:{ports['8080']}", SSE_SERVER=f"http://127.0.0.1:{ports['8080']}")
        env.pop("SSE_TOKEN", None)
        # Its own process group, so whatever the block leaves running is stopped by that id;
        # output goes to files, which need no reader that waits for the last background child.
        out_path, err_path = os.path.join(self.tmp, f"{name}.out"), os.path.join(self.tmp, f"{name}.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            p = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=self.tmp, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        try:
            rc = p.wait(timeout=90)
        finally:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        with open(out_path) as out, open(err_path) as err:
            return rc, out.read(), err.read()

    def test_each_tested_block_runs_and_prints_what_it_says(self):
        blocks = marked_blocks("tested")
        self.assertGreaterEqual(len(blocks), 5)
        for label, body in blocks:
            name, _, expect = label.partition("; prints: ")
            with self.subTest(recipe=name):
                rc, out, err = self.run_recipe(name, body)
                self.assertEqual(rc, 0, f"{name}:\nstdout:\n{out}\nstderr:\n{err}")
                self.assertIn(expect, out, f"{name}:\n{err}")

    def test_each_covered_block_names_tests_that_exist(self):
        blocks = marked_blocks("covered")
        self.assertGreaterEqual(len(blocks), 3)
        for label, _ in blocks:
            paths = label.split(" (")[0].split()
            self.assertTrue(paths, label)
            for path in paths:
                self.assertTrue(os.path.exists(os.path.join(ROOT, path)), path)

    def test_the_first_block_is_the_two_commands(self):
        first = re.search(r"```\w*\n(.*?)```", README, re.S).group(1)
        self.assertEqual([line.split()[0] for line in first.splitlines()], ["scripts/demo.sh", "scripts/test.sh"])


if __name__ == "__main__":
    unittest.main()
