"""Jinja for the Markdown templates: undefined names and syntax errors name the template and line; filters."""
import pytest

from reportkit.errors import BuildError
from reportkit.section import check
from reportkit.templating import (Plain, Templates, check_rows, code, columns, fixed, num, pct, plain_strings, sci,
                                  seeds_note, spread, spread_pct, unit)


def test_strict_undefined_names_template_and_line(tmp_path):
    (tmp_path / "t.md.j2").write_text("line one\n{{ r.q9.accuracy }}\n")
    with pytest.raises(BuildError, match=r"t\.md\.j2:2: .*q9"):
        Templates(tmp_path).render("t.md.j2", r={})


def test_template_syntax_error_names_template_and_line(tmp_path):
    (tmp_path / "t.md.j2").write_text("ok\n\n{% if %}\n")
    with pytest.raises(BuildError, match=r"t\.md\.j2:3"):
        Templates(tmp_path).render("t.md.j2")


@pytest.mark.parametrize("fn, args, expected", [
    (fixed, (5.3,), "5.3"), (fixed, (2000.0, 0), "2000"),
    (pct, (0.8123,), "81.2\u00a0%"), (pct, (0.5, 0), "50\u00a0%"), (unit, (12.34, "s"), "12\u00a0s"), (num, (3.14159,), "3.14"),
    (sci, (1.2e-9,), "1.2 \\times 10^{-9}"), (sci, (0.0123,), "0.012"), (sci, (0.0,), "0.0"),
])
def test_number_filters(fn, args, expected):
    assert fn(*args) == expected


HOSTILE = ['<script>alert(1)</script>', 'Tom & Jerry <TJ>', '" onload="x', '*bold* _it_ [a](http://x) `c` # h',
           '$x^2$ and \\(y\\)', '/data/a|b/c\nd', '<!-- -->']


@pytest.mark.parametrize("value", HOSTILE)
def test_a_plain_value_prints_as_typed_in_markdown(tmp_path, value):
    import re

    from reportkit.document import markdown_to_html
    from reportkit.mathsvg import MathRenderer

    (tmp_path / "t.md.j2").write_text("Name: {{ who }}. Also {{ who ~ '' }} is not Plain.\n")
    text = Templates(tmp_path).render("t.md.j2", who=Plain(value))
    html = markdown_to_html(text.split(" Also")[0], MathRenderer())[0]
    assert "<svg" not in html and "<script" not in html and "<strong" not in html and "<em" not in html
    shown = re.sub(r"<[^>]+>", "", html)
    import html as html_lib
    assert html_lib.unescape(shown) == f"Name: {value.replace(chr(10), ' ')}."


def test_strings_of_the_results_are_plain_keys_included():
    found = plain_strings({"names": ["a*", "b"], "per": {"x<y": {"n": 3, "ok": True, "t": None}}, "pair": ("c", 1.5)})
    assert all(isinstance(n, Plain) for n in found["names"]) and all(isinstance(k, Plain) for k in found["per"])
    assert found["per"]["x<y"] == {"n": 3, "ok": True, "t": None} and found["pair"] == ("c", 1.5)
    assert type(found["per"]["x<y"]["n"]) is int and found["per"]["x<y"]["ok"] is True


@pytest.mark.parametrize("value", HOSTILE)
def test_names_from_the_results_print_as_typed_however_a_template_prints_them(tmp_path, value):
    """Printed alone, through a macro, joined and in a loop over keys: each is text; `code` shows it exactly."""
    import html as html_lib
    import re

    from reportkit.document import markdown_to_html
    from reportkit.mathsvg import MathRenderer

    (tmp_path / "t.md.j2").write_text(
        "{% macro names(ns) %}{% for n in ns %}{{ n }}{{ ', ' if not loop.last }}{% endfor %}{% endmacro %}"
        "A: {{ r.names[0] }}\n\nB: {{ names(r.names) }}\n\nC: {{ r.names | join(' + ') }}\n\n"
        "D: {% for k in r.per %}{{ k }}{% endfor %}\n\nE: {{ r.names[0] | code }}\n")
    r = plain_strings({"names": [value, "b"], "per": {value: 1}})
    html = markdown_to_html(Templates(tmp_path).render("t.md.j2", r=r), MathRenderer())[0]
    assert not re.search(r"<(svg|script|strong|em|a|h1|TJ)\b", html)
    lines = [html_lib.unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r"<p>(.*?)</p>", html, re.S)]
    one = value.replace("\n", " ")
    assert lines == [f"A: {one}", f"B: {one}, b", f"C: {one} + b", f"D: {one}", f"E: {one}"]


@pytest.mark.parametrize("value, span", [("a_b.jpg", "`a_b.jpg`"), ("x `y` z", "``x `y` z``"), ("`t`", "`` `t` ``")])
def test_code_picks_a_fence_no_backtick_run_of_the_value_closes(value, span):
    assert code(value) == span


@pytest.mark.parametrize("value", HOSTILE)
def test_every_value_is_escaped_in_an_html_template(tmp_path, value):
    from markupsafe import Markup

    (tmp_path / "page.html.j2").write_text('<meta content="{{ who }}"><p>{{ who }}</p>{{ body }}')
    page = Templates(tmp_path).render("page.html.j2", who=value, body=Markup("<main>ours</main>"))
    assert "<script" not in page and "<TJ>" not in page and 'content="" onload' not in page
    assert page.endswith("<main>ours</main>")                 # what the build made itself stays markup


def test_appendix_rows_print_counts_as_counts_and_lay_out_columns():
    checks = {"a": check("error", 1e-12, 1e-9), "b": check("rows not finite", 2000, 0, passed=True),
              "c": check("ratio above the other", 0.25, 0, passed=False)}
    found = check_rows([{"id": "q1", "built": True}, {"id": "q2", "built": False}],
                       {"q1": {"checks": checks}, "q2": {"checks": {"x": check("x", 1, 0)}}})
    assert found["held"] == 2 and found["total"] == 3
    by = {r["what"]: r for r in found["rows"]}
    assert by["rows not finite"]["count"] and by["rows not finite"]["condition"]
    assert by["ratio above the other"]["condition"] and not by["ratio above the other"]["count"]
    assert not by["error"]["condition"] and not by["error"]["count"]
    assert columns([1, 2, 3, 4, 5], 3) == [[1, 3, 5], [2, 4, None]]
    assert columns([], 3) == []


def agg(n, agree=None, mean=0.8491, sd=0.0042):
    return {"n": n, "agree": n if agree is None else agree, "mean": mean, "sd": sd if n > 1 else None}


@pytest.mark.parametrize("fn, value, expected", [
    (spread_pct, agg(5), "(84.9 ± 0.4 over 5 seeds)"), (spread_pct, agg(1), ""),
    (spread, agg(3, mean=14.214, sd=0.401), "(14.21 ± 0.40 over 3 seeds)"), (spread, agg(1, mean=14.2), ""),
    (seeds_note, agg(1), ""), (seeds_note, agg(5), ""), (seeds_note, agg(5, agree=4), " (in 4 of 5 seeds)"),
    (seeds_note, agg(2, agree=1), " (in 1 of 2 seeds)"),
], ids=["pct", "pct-one-seed", "number", "number-one-seed", "verdict-one-seed", "verdict-all", "verdict-some",
        "verdict-half"])
def test_spreads_and_verdicts_over_seeds_say_only_what_varied(fn, value, expected):
    assert fn(value) == expected
