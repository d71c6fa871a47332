"""Compare the metrics of two builds' results.json, leaf by leaf; timings and build metadata aside.

    .venv/bin/python scripts/compare_results.py OLD.json NEW.json [--rename OLD=NEW ...] [--show 20]

A leaf is a dotted path (q3.sweep.0.1, q6_1.cnn.history.valid_acc.2). --rename maps a path prefix of OLD to the
same value's path in NEW (e.g. q6_1.fc_valid_accuracy=q6_1.fc.final_valid, q3.config=q3.config.train; with
a trailing *, any string prefix: q6_1.config.fc_*=q6_1.config.nist_fc.*) for builds whose results moved. Prints how many leaves are identical, differ, or exist on one side only, and the
first --show of each kind.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

SKIP = ("seconds", "load_average", "cpu_seconds", "cpus", "threads", "history.seconds", "train_seconds",
        "reach_90.seconds", "transfer_seconds", "pca_time_share")


def leaves(value, path="") -> dict[str, object]:
    """{dotted path: scalar} of a JSON value."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(leaves(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(leaves(v, f"{path}.{i}"))
        return out
    return {path: value}


def timing(path: str) -> bool:
    parts = path.split(".")
    return parts[0] == "meta" or any(s in path for s in SKIP) or any(p.endswith("seconds") for p in parts)


def renamed(path: str, rules: list[tuple[str, str]]) -> str:
    """The path under the first rule that matches: OLD=NEW renames a dotted prefix, OLD*=NEW* any prefix."""
    for old, new in rules:
        if old.endswith("*") and path.startswith(old[:-1]):
            return new.rstrip("*") + path[len(old) - 1:]
        if path == old or path.startswith(old + "."):
            return new + path[len(old):]
    return path


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def compare(old_results: dict, new_results: dict, rules: list[tuple[str, str]] = ()):
    """(identical, differ, only in old, only in new): lists of leaf paths, timings aside, old paths renamed."""
    old = {renamed(k, rules): v for k, v in leaves(old_results).items() if not timing(k)}
    new = {k: v for k, v in leaves(new_results).items() if not timing(k)}
    return ([k for k in old if k in new and same(old[k], new[k])],
            [k for k in old if k in new and not same(old[k], new[k])],
            [k for k in old if k not in new], [k for k in new if k not in old])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    parser.add_argument("--show", type=int, default=20)
    args = parser.parse_args()
    rules = sorted((tuple(r.split("=", 1)) for r in args.rename), key=lambda r: -len(r[0]))
    old_results, new_results = json.loads(args.old.read_text()), json.loads(args.new.read_text())
    equal, differ, only_old, only_new = compare(old_results, new_results, rules)
    old = {renamed(k, rules): v for k, v in leaves(old_results).items()}
    new = leaves(new_results)
    print(f"{len(equal)} identical, {len(differ)} differ, {len(only_old)} only in {args.old.name}, "
          f"{len(only_new)} only in {args.new.name}")
    for title, keys in (("differ", differ), ("only old", only_old), ("only new", only_new)):
        for k in keys[:args.show]:
            print(f"  {title:8s} {k}: {old.get(k, '-')!r} -> {new.get(k, '-')!r}")
        if len(keys) > args.show:
            print(f"  {title:8s} ... and {len(keys) - args.show} more")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
