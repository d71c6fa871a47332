"""What changed between two builds: every value of results.json by its dotted path, and every figure by digest.

Each render keeps the build before it in build/previous/ (its results.json, figures.json and figure files), so
`diff` can say what the last change changed, and the published site can show changed figures side by side.
Timings (a value with `seconds`, `*_seconds`, `*_seconds_*` or `*_time_share` anywhere along its path) change on
every run: `diff`, the build's summary and `verify` count them and never compare them (is_timing).
"""
from __future__ import annotations

import json
import math
from html import escape
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportkit.errors import ConfigError
from reportkit.files import MAX_JSON_BYTES, read_json, read_regular, sha256_file, write_atomic

PREVIOUS = "previous"                      # build/previous/
FIGURES = "figures.json"                   # build/figures.json: {label: {"file": name, "sha256": digest}}
TIMING = re.compile(r"(^|_)seconds($|_)|_time_share$")      # seconds, train_seconds, seconds_per_epoch, ...
FRACTION = re.compile(r"acc(uracy)?$|_acc(uracy)?_|^acc")    # accuracies print as percentages


@dataclass
class Changes:
    """The differences between two builds, section by section, in the order of the current build."""

    values: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)   # section -> (path, old, new)
    figures: list[tuple[str, str]] = field(default_factory=list)                   # (label, "changed"/"added"/...)
    timings: int = 0                       # timing values that changed (not listed)

    @property
    def count(self) -> int:
        return sum(map(len, self.values.values())) + len(self.figures)

    def lines(self) -> list[str]:
        """`diff`'s report: a heading per section, one line per value, then the figures; "no change" if none."""
        if not self.count:
            return ["no change" + (f" (only {self.timings} timings)" if self.timings else "")]
        out = []
        for section, rows in self.values.items():
            out.append(section)
            width = max(len(path) for path, _, _ in rows)
            out += [f"  {path:{width}s}  {describe(path, old, new)}" for path, old, new in rows]
        if self.figures:
            out.append("figures")
            out += [f"  {label}  {what}" for label, what in self.figures]
        if self.timings:
            out.append(f"({self.timings} timings changed too)")
        return out

    def summary(self) -> str:
        """One line for the end of a build."""
        if not self.count:
            return "no change in any number or figure since the last build"
        values = sum(map(len, self.values.values()))
        where = ", ".join(self.values)
        return (f"changed since the last build: {values} value(s)" + (f" in {where}" if where else "")
                + f", {len(self.figures)} figure(s)")


def leaves(tree: Any, path: str = "") -> dict[str, Any]:
    """Every value by dotted path; a list of plain numbers or words is one value (a curve changes as a whole)."""
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out.update(leaves(value, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(tree, list) and not all(isinstance(v, (int, float, str, bool)) or v is None for v in tree):
        out = {}
        for i, value in enumerate(tree):
            out.update(leaves(value, f"{path}.{i}"))
        return out
    return {path: tree}


def compare(old: dict, new: dict, old_figures: dict | None = None, new_figures: dict | None = None) -> Changes:
    """The changes from one results.json (as loaded) to another; figures when both digests are known."""
    changes = Changes()
    sections = [s for s in new if s != "meta"] + [s for s in old if s != "meta" and s not in new]
    for section in sections:
        before, after = leaves(old.get(section, {}), section), leaves(new.get(section, {}), section)
        rows = []
        for path in list(after) + [p for p in before if p not in after]:
            b, a = before.get(path, MISSING), after.get(path, MISSING)
            if same(b, a):
                continue
            if is_timing(path):
                changes.timings += 1
            else:
                rows.append((path, b, a))
        if rows:
            changes.values[section] = rows
    if old_figures is not None and new_figures is not None:
        for label in list(new_figures) + [f for f in old_figures if f not in new_figures]:
            if label not in old_figures:
                changes.figures.append((label, "added"))
            elif label not in new_figures:
                changes.figures.append((label, "removed"))
            elif old_figures[label]["sha256"] != new_figures[label]["sha256"]:
                changes.figures.append((label, "changed"))
    return changes


def is_timing(path: str) -> bool:
    """Whether a value is a timing: a name along its path says so, at any depth (q3.seconds, and also
    q5.train_seconds.handout and q6_2.finetune.seconds.features)."""
    return any(TIMING.search(name) for name in path.split("."))


class _Missing:
    def __repr__(self) -> str:
        return "(none)"


MISSING = _Missing()


def same(a: Any, b: Any) -> bool:
    """Equal (1 and 1.0 alike, True and 1 not), counting two NaNs as equal: a NaN that stays NaN did not change."""
    if is_number(a) and is_number(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def describe(path: str, old: Any, new: Any) -> str:
    """'85.6 % → 86.1 %  (+0.5)' for an accuracy, '0.0123 → 0.0119  (-0.0004)' for a number, else both values."""
    if old is MISSING:
        return f"added: {show(path, new)}"
    if new is MISSING:
        return f"removed (was {show(path, old)})"
    if is_number(old) and is_number(new):
        if is_fraction(path, old) and is_fraction(path, new):
            return f"{100 * old:.2f} % → {100 * new:.2f} %  ({100 * (new - old):+.2f})"
        return f"{old:.6g} → {new:.6g}  ({new - old:+.3g})"
    return f"{show(path, old)} → {show(path, new)}"


def is_fraction(path: str, value: float) -> bool:
    return bool(FRACTION.search(path.rsplit(".", 1)[-1])) and 0 <= value <= 1


def show(path: str, value: Any) -> str:
    if is_number(value):
        return f"{100 * value:.2f} %" if is_fraction(path, value) else f"{value:.6g}"
    if isinstance(value, list):
        return f"[{len(value)} values]"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- keeping the build before this one
def keep_previous(build_dir: Path, fig_dir: Path) -> None:
    """Before a render replaces them: the current results.json, figures.json and figure files become the
    previous build's. Without a current results.json (a first build) or with one that is no build's, nothing
    is kept and an older previous build is dropped: `diff` never compares with a build two renders back."""
    results, figures, previous = build_dir / "results.json", build_dir / FIGURES, build_dir / PREVIOUS
    try:
        data = read_regular(results, MAX_JSON_BYTES)
    except (OSError, ValueError):          # no build's results.json: the next diff has nothing to compare with
        for name in ("results.json", FIGURES):
            (previous / name).unlink(missing_ok=True)
        return
    write_atomic(previous / "results.json", data)
    known = read_figures(figures) if figures.is_file() else {}
    for name in sorted({f["file"] for f in known.values()}):
        src, dst = fig_dir / name, previous / "figures" / name
        if src.is_file() and not (dst.is_file() and sha256_file(dst) == sha256_file(src)):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    write_atomic(previous / FIGURES, json.dumps(known, indent=1, sort_keys=True).encode())


def record_figures(build_dir: Path, figures: dict[str, Path]) -> None:
    """build/figures.json: each figure's file name and digest, as this render copied them."""
    table = {label: {"file": path.name, "sha256": sha256_file(path)} for label, path in sorted(figures.items())}
    write_atomic(build_dir / FIGURES, json.dumps(table, indent=1, sort_keys=True).encode())


def read_results(path: Path) -> dict:
    """A results.json, or a one-line ConfigError saying why it is not one."""
    try:
        results = read_json(path)
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist") from None
    except OSError as e:
        raise ConfigError(f"cannot read {path} ({e.strerror}); pass a build's results.json") from None
    except ValueError as e:
        raise ConfigError(f"{path} is not a results file ({e}); pass a build's results.json") from None
    if not isinstance(results, dict) or not isinstance(results.get("meta"), dict):
        raise ConfigError(f"{path} is not a results file (no 'meta'); pass a build's results.json")
    return results


def read_figures(path: Path) -> dict:
    """A figures.json; {} when it is unreadable (figures are then not compared, never a traceback)."""
    try:
        table = read_json(path)
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in table.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)
            and isinstance(v.get("file"), str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v["file"])} \
        if isinstance(table, dict) else {}


def between_builds(build_dir: Path, against: Path | None = None) -> Changes:
    """The current build against the previous one (or against a saved results.json)."""
    current = build_dir / "results.json"
    if not current.is_file():
        raise ConfigError(f"no build in {build_dir}: build first (e.g. --all), then diff")
    if against is None:
        against = build_dir / PREVIOUS / "results.json"
        if not against.is_file():
            raise ConfigError(f"no previous build in {build_dir}: diff compares the last build with the one before "
                              "it; build again after a change, or pass --against FILE")
    old_figures = against.parent / FIGURES
    new_figures = build_dir / FIGURES
    return compare(read_results(against), read_results(current),
                   read_figures(old_figures) if old_figures.is_file() else None,
                   read_figures(new_figures) if new_figures.is_file() else None)


# ---------------------------------------------------------------- the changes page of the site
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Changes since the previous build</title>
<style>
body {{ font: 16px/1.5 "DejaVu Sans", sans-serif; max-width: 72rem; margin: 0 auto; padding: 1rem; color: #1a1a1a;
       background: #fff; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .2rem .6rem; border-bottom: 1px solid #ccc; text-align: left; }}
code {{ font-family: "DejaVu Sans Mono", monospace; }}
.pair {{ display: flex; flex-wrap: wrap; gap: 1rem; }} .pair figure {{ margin: 0; flex: 1 1 20rem; }}
.pair img {{ max-width: 100%; border: 1px solid #ccc; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #121212; color: #e8e8e8; }} a {{ color: #8ab4f8; }} }}
</style>
</head>
<body>
<main>
<p><a href="{index}">Back to the writeup</a></p>
<h1>Changes since the previous build</h1>
{body}
</main>
</body>
</html>
"""


def page(found: Changes, figures: dict, now: str, before: str, index: str = "index.html") -> str:
    """The changes as a page: a table of changed values per section, changed figures before and after (their
    files under the folders `before` and `now`, relative to the page). Every value is escaped."""
    if not found.count:
        return PAGE.format(index=index, body=f"<p>{escape(found.lines()[0])}.</p>")
    parts = []
    for section, rows in found.values.items():
        parts.append(f"<h2>{escape(section)}</h2>\n<table>\n<tr><th scope=\"col\">value</th>"
                     "<th scope=\"col\">change</th></tr>")
        parts += [f"<tr><td><code>{escape(path)}</code></td><td>{escape(describe(path, old, new))}</td></tr>"
                  for path, old, new in rows]
        parts.append("</table>")
    if found.figures:
        parts.append("<h2>Figures</h2>")
    for label, what in found.figures:
        file = figures.get(label, {}).get("file")
        parts.append(f"<h3>{escape(label)} ({escape(what)})</h3>")
        if what == "changed" and file:
            parts.append(f'<div class="pair"><figure><img src="{escape(before)}/{escape(file)}" alt="{escape(label)}, '
                         f'previous build"><figcaption>before</figcaption></figure><figure><img src="{escape(now)}/'
                         f'{escape(file)}" alt="{escape(label)}, this build"><figcaption>now</figcaption></figure></div>')
    return PAGE.format(index=index, body="\n".join(parts))


def pages(build_dir: Path) -> tuple[str, str, list[str]]:
    """(changes.html beside report.html, changes.html of a published site, the previous figures the site shows
    as figures/previous/<file>)."""
    try:
        found = between_builds(build_dir)
    except ConfigError as e:
        text = PAGE.format(index="report.html", body=f"<p>{escape(str(e))}</p>")
        return text, text.replace('href="report.html"', 'href="index.html"'), []
    figures = read_figures(build_dir / FIGURES)
    shown = [figures[label]["file"] for label, what in found.figures if what == "changed" and label in figures]
    return (page(found, figures, "../figures", PREVIOUS + "/figures", "report.html"),
            page(found, figures, "figures", "figures/previous"), shown)


def write_pages(build_dir: Path) -> dict[str, bytes]:
    """Write build/changes.html (linked from report.html); return the files a published site gets: its own
    changes.html and the previous versions of the changed figures, as figures/previous/<file>."""
    beside_report, in_site, shown = pages(build_dir)
    write_atomic(build_dir / "changes.html", beside_report.encode())
    previous = build_dir / PREVIOUS / "figures"
    return {"changes.html": in_site.encode(),
            **{f"figures/previous/{name}": (previous / name).read_bytes() for name in shown
               if (previous / name).is_file()}}
