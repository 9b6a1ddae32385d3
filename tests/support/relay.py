"""A TCP relay on 127.0.0.1 in front of one server port, for fault tests. Threads only; stopped
when the test ends.
  - `cut()` closes every relayed connection and stops listening, so the client's connects are
    refused; `restore()` listens again on the same port (one ssed cut off from a Redis that the
    other instances keep using).
  - `lose` loses an answer: the request reaches the server, but the relay closes the client's
    connection instead of forwarding (the rest of) the reply, what a crash or a cut network
    after the server acted looks like to the client. Deterministic: an answer is a "round" of
    one connection, the bytes the server sends after the client sent something since the
    server last spoke (round 1 answers the first request, round 2 the next, ...).
    `lose(connection, round, answer)` -> True loses it; connection counts from 0 in accept
    order, round from 1, answer is what the server sent in that round so far (asked again as
    more of it arrives). `lost` lists the (connection, round) of each answer lost."""
import selectors
import socket
import threading


class TcpRelay:
    def __init__(self, case, target_port, lose=None):
        self.target_port = target_port
        self.lose = lose or (lambda connection, round, answer: False)
        self.lost = []
        self.connections = 0
        self._lock = threading.Lock()
        self._socks = []
        self._listener = None
        self._stop = threading.Event()
        self.port = 0
        self.restore()
        case.addCleanup(self.close)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def lost_count(self):
        with self._lock:
            return len(self.lost)

    def restore(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._accepter = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepter.start()

    def cut(self):
        self._stop.set()
        self._accepter.join(timeout=5)
        self._listener.close()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        if not self._stop.is_set():
            self.cut()

    def _accept(self, listener):
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                n = self.connections
                self.connections += 1
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()  # nothing there (a server restarting): the client sees a break
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._socks += [client, server]
            threading.Thread(target=self._pump, args=(n, client, server), daemon=True).start()

    def _pump(self, n, client, server):
        sel = selectors.DefaultSelector()
        client.setblocking(False)
        server.setblocking(False)
        sel.register(client, selectors.EVENT_READ, server)
        sel.register(server, selectors.EVENT_READ, client)
        round_, client_spoke, answer = 0, False, b""
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(0.1):
                    data = key.fileobj.recv(262144)
                    if not data:
                        return
                    if key.fileobj is client:
                        client_spoke = True
                    else:
                        if client_spoke:
                            round_, client_spoke, answer = round_ + 1, False, b""
                        answer += data
                        if self.lose(n, round_, answer):
                            with self._lock:
                                self.lost.append((n, round_))
                            return
                    key.data.setblocking(True)
                    key.data.sendall(data)
                    key.data.setblocking(False)
        except OSError:
            pass
        finally:
            sel.close()
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass
