"""Writing files so that readers never see half of one and no link leads a write elsewhere; reading JSON that
anyone may have put there; content digests; sealed cache files.

Every file the build writes is replaced, never written into: its bytes go to a new temporary file beside it
(created with O_EXCL, so neither an existing file nor a link planted at that name is ever opened), which is then
renamed over it. A link at the file's own name is replaced by the file; what the link pointed to is untouched.
The folder written into must be a real folder (real_folder): a link there is refused in one line, neither
followed (it would lead this write and the next ones elsewhere) nor removed (what it points to is not ours). The
folders that hold only folders are checked where they are made (build/ by the output lock, the cache's by the
cache); the user's own folders (--out, a --publish DIR) may be links.

Every JSON file a user can reach (results.json, figures.json, manifests, the digests memo, the site record, the
page layout) is read with read_json: a FIFO or device is refused before a read could block or never end, and
size, nesting and integer length are capped, so a hostile file is a one-line error, never a hang or a traceback.

A sealed file carries the sha256 of its content in a one-line header, so a cache that reuses it can tell a
truncated or edited file from a sound one and rebuild it instead of passing it on. The seal guards against
damage and hand edits, not against someone who rewrites the header too (they can edit the sources as well).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any, BinaryIO, Callable

from reportkit.errors import BuildError

MAX_JSON_BYTES = 64 * 2 ** 20      # a full build's results.json is 0.14 MB, a manifest or the memo less
MAX_JSON_DEPTH = 64                # a full build's results.json nests 8 deep
MAX_INT_DIGITS = 100               # a build writes at most 20; over 308, formatting as a float overflows
MAX_SEALED_BYTES = 256 * 2 ** 20   # a sealed PDF is under 10 MiB


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def real_folder(folder: Path) -> Path:
    """`folder`, made if missing; a BuildError (one line, how to fix) when it is a link."""
    if folder.is_symlink():
        raise BuildError(f"{folder} is a link (to {os.readlink(folder)}); the build writes only into folders of its "
                         f"own and never follows a link out: remove it (rm {folder})")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; ValueError for anything else (opened non-blocking
    and checked with fstat, so a FIFO never blocks and a device is never read), OSError if it cannot be opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError("not a regular file")
    with open(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data


def read_json(path: Path, limit: int = MAX_JSON_BYTES) -> Any:
    """A JSON file's values; ValueError saying why it is not one we read (see read_regular and parse_json)."""
    return parse_json(read_regular(path, limit))


def parse_json(data: bytes) -> Any:
    """JSON text's values, or ValueError saying why not: not JSON, nested deeper than MAX_JSON_DEPTH (the
    readers recurse), an integer longer than MAX_INT_DIGITS (the readers format numbers as floats)."""
    try:
        value = json.loads(data, parse_int=_short_int)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e}") from None
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(MAX_JSON_DEPTH):            # after n rounds: the containers nested n + 1 deep
        level = [c for node in level for c in (node.values() if isinstance(node, dict) else node)
                 if isinstance(c, (dict, list))]
    if level:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: readers never see half a file, and a link at `path` is replaced, not followed."""
    _replace(path, lambda out: out.write(data))


def copy_atomic(src: Path, dst: Path) -> None:
    """Replace `dst` with a copy of `src`, as write_atomic does (a large file is streamed, not held in memory)."""
    with open(src, "rb") as source:
        _replace(dst, lambda out: shutil.copyfileobj(source, out))


def _replace(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write a new temporary file beside `path` with `fill`, then rename it over `path`."""
    tmp = real_folder(path.parent) / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)     # ours alone, never a link
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
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
        raw = read_regular(path, MAX_SEALED_BYTES)
    except (OSError, ValueError):
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
            memo = read_json(file)
        except (OSError, ValueError):       # none yet, or damaged: that only costs re-reading the data once
            memo = {}
        self.memo: dict[str, list] = memo if isinstance(memo, dict) else {}
        self.dirty = False

    def file_digest(self, path: Path) -> str:
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        hit = self.memo.get(str(path))
        if isinstance(hit, list) and len(hit) == 4 and hit[:3] == stamp:
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
