"""What a section declares (Section, made of Parts), what a part sees (Context) and what it returns (Result).

A section module exposes

    SECTION = Section(id="q3", title="...", template="q3.md.j2", parts=(
        Part("train", train, TrainConfig, smoke={...}, data=("data/nist36_train.mat", ...)),
        Part("figures", draw, reads=("train",)),
    ))

A part is a pure function of its config, the seed, the device (only if it declares `torch=True`), its data
files and the parts it reads; it writes only into its own folder. Each part is cached on its own, so a caption
edit in a drawing part reruns that part alone.

Seeds are an axis: a part with `seeds=5` also runs at seeds 0..4 (`--seeds N`: 0..N-1) beside the shown seed
(`--seed`, whose numbers are printed and whose figures are drawn), each seed cached under its own key, and the
templates read every metric's spread over the seeds that ran (reportkit.spread). A `costly` part (a network
that trains for minutes) runs its other seeds only when `--seeds` asks for them; a build shows them whenever the
cache holds them. At seed s a part reads another part of the axis at seed s, except that a part whose other
seeds always run reads a costly part at the shown seed (so what it computes never depends on flags).
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from reportkit.errors import ConfigError, DataError


@dataclass(frozen=True)
class Figure:
    """A figure file written by a part; referenced in templates as `@fig:<label>`."""

    label: str     # unique in the document, e.g. "q2-toy-training"
    file: str      # file name inside the part's output folder (PNG or SVG)
    caption: str   # Markdown; may contain $math$


RESERVED_METRICS = ("config", "spread")     # r.<section>.config and .spread are reportkit's, not a part's metrics


@dataclass
class Result:
    """Plain data a part returns: JSON metrics, figures, and artifacts (files published to build/artifacts/).

    Every other file the part writes (arrays for a drawing part, weights) is kept in its cache entry and is
    readable by the parts that read this one.
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)   # name -> file name in the output folder


@dataclass(frozen=True)
class Part:
    """One cached step of a section."""

    name: str                                   # unique in its section: "train", "figures"
    run: Callable[["Context"], Result]           # a top-level function of the section's module
    config: type | None = None                  # a frozen dataclass with the full-profile defaults
    smoke: dict = field(default_factory=dict)   # overrides for the smoke profile
    data: tuple[str, ...] = ()                  # files/folders under the data root that it reads
    reads: tuple[str, ...] = ()                 # parts whose outputs it reads: "train" (same section) or "q3.train"
    torch: bool = False                         # it runs on --device (its key holds the device)
    seeds: int = 1                              # > 1: on the seed axis, its metrics get a spread (see below)
    costly: bool = False                        # its other seeds run only when asked for (--seeds N)

    def make_config(self, profile: str, overrides: dict | None = None):
        """The config for a profile (None for a part without one); unknown keys are a ConfigError."""
        values = {**(self.smoke if profile == "smoke" else {}), **(overrides or {})}
        if self.config is None:
            if values:
                raise ConfigError(f"part {self.name} has no config, but got {sorted(values)}")
            return None
        known = {f.name for f in dataclasses.fields(self.config)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"part {self.name}: unknown config keys {unknown}; known keys are {sorted(known)}")
        return dataclasses.replace(self.config(), **values)


@dataclass(frozen=True)
class Section:
    """A chapter of the writeup: its template and the parts whose results the template reads."""

    id: str                       # "q1" ... "q6_2"; also the results.json key
    title: str                    # shown by `list`; must match the template's heading
    template: str                 # templates/<template>, a Jinja2 Markdown file
    parts: tuple[Part, ...]

    def __post_init__(self):
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names) or not names:
            raise ConfigError(f"section {self.id}: parts need distinct names, got {names}")

    def part_id(self, part: Part) -> str:
        return f"{self.id}.{part.name}"


@dataclass(frozen=True)
class Upstream:
    """A part's cached output, as seen by a part that reads it."""

    metrics: dict[str, Any]
    config: dict[str, Any]                  # the upstream part's config, as JSON
    dir: Path
    files: tuple[str, ...]                  # every file of the entry
    artifacts: dict[str, str]

    def path(self, name: str) -> Path:
        """One of the upstream part's files (an artifact name or a file name)."""
        file = self.artifacts.get(name, name)
        if file not in self.files:
            raise KeyError(f"{self.dir.name}: no file {name!r}; it has {', '.join(self.files) or 'none'}")
        return self.dir / file


@dataclass
class Context:
    """Everything a part's run may use. It writes only under `out_dir`."""

    part: str                     # "q3.train"
    config: Any
    profile: str
    seed: int
    device: str
    data_root: Path | None
    out_dir: Path
    inputs: dict[str, Upstream] = field(default_factory=dict)   # by the names in Part.reads
    progress: bool = False        # show progress bars (never in CI)

    def data(self, relpath: str) -> Path:
        """Path of a data file under the data root, or a DataError that says how to get it."""
        if self.data_root is None:
            raise DataError(f"no data root for {relpath!r}: pass --data DIR (see README, 'Data root')")
        path = self.data_root / relpath
        if not path.exists():
            raise DataError(f"missing data file {path}: place {relpath} under the data root {self.data_root} "
                            "(see README, 'Data root')")
        return path

    def path(self, name: str) -> Path:
        """Where to write an output file of this run."""
        return self.out_dir / name

    def rng(self, name: str):
        """A numpy Generator for one named random stream of this part ("init", "batch order", "holdout").

        Derived from the seed, the part id and the name (numpy's SeedSequence, the seed as entropy and stable
        hashes of part and name as spawn key), never from offsets of the seed: streams of different names,
        parts or seeds do not overlap, where seed + 1 of one run was seed + 0 of the next. Asking again for a
        name gives a fresh generator in the same state."""
        import numpy as np                        # only parts that draw random numbers pay for the import

        return np.random.default_rng(self._seed_sequence(name))

    def seed_for(self, name: str) -> int:
        """An integer seed for a library that takes one (torch.manual_seed), derived as `rng` derives its stream."""
        return int(self._seed_sequence(name).generate_state(1)[0])

    def _seed_sequence(self, name: str):
        import numpy as np

        return np.random.SeedSequence(self.seed, spawn_key=(stable_hash(self.part), stable_hash(name)))

    def input(self, name: str) -> Upstream:
        """The output of a part named in Part.reads."""
        if name not in self.inputs:
            raise KeyError(f"{self.part} reads {sorted(self.inputs)}, not {name!r}: add it to Part.reads")
        return self.inputs[name]


def stable_hash(text: str) -> int:
    """A 64-bit number for a text, the same in every process (Python's hash() of a str is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def check(what: str, measured: float, tolerance: float, passed: bool | None = None, **detail) -> dict:
    """A numerical check as plain data: what it tests, what it measured, the tolerance, and the verdict.

    It passes when |measured| <= tolerance unless an explicit verdict is given. Sections return their checks
    under the metric "checks"; the writeup prints each beside its claim and lists them all in one table.
    """
    ok = bool(abs(measured) <= tolerance) if passed is None else bool(passed)
    return {"what": what, "measured": float(measured), "tolerance": float(tolerance), "passed": ok, **detail}
