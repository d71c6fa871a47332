"""Running one part: the same code in-process and on a Dask worker, so a part gives the same result anywhere.

`execute` runs a part's function in a folder and returns the manifest fields; `execute_remote` does it in a
temporary folder of a worker and returns the files' bytes as well, for the driver to store in its cache.
"""
from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from pathlib import Path
from typing import Callable

from reportkit import machine
from reportkit.errors import BuildError
from reportkit.section import RESERVED_METRICS, Context, Upstream


@dataclasses.dataclass(frozen=True)
class Task:
    """Everything a part's run needs, as plain picklable data (the function travels by its import path)."""

    part: str
    run: Callable
    config: object
    profile: str
    seed: int
    device: str
    data_root: Path | None
    inputs: dict[str, Upstream]
    progress: bool = False


def execute(task: Task, out_dir: Path) -> dict:
    """Run the part into out_dir; returns its manifest fields (metrics, figures, artifacts, seconds)."""
    ctx = Context(task.part, task.config, task.profile, task.seed, task.device, task.data_root, out_dir,
                  task.inputs, task.progress)
    start = time.perf_counter()
    result = task.run(ctx)
    seconds = time.perf_counter() - start
    for f in result.figures:
        if not (out_dir / f.file).is_file():
            raise BuildError(f"{task.part}: figure {f.label} file {f.file} was not written")
    for name, file in result.artifacts.items():
        if not (out_dir / file).is_file():
            raise BuildError(f"{task.part}: artifact {name} file {file} was not written")
    for name in set(RESERVED_METRICS) & set(result.metrics):
        raise BuildError(f"{task.part}: {name!r} is not a metric name; templates read r.<section>.{name}, which "
                         "reportkit fills")
    metrics = json.loads(json.dumps(result.metrics))      # fails here, not at render, if not JSON
    return {"metrics": metrics, "figures": [dataclasses.asdict(f) for f in result.figures],
            "artifacts": result.artifacts, "seconds": round(seconds, 3), "machine": machine.describe()}


def execute_remote(task: Task) -> tuple[dict, dict[str, bytes], str]:
    """On a worker: (manifest fields, {file name: bytes}, where it ran)."""
    import socket

    try:
        from distributed import get_worker

        where = get_worker().name
    except (ImportError, ValueError):
        where = socket.gethostname()
    with tempfile.TemporaryDirectory(prefix=f"{task.part}-") as tmp:
        fields = execute(task, Path(tmp))
        files = {p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()}
    return fields, files, str(where)
