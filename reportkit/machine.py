"""The machine a part ran on, kept in its cache entry: float results move across instruction sets.

The same code and seed give numbers that differ in the last bits on another CPU (BLAS and oneDNN pick kernels
by the instruction set they find), and training amplifies that. So each entry records the CPU model, its widest
vector instruction set, and the kernels that the numerical libraries the part loaded chose (numpy's BLAS,
torch's CPU capability). It is a record, not part of the key: `verify` says when an entry came from another.
"""
from __future__ import annotations

import os
import platform
import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _cpuinfo() -> tuple[str, frozenset[str]]:
    """(model name, flags) of the first CPU in /proc/cpuinfo; ("", {}) where there is none (not Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return "", frozenset()
    fields = dict(line.split(":", 1) for line in text.split("\n\n")[0].splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    return fields.get("model name", ""), frozenset(fields.get("flags", "").split())


def vector_isa(flags: frozenset[str]) -> str:
    """The widest vector instruction set among the CPU's flags, as the kernels see it."""
    if "avx512f" in flags:
        return "AVX-512 with bf16" if "avx512_bf16" in flags else "AVX-512"
    if "avx2" in flags:
        return "AVX2"
    return "AVX" if "avx" in flags else "SSE or older" if flags else "unknown"


def describe() -> dict:
    """{"cpu", "isa", "cores", "kernels"}: kernels maps each numerical library the process loaded to what it
    chose (e.g. {"openblas": "Haswell", "torch": "AVX2"})."""
    model, flags = _cpuinfo()
    kernels = {}
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                kernels[lib.get("internal_api", "blas")] = str(lib.get("architecture") or lib.get("version"))
    except ImportError:
        pass
    if "torch" in sys.modules:                   # only a part that imported torch: never pay for the import
        kernels["torch"] = sys.modules["torch"].backends.cpu.get_cpu_capability()
    return {"cpu": model or platform.processor() or platform.machine(), "isa": vector_isa(flags),
            "cores": os.cpu_count(), "kernels": kernels}


def same_kernels(a: dict | None, b: dict | None) -> bool:
    """Whether two records ran the same kernels on the same instruction set (where exact agreement can hold)."""
    if not a or not b:
        return True                              # an entry from before machines were recorded: not known to differ
    return a.get("isa") == b.get("isa") and all(b.get("kernels", {}).get(k) == v for k, v in a.get("kernels", {}).items()
                                                if k in b.get("kernels", {}))


def summary(record: dict | None) -> str:
    """One line: 'AMD EPYC 7R13 (AVX2; openblas Haswell, torch AVX2)'."""
    if not record:
        return "not recorded"
    kernels = ", ".join(f"{k} {v}" for k, v in sorted(record.get("kernels", {}).items()))
    return f"{record.get('cpu', '?')} ({record.get('isa', '?')}{'; ' + kernels if kernels else ''})"
