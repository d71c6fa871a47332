"""Parts on Dask distributed: a local cluster of N worker processes (--jobs N), or a running one (--scheduler).

The driver keeps the DAG: a part is submitted once every part it reads is in the cache, and each result comes
back as bytes (`execute_remote`) that the driver stores atomically in its own cache, so a worker never writes a
cache entry and a killed worker leaves nothing half-written. Workers need the project's code importable and the
data root (and the driver's cache folder, which upstream inputs are read from) at the same paths: one machine,
or a shared filesystem.

Each worker runs one part at a time (parts seed torch's global generator), with cores / N threads for BLAS and
torch; a part whose results depend on its thread count fixes it itself.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Iterator

from reportkit.cache import PLAIN_NAME, Cache, Entry
from reportkit.errors import BuildError, ConfigError
from reportkit.execute import Task, execute_remote
from reportkit.plan import Planned
from reportkit.project import Options

CONNECT_TIMEOUT = "5s"


def connect(stack: ExitStack, jobs: int, scheduler: str | None):
    """A Client, closed (with its local cluster) when the stack closes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
        except ValueError as e:             # not an address: distributed says why (a missing port, a scheme)
            raise ConfigError(f"--scheduler: {e}; give a scheduler's address, e.g. tcp://10.0.0.5:8786") from None
        except (OSError, TimeoutError) as e:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({type(e).__name__}); start one with "
                              f"`dask scheduler` and workers with `dask worker {scheduler}`") from None
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
           "OMP_WAIT_POLICY": "PASSIVE"}
    cluster = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.ERROR, env=env))
    return stack.enter_context(Client(cluster))


def run_on_cluster(runnable: list[Planned], task_of: Callable[[Planned], Task], cache: Cache,
                   say: Callable[[str], None], opts: Options) -> Iterator[tuple[Planned, Entry, float]]:
    """Run `runnable` (in dependency order) on the cluster, each part once all it reads is stored; yields each
    part as its result is stored in the driver's cache."""
    from distributed import wait
    from distributed.scheduler import KilledWorker

    with ExitStack() as stack:
        client = connect(stack, opts.jobs, opts.scheduler)
        workers = len(client.scheduler_info().get("workers", {}))
        say(f"dask: {workers} worker(s) at {client.scheduler.address}")
        pending, running, started = list(runnable), {}, 0
        waiting_for = {p.id for p in runnable}           # parts of this run not stored yet
        while pending or running:
            for p in [p for p in pending if not waiting_for & set(p.reads.values())]:
                pending.remove(p)
                started += 1
                task = dataclasses.replace(task_of(p), progress=False)        # no progress bars from workers
                future = client.submit(execute_remote, task, key=f"{p.id}-{p.key}", pure=False)
                running[future] = (p, time.perf_counter())
                say(f"[{started}/{len(runnable)}] {p.id}  submitted")
            if not running:
                raise BuildError(f"parts wait for parts that cannot run: {', '.join(p.id for p in pending)}")
            done, _ = wait(list(running), return_when="FIRST_COMPLETED")
            for future in done:
                p, start = running.pop(future)
                try:
                    fields, files, where = future.result()
                except KilledWorker:
                    raise BuildError(f"{p.id}: the workers running it died (out of memory, or killed); the parts "
                                     "that finished stay cached: rerun the same command") from None
                entry = cache.store(p.part_id, p.key, p.inputs,
                                    lambda out_dir: write_files(p.id, out_dir, files, fields))
                waiting_for.discard(p.id)
                say(f"{p.id:18s} ran     {fields['seconds']:.1f} s on {where}")
                yield p, entry, time.perf_counter() - start


def write_files(part_id: str, out_dir: Path, files: dict[str, bytes], fields: dict) -> dict:
    """A worker's files into the entry's folder, each under a plain name of that folder; the manifest fields."""
    for name, data in files.items():
        if not PLAIN_NAME.fullmatch(name):        # a name from elsewhere stays in its folder
            raise BuildError(f"{part_id}: the worker returned a file named {name[:60]!r}")
        (out_dir / name).write_bytes(data)
    return fields
