"""A toy project for the tests of planning, running, diff and verify: package `toyproj` with one section of three
parts (one reads another, one runs on the torch device), laid out by the `toy` fixture of conftest.py."""
from reportkit import pipeline
from reportkit.project import Options

SECTION_CODE = '''
from dataclasses import dataclass

from reportkit.section import Part, Result, Section


@dataclass(frozen=True)
class TrainConfig:
    n: int = 4


def train(ctx):
    values = list(range(ctx.config.n))
    ctx.path("values.txt").write_text(" ".join(map(str, values)))
    return Result({"total": sum(values) + ctx.seed + int(ctx.data("d.txt").read_text())})


def draw(ctx):
    return Result({"count": len(ctx.input("train").path("values.txt").read_text().split())})


def accelerate(ctx):
    return Result({"device": ctx.device})


SECTION = Section("s1", "Toy", "s1.md.j2", parts=(
    Part("train", train, TrainConfig, smoke={"n": 2}, data=("d.txt",)),
    Part("draw", draw, reads=("train",)),
    Part("gpu", accelerate, torch=True),
))
'''


def opts(root, **kw):
    return Options(out=root / "out", **kw)


def run(project, options):
    """Every part's entry (running what is missing) and what the run said."""
    said = []
    entries = pipeline.ensure(project, options, [p for p in ("s1.train", "s1.draw", "s1.gpu")], say=said.append,
                              warn=said.append)
    return entries, said


def ran(said):
    return [line.split()[0] for line in said if line.split()[1:2] == ["ran"]]
