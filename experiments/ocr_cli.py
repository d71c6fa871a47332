"""`python report.py ocr IMAGE... [--model mlp|cnn] [--json]`: read handwritten pages with the trained networks.

Weights come from the report's published artifacts (build/artifacts/); when they are missing, the section that
trains them is built first through the report pipeline (cached like any other build).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hw5 import mlp, ocr

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# model -> (artifact file under build/artifacts, the section that writes it)
MODELS = {"mlp": ("q3_weights.npz", "q3"), "cnn": ("q6_cnn_nist36.pt", "q6_1")}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="report.py ocr", description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="page images (JPEG/PNG; grey, RGB or RGBA)")
    parser.add_argument("--model", choices=sorted(MODELS), default="mlp",
                        help="mlp: the Q3 numpy network (default); cnn: the Q6.1 CNN")
    parser.add_argument("--json", action="store_true", help='print {"IMAGE": ["LINE 1", ...], ...}')
    parser.add_argument("--out", metavar="DIR", type=Path, default=PROJECT_ROOT,
                        help="where the report's build/ lives (default: the project)")
    parser.add_argument("--data", metavar="DIR", help="data root, if the weights must be trained first")
    return parser.parse_args(argv)


def weights_path(model: str, args: argparse.Namespace, say) -> Path:
    """The model's artifact, training it through the report pipeline first if it is missing."""
    file, section = MODELS[model]
    path = args.out / "build" / "artifacts" / file
    if not path.is_file():
        from reportkit.pipeline import Options, build_report

        say(f"no trained {model} at {path}: building section {section} first "
            f"(python report.py --section {section})")
        build_report(Options(selected=[section], data=args.data, out=args.out.resolve()), say=say)
    return path


def load_classifier(model: str, path: Path):
    """A callable rows (N, 1024) -> probabilities (N, 36) for `model` ("mlp" or "cnn") from its artifact."""
    if model == "mlp":
        with np.load(path) as weights:
            return mlp.classifier(dict(weights))
    from hw5.pytorch.models import load_nist36_cnn

    return load_nist36_cnn(path)


def main(argv: list[str] | None = None) -> int:
    from reportkit.errors import ReportError

    args = parse_args(argv)
    say = lambda msg: print(msg, file=sys.stderr)        # noqa: E731 - progress goes to stderr, text to stdout
    try:
        images = {path: ocr.read_image(path) for path in args.images}
    except ValueError as e:
        say(f"error: {e}")
        return 2
    try:
        path = weights_path(args.model, args, say)
    except ReportError as e:
        say(f"error: {e}")
        return e.exit_code
    try:
        classify = load_classifier(args.model, path)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        say(f"error: cannot load the {args.model} weights {path} ({type(e).__name__}: {e}); rebuild them with "
            f"python report.py --section {MODELS[args.model][1]} --force")
        return 2
    results = {path: ocr.recognise(image, classify)[0] for path, image in images.items()}
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for i, (path, lines) in enumerate(results.items()):
            if len(results) > 1:
                print(("\n" if i else "") + f"== {path} ==")
            print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
