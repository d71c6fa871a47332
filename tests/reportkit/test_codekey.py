"""Code fingerprints by meaning: what a function reaches counts, comments, docstrings and formatting do not."""
import importlib
import sys
import textwrap

import pytest

from reportkit.codekey import CodeIndex, meaning_hash

FILES = {
    "toy/__init__.py": "",
    "toy/lib/__init__.py": "from toy.lib.maths import double\n",
    "toy/lib/maths.py": '''
        import numpy as np

        SCALE = 2

        def double(x):
            """Twice x."""
            return SCALE * x

        def unused(x):
            return x - 1

        class Box:
            def area(self):
                return helper() * 3

        def helper():
            return 4
        ''',
    "toy/lib/style.py": '''
        import os

        os.environ.setdefault("TOY_STYLE", "plain")

        def styled(text):
            return text
        ''',
    "toy/part.py": '''
        from toy import lib
        from toy.lib import maths

        def run(ctx):
            from toy.lib.style import styled
            return styled(str(lib.double(ctx) + maths.Box().area()))

        def other(ctx):
            return maths.unused(ctx)
        ''',
}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A tiny importable package `toy` under tmp_path; returns (root, a function that rewrites one file)."""
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in [m for m in sys.modules if m == "toy" or m.startswith("toy.")]:
        monkeypatch.delitem(sys.modules, mod)

    def edit(name, old, new):
        path = tmp_path / name
        assert old in path.read_text(), old
        path.write_text(path.read_text().replace(old, new))
    return tmp_path, edit


def fingerprint(root):
    run = importlib.import_module("toy.part").run
    return CodeIndex(root, ("toy",)).fingerprint(run)


def test_reaches_what_the_function_uses_and_nothing_else(toy):
    root, _ = toy
    hashes, externals = fingerprint(root)
    assert set(hashes) == {"toy.part.run", "toy.lib.maths.double", "toy.lib.maths.SCALE", "toy.lib.maths.Box",
                           "toy.lib.maths.helper", "toy.lib.style.styled", "toy.lib.style.<body>"}
    assert externals == set()             # numpy is imported by maths, but nothing that run reaches reads it


@pytest.mark.parametrize("name, old, new", [
    ("toy/lib/maths.py", '"""Twice x."""', '"""Two times x, explained at length."""'),
    ("toy/lib/maths.py", "    return SCALE * x", "    return SCALE * x  # a comment"),
    ("toy/lib/maths.py", "    return SCALE * x", "    return (SCALE\n            * x)"),
    ("toy/lib/maths.py", "def unused(x):\n    return x - 1", "def unused(x):\n    return x - 2"),
    ("toy/part.py", "def other(ctx):\n    return maths.unused(ctx)", "def other(ctx):\n    return 0"),
], ids=["docstring", "comment", "formatting", "unused-function", "other-part"])
def test_edits_without_meaning_for_run_keep_the_fingerprint(toy, name, old, new):
    root, edit = toy
    before = fingerprint(root)[0]
    edit(name, old, new)
    assert fingerprint(root)[0] == before


@pytest.mark.parametrize("name, old, new, changed", [
    ("toy/lib/maths.py", "SCALE = 2", "SCALE = 3", "toy.lib.maths.SCALE"),
    ("toy/lib/maths.py", "    return 4", "    return 5", "toy.lib.maths.helper"),
    ("toy/lib/maths.py", "return helper() * 3", "return helper() * 4", "toy.lib.maths.Box"),
    ("toy/lib/style.py", '"plain")', '"fancy")', "toy.lib.style.<body>"),
    ("toy/part.py", "maths.Box().area()))", "maths.Box().area() + 1))", "toy.part.run"),
], ids=["constant", "called-helper", "method", "module-statement", "the-function"])
def test_edits_to_reached_code_change_exactly_that_entry(toy, name, old, new, changed):
    root, edit = toy
    before = fingerprint(root)[0]
    edit(name, old, new)
    after = fingerprint(root)[0]
    assert {k for k in before if before[k] != after.get(k)} == {changed}


def test_other_libraries_are_named_by_their_top_level_module(toy):
    root, edit = toy
    edit("toy/lib/maths.py", "    return SCALE * x", "    return np.float64(SCALE) * x")
    hashes, externals = fingerprint(root)
    assert externals == {"numpy"}


def test_a_nested_function_is_refused(toy):
    root, _ = toy

    def inner(ctx):
        return ctx
    with pytest.raises(ValueError, match="top-level function"):
        CodeIndex(root, ("toy",)).fingerprint(inner)


def test_meaning_hash_ignores_positions_and_docstrings():
    import ast

    a = ast.parse('def f(x):\n    "doc"\n    return x + 1\n').body[0]
    b = ast.parse('\n\n\ndef f(x):\n\n    return (x +\n        1)\n').body[0]
    c = ast.parse('def f(x):\n    return x + 2\n').body[0]
    assert meaning_hash(a) == meaning_hash(b) != meaning_hash(c)
