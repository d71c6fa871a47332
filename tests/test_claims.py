"""Every number the writeup prints is a metric of the results, printed as it is: each section is rendered from
frozen results in which every value remembers where it came from, and a number in the text that no value printed
(a difference, ratio, mean or count computed in the template) fails, as does one that does not match its metric.

The frozen results (tests/golden/results.json) are a build's results.json; refresh them after a change to what
the parts compute (a missing metric is an undefined-name error here, as it is in a build).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reportkit import templating

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "tests" / "golden" / "results.json"
NUMBER = re.compile(r"\d+(?:\.\d+)?")
MARK = re.compile(r"⟦([^⟦⟧]*)⟧")


class Traced:
    """Mixin for a value from the results: printing it marks it with its path."""
    path = ""

    def __str__(self):
        return f"⟦{self.path}={super().__str__()}⟧"


class TracedInt(Traced, int):
    pass


class TracedFloat(Traced, float):
    pass


class TracedStr(Traced, str):
    pass


def traced(value, path: tuple):
    """The results with every number and string wrapped to remember its path, the keys and indices that lead to
    it as JSON (bools and None stay as they are; a value already traced keeps its path)."""
    if isinstance(value, Traced):
        return value
    if isinstance(value, dict):
        return {traced(k, path): traced(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [traced(v, (*path, i)) for i, v in enumerate(value)]
    for kind, cls in ((bool, None), (int, TracedInt), (float, TracedFloat), (str, TracedStr)):
        if isinstance(value, kind):
            if cls is None:
                return value
            out = cls(value)
            out.path = json.dumps(path)
            return out
    return value


def lookup(results: dict, path: str):
    value = results
    for key in json.loads(path):
        value = value[key]
    return value


def marking(fn):
    """A number filter that marks its output with the metric it printed (plain values print unmarked)."""
    def wrapped(value, *args):
        text = fn(float(value) if isinstance(value, (TracedInt, TracedFloat)) else value, *args)
        return f"⟦{value.path}|{fn.__name__}|{json.dumps(args)}={text}⟧" if isinstance(value, Traced) else text
    return wrapped


def render(name: str, results: dict) -> str:
    from report import project

    sections = [{"id": s.id, "title": s.title, "template": s.template, "built": s.id in results, "note": ""}
                for s in project().sections]
    templates = templating.Templates(ROOT / "templates", {
        "figure": lambda label, width=None: "", "listing": lambda *a, **k: "",
        "table": lambda label, caption, caller: f"{caller()}\n{caption}\n"})
    for f in ("pct", "num", "sci", "unit", "fixed"):
        templates.env.filters[f] = marking(getattr(templating, f))
    templates.env.globals["check_rows"] = lambda *a: traced(templating.check_rows(*a), ("check_rows",))  # Python's
    r = {k: traced(v, (k,)) for k, v in results.items() if k != "meta"}
    return templates.render(name, sections=sections, r=r, meta=traced(results["meta"], ("meta",)))


@pytest.fixture(scope="module")
def frozen() -> dict:
    return json.loads(FROZEN.read_text())


def template_names():
    from report import project

    return [s.template for s in project().sections] + ["appendix.md.j2"]


@pytest.mark.parametrize("name", template_names())
def test_every_number_printed_is_a_metric_as_formatted(name, frozen):
    text = render(name, frozen)
    marks = MARK.findall(text)
    assert marks, "nothing traced: the tracing broke"
    for mark in marks:
        if "|" in mark:                                        # a filter printed a metric: redo it from the file
            path, fn, rest = mark.split("|", 2)
            args, printed = rest.split("=", 1)
            assert getattr(templating, fn)(lookup(frozen, path), *json.loads(args)) == printed, mark
    source = (ROOT / "templates" / name).read_text() + (ROOT / "templates" / "_macros.j2").read_text()
    literal = set(NUMBER.findall(source))
    leftover = MARK.sub(" ", MARK.sub(" ", text))               # nested marks: a checked() sentence in a macro
    computed = [n for n in NUMBER.findall(leftover) if n not in literal]
    assert not computed, f"{name}: numbers that no metric printed: {computed[:10]}"


def test_a_computed_number_is_caught(frozen, tmp_path, monkeypatch):
    """The test above fails on a difference taken in the template (5.24 against printed 85.6 % and 80.3 %)."""
    (tmp_path / "t.md.j2").write_text("{{ r.q3.valid_accuracy | pct }} and {{ (100 * r.q3.valid_accuracy - 3) | num }}")
    templates = templating.Templates(tmp_path)
    for f in ("pct", "num"):
        templates.env.filters[f] = marking(getattr(templating, f))
    text = templates.render("t.md.j2", r={"q3": traced(frozen["q3"], ("q3",))})
    leftover = MARK.sub(" ", text)
    assert NUMBER.findall(leftover)                          # the computed number is left unmarked
