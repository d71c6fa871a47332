"""The section interface: what an experiment module declares (Section) and returns (Result).

An experiment module under `experiments/` exposes

    SECTION = Section(id="q2", title="...", template="q2.md.j2", config=Config, smoke={...})
    def run(ctx: Context) -> Result

and nothing else is required. `report.py` finds it through `experiments.SECTION_MODULES`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportkit.errors import ConfigError, DataError


@dataclass(frozen=True)
class Figure:
    """A figure file written by a section; referenced in templates as `@fig:<label>`."""

    label: str     # unique in the document, e.g. "q2-toy-training"
    file: str      # file name inside the section's output directory (PNG or SVG)
    caption: str   # Markdown; may contain $math$


@dataclass
class Result:
    """Plain data a section returns: JSON metrics, figures, and artifact files (e.g. weights)."""

    metrics: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)   # name -> file name in the output dir


@dataclass(frozen=True)
class Section:
    """What the report needs to know about a section before running it."""

    id: str                       # "q1" ... "q6_2"; also the results.json key
    title: str                    # shown by --list
    template: str                 # templates/<template>, a Jinja2 Markdown file
    config: type                  # a frozen dataclass with the full-profile defaults
    smoke: dict = field(default_factory=dict)      # overrides for the smoke profile
    data: tuple[str, ...] = ()    # files/folders under the data root that the run reads
    consumes: tuple[str, ...] = ()  # ids of sections whose results/artifacts this one reads

    def make_config(self, profile: str, overrides: dict | None = None):
        """The config for a profile; unknown override keys are a ConfigError."""
        values = dict(self.smoke) if profile == "smoke" else {}
        values.update(overrides or {})
        known = {f.name for f in dataclasses.fields(self.config)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{self.id}: unknown config keys {unknown}; known keys are {sorted(known)}")
        return dataclasses.replace(self.config(), **values)


@dataclass(frozen=True)
class Upstream:
    """A consumed section's cached output, as seen by a downstream run."""

    metrics: dict[str, Any]
    dir: Path
    artifacts: dict[str, str]

    def artifact(self, name: str) -> Path:
        return self.dir / self.artifacts[name]


@dataclass
class Context:
    """Everything a run may use. Sections write only under `out_dir`."""

    config: Any
    profile: str
    seed: int
    device: str
    data_root: Path | None
    out_dir: Path
    inputs: dict[str, Upstream] = field(default_factory=dict)
    progress: bool = False        # show progress bars (never in CI)

    def data(self, relpath: str) -> Path:
        """Path of a data file under the data root, or a DataError that says how to get it."""
        if self.data_root is None:
            raise DataError(f"no data root for {relpath!r}: pass --data DIR or set HW5_DATA "
                            "(the course layout: data/, images/, weights/)")
        path = self.data_root / relpath
        if not path.exists():
            raise DataError(f"missing data file {path}: place the course's {relpath} under the data root "
                            f"{self.data_root} (see README, 'Data root')")
        return path

    def path(self, name: str) -> Path:
        """Where to write an output file of this run."""
        return self.out_dir / name
