"""A TCP relay on 127.0.0.1 in front of one server port, to cut one client off from a server
that others still reach (one ssed from a Redis that the other instances keep using). `cut()`
closes every relayed connection and stops listening, so the client's connects are refused;
`restore()` listens again on the same port. Threads only; stopped when the test ends."""
import selectors
import socket
import threading


class TcpRelay:
    def __init__(self, case, target_port):
        self.target_port = target_port
        self._lock = threading.Lock()
        self._socks = []
        self._listener = None
        self._stop = threading.Event()
        self.port = 0
        self.restore()
        case.addCleanup(self.close)

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
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a, b):
        sel = selectors.DefaultSelector()
        a.setblocking(False)
        b.setblocking(False)
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(0.1):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.setblocking(True)
                    key.data.sendall(data)
                    key.data.setblocking(False)
        except OSError:
            pass
        finally:
            sel.close()
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass
