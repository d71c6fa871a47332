"""report.py end to end on the generated data root: a smoke build, cache reuse, byte-identical rebuilds, keys
that ignore comments and follow the code, the CLI's one-line errors, and the ocr command."""
import json
import re
import shutil
import subprocess
import sys

import pytest

import report
from conftest import copy_project, run_main

pytestmark = pytest.mark.slow


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def smoke(out, fixture_root, *args):
    return run_main([*args, "--profile", "smoke", "--data", str(fixture_root), "--out", str(out)])


def test_results_json_and_the_run_lines(smoke_build):
    out, stdout = smoke_build
    results = json.loads((out / "build" / "results.json").read_text())
    assert results["meta"]["profile"] == "smoke"
    assert results["q1"]["checks_passed"] == results["q1"]["checks_total"] == len(results["q1"]["checks"]) >= 10
    n_points = results["q2"]["n_points"]
    assert results["q2"]["toy_final_accuracy"] * n_points == pytest.approx(round(results["q2"]["toy_final_accuracy"]
                                                                                 * n_points))
    assert results["q2"]["config"]["toy"]["epochs"] == 60                     # the smoke override, read back
    assert re.search(r"^q1\.checks\s+ran\s+[\d.]+ s$", stdout, re.M)
    every = {s.part_id(p) for s in report.project().sections for p in s.parts}
    assert set(re.findall(r"^(\S+)\s+ran\s", stdout, re.M)) == every == set(results["meta"]["parts"])


def test_pdf_has_sections_numbers_and_smoke_stamp(smoke_build):
    out, _ = smoke_build
    results = json.loads((out / "build" / "results.json").read_text())
    text = pdf_text(out / "build" / "report.pdf")
    for title in [s.title for s in report.project().sections] + ["Appendix: source of the handout", "def backwards"]:
        assert title in text, title
    q1 = results["q1"]
    assert f"{q1['checks_total']} checks and {q1['checks_passed']} passed" in text
    for section, key in (("q3", "valid_accuracy"), ("q3", "test_accuracy"), ("q4", "char_accuracy"),
                         ("q6_2", "finetune_test_accuracy")):
        assert f"{100 * results[section][key]:.1f} %" in text, key
    pages = text.count("\f")
    assert text.count("SMOKE BUILD") >= pages >= 5
    assert len(re.findall(r"Page (\d+) of (\d+)", text)) == pages


def test_cached_rebuild_is_byte_identical(smoke_build, fixture_root):
    out, _ = smoke_build
    html, pdf = (out / "build" / "report.html").read_bytes(), (out / "build" / "report.pdf").read_bytes()
    shutil.rmtree(out / "build" / "cache" / "pdf")      # make WeasyPrint lay the PDF out again
    code, stdout = smoke(out, fixture_root, "--all")
    assert code == 0 and "ran" not in stdout
    assert (out / "build" / "report.html").read_bytes() == html
    assert (out / "build" / "report.pdf").read_bytes() == pdf


def test_section_and_part_targets_rerun_only_themselves(smoke_build, fixture_root):
    out, _ = smoke_build
    code, stdout = smoke(out, fixture_root, "--section", "q2")
    assert code == 0 and re.findall(r"^(\S+)\s+ran", stdout, re.M) == ["q2.toy", "q2.figures"]
    code, stdout = smoke(out, fixture_root, "--section", "q6_1.cifar_figures")
    assert code == 0 and re.findall(r"^(\S+)\s+ran", stdout, re.M) == ["q6_1.cifar_figures"]


def test_explain_and_list(smoke_build, fixture_root):
    out, _ = smoke_build
    code, stdout = smoke(out, fixture_root, "explain", "--seed", "7")
    assert code == 0 and "q1.checks: would run: seed: 0 -> 7" in stdout
    assert "q1.figures: would run: upstream part q1.checks changed" in stdout
    code, stdout = smoke(out, fixture_root, "list")
    assert re.search(r"^q2\s+Q2 Implementing", stdout, re.M) and re.search(r"^\s+q2\.toy\s+cached$", stdout, re.M)


def test_unknown_section_is_a_one_line_error(capsys):
    assert report.main(["--section", "q9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "q9" in err and "q1, q2" in err


def test_missing_data_root_is_a_one_line_error(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert report.main(["list", "--data", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(missing) in err and "HW5_DATA" in err


def test_an_unknown_device_is_refused_before_anything_runs(tmp_path, fixture_root, capsys):
    code, _ = smoke(tmp_path, fixture_root, "--device", "gpu7", "--section", "q2")
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "gpu7" in err
    assert not (tmp_path / "build").exists()


# ---------------------------------------------------------------- keys by meaning, on a copy of the project
@pytest.fixture(scope="module")
def project_copy(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("project"))


def keys(project, fixture_root, out):
    run = subprocess.run([sys.executable, "report.py", "list", "--keys", "--profile", "smoke", "--data",
                          str(fixture_root), "--out", str(out)], cwd=project, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return dict(line.split() for line in run.stdout.splitlines() if line.startswith("    "))


def edited(project, rel, old, new):
    path = project / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))
    return text


def test_a_comment_in_every_module_changes_no_key(project_copy, fixture_root, tmp_path):
    before = keys(project_copy, fixture_root, tmp_path)
    modules = [p for p in project_copy.rglob("*.py")]
    originals = {p: p.read_text() for p in modules}
    try:
        for p in modules:
            p.write_text(originals[p] + "\n# a comment\n")
        assert keys(project_copy, fixture_root, tmp_path) == before
    finally:
        for p, text in originals.items():
            p.write_text(text)
    assert len(before) == sum(len(s.parts) for s in report.project().sections)


@pytest.mark.parametrize("rel, old, new, changed", [
    ("experiments/q6_1_torch.py", '"CIFAR-10: accuracy and loss per epoch', '"CIFAR-10: accuracy and cross-entropy per epoch',
     {"q6_1.cifar_figures"}),
    ("hw5/bow_spm.py", "    rows = max(1, max_elements // max(1, b.shape[0] * b.shape[1]))",
     "    rows = max(1, max_elements // max(1, b.shape[0] * b.shape[1]) // 2)",
     {"q6_1.sun_bow", "q6_1.sun_compare", "q6_1.sun_figures"}),
    ("hw5/nn.py", "    return np.maximum(x, 0)", "    return np.maximum(x, 0.0)", {"q5.train", "q5.figures"}),
], ids=["cifar-caption", "bag-of-words", "relu"])
def test_an_edit_changes_exactly_the_keys_of_the_parts_that_run_it(project_copy, fixture_root, tmp_path, rel, old,
                                                                   new, changed):
    before = keys(project_copy, fixture_root, tmp_path)
    original = edited(project_copy, rel, old, new)
    try:
        after = keys(project_copy, fixture_root, tmp_path)
    finally:
        (project_copy / rel).write_text(original)
    assert {pid for pid in before if before[pid] != after[pid]} == changed


# ---------------------------------------------------------------- the ocr command
def test_ocr_trains_only_what_it_needs_and_renders_nothing(tmp_path, fixture_root, capsys):
    out = tmp_path / "out"
    page = fixture_root / "images" / "04_deep.jpg"
    code = report.main(["ocr", str(page), "--json", "--profile", "smoke", "--data", str(fixture_root), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = json.loads(captured.out)[str(page)]
    assert len(lines) == 3                                        # 04_deep.jpg has three lines
    assert "q3.train" in captured.err
    built = sorted(p.parent.parent.name + "." + p.parent.name for p in (out / "build" / "cache" / "parts").glob("*/*/*"))
    assert built == ["q3.train"] and not (out / "build" / "report.pdf").exists()


def test_ocr_names_a_bad_file_in_one_line(tmp_path, fixture_root, capsys):
    (tmp_path / "bad.jpg").write_text("not an image")
    for bad in (str(tmp_path / "missing.png"), str(tmp_path / "bad.jpg")):
        assert report.main(["ocr", bad, "--data", str(fixture_root), "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert bad in err and len(err.splitlines()) == 1
