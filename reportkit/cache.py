"""Content-addressed cache of part results: build/cache/parts/<section>/<part>/<key>/.

An entry is written in a temporary folder and renamed into place, so an interrupted run leaves nothing that
looks like a hit. Its manifest lists every file with its size and sha256 and is sealed by the sha256 of its own
content, so metrics edited by hand are caught like altered files. A manifest may name only plain files of its
own folder (no paths, no links): its names become paths when figures and artifacts are copied out. A lookup
that finds the manifest unreadable, unsealed or naming anything else, or a file missing or altered, says so in
one line, discards the entry and reports a miss, so the part reruns; a read-only cache (`verify`'s) only notes
what is wrong in `damaged`. Two processes may store the same key at once: the first rename wins and the other
uses its entry. `explain` compares the inputs of the last entry with today's to say why a part would rerun.

Temporary and discarded folders (`.tmp-*`, `.trash-*`) carry the pid and start time of the process that made
them; a build killed with them (kill -9, out of memory) leaves them behind, and the next store into the part's
folder removes those whose process is gone (a pid reused since has another start time). The folders from the
cache's root to a part's are real folders: a link there is refused (files.real_folder), so neither an entry nor
a removal lands outside the cache.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from reportkit.errors import BuildError
from reportkit.files import read_json, real_folder, sha256_bytes, sha256_file

KEEP_ENTRIES = 3      # per part and seed: enough to switch profiles back and forth without rerunning
MANIFEST = "manifest.json"
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")     # a file of the entry's own folder
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")             # a figure label: also its published file name
LEFTOVER = re.compile(r"\.(?:tmp|trash)-(\d+)-(\d+)-.+")          # .tmp-<pid>-<start>-<key>, .trash-<pid>-<start>-...


@dataclass(frozen=True)
class Entry:
    """One cached run of a part: its folder and manifest (inputs, metrics, figures, artifacts, files, seconds)."""

    dir: Path
    manifest: dict[str, Any]

    @property
    def key(self) -> str:
        return self.manifest["key"]

    @property
    def metrics(self) -> dict[str, Any]:
        return self.manifest["metrics"]

    @property
    def inputs(self) -> dict[str, Any]:
        """What the key hashed: code, config, seed, data digests, libraries, upstream keys (device for torch)."""
        return self.manifest["inputs"]

    @property
    def config(self) -> dict[str, Any]:
        """The part's config as JSON ({} for a part without one)."""
        return self.inputs["config"]

    @property
    def figures(self) -> list[dict[str, str]]:
        """[{"label", "file", "caption"}], files of this entry's folder."""
        return self.manifest["figures"]

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name -> file name in this entry's folder (e.g. "q3_weights" -> "q3_weights.npz")."""
        return self.manifest["artifacts"]

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self.manifest["files"])

    @property
    def seconds(self) -> float:
        """How long the part's function ran."""
        return self.manifest["seconds"]

    @property
    def machine(self) -> dict | None:
        """Where it ran (reportkit.machine.describe); None for an entry written before machines were recorded."""
        return self.manifest.get("machine")

    @property
    def created(self) -> float:
        """When the entry was written (seconds since the epoch)."""
        return self.manifest["created"]

    def artifact(self, name: str) -> Path:
        """The file of one artifact (a name listed in the manifest, so it stays inside the entry)."""
        return self.dir / self.artifacts[name]


def seal(manifest: dict[str, Any]) -> str:
    """The digest that covers everything in a manifest but the seal itself."""
    body = {k: v for k, v in manifest.items() if k != "seal"}
    return sha256_bytes(json.dumps(body, sort_keys=True).encode())


def naming_problem(fields: dict[str, Any], files: Any) -> str | None:
    """What is wrong with the names a manifest uses, or None: files are plain names, figures and artifacts
    name files of the entry, labels are plain words."""
    if not isinstance(files, dict) or not all(isinstance(n, str) and PLAIN_NAME.fullmatch(n) for n in files):
        return "it names a file outside its folder"
    figures, artifacts = fields.get("figures"), fields.get("artifacts")
    if not (isinstance(figures, list) and all(isinstance(f, dict) for f in figures) and isinstance(artifacts, dict)):
        return "its figures or artifacts are malformed"
    for f in figures:
        if not isinstance(f.get("label"), str) or not LABEL.fullmatch(f["label"]):
            return f"figure label {str(f.get('label'))[:40]!r} is not a plain name"
        if f.get("file") not in files or not isinstance(f.get("caption"), str):
            return f"figure {f['label']} names a file that is not in the entry"
    if any(not isinstance(name, str) or file not in files for name, file in artifacts.items()):
        return "an artifact names a file that is not in the entry"
    return None


def read_entry(folder: Path, key: str) -> tuple[dict | None, str | None]:
    """(manifest, None) for a sound entry, else (None, what is wrong with it)."""
    try:
        manifest = read_json(folder / MANIFEST)
        files = manifest["files"]
        if manifest["key"] != key:
            return None, f"its manifest is for key {manifest['key']}"
        if not isinstance(manifest["metrics"], dict):
            return None, "its metrics are malformed"
        if "seal" not in manifest:
            return None, "its manifest has no seal (an older version wrote it)"
        sealed = manifest["seal"] == seal(manifest)
    except ValueError as e:
        return None, f"its manifest is unreadable ({e})"
    except (OSError, KeyError, TypeError) as e:
        return None, f"its manifest is unreadable ({type(e).__name__})"
    if not sealed:
        return None, "its manifest was edited (its seal does not match)"
    problem = naming_problem(manifest, files)
    if problem:
        return None, problem
    for name, meta in files.items():
        path = folder / name
        if path.is_symlink() or not path.is_file():
            return None, f"{name} is missing"
        if path.stat().st_size != meta["size"] or sha256_file(path) != meta["sha256"]:
            return None, f"{name} was altered"
    return manifest, None


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:                     # removed meanwhile by another build
        return 0


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks after boot, from /proc/PID/stat), None when there is none (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return stat.rsplit(b")", 1)[1].split()[19].decode()       # field 22; the name before ")" may hold spaces


def _owner() -> str:
    """`<pid>-<start>` of this process, for the names of its temporary folders; start is 0 without /proc."""
    return f"{os.getpid()}-{_started(os.getpid()) or 0}"


def _remove_leftovers(folder: Path) -> None:
    """Remove the temporary and discarded folders of processes that are gone (killed while writing them). Without
    /proc (start 0) nothing is removed: a running process could not be told from a gone one."""
    for path in folder.iterdir():
        found = LEFTOVER.fullmatch(path.name)
        if found and found[2] != "0" and _started(int(found[1])) != found[2]:
            shutil.rmtree(path, ignore_errors=True)


def _discard(folder: Path) -> None:
    """Remove an entry folder: renamed aside first, so a reader never sees half of it."""
    trash = folder.with_name(f".trash-{_owner()}-{time.monotonic_ns()}-{folder.name}")
    try:
        os.rename(folder, trash)
    except OSError:
        return                          # gone already, or replaced by another build's rename
    shutil.rmtree(trash, ignore_errors=True)


class Cache:
    def __init__(self, root: Path, warn: Callable[[str], None] = print, read_only: bool = False):
        self.root = root
        self.warn = warn
        self.read_only = read_only
        self.damaged: dict[str, str] = {}          # read-only: part id -> what is wrong with its entry

    def folder(self, part_id: str) -> Path:
        return self.root.joinpath(*part_id.split("."))

    def lookup(self, part_id: str, key: str) -> Entry | None:
        """The sound entry for (part, key), or None; a damaged one is missed, and reported and removed (noted in
        `damaged` if the cache is read-only)."""
        folder = self.folder(part_id) / key
        if not folder.exists():
            return None
        manifest, problem = read_entry(folder, key)
        if problem:
            if self.read_only:
                self.damaged[part_id] = problem
            else:
                self.warn(f"cache: {part_id} entry {key} is damaged ({problem}); discarded, the part reruns")
                _discard(folder)
            return None
        return Entry(folder, manifest)

    def _entries(self, part_id: str) -> list[Path]:
        """Manifests of the part's published entries, oldest first (not temporary or discarded folders)."""
        found = [m for m in self.folder(part_id).glob(f"*/{MANIFEST}") if not m.parent.name.startswith(".")]
        return sorted(found, key=_mtime)

    def _manifests(self, part_id: str) -> list[tuple[Path, dict | None]]:
        """(folder, manifest) of the part's entries, oldest first; None for a manifest that cannot be read (sound
        or not: for explaining and pruning, never for reuse)."""
        found = []
        for path in self._entries(part_id):
            try:
                manifest = read_json(path)
            except (OSError, ValueError):
                manifest = None
            ok = isinstance(manifest, dict) and isinstance(manifest.get("inputs"), dict)
            found.append((path.parent, manifest if ok else None))
        return found

    def latest(self, part_id: str, seed: int | None = None) -> dict | None:
        """The manifest of the part's most recently written readable entry (to explain a miss against): of that
        seed when there is one."""
        manifests = [m for _, m in self._manifests(part_id) if m is not None]
        same = [m for m in manifests if m["inputs"].get("seed") == seed]
        return (same or manifests or [None])[-1]

    def store(self, part_id: str, key: str, inputs: dict, run: Callable[[Path], dict]) -> Entry:
        """Run `run(tmp_dir) -> manifest fields` in a fresh folder and publish it atomically as the entry."""
        try:
            folder = real_folder(self.root)
            for name in part_id.split("."):
                folder = real_folder(folder / name)
            _remove_leftovers(folder)
            tmp = folder / f".tmp-{_owner()}-{key}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        except OSError as e:
            raise BuildError(f"cannot write the cache under {self.root} ({e.strerror}); "
                             "make build/ writable or pass --out DIR") from e
        try:
            fields = run(tmp)
            files = {p.name: {"size": p.stat().st_size, "sha256": sha256_file(p)}
                     for p in sorted(tmp.iterdir()) if p.is_file() and not p.is_symlink()}
            problem = naming_problem(fields, files)
            if problem:
                raise BuildError(f"{part_id}: its result cannot be cached: {problem}")
            manifest = {"key": key, "part": part_id, "created": time.time(), "inputs": inputs, **fields,
                        "files": files}
            manifest = json.loads(json.dumps(manifest, sort_keys=True))   # as a later hit reads it
            manifest["seal"] = seal(manifest)
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
            entry = self._publish(tmp, Entry(folder / key, manifest))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(part_id)
        return entry

    def _publish(self, tmp: Path, entry: Entry) -> Entry:
        """Rename tmp into place, replacing an older entry of the key (--force, or a damaged one). When another
        build published the same key meanwhile, its sound entry wins and ours is dropped."""
        final = entry.dir
        for _ in range(5):
            if final.exists():
                _discard(final)
            try:
                os.rename(tmp, final)
            except OSError as e:
                if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                manifest, _ = read_entry(final, final.name)
                if manifest is not None:
                    shutil.rmtree(tmp, ignore_errors=True)
                    return Entry(final, manifest)
                continue
            return entry
        raise BuildError(f"cannot publish the cache entry {final}: other builds keep replacing it")

    def _prune(self, part_id: str) -> None:
        """Keep the newest KEEP_ENTRIES entries of each seed (five seeds of a part are five results, not five
        versions of one)."""
        by_seed: dict[object, list[Path]] = {}
        for folder, manifest in self._manifests(part_id):
            seed = manifest["inputs"].get("seed") if manifest else "unreadable"
            by_seed.setdefault(json.dumps(seed), []).append(folder)
        for folders in by_seed.values():
            for old in folders[:-KEEP_ENTRIES]:
                _discard(old)


NAMES = {"code": "code of", "data": "data file", "config": "config value", "libraries": "library",
         "reads": "upstream part"}


def explain(old: dict[str, Any] | None, new: dict[str, Any], most: int = 4) -> list[str]:
    """Human reasons why `new` inputs miss the entry recorded with `old` inputs (at most `most` per component)."""
    if old is None:
        return ["never run"]
    new = json.loads(json.dumps(new, default=str))      # as stored: tuples become lists, like `old`'s
    reasons = []
    for component in sorted(set(old) | set(new)):
        before, after = old.get(component), new.get(component)
        if before == after:
            continue
        if not (isinstance(after, dict) and isinstance(before, dict)):
            reasons.append(f"{component}: {before!r} -> {after!r}")
            continue
        what, found = NAMES.get(component, component), []
        for name in sorted(set(before) | set(after)):
            if name not in before:
                found.append(f"{what} {name} added")
            elif name not in after:
                found.append(f"{what} {name} removed")
            elif before[name] != after[name]:
                found.append(f"{what} {name}: {before[name]!r} -> {after[name]!r}"
                             if component in ("config", "libraries") else f"{what} {name} changed")
        reasons += found[:most] + ([f"and {len(found) - most} more {component} changes"] if len(found) > most else [])
    return reasons or ["inputs identical (entry removed?)"]
