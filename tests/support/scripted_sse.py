"""A scripted HTTP server for sse-tail's (and sse-pub's) end-to-end tests, after curl's test servers: each
accepted connection runs the next script from a list, step by step, so a test says exactly
which bytes go out, split how, with which pauses, and when the connection closes or hangs.
Every request's raw header block and body (by Content-Length) is recorded, so a test can check
what sse-tail sent on a reconnect (Last-Event-ID) or in a POST. A script may also be a function
of the Request returning the steps, for a server that answers what it was asked.

    srv = ScriptedSseServer([
        [status(), send(b"id: 1\ndata: a\n\n"), close()],
        [status(), send(b"data: b\n\n"), hang()],
    ])
    with srv:
        ... run sse-tail on srv.url() ...
        srv.requests[1].headers["last-event-id"] == "1"

Connections beyond the list run `after` (default: hang until the server stops). Listens on
127.0.0.1, port 0; with `ssl_context`, speaks https (see self_signed_context()). Responses are close-delimited (no Content-Length), like an event stream.
"""
import socket
import ssl
import threading
import time


# ---- steps ----

def status(code=200, reason=None, headers=None, content_type="text/event-stream"):
    """Sends the status line and headers. content_type=None leaves Content-Type out."""
    reasons = {200: "OK", 204: "No Content", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
               401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
               503: "Service Unavailable"}
    lines = [f"HTTP/1.1 {code} {reason if reason is not None else reasons.get(code, 'Whatever')}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.append("Cache-Control: no-cache")
    lines.append("Connection: close")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("send", ("\r\n".join(lines) + "\r\n\r\n").encode())


def send(data):
    """Sends bytes (str is UTF-8 encoded) in one write."""
    return ("send", data.encode() if isinstance(data, str) else data)


def chunks(data, size=1, pause=0.0):
    """Sends bytes `size` at a time, with TCP_NODELAY and a pause between writes."""
    return ("chunks", data.encode() if isinstance(data, str) else data, size, pause)


def pause(seconds):
    return ("pause", seconds)


def close():
    """Closes the connection (the stream ends)."""
    return ("close",)


def read_at_most(n):
    """As a script's first step: read only the first `n` bytes of the request body before the
    script goes on (with close() next: a server that vanishes in the middle of an upload)."""
    return ("body_limit", n)


def hang():
    """Keeps the connection open, silent, until the client leaves or the server stops."""
    return ("hang",)


def ok_stream(*payloads, then=None):
    """A 200 text/event-stream response sending each payload, then closing (or `then`)."""
    return [status()] + [send(p) for p in payloads] + [then or close()]


# ---- server ----

class Request:
    def __init__(self, raw, when, body=b""):
        self.raw = raw                  # the request line and headers, as received
        self.body = body                # bytes, as many as Content-Length said
        self.time = when                # time.monotonic() when the request was read
        lines = raw.split("\r\n")
        self.request_line = lines[0]
        parts = self.request_line.split(" ")
        self.method = parts[0] if parts else ""
        self.path = parts[1] if len(parts) > 1 else ""
        self.headers = {}               # lower-case name -> value (last wins)
        self.header_list = []           # (name, value) in order
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                self.headers[name.strip().lower()] = value.strip()
                self.header_list.append((name.strip(), value.strip()))

    def __repr__(self):
        return f"Request({self.request_line!r}, {self.headers!r})"


class ScriptedSseServer:
    def __init__(self, scripts, after=None, ssl_context=None):
        self.scripts = list(scripts)
        self.ssl_context = ssl_context  # serve https with this server-side ssl.SSLContext
        self.after = after if after is not None else [hang()]
        self.requests = []
        self.closed_by_client = 0        # connections the client closed before the script ended
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns = []
        self._threads = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepter.start()

    def url(self, path="/events"):
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def request_count(self):
        with self._lock:
            return len(self.requests)

    def wait_requests(self, n, timeout=10.0):
        """Waits until n requests have arrived; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"timed out after {timeout}s waiting for {n} requests (got {self.request_count()})")

    def stop(self):
        self._stop.set()
        self._accepter.join(timeout=5)
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        for t in self._threads:
            t.join(timeout=5)

    def _accept_loop(self):
        index = 0
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            script = self.scripts[index] if index < len(self.scripts) else self.after
            index += 1
            with self._lock:
                self._conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn, script), daemon=True)
            self._threads.append(t)
            t.start()

    def _read_request(self, conn, body_limit=None):
        conn.settimeout(0.05)
        buf = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in buf and time.monotonic() < deadline and not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            if not data:
                return None
            buf += data
        if b"\r\n\r\n" not in buf:
            return None
        head, body = buf.split(b"\r\n\r\n", 1)
        head = head.decode("latin-1")
        length = int(Request(head, 0).headers.get("content-length", "0"))
        if body_limit is not None:
            length = min(length, body_limit)
            body = body[:length]
        while len(body) < length and time.monotonic() < deadline and not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            body += data
        return head, body

    def _client_gone(self, conn):
        """True once the client closed its side (recv returns b"")."""
        try:
            conn.settimeout(0)
            if hasattr(conn, "pending"):  # TLS: no MSG_PEEK; any byte after the request means gone
                return conn.recv(1) == b""
            data = conn.recv(1, socket.MSG_PEEK)
            return data == b""
        except (BlockingIOError, socket.timeout, ssl.SSLWantReadError):
            return False
        except OSError:
            return True

    def _sleep(self, conn, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))

    def _serve(self, conn, script):
        try:
            if self.ssl_context:
                conn.settimeout(10)
                plain = conn
                conn = self.ssl_context.wrap_socket(conn, server_side=True)  # a failed handshake raises
                with self._lock:
                    self._conns = [conn if c is plain else c for c in self._conns]
            limit = None
            if not callable(script) and script and script[0][0] == "body_limit":
                limit, script = script[0][1], script[1:]
            received = self._read_request(conn, limit)
            if received is None:
                return
            request = Request(received[0], time.monotonic(), received[1])
            with self._lock:
                self.requests.append(request)
            if callable(script):
                script = script(request)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(10)
            for step in script:
                kind = step[0]
                if kind == "send":
                    conn.sendall(step[1])
                elif kind == "chunks":
                    data, size, gap = step[1], step[2], step[3]
                    for i in range(0, len(data), size):
                        conn.sendall(data[i:i + size])
                        if gap:
                            self._sleep(conn, gap)
                elif kind == "pause":
                    self._sleep(conn, step[1])
                elif kind == "close":
                    break
                elif kind == "hang":
                    while not self._stop.is_set():
                        if self._client_gone(conn):
                            with self._lock:
                                self.closed_by_client += 1
                            break
                        time.sleep(0.02)
                    break
        except OSError:  # includes ssl.SSLError
            with self._lock:
                self.closed_by_client += 1
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)


def self_signed_context(directory):
    """A server-side TLS context with a fresh self-signed certificate for 127.0.0.1, made with
    openssl(1) in `directory`; None when openssl is missing."""
    import shutil
    import subprocess
    import os
    if not shutil.which("openssl"):
        return None
    key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
