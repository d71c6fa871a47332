"""Where a build came from: git revision, machine, library versions, data source, date. Shown in the appendix."""
from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

from reportkit import machine
from reportkit.templating import Plain


def git_sha(root: Path) -> str:
    """Short SHA of HEAD, "-dirty" when tracked files changed; "unknown" outside git."""
    try:
        inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True,
                                text=True, timeout=10)
        if inside.returncode != 0:
            return "unknown"
        sha = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "uncommitted") + ("-dirty" if dirty else "")


def metadata(project, opts, plan, entries: dict, status: dict, data_root: Path | None) -> dict:
    """The build's metadata: the project's (title page fields, with this build's overrides), provenance, the
    machines the parts ran on, and per part its status and seconds (at the shown seed, and summed over its other
    seeds). Every string from the project or the user is Plain (printed as typed)."""
    # The date is the newest result's, so two renders of the same cache are byte-identical.
    newest = max((e.created for e in entries.values()), default=0.0)
    date = dt.datetime.fromtimestamp(newest, dt.timezone.utc).strftime("%-d %B %Y") if newest else "not built"
    versions = {}
    for e in entries.values():
        versions.update(e.inputs["libraries"])
    parts = {}
    for p in plan.parts:
        if p.shown:
            parts[p.id] = {**status[p.id], "run_seconds": entries[p.id].seconds if p.id in entries else None,
                           "other_seeds": 0, "other_seeds_seconds": 0.0}
    for p in plan.parts:
        if not p.shown and p.id in entries:
            parts[p.part_id]["other_seeds"] += 1
            parts[p.part_id]["other_seeds_seconds"] += entries[p.id].seconds
    machines = {}
    for e in entries.values():
        name = machine.summary(e.machine)
        machines[name] = machines.get(name, 0) + 1
    return {
        **{k: Plain(v) if isinstance(v, str) else v for k, v in opts.meta_of(project).items()},
        "paper": project.meta.get("paper", "letter"),
        "date": date,
        "profile": opts.profile,
        "seed": opts.seed,
        "device": opts.device,
        "git": git_sha(project.root),
        "data_root": Plain(data_root) if data_root else None,
        "data_source": Plain(project.describe_data(data_root)),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "machines": dict(sorted(machines.items(), key=lambda kv: -kv[1])),     # where the parts ran: entries each
        "versions": dict(sorted(versions.items())),
        "parts": parts,
    }
