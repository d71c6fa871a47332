"""Writing files so that readers never see half of one, content digests, and sealed cache files.

A sealed file carries the sha256 of its content in a one-line header, so a cache that reuses it can tell a
truncated or edited file from a sound one and rebuild it instead of passing it on. The seal guards against
damage and hand edits, not against someone who rewrites the header too (they can edit the sources as well).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


SEAL = b"hw5report-sealed sha256="


def write_sealed(path: Path, data: bytes) -> None:
    """Write `data` atomically, behind a header line holding its sha256 (read it back with read_sealed)."""
    write_atomic(path, SEAL + sha256_bytes(data).encode() + b"\n" + data)


def read_sealed(path: Path) -> bytes | None:
    """The content of a sealed file, or None when it is missing, unreadable, unsealed, truncated or edited."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, data = raw.partition(b"\n")
    if not header.startswith(SEAL) or header[len(SEAL):].decode("ascii", "replace") != sha256_bytes(data):
        return None
    return data


def files_under(folder: Path) -> list[Path]:
    """Every file under folder, relative to it, following links to files and folders.

    The loaders follow links (`iterdir`, `glob` and `open` do), and users link datasets in (a class folder of
    Flowers-17 that points elsewhere), so a digest that skipped linked folders (as `Path.rglob` does) would miss
    files the build reads and keep a stale cache entry when they change. A link to a folder that it is inside
    (a cycle) is not entered: no loader reads through one, and the walk ends.
    """
    found = []

    def walk(rel: Path, inside: frozenset) -> None:
        with os.scandir(folder / rel) as entries:
            for entry in entries:
                if entry.is_dir():                              # follows a link
                    st = entry.stat()
                    if (st.st_dev, st.st_ino) not in inside:
                        walk(rel / entry.name, inside | {(st.st_dev, st.st_ino)})
                elif entry.is_file():
                    found.append(rel / entry.name)

    st = folder.stat()
    walk(Path(), frozenset({(st.st_dev, st.st_ino)}))
    return found


class DigestMemo:
    """sha256 of data files, remembered per (path, size, mtime, inode) so unchanged files are not re-read.

    The memo only saves reading; validity always rests on the content digest (like git's index).
    """

    def __init__(self, file: Path):
        self.file = file
        try:
            self.memo: dict[str, list] = json.loads(file.read_text()) if file.is_file() else {}
        except (OSError, ValueError):
            self.memo = {}                  # a damaged memo only costs re-reading the data once
        self.dirty = False

    def file_digest(self, path: Path) -> str:
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        hit = self.memo.get(str(path))
        if hit and hit[:3] == stamp:
            return hit[3]
        digest = sha256_file(path)
        self.memo[str(path)] = stamp + [digest]
        self.dirty = True
        return digest

    def digest(self, path: Path) -> str:
        """A file's digest, or for a folder the digest of its (relative path, digest) list, links followed (see
        files_under: it must cover what the loaders read). Sorted as paths, as rglob's were: a folder without
        links keeps the digest it had, so the cache entries built on it stay valid."""
        if path.is_file():
            return self.file_digest(path)
        listing = "\n".join(f"{rel} {self.file_digest(path / rel)}" for rel in sorted(files_under(path)))
        return sha256_bytes(listing.encode())

    def save(self) -> None:
        if self.dirty:
            try:
                write_atomic(self.file, json.dumps(self.memo).encode())
            except OSError:
                pass          # the memo only saves time; a read-only build/ is reported when something is written
