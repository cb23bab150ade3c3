"""Merz–Wüthrich one-year CDR standard errors: aktuar against chainladder-python.

chainladder-python 0.10.1 has no Merz–Wüthrich estimator; the closest computation it has is Mack's
standard error on the same triangles (same development factors, σ and projections), so the peer column
measures ``MackChainladder`` and the ratio compares like-sized work, not identical output. aktuar's timing
includes its own Mack standard errors, which ``MerzWuthrich`` also returns.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from aktuar.core.reserving import Development, Triangle
from aktuar.core.reserving.cdr import MerzWuthrich


def _measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall time of ``repeat`` calls (s) and peak traced memory of one call (MB)."""
    fn()  # warm-up (imports, caches)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return float(best), peak / 1e6


def _synthetic(n_segments: int, n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    first = rng.uniform(1e5, 1e6, size=(n_segments, n))
    base = 1.0 + 1.5 * np.exp(-0.5 * np.arange(n - 1))
    links = np.maximum(base * np.exp(rng.normal(0.0, 0.05, size=(n_segments, n, n - 1))), 1.0)
    cum = first[:, :, None] * np.concatenate([np.ones((n_segments, n, 1)), np.cumprod(links, axis=2)], axis=2)
    mask = np.arange(n)[None, :] + np.arange(n)[:, None] <= n - 1
    return np.where(mask[None], cum, np.nan)


def _cases(quick: bool) -> list[tuple[str, np.ndarray, Any]]:
    import chainladder as cl

    out: list[tuple[str, np.ndarray, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clrd = cl.load_sample("clrd")["CumPaidLoss"]
    v = np.asarray(clrd.values[:, 0], dtype=float)
    observed = np.asarray(clrd.nan_triangle, dtype=float) == 1
    out.append(("clrd paid 775 × 10 × 10", np.where(observed[None] & np.isnan(v), 0.0, v), clrd))
    n_seg, n = (200, 20) if quick else (2000, 30)
    syn = _synthetic(n_seg, n)
    out.append((f"synthetic {n_seg} × {n} × {n}", syn, None))
    return out


def _peer_triangle(values: np.ndarray) -> Any:
    import chainladder as cl
    import pandas as pd

    s, o, d = values.shape
    seg, org, dev = np.nonzero(np.isfinite(values))
    frame = pd.DataFrame(
        {
            "segment": seg,
            "origin": (2000 + org).astype(str),
            "valuation": (2000 + org + dev).astype(str),
            "value": values[seg, org, dev],
        }
    )
    return cl.Triangle(
        frame, origin="origin", development="valuation", columns="value", index="segment", cumulative=True
    )


def _peer_fit(cl: Any, peer: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dev = cl.Development(sigma_interpolation="mack").fit_transform(peer)
        return cl.MackChainladder().fit(dev)


def run(quick: bool = False) -> list[dict[str, Any]]:
    import chainladder as cl

    rows: list[dict[str, Any]] = []
    for name, values, peer_tri in _cases(quick):
        s, o, d = values.shape
        tri = Triangle(
            values=values,
            origin=tuple(str(i) for i in range(o)),
            development=np.arange(1, d + 1),
            segments=tuple((str(i),) for i in range(s)),
            segment_names=("segment",),
        )
        est = MerzWuthrich(Development(sigma="mack"))
        ours_s, ours_mb = _measure(lambda est=est, tri=tri: est.fit(tri), 1 if quick else 3)
        peer = peer_tri if peer_tri is not None else _peer_triangle(values)
        peer_s, peer_mb = _measure(lambda peer=peer: _peer_fit(cl, peer), 1 if quick else 3)
        rows.append(
            {
                "name": f"Merz–Wüthrich CDR s.e., {name}",
                "aktuar_s": ours_s,
                "peer": f"chainladder {cl.__version__} MackChainladder (no MW estimator in the peer)",
                "peer_s": peer_s,
                "ratio": peer_s / ours_s if ours_s > 0 else float("nan"),
                "aktuar_peak_mb": ours_mb,
                "peer_peak_mb": peer_mb,
                "notes": "aktuar: development + chain ladder + MW one-year s.e. + Mack s.e.; peer: development + Mack",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
