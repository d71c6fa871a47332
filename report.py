#!/usr/bin/env python3
"""Build the HW5 writeup: run the experiments (or take them from the cache) and render HTML + PDF.

    python report.py --all                  every section, cached ones skipped
    python report.py --section q2           rerun q2, re-render everything from the cache
    python report.py --list | --explain     what is cached, and why a section would rerun
    python report.py --publish [DIR]        also write a static site (default build/site)
    python report.py ocr IMAGE... [--json]  read handwritten pages with the trained network
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hw5.errors import ConfigError as LibraryConfigError, DataError as LibraryDataError
from reportkit.errors import ReportError
from reportkit.pipeline import Options, build_report, explain_sections, list_sections


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="report.py", description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--all", action="store_true", help="build every section (the default)")
    what.add_argument("--section", action="append", default=[], metavar="ID",
                      help="rerun this section even if cached (repeatable), e.g. --section q2")
    what.add_argument("--list", action="store_true", help="list sections, titles and cache state")
    what.add_argument("--explain", action="store_true", help="say why each section would rerun")
    parser.add_argument("--force", action="store_true", help="rerun even cached sections")
    parser.add_argument("--profile", choices=["full", "smoke"], default="full",
                        help="full: the real writeup; smoke: tiny slices in seconds, stamped on every page")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random generator (default 0)")
    parser.add_argument("--device", default="cpu", help="torch device for Q6, e.g. cpu or cuda (default cpu)")
    parser.add_argument("--data", metavar="DIR", help="data root (else $HW5_DATA, ./hw5data, ../shared/hw5data)")
    parser.add_argument("--out", metavar="DIR", type=Path, help="where build/ and figures/ go (default: here)")
    parser.add_argument("--publish", metavar="DIR", nargs="?", const="",   # "": no DIR given
                        help="also write a self-contained static site (index.html + figures/), default build/site")
    parser.add_argument("--skip-missing", action="store_true",
                        help="skip sections whose data or weights are missing, with a notice in the writeup "
                             "(without it a missing file is an error)")
    parser.add_argument("--author", help="author on the title page (default: pyproject [tool.hw5report])")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ocr"]:              # python report.py ocr IMAGE... [--model mlp|cnn] [--json]
        from experiments.ocr_cli import main as ocr_main
        return ocr_main(argv[1:])
    args = parse_args(argv)
    opts = Options(selected=args.section, force=args.force, profile=args.profile, seed=args.seed,
                   device=args.device, data=args.data, author=args.author, skip_missing=args.skip_missing,
                   progress=sys.stderr.isatty() and not os.environ.get("CI"))
    if args.out:
        opts.out = args.out.resolve()
    if args.publish is not None:
        opts.publish = Path(args.publish) if args.publish else opts.build_dir / "site"
    try:
        if args.list:
            list_sections(opts)
        elif args.explain:
            explain_sections(opts)
        else:
            outputs = build_report(opts)
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
        print("interrupted: finished sections stay cached; rerun the same command to continue", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
