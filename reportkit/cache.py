"""Content-addressed cache of part results: build/cache/parts/<section>/<part>/<key>/.

An entry is written in a temporary folder and renamed into place, so an interrupted run leaves nothing that
looks like a hit. Its manifest lists every file with its size and sha256; a lookup that finds the manifest
unreadable, or a file missing or altered, says so in one line, discards the entry and reports a miss, so the
part reruns. `explain` compares the inputs of the last entry with today's to say why a part would rerun.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from reportkit.errors import BuildError
from reportkit.files import sha256_file

KEEP_ENTRIES = 3      # per part: enough to switch profiles back and forth without rerunning
MANIFEST = "manifest.json"


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


def damage(folder: Path, key: str) -> tuple[dict | None, str | None]:
    """(manifest, None) for a sound entry, else (None, what is wrong with it)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
        if manifest["key"] != key:
            return None, f"its manifest is for key {manifest['key']}"
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"its manifest is unreadable ({type(e).__name__})"
    for name, meta in files.items():
        path = folder / name
        if not path.is_file():
            return None, f"{name} is missing"
        if path.stat().st_size != meta["size"] or sha256_file(path) != meta["sha256"]:
            return None, f"{name} was altered"
    return manifest, None


class Cache:
    def __init__(self, root: Path, warn: Callable[[str], None] = print):
        self.root = root
        self.warn = warn

    def folder(self, part_id: str) -> Path:
        return self.root.joinpath(*part_id.split("."))

    def lookup(self, part_id: str, key: str) -> Entry | None:
        """The sound entry for (part, key), or None; a damaged one is reported, removed and missed."""
        folder = self.folder(part_id) / key
        if not folder.exists():
            return None
        manifest, problem = damage(folder, key)
        if problem:
            self.warn(f"cache: {part_id} entry {key} is damaged ({problem}); discarded, the part reruns")
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return Entry(folder, manifest)

    def latest(self, part_id: str) -> dict | None:
        """The manifest of the part's most recently written readable entry (to explain a miss against)."""
        for path in sorted(self.folder(part_id).glob(f"*/{MANIFEST}"), key=lambda p: p.stat().st_mtime_ns,
                           reverse=True):
            try:
                return json.loads(path.read_text())
            except (OSError, ValueError):
                continue
        return None

    def store(self, part_id: str, key: str, inputs: dict, run: Callable[[Path], dict]) -> Entry:
        """Run `run(tmp_dir) -> manifest fields` in a fresh folder and publish it atomically as the entry."""
        folder = self.folder(part_id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".tmp-{key}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        except OSError as e:
            raise BuildError(f"cannot write the cache under {self.root} ({e.strerror}); "
                             "make build/ writable or pass --out DIR") from e
        try:
            fields = run(tmp)
            files = {p.name: {"size": p.stat().st_size, "sha256": sha256_file(p)}
                     for p in sorted(tmp.iterdir()) if p.is_file()}
            manifest = {"key": key, "part": part_id, "created": time.time(), "inputs": inputs, **fields,
                        "files": files}
            text = json.dumps(manifest, indent=1, sort_keys=True)
            manifest = json.loads(text)        # exactly what a later cache hit reads (same key order)
            (tmp / MANIFEST).write_text(text)
            final = folder / key
            shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(part_id)
        return Entry(final, manifest)

    def _prune(self, part_id: str) -> None:
        entries = sorted(self.folder(part_id).glob(f"*/{MANIFEST}"), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:-KEEP_ENTRIES]:
            shutil.rmtree(old.parent, ignore_errors=True)


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
