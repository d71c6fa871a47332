"""What reportkit is told: the writeup it builds (Project) and the choices of one build (Options).

A command line fills both in; everything after that reads them and never changes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from reportkit.section import Section


@dataclass(frozen=True)
class Project:
    """Everything reportkit needs to know about a writeup."""

    root: Path                                    # the checkout: code, templates
    sections: tuple[Section, ...]                 # in the order of the writeup
    code_packages: tuple[str, ...]                # packages whose code enters part keys, by meaning
    find_data_root: Callable[[str | None], Path]  # --data value -> root; raises (one line) when there is none
    describe_data: Callable[[Path | None], str] = lambda root: str(root)
    meta: dict = field(default_factory=dict)      # title, author, ... as the templates read them under `meta`
    command: str = "python -m reportkit"          # how users start a build, for the hints the writeup prints

    @property
    def templates(self) -> Path:
        return self.root / "templates"


@dataclass(frozen=True)
class Options:
    """One build's choices, as the user gave them."""

    targets: tuple[str, ...] = ()                          # section or part ids to rerun; empty: everything missing
    force: bool = False
    profile: str = "full"
    seed: int = 0                                          # the shown seed: its numbers printed, its figures drawn
    seeds: int | None = None                               # seeds 0..N-1 of every part on the seed axis; None:
    #                                                        each part's own count (a costly one: the shown seed)
    device: str = "cpu"
    data: str | None = None
    out: Path = Path(".")                                  # build/ and figures/ go under it
    meta: dict = field(default_factory=dict)               # overrides of Project.meta (e.g. the author); None: unset
    progress: bool = False
    publish: Path | None = None                            # also write a static site there
    skip_missing: bool = False                             # render a notice for parts whose data is missing
    pdf: bool = True                                       # False: report.html only (a quick preview)
    jobs: int = 1                                          # > 1: parts in that many local Dask worker processes
    scheduler: str | None = None                           # a running Dask scheduler to send parts to

    @property
    def build_dir(self) -> Path:
        return self.out / "build"

    def meta_of(self, project: Project) -> dict:
        """The project's metadata with this build's overrides (a None override keeps the project's value)."""
        return {**project.meta, **{k: v for k, v in self.meta.items() if v is not None}}
