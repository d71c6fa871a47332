"""Fixtures of the section tests: every part run once per session on the generated data root (smoke profile),
checks of figure files, and torch held to one thread."""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
from pathlib import Path

import pytest

MODULES = {"q1": "q1_theory", "q2": "q2_numpy_net", "q3": "q3_nist_mlp", "q4": "q4_ocr", "q5": "q5_autoencoder",
           "q6_1": "q6_1_torch", "q6_2": "q6_2_finetune"}
PNG = b"\x89PNG\r\n\x1a\n"


@contextlib.contextmanager
def one_torch_thread():
    """Tiny tensors: a second thread only waits (and a spinning OpenMP thread steals the shared core)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def torch_one_thread():
    """Use as an autouse fixture in the torch test modules."""
    with one_torch_thread():
        yield


@pytest.fixture(scope="session")
def smoke(fixture_root, tmp_path_factory):
    """smoke("q3.train") -> (Result, Upstream): the part run once per session in the smoke profile, seed 0, on
    the fixture root, after the parts it reads (each also once). Built as tests/conftest.py's run_part builds
    its Context and Upstream; tests that change a config or the seed use run_part itself."""
    from reportkit.section import Context, Upstream

    done: dict[str, tuple] = {}
    base = tmp_path_factory.mktemp("smoke_parts")

    def get(part_id: str):
        if part_id in done:
            return done[part_id]
        section_id, name = part_id.split(".")
        section = importlib.import_module(f"experiments.{MODULES[section_id]}").SECTION
        part = next(p for p in section.parts if p.name == name)
        inputs = {r: get(r if "." in r else f"{section_id}.{r}")[1] for r in part.reads}
        config = part.make_config("smoke")
        out = base / part_id
        out.mkdir()
        with one_torch_thread():
            result = part.run(Context(part_id, config, "smoke", 0, "cpu", fixture_root, out, inputs))
        files = tuple(sorted(p.name for p in out.iterdir() if p.is_file()))
        config_json = dataclasses.asdict(config) if config is not None else {}
        done[part_id] = result, Upstream(result.metrics, config_json, out, files, result.artifacts)
        return done[part_id]

    return get


@pytest.fixture
def check_figures():
    """check_figures(result, upstream, labels): the figures have these labels, and each file is a PNG that the
    part wrote into its own folder."""
    def check(result, upstream, labels):
        assert sorted(f.label for f in result.figures) == sorted(labels)
        for fig in result.figures:
            path = Path(upstream.dir) / fig.file
            assert fig.file in upstream.files and path.stat().st_size > 1000, fig.file
            assert path.read_bytes()[:8] == PNG, fig.file
            assert fig.caption.strip(), fig.label
    return check
