#!/usr/bin/env python3
"""The tree is the architecture: which part of lib/ may include which.

lib/src/<part>/ holds a part's modules, included as "part/module.hpp"; lib/include/ssekit/ is
the public API, included as "ssekit/module.hpp", each public header belonging to one part. A
part may include only the parts below it in ALLOWED, so sse-tail's and sse-pub's code can
never pull in the hub or the server, and the protocol and base layers stand on their own.
Public headers include only public headers (a library user sees nothing else), and the apps
include only public headers.

Usage: layers.py [REPO]   (default: the repository this file is in). Exits 1 listing every
violation. Run with --self-test to prove it catches one.
"""
import pathlib
import re
import sys
import tempfile

ALLOWED = {
    "base": {"base"},
    "sse": {"base", "sse"},
    "hub": {"base", "sse", "hub"},
    "redis": {"base", "sse", "redis"},
    "ssed": {"base", "sse", "hub", "redis", "ssed"},
    "tail": {"base", "sse", "tail"},
    "pub": {"base", "sse", "redis", "pub"},
}
# The part each public header belongs to.
PUBLIC = {
    "status": "base", "log": "base", "exit": "base", "signals": "base", "cli": "base",
    "event": "sse", "parser": "sse", "wire": "sse",
    "hub_limits": "hub", "redis_options": "redis", "api_options": "ssed", "retry_policy": "pub",
    "ssed": "ssed", "door_limits": "ssed", "tail": "tail", "pub": "pub",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def part_of_include(target):
    """The part an include names, or None when it is not one of ours."""
    head, _, rest = target.partition("/")
    if head == "ssekit":
        return PUBLIC.get(rest.removesuffix(".hpp"), "?public:" + rest)
    if head in ALLOWED and rest:
        return head
    return None


def check(repo):
    repo = pathlib.Path(repo)
    errors = []
    lib_src, lib_inc = repo / "lib" / "src", repo / "lib" / "include" / "ssekit"
    for f in sorted(lib_src.rglob("*.[ch]pp")):
        rel = f.relative_to(lib_src)
        if len(rel.parts) != 2 or rel.parts[0] not in ALLOWED:
            errors.append(f"{f}: lies outside the parts {sorted(ALLOWED)}")
            continue
        part = rel.parts[0]
        for target in INCLUDE.findall(f.read_text()):
            dep = part_of_include(target)
            if dep is None:
                if "/" not in target:
                    errors.append(f'{f}: #include "{target}": name the part ("{part}/{target}")')
                continue
            if dep.startswith("?"):
                errors.append(f'{f}: #include "{target}": no such public header')
            elif dep not in ALLOWED[part]:
                errors.append(f'{f}: #include "{target}": {part}/ may not include {dep}/')
    for f in sorted(lib_inc.glob("*.hpp")):
        name = f.stem
        if name not in PUBLIC:
            errors.append(f"{f}: a public header not listed in PUBLIC (say which part it belongs to)")
        for target in INCLUDE.findall(f.read_text()):
            if not target.startswith("ssekit/"):
                errors.append(f'{f}: #include "{target}": a public header includes only public headers')
            elif name in PUBLIC and part_of_include(target) not in ALLOWED[PUBLIC[name]]:
                errors.append(f'{f}: #include "{target}": {PUBLIC[name]}/ may not include {part_of_include(target)}/')
    for f in sorted((repo / "apps").rglob("*.cpp")):
        for target in INCLUDE.findall(f.read_text()):
            if not target.startswith("ssekit/"):
                errors.append(f'{f}: #include "{target}": an app includes only public headers')
    return errors


def self_test():
    """A tree with one violation of each kind must fail with exactly those."""
    with tempfile.TemporaryDirectory() as d:
        root = pathlib.Path(d)
        for p, text in {
            "lib/src/tail/tail.cpp": '#include "hub/hub.hpp"\n#include "sse/publish.hpp"\n',
            "lib/src/sse/publish.cpp": '#include "redis/url.hpp"\n',
            "lib/src/base/json.cpp": '#include "json.hpp"\n',
            "lib/include/ssekit/tail.hpp": '#include "tail/sse_client.hpp"\n',
            "apps/sse-tail/main.cpp": '#include "tail/tail_output.hpp"\n#include "ssekit/tail.hpp"\n',
        }.items():
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_text(text)
        errors = check(root)
        expected = ["tail/ may not include hub/", "sse/ may not include redis/", 'name the part ("base/json.hpp")',
                    "a public header includes only public headers", "an app includes only public headers"]
        missing = [e for e in expected if not any(e in line for line in errors)]
        if missing or len(errors) != len(expected):
            print("self-test failed; expected", expected, "got", errors)
            return 1
    print("self-test: every kind of violation is caught")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    repo = sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]
    errs = check(repo)
    for e in errs:
        print(e)
    if errs:
        sys.exit(1)
    print("layers: every include follows the parts' order")
