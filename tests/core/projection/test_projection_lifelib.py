"""Differential test against lifelib 0.17.2 ``basiclife.BasicTerm_ME`` (modelx 0.33.0) on its 10,000 model points.

Source: lifelib (https://lifelib.io), library ``basiclife``, model ``BasicTerm_ME``, ``Projection.result_pv()``;
its inputs (model_point_table, mort_table, disc_rate_ann, premium_table) are read from the created model and fed
to aktuar's general API through :func:`basic_term_assumptions` — the documented mapping of lifelib's formulas:

- term product, monthly step, ``duration_mth`` at t = 0 (≤ 0: new business issued at month ``−duration``);
- mortality ``mort_table`` by attained age × policy year capped at 5 (select/ultimate), monthly
  ``1 − (1 − q)^(1/12)``; lapses ``max(0.1 − 0.02 × duration, 0.02)`` on the survivors of deaths;
- premium ``round(sum_assured × premium_table[age_at_entry, policy_term], 2)`` monthly on the in-force
  before decrements; commissions 100 % of first-year premiums; acquisition expense 300 per new policy,
  maintenance 60 a year × 1.01^(t/12); all cash flows discounted from the start of month ``t`` with
  ``(1 + (1 + r_{t//12})^(1/12) − 1)^(−t)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from aktuar.core.projection import (
    ModelPoints,
    PremiumRateTable,
    basic_term_assumptions,
    project,
)

pytestmark = pytest.mark.req("KZ84-FCF")

modelx = pytest.importorskip("modelx")
lifelib = pytest.importorskip("lifelib")


@pytest.fixture(scope="module")
def lifelib_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Create lifelib's basiclife library in a temporary directory, run BasicTerm_ME once (≈ 3 s)."""
    root = tmp_path_factory.mktemp("lifelib")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        lifelib.create("basiclife", "bl")
        model = modelx.read_model(str(Path(root) / "bl" / "BasicTerm_ME"))
        proj = model.Projection
        pv = proj.result_pv()
        out = {
            "pv": {c: pv[c].to_numpy(dtype=float) for c in pv.columns},
            "mp": proj.model_point_table.copy(),
            "mort": proj.mort_table.copy(),
            "disc": proj.disc_rate_ann.to_numpy(dtype=float),
            "prem": proj.premium_table.copy(),
            "max_proj_len": int(proj.max_proj_len()),
        }
        model.close()
    finally:
        os.chdir(cwd)
    return out


def _inputs(run: dict[str, object]) -> tuple[ModelPoints, object]:
    mpt = run["mp"]
    mort = run["mort"]
    prem = run["prem"]
    table = PremiumRateTable(
        prem.index.get_level_values(0).to_numpy(), prem.index.get_level_values(1).to_numpy(), prem.to_numpy()
    )
    assumptions = basic_term_assumptions(mort.to_numpy(dtype=float), int(mort.index[0]), run["disc"], table)
    mp = ModelPoints(
        age_at_entry=mpt["age_at_entry"].to_numpy(),
        policy_term=mpt["policy_term"].to_numpy(),
        sum_insured=mpt["sum_assured"].to_numpy(dtype=float),
        policy_count=mpt["policy_count"].to_numpy(dtype=float),
        duration_mth=mpt["duration_mth"].to_numpy(),
        product="term",
        ids=mpt.index.to_numpy(),
    )
    return mp, assumptions


def _rel(ours: np.ndarray, ref: np.ndarray) -> float:
    scale = np.where(ref != 0, np.abs(ref), 1.0)
    return float(np.max(np.abs(ours - ref) / scale))


def test_basic_term_me_all_10000_points_match_lifelib(lifelib_run: dict[str, object]) -> None:
    """lifelib BasicTerm_ME result_pv(), all 10,000 model points: PVs within 1e-9 relative."""
    mp, assumptions = _inputs(lifelib_run)
    res = project(mp, assumptions, chunk_size=4_000)
    ref = lifelib_run["pv"]
    assert res.months == lifelib_run["max_proj_len"]
    assert _rel(res.pv_premiums, ref["PV Premiums"]) <= 1e-9
    assert _rel(res.pv_claims, ref["PV Claims"]) <= 1e-9
    assert _rel(res.pv_expenses, ref["PV Expenses"]) <= 1e-9
    assert _rel(res.pv_commissions, ref["PV Commissions"]) <= 1e-9
    gross = (
        np.abs(ref["PV Premiums"]) + np.abs(ref["PV Claims"]) + np.abs(ref["PV Expenses"])
        + np.abs(ref["PV Commissions"])
    )
    assert np.all(np.abs(res.pv_net_cf - ref["PV Net Cashflow"]) <= 1e-9 * gross)
    # Model points with zero policies (lifelib has some) give exact zeros.
    zero = mp.policy_count == 0
    assert zero.any() and np.all(res.pv_premiums[zero] == 0.0)


def test_basic_term_me_portfolio_totals_and_group_flows(lifelib_run: dict[str, object]) -> None:
    """Portfolio totals equal lifelib's; the discounted monthly group cash flows equal the summed PVs."""
    mp, assumptions = _inputs(lifelib_run)
    res = project(mp, assumptions)
    ref = lifelib_run["pv"]
    for ours, col in ((res.pv_premiums, "PV Premiums"), (res.pv_claims, "PV Claims"),
                      (res.pv_net_cf, "PV Net Cashflow")):
        assert ours.sum() == pytest.approx(ref[col].sum(), rel=1e-11)
    v = res.discount_factors[: res.months]
    assert res.flows.premiums[0] @ v == pytest.approx(res.pv_premiums.sum(), rel=1e-12)
    assert res.flows.claims[0] @ v == pytest.approx(res.pv_claims.sum(), rel=1e-12)
    assert res.flows.expenses[0] @ v == pytest.approx(res.pv_expenses.sum(), rel=1e-12)
    assert res.flows.commissions[0] @ v == pytest.approx(res.pv_commissions.sum(), rel=1e-12)
    assert res.flows.net_cf[0] @ v == pytest.approx(res.pv_net_cf.sum(), rel=1e-10)
    # PV-only mode gives the same present values.
    pv_only = project(mp, assumptions, aggregate=False)
    np.testing.assert_array_equal(pv_only.pv_net_cf, res.pv_net_cf)
