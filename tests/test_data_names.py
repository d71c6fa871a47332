"""Names that come from the data (class folders, CIFAR-10's batches.meta) are text wherever they land: the writeup
rendered from frozen results whose class names carry markup prints every one as typed, and a smoke build on a
data root with such names publishes a page that runs none of it, with figures drawn as typed.
"""
from __future__ import annotations

import html
import json
import pickle
import re
import shutil
from pathlib import Path

import pytest

from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "tests" / "golden" / "results.json"
MARKUP = " <svg onload=alert(1)> $x^2$ *em* `t` [a](b) &amp;"


def hostile(value, names: set[str]):
    """The results with every string that is a class name (as loaded, or as shown with spaces) followed by MARKUP."""
    if isinstance(value, dict):
        return {hostile(k, names): hostile(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v, names) for v in value]
    return value + MARKUP if isinstance(value, str) and value in names else value


def render_body(results: dict) -> str:
    """The whole writeup's body HTML from these results, with figures and listings stubbed."""
    from report import project
    from reportkit.document import markdown_to_html, table
    from reportkit.mathsvg import MathRenderer
    from reportkit.templating import Templates, plain_strings
    from reportkit.tracked import track, unmark

    def figure(label, width=None):
        return (f'<figure class="fig" id="fig-{label}" data-kind="fig" markdown="1">\n<img src="x.png">\n'
                f'<figcaption class="caption" markdown="span">caption</figcaption>\n</figure>\n')

    sections = [{"id": s.id, "title": s.title, "template": s.template, "built": s.id in results, "note": ""}
                for s in project().sections]
    templates = Templates(ROOT / "templates", {"figure": figure, "listing": lambda *a, **k: "", "table": table})
    meta = results["meta"]
    text = templates.render("report.md.j2", sections=sections, meta=meta,
                           r=track(plain_strings({k: v for k, v in results.items() if k != "meta"})))
    return unmark(markdown_to_html(text, MathRenderer())[0])


def test_class_names_with_markup_print_as_typed_in_every_template():
    frozen = json.loads(FROZEN.read_text())
    names = set(frozen["q6_1"]["cifar"]["names"]) | set(frozen["q6_2"]["classes"])
    names |= {n.replace("_", " ") for n in names}
    body = render_body({k: hostile(v, names) if k != "meta" else v for k, v in frozen.items()})
    assert "<svg onload" not in body and "<em>em</em>" not in body and 'href="b"' not in body
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    printed = text.count(MARKUP.strip())
    assert printed >= 30, "the class names are no longer printed: the test lost its subject"
    assert printed == text.count("<svg onload"), "a class name printed with part of its markup eaten"


# ---------------------------------------------------------------- end to end, on a data root with such names
FLOWER_RENAMES = {0: "<svg onload=alert(1)>", 1: "$x^2$ *em*", 2: r"$\notamacro{$ & <b>"}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, fixture_root):
    """A copy of the fixture data root whose first Flowers-17 classes and CIFAR-10 names carry markup, built
    (smoke, the sections that print those names) and published."""
    root = tmp_path_factory.mktemp("hostile-data") / "hw5data"
    shutil.copytree(fixture_root, root)
    for split in (root / "data" / "oxford-flowers17").iterdir():
        classes = sorted(p for p in split.iterdir() if p.is_dir())
        for i, new in FLOWER_RENAMES.items():
            classes[i].rename(split / f"{classes[i].name} {new}")
    meta = root / "data" / "cifar-10-batches-py" / "batches.meta"
    table = pickle.loads(meta.read_bytes())
    table[b"label_names"][0] += b" <img src=x onerror=alert(2)> $y$"
    meta.write_bytes(pickle.dumps(table))
    out = tmp_path_factory.mktemp("hostile-out")
    code, stdout = run_main(["--section", "q6_1", "--section", "q6_2", "--profile", "smoke", "--data", str(root),
                             "--out", str(out), "--publish"])
    assert code == 0, stdout
    return out


@pytest.mark.slow
def test_a_page_built_from_hostile_class_names_runs_none_of_them(hostile_build, browser):
    site = hostile_build / "build" / "site" / "index.html"
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site.as_uri())
    page.wait_for_load_state("load")
    assert dialogs == []
    assert page.locator("svg[onload], img[onerror]").count() == 0
    assert page.locator("em", has_text=re.compile(r"^em$")).count() == 0
    text = page.inner_text("body")
    for name in FLOWER_RENAMES.values():
        assert name.replace("_", " ") in text
    assert "<img src=x onerror=alert(2)> $y$" in text
    page.close()


@pytest.mark.slow
def test_the_pdf_prints_hostile_class_names_as_typed(hostile_build):
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(hostile_build / "build" / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "<svg onload=alert(1)>" in " ".join(text.split())
