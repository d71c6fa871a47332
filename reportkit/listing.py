"""Code listings for the writeup, read from the source files the build ran, so the text shows the real code.

`listing("hw5/nn.py", "softmax", "forward")` in a template gives those top-level definitions (decorators
included) as a highlighted block whose font is small enough for its longest line to fit the text width.
"""
from __future__ import annotations

import ast
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


def listing_helper(root: Path):
    """The template function `listing(path, *names)` for files under the project root."""
    def listing(path: str, *names: str) -> str:
        file = (root / path).resolve()
        if root.resolve() not in file.parents or not file.is_file():
            raise BuildError(f"listing: no file {path} under {root}")
        code = extract(file.read_text(), names, path) if names else file.read_text().rstrip()
        return (f'<div class="listing" style="font-size: {font_size(code):.1f}pt" markdown="1">\n\n'
                f"```python\n{code}\n```\n\n</div>\n")
    return listing
