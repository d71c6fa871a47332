"""reportkit.changes: every value of results.json by path, what counts as a change, how `diff` prints it, and
the previous build kept by each render, never through a link."""
import json
import re

import pytest

from reportkit import changes
from reportkit.errors import BuildError, ConfigError


def results(**sections):
    return {"meta": {"git": "abc"}, **sections}


def test_leaves_are_dotted_paths_and_a_list_of_numbers_is_one_value():
    tree = {"a": 1, "b": {"c": [0.1, 0.2], "d": [{"e": True}, {"e": "x"}]}}
    assert changes.leaves(tree, "q") == {"q.a": 1, "q.b.c": [0.1, 0.2], "q.b.d.0.e": True, "q.b.d.1.e": "x"}


def test_identical_builds_have_no_change_and_timings_are_counted_not_listed():
    old = results(q3={"valid_accuracy": 0.8561, "seconds": 10.0, "pca_time_share": 0.2, "nan": float("nan")})
    new = results(q3={"valid_accuracy": 0.8561, "seconds": 12.5, "pca_time_share": 0.3, "nan": float("nan")})
    found = changes.compare(old, new)
    assert found.count == 0 and found.timings == 2
    assert found.lines() == ["no change (only 2 timings)"]
    assert changes.compare(old, old).lines() == ["no change"]


def test_a_changed_accuracy_prints_as_percent_with_the_difference_in_points():
    found = changes.compare(results(q3={"valid_accuracy": 0.856, "epochs": 30}),
                            results(q3={"valid_accuracy": 0.861, "epochs": 20}))
    assert found.lines() == ["q3",
                             "  q3.valid_accuracy  85.60 % → 86.10 %  (+0.50)",
                             "  q3.epochs          30 → 20  (-10)"]
    assert found.summary() == "changed since the last build: 2 value(s) in q3, 0 figure(s)"


@pytest.mark.parametrize("old, new, text", [
    ({}, {"x": 1}, "added: 1"),
    ({"x": 1}, {}, "removed (was 1)"),
    ({"x": True}, {"x": False}, "true → false"),
    ({"x": 1}, {"x": True}, "1 → true"),                     # a bool is not the number 1
    ({"x": [1, 2]}, {"x": [1, 3]}, "[2 values] → [2 values]"),
    ({"acc": 2.0}, {"acc": 3.0}, "2 → 3  (+1)"),            # not a fraction: no percent
])
def test_each_kind_of_change_is_said(old, new, text):
    found = changes.compare(results(s=old), results(s=new))
    assert found.count == 1 and found.lines()[1].endswith(text), found.lines()


def test_figures_are_compared_by_digest():
    old = {"a": {"file": "a.png", "sha256": "1"}, "b": {"file": "b.png", "sha256": "2"}}
    new = {"a": {"file": "a.png", "sha256": "1"}, "b": {"file": "b.png", "sha256": "3"}, "c": {"file": "c.png",
                                                                                              "sha256": "4"}}
    found = changes.compare(results(), results(), old, new)
    assert found.figures == [("b", "changed"), ("c", "added")]
    assert found.lines()[-3:] == ["figures", "  b  changed", "  c  added"]


def test_each_render_keeps_the_build_before_it(tmp_path):
    build, figs = tmp_path / "build", tmp_path / "figures"
    figs.mkdir()
    (figs / "a.png").write_bytes(b"one")
    changes.keep_previous(build, figs)                      # a first build keeps nothing
    assert not (build / changes.PREVIOUS).exists()
    build.mkdir()
    (build / "results.json").write_text(json.dumps(results(q={"v": 1})))
    changes.record_figures(build, {"a": figs / "a.png"})
    with pytest.raises(ConfigError, match="no previous build"):
        changes.between_builds(build)
    changes.keep_previous(build, figs)                      # the next render starts
    (figs / "a.png").write_bytes(b"two")
    (build / "results.json").write_text(json.dumps(results(q={"v": 2})))
    changes.record_figures(build, {"a": figs / "a.png"})
    found = changes.between_builds(build)
    assert found.values == {"q": [("q.v", 1, 2)]} and found.figures == [("a", "changed")]
    assert (build / changes.PREVIOUS / "figures" / "a.png").read_bytes() == b"one"   # for the changes page


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"), ("not json", "is not a results file"), ("[1, 2]", "no 'meta'"),
    ('{"q3": {}}', "no 'meta'"),
])
def test_a_file_that_is_not_a_results_file_is_one_line(tmp_path, content, message):
    path = tmp_path / "saved.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        changes.read_results(path)


def a_build_with_figure(tmp_path, content=b"png"):
    """build/results.json and figures/a.png recorded in build/figures.json, as a render leaves them."""
    build, figs = tmp_path / "build", tmp_path / "figures"
    build.mkdir()
    figs.mkdir()
    (figs / "a.png").write_bytes(content)
    (build / "results.json").write_text(json.dumps(results(q={"v": 1})))
    changes.record_figures(build, {"a": figs / "a.png"})
    return build, figs


def outside(tmp_path, name):
    path = tmp_path / "elsewhere" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"not the build's")
    return path


def test_keeping_the_previous_build_writes_through_no_link(tmp_path):
    """A link planted at a kept figure is replaced; a figure that is a link is not kept (it is not the build's)."""
    build, figs = a_build_with_figure(tmp_path)
    kept = build / changes.PREVIOUS / "figures" / "a.png"
    kept.parent.mkdir(parents=True)
    kept.symlink_to(outside(tmp_path, "kept.png"))
    changes.keep_previous(build, figs)
    assert not kept.is_symlink() and kept.read_bytes() == b"png"
    kept.unlink()
    (figs / "a.png").unlink()
    (figs / "a.png").symlink_to(outside(tmp_path, "figure.png"))
    changes.keep_previous(build, figs)
    assert not kept.exists()
    assert [p.read_bytes() for p in (tmp_path / "elsewhere").iterdir()] == [b"not the build's"] * 2


def test_a_kept_folder_that_is_a_link_is_refused(tmp_path):
    build, figs = a_build_with_figure(tmp_path)
    target = outside(tmp_path, "a.png").parent
    (build / changes.PREVIOUS).mkdir()
    (build / changes.PREVIOUS / "figures").symlink_to(target)
    with pytest.raises(BuildError, match=r"figures is a link .*remove it"):
        changes.keep_previous(build, figs)
    assert (target / "a.png").read_bytes() == b"not the build's" and len(list(target.iterdir())) == 1


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"), ("{", "is damaged (not JSON"), ("[]", "is damaged (not a table"),
    (json.dumps({"a": {"file": "../../etc/passwd", "sha256": "x"}, "b": {"file": "b.png", "sha256": "y"}}),
     "is damaged (not a table"),
], ids=["missing", "not-json", "a-list", "a-path"])
def test_a_figures_table_that_is_not_sound_is_one_line_and_never_a_path(tmp_path, content, message):
    if content is not None:
        (tmp_path / "f.json").write_text(content)
    with pytest.raises(ConfigError, match=re.escape(message)):
        changes.read_figures(tmp_path / "f.json")


def two_builds(folder, values, damage_when):
    """Two renders of q.v (values[0], then values[1]) with the same figure; figures.json is damaged in the
    previous build ("previous") or in the first build before the second keeps it ("kept"), or removed there
    ("missing")."""
    build, figs = folder / "build", folder / "figures"
    figs.mkdir(parents=True)
    (figs / "a.png").write_bytes(b"one")
    for i, v in enumerate(values):
        if i and damage_when == "kept":
            (build / "figures.json").write_text("{")
        changes.keep_previous(build, figs)
        build.mkdir(exist_ok=True)
        (build / "results.json").write_text(json.dumps(results(q={"v": v})))
        changes.record_figures(build, {"a": figs / "a.png"})
    if damage_when == "previous":
        (build / "previous" / "figures.json").write_text("{")
    if damage_when == "missing":
        (build / "previous" / "figures.json").unlink()
    return changes.between_builds(build)


@pytest.mark.parametrize("damage_when, why", [
    ("previous", "previous/figures.json is damaged (not JSON"), ("missing", "previous/figures.json does not exist"),
    ("kept", "previous/figures.json does not exist"),
], ids=["previous-damaged", "previous-missing", "damaged-when-kept"])
def test_figures_that_cannot_be_compared_are_said_first_and_never_added(tmp_path, damage_when, why):
    found = two_builds(tmp_path / "changed", (1, 2), damage_when)
    assert found.figures == [] and found.values == {"q": [("q.v", 1, 2)]}
    note = found.lines()[0]
    assert note.startswith("note: figures not compared: ") and why in note and found.lines()[1] == "q"
    assert found.summary().startswith("changed since the last build: 1 value(s) in q; figures not compared (")
    found = two_builds(tmp_path / "same", (1, 1), damage_when)
    assert found.lines()[1:] == ["no change in any value"] and found.lines()[0].startswith("note: figures not")
    assert found.summary().startswith("no change in any number since the last build; figures not compared (")


@pytest.mark.parametrize("old, new, across", [
    ({"profile": "full", "seed": 0}, {"profile": "smoke", "seed": 0},
     "a smoke build with a full build (profiles differ)"),
    ({"seed": 0, "device": "cpu"}, {"seed": 1, "device": "cuda"},
     "a seed 1, cuda build with a seed 0, cpu build (seeds and devices differ)"),
    ({"profile": "full"}, {}, "a (unrecorded) build with a full build (profiles differ)"),
], ids=["profile", "seed-and-device", "unrecorded"])
def test_builds_of_another_profile_seed_or_device_say_so_first(old, new, across):
    found = changes.compare({"meta": old, "q": {"v": 1}}, {"meta": new, "q": {"v": 2}})
    assert found.lines()[:2] == [f"note: comparing {across}; most values differ for that reason", "q"]
    assert found.summary() == f"comparing {across}: changed since the last build: 1 value(s) in q, 0 figure(s)"
    assert changes.compare({"meta": {**old, "git": "a"}, "q": {}}, {"meta": {**old, "git": "b"}, "q": {}}).lines() \
        == ["no change"]


def test_a_timing_is_a_timing_wherever_it_nests():
    old = results(q5={"train_seconds": {"handout": 0.2, "pca": 0.4}, "loss": 1.0},
                  q6_2={"finetune": {"seconds": {"features": 3.0}, "acc": 0.5}})
    new = results(q5={"train_seconds": {"handout": 0.3, "pca": 0.5}, "loss": 1.0},
                  q6_2={"finetune": {"seconds": {"features": 4.0}, "acc": 0.5}})
    found = changes.compare(old, new)
    assert found.count == 0 and found.timings == 3
    assert found.summary() == "no change in any number or figure since the last build"
