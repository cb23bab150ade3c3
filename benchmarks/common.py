"""Measuring helpers shared by the benchmarks: best-of-n wall time and peak memory of a call."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def measure(fn: Callable[[], Any], repeat: int = 3, warmup: bool = True) -> tuple[float, float]:
    """Best wall time over ``repeat`` calls (seconds) and the peak memory traced during one call (MB).

    tracemalloc sees numpy's allocations (numpy reports them to it) as well as Python objects, so the peak is
    comparable between two Python libraries measured in the same process.
    """
    if warmup:
        fn()
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best, peak_mb(fn)


def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak memory traced during one call of ``fn`` (MB)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def row(name: str, aktuar: tuple[float, float], peer_name: str, peer: tuple[float, float] | None,
        notes: str = "") -> dict[str, Any]:
    a_s, a_mb = aktuar
    p_s, p_mb = peer if peer is not None else (float("nan"), float("nan"))
    return {"name": name, "aktuar_s": a_s, "peer": peer_name, "peer_s": p_s,
            "ratio": p_s / a_s if peer is not None and a_s > 0 else float("nan"),
            "aktuar_peak_mb": a_mb, "peer_peak_mb": p_mb, "notes": notes}
