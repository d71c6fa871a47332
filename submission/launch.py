"""What each run_q*.py of the hand-in zip does: find the course's data/ from where the script is run, run its
question through the command line, and leave the files the handout's later scripts read (q3_weights.pickle)
beside it.

A TA may copy python/ or reach it through a symlink, so the script's own folder is taken as the user reached
it ($PWD, which keeps a symlinked folder's name), not only as the file system resolves it.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Callable

HANDOUT_FILES = {"q3": ("q3_weights.pickle",)}   # artifacts the handout's next script loads from its own folder


def logical_cwd() -> Path:
    """The working folder as the shell names it: $PWD when it is this folder (a symlink stays a symlink)."""
    pwd = os.environ.get("PWD", "")
    try:
        if os.path.isabs(pwd) and os.path.samefile(pwd, os.getcwd()):
            return Path(pwd)
    except OSError:
        pass
    return Path(os.getcwd())


def invoked_folder(argv0: str, script: str) -> Path:
    """The script's folder as the user reached it (argv[0] from the logical working folder, `..` applied to the
    names), or the file's own folder when argv[0] is not this script (run through another program)."""
    invoked = Path(os.path.normpath(logical_cwd() / argv0))
    try:
        if os.path.samefile(invoked, script):
            return invoked.parent
    except OSError:
        pass
    return Path(script).absolute().parent


def data_root_candidates(invoked: Path, cwd: Path, resolved: Path) -> list[Path]:
    """Where the course's data/ may be, most specific first: beside the script's folder as reached, beside the
    working folder (the handout's ../data), beside the script's real folder."""
    out = []
    for folder in (invoked.parent, cwd.parent, resolved.parent):
        if folder not in out:
            out.append(folder)
    return out


def find_data_root(candidates: list[Path]) -> Path | None:
    return next((c for c in candidates if (c / "data").is_dir()), None)


def option(args: list[str], name: str) -> str | None:
    """The value the user gave to --name (the last one, as argparse takes it), or None."""
    value = None
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(name + "="):
            value = a[len(name) + 1:]
    return value


def copy_atomic(src: Path, dest: Path) -> None:
    """Copy src to dest through a temporary file beside dest: dest is the old file or the new one, never half."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def run_question(sid: str, argv: list[str], script: str, main: Callable[[list[str]], int]) -> int:
    """run_<sid>.py: `report.py run <sid>` (through the command line's `main`) with the data root found here and
    the cache in <folder>/build/; then the question's handout files beside the script. Returns the exit code."""
    here, args = invoked_folder(argv[0], script), argv[1:]
    data = []
    if option(args, "--data") is None:
        candidates = data_root_candidates(here, logical_cwd(), Path(script).resolve().parent)
        root = find_data_root(candidates)
        if root is None:
            print(f"error: no data/ folder in {' or '.join(str(c) for c in candidates)}: unpack python/ beside the "
                  "course's data/ and images/ (or pass --data DIR)", file=sys.stderr)
            return 2
        data = ["--data", str(root)]
    out = Path(option(args, "--out") or here / "build")
    code = main(["run", sid, *data, "--out", str(out), *args])
    if code != 0:
        return code
    for name in HANDOUT_FILES.get(sid, ()):
        try:
            copy_atomic(out / "build" / "artifacts" / name, here / name)
        except OSError as e:
            print(f"error: cannot write {here / name} ({e.strerror or e}); make {here} writable", file=sys.stderr)
            return 1
        print(f"wrote {here / name}", file=sys.stderr)
    return 0
