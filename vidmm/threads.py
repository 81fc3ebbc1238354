"""One thread budget per process, read by every library that keeps a thread pool.

By default a process may use every core it can run on. ``vidmm batch`` runs N worker processes and gives
each a share (``limit(n)`` first thing in the worker, before any library starts its pool). Every pool
vidmm starts takes its size from ``budget()``: torch (intra-op), onnxruntime (face detector, expression),
LiteRT (YAMNet), CTranslate2 (Whisper), OpenCV, and BLAS/OpenMP/numba through their environment variables.
Without this each library starts one thread per core in every worker: measured on the 2-core box, the
backbone set torch back to 2 threads in each of 2 workers (4 busy threads on 2 cores).
"""

from __future__ import annotations

import os

#: The budget, as an environment variable so that it reaches libraries that read their own.
ENV = "VIDMM_THREADS"
#: Pools sized from the environment when they start (OpenMP in torch/onnxruntime, BLAS, numexpr, numba, rayon).
POOL_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
            "NUMBA_NUM_THREADS", "RAYON_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")


def cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def budget(cap: int | None = None) -> int:
    """Threads one pool in this process may use: env VIDMM_THREADS, else every core; at most ``cap``."""
    try:
        n = int(os.environ.get(ENV, "0") or 0)
    except ValueError:
        n = 0
    n = n if n > 0 else cores()
    return max(1, min(n, cap) if cap else n)


def limit(threads: int) -> None:
    """Give this process ``threads`` threads per pool. Call before the libraries start their pools
    (first thing in a fresh worker process); OpenCV, already imported or not, is told directly."""
    threads = max(1, int(threads))
    os.environ[ENV] = str(threads)
    for name in POOL_ENV:
        os.environ[name] = str(threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import cv2
    except ImportError:  # pragma: no cover - a dependency
        return
    cv2.setNumThreads(threads)
