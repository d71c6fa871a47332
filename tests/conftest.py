"""Shared fixtures: a small generated data root, real course files (when present), running parts, a smoke build."""
import contextlib
import dataclasses
import io
import os
import shutil
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def real_file():
    """real_file("weights/...") -> the path of that file in the real course data (../shared/hw5data or
    $HW5_DATA). Only what the generated root cannot stand in for (the four course pages, the pretrained
    SqueezeNet weights) is read this way; without the file the test skips, naming it."""
    from hw5.data import resolve_data_root

    def find(relative: str) -> Path:
        try:
            path = resolve_data_root(None, ROOT) / relative
        except Exception:        # noqa: BLE001 - no data root at all: the same skip as a missing file
            path = None
        if path is None or not path.is_file():
            pytest.skip(f"needs the real {relative} of the course data root (../shared/hw5data or $HW5_DATA)")
        return path

    return find


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory) -> Path:
    """A tiny data root in the course layout, generated once per test session (see datafixture.py)."""
    from datafixture import make_fixture_root

    return make_fixture_root(tmp_path_factory.mktemp("hw5data"))


@pytest.fixture
def run_part(tmp_path):
    """Run one part of a section module on a data root, in a folder of its own; returns (Result, Upstream).

    Usage: result, up = run_part(q3_nist_mlp, "train", root, epochs=2); then pass {"train": up} as `inputs`
    to the parts that read it. Overrides go into the part's (smoke) config.
    """
    from reportkit.section import Context, Upstream

    def _run(module, name, root, inputs=None, profile="smoke", seed=0, device="cpu", **overrides):
        section = module.SECTION
        part = next(p for p in section.parts if p.name == name)
        config = part.make_config(profile, overrides)
        out = tmp_path / f"{section.id}.{name}"
        out.mkdir(exist_ok=True)
        ctx = Context(section.part_id(part), config, profile, seed, device, root, out, inputs or {})
        result = part.run(ctx)
        files = tuple(sorted(p.name for p in out.iterdir() if p.is_file()))
        config_json = dataclasses.asdict(config) if config is not None else {}
        return result, Upstream(result.metrics, config_json, out, files, result.artifacts)

    return _run


def default_sigint() -> None:
    """Popen(preexec_fn=...) for a child the test interrupts: a suite started in the background (`cmd &`,
    nohup) ignores SIGINT, children inherit that, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def fifo(path: Path, unblock_after: float = 20.0) -> Path:
    """A FIFO at `path` that nobody writes. Should a reader block on it (the bug a test looks for), a writer
    opens and closes it after `unblock_after` seconds: that reader then reads an empty file and its test fails
    instead of hanging the suite."""
    os.mkfifo(path)

    def unblock():
        with contextlib.suppress(OSError):          # no reader waiting (ENXIO), or the folder is gone
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    timer = threading.Timer(unblock_after, unblock)
    timer.daemon = True
    timer.start()
    return path


def copy_project(dest: Path) -> Path:
    """The project's source (code, templates, report.py, pyproject) copied to dest, to edit without harm."""
    import shutil

    for name in ("hw5", "experiments", "reportkit", "templates", "report.py", "pyproject.toml"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dest / name)
    return dest


def run_main(argv):
    """report.main(argv) in-process; returns (exit code, stdout)."""
    import report

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = report.main(argv)
    return code, buffer.getvalue()


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory, fixture_root):
    """One smoke build of the whole report on the fixture data (with --publish), shared by the end-to-end tests:
    (out dir, first-run stdout)."""
    out = tmp_path_factory.mktemp("smoke")
    code, stdout = run_main(["--all", "--profile", "smoke", "--data", str(fixture_root), "--out", str(out), "--publish"])
    assert code == 0, stdout
    return out, stdout


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (no browser download), one per test module; skipped where it is
    not installed."""
    if CHROMIUM is None:
        pytest.skip("chromium not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
