"""Build benchmark: cold full build, cached rebuild, `--section q4` with q3 cached, peak memory.

    .venv/bin/python benchmarks/bench_build.py [--profile full|smoke] [--out DIR]

Each step is a separate `report.py` process in one fresh output folder, timed side by side in one run;
peak RSS is the largest child's maximum resident set (ru_maxrss). Results go to stdout and to
<out>/bench_build.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str], out: Path) -> dict:
    """Run report.py with args into out; returns seconds, peak RSS of that child and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "report.py", *args, "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if run.returncode != 0:
        sys.exit(f"report.py {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    # ru_maxrss of children is the max over all children so far: it is this child's peak only if it grew.
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(peak / 1024, 1) if peak > before else None,
            "sections": run.stdout.strip().splitlines()[:-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["full", "smoke"], default="full")
    parser.add_argument("--out", type=Path, help="output folder (default: a new temp dir, i.e. a cold cache)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="hw5bench-"))
    profile = ["--profile", args.profile]
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "profile": args.profile,
        "cold": timed(["--all", *profile], out),
        "cached": timed(["--all", *profile], out),
        "section_q4": timed(["--section", "q4", *profile], out),
    }
    results["peak_rss_mib"] = max(results[k]["peak_rss_mib"] or 0 for k in ("cold", "cached", "section_q4"))
    (out / "bench_build.json").write_text(json.dumps(results, indent=1))
    for step in ("cold", "cached", "section_q4"):
        print(f"{step:11s} {results[step]['seconds']:8.1f} s")
        for line in results[step]["sections"]:
            print(f"    {line}")
    print(f"peak RSS    {results['peak_rss_mib']:8.0f} MiB   ({results['machine']}; results in {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
