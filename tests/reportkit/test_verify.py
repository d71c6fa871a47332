"""reportkit.verify on the toy project: a rerun that computes the same agrees, one that does not is named value by
value, nothing of the cache changes, and what cannot be verified is one line."""
import re
import shutil

import pytest

from reportkit import verify
from reportkit.cache import Entry
from reportkit.errors import ConfigError, DataError
from toyproject import opts, run


@pytest.fixture
def shifted(toy, monkeypatch):
    """The toy project whose train part adds $TOY_SHIFT (not an input of its key) to its total, built once."""
    root, project = toy
    path = root / "toyproj" / "sec.py"
    path.write_text("import os\n" + path.read_text().replace("+ ctx.seed", "+ ctx.seed + int(os.environ.get('TOY_SHIFT', 0))"))
    monkeypatch.delenv("TOY_SHIFT", raising=False)
    run(project(), opts(root))
    return root, project


def cache_files(root):
    return sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in (root / "out" / "build" / "cache").rglob("*"))


def test_a_deterministic_part_agrees_exactly_and_the_cache_is_untouched(shifted):
    root, project = shifted
    before, said = cache_files(root), []
    assert verify.verify(project(), opts(root), ["s1"], say=said.append)
    assert [line.split()[:2] for line in said] == [["s1.train", "agrees"], ["s1.draw", "agrees"], ["s1.gpu", "agrees"]]
    assert "exactly" in said[0] and "within" in said[2]               # the torch part has a tolerance
    assert cache_files(root) == before


def test_a_part_that_computes_something_else_differs_and_says_what(shifted, monkeypatch):
    root, project = shifted
    monkeypatch.setenv("TOY_SHIFT", "1")
    said = []
    assert not verify.verify(project(), opts(root), ["s1.train"], say=said.append)
    assert said[0].startswith("s1.train") and "DIFFERS in 1 value" in said[0]
    assert said[1].strip() == "total: cached 16, rerun 17"


@pytest.mark.parametrize("damage, error, message", [
    (lambda d: (d / "values.txt").write_text("7 7"), DataError,
     "s1.train's cached entry is damaged (values.txt was altered): rebuild it with python -m reportkit --section "
     "s1.train, with the same flags, then verify again"),
    (lambda d: shutil.rmtree(d), ConfigError,
     "s1.train is not cached for these options, so s1.draw cannot be rerun: build it first"),
], ids=["damaged", "removed"])
def test_an_upstream_without_a_sound_entry_is_one_line_and_verify_changes_nothing(shifted, damage, error, message):
    root, project = shifted
    damage(next((root / "out" / "build" / "cache" / "parts" / "s1" / "train").iterdir()))
    before, said = cache_files(root), []
    with pytest.raises(error, match=re.escape(message)):
        verify.verify(project(), opts(root), ["s1.draw"], say=said.append)
    assert cache_files(root) == before and said == []


def test_what_is_not_cached_or_not_a_part_cannot_be_verified(toy):
    root, project = toy
    with pytest.raises(ConfigError, match="s1.train is not cached for these options"):
        verify.verify(project(), opts(root), ["s1.train"], say=lambda m: None)
    with pytest.raises(ConfigError, match="unknown section or part 's9'"):
        verify.verify(project(), opts(root), ["s9"], say=lambda m: None)


@pytest.mark.parametrize("a, b, torch, agree", [
    (0.5, 0.5, False, True), (0.5, 0.50000001, False, False), (0.5, 0.50000001, True, True),
    (0.5, 0.51, True, False), ([1.0, 2.0], [1.0, 2.00000001], True, True), ([1.0], [1.0, 2.0], True, False),
    (float("nan"), float("nan"), True, True), (True, 1, True, False), ("a", "a", True, True),
])
def test_numbers_agree_exactly_without_torch_and_within_the_tolerance_with_it(a, b, torch, agree):
    assert verify.agrees(a, b, torch) is agree


def test_figures_of_a_torch_part_may_differ_by_one_level_of_a_pixel(tmp_path):
    import matplotlib.pyplot as plt
    import numpy as np

    image = (np.arange(64 * 64 * 3) % 200).reshape(64, 64, 3).astype(np.uint8)
    plt.imsave(tmp_path / "a.png", image)
    plt.imsave(tmp_path / "b.png", image + 1)                       # every channel one level up
    plt.imsave(tmp_path / "c.png", image + 2)
    assert verify.same_figure(tmp_path / "a.png", tmp_path / "b.png", torch=True)
    assert not verify.same_figure(tmp_path / "a.png", tmp_path / "b.png", torch=False)
    assert not verify.same_figure(tmp_path / "a.png", tmp_path / "c.png", torch=True)


def test_a_nested_timing_is_not_compared(tmp_path):
    entry = Entry(tmp_path, {"metrics": {"loss": 1.0, "train_seconds": {"handout": 0.2}}, "figures": []})
    rerun = {"metrics": {"loss": 1.0, "train_seconds": {"handout": 0.3}}, "figures": []}
    assert verify.differences(entry, rerun, tmp_path, torch=False) == []
    rerun["metrics"]["loss"] = 1.5
    assert verify.differences(entry, rerun, tmp_path, torch=False) == ["loss: cached 1, rerun 1.5"]


def test_an_entry_cached_on_another_instruction_set_is_said_in_one_line(shifted, monkeypatch):
    from reportkit import machine

    root, project = shifted
    here = machine.describe()
    monkeypatch.setattr(machine, "describe", lambda: {**here, "isa": "AVX-512 with bf16", "cpu": "Other EPYC"})
    said = []
    assert verify.verify(project(), opts(root), ["s1.train"], say=said.append)
    assert said[0].startswith(f"note: s1.train was cached on {machine.summary(here)} and rerun on Other EPYC "
                              "(AVX-512 with bf16") and "agree exactly only on the same instruction set" in said[0]
    assert said[1].split()[:2] == ["s1.train", "agrees"]
    monkeypatch.setattr(machine, "describe", lambda: here)
    said.clear()
    assert verify.verify(project(), opts(root), ["s1.train"], say=said.append) and len(said) == 1
