"""reportkit.bundle: one standalone module from project functions (the zip's q4.py), and what it refuses to
flatten: a name defined twice, the project imported inside a body, the project reached through a module, and
one local name that means two imports."""
import textwrap

import pytest

from reportkit.bundle import bundle
from reportkit.errors import BuildError


def toy(root, **modules):
    """Write the package `pkg` under root: pkg/__init__.py and pkg/<name>.py for each keyword (dedented)."""
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    for name, source in modules.items():
        (root / "pkg" / f"{name}.py").write_text(textwrap.dedent(source))
    return root


def ref(qualified):
    """A function as bundle sees it (its module and name); the toy package is never imported."""
    def f():
        pass
    f.__module__, f.__qualname__ = qualified.rsplit(".", 1)
    return f


def test_the_bundle_runs_without_the_project_and_holds_only_what_is_reached(tmp_path):
    root = toy(tmp_path, a="""
        import numpy as np

        from pkg.b import helper

        SCALE = 3


        def f(x):
            return helper(x) * SCALE + float(np.sum(x))
        """, b="""
        import math


        def helper(x):
            return math.floor(x)


        def unused():
            return 0
        """)
    text = bundle(root, ("pkg",), [ref("pkg.a.f")], "The toy, in one file.")
    assert text.startswith('"""The toy, in one file."""\nfrom __future__ import annotations\n')
    assert "import math\nimport numpy as np\n" in text and "pkg" not in text and "unused" not in text
    assert text.index("def helper") < text.index("def f") and text.index("SCALE = 3") < text.index("def f")
    namespace = {}
    exec(compile(text, "bundle.py", "exec"), namespace)           # no pkg on sys.path: only the bundle defines it
    assert namespace["f"](2.5) == 2 * 3 + 2.5


def test_a_name_defined_in_two_modules_is_refused(tmp_path):
    root = toy(tmp_path, a="""
        from pkg.b import g
        from pkg.c import h


        def f():
            return g() + h()
        """, b="def g():\n    return k()\n\n\ndef k():\n    return 1\n",
        c="def h():\n    return k()\n\n\ndef k():\n    return 2\n")
    with pytest.raises(BuildError, match=r"bundle: k is defined in both pkg\.[bc] and pkg\.[bc]"):
        bundle(root, ("pkg",), [ref("pkg.a.f")], "doc")


def test_the_project_imported_inside_a_body_is_refused(tmp_path):
    root = toy(tmp_path, a="def f():\n    from pkg.b import g\n    return g()\n", b="def g():\n    return 1\n")
    with pytest.raises(BuildError, match=r"pkg\.a\.f imports the project inside its body \(g\)"):
        bundle(root, ("pkg",), [ref("pkg.a.f")], "doc")


@pytest.mark.parametrize("importing, call", [("from pkg import b", "b.g()"), ("import pkg.b", "pkg.b.g()")])
def test_the_project_reached_through_a_module_is_refused(tmp_path, importing, call):
    root = toy(tmp_path, a=f"{importing}\n\n\ndef f():\n    return {call}\n", b="def g():\n    return 1\n")
    with pytest.raises(BuildError, match=r"reaches the project through a module .*import the names it uses"):
        bundle(root, ("pkg",), [ref("pkg.a.f")], "doc")


def test_one_name_for_two_imports_is_refused(tmp_path):
    root = toy(tmp_path, a="""
        import numpy as np

        from pkg.b import g


        def f():
            return np.zeros(1) + g()
        """, b="import math as np\n\n\ndef g():\n    return np.floor(1.5)\n")
    with pytest.raises(BuildError, match=r"bundle: np means import numpy as np and import math as np"):
        bundle(root, ("pkg",), [ref("pkg.a.f")], "doc")
