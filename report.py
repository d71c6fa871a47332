#!/usr/bin/env python3
"""Build the CMU 16-720 HW5 writeup: run the parts of each question (or take them from the cache), render it.

    python report.py --all                  every part; cached ones are skipped (`build` is the default command)
    python report.py --section q2           rerun q2's parts, re-render everything from the cache
    python report.py --section q6_1.cifar   rerun one part
    python report.py list | explain         parts and their cache state; why each would rerun
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
import sys
import tomllib
from pathlib import Path

from hw5.errors import ConfigError as LibraryConfigError
from hw5.errors import DataError as LibraryDataError
from reportkit.errors import BuildError, ConfigError, ReportError
from reportkit.files import write_atomic
from reportkit.pipeline import Options, Project, build, ensure, explain_parts, list_parts, publish_artifacts

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
COMMANDS = ("build", "list", "explain", "run", "ocr", "submit", "serve")
MAX_PDF_BYTES = 10 * 2 ** 20              # Gradescope's limit
OCR_MODELS = {"mlp": ("q3.train", "q3_weights"), "cnn": ("q6_1.nist_cnn", "q6_cnn_nist36")}
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
                   describe_data=describe_source, meta=meta)


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
                        help="seed of every random generator (default 0)")
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

    lst = commands.add_parser("list", parents=[common], help="sections, their parts and cache state")
    lst.add_argument("--keys", action="store_true", help="print each part's cache key instead of its state")
    commands.add_parser("explain", parents=[common], help="why each part would rerun (code, config, data)")
    run = commands.add_parser("run", parents=[common], help="run one question's parts and print its numbers")
    run.add_argument("question", metavar="SECTION", help="a section id: q1 ... q6_2")
    srv = commands.add_parser("serve", parents=[common, who],
                              help="a live preview on 127.0.0.1: rebuild on every save, reload the page")
    srv.add_argument("--port", type=bounded_int(0, 65535, "a port"), default=8000,
                     help="default 8000; 0 picks a free one")
    srv.add_argument("--open", action="store_true", help="open the page in a browser")
    srv.add_argument("--pdf", action="store_true", help="also rebuild the PDF on every save (slower)")
    commands.add_parser("submit", parents=[common, who],
                        help="the Gradescope hand-in: <id>.pdf, <id>.zip and the page map, in build/submission/")

    ocr = commands.add_parser("ocr", parents=[common], help="read handwritten pages with a trained network")
    ocr.add_argument("images", nargs="+", metavar="IMAGE", help="page images (JPEG/PNG; grey, RGB or RGBA)")
    ocr.add_argument("--model", choices=sorted(OCR_MODELS), default="mlp",
                     help="mlp: the Q3 numpy network (default); cnn: the Q6.1 CNN ensemble")
    ocr.add_argument("--json", action="store_true", help='print {"IMAGE": ["LINE 1", ...], ...}')
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["build", *argv]
    return parser.parse_args(argv)


def options(args: argparse.Namespace) -> Options:
    check_andrew_id(getattr(args, "andrew_id", None), "--andrew-id")
    opts = Options(targets=getattr(args, "section", []), force=getattr(args, "force", False), profile=args.profile,
                   pdf=getattr(args, "pdf", True), jobs=args.jobs, scheduler=args.scheduler,
                   seed=args.seed, device=normalise_device(args.device), data=args.data, out=args.out.resolve(),
                   author=getattr(args, "author", None), andrew_id=getattr(args, "andrew_id", None),
                   skip_missing=getattr(args, "skip_missing", False),
                   progress=sys.stderr.isatty() and not os.environ.get("CI"))
    if getattr(args, "publish", None) is not None:
        opts.publish = Path(args.publish) if args.publish else opts.build_dir / "site"
    return opts


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


def run_question(args: argparse.Namespace, opts: Options) -> int:
    """Run (or take from the cache) one section's parts, copy their artifacts to build/artifacts/ and print their
    numbers, one per line."""
    proj = project()
    section = next((s for s in proj.sections if s.id == args.question), None)
    if section is None:
        raise ConfigError(f"unknown section {args.question!r}; sections: {', '.join(s.id for s in proj.sections)}")
    def say(msg):
        print(msg, file=sys.stderr)          # progress and warnings to stderr; the numbers alone go to stdout
    entries = ensure(proj, opts, [section.part_id(p) for p in section.parts], say=say, warn=say)
    publish_artifacts(entries, opts.build_dir / "artifacts")          # e.g. the handout's q3_weights.pickle
    for pid, entry in entries.items():
        for name, value in numbers(entry.metrics).items():
            print(f"{pid} {name} {value:.6g}" if isinstance(value, float) else f"{pid} {name} {value}")
    return 0


def check_pdf(pdf: Path, pages: int) -> None:
    """The PDF handed in opens, has the pages the page map was read from, and embeds every font (poppler)."""
    import shutil
    import subprocess

    if not (shutil.which("pdfinfo") and shutil.which("pdffonts")):
        raise ConfigError("pdfinfo/pdffonts not found: install poppler-utils (make setup does) to check the hand-in PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M)
    if info.returncode != 0 or not found:
        raise BuildError(f"{pdf} does not open as a PDF ({(info.stderr.strip().splitlines() or ['pdfinfo failed'])[-1]}); "
                         "rebuild it: python report.py --all")
    if int(found.group(1)) != pages:
        raise BuildError(f"{pdf} has {found.group(1)} pages but its page map was read from {pages}; rebuild it")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True)
    if fonts.returncode != 0 or any(line.split()[-5] != "yes" for line in fonts.stdout.splitlines()[2:]):
        raise ConfigError(f"{pdf} has fonts that are not embedded; check pdffonts")


def submit(args: argparse.Namespace, opts: Options) -> int:
    """Refuse what cannot be handed in, then write <id>.pdf, <id>.zip and <id>-pages.json."""
    import subprocess

    from reportkit.pagemap import page_ranges
    from reportkit.pipeline import plan
    from reportkit.provenance import git_sha
    from submission import write_zip

    proj = project()
    opts.andrew_id = opts.andrew_id or proj.meta.get("andrew_id")
    if opts.profile != "full":
        raise ConfigError("a smoke build cannot be submitted: its numbers come from tiny slices; drop --profile smoke")
    if not opts.andrew_id:
        raise ConfigError("no Andrew ID: pass --andrew-id ID (or set andrew_id in pyproject.toml [tool.hw5report])")
    missing = [p for p in plan(proj, opts, warn=lambda m: print(m, file=sys.stderr)) if p.entry is None]
    if missing:
        why = f": {missing[0].problem}" if missing[0].problem else ""
        raise ConfigError(f"{missing[0].id} is not built ({len(missing)} part(s) missing{why}); run "
                          "python report.py --all first (without --skip-missing)")
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    if changed.strip():
        print("warning: the working tree has uncommitted changes; the zip holds them as they are:\n  "
              + "\n  ".join(changed.strip().splitlines()), file=sys.stderr)
    opts.pdf = True
    outputs = build(proj, opts, warn=lambda m: print(m, file=sys.stderr))
    data = outputs["pdf"].read_bytes()
    size = len(data)
    if size > MAX_PDF_BYTES:
        raise ConfigError(f"{outputs['pdf']} is {size / 2 ** 20:.1f} MiB, over Gradescope's 10 MiB")
    dest = opts.build_dir / "submission"
    pdf = dest / f"{opts.andrew_id}.pdf"
    write_atomic(pdf, data)
    try:                                       # the file handed in is the one checked
        check_pdf(pdf, json.loads(outputs["pages"].read_text())["pages"])
    except ReportError:
        pdf.unlink()
        raise
    pages = page_ranges(outputs["pages"], {s.title.split(" ")[0]: s.title for s in proj.sections})
    write_atomic(dest / f"{opts.andrew_id}-pages.json", (json.dumps(pages, indent=1) + "\n").encode())
    names = write_zip(ROOT, dest / f"{opts.andrew_id}.zip", pdf.name, git_sha(ROOT))
    print("question  pages")
    for label, numbers_ in pages.items():
        print(f"{label:9s} {numbers_[0]}-{numbers_[-1]}" if len(numbers_) > 1 else f"{label:9s} {numbers_[0]}")
    zipped = dest / f"{opts.andrew_id}.zip"
    print(f"wrote {pdf} ({size / 2 ** 20:.1f} MiB), {zipped} ({zipped.stat().st_size / 1024:.0f} KiB, "
          f"{len(names)} files), {dest / (opts.andrew_id + '-pages.json')}")
    return 0


def serve_command(args: argparse.Namespace, opts: Options) -> int:
    """Preview the site while writing: templates and CSS re-render the page; code edits rerun the parts whose
    keys changed. The project's own modules are imported afresh for every rebuild, so edits take effect."""
    from reportkit.serve import serve

    def say(msg):
        print(msg, flush=True)

    def rebuild():
        for name in [m for m in sys.modules if m.split(".")[0] in ("hw5", "experiments")]:
            del sys.modules[name]
        build(project(), opts, say=lambda m: None if m.endswith(" cached") else say(m), warn=say)

    opts.pdf, opts.publish = args.pdf, opts.build_dir / "serve"
    return serve(opts.publish, rebuild, [ROOT / "templates", ROOT / "experiments", ROOT / "hw5"], args.port,
                 args.open, say, errors=(Exception,))


def ocr(args: argparse.Namespace, opts: Options) -> int:
    """Print the lines read from each image, training the chosen network first if it is not cached."""
    from hw5 import mlp
    from hw5.ocr import read_image, recognise
    from hw5.ocr.image import check_image

    def say(msg):
        print(msg, file=sys.stderr)          # progress to stderr; the text alone goes to stdout
    try:
        for path in args.images:             # every header first (cheap), so a bad file fails before training
            check_image(path)
    except ValueError as e:
        say(f"error: {e}")
        return 2
    part, artifact = OCR_MODELS[args.model]
    entry = ensure(project(), opts, [part], say=say, warn=say)[part]
    path = entry.dir / entry.manifest["artifacts"][artifact]
    try:
        if args.model == "mlp":
            import numpy as np

            with np.load(path) as weights:
                classify = mlp.classifier(dict(weights))
        else:
            from hw5.pytorch.models import load_nist36_cnn

            classify = load_nist36_cnn(path)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        say(f"error: cannot load the {args.model} weights {path} ({type(e).__name__}: {e}); rebuild them with "
            f"python report.py --section {part}")
        return 2
    results = {}
    for i, p in enumerate(args.images):      # one page decoded at a time: memory stays that of one page
        try:
            results[p] = recognise(read_image(p), classify)[0]
        except ValueError as e:              # changed since its header was read
            say(f"error: {e}")
            return 2
        if not args.json:
            if len(args.images) > 1:
                print(("\n" if i else "") + f"== {p} ==")
            print("\n".join(results[p]), flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)

    def warn(msg):
        print(msg, file=sys.stderr)
    try:
        opts = options(args)
        if args.command == "list":
            list_parts(project(), opts, warn=warn, keys=args.keys)
        elif args.command == "explain":
            explain_parts(project(), opts, warn=warn)
        elif args.command == "ocr":
            return ocr(args, opts)
        elif args.command == "run":
            return run_question(args, opts)
        elif args.command == "submit":
            return submit(args, opts)
        elif args.command == "serve":
            return serve_command(args, opts)
        else:
            proj = project()
            outputs = build(proj, opts, warn=warn)
            print("wrote " + ", ".join(str(p) for p in outputs.values()))
            if not (opts.author or proj.meta.get("author")) or not (opts.andrew_id or proj.meta.get("andrew_id")):
                print("note: the title page has no name or no Andrew ID: pass --author and --andrew-id, or set "
                      "author and andrew_id in pyproject.toml [tool.hw5report]")
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
        print("interrupted: finished parts stay cached; rerun the same command to continue", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
