"""Code listings for the writeup, read from the source files the build ran, so the text shows the real code.

`listing("hw5/nn.py", "softmax", "forward")` in a template gives those top-level definitions (decorators
included) as a highlighted block whose font is small enough for its longest line to fit the text width.
"""
from __future__ import annotations

import ast
import html
from pathlib import Path

from reportkit.codekey import definition_source
from reportkit.errors import BuildError

TEXT_WIDTH_PT = 505          # the PDF text width (US Letter with the stylesheet's 16 mm margins, less the padding), pt
MONO_ADVANCE = 0.6           # DejaVu Sans Mono: advance width per character, in em
LARGEST_PT, SMALLEST_PT = 7.5, 6.0


def extract(source: str, names: tuple[str, ...], where: str) -> str:
    """The text of the named top-level definitions of a module's source, in the order asked, blank-line separated."""
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            found[node.name] = definition_source(lines, node)
    missing = [n for n in names if n not in found]
    if missing:
        raise BuildError(f"listing: {where} has no top-level {', '.join(missing)}")
    return "\n\n\n".join(found[n] for n in names)


def font_size(code: str) -> float:
    """Points at which the longest line of code fills at most the text width."""
    longest = max((len(line) for line in code.splitlines()), default=1)
    return max(SMALLEST_PT, min(LARGEST_PT, TEXT_WIDTH_PT / (MONO_ADVANCE * longest)))


RUN_AS = "# as run here:"     # the line before the constructor call a listing ends with, when it has one


def listing_helper(root: Path):
    """The template function `listing(path, *names, file=..., run_as=..., only_call=False)` for files under the
    project root. `file` names the file as the reader has it (a caption above the code); `run_as` is the call,
    with the configuration's values, that built what the listing defines, shown after it, so the listing shows
    what ran and not only the defaults; `only_call` shows that call alone (the definitions were listed before)."""
    def listing(path: str, *names: str, file: str | None = None, run_as: str | None = None,
                only_call: bool = False) -> str:
        source = (root / path).resolve()
        if root.resolve() not in source.parents or not source.is_file():
            raise BuildError(f"listing: no file {path} under {root}")
        code = extract(source.read_text(), names, path) if names else source.read_text().rstrip()
        if only_call and not run_as:
            raise BuildError(f"listing: only_call for {path} needs run_as")
        if run_as:
            code = f"{RUN_AS}\n{run_as}" if only_call else f"{code}\n\n\n{RUN_AS}\n{run_as}"
        caption = f'<p class="listing-file"><code>{html.escape(file)}</code></p>\n' if file else ""
        return (f'<div class="listing" style="font-size: {font_size(code):.1f}pt" markdown="1">\n{caption}\n'
                f"```python\n{code}\n```\n\n</div>\n")
    return listing
