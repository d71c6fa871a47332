#!/usr/bin/env python3
"""Build the CMU 16-720 HW5 writeup: run the parts of each question (or take them from the cache), render it.

    python report.py --all                  every part; cached ones are skipped (`build` is the default command)
    python report.py --section q2           rerun q2's parts, re-render everything from the cache
    python report.py --section q6_1.cifar   rerun one part
    python report.py list | explain         parts and their cache state; why each would rerun
    python report.py ocr IMAGE... [--json]  read handwritten pages with the trained network
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tomllib
from pathlib import Path

from hw5.errors import ConfigError as LibraryConfigError
from hw5.errors import DataError as LibraryDataError
from reportkit.errors import ReportError
from reportkit.pipeline import Options, Project, build, ensure, explain_parts, list_parts

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
COMMANDS = ("build", "list", "explain", "ocr")
OCR_MODELS = {"mlp": ("q3.train", "q3_weights"), "cnn": ("q6_1.nist_cnn", "q6_cnn_nist36")}


def project() -> Project:
    """The homework as reportkit sees it: sections, the data-root rule, what the title page and appendix show."""
    from hw5.data import describe_source, resolve_data_root

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("hw5report", {})
    return Project(root=ROOT, sections=tuple(importlib.import_module(m).SECTION for m in SECTION_MODULES),
                   code_packages=("hw5", "experiments"), find_data_root=lambda cli: resolve_data_root(cli, ROOT),
                   describe_data=describe_source, meta=meta, listings=("hw5/nn.py",))


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", choices=["full", "smoke"], default="full",
                        help="full: the real writeup; smoke: tiny slices in seconds, stamped on every page")
    common.add_argument("--seed", type=int, default=0, help="seed of every random generator (default 0)")
    common.add_argument("--device", default="cpu", help="torch device of the Q6 parts: cpu, cuda, cuda:N")
    common.add_argument("--data", metavar="DIR", help="data root (else $HW5_DATA, ./hw5data, ../shared/hw5data)")
    common.add_argument("--out", metavar="DIR", type=Path, default=ROOT,
                        help="where build/ and figures/ go (default: the project)")
    parser = argparse.ArgumentParser(prog="report.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    b = commands.add_parser("build", parents=[common], help="run what is not cached and render (the default)")
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
    b.add_argument("--author", help="author on the title page (default: pyproject [tool.hw5report])")

    lst = commands.add_parser("list", parents=[common], help="sections, their parts and cache state")
    lst.add_argument("--keys", action="store_true", help="print each part's cache key instead of its state")
    commands.add_parser("explain", parents=[common], help="why each part would rerun (code, config, data)")

    ocr = commands.add_parser("ocr", parents=[common], help="read handwritten pages with a trained network")
    ocr.add_argument("images", nargs="+", metavar="IMAGE", help="page images (JPEG/PNG; grey, RGB or RGBA)")
    ocr.add_argument("--model", choices=sorted(OCR_MODELS), default="mlp",
                     help="mlp: the Q3 numpy network (default); cnn: the Q6.1 CNN ensemble")
    ocr.add_argument("--json", action="store_true", help='print {"IMAGE": ["LINE 1", ...], ...}')
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["build", *argv]
    return parser.parse_args(argv)


def options(args: argparse.Namespace) -> Options:
    opts = Options(targets=getattr(args, "section", []), force=getattr(args, "force", False), profile=args.profile,
                   seed=args.seed, device=args.device, data=args.data, out=args.out.resolve(),
                   author=getattr(args, "author", None), skip_missing=getattr(args, "skip_missing", False),
                   progress=sys.stderr.isatty() and not os.environ.get("CI"))
    if getattr(args, "publish", None) is not None:
        opts.publish = Path(args.publish) if args.publish else opts.build_dir / "site"
    return opts


def check_device(name: str) -> None:
    """Refuse a device torch cannot use before anything runs (torch is imported only for a non-CPU device)."""
    if name != "cpu":
        from hw5.pytorch.train import pick_device

        pick_device(name)


def ocr(args: argparse.Namespace, opts: Options) -> int:
    """Print the lines read from each image, training the chosen network first if it is not cached."""
    from hw5 import mlp
    from hw5.ocr import read_image, recognise

    def say(msg):
        print(msg, file=sys.stderr)          # progress to stderr; the text alone goes to stdout
    try:
        images = {path: read_image(path) for path in args.images}
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
    results = {p: recognise(image, classify)[0] for p, image in images.items()}
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for i, (p, lines) in enumerate(results.items()):
            if len(results) > 1:
                print(("\n" if i else "") + f"== {p} ==")
            print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)

    def warn(msg):
        print(msg, file=sys.stderr)
    try:
        check_device(args.device)
        opts = options(args)
        if args.command == "list":
            list_parts(project(), opts, warn=warn, keys=args.keys)
        elif args.command == "explain":
            explain_parts(project(), opts, warn=warn)
        elif args.command == "ocr":
            return ocr(args, opts)
        else:
            outputs = build(project(), opts, warn=warn)
            print("wrote " + ", ".join(str(p) for p in outputs.values()))
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
