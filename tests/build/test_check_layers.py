"""Tests of tests/build/check_layers.py (CTest build.layers_checker): small fake trees, each with its
own docs/ARCHITECTURE.md table, a deliberate violation or none, and what the checker answers."""
import os
import subprocess
import sys

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_layers.py")

TABLE = """\
# Architecture

Some prose before the table.

```
src/not-the-table/    an unrelated block: only the ```layers one is read
```

```layers
src/main.c          CLI
src/http/           HTTP
                    (a continued description naming src/core/ is not a row)
src/plugins/        plugins
src/store/, src/db2/  the store (two directories, one layer)
src/core/           core
include/abi/        the public ABI
```
"""

CLEAN = {
    "include/abi/abi.h": "#include <stddef.h>\nint abi_version(void);\n",
    "src/core/c.h": '#include <abi/abi.h>\nint c_f(void);\n',
    "src/core/c.c": '#include "core/c.h"\nint c_f(void) { return 1; }\n',
    "src/store/s.h": '#include "core/c.h"\nint s_f(void);\n',
    "src/store/s.c": '#include "store/s.h"\n#include "db2/d.h"\nint s_f(void) { return c_f() + d_f(); }\n',
    "src/db2/d.h": "int d_f(void);\n",
    "src/db2/d.c": '#include "db2/d.h"\nint d_f(void) { return 2; }\n',
    "src/plugins/p.h": '#include "store/s.h"\nint p_f(void);\n',
    "src/plugins/p.c": '#include "plugins/p.h"\n// #include "http/h.h" in a comment is no include\n'
                       'static const char *s = "#include \\"http/h.h\\"";\nint p_f(void) { return s_f(); }\n',
    "src/http/h.h": '#include "plugins/p.h"\nint h_f(void);\n',
    "src/http/h.c": '#include "h.h"\nint h_f(void) { return p_f(); }\n',
    "src/main.c": '#include "http/h.h"\nint main(void) { return h_f(); }\n',
}


def make_tree(root, files, doc=TABLE):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    if doc is not None:
        os.makedirs(os.path.join(root, "docs"), exist_ok=True)
        with open(os.path.join(root, "docs", "ARCHITECTURE.md"), "w") as f:
            f.write(doc)
    return str(root)


def run(root, *args):
    p = subprocess.run([sys.executable, CHECKER, root, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def errors_of(out):
    return [l for l in out.splitlines() if l.startswith("error: ")]


def test_a_clean_tree_passes(tmp_path):
    rc, out = run(make_tree(tmp_path, CLEAN))
    assert rc == 0, out
    assert errors_of(out) == []
    assert "check_layers: ok" in out


def test_an_upward_include_fails_naming_the_edge(tmp_path):
    files = dict(CLEAN)
    files["src/plugins/extra.h"] = "int extra(void);\n"
    files["src/store/s.c"] = '#include "store/s.h"\n\n#include "plugins/extra.h"\nint s_f(void) { return 0; }\n'
    rc, out = run(make_tree(tmp_path, files))
    assert rc == 1, out
    errs = errors_of(out)
    assert len(errs) == 1, out
    assert "src/store/s.c:3:" in errs[0]
    assert "includes src/plugins/extra.h (layer src/plugins)" in errs[0]
    assert "(layer src/store)" in errs[0]
    assert "UP the layers" in errs[0]


def test_an_upward_include_by_angle_brackets_and_from_a_header_fails(tmp_path):
    files = dict(CLEAN)
    files["include/abi/abi.h"] = "#include <core/c.h>\nint abi_version(void);\n"
    rc, out = run(make_tree(tmp_path, files))
    assert rc == 1, out
    assert any("include/abi/abi.h:1:" in e and "includes src/core/c.h" in e for e in errors_of(out)), out


def test_the_order_comes_from_the_document(tmp_path):
    # the same tree against a table whose store sits above plugins: plugins -> store goes up
    doc = TABLE.replace("src/plugins/        plugins\nsrc/store/, src/db2/  the store (two directories, one layer)\n",
                        "src/store/, src/db2/  the store\nsrc/plugins/        plugins\n")
    assert doc != TABLE
    rc, out = run(make_tree(tmp_path, CLEAN, doc))
    assert rc == 1, out
    assert any(e.startswith("error: src/plugins/p.h:1:") and "includes src/store/s.h" in e
               for e in errors_of(out)), out


def test_a_file_in_no_layer_fails(tmp_path):
    files = dict(CLEAN)
    files["src/stream/w.c"] = '#include "http/h.h"\nint w_f(void) { return h_f(); }\n'
    rc, out = run(make_tree(tmp_path, files))
    assert rc == 1, out
    assert any("src/stream/w.c is in no layer" in e for e in errors_of(out)), out


def test_an_include_cycle_between_files_of_one_layer_fails_and_can_be_allowed(tmp_path):
    files = dict(CLEAN)
    files["src/plugins/q.h"] = "int q_f(void);\n"
    files["src/plugins/q.c"] = '#include "plugins/q.h"\n#include "plugins/p.h"\nint q_f(void) { return 0; }\n'
    files["src/plugins/p.c"] = '#include "plugins/p.h"\n#include "plugins/q.h"\nint p_f(void) { return 0; }\n'
    root = make_tree(tmp_path, files)
    rc, out = run(root)
    assert rc == 1, out
    assert errors_of(out) == ["error: cycle between files: src/plugins/p <-> src/plugins/q"], out
    rc, out = run(root, "--allow-cycle", "src/plugins/q.c,src/plugins/p.c")
    assert rc == 0, out
    assert "warning: allowed (known, being cut): cycle between files: src/plugins/p <-> src/plugins/q" in out


def test_a_cycle_through_calls_fails(tmp_path):
    # like sw_dispatch.c <-> sw_host.c: host.c includes dispatch.h; dispatch.c calls host_init(),
    # which host.c defines (declared in dispatch.h, so no include shows the way back)
    files = dict(CLEAN)
    files["src/plugins/dispatch.h"] = "void host_init(void);\nvoid dispatch_run(void);\n"
    files["src/plugins/dispatch.c"] = ('#include "plugins/dispatch.h"\nstatic void helper(void) {}\n'
                                       "void dispatch_run(void)\n{\n    helper();\n    host_init();\n}\n")
    files["src/plugins/host.c"] = ('#include "plugins/dispatch.h"\n'
                                   "static int h_publish(int x) { return x; }\nvoid host_init(void) { h_publish(1); }\n")
    root = make_tree(tmp_path, files)
    rc, out = run(root)
    assert rc == 1, out
    assert errors_of(out) == ["error: cycle between files: src/plugins/dispatch <-> src/plugins/host"], out
    assert "    src/plugins/dispatch -> src/plugins/host: src/plugins/dispatch.c calls host_init()" in out
    assert "    src/plugins/host -> src/plugins/dispatch: src/plugins/host.c:1 includes src/plugins/dispatch.h" in out
    rc, out = run(root, "--include-cycles-only")  # the integrator's knob: no include shows this one
    assert rc == 0, out


def test_a_header_only_interface_is_no_cycle(tmp_path):
    # like sw_db.c -> sw_db_driver.h -> sw_db.h: an interface header that needs the front's types
    files = dict(CLEAN)
    files["src/store/driver.h"] = '#include "store/s.h"\ntypedef struct { int (*f)(void); } driver;\n'
    files["src/store/s.c"] = '#include "store/s.h"\n#include "store/driver.h"\nint s_f(void) { return 0; }\n'
    rc, out = run(make_tree(tmp_path, files))
    assert rc == 0, out
    assert errors_of(out) == []


def test_an_allowed_edge_is_a_warning_and_a_stale_allowance_is_reported(tmp_path):
    files = dict(CLEAN)
    files["src/core/c.h"] = '#include "http/h.h"\nint c_f(void);\n'
    root = make_tree(tmp_path, files)
    rc, out = run(root, "--allow-edge", "src/core/c.h:src/http/h.h")
    # the edge is allowed, but it also closes cycles (core <-> store <-> ... <-> http)
    assert "warning: allowed (known, being moved): src/core/c.h:1:" in out
    assert not any("UP the layers" in e for e in errors_of(out)), out
    assert rc == 1 and any(e.startswith("error: cycle between files:") for e in errors_of(out)), out
    rc, out = run(make_tree(tmp_path / "clean", CLEAN), "--allow-edge", "src/core/c.h:src/http/h.h")
    assert rc == 0, out
    assert "allowance --allow-edge src/core/c.h:src/http/h.h matches nothing any more: remove it" in out


def test_an_allowance_covers_only_its_own_files(tmp_path):
    files = dict(CLEAN)
    files["src/plugins/q.h"] = "int q_f(void);\n"
    files["src/plugins/q.c"] = '#include "plugins/q.h"\n#include "plugins/p.h"\nint q_f(void) { return 0; }\n'
    files["src/plugins/p.c"] = '#include "plugins/p.h"\n#include "plugins/q.h"\nint p_f(void) { return 0; }\n'
    rc, out = run(make_tree(tmp_path, files), "--allow-cycle", "src/plugins/p.c,src/plugins/other.c")
    assert rc == 1, out
    assert errors_of(out) == ["error: cycle between files: src/plugins/p <-> src/plugins/q"], out


def test_a_document_without_the_table_is_refused(tmp_path):
    doc = "# Architecture\n\n```\nsrc/core/  core\n```\n"
    rc, out = run(make_tree(tmp_path, CLEAN, doc))
    assert rc == 2, out
    assert "no ```layers block" in out


def test_the_project_table_parses_and_covers_every_layer_named_in_the_brief():
    sys.path.insert(0, os.path.dirname(CHECKER))
    import check_layers
    root = os.path.dirname(os.path.dirname(os.path.dirname(CHECKER)))
    with open(os.path.join(root, "docs", "ARCHITECTURE.md"), encoding="utf-8") as f:
        rows = check_layers.parse_table(f.read())
    order = [name for name, _ in rows]
    for lower, upper in [("src/core", "src/store"), ("src/store", "src/auth"), ("src/auth", "src/plugins"),
                         ("src/events", "src/plugins"), ("src/plugins", "src/rooms"), ("src/rooms", "src/ai"),
                         ("src/ai", "src/app"), ("src/app", "src/http"), ("src/http", "src/main.c")]:
        assert order.index(lower) < order.index(upper), (lower, upper, order)
