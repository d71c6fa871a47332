"""The part cache: atomic entries, a manifest with every file's size and sha256, damaged entries discarded."""
import hashlib
import json

import pytest

from reportkit.cache import KEEP_ENTRIES, Cache, explain


def writer(text="png"):
    def run(out):
        (out / "f.png").write_text(text)
        (out / "arrays.npz").write_bytes(b"\x00\x01")
        return {"metrics": {"a": 1}, "figures": [], "artifacts": {}, "seconds": 0.1}
    return run


def test_store_then_lookup_hits_with_sizes_and_digests(tmp_path):
    cache = Cache(tmp_path / "cache")
    assert cache.lookup("q1.checks", "k1") is None
    entry = cache.store("q1.checks", "k1", {"seed": 0}, writer())
    assert entry.dir == tmp_path / "cache" / "q1" / "checks" / "k1"
    files = json.loads((entry.dir / "manifest.json").read_text())["files"]
    assert files["f.png"] == {"size": 3, "sha256": hashlib.sha256(b"png").hexdigest()}
    assert set(files) == {"f.png", "arrays.npz"}
    hit = cache.lookup("q1.checks", "k1")
    assert hit.metrics == {"a": 1} and hit.manifest["inputs"] == {"seed": 0}


@pytest.mark.parametrize("damage, reason", [
    (lambda d: (d / "manifest.json").write_text('{"key": "k1", "fil'), "manifest is unreadable"),
    (lambda d: (d / "manifest.json").write_text("[]"), "manifest is unreadable"),
    (lambda d: (d / "f.png").unlink(), "f.png is missing"),
    (lambda d: (d / "f.png").write_text("PNG"), "f.png was altered"),
    (lambda d: (d / "arrays.npz").write_bytes(b"\x00\x01\x02"), "arrays.npz was altered"),
], ids=["truncated-manifest", "foreign-manifest", "deleted-file", "same-size-edit", "grown-file"])
def test_a_damaged_entry_is_reported_in_one_line_and_discarded(tmp_path, damage, reason):
    notices = []
    cache = Cache(tmp_path / "cache", warn=notices.append)
    entry = cache.store("q2.toy", "k1", {}, writer())
    damage(entry.dir)
    assert cache.lookup("q2.toy", "k1") is None
    assert len(notices) == 1 and "\n" not in notices[0]
    assert "q2.toy" in notices[0] and "k1" in notices[0] and reason in notices[0] and "reruns" in notices[0]
    assert not entry.dir.exists()
    assert cache.lookup("q2.toy", "k1") is None and len(notices) == 1     # gone: a plain miss now


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt], ids=["error", "ctrl-c"])
def test_interrupted_run_leaves_no_entry(tmp_path, exc):
    cache = Cache(tmp_path / "cache")

    def run(out):
        (out / "half.npz").write_bytes(b"half")
        raise exc()

    with pytest.raises(exc):
        cache.store("q3.train", "k", {}, run)
    assert cache.lookup("q3.train", "k") is None
    assert list((tmp_path / "cache" / "q3" / "train").iterdir()) == []


def test_old_entries_are_pruned_and_latest_is_the_newest(tmp_path):
    cache = Cache(tmp_path / "cache")
    for i in range(KEEP_ENTRIES + 2):
        cache.store("q5.train", f"k{i}", {"seed": i}, writer(str(i)))
    kept = sorted(p.name for p in (tmp_path / "cache" / "q5" / "train").iterdir())
    assert kept == [f"k{i}" for i in range(2, KEEP_ENTRIES + 2)]
    assert cache.latest("q5.train")["inputs"] == {"seed": KEEP_ENTRIES + 1}


def test_explain_names_each_changed_component():
    before = {"code": {"hw5.mlp.train_epoch": "a", "hw5.nn.forward": "b"}, "config": {"lr": 0.1, "widths": [16, 32]},
              "seed": 0, "data": {"data/x.mat": "d"}, "libraries": {"numpy": "2.0"}, "reads": {"q3.train": "k"}}
    after = {"code": {"hw5.mlp.train_epoch": "A", "hw5.nn.forward": "b", "hw5.new.f": "c"},
             "config": {"lr": 0.2, "widths": (16, 32)}, "seed": 7, "data": {"data/x.mat": "D"},
             "libraries": {"numpy": "2.1"}, "reads": {"q3.train": "K"}}
    assert explain(before, after) == [
        "code of hw5.mlp.train_epoch changed", "code of hw5.new.f added",
        "config value lr: 0.1 -> 0.2",                        # the tuple equals its stored JSON list
        "data file data/x.mat changed", "library numpy: '2.0' -> '2.1'", "upstream part q3.train changed",
        "seed: 0 -> 7"]
    assert explain(None, after) == ["never run"]
    many = {"code": {f"m.f{i}": "x" for i in range(6)}}
    assert explain({"code": {}}, many, most=4)[-1] == "and 2 more code changes"
