"""sse-tail over HTTP/2, through Debian's nginx as an h2 front for ssed (the recipe and the
helpers of 61-nginx-proxy.py): --http2 negotiates h2 over TLS by ALPN, --http2-prior-knowledge
speaks h2c to a cleartext `listen ... http2`, and without either sse-tail speaks HTTP/1.1.
nginx's access log shows the protocol of each request and its connection number
($connection): with HTTP/2 over TLS, two topics' streams are multiplexed on one connection
(libcurl's CURLOPT_PIPEWAIT); with HTTP/1.1 each has its own; h2c is multiplexed only with
libcurl 8.0 or later (7.88 fails a reused prior-knowledge connection, curl#10634), so on
Debian 12 each h2c stream has its own connection. sse-tail -v names the protocol too.
Skipped, saying why, only when nginx or openssl is not installed."""
import importlib.util
import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(HERE, "..", "support")))
from procs import ProcTestCase, binary, wait_for  # noqa: E402
from ssed_fixture import Ssed  # noqa: E402

_spec = importlib.util.spec_from_file_location("nginx_proxy", os.path.join(HERE, "61-nginx-proxy.py"))
nginx_proxy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nginx_proxy)

# "HTTP/2.0 GET /events/a?since=start 200 7": protocol, topic, connection number.
REQUEST = re.compile(r"^(HTTP/\S+) GET /events/(\w+)\?since=start 200 (\d+)$", re.M)


def libcurl_version():
    """(major, minor) of the libcurl that curl(1), and so sse-tail, links against."""
    import subprocess
    m = re.search(r"libcurl/(\d+)\.(\d+)", subprocess.run(["curl", "--version"], capture_output=True,
                                                          text=True).stdout)
    return (int(m[1]), int(m[2])) if m else (0, 0)


class Http2(ProcTestCase):
    def follow_two_topics(self, base, *flags):
        """sse-tail on topics a and b at `base` (each already holds one event; --from-start
        replays it); returns {topic: (protocol, connection)} from nginx's access log, and
        sse-tail's stderr."""
        rc, out, err = self.run_tool([binary("sse-tail"), *flags, "-k", "-v", "--from-start", "-n", "2", "-f",
                                      "json", "-W", "30", f"{base}/events/a", f"{base}/events/b"], timeout=60)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(json.loads(line)["data"] for line in out.splitlines()), ["to a", "to b"])
        found = wait_for(lambda: (lambda got: got if len(got) == 2 else None)(
            {m[1]: (m[0], m[2]) for m in REQUEST.findall(self.nginx.log("access.log"))}),
            15, what="nginx to log both requests")
        return found, err

    def setUp(self):
        super().setUp()
        nginx_proxy.skip_without_nginx(self)
        self.ssed = Ssed(self)
        self.nginx = nginx_proxy.Nginx(self, self.ssed.port, h2c=True)
        for topic in ("a", "b"):
            status, _, body = self.ssed.publish(topic, f"to {topic}")
            self.assertEqual(status, 200, body)

    def test_http2_over_tls_multiplexes_two_streams_on_one_connection(self):
        found, err = self.follow_two_topics(self.nginx.url, "--http2")
        self.assertEqual({proto for proto, _ in found.values()}, {"HTTP/2.0"}, found)
        self.assertEqual(found["a"][1], found["b"][1], f"two connections: {found}")
        self.assertEqual(err.count("connected (HTTP/2 200)"), 2, err)

    def test_http2_prior_knowledge_speaks_h2c_to_a_cleartext_listener(self):
        found, err = self.follow_two_topics(f"http://127.0.0.1:{self.nginx.h2c_port}", "--http2-prior-knowledge")
        self.assertEqual({proto for proto, _ in found.values()}, {"HTTP/2.0"}, found)
        if libcurl_version() >= (8, 0):
            self.assertEqual(found["a"][1], found["b"][1], f"two connections: {found}")
        else:
            self.assertNotEqual(found["a"][1], found["b"][1], f"multiplexed h2c on libcurl 7: {found}")
        self.assertEqual(err.count("connected (HTTP/2 200)"), 2, err)
        self.assertNotIn("framing layer", err)

    def test_without_an_option_it_is_http1_1_one_connection_per_stream(self):
        found, err = self.follow_two_topics(self.nginx.url)
        self.assertEqual({proto for proto, _ in found.values()}, {"HTTP/1.1"}, found)
        self.assertNotEqual(found["a"][1], found["b"][1], found)
        self.assertEqual(err.count("connected (HTTP/1.1 200)"), 2, err)


if __name__ == "__main__":
    unittest.main()
