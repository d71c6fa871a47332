"""Faults and bad input: each fails with a clear one-line error and leaves nothing half-written."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def test_sigint_during_training_leaves_the_cache_valid(tmp_path):
    cmd = [sys.executable, "report.py", "--section", "q2", "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tmp_entries = tmp_path / "build" / "cache" / "q2"
    deadline = time.monotonic() + 120
    while not list(tmp_entries.glob(".tmp-*")) and time.monotonic() < deadline:   # q2 has started running
        time.sleep(0.05)
    time.sleep(0.5)                                 # inside q2's training loops (it runs for seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and err.strip().count("\n") == 0
    cache = tmp_path / "build" / "cache"
    assert not list(cache.glob("*/.tmp-*")), "a half-written entry was left behind"
    assert not list(cache.glob("q2/*/manifest.json"))
    code, out = run_main(["--section", "q2", "--out", str(tmp_path), "--profile", "full"])
    assert code == 0 and "q2     ran" in out


def test_unknown_math_macro_names_the_macro(tmp_path, monkeypatch, capsys):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    q1 = templates / "q1.md.j2"
    q1.write_text(q1.read_text().replace("Write $s_i = e^{x_i}$.", "Write $s_i = \\expo{x_i}$."))
    from reportkit import pipeline

    monkeypatch.setattr(pipeline, "PROJECT_ROOT", tmp_path, raising=True)
    (tmp_path / "hw5").mkdir()
    shutil.copy(ROOT / "hw5" / "nn.py", tmp_path / "hw5" / "nn.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    code = run_main(["--section", "q1", "--profile", "smoke", "--out", str(tmp_path / "out")])[0]
    assert code == 1
    assert "unknown macro \\expo" in capsys.readouterr().err
    assert not (tmp_path / "out" / "build" / "report.pdf").exists()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop privileges")
def test_read_only_build_dir_is_a_one_line_error(tmp_path):
    out = tmp_path / "out"
    (out / "build").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    os.chmod(out, 0o555)
    os.chmod(out / "build", 0o555)
    (tmp_path / "mpl").mkdir(mode=0o777)
    os.chmod(tmp_path / "mpl", 0o777)
    cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "report.py",
           "--section", "q1", "--profile", "smoke", "--out", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "HOME": str(tmp_path)})
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "build" in lines[0], run.stderr[-2000:]
    assert "Traceback" not in run.stderr


def test_missing_weights_error_or_notice_with_skip_flag(tmp_path, data_root, capsys):
    root = tmp_path / "root"                       # the course layout without weights/
    root.mkdir()
    for name in ("data", "images"):
        (root / name).symlink_to(data_root / name)
    everything = ["--all", "--profile", "smoke", "--data", str(root), "--out", str(tmp_path / "all")]
    assert run_main(everything)[0] == 2                       # refused before any section runs
    assert "squeezenet1_1_imagenet_features.pt" in capsys.readouterr().err
    assert not list((tmp_path / "all").glob("build/cache/*/*/manifest.json"))
    args = ["--section", "q6_2", "--profile", "smoke", "--data", str(root), "--out", str(tmp_path / "out")]
    assert run_main(args)[0] == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "squeezenet1_1_imagenet_features.pt" in err
    code, out = run_main(args + ["--skip-missing"])
    assert code == 0 and "q6_2   skipped" in out
    html = (tmp_path / "out" / "build" / "report.html").read_text()
    assert "skipped at the user's request" in html and "squeezenet1_1_imagenet_features.pt" in html


def course_root_copy(data_root, dest):
    """A data root of symlinks to the real files, so single files can be broken or left out."""
    folders = ("data/cifar-10-batches-py", "data/sun", "data/oxford-flowers17")
    for path in data_root.rglob("*"):
        rel = path.relative_to(data_root)
        if path.is_file() and not str(rel).startswith(folders):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).symlink_to(path)
    for folder in folders:
        (dest / folder).symlink_to(data_root / folder)
    return dest


def test_truncated_mat_is_a_one_line_error(tmp_path, data_root, capsys):
    root = course_root_copy(data_root, tmp_path / "root")
    mat = root / "data" / "nist36_train.mat"
    blob = mat.read_bytes()
    mat.unlink()
    mat.write_bytes(blob[: len(blob) // 3])
    code, _ = run_main(["--section", "q3", "--profile", "smoke", "--data", str(root), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "nist36_train.mat" in err
    assert not list((tmp_path / "o" / "build" / "cache").glob("q3/*/manifest.json"))


def test_missing_course_image_is_a_one_line_error(tmp_path, data_root, capsys):
    root = course_root_copy(data_root, tmp_path / "root")
    (root / "images" / "03_haiku.jpg").unlink()
    code, _ = run_main(["--section", "q4", "--profile", "smoke", "--data", str(root), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "03_haiku.jpg" in err
    assert not list((tmp_path / "o" / "build" / "cache").glob("q4/*/manifest.json"))
