"""Independent single-threaded numpy jobs side by side in worker processes, when the machine has a core to spare.

Q3's learning rates, Q5's two trainings and the bag of words' filter bank run numpy on one BLAS thread
(`hw5.runtime.blas_threads`: their matmuls are too small for more), so in the report's process they leave the
second core of a 2-core machine idle. Each job is a pure function of its arguments, with its own seeded
generators among them, so the results are the same, bit for bit, whether the jobs run here one after another
or in workers, and whatever the number of workers.

A worker ends with the process that started it, even when that one is killed (kill -9, out of memory): an orphan
would wait for jobs forever, holding what it inherited from its parent (its open files and their locks).
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1            # <linux/prctl.h>


def workers_for(jobs: int) -> int:
    """How many processes map_jobs runs `jobs` jobs in: the cores this process may use (its affinity mask,
    which containers and `taskset` narrow), at most one per job; 1 inside a daemonic process (a Dask or
    multiprocessing worker), which may not start children."""
    if multiprocessing.current_process().daemon:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(jobs, cores))


def map_jobs(fn: Callable[..., T], jobs: Iterable[tuple]) -> list[T]:
    """[fn(*job) for job in jobs], in order, in workers_for(len(jobs)) fresh processes (or here, when that is 1).

    fn must be a module-level function and the jobs picklable."""
    jobs = list(jobs)
    n = workers_for(len(jobs))
    if n == 1:
        return [fn(*job) for job in jobs]
    # fork, not spawn: a spawned child re-runs the __main__ script, and a script without a __main__ guard (the
    # handout's run_q3.py style) would start a second build there and wait on the first one's lock. The jobs
    # are numpy and scipy only, so torch's OpenMP threads in this process are never needed in the child.
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=_die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        return list(pool.map(_call, [(fn, job) for job in jobs], chunksize=max(1, len(jobs) // (4 * n))))


def _call(fn_and_job: tuple) -> object:
    fn, job = fn_and_job
    return fn(*job)


def _die_with_parent(parent: int) -> None:
    """Worker initializer: the kernel kills this worker when the thread that forked it (the one in map_jobs, which
    waits there for the jobs) ends (Linux's PR_SET_PDEATHSIG); a parent that died before that was set is seen
    after, as a changed parent pid."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
