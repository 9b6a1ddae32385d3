"""A private network namespace joined to the test's own by a veth pair, for faults that loopback
cannot show: a peer that vanishes without a FIN or a RST. `cut()` brings the namespace's end of
the pair down, so from then on every packet sent to it is dropped silently, as when a laptop
lid closes or a NAT entry expires. Needs root (or CAP_NET_ADMIN) and ip(8), and a namespace
`ip netns exec` can enter; without them the test is skipped with the reason. Addresses are a private /30 (10.254.x.0) on the veth pair the
test creates; the namespace and the pair are deleted when the test ends, even on failure."""
import os
import shutil
import subprocess
import unittest

IP = shutil.which("ip") or "/usr/sbin/ip"


def _ip(*args, check=True):
    return subprocess.run([IP, *args], capture_output=True, text=True, timeout=30, check=check)


class VethNamespace:
    """`name` is the namespace; `host_addr` is the test side's address, `peer_addr` the
    namespace side's. `case` (a unittest.TestCase) deletes both at cleanup."""

    def __init__(self, case):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root for a network namespace")
        if not os.path.exists(IP):
            raise unittest.SkipTest("ip(8) is not installed")
        tag = f"{os.getpid() % 100000}"
        self.name = f"ssekit-{tag}"
        self.host_if, self.peer_if = f"sk{tag}h", f"sk{tag}p"  # at most 15 characters
        used = _ip("-4", "-o", "addr", "show").stdout
        subnet = next(n for n in ((os.getpid() + k) % 250 + 1 for k in range(250)) if f" 10.254.{n}." not in used)
        self.host_addr, self.peer_addr = f"10.254.{subnet}.1", f"10.254.{subnet}.2"
        made = _ip("netns", "add", self.name, check=False)
        if made.returncode != 0:
            raise unittest.SkipTest(f"cannot create a network namespace: {made.stderr.strip()}")
        case.addCleanup(self._delete)
        try:
            _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
            _ip("link", "set", self.peer_if, "netns", self.name)
            _ip("addr", "add", f"{self.host_addr}/30", "dev", self.host_if)
            _ip("link", "set", self.host_if, "up")
            self.run("ip", "addr", "add", f"{self.peer_addr}/30", "dev", self.peer_if)
            self.run("ip", "link", "set", self.peer_if, "up")
            self.run("ip", "link", "set", "lo", "up")
        except subprocess.CalledProcessError as e:
            # Seen in a chroot, where `ip netns exec` cannot mount the namespace's /sys.
            raise unittest.SkipTest(f"cannot set up the namespace ({' '.join(e.cmd[1:])}: "
                                    f"{(e.stderr or '').strip() or 'exit ' + str(e.returncode)})")

    def argv(self, argv):
        """`argv` run inside the namespace (ip netns exec execs it: the PID is the program's)."""
        return [IP, "netns", "exec", self.name, *argv]

    def run(self, *argv):
        return subprocess.run(self.argv(list(argv)), capture_output=True, text=True, timeout=30, check=True)

    def cut(self):
        """The namespace's end goes down: packets to it are dropped from now on, nothing is sent
        back, and processes in the namespace keep their sockets."""
        self.run("ip", "link", "set", self.peer_if, "down")

    def _delete(self):
        _ip("link", "del", self.host_if, check=False)  # takes its peer with it
        _ip("netns", "del", self.name, check=False)
