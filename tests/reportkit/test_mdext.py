"""The Markdown extension: golden files (Markdown in, exact HTML out, as Python-Markdown's own tests do), and
the references that must fail the build."""
from pathlib import Path

import pytest

from reportkit.document import markdown_to_html
from reportkit.errors import BuildError

GOLDEN = Path(__file__).parent / "golden"


class FakeMath:
    """Stands in for ziamath: marks each expression, so the golden HTML shows what reached the math stage."""

    count = 0

    def render(self, tex, display):
        return f'<svg data-tex="{tex.strip()}" data-display="{int(display)}"/>'


def html_of(text):
    return markdown_to_html(text, FakeMath())[0]


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.md")))
def test_golden(name):
    assert html_of((GOLDEN / f"{name}.md").read_text()) + "\n" == (GOLDEN / f"{name}.html").read_text()


@pytest.mark.parametrize("text, message", [
    pytest.param("See @fig:nowhere.", "@fig:nowhere points at no figure", id="unknown-reference"),
    pytest.param('<figure class="fig" id="fig-a" data-kind="fig" markdown="1">\n<figcaption class="caption" '
                 'markdown="span">A</figcaption>\n</figure>\n\n<figure class="fig" id="fig-a" data-kind="fig" '
                 'markdown="1">\n<figcaption class="caption" markdown="span">B</figcaption>\n</figure>\n',
                 "duplicate label 'fig:a'", id="duplicate-label"),
    pytest.param('<figure class="fig" id="fig-a" data-kind="fig" markdown="1">\n<img src="a.png">\n</figure>\n',
                 "needs a caption", id="no-caption"),
])
def test_bad_references_fail_the_build(text, message):
    with pytest.raises(BuildError, match=message):
        html_of(text)


def test_display_math_keeps_double_backslash_and_braces():
    body = html_of("Text.\n\n$$\n\\begin{aligned} a &= \\{b\\} \\\\ c &= d \\end{aligned}\n$$\n\nMore.")
    assert 'data-tex="\\begin{aligned} a &= \\{b\\} \\\\ c &= d \\end{aligned}"' in body
