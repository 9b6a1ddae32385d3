"""ssed's built-in page at /, in a real browser: Debian's headless chromium, driven through
playwright-core (pinned in tests/browser/, run by tests/browser/page-driver.mjs on Node).

1. The page watches the topics in its URL on load and shows every event with its type, id and
   time: `message`, `metric`, any other type, JSON data pretty-printed, markup as plain text.
   Its topic list (from /topics) adds a topic; filter, pause and clear do what they say.
2. When ssed stops and a new ssed starts on the same port, the page says it is reconnecting,
   comes back with the last id (ssed answers with its ssed-gap notice, shown as such) and shows
   what is published after the restart.
3. With a subscribe token: without it the page says the token is missing; with it (typed into
   the field, or ?access_token= in the page's URL) it lists topics and shows events.

A screenshot of each of the first two is saved in build/test-artifacts/ (the path is printed).
Skipped only without chromium, node/npm, or the npm registry."""
import json
import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(HERE, "..", "support")))
import npm_peer  # noqa: E402
from browser_page import BrowserPage, events, visible  # noqa: E402
from procs import BIN, ProcTestCase  # noqa: E402
from ssed_fixture import Ssed  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.abspath(os.path.join(BIN, "..", "test-artifacts"))
DRIVER_DIR = None  # a temp copy of tests/browser with node_modules, made once per run


def setUpModule():
    global DRIVER_DIR
    if not os.access(CHROMIUM, os.X_OK):
        raise unittest.SkipTest(f"{CHROMIUM} is needed (Debian's chromium; scripts/deps.sh installs it)")
    # playwright-core only: it drives the system's chromium and never downloads a browser.
    DRIVER_DIR = npm_peer.install(os.path.join(HERE, "..", "browser"), ["page-driver.mjs"],
                                  prefix="ssekit-browser-")


def tearDownModule():
    if DRIVER_DIR:
        shutil.rmtree(DRIVER_DIR, ignore_errors=True)


def pretty(text):
    return json.dumps(json.loads(text), indent=2)  # JSON.stringify(v, null, 2) spells it the same


class PageTest(ProcTestCase):
    def page(self):
        return BrowserPage(self, DRIVER_DIR, CHROMIUM)

    def publish(self, ssed, topic, data, **params):
        code, _, body = ssed.publish(topic, data, **params)
        self.assertEqual(code, 200, body)
        return json.loads(body)["id"]

    def screenshot(self, page, name):
        path = page.screenshot(os.path.join(ARTIFACTS, name))
        print(f"\nscreenshot: {path}", file=sys.stderr)


class Watching(PageTest):
    def test_the_page_shows_every_event_type_with_its_id_time_and_json_data(self):
        ssed = Ssed(self)
        self.publish(ssed, "metrics", "warm-up", event="metric")  # a topic for the list to show
        page = self.page()
        page.open(f"{ssed.url}/?topic=news")
        v = page.wait_view(lambda v: v["state"] == "live", what="the page to watch news on load")
        self.assertEqual(v["stateText"], "live: news")
        self.assertIn({"topic": "metrics", "checked": False}, v["topics"])

        # Ticking a topic in the list watches it too, and the URL says what is watched.
        page.click('#topiclist input[value="metrics"]')
        v = page.wait_view(lambda v: v["state"] == "live" and "metrics" in v["stateText"],
                           what="the page to watch news and metrics")
        self.assertEqual(v["stateText"], "live: news, metrics")
        self.assertEqual(v["url"], "/?topic=news,metrics")

        markup = '<img src=x onerror="document.title=1"> & <b>not bold</b>'
        status = '{"build": 42, "ok": true, "tags": ["a", "b"]}'
        expected = [
            ("message", self.publish(ssed, "news", "plain text"), "plain text"),
            ("metric", self.publish(ssed, "metrics", "cpu=0.25", event="metric", id="m-1"), "cpu=0.25"),
            ("status", self.publish(ssed, "news", status, event="status"), pretty(status)),
            ("message", self.publish(ssed, "news", markup), markup),
            ("log", self.publish(ssed, "news", "line one\nline two", event="log"), "line one\nline two"),
        ]
        self.assertEqual(expected[1][1], "m-1")
        v = page.wait_view(lambda v: len(events(v)) >= len(expected), what="five events")
        self.assertEqual(events(v), expected)
        rows = [r for r in v["rows"] if r["kind"] == "event"]
        self.assertEqual([r["json"] for r in rows], [False, False, True, False, False])
        self.assertEqual(rows[3]["elements"], 0, "stream data must never become markup")
        for r in rows:
            self.assertRegex(r["time"], r"^\d\d:\d\d:\d\d\.\d\d\d$")
        self.assertEqual(v["lastId"], expected[-1][1])
        self.assertEqual(v["count"], "5 events")

        # The filter hides what does not match (type, id or data), and shows it all again.
        page.fill("#filter", "METRIC")
        v = page.wait_view(lambda v: len(visible(v)) == 1, what="the filter to leave one event")
        self.assertEqual(visible(v), [expected[1]])
        self.assertEqual(v["count"], "5 events, 1 match")
        page.fill("#filter", "")
        v = page.wait_view(lambda v: len(visible(v)) == 5, what="the filter to be cleared")
        self.screenshot(page, "page.png")

        # Paused, new events wait (and are counted); resumed, they are shown in order.
        page.click("#pause")
        held = self.publish(ssed, "news", "while paused")
        v = page.wait_view(lambda v: v["pauseText"] == "Resume (1 new)", what="the held event to be counted")
        self.assertEqual(len(events(v)), 5)
        page.click("#pause")
        v = page.wait_view(lambda v: len(events(v)) == 6, what="the held event after resuming")
        self.assertEqual(events(v)[-1], ("message", held, "while paused"))
        self.assertEqual(v["pauseText"], "Pause")

        page.click("#clear")
        v = page.wait_view(lambda v: not events(v), what="the log to be cleared")
        self.assertEqual(v["count"], "0 events")
        after = self.publish(ssed, "metrics", "cpu=0.5", event="metric")
        v = page.wait_view(lambda v: events(v), what="an event after clearing")
        self.assertEqual(events(v), [("metric", after, "cpu=0.5")])
        self.assertEqual(v["pageErrors"], [])


class Reconnecting(PageTest):
    def test_the_page_follows_ssed_across_a_restart_with_its_last_id(self):
        first = Ssed(self, "--retry", "200")
        page = self.page()
        page.open(f"{first.url}/?topic=t")
        page.wait_view(lambda v: v["state"] == "live", what="the page to go live")
        before = self.publish(first, "t", "before the restart")
        page.wait_view(lambda v: events(v) == [("message", before, "before the restart")],
                       what="the first event")

        first.proc.signal()  # SIGTERM: ssed drains (a retry: to every stream) and exits
        self.assertEqual(first.proc.wait(30), 0, first.proc.stderr())
        v = page.wait_view(lambda v: v["state"] == "reconnecting", what="the page to say it reconnects")
        self.assertRegex(v["stateText"], r"^reconnecting in \d+\.\d s")
        self.assertEqual(v["lastId"], before)

        second = Ssed(self, "--retry", "200", listen=f"127.0.0.1:{first.port}")
        page.wait_view(lambda v: v["state"] == "live", timeout=60, what="the page to reconnect")
        after = self.publish(second, "t", "after the restart", event="metric")
        v = page.wait_view(lambda v: len(events(v)) >= 3, what="the event published after the restart")
        # The page resumed with Last-Event-ID = before; the new ssed has never seen that id and
        # says so with its gap notice, which the page shows as a notice.
        self.assertEqual(events(v)[0], ("message", before, "before the restart"))
        self.assertEqual(events(v)[2], ("metric", after, "after the restart"))
        gap = [r for r in v["rows"] if r["kind"] == "gap"]
        self.assertEqual(len(gap), 1, v["rows"])
        self.assertEqual(gap[0]["type"], "ssed-gap")
        self.assertIn(f"earlier_run (last id {before})", gap[0]["data"])
        self.assertIn("resuming after " + before, "\n".join(r["data"] for r in v["rows"] if r["kind"] == "sys"))
        self.assertEqual(v["lastId"], after)
        self.screenshot(page, "page-restart.png")
        self.assertEqual(v["pageErrors"], [])


class WithAToken(PageTest):
    def test_the_page_needs_the_subscribe_token_and_works_with_it(self):
        ssed = Ssed(self, "--subscribe-token", "s3cret")
        page = self.page()
        page.open(f"{ssed.url}/?topic=t")
        v = page.wait_view(lambda v: v["state"] == "failed", what="the page to fail without a token")
        self.assertEqual(v["stateText"], "failed: HTTP 401: a bearer token is required")
        self.assertEqual(v["topicsText"], "cannot list topics: HTTP 401")

        # Typed into the field: the page watches, and lists topics, with it.
        page.fill("#token", "s3cret")
        page.click("#watch")
        page.wait_view(lambda v: v["state"] == "live", what="the page to watch with the typed token")
        one = self.publish(ssed, "t", "typed token", event="secret")
        v = page.wait_view(lambda v: events(v) == [("secret", one, "typed token")], what="an event")
        v = page.wait_view(lambda v: v["topics"] == [{"topic": "t", "checked": True}], what="the topic list")

        # In the page's URL: the same, from the first load.
        page.open(f"{ssed.url}/?topic=t&access_token=s3cret")
        v = page.wait_view(lambda v: v["state"] == "live" and v["topics"], what="the page with ?access_token=")
        self.assertEqual(v["url"], "/?topic=t&access_token=s3cret")
        two = self.publish(ssed, "t", '{"n": 2}', event="secret")
        v = page.wait_view(lambda v: events(v), what="an event")
        self.assertEqual(events(v), [("secret", two, pretty('{"n": 2}'))])
        self.assertEqual(v["pageErrors"], [])


if __name__ == "__main__":
    unittest.main()
