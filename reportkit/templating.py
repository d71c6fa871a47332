"""Jinja2 for the Markdown templates: StrictUndefined, errors that name template and line, number filters.

Templates hold words and derivations; every measured number reaches them through the context. Keep static
LaTeX free of `{{` and `{#` (Jinja would eat them) or put it inside `{% raw %}`.

A value that comes from a user or a file (a name, a path, a pyproject field) is a `Plain` string and is printed
as literal text wherever it lands: HTML templates (`*.html.j2`) escape every value for HTML; Markdown templates
escape `Plain` values for Markdown, math and HTML at once, so `<script>`, `*`, `$` or `[x](y)` print as typed.
Every string of the results is Plain too (`plain_strings`): class and file names come from the data. `join` keeps
Plain items text, and `code` prints a value as a code span, which shows it exactly as it is.

A number from the results that a template prints keeps its mark (reportkit.tracked): the filters below mark their
text with the metric they printed, so the page can show where each number came from.
"""
from __future__ import annotations

import html
import math
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import jinja2

from reportkit.errors import BuildError
from reportkit.tracked import Tracked, mark, plain


NBSP = "\u00a0"             # keeps a number and its unit on one line, in tables especially
# Characters Python-Markdown (with arithmatex's $ and the tables' |) reads as syntax unless backslash-escaped;
# not ( and ): `\(` opens math for arithmatex, and a bracket escaped is already no link.
MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]#+\-.!$|])")


class Plain(str):
    """A value from a user or a file, printed as literal text by every template (see the module docstring)."""


def plain_strings(value: Any) -> Any:
    """JSON data with every string a Plain, dict keys too: the results carry names from the data (a class
    folder, a file), which must print as typed like any value from a user."""
    if isinstance(value, str):
        return Plain(value)
    if isinstance(value, dict):
        return {plain_strings(k): plain_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain_strings(v) for v in value)
    return value


def markdown_text(value: str) -> str:
    """Literal text inside Markdown: HTML special characters as entities, Markdown and math syntax escaped."""
    return MARKDOWN_SYNTAX.sub(r"\\\1", html.escape(value, quote=False)).replace("\n", " ")


@jinja2.pass_eval_context
def _finalize(eval_ctx, value: Any) -> Any:
    """Every `{{ }}` output: Plain values in Markdown templates become literal text (HTML ones autoescape)."""
    if isinstance(value, Plain) and not eval_ctx.autoescape:
        return markdown_text(value)
    return value


@jinja2.pass_eval_context
def join(eval_ctx, items, separator: str = "") -> str:
    """Jinja's join, except that in a Markdown template Plain items are escaped first (a joined str is no
    longer Plain, so finalize would let their markup through)."""
    if eval_ctx.autoescape:
        return jinja2.filters.do_join(eval_ctx, items, separator)
    return separator.join(markdown_text(i) if isinstance(i, Plain) else str(i) for i in items)


def code(value: Any) -> str:
    """A value as an inline code span, shown exactly as it is (Markdown reads nothing inside one): the fence is
    one backtick longer than the longest run of backticks in the value."""
    text = plain(value) if isinstance(value, Tracked) else value
    text = str(text).replace("\n", " ")
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return mark(value, f"{fence}{pad}{text}{pad}{fence}")


def pct(value: float, digits: int = 1) -> str:
    """0.8123 -> '81.2 %' (with a no-break space)."""
    return mark(value, f"{100 * value:.{digits}f}{NBSP}%")


def unit(value: float, name: str, digits: int = 0) -> str:
    """unit(12.34, "s") -> '12 s' (with a no-break space); for seconds, dB, pixels."""
    return mark(value, f"{value:.{digits}f}{NBSP}{name}")


def fixed(value: float, digits: int = 1) -> str:
    """A number with `digits` decimals: 5.3 -> '5.3'; for differences already rounded as the text prints them."""
    return mark(value, f"{value:.{digits}f}")


def num(value: float, digits: int = 3) -> str:
    """A float with `digits` significant figures, as TeX-free text ('1.23e-09' -> '1.23 × 10^-9' is `sci`)."""
    return mark(value, f"{value:.{digits}g}")


def sci(value: float, digits: int = 2) -> str:
    """A number for math mode: 1.2e-9 -> '1.2 \\times 10^{-9}' (use inside $...$)."""
    return mark(value, _sci(plain(value), digits))


def _sci(value: float, digits: int) -> str:
    if value == 0 or not math.isfinite(value):
        return str(value)
    exponent = math.floor(math.log10(abs(value)))
    if -3 <= exponent <= 3:
        return f"{value:.{digits}g}"
    mantissa = value / 10 ** exponent
    return f"{mantissa:.{digits - 1}f} \\times 10^{{{exponent}}}"


def spread_pct(agg: dict, digits: int = 1) -> str:
    """A fraction's spread over seeds, as pct prints the fraction: '(84.9 ± 0.4 over 5 seeds)'; "" for one seed
    (agg: a number's entry of r.<section>.spread, see reportkit.spread)."""
    return _spread(agg, digits, 100)


def spread(agg: dict, digits: int = 2) -> str:
    """A number's spread over seeds, with `digits` decimals: '(14.21 ± 0.40 over 5 seeds)'; "" for one seed."""
    return _spread(agg, digits, 1)


def _spread(agg: dict, digits: int, scale: float) -> str:
    if agg["n"] < 2:
        return ""
    mean = mark(agg["mean"], f"{scale * agg['mean']:.{digits}f}")
    sd = mark(agg["sd"], f"{scale * agg['sd']:.{digits}f}")
    return f"({mean} ± {sd} over {mark(agg['n'], str(agg['n']))} seeds)"


def seeds_note(agg: dict) -> str:
    """After a verdict of the shown seed: ' (in 4 of 5 seeds)' when it did not hold on every seed that ran, ""
    when it did or only one ran (agg: a verdict's entry of r.<section>.spread)."""
    if agg["n"] < 2 or agg["agree"] == agg["n"]:
        return ""
    return f" (in {mark(agg['agree'], str(agg['agree']))} of {mark(agg['n'], str(agg['n']))} seeds)"


def check_rows(sections, results: dict) -> dict:
    """The appendix's table of numerical checks, built here so the template only lays it out: every check of every
    built section (`reportkit.section.check` dicts) with how to print it, and how many hold.

    A check whose tolerance is 0 states its condition in its description (a count that must be positive, one
    ratio that must exceed another); its tolerance column is empty, and an integral measurement is a count."""
    rows = []
    for s in sections:
        checks = results.get(s["id"], {}).get("checks", {}) if s["built"] else {}
        for c in checks.values():
            if "what" not in c:
                continue
            condition = c["tolerance"] == 0
            rows.append({**c, "condition": condition,
                         "count": condition and float(c["measured"]).is_integer()})
    return {"rows": rows, "held": sum(c["passed"] for c in rows), "total": len(rows)}


def columns(items: list, n: int) -> list[list]:
    """items laid out column by column in n side-by-side columns: rows of n cells, None where a column ends early."""
    height = -(-len(items) // n)
    return [[items[i + k * height] if i + k * height < len(items) else None for k in range(n)] for i in range(height)]


def _template_frame(tb) -> tuple[str, int] | None:
    """The innermost traceback frame that belongs to a template (Jinja rewrites frames to template lines)."""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name.endswith(".j2"):
            found = (Path(name).name, lineno)
    return found


class Templates:
    """A Jinja2 environment over one folder of templates."""

    def __init__(self, folder: Path, globals_: dict[str, Any] | None = None):
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=jinja2.select_autoescape(["html.j2"], default_for_string=False, default=False),
            finalize=_finalize,
        )
        self.env.filters.update(pct=pct, num=num, sci=sci, unit=unit, fixed=fixed, join=join, code=code,
                                spread=spread, spread_pct=spread_pct, seeds_note=seeds_note)
        self.env.globals.update(check_rows=check_rows, columns=columns)
        self.env.globals.update(globals_ or {})

    def render(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as e:
            raise BuildError(f"template {Path(e.filename or name).name}:{e.lineno}: {e.message}") from e
        except jinja2.TemplateNotFound as e:
            raise BuildError(f"template {e.name} not found in {self.env.loader.searchpath[0]}") from e
        except (jinja2.UndefinedError, BuildError, TypeError, KeyError, ValueError) as e:
            where = _template_frame(sys.exc_info()[2])
            place = f"template {where[0]}:{where[1]}" if where else f"template {name}"
            raise BuildError(f"{place}: {e}") from e
