"""Which pages each chapter of the laid-out PDF occupies, from the layout that document.build records."""
from __future__ import annotations

from pathlib import Path

from reportkit.errors import BuildError
from reportkit.files import read_json


def page_ranges(layout_file: Path, chapters: dict[str, str]) -> dict[str, list[int]]:
    """{label: [pages]} for chapters {label: heading text}: from the page of its heading to the page before the
    next top-level heading (another chapter or, say, an appendix), or to the last page."""
    try:
        layout = read_json(layout_file)
    except (OSError, ValueError) as e:
        raise BuildError(f"cannot read the page layout {layout_file} ({e}); rebuild the PDF") from e
    starts = [(layout["anchors"][h["id"]], h["name"]) for h in layout["headings"] if h["id"] in layout["anchors"]]
    starts.sort()
    out = {}
    for label, heading in chapters.items():
        found = [i for i, (_, name) in enumerate(starts) if name == heading]
        if not found:
            raise BuildError(f"page map: the heading {heading!r} is not in the PDF")
        i = found[0]
        first = starts[i][0]
        last = starts[i + 1][0] - 1 if i + 1 < len(starts) else layout["pages"]
        out[label] = list(range(first, max(first, last) + 1))
    return out
