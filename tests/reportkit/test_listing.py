"""Code listings: the named definitions, the file as the reader has it, and the call that ran."""
import pytest

from reportkit.errors import BuildError
from reportkit.listing import (LARGEST_PT, MONO_ADVANCE, RUN_AS, SMALLEST_PT, TEXT_WIDTH_PT, extract, font_size,
                               listing_helper)


def test_a_listing_ends_with_its_run_as_call_and_names_its_file(tmp_path):
    (tmp_path / "m.py").write_text("class Net:\n    def __init__(self, width=32):\n        pass\n")
    listing = listing_helper(tmp_path)
    text = listing("m.py", "Net", file="hw5report/m.py", run_as="Net(width=16)")
    assert "<code>hw5report/m.py</code>" in text
    assert text.index("class Net") < text.index(RUN_AS) < text.index("Net(width=16)")
    alone = listing("m.py", "Net", run_as="Net(width=16)", only_call=True)
    assert "class Net" not in alone and "Net(width=16)" in alone
    with pytest.raises(BuildError, match="run_as"):
        listing("m.py", "Net", only_call=True)


def test_definitions_come_in_the_order_asked_with_their_decorators(tmp_path):
    (tmp_path / "m.py").write_text("import functools\n\n\ndef a():\n    return 1\n\n\n@functools.cache\n"
                                   "def b():\n    return 2\n\n\nX = 3\n")
    code = extract((tmp_path / "m.py").read_text(), ("b", "a"), "m.py")
    assert code == "@functools.cache\ndef b():\n    return 2\n\n\ndef a():\n    return 1"
    with pytest.raises(BuildError, match=r"listing: m\.py has no top-level X, c"):
        extract((tmp_path / "m.py").read_text(), ("a", "X", "c"), "m.py")     # an assignment is not a definition


@pytest.mark.parametrize("path", ["../outside.py", "sub/../../outside.py", "/etc/hostname", "missing.py", "sub"])
def test_only_files_under_the_root_are_listed(tmp_path, path):
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside.py").write_text("def secret():\n    pass\n")
    with pytest.raises(BuildError, match=r"listing: no file .* under "):
        listing_helper(root)(path)


def test_the_font_shrinks_with_the_longest_line_between_bounds(tmp_path):
    assert font_size("x = 1") == LARGEST_PT and font_size("x" * 1000) == SMALLEST_PT
    fits = TEXT_WIDTH_PT / (MONO_ADVANCE * 120)                      # a 120-character line just fills the width
    assert SMALLEST_PT < fits < LARGEST_PT and font_size("short\n" + "y" * 120) == pytest.approx(fits)
    (tmp_path / "m.py").write_text("def f():\n    return '<b>'\n")
    text = listing_helper(tmp_path)("m.py", file="a<b>.py")
    assert "font-size: 7.5pt" in text
    assert "<code>a&lt;b&gt;.py</code>" in text and "return '<b>'" in text   # the caption escaped, code verbatim
