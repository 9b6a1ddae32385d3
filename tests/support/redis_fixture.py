"""A throwaway redis-server for tests: a free loopback port, a temp dir, no persistence
(--save '' --appendonly no) unless asked for (then an append-only file fsynced at every write,
so a restart keeps every acknowledged write), ready once it answers PING, stopped by PID. Plus a small RESP
client (raw socket) for PUBLISH and PSUBSCRIBE, so tests need no Python Redis package."""
import os
import shutil
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import Proc, free_port, wait_for  # noqa: E402

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """redis-server on 127.0.0.1:<port>; `case` (a ProcTestCase) stops it at cleanup.
    stop() and start() again keep the port, for outage tests."""

    def __init__(self, case, port=None, persistent=False):
        if not os.path.exists(REDIS_SERVER):
            raise unittest.SkipTest("redis-server is not installed")
        self.case = case
        self.persistent = persistent
        self.port = port or free_port()
        self.dir = os.path.join(case.tmp, f"redis-{self.port}")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout=15):
        aof = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *aof,
                "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"]
        self.proc = Proc(argv)
        self.case.addCleanup(self.proc.stop)
        wait_for(self.ping, timeout, what=f"redis-server on port {self.port}")

    def stop(self, hard=False):
        """SIGTERM, or with `hard` SIGKILL: a crash, with no chance to write anything more."""
        if hard:
            self.proc.signal(signal.SIGKILL)
        self.proc.stop()
        # The port is free once a connect is refused.
        wait_for(lambda: not self.ping(), 10, what="redis-server to stop")

    def ping(self):
        try:
            c = RespClient(self.port, timeout=1)
        except OSError:
            return False
        try:
            return c.command("PING") == "PONG"
        except OSError:
            return False
        finally:
            c.close()

    def client(self, timeout=15):
        c = RespClient(self.port, timeout)
        self.case.addCleanup(c.close)
        return c


class RespClient:
    """Just enough RESP2: send commands, read replies (bytes for bulk strings)."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, *args):
        parts = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            parts.append(f"${len(b)}\r\n".encode() + b + b"\r\n")
        self.sock.sendall(b"".join(parts))

    def command(self, *args):
        self.send(*args)
        return self.read()

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise OSError("connection closed")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            data = self.sock.recv(65536)
            if not data:
                raise OSError("connection closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n + 2:]
        return out

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise OSError(f"bad RESP line {line!r}")


class Subscriber:
    """PSUBSCRIBE to a pattern; messages() collects (channel, payload bytes) as they arrive."""

    def __init__(self, server, pattern="sse:*"):
        self.client = server.client()
        reply = self.client.command("PSUBSCRIBE", pattern)
        assert reply[0] == b"psubscribe", reply
        self.got = []

    def wait(self, n, timeout=15):
        deadline = time.monotonic() + timeout
        while len(self.got) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {n} Redis messages; got {len(self.got)}")
            self.client.sock.settimeout(left)
            try:
                msg = self.client.read()
            except socket.timeout:
                continue
            if msg[0] == b"pmessage":
                self.got.append((msg[2].decode(), msg[3]))
        return self.got
