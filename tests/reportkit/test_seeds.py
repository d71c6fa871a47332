"""Seeds as an axis of the build: a part with `seeds` runs at seeds 0..n-1 beside the shown one, each seed cached
under its own key; a costly part runs its other seeds only when --seeds asks; at seed s a part reads the parts it
reads at seed s, except that a part whose other seeds always run reads a costly one at the shown seed; the
templates get every metric's spread over the seeds that have an entry."""
import importlib
import sys

import pytest

from reportkit import pipeline
from reportkit.plan import plan
from reportkit.project import Options, Project
from reportkit.render import section_results

CODE = '''
from pathlib import Path

from reportkit.section import Part, Result, Section


def train(ctx):
    if ctx.seed == 2 and Path(ctx.data("stop")).read_text() == "stop":
        raise KeyboardInterrupt
    return Result({"acc": 0.8 + ctx.seed / 100, "good": ctx.seed != 1, "word": "up"})


def net(ctx):
    return Result({"net_acc": 0.5 + ctx.seed / 10})


def findings(ctx):
    return Result({"findings": {"sum": ctx.input("train").metrics["acc"] + ctx.input("net").metrics["net_acc"]}})


def compare(ctx):
    return Result({"net_seed": ctx.input("net").metrics["net_acc"]})


def draw(ctx):
    return Result({"drawn": ctx.input("train").metrics["acc"]})


SECTION = Section("s1", "Toy", "s1.md.j2", parts=(
    Part("train", train, data=("stop",), seeds=3),
    Part("net", net, seeds=3, costly=True, torch=True),
    Part("findings", findings, reads=("train", "net"), seeds=3),
    Part("compare", compare, reads=("net",), seeds=3, costly=True),
    Part("draw", draw, reads=("train",)),
))
'''


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    (tmp_path / "seedproj").mkdir()
    (tmp_path / "seedproj" / "__init__.py").write_text("")
    (tmp_path / "seedproj" / "sec.py").write_text(CODE)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stop").write_text("go")
    monkeypatch.syspath_prepend(str(tmp_path))

    def project():
        for mod in [m for m in sys.modules if m.startswith("seedproj")]:
            del sys.modules[mod]
        section = importlib.import_module("seedproj.sec").SECTION
        return Project(root=tmp_path, sections=(section,), code_packages=("seedproj",),
                       find_data_root=lambda cli: tmp_path / "data")
    return tmp_path, project


def build(root, project, **kw):
    """Run what the build would run (no render): (entries by planned id, ids that ran)."""
    said = []
    options = Options(out=root / "out", **kw)
    planned = plan(project(), options)
    outcomes = pipeline.run(planned, planned.to_run(), options, said.append)
    return outcomes.entries, [line.split()[0] for line in said if " ran " in line]


def test_the_default_build_runs_every_seed_of_a_cheap_part_and_the_shown_seed_of_a_costly_one(seeded):
    root, project = seeded
    _, ran = build(root, project)
    assert ran == ["s1.train", "s1.train@1", "s1.train@2", "s1.net", "s1.findings", "s1.findings@1",
                   "s1.findings@2", "s1.compare", "s1.draw"]
    assert build(root, project)[1] == []


def test_a_part_reads_the_same_seed_except_a_cheap_one_reading_a_costly_one(seeded):
    root, project = seeded
    planned = plan(project(), Options(out=root / "out", seeds=3))
    assert planned["s1.findings@1"].reads == {"train": "s1.train@1", "net": "s1.net"}
    assert planned["s1.compare@1"].reads == {"net": "s1.net@1"}
    assert planned["s1.draw"].reads == {"train": "s1.train"}
    assert [p.id for p in planned.parts if p.part_id == "s1.draw"] == ["s1.draw"]


def test_seeds_asked_for_run_costly_parts_too_and_a_later_default_build_shows_them(seeded):
    root, project = seeded
    build(root, project)
    _, ran = build(root, project, seeds=3)
    assert ran == ["s1.net@1", "s1.net@2", "s1.compare@1", "s1.compare@2"]
    planned = plan(project(), Options(out=root / "out"))
    entries = {p.id: p.entry for p in planned.parts if p.entry}
    spread = section_results(planned.parts[0].section, planned, entries)["spread"]
    assert spread["net_acc"]["n"] == 3 and spread["net_acc"]["values"] == pytest.approx([0.5, 0.6, 0.7])
    assert spread["net_seed"]["n"] == 3 and spread["acc"]["n"] == 3


def test_the_spread_covers_the_seeds_that_have_an_entry(seeded):
    root, project = seeded
    entries, _ = build(root, project)
    planned = plan(project(), Options(out=root / "out"))
    results = section_results(planned.parts[0].section, planned, entries)
    assert results["acc"] == 0.8 and results["drawn"] == 0.8                 # the shown seed's numbers
    spread = results["spread"]
    assert spread["acc"]["values"] == pytest.approx([0.8, 0.81, 0.82]) and spread["acc"]["seeds"] == [0, 1, 2]
    assert spread["good"] == {"n": 3, "agree": 2, "counts": {"true": 2, "false": 1}}
    assert spread["word"] == {"n": 3, "agree": 3, "counts": {"up": 3}}
    assert spread["net_acc"]["n"] == 1 and spread["net_acc"]["sd"] is None   # one seed cached: no spread yet
    assert spread["findings"]["sum"]["values"] == pytest.approx([1.3, 1.31, 1.32])
    assert "drawn" not in spread                                             # not on the axis


def test_the_shown_seed_keeps_its_key_and_is_one_of_the_spread(seeded):
    root, project = seeded
    zero = plan(project(), Options(out=root / "out"))
    two = plan(project(), Options(out=root / "out", seed=2))
    assert two["s1.train"].seed == 2 and [p.seed for p in two.seeds_of("s1.train")] == [0, 1, 2]
    assert two["s1.train"].key == zero["s1.train@2"].key and two["s1.train@0"].key == zero["s1.train"].key
    one = plan(project(), Options(out=root / "out", seeds=1))
    assert [p.id for p in one.parts] == ["s1.train", "s1.net", "s1.findings", "s1.compare", "s1.draw"]


def test_an_interrupted_sweep_keeps_the_seeds_that_finished(seeded):
    root, project = seeded
    (root / "data" / "stop").write_text("stop")
    with pytest.raises(KeyboardInterrupt):
        build(root, project)
    (root / "data" / "stop").write_text("stop")                               # the same data: the same keys
    planned = plan(project(), Options(out=root / "out"))
    assert [p.id for p in planned.parts if p.entry] == ["s1.train", "s1.train@1"]
