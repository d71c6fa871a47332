"""Parts on Dask distributed: a local cluster of N worker processes (--jobs N), or a running one (--scheduler).

The driver keeps the DAG: a part is submitted once every part it reads is in the cache, and each result comes
back as bytes (`execute_remote`) that the driver stores atomically in its own cache, so a worker never writes a
cache entry and a killed worker leaves nothing half-written. Workers need the project's code importable and the
data root (and the driver's cache folder, which upstream inputs are read from) at the same paths: one machine,
or a shared filesystem.

Each worker runs one part at a time (parts seed torch's global generator), with cores / N threads for BLAS and
torch; a part whose results depend on its thread count fixes it itself (hw5.runtime).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from contextlib import ExitStack
from typing import Callable

from reportkit.cache import PLAIN_NAME, Cache, Entry
from reportkit.errors import BuildError, ConfigError
from reportkit.execute import execute_remote

CONNECT_TIMEOUT = "5s"


def connect(stack: ExitStack, jobs: int, scheduler: str | None):
    """A Client, closed (with its local cluster) when the stack closes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError) as e:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({type(e).__name__}); start one with "
                              f"`dask scheduler` and workers with `dask worker {scheduler}`") from None
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
           "OMP_WAIT_POLICY": "PASSIVE"}
    cluster = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.ERROR, env=env))
    return stack.enter_context(Client(cluster))


def run_on_cluster(runnable: list, entries: dict[str, Entry], status: dict, task_of: Callable, cache: Cache,
                   jobs: int, scheduler: str | None, say: Callable[[str], None]) -> None:
    """Run the parts `runnable` (in dependency order) on the cluster; entries and status are updated in place."""
    from distributed import wait
    from distributed.scheduler import KilledWorker

    with ExitStack() as stack:
        client = connect(stack, jobs, scheduler)
        workers = len(client.scheduler_info().get("workers", {}))
        say(f"dask: {workers} worker(s) at {client.scheduler.address}")
        pending, running, started = list(runnable), {}, 0
        while pending or running:
            for p in [p for p in pending if all(r in entries for r in p.reads.values())]:
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

                def write(out_dir, files=files, fields=fields):
                    for name, data in files.items():
                        if not PLAIN_NAME.fullmatch(name):        # a name from elsewhere stays in its folder
                            raise BuildError(f"{p.id}: the worker returned a file named {name[:60]!r}")
                        (out_dir / name).write_bytes(data)
                    return fields
                entries[p.id] = cache.store(p.id, p.key, p.inputs, write)
                status[p.id] = {"status": "ran", "seconds": round(time.perf_counter() - start, 3)}
                say(f"{p.id:18s} ran     {fields['seconds']:.1f} s on {where}")
