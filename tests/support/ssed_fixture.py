"""Helpers for end-to-end tests against the real ssed: start it on 127.0.0.1 port 0 and read
the URL it prints, make HTTP requests, and read event streams over raw sockets (de-chunked and
parsed into events). Every wait has a deadline; processes are stopped by PID via ProcTestCase."""
import http.client
import json
import os
import re
import resource
import selectors
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import ProcTestCase, binary, wait_for  # noqa: E402,F401


# The sanitizer the binaries under test carry: "address" (ASan+UBSan) in build-asan/, "thread"
# in build-tsan/ (tests/CMakeLists.txt sets it), "" in build/.
SANITIZER = os.environ.get("SSEKIT_SANITIZE", "")


def measured_memory_env():
    """The environment for an ssed whose peak memory a test bounds. Under ASan, freed memory
    waits in a 256 MB quarantine to catch a use after free: ASan's memory, not ssed's, so this
    ssed keeps 4 MB of it. Under TSan, most of a process's memory is TSan's shadow (about three
    times what it touches), so there is no bound of ssed's own to check (see SANITIZER)."""
    if SANITIZER == "address":
        return {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"}
    return None


def raise_fd_limit():
    """Lets one test process hold a thousand sockets or more."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Ssed:
    """One ssed process; `url` is what it printed on stdout once ready."""

    def __init__(self, case, *args, env=None, listen="127.0.0.1:0"):
        self.case = case
        self.proc = case.start([binary("ssed"), "--listen", listen, *args], env=env)
        line = self.proc.wait_line(lambda l: l.startswith("http://"), timeout=15)
        self.url = line.strip()
        parsed = urllib.parse.urlsplit(self.url)
        self.host, self.port = parsed.hostname, parsed.port

    @property
    def pid(self):
        return self.proc.pid

    def request(self, method, path, body=None, headers=None, timeout=15):
        """(status, headers dict with lower-case names, body str)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read().decode("utf-8", "replace")
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def publish(self, topic, data, headers=None, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self.request("POST", f"/events/{topic}{query}", body=data.encode(), headers=headers)

    def publish_all(self, topic, items):
        """Publishes each of `items` as one event, asserting 200; returns their ids."""
        ids = []
        for data in items:
            status, _, body = self.publish(topic, data)
            self.case.assertEqual(status, 200, body)
            ids.append(json.loads(body)["id"])
        return ids

    def subscribe(self, path, headers=None):
        return SseStream(self.host, self.port, path, headers)

    def subscribed(self, topic, last_id=None):
        """A subscriber of `topic` whose handshake is done (status 200 and the first `retry:`
        read), closed when the test ends; `last_id` resumes with Last-Event-ID."""
        s = self.subscribe(f"/events/{topic}", headers={"Last-Event-ID": last_id} if last_id else None)
        self.case.addCleanup(s.close)
        self.case.assertEqual(s.wait_status(), 200)
        s.wait_text("retry:")
        return s

    def stalled(self, topic):
        """A subscriber of `topic` that sends its request and never reads a byte: a tiny receive
        buffer, and no recv(). Closed when the test ends."""
        s = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        self.case.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((self.host, self.port))
        s.sendall(f"GET /events/{topic} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        return s

    def rss_kb(self, field="VmRSS"):
        """ssed's resident memory now (VmRSS) or at its peak so far (VmHWM), in KiB."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def metric(self, name):
        _, _, text = self.request("GET", "/metrics")
        m = re.search(rf"^{name} (\d+)$", text, re.M)
        return int(m.group(1)) if m else None


class Dechunker:
    """HTTP/1.1 chunked transfer decoding, fed incrementally. `done` after the 0-chunk."""

    def __init__(self):
        self.buf = b""
        self.need = None  # bytes left in the current chunk (+2 for its CRLF)
        self.done = False

    def feed(self, data):
        self.buf += data
        out = b""
        while not self.done:
            if self.need is None:
                nl = self.buf.find(b"\r\n")
                if nl < 0:
                    break
                size = int(self.buf[:nl].split(b";")[0], 16)
                self.buf = self.buf[nl + 2:]
                if size == 0:
                    self.done = True
                    break
                self.need = size + 2
            else:
                if len(self.buf) < self.need:
                    break
                out += self.buf[:self.need - 2]
                self.buf = self.buf[self.need:]
                self.need = None
        return out


def parse_events(text):
    """Minimal event-stream parsing for assertions: a list of dicts with event/data/id, plus
    'retry' and 'comment' entries for those lines. Good enough for what ssed sends."""
    events, cur = [], {}
    for line in text.split("\n"):
        if line == "":
            if cur:
                if "data" in cur or "event" in cur:
                    cur.setdefault("event", "message")
                    events.append(cur)
                elif "retry" in cur:
                    events.append({"retry": cur["retry"]})
                cur = {}
            continue
        if line.startswith(":"):
            events.append({"comment": line[1:].strip()})
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            cur["data"] = cur["data"] + "\n" + value if "data" in cur else value
        elif name in ("event", "id", "retry"):
            cur[name] = value
    return events


class SseStream:
    """A subscriber on a raw socket: status, headers, then de-chunked body as it arrives.
    With `ssl_context`, over TLS (HTTP/1.1: the context offers no ALPN)."""

    def __init__(self, host, port, path, headers=None, ssl_context=None):
        self.sock = socket.create_connection((host, port), timeout=15)
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(self.sock, server_hostname=host)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        self.status = None
        self.headers = {}
        self.body = b""
        self.closed = False
        self.dechunker = Dechunker()
        self.chunked = False

    def _pump(self, timeout):
        if self.closed:
            return
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        if self.status is None:
            self.raw += data
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self.raw[:end].decode("latin-1"), self.raw[end + 4:]
            first, *rest = head.split("\r\n")
            self.status = int(first.split()[1])
            for h in rest:
                k, _, v = h.partition(":")
                self.headers[k.strip().lower()] = v.strip()
            self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.body += self.dechunker.feed(data) if self.chunked else data

    def wait_status(self, timeout=15):
        deadline = time.monotonic() + timeout
        while self.status is None and not self.closed and time.monotonic() < deadline:
            self._pump(0.1)
        if self.status is None:
            raise AssertionError("no response status from ssed")
        return self.status

    def text(self):
        return self.body.decode("utf-8", "replace")

    def events(self):
        return parse_events(self.text())

    def data_events(self):
        return [e for e in self.events() if "data" in e]

    def wait_until(self, predicate, timeout=15, what="stream condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            if self.closed:
                break
            self._pump(0.1)
        if predicate(self):
            return True
        raise AssertionError(f"timed out waiting for {what}; got {self.text()!r}")

    def wait_events(self, n, timeout=15):
        self.wait_until(lambda s: len(s.data_events()) >= n, timeout, f"{n} events")
        return self.data_events()

    def wait_text(self, needle, timeout=15):
        self.wait_until(lambda s: needle in s.text(), timeout, repr(needle))

    def wait_closed(self, timeout=15):
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._pump(0.1)
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ManySubscribers:
    """N raw subscribers driven by one selector, for fan-out tests. Counts the `data: <prefix>N`
    lines each receives (every chunk ssed sends holds whole event blocks). `headers` go with
    every request (a Last-Event-ID, say). By default they connect one after another; with
    `at_once` every connect is started before any completes, as clients whose reconnection
    timers fire together after a restart do (failed connects are in `failed`)."""

    def __init__(self, host, port, path, n, prefix="ev-", batch=200, timeout=60, headers=None, at_once=False):
        self.sel = selectors.DefaultSelector()
        self.bufs = {}
        self.socks = []
        self.closed = set()
        self.failed = set()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.req = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n{extra}\r\n".encode()
        self.pattern = re.compile(rb"data: " + re.escape(prefix.encode()) + rb"(\d+)\n")
        for i in range(n):
            if at_once:
                s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.connect_ex((host, port))  # EINPROGRESS: writable once connected
                self.sel.register(s, selectors.EVENT_WRITE)
            else:
                s = socket.create_connection((host, port), timeout=timeout)
                s.sendall(self.req)
                s.setblocking(False)
                self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
            self.bufs[s] = b""
            if not at_once and (i + 1) % batch == 0:
                self.pump(0)

    def pump(self, timeout=0.1):
        for key, events in self.sel.select(timeout):
            s = key.fileobj
            if events & selectors.EVENT_WRITE:  # an at_once connect finished
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    self.sel.unregister(s)
                    self.failed.add(s)
                    continue
                s.sendall(self.req)  # a few hundred bytes into an empty send buffer
                self.sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(262144)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self.sel.unregister(s)
                self.closed.add(s)
                continue
            self.bufs[s] += data

    def headers_received(self):
        return sum(1 for s in self.socks if b"\r\n\r\n" in self.bufs[s])

    def ok_count(self):
        return sum(1 for s in self.socks if self.bufs[s].startswith(b"HTTP/1.1 200"))

    def sequences(self):
        return [[int(x) for x in self.pattern.findall(self.bufs[s])] for s in self.socks]

    def wait(self, predicate, timeout=60, what="subscribers"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.pump(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def close(self):
        for s in self.socks:
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        self.socks = []
        self.sel.close()
