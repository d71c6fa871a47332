"""Build benchmark: cold full builds in-process and on a local Dask cluster, side by side, with peak memory.

    .venv/bin/python benchmarks/bench_build.py [--profile full|smoke] [--jobs 1 2] [--out DIR]

For each --jobs value, in one run on one machine: a cold build (`report.py --all --jobs N` into its own empty
output folder), then, for the first value only, the same command again (everything cached) and `--section q4`
(q4 reruns; q3 and q6_1, which it consumes, stay cached). The metrics of every cold build are compared with
the first one's, leaf by leaf (scripts/compare_results.py, timings aside). Peak memory is the largest sum, sampled
every 0.2 s, of the proportional set sizes (PSS) of report.py and all its descendants (Dask workers, forked
numpy workers): a page shared by a forked child and its parent counts once, where summed RSS counted it twice.
Before and after the builds it probes the machine's speed (`machine_speed`), which differs between days on
shared machines.
Results go to stdout and to <out>/bench_build.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from compare_results import compare  # noqa: E402


def tree_memory(proc: psutil.Process) -> int:
    """Bytes of memory of proc and every process below it, shared pages split between their sharers (PSS;
    RSS where the system has no PSS); processes that vanish while summed count as 0."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except psutil.Error:
            pass
    return total


def timed(args: list[str], out: Path) -> dict:
    """Run report.py with args into out; returns its seconds, peak tree memory (PSS) and per-part lines."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "report.py", *args, "--out", str(out)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, done = 0, threading.Event()

    def sample():
        nonlocal peak
        proc = psutil.Process(child.pid)
        while not done.wait(0.2):
            try:
                peak = max(peak, tree_memory(proc))
            except psutil.Error:
                return
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        sys.exit(f"report.py {' '.join(args)} failed:\n{stderr[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_pss_mib": round(peak / 2 ** 20),
            "parts": [line for line in stdout.splitlines() if " ran " in line]}


def machine_speed(seconds: float = 8.0) -> dict:
    """The machine's speed now, by the same code on any day: GFLOP/s of a 1024^3 fp32 matmul and images/s of a
    NIST36 CNN training step (batch 128, channels-last), both on the parts' 2 torch threads. Probed before and
    after the builds, so that a slower or busier machine (another job, a hypervisor's steal) can be told apart
    from slower code when two days' builds are compared."""
    import torch
    sys.path.insert(0, str(ROOT))
    from hw5.pytorch.models import NistCNN
    from hw5.runtime import torch_threads

    torch_threads()

    def rate(step, work: float) -> float:
        step()
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            step()
            n += 1
        return work * n / (time.perf_counter() - start)

    a = torch.randn(1024, 1024)
    model = NistCNN().to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters())
    x, y = torch.randn(128, 1, 32, 32), torch.randint(0, 36, (128,))

    def train_step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return {"gemm_gflops": round(rate(lambda: a @ a, 2 * 1024 ** 3) / 1e9, 1),
            "cnn_images_per_s": round(rate(train_step, 128))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["full", "smoke"], default="full")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker processes per cold build")
    parser.add_argument("--out", type=Path, help="parent of the output folders (default: a new temp dir)")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="hw5bench-"))
    profile = ["--profile", args.profile]
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "profile": args.profile, "cold": {}}
    first = root / f"jobs{args.jobs[0]}"
    results["speed_before"] = machine_speed()
    print(f"machine before: {results['speed_before']}", flush=True)
    for jobs in args.jobs:
        out = root / f"jobs{jobs}"
        results["cold"][jobs] = run = timed(["--all", "--jobs", str(jobs), *profile], out)
        print(f"cold --jobs {jobs}   {run['seconds']:8.1f} s   peak PSS {run['peak_pss_mib']} MiB", flush=True)
        if out != first:
            same, differ, _, _ = compare(json.loads((first / "build" / "results.json").read_text()),
                                         json.loads((out / "build" / "results.json").read_text()))
            run["metrics_identical"], run["metrics_differ"] = len(same), len(differ)
            print(f"    metrics vs --jobs {args.jobs[0]}: {len(same)} identical, {len(differ)} differ "
                  f"{sorted(differ)[:5]}", flush=True)
    jobs = str(args.jobs[0])
    results["cached"] = timed(["--all", "--jobs", jobs, *profile], first)
    results["section_q4"] = timed(["--section", "q4", "--jobs", jobs, *profile], first)
    for step in ("cached", "section_q4"):
        print(f"{step:15s} {results[step]['seconds']:8.1f} s")
    results["speed_after"] = machine_speed()
    print(f"machine after: {results['speed_after']}")
    (root / "bench_build.json").write_text(json.dumps(results, indent=1))
    print(f"({results['machine']}; per-part lines in {root / 'bench_build.json'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
