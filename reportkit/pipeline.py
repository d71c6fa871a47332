"""Orchestration: plan every part (key, cache entry), run what must run in dependency order, render once.

report.py describes the homework as a Project and the flags as Options, then calls `build`, `ensure`,
`list_parts` or `explain_parts`. Nothing here knows which homework it builds.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from reportkit import provenance
from reportkit.cache import Cache, Entry, explain
from reportkit.codekey import CodeIndex
from reportkit.execute import Task, execute
from reportkit.errors import BuildError, ConfigError, DataError
from reportkit.files import DigestMemo, sha256_bytes, write_atomic
from reportkit.lock import output_lock
from reportkit.section import Part, Section, Upstream
from reportkit.sources import part_sources
from reportkit.templating import Plain

CACHE_FORMAT = 2          # bump when the meaning of a cached entry changes


@dataclass(frozen=True)
class Project:
    """Everything reportkit needs to know about the writeup it builds; report.py fills it in."""

    root: Path                                    # the checkout: code, templates, pyproject
    sections: tuple[Section, ...]                 # in the order of the writeup
    code_packages: tuple[str, ...]                # packages whose code enters part keys, by meaning
    find_data_root: Callable[[str | None], Path]  # --data value -> root; raises (one line) when there is none
    describe_data: Callable[[Path | None], str] = lambda root: str(root)
    meta: dict = field(default_factory=dict)      # title, course, author, ... shown on the title page

    @property
    def templates(self) -> Path:
        return self.root / "templates"


@dataclass
class Options:
    targets: list[str] = field(default_factory=list)   # section or part ids to rerun; empty: everything missing
    force: bool = False
    profile: str = "full"
    seed: int = 0
    device: str = "cpu"
    data: str | None = None
    out: Path = Path(".")                                  # build/ and figures/ go under it
    author: str | None = None                              # the student, for the title page
    andrew_id: str | None = None
    progress: bool = False
    publish: Path | None = None                            # also write a static site there
    skip_missing: bool = False                             # render a notice for parts whose data is missing
    pdf: bool = True                                       # False: report.html only (a quick preview)
    jobs: int = 1                                          # > 1: parts in that many local Dask worker processes
    scheduler: str | None = None                           # a running Dask scheduler to send parts to

    @property
    def build_dir(self) -> Path:
        return self.out / "build"


@dataclass
class Planned:
    """A part with everything known before running it."""

    id: str                                  # "q3.train"
    section: Section
    part: Part
    config: Any
    reads: dict[str, str]                    # name in Part.reads -> part id
    inputs: dict | None = None               # what the key hashes; None when it cannot run
    key: str | None = None
    entry: Entry | None = None
    problem: str | None = None               # why it cannot run (missing data), shown in the writeup
    data_root: Path | None = None


# ---------------------------------------------------------------- planning
def all_parts(project: Project) -> list[tuple[str, Section, Part]]:
    """(part id, section, part) in dependency order: the writeup's order, moved only as far as `reads` needs."""
    pending = [(s.part_id(p), s, p) for s in project.sections for p in s.parts]
    ids = {pid for pid, _, _ in pending}
    ordered, done = [], set()
    while pending:
        i = next((i for i, (_, s, p) in enumerate(pending) if all(read_id(s, r) in done for r in p.reads)), None)
        if i is None:
            bad = {pid: [read_id(s, r) for r in p.reads if read_id(s, r) not in ids] for pid, s, p in pending}
            raise ConfigError(f"parts that read unknown parts, or read each other in a circle: {bad}")
        ordered.append(pending.pop(i))
        done.add(ordered[-1][0])
    return ordered


def read_id(section: Section, name: str) -> str:
    """A name in Part.reads as a part id: "train" -> "q3.train"; "q3.train" stays."""
    return name if "." in name else f"{section.id}.{name}"


def check_targets(targets: list[str], project: Project) -> None:
    sections = {s.id for s in project.sections}
    parts = {s.part_id(p) for s in project.sections for p in s.parts}
    for t in targets:
        if t not in sections and t not in parts:
            raise ConfigError(f"unknown section or part {t!r}; sections: {', '.join(sorted(sections))} "
                              f"(parts: `list`)")


def library_versions(modules: set[str], root: Path) -> dict[str, str]:
    """Installed versions of the distributions that provide these top-level modules (not the project's own)."""
    owners = _distributions()
    versions = {}
    for module in sorted(modules):
        if module in sys.stdlib_module_names or (root / module).exists() or (root / f"{module}.py").exists():
            continue
        for dist in owners.get(module, []):
            versions[dist] = metadata.version(dist)
    return versions


_DISTRIBUTIONS: dict | None = None


def _distributions() -> dict:
    global _DISTRIBUTIONS
    if _DISTRIBUTIONS is None:
        _DISTRIBUTIONS = metadata.packages_distributions()
    return _DISTRIBUTIONS


def data_root_of(project: Project, opts: Options) -> tuple[Path | None, str | None]:
    """(data root, None), or (None, why there is none); a root the user named must exist."""
    try:
        return project.find_data_root(opts.data), None
    except Exception as e:          # noqa: BLE001 - the project's rule raises its own one-line error
        if opts.data:
            raise
        return None, str(e)


def plan(project: Project, opts: Options, warn: Callable[[str], None] = print) -> list[Planned]:
    """Every part's inputs, key and (sound) cache entry, in dependency order; nothing runs."""
    check_targets(opts.targets, project)
    data_root, root_problem = data_root_of(project, opts)
    cache = Cache(opts.build_dir / "cache" / "parts", warn)
    memo = DigestMemo(opts.build_dir / "cache" / "digests.json")
    index = CodeIndex(project.root, project.code_packages)
    planned: dict[str, Planned] = {}
    for pid, section, part in all_parts(project):
        p = Planned(pid, section, part, part.make_config(opts.profile), {r: read_id(section, r) for r in part.reads})
        planned[pid] = p
        missing_up = [r for r in p.reads.values() if planned[r].key is None]
        if part.data and data_root is None:
            p.problem = root_problem
        elif missing := [rel for rel in part.data if not (data_root / rel).exists()]:
            p.problem = (f"{pid} needs {data_root / missing[0]}, which is missing: place the course's {missing[0]} "
                         f"under the data root {data_root}")
        elif missing_up:
            p.problem = f"{pid} reads {', '.join(missing_up)}, which cannot be built: {planned[missing_up[0]].problem}"
        if p.problem:
            continue
        code, externals = index.fingerprint(part.run)
        p.inputs = {"format": CACHE_FORMAT, "code": code,
                    "config": dataclasses.asdict(p.config) if p.config is not None else {},
                    "seed": opts.seed, "data": {rel: memo.digest(data_root / rel) for rel in part.data},
                    "libraries": library_versions(externals, project.root),
                    "reads": {r: planned[r].key for r in p.reads.values()}}
        if part.torch:
            p.inputs["device"] = opts.device
        p.key = sha256_bytes(json.dumps(p.inputs, sort_keys=True, default=str).encode())[:20]
        p.entry = cache.lookup(pid, p.key)
    memo.save()
    for p in planned.values():
        p.data_root = data_root
    return list(planned.values())


def to_run(planned: list[Planned], opts: Options) -> list[Planned]:
    """No targets: whatever is missing (everything with --force). Targets: those, plus missing upstreams."""
    if not opts.targets:
        return [p for p in planned if opts.force or p.entry is None]
    by_id = {p.id: p for p in planned}
    wanted = {p.id for p in planned if p.id in opts.targets or p.section.id in opts.targets}
    todo = list(wanted)
    while todo:
        for up in by_id[todo.pop()].reads.values():
            if by_id[up].entry is None and up not in wanted:
                wanted.add(up)
                todo.append(up)
    return [p for p in planned if p.id in wanted]


# ---------------------------------------------------------------- running
def upstream(entry: Entry) -> Upstream:
    return Upstream(entry.metrics, entry.manifest["inputs"]["config"], entry.dir, tuple(entry.manifest["files"]),
                    entry.manifest["artifacts"])


def task_of(p: Planned, opts: Options, entries: dict[str, Entry]) -> Task:
    return Task(p.id, p.part.run, p.config, opts.profile, opts.seed, opts.device, p.data_root,
                {name: upstream(entries[rid]) for name, rid in p.reads.items()}, opts.progress)


def run_part(p: Planned, opts: Options, entries: dict[str, Entry], cache: Cache) -> Entry:
    """Run one part in this process, into a fresh cache entry."""
    task = task_of(p, opts, entries)
    return cache.store(p.id, p.key, p.inputs, lambda out_dir: execute(task, out_dir))


def run_planned(planned: list[Planned], running: list[Planned], opts: Options, say, warn,
                shown: set[str] | None = None) -> tuple[dict, dict]:
    """Run `running` in order (the others come from the cache); returns (entries, status) by part id.
    Cached parts are listed as such, those in `shown` only when it is given."""
    cache = Cache(opts.build_dir / "cache" / "parts", warn)
    if not opts.skip_missing:       # fail before spending minutes on the parts that can run
        for p in running:
            if p.problem:
                raise DataError(p.problem)
    entries = {p.id: p.entry for p in planned if p.entry is not None}
    status = {p.id: {"status": "cached" if p.entry else "not built", "seconds": 0.0} for p in planned}
    runnable = [p for p in running if not p.problem]
    for p in running:
        if p.problem:
            status[p.id] = {"status": "skipped", "seconds": 0.0}
            entries.pop(p.id, None)
    if runnable and (opts.jobs > 1 or opts.scheduler):
        from reportkit.cluster import run_on_cluster

        run_on_cluster(runnable, entries, status, lambda p: task_of(p, opts, entries), cache, opts.jobs,
                       opts.scheduler, say)
        runnable = []
    last_runs = {p.id: last_seconds(cache, p.id) for p in runnable}
    for i, p in enumerate(runnable, start=1):
        hint = f"  (last run {last_runs[p.id]:.0f} s)" if last_runs[p.id] is not None else ""
        left = [last_runs[q.id] for q in runnable[i:] if last_runs[q.id] is not None]
        if i > 1 and left:
            hint += f"  ~{remaining(sum(left))} left after it"
        say(f"[{i}/{len(runnable)}] {p.id}{hint}")
        start = time.perf_counter()
        entries[p.id] = run_part(p, opts, entries, cache)
        status[p.id] = {"status": "ran", "seconds": round(time.perf_counter() - start, 3)}
        say(f"{p.id:18s} ran     {status[p.id]['seconds']:.1f} s")
    for p in planned:
        if status[p.id]["status"] == "cached" and (shown is None or p.id in shown):
            say(f"{p.id:18s} cached")
    return entries, status


def last_seconds(cache: Cache, part_id: str) -> float | None:
    """How long the part took the last time it ran (any key), if it ever did."""
    last = cache.latest(part_id)
    return last.get("seconds") if last else None


def remaining(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def ensure(project: Project, opts: Options, ids: list[str], say=print, warn=print) -> dict[str, Entry]:
    """The entries of these parts, running them (and what they read) first if they are not cached. No render."""
    check_targets(ids, project)                 # bad input is said at once, not after another build ends
    data_root_of(project, opts)
    with output_lock(opts.build_dir, warn):
        planned = plan(project, opts, warn)
        by_id = {p.id: p for p in planned}
        reached, todo = set(), list(ids)           # these parts and every part they read, cached or not
        while todo:
            pid = todo.pop()
            if pid not in reached:
                reached.add(pid)
                todo += list(by_id[pid].reads.values())
        needed = [p for p in planned if p.id in reached and p.entry is None]
        entries, _ = run_planned(planned, needed, opts, say, warn, shown=reached)
    return {pid: entries[pid] for pid in ids}


def build(project: Project, opts: Options, say=print, warn=print) -> dict[str, Path]:
    """Run what must run, then render report.html, report.pdf and results.json from the cache."""
    check_targets(opts.targets, project)        # bad input is said at once, not after another build ends
    data_root_of(project, opts)
    with output_lock(opts.build_dir, warn):
        planned = plan(project, opts, warn)
        entries, status = run_planned(planned, to_run(planned, opts), opts, say, warn)
        return render(project, planned, entries, status, opts, warn)


# ---------------------------------------------------------------- rendering
def section_results(section: Section, planned: list[Planned], entries: dict[str, Entry]) -> dict[str, Any]:
    """What templates read as r.<section>: the metrics of its parts, merged, and `config` per part."""
    out, owner, config = {}, {}, {}
    for p in planned:
        if p.section is not section or p.id not in entries:
            continue
        for name, value in entries[p.id].metrics.items():
            if name in owner:
                raise BuildError(f"metric {name!r} of section {section.id} comes from both {owner[name]} and {p.id}")
            out[name], owner[name] = value, p.id
        if p.config is not None:
            config[p.part.name] = entries[p.id].manifest["inputs"]["config"]
    return {**out, "config": config}


def section_note(section: Section, planned: list[Planned], status: dict) -> Plain:
    """What the writeup says in place of a section that was not built (its paths print as typed)."""
    mine = [p for p in planned if p.section is section]
    skipped = [p for p in mine if status[p.id]["status"] == "skipped"]
    if skipped:
        return Plain(f"skipped at the user's request (--skip-missing): {skipped[0].problem}")
    problem = next((p.problem for p in mine if p.problem), None)
    if problem:
        return Plain(f"not built: {problem}")
    return Plain(f"not built yet: run python report.py --section {section.id}")


def render(project: Project, planned: list[Planned], entries: dict[str, Entry], status: dict,
           opts: Options, warn=print) -> dict[str, Path]:
    from reportkit import document          # Markdown, math and WeasyPrint: only when something is rendered

    build_dir, fig_dir = opts.build_dir, opts.out / "figures"
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        figures = {}
        for entry in entries.values():
            for f in entry.manifest["figures"]:
                figures[f["label"]] = (entry.dir / f["file"], f["caption"])
        figures = document.copy_figures(figures, fig_dir)
        publish_artifacts(entries, build_dir / "artifacts")
    except OSError as e:
        raise BuildError(f"cannot write outputs under {opts.out} ({e.strerror}: {e.filename}); "
                         "make it writable or pass --out DIR") from e
    data_root = planned[0].data_root if planned else None
    meta = provenance.metadata(project, opts, entries, status, data_root)
    sections, results = [], {}
    for s in project.sections:
        built = all(s.part_id(p) in entries for p in s.parts)
        sections.append({"id": s.id, "title": s.title, "template": s.template, "built": built,
                         "note": "" if built else section_note(s, planned, status)})
        if any(s.part_id(p) in entries for p in s.parts):
            results[s.id] = section_results(s, planned, entries)
    doc = document.DocumentInput(sections, results, figures, meta, project.root,
                                 part_sources(planned, entries, project.root))
    outputs = document.build(doc, project.templates, build_dir, fig_dir, build_dir / "cache" / "math", pdf=opts.pdf,
                             warn=warn)
    write_atomic(build_dir / "results.json", json.dumps({"meta": meta, **results}, indent=1).encode())
    outputs["results"] = build_dir / "results.json"
    if opts.publish is not None:
        try:
            own = opts.publish.resolve().is_relative_to(build_dir.resolve())     # build/site, build/serve
            outputs["site"] = document.publish(outputs["html"], fig_dir, opts.publish, own_folder=own)
        except OSError as e:
            raise BuildError(f"cannot publish to {opts.publish} ({e.strerror}); pick a writable DIR") from e
    return outputs


def publish_artifacts(entries: dict[str, Entry], folder: Path) -> None:
    """Copy each part's artifacts to build/artifacts/ under their own file names (e.g. q3_weights.npz), each
    written whole or not at all."""
    for entry in entries.values():
        for file in entry.manifest["artifacts"].values():
            write_atomic(folder / file, (entry.dir / file).read_bytes())


# ---------------------------------------------------------------- list and explain
def list_parts(project: Project, opts: Options, say=print, warn=print, keys: bool = False) -> None:
    planned = plan(project, opts, warn)
    for s in project.sections:
        say(f"{s.id:6s} {s.title}")
        for p in (p for p in planned if p.section is s):
            state = "cached" if p.entry else ("unavailable: " + p.problem if p.problem else "not cached")
            say(f"    {p.id:20s} {p.key if keys else state}")


def explain_parts(project: Project, opts: Options, say=print, warn=print) -> None:
    cache = Cache(opts.build_dir / "cache" / "parts", warn)
    for p in plan(project, opts, warn):
        if p.problem:
            say(f"{p.id}: cannot run: {p.problem}")
        elif p.entry and not opts.force:
            say(f"{p.id}: cached (key {p.key})")
        else:
            last = cache.latest(p.id)
            reasons = ["--force"] if p.entry else explain(last["inputs"] if last else None, p.inputs)
            say(f"{p.id}: would run: " + "; ".join(reasons))
