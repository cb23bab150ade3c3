"""UPR, RBNS, IBNR (item 8(5)), claims-settlement expenses (item 8(8)), unexpired risk (KZ191-OP)."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.reserving import ChainLadder, ClaimData, LargeLossSmoothing, from_array
from aktuar.core.statutory import ibnr, rbns, settlement_expenses, unearned_premium, unexpired_risk
from aktuar.errors import InputError

V = dt.date(2025, 12, 31)
TRI = [[100.0, 150, 165, 170], [110, 170, 185, np.nan], [120, 175, np.nan, np.nan], [130, np.nan, np.nan, np.nan]]


@pytest.mark.req("KZ191-OP")
def test_upr_pro_rata_by_day_with_reinsurance() -> None:
    """365-day cover 01.07.2025–30.06.2026: 181 of 365 days unearned at 31.12.2025."""
    r = unearned_premium([365.0, 100.0, 50.0, 0.0], ["2025-07-01", "2026-03-01", "2024-01-01", "2025-01-01"],
                         ["2026-06-30", "2027-02-28", "2024-12-31", "2025-12-31"], V, ["A", "A", "B", "B"],
                         reinsurance_share={"A": 0.5, "B": 0.2})
    np.testing.assert_allclose(r.gross, [181.0, 100.0, 0.0, 0.0])
    np.testing.assert_allclose(r.gross_by_class, [281.0, 0.0])
    np.testing.assert_allclose(r.reinsurance_by_class, [140.5, 0.0])
    np.testing.assert_allclose(r.net_by_class, [140.5, 0.0])
    c = unearned_premium([365.0], ["2025-07-01"], ["2026-06-30"], V, ["A"], ceded_premium=[73.0])
    assert c.reinsurance[0] == pytest.approx(73.0 * 181 / 365)


def test_upr_degenerate_inputs() -> None:
    e = unearned_premium([], [], [], V, [])
    assert e.total_gross == 0.0 and e.classes == ()
    with pytest.raises(InputError, match="ends before it starts"):
        unearned_premium([1.0], ["2025-02-01"], ["2025-01-01"], V, ["A"])
    with pytest.raises(InputError, match="no reinsurance share for class"):
        unearned_premium([1.0], ["2025-01-01"], ["2026-01-01"], V, ["A"], reinsurance_share={"B": 0.1})
    with pytest.raises(InputError, match="premium"):
        unearned_premium([-1.0], ["2025-01-01"], ["2026-01-01"], V, ["A"])
    with pytest.raises(InputError, match="no class"):
        unearned_premium([1.0], ["2025-01-01"], ["2026-01-01"], V, [""])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 800), st.integers(0, 800), st.floats(0, 1e9))
def test_upr_between_zero_and_premium(start_off: int, length: int, prem: float) -> None:
    s = np.datetime64("2024-06-01") + start_off
    r = unearned_premium([prem], [s], [s + length], V, ["A"])
    assert -1e-9 <= r.gross[0] <= prem * (1 + 1e-12)


@pytest.mark.req("KZ191-OP")
def test_rbns_with_settlement_expenses_and_share() -> None:
    """Open claims reported by V: declared − paid; expenses per claim or ratio × case (item 8(8))."""
    r = rbns(["c1", "c2", "c3", "c4"], ["A", "A", "B", "B"],
             ["2025-05-01", "2025-11-01", "2026-01-05", "2025-03-01"], [1000.0, 500, 300, 200], [400.0, 0, 0, 200],
             V, settled=[None, None, None, "2025-06-01"], expense_estimate=[np.nan, 20.0, np.nan, np.nan],
             expense_ratio={"A": 0.05, "B": 0.1}, reinsurance_share={"A": 0.5, "B": 0.0})
    np.testing.assert_allclose(r.case, [600.0, 500, 0, 0])
    np.testing.assert_allclose(r.expenses, [30.0, 20, 0, 0])
    np.testing.assert_allclose(r.gross_by_class, [1150.0, 0.0])
    np.testing.assert_allclose(r.reinsurance_by_class, [575.0, 0.0])
    assert list(r.count_by_class) == [2, 0]


@pytest.mark.req("KZ191-OP")
def test_ibnr_chain_ladder_records_item_8_5() -> None:
    tri = from_array(TRI, origin=["2022", "2023", "2024", "2025"])
    r = ibnr(tri, rationale="stable development", reinsurance_share=0.25)
    cl = ChainLadder().fit(tri)
    assert r.gross[0] == pytest.approx(cl.total_ibnr[0])
    rec = r.records[0]
    assert rec.loss_period == ("2022", "2025") and rec.n_origins == 4 and rec.rationale == "stable development"
    assert rec.development_factors[0] == pytest.approx((150 + 170 + 175) / 330)
    assert r.reinsurance[0] == pytest.approx(0.25 * r.gross[0])


@pytest.mark.req("KZ191-OP")
def test_ibnr_bf_and_large_loss_smoothing_recorded() -> None:
    tri = from_array(TRI, origin=["2022", "2023", "2024", "2025"])
    bf = ibnr(tri, method="bf", exposure=[300.0, 320, 340, 360], apriori=0.55)
    f = np.array(ChainLadder().fit(tri).components["cdf"][0])
    expect = ((1 - 1 / f) * 0.55 * np.array([300.0, 320, 340, 360])).sum()
    assert bf.gross[0] == pytest.approx(expect) and bf.records[0].apriori_loss_ratio == 0.55
    # one claim per origin (the triangle's rows) and a large claim of 500 in the latest origin, capped at 200
    rows = np.vstack([np.array(TRI), [[500.0, np.nan, np.nan, np.nan]]])
    claims = ClaimData(("o1", "o2", "o3", "o4", "big"), np.zeros(5, np.int64), np.array([0, 1, 2, 3, 3]), rows)
    grid = from_array(np.array(TRI) + np.array([[0.0], [0], [0], [500]]), origin=tri.origin)
    sm = ibnr(grid, large_losses=(LargeLossSmoothing(threshold=200.0), claims))
    rec = sm.records[0]
    assert rec.large_loss_threshold == 200.0 and rec.large_claims == 1 and "major-loss" in rec.method
    assert rec.large_loss_effect < 0.0  # the 300 excess is no longer multiplied by the development factor
    assert sm.gross[0] == pytest.approx(ibnr(grid).gross[0] + rec.large_loss_effect)


def test_ibnr_one_row_triangle_and_bad_method() -> None:
    r = ibnr(from_array([[100.0]]))
    assert r.gross[0] == 0.0
    with pytest.raises(InputError, match="unknown IBNR method"):
        ibnr(from_array([[100.0]]), method="magic")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="exposure"):
        ibnr(from_array(TRI), method="bf")


@pytest.mark.req("KZ191-OP")
def test_settlement_expenses_item_8_8() -> None:
    r = settlement_expenses(["A", "B"], [50.0, 0.0], [1000.0, 0.0], [400.0, 100.0],
                            payment_group=["fire", "fire", "theft"], payment_amount=[100.0, 300.0, 50.0])
    np.testing.assert_allclose(r.ratio, [0.05, 0.0])
    np.testing.assert_allclose(r.reserve, [20.0, 0.0])
    assert r.groups == ("fire", "theft")
    np.testing.assert_allclose(r.average_paid_claim, [200.0, 50.0])
    with pytest.raises(InputError, match="no paid claims"):
        settlement_expenses(["A"], [5.0], [0.0], [1.0])


def test_unexpired_risk_premium_deficiency() -> None:
    r = unexpired_risk(["A", "B", "C"], [100.0, 100.0, 0.0], {"A": 0.7, "B": 1.0, "C": 2.0}, 0.1)
    np.testing.assert_allclose(r.reserve, [0.0, 10.0, 0.0])
    assert list(r.sufficient) == [True, False, True]
    with pytest.raises(InputError, match="expected loss ratio for class"):
        unexpired_risk(["A"], [1.0], {"B": 1.0})
