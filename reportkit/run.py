"""Running: the planned parts that must run, in dependency order, in this process or on Dask workers.

Both runners yield each part as it finishes, with its new cache entry; `run` gathers them into Outcomes, so the
driver does the same bookkeeping wherever a part ran.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from reportkit.cache import Cache, Entry
from reportkit.errors import DataError
from reportkit.execute import Task, execute
from reportkit.plan import Plan, Planned
from reportkit.project import Options
from reportkit.section import Upstream

Finished = tuple[Planned, Entry, float]          # a part, its new entry, seconds from start to stored


@dataclass(frozen=True)
class Outcomes:
    """What a run left: every part's entry (cached or new) and status ("ran", "cached", "skipped", "not built")."""

    entries: dict[str, Entry]
    status: dict[str, dict]          # part id -> {"status": ..., "seconds": wall seconds of this run}


def upstream(entry: Entry) -> Upstream:
    return Upstream(entry.metrics, entry.config, entry.dir, entry.files, entry.artifacts)


def task_of(p: Planned, opts: Options, entries: dict[str, Entry], data_root) -> Task:
    return Task(p.part_id, p.part.run, p.config, opts.profile, p.seed, opts.device, data_root,
                {name: upstream(entries[rid]) for name, rid in p.reads.items()}, opts.progress)


def run(plan: Plan, running: list[Planned], opts: Options, say: Callable[[str], None],
        shown: set[str] | None = None) -> Outcomes:
    """Run `running` (the other parts come from the cache). Cached parts are listed as such, only those in
    `shown` when it is given. A part whose data is missing is an error, or skipped with opts.skip_missing."""
    if not opts.skip_missing:       # fail before spending minutes on the parts that can run
        for p in running:
            if p.problem:
                raise DataError(p.problem)
    entries = {p.id: p.entry for p in plan.parts if p.entry is not None}
    status = {p.id: {"status": "cached" if p.entry else "not built", "seconds": 0.0} for p in plan.parts}
    for p in running:
        if p.problem:
            status[p.id] = {"status": "skipped", "seconds": 0.0}
            entries.pop(p.id, None)
    runnable = [p for p in running if not p.problem]
    if opts.jobs > 1 or opts.scheduler:
        from reportkit.cluster import run_on_cluster as runner
    else:
        runner = run_here
    for p, entry, seconds in runner(runnable, lambda q: task_of(q, opts, entries, plan.data_root), plan.cache, say,
                                    opts):
        entries[p.id] = entry
        status[p.id] = {"status": "ran", "seconds": round(seconds, 3)}
    for p in plan.parts:
        if p.shown and status[p.id]["status"] == "cached" and (shown is None or p.id in shown):
            say(f"{p.id:18s} cached")
    others = sum(not p.shown and status[p.id]["status"] == "cached" and (shown is None or p.id in shown)
                 for p in plan.parts)
    if others:
        say(f"{'other seeds':18s} {others} cached")
    return Outcomes(entries, status)


def run_here(runnable: list[Planned], task_of: Callable[[Planned], Task], cache: Cache, say: Callable[[str], None],
             opts: Options) -> Iterator[Finished]:
    """One part after the other in this process, each announced with how long it took last time."""
    last_runs = {p.id: last_seconds(cache, p.part_id) for p in runnable}
    for i, p in enumerate(runnable, start=1):
        say(f"[{i}/{len(runnable)}] {p.id}{timing_hint(p, runnable[i:], last_runs, first=i == 1)}")
        start = time.perf_counter()
        task = task_of(p)
        entry = cache.store(p.part_id, p.key, p.inputs, lambda out_dir: execute(task, out_dir))
        seconds = time.perf_counter() - start
        say(f"{p.id:18s} ran     {seconds:.1f} s")
        yield p, entry, seconds


def timing_hint(p: Planned, after: Iterable[Planned], last_runs: dict[str, float | None], first: bool) -> str:
    """"  (last run 12 s)  ~3 min left after it", from the seconds of earlier runs (any key) where known."""
    hint = f"  (last run {last_runs[p.id]:.0f} s)" if last_runs[p.id] is not None else ""
    left = [last_runs[q.id] for q in after if last_runs[q.id] is not None]
    if not first and left:
        hint += f"  ~{remaining(sum(left))} left after it"
    return hint


def last_seconds(cache: Cache, part_id: str) -> float | None:
    """How long the part took the last time it ran (any key), if it ever did."""
    last = cache.latest(part_id)
    return last.get("seconds") if last else None


def remaining(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
