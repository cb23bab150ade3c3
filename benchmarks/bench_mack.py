"""Mack chain ladder (factors, ultimates, standard errors) on all CAS Loss Reserve Database triangles.

Peer: chainladder-python 0.10.1 ``Development`` + ``MackChainladder`` on the same 775 company × line
triangles, paid and incurred (1,550 triangles), in one vectorised call each. A synthetic 100,000-segment
run shows that aktuar stays within memory where the peer would need far more (it is not run there).
"""

from __future__ import annotations

import warnings

import numpy as np

from aktuar.core.reserving import Development, Triangle
from aktuar.core.reserving.mack import Mack
from benchmarks.common import measure, row

GOAL = "Mack on all 775 × 2 CLRD triangles ≥ 5× faster than chainladder; a 100,000-segment run within memory."


def clrd_triangles() -> list[tuple[str, object, Triangle]]:
    import chainladder as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clrd = cl.load_sample("clrd")
    out = []
    for col in ("CumPaidLoss", "IncurLoss"):
        t = clrd[col]
        v = np.asarray(t.values[:, 0], dtype=float)
        observed = np.asarray(t.nan_triangle, dtype=float) == 1
        v = np.where(observed[None] & np.isnan(v), 0.0, v)
        tri = Triangle(values=v, origin=tuple(str(o) for o in t.origin), development=np.asarray(t.development),
                       segments=tuple((str(i),) for i in range(v.shape[0])), segment_names=("id",))
        out.append((col, t, tri))
    return out


def synthetic(n_segments: int, n: int = 10, seed: int = 11) -> Triangle:
    rng = np.random.default_rng(seed)
    first = rng.lognormal(10, 1, size=(n_segments, n, 1))
    growth = 1 + rng.gamma(2, 0.25, size=(n_segments, n, n - 1)) * np.exp(-0.6 * np.arange(n - 1))
    cum = np.concatenate([first, first * np.cumprod(growth, axis=2)], axis=2)
    cum[:, np.arange(n)[:, None] + np.arange(n)[None, :] > n - 1] = np.nan
    return Triangle(values=cum, origin=tuple(str(2010 + i) for i in range(n)), development=np.arange(1, n + 1) * 12,
                    segments=tuple((str(i),) for i in range(n_segments)), segment_names=("id",))


def run(quick: bool = False) -> list[dict]:
    import chainladder as cl

    tris = clrd_triangles()

    def ours() -> None:
        for _, _, tri in tris:
            Mack(Development(sigma="loglinear")).fit(tri)

    def peer() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _, t, _ in tris:
                cl.MackChainladder().fit(cl.Development().fit_transform(t))

    repeat = 1 if quick else 3
    rows = [row("Mack, CLRD 775 × 2 (paid + incurred), 10 × 10", measure(ours, repeat), "chainladder 0.10.1",
                measure(peer, repeat), "same data, log-linear σ (chainladder's default)")]
    n_big = 10_000 if quick else 100_000
    big = synthetic(n_big)
    res_box: dict[str, object] = {}

    def ours_big() -> None:
        res_box["r"] = Mack(Development(sigma="mack")).fit(big)

    t_big = measure(ours_big, 1, warmup=False)
    input_mb = big.values.nbytes / 1e6
    rows.append(row(f"Mack, synthetic {n_big:,} segments × 10 × 10", t_big, "chainladder 0.10.1", None,
                    f"peer not run at this size; input {input_mb:,.0f} MB"))
    n_mid = 2_000 if quick else 10_000
    mid = synthetic(n_mid)

    def ours_mid() -> None:
        Mack(Development(sigma="loglinear")).fit(mid)

    def peer_mid() -> None:
        import pandas as pd

        rows_df = []
        v = mid.values
        o_idx, d_idx = np.nonzero(np.isfinite(v[0]))
        for s in range(v.shape[0]):
            rows_df.append(pd.DataFrame({"seg": s, "origin": 2010 + o_idx, "dev": 2010 + o_idx + d_idx,
                                         "value": v[s, o_idx, d_idx]}))
        df = pd.concat(rows_df)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = cl.Triangle(df, origin="origin", development="dev", columns="value", index="seg", cumulative=True)
            cl.MackChainladder().fit(cl.Development().fit_transform(t))

    rows.append(row(f"Mack, synthetic {n_mid:,} segments × 10 × 10", measure(ours_mid, 1), "chainladder 0.10.1",
                    measure(peer_mid, 1), "peer time includes building its Triangle from a frame"))
    return rows
