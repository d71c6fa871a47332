"""The verbs a command line calls: build (plan, run, render), ensure (plan, run), list and explain (plan).

Bad targets and a data root the user named are checked before waiting for another build of the same folder
(the output lock), so they are said at once.
"""
from __future__ import annotations

from pathlib import Path

from reportkit import changes
from reportkit.cache import Entry, explain
from reportkit.errors import ConfigError
from reportkit.lock import output_lock
from reportkit.plan import check_targets, data_root_of, plan
from reportkit.project import Options, Project
from reportkit.render import render
from reportkit.run import run


def build(project: Project, opts: Options, say=print, warn=print) -> dict[str, Path]:
    """Run what must run, then render report.html, report.pdf and results.json from the cache."""
    check_targets(opts.targets, project)
    data_root_of(project, opts)
    with output_lock(opts.build_dir, warn):
        planned = plan(project, opts, warn)
        outcomes = run(planned, planned.to_run(opts.targets, opts.force), opts, say)
        outputs = render(project, planned, outcomes, opts, warn)
        if any(s["status"] == "ran" for s in outcomes.status.values()):
            say(what_changed(opts.build_dir, project.command))
        return outputs


def what_changed(build_dir: Path, command: str) -> str:
    """One line after a build that ran something: what its numbers and figures changed."""
    try:
        found = changes.between_builds(build_dir)
    except ConfigError as e:                 # the first build, or a previous one that is damaged
        return f"nothing to compare this build with ({e})"
    return found.summary() + (f" (details: {command} diff)" if found.count else "")


def ensure(project: Project, opts: Options, ids: list[str], say=print, warn=print) -> dict[str, Entry]:
    """The entries of these parts at every seed this build runs (by planned id: "q3.train", "q3.train@2"),
    running them (and the uncached parts they read) first. No render."""
    check_targets(ids, project)
    data_root_of(project, opts)
    with output_lock(opts.build_dir, warn):
        planned = plan(project, opts, warn)
        needed = planned.needed(p.id for p in planned.parts if p.part_id in ids and (p.runs or p.entry))
        outcomes = run(planned, [p for p in planned.parts if p.id in needed and p.entry is None], opts, say,
                       shown=needed)
    return {p.id: outcomes.entries[p.id] for p in planned.parts if p.part_id in ids and p.id in outcomes.entries}


def list_parts(project: Project, opts: Options, say=print, warn=print, keys: bool = False) -> None:
    planned = plan(project, opts, warn)
    for s in project.sections:
        say(f"{s.id:6s} {s.title}")
        for p in planned.of(s):
            state = "cached" if p.entry else ("unavailable: " + p.problem if p.problem else "not cached")
            others = [q for q in planned.seeds_of(p.part_id) if not q.shown]
            if others and not keys:
                state += f"; other seeds: {sum(q.entry is not None for q in others)} of {len(others)} cached" + (
                    "" if others[0].runs else " (run with --seeds)")
            say(f"    {p.id:20s} {p.key if keys else state}")
            for q in others if keys else []:
                say(f"    {q.id:20s} {q.key}")


def explain_parts(project: Project, opts: Options, say=print, warn=print) -> None:
    planned = plan(project, opts, warn)
    for p in planned.parts:
        if not (p.runs or p.entry):
            continue                      # a costly part's other seed that this build would not run
        if p.problem:
            say(f"{p.id}: cannot run: {p.problem}")
        elif p.entry and not opts.force:
            say(f"{p.id}: cached (key {p.key})")
        else:
            last = planned.cache.latest(p.part_id, p.seed)
            reasons = ["--force"] if p.entry else explain(last["inputs"] if last else None, p.inputs)
            say(f"{p.id}: would run: " + "; ".join(reasons))
