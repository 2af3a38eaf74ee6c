#!/usr/bin/python3
"""check_docs: keeps the documentation true to the code.

Usage: /usr/bin/python3 tests/docs/check_docs.py <repo root>

Checks, in README.md and every docs/*.md:
  * a fenced code block right after a line `<!-- file: P -->` must be the file P (a path relative
    to the repo root), byte for byte, except that one trailing newline of P may be missing;
  * a fenced code block right after `<!-- excerpt: P -->` must appear in P as contiguous lines;
  * every relative markdown link or image ([text](path), ![alt](path), [ref]: path) must point to
    something that exists inside the repository; a #fragment on a link to a .md file (or on its
    own, for the same page) must name a heading there (GitHub's anchor rules);
  * docs/plugins.md exists and shows the files the plugin guide promises verbatim
    (REQUIRED_FILE_BLOCKS).

Prints one line per check and ends with `docs: N passed, N failed`; exits 1 when anything failed
(2 on a usage error). Standard library only.
"""
import os
import re
import sys

REQUIRED_FILE_BLOCKS = {
    "docs/plugins.md": [
        "src/plugins/builtin/greeter.c",
        "tests/unit/plugins/test_greeter_plugin.c",
        "examples/plugins/acme_echo/acme_echo.c",
    ],
}

MARKER_RE = re.compile(r"^\s*<!--\s*(file|excerpt)\s*:\s*(\S+)\s*-->\s*$")
FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
INLINE_CODE_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title") and ![alt](target); target may be <...>; one level of nested [] in text
LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REF_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
HTML_ANCHOR_RE = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, where, what):
        self.passed += 1
        print(f"ok   {where} {what}")

    def fail(self, where, what):
        self.failed += 1
        print(f"FAIL {where} {what}")


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8")


def inside_repo(root, path):
    """The absolute path of a repo-relative path, or None when it leaves the repository."""
    if os.path.isabs(path):
        return None
    full = os.path.realpath(os.path.join(root, path))
    real_root = os.path.realpath(root)
    if full != real_root and not full.startswith(real_root + os.sep):
        return None
    return full


def parse_blocks(lines):
    """Yields (kind, marker_path, marker_line_no, content_lines or None, error or None) for every
    marker, and returns the set of line indexes that are inside fenced code blocks."""
    blocks = []
    in_code = set()
    i = 0
    pending = None  # (kind, path, line index) of a marker on the previous line
    while i < len(lines):
        line = lines[i]
        m = FENCE_RE.match(line)
        if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
            indent, fence = len(m.group(1)), m.group(2)
            start = i
            content = []
            i += 1
            closed = False
            while i < len(lines):
                c = FENCE_RE.match(lines[i])
                if (c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence)
                        and c.group(3).strip() == ""):
                    closed = True
                    break
                body = lines[i]
                # CommonMark: remove up to the opening fence's indentation from content lines
                k = 0
                while k < indent and k < len(body) and body[k] == " ":
                    k += 1
                content.append(body[k:])
                i += 1
            in_code.update(range(start, i + 1))
            if pending:
                kind, path, at = pending
                if closed:
                    blocks.append((kind, path, at, content, None))
                else:
                    blocks.append((kind, path, at, None, "code block is never closed"))
                pending = None
            i += 1
            continue
        if pending:
            kind, path, at = pending
            blocks.append((kind, path, at, None, "marker is not followed by a fenced code block"))
            pending = None
        mk = MARKER_RE.match(line)
        if mk:
            pending = (mk.group(1), mk.group(2), i)
        i += 1
    if pending:
        kind, path, at = pending
        blocks.append((kind, path, at, None, "marker is not followed by a fenced code block"))
    return blocks, in_code


def first_difference(a, b):
    al, bl = a.split("\n"), b.split("\n")
    for n, (x, y) in enumerate(zip(al, bl), 1):
        if x != y:
            return f"line {n} differs: doc {x!r} vs file {y!r}"
    if len(al) != len(bl):
        return f"doc has {len(al)} lines, file has {len(bl)}"
    return "differs"


def check_block(root, rel_md, kind, path, at, content, error, rep):
    where = f"{rel_md}:{at + 1}"
    what = f"{kind} {path}"
    if error:
        rep.fail(where, f"{what}: {error}")
        return
    full = inside_repo(root, path)
    if full is None:
        rep.fail(where, f"{what}: path must be relative and inside the repository")
        return
    if not os.path.isfile(full):
        rep.fail(where, f"{what}: no such file")
        return
    try:
        text = read_text(full)
    except (OSError, UnicodeDecodeError) as e:
        rep.fail(where, f"{what}: cannot read: {e}")
        return
    block = "\n".join(content)
    if kind == "file":
        expected = text[:-1] if text.endswith("\n") else text
        if block == expected:
            rep.ok(where, f"{what} ({len(content)} lines, identical)")
        else:
            rep.fail(where, f"{what}: block is not the file: {first_difference(block, expected)}")
        return
    # excerpt
    if not content or all(not ln.strip() for ln in content):
        rep.fail(where, f"{what}: empty excerpt")
        return
    flines = text.split("\n")
    n = len(content)
    for s in range(0, len(flines) - n + 1):
        if flines[s:s + n] == content:
            rep.ok(where, f"{what} (lines {s + 1}-{s + n})")
            return
    # say where the best partial match broke, to make the fix obvious
    best, best_s = 0, -1
    for s in range(len(flines)):
        k = 0
        while k < n and s + k < len(flines) and flines[s + k] == content[k]:
            k += 1
        if k > best:
            best, best_s = k, s
    if best_s >= 0 and best < n:
        hint = (f"first {best} line(s) match at line {best_s + 1}, then doc {content[best]!r} "
                f"vs file {flines[best_s + best]!r}" if best_s + best < len(flines)
                else f"first {best} line(s) match at line {best_s + 1}, then the file ends")
    else:
        hint = f"doc line 1 {content[0]!r} is not in the file"
    rep.fail(where, f"{what}: lines do not appear contiguously in the file ({hint})")


def slugify(heading):
    """GitHub's heading anchor: inline markup dropped, lowercase, punctuation removed, spaces to -."""
    t = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    t = re.sub(r"<[^>]+>", "", t)                               # inline HTML
    t = t.replace("`", "").strip().lower()
    t = re.sub(r"[^\w\- ]", "", t)
    return t.replace(" ", "-")


def anchors_of(lines, in_code):
    seen = {}
    out = set()
    for idx, line in enumerate(lines):
        if idx in in_code:
            continue
        out.update(a for a in HTML_ANCHOR_RE.findall(line))
        h = HEADING_RE.match(line)
        if not h:
            continue
        base = slugify(h.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


_anchor_cache = {}


def anchors_for(full):
    if full not in _anchor_cache:
        lines = read_text(full).split("\n")
        _, in_code = parse_blocks(lines)
        _anchor_cache[full] = anchors_of(lines, in_code)
    return _anchor_cache[full]


def link_targets(lines, in_code):
    for idx, line in enumerate(lines):
        if idx in in_code:
            continue
        if MARKER_RE.match(line):
            continue
        stripped = INLINE_CODE_RE.sub("", line)
        for m in LINK_RE.finditer(stripped):
            yield idx, m.group(1)
        r = REF_DEF_RE.match(stripped)
        if r:
            yield idx, r.group(1)


def check_link(root, rel_md, idx, target, rep):
    where = f"{rel_md}:{idx + 1}"
    t = target[1:-1].strip() if target.startswith("<") and target.endswith(">") else target
    if not t or t.startswith("//") or SCHEME_RE.match(t):
        return  # absolute URLs are not checked
    path, _, fragment = t.partition("#")
    path = path.split("?", 1)[0].replace("%20", " ")
    if path.startswith("/"):
        rep.fail(where, f"link {t}: absolute paths break outside this machine; use a relative link")
        return
    if path:
        rel = os.path.normpath(os.path.join(os.path.dirname(rel_md), path))
    else:
        rel = rel_md  # #fragment on its own: this page
    full = inside_repo(root, rel)
    if full is None:
        rep.fail(where, f"link {t}: points outside the repository")
        return
    if os.path.isdir(full):
        rep.ok(where, f"link {t} (directory)")
        return
    if not os.path.isfile(full):
        rep.fail(where, f"link {t}: {rel} does not exist")
        return
    if fragment and rel.endswith(".md"):
        try:
            anchors = anchors_for(full)
        except (OSError, UnicodeDecodeError) as e:
            rep.fail(where, f"link {t}: cannot read {rel}: {e}")
            return
        if fragment not in anchors:
            rep.fail(where, f"link {t}: {rel} has no heading with the anchor #{fragment}")
            return
    rep.ok(where, f"link {t}")


def main(argv):
    if len(argv) != 2:
        print("usage: check_docs.py <repo root>", file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    if not os.path.isdir(root):
        print(f"check_docs: {root} is not a directory", file=sys.stderr)
        return 2
    rep = Report()

    mds = []
    if os.path.isfile(os.path.join(root, "README.md")):
        mds.append("README.md")
    docs_dir = os.path.join(root, "docs")
    if os.path.isdir(docs_dir):
        mds += sorted("docs/" + n for n in os.listdir(docs_dir)
                      if n.endswith(".md") and os.path.isfile(os.path.join(docs_dir, n)))

    for rel_md in REQUIRED_FILE_BLOCKS:
        if rel_md not in mds:
            rep.fail(rel_md, "missing: the plugin author's guide must exist")

    for rel_md in mds:
        try:
            text = read_text(os.path.join(root, rel_md))
        except (OSError, UnicodeDecodeError) as e:
            rep.fail(rel_md, f"cannot read: {e}")
            continue
        lines = text.split("\n")
        blocks, in_code = parse_blocks(lines)
        for kind, path, at, content, error in blocks:
            check_block(root, rel_md, kind, path, at, content, error, rep)
        shown = {path for kind, path, _, content, error in blocks if kind == "file"}
        for need in REQUIRED_FILE_BLOCKS.get(rel_md, []):
            if need not in shown:
                rep.fail(rel_md, f"file {need}: the guide must show this file verbatim "
                                 f"(a code block after <!-- file: {need} -->)")
        for idx, target in link_targets(lines, in_code):
            check_link(root, rel_md, idx, target, rep)

    print(f"docs: {rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
