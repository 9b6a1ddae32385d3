"""A Node peer for an end-to-end test: copy a committed npm package (package.json,
package-lock.json and its scripts, node_modules ignored) into a temp dir and `npm ci` exactly
what the lock file pins. A machine that cannot reach the npm registry skips the test with the
reason; any other npm failure is ours and fails it."""
import os
import shutil
import subprocess
import tempfile
import unittest

# npm's error codes for "the registry is not reachable from here": no network, no DNS, or a
# TLS-intercepting proxy whose CA npm does not trust.
UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH",
               "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
               "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_HAS_EXPIRED")


def install(src_dir, files, prefix="ssekit-npm-"):
    """A temp dir holding `files` from src_dir and their node_modules; the caller removes it.
    Raises unittest.SkipTest without node/npm or without the registry."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise unittest.SkipTest("node and npm are needed (scripts/deps.sh installs them)")
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        for name in ("package.json", "package-lock.json", *files):
            shutil.copy(os.path.join(src_dir, name), work)
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error",
                            "--fetch-retries=2", "--fetch-retry-maxtimeout=10000"], cwd=work,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            if any(code in r.stderr for code in UNREACHABLE):
                raise unittest.SkipTest("the npm registry is unreachable from this machine: " +
                                        r.stderr.strip().splitlines()[0])
            raise RuntimeError(f"npm ci failed ({r.returncode}): {r.stderr.strip()}")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return work
