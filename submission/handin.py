"""`submit`: refuse what cannot be handed in, build the full report from the cache, then write <id>.pdf (checked
as the file handed in), <id>-pages.json and <id>.zip under build/submission/."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from reportkit.errors import BuildError, ConfigError, ReportError
from reportkit.files import write_atomic
from reportkit.pagemap import page_ranges
from reportkit.pipeline import build
from reportkit.plan import plan
from reportkit.project import Options, Project
from reportkit.provenance import git_sha
from submission import write_zip

MAX_PDF_BYTES = 10 * 2 ** 20              # Gradescope's limit


@dataclass(frozen=True)
class HandIn:
    pdf: Path
    zip: Path
    zipped: list[str]                     # the names the zip holds
    page_map: Path
    pages: dict[str, list[int]]           # question label -> its pages, e.g. {"Q1": [2, 3, 4], ...}


def submit(project: Project, opts: Options, warn: Callable[[str], None]) -> HandIn:
    """The hand-in of a complete full-profile build, for the Andrew ID in the build's metadata."""
    andrew_id = opts.meta_of(project).get("andrew_id")
    if opts.profile != "full":
        raise ConfigError("a smoke build cannot be submitted: its numbers come from tiny slices; drop --profile smoke")
    if not andrew_id:
        raise ConfigError("no Andrew ID: pass --andrew-id ID (or set andrew_id in pyproject.toml [tool.hw5report])")
    missing = [p for p in plan(project, opts, warn).parts if p.entry is None]
    if missing:
        why = f": {missing[0].problem}" if missing[0].problem else ""
        raise ConfigError(f"{missing[0].id} is not built ({len(missing)} part(s) missing{why}); run "
                          f"{project.command} --all first (without --skip-missing)")
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=project.root, capture_output=True, text=True).stdout
    if changed.strip():
        warn("warning: the working tree has uncommitted changes; the zip holds them as they are:\n  "
             + "\n  ".join(changed.strip().splitlines()))
    outputs = build(project, dataclasses.replace(opts, pdf=True), warn=warn)
    data = outputs["pdf"].read_bytes()
    if len(data) > MAX_PDF_BYTES:
        raise ConfigError(f"{outputs['pdf']} is {len(data) / 2 ** 20:.1f} MiB, over Gradescope's 10 MiB")
    dest = opts.build_dir / "submission"
    pdf = dest / f"{andrew_id}.pdf"
    write_atomic(pdf, data)
    try:                                       # the file handed in is the one checked
        check_pdf(pdf, json.loads(outputs["pages"].read_text())["pages"], project.command)
    except ReportError:
        pdf.unlink()
        raise
    pages = page_ranges(outputs["pages"], {s.title.split(" ")[0]: s.title for s in project.sections})
    page_map = dest / f"{andrew_id}-pages.json"
    write_atomic(page_map, (json.dumps(pages, indent=1) + "\n").encode())
    zipped = dest / f"{andrew_id}.zip"
    names = write_zip(project.root, zipped, pdf.name, git_sha(project.root))
    return HandIn(pdf, zipped, names, page_map, pages)


def check_pdf(pdf: Path, pages: int, command: str = "python report.py") -> None:
    """The PDF handed in opens, has the pages the page map was read from, and embeds every font (poppler)."""
    if not (shutil.which("pdfinfo") and shutil.which("pdffonts")):
        raise ConfigError("pdfinfo/pdffonts not found: install poppler-utils (make setup does) to check the hand-in PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M)
    if info.returncode != 0 or not found:
        raise BuildError(f"{pdf} does not open as a PDF ({(info.stderr.strip().splitlines() or ['pdfinfo failed'])[-1]}); "
                         f"rebuild it: {command} --all")
    if int(found.group(1)) != pages:
        raise BuildError(f"{pdf} has {found.group(1)} pages but its page map was read from {pages}; rebuild it")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True)
    if fonts.returncode != 0 or any(line.split()[-5] != "yes" for line in fonts.stdout.splitlines()[2:]):
        raise ConfigError(f"{pdf} has fonts that are not embedded; check pdffonts")
