"""The part cache: atomic entries, a manifest with every file's size and sha256, damaged entries discarded, the
leftovers of killed builds removed, no link followed out of the cache."""
import hashlib
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from reportkit.cache import KEEP_ENTRIES, Cache, explain, seal
from reportkit.errors import BuildError


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


def test_a_read_only_lookup_notes_a_damaged_entry_and_keeps_it(tmp_path):
    notices = []
    entry = Cache(tmp_path / "cache").store("q2.toy", "k1", {}, writer())
    (entry.dir / "f.png").write_text("PNG")
    cache = Cache(tmp_path / "cache", warn=notices.append, read_only=True)
    assert cache.lookup("q2.toy", "k1") is None and cache.damaged == {"q2.toy": "f.png was altered"}
    assert notices == [] and (entry.dir / "f.png").read_text() == "PNG"


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


def test_old_entries_are_pruned_per_seed_and_latest_is_the_newest(tmp_path):
    """Versions of one seed replace each other; the seeds of a spread are kept side by side."""
    cache = Cache(tmp_path / "cache")
    for i in range(KEEP_ENTRIES + 2):
        cache.store("q5.train", f"k{i}", {"seed": 0, "version": i}, writer(str(i)))
    for seed in (1, 2):
        cache.store("q5.train", f"s{seed}", {"seed": seed}, writer(str(seed)))
    kept = sorted(p.name for p in (tmp_path / "cache" / "q5" / "train").iterdir())
    assert kept == [f"k{i}" for i in range(2, KEEP_ENTRIES + 2)] + ["s1", "s2"]
    assert cache.latest("q5.train")["inputs"] == {"seed": 2}
    assert cache.latest("q5.train", seed=0)["inputs"] == {"seed": 0, "version": KEEP_ENTRIES + 1}
    assert cache.latest("q5.train", seed=7)["inputs"] == {"seed": 2}          # no entry of that seed: the newest


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


def rewrite_manifest(entry_dir, change):
    """Edit a stored manifest by hand, as a user (or an attacker) with a text editor would."""
    manifest = json.loads((entry_dir / "manifest.json").read_text())
    change(manifest)
    (entry_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


def set_figure(manifest, **fields):
    manifest["figures"] = [{"label": "fig", "file": "f.png", "caption": "c", **fields}]


@pytest.mark.parametrize("change, reason", [
    (lambda m: m["metrics"].update(a=2), "was edited"),                       # a forged number
    (lambda m: m.pop("seal"), "no seal"),                                      # written before seals
    (lambda m: m["files"].update({"../../../x": m["files"]["f.png"]}), "outside its folder"),
    (lambda m: set_figure(m, file="/etc/passwd"), "not in the entry"),
    (lambda m: set_figure(m, label="../../evil"), "not a plain name"),
    (lambda m: m["artifacts"].update(w="../../../../tmp/x"), "not in the entry"),
], ids=["forged-metric", "unsealed", "file-outside", "figure-outside", "label-path", "artifact-outside"])
def test_an_edited_or_escaping_manifest_is_damaged(tmp_path, change, reason):
    notices = []
    cache = Cache(tmp_path / "cache", warn=notices.append)
    entry = cache.store("q3.train", "k1", {}, writer())
    rewrite_manifest(entry.dir, change)
    if reason != "was edited" and reason != "no seal":      # even with a valid seal, the names are refused
        rewrite_manifest(entry.dir, lambda m: m.update(seal=seal(m)))
    assert cache.lookup("q3.train", "k1") is None
    assert len(notices) == 1 and reason in notices[0]


def test_a_file_replaced_by_a_link_is_damaged(tmp_path):
    notices = []
    cache = Cache(tmp_path / "cache", warn=notices.append)
    entry = cache.store("q3.train", "k1", {}, writer())
    (tmp_path / "elsewhere.png").write_text("png")                 # same content, but outside the entry
    (entry.dir / "f.png").unlink()
    (entry.dir / "f.png").symlink_to(tmp_path / "elsewhere.png")
    assert cache.lookup("q3.train", "k1") is None and "f.png is missing" in notices[0]


@pytest.mark.parametrize("fields", [
    {"figures": [{"label": "a/b", "file": "f.png", "caption": ""}]},
    {"figures": [{"label": "fig", "file": "../f.png", "caption": ""}]},
    {"artifacts": {"weights": "/etc/passwd"}},
], ids=["label", "figure-file", "artifact"])
def test_a_part_cannot_store_names_outside_its_entry(tmp_path, fields):
    def run(out):
        (out / "f.png").write_text("png")
        return {"metrics": {}, "figures": [], "artifacts": {}, "seconds": 0.0, **fields}

    cache = Cache(tmp_path / "cache")
    with pytest.raises(BuildError, match="cannot be cached"):
        cache.store("q1.checks", "k", {}, run)
    assert cache.lookup("q1.checks", "k") is None


def _store_many(root, rounds):
    """One process of the concurrency test: store the same keys as the other process, count the errors."""
    cache = Cache(Path(root), warn=lambda m: None)
    errors = []
    for i in range(rounds):
        try:
            cache.store("q2.toy", f"k{i % 3}", {"i": i % 3}, writer(f"png{i % 3}"))
        except Exception as e:          # noqa: BLE001 - the test counts every kind
            errors.append(f"{type(e).__name__}: {e}")
    return errors


def test_two_processes_storing_the_same_keys_do_not_fail(tmp_path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(_store_many, [(str(tmp_path / "cache"), 150)] * 2)
    assert results == [[], []]
    cache = Cache(tmp_path / "cache", warn=pytest.fail)          # every entry left is sound
    assert [(cache.lookup("q2.toy", f"k{i}").dir / "f.png").read_text() for i in range(3)] == ["png0", "png1", "png2"]
    assert not [p for p in (tmp_path / "cache" / "q2" / "toy").iterdir() if p.name.startswith(".")]


STORING = """
import sys, time
from pathlib import Path
from reportkit.cache import Cache

def run(out):
    (out / "half.npz").write_bytes(b"half")
    print("running", flush=True)
    time.sleep(600)

Cache(Path(sys.argv[1])).store("q3.train", sys.argv[2], {}, run)
"""


def storing(root, key, procs):
    """A process inside Cache.store (its part running), once its temporary folder is there; in `procs` to end."""
    procs.append(subprocess.Popen([sys.executable, "-c", STORING, str(root), key], stdout=subprocess.PIPE, text=True))
    assert procs[-1].stdout.readline().strip() == "running"
    return procs[-1]


def test_the_temporary_folders_of_a_killed_build_are_removed_by_the_next_store(tmp_path):
    folder, procs = tmp_path / "cache" / "q3" / "train", []
    try:
        killed = storing(tmp_path / "cache", "k1", procs)
        [left] = list(folder.iterdir())
        live = storing(tmp_path / "cache", "k2", procs)
        killed.kill()
        killed.wait(timeout=60)
        assert left.exists()                                           # kill -9 left its temporary entry
        trash = left.with_name(left.name.replace(".tmp-", ".trash-", 1) + "-k0")     # and one it was discarding
        trash.mkdir()
        reused = folder / f".tmp-{live.pid}-1-k3"        # a pid that a later process has again (another start time)
        reused.mkdir()
        running = set(folder.iterdir()) - {left, trash, reused}
        Cache(tmp_path / "cache").store("q3.train", "k4", {}, writer())
        assert not left.exists() and not trash.exists() and not reused.exists()
        assert running and all(p.exists() for p in running)            # the running store's folder stays
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=60)
            proc.stdout.close()


def test_a_link_between_the_cache_and_a_part_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "train").mkdir(parents=True)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "q3").symlink_to(elsewhere)
    with pytest.raises(BuildError, match=r"q3 is a link .*remove it"):
        Cache(tmp_path / "cache").store("q3.train", "k", {}, writer())
    assert list(elsewhere.rglob("*")) == [elsewhere / "train"]
