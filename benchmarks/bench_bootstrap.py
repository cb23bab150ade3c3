"""ODP bootstrap (England & Verrall) on the CAS Loss Reserve Database paid triangles, 10,000 simulations each.

Peer: chainladder-python 0.10.1 ``BootstrapODPSample(n_sims, random_state, hat_adj=False)`` + ``Chainladder()``
(its bootstrap takes one triangle at a time, so it runs in a loop over the 775 company × line triangles).
aktuar runs all 775 in one vectorised call with the matching options (no residual adjustment, gamma process
error). A triangle "fails" when the library raises or returns a non-finite mean or standard deviation of the
total reserve.
"""

from __future__ import annotations

import gc
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from aktuar.core.reserving import Triangle
from aktuar.core.reserving.bootstrap import BootstrapODP
from benchmarks.common import peak_mb, row

GOAL = ("10,000 simulations on each of the 775 CLRD paid triangles ≥ 50× faster than chainladder, "
        "≤ 1 GB peak, no failures.")


def clrd_paid() -> tuple[Any, Triangle]:
    """chainladder's CLRD ``CumPaidLoss`` and the same 775 triangles as one aktuar :class:`Triangle`."""
    import chainladder as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = cl.load_sample("clrd")["CumPaidLoss"]
    v = np.asarray(t.values[:, 0], dtype=float)
    observed = np.asarray(t.nan_triangle, dtype=float) == 1
    v = np.where(observed[None] & np.isnan(v), 0.0, v)  # chainladder stores zero cells as missing
    tri = Triangle(values=v, origin=tuple(str(o) for o in t.origin), development=np.asarray(t.development),
                   segments=tuple(tuple(str(x) for x in r) for r in t.index.itertuples(index=False)),
                   segment_names=("GRNAME", "LOB"))
    return t, tri


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


_peak = peak_mb


def _peer_one(tri: Any, n_sims: int, seed: int) -> bool:
    """chainladder's bootstrap of one triangle; True when it gives a finite total-reserve mean and s.d."""
    import chainladder as cl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sims = cl.BootstrapODPSample(n_sims=n_sims, random_state=seed, hat_adj=False).fit_transform(tri)
            total = np.asarray(cl.Chainladder().fit(sims).ibnr_.sum("origin").values, dtype=float).ravel()
        return bool(np.isfinite(total.mean()) and np.isfinite(total.std()))
    except Exception:  # noqa: BLE001 - any exception is a failure of the peer, counted
        return False


def _ours(tri: Triangle, n_sims: int) -> Callable[[], Any]:
    def fit() -> Any:
        return BootstrapODP(n_sims=n_sims, seed=1, df_adjustment=False, hat_adjustment=False).fit(tri)

    return fit


def _our_failures(res: Any) -> int:
    bad = ~(np.isfinite(res.ibnr).all(axis=1) & np.isfinite(res.se).all(axis=1) & np.isfinite(res.total_se)
            & np.isfinite(res.total_quantiles).all(axis=1))
    bad |= np.array([any("non-finite" in w for w in ws) for ws in res.warnings], dtype=bool)
    return int(bad.sum())


def run(quick: bool = False) -> list[dict]:
    cl_tri, tri = clrd_paid()
    n_all = tri.n_segments
    rows: list[dict] = []

    if quick:
        n_tri, n_sims = 50, 1000
        sample = list(range(n_tri))
        sub = tri.select(sample)
        fit = _ours(sub, n_sims)
        fit()  # warm-up
        ours_s, res = min((_timed(fit) for _ in range(3)), key=lambda x: x[0])
        ours_mb = _peak(fit)
        peer_s, oks = _timed(lambda: [_peer_one(cl_tri.iloc[i], n_sims, 1) for i in sample])
        peer_mb = max(_peak(lambda i=i: _peer_one(cl_tri.iloc[i], n_sims, 1)) for i in sample[:3])
        notes = (f"first {n_tri} CLRD paid triangles × {n_sims:,} simulations, both libraries run in full; "
                 f"failures: aktuar {_our_failures(res)}, chainladder {n_tri - sum(oks)} of {n_tri}; "
                 "peer peak = largest of 3 single-triangle runs (it handles one triangle at a time)")
        rows.append(row(f"bootstrap ODP, {n_tri} CLRD paid triangles × {n_sims:,} sims", (ours_s, ours_mb),
                        "chainladder 0.10.1", (peer_s, peer_mb), notes))
    else:
        n_sims = 10_000
        fit = _ours(tri, n_sims)
        ours_s, res = _timed(fit)
        del res
        ours_mb = _peak(fit)
        res = fit()
        # the peer on an evenly spread sample of triangles (≈ 2 s each at 10,000 simulations), extrapolated
        sample = list(range(0, n_all, 31))
        peer_s_sample, oks = _timed(lambda: [_peer_one(cl_tri.iloc[i], n_sims, 1) for i in sample])
        peer_s = peer_s_sample / len(sample) * n_all
        peer_mb = max(_peak(lambda i=i: _peer_one(cl_tri.iloc[i], n_sims, 1)) for i in sample[:3])
        # the peer's failures over all 775 triangles, counted with 100 simulations each (they come from the data:
        # an empty residual pool raises, zero columns give non-finite reserves)
        fails_all = sum(not _peer_one(cl_tri.iloc[i], 100, 1) for i in range(n_all))
        notes = (f"aktuar: all {n_all} triangles in one call, {_our_failures(res)} failures; chainladder: timed on "
                 f"{len(sample)} evenly spread triangles ({peer_s_sample:,.0f} s, {len(sample) - sum(oks)} failed) and "
                 f"extrapolated ×{n_all}/{len(sample)}; it fails on {fails_all} of {n_all} triangles (counted with "
                 "100 simulations each); peer peak = largest of 3 single-triangle runs")
        rows.append(row(f"bootstrap ODP, all {n_all} CLRD paid triangles × {n_sims:,} sims", (ours_s, ours_mb),
                        "chainladder 0.10.1", (peer_s, peer_mb), notes))

    # one classic triangle, Taylor–Ashe, both libraries in full
    import chainladder as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        genins = cl.load_sample("genins")
    g = Triangle(values=np.asarray(genins.values[:, 0], dtype=float), origin=tuple(str(o) for o in genins.origin),
                 development=np.asarray(genins.development))
    n_g = 10_000
    fit_g = _ours(g, n_g)
    fit_g()
    ours_g = min(_timed(fit_g)[0] for _ in range(3))
    peer_g = min(_timed(lambda: _peer_one(genins, n_g, 1))[0] for _ in range(1 if quick else 2))
    rows.append(row(f"bootstrap ODP, Taylor–Ashe (genins) × {n_g:,} sims", (ours_g, _peak(fit_g)),
                    "chainladder 0.10.1", (peer_g, _peak(lambda: _peer_one(genins, n_g, 1))),
                    "one 10 × 10 triangle, both run in full"))
    return rows
