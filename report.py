#!/usr/bin/env python3
"""Build the CMU 16-720 HW5 writeup: run the parts of each question (or take them from the cache), render it.

    python report.py --all                  every part; cached ones are skipped (`build` is the default command)
    python report.py --section q2           rerun q2's parts, re-render everything from the cache
    python report.py --section q6_1.cifar   rerun one part
    python report.py list | explain         parts and their cache state; why each would rerun
    python report.py diff [--against FILE]  what the last build changed, number by number
    python report.py verify q3 [q6_1.cifar] rerun parts and compare with the cache (determinism)
    python report.py run q3                 run one question's parts (no rendering) and print its numbers
    python report.py ocr IMAGE... [--json]  read handwritten pages with the trained network
    python report.py submit --andrew-id ID  the Gradescope hand-in under build/submission/
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import statistics
import sys
import tomllib
from pathlib import Path

from hw5.errors import ConfigError as LibraryConfigError
from hw5.errors import DataError as LibraryDataError
from reportkit.errors import ConfigError, ReportError
from reportkit.pipeline import build, ensure, explain_parts, list_parts
from reportkit.project import Options, Project
from reportkit.render import publish_artifacts

ROOT = Path(__file__).resolve().parent
SECTION_MODULES = (                       # the order of the writeup
    "experiments.q1_theory",
    "experiments.q2_numpy_net",
    "experiments.q3_nist_mlp",
    "experiments.q4_ocr",
    "experiments.q5_autoencoder",
    "experiments.q6_1_torch",
    "experiments.q6_2_finetune",
)
COMMANDS = ("build", "list", "explain", "run", "diff", "verify", "ocr", "submit", "serve")
CACHES_NOTHING = ("list", "explain", "diff", "verify")      # Ctrl-C in them leaves no finished part behind
OCR_MODELS = {"mlp": ("q3.train", "q3_weights"), "cnn": ("q6_1.nist_cnn", "q6_cnn_nist36")}   # part, artifact
MAX_SEEDS = 20                                      # --seeds: a sanity limit (each seed is a full training)
ANDREW_ID = re.compile(r"[a-z][a-z0-9]{1,15}")      # CMU's shape: lower-case letters and digits


def project() -> Project:
    """The homework as reportkit sees it: sections, the data-root rule, what the title page and appendix show."""
    from hw5.data import describe_source, resolve_data_root

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("hw5report", {})
    if meta.get("paper", "letter") not in ("letter", "a4"):
        raise ConfigError(f"pyproject.toml [tool.hw5report] paper = {meta['paper']!r}: use \"letter\" or \"a4\"")
    check_andrew_id(meta.get("andrew_id"), "pyproject.toml [tool.hw5report] andrew_id =")
    return Project(root=ROOT, sections=tuple(importlib.import_module(m).SECTION for m in SECTION_MODULES),
                   code_packages=("hw5", "experiments"), find_data_root=lambda cli: resolve_data_root(cli, ROOT),
                   describe_data=describe_source, meta={"author": None, "andrew_id": None, **meta},
                   command="python report.py")


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the usage block is for --help)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def bounded_int(low: int, high: int, what: str):
    """An argparse type: an integer in [low, high], else a one-line error saying what to give."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} ({low} to {high})")
        return value
    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = Parser(add_help=False)
    common.add_argument("--profile", choices=["full", "smoke"], default="full",
                        help="full: the real writeup; smoke: tiny slices in seconds, stamped on every page")
    common.add_argument("--seed", type=bounded_int(0, 2 ** 32 - 1, "a seed"), default=0,
                        help="the shown seed: its numbers are printed and its figures drawn (default 0)")
    common.add_argument("--seeds", type=bounded_int(1, MAX_SEEDS, "a number of seeds"), metavar="N",
                        help="run every part on the seed axis at seeds 0..N-1 too, PyTorch ones included (default: "
                             "5 for the numpy questions; the PyTorch spread is shown when cached)")
    common.add_argument("--device", default="cpu", help="torch device of the Q6 parts: cpu, cuda, cuda:N")
    common.add_argument("--data", metavar="DIR", help="data root (else $HW5_DATA, ./hw5data, ../shared/hw5data)")
    common.add_argument("--out", metavar="DIR", type=Path, default=ROOT,
                        help="where build/ and figures/ go (default: the project)")
    common.add_argument("--jobs", type=bounded_int(1, 256, "a number of worker processes"), default=1, metavar="N",
                        help="run parts side by side in N local worker processes (Dask; default 1: in this process)")
    common.add_argument("--scheduler", metavar="ADDRESS",
                        help="run parts on a running Dask cluster, e.g. tcp://10.0.0.5:8786 (see README)")
    who = Parser(add_help=False)
    who.add_argument("--author", help="your name on the title page (default: pyproject [tool.hw5report] author)")
    who.add_argument("--andrew-id", help="your Andrew ID on the title page (default: [tool.hw5report] andrew_id)")
    parser = Parser(prog="report.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    b = commands.add_parser("build", parents=[common, who], help="run what is not cached and render (the default)")
    what = b.add_mutually_exclusive_group()
    what.add_argument("--all", action="store_true", help="every part (the default)")
    what.add_argument("--section", action="append", default=[], metavar="ID",
                      help="rerun this section or part even if cached (repeatable): q2, q6_1.cifar")
    b.add_argument("--force", action="store_true", help="rerun even cached parts")
    b.add_argument("--publish", metavar="DIR", nargs="?", const="",   # "": no DIR given
                   help="also write a self-contained static site (index.html + figures/), default build/site")
    b.add_argument("--skip-missing", action="store_true",
                   help="skip parts whose data or weights are missing, with a notice in the writeup "
                        "(without it a missing file is an error)")
    b.add_argument("--no-pdf", dest="pdf", action="store_false", help="write report.html only (a quick look)")
    b.set_defaults(func=build_command)

    lst = commands.add_parser("list", parents=[common], help="sections, their parts and cache state")
    lst.add_argument("--keys", action="store_true", help="print each part's cache key instead of its state")
    lst.set_defaults(func=list_command)
    commands.add_parser("explain", parents=[common], help="why each part would rerun (code, config, data)"
                        ).set_defaults(func=explain_command)
    run = commands.add_parser("run", parents=[common], help="run one question's parts and print its numbers")
    run.add_argument("question", metavar="SECTION", help="a section id: q1 ... q6_2")
    run.set_defaults(func=run_command)
    dif = commands.add_parser("diff", parents=[common],
                              help="what the last build changed: each changed number and figure, per section")
    dif.add_argument("--against", metavar="FILE", type=Path,
                     help="compare with this saved results.json instead of the build before the last")
    dif.set_defaults(func=diff_command)
    ver = commands.add_parser("verify", parents=[common],
                              help="rerun sections or parts into a temporary folder and compare with the cache")
    ver.add_argument("targets", nargs="+", metavar="TARGET", help="section or part ids: q3, q6_1.cifar")
    ver.set_defaults(func=verify_command)
    srv = commands.add_parser("serve", parents=[common, who],
                              help="a live preview on 127.0.0.1: rebuild on every save, reload the page")
    srv.add_argument("--port", type=bounded_int(0, 65535, "a port"), default=8000,
                     help="default 8000; 0 picks a free one")
    srv.add_argument("--open", action="store_true", help="open the page in a browser")
    srv.add_argument("--pdf", action="store_true", help="also rebuild the PDF on every save (slower)")
    srv.set_defaults(func=serve_command)
    commands.add_parser("submit", parents=[common, who],
                        help="the Gradescope hand-in: <id>.pdf, <id>.zip and the page map, in build/submission/"
                        ).set_defaults(func=submit_command)

    ocr = commands.add_parser("ocr", parents=[common], help="read handwritten pages with a trained network")
    ocr.add_argument("images", nargs="+", metavar="IMAGE", help="page images (JPEG/PNG; grey, RGB or RGBA)")
    ocr.add_argument("--model", choices=sorted(OCR_MODELS), default="mlp",
                     help="mlp: the Q3 numpy network (default); cnn: the Q6.1 NIST36 CNN")
    ocr.add_argument("--json", action="store_true", help='print {"IMAGE": ["LINE 1", ...], ...}')
    ocr.set_defaults(func=ocr_command)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["build", *argv]
    return parser.parse_args(argv)


def options(args: argparse.Namespace) -> Options:
    """The flags as the build's frozen Options (checked: a bad Andrew ID or device is refused here)."""
    check_andrew_id(getattr(args, "andrew_id", None), "--andrew-id")
    out = args.out.resolve()
    publish = getattr(args, "publish", None)
    return Options(targets=tuple(getattr(args, "section", ())), force=getattr(args, "force", False),
                   profile=args.profile, pdf=getattr(args, "pdf", True), jobs=args.jobs, scheduler=args.scheduler,
                   seed=args.seed, seeds=args.seeds, device=normalise_device(args.device), data=args.data, out=out,
                   meta={"author": getattr(args, "author", None), "andrew_id": getattr(args, "andrew_id", None)},
                   skip_missing=getattr(args, "skip_missing", False),
                   publish=None if publish is None else Path(publish) if publish else out / "build" / "site",
                   progress=sys.stderr.isatty() and not os.environ.get("CI"))


def check_andrew_id(andrew_id: str | None, where: str) -> None:
    """An Andrew ID names the hand-in files: only CMU's shape, so it can never be a path or markup."""
    if andrew_id is not None and not ANDREW_ID.fullmatch(andrew_id):
        raise ConfigError(f"{where} {andrew_id[:40]!r} is not an Andrew ID: 2 to 16 lower-case letters and digits, "
                          "starting with a letter (e.g. alovelace)")


def normalise_device(name: str) -> str:
    """The device as it enters part keys, refused before anything runs if torch cannot use it: cpu:N is cpu
    and cuda:0 is cuda (the same computation), so neither retrains anything (torch is imported only for a GPU)."""
    device = name.strip().lower()
    if re.fullmatch(r"cpu(:\d+)?", device):
        return "cpu"
    from hw5.pytorch.train import pick_device

    picked = pick_device(device)
    return "cuda" if picked.type == "cuda" and (picked.index or 0) == 0 else str(picked)


def numbers(metrics: dict) -> dict:
    """The numbers among a part's metrics, at the top level and one level down (e.g. cifar.test_accuracy)."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = v
        elif isinstance(v, dict):
            out.update({f"{k}.{kk}": vv for kk, vv in v.items() if isinstance(vv, (int, float))
                        and not isinstance(vv, bool)})
    return out


def stderr(msg: str) -> None:
    """Progress and warnings: stderr, so that stdout holds only what a command prints as its answer."""
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- one function per command
def build_command(args: argparse.Namespace, opts: Options) -> int:
    proj = project()
    outputs = build(proj, opts, warn=stderr)
    print("wrote " + ", ".join(str(p) for p in outputs.values()))
    meta = opts.meta_of(proj)
    if not meta.get("author") or not meta.get("andrew_id"):
        print("note: the title page has no name or no Andrew ID: pass --author and --andrew-id, or set "
              "author and andrew_id in pyproject.toml [tool.hw5report]")
    return 0


def list_command(args: argparse.Namespace, opts: Options) -> int:
    list_parts(project(), opts, warn=stderr, keys=args.keys)
    return 0


def explain_command(args: argparse.Namespace, opts: Options) -> int:
    explain_parts(project(), opts, warn=stderr)
    return 0


def run_command(args: argparse.Namespace, opts: Options) -> int:
    """Run (or take from the cache) one section's parts, copy their artifacts to build/artifacts/ and print their
    numbers, one per line, with their spread where other seeds ran (progress goes to stderr, so stdout holds the
    numbers alone)."""
    proj = project()
    section = next((s for s in proj.sections if s.id == args.question), None)
    if section is None:
        raise ConfigError(f"unknown section {args.question!r}; sections: {', '.join(s.id for s in proj.sections)}")
    ids = [section.part_id(p) for p in section.parts]
    entries = ensure(proj, opts, ids, say=stderr, warn=stderr)
    publish_artifacts({pid: entries[pid] for pid in ids}, opts.build_dir / "artifacts")   # the shown seed's
    for pid in ids:
        runs = [(e.inputs["seed"], numbers(e.metrics)) for planned, e in entries.items()
                if planned.split("@")[0] == pid]
        for name, value in numbers(entries[pid].metrics).items():
            print(f"{pid} {name} {value:.6g}" if isinstance(value, float) else f"{pid} {name} {value}", end="")
            over = [v[name] for _, v in runs if name in v]
            print(f"  ({len(over)} seeds: mean {statistics.fmean(over):.6g}, sd {statistics.stdev(over):.2g}, "
                  f"{min(over):.6g} to {max(over):.6g})" if len(over) > 1 else "")
    return 0


def diff_command(args: argparse.Namespace, opts: Options) -> int:
    from reportkit.changes import between_builds

    print("\n".join(between_builds(opts.build_dir, args.against).lines()))
    return 0


def verify_command(args: argparse.Namespace, opts: Options) -> int:
    from reportkit.verify import verify

    return 0 if verify(project(), opts, args.targets, say=print) else 1


def submit_command(args: argparse.Namespace, opts: Options) -> int:
    from submission.handin import submit

    handin = submit(project(), opts, warn=stderr)
    print("question  pages")
    for label, pages in handin.pages.items():
        print(f"{label:9s} {pages[0]}-{pages[-1]}" if len(pages) > 1 else f"{label:9s} {pages[0]}")
    print(f"wrote {handin.pdf} ({handin.pdf.stat().st_size / 2 ** 20:.1f} MiB), {handin.zip} "
          f"({handin.zip.stat().st_size / 1024:.0f} KiB, {len(handin.zipped)} files), {handin.page_map}")
    return 0


def serve_command(args: argparse.Namespace, opts: Options) -> int:
    """Preview the site while writing: templates and CSS re-render the page; code edits rerun the parts whose
    keys changed. The project's own modules are imported afresh for every rebuild, so edits take effect."""
    import dataclasses

    from reportkit.serve import serve

    def say(msg):
        print(msg, flush=True)

    opts = dataclasses.replace(opts, pdf=args.pdf, publish=opts.build_dir / "serve")

    def rebuild():
        for name in [m for m in sys.modules if m.split(".")[0] in ("hw5", "experiments")]:
            del sys.modules[name]
        build(project(), opts, say=lambda m: None if m.endswith(" cached") else say(m), warn=say)

    return serve(opts.publish, rebuild, [ROOT / "templates", ROOT / "experiments", ROOT / "hw5"], args.port,
                 args.open, say, errors=(Exception,))


def ocr_command(args: argparse.Namespace, opts: Options) -> int:
    """Print the lines read from each image, training the chosen network first if it is not cached."""
    from hw5.ocr import read_image, recognise
    from hw5.ocr.classifier import load_classifier
    from hw5.ocr.image import check_image

    try:
        for path in args.images:             # every header first (cheap), so a bad file fails before training
            check_image(path)
    except ValueError as e:
        raise LibraryDataError(str(e)) from None
    part, artifact = OCR_MODELS[args.model]
    entry = ensure(project(), opts, [part], say=stderr, warn=stderr)[part]
    try:
        classify = load_classifier(args.model, entry.artifact(artifact))
    except ValueError as e:
        raise LibraryDataError(f"{e}; rebuild them with python report.py --section {part}") from None
    results = {}
    for i, p in enumerate(args.images):      # one page decoded at a time: memory stays that of one page
        try:
            results[p] = recognise(read_image(p), classify)[0]
        except ValueError as e:              # changed since its header was read
            raise LibraryDataError(str(e)) from None
        if not args.json:
            if len(args.images) > 1:
                print(("\n" if i else "") + f"== {p} ==")
            print("\n".join(results[p]), flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; every error the user can fix is one line on stderr and an exit code, decided here."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args, options(args))
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except (LibraryDataError, LibraryConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:                  # e.g. a read-only build/: say which file, keep it one line
        where = f"cannot access {e.filename}" if e.filename else "input/output failed"
        print(f"error: {where}: {e.strerror or e}; check permissions or pass --out DIR", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        left = (f"{args.command} caches nothing; rerun the same command to start again" if args.command in
                CACHES_NOTHING else "finished parts stay cached; rerun the same command to continue")
        print(f"interrupted: {left}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
