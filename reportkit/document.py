"""The renderer spine: templates -> Markdown -> HTML (math as SVG, numbered) -> report.html + report.pdf.

It knows nothing about neural networks: it receives metrics, figure files and metadata as plain data.
"""
from __future__ import annotations

import html
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown

from reportkit.files import sha256_bytes, write_atomic
from reportkit.errors import BuildError
from reportkit.mathsvg import MathRenderer
from reportkit.mdext import ReportExtension
from reportkit.templating import Templates

LEFTOVER_MATH = re.compile(r"\$\$|\$<span class=\"math\">|\\begin\{|\\\(|\\\[")
CODE = re.compile(r"<(code|pre)\b.*?</\1>", re.S)


@dataclass
class DocumentInput:
    """Everything the document shows. `sections`: dicts with id, title, template, built, note."""

    sections: list[dict[str, Any]]
    results: dict[str, dict[str, Any]]          # section id -> metrics
    figures: dict[str, tuple[Path, str]]        # label -> (file, caption Markdown)
    meta: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)   # appendix listings: name -> code


def _figure_helper(figures: dict[str, tuple[Path, str]], fig_dir_name: str):
    def figure(label: str, width: str = "100%") -> str:
        if label not in figures:
            raise BuildError(f"figure {label!r} was not produced by any section "
                             f"(known: {', '.join(sorted(figures)) or 'none'})")
        file, caption = figures[label]
        return (f'<figure class="fig" id="fig-{label}" data-kind="fig" markdown="1">\n'
                f'<img src="{fig_dir_name}/{file.name}" alt="{html.escape(label)}" style="width:{width}">\n'
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
            "pymdownx.highlight": {"use_pygments": True, "noclasses": True, "pygments_style": "friendly"},
            "toc": {"toc_depth": "1-2"},
        })
    body = md.convert(text)
    return body, md.toc_tokens


def lint(body: str) -> None:
    """Math that escaped the math stage would print as raw TeX: fail instead."""
    stripped = CODE.sub("", body)
    leftover = LEFTOVER_MATH.search(stripped)
    if leftover:
        context = stripped[max(0, leftover.start() - 60): leftover.end() + 60].replace("\n", " ")
        raise BuildError(f"unrendered math {leftover.group()!r} in the HTML near: …{context}… "
                         "(display math needs blank lines around $$ … $$)")


def build(doc: DocumentInput, templates_dir: Path, build_dir: Path, fig_dir: Path,
          math_cache: Path | None) -> dict[str, Path]:
    """Render the whole document; returns the written files (html, pdf)."""
    fig_rel = os.path.relpath(fig_dir, build_dir)
    templates = Templates(templates_dir, {"figure": _figure_helper(doc.figures, str(fig_rel)), "table": table})
    context = {"sections": doc.sections, "r": doc.results, "meta": doc.meta, "sources": doc.sources}
    text = templates.render("report.md.j2", **context)
    body, toc = markdown_to_html(text, MathRenderer(math_cache))
    lint(body)
    css = (templates_dir / "style.css").read_text()
    page = templates.render("base.html.j2", body=body, toc=toc, css=css, **context)
    html_path, pdf_path = build_dir / "report.html", build_dir / "report.pdf"
    write_atomic(html_path, page.encode())
    write_atomic(pdf_path, cached_pdf(page, build_dir, fig_dir, math_cache.parent / "pdf" if math_cache else None))
    return {"html": html_path, "pdf": pdf_path}


def cached_pdf(page: str, build_dir: Path, fig_dir: Path, cache_dir: Path | None) -> bytes:
    """The PDF is a pure function of the HTML, the figure bytes and WeasyPrint: reuse it when none changed."""
    if cache_dir is None:
        return html_to_pdf(page, base_url=build_dir)
    from importlib.metadata import version

    figures = sorted(p for p in fig_dir.glob("*") if p.is_file()) if fig_dir.is_dir() else []
    parts = [page.encode(), version("weasyprint").encode()] + [p.name.encode() + p.read_bytes() for p in figures]
    key = sha256_bytes(b"\0".join(parts))[:24]
    cached = cache_dir / f"{key}.pdf"
    if cached.is_file():
        return cached.read_bytes()
    pdf = html_to_pdf(page, base_url=build_dir)
    write_atomic(cached, pdf)
    for old in sorted(cache_dir.glob("*.pdf"), key=lambda p: p.stat().st_mtime_ns)[:-3]:
        old.unlink()
    return pdf


def html_to_pdf(page: str, base_url: Path) -> bytes:
    import weasyprint        # 0.7 s to import: only when a PDF is written

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=page, base_url=str(base_url) + "/").write_pdf()


def publish(html_file: Path, fig_dir: Path, site: Path) -> Path:
    """A self-contained static site: index.html (CSS and math inline) plus figures/; works from file://."""
    page = html_file.read_text()
    fig_prefix = os.path.relpath(fig_dir, html_file.parent)
    used = sorted(set(re.findall(rf'src="{re.escape(fig_prefix)}/([^"]+)"', page)))
    (site / "figures").mkdir(parents=True, exist_ok=True)
    for name in used:
        shutil.copyfile(fig_dir / name, site / "figures" / name)
    for stale in (site / "figures").iterdir():
        if stale.name not in used:
            stale.unlink()
    page = page.replace(f'src="{fig_prefix}/', 'src="figures/')
    write_atomic(site / "index.html", page.encode())
    return site / "index.html"


def copy_figures(figures: dict[str, tuple[Path, str]], fig_dir: Path) -> dict[str, tuple[Path, str]]:
    """Copy each figure to fig_dir/<label><ext>; returns the same mapping pointing at the copies."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    copied = {}
    for label, (src, caption) in figures.items():
        dst = fig_dir / f"{label}{src.suffix}"
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
        copied[label] = (dst, caption)
    return copied
