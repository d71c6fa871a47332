"""Orchestration: decide per section whether to run it or take it from the cache, then render.

report.py parses flags into Options and calls `build_report`, `list_sections` or `explain_sections`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import subprocess
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from experiments import SECTION_MODULES
from hw5.data import describe_source, resolve_data_root
from reportkit import document
from reportkit.cache import Cache, DigestMemo, Entry, explain, key_of, library_versions, section_inputs, write_atomic
from hw5.errors import DataError as LibraryDataError
from reportkit.errors import BuildError, ConfigError, DataError
from reportkit.result import Context, Result, Section, Upstream

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Options:
    selected: list[str] = field(default_factory=list)   # --section ids; empty means --all
    force: bool = False
    profile: str = "full"
    seed: int = 0
    device: str = "cpu"
    data: str | None = None
    out: Path = PROJECT_ROOT                              # build/ and figures/ go under it
    author: str | None = None
    progress: bool = False
    publish: Path | None = None                            # also write a static site there
    skip_missing: bool = False                             # render a notice for sections whose data is missing

    @property
    def build_dir(self) -> Path:
        return self.out / "build"


@dataclass
class Planned:
    section: Section
    module: ModuleType
    config: object
    inputs: dict | None        # None when the inputs could not be computed (missing data)
    key: str | None
    entry: Entry | None
    problem: str | None = None           # why it cannot run (missing data), shown in the writeup
    data_root: Path | None = None


def load_sections() -> list[tuple[Section, ModuleType]]:
    """(Section, module) in run order: the writeup's order, moved only as far as `consumes` requires."""
    modules = [importlib.import_module(name) for name in SECTION_MODULES]
    pending, ordered = [(m.SECTION, m) for m in modules], []
    ids = {s.id for s, _ in pending}
    while pending:
        ready = next((i for i, (s, _) in enumerate(pending)
                      if all(c in {o.id for o, _ in ordered} for c in s.consumes)), None)
        if ready is None:
            bad = [(s.id, [c for c in s.consumes if c not in ids]) for s, _ in pending]
            raise ConfigError(f"sections with unknown or circular `consumes`: {bad}")
        ordered.append(pending.pop(ready))
    return ordered


def check_ids(selected: list[str], sections) -> None:
    valid = [s.id for s, _ in sections]
    for sid in selected:
        if sid not in valid:
            raise ConfigError(f"unknown section {sid!r}; valid ids: {', '.join(valid)}")


def plan(opts: Options) -> list[Planned]:
    """Compute every section's inputs, key and cache entry (no running)."""
    sections = load_sections()
    check_ids(opts.selected, sections)
    try:
        data_root = resolve_data_root(opts.data, PROJECT_ROOT)
    except LibraryDataError as e:
        if opts.data:                      # a root the user named must exist, whatever runs
            raise
        data_root, root_error = None, DataError(str(e))
    cache = Cache(opts.build_dir / "cache")
    memo = DigestMemo(opts.build_dir / "cache" / "digests.json")
    keys, planned = {}, []
    for section, module in sections:
        config = section.make_config(opts.profile)
        try:
            if section.data and data_root is None:
                raise root_error
            digests = {}
            for rel in section.data:
                path = data_root / rel
                if not path.exists():
                    raise DataError(f"{section.id} needs {path}, which is missing: place the course's {rel} "
                                    f"under the data root {data_root}")
                digests[rel] = memo.digest(path)
            missing_up = [c for c in section.consumes if keys.get(c) is None]
            if missing_up:
                raise DataError(f"{section.id} consumes {', '.join(missing_up)}, which cannot be built")
            inputs = section_inputs(Path(module.__file__), config, opts.seed, opts.device, digests,
                                    {c: keys[c] for c in section.consumes})
        except DataError as e:
            planned.append(Planned(section, module, config, None, None, None, problem=str(e)))
            keys[section.id] = None
            continue
        key = keys[section.id] = key_of(inputs)
        planned.append(Planned(section, module, config, inputs, key, cache.lookup(section.id, key)))
    try:
        memo.save()
    except OSError:
        pass          # the memo only saves time; a read-only build/ is reported when something is written
    for p in planned:
        p.data_root = data_root
    return planned


def to_run(planned: list[Planned], opts: Options) -> set[str]:
    """--all: whatever is missing (everything with --force). --section: those, plus missing upstreams."""
    if not opts.selected:
        return {p.section.id for p in planned if opts.force or p.entry is None}
    by_id = {p.section.id: p for p in planned}
    wanted, todo = set(opts.selected), list(opts.selected)
    while todo:
        for up in by_id[todo.pop()].section.consumes:
            if by_id[up].entry is None and up not in wanted:
                wanted.add(up)
                todo.append(up)
    return wanted


def run_section(p: Planned, opts: Options, entries: dict[str, Entry]) -> Entry:
    """Run one section into a fresh cache entry."""
    if p.problem:
        raise DataError(p.problem)

    def run(out_dir: Path) -> dict:
        inputs = {c: Upstream(entries[c].manifest["metrics"], entries[c].dir, entries[c].manifest["artifacts"])
                  for c in p.section.consumes}
        ctx = Context(p.config, opts.profile, opts.seed, opts.device, p.data_root, out_dir, inputs, opts.progress)
        start = time.perf_counter()
        result: Result = p.module.run(ctx)
        seconds = time.perf_counter() - start
        for f in result.figures:
            if not (out_dir / f.file).is_file():
                raise BuildError(f"{p.section.id}: figure {f.label} file {f.file} was not written")
        for name, file in result.artifacts.items():
            if not (out_dir / file).is_file():
                raise BuildError(f"{p.section.id}: artifact {name} file {file} was not written")
        metrics = json.loads(json.dumps(result.metrics))      # fails here, not at render, if not JSON
        return {"metrics": metrics, "figures": [dataclasses.asdict(f) for f in result.figures],
                "artifacts": result.artifacts, "seconds": round(seconds, 3)}

    return Cache(opts.build_dir / "cache").store(p.section.id, p.key, p.inputs, run)


def build_report(opts: Options, say=print) -> dict[str, Path]:
    """Run what must run, then render report.html, report.pdf and results.json from the cache."""
    planned = plan(opts)
    running = to_run(planned, opts)
    if not opts.skip_missing:       # fail before spending minutes on the sections that can run
        for p in planned:
            if p.section.id in running and p.problem:
                raise DataError(p.problem)
    entries, status = {}, {}
    for p in planned:
        sid = p.section.id
        if sid in running and p.problem and opts.skip_missing:
            status[sid] = {"status": "skipped", "seconds": 0.0}   # the writeup shows p.problem as a notice
            running.discard(sid)
        elif sid in running:
            start = time.perf_counter()
            entries[sid] = run_section(p, opts, entries)
            status[sid] = {"status": "ran", "seconds": round(time.perf_counter() - start, 3)}
        elif p.entry is not None:
            entries[sid] = p.entry
            status[sid] = {"status": "cached", "seconds": 0.0}
        else:
            status[sid] = {"status": "not built", "seconds": 0.0}
        status[sid]["run_seconds"] = entries[sid].manifest["seconds"] if sid in entries else None
        shown = f"{status[sid]['seconds']:.1f} s" if sid in running else "-"
        say(f"{sid:6s} {status[sid]['status']:9s} {shown}")
    return render(planned, entries, status, opts)


def render(planned: list[Planned], entries: dict[str, Entry], status: dict, opts: Options) -> dict[str, Path]:
    build_dir, fig_dir = opts.build_dir, opts.out / "figures"
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        figures = {}
        for sid, entry in entries.items():
            for f in entry.manifest["figures"]:
                figures[f["label"]] = (entry.dir / f["file"], f["caption"])
        figures = document.copy_figures(figures, fig_dir)
        publish_artifacts(entries, build_dir / "artifacts")
    except OSError as e:
        raise BuildError(f"cannot write outputs under {opts.out} ({e.strerror}: {e.filename}); "
                         "make it writable or pass --out DIR") from e
    data_root = planned[0].data_root if planned else None
    meta = metadata(opts, entries, status, data_root)
    in_document_order = sorted(planned, key=lambda p: SECTION_MODULES.index(p.module.__name__))
    sections = [{"id": p.section.id, "title": p.section.title, "template": p.section.template,
                 "built": p.section.id in entries, "note": section_note(p, status)}
                for p in in_document_order]
    results = {sid: e.manifest["metrics"] for sid, e in entries.items()}
    sources = {"hw5/nn.py": (PROJECT_ROOT / "hw5" / "nn.py").read_text()}
    doc = document.DocumentInput(sections, results, figures, meta, sources)
    outputs = document.build(doc, PROJECT_ROOT / "templates", build_dir, fig_dir, build_dir / "cache" / "math")
    payload = {"meta": meta, **results}
    write_atomic(build_dir / "results.json", json.dumps(payload, indent=1, sort_keys=False).encode())
    outputs["results"] = build_dir / "results.json"
    if opts.publish is not None:
        try:
            outputs["site"] = document.publish(outputs["html"], fig_dir, opts.publish)
        except OSError as e:
            raise BuildError(f"cannot publish to {opts.publish} ({e.strerror}); pick a writable DIR") from e
    return outputs


def section_note(p: Planned, status: dict) -> str:
    """What the writeup says in place of a section that was not built."""
    if status.get(p.section.id, {}).get("status") == "skipped":
        return f"skipped at the user's request (--skip-missing): {p.problem}"
    if p.problem:
        return f"not built: {p.problem}"
    return "not built yet: run `python report.py --section " + p.section.id + "`"


def publish_artifacts(entries: dict[str, Entry], folder: Path) -> None:
    """Copy each section's artifacts to build/artifacts/ under their own file names (e.g. q3_weights.npz)."""
    for entry in entries.values():
        for file in entry.manifest["artifacts"].values():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry.dir / file, folder / file)


def project_config() -> dict:
    """[tool.hw5report] of pyproject.toml: author, course, title."""
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return data.get("tool", {}).get("hw5report", {})


def git_sha() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "uncommitted") + ("-dirty" if dirty else "")


def metadata(opts: Options, entries: dict[str, Entry], status: dict, data_root: Path | None) -> dict:
    cfg = project_config()
    # The date is the newest result's, so two renders of the same cache are byte-identical.
    newest = max((e.manifest["created"] for e in entries.values()), default=0.0)
    date = dt.datetime.fromtimestamp(newest, dt.timezone.utc).strftime("%-d %B %Y") if newest else "not built"
    return {
        "title": cfg.get("title", "Homework 5: Neural Networks for Recognition"),
        "course": cfg.get("course", "16-720 Computer Vision"),
        "author": opts.author or cfg.get("author", "Anonymous"),
        "date": date,
        "profile": opts.profile,
        "seed": opts.seed,
        "device": opts.device,
        "git": git_sha(),
        "data_root": str(data_root) if data_root else None,
        "data_source": describe_source(data_root),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "versions": library_versions(),
        "sections": status,
    }


def list_sections(opts: Options, say=print) -> None:
    for p in plan(opts):
        state = "cached" if p.entry else ("unavailable: " + p.problem if p.problem else "not cached")
        say(f"{p.section.id:6s} {p.section.title:60s} {state}")


def explain_sections(opts: Options, say=print) -> None:
    cache = Cache(opts.build_dir / "cache")
    for p in plan(opts):
        if p.problem:
            say(f"{p.section.id}: cannot run: {p.problem}")
        elif p.entry and not opts.force:
            say(f"{p.section.id}: cached (key {p.key})")
        else:
            last = cache.latest(p.section.id)
            reasons = ["--force"] if p.entry else explain(last.manifest["inputs"] if last else None, p.inputs)
            say(f"{p.section.id}: would run: " + "; ".join(reasons))
