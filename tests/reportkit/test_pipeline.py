"""Planning and running parts on a toy project: keys by meaning, the device only where torch runs, reruns of
exactly what changed, damaged entries rebuilt, missing data refused before anything runs."""
import pytest

from reportkit import changes, pipeline
from reportkit.errors import BuildError, ConfigError, DataError
from reportkit.plan import plan
from reportkit.render import section_results
from reportkit.run import run as run_parts
from toyproject import opts, ran, run


def test_first_run_runs_every_part_in_order_then_nothing(toy):
    root, project = toy
    entries, said = run(project(), opts(root))
    assert ran(said) == ["s1.train", "s1.draw", "s1.gpu"]
    assert entries["s1.train"].metrics == {"total": 16} and entries["s1.draw"].metrics == {"count": 4}
    _, said = run(project(), opts(root))
    assert ran(said) == []


def test_the_device_enters_only_the_torch_part_key(toy):
    root, project = toy
    cpu = {p.id: p.key for p in plan(project(), opts(root)).parts}
    cuda = {p.id: p.key for p in plan(project(), opts(root, device="cuda")).parts}
    assert [pid for pid in cpu if cpu[pid] != cuda[pid]] == ["s1.gpu"]


@pytest.mark.parametrize("edit, reruns", [
    (lambda t: t.replace("\ndef train(ctx):", "\n# a comment\ndef train(ctx):  # another"), []),
    (lambda t: t.replace('len(ctx.input("train")', 'len(  ctx.input( "train" )'), []),
    (lambda t: t.replace("return Result({\"count\": len(", "return Result({\"count\": 1 + len("), ["s1.draw"]),
    (lambda t: t.replace("n: int = 4", "n: int = 5"), ["s1.train", "s1.draw"]),
    (lambda t: t.replace('{"device": ctx.device}', '{"device": str(ctx.device)}'), ["s1.gpu"]),
], ids=["comments", "formatting", "drawing-code", "config", "torch-part-code"])
def test_an_edit_reruns_exactly_the_parts_it_touches(toy, edit, reruns):
    root, project = toy
    run(project(), opts(root))
    path = root / "toyproj" / "sec.py"
    path.write_text(edit(path.read_text()))
    assert ran(run(project(), opts(root))[1]) == reruns


def test_explain_names_the_function_and_the_config_value(toy):
    root, project = toy
    run(project(), opts(root))
    path = root / "toyproj" / "sec.py"
    path.write_text(path.read_text().replace("n: int = 4", "n: int = 5").replace("+ ctx.seed", "- ctx.seed"))
    said = []
    pipeline.explain_parts(project(), opts(root), say=said.append)
    assert said[0] == ("s1.train: would run: code of toyproj.sec.train changed; config value n: 4 -> 5")
    assert said[1] == "s1.draw: would run: upstream part s1.train changed"
    assert said[2].startswith("s1.gpu: cached (key ")
    said.clear()
    pipeline.explain_parts(project(), opts(root, seed=3), say=said.append)
    assert said[0].endswith("seed: 0 -> 3")


def test_data_change_reruns_the_part_that_reads_the_file(toy):
    root, project = toy
    run(project(), opts(root))
    (root / "data" / "d.txt").write_text("11")
    entries, said = run(project(), opts(root))
    assert ran(said) == ["s1.train", "s1.draw"] and entries["s1.train"].metrics["total"] == 17


@pytest.mark.parametrize("damage", [
    lambda d: (d / "manifest.json").write_text((d / "manifest.json").read_text()[:40]),
    lambda d: (d / "values.txt").unlink(),
], ids=["truncated-manifest", "deleted-file"])
def test_a_damaged_entry_is_a_one_line_notice_and_a_rerun_of_that_part(toy, damage):
    root, project = toy
    entries, _ = run(project(), opts(root))
    damage(entries["s1.train"].dir)
    entries, said = run(project(), opts(root))
    notices = [line for line in said if line.startswith("cache:")]
    assert len(notices) == 1 and "s1.train" in notices[0] and "damaged" in notices[0]
    assert ran(said) == ["s1.train"] and entries["s1.train"].metrics == {"total": 16}


def test_targets_rerun_their_parts_and_only_missing_upstreams(toy):
    root, project = toy
    planned = plan(project(), opts(root, targets=("s1.draw",)))
    assert [p.id for p in planned.to_run(["s1.draw"])] == ["s1.train", "s1.draw"]
    run(project(), opts(root))
    planned = plan(project(), opts(root))
    assert [p.id for p in planned.to_run(["s1.draw"])] == ["s1.draw"]
    assert [p.id for p in planned.to_run(["s1"])] == ["s1.train", "s1.draw", "s1.gpu"]
    assert [p.id for p in planned.to_run()] == [] and len(planned.to_run(force=True)) == 3
    with pytest.raises(ConfigError, match="unknown section or part 's1.nope'"):
        plan(project(), opts(root, targets=("s1.nope",)))


def test_missing_data_is_refused_before_anything_runs_unless_skipped(toy):
    root, project = toy
    (root / "data" / "d.txt").unlink()
    with pytest.raises(DataError, match=r"s1\.train needs .*d\.txt"):
        run(project(), opts(root))
    assert not (root / "out" / "build" / "cache" / "parts" / "s1" / "gpu").exists()     # nothing ran
    planned = plan(project(), opts(root))
    assert {p.id: p.problem is not None for p in planned.parts} == {"s1.train": True, "s1.draw": True,
                                                                    "s1.gpu": False}
    outcomes = run_parts(planned, list(planned.parts), opts(root, skip_missing=True), lambda m: None)
    assert outcomes.status["s1.train"]["status"] == "skipped" and set(outcomes.entries) == {"s1.gpu"}


def test_parts_that_read_in_a_circle_are_a_config_error(toy):
    root, project = toy
    path = root / "toyproj" / "sec.py"
    path.write_text(path.read_text().replace('Part("train", train, TrainConfig, smoke={"n": 2}, data=("d.txt",)),',
                                             'Part("train", train, TrainConfig, data=("d.txt",), reads=("draw",)),'))
    with pytest.raises(ConfigError, match="in a circle"):
        plan(project(), opts(root))


def test_a_metric_defined_by_two_parts_of_a_section_is_a_build_error(toy):
    root, project = toy
    path = root / "toyproj" / "sec.py"
    path.write_text(path.read_text().replace('{"device": ctx.device}', '{"count": 3}'))
    p = project()
    entries, _ = run(p, opts(root))
    planned = plan(p, opts(root))
    with pytest.raises(BuildError, match="metric 'count' of section s1 comes from both s1.draw and s1.gpu"):
        section_results(p.sections[0], planned, entries)


def test_section_results_merge_metrics_and_give_each_part_its_config(toy):
    root, project = toy
    p = project()
    entries, _ = run(p, opts(root, profile="smoke"))
    planned = plan(p, opts(root, profile="smoke"))
    assert section_results(p.sections[0], planned, entries) == {
        "total": 11, "count": 2, "device": "cpu", "config": {"train": {"n": 2}}, "spread": {}}


def test_a_cache_folder_that_is_a_link_is_refused_before_anything_runs(toy, tmp_path):
    """build/cache moved elsewhere and linked back: no entry is written through the link, even when every data
    digest is already known (nothing else rewrites a file there)."""
    root, project = toy
    run(project(), opts(root))
    cache, elsewhere = opts(root).build_dir / "cache", tmp_path / "elsewhere"
    cache.rename(elsewhere)
    cache.symlink_to(elsewhere)
    before = sorted(elsewhere.rglob("*"))
    with pytest.raises(BuildError, match=r"cache is a link .*remove it"):
        run(project(), opts(root, seed=1))
    assert sorted(elsewhere.rglob("*")) == before


def test_a_huge_integer_in_the_last_results_is_said_in_the_summary_not_a_crash(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    (build / "results.json").write_text('{"meta": {}, "q": {"v": ' + "9" * 400 + "}}")
    changes.keep_previous(build, tmp_path / "figures")              # the next render starts
    (build / "results.json").write_text('{"meta": {}, "q": {"v": 1.5}}')
    said = pipeline.what_changed(build, "report.py")
    assert said.startswith("nothing to compare this build with") and "an integer of 400 digits" in said, said
