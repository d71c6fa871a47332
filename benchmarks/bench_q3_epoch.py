#!/usr/bin/env python3
"""One training epoch of the Q3 network (1024-64-36, sigmoid, softmax, momentum SGD, float32) in our numpy
code and in torch on the CPU, side by side; prints both times and the ratio numpy/torch (goal <= 1.5).

    .venv/bin/python benchmarks/bench_q3_epoch.py [--threads 1] [--batch-size 32] [--repeats 5]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hw5 import mlp                                # noqa: E402
from hw5.data import load_nist36, resolve_data_root   # noqa: E402
from hw5.runtime import blas_threads               # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BATCH_SIZE = 32                                    # Q3's batch size (experiments/q3_nist_mlp.py)


def training_data() -> tuple[np.ndarray, np.ndarray, str]:
    """The NIST36 training set, centred as in Q3; random images of the same shape if there is no data."""
    try:
        x, y = load_nist36(resolve_data_root(None, ROOT), "train")          # float32, C order (see data.py)
        return x - x.mean(axis=0), y, "NIST36 train"
    except Exception:                                              # noqa: BLE001 - any reason: use stand-ins
        rng = np.random.default_rng(0)
        return rng.random((9000, 1024), dtype=np.float32) - 0.5, np.eye(36, dtype=np.float32)[rng.integers(0, 36, 9000)], "random"


def numpy_epoch(x, y, batch_size: int, seed: int) -> float:
    """Seconds for one epoch of hw5.mlp.train_epoch (fresh network)."""
    rng = np.random.default_rng(seed)
    params = mlp.init_training(64, rng)
    start = time.perf_counter()
    mlp.train_epoch(x, y, params, 0.1, 0.9, batch_size, rng)
    return time.perf_counter() - start


def torch_epoch(x: torch.Tensor, labels: torch.Tensor, batch_size: int, seed: int) -> float:
    """Seconds for one epoch of the same network, loss and optimiser in torch (fresh network)."""
    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(1024, 64), torch.nn.Sigmoid(), torch.nn.Linear(64, 36))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    start = time.perf_counter()
    order = torch.randperm(len(x), generator=gen)
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        loss = torch.nn.functional.cross_entropy(model(x[idx]), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads for both (default 1)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="default: Q3's batch size")
    parser.add_argument("--repeats", type=int, default=5, help="epochs timed per framework; the median is shown")
    args = parser.parse_args(argv)
    x, y, source = training_data()
    xt, lt = torch.from_numpy(x), torch.from_numpy(y.argmax(1))
    torch.set_num_threads(args.threads)
    times = {"numpy": [], "torch": []}
    with blas_threads(args.threads):
        for r in range(args.repeats):            # interleaved, so load from other processes hits both alike
            times["numpy"].append(numpy_epoch(x, y, args.batch_size, r))
            times["torch"].append(torch_epoch(xt, lt, args.batch_size, r))
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"data: {source}, {len(x)} images; batch {args.batch_size}; {args.threads} thread(s); "
          f"torch {torch.__version__}, numpy {np.__version__}")
    for k, v in times.items():
        print(f"{k:6s} epoch: median {med[k]:.3f} s  (min {min(v):.3f}, max {max(v):.3f}, {len(v)} epochs)")
    print(f"ratio numpy/torch: {med['numpy'] / med['torch']:.2f}  (goal <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
