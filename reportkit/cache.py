"""Content-hash cache of section results: build/cache/<section>/<key>/.

The key hashes everything a run depends on (its inputs): the source of the section module and of every
project module it imports, its config, seed, device, the digests of the data it reads, library versions and
the keys of the sections it consumes. An entry is written in a temporary directory and renamed into place,
so an interrupted run leaves nothing that looks like a hit. `explain` diffs the inputs of the last entry
against today's to say why a section would rerun.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from reportkit.errors import BuildError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("experiments", "hw5", "reportkit")
LIBRARIES = ("numpy", "scipy", "scikit-image", "matplotlib", "torch")
KEEP_ENTRIES = 3      # per section: enough to switch profiles back and forth without rerunning


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _module_file(module: str) -> Path | None:
    base = PROJECT_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """Project modules imported anywhere in a file (top level or inside functions)."""
    package = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in parent + [base] if p)
            names = [f"{base}.{alias.name}" for alias in node.names]
            found.update(names)
            # `from package import module` depends on the module, not on the package's __init__ (whose
            # section list would otherwise invalidate every section whenever one is added).
            if not all(_module_file(n) for n in names):
                found.add(base)
    return {m for m in found if m.split(".")[0] in PROJECT_PACKAGES}


def project_sources(path: Path) -> dict[str, str]:
    """{relative path: sha256} of a file and every project module it imports, transitively."""
    todo, seen = [path.resolve()], {}
    while todo:
        current = todo.pop()
        rel = str(current.relative_to(PROJECT_ROOT))
        if rel in seen:
            continue
        seen[rel] = sha256_bytes(current.read_bytes())
        for module in _imported_modules(current):
            file = _module_file(module)
            if file is not None:
                todo.append(file.resolve())
    return dict(sorted(seen.items()))


class DigestMemo:
    """sha256 of data files, remembered per (path, size, mtime, inode) so unchanged files are not re-read.

    The memo only saves reading; validity always rests on the content digest (like git's index).
    """

    def __init__(self, file: Path):
        self.file = file
        self.memo: dict[str, list] = json.loads(file.read_text()) if file.is_file() else {}
        self.dirty = False

    def file_digest(self, path: Path) -> str:
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        hit = self.memo.get(str(path))
        if hit and hit[:3] == stamp:
            return hit[3]
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        self.memo[str(path)] = stamp + [h.hexdigest()]
        self.dirty = True
        return h.hexdigest()

    def digest(self, path: Path) -> str:
        """A file's digest, or for a folder the digest of its sorted (relative path, digest) list."""
        if path.is_file():
            return self.file_digest(path)
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = "\n".join(f"{p.relative_to(path)} {self.file_digest(p)}" for p in files)
        return sha256_bytes(listing.encode())

    def save(self) -> None:
        if self.dirty:
            write_atomic(self.file, json.dumps(self.memo).encode())


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def section_inputs(module_file: Path, config: Any, seed: int, device: str, data: dict[str, str],
                   consumed: dict[str, str]) -> dict[str, Any]:
    """Everything a section's result depends on, by component (what --explain compares)."""
    return {
        "source": project_sources(module_file),
        "config": dataclasses.asdict(config),
        "seed": seed,
        "device": device,
        "data": data,
        "versions": library_versions(),
        "consumes": consumed,
    }


def key_of(inputs: dict[str, Any]) -> str:
    return sha256_bytes(json.dumps(inputs, sort_keys=True, default=str).encode())[:20]


@dataclass(frozen=True)
class Entry:
    """One cached run: its directory and manifest (inputs, metrics, figures, artifacts, seconds)."""

    dir: Path
    manifest: dict[str, Any]

    @property
    def key(self) -> str:
        return self.manifest["key"]


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def lookup(self, section_id: str, key: str) -> Entry | None:
        manifest = self.root / section_id / key / "manifest.json"
        if not manifest.is_file():
            return None
        return Entry(manifest.parent, json.loads(manifest.read_text()))

    def latest(self, section_id: str) -> Entry | None:
        """The most recently written entry of a section (to explain a miss against)."""
        entries = sorted((self.root / section_id).glob("*/manifest.json"), key=lambda p: p.stat().st_mtime_ns)
        return Entry(entries[-1].parent, json.loads(entries[-1].read_text())) if entries else None

    def store(self, section_id: str, key: str, inputs: dict, run: Callable[[Path], dict]) -> Entry:
        """Run `run(tmp_dir) -> manifest fields` in a fresh directory and publish it atomically as the entry."""
        section_dir = self.root / section_id
        try:
            section_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(section_dir / f".tmp-{key}-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        except OSError as e:
            raise BuildError(f"cannot write the cache under {self.root} ({e.strerror}); "
                             "make build/ writable or pass --out DIR") from e
        try:
            fields = run(tmp)
            manifest = {"key": key, "section": section_id, "created": time.time(), "inputs": inputs, **fields}
            text = json.dumps(manifest, indent=1, sort_keys=True)
            manifest = json.loads(text)        # exactly what a later cache hit reads (same key order)
            (tmp / "manifest.json").write_text(text)
            final = section_dir / key
            shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(section_id)
        return Entry(final, manifest)

    def _prune(self, section_id: str) -> None:
        entries = sorted((self.root / section_id).glob("*/manifest.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:-KEEP_ENTRIES]:
            shutil.rmtree(old.parent, ignore_errors=True)


def explain(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Human reasons why `new` inputs miss the entry recorded with `old` inputs."""
    if old is None:
        return ["never run"]
    new = json.loads(json.dumps(new, default=str))      # as stored: tuples become lists, like `old`'s
    reasons = []
    for component in new:
        before, after = old.get(component), new[component]
        if before == after:
            continue
        if isinstance(after, dict) and isinstance(before, dict):
            for name in sorted(set(before) | set(after)):
                if before.get(name) != after.get(name):
                    what = {"source": "source file", "data": "data file", "config": "config value",
                            "versions": "library", "consumes": "upstream section"}.get(component, component)
                    if name not in before:
                        reasons.append(f"{what} {name} added")
                    elif name not in after:
                        reasons.append(f"{what} {name} removed")
                    elif component in ("config", "versions"):
                        reasons.append(f"{what} {name}: {before[name]!r} -> {after[name]!r}")
                    else:
                        reasons.append(f"{what} {name} changed")
        else:
            reasons.append(f"{component}: {before!r} -> {after!r}")
    return reasons or ["inputs identical (entry removed?)"]
