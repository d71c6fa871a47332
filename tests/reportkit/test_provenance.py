"""reportkit.provenance: the git revision (dirty only for tracked changes) and the build's metadata (the date
of the newest result, so a re-render is byte-identical; names from the user as Plain text; per-part seconds)."""
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

from reportkit.cache import Entry
from reportkit.project import Options, Project
from reportkit.provenance import git_sha, metadata
from reportkit.templating import Plain


def git(folder, *args):
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args], cwd=folder, check=True,
                   capture_output=True)


def test_git_sha_is_dirty_for_tracked_edits_only(tmp_path):
    git(tmp_path, "init", "-q")
    assert git_sha(tmp_path) == "uncommitted"
    (tmp_path / "a.txt").write_text("one")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "one")
    sha = git_sha(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{10}", sha)
    (tmp_path / "new.txt").write_text("untracked")
    assert git_sha(tmp_path) == sha
    (tmp_path / "a.txt").write_text("two")
    assert git_sha(tmp_path) == sha + "-dirty"


def test_git_sha_outside_git_is_unknown(tmp_path):
    assert git_sha(tmp_path) == "unknown"


def entry(created, seconds, machine=None, **libraries):
    return Entry(Path("/nowhere"), {"created": created, "seconds": seconds, "inputs": {"libraries": libraries},
                                    "machine": machine})


def planned(*ids):
    """A plan's parts as metadata reads them: a planned id, its part, whether it is the shown seed."""
    return SimpleNamespace(parts=[SimpleNamespace(id=i, part_id=i.split("@")[0], shown="@" not in i) for i in ids])


def project(**meta):
    return Project(root=Path("/nowhere"), sections=(), code_packages=(), find_data_root=lambda cli: Path("/nowhere"),
                   describe_data=lambda root: f"data in {root}",
                   meta={"title": "HW5 <b>", "author": None, "andrew_id": None, **meta})


def opts(author=None, andrew_id=None):
    return Options(profile="smoke", seed=3, meta={"author": author, "andrew_id": andrew_id})


EPYC = {"cpu": "AMD EPYC", "isa": "AVX2", "cores": 2, "kernels": {"openblas": "Haswell"}}


def test_metadata_dates_by_the_newest_result_and_merges_versions():
    entries = {"q1.a": entry(86400 * 2, 1.5, EPYC, numpy="2.0"), "q1.b": entry(86400 * 40 + 5, 0.25, torch="2.13"),
               "q1.a@0": entry(86400, 2.0, EPYC), "q1.a@1": entry(86400, 2.5, EPYC)}
    status = {"q1.a": {"status": "cached", "seconds": 0.0}, "q1.b": {"status": "ran", "seconds": 0.3},
              "q1.c": {"status": "missing", "seconds": 0.0}, "q1.a@0": {"status": "cached", "seconds": 0.0},
              "q1.a@1": {"status": "cached", "seconds": 0.0}, "q1.a@2": {"status": "not built", "seconds": 0.0}}
    meta = metadata(project(), opts(), planned(*status), entries, status, Path("/data/<root>"))
    assert meta["date"] == "10 February 1970"                         # the newest entry's day, in UTC
    assert meta["versions"] == {"numpy": "2.0", "torch": "2.13"} and list(meta["versions"]) == ["numpy", "torch"]
    other = {"other_seeds": 0, "other_seeds_seconds": 0.0}
    assert meta["parts"] == {"q1.a": {"status": "cached", "seconds": 0.0, "run_seconds": 1.5, "other_seeds": 2,
                                      "other_seeds_seconds": 4.5},
                             "q1.b": {"status": "ran", "seconds": 0.3, "run_seconds": 0.25, **other},
                             "q1.c": {"status": "missing", "seconds": 0.0, "run_seconds": None, **other}}
    assert meta["machines"] == {"AMD EPYC (AVX2; openblas Haswell)": 3, "not recorded": 1}
    assert (meta["profile"], meta["seed"], meta["device"], meta["paper"]) == ("smoke", 3, "cpu", "letter")
    assert meta["data_source"] == "data in /data/<root>" and isinstance(meta["data_source"], Plain)
    assert isinstance(meta["data_root"], Plain) and isinstance(meta["title"], Plain)
    assert meta["git"] == "unknown"                                    # /nowhere: git cannot even start there


def test_metadata_without_results_is_not_built_and_names_come_from_options_first():
    meta = metadata(project(author="Pyproject Name", andrew_id="pyproj"), opts(author="Ada <Lovelace>"), planned(),
                    {}, {}, None)
    assert meta["date"] == "not built" and meta["versions"] == {} and meta["parts"] == {}
    assert meta["author"] == "Ada <Lovelace>" and isinstance(meta["author"], Plain)
    assert meta["andrew_id"] == "pyproj" and isinstance(meta["andrew_id"], Plain)
    assert meta["data_root"] is None
    assert metadata(project(), opts(), planned(), {}, {}, None)["author"] is None      # the title page says it is missing
