"""Non-life fulfilment cash flows from the reserving engine (KZ84-FCF, KZ84-LIC; IFRS 17 para 28A–28F, 33–36,
40(b), 59(b), B35A–B35D, B61–B71).

Hand-computed cases: a 4×4 paid triangle whose chain-ladder reserve is spread by its own payment pattern, the
IFRS 17 IE Example 1A cash flows (IE4–IE11: premium 900, claims 200 a year, 5 %) rebuilt from an exposure, a loss
ratio and a pattern and fed to the GMM, and the acquisition allocation and impairment test worked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.curves import Curve
from aktuar.core.ifrs17.fcf import (
    acquisition_asset_impairment,
    allocate_acquisition,
    lic_cash_flows,
    lrc_cash_flows,
)
from aktuar.core.ifrs17.gmm import GroupInputs, measure
from aktuar.core.ifrs17.paa import lic_measurement, loss_component
from aktuar.core.reserving import ChainLadder, PaidToPaid, cash_flows, from_array, payment_pattern
from aktuar.errors import InputError

TRI = np.array([
    [100.0, 150, 170, 180],
    [110.0, 168, 190, np.nan],
    [120.0, 175, np.nan, np.nan],
    [130.0, np.nan, np.nan, np.nan],
])


def _result():  # type: ignore[no-untyped-def]
    return ChainLadder().fit(from_array(TRI, origin=["2022", "2023", "2024", "2025"], development=[12, 24, 36, 48]))


@pytest.mark.req("KZ84-LIC")
def test_lic_claims_are_the_reserve_spread_by_the_pattern_and_discounted() -> None:
    res = _result()
    x = lic_cash_flows(res, period_months=12, discount=0.05)
    reserve = float(res.ibnr.sum())
    assert x.claims.sum() == pytest.approx(reserve, rel=1e-12)
    np.testing.assert_allclose(x.claims, cash_flows(res).total[0])
    t = np.arange(1, x.n_periods + 1) - 0.5  # mid-year payments
    pv = float(x.claims @ 1.05 ** -t)
    s = x.split("claims")
    assert (s.undiscounted, s.present_value, s.discount_effect) == pytest.approx((reserve, pv, pv - reserve))
    assert x.discounted and x.kind == "LIC"
    # feeds the PAA LIC (para 59(b)): PV of claims and expenses + RA
    assert lic_measurement(x.claims_and_expenses, 7.0, x.discount_claims)[0] == pytest.approx(pv + 7.0)


@pytest.mark.req("KZ84-FCF")
def test_lic_settlement_and_other_expenses() -> None:
    res = _result()
    reserve = float(res.ibnr.sum())
    x = lic_cash_flows(res, period_months=12, ulae=0.04, other_expense_ratio=0.01)
    np.testing.assert_allclose(x.settlement_expenses, 0.04 * x.claims)
    assert x.split("outflows").undiscounted == pytest.approx(1.05 * reserve)
    ulae = PaidToPaid().fit([10.0], [200.0], case_reserves=0.0, ibnr=reserve)  # W = 5 %, all pure IBNR
    y = lic_cash_flows(res, period_months=12, ulae=ulae)
    assert y.settlement_expenses.sum() == pytest.approx(0.05 * reserve)
    np.testing.assert_allclose(y.settlement_expenses, 0.05 * y.claims, atol=1e-9)


def test_lic_with_a_curve_and_end_timing() -> None:
    curve = Curve(np.array([1.0, 5.0]), np.array([0.10, 0.12]))
    x = lic_cash_flows(_result(), period_months=12, timing="end", discount=curve)
    np.testing.assert_allclose(x.discount_claims, curve.discount(np.arange(1.0, x.n_periods + 1)))


@pytest.mark.req("KZ84-LIC")
def test_para_59b_not_discounted_within_one_year() -> None:
    short = from_array(np.array([[100.0, 120], [90.0, np.nan]]), development=[12, 24])
    x = lic_cash_flows(ChainLadder().fit(short), period_months=12, discount=0.1, undiscounted_within_one_year=True)
    assert not x.discounted and "59(b)" in x.notes[-1]
    assert x.present_value("claims") == pytest.approx(90.0 * 0.2)
    y = lic_cash_flows(_result(), period_months=12, discount=0.1, undiscounted_within_one_year=True)
    assert y.discounted and "beyond the one year" in y.notes[-1]


def test_lic_needs_the_period_length_and_a_valid_segment() -> None:
    with pytest.raises(InputError, match="period_months"):
        lic_cash_flows(_result())
    with pytest.raises(InputError, match="segment"):
        lic_cash_flows(_result(), segment=2, period_months=12)
    with pytest.raises(InputError, match="ratio"):
        lic_cash_flows(_result(), period_months=12, ulae=-0.1)


@pytest.mark.req("KZ84-FCF")
def test_lrc_ie_example_1a_to_gmm() -> None:
    """IFRS 17 IE Example 1A (IE4–IE11): premium 900 now, claims 200 at the end of each of 3 years, 5 %: PV
    outflows 544.6496, PV future cash flows (355.3504). Rebuilt as exposure 300 a year × loss ratio 2/3 paid
    entirely in the accident year (at its end)."""
    x = lrc_cash_flows([300.0, 300, 300], 2 / 3, [1.0], premiums=[900.0], timing="end", discount=0.05)
    np.testing.assert_allclose(x.claims, [200, 200, 200])
    assert x.present_value("outflows") == pytest.approx(544.6496, abs=1e-4)
    assert x.present_value("net") == pytest.approx(-355.3504, abs=1e-4)
    g = measure(GroupInputs(expected=x.to_gmm_cash_flows(), risk_adjustment=np.array([120.0, 80, 40, 0]),
                            coverage_units=np.ones(3), discount=0.05))
    assert g.initial.pv_future_cash_flows == pytest.approx(x.present_value("net"), abs=1e-9)
    assert g.initial.csm == pytest.approx(235.3504, abs=1e-4)
    assert x.fulfilment_cash_flows(120.0) == pytest.approx(-235.3504, abs=1e-4)
    with pytest.raises(InputError, match="mid-period"):
        lrc_cash_flows([300.0], 0.5, [1.0]).to_gmm_cash_flows()


@pytest.mark.req("KZ84-FCF")
def test_lrc_claims_run_off_by_the_reserving_pattern_and_paa_onerous_test() -> None:
    pat = payment_pattern(_result().development, tail_periods=0)
    x = lrc_cash_flows([600.0, 400.0], 0.9, pat, premiums=[0.0], settlement_expense_ratio=0.05,
                       expenses=[30.0, 20.0], acquisition=[12.0], allocated_acquisition=[8.0], discount=0.05)
    q = pat.incremental[0]
    expected = np.zeros(5)
    expected[:4] += 540 * q
    expected[1:] += 360 * q
    np.testing.assert_allclose(x.claims, expected)
    np.testing.assert_allclose(x.acquisition[:1], [20.0])
    assert x.split("outflows").undiscounted == pytest.approx(900 * 1.05 + 50 + 20)
    # PAA onerous test (para 57–58): LRC carrying amount 950 against the FCF of the remaining coverage
    fcf = x.fulfilment_cash_flows(40.0)
    assert float(loss_component(fcf, 950.0)) == pytest.approx(max(fcf - 950.0, 0.0))


def test_lrc_bad_inputs() -> None:
    with pytest.raises(InputError, match="sum to 1"):
        lrc_cash_flows([100.0], 0.5, [0.5, 0.4])
    with pytest.raises(InputError, match="one ratio or 2"):
        lrc_cash_flows([100.0, 100.0], [0.5, 0.5, 0.5], [1.0])
    with pytest.raises(InputError, match="≥ 0"):
        lrc_cash_flows([-100.0], 0.5, [1.0])
    with pytest.raises(InputError, match="period_months"):
        lrc_cash_flows([100.0], 0.5, [1.0], period_months=5)
    empty = lrc_cash_flows([], 0.5, [1.0])
    assert empty.present_value("net") == 0.0


@pytest.mark.req("KZ84-FCF")
def test_acquisition_allocation_to_groups_and_renewals_para_28a_28c() -> None:
    a = allocate_acquisition(100.0, ["OGPO-2026-PROFITABLE", "OGPO-2026-REMAINING", "OGPO-2027-RENEWALS"],
                             [300.0, 100.0, 100.0], recognised=[True, True, False])
    np.testing.assert_allclose(a.allocated, [60, 20, 20])
    assert a.asset == pytest.approx(20.0)
    assert a.of("OGPO-2026-REMAINING") == pytest.approx(20.0)
    with pytest.raises(InputError, match="zero for every group"):
        allocate_acquisition(10.0, ["A"], [0.0])
    with pytest.raises(InputError, match="twice"):
        allocate_acquisition(10.0, ["A", "A"], [1.0, 1.0])


@pytest.mark.req("KZ84-FCF")
def test_acquisition_asset_impairment_para_28e_28f_b35d() -> None:
    r = acquisition_asset_impairment(["G1", "G2", "G3"], [20.0, 20.0, 20.0], [15.0, 30.0, -5.0],
                                     renewal_asset=[0.0, 20.0, 0.0], renewal_net_inflow=[0.0, 10.0, 0.0])
    np.testing.assert_allclose(r.impairment_group, [5, 0, 20])  # B35D(a); G3 fully impaired
    np.testing.assert_allclose(r.impairment_renewals, [0, 10, 0])  # B35D(b)
    np.testing.assert_allclose(r.carrying, [15, 10, 0])
    rev = acquisition_asset_impairment(["G1"], [20.0], [50.0], previous_impairment=[5.0])
    assert rev.loss[0] == pytest.approx(-5.0) and rev.carrying[0] == 20.0  # reversal (para 28F)
    with pytest.raises(InputError, match="renewals cannot exceed"):
        acquisition_asset_impairment(["G"], [1.0], [0.0], renewal_asset=[2.0])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1e5), min_size=1, max_size=6),
    st.floats(0, 2),
    st.lists(st.floats(0.01, 1), min_size=1, max_size=5),
    st.floats(0, 0.2),
)
def test_property_lrc_claims_total_and_discounting(exposure: list[float], lr: float, raw: list[float],
                                                   rate: float) -> None:
    q = np.array(raw) / sum(raw)
    x = lrc_cash_flows(exposure, lr, q, discount=rate)
    assert x.claims.sum() == pytest.approx(sum(exposure) * lr, rel=1e-9, abs=1e-6)
    s = x.split("claims")
    assert s.present_value <= s.undiscounted + 1e-9
    assert s.discount_effect == pytest.approx(s.present_value - s.undiscounted)
