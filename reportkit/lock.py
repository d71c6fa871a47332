"""One build at a time per output folder: report.html, report.pdf and results.json always come from one build.

A second build on the same folder says in one line that it waits, naming the process that holds the folder, then
runs when the first is done.

The lock is a POSIX record lock (fcntl.lockf) on build/.lock, which belongs to one process: the kernel drops it
when that process ends, however it ends (kill -9, out of memory), and a child it forks (hw5.parallel's workers)
does not hold it. (flock's lock belongs to the open file, which a fork shares: orphaned workers of a killed build
kept it, and every later build waited on them.) Its one trap: closing any descriptor of the file drops the
process's lock, so nothing else opens build/.lock, and a process takes each folder's lock once.
build/.lock is opened without following a link: a link there, or at build/ itself, is refused in one line.
"""
from __future__ import annotations

import errno
import fcntl
import os
import struct
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from reportkit.errors import BuildError
from reportkit.files import real_folder

_HELD: set[str] = set()     # the output folders (resolved) whose lock this process holds


@contextmanager
def output_lock(build_dir: Path, say: Callable[[str], None]) -> Iterator[None]:
    where = os.path.realpath(real_folder(build_dir))
    if where in _HELD:
        raise RuntimeError(f"this process already holds the lock of {build_dir}: take it once")
    path = build_dir / ".lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
        raise BuildError(f"{path} is a link (to {os.readlink(path)}); the build never writes through a link: "
                         f"remove it (rm {path})") from None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            say(f"waiting: another build is writing {build_dir} ({holder(fd)}); this one starts when it ends")
            fcntl.lockf(fd, fcntl.LOCK_EX)
        _HELD.add(where)
        yield
    finally:
        _HELD.discard(where)
        os.close(fd)                    # drops the lock


def holder(fd: int) -> str:
    """Who holds the lock on `fd`'s file, as the kernel knows it (F_GETLK with Linux's struct flock): always a
    live process, since a lock dies with its holder."""
    if not sys.platform.startswith("linux"):
        return "another process"
    query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))
    return f"pid {pid}" if kind != fcntl.F_UNLCK and pid > 0 else "another process"
