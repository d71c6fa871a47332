"""Faults and bad input: each fails with a clear one-line error and leaves nothing half-written; damaged cache
entries are rebuilt."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, copy_project, default_sigint, run_main

pytestmark = pytest.mark.slow


def smoke(out, root, *args):
    return run_main([*args, "--profile", "smoke", "--data", str(root), "--out", str(out)])


def test_sigint_during_training_leaves_the_cache_valid(tmp_path, fixture_root):
    cmd = [sys.executable, "report.py", "--section", "q2", "--data", str(fixture_root), "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    entries = tmp_path / "build" / "cache" / "parts" / "q2" / "toy"
    deadline = time.monotonic() + 120
    while not list(entries.glob(".tmp-*")) and time.monotonic() < deadline:   # q2.toy has started running
        time.sleep(0.05)
    time.sleep(0.5)                                 # inside q2's training loops (it runs for seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and err.strip().count("\n") == 0
    assert not list(entries.glob(".tmp-*")), "a half-written entry was left behind"
    assert not list(entries.glob("*/manifest.json"))
    code, out = run_main(["--section", "q2", "--data", str(fixture_root), "--out", str(tmp_path)])
    assert code == 0 and "q2.toy             ran" in out


@pytest.mark.parametrize("damage", ["truncated-manifest", "deleted-figure"])
def test_a_damaged_entry_is_noticed_and_its_part_rerun(smoke_build, fixture_root, capsys, damage):
    out, _ = smoke_build
    entry = next((out / "build" / "cache" / "parts" / "q2" / "figures").glob("*/manifest.json")).parent
    if damage == "truncated-manifest":
        (entry / "manifest.json").write_text((entry / "manifest.json").read_text()[:100])
    else:
        (entry / "toy_training.png").unlink()
    capsys.readouterr()
    code, stdout = smoke(out, fixture_root, "--all")
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    notices = [line for line in err.splitlines() if "damaged" in line]
    assert len(notices) == 1 and "q2.figures" in notices[0]
    assert [line.split()[0] for line in stdout.splitlines() if " ran " in line] == ["q2.figures"]


def copy_of_build(smoke_build, dest):
    """A folder of its own with the smoke build's cache: what the test damages stays its own."""
    shutil.copytree(smoke_build[0] / "build" / "cache", dest / "build" / "cache")
    return dest


def test_links_planted_at_figures_are_replaced_and_what_they_point_to_is_untouched(smoke_build, fixture_root, tmp_path):
    out = copy_of_build(smoke_build, tmp_path / "out")
    assert smoke(out, fixture_root, "--all")[0] == 0                  # figures/ and results.json to keep
    figure = sorted((out / "figures").iterdir())[0].name
    links = [out / "figures" / figure, out / "build" / "previous" / "figures" / figure]
    (tmp_path / "elsewhere").mkdir()
    for i, link in enumerate(links):
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(tmp_path / "elsewhere" / f"{i}.png")
        (tmp_path / "elsewhere" / f"{i}.png").write_bytes(b"not the build's")
    assert smoke(out, fixture_root, "--all")[0] == 0
    assert [p.read_bytes() for p in sorted((tmp_path / "elsewhere").iterdir())] == [b"not the build's"] * 2
    assert not links[0].is_symlink() and links[0].read_bytes().startswith(b"\x89PNG")


def test_a_forged_metric_is_not_rendered(smoke_build, fixture_root, tmp_path, capsys):
    out = copy_of_build(smoke_build, tmp_path)
    manifest = next((out / "build" / "cache" / "parts" / "q3" / "train").glob("*/manifest.json"))
    true = json.loads(manifest.read_text())["metrics"]["test_accuracy"]
    manifest.write_text(manifest.read_text().replace(json.dumps(true), "0.9912"))
    capsys.readouterr()
    code, stdout = smoke(out, fixture_root, "--all")
    err = capsys.readouterr().err
    assert code == 0 and "q3.train entry" in err and "was edited" in err
    assert re.search(r"^q3\.train\s+ran", stdout, re.M)
    results = json.loads((out / "build" / "results.json").read_text())
    assert results["q3"]["test_accuracy"] == true != 0.9912


def test_a_truncated_cached_pdf_is_laid_out_again(smoke_build, fixture_root, tmp_path, capsys):
    out = copy_of_build(smoke_build, tmp_path)
    shutil.copytree(smoke_build[0] / "build" / "cache" / "pdf", out / "build" / "cache" / "pdf", dirs_exist_ok=True)
    assert smoke(out, fixture_root, "--all")[0] == 0
    for cached in (out / "build" / "cache" / "pdf").glob("*.pdf"):
        cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])
    capsys.readouterr()
    assert smoke(out, fixture_root, "--all")[0] == 0
    err = capsys.readouterr().err
    assert "cached PDF" in err and "damaged" in err
    info = subprocess.run(["pdfinfo", str(out / "build" / "report.pdf")], capture_output=True, text=True)
    pages = json.loads((out / "build" / "pages.json").read_text())["pages"]
    assert info.returncode == 0 and re.search(rf"^Pages:\s+{pages}$", info.stdout, re.M)


def test_two_builds_at_once_leave_html_and_pdf_of_one_build(smoke_build, fixture_root, tmp_path):
    out = copy_of_build(smoke_build, tmp_path)
    cmd = [sys.executable, "report.py", "--all", "--profile", "smoke", "--data", str(fixture_root), "--out", str(out)]
    builds = [subprocess.Popen([*cmd, "--author", name], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for name in ("Ada Lovelace", "Grace Hopper")]
    results = [b.communicate(timeout=600) for b in builds]
    assert [b.returncode for b in builds] == [0, 0], results
    assert sum("waiting: another build is writing" in err for _, err in results) == 1
    html = (out / "build" / "report.html").read_text()
    pdf = subprocess.run(["pdftotext", "-l", "1", str(out / "build" / "report.pdf"), "-"], capture_output=True,
                         text=True).stdout
    last = "Grace Hopper" if "Grace Hopper" in html else "Ada Lovelace"
    assert last in pdf and ({"Ada Lovelace", "Grace Hopper"} - {last}).pop() not in html + pdf


def test_unknown_math_macro_names_the_macro(tmp_path, fixture_root):
    project = copy_project(tmp_path / "project")
    q1 = project / "templates" / "q1.md.j2"
    q1.write_text(q1.read_text().replace("Write $s_i = e^{x_i}$ and", "Write $s_i = \\expo{x_i}$ and"))
    run = subprocess.run([sys.executable, "report.py", "--section", "q1", "--profile", "smoke", "--data",
                          str(fixture_root), "--out", str(tmp_path / "out")], cwd=project, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1
    assert "unknown macro \\expo" in run.stderr and run.stderr.strip().count("\n") == 0
    assert not (tmp_path / "out" / "build" / "report.pdf").exists()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop privileges")
def test_read_only_build_dir_is_a_one_line_error(tmp_path):
    import tempfile

    empty_root = Path(tempfile.mkdtemp(prefix="hw5-empty-root-"))     # q1 reads no data; nobody can read /tmp
    os.chmod(empty_root, 0o755)
    out = tmp_path / "out"
    (out / "build").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    os.chmod(out, 0o555)
    os.chmod(out / "build", 0o555)
    (tmp_path / "mpl").mkdir(mode=0o777)
    os.chmod(tmp_path / "mpl", 0o777)
    cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "report.py",
           "--section", "q1", "--profile", "smoke", "--data", str(empty_root), "--out", str(out)]
    try:
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(tmp_path)})
    finally:
        shutil.rmtree(empty_root)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "build" in lines[0], run.stderr[-2000:]
    assert "Traceback" not in run.stderr


def root_of_links(source, dest, leave_out=()):
    """A data root of symlinks to the files of `source`, so single files can be broken or left out."""
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if path.is_file() and not any(str(rel).startswith(x) for x in leave_out):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).symlink_to(path)
    return dest


def test_missing_weights_error_or_notice_with_skip_flag(tmp_path, fixture_root, capsys):
    root = root_of_links(fixture_root, tmp_path / "root", leave_out=("weights",))
    assert smoke(tmp_path / "all", root, "--all")[0] == 2                    # refused before any part runs
    assert "squeezenet1_1_imagenet_features.pt" in capsys.readouterr().err
    assert not list((tmp_path / "all").glob("build/cache/parts/*/*/*/manifest.json"))
    assert smoke(tmp_path / "out", root, "--section", "q6_2")[0] == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "squeezenet1_1_imagenet_features.pt" in err
    code, out = smoke(tmp_path / "out", root, "--section", "q6_2", "--skip-missing")
    assert code == 0
    html = (tmp_path / "out" / "build" / "report.html").read_text()
    assert "skipped at the user's request" in html and "squeezenet1_1_imagenet_features.pt" in html


def test_truncated_mat_is_a_one_line_error(tmp_path, fixture_root, capsys):
    root = root_of_links(fixture_root, tmp_path / "root")
    mat = root / "data" / "nist36_train.mat"
    blob = mat.read_bytes()
    mat.unlink()
    mat.write_bytes(blob[: len(blob) // 3])
    code, _ = smoke(tmp_path / "o", root, "--section", "q3")
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "nist36_train.mat" in err
    assert not list((tmp_path / "o" / "build" / "cache" / "parts").glob("q3/*/*/manifest.json"))


def test_missing_course_image_is_a_one_line_error(tmp_path, fixture_root, capsys):
    root = root_of_links(fixture_root, tmp_path / "root")
    (root / "images" / "03_haiku.jpg").unlink()
    code, _ = smoke(tmp_path / "o", root, "--section", "q4")
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "03_haiku.jpg" in err
    assert not list((tmp_path / "o" / "build" / "cache" / "parts").glob("q4/*/*/manifest.json"))
