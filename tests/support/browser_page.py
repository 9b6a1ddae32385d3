"""A headless Chromium on a page, for end-to-end tests: tests/browser/page-driver.mjs run by
node, steered one JSON command a line on its stdin, answering one JSON line each. The test
polls view() (what the page shows, read from its DOM) until a condition holds, with a deadline;
the browser is closed (stdin ends, the driver closes it) when the test ends."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import wait_for  # noqa: E402


class BrowserPage:
    def __init__(self, case, driver_dir, chromium="/usr/bin/chromium"):
        self.proc = case.start(["node", "--no-warnings", os.path.join(driver_dir, "page-driver.mjs"),
                                "--chromium", chromium], stdin=subprocess.PIPE)
        self.replies = 0
        case.addCleanup(self.close)  # runs before the Proc's own stop (cleanups are LIFO)

    def call(self, cmd, timeout=60, **args):
        self.proc.p.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
        self.proc.p.stdin.flush()
        n, self.replies = self.replies, self.replies + 1
        wait_for(lambda: len(self.proc.out_lines) > n or self.proc.p.poll() is not None, timeout,
                 what=f"page-driver to answer {cmd}")
        if len(self.proc.out_lines) <= n:
            raise AssertionError(f"page-driver exited ({self.proc.p.poll()}): {self.proc.stderr()}")
        reply = json.loads(self.proc.out_lines[n])
        if not reply.pop("ok"):
            raise AssertionError(f"page-driver {cmd} {args}: {reply['error']}")
        return reply

    def open(self, url):
        return self.call("open", url=url)

    def view(self):
        return self.call("view")

    def click(self, selector):
        return self.call("click", selector=selector)

    def fill(self, selector, value):
        return self.call("fill", selector=selector, value=value)

    def screenshot(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return self.call("screenshot", path=path)["path"]

    def wait_view(self, predicate, timeout=30, what="the page"):
        """The first view() for which predicate holds; on timeout the error shows the last one."""
        last = {}

        def check():
            last["view"] = self.view()
            return predicate(last["view"])
        try:
            wait_for(check, timeout, interval=0.05, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}; the page shows {json.dumps(last.get('view'), indent=1)}") from None
        return last["view"]

    def close(self):
        if self.proc.p.poll() is None and not self.proc.p.stdin.closed:
            try:
                self.proc.p.stdin.close()  # the driver closes the browser and exits
            except OSError:
                pass
            try:
                self.proc.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass  # Proc.stop, the next cleanup, ends it by PID


def events(view):
    """The event rows (not the page's own notes), as (type, id, data)."""
    return [(r["type"], r["id"], r["data"]) for r in view["rows"] if r["kind"] != "sys"]


def visible(view):
    return [(r["type"], r["id"], r["data"]) for r in view["rows"] if r["kind"] != "sys" and not r["hidden"]]
