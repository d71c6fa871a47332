"""report.py end to end on the generated data root: a smoke build, cache reuse, byte-identical rebuilds, keys
that ignore comments and follow the code, the CLI's one-line errors, and the ocr command."""
import json
import re
import shutil
import subprocess
import sys

import pytest

import report
from conftest import ROOT, copy_project, run_main

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


def pages_of(path):
    """The PDF's pages as text, no-break spaces made plain."""
    return pdf_text(path).replace("\u00a0", " ").split("\f")[:-1]


def test_pdf_has_sections_numbers_and_smoke_stamp(smoke_build):
    out, _ = smoke_build
    results = json.loads((out / "build" / "results.json").read_text())
    pages = pages_of(out / "build" / "report.pdf")
    text = "\f".join(pages)
    for title in [s.title for s in report.project().sections] + ["Appendix: How this report was built",
                                                                  "def backwards", "def findLetters"]:
        assert title in text, title
    q1 = results["q1"]
    assert f"{q1['checks_passed']} of {q1['checks_total']} checks hold" in " ".join(text.split())
    for section, key in (("q3", "valid_accuracy"), ("q3", "test_accuracy"), ("q4", "char_accuracy"),
                         ("q6_2", "finetune_test_accuracy")):
        assert f"{100 * results[section][key]:.1f} %" in text, key
    assert all("SMOKE BUILD" in page for page in pages) and len(pages) >= 5
    assert [re.findall(r"Page (\d+) of (\d+)", page) for page in pages] == [
        [(str(i), str(len(pages)))] for i in range(1, len(pages) + 1)]


def first_blocks(path):
    """Per page, the text of the first block below the running header (pdftotext's word boxes)."""
    import html as html_lib

    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    firsts = []
    for page in re.findall(r"<page .*?</page>", xml, re.S):
        bodies = [b for b in re.findall(r'<block xMin="[\d.]+" yMin="([\d.]+)"[^>]*>(.*?)</block>', page, re.S)
                  if float(b[0]) > 42]                            # below the running header
        words = re.findall(r"<word[^>]*>(.*?)</word>", min(bodies, key=lambda b: float(b[0]))[1]) if bodies else []
        firsts.append(html_lib.unescape(" ".join(words)))
    return firsts


def test_each_question_starts_a_page_and_the_body_speaks_to_the_grader(smoke_build):
    out, _ = smoke_build
    pages = pages_of(out / "build" / "report.pdf")
    firsts = first_blocks(out / "build" / "report.pdf")
    for s in report.project().sections:
        assert any(first.startswith(s.title) for first in firsts), (s.title, firsts)
    q1 = next(i for i, first in enumerate(firsts) if first.startswith("Q1 Theory"))
    text = " ".join(" ".join(pages[q1:]).split())
    body = text.split("Appendix: How this report was built")[0]      # after the contents, before the appendix
    assert len(body) > len(text) / 2
    for pattern in (r"\bgoals?\b", r"\btarget\b", r"FAILED", r"load average", r"\bprofile\b", r"Checked at build",
                    r"CPU[- ]seconds", r"cached run", r"HW5 report generator", r"no Python loop",
                    r"\bsmoke\b(?! BUILD: tiny data slices)"):                  # the smoke stamp must stay
        assert not re.search(pattern, body, re.I), pattern



def test_nothing_is_printed_into_the_right_margin(smoke_build):
    """Tables whose cells do not wrap, listings and figures all stay inside the text width (16 mm margins)."""
    out, _ = smoke_build
    xml = subprocess.run(["pdftotext", "-bbox", str(out / "build" / "report.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    outside = []
    for n, (width, page) in enumerate(re.findall(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', xml, re.S), start=1):
        edge = float(width) - 16 / 25.4 * 72 + 2                  # the right margin, with 2 pt of slack
        outside += [(n, word) for x, word in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', page)
                    if float(x) > edge]
    assert not outside, outside[:10]

def test_the_title_page_names_the_student_or_says_who_is_missing(smoke_build, fixture_root, tmp_path):
    out, stdout = smoke_build
    title = pages_of(out / "build" / "report.pdf")[0]
    assert "Name: —" in title and "Andrew ID: —" in title and "Results at a glance" in title
    assert "pyproject" not in title and "--author" in stdout          # the hint goes to the terminal
    named = tmp_path / "named"                        # its own folder: the shared build keeps its title page
    shutil.copytree(out / "build" / "cache", named / "build" / "cache")
    code, _ = run_main(["--all", "--profile", "smoke", "--data", str(fixture_root), "--out", str(named),
                        "--author", "Ada Lovelace", "--andrew-id", "alovelace"])
    assert code == 0
    title = pages_of(named / "build" / "report.pdf")[0]
    assert "Ada Lovelace" in title and "Andrew ID: alovelace" in title and "—" not in title
    assert "HW5 report generator" not in title


def test_a_name_with_markup_prints_as_typed_and_runs_nowhere(smoke_build, fixture_root, tmp_path):
    named = tmp_path / "named"
    shutil.copytree(smoke_build[0] / "build" / "cache", named / "build" / "cache")
    author = '<script>alert(1)</script> Tom & Jerry <TJ> "x" *y*'
    code, _ = run_main(["--all", "--profile", "smoke", "--data", str(fixture_root), "--out", str(named),
                        "--author", author, "--andrew-id", "tj2", "--publish"])
    assert code == 0
    for page in (named / "build" / "report.html", named / "build" / "site" / "index.html"):
        html = page.read_text()
        assert "<script>alert" not in html and "<TJ>" not in html and '"x" *y*"' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Tom &amp; Jerry &lt;TJ&gt;" in html
    assert author in " ".join(pages_of(named / "build" / "report.pdf")[0].split())


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
    assert code == 0 and re.findall(r"^(\S+)\s+ran", stdout, re.M) == ["q2.toy", "q2.figures", "q2.findings"]
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


def test_bad_input_is_said_at_once_while_another_build_holds_the_folder(tmp_path):
    import fcntl

    (tmp_path / "build").mkdir()
    with open(tmp_path / "build" / ".lock", "a+") as held:           # another build, busy for minutes
        fcntl.lockf(held, fcntl.LOCK_EX)
        for args in (["--section", "q9"], ["run", "q9"], ["--data", str(tmp_path / "nowhere")]):
            run = subprocess.run([sys.executable, "report.py", *args, "--out", str(tmp_path)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
            assert run.returncode == 2 and "waiting" not in run.stderr and run.stderr.count("\n") == 1


def test_ctrl_c_in_verify_does_not_say_that_parts_stay_cached(capsys, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("reportkit.verify.verify", interrupted)
    assert report.main(["verify", "q2", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert err == "interrupted: verify caches nothing; rerun the same command to start again\n", err


def test_missing_data_root_is_a_one_line_error(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert report.main(["list", "--data", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(missing) in err and "HW5_DATA" in err


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "'-1' is not a seed"),
    (["--seed", "x"], "'x' is not a seed"),
    (["--jobs", "0"], "is not a number of worker processes"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["serve", "--port", "70000"], "'70000' is not a port"),
    (["ocr"], "the following arguments are required: IMAGE"),
], ids=["negative-seed", "word-seed", "no-jobs", "unknown-flag", "port", "no-images"])
def test_a_bad_argument_is_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        report.main(argv)
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and message in err and err.count("\n") == 0 and "usage" not in err, err


@pytest.mark.parametrize("andrew_id", ["../evil", "/tmp/evil", "a<b>", "Ada", "x", "a" * 17, "ada lovelace"])
@pytest.mark.parametrize("command", ["build", "submit"])
def test_an_andrew_id_that_is_not_one_is_refused_before_anything(tmp_path, fixture_root, capsys, andrew_id, command):
    code = report.main([command, "--andrew-id", andrew_id, "--data", str(fixture_root), "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "is not an Andrew ID" in err and err.count("\n") == 0
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "evil.pdf").exists()


def test_a_device_is_normalised_before_it_enters_a_key(tmp_path, fixture_root):
    def torch_keys(device):
        code, stdout = smoke(tmp_path, fixture_root, "list", "--keys", "--device", device)
        assert code == 0
        return stdout
    assert torch_keys("cpu:0") == torch_keys("CPU") == torch_keys("cpu")
    assert report.normalise_device("cpu:3") == "cpu"


def test_run_prints_only_the_parts_it_reads(smoke_build, fixture_root, capsys):
    out, _ = smoke_build
    capsys.readouterr()
    code = report.main(["run", "q1", "--profile", "smoke", "--data", str(fixture_root), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and sorted(line.split()[0] for line in err.splitlines()) == ["q1.checks", "q1.figures"]


def test_an_unknown_device_is_refused_before_anything_runs(tmp_path, fixture_root, capsys):
    code, _ = smoke(tmp_path, fixture_root, "--device", "gpu7", "--section", "q2")
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "gpu7" in err
    assert not (tmp_path / "build").exists()


@pytest.mark.parametrize("damage, pages, message", [
    (lambda pdf: None, 2, None),
    (lambda pdf: pdf.write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2]), 2, "does not open as a PDF"),
    (lambda pdf: None, 3, "has 2 pages but its page map was read from 3"),
], ids=["sound", "truncated", "page-count"])
def test_the_hand_in_pdf_must_open_with_the_pages_of_its_map(tmp_path, damage, pages, message):
    from reportkit.document import html_to_pdf
    from submission.handin import check_pdf

    pdf = tmp_path / "alovelace.pdf"
    pdf.write_bytes(html_to_pdf("<p>one</p><p style='page-break-before: always'>two</p>", tmp_path)[0])
    damage(pdf)
    if message is None:
        check_pdf(pdf, pages)
    else:
        with pytest.raises(report.ReportError, match=message):
            check_pdf(pdf, pages)


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
     {"q6_1.sun_bow", "q6_1.sun_compare", "q6_1.sun_figures", "q6_1.findings", "q6_2.sun_vs_scratch"}),
    ("hw5/nn.py", "    return np.maximum(x, 0)", "    return np.maximum(x, 0.0)", {"q5.train", "q5.figures", "q5.findings"}),
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
    from datafixture import png_header

    (tmp_path / "bad.jpg").write_text("not an image")
    bomb = png_header(tmp_path / "bomb.png", 20000, 20000, (8, 6))      # 400 MP announced, a few bytes on disk
    for bad, why in ((tmp_path / "missing.png", "no such file"), (tmp_path / "bad.jpg", "cannot read it"),
                     (tmp_path, "is a directory"), (bomb, "over the 40 MP limit")):
        assert report.main(["ocr", str(bad), "--data", str(fixture_root), "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert str(bad) in err and why in err and len(err.splitlines()) == 1
        assert not (tmp_path / "build").exists()                        # refused before any training
