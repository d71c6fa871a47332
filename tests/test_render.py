"""The renderer: math survives Markdown, unknown macros fail, numbering and references, strict templates."""
import re
import shutil
import subprocess

import pytest

from reportkit import document
from reportkit.document import markdown_to_html
from reportkit.errors import BuildError
from reportkit.mathsvg import MathRenderer
from reportkit.templating import Templates


def html_of(text):
    return markdown_to_html(text, MathRenderer())[0]


def labels(body):
    """The TeX of every math SVG, in order."""
    return [m for m in re.findall(r'aria-label="([^"]*)"', body)]


def test_math_with_markdown_characters_survives():
    body = html_of("Take $a_1 * b_2$ and $c*d$, then $x_{i}^{*}$.")
    assert "<em>" not in body
    assert labels(body) == ["a_1 * b_2", "c*d", "x_{i}^{*}"]


def test_display_math_keeps_double_backslash_and_braces():
    body = html_of("Text.\n\n$$\n\\begin{aligned} a &= \\{b\\} \\\\ c &= d \\end{aligned}\n$$\n\nMore.")
    assert '<div class="math display">' in body
    assert "\\\\ c" in labels(body)[0] and "\\{b\\}" in labels(body)[0]


def test_dollar_amounts_are_not_math():
    body = html_of("It costs $5 and $10 today.")
    assert "svg" not in body and "$5 and $10" in body


@pytest.mark.parametrize("tex, message", [
    pytest.param("$\\foo x$", r"unknown macro \\foo", id="unknown-macro"),
    pytest.param("$a \\tag{3}$", r"\\tag is not supported", id="denied-tag"),
])
def test_bad_math_fails_the_build(tex, message):
    with pytest.raises(BuildError, match=message):
        html_of(tex)


def test_leftover_display_math_is_caught():
    body = html_of("A sentence with $$x^2$$ inside it.")
    with pytest.raises(BuildError, match="unrendered math"):
        document.lint(body)


def test_numbering_and_references():
    text = ("See @fig:b, @fig:a, @tab:t and @eq:e.\n\n"
            '<figure class="fig" id="fig-a" data-kind="fig" markdown="1">\n<figcaption class="caption" markdown="span">A</figcaption>\n</figure>\n\n'
            '<figure class="fig" id="fig-b" data-kind="fig" markdown="1">\n<figcaption class="caption" markdown="span">B</figcaption>\n</figure>\n\n'
            "$$\n\\label{e}\nx = 1\n$$\n\n"
            '<div class="table" id="tab-t" data-kind="tab" markdown="1">\n<p class="caption" markdown="span">T</p>\n\n| a |\n|---|\n| 1 |\n\n</div>\n')
    body = html_of(text)
    refs = re.findall(r'<a class="ref"[^>]*>([^<]*)</a>', body)
    assert refs == ["Figure 2", "Figure 1", "Table 1", "(1)"]
    assert re.findall(r'<span class="num">([^<]*)</span>', body) == ["Figure 1.", "Figure 2.", "(1)", "Table 1."]


def test_unknown_reference_fails():
    with pytest.raises(BuildError, match="@fig:nowhere"):
        html_of("See @fig:nowhere.")


def test_strict_undefined_names_template_and_line(tmp_path):
    (tmp_path / "t.md.j2").write_text("line one\n{{ r.q9.accuracy }}\n")
    with pytest.raises(BuildError, match=r"t\.md\.j2:2: .*q9"):
        Templates(tmp_path).render("t.md.j2", r={})


def test_template_syntax_error_names_template_and_line(tmp_path):
    (tmp_path / "t.md.j2").write_text("ok\n\n{% if %}\n")
    with pytest.raises(BuildError, match=r"t\.md\.j2:3"):
        Templates(tmp_path).render("t.md.j2")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_figure_numbers_match_between_html_and_pdf(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    templates = tmp_path / "templates"
    templates.mkdir()
    for name in ("base.html.j2", "style.css"):
        shutil.copy(document.__file__.replace("reportkit/document.py", f"templates/{name}"), templates / name)
    (templates / "report.md.j2").write_text(
        "# Section\n\nFirst @fig:two then @fig:one.\n\n{{ figure('one') }}\n\n{{ figure('two') }}\n")
    figures = {}
    for label in ("one", "two"):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1])
        fig.savefig(tmp_path / f"{label}.png")
        plt.close(fig)
        figures[label] = (tmp_path / f"{label}.png", f"Caption {label}.")
    build, figs = tmp_path / "build", tmp_path / "figures"
    build.mkdir()
    figures = document.copy_figures(figures, figs)
    meta = {"title": "T", "course": "C", "author": "A", "date": "D", "profile": "full", "seed": 0, "device": "cpu",
            "git": "g", "data_source": "d", "python": "3", "machine": "m", "versions": {}}
    out = document.build(document.DocumentInput([], {}, figures, meta), templates, build, figs, None)
    html_text = re.sub(r"<[^>]+>", "", out["html"].read_text())
    pdf_text = subprocess.run(["pdftotext", str(out["pdf"]), "-"], capture_output=True, text=True).stdout
    for text in (html_text, pdf_text):
        assert "First Figure 2 then Figure 1." in " ".join(text.split())
        assert re.findall(r"Figure \d\. Caption (\w+)", text) == ["one", "two"]
