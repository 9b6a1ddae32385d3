"""Process helpers for the end-to-end tests: start the real binaries, read what they print,
and always stop them (by PID) when the test ends. Every wait has a deadline; nothing sleeps
and then asserts."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

BIN = os.environ.get("SSEKIT_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))


def binary(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        raise unittest.SkipTest(f"{path} not built")
    return path


def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (prefer letting the server bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    """A child process whose stdout and stderr are collected by threads, line by line."""

    def __init__(self, argv, stdin=subprocess.DEVNULL, env=None, text=True):
        self.argv = argv
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=full_env, text=text, bufsize=1 if text else 0,
                                  start_new_session=True)
        self.out_lines, self.err_lines = [], []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(self.p.stdout, self.out_lines), daemon=True),
                         threading.Thread(target=self._pump, args=(self.p.stderr, self.err_lines), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink):
        for line in iter(stream.readline, "" if isinstance(stream, __import__("io").TextIOBase) else b""):
            with self._lock:
                sink.append(line)

    @property
    def pid(self):
        return self.p.pid

    def stdout(self):
        with self._lock:
            return "".join(self.out_lines)

    def stderr(self):
        with self._lock:
            return "".join(self.err_lines)

    def wait_line(self, predicate, timeout=10.0, stream="out"):
        lines = self.out_lines if stream == "out" else self.err_lines

        def find():
            with self._lock:
                for line in lines:
                    if predicate(line):
                        return line
            return None
        return wait_for(find, timeout, what=f"a matching line from {self.argv[0]}")

    def wait(self, timeout=30.0):
        """Exit status; raises if the process outlives the deadline."""
        rc = self.p.wait(timeout=timeout)
        self._close()
        return rc

    def _close(self):
        # The pump threads end at EOF; then the pipes can be closed without losing output.
        for t in self._threads:
            t.join(timeout=5)
        for stream in (self.p.stdout, self.p.stderr, self.p.stdin):
            if stream and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass

    def signal(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)

    def stop(self):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=5)
            except ProcessLookupError:
                pass
        self._close()


class ProcTestCase(unittest.TestCase):
    """Starts processes through self.start() and stops them all when the test ends."""

    def setUp(self):
        self._procs = []
        self.tmp = tempfile.mkdtemp(prefix="ssekit-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, argv, **kw):
        proc = Proc(argv, **kw)
        self._procs.append(proc)
        self.addCleanup(proc.stop)
        return proc

    def run_tool(self, argv, input=None, timeout=30, env=None):
        """Runs a tool to completion: (exit status, stdout, stderr)."""
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        r = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                           env=full_env, stdin=None if input is not None else subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr
