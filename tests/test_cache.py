"""The content-hash cache: hits on identical inputs, misses on a changed source line or data byte, atomic entries."""
import json

import pytest

from reportkit import cache
from reportkit.cache import Cache, DigestMemo, explain, key_of


@pytest.fixture
def fake_project(tmp_path, monkeypatch):
    """A tiny project tree: experiments/sec.py imports experiments.helper lazily and reportkit.util at top."""
    root = tmp_path / "proj"
    for pkg in ("experiments", "reportkit"):
        (root / pkg).mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("")
    (root / "experiments" / "sec.py").write_text(
        "from reportkit import util\n\ndef run():\n    from experiments.helper import f\n    return f()\n")
    (root / "experiments" / "helper.py").write_text("def f():\n    return 1\n")
    (root / "experiments" / "unrelated.py").write_text("x = 1\n")
    (root / "reportkit" / "util.py").write_text("import numpy\n")
    monkeypatch.setattr(cache, "PROJECT_ROOT", root)
    return root


def inputs_for(root, data=None, config=None):
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Config:
        lr: float = 0.1

    return cache.section_inputs(root / "experiments" / "sec.py", config or Config(), 0, "cpu", data or {}, {})


def test_sources_follow_project_imports_only(fake_project):
    sources = cache.project_sources(fake_project / "experiments" / "sec.py")
    assert set(sources) == {"experiments/sec.py", "experiments/helper.py",
                            "reportkit/util.py"}


def test_same_inputs_same_key_and_changed_line_misses(fake_project):
    before = inputs_for(fake_project)
    assert key_of(before) == key_of(inputs_for(fake_project))
    (fake_project / "experiments" / "unrelated.py").write_text("x = 2\n")
    assert key_of(inputs_for(fake_project)) == key_of(before)
    (fake_project / "experiments" / "helper.py").write_text("def f():\n    return 2\n")
    after = inputs_for(fake_project)
    assert key_of(after) != key_of(before)
    assert explain(before, after) == ["source file experiments/helper.py changed"]


def test_config_change_is_explained(fake_project):
    before = inputs_for(fake_project)
    after = dict(before, config={"lr": 0.2})
    assert explain(before, after) == ["config value lr: 0.1 -> 0.2"]
    assert explain(None, after) == ["never run"]
    stored = dict(before, config={"widths": [16, 32]})             # JSON keeps a tuple as a list
    assert "config" not in " ".join(explain(stored, dict(before, config={"widths": (16, 32)})))


def test_changed_data_byte_changes_digest(tmp_path):
    data = tmp_path / "d.bin"
    data.write_bytes(b"abcdef")
    memo = DigestMemo(tmp_path / "memo.json")
    first = memo.digest(data)
    data.write_bytes(b"abcdeg")
    assert memo.digest(data) != first
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("1")
    before = memo.digest(folder)
    (folder / "a.txt").write_text("2")
    assert memo.digest(folder) != before


def test_store_then_lookup_hits(tmp_path):
    c = Cache(tmp_path / "cache")
    assert c.lookup("q1", "k1") is None

    def run(out):
        (out / "f.png").write_bytes(b"png")
        return {"metrics": {"a": 1}, "figures": [], "artifacts": {}, "seconds": 0.1}

    entry = c.store("q1", "k1", {"seed": 0}, run)
    hit = c.lookup("q1", "k1")
    assert hit.manifest["metrics"] == {"a": 1} and (hit.dir / "f.png").read_bytes() == b"png"
    assert json.loads((entry.dir / "manifest.json").read_text())["inputs"] == {"seed": 0}


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt], ids=["error", "ctrl-c"])
def test_interrupted_run_leaves_no_entry(tmp_path, exc):
    c = Cache(tmp_path / "cache")

    def run(out):
        (out / "half.npz").write_bytes(b"half")
        raise exc()

    with pytest.raises(exc):
        c.store("q3", "k", {}, run)
    assert c.lookup("q3", "k") is None
    assert list((tmp_path / "cache" / "q3").iterdir()) == []
