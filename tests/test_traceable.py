"""Traceable HTML on the smoke build: every number printed from the results names its metric (`data-metric`) and
prints that metric's value, every figure names its part (`data-part`), the page carries each part's source as
JSON, and in a browser hovering or focusing a number (or a figure's "source" button) shows where it came from."""
import json
import re
from html import unescape

import pytest

pytestmark = pytest.mark.slow
NUMBER = re.compile(r"(-?\d+(?:\.(\d+))?(?:e([+-]\d+))?)(\u00a0(%|[A-Za-z]+))?")
STEP = re.compile(r'\.([A-Za-z_]\w*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


@pytest.fixture(scope="module")
def pages(smoke_build):
    build = smoke_build[0] / "build"
    return {"html": (build / "report.html").read_text(), "site": (build / "site" / "index.html").read_text(),
            "results": json.loads((build / "results.json").read_text())}


def lookup(results: dict, path: str):
    """The value at a metric path (q3.rows[0].lr, q4.per_image["a.jpg"].n); KeyError/IndexError when none."""
    head = re.match(r"[A-Za-z_]\w*", path)
    value, at = results[head.group()], head.end()
    while at < len(path):
        step = STEP.match(path, at)
        assert step, f"{path}: not a metric path at {path[at:]!r}"
        name, index, quoted = step.groups()
        value = value[int(index)] if index else value[json.loads(quoted) if quoted else name]
        at = step.end()
    return value


def prints(text: str, value) -> bool:
    """Whether `text` (as pct, num, fixed, unit or plain printing write it) is `value` to the digits shown."""
    number = NUMBER.fullmatch(text)
    if number is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    digits, exponent = len(number.group(2) or ""), int(number.group(3) or 0)
    shown = 100 * value if number.group(5) == "%" else value
    return abs(float(number.group(1)) - shown) <= 0.5 * 10 ** (exponent - digits) * (1 + 1e-9) + 1e-12 * abs(shown)


def sources_of(page: str) -> dict:
    blob = re.search(r'<script type="application/json" id="sources">(.*?)</script>', page, re.S)
    return json.loads(blob.group(1))


def test_every_printed_number_is_its_metric(pages):
    for page in (pages["html"], pages["site"]):
        spans = re.findall(r'<span class="metric" data-metric="([^"]+)" tabindex="0">([^<]*)</span>', page)
        assert len(spans) > 300
        wrong = [(path, text) for path, text in spans if not prints(unescape(text), lookup(pages["results"],
                                                                                           unescape(path)))]
        assert wrong == []
        formulas = re.findall(r'class="math[^"]* metric" data-metric="([^"]+)"', page)
        assert len(formulas) > 20
        for paths in formulas:
            for path in unescape(paths).split(" "):
                assert isinstance(lookup(pages["results"], path), (int, float)), path


def test_known_numbers_carry_their_paths(pages):
    results, page = pages["results"], pages["html"]
    accuracy = f"{100 * results['q3']['valid_accuracy']:.1f}\u00a0%"
    assert f'<span class="metric" data-metric="q3.valid_accuracy" tabindex="0">{accuracy}</span>' in page
    epochs = results["q3"]["config"]["train"]["training"]["epochs"]
    assert f'<span class="metric" data-metric="q3.config.train.training.epochs" tabindex="0">{epochs}</span>' in page
    assert re.search(r'<td><span class="metric" data-metric="q3\.findings\.sweep_rows\[0\]\.lr"', page)  # a table


def test_every_figure_names_its_part_and_has_a_source_button(pages):
    for page in (pages["html"], pages["site"]):
        figures = re.findall(r"<figure\b[^>]*>", page)
        assert len(figures) > 10 and all(re.search(r' data-part="q[\w.]+"', f) for f in figures), figures
        assert page.count('class="source-button"') == len(figures)
    assert re.search(r'<figure [^>]*data-part="q3\.figures"[^>]*id="fig-q3-lr-curves"', pages["html"])


def test_the_sources_name_every_part_and_own_every_metric(pages):
    sources, meta = sources_of(pages["site"]), pages["results"]["meta"]
    assert sorted(sources["parts"]) == sorted(meta["parts"])
    train = sources["parts"]["q3.train"]
    assert train["function"] == "experiments.q3_nist_mlp.run_training" and train["code"].startswith("def run_training")
    assert train["config"]["training"]["epochs"] == pages["results"]["q3"]["config"]["train"]["training"]["epochs"]
    assert re.fullmatch(r"[0-9a-f]{20}", train["key"]) and train["seconds"] >= 0 and train["created"].endswith("UTC")
    for path in re.findall(r'data-metric="([^"]+)"', pages["html"]):
        for one in unescape(path).split(" "):
            prefixes = [one[:m.start()] for m in re.finditer(r"[.\[]", one)] + [one]
            assert any(p in sources["owners"] for p in prefixes), one
    assert "</script" not in re.search(r'id="sources">(.*?)</script>', pages["html"], re.S).group(1)


def test_the_pdf_has_no_source_controls(smoke_build):
    import subprocess

    text = subprocess.run(["pdftotext", str(smoke_build[0] / "build" / "report.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "Figure 1." in text and "source of Figure" not in text


@pytest.mark.parametrize("width", [1280, 390])
def test_hover_focus_and_the_source_button_show_the_panel(smoke_build, browser, width):
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": width, "height": 800})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((smoke_build[0] / "build" / "site" / "index.html").as_uri())
    panel = page.locator("#source-panel")
    assert panel.is_hidden()
    page.locator('[data-metric="q3.valid_accuracy"]').first.hover()
    assert panel.is_visible() and "part q3.train" in panel.inner_text()
    assert "experiments.q3_nist_mlp.run_training" in panel.inner_text()
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)
    assert panel.is_hidden()

    page.focus("#q3-training-models a.anchor")                         # then the keyboard: Tab to a number
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-metric')"):
            break
    number = page.evaluate("document.activeElement.getAttribute('data-metric')")
    assert number.startswith("q3.") and panel.is_visible() and "part q3." in panel.inner_text()
    page.keyboard.press("Enter")                                       # into the panel, to read and scroll it
    assert page.evaluate("document.activeElement.id") == "source-panel"
    page.keyboard.press("Escape")
    assert panel.is_hidden() and page.evaluate("document.activeElement.getAttribute('data-metric')") == number

    button = page.locator('figure[data-part="q3.figures"] .source-button').first
    button.click()
    assert panel.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert "part q3.figures" in panel.inner_text() and "def draw(" in panel.locator("pre").inner_text()
    assert panel.bounding_box()["x"] >= 0 and panel.bounding_box()["x"] + panel.bounding_box()["width"] <= width
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []                                               # with the panel open too
    page.keyboard.press("Escape")
    assert panel.is_hidden() and button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.className") == "source-button"
    assert errors == []
    page.close()
