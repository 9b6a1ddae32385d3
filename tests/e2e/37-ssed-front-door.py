"""ssed's front door against clients that misbehave, as an attacker or an ordinary script
would: slow heads, slow request lines, slow bodies, idle keep-alives, a huge header line, a
flood of headers, a large unauthenticated body, an oversized batch, sixteen keep-alive
publishers. While each is at work, another client's publish and subscription must complete
promptly (generous bounds: these are not benchmarks), ssed's memory must stay bounded, and the
bad client gets the documented answer (408, 413, 431, 401) where one is owed."""
import os
import select
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from ssed_fixture import ProcTestCase, Ssed, binary, raise_fd_limit  # noqa: E402

PROMPT = 2.0  # seconds another client's publish or subscribe may take while the bad ones work


def connect(ssed):
    s = socket.create_connection((ssed.host, ssed.port), timeout=15)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_answer(sock, timeout=15):
    """Whatever the server sends until it closes or goes quiet for `timeout`."""
    sock.settimeout(timeout)
    got = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            got += data
            if b"\r\n\r\n" in got and got.split(b"\r\n\r\n", 1)[1]:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    return got.decode("latin-1")


class FrontDoor(ProcTestCase):
    def setUp(self):
        super().setUp()
        raise_fd_limit()
        self.socks = []
        self.addCleanup(self.close_socks)

    def close_socks(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass

    def assert_others_are_served(self, ssed, rounds=3):
        """Another client publishes and subscribes; each takes less than PROMPT seconds."""
        for i in range(rounds):
            t0 = time.monotonic()
            sub = ssed.subscribed("probe")
            took_sub = time.monotonic() - t0
            t0 = time.monotonic()
            status, _, body = ssed.publish("probe", f"probe {i}")
            took_pub = time.monotonic() - t0
            self.assertEqual(status, 200, body)
            sub.wait_events(1, timeout=PROMPT * 5)
            sub.close()
            self.assertLess(took_sub, PROMPT, "a subscription waited behind the bad clients")
            self.assertLess(took_pub, PROMPT, "a publish waited behind the bad clients")

    def drip(self, socks, piece, rounds, gap):
        for _ in range(rounds):
            for s in socks:
                try:
                    s.sendall(piece)
                except OSError:
                    pass
            time.sleep(gap)

    def test_slow_heads_and_request_lines_hold_no_thread_and_get_408(self):
        ssed = Ssed(self, "--head-timeout", "3")
        heads = [connect(ssed) for _ in range(100)]
        lines = [connect(ssed) for _ in range(100)]
        self.socks += heads + lines
        for s in heads:
            s.sendall(b"GET /events/t HTTP/1.1\r\nHost: x\r\n")
        for s in lines:
            s.sendall(b"GET /even")
        self.drip(heads, b"X-Drip: 1\r\n", 2, 0.3)
        self.assert_others_are_served(ssed)
        # Past --head-timeout each gets a 408 and is closed: no client holds a slot forever.
        for s in heads[:5] + lines[:5]:
            self.assertIn(" 408 ", read_answer(s, timeout=10))

    def test_a_slow_body_is_cut_at_the_minimum_rate(self):
        ssed = Ssed(self, "--body-timeout", "1", "--min-body-rate", "1k")
        slow = [connect(ssed) for _ in range(50)]
        self.socks += slow
        for s in slow:
            s.sendall(b"POST /events/t HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
        self.assert_others_are_served(ssed)
        t0 = time.monotonic()
        answer = read_answer(slow[0], timeout=15)
        self.assertIn(" 408 ", answer)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(ssed.metric("ssed_published_total"), 3)  # only the probes

    def test_idle_keep_alives_cost_nothing_but_their_sockets(self):
        ssed = Ssed(self)
        idle = [connect(ssed) for _ in range(500)]
        self.socks += idle
        # Half of them after a request, half before any.
        for s in idle[:250]:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for s in idle[:250]:
            self.assertIn(" 200 ", read_answer(s))
        self.assert_others_are_served(ssed)

    def test_idle_keep_alives_are_closed_after_the_idle_timeout(self):
        ssed = Ssed(self, "--idle-timeout", "1")
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(" 200 ", read_answer(s))
        s.settimeout(10)
        t0 = time.monotonic()
        self.assertEqual(s.recv(100), b"")  # closed quietly: no answer is owed
        self.assertLess(time.monotonic() - t0, 8)

    def test_a_huge_header_line_is_431_and_memory_stays_bounded(self):
        ssed = Ssed(self)
        before = ssed.rss_kb()
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"GET /events/t HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        sent = 0
        chunk = b"a" * 65536
        answer = ""
        try:
            # 200 MiB, unless ssed answers first; a client reads as it sends, as curl does.
            while sent < 200 * 1024 * 1024:
                if select.select([s], [], [], 0)[0]:
                    answer = read_answer(s)
                    break
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # ssed answered and closed
        answer = answer or read_answer(s)
        self.assertIn(" 431 ", answer)
        self.assertLess(sent, 64 * 1024 * 1024, "ssed kept reading a header line past its limit")
        self.assertLess(ssed.rss_kb() - before, 20 * 1024, "ssed's memory grew with the header line")
        self.assert_others_are_served(ssed, rounds=1)

    def test_a_flood_of_header_lines_is_431_and_memory_stays_bounded(self):
        ssed = Ssed(self)
        before = ssed.rss_kb()
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"GET /events/t HTTP/1.1\r\nHost: x\r\n")
        lines = b"".join(b"X-%d: v\r\n" % i for i in range(10000))
        sent = 0
        try:
            for _ in range(100):  # up to 10^6 header lines
                s.sendall(lines)
                sent += 10000
        except OSError:
            pass
        self.assertIn(" 431 ", read_answer(s))
        self.assertLess(ssed.rss_kb() - before, 20 * 1024)
        self.assert_others_are_served(ssed, rounds=1)

    def test_an_unauthenticated_upload_is_refused_before_its_body(self):
        ssed = Ssed(self, "--publish-token", "s3cret")
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"POST /events/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                  b"Content-Length: 13000000\r\n\r\n")
        answer = read_answer(s, timeout=5)  # not one byte of the 13 MB sent
        self.assertIn(" 401 ", answer)
        self.assertIn("Connection: close", answer)
        self.assertIn("WWW-Authenticate: Bearer", answer)

    def test_a_declared_body_over_the_limit_is_413_before_it_is_sent(self):
        ssed = Ssed(self, "--max-body", "1k")
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"POST /events/t HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        answer = read_answer(s, timeout=5)
        self.assertIn(" 413 ", answer)
        self.assertIn("larger than 1024 bytes", answer)

    def test_curl_s_expect_100_continue_gets_its_continue(self):
        ssed = Ssed(self)
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"POST /events/t HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        s.settimeout(5)
        self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n"))
        s.sendall(b"hello")
        self.assertIn(" 200 ", read_answer(s))

    def test_an_oversized_batch_is_413_naming_the_limit_not_503(self):
        ssed = Ssed(self, "--max-batch-events", "1000")
        body = "".join('{"data":"%d"}\n' % i for i in range(1001))
        status, _, text = ssed.request("POST", "/events/t", body=body.encode(),
                                       headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 413, text)
        self.assertIn("--max-batch-events", text)
        body = "".join('{"data":"%d"}\n' % i for i in range(1000))
        status, _, text = ssed.request("POST", "/events/t", body=body.encode(),
                                       headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 200, text)

    def test_a_default_batch_limit_is_never_answered_as_overloaded(self):
        ssed = Ssed(self)  # 70,000 lines: over the default limit, on an idle hub
        body = "".join('{"data":"%d"}\n' % i for i in range(70000))
        status, _, text = ssed.request("POST", "/events/t", body=body.encode(),
                                       headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 413, text)

    def test_sixteen_keep_alive_publishers_do_not_starve_another(self):
        ssed = Ssed(self)
        pubs = []
        for i in range(16):
            p = subprocess.Popen([binary("sse-pub"), "--server", ssed.url, f"logs{i}"], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self.addCleanup(lambda p=p: (p.kill(), p.wait()))
            pubs.append(p)
        for _ in range(3):  # one line a second each, the README's `tail -F | sse-pub` recipe
            for p in pubs:
                p.stdin.write(b"line\n")
                p.stdin.flush()
            self.assert_others_are_served(ssed, rounds=1)
        for p in pubs:
            p.stdin.close()
            self.assertEqual(p.wait(timeout=30), 0)
        self.assertEqual(ssed.metric("ssed_published_total"), 16 * 3 + 3)

    def test_pipelined_requests_are_answered_in_order(self):
        ssed = Ssed(self)
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"POST /events/p HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na"
                  b"POST /events/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n"
                  b"GET /topics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.settimeout(10)
        got = b""
        while True:
            data = s.recv(65536)
            if not data:
                break
            got += data
        text = got.decode()
        self.assertEqual(text.count("HTTP/1.1 200 OK"), 3, text)
        self.assertIn('"published":2', text.split("HTTP/1.1 200 OK")[-1])

    def test_request_smuggling_shapes_are_refused(self):
        ssed = Ssed(self)
        s = connect(ssed)
        self.socks.append(s)
        s.sendall(b"POST /events/t HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")
        answer = read_answer(s)
        self.assertIn(" 400 ", answer)
        self.assertNotIn("smuggled", answer)
        self.assertEqual(ssed.metric("ssed_published_total"), 0)


if __name__ == "__main__":
    unittest.main()
