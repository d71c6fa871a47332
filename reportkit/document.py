"""The renderer spine: templates -> Markdown -> HTML (math as SVG, numbered) -> report.html + report.pdf.

It knows nothing about neural networks: it receives metrics, figure files and metadata as plain data.

Traceable: in report.html every number printed from the results carries its metric path (`data-metric`, see
reportkit.tracked) and every figure the part that drew it (`data-part`, with a "source" button); the page embeds
where each part's results came from (reportkit.sources) for its source panel. The PDF gets none of it.
"""
from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from markupsafe import Markup

from reportkit.files import copy_atomic, parse_json, read_sealed, real_folder, sha256_bytes, sha256_file, write_atomic, write_sealed
from reportkit.codestyle import ListingStyle
from reportkit.errors import BuildError
from reportkit.listing import listing_helper
from reportkit.mathsvg import MathRenderer
from reportkit.mdext import ReportExtension
from reportkit.sources import script_json
from reportkit.templating import Templates, plain_strings
from reportkit.tracked import spans, track, unmark

LEFTOVER_MATH = re.compile(r"\$\$|\$<span class=\"math\">|\\begin\{|\\\(|\\\[")
CODE = re.compile(r"<(code|pre)\b.*?</\1>", re.S)
FIGURE = re.compile(r'<figure class="fig"[^>]*>.*?</figure>', re.S)
CAPTION = re.compile(r"<figcaption[^>]*>(.*?)</figcaption>", re.S)


@dataclass
class DocumentInput:
    """Everything the document shows. `sections`: dicts with id, title, template, built, note."""

    sections: list[dict[str, Any]]
    results: dict[str, dict[str, Any]]          # section id -> metrics
    figures: dict[str, tuple[Path, str]]        # label -> (file, caption Markdown)
    meta: dict[str, Any]
    root: Path | None = None                    # where `listing(path, *names)` reads source files
    sources: dict | None = None                 # reportkit.sources.part_sources: the page's source panel


def png_inches(file: Path) -> float | None:
    """A PNG's width in inches from its pHYs chunk (matplotlib writes the savefig dpi there), else None."""
    data = file.read_bytes()[:4096]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width = struct.unpack(">I", data[16:20])[0]
    at = data.find(b"pHYs")
    if at < 0:
        return None
    per_metre, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
    return width / (per_metre * 0.0254) if unit == 1 and per_metre else None


def _figure_helper(figures: dict[str, tuple[Path, str]], fig_dir_name: str):
    def figure(label: str, width: str | None = None) -> str:
        """A numbered figure, printed at its natural size (so every figure's text has the size it was drawn
        with) unless `width` is given; never wider than the text."""
        if label not in figures:
            raise BuildError(f"figure {label!r} was not produced by any part "
                             f"(known: {', '.join(sorted(figures)) or 'none'})")
        file, caption = figures[label]
        inches = png_inches(file)
        size = width or (f"{inches:.2f}in" if inches else "100%")
        return (f'<figure class="fig" id="fig-{label}" data-kind="fig" markdown="1">\n'
                f'<img src="{fig_dir_name}/{file.name}" style="width:{size}">\n'
                f'<figcaption class="caption" markdown="span">{caption}</figcaption>\n</figure>\n')
    return figure


def table(label: str, caption: str, caller) -> str:
    """`{% call table("label", "caption") %} | Markdown | table | {% endcall %}` -> a numbered table."""
    return (f'<div class="table" id="tab-{label}" data-kind="tab" markdown="1">\n'
            f'<p class="caption" markdown="span">{caption}</p>\n\n{caller().strip()}\n\n</div>\n')


def markdown_to_html(text: str, math: MathRenderer) -> tuple[str, list[dict]]:
    md = markdown.Markdown(
        extensions=["tables", "attr_list", "md_in_html", "toc", "pymdownx.arithmatex", "pymdownx.superfences",
                    "pymdownx.highlight", ReportExtension(math)],
        extension_configs={
            "pymdownx.arithmatex": {"generic": True, "smart_dollar": True},
            "pymdownx.highlight": {"use_pygments": True, "noclasses": True, "pygments_style": ListingStyle},
            "toc": {"toc_depth": "1-2"},
        })
    body = md.convert(text)
    return body, md.toc_tokens


def plain_text(fragment: str) -> str:
    """A rendered caption as one line of text: math as its TeX (the SVG's <title>), the "Figure n." left out."""
    fragment = re.sub(r'<span class="num">.*?</span>', "", fragment, flags=re.S)
    fragment = re.sub(r"<svg\b.*?<title>(.*?)</title>.*?</svg>", r"\1", fragment, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def caption_alt(body: str) -> str:
    """Each figure's image gets its caption as alternative text (the HTML's alt, the PDF's /Alt)."""
    def one(figure: re.Match) -> str:
        caption = CAPTION.search(figure.group())
        if caption is None:
            return figure.group()
        alt = html.escape(plain_text(caption.group(1)), quote=True)
        return re.sub(r"<img (?![^>]*\balt=)", lambda _: f'<img alt="{alt}" ', figure.group())
    return FIGURE.sub(one, body)


def lint(body: str) -> None:
    """Math that escaped the math stage would print as raw TeX, an image without alt text is lost to a screen
    reader and untagged in the PDF: fail instead."""
    stripped = CODE.sub("", body)
    leftover = LEFTOVER_MATH.search(stripped)
    if leftover:
        context = stripped[max(0, leftover.start() - 60): leftover.end() + 60].replace("\n", " ")
        raise BuildError(f"unrendered math {leftover.group()!r} in the HTML near: …{context}… "
                         "(display math needs blank lines around $$ … $$)")
    no_alt = re.search(r"<img (?![^>]*\balt=)[^>]*>", stripped)
    if no_alt:
        raise BuildError(f"an image without alternative text: {no_alt.group()} (put it in a figure with a caption)")


def screen_body(body: str, fig_dir_name: str) -> str:
    """The body for browsers: a link on every section heading, figures that open full size on click, and code
    blocks and tables (which may scroll sideways on a phone) reachable by keyboard."""
    body = body.replace('<div class="highlight"', '<div class="highlight" tabindex="0"')
    body = body.replace("<table>", '<table tabindex="0">')
    body = re.sub(r'<(h[1-3]) id="([^"]+)">(.*?)</\1>',
                  r'<\1 id="\2">\3<a class="anchor" href="#\2" aria-label="Link to this section">#</a></\1>', body)
    return re.sub(rf'(<img [^>]*?src="({re.escape(fig_dir_name)}/[^"]+)"[^>]*>)', r'<a class="zoom" href="\2">\1</a>',
                  body)


def traceable_figures(body: str, figure_parts: dict[str, str]) -> str:
    """Each figure names the part that drew it (`data-part`) and gets a "source" button under its caption that
    opens the page's source panel on that part."""
    def one(figure: re.Match) -> str:
        label = re.match(r'<figure class="fig"[^>]* id="fig-([^"]+)"', figure.group())
        part = figure_parts.get(label.group(1)) if label else None
        if part is None:
            return figure.group()
        part = html.escape(part, quote=True)
        number = re.search(r'<span class="num">([^<]*?)\.?</span>', figure.group())
        button = (f'\n<button type="button" class="source-button" data-part="{part}" aria-controls="source-panel" '
                  f'aria-expanded="false">source<span class="visually-hidden"> of '
                  f'{number.group(1) if number else "this figure"}</span></button>')
        marked = figure.group().replace('<figure class="fig"', f'<figure class="fig" data-part="{part}"', 1)
        return marked.replace("</figcaption>", "</figcaption>" + button, 1)
    return FIGURE.sub(one, body)


def build(doc: DocumentInput, templates_dir: Path, build_dir: Path, fig_dir: Path,
          math_cache: Path | None, pdf: bool = True, warn=print) -> dict[str, Path]:
    """Render the whole document: report.html for screens and, unless pdf is False, report.pdf with pages.json
    (its page count, the page of every anchor, the top-level headings). Returns the written files."""
    fig_rel = str(os.path.relpath(fig_dir, build_dir))
    helpers = {"figure": _figure_helper(doc.figures, fig_rel), "table": table}
    if doc.root is not None:
        helpers["listing"] = listing_helper(doc.root)
    templates = Templates(templates_dir, helpers)
    context = {"sections": doc.sections, "r": track(plain_strings(doc.results)), "meta": doc.meta}
    text = templates.render("report.md.j2", **context)
    math = MathRenderer(math_cache)
    body, toc = markdown_to_html(text, math)
    if math.damaged:
        warn(f"cache: {math.damaged} cached math drawing(s) were damaged or from an older version; drawn again")
    body = caption_alt(body)
    lint(body)
    # What the build made itself is Markup, so the page template's autoescaping leaves it alone.
    css = Markup((templates_dir / "style.css").read_text())
    screen_css = Markup((templates_dir / "screen.css").read_text() if (templates_dir / "screen.css").is_file() else "")
    anchors = {unmark(h["name"]): h["id"] for h in toc}     # heading text -> its id, for links to sections
    page = functools.partial(templates.render, "base.html.j2", toc=_markup_names(toc), css=css,
                             screen_css=screen_css, anchors=anchors, sources=None, **context)
    html_path, pdf_path = build_dir / "report.html", build_dir / "report.pdf"
    screen = screen_body(body, fig_rel)
    if doc.sources:
        screen = traceable_figures(screen, doc.sources["figures"])
    sources = Markup(script_json(doc.sources)) if doc.sources else None
    write_atomic(html_path, spans(page(body=Markup(screen), mode="screen", sources=sources)).encode())
    outputs = {"html": html_path}
    if pdf:
        pdf_bytes, pages = cached_pdf(unmark(page(body=Markup(body), mode="print")), build_dir, fig_dir,
                                      math_cache.parent / "pdf" if math_cache else None, warn)
        write_atomic(pdf_path, pdf_bytes)
        pages["headings"] = [{"id": h["id"], "name": unmark(h["name"])} for h in toc]      # the top-level headings
        write_atomic(build_dir / "pages.json", json.dumps(pages, indent=1).encode())
        outputs.update(pdf=pdf_path, pages=build_dir / "pages.json")
    return outputs


def _markup_names(toc: list[dict]) -> list[dict]:
    """The contents with each heading's name as Markup: Markdown already escaped it (`A &amp; B`); a number in
    a heading is traced where the heading is, not in the contents."""
    return [{**h, "name": Markup(unmark(h["name"])), "children": _markup_names(h.get("children", []))} for h in toc]


def cached_pdf(page: str, build_dir: Path, fig_dir: Path, cache_dir: Path | None,
               warn=print) -> tuple[bytes, dict]:
    """(PDF, its layout as html_to_pdf gives it): a pure function of the HTML, the figure bytes and WeasyPrint,
    reused when none changed and the sealed cached copy is sound (a damaged one is said and laid out again)."""
    if cache_dir is None:
        return html_to_pdf(page, base_url=build_dir)
    from importlib.metadata import version

    figures = sorted(p for p in fig_dir.glob("*") if p.is_file()) if fig_dir.is_dir() else []
    parts = [page.encode(), version("weasyprint").encode(), json.dumps([PDF_OPTIONS, HEADER_SCOPE]).encode()] + \
        [p.name.encode() + p.read_bytes() for p in figures]
    key = sha256_bytes(b"\0".join(parts))[:24]
    cached, layout = cache_dir / f"{key}.pdf", cache_dir / f"{key}.pages.json"
    if cached.exists() or layout.exists():
        pdf, pages = read_sealed(cached), read_sealed(layout)
        try:
            if pdf is not None and pages is not None:
                return pdf, parse_json(pages)
        except ValueError:
            pass
        warn(f"cache: the cached PDF {cached.name} is damaged or from an older version; laying it out again")
    pdf, pages = html_to_pdf(page, base_url=build_dir)
    write_sealed(cached, pdf)
    write_sealed(layout, json.dumps(pages).encode())
    for old in sorted(cache_dir.glob("*.pdf"), key=lambda p: p.stat().st_mtime_ns)[:-3]:
        old.unlink(missing_ok=True)
        old.with_suffix(".pages.json").unlink(missing_ok=True)
    return pdf, pages


# Tagged PDF/UA-1: a structure tree (headings, paragraphs, lists, tables with header cells, links), the
# document language and title, XMP metadata that claims PDF/UA, and /Alt on every figure (an <img>'s alt, an
# inline <svg>'s <title>: how math gets its TeX as text). With _header_scope's version, part of the PDF cache key.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}
HEADER_SCOPE = 1                # bump when _header_scope changes what it writes


def _header_scope(document, pdf) -> None:
    """WeasyPrint finisher: /Scope on every header cell, Column in a table's head and Row elsewhere. WeasyPrint
    ties data cells to their headers by /Headers and /ID only; readers and checkers that look at /Scope need it."""
    import pydyf

    def parent(element):
        return pdf.objects[int(element["P"].split()[0])]

    for element in pdf.objects:
        if isinstance(element, pydyf.Dictionary) and element.get("S") == "/TH":
            element["A"]["Scope"] = "/Column" if parent(parent(element)).get("S") == "/THead" else "/Row"


def html_to_pdf(page: str, base_url: Path) -> tuple[bytes, dict]:
    """The PDF, and its layout: {"pages": count, "anchors": {element id: 1-based page}}."""
    import weasyprint        # 0.7 s to import: only when a PDF is written

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=page, base_url=str(base_url) + "/").render(**PDF_OPTIONS)
    anchors = {}
    for number, laid_out in enumerate(document.pages, start=1):
        for anchor in laid_out.anchors:
            anchors.setdefault(anchor, number)
    pdf = document.write_pdf(finisher=_header_scope, **PDF_OPTIONS)
    return pdf, {"pages": len(document.pages), "anchors": anchors}


SITE_MANIFEST = ".hw5report-site.json"     # in a published folder: the files publish wrote, with their digests


def publish(html_file: Path, fig_dir: Path, site: Path, own_folder: bool = False,
            extra: dict[str, bytes] | None = None, warn=print) -> Path:
    """A self-contained static site: index.html (CSS, math and its small script inline), figures/ and the PDF
    beside it, and the `extra` pages and files (relative path -> bytes); works from file://.

    The folder may hold other files: publish writes and removes only the files it wrote before (listed with their
    digests in SITE_MANIFEST), and refuses, naming it, a file it would overwrite that it did not write or that
    was changed since — unless the folder is the tool's own (`own_folder`: under build/).

    The record is sealed like the cache (reportkit.files): one edited by hand, damaged, or unsealed (an older
    version's) could claim the user's files, so it counts for nothing: no file is removed, none that exists is
    overwritten (outside the tool's own folder), and one line says so. It stays in the site, not under build/,
    because it describes that folder: publishing it from another --out or clone, or moving it, keeps it right."""
    page = html_file.read_text()
    fig_prefix = os.path.relpath(fig_dir, html_file.parent)
    used = sorted(set(re.findall(rf'src="{re.escape(fig_prefix)}/([^"]+)"', page)))
    page = page.replace(f'src="{fig_prefix}/', 'src="figures/').replace(f'href="{fig_prefix}/', 'href="figures/')
    files = {"index.html": page.encode(), **{f"figures/{name}": (fig_dir / name).read_bytes() for name in used}}
    pdf = html_file.with_suffix(".pdf")
    if pdf.is_file():
        files[pdf.name] = pdf.read_bytes()
    files.update(extra or {})
    record = _owned(site)
    owned = record if record is not None else {}
    unsound = f"{site / SITE_MANIFEST}, the record of what publish wrote, is damaged, edited or from an older version"
    real = site.resolve()          # DIR is the user's and may be a link; the folders in it may not (write_atomic)
    for rel in files:
        target = site / rel
        if not target.resolve().is_relative_to(real):
            raise BuildError(f"cannot publish {rel}: {target} leads outside {site} (a link?); pick another folder")
        if not own_folder and (target.exists() or target.is_symlink()) and owned.get(rel) != _digest(target):
            why = "was not written by this tool (or was changed since it was)" if record is not None else \
                f"may not have been written by this tool ({unsound})"
            raise BuildError(f"{target} {why}; move it away, or publish to an empty folder")
    if record is None:
        warn(f"{unsound}: nothing in {site} is removed, so files an earlier publish wrote may stay there")
    written = {rel: sha256_bytes(data) for rel, data in files.items()}
    for rel, data in files.items():
        write_atomic(real / rel, data)
    for rel, digest in owned.items():          # what an earlier publish wrote and this one does not
        if rel not in written and _digest(site / rel) == digest:
            (site / rel).unlink()
    write_sealed(real / SITE_MANIFEST, json.dumps({"files": written}, indent=1, sort_keys=True).encode())
    return site / "index.html"


def _owned(site: Path) -> dict[str, str] | None:
    """{relative path: sha256} of what the last publish into `site` wrote: {} when there is no record (nothing
    was published there), None when there is one that is not sound (unsealed, edited or damaged)."""
    record = site / SITE_MANIFEST
    if not record.exists():
        return {}
    try:
        files = parse_json(read_sealed(record) or b"")["files"]
    except (ValueError, KeyError, TypeError):           # unsealed or damaged (empty), not JSON, not a record
        return None
    if not isinstance(files, dict):
        return None
    return {rel: digest for rel, digest in files.items() if isinstance(digest, str)
            and re.fullmatch(r"(figures/(previous/)?)?[A-Za-z0-9][A-Za-z0-9._-]*", rel)}    # never outside the site


def _digest(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() and not path.is_symlink() else None


def copy_figures(figures: dict[str, tuple[Path, str]], fig_dir: Path) -> dict[str, tuple[Path, str]]:
    """Copy each figure to fig_dir/<label><ext>, replacing what is there (a link too: never written through, see
    files.write_atomic); returns the same mapping pointing at the copies."""
    real_folder(fig_dir)
    copied = {}
    for label, (src, caption) in figures.items():
        dst = fig_dir / f"{label}{src.suffix}"
        if dst.is_symlink() or not dst.is_file() or dst.read_bytes() != src.read_bytes():
            copy_atomic(src, dst)
        copied[label] = (dst, caption)
    return copied
