"""Shared fixtures: the data root (the shared course data beside the checkout) and a fixed RNG."""
from pathlib import Path

import numpy as np
import pytest

from hw5.data import resolve_data_root


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The data root the report would use; tests needing it skip with a reason if it is absent."""
    try:
        return resolve_data_root(None, Path(__file__).resolve().parent.parent)
    except Exception as e:       # noqa: BLE001 - any reason to have no data is a skip reason
        pytest.skip(f"no data root: {e}")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def run_section(tmp_path, data_root):
    """Run a section module's run() with its smoke config (plus overrides) into tmp_path; returns the Result.

    Usage: result = run_section(q3_module, epochs=2); upstream results go in `inputs={"q3": Upstream(...)}`.
    """
    from reportkit.result import Context

    def _run(module, profile="smoke", inputs=None, seed=0, device="cpu", **overrides):
        config = module.SECTION.make_config(profile, overrides)
        out = tmp_path / module.SECTION.id
        out.mkdir(exist_ok=True)
        ctx = Context(config, profile, seed, device, data_root, out, inputs or {})
        return module.run(ctx)

    return _run


def run_main(argv):
    """report.main(argv) in-process; returns (exit code, stdout)."""
    import contextlib
    import io

    import report

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = report.main(argv)
    return code, buffer.getvalue()


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory):
    """One smoke build (with --publish) shared by the end-to-end tests: (out dir, first-run stdout)."""
    out = tmp_path_factory.mktemp("smoke")
    code, stdout = run_main(["--all", "--profile", "smoke", "--out", str(out), "--publish"])
    assert code == 0, stdout
    return out, stdout
