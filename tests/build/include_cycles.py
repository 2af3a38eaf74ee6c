#!/usr/bin/env python3
"""include_cycles: fails when source modules include each other in a circle.

A module is a file name without its extension (src/ai/sw_turn.c and src/ai/sw_turn.h are the
module ai/sw_turn). Module A depends on B when a file of A includes "B.h". A circle (A needs B
needs ... needs A) means neither side has an interface of its own; the layer test checks edges
between layers, this one the circles inside a layer.

usage: include_cycles.py <src dir> [subdir ...]   (only modules under the subdirs are checked;
       none: every module)
       include_cycles.py --self-test               (the checker finds a planted circle)
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def graph(src):
    deps = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            mod = os.path.relpath(path, src)[:-2]
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            for inc in INCLUDE.findall(text):
                if inc != mod and os.path.exists(os.path.join(src, inc + ".h")):
                    deps.setdefault(mod, set()).add(inc)
            deps.setdefault(mod, set())
    return deps


def cycles(deps, scope):
    """Every circle through a module in scope, each once, as a list of modules."""
    found, seen = [], set()

    def walk(start, node, path, onpath):
        for nxt in sorted(deps.get(node, ())):
            if nxt == start:
                key = frozenset(path)
                if key not in seen:
                    seen.add(key)
                    found.append(path + [start])
            elif nxt not in onpath and nxt > start:  # each circle from its smallest module
                onpath.add(nxt)
                walk(start, nxt, path + [nxt], onpath)
                onpath.discard(nxt)

    for m in sorted(deps):
        walk(m, m, [m], {m})
    return [c for c in found if any(in_scope(x, scope) for x in c)]


def in_scope(mod, scope):
    return not scope or any(mod == s or mod.startswith(s.rstrip("/") + "/") for s in scope)


def check(src, scope):
    found = cycles(graph(src), scope)
    for c in found:
        print("include circle: " + " -> ".join(c))
    return 1 if found else 0


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "ai"))
        files = {"ai/a.c": '#include "ai/a.h"\n#include "ai/b.h"\n', "ai/a.h": "",
                 "ai/b.c": '#include "ai/b.h"\n', "ai/b.h": ""}
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as fh:
                fh.write(text)
        if check(d, ["ai"]) != 0:
            print("self-test: a one-way include was reported as a circle")
            return 1
        with open(os.path.join(d, "ai/b.c"), "a") as fh:
            fh.write('#include "ai/a.h"\n')
        if check(d, ["ai"]) != 1:
            print("self-test: the planted circle ai/a <-> ai/b was not found")
            return 1
    print("self-test: ok")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(check(sys.argv[1], sys.argv[2:]))
