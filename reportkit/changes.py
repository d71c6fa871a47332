"""What changed between two builds: every value of results.json by its dotted path, and every figure by digest.

Each render keeps the build before it in build/previous/ (its results.json, figures.json and figure files), so
`diff` can say what the last change changed, and the published site can show changed figures side by side.
Builds of another profile, seed or device (results.json's meta) differ in most values for that reason alone, and
a figures.json that is missing or damaged means figures cannot be compared: both are said first, so neither
passes for a change.
Timings (a value with `seconds`, `*_seconds`, `*_seconds_*` or `*_time_share` anywhere along its path) change on
every run: `diff`, the build's summary and `verify` count them and never compare them (is_timing).
"""
from __future__ import annotations

import json
import math
from html import escape
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reportkit.errors import ConfigError
from reportkit.files import MAX_JSON_BYTES, copy_atomic, read_json, read_regular, real_folder, sha256_file, write_atomic

PREVIOUS = "previous"                      # build/previous/
FIGURES = "figures.json"                   # build/figures.json: {label: {"file": name, "sha256": digest}}
TIMING = re.compile(r"(^|_)seconds($|_)|_time_share$")      # seconds, train_seconds, seconds_per_epoch, ...
FRACTION = re.compile(r"acc(uracy)?$|_acc(uracy)?_|^acc")    # accuracies print as percentages
OPTIONS = {"profile": "profiles", "seed": "seeds", "device": "devices"}      # in meta: each changes most values
PLAIN_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")                      # a figure file of figures/


@dataclass
class Changes:
    """The differences between two builds, section by section, in the order of the current build."""

    values: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)   # section -> (path, old, new)
    figures: list[tuple[str, str]] = field(default_factory=list)                   # (label, "changed"/"added"/...)
    timings: int = 0                       # timing values that changed (not listed)
    across: str = ""                       # "a smoke build with a full build (profiles differ)", if they do
    figures_unknown: str = ""              # why figures were not compared, if they were not

    @property
    def count(self) -> int:
        return sum(map(len, self.values.values())) + len(self.figures)

    def notes(self) -> list[str]:
        """What to know before reading the changes."""
        return ([f"note: comparing {self.across}; most values differ for that reason"] if self.across else []) + \
            ([f"note: figures not compared: {self.figures_unknown}"] if self.figures_unknown else [])

    def lines(self) -> list[str]:
        """`diff`'s report: the notes, a heading per section, one line per value, then the figures; "no change"
        if none."""
        out = self.notes()
        if not self.count:
            nothing = "no change in any value" if self.figures_unknown else "no change"
            return out + [nothing + (f" (only {self.timings} timings)" if self.timings else "")]
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
        figures = f"figures not compared ({self.figures_unknown})" if self.figures_unknown else ""
        if not self.count:
            text = ("no change in any number since the last build; " + figures if figures
                    else "no change in any number or figure since the last build")
        else:
            values = sum(map(len, self.values.values()))
            where = ", ".join(self.values)
            text = (f"changed since the last build: {values} value(s)" + (f" in {where}" if where else "")
                    + (f"; {figures}" if figures else f", {len(self.figures)} figure(s)"))
        return (f"comparing {self.across}: " if self.across else "") + text


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
    changes = Changes(across=other_options(old.get("meta", {}), new.get("meta", {})))
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


def other_options(old_meta: dict, new_meta: dict) -> str:
    """'a smoke build with a full build (profiles differ)' when the builds ran with another profile, seed or
    device; "" when they did not."""
    differ = [k for k in OPTIONS if not same(old_meta.get(k, MISSING), new_meta.get(k, MISSING))]
    if not differ:
        return ""

    def build(meta: dict) -> str:
        return ", ".join(("seed " if k == "seed" else "") + word(meta.get(k, MISSING)) for k in differ) + " build"
    names = [OPTIONS[k] for k in differ]
    which = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
    return f"a {build(new_meta)} with a {build(old_meta)} ({which} differ)"


def word(value: Any) -> str:
    """A meta value in a sentence: as written when it is a short printable word, else as JSON, cut short."""
    if value is MISSING:
        return "(unrecorded)"
    text = value if isinstance(value, str) and value.isprintable() else json.dumps(value)
    return text if len(text) <= 30 else text[:27] + "..."


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
    is kept and an older previous build is dropped: `diff` never compares with a build two renders back. Each
    file is replaced, never written through a link (files.write_atomic); a figure that is a link is not the
    build's, and is not kept."""
    results, figures, previous = build_dir / "results.json", build_dir / FIGURES, build_dir / PREVIOUS
    try:
        data = read_regular(results, MAX_JSON_BYTES)
    except (OSError, ValueError):          # no build's results.json: the next diff has nothing to compare with
        if previous.exists() or previous.is_symlink():
            for name in ("results.json", FIGURES):
                (real_folder(previous) / name).unlink(missing_ok=True)      # never removed through a link
        return
    write_atomic(previous / "results.json", data)
    try:
        known = read_figures(figures)
    except ConfigError:                   # the next diff says why figures are not compared, never "added"
        (previous / FIGURES).unlink(missing_ok=True)
        return
    for name in sorted({f["file"] for f in known.values()}):
        src, dst = fig_dir / name, previous / "figures" / name
        if src.is_symlink() or not src.is_file():
            continue
        if dst.is_symlink() or not dst.is_file() or sha256_file(dst) != sha256_file(src):
            copy_atomic(src, dst)
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
    """A figures.json, each file a plain name of figures/; else a one-line ConfigError saying why (figures are
    then not compared: a table read as empty would make every figure "added")."""
    try:
        table = read_json(path)
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist") from None
    except OSError as e:
        raise ConfigError(f"{path} cannot be read ({e.strerror})") from None
    except ValueError as e:
        raise ConfigError(f"{path} is damaged ({e})") from None
    if not isinstance(table, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("file"), str)
            and PLAIN_FILE.fullmatch(v["file"]) for v in table.values()):
        raise ConfigError(f"{path} is damaged (not a table of figure files and digests)")
    return table


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
    old, new = read_results(against), read_results(current)
    try:
        figures = read_figures(against.parent / FIGURES), read_figures(build_dir / FIGURES)
    except ConfigError as e:
        return replace(compare(old, new), figures_unknown=str(e))
    return compare(old, new, *figures)


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
        return PAGE.format(index=index, body="\n".join(f"<p>{escape(line)}</p>" for line in found.lines()))
    parts = [f"<p>{escape(line)}</p>" for line in found.notes()]
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
    figures = read_figures(build_dir / FIGURES) if found.figures else {}     # read sound a moment ago
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
