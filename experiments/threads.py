"""BLAS thread limits for the numpy training loops (Q3, Q5).

Their matrix products are small ((32..64, 1024) @ (1024, 64)); on a busy 2-core machine OpenBLAS's spinning
worker threads made them 20-50x slower than one thread (measured by the Q3 and Q5 runs).
"""
from threadpoolctl import threadpool_limits


def blas_threads(n: int):
    """`with blas_threads(1): ...` runs the block with numpy's BLAS limited to n threads."""
    return threadpool_limits(n, user_api="blas")
