"""One whole section rendered from frozen results, compared with stored files, as Python-Markdown's golden tests
do: templates/q5.md.j2 on the q5 results of tests/golden/results.json gives exactly tests/golden/q5.md, and
that Markdown gives exactly tests/golden/q5.html (figures, tables, findings, math and references resolved).

Figures are a stand-in PNG with a stand-in caption (captions are the parts' words, not the template's) and math
is marked instead of drawn, so nothing depends on a build, a date or a library's drawing.

After a deliberate change to the template, the rendering or the frozen results, regenerate the stored files and
read their diff before committing:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden_section.py
"""
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from reportkit import document
from reportkit.templating import Templates

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SECTION = "q5"
MATH = SimpleNamespace(render=lambda tex, display: f'<svg data-tex="{tex.strip()}" data-display="{int(display)}"/>')


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    """{"md": the section's Markdown, "html": its HTML body} from the frozen results."""
    png = tmp_path_factory.mktemp("figures") / "figure.png"
    Image.new("L", (300, 200), 255).save(png, dpi=(100, 100))           # 3 inches wide
    template = (ROOT / "templates" / f"{SECTION}.md.j2").read_text()
    labels = sorted(set(re.findall(r'figure\("([^"]+)"', template)))
    figures = {label: (png, f"Caption of {label}.") for label in labels}
    templates = Templates(ROOT / "templates", {"figure": document._figure_helper(figures, "figures"),
                                               "table": document.table})
    results = json.loads((GOLDEN / "results.json").read_text())
    text = templates.render(f"{SECTION}.md.j2", sections=[], r={SECTION: results[SECTION]}, meta={})
    body = document.caption_alt(document.markdown_to_html(text, MATH)[0])
    document.lint(body)
    return {"md": text, "html": body + "\n"}


@pytest.mark.parametrize("kind", ["md", "html"])
def test_the_section_renders_as_stored(rendered, kind):
    stored = GOLDEN / f"{SECTION}.{kind}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        stored.write_text(rendered[kind])
    assert rendered[kind] == stored.read_text(), f"{stored} differs; see this file's docstring to regenerate it"
