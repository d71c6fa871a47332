"""The render spine: leftover math is caught, and figure numbers are the same in the HTML and the PDF."""
import json
import re
import shutil
import subprocess

import pytest

from reportkit import document
from reportkit.errors import BuildError
from reportkit.mathsvg import MathRenderer



def test_leftover_display_math_is_caught():
    body = document.markdown_to_html("A sentence with $$x^2$$ inside it.", MathRenderer())[0]
    with pytest.raises(BuildError, match="unrendered math"):
        document.lint(body)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_figure_numbers_match_between_html_and_pdf(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "base.html.j2").write_text(          # reportkit's only demand on a page: body, toc, css, mode
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>{{ css }}</style></head>"
        "<body class='{{ mode }}'>{{ body }}</body></html>")
    (templates / "style.css").write_text("body { font-family: 'DejaVu Serif'; }")
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
    layout = json.loads(out["pages"].read_text())
    assert layout["pages"] == pdf_text.count("\f") and layout["anchors"]["fig-one"] == 1
    assert layout["headings"] == [{"id": "section", "name": "Section"}]
    assert '<a class="zoom" href="../figures/one.png">' in out["html"].read_text()
    assert 'style="width:2.00in"' in out["html"].read_text()        # the figure's natural size (2 in at its dpi)
