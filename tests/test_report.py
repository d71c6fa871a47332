"""report.py end to end: a smoke build into a temp dir, cache reuse, byte-identical rebuilds, CLI errors."""
import json
import re
import shutil
import subprocess

import pytest

import report
from conftest import run_main

pytestmark = pytest.mark.slow


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_results_json_has_the_issue_keys(smoke_build):
    out, stdout = smoke_build
    results = json.loads((out / "build" / "results.json").read_text())
    assert results["meta"]["profile"] == "smoke"
    assert results["q1"]["checks_total"] >= 10
    assert results["q1"]["checks_passed"] == results["q1"]["checks_total"]
    assert results["q2"]["gradcheck_max_rel_error"] < 1e-6
    assert 0 <= results["q2"]["toy_final_accuracy"] <= 1
    assert re.search(r"^q1\s+ran\s+[\d.]+ s$", stdout, re.M)
    assert set(results["meta"]["sections"]) >= {"q1", "q2"}


def test_pdf_has_sections_numbers_and_smoke_stamp(smoke_build):
    out, _ = smoke_build
    results = json.loads((out / "build" / "results.json").read_text())
    text = pdf_text(out / "build" / "report.pdf")
    from reportkit.pipeline import load_sections

    titles = [section.title for section, _ in load_sections()]
    for title in titles + ["Appendix: source of the handout", "Contents", "def backwards"]:
        assert title in text, title
    q1 = results["q1"]
    assert f"{q1['checks_total']} checks and {q1['checks_passed']} passed" in text
    for key in (("q3", "valid_accuracy"), ("q3", "test_accuracy"), ("q4", "char_accuracy"),
                ("q6_2", "finetune_test_accuracy")):
        assert f"{100 * results[key[0]][key[1]]:.1f} %" in text, key
    pages = text.count("\f")
    assert text.count("SMOKE BUILD") >= pages >= 5
    assert len(re.findall(r"Page (\d+) of (\d+)", text)) == pages


def test_cached_rebuild_is_byte_identical(smoke_build):
    out, _ = smoke_build
    html, pdf = (out / "build" / "report.html").read_bytes(), (out / "build" / "report.pdf").read_bytes()
    shutil.rmtree(out / "build" / "cache" / "pdf")      # make WeasyPrint lay the PDF out again
    code, stdout = run_main(["--all", "--profile", "smoke", "--out", str(out)])
    assert code == 0
    assert re.search(r"^q1\s+cached", stdout, re.M) and re.search(r"^q2\s+cached", stdout, re.M)
    assert (out / "build" / "report.html").read_bytes() == html
    assert (out / "build" / "report.pdf").read_bytes() == pdf


def test_section_flag_reruns_only_that_section(smoke_build):
    out, _ = smoke_build
    code, stdout = run_main(["--section", "q2", "--profile", "smoke", "--out", str(out)])
    assert code == 0
    assert re.search(r"^q2\s+ran", stdout, re.M) and re.search(r"^q1\s+cached", stdout, re.M)


def test_explain_names_the_changed_input(smoke_build):
    out, _ = smoke_build
    code, stdout = run_main(["--explain", "--profile", "smoke", "--seed", "7", "--out", str(out)])
    assert code == 0
    assert "q1: would run: seed: 0 -> 7" in stdout
    code, stdout = run_main(["--list", "--profile", "smoke", "--out", str(out)])
    assert re.search(r"^q2\s+Q2 Implementing.*cached$", stdout, re.M)


def test_unknown_section_is_a_one_line_error(capsys):
    assert report.main(["--section", "q9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "q9" in err and "q1, q2" in err


def test_missing_data_root_is_a_one_line_error(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert report.main(["--list", "--data", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(missing) in err and "HW5_DATA" in err
