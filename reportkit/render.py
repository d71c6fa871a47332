"""Rendering: the cached results of a build poured into the templates, once, as report.html, report.pdf,
results.json, build/artifacts/ and (with --publish) a static site.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reportkit import changes, provenance, spread
from reportkit.cache import Entry
from reportkit.errors import BuildError
from reportkit.files import copy_atomic, write_atomic
from reportkit.plan import Plan
from reportkit.project import Options, Project
from reportkit.run import Outcomes
from reportkit.section import RESERVED_METRICS, Section
from reportkit.sources import part_sources
from reportkit.templating import Plain


def render(project: Project, plan: Plan, outcomes: Outcomes, opts: Options, warn=print) -> dict[str, Path]:
    """Write every output from the entries; returns their paths by kind ("html", "pdf", "pages", "results", "site")."""
    from reportkit import document          # Markdown, math and WeasyPrint: only when something is rendered

    entries = outcomes.entries                                  # every seed's
    shown = {p.id: entries[p.id] for p in plan.parts if p.shown and p.id in entries}
    build_dir, fig_dir = opts.build_dir, opts.out / "figures"
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        changes.keep_previous(build_dir, fig_dir)             # for `diff`, before this render replaces them
        figures = {f["label"]: (e.dir / f["file"], f["caption"]) for e in shown.values() for f in e.figures}
        figures = document.copy_figures(figures, fig_dir)
        changes.record_figures(build_dir, {label: path for label, (path, _) in figures.items()})
        publish_artifacts(shown, build_dir / "artifacts")
    except OSError as e:
        raise BuildError(f"cannot write outputs under {opts.out} ({e.strerror}: {e.filename}); "
                         "make it writable or pass --out DIR") from e
    meta = provenance.metadata(project, opts, plan, entries, outcomes.status, plan.data_root)
    sections, results = [], {}
    for s in project.sections:
        built = all(s.part_id(p) in entries for p in s.parts)
        sections.append({"id": s.id, "title": s.title, "template": s.template, "built": built,
                         "note": "" if built else section_note(s, plan, outcomes, project.command)})
        if any(s.part_id(p) in entries for p in s.parts):
            results[s.id] = section_results(s, plan, entries)
    doc = document.DocumentInput(sections, results, figures, meta, project.root,
                                 part_sources(plan.parts, entries, project.root))
    outputs = document.build(doc, project.templates, build_dir, fig_dir, build_dir / "cache" / "math", pdf=opts.pdf,
                             warn=warn)
    write_atomic(build_dir / "results.json", json.dumps({"meta": meta, **results}, indent=1).encode())
    outputs["results"] = build_dir / "results.json"
    site_changes = changes.write_pages(build_dir)
    outputs["changes"] = build_dir / "changes.html"
    if opts.publish is not None:
        try:
            own = opts.publish.resolve().is_relative_to(build_dir.resolve())     # build/site, build/serve
            outputs["site"] = document.publish(outputs["html"], fig_dir, opts.publish, own_folder=own,
                                               extra=site_changes, warn=warn)
        except OSError as e:
            raise BuildError(f"cannot publish to {opts.publish} ({e.strerror}); pick a writable DIR") from e
    return outputs


def section_results(section: Section, plan: Plan, entries: dict[str, Entry]) -> dict[str, Any]:
    """What templates read as r.<section>: the metrics of its parts at the shown seed, merged; `config` per
    part; and `spread`, the metrics of its parts on the seed axis over every seed that has an entry."""
    out, owner, config, spreads = {}, {}, {}, {}
    for p in plan.of(section):
        if p.id not in entries:
            continue
        for name, value in entries[p.id].metrics.items():
            if name in owner or name in RESERVED_METRICS:
                raise BuildError(f"metric {name!r} of section {section.id} comes from both "
                                 f"{owner.get(name, 'reportkit')} and {p.id}")
            out[name], owner[name] = value, p.id
        if p.config is not None:
            config[p.part.name] = entries[p.id].config
        if p.part.seeds > 1:
            runs = [(q.seed, entries[q.id].metrics) for q in plan.seeds_of(p.part_id) if q.id in entries]
            spreads.update(spread.aggregate(runs, p.seed))
    return {**out, "config": config, "spread": spreads}


def section_note(section: Section, plan: Plan, outcomes: Outcomes, command: str) -> Plain:
    """What the writeup says in place of a section that was not built (its paths print as typed)."""
    mine = plan.of(section)
    skipped = [p for p in mine if outcomes.status[p.id]["status"] == "skipped"]
    if skipped:
        return Plain(f"skipped at the user's request (--skip-missing): {skipped[0].problem}")
    problem = next((p.problem for p in mine if p.problem), None)
    if problem:
        return Plain(f"not built: {problem}")
    return Plain(f"not built yet: run {command} --section {section.id}")


def publish_artifacts(entries: dict[str, Entry], folder: Path) -> None:
    """Copy each part's artifacts to build/artifacts/ under their own file names (e.g. q3_weights.npz), each
    written whole or not at all, never through a link (files.copy_atomic)."""
    for entry in entries.values():
        for name in entry.artifacts:
            copy_atomic(entry.artifact(name), folder / entry.artifacts[name])
