"""ssed's HTTP policy: CORS allow-list and preflight, the Host allow-list (DNS rebinding),
bearer tokens (flags or environment), and limits answered with clear 4xx/503 JSON errors."""
import json
import time
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary  # noqa: E402


class Cors(ProcTestCase):
    def test_preflight_from_an_allowed_origin(self):
        ssed = Ssed(self, "--cors-origin", "https://app.example", "--cors-origin", "http://localhost:3000")
        status, h, _ = ssed.request("OPTIONS", "/events/t", headers={
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(status, 204)
        self.assertEqual(h["access-control-allow-origin"], "http://localhost:3000")
        self.assertEqual(h["access-control-allow-methods"], "GET, POST, OPTIONS")
        self.assertEqual(h["access-control-allow-headers"], "Authorization, Content-Type, Idempotency-Key, Last-Event-ID")
        self.assertIn("access-control-max-age", h)
        s = ssed.subscribe("/events/t", {"Origin": "https://app.example"})
        self.addCleanup(s.close)
        self.assertEqual(s.wait_status(), 200)
        self.assertEqual(s.headers["access-control-allow-origin"], "https://app.example")

    def test_an_origin_not_on_the_list_gets_no_cors_headers(self):
        ssed = Ssed(self, "--cors-origin", "https://app.example")
        status, h, _ = ssed.request("OPTIONS", "/events/t", headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 204)
        self.assertFalse([k for k in h if k.startswith("access-control-")], h)
        # CORS shapes what a page may read, not what it may send: a simple cross-origin POST
        # would publish anyway, so another origin's publish is refused outright (CSRF).
        status, h, body = ssed.publish("t", "x", headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 403, body)
        self.assertNotIn("access-control-allow-origin", h)
        self.assertEqual(ssed.metric("ssed_published_total"), 0)
        self.assertEqual(ssed.publish("t", "x", headers={"Origin": "https://app.example"})[0], 200)

    def test_without_cors_origins_no_cors_headers_at_all(self):
        ssed = Ssed(self)
        _, h, _ = ssed.request("GET", "/healthz", headers={"Origin": "https://app.example"})
        self.assertNotIn("access-control-allow-origin", h)


class AllowedHost(ProcTestCase):
    def test_a_dns_rebinding_request_gets_421_and_publishes_nothing(self):
        ssed = Ssed(self, "-v", "--allowed-host", "localhost,127.0.0.1", "--allowed-host", "[::1]")
        # A page on http://evil.example:PORT whose name now resolves to 127.0.0.1: its Host
        # and Origin agree, so only the Host allow-list tells it from ssed's own page.
        evil = f"evil.example:{ssed.port}"
        rebound = {"Host": evil, "Origin": f"http://{evil}"}
        status, h, body = ssed.publish("t", "forged", headers=rebound)
        self.assertEqual(status, 421, body)
        self.assertEqual(json.loads(body), {"error": 'host "evil.example" is not served here (see --allowed-host)'})
        self.assertEqual(body.count("\n"), 1)
        for path in ["/events/t", "/topics", "/metrics", "/healthz", "/"]:
            self.assertEqual(ssed.request("GET", path, headers=rebound)[0], 421, path)
        s = ssed.subscribe("/events/t", {"Host": evil})
        self.addCleanup(s.close)
        self.assertEqual(s.wait_status(), 421)
        self.assertEqual(ssed.metric("ssed_published_total"), 0)
        self.assertEqual(ssed.metric("ssed_subscribers"), 0)
        ssed.proc.wait_line(lambda l: "POST /events/t 421" in l, stream="err")  # refusals are logged too
        # ssed's own names, with or without the port, in any case.
        for host in [f"127.0.0.1:{ssed.port}", f"localhost:{ssed.port}", "LOCALHOST"]:
            self.assertEqual(ssed.publish("t", "x", headers={"Host": host})[0], 200, host)
        ok = ssed.subscribed("t")  # the fixture sends Host: 127.0.0.1:PORT
        self.assertEqual(ssed.publish("t", "live")[0], 200)
        self.assertEqual([e["data"] for e in ok.wait_events(1)], ["live"])

    def test_by_default_any_host_is_served(self):
        ssed = Ssed(self)
        self.assertEqual(ssed.publish("t", "x", headers={"Host": "evil.example"})[0], 200)

    def test_the_list_comes_from_the_environment_and_a_port_in_it_is_refused(self):
        ssed = Ssed(self, env={"SSED_ALLOWED_HOST": "hub.internal"})
        self.assertEqual(ssed.publish("t", "x")[0], 421)
        self.assertEqual(ssed.publish("t", "x", headers={"Host": "hub.internal:8080"})[0], 200)
        rc, _, err = self.run_tool([binary("ssed"), "--allowed-host", "localhost:8080"])
        self.assertEqual(rc, 64, err)
        self.assertIn("without a port", err)


class Tokens(ProcTestCase):
    def test_publish_and_subscribe_tokens_are_separate(self):
        ssed = Ssed(self, "--publish-token", "p-secret", "--subscribe-token", "s-secret")
        status, h, body = ssed.publish("t", "x")
        self.assertEqual(status, 401)
        self.assertTrue(h["www-authenticate"].startswith("Bearer"))
        self.assertIn("error", json.loads(body))
        self.assertEqual(ssed.publish("t", "x", headers={"Authorization": "Bearer s-secret"})[0], 401)
        s = ssed.subscribe("/events/t")
        self.addCleanup(s.close)
        self.assertEqual(s.wait_status(), 401)
        ok = ssed.subscribe("/events/t?access_token=s-secret")
        self.addCleanup(ok.close)
        ok.wait_text("retry:")
        self.assertEqual(ssed.publish("t", "x", headers={"Authorization": "Bearer p-secret"})[0], 200)
        self.assertEqual(ssed.publish("t", "y", access_token="p-secret")[0], 200)
        self.assertEqual([e["data"] for e in ok.wait_events(2)], ["x", "y"])

    def test_the_access_log_never_shows_a_token(self):
        ssed = Ssed(self, "-v", "--subscribe-token", "s-secret", "--publish-token", "p-secret")
        ok = ssed.subscribe("/events/t?access_token=s-secret")
        self.addCleanup(ok.close)
        ok.wait_text("retry:")
        self.assertEqual(ssed.publish("t", "y", access_token="p-secret")[0], 200)
        line = ssed.proc.wait_line(lambda l: "POST /events/t" in l, stream="err")
        self.assertIn("access_token=REDACTED", line)
        self.assertNotIn("secret", ssed.proc.stderr())

    def test_tokens_come_from_the_environment_too(self):
        ssed = Ssed(self, env={"SSED_PUBLISH_TOKEN": "from-env"})
        self.assertEqual(ssed.publish("t", "x")[0], 401)
        self.assertEqual(ssed.publish("t", "x", headers={"Authorization": "Bearer from-env"})[0], 200)


class Limits(ProcTestCase):
    def test_subscribes_that_name_topics_cannot_fill_the_topic_limit_for_good(self):
        ssed = Ssed(self, "--max-topics", "5")
        for _ in range(3):  # clients naming topics that never get an event, and leaving
            s = ssed.subscribe("/events/a,b,c,d,e")
            self.assertEqual(s.wait_status(), 200)
            s.close()
        deadline = time.monotonic() + 15
        while ssed.metric("ssed_subscribers") != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        status, _, body = ssed.publish("fresh", "x")
        self.assertEqual(status, 200, body)
        self.assertGreaterEqual(ssed.metric("ssed_topics_reclaimed_total"), 5)
        status, _, body = ssed.request("GET", "/events/" + ",".join(f"t{i}" for i in range(65)))
        self.assertEqual(status, 400)
        self.assertIn("--max-subscribe-topics", body)

    def test_bodies_over_max_body_get_413(self):
        ssed = Ssed(self, "--max-body", "1k")
        self.assertEqual(ssed.publish("t", "x" * 1024)[0], 200)
        status, _, body = ssed.publish("t", "x" * 1025)
        self.assertEqual(status, 413)
        self.assertIn("larger than 1024 bytes", json.loads(body)["error"])
        rc, out, err = self.run_tool(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
                                      "--data-binary", "@-", f"{ssed.url}/events/t"], input="y" * 5000000)
        self.assertEqual(out, "413", err)
        self.assertEqual(ssed.metric("ssed_published_total"), 1)

    def test_bad_topics_ids_and_json_lines_get_400(self):
        ssed = Ssed(self)
        for path in ["/events/no%20spaces", "/events/" + "x" * 129, "/events/t?id=a%0Ab", "/events/t?event=a%0Db",
                     "/events/t?retry=later"]:
            status, _, body = ssed.request("POST", path, b"x")
            self.assertEqual(status, 400, path)
            self.assertIn("error", json.loads(body))
        status, _, body = ssed.request("POST", "/events/t", b'{"data":"fine"}\n{"data":\n',
                                       {"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 400)
        self.assertTrue(json.loads(body)["error"].startswith("line 2: "), body)
        self.assertEqual(ssed.metric("ssed_published_total"), 0)

    def test_subscriber_and_topic_limits_get_503(self):
        ssed = Ssed(self, "--max-subscribers", "2", "--max-topics", "2")
        streams = [ssed.subscribe("/events/a"), ssed.subscribe("/events/b")]
        for s in streams:
            self.addCleanup(s.close)
            s.wait_text("retry:")
        third = ssed.subscribe("/events/a")
        self.addCleanup(third.close)
        self.assertEqual(third.wait_status(), 503)
        self.assertEqual(ssed.publish("a", "x")[0], 200)
        status, _, body = ssed.publish("c", "x")
        self.assertEqual(status, 503)
        self.assertIn("error", json.loads(body))


if __name__ == "__main__":
    unittest.main()
