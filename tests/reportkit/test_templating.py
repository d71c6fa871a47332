"""Jinja for the Markdown templates: undefined names and syntax errors name the template and line; filters."""
import pytest

from reportkit.errors import BuildError
from reportkit.templating import Templates, num, pct, sci, unit


def test_strict_undefined_names_template_and_line(tmp_path):
    (tmp_path / "t.md.j2").write_text("line one\n{{ r.q9.accuracy }}\n")
    with pytest.raises(BuildError, match=r"t\.md\.j2:2: .*q9"):
        Templates(tmp_path).render("t.md.j2", r={})


def test_template_syntax_error_names_template_and_line(tmp_path):
    (tmp_path / "t.md.j2").write_text("ok\n\n{% if %}\n")
    with pytest.raises(BuildError, match=r"t\.md\.j2:3"):
        Templates(tmp_path).render("t.md.j2")


@pytest.mark.parametrize("fn, args, expected", [
    (pct, (0.8123,), "81.2\u00a0%"), (pct, (0.5, 0), "50\u00a0%"), (unit, (12.34, "s"), "12\u00a0s"), (num, (3.14159,), "3.14"),
    (sci, (1.2e-9,), "1.2 \\times 10^{-9}"), (sci, (0.0123,), "0.012"), (sci, (0.0,), "0.0"),
])
def test_number_filters(fn, args, expected):
    assert fn(*args) == expected
