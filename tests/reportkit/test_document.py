"""The render spine: leftover math is caught, and figure numbers are the same in the HTML and the PDF."""
import hashlib
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


def test_a_damaged_cached_pdf_is_laid_out_again(tmp_path, monkeypatch):
    layouts = []

    def fake_layout(page, base_url):
        layouts.append(page)
        return b"%PDF-1.7 " + page.encode() + b"\n%%EOF", {"pages": 1, "anchors": {}}

    monkeypatch.setattr(document, "html_to_pdf", fake_layout)
    notices = []
    first = document.cached_pdf("<p>page</p>", tmp_path, tmp_path / "figures", tmp_path / "pdf", notices.append)
    assert document.cached_pdf("<p>page</p>", tmp_path, tmp_path / "figures", tmp_path / "pdf", notices.append) == first
    assert len(layouts) == 1 and notices == []                       # the second came from the cache
    cached = next((tmp_path / "pdf").glob("*.pdf"))
    cached.write_bytes(cached.read_bytes()[:-6])                     # truncated, as by a full disk
    assert document.cached_pdf("<p>page</p>", tmp_path, tmp_path / "figures", tmp_path / "pdf", notices.append) == first
    assert len(layouts) == 2 and len(notices) == 1 and "damaged" in notices[0] and "\n" not in notices[0]


def site_inputs(tmp_path, figure_names=("a.png",)):
    """A rendered report.html (+ PDF) that uses these figures, as publish receives them."""
    build, figs = tmp_path / "build", tmp_path / "figures"
    build.mkdir(exist_ok=True)
    figs.mkdir(exist_ok=True)
    for name in figure_names:
        (figs / name).write_bytes(b"png " + name.encode())
    (build / "report.html").write_text("".join(f'<img src="../figures/{n}">' for n in figure_names))
    (build / "report.pdf").write_bytes(b"%PDF")
    return build / "report.html", figs


def test_publish_never_touches_a_file_it_did_not_write(tmp_path):
    site = tmp_path / "www"
    (site / "figures").mkdir(parents=True)
    (site / "notes.txt").write_text("mine")
    (site / "figures" / "holiday.jpg").write_text("mine too")
    html, figs = site_inputs(tmp_path)
    document.publish(html, figs, site)
    assert (site / "notes.txt").read_text() == "mine" and (site / "figures" / "holiday.jpg").read_text() == "mine too"
    assert (site / "figures" / "a.png").is_file() and (site / "index.html").is_file()
    html, figs = site_inputs(tmp_path, ("b.png",))                   # a later build drops a.png
    document.publish(html, figs, site)
    assert not (site / "figures" / "a.png").exists()                 # its own stale figure goes
    assert (site / "figures" / "holiday.jpg").read_text() == "mine too"


@pytest.mark.parametrize("theirs", ["index.html", "report.pdf", "figures/a.png"])
def test_publish_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, theirs):
    site = tmp_path / "www"
    (site / theirs).parent.mkdir(parents=True, exist_ok=True)
    (site / theirs).write_text("the user's own")
    html, figs = site_inputs(tmp_path)
    with pytest.raises(BuildError, match="was not written by this tool") as error:
        document.publish(html, figs, site)
    assert "\n" not in str(error.value) and theirs.split("/")[-1] in str(error.value)
    assert (site / theirs).read_text() == "the user's own"
    assert [str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()] == [theirs]     # nothing written


def test_publish_refuses_a_file_changed_since_it_wrote_it_and_follows_no_link_out(tmp_path):
    site = tmp_path / "www"
    html, figs = site_inputs(tmp_path)
    document.publish(html, figs, site)
    (site / "index.html").write_text("edited by hand")
    with pytest.raises(BuildError, match="changed since"):
        document.publish(html, figs, site)
    assert (site / "index.html").read_text() == "edited by hand"
    other = tmp_path / "other"
    other.mkdir()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "figures").symlink_to(other)
    with pytest.raises(BuildError, match="leads outside"):
        document.publish(html, figs, linked)
    assert list(other.iterdir()) == []


def test_publish_removes_nothing_that_a_record_it_did_not_seal_claims(tmp_path, capsys):
    site = tmp_path / "www"
    (site / "figures").mkdir(parents=True)
    (site / "notes.txt").write_text("mine")
    (site / "figures" / "holiday.jpg").write_text("mine too")
    mine = ("notes.txt", "figures/holiday.jpg")
    claims = {rel: hashlib.sha256((site / rel).read_bytes()).hexdigest() for rel in mine}     # right digests
    (site / document.SITE_MANIFEST).write_text(json.dumps({"files": claims}))    # by hand, or an older version's
    html, figs = site_inputs(tmp_path)
    document.publish(html, figs, site)
    assert (site / "notes.txt").read_text() == "mine" and (site / "figures" / "holiday.jpg").read_text() == "mine too"
    said = capsys.readouterr().out.strip()
    assert "\n" not in said and f"{document.SITE_MANIFEST}, the record of what publish wrote, is damaged" in said
    document.publish(html, figs, site)                                # the record it wrote then is sound
    assert capsys.readouterr().out == "" and (site / "notes.txt").is_file()


def test_publish_on_a_damaged_record_overwrites_nothing_and_says_why(tmp_path):
    site = tmp_path / "www"
    html, figs = site_inputs(tmp_path)
    document.publish(html, figs, site)
    record = site / document.SITE_MANIFEST
    record.write_bytes(record.read_bytes()[:-10])                    # truncated, as by a full disk
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    with pytest.raises(BuildError, match=r"index\.html may not have been written by this tool .* is damaged") as error:
        document.publish(html, figs, site)
    assert "\n" not in str(error.value)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_publish_into_its_own_folder_replaces_what_is_there(tmp_path):
    site = tmp_path / "build" / "site"
    (site / "figures").mkdir(parents=True)
    (site / "index.html").write_text("from an older version")
    html, figs = site_inputs(tmp_path)
    document.publish(html, figs, site, own_folder=True)
    assert (site / "index.html").read_text().startswith('<img src="figures/a.png"')


def test_figures_take_their_caption_as_alt_text_and_an_image_without_one_fails():
    body = ('<figure class="fig" id="fig-a"><img src="a.png" style="width:1in">\n<figcaption class="caption">'
            '<span class="num">Figure 1.</span> Loss of <span class="math"><svg class="math"><title>x &lt; 1</title>'
            '<path d=""/></svg></span> "runs", see <a href="#t">Table 2</a>.</figcaption></figure>')
    assert '<img alt="Loss of x &lt; 1 &quot;runs&quot;, see Table 2." src="a.png"' in document.caption_alt(body)
    with pytest.raises(BuildError, match="without alternative text"):
        document.lint('<p><img src="b.png"></p>')


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_is_tagged_with_alt_text_and_header_scopes(tmp_path):
    """PDF/UA-1: marked, language and title, /Alt on figures (the caption) and math (its TeX), table header
    cells with a /Scope, headings kept in order; and the tagging options are part of the PDF cache key."""
    pikepdf = pytest.importorskip("pikepdf")
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>T</title></head><body>'
            '<h1>One</h1><p>Math <svg class="math" role="img" width="1em" height="1em" viewBox="0 0 10 10">'
            '<title>\\alpha</title><rect width="5" height="5"/></svg>.</p><h2>Two</h2>'
            '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>'
            '</body></html>')
    cache = tmp_path / "pdf"
    pdf_bytes, _ = document.cached_pdf(page, tmp_path, tmp_path / "figures", cache)
    (tmp_path / "out.pdf").write_bytes(pdf_bytes)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert pdf.Root.MarkInfo.Marked and str(pdf.Root.Lang) == "en" and pdf.Root.ViewerPreferences.DisplayDocTitle
        assert b"pdfuaid:part" in pdf.Root.Metadata.read_bytes()
        elements = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructElem"]
        roles = [str(e.S) for e in elements]
        assert [r for r in roles if r.startswith("/H")] == ["/H1", "/H2"]
        assert [str(e.Alt) for e in elements if e.S == "/Figure"] == ["\\alpha"]
        assert [str(e.A.Scope) for e in elements if e.S == "/TH"] == ["/Column", "/Column"]
    assert len(list(cache.glob("*.pdf"))) == 1
    document.PDF_OPTIONS, saved = {"pdf_variant": "pdf/ua-2"}, document.PDF_OPTIONS
    try:
        document.cached_pdf(page, tmp_path, tmp_path / "figures", cache)
    finally:
        document.PDF_OPTIONS = saved
    assert len(list(cache.glob("*.pdf"))) == 2                      # other options: another cache entry


def test_the_screen_page_is_traceable_and_the_print_page_as_before(tmp_path, monkeypatch):
    """report.html: numbers in data-metric spans (a formula's on its wrapper), figures with their part, a source
    button and the sources as JSON. The page WeasyPrint lays out: none of it, not even an invisible mark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "base.html.j2").write_text(
        "<body>{{ body }}{% if sources %}<script type='application/json' id='sources'>{{ sources }}</script>"
        "{% endif %}</body>")
    (templates / "style.css").write_text("")
    (templates / "report.md.j2").write_text("# S {{ r.q.n }}\n\n{{ r.q.acc | pct }} of {{ r.q.n }} ($n = {{ r.q.n }}$).\n\n"
                                            "{{ figure('one') }}\n")
    fig, ax = plt.subplots(figsize=(1, 1))
    fig.savefig(tmp_path / "one.png")
    plt.close(fig)
    build, figs = tmp_path / "build", tmp_path / "figures"
    build.mkdir()
    figures = document.copy_figures({"one": (tmp_path / "one.png", "A caption.")}, figs)
    laid_out = []
    monkeypatch.setattr(document, "html_to_pdf", lambda page, base_url: (laid_out.append(page) or b"%PDF", {}))
    sources = {"parts": {"q.draw": {"code": "</script>"}}, "owners": {"q.acc": "q.draw"}, "figures": {"one": "q.draw"}}
    out = document.build(document.DocumentInput([], {"q": {"acc": 0.8123, "n": 7}}, figures, {}, sources=sources),
                         templates, build, figs, None)
    screen = out["html"].read_text()
    assert '<span class="metric" data-metric="q.acc" tabindex="0">81.2\u00a0%</span> of <span class="metric" ' \
           'data-metric="q.n" tabindex="0">7</span> (<span class="math metric" data-metric="q.n" tabindex="0"><svg' \
           in screen
    assert '<figure class="fig" data-part="q.draw"' in screen and 'class="source-button" data-part="q.draw"' in screen
    assert '\\u003c/script\\u003e' in screen and "</script>" not in screen.split("id='sources'>")[1][:-len("</script></body>")]
    assert '<h1 id="s-7">S <span class="metric" data-metric="q.n" tabindex="0">7</span><a class="anchor"' in screen
    assert json.loads(out["pages"].read_text())["headings"] == [{"id": "s-7", "name": "S 7"}]
    printed = laid_out[0]
    assert "81.2\u00a0% of 7 (<span class=\"math\"><svg" in printed
    assert not re.search("data-metric|data-part|source|[\ue000-\ue003\ue100-\ue17f]", printed)


@pytest.mark.parametrize("theirs", [b"not the build's", b"png a"], ids=["other-content", "same-content"])
def test_copying_figures_replaces_a_link_planted_at_one(tmp_path, theirs):
    src = tmp_path / "entry" / "a.png"
    src.parent.mkdir()
    src.write_bytes(b"png a")
    outside = tmp_path / "outside.png"
    outside.write_bytes(theirs)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.png").symlink_to(outside)
    copied = document.copy_figures({"a": (src, "A caption.")}, tmp_path / "figures")
    assert copied == {"a": (tmp_path / "figures" / "a.png", "A caption.")}
    assert not copied["a"][0].is_symlink() and copied["a"][0].read_bytes() == b"png a"
    assert outside.read_bytes() == theirs
