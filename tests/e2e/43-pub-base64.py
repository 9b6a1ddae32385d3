"""Binary payloads: sse-pub --base64 sends its input base64-encoded and sse-tail --decode
base64 writes the bytes back, byte for byte: random binary files (NUL, CR, LF, bytes that are
not UTF-8, a final newline) round-trip through ssed over HTTP and through Redis. Each line in
line mode is an event of its own; data that is not base64 is reported and skipped."""
import base64
import json
import os
import random
import subprocess
import sys
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import ProcTestCase, binary  # noqa: E402
from redis_fixture import RedisServer  # noqa: E402
from ssed_fixture import Ssed  # noqa: E402


def random_files():
    rng = random.Random(11)
    files = {"all-bytes": bytes(range(256)) * 4, "one": b"\x00", "two": b"\r\n", "crlf-end": b"x\r\n",
             "newline-end": b"text\n\n"}
    for size in (3, 1000, 65537, 300000):
        files[f"random-{size}"] = bytes(rng.getrandbits(8) for _ in range(size))
    return files


class Base64RoundTrip(ProcTestCase):
    def run_bytes(self, argv, data=b""):
        r = subprocess.run(argv, input=data, capture_output=True, timeout=60)
        return r.returncode, r.stdout, r.stderr.decode()

    def round_trip(self, pub_args, ssed):
        for n, (name, data) in enumerate(random_files().items()):
            topic = f"blob-{n}"
            rc, _, err = self.run_bytes([binary("sse-pub"), *pub_args, "-s", "--base64", topic], data)
            self.assertEqual(rc, 0, err)
            # --from-start: the event is in the topic's history whether or not it arrived yet.
            rc, out, err = self.run_bytes([binary("sse-tail"), "--from-start", "-n", "1", "-W", "30",
                                           "--decode", "base64", f"{ssed.url}/events/{topic}"])
            self.assertEqual(rc, 0, f"{name}: {err}")
            self.assertEqual(out, data, name)

    def test_binary_files_round_trip_through_ssed(self):
        ssed = Ssed(self)
        self.round_trip(["--server", ssed.url], ssed)

    def test_binary_files_round_trip_through_redis(self):
        redis = RedisServer(self)
        ssed = Ssed(self, "--redis", redis.url)
        self.round_trip(["--redis", redis.url], ssed)

    def test_the_wire_carries_rfc4648_text_and_each_line_is_an_event(self):
        ssed = Ssed(self)
        rc, _, err = self.run_bytes([binary("sse-pub"), "--server", ssed.url, "--base64", "t"], b"f\nfoob\r\n")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.run_bytes([binary("sse-tail"), "--from-start", "-n", "2", "-f", "json",
                                       f"{ssed.url}/events/t"])
        self.assertEqual([json.loads(l)["data"] for l in out.decode().splitlines()], ["Zg==", "Zm9vYg=="])
        rc, out, err = self.run_bytes([binary("sse-tail"), "--from-start", "-n", "2", "--decode", "base64",
                                       f"{ssed.url}/events/t"])
        self.assertEqual((rc, out), (0, b"ffoob"), err)

    def test_data_that_is_not_base64_is_reported_and_skipped(self):
        ssed = Ssed(self)
        for data in ("not base64!", base64.b64encode(b"\x00ok").decode()):
            status, _, body = ssed.publish("mixed", data)
            self.assertEqual(status, 200, body)
        rc, out, err = self.run_bytes([binary("sse-tail"), "--from-start", "-n", "1", "-W", "30",
                                       "--decode", "base64", f"{ssed.url}/events/mixed"])
        self.assertEqual((rc, out), (0, b"\x00ok"), err)
        self.assertIn("not base64; skipped", err)

    def test_decode_is_for_the_data_format_and_base64_not_for_json_input(self):
        rc, _, err = self.run_bytes([binary("sse-tail"), "--decode", "base64", "-f", "json", "http://127.0.0.1:1/t"])
        self.assertEqual(rc, 64, err)
        rc, _, err = self.run_bytes([binary("sse-tail"), "--decode", "hex", "http://127.0.0.1:1/t"])
        self.assertEqual(rc, 64, err)
        rc, _, err = self.run_bytes([binary("sse-pub"), "--base64", "--json", "t"], b"{}")
        self.assertEqual(rc, 64, err)


if __name__ == "__main__":
    unittest.main()
