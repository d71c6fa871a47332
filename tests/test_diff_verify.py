"""`report.py diff` and `verify` end to end, on a copy of the session's smoke build: an identical rebuild is "no
change", a seed change lists the numbers it moved, a saved results.json can be compared with, verify agrees on a
numpy and a torch part, and bad input is one line with exit code 2."""
import json
import re
import shutil

import pytest

from conftest import ROOT, fifo, run_main

pytestmark = pytest.mark.slow


@pytest.fixture
def build(smoke_build, fixture_root, tmp_path):
    """A copy of the smoke build's output folder, and a function running report.py on it (smoke, fixture data)."""
    out = tmp_path / "out"
    shutil.copytree(smoke_build[0], out, symlinks=True)

    def cli(*args):
        return run_main([*args, "--profile", "smoke", "--data", str(fixture_root), "--out", str(out)])
    return out, cli


def test_diff_after_an_identical_rebuild_and_after_a_seed_change(build, capsys):
    out, cli = build
    code, _ = cli("build", "--no-pdf")
    assert code == 0
    code, stdout = cli("diff")
    assert code == 0 and stdout.strip() == "no change"
    code, stdout = cli("build", "--no-pdf", "--section", "q2", "--seed", "1")
    seeds = "comparing a seed 1 build with a seed 0 build (seeds differ)"
    assert code == 0 and re.search(rf"^{re.escape(seeds)}: changed since the last build: \d+ value\(s\) in q2", stdout,
                                   re.M), stdout
    code, stdout = cli("diff")
    assert code == 0 and stdout.startswith(f"note: {seeds}; most values differ for that reason\nq2\n")
    accuracy = re.search(r"^  q2\.toy_final_accuracy\s+([\d.]+) % → ([\d.]+) %  \(([+-][\d.]+)\)$", stdout, re.M)
    assert accuracy, stdout
    before, after, points = map(float, accuracy.groups())
    assert abs(after - before - points) < 0.006
    previous = json.loads((out / "build" / "previous" / "results.json").read_text())
    assert abs(previous["q2"]["toy_final_accuracy"] * 100 - before) < 0.006
    assert (out / "build" / "changes.html").is_file() and "q2.toy_final_accuracy" in (out / "build" / "changes.html").read_text()


def test_diff_against_a_saved_results_file(build, tmp_path):
    out, cli = build
    saved = json.loads((out / "build" / "results.json").read_text())
    saved["q3"]["valid_accuracy"] -= 0.005
    (tmp_path / "saved.json").write_text(json.dumps(saved))
    code, stdout = cli("diff", "--against", str(tmp_path / "saved.json"))
    lines = stdout.splitlines()
    assert code == 0 and lines[0] == f"note: figures not compared: {tmp_path / 'figures.json'} does not exist"
    assert lines[1] == "q3" and len(lines) == 3
    assert re.fullmatch(r"  q3\.valid_accuracy  [\d.]+ % → [\d.]+ %  \(\+0\.50\)", lines[2])


def test_diff_against_a_build_of_another_profile_says_so_first(build):
    out, cli = build
    code, stdout = cli("diff", "--against", str(ROOT / "tests" / "golden" / "results.json"))    # a full build's
    assert code == 0 and stdout.splitlines()[0] == ("note: comparing a smoke build with a full build (profiles "
                                                    "differ); most values differ for that reason")


@pytest.mark.parametrize("args, message", [
    (("diff",), "no previous build in"),
    (("diff", "--against", "/nonexistent.json"), "does not exist"),
    (("diff", "--against", "/etc/hostname"), "is not a results file"),
    (("verify", "q9"), "unknown section or part 'q9'"),
    (("verify", "q2", "--seed", "5"), "q2.toy is not cached for these options"),
])
def test_bad_input_is_one_line_and_exit_code_2(build, capsys, args, message):
    out, cli = build
    shutil.rmtree(out / "build" / "previous", ignore_errors=True)     # as after a first build
    code, _ = cli(*args)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err


def sparse(path, size):
    """A file of `size` zero bytes that takes no room on disk."""
    with open(path, "wb") as f:
        f.truncate(size)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text('{"meta": {}, "q3": {"valid_accuracy": ' + "1" * 400 + "}}"), "an integer of 400 digits"),
    (lambda p: p.write_text('{"meta": {}, "q9": ' + "[" * 100_000 + "]" * 100_000 + "}"), "nested deeper than 64"),
    (lambda p: sparse(p, 65 * 2 ** 20), "larger than 67108864 bytes"),
    (lambda p: p.symlink_to("/dev/zero"), "not a regular file"),
    (lambda p: fifo(p), "not a regular file"),
], ids=["400-digit-integer", "nested-100000-deep", "65-MiB", "dev-zero", "fifo"])
def test_a_hostile_file_to_compare_with_is_one_line_and_exit_code_2(build, capsys, tmp_path, make, message):
    out, cli = build
    make(tmp_path / "saved.json")
    code, _ = cli("diff", "--against", str(tmp_path / "saved.json"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err and "saved.json" in err, err


def test_verify_reruns_a_numpy_and_a_torch_part_and_they_agree(build):
    out, cli = build
    cache = sorted(p.relative_to(out) for p in (out / "build" / "cache" / "parts").rglob("*"))
    code, stdout = cli("verify", "q2.toy", "q6_1.nist_fc")
    assert code == 0, stdout
    assert re.search(r"^q2\.toy\s+agrees with the cache \(exactly;", stdout, re.M)
    assert re.search(r"^q6_1\.nist_fc\s+agrees with the cache \(within 0\.0001;", stdout, re.M)
    assert sorted(p.relative_to(out) for p in (out / "build" / "cache" / "parts").rglob("*")) == cache
