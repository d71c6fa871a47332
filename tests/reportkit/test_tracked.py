"""Tracked numbers: each knows its metric path, computes and compares as a plain number, and prints marked; the
marks become `data-metric` spans on screen (on a formula's wrapper inside math), vanish for the PDF, and leave
Markdown, tables and TeX as they were."""
import json
import re

import pytest

from reportkit import templating
from reportkit.document import markdown_to_html
from reportkit.mathsvg import MathRenderer
from reportkit.sources import script_json
from reportkit.tracked import TrackedFloat, TrackedInt, plain, spans, take, track, unmark

RESULTS = {"q3": {"valid_accuracy": 0.8123, "no_augment": {"valid_acc": 0.7}, "sizes": {"train": 720},
                  "lr": 1.5e-9, "diverged": False, "name": "best", "missing": None,
                  "rows": [{"lr": 0.01}], "pairs": [["O", "0", 12]],
                  "per_image": {"01_list.jpg": {"n_chars": 3}}, "config": {"train": {"epochs": 2}}}}
SPAN = re.compile(r'<span class="metric" data-metric="([^"]*)" tabindex="0">([^<]*)</span>')


@pytest.fixture
def q():
    return track(RESULTS)["q3"]


def test_every_number_knows_its_path(q):
    assert q["valid_accuracy"].metric == "q3.valid_accuracy"
    assert q["no_augment"]["valid_acc"].metric == "q3.no_augment.valid_acc"
    assert q["config"]["train"]["epochs"].metric == "q3.config.train.epochs"
    assert q["rows"][0]["lr"].metric == "q3.rows[0].lr"
    assert q["pairs"][0][2].metric == "q3.pairs[0][2]"
    assert q["per_image"]["01_list.jpg"]["n_chars"].metric == 'q3.per_image["01_list.jpg"].n_chars'


def test_bools_strings_and_none_are_not_tracked(q):
    assert q["diverged"] is False and type(q["name"]) is str and q["missing"] is None
    assert q["pairs"][0][0] == "O" and type(q["pairs"][0][0]) is str


def test_tracked_numbers_compute_and_compare_as_plain_ones(q):
    acc, n = q["valid_accuracy"], q["sizes"]["train"]
    assert isinstance(acc, TrackedFloat) and isinstance(n, TrackedInt)
    assert acc > 0.5 and acc == 0.8123 and n == 720 and n > 700 and not (acc < 0.5)
    for computed in (acc * 100, acc - 0.1, n + 1, n // 2, -n, abs(acc), round(acc, 2)):
        assert type(computed) in (int, float)               # a computed value is not passed off as the metric
    assert f"{acc:.2f}" == "0.81" and "%.1f" % acc == "0.8" and [1, 2, 3][TrackedInt(1)] == 2
    assert type(plain(acc)) is float and type(plain(n)) is int and plain("x") == "x"
    assert json.dumps(q["rows"]) == '[{"lr": 0.01}]'


def test_printing_marks_and_the_marks_become_spans_or_vanish(q):
    text = f"{q['sizes']['train']} images, {templating.pct(q['valid_accuracy'])}, {templating.fixed(q['lr'], 1)}"
    assert unmark(text) == "720 images, 81.2\u00a0%, 0.0"
    assert SPAN.findall(spans(text)) == [("q3.sizes.train", "720"), ("q3.valid_accuracy", "81.2\u00a0%"),
                                         ("q3.lr", "0.0")]
    assert templating.pct(0.8123) == "81.2\u00a0%" and templating.num(720) == "720"    # plain values: unmarked
    assert SPAN.findall(spans(f"{q['per_image']['01_list.jpg']['n_chars']}")) == \
        [("q3.per_image[&quot;01_list.jpg&quot;].n_chars", "3")]


def test_a_mark_inside_a_tag_is_removed_not_turned_into_markup(q):
    page = f'<img alt="{q["sizes"]["train"]} images" src="a.png"> {q["sizes"]["train"]}'
    assert spans(page) == ('<img alt="720 images" src="a.png"> '
                           '<span class="metric" data-metric="q3.sizes.train" tabindex="0">720</span>')


def test_math_keeps_its_tex_and_its_wrapper_carries_the_metrics(q):
    tex, paths = take(f"\\eta = {templating.sci(q['lr'])} + {q['sizes']['train']}")
    assert tex == "\\eta = 1.5 \\times 10^{-9} + 720" and paths == ["q3.lr", "q3.sizes.train"]
    text = f"Rate $\\eta = {templating.sci(q['lr'])}$ here.\n\n$$\nx = {q['sizes']['train']}\n$$\n"
    body = markdown_to_html(text, MathRenderer())[0]
    assert unmark(body) == markdown_to_html(unmark(text), MathRenderer())[0]       # the PDF's HTML
    screen = spans(body)
    assert '<span class="math metric" data-metric="q3.lr" tabindex="0"><svg' in screen
    assert '<div class="math display metric" data-metric="q3.sizes.train" tabindex="0"><svg' in screen
    assert "<title>\\eta = 1.5 \\times 10^" in screen and not SPAN.search(screen)      # no span in the TeX


def test_markdown_tables_code_and_emphasis_read_marked_numbers_as_before(q):
    text = (f"**{templating.pct(q['valid_accuracy'])} of them** in `Linear(1024, {q['sizes']['train']})`\n\n"
            f"| lr | accuracy |\n|---|---|\n| {templating.num(q['rows'][0]['lr'])} | "
            f"{templating.pct(q['no_augment']['valid_acc'])} |\n")
    body = markdown_to_html(text, MathRenderer())[0]
    assert unmark(body) == markdown_to_html(unmark(text), MathRenderer())[0]       # the PDF's HTML is unchanged
    screen = spans(body)
    assert "<strong><span" in screen and "<code>Linear(1024, <span" in screen
    assert [path for path, _ in SPAN.findall(screen)] == ["q3.valid_accuracy", "q3.sizes.train", "q3.rows[0].lr",
                                                          "q3.no_augment.valid_acc"]
    assert re.search(r"<td><span [^>]*>0\.01</span></td>", screen)


def test_templates_print_marked_numbers_through_every_route(q, tmp_path):
    (tmp_path / "t.md.j2").write_text(
        "{{ q.sizes.train }}|{{ q.valid_accuracy | pct }}|{{ 'n=' ~ q.sizes.train }}|{{ q.rows | map(attribute='lr')"
        " | join(',') }}|{% if q.valid_accuracy > 0.5 and q.sizes.train == 720 %}high{% endif %}|"
        "{{ (q.valid_accuracy * 100) | round(1) }}|{{ q.diverged }}")
    text = templating.Templates(tmp_path).render("t.md.j2", q=q)
    assert unmark(text) == "720|81.2\u00a0%|n=720|0.01|high|81.2|False"
    assert [path for path, _ in SPAN.findall(spans(text))] == ["q3.sizes.train", "q3.valid_accuracy",
                                                               "q3.sizes.train", "q3.rows[0].lr"]


def test_html_templates_escape_around_marked_numbers(q, tmp_path):
    (tmp_path / "t.html.j2").write_text("<td>{{ (q.valid_accuracy | pct) ~ ' <b> ' ~ q.sizes.train }}</td>")
    page = spans(templating.Templates(tmp_path).render("t.html.j2", q=q))
    assert page.startswith('<td><span class="metric" data-metric="q3.valid_accuracy" tabindex="0">81.2')
    assert " &lt;b&gt; <span" in page


def test_sources_json_cannot_end_its_script_element():
    data = {"code": 'x = "</script><script>alert(1)</script>" & y', "config": {"name": "<b>\u2028"}}
    text = script_json(data)
    assert not re.search(r"[<>&\u2028]", text) and json.loads(text) == data
