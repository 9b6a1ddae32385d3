"""The Debian package (scripts/package.sh), as someone installing it sees it.

Once per run, cpack packs the build tree ctest runs from into a temp dir (nothing is compiled
again: its preinstall step finds the tree built, and it installs it, stripped, into a staging
dir: about 3 s), and dpkg installs the .deb
into an empty scratch root with its own dpkg database (dpkg --root). The maintainer scripts
run there chrootless with DPKG_ROOT set, which makes them do nothing; as another user than
root, dpkg runs under fakeroot. Then:
- the control file: Depends from dpkg-shlibdeps, Conflicts and Replaces Debian's ssed;
- installed over Debian's ssed ("super sed", a stand-in package here) it removes that one;
- the three installed binaries run and are stripped;
- the man pages are gzip-compressed and man formats them without a warning;
- the bash and zsh completions are where the shells look and complete every option --help lists;
- ssed.service is where systemd looks, runs /usr/bin/ssed unprivileged and hardened, and passes
  systemd-analyze verify; /etc/default/ssed is a root-only conffile listing every SSED_*
  variable of ssed --help with its default, and ssed starts with those defaults set;
- a purge leaves no file behind.
Skipped without dpkg-dev (scripts/deps.sh installs it); the zsh and systemd-analyze checks are
skipped, saying so, without zsh or systemd."""
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.environ.get("SSEKIT_SUPPORT", os.path.join(os.path.dirname(__file__), "..", "support")))
from procs import BIN, ProcTestCase  # noqa: E402

TOOLS = ("ssed", "sse-pub", "sse-tail")
BUILD = os.path.dirname(os.path.abspath(BIN))
WORK = None  # temp dir: the .deb and the scratch root
DEB = None
ROOT = None


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, **kw)


def new_root(path):
    """An empty directory tree with an empty dpkg database."""
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
        os.makedirs(os.path.join(path, d))
    open(os.path.join(path, "var/lib/dpkg/status"), "w").close()
    return path


def dpkg(root, *args):
    # --path-include: a host configured to skip man pages or docs (path-exclude) still installs
    # them here.
    argv = ["dpkg", f"--root={root}", "--log=/dev/null", "--force-script-chrootless", "--path-include=*", *args]
    return run(argv if os.geteuid() == 0 else ["fakeroot", *argv])


def install(root, deb):
    # The scratch database has no libc6 or libcurl4: the dependencies cannot be met there.
    return dpkg(root, "--force-depends", "-i", deb)


def setUpModule():
    global WORK, DEB, ROOT
    needed = ["cpack", "dpkg", "dpkg-deb", "dpkg-shlibdeps", "file", "readelf", "man", "bash"]
    if os.geteuid() != 0:
        needed.append("fakeroot")
    missing = [tool for tool in needed if not shutil.which(tool)]
    if missing:
        raise unittest.SkipTest(f"{', '.join(missing)} missing (scripts/deps.sh installs them)")
    config = os.path.join(BUILD, "CPackConfig.cmake")
    if not os.path.exists(config):
        raise unittest.SkipTest(f"{config} not generated (configure the build first)")
    WORK = tempfile.mkdtemp(prefix="ssekit-deb-")
    r = run(["cpack", "-G", "DEB", "--config", config, "-B", os.path.join(WORK, "out")])
    if r.returncode != 0:
        raise RuntimeError(f"cpack failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    debs = [f for f in os.listdir(os.path.join(WORK, "out")) if f.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError(f"expected one .deb from cpack, got {debs}")
    DEB = os.path.join(WORK, "out", debs[0])
    ROOT = new_root(os.path.join(WORK, "root"))
    r = install(ROOT, DEB)
    if r.returncode != 0:
        raise RuntimeError(f"dpkg -i failed ({r.returncode}):\n{r.stdout}{r.stderr}")


def tearDownModule():
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)


def at(path):
    """A path of the installed system inside the scratch root."""
    return os.path.join(ROOT, path.lstrip("/"))


def help_text(tool):
    r = run([at(f"/usr/bin/{tool}"), "--help"])
    assert r.returncode == 0, r.stderr
    return r.stdout


def long_options(help_out):
    """The long options --help lists: the --names that open its option lines."""
    names = set()
    for line in help_out.splitlines():
        m = re.match(r"\s*(-[^\s]+(?:, -[^\s]+)*)", line)
        if m:
            names.update(re.findall(r"--[A-Za-z0-9][A-Za-z0-9-]*", m.group(1)))
    return names


class Control(unittest.TestCase):
    def field(self, name):
        r = run(["dpkg-deb", "--field", DEB, name])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_the_package_is_ssekit_at_the_tools_version_for_this_architecture(self):
        version = run([at("/usr/bin/ssed"), "--version"]).stdout.split()[-1]
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        self.assertEqual((self.field("Package"), self.field("Version"), self.field("Architecture")),
                         ("ssekit", version, arch))
        self.assertEqual(os.path.basename(DEB), f"ssekit_{version}_{arch}.deb")

    def test_depends_lists_the_shared_libraries_the_binaries_link(self):
        depends = self.field("Depends")
        for lib in ("libc6", "libstdc++6", "libcurl4", "libhiredis", "libcpp-httplib"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)}[^,]* \(>= [^)]+\)", depends)

    def test_it_conflicts_with_and_replaces_debians_ssed(self):
        self.assertEqual(self.field("Conflicts"), "ssed")
        self.assertEqual(self.field("Replaces"), "ssed")

    def test_the_environment_file_is_its_only_conffile(self):
        r = run(["dpkg-deb", "--info", DEB, "conffiles"])
        self.assertEqual(r.stdout.split(), ["/etc/default/ssed"])


class OverDebiansSsed(unittest.TestCase):
    def test_installing_it_removes_debians_ssed_and_puts_its_own_in_usr_bin(self):
        work = tempfile.mkdtemp(prefix="ssekit-deb-", dir=WORK)
        fake = os.path.join(work, "ssed-pkg")
        os.makedirs(os.path.join(fake, "DEBIAN"))
        os.makedirs(os.path.join(fake, "usr/bin"))
        with open(os.path.join(fake, "usr/bin/ssed"), "w") as f:
            f.write("#!/bin/sh\necho super sed\n")
        os.chmod(os.path.join(fake, "usr/bin/ssed"), 0o755)
        with open(os.path.join(fake, "DEBIAN/control"), "w") as f:
            f.write("Package: ssed\nVersion: 3.62-8\nArchitecture: all\nMaintainer: test <t@example.invalid>\n"
                    "Description: stand-in for Debian's super sed\n")
        r = run(["dpkg-deb", "--root-owner-group", "--build", fake, os.path.join(work, "ssed.deb")])
        self.assertEqual(r.returncode, 0, r.stderr)
        root = new_root(os.path.join(work, "root"))
        self.assertEqual(dpkg(root, "-i", os.path.join(work, "ssed.deb")).returncode, 0)

        r = install(root, DEB)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("will remove ssed in favour of ssekit", r.stdout + r.stderr)
        status = dpkg(root, "--status", "ssed")
        self.assertNotIn("Status: install ok installed", status.stdout)
        r = run([os.path.join(root, "usr/bin/ssed"), "--version"])
        self.assertRegex(r.stdout, r"^ssed \d+\.\d+\.\d+\n$")


class Binaries(unittest.TestCase):
    def test_each_installed_tool_runs_and_prints_its_version(self):
        for tool in TOOLS:
            r = run([at(f"/usr/bin/{tool}"), "--version"])
            self.assertEqual(r.returncode, 0, (tool, r.stderr))
            self.assertRegex(r.stdout, rf"^{re.escape(tool)} \d+\.\d+\.\d+\n$")

    def test_each_installed_tool_is_stripped(self):
        for tool in TOOLS:
            path = at(f"/usr/bin/{tool}")
            self.assertRegex(run(["file", "-b", path]).stdout, r"^ELF .*, stripped$", tool)
            sections = run(["readelf", "--section-headers", "--wide", path]).stdout
            self.assertIn(".text", sections)
            self.assertNotRegex(sections, r"\.symtab|\.debug_", tool)


class ManPages(unittest.TestCase):
    def test_each_page_is_gzipped_and_formats_without_a_warning(self):
        for tool in TOOLS:
            page = at(f"/usr/share/man/man1/{tool}.1.gz")
            with gzip.open(page, "rt") as f:
                self.assertTrue(f.read().startswith(".TH "), page)
            env = dict(os.environ, MANPAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
            r = run(["man", "--local-file", page], env=env)
            self.assertEqual((r.returncode, r.stderr), (0, ""), page)
            self.assertTrue(re.search(rf"(?m)^NAME\n\s+{re.escape(tool)}\s+-\s", r.stdout), r.stdout[:300])


class Completions(unittest.TestCase):
    def bash_complete(self, *words):
        """COMPREPLY of the installed bash completion for the command line `words` (the last
        one being completed), with the installed tools first on PATH."""
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
                  '_ssekit "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        env = dict(os.environ, PATH=at("/usr/bin") + os.pathsep + os.environ["PATH"])
        path = at(f"/usr/share/bash-completion/completions/{words[0]}")
        r = run(["bash", "--norc", "--noprofile", "-c", script, "bash", path, *words], env=env)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        return r.stdout.split()

    def test_bash_completes_every_long_option_that_help_lists(self):
        for tool in TOOLS:
            options = long_options(help_text(tool))
            self.assertIn("--version", options)
            self.assertEqual(set(self.bash_complete(tool, "--")), options, tool)

    def test_bash_completes_a_prefix_and_a_fixed_set_of_values(self):
        self.assertEqual(self.bash_complete("ssed", "--drain"), ["--drain-timeout"])
        self.assertEqual(self.bash_complete("sse-tail", "--for"), ["--format"])
        self.assertEqual(self.bash_complete("ssed", "--redis-mode", ""), ["pubsub", "streams"])
        self.assertEqual(self.bash_complete("sse-pub", "--redis-mode", "st"), ["streams"])
        self.assertEqual(self.bash_complete("ssed", "--listen", ""), [])  # a value: file names

    def test_zsh_completion_offers_every_long_option_that_help_lists(self):
        zsh = shutil.which("zsh")
        if not zsh:
            self.skipTest("zsh is not installed (scripts/deps.sh installs it)")
        path = at("/usr/share/zsh/vendor-completions/_ssekit")
        with open(path) as f:
            self.assertEqual(f.readline().split(), ["#compdef", *TOOLS])
        env = dict(os.environ, PATH=at("/usr/bin") + os.pathsep + os.environ["PATH"])
        for tool in TOOLS:
            # _arguments replaced by a stub that prints the specs the completion builds.
            script = '_arguments() { print -rl -- "$@"; }; words=("$2" ""); CURRENT=2; source "$1"'
            r = run([zsh, "-f", "-c", script, "zsh", path, tool], env=env)
            self.assertEqual((r.returncode, r.stderr), (0, ""), tool)
            specs = r.stdout.splitlines()
            names = {m.group(1) for m in map(re.compile(r"\*?(--[A-Za-z0-9-]+)").match, specs) if m}
            self.assertEqual(names, long_options(help_text(tool)), tool)
            if tool != "sse-tail":
                self.assertTrue(any(s.startswith("--redis-mode=[") and s.endswith(":value:(pubsub streams)")
                                    for s in specs), specs)


def unit_settings():
    """ssed.service as {key: [values]} over all its sections."""
    settings = {}
    with open(at("/usr/lib/systemd/system/ssed.service")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")):
                key, _, value = line.partition("=")
                settings.setdefault(key, []).append(value)
    return settings


class Service(ProcTestCase):
    def test_the_unit_runs_ssed_as_a_dynamic_unprivileged_user_with_hardening(self):
        s = unit_settings()
        expected = {
            "ExecStart": ["/usr/bin/ssed"], "EnvironmentFile": ["-/etc/default/ssed"],
            "DynamicUser": ["yes"], "NoNewPrivileges": ["yes"], "ProtectSystem": ["strict"],
            "ProtectHome": ["yes"], "PrivateTmp": ["yes"], "PrivateDevices": ["yes"],
            "RestrictAddressFamilies": ["AF_INET AF_INET6 AF_UNIX"], "CapabilityBoundingSet": [""],
            "LimitNOFILE": ["1048576"], "Restart": ["on-failure"], "KillSignal": ["SIGTERM"],
            "WantedBy": ["multi-user.target"],
        }
        for key, values in expected.items():
            self.assertEqual(s.get(key), values, key)
        self.assertIn("@system-service", s["SystemCallFilter"])

    def test_the_stop_timeout_leaves_room_for_the_default_drain(self):
        drain = re.search(r"^#SSED_DRAIN_TIMEOUT=(\d+(?:\.\d+)?)$", self.environment_file(), re.M)
        self.assertIsNotNone(drain)
        self.assertGreater(float(unit_settings()["TimeoutStopSec"][0]), float(drain.group(1)) + 5)

    def test_systemd_analyze_verify_finds_nothing_to_say(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed (part of the systemd package, which "
                          "scripts/deps.sh does not install for this one check)")
        # verify wants ExecStart to exist and man: links to resolve: point both into the root.
        with open(at("/usr/lib/systemd/system/ssed.service")) as f:
            unit = f.read().replace("ExecStart=/usr/bin/ssed", "ExecStart=" + at("/usr/bin/ssed"))
        copy = os.path.join(self.tmp, "ssed.service")
        with open(copy, "w") as f:
            f.write(unit)
        r = run(["systemd-analyze", "verify", copy], env=dict(os.environ, MANPATH=at("/usr/share/man")))
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    def environment_file(self):
        with open(at("/etc/default/ssed")) as f:
            return f.read()

    def test_the_environment_file_is_readable_by_root_only(self):
        self.assertEqual(os.stat(at("/etc/default/ssed")).st_mode & 0o777, 0o600)

    def test_the_environment_file_lists_every_variable_of_ssed_help_commented_out(self):
        text = self.environment_file()
        listed = re.findall(r"^#(SSED_[A-Z0-9_]+)=", text, re.M)
        in_help = set(re.findall(r"\(Env:(SSED_[A-Z0-9_]+)\)", help_text("ssed")))
        self.assertEqual(sorted(listed), sorted(in_help))
        self.assertNotRegex(text, r"(?m)^[^#\n]")  # nothing set: every line a comment or blank
        for line in ("#SSED_LISTEN=127.0.0.1:8080", "#SSED_HISTORY=1000", "#SSED_QUIET=false",
                     "#SSED_REDIS_MODE=pubsub", "#SSED_PUBLISH_TOKEN="):
            self.assertIn(line + "\n", text)

    def test_ssed_starts_with_the_defaults_of_the_environment_file_set(self):
        defaults = dict(re.findall(r"^#(SSED_[A-Z0-9_]+)=(.+)$", self.environment_file(), re.M))
        values = {k: v for k, v in defaults.items() if v != "false"}
        flags = sorted(k for k, v in defaults.items() if v == "false")
        self.assertGreater(len(values), 10)
        self.assertIn("SSED_QUIET", flags)
        # Every value at once, with each flag in turn: the flags marked "not with" each other
        # conflict once set, even to false (the file says so).
        for flag in flags:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SSED_")}
            env |= values | {flag: "false", "SSED_LISTEN": "127.0.0.1:0"}
            proc = self.start([at("/usr/bin/ssed")], env=env)
            proc.wait_line(lambda line: line.startswith("http://127.0.0.1:"), timeout=15)
            proc.signal()
            self.assertEqual(proc.wait(30), 0, (flag, proc.stderr()))


class Purge(unittest.TestCase):
    def test_a_purge_leaves_no_file_behind(self):
        root = new_root(tempfile.mkdtemp(prefix="root-", dir=WORK) + "/r")
        self.assertEqual(install(root, DEB).returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(root, "etc/default/ssed")))
        r = dpkg(root, "--purge", "ssekit")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        left = [os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files]
        self.assertEqual([f for f in left if not f.startswith("var/lib/dpkg/")], [])


if __name__ == "__main__":
    unittest.main()
