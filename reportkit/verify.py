"""`verify`: rerun cached parts into a temporary folder and compare what they compute with what the cache holds.

The parts a rerun reads come from the cache, as in a build; nothing of the cache changes, not even a damaged
entry (verify names it and the command that rebuilds it). A part without torch must agree exactly: every metric,
every figure byte. A torch part must agree within TORCH_TOLERANCE (relative, on each number) and its figures
pixel by pixel within PIXEL_TOLERANCE, since torch kernels may order sums differently from run to run on some
devices. Timings (changes.is_timing) are not compared.
"""
from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from reportkit import machine
from reportkit.cache import Entry
from reportkit.changes import is_number, is_timing, leaves, same
from reportkit.errors import ConfigError, DataError
from reportkit.execute import execute
from reportkit.files import sha256_file
from reportkit.lock import output_lock
from reportkit.plan import Plan, Planned, check_targets, plan
from reportkit.project import Options, Project
from reportkit.run import task_of

TORCH_TOLERANCE = 1e-4        # |a - b| <= 1e-4 * max(1, |a|)
PIXEL_TOLERANCE = 1.5 / 255   # a pixel channel may be one level of 255 off (the half: float rounding)


def verify(project: Project, opts: Options, targets: Iterable[str], say: Callable[[str], None] = print) -> bool:
    """Rerun the parts of these sections or parts and say, per part, whether they agree; True when all do."""
    targets = list(targets)
    check_targets(targets, project)
    with output_lock(opts.build_dir, say):             # no build replaces the entries while they are compared
        planned = plan(project, opts, say, read_only=True)
        chosen = [p for p in planned.parts if (p.part_id in targets or p.section.id in targets)
                  and (p.runs or p.entry is not None)]           # every seed this build runs, and any cached
        for p in chosen:
            check_cached(planned, p, project.command)
        entries = {p.id: p.entry for p in planned.parts if p.entry is not None}
        agree = True
        for p in chosen:
            with tempfile.TemporaryDirectory(prefix=f"verify-{p.id}-") as tmp:
                start = time.perf_counter()
                fields = execute(task_of(p, opts, entries, planned.data_root), Path(tmp))
                found = differences(p.entry, fields, Path(tmp), p.part.torch)
            if not machine.same_kernels(p.entry.machine, fields["machine"]):
                say(f"note: {p.id} was cached on {machine.summary(p.entry.machine)} and rerun on "
                    f"{machine.summary(fields['machine'])}: numpy results agree exactly only on the same "
                    "instruction set and kernels")
            rule = f"within {TORCH_TOLERANCE:g}" if p.part.torch else "exactly"
            verdict = "agrees" if not found else f"DIFFERS in {len(found)} value(s)"
            say(f"{p.id:18s} {verdict} with the cache ({rule}; rerun {time.perf_counter() - start:.1f} s)")
            for line in found:
                say(f"    {line}")
            agree = agree and not found
    return agree


def check_cached(planned: Plan, p: Planned, command: str) -> None:
    """The part and each part it reads have a sound entry (verify compares with the first and reruns from the
    others), else a one-line error saying how to build or rebuild the one that has none."""
    if p.problem:
        raise DataError(p.problem)
    for pid in [p.id, *p.reads.values()]:
        if planned[pid].entry is not None:
            continue
        build = f"{command} --section {pid}, with the same flags"
        if pid in planned.cache.damaged:
            raise DataError(f"{pid}'s cached entry is damaged ({planned.cache.damaged[pid]}): rebuild it with "
                            f"{build}, then verify again")
        why = "there is nothing to compare with" if pid == p.id else f"{p.id} cannot be rerun"
        raise ConfigError(f"{pid} is not cached for these options, so {why}: build it first ({build})")


def differences(entry: Entry, fields: dict, out_dir: Path, torch: bool) -> list[str]:
    """What the rerun (its manifest fields and folder) computed differently from the cached entry."""
    found = []
    cached, rerun = leaves(entry.metrics), leaves(fields["metrics"])
    for path in sorted(set(cached) | set(rerun)):
        if is_timing(path):
            continue
        a, b = cached.get(path), rerun.get(path)
        if not agrees(a, b, torch):
            found.append(f"{path}: cached {short(a)}, rerun {short(b)}")
    figures = {f["label"]: f["file"] for f in fields["figures"]}
    for f in entry.figures:
        if f["label"] not in figures:
            found.append(f"figure {f['label']}: not drawn by the rerun")
        elif not same_figure(entry.dir / f["file"], out_dir / figures[f["label"]], torch):
            found.append(f"figure {f['label']}: differs")
    found += [f"figure {label}: drawn only by the rerun" for label in figures
              if label not in {f["label"] for f in entry.figures}]
    return found


def agrees(a: Any, b: Any, torch: bool) -> bool:
    if torch and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return all(agrees(x, y, torch) for x, y in zip(a, b))
    if torch and is_number(a) and is_number(b):
        return math.isclose(a, b, rel_tol=TORCH_TOLERANCE, abs_tol=TORCH_TOLERANCE) or (math.isnan(a) and math.isnan(b))
    return same(a, b)


def same_figure(cached: Path, rerun: Path, torch: bool) -> bool:
    """Byte-identical; for a torch part, a PNG whose pixels differ by at most PIXEL_TOLERANCE also agrees."""
    if sha256_file(cached) == sha256_file(rerun):
        return True
    if not (torch and cached.suffix == rerun.suffix == ".png"):
        return False
    import numpy as np
    from matplotlib.image import imread

    a, b = imread(cached), imread(rerun)
    return a.shape == b.shape and float(np.abs(a - b).max()) <= PIXEL_TOLERANCE


def short(value: Any) -> str:
    if is_number(value):
        return f"{value:.8g}"
    if isinstance(value, list):
        return f"[{len(value)} values]"
    return "(none)" if value is None else repr(value)[:60]
