"""Life/annuity model-point projection: lifelib BasicTerm_ME side by side, 1,000,000 points with CSM, Dask scaling.

Peer: lifelib 0.17.2 (modelx 0.33.0) ``basiclife.BasicTerm_ME``, its own 10,000 model points, ``result_pv()``
(present values of premiums, claims, expenses, commissions per model point), calculation time only (the model
is read once; each timed call starts from cleared caches). aktuar reproduces the same per-model-point present
values (max relative error in the notes). The large case projects 1,000,000 synthetic life and annuity model
points monthly over 40 years in chunks, aggregates monthly cash flows into 45 IFRS 17 groups and measures the CSM
of each group with the GMM. The Dask rows run the same projection on a LocalCluster with 1 and 2 worker
processes (one thread each); the ratio is the scaling from 1 to 2 workers.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from typing import Any

import numpy as np

from aktuar.core.projection import (
    AnnualSpotRates,
    Assumptions,
    DecrementTable,
    ModelPoints,
    PremiumRateTable,
    basic_term_assumptions,
    csm_per_group,
    project,
)
from benchmarks.common import row

GOAL = ("BasicTerm_ME: same PVs (≤ 1e-9 rel) ≥ 30× faster than lifelib; 1,000,000 points × 480 months with "
        "CSM per group ≤ 20 s and ≤ 4 GB peak; Dask 2 workers identical to local, scaling recorded.")


def _best(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_mb(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def lifelib_case(tmp: str) -> tuple[Any, ModelPoints, Assumptions, dict[str, np.ndarray]]:
    import lifelib
    import modelx

    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        lifelib.create("basiclife", "bl")
        model = modelx.read_model(os.path.join(tmp, "bl", "BasicTerm_ME"))
    finally:
        os.chdir(cwd)
    p = model.Projection
    mpt, mort, prem = p.model_point_table, p.mort_table, p.premium_table
    table = PremiumRateTable(prem.index.get_level_values(0).to_numpy(), prem.index.get_level_values(1).to_numpy(),
                             prem.to_numpy())
    a = basic_term_assumptions(mort.to_numpy(dtype=float), int(mort.index[0]), p.disc_rate_ann.to_numpy(), table)
    mp = ModelPoints(age_at_entry=mpt["age_at_entry"].to_numpy(), policy_term=mpt["policy_term"].to_numpy(),
                     sum_insured=mpt["sum_assured"].to_numpy(dtype=float),
                     policy_count=mpt["policy_count"].to_numpy(dtype=float),
                     duration_mth=mpt["duration_mth"].to_numpy())
    ref = p.result_pv()
    return model, mp, a, {c: ref[c].to_numpy(dtype=float) for c in ref.columns}


def synthetic(n: int, seed: int = 2024) -> tuple[ModelPoints, Assumptions]:
    """n life and annuity model points (terms up to 40 years) in 3 portfolios × 5 cohorts × 3 profitability.

    Premiums are priced roughly (expected claims and expenses at 10 %, an annuity-certain for annuities) and
    scaled by a profitability factor per group label (onerous 0.7, no significant risk 1.6, other 1.15).
    """
    rng = np.random.default_rng(seed)
    product = rng.choice(np.array(["term", "endowment", "annuity"]), n, p=[0.6, 0.3, 0.1])
    age = rng.integers(20, 61, n)
    term = np.minimum(rng.integers(5, 41, n), 100 - age)
    dur = np.minimum(rng.integers(-12, 12 * 5, n), 12 * term - 1)
    sa = rng.integers(1, 200, n) * 50_000.0
    labels = np.array([f"P{p}/{c}/{g}" for p in range(3) for c in range(2020, 2025)
                       for g in ("onerous", "no-sig", "other")])
    gi = rng.integers(0, labels.size, n)
    factor = np.array([0.7, 1.6, 1.15])[gi % 3]
    ages = np.arange(18, 121)
    q = np.minimum(1.0, 0.0004 * np.exp(0.085 * (ages - 18)))
    i_m = 1.1 ** (1 / 12) - 1
    months = 12 * term
    annuity_due = (1 - (1 + i_m) ** -months) / (1 - 1 / (1 + i_m))
    q_mid = q[np.minimum(age + term // 2 - 18, ages.size - 1)]
    risk = (sa * q_mid + 6_000.0) / 12 + 20_000.0 / annuity_due
    endow = sa * (1 + i_m) ** -months / annuity_due
    annuity_amount = sa / 400
    premium = np.where(product == "term", risk, np.where(product == "endowment", risk + endow,
                                                          annuity_amount * annuity_due)) * factor
    mp = ModelPoints(
        age_at_entry=age, policy_term=term, sum_insured=np.where(product == "annuity", 0.0, sa),
        policy_count=rng.integers(1, 100, n).astype(float), duration_mth=dur, premium=premium,
        premium_frequency=np.where(product == "annuity", 0, 12), product=product,
        annuity_amount=np.where(product == "annuity", annuity_amount, 0.0), group=labels[gi],
    )
    a = Assumptions(
        mortality=DecrementTable.select_ultimate(np.column_stack([0.6 * q, 0.75 * q, 0.9 * q, q]), 18),
        lapse=DecrementTable.by_duration([0.12, 0.08, 0.05, 0.03]), discount=AnnualSpotRates(np.full(41, 0.1)),
        acquisition_expense=20_000.0, maintenance_expense=6_000.0, expense_inflation=0.06, commission=(0.3, 0.05),
    )
    return mp, a


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows = []
    repeat = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        model, mp, a, ref = lifelib_case(tmp)
        p = model.Projection

        def peer() -> None:
            model.clear_all()
            p.result_pv()

        peer()
        t_peer = _best(peer, 2 if quick else 3)
        project(mp, a, aggregate=False)
        t_pv = _best(lambda: project(mp, a, aggregate=False), repeat)
        t_full = _best(lambda: project(mp, a), repeat)
        res = project(mp, a)
        errs = {}
        for ours, col in ((res.pv_premiums, "PV Premiums"), (res.pv_claims, "PV Claims"),
                          (res.pv_expenses, "PV Expenses"), (res.pv_commissions, "PV Commissions")):
            r = ref[col]
            errs[col] = float(np.max(np.abs(ours - r) / np.where(r != 0, np.abs(r), 1.0)))
        gross = sum(np.abs(ref[c]) for c in errs)
        live = gross > 0
        net_err = float(np.max(np.abs(res.pv_net_cf - ref["PV Net Cashflow"])[live] / gross[live]))
        note = (f"max rel. error premiums/claims/expenses/commissions {max(errs.values()):.1e}; net cash flow "
                f"{net_err:.1e} × gross PVs; {res.months} months")
        mb_pv = _peak_mb(lambda: project(mp, a, aggregate=False))
        mb_peer = _peak_mb(peer)
        rows.append(row("BasicTerm_ME 10,000 points: PVs per model point (result_pv)", (t_pv, mb_pv),
                        "lifelib 0.17.2", (t_peer, mb_peer), note))
        rows.append(row("BasicTerm_ME 10,000 points: PVs + monthly cash flows per group", (t_full, _peak_mb(
            lambda: project(mp, a))), "lifelib 0.17.2", (t_peer, mb_peer), "peer computes PVs only"))
        model.close()

    n_big = 50_000 if quick else 1_000_000
    mp_big, a_big = synthetic(n_big)
    box: dict[str, Any] = {}

    def big() -> None:
        r = project(mp_big, a_big, months=480, chunk_size=5_000)
        box["csm"] = csm_per_group(r, ra_share=0.05)

    t0 = time.perf_counter()
    big()
    t_big = time.perf_counter() - t0
    mb_big = _peak_mb(big)
    n_onerous = sum(1 for m in box["csm"].values() if m.loss > 0)
    rows.append(row(f"{n_big:,} model points × 480 months, 45 groups, CSM per group", (t_big, mb_big), "—", None,
                    f"chunks of 5,000; {len(box['csm'])} groups measured ({n_onerous} onerous); "
                    f"{n_big / t_big:,.0f} points/s"))

    rows.extend(dask_rows(quick))
    return rows


def dask_rows(quick: bool) -> list[dict[str, Any]]:
    from distributed import Client, LocalCluster

    from aktuar.distributed import project as project_dask

    n = 40_000 if quick else 400_000
    mp, a = synthetic(n, seed=7)
    local = project(mp, a, months=480, chunk_size=5_000)
    per_task = max(5_000, n // 8)
    times = {}
    identical = True
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None,
                          memory_limit="3GB") as cluster, Client(cluster) as client:
            kw: dict[str, Any] = dict(months=480, chunk_size=5_000, client=client, points_per_task=per_task)
            project_dask(mp, a, **kw)  # warm up the workers
            t0 = time.perf_counter()
            res = project_dask(mp, a, **kw)
            times[workers] = time.perf_counter() - t0
            identical &= bool(np.array_equal(res.pv_net_cf, local.pv_net_cf)
                              and np.array_equal(res.flows.net_cf, local.flows.net_cf))
    return [row(f"Dask LocalCluster, {n:,} points × 480 months: 2 workers vs 1", (times[2], float("nan")),
                "aktuar on 1 Dask worker", (times[1], float("nan")),
                f"ratio = scaling 1 → 2 workers; tasks of {per_task:,} points; results identical to local: "
                f"{identical}; "
                f"{n / times[2]:,.0f} points/s on 2 workers")]
