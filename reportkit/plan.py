"""Planning: every part's config, inputs, key and cache entry, known before anything runs.

A part's key hashes what it computes: its code by meaning, its config, the seed, its data files' digests, the
versions of the libraries its code imports, the keys of the parts it reads (and the device, for torch parts).
A part whose data is missing gets a `problem` instead of a key, and so does every part that reads it.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

from reportkit.cache import Cache, Entry
from reportkit.codekey import CodeIndex
from reportkit.errors import ConfigError
from reportkit.files import DigestMemo, real_folder, sha256_bytes
from reportkit.project import Options, Project
from reportkit.section import Part, Section

CACHE_FORMAT = 2          # bump when the meaning of a cached entry changes


@dataclass(frozen=True)
class Planned:
    """A part at one seed, with everything known before running it."""

    id: str                                  # "q3.train" at the shown seed, "q3.train@2" at seed 2
    section: Section
    part: Part
    config: Any
    reads: dict[str, str]                    # name in Part.reads -> planned id
    seed: int = 0
    shown: bool = True                       # the build's --seed: its numbers are printed, its figures drawn
    runs: bool = True                        # the build runs it when it is not cached; False: shown when cached
    inputs: dict | None = None               # what the key hashes; None when it cannot run
    key: str | None = None
    entry: Entry | None = None               # its sound cache entry, if there is one
    problem: str | None = None               # why it cannot run (missing data), shown in the writeup

    @property
    def part_id(self) -> str:
        """The part's id, whatever the seed ("q3.train"): its cache folder."""
        return f"{self.section.id}.{self.part.name}"


@dataclass(frozen=True)
class Plan:
    """The planned parts (each at its seeds) in dependency order, the data root they read and the cache their
    entries live in."""

    parts: tuple[Planned, ...]
    data_root: Path | None
    cache: Cache

    @functools.cached_property
    def _by_id(self) -> dict[str, Planned]:
        return {p.id: p for p in self.parts}

    def __getitem__(self, planned_id: str) -> Planned:
        return self._by_id[planned_id]

    def of(self, section: Section) -> list[Planned]:
        """The section's parts at the shown seed."""
        return [p for p in self.parts if p.section is section and p.shown]

    def seeds_of(self, part_id: str) -> list[Planned]:
        """A part at every seed planned, in seed order (the shown seed among them)."""
        return sorted((p for p in self.parts if p.part_id == part_id), key=lambda p: p.seed)

    def needed(self, ids: Iterable[str]) -> set[str]:
        """These parts and the uncached parts they read, followed through uncached parts only (a cached part
        needs none of its inputs)."""
        found, todo = set(), list(ids)
        while todo:
            pid = todo.pop()
            if pid not in found:
                found.add(pid)
                todo += [up for up in self[pid].reads.values() if self[up].entry is None]
        return found

    def to_run(self, targets: Iterable[str] = (), force: bool = False) -> list[Planned]:
        """No targets: whatever this build runs that is not cached (everything with force). Targets (sections or
        parts): those at every seed this build runs, cached or not, and the uncached parts they read."""
        targets = set(targets)
        if not targets:
            return [p for p in self.parts if p.runs and (force or p.entry is None)]
        wanted = self.needed(p.id for p in self.parts
                             if p.runs and (p.part_id in targets or p.section.id in targets))
        return [p for p in self.parts if p.id in wanted]


def seeds_of(part: Part, opts: Options) -> list[tuple[int, bool]]:
    """(seed, runs) of a part, the shown seed first: with the seed axis, seeds 0..n-1 too (n: --seeds, else the
    part's own), which run unless the part is costly and --seeds did not ask for them."""
    planned = [(opts.seed, True)]
    if part.seeds > 1:
        runs = opts.seeds is not None or not part.costly
        planned += [(s, runs) for s in range(opts.seeds or part.seeds) if s != opts.seed]
    return planned


def replica(upstream: str, seed: int, reader: Part, planned: dict[str, "Planned"]) -> str:
    """The planned id a part at `seed` reads for the part `upstream`: that part at the same seed when it is
    planned there, else at the shown seed; a part whose other seeds always run reads a costly one at the shown
    seed, so what it computes never depends on which seeds a build asked for."""
    same = planned.get(f"{upstream}@{seed}")
    if same is None or (same.part.costly and not reader.costly):
        return upstream
    return same.id


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


def check_targets(targets: Iterable[str], project: Project) -> None:
    sections = {s.id for s in project.sections}
    parts = {s.part_id(p) for s in project.sections for p in s.parts}
    for t in targets:
        if t not in sections and t not in parts:
            raise ConfigError(f"unknown section or part {t!r}; sections: {', '.join(sorted(sections))} "
                              f"(parts: `list`)")


def data_root_of(project: Project, opts: Options) -> tuple[Path | None, str | None]:
    """(data root, None), or (None, why there is none); a root the user named must exist."""
    try:
        return project.find_data_root(opts.data), None
    except Exception as e:          # noqa: BLE001 - the project's rule raises its own one-line error
        if opts.data:
            raise
        return None, str(e)


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


def plan(project: Project, opts: Options, warn: Callable[[str], None] = print, read_only: bool = False) -> Plan:
    """Every part's inputs, key and (sound) cache entry, in dependency order; nothing runs. Read-only (for
    `verify`), nothing under build/ changes: a damaged entry is only noted in the cache's `damaged`."""
    check_targets(opts.targets, project)
    data_root, root_problem = data_root_of(project, opts)
    cache_dir = real_folder(opts.build_dir / "cache")        # every cache lives in it: a link there is refused
    cache = Cache(cache_dir / "parts", warn, read_only)
    memo = DigestMemo(cache_dir / "digests.json")
    index = CodeIndex(project.root, project.code_packages)
    planned: dict[str, Planned] = {}
    for pid, section, part in all_parts(project):
        config, common = part.make_config(opts.profile), None
        for seed, runs in seeds_of(part, opts):
            shown = seed == opts.seed
            planned_id = pid if shown else f"{pid}@{seed}"
            reads = {r: replica(read_id(section, r), seed, part, planned) for r in part.reads}
            problem = missing_input(pid, part, reads, planned, data_root, root_problem)
            inputs = key = entry = None
            if problem is None:
                common = common or same_at_every_seed(part, config, index, memo, data_root, project.root, opts)
                inputs = {**common, "seed": seed, "reads": {r: planned[r].key for r in reads.values()}}
                key = sha256_bytes(json.dumps(inputs, sort_keys=True, default=str).encode())[:20]
                entry = cache.lookup(pid, key)
            planned[planned_id] = Planned(planned_id, section, part, config, reads, seed, shown, runs, inputs, key,
                                          entry, problem)
    if not read_only:
        memo.save()
    return Plan(tuple(planned.values()), data_root, cache)


def same_at_every_seed(part: Part, config, index: CodeIndex, memo: DigestMemo, data_root: Path, root: Path,
                       opts: Options) -> dict:
    """What a part's key hashes besides the seed and the parts it reads: code, config, data, libraries (device)."""
    code, externals = index.fingerprint(part.run)
    inputs = {"format": CACHE_FORMAT, "code": code, "config": dataclasses.asdict(config) if config is not None else {},
              "data": {rel: memo.digest(data_root / rel) for rel in part.data},
              "libraries": library_versions(externals, root)}
    if part.torch:
        inputs["device"] = opts.device
    return inputs


def missing_input(pid: str, part: Part, reads: dict[str, str], planned: dict[str, Planned],
                  data_root: Path | None, root_problem: str | None) -> str | None:
    """Why the part cannot run (no data root, a missing data file, an upstream that cannot be built), or None."""
    if part.data and data_root is None:
        return root_problem
    if missing := [rel for rel in part.data if not (data_root / rel).exists()]:
        return (f"{pid} needs {data_root / missing[0]}, which is missing: place {missing[0]} "
                f"under the data root {data_root}")
    if missing_up := [r for r in reads.values() if planned[r].key is None]:
        return f"{pid} reads {', '.join(missing_up)}, which cannot be built: {planned[missing_up[0]].problem}"
    return None
