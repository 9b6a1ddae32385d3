"""A TCP relay for fault tests: listens on 127.0.0.1, forwards every connection to a target port
both ways, and can lose an answer: the request reaches the server, but the relay closes the
client's connection instead of forwarding the reply (what a crash or a cut network after the
server acted looks like to the client). Deterministic: an answer is a "round" of one
connection, the bytes the server sends after the client sent something since the server last
spoke (round 1 answers the first request, round 2 the next, ...)."""
import selectors
import socket
import threading


class Relay:
    """`lose(connection, round, answer)` -> True loses that answer (what is left of it);
    connection counts from 0 in accept order, round from 1; answer is what the server sent in
    that round so far (asked again as more of it arrives). Stopped (listener and every
    connection closed) when the test ends."""

    def __init__(self, case, target_port, lose=lambda connection, round, first_bytes: False):
        self.target_port = target_port
        self.lose = lose
        self.lost = []  # (connection, round) of each answer lost
        self.connections = 0
        self._lock = threading.Lock()
        self._socks = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        case.addCleanup(self.stop)

    def lost_count(self):
        with self._lock:
            return len(self.lost)

    def stop(self):
        self._stopped = True
        self._listener.close()
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            self._close(s)
        self._thread.join(timeout=5)

    def _close(self, s):
        try:
            s.close()
        except OSError:
            pass

    def _accept(self):
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                n = self.connections
                self.connections += 1
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                self._close(client)  # nothing there (a server restarting): the client sees a break
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._socks.update((client, server))
            threading.Thread(target=self._pump, args=(n, client, server), daemon=True).start()

    def _pump(self, n, client, server):
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ)
        sel.register(server, selectors.EVENT_READ)
        round_, client_spoke, answer = 0, False, b""
        try:
            while not self._stopped:
                for key, _ in sel.select(0.2):
                    data = key.fileobj.recv(262144)
                    if not data:
                        return
                    if key.fileobj is client:
                        client_spoke = True
                        server.sendall(data)
                        continue
                    if client_spoke:
                        round_, client_spoke, answer = round_ + 1, False, b""
                    answer += data
                    if self.lose(n, round_, answer):
                        with self._lock:
                            self.lost.append((n, round_))
                        return
                    client.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            for s in (client, server):
                self._close(s)
                with self._lock:
                    self._socks.discard(s)
