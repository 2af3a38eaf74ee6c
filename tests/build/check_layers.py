#!/usr/bin/python3
"""check_layers: the layer picture of docs/ARCHITECTURE.md as a test (CTest build.layers).

Reads the ```layers block of the architecture document (one row per layer, highest first; a row
names its directories or files, comma-separated, before two spaces), maps every file of src/ and
include/ to its layer (longest path prefix), and fails on:
  - an #include that goes UP the table (a file may include its own layer or the ones below);
  - a file that no row of the table covers (the picture must say where a new directory sits);
  - a cycle between files (units: sw_x.c with its sw_x.h; header-only units looked through),
    through includes or through calls of a function another unit's .c defines.
Allowances (--allow-edge, --allow-cycle) turn named known violations into warnings (a cycle is
allowed when all its files are in one --allow-cycle list); an allowance that matches nothing is
reported too, so it is removed once the violation is gone.
Stdlib only; exit status 0 = clean, 1 = violations, 2 = the table cannot be read.
"""
import argparse
import os
import re
import sys

SOURCE_DIRS = ("src", "include")
SOURCE_EXTS = (".c", ".h")


class TableError(Exception):
    pass


# ---- the table -------------------------------------------------------------------------------

def parse_table(doc_text):
    """Returns [(name, [paths])] from the ```layers block, BOTTOM layer first."""
    lines = doc_text.splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(r"^```\s*layers\s*$", l)), None)
    if start is None:
        raise TableError("no ```layers block (the layer table) in the document")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("```"):
            break
        if not line.strip() or line[0].isspace() or line.startswith("#"):
            continue  # blank, a continued description, or a comment
        column = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        paths = [p.strip() for p in column.split(",") if p.strip()]
        for p in paths:
            if p.startswith("/") or ".." in p.split("/"):
                raise TableError("layer row %r: %r is not a path inside the tree" % (line, p))
        rows.append((paths[0].rstrip("/"), paths))
    else:
        raise TableError("the ```layers block is not closed")
    if not rows:
        raise TableError("the ```layers block lists no layer")
    seen = {}
    for name, paths in rows:
        for p in paths:
            if p in seen:
                raise TableError("%s is listed twice (rows %s and %s)" % (p, seen[p], name))
            seen[p] = name
    rows.reverse()  # written highest first; ranked from the bottom
    return rows


def layer_of(path, rows):
    """(rank, name) of the row whose path is the longest prefix of `path`, or None."""
    best = None
    for rank, (name, paths) in enumerate(rows):
        for p in paths:
            hit = path.startswith(p) if p.endswith("/") else path == p
            if hit and (best is None or len(p) > best[2]):
                best = (rank, name, len(p))
    return best[:2] if best else None


# ---- the sources -----------------------------------------------------------------------------

_TOKENS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def _strip_comments(text):
    def repl(m):
        s = m.group(0)
        if s.startswith("/"):
            return re.sub(r"[^\n]", " ", s)  # keep line numbers
        return s
    return _TOKENS.sub(repl, text)


def _strip_strings(text):
    return _TOKENS.sub(lambda m: '""' if m.group(0)[0] in "\"'" else " ", text)


def list_sources(root):
    out = []
    for top in SOURCE_DIRS:
        base = os.path.join(root, top)
        for d, dirs, files in os.walk(base):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(SOURCE_EXTS):
                    out.append(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/"))
    return out


def includes_of(text):
    """[(line number, '"' or '<', target)] of the #include lines."""
    out = []
    for n, line in enumerate(_strip_comments(text).splitlines(), 1):
        m = re.match(r'\s*#\s*include\s*([<"])([^">]+)[">]', line)
        if m:
            out.append((n, m.group(1), m.group(2)))
    return out


def resolve(root, includer, kind, target, known):
    """The tree path an include names, or None (a system header, or not in the tree)."""
    cands = []
    if kind == '"':
        cands.append(os.path.normpath(os.path.join(os.path.dirname(includer), target)))
    cands += [os.path.normpath(os.path.join(top, target)) for top in SOURCE_DIRS]
    for c in cands:
        c = c.replace(os.sep, "/")
        if c in known:
            return c
    return None


def functions_defined(text):
    """(global, static) names of the functions this file defines."""
    code = _strip_strings(_strip_comments(text))
    code = re.sub(r"^\s*#(?:[^\n]*\\\n)*[^\n]*", "", code, flags=re.M)  # preprocessor lines
    flat, depth = [], 0  # the text outside braces, each body as {}
    for ch in code:
        if ch == "{":
            if depth == 0:
                flat.append("{")
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
            if depth == 0:
                flat.append("}")
        elif depth == 0:
            flat.append(ch)
    flat = "".join(flat)
    glob, stat = set(), set()
    for m in re.finditer(r"([^;{}]*?)\b([A-Za-z_]\w*)\s*\(((?:[^()]|\([^()]*\))*)\)\s*"
                         r"(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)*\{\}", flat):
        prefix, name = m.group(1), m.group(2)
        if name in ("if", "while", "for", "switch", "return", "sizeof"):
            continue
        (stat if re.search(r"\bstatic\b", prefix) else glob).add(name)
    return glob, stat


def identifiers(text):
    code = _strip_strings(_strip_comments(text))
    code = re.sub(r"^\s*#\s*include[^\n]*", "", code, flags=re.M)
    return set(re.findall(r"\b[A-Za-z_]\w*\b", code))


def unit_of(path):
    return os.path.splitext(path)[0]


# ---- the checks ------------------------------------------------------------------------------

def cycles(graph):
    """Strongly connected components of more than one unit (Tarjan, iterative), sorted."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def implementation_graph(graph, implemented):
    """The graph among units that have a .c file: a header-only unit (types, an interface such as
    sw_db_driver.h) is looked through, its edges given to whoever includes it. So sw_db.c including
    the driver interface, which includes sw_db.h, is no cycle; a .c whose header another .c needs
    while it needs that one's (through includes or calls) is.
    Returns {unit: {unit it depends on: why (the first step of the way)}}."""
    out = {}
    for u in implemented:
        seen, reach = {u}, {}
        todo = [(v, why) for v, why in sorted(graph.get(u, {}).items(), reverse=True)]
        while todo:
            v, why = todo.pop()
            if v in seen:
                continue
            seen.add(v)
            if v in implemented:
                reach[v] = why
            else:
                todo.extend((w, why + " (through %s)" % v) for w in sorted(graph.get(v, {}), reverse=True))
        out[u] = reach
    return out


def check(root, doc, allow_edges=(), allow_cycles=(), calls=True):
    """Returns (errors, warnings), lists of lines."""
    with open(doc, encoding="utf-8") as f:
        rows = parse_table(f.read())
    files = list_sources(root)
    known = set(files)
    texts = {}
    for p in files:
        with open(os.path.join(root, p), encoding="utf-8", errors="replace") as f:
            texts[p] = f.read()
    errors, warnings = [], []
    layers = {}
    for p in files:
        layers[p] = layer_of(p, rows)
        if layers[p] is None:
            errors.append("%s is in no layer: add its directory to the ```layers table of %s"
                          % (p, os.path.relpath(doc, root)))
    used_edges, graph = set(), {}
    for p in files:
        u = unit_of(p)
        graph.setdefault(u, {})
        for line, kind, target in includes_of(texts[p]):
            dest = resolve(root, p, kind, target, known)
            if dest is None:
                if kind == '"':
                    warnings.append('%s:%d: #include "%s" is not a file of the tree' % (p, line, target))
                continue
            if unit_of(dest) != u:
                graph[u].setdefault(unit_of(dest), "%s:%d includes %s" % (p, line, dest))
            lf, lt = layers[p], layers[dest]
            if lf is None or lt is None or lt[0] <= lf[0]:
                continue
            msg = "%s:%d: %s (layer %s) includes %s (layer %s): an edge UP the layers" % (
                p, line, p, lf[1], dest, lt[1])
            if (p, dest) in allow_edges:
                used_edges.add((p, dest))
                warnings.append("allowed (known, being moved): " + msg)
            else:
                errors.append(msg)
    for e in allow_edges:
        if e not in used_edges:
            warnings.append("allowance --allow-edge %s:%s matches nothing any more: remove it" % e)
    # calls: a unit that uses a function another unit's .c defines depends on that unit
    definer, own = {}, {}
    for p in files:
        if calls and p.endswith(".c"):
            g, s = functions_defined(texts[p])
            own[p] = g | s
            for name in g:
                definer.setdefault(name, unit_of(p))
    for p in files:
        if not calls or not p.endswith(".c"):
            continue
        u = unit_of(p)
        for name in identifiers(texts[p]) - own[p]:
            d = definer.get(name)
            if d and d != u:
                graph[u].setdefault(d, "%s calls %s()" % (p, name))
    allowed = [frozenset(c) for c in allow_cycles]
    used = set()
    impl = implementation_graph(graph, {unit_of(p) for p in files if p.endswith(".c")})
    for comp in cycles(impl):
        msg = "cycle between files: " + " <-> ".join(comp) + "".join(
            "\n    %s -> %s: %s" % (u, v, impl[u][v]) for u in comp for v in sorted(impl[u]) if v in comp)
        cover = next((a for a in allowed if set(comp) <= a), None)
        if cover is not None:
            used.add(cover)
            warnings.append("allowed (known, being cut): " + msg)
        else:
            errors.append(msg)
    for c in (a for a in allowed if a not in used):
        warnings.append("allowance --allow-cycle %s matches nothing any more: remove it" % ",".join(sorted(c)))
    return errors, warnings


def _edge(s):
    a, sep, b = s.partition(":")
    if not sep or not a or not b:
        raise argparse.ArgumentTypeError("expected INCLUDER:INCLUDED, e.g. src/a/x.h:src/b/y.h")
    return (a, b)


def _cycle(s):
    units = [unit_of(x.strip()) for x in s.split(",") if x.strip()]
    if len(units) < 2:
        raise argparse.ArgumentTypeError("expected two or more files, comma-separated")
    return tuple(units)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", help="the source tree (holds src/ and include/)")
    ap.add_argument("--doc", help="the document with the ```layers table (default ROOT/docs/ARCHITECTURE.md)")
    ap.add_argument("--allow-edge", type=_edge, action="append", default=[], metavar="FROM:TO",
                    help="a known upward include (tree paths), reported as a warning")
    ap.add_argument("--allow-cycle", type=_cycle, action="append", default=[], metavar="A,B[,...]",
                    help="a known cycle (its files, e.g. src/ai/sw_turn.c,src/ai/sw_approvals.c)")
    ap.add_argument("--include-cycles-only", action="store_true",
                    help="find cycles through #include edges alone (not through calls)")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    doc = os.path.abspath(args.doc or os.path.join(root, "docs", "ARCHITECTURE.md"))
    try:
        errors, warnings = check(root, doc, set(args.allow_edge), args.allow_cycle,
                                 calls=not args.include_cycles_only)
    except (TableError, OSError) as e:
        print("check_layers: %s: %s" % (doc, e), file=sys.stderr)
        return 2
    for w in warnings:
        print("warning: " + w)
    for e in errors:
        print("error: " + e)
    if errors:
        print("check_layers: %d violation(s) of the layers in %s" % (len(errors), os.path.relpath(doc, root)))
        return 1
    print("check_layers: ok (%d warning(s))" % len(warnings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
