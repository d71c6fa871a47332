"""Runtime helpers of the training loops: BLAS and torch thread limits, and progress bars.

The numpy matrix products of Q3 and Q5 are small ((32..64, 1024) @ (1024, 64)); on a busy 2-core machine
OpenBLAS's spinning worker threads made them 20-50x slower than one thread (measured by the Q3 and Q5 runs).
"""
from threadpoolctl import threadpool_limits
from tqdm import tqdm


def blas_threads(n: int):
    """`with blas_threads(1): ...` runs the block with numpy's BLAS limited to n threads."""
    return threadpool_limits(n, user_api="blas")


def progress(iterable, enabled: bool, desc: str):
    """Wrap an iterable in a tqdm bar when enabled; callers update the postfix (loss, accuracy) themselves."""
    return tqdm(iterable, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)


TORCH_THREADS = 2     # fixed: torch's CPU reductions depend on the thread count, so results would depend on
                      # where a part runs (1 thread on a Dask worker of a 2-core machine, 2 in one process)


def torch_threads(n: int = TORCH_THREADS) -> int:
    """Run torch on exactly n threads, whatever the process was started with, so a part's numbers are the same
    in-process and on any worker."""
    import torch

    torch.set_num_threads(n)
    return torch.get_num_threads()
