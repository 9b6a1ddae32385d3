"""Interoperability with a real EventSource: the npm `eventsource` client (pinned in
tests/interop/, run by tests/interop/es-tail.mjs on Node) against sse-tail and ssed.

1. On a tricky stream from the scripted server, sse-tail --format json prints the events the
   EventSource dispatches, and both send the same Last-Event-ID when they reconnect.
2. Against ssed, the EventSource receives published events exactly (ids, types, multi-line and
   UTF-8 data), and resumes with Last-Event-ID (its own reconnect, and ?lastEventId= on a new
   client) with exactly the missed events, no duplicates.
3. The EventSource follows ssed across a SIGTERM drain and a restart on the same port, and
   receives the ssed-gap notice.

Known deviation of eventsource 3.0.7 (the last release whose engines allow Node 18): a message
event's lastEventId is the id field of its own block, "" when the block has none, where the spec
(and a browser) carries the last event ID over (fixed upstream in EventSource/eventsource#358,
in releases that need a newer Node). Its reconnect header carries the right id, except that an
id in a block without data is dropped. The tests accept exactly these deviations, or the spec's
behaviour once a fixed client is pinned. Skipped only without node/npm."""
import json
import os
import shutil
import socket
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(HERE, "..", "support")))
import npm_peer  # noqa: E402
from procs import ProcTestCase, binary, wait_for  # noqa: E402
from scripted_sse import ScriptedSseServer, chunks, close, hang, send, status  # noqa: E402
from ssed_fixture import Ssed  # noqa: E402

INTEROP = os.path.join(HERE, "..", "interop")
CLIENT_DIR = None  # a temp copy of tests/interop with node_modules, made once per run


def setUpModule():
    global CLIENT_DIR
    # The lock file pins eventsource and its one dependency; npm ci installs exactly that.
    CLIENT_DIR = npm_peer.install(INTEROP, ["es-tail.mjs"], prefix="ssekit-interop-")


def tearDownModule():
    if CLIENT_DIR:
        shutil.rmtree(CLIENT_DIR, ignore_errors=True)


def es_argv(url, count, events=(), timeout=60):
    """The EventSource client's command line (Node 18 calls fetch experimental: no warning)."""
    argv = ["node", "--no-warnings", os.path.join(CLIENT_DIR, "es-tail.mjs"),
            "--count", str(count), "--timeout", str(timeout)]
    for e in events:
        argv += ["--event", e]
    return argv + [url]


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


def blanked(events, own_id):
    """What eventsource 3.0.7 reports: id "" for an event whose block had no id field."""
    return [dict(e, id=e["id"] if has else "") for e, has in zip(events, own_id)]


class Relay:
    """A TCP relay on 127.0.0.1 to a server, so a test can cut a client's connection without
    touching the client or the server. cut() closes every relayed connection and holds new ones
    unrelayed until release(). heads holds each connection's request head, in order."""

    def __init__(self, port):
        self.port_to = port
        self.heads = []
        self.held = 0  # connections waiting for release()
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        self._stop = threading.Event()
        self._socks = []
        self._threads = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def _spawn(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._spawn(self._relay, client)

    def _relay(self, client):
        with self._lock:
            self._socks.append(client)
            self.held += 1
        while not self._open.wait(0.05):
            if self._stop.is_set():
                return
        with self._lock:
            self.held -= 1
        upstream = socket.create_connection(("127.0.0.1", self.port_to), timeout=10)
        with self._lock:
            self._socks.append(upstream)
        self._spawn(self._pump, upstream, client, None)
        self._pump(client, upstream, bytearray())

    def _pump(self, src, dst, head):
        try:
            src.settimeout(None)
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if head is not None:
                    head += data
                    if b"\r\n\r\n" in head:
                        with self._lock:
                            self.heads.append(bytes(head).split(b"\r\n\r\n")[0].decode("latin-1"))
                        head = None
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def header(self, index, name):
        """A header's value in the index-th request (None when absent)."""
        for line in self.heads[index].split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def cut(self):
        self._open.clear()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def release(self):
        self._open.set()

    def stop(self):
        self._stop.set()
        self._open.set()
        self._listener.close()
        self.cut()
        for t in self._threads:
            t.join(timeout=5)


# ---- 1. the scripted tricky stream ----

# Spec-derived (WHATWG "Server-sent events", "Interpreting an event stream"): the events a browser
# dispatches, with lastEventId; OWN_ID says which blocks carry an id field of their own.
TRICKY_FIRST = b"".join([
    b"\xef\xbb\xbf: a BOM, then a comment\r\n",
    b"retry: 150\r\nretry: 1x\r\nunknown: ignored\r\n\r\n",
    b"event: add\r\nid: 1\r\ndata: first\r\ndata:second\r\n\r\n",
    b": lone CR line ends\rdata: persisted id\r\r",
    b"data\ndata:\ndata: x\n\n",
    b"event: named\ndata: n1\n\n",
    b"data: type reset after dispatch\n\n",
    b"event: gone\nevent:\ndata:  type emptied, two spaces\n\n",
    b"id: 2\nid: bad\x00id\ndata: the id with NUL is ignored\n\n",
    b"data: caf\xc3\xa9 \xf0\x9f\x98\x80\ndata: bad \xff and \xe2\x82(\n\n",
    b"id\r\ndata: id reset\r\n\r\n",
    b"id: 3\ndata: last whole\n\n",
    b"id: unterminated\ndata: lost\n",  # the stream ends inside this block: never dispatched
])
TRICKY_SECOND = b"data: after reconnect\n\n"
TRICKY_EVENTS = [
    {"event": "add", "data": "first\nsecond", "id": "1"},
    {"event": "message", "data": "persisted id", "id": "1"},
    {"event": "message", "data": "\n\nx", "id": "1"},
    {"event": "named", "data": "n1", "id": "1"},
    {"event": "message", "data": "type reset after dispatch", "id": "1"},
    {"event": "message", "data": " type emptied, two spaces", "id": "1"},
    {"event": "message", "data": "the id with NUL is ignored", "id": "2"},
    {"event": "message", "data": "caf\u00e9 \U0001F600\nbad \ufffd and \ufffd(", "id": "2"},
    {"event": "message", "data": "id reset", "id": ""},
    {"event": "message", "data": "last whole", "id": "3"},
    {"event": "message", "data": "after reconnect", "id": "3"},
]
TRICKY_OWN_ID = [True, False, False, False, False, False, True, False, True, True, False]


class TrickyStream(ProcTestCase):
    def both_clients(self, first):
        """Runs sse-tail and the EventSource, each on its own scripted server sending `first`,
        closing, then TRICKY_SECOND on the reconnection; returns (tail, node, their servers)."""
        scripts = [[status(), first, close()], [status(), send(TRICKY_SECOND), hang()]]
        tail_srv, node_srv = ScriptedSseServer(scripts), ScriptedSseServer(scripts)
        self.addCleanup(tail_srv.stop)
        self.addCleanup(node_srv.stop)
        n = len(TRICKY_EVENTS)
        tail = self.start([binary("sse-tail"), "-f", "json", "-n", str(n), "-W", "60", tail_srv.url()])
        node = self.start(es_argv(node_srv.url(), n, events=("add", "named")))
        self.assertEqual(tail.wait(90), 0, tail.stderr())
        self.assertEqual(node.wait(90), 0, node.stderr())
        return json_lines(tail.stdout()), json_lines(node.stdout()), tail_srv, node_srv

    def check(self, first):
        tail, node, tail_srv, node_srv = self.both_clients(first)
        self.assertEqual(tail, TRICKY_EVENTS)
        self.assertEqual([(e["event"], e["data"]) for e in node], [(e["event"], e["data"]) for e in tail])
        self.assertIn(node, (tail, blanked(tail, TRICKY_OWN_ID)), "ids differ beyond the known deviation")
        # Both reconnect after the close with the last dispatched id; the unfinished block's id
        # never became the last event ID.
        for srv in (tail_srv, node_srv):
            self.assertEqual(srv.requests[1].headers.get("last-event-id"), "3")
            self.assertNotIn("last-event-id", srv.requests[0].headers)

    def test_sse_tail_prints_what_an_eventsource_dispatches(self):
        self.check(send(TRICKY_FIRST))

    def test_the_same_holds_when_the_stream_arrives_a_byte_at_a_time(self):
        # One byte per write, TCP_NODELAY: line ends, CRLF pairs and UTF-8 sequences split.
        self.check(chunks(TRICKY_FIRST, 1, 0.001))

    def test_an_id_in_a_block_without_data_moves_the_last_event_id(self):
        # The spec sets the last event ID at every blank line, data or not. eventsource 3.0.7
        # drops such an id (its parser only reports blocks with data): a second known deviation.
        scripts = [[status(), send(b"retry: 100\nid: 1\ndata: a\n\nid: 7\n\n"), close()],
                   [status(), send(b"data: b\n\n"), hang()]]
        tail_srv, node_srv = ScriptedSseServer(scripts), ScriptedSseServer(scripts)
        self.addCleanup(tail_srv.stop)
        self.addCleanup(node_srv.stop)
        tail = self.start([binary("sse-tail"), "-f", "json", "-n", "2", "-W", "60", tail_srv.url()])
        node = self.start(es_argv(node_srv.url(), 2))
        self.assertEqual(tail.wait(90), 0, tail.stderr())
        self.assertEqual(node.wait(90), 0, node.stderr())
        self.assertEqual(json_lines(tail.stdout()), [{"event": "message", "data": "a", "id": "1"},
                                                     {"event": "message", "data": "b", "id": "7"}])
        self.assertEqual(tail_srv.requests[1].headers.get("last-event-id"), "7")
        self.assertEqual([e["data"] for e in json_lines(node.stdout())], ["a", "b"])
        self.assertIn(node_srv.requests[1].headers.get("last-event-id"), ("7", "1"))


# ---- 2. against ssed ----

class AgainstSsed(ProcTestCase):
    def publish(self, ssed, topic, data, **params):
        code, _, body = ssed.publish(topic, data, **params)
        self.assertEqual(code, 200, body)
        return json.loads(body)["id"]

    def publish_batch(self, ssed, topic, items):
        """items: (data, event or None, id or None); returns the events a client should see."""
        seen = []
        for data, event, eid in items:
            params = {k: v for k, v in (("event", event), ("id", eid)) if v is not None}
            got = self.publish(ssed, topic, data, **params)
            if eid is not None:
                self.assertEqual(got, eid)
            seen.append({"event": event or "message", "data": data.replace("\r\n", "\n"), "id": got})
        return seen

    def test_eventsource_receives_exactly_and_resumes_after_a_cut_connection(self):
        ssed = Ssed(self, "--retry", "200")
        relay = Relay(ssed.port)
        self.addCleanup(relay.stop)
        first = [("plain one", None, "c2-1"),
                 ("line a\nline b\r\nline c", "tick", "c2-2"),
                 ("h\u00e9llo \u2713 \U0001F600", None, None),
                 ("", "tock", None),
                 ("last before the cut", "tick", "c2-5")]
        missed = [("missed one", None, None),
                  ("missed\ntwo", "tock", "c2-7"),
                  ("missed three", "tick", None)]
        n = len(first) + len(missed)
        node = self.start(es_argv(f"http://127.0.0.1:{relay.port}/events/t", n, events=("tick", "tock")))
        wait_for(lambda: ssed.metric("ssed_subscribers") == 1, 30, what="the EventSource to subscribe")
        expected = self.publish_batch(ssed, "t", first)
        wait_for(lambda: len(node.out_lines) == len(first), 30, what="the first events")

        relay.cut()  # the connection drops; the client's reconnection waits in the relay
        wait_for(lambda: ssed.metric("ssed_subscribers") == 0, 30, what="ssed to see the drop")
        expected += self.publish_batch(ssed, "t", missed)
        wait_for(lambda: relay.held >= 1, 30, what="the EventSource to reconnect")
        relay.release()

        self.assertEqual(node.wait(60), 0, node.stderr())
        self.assertEqual(json_lines(node.stdout()), expected)  # every event has an id: no blanking
        self.assertEqual(len(relay.heads), 2)
        self.assertIsNone(relay.header(0, "Last-Event-ID"))
        self.assertEqual(relay.header(1, "Last-Event-ID"), "c2-5")

    def test_a_new_eventsource_resumes_with_last_event_id_in_the_url(self):
        # A page cannot set headers: it passes the id it stored in ?lastEventId=.
        ssed = Ssed(self)
        before = self.publish_batch(ssed, "t", [("one", None, None), ("two", "tick", None)])
        after = self.publish_batch(ssed, "t", [("three", None, None), ("four\nlines", "tick", "mine-4"),
                                               ("five", None, None)])
        url = f"{ssed.url}/events/t?lastEventId={before[-1]['id']}"
        node = self.start(es_argv(url, len(after), events=("tick", "ssed-gap")))
        self.assertEqual(node.wait(60), 0, node.stderr())
        self.assertEqual(json_lines(node.stdout()), after)
        # Nothing more arrives: one extra event would be a duplicate or a stray gap notice.
        last = self.publish(ssed, "t", "live")
        again = self.start(es_argv(url, len(after) + 1, events=("tick", "ssed-gap")))
        self.assertEqual(again.wait(60), 0, again.stderr())
        self.assertEqual(json_lines(again.stdout()), after + [{"event": "message", "data": "live", "id": last}])


# ---- 3. across a drain and restart ----

class AcrossRestart(ProcTestCase):
    def test_eventsource_follows_ssed_across_a_drain_and_restart_and_sees_the_gap(self):
        first = Ssed(self, "--retry", "200")
        port = first.port
        url = f"{first.url}/events/t"
        node = self.start(es_argv(url, 3, events=("ssed-gap",)))
        # -n 2: sse-tail prints the gap notice in json but does not count it (it is not data).
        tail = self.start([binary("sse-tail"), "-f", "json", "-n", "2", "-W", "60", url])
        wait_for(lambda: first.metric("ssed_subscribers") == 2, 30, what="both clients to subscribe")
        code, _, body = first.publish("t", "one")
        self.assertEqual(code, 200, body)
        old_id = json.loads(body)["id"]
        node.wait_line(lambda line: '"one"' in line, 30)
        first.proc.signal()  # SIGTERM: drain (retry: to every stream, then close them)
        self.assertEqual(first.proc.wait(30), 0, first.proc.stderr())

        second = Ssed(self, "--retry", "200", listen=f"127.0.0.1:{port}")
        wait_for(lambda: second.metric("ssed_subscribers") == 2, 60, what="both clients to reconnect")
        code, _, body = second.publish("t", "two")
        self.assertEqual(code, 200, body)
        new_id = json.loads(body)["id"]

        self.assertEqual(node.wait(60), 0, node.stderr())
        self.assertEqual(tail.wait(60), 0, tail.stderr())
        seen, tailed = json_lines(node.stdout()), json_lines(tail.stdout())
        self.assertEqual([e["event"] for e in seen], ["message", "ssed-gap", "message"])
        self.assertEqual([seen[0]["data"], json.loads(seen[1]["data"]), seen[2]["data"]],
                         ["one", {"reason": "earlier_run", "last_event_id": old_id}, "two"])
        # The notice has no id field: a browser keeps old_id; eventsource 3.0.7 blanks it.
        self.assertIn([e["id"] for e in seen], ([old_id, old_id, new_id], [old_id, "", new_id]))
        self.assertEqual([(e["event"], e["data"]) for e in tailed], [(e["event"], e["data"]) for e in seen])
        self.assertEqual([e["id"] for e in tailed], [old_id, old_id, new_id])

if __name__ == "__main__":
    unittest.main()
