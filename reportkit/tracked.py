"""Numbers that remember which metric they are, so that the page can say where every printed number came from.

`track(results)` hands templates the results with each int and float replaced by a TrackedInt or TrackedFloat
that knows its path: "q3.valid_accuracy", "q3.findings.sweep_rows[0].lr", 'q4.per_image["01_list.jpg"].n_chars'
(a key that is not a plain name is written as a JSON string in brackets). They compare, compute and format as the
plain numbers (arithmetic gives plain numbers, so a value computed in a template is never passed off as a metric);
bools, strings and None stay as they are.

Printing one (`{{ x }}`, `~`, `join`, or a number filter through `mark`) puts invisible marks around its text:
Unicode private-use characters, with the path shifted into that area too, so Markdown, its tables and math read
them as ordinary letters. After rendering, `spans` turns each marked number into
`<span class="metric" data-metric="PATH" tabindex="0">` for the screen and `unmark` removes the marks for the PDF,
which so stays exactly as it was. TeX cannot hold a span: `take` removes the marks from a formula and returns
their paths, and `math_mark` puts them at the start of the formula's wrapper, which `spans` then marks instead.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any

OPEN, CLOSE = "\ue000", "\ue001"             # a printed number: OPEN, its path (shifted), its text, CLOSE
MATH_OPEN, MATH_CLOSE = "\ue002", "\ue003"   # first in a formula's wrapper: MATH_OPEN, its paths (shifted), MATH_CLOSE
SHIFT = 0xE100                               # a path's ASCII characters, moved where no syntax reads them
SHIFTED = f"[{chr(SHIFT)}-{chr(SHIFT + 127)}]"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
NUMBER_MARK = re.compile(f"{OPEN}({SHIFTED}+)([^{OPEN}{CLOSE}<>]*){CLOSE}")
MATH_WRAPPER = re.compile(f'<(span|div) class="(math[^"]*)">{MATH_OPEN}({SHIFTED}+){MATH_CLOSE}')
ANY_MARK = re.compile(f"[{OPEN}{MATH_OPEN}]{SHIFTED}*|[{CLOSE}{MATH_CLOSE}]")
MARKED_TAG = re.compile(f"<[^<>{OPEN}{MATH_OPEN}]*[{OPEN}{MATH_OPEN}][^<>]*>")      # a tag with a mark inside


class Tracked:
    """Mixin for a number from the results: `metric` is its path; printing it marks it."""

    metric = ""

    def __str__(self) -> str:
        return mark(self, super().__str__())


class TrackedInt(Tracked, int):
    pass


class TrackedFloat(Tracked, float):
    pass


def child(path: str, key: str | int) -> str:
    """The path of `key` under `path`: a.b, a[0], a["01_list.jpg"]."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if NAME.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"          # ASCII only (non-ASCII as \\u escapes), as the shift needs


def track(value: Any, path: str = "") -> Any:
    """`value` (JSON data) with every int and float a tracked number that knows its path under `path`."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: track(v, child(path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(track(v, child(path, i)) for i, v in enumerate(value))
    for kind, tracked in ((int, TrackedInt), (float, TrackedFloat)):
        if isinstance(value, kind):
            out = tracked(value)
            out.metric = path
            return out
    return value


def plain(value: Any) -> Any:
    """A tracked number as the plain int or float it stands for; anything else as it is."""
    if isinstance(value, TrackedInt):
        return int(value)
    return float(value) if isinstance(value, TrackedFloat) else value


def _shift(path: str) -> str:
    return "".join(chr(SHIFT + ord(c)) for c in path)


def _unshift(shifted: str) -> str:
    return "".join(chr(ord(c) - SHIFT) for c in shifted)


def mark(value: Any, text: str) -> str:
    """`text`, the printed form of `value`, marked with its path when `value` is a tracked number."""
    return f"{OPEN}{_shift(value.metric)}{text}{CLOSE}" if isinstance(value, Tracked) else text


def take(tex: str) -> tuple[str, list[str]]:
    """(the TeX without marks, the paths of the numbers that were marked in it)."""
    paths = []

    def keep_text(m: re.Match) -> str:
        paths.append(_unshift(m.group(1)))
        return m.group(2)
    return unmark(NUMBER_MARK.sub(keep_text, tex)), paths


def math_mark(paths: list[str]) -> str:
    """The mark a formula's wrapper starts with when numbers were printed in it ("" when none were)."""
    return f"{MATH_OPEN}{_shift(' '.join(dict.fromkeys(paths)))}{MATH_CLOSE}" if paths else ""


def unmark(text: str) -> str:
    """The text as it would be without tracking."""
    return ANY_MARK.sub("", text)


def spans(page: str) -> str:
    """The page with every marked number in `<span class="metric" data-metric=PATH tabindex="0">` and every
    formula with numbers marked on its wrapper (paths separated by spaces); a mark inside a tag (an attribute)
    or one that did not survive whole (split by code highlighting) is removed."""
    if OPEN not in page and MATH_OPEN not in page:
        return page

    def attribute(shifted: str) -> str:
        return html.escape(_unshift(shifted), quote=True)

    page = MATH_WRAPPER.sub(lambda m: f'<{m[1]} class="{m[2]} metric" data-metric="{attribute(m[3])}" tabindex="0">',
                            page)
    page = MARKED_TAG.sub(lambda m: unmark(m.group()), page)
    page = NUMBER_MARK.sub(lambda m: f'<span class="metric" data-metric="{attribute(m[1])}" tabindex="0">{m[2]}</span>',
                           page)
    return unmark(page)
