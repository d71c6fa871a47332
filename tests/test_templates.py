"""Templates choose words: no arithmetic, no aggregation and no literal thresholds in them (findings are computed
and tested in Python), read from Jinja's own syntax tree so that strings and comments cannot hide or fake one."""
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
ARITHMETIC = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg, nodes.Slice)
COMPUTING_FILTERS = {"sum", "max", "min", "round", "length", "count", "abs", "int", "float", "format", "batch",
                     "slice", "sort", "unique", "groupby"}      # selecting (selectattr, map) is a lookup
ORDER = {"lt", "gt", "lteq", "gteq"}


def problems(source: str) -> list[str]:
    """What in one template computes: arithmetic, aggregating filters, .index(), comparisons with thresholds."""
    found = []
    for node in jinja2.Environment().parse(source).find_all(nodes.Node):
        where = f"line {node.lineno}"
        if isinstance(node, ARITHMETIC):
            found.append(f"{where}: arithmetic {type(node).__name__}")
        elif isinstance(node, nodes.Filter) and node.name in COMPUTING_FILTERS:
            found.append(f"{where}: filter {node.name}")
        elif isinstance(node, nodes.Getattr) and node.attr == "index":
            found.append(f"{where}: .index")
        elif isinstance(node, nodes.Compare):
            operands = [node.expr, *(op.expr for op in node.ops)]
            for op, (left, right) in zip(node.ops, zip(operands, operands[1:])):
                literals = [e for e in (left, right) if isinstance(e, nodes.Const)]
                if op.op in ORDER and not any(c.value in (0, 1) and not isinstance(c.value, bool) for c in literals):
                    found.append(f"{where}: comparison {op.op} without 0 or 1")
                elif op.op in ("eq", "ne") and not literals:
                    found.append(f"{where}: two computed values compared")
                for c in literals:
                    if isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and c.value not in (0, 1):
                        found.append(f"{where}: literal threshold {c.value}")
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_templates_only_look_up_and_choose_words(name):
    assert problems((TEMPLATES / name).read_text()) == []


@pytest.mark.parametrize("source, expected", [
    ("{{ (a - b) | pct }}", "arithmetic Sub"), ("{{ -gain }}", "arithmetic Neg"), ("{{ x[1:] }}", "arithmetic Slice"),
    ("{{ xs | sum }}", "filter sum"), ("{{ xs | max }}", "filter max"), ("{{ names[pc.index(w)] }}", ".index"),
    ("{% if gap > 0.03 %}x{% endif %}", "literal threshold 0.03"), ("{% if a < b %}x{% endif %}", "without 0 or 1"),
    ("{% if s.lr == q.best %}x{% endif %}", "two computed values"), ("{{ 'a' if n > 2 }}", "literal threshold 2"),
])
def test_the_rule_catches_each_kind(source, expected):
    assert any(expected in p for p in problems(source)), problems(source)


@pytest.mark.parametrize("source", [
    "{{ x | pct }}", "{% if f.converged %}x{% endif %}", "{% if n > 1 %}s{% endif %}", "{{ 's' if c != 1 }}",
    "{% if f.test == 'above' %}x{% endif %}", "{% if d > 0 %}x{% endif %}", "{{ a ~ ' of ' ~ b }}", "{{ '2 - 1 = 1' }}",
])
def test_lookups_words_plurals_and_signs_pass(source):
    assert problems(source) == []
