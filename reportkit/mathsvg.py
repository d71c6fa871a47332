"""TeX -> SVG with ziamath: the single place that knows how math is drawn.

Why ziamath: pure Python and offline, the same SVG goes into the HTML and the PDF (identical look), and it
costs ~25 ms an expression (cached on disk by content) plus ~45 ms of WeasyPrint layout, where server-side
KaTeX needs Node and ~90 ms of layout per expression that no cache can save (measurements in
shared/docs/rendering.md; ours in README). ziamath fails silently on unknown macros, so we check its MathML.
To switch backends, replace `render_math`.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import ziamath

from reportkit.files import read_sealed, sha256_bytes, write_sealed
from reportkit.errors import BuildError

SIZE = 16                                   # px per em in ziamath's units; SVGs are sized in em below
SCALE = 1.0                                 # STIX glyphs match the Times-metric body text at the same em
DRAWING = 4                                 # bump when _draw's output changes, so cached SVGs are redrawn
# ziamath spaces a minus after "=", "(" or "," as a binary operator ("c = − max"); braced, it is an ordinary atom.
UNARY_MINUS = re.compile(r"(^|[=(\[{,]|\\le|\\ge|\\in|&)(\s*)-")
UNKNOWN_MACRO = re.compile(r">\s*(\\[A-Za-z]+)\s*<")
# Constructs ziamath accepts but draws wrongly (rendering.md §1.2): refuse them with the fix.
DENIED = {
    r"\operatorname*": r"use \arg\min or \underset{...}{...}",
    r"\mathop": r"use \operatorname{...} or \underset",
    r"\tag": r"use \label{name} and refer with @eq:name",
    r"\hline": "array rules do not render; use a Markdown table",
}
ID_PREFIX = "MATHID-"                      # replaced per occurrence so glyph ids never repeat in a page


def _check(tex: str) -> None:
    for macro, fix in DENIED.items():
        if re.search(re.escape(macro) + r"(?![A-Za-z])", tex):
            raise BuildError(f"math: {macro} is not supported in ${tex}$: {fix}")


def _draw(tex: str, display: bool) -> str:
    _check(tex)
    tex = UNARY_MINUS.sub(r"\1\2{-}", tex)
    try:
        m = ziamath.Latex(tex, inline=not display, size=SIZE, margin=0)
        unknown = UNKNOWN_MACRO.findall(m.mathmlstr())
        svg = m.svg()
        width, height = m.getsize()
        yofst = m.getyofst()
    except BuildError:
        raise
    except Exception as e:
        raise BuildError(f"math: cannot render ${tex}$ ({type(e).__name__}: {e})") from e
    if unknown:
        raise BuildError(f"math: unknown macro {unknown[0]} in ${tex}$; fix the template or define it")
    em = SCALE / SIZE
    svg = re.sub(r'width="[^"]+" height="[^"]+"', f'width="{width * em:.3f}em" height="{height * em:.3f}em"',
                 svg, count=1)
    svg = svg.replace(' id="', f' id="{ID_PREFIX}').replace('href="#', f'href="#{ID_PREFIX}')
    style = "" if display else f' style="vertical-align:{yofst * em:.3f}em"'
    # The TeX source is the text alternative: <title> names the SVG for screen readers (role="img") and is
    # what WeasyPrint writes as the /Alt of the PDF's Figure tag (it ignores aria-label).
    opening = re.match(r"<svg[^>]*>", svg).group()
    title = f"<title>{html.escape(tex, quote=False)}</title>"
    return (opening.replace("<svg ", f'<svg class="math" role="img"{style} ', 1) + title
            + svg[len(opening):])


class MathRenderer:
    """Renders and caches SVGs by content under `cache_dir` (sealed files: a damaged one is drawn again and
    counted in `damaged`); numbers glyph ids per document."""

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir
        self.count = 0
        self.damaged = 0

    def render(self, tex: str, display: bool) -> str:
        tex = tex.strip()
        key = sha256_bytes(f"{ziamath.__version__}|{DRAWING}|{display}|{tex}".encode())[:24]
        cached = self.cache_dir / f"{key}.svg" if self.cache_dir else None
        sealed = read_sealed(cached) if cached is not None else None
        if sealed is not None:
            svg = sealed.decode()
        else:                               # not cached, or damaged/edited: drawn again from the TeX
            self.damaged += cached is not None and cached.exists()
            svg = _draw(tex, display)
            if cached is not None:
                write_sealed(cached, svg.encode())
        self.count += 1
        return svg.replace(ID_PREFIX, f"m{self.count}-")
