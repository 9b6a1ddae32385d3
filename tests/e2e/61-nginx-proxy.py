"""ssed behind nginx, with the recipe users are given: contrib/nginx/ssed.conf, read from the
repository and run by Debian's nginx (nginx-light) as a private, unprivileged process in front
of a real ssed. The test changes only the upstream's port, the listen address and certificate
(a throwaway one on 127.0.0.1) and proxy_read_timeout (3 s, so that a stream can outlast it
within seconds); every other line is the file as shipped.

Through nginx, over TLS:
1. events arrive one by one as they are published, not held in a buffer;
2. a stream outlives proxy_read_timeout because ssed's heartbeats keep bytes flowing, and the
   next event arrives on the same connection; without heartbeats nginx cuts the stream at the
   timeout (the control: the heartbeat is what keeps it open);
3. a client that reconnects with Last-Event-ID gets exactly what it missed, over HTTP/1.1 and
   over HTTP/2 (sse-tail; nginx's access log shows the protocol).
And the excerpts of the recipe in the README and ssed(1) say nothing the file does not.
Skipped, saying why, only when nginx or openssl is not installed (scripts/deps.sh installs
both)."""
import http.client
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(HERE, "..", "support")))
from procs import ProcTestCase, binary, free_port, wait_for  # noqa: E402
from ssed_fixture import Ssed, SseStream  # noqa: E402

RECIPE = os.path.join(HERE, "..", "..", "contrib", "nginx", "ssed.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
READ_TIMEOUT = 3  # seconds; the recipe's proxy_read_timeout, shortened for the test

# What the test changes in the recipe: each line must be there exactly once, or the recipe and
# this test have drifted apart and the test fails (it never runs a guess).
UPSTREAM = "server 127.0.0.1:8080;"
LISTEN = "listen 443 ssl http2;"
CERT = "ssl_certificate     /etc/ssl/certs/events.example.com.pem;"
KEY = "ssl_certificate_key /etc/ssl/private/events.example.com.key;"
TIMEOUT = "proxy_read_timeout 60s;"

# The main configuration around the recipe: everything nginx writes stays in its own directory.
MAIN_CONF = """\
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format proto '$server_protocol $request_method $request_uri $status $connection';
    access_log {dir}/access.log proto;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/ssed.conf;
}}
"""


def client_context():
    """TLS to the throwaway certificate, without ALPN, so the raw client speaks HTTP/1.1."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Nginx:
    """nginx with the recipe in front of ssed on `upstream_port`, listening on a free loopback
    port with TLS. As root it runs as `nobody` (setpriv), from a directory that user owns.
    With `h2c`, the same server also listens on `h2c_port` in cleartext HTTP/2 (nginx 1.22's
    `listen ... http2` without ssl: prior knowledge only, no Upgrade)."""

    def __init__(self, case, upstream_port, h2c=False):
        self.case = case
        self.dir = tempfile.mkdtemp(prefix="ssekit-nginx-")
        case.addCleanup(shutil.rmtree, self.dir, True)
        self.port = free_port()
        self.h2c_port = free_port() if h2c else None
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
        with open(RECIPE) as f:
            site = f.read()
        for old, new in ((UPSTREAM, f"server 127.0.0.1:{upstream_port};"),
                         (LISTEN, f"listen 127.0.0.1:{self.port} ssl http2;" +
                          (f" listen 127.0.0.1:{self.h2c_port} http2;" if h2c else "")),
                         (CERT, f"ssl_certificate {cert};"),
                         (KEY, f"ssl_certificate_key {key};"),
                         (TIMEOUT, f"proxy_read_timeout {READ_TIMEOUT}s;")):
            case.assertEqual(site.count(old), 1, f"{RECIPE} should hold {old!r} exactly once")
            site = site.replace(old, new)
        with open(os.path.join(self.dir, "ssed.conf"), "w") as f:
            f.write(site)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(MAIN_CONF.format(dir=self.dir))
        argv = [NGINX, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")]
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for root, dirs, files in os.walk(self.dir):
                for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                    os.chown(name, nobody.pw_uid, nobody.pw_gid)
            argv = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"] + argv
        self.proc = case.start(argv)
        wait_for(self.ready, 15, what=f"nginx on port {self.port}")
        if os.geteuid() == 0:
            case.assertNotEqual(os.stat(f"/proc/{self.proc.pid}").st_uid, 0, "nginx runs as root")

    def ready(self):
        if self.proc.p.poll() is not None:
            raise AssertionError(f"nginx exited {self.proc.p.returncode}: {self.log('error.log')}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def log(self, name):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return f.read()
        except OSError:
            return ""

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def subscribe(self, path, headers=None):
        s = SseStream("127.0.0.1", self.port, path, headers, ssl_context=client_context())
        self.case.addCleanup(s.close)
        return s

    def publish(self, topic, data):
        """POST through nginx; returns the event's id."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=15, context=client_context())
        try:
            conn.request("POST", f"/events/{topic}", body=data.encode())
            r = conn.getresponse()
            body = r.read().decode()
        finally:
            conn.close()
        self.case.assertEqual(r.status, 200, body)
        return json.loads(body)["id"]


def skip_without_nginx(case):
    """Checked before anything starts: a machine without them skips, saying so."""
    if not os.path.exists(NGINX):
        case.skipTest("nginx is not installed (scripts/deps.sh installs nginx-light)")
    if not shutil.which("openssl"):
        case.skipTest("openssl(1) is not installed (scripts/deps.sh installs it)")


class BehindNginx(ProcTestCase):
    def setUp(self):
        super().setUp()
        skip_without_nginx(self)

    def pair(self, *ssed_args):
        ssed = Ssed(self, *ssed_args)
        return ssed, Nginx(self, ssed.port)

    def test_events_arrive_one_by_one_not_in_a_buffer(self):
        ssed, nginx = self.pair("--heartbeat", "1")  # below the shortened read timeout, as it must be
        # As a browser asks: compressed if possible (a compressor would hold events back too).
        s = nginx.subscribe("/events/t", {"Accept-Encoding": "gzip, deflate, br"})
        self.assertEqual(s.wait_status(), 200)
        s.wait_text("retry:")
        self.assertEqual(s.headers["content-type"], "text/event-stream")
        self.assertNotIn("content-encoding", s.headers)  # gzip off
        self.assertNotIn("transfer-encoding", s.headers)  # chunked_transfer_encoding off
        self.assertNotIn("x-accel-buffering", s.headers)  # consumed by nginx
        latencies = []
        for i in range(5):
            t0 = time.monotonic()
            eid = nginx.publish("t", f"event {i}")
            # Seen through nginx before the next one is published: a buffering proxy would hold
            # these few bytes until its buffer filled or the stream ended.
            s.wait_until(lambda s: len(s.data_events()) == i + 1, 10, f"event {i} through nginx")
            latencies.append(time.monotonic() - t0)
            self.assertEqual((s.data_events()[i]["id"], s.data_events()[i]["data"]), (eid, f"event {i}"))
        self.assertLess(max(latencies), 2.0, f"per-event latencies through nginx: {latencies}")

    def test_heartbeats_keep_a_stream_open_past_the_proxy_read_timeout(self):
        ssed, nginx = self.pair("--heartbeat", "1")
        s = nginx.subscribe("/events/t")
        self.assertEqual(s.wait_status(), 200)
        s.wait_text("retry:")
        # Hold the stream well past proxy_read_timeout, reading all along, never publishing.
        until = time.monotonic() + 8
        s.wait_until(lambda s: s.closed or time.monotonic() >= until, 30, "the end of the hold")
        self.assertFalse(s.closed, f"nginx cut the stream: {nginx.log('error.log')}")
        self.assertGreaterEqual(sum(1 for e in s.events() if "comment" in e), 4, s.text())
        self.assertEqual(s.data_events(), [])
        # The same connection still carries events.
        eid = nginx.publish("t", "after the wait")
        [ev] = s.wait_events(1)
        self.assertEqual((ev["id"], ev["data"]), (eid, "after the wait"))
        self.assertFalse(s.closed)

    def test_without_heartbeats_nginx_cuts_a_silent_stream_at_the_read_timeout(self):
        # The control for the test above: the heartbeat, not luck, keeps the stream open.
        ssed, nginx = self.pair("--heartbeat", "0")
        s = nginx.subscribe("/events/t")
        self.assertEqual(s.wait_status(), 200)
        s.wait_text("retry:")
        t0 = time.monotonic()
        self.assertTrue(s.wait_closed(READ_TIMEOUT + 30), "nginx kept a silent stream open")
        elapsed = time.monotonic() - t0
        self.assertGreater(elapsed, READ_TIMEOUT - 1, "cut before proxy_read_timeout")
        wait_for(lambda: "upstream timed out" in nginx.log("error.log"), 15, what="nginx to log the timeout")

    def test_a_client_resumes_through_nginx_with_last_event_id(self):
        ssed, nginx = self.pair("--heartbeat", "1")
        first = nginx.subscribe("/events/t")
        self.assertEqual(first.wait_status(), 200)
        first.wait_text("retry:")
        seen = nginx.publish("t", "seen")
        first.wait_events(1)
        first.close()
        wait_for(lambda: ssed.metric("ssed_subscribers") == 0, 15, what="ssed to see the client leave")
        missed = [nginx.publish("t", "missed 1"), nginx.publish("t", "missed 2")]

        # HTTP/1.1 with the header: exactly the two missed events, then live ones.
        again = nginx.subscribe("/events/t", {"Last-Event-ID": seen})
        self.assertEqual([(e["id"], e["data"]) for e in again.wait_events(2)],
                         [(missed[0], "missed 1"), (missed[1], "missed 2")])
        # HTTP/2 (--http2: negotiated over TLS by ALPN): sse-tail resumes from the same id.
        rc, out, err = self.run_tool([binary("sse-tail"), "--http2", "-k", "-n", "2", "-f", "json", "-W", "30",
                                      "--last-event-id", seen, f"{nginx.url}/events/t"], timeout=60)
        self.assertEqual(rc, 0, err)
        self.assertEqual([json.loads(line) for line in out.splitlines()],
                         [{"event": "message", "data": "missed 1", "id": missed[0]},
                          {"event": "message", "data": "missed 2", "id": missed[1]}])
        live = nginx.publish("t", "live")
        again.wait_events(3)
        self.assertEqual([e["id"] for e in again.data_events()], missed + [live])  # no duplicate
        wait_for(lambda: "HTTP/2.0 GET /events/t 200 " in nginx.log("access.log"), 15,
                 what="nginx to log sse-tail's HTTP/2 request")
        self.assertIn("HTTP/1.1 GET /events/t 200 ", nginx.log("access.log"))


def statements(text):
    """nginx configuration as a set of statements ("proxy_buffering off", "location /events"),
    comments and layout ignored."""
    text = re.sub(r"#[^\n]*", "", text).replace("{", ";").replace("}", ";")
    return {" ".join(part.split()) for part in text.split(";") if part.strip()}


class TheDocsShowTheTestedRecipe(unittest.TestCase):
    """The excerpts in the README and the man page are what users paste: every statement in
    them must be one of the recipe's, which the tests above run."""

    def setUp(self):
        with open(RECIPE) as f:
            self.recipe = statements(f.read())

    def test_the_readme_excerpt_is_part_of_the_recipe(self):
        with open(os.path.join(HERE, "..", "..", "README.md")) as f:
            [excerpt] = re.findall(r"```nginx\n(.*?)```", f.read(), re.S)
        self.assertLessEqual(statements(excerpt), self.recipe)

    def test_the_man_page_excerpt_is_part_of_the_recipe(self):
        with open(os.path.join(HERE, "..", "..", "man", "ssed.1")) as f:
            [excerpt] = [b for b in re.findall(r"^\.EX\n(.*?)^\.EE", f.read(), re.S | re.M) if "upstream ssed" in b]
        self.assertLessEqual(statements(excerpt.replace("\\-", "-")), self.recipe)


if __name__ == "__main__":
    unittest.main()
