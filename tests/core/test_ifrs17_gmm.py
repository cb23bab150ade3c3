"""GMM against the IASB's IFRS 17 Illustrative Examples (IE4–IE98) and properties.

Published figures are the IASB's rounded CU (tolerance ±1 CU); full-precision values from
/work/shared/reference/ifrs17-iasb-examples.md are checked to 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.curves import Curve
from aktuar.core.ifrs17.gmm import (
    AOC_STEPS,
    CashFlows,
    GMMResult,
    GroupInputs,
    Revision,
    Timing,
    discount_factors,
    measure,
)
from aktuar.errors import InputError

CU = 1.0
FULL = 1e-4


def _cf(
    premiums: list[float], claims: list[float], ic: list[float] | None = None, acq: list[float] | None = None
) -> CashFlows:
    return CashFlows(
        premiums=np.array(premiums, dtype=float),
        claims=np.array(claims, dtype=float),
        investment_components=None if ic is None else np.array(ic, dtype=float),
        acquisition=None if acq is None else np.array(acq, dtype=float),
    )


def _group(claims: float, rate: float = 0.05, ra: float = 120.0) -> GroupInputs:
    return GroupInputs(
        expected=_cf([900, 0, 0], [claims] * 3),
        risk_adjustment=np.array([ra, ra * 2 / 3, ra / 3, 0.0]),
        coverage_units=np.ones(3),
        discount=rate,
    )


def _ex2a(ic: float = 0.0) -> GMMResult:
    base = 200.0 - ic
    return measure(
        GroupInputs(
            expected=_cf([900, 0, 0], [base] * 3, [ic] * 3),
            risk_adjustment=np.array([120.0, 80, 40, 0]),
            coverage_units=np.ones(3),
            discount=0.05,
            actual=_cf([900, 0, 0], [base, 150 - ic, 140 - ic], [ic] * 3),
            revisions={
                2: Revision(_cf([0, 0, 0], [base, base, 140 - ic], [ic] * 3), np.array([120.0, 80, 30, 0]))
            },
        )
    )


def _ex2b(ic: float = 0.0) -> GMMResult:
    base = 200.0 - ic
    return measure(
        GroupInputs(
            expected=_cf([900, 0, 0], [base] * 3, [ic] * 3),
            risk_adjustment=np.array([120.0, 80, 40, 0]),
            coverage_units=np.ones(3),
            discount=0.05,
            actual=_cf([900, 0, 0], [base, 400 - ic, 450 - ic], [ic] * 3),
            revisions={
                2: Revision(_cf([0, 0, 0], [base, base, 450 - ic], [ic] * 3), np.array([120.0, 80, 88, 0]))
            },
        )
    )


def _rows(r: GMMResult, k: int, step: str) -> list[float]:
    row = r.periods[k - 1].aoc.row(step)
    return [row["pv_future_cash_flows"], row["risk_adjustment"], row["csm"], row["total"]]


def _close(actual: list[float], published: list[float], tol: float = CU) -> None:
    assert np.allclose(actual, published, atol=tol, rtol=0), (actual, published)


# --- Example 1: measurement on initial recognition (IE4–IE11) -----------------------------------------------


def test_ie4_ie11_example_1a_profitable_initial_recognition() -> None:
    init = measure(_group(200.0)).initial
    _close(
        [
            init.pv_inflows,
            init.pv_outflows,
            init.pv_future_cash_flows,
            init.risk_adjustment,
            init.fulfilment_cash_flows,
            init.csm,
            init.loss,
        ],
        [-900, 545, -355, 120, -235, 235, 0],
    )
    assert init.pv_outflows == pytest.approx(544.6496, abs=FULL)
    assert init.csm == pytest.approx(235.3504, abs=FULL)


def test_ie4_ie11_example_1a_immediately_after_premium() -> None:
    r = measure(_group(200.0))
    p1 = r.periods[0].aoc
    pv = sum(p1.get(s, "pv_future_cash_flows") for s in ("opening", "new_contracts", "cash_inflows"))
    csm = p1.get("new_contracts", "csm")
    fcf = pv + p1.get("new_contracts", "risk_adjustment")
    _close([fcf, csm, fcf + csm], [665, 235, 900])


def test_ie4_ie11_example_1b_onerous_initial_recognition() -> None:
    r = measure(_group(400.0))
    init = r.initial
    _close(
        [
            init.pv_inflows,
            init.pv_outflows,
            init.pv_future_cash_flows,
            init.fulfilment_cash_flows,
            init.csm,
            init.loss,
        ],
        [-900, 1089, 189, 309, 0, 309],
    )
    assert init.pv_outflows == pytest.approx(1089.2992, abs=FULL)
    p1 = r.periods[0]
    assert p1.aoc.get("new_contracts", "total") == pytest.approx(init.loss)
    assert p1.loss_component.values[1, 0] == pytest.approx(init.loss)
    after_premium = sum(p1.aoc.get(s, "total") for s in ("opening", "new_contracts", "cash_inflows"))
    _close([after_premium], [1209])


# --- Example 2: subsequent measurement (IE12–IE28) ----------------------------------------------------------


def test_ie12_ie28_example_2_year_1() -> None:
    r = _ex2a()
    _close(_rows(r, 1, "new_contracts"), [-355, 120, 235, 0])
    _close(_rows(r, 1, "cash_inflows"), [900, 0, 0, 900])
    _close(_rows(r, 1, "finance_expense"), [27, 0, 12, 39])
    _close(_rows(r, 1, "current_service"), [0, -40, -82, -122])
    _close(_rows(r, 1, "cash_outflows"), [-200, 0, 0, -200])
    _close(_rows(r, 1, "closing"), [372, 80, 165, 617])
    p = r.periods[0]
    assert p.aoc.get("finance_expense", "pv_future_cash_flows") == pytest.approx(27.2325, abs=FULL)
    assert p.csm_accretion == pytest.approx(11.7675, abs=FULL)
    assert p.csm_release == pytest.approx(82.3726, abs=FULL)
    assert p.aoc.get("closing", "csm") == pytest.approx(164.7453, abs=FULL)


def test_ie12_ie28_example_2_pv_outflows_and_fcf_path() -> None:
    r = measure(_group(200.0))
    pv = [r.initial.pv_outflows] + [p.aoc.get("closing", "pv_future_cash_flows") for p in r.periods]
    _close(pv, [545, 372, 191, 0])
    fcf = [r.initial.fulfilment_cash_flows] + [
        p.aoc.get("closing", "pv_future_cash_flows") + p.aoc.get("closing", "risk_adjustment")
        for p in r.periods
    ]
    _close(fcf, [-235, 452, 231, 0])


def test_ie12_ie28_example_2a_favourable_changes() -> None:
    r = _ex2a()
    _close(_rows(r, 2, "opening"), [372, 80, 165, 617])
    _close(_rows(r, 2, "finance_expense"), [19, 0, 8, 27])
    _close(_rows(r, 2, "future_service_changes"), [-58, -10, 68, 0], tol=1.0 + 1e-9)
    _close(_rows(r, 2, "current_service"), [-50, -40, -121, -211])
    _close(_rows(r, 2, "cash_outflows"), [-150, 0, 0, -150])
    _close(_rows(r, 2, "closing"), [133, 30, 120, 283])
    _close(_rows(r, 3, "opening"), [133, 30, 120, 283])
    _close(_rows(r, 3, "finance_expense"), [7, 0, 6, 13])
    _close(_rows(r, 3, "current_service"), [0, -30, -126, -156])
    _close(_rows(r, 3, "cash_outflows"), [-140, 0, 0, -140])
    _close(_rows(r, 3, "closing"), [0, 0, 0, 0])
    _close(list(r.liability), [617, 283, 0])
    _close(list(r.profit), [83, 184, 143])
    assert r.profit.sum() == pytest.approx(410.0)
    _close([p.profit_or_loss.insurance_service_result for p in r.periods], [122, 211, 156])
    _close([p.profit_or_loss.insurance_finance_expenses for p in r.periods], [39, 27, 13])


def test_ie12_ie28_example_2b_onerous_group() -> None:
    r = _ex2b()
    _close(_rows(r, 2, "opening"), [372, 80, 165, 617])
    _close(_rows(r, 2, "finance_expense"), [19, 0, 8, 27])
    _close(_rows(r, 2, "future_service_changes"), [238, 48, -173, 113])
    _close(_rows(r, 2, "current_service"), [200, -40, 0, 160])
    _close(_rows(r, 2, "cash_outflows"), [-400, 0, 0, -400])
    _close(_rows(r, 2, "closing"), [429, 88, 0, 517])
    p2 = r.periods[1]
    assert p2.profit_or_loss.losses_on_onerous_contracts == pytest.approx(113.1127, abs=FULL)
    assert p2.loss_component.values[-1, 0] == pytest.approx(113.1127, abs=FULL)
    _close([r.periods[2].profit_or_loss.insurance_finance_expenses], [21])
    _close(_rows(r, 3, "current_service"), [0, -88, 0, -88])
    _close(_rows(r, 3, "cash_outflows"), [-450, 0, 0, -450])
    _close(list(r.liability), [617, 517, 0])
    _close(list(r.profit), [83, -300, 67])
    assert r.profit.sum() == pytest.approx(-150.0)


# --- Example 3: presentation with an investment component (IE29–IE41) ---------------------------------------


def _pres(r: GMMResult, k: int, step: str) -> list[float]:
    t = r.periods[k - 1].presentation
    return [t.get(step, c) for c in t.columns]


def test_ie29_ie41_example_3a_lrc_lic_presentation() -> None:
    r = _ex2a(ic=100.0)
    _close(_pres(r, 1, "cash_inflows"), [900, 0, 0, 900])
    _close(_pres(r, 1, "insurance_revenue"), [-222, 0, 0, -222])
    _close(_pres(r, 1, "insurance_service_expenses"), [0, 0, 100, 100])
    _close(_pres(r, 1, "investment_components"), [-100, 0, 100, 0])
    _close(_pres(r, 1, "finance_expense"), [39, 0, 0, 39])
    _close(_pres(r, 1, "cash_outflows"), [0, 0, -200, -200])
    _close(_pres(r, 1, "closing"), [617, 0, 0, 617])
    pl = [p.profit_or_loss for p in r.periods]
    _close([x.insurance_revenue for x in pl], [222, 261, 196])
    _close([x.insurance_service_expenses for x in pl], [100, 50, 40])
    _close([x.insurance_service_result for x in pl], [122, 211, 156])
    _close([x.insurance_finance_expenses for x in pl], [39, 27, 13])
    _close([x.profit for x in pl], [83, 184, 143])


def test_ie29_ie41_example_3b_loss_component_presentation() -> None:
    r = _ex2b(ic=100.0)
    _close(_pres(r, 2, "opening"), [617, 0, 0, 617])
    _close(_pres(r, 2, "insurance_revenue"), [-140, 0, 0, -140])
    _close(_pres(r, 2, "insurance_service_expenses"), [0, 113, 300, 413])
    _close(_pres(r, 2, "investment_components"), [-100, 0, 100, 0])
    _close(_pres(r, 2, "finance_expense"), [27, 0, 0, 27])
    _close(_pres(r, 2, "cash_outflows"), [0, 0, -400, -400])
    _close(_pres(r, 2, "closing"), [404, 113, 0, 517])
    _close(_pres(r, 3, "finance_expense"), [16, 5, 0, 21])
    _close(_pres(r, 3, "insurance_revenue"), [-320, 0, 0, -320])
    _close(_pres(r, 3, "insurance_service_expenses"), [0, -118, 350, 232])
    _close(_pres(r, 3, "closing"), [0, 0, 0, 0])
    _close([r.periods[2].loss_component_allocation_ratio], [118 / 438], tol=0.005)
    pl = [p.profit_or_loss for p in r.periods]
    _close([x.insurance_revenue for x in pl], [222, 140, 320])
    _close([x.insurance_service_expenses for x in pl], [100, 413, 232])
    _close([x.profit for x in pl], [83, -300, 67])


# --- Example 7: insurance acquisition cash flows (IE72–IE80) ------------------------------------------------


def test_ie72_ie80_example_7_acquisition_cash_flows() -> None:
    r = measure(
        GroupInputs(
            expected=_cf([900, 0, 0], [200] * 3, acq=[90, 0, 0]),
            risk_adjustment=np.array([15.0, 10, 5, 0]),
            coverage_units=np.ones(3),
            discount=0.0,
        )
    )
    _close([r.initial.pv_outflows, r.initial.fulfilment_cash_flows, r.initial.csm], [690, -195, 195])
    for p in r.periods:
        pl = p.profit_or_loss
        _close(
            [
                p.csm_release,
                pl.acquisition_recovery,
                pl.insurance_revenue,
                pl.insurance_service_expenses,
                pl.insurance_service_result,
            ],
            [65, 30, 300, 230, 70],
        )
    # Profit 40, 70, 70 after the 30 of non-attributable acquisition cost expensed outside the group in year 1.
    _close(list(r.profit - np.array([30.0, 0, 0])), [40, 70, 70])


# --- Example 8: reversal of losses on an onerous group (IE81–IE98) ------------------------------------------


def _ex8() -> GMMResult:
    return measure(
        GroupInputs(
            expected=_cf([800, 0, 0], [400] * 3),
            risk_adjustment=np.array([240.0, 160, 80, 0]),
            coverage_units=np.ones(3),
            discount=0.05,
            actual=_cf([800, 0, 0], [400, 400, 100]),
            revisions={2: Revision(_cf([0, 0, 0], [400, 400, 100]), np.array([240.0, 160, 80, 0]))},
        )
    )


def test_ie81_ie98_example_8_initial_and_year_1() -> None:
    r = _ex8()
    _close(
        [
            r.initial.pv_future_cash_flows,
            r.initial.risk_adjustment,
            r.initial.fulfilment_cash_flows,
            r.initial.loss,
        ],
        [289, 240, 529, 529],
    )
    p1 = r.periods[0]
    # 529.2992 / 1329.2992 at full precision
    _close([p1.loss_component_allocation_ratio], [529 / 1329], tol=1e-3)
    _close(_pres(r, 1, "cash_inflows")[:1], [800])
    _close(_pres(r, 1, "finance_expense")[:2], [33, 21], tol=1.5)
    _close([p1.profit_or_loss.insurance_revenue], [289])
    _close(_pres(r, 1, "insurance_service_expenses")[:3], [0, 529 - 191, 400])
    _close(
        [p1.profit_or_loss.expected_claims_released, p1.profit_or_loss.risk_adjustment_released], [241, 48]
    )
    _close(_pres(r, 1, "closing")[:3], [544, 359, 0], tol=1.5)
    _close([p1.profit_or_loss.loss_component_allocation], [159 + 32])


def test_ie81_ie98_example_8_loss_reversal_year_2_and_3() -> None:
    r = _ex8()
    p2 = r.periods[1]
    _close([p2.aoc.get("future_service_changes", "pv_future_cash_flows")], [-286])
    _close([p2.profit_or_loss.loss_reversals, p2.csm_adjustment, p2.csm_release], [183, 103, 52])
    _close(_rows(r, 2, "closing"), [94, 80, 51, 225], tol=1.5)  # PV 95.24 v. IASB's rounded 94
    # 339.96 at full precision: the IASB's 341 carries its rounded CSM 103 / release 52 (102.17 / 51.09 here).
    _close([p2.profit_or_loss.insurance_revenue], [341], tol=1.1)
    assert p2.loss_component.values[-1, 0] == pytest.approx(0.0, abs=1e-9)
    _close([r.periods[2].profit_or_loss.insurance_revenue], [233])
    _close(list(r.liability[-1:]), [0])


# --- Properties ---------------------------------------------------------------------------------------------

amount = st.floats(min_value=0.0, max_value=1_000.0, allow_nan=False)


@st.composite
def groups(draw: st.DrawFn) -> GroupInputs:
    n = draw(st.integers(1, 5))
    prem = draw(st.lists(amount, min_size=n, max_size=n))
    claims = draw(st.lists(amount, min_size=n, max_size=n))
    ic = draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
    acq = draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
    ra = sorted(draw(st.lists(st.floats(0, 300), min_size=n, max_size=n)), reverse=True) + [0.0]
    cu = draw(st.lists(st.floats(0.1, 10), min_size=n, max_size=n))
    rate = draw(st.sampled_from([0.0, 0.03, 0.05, -0.01]))
    timing: Timing = "end" if draw(st.booleans()) else "beginning"
    p_timing: Timing = "end" if draw(st.booleans()) else "beginning"
    expected = CashFlows(
        np.array(prem),
        np.array(claims),
        np.array(ic),
        np.array(acq),
        claims_timing=timing,
        premium_timing=p_timing,
    )
    actual_claims = [c * draw(st.floats(0.0, 2.0)) for c in claims]
    actual_prem = [p * draw(st.floats(0.5, 1.5)) for p in prem]
    actual = CashFlows(
        np.array(actual_prem),
        np.array(actual_claims),
        np.array(ic),
        np.array(acq),
        claims_timing=timing,
        premium_timing=p_timing,
    )
    revisions: dict[int, Revision] = {}
    for k in range(1, n):
        if draw(st.booleans()):
            f = draw(st.floats(0.0, 3.0))
            new_ra = np.array(ra) * draw(st.floats(0.5, 2.0))
            new_ra[-1] = 0.0
            revisions[k] = Revision(
                CashFlows(
                    np.array(prem),
                    np.array(claims) * f,
                    np.array(ic),
                    np.array(acq),
                    claims_timing=timing,
                    premium_timing=p_timing,
                ),
                new_ra,
            )
    return GroupInputs(expected, np.array(ra), np.array(cu), rate, actual, revisions)


@settings(max_examples=150, deadline=None)
@given(groups())
def test_property_aoc_adds_up_csm_non_negative_profit_reconciles(g: GroupInputs) -> None:
    r = measure(g)
    assert r.liability[-1] == pytest.approx(0.0, abs=1e-6)
    for p in r.periods:
        v = p.aoc.values
        assert p.aoc.steps == AOC_STEPS
        np.testing.assert_allclose(v[:-1].sum(axis=0), v[-1], atol=1e-6)
        assert v[0, 2] >= -1e-9 and v[-1, 2] >= -1e-9  # CSM never negative (para 44, 48)
        assert v[0, 2] + v[1, 2] + v[3, 2] + v[4, 2] >= -1e-9  # nor after adjustments, before release
        assert p.loss_component.values[-1, 0] >= -1e-9
        assert not (p.aoc.get("closing", "csm") > 1e-9 and p.loss_component.values[-1, 0] > 1e-9)
        pres = p.presentation
        assert pres.get("closing", "total") == pytest.approx(p.aoc.get("closing", "total"), abs=1e-6)
        assert pres.get("cash_outflows", "total") == pytest.approx(
            p.aoc.get("cash_outflows", "total"), abs=1e-6
        )
        assert pres.get("closing", "lic") == pytest.approx(0.0, abs=1e-6)
        pl = p.profit_or_loss
        assert pl.insurance_finance_expenses == pytest.approx(p.aoc.get("finance_expense", "total"), abs=1e-6)
    assert r.periods[-1].loss_component.values[-1, 0] == pytest.approx(0.0, abs=1e-6)
    # Total profit over the life = undiscounted actual inflows − outflows (any rate: IFE has no investment income).
    a = g.actual
    assert a is not None and a.investment_components is not None and a.acquisition is not None
    net = a.premiums.sum() - a.claims.sum() - a.investment_components.sum() - a.acquisition.sum()
    assert r.profit.sum() == pytest.approx(net, abs=1e-6 * max(1.0, abs(net)))


@settings(max_examples=50, deadline=None)
@given(groups())
def test_property_zero_rate_no_finance_expense(g: GroupInputs) -> None:
    g0 = GroupInputs(g.expected, g.risk_adjustment, g.coverage_units, 0.0, g.actual, g.revisions)
    r = measure(g0)
    assert all(abs(p.profit_or_loss.insurance_finance_expenses) < 1e-9 for p in r.periods)


def test_discount_inputs_equivalent() -> None:
    curve_like = type("C", (), {"discount": lambda self, t: 1.05 ** -np.asarray(t, dtype=float)})()
    ref = discount_factors(0.05, 3)
    for d in (curve_like, lambda t: 1.05**-t, 1.05 ** -np.arange(4.0), 1.05 ** -np.arange(1.0, 4.0)):
        np.testing.assert_allclose(discount_factors(d, 3), ref)
    np.testing.assert_allclose(discount_factors(Curve(np.array([1.0, 2, 3]), np.array([0.05] * 3)), 3), ref)
    g = _group(200.0)
    a = measure(g).liability
    b = measure(GroupInputs(g.expected, g.risk_adjustment, g.coverage_units, curve_like)).liability
    np.testing.assert_allclose(a, b)


def test_input_errors() -> None:
    with pytest.raises(InputError):
        measure(GroupInputs(_cf([1, 0], [0, 0]), np.array([0.0, 0]), np.ones(2), 0.0))
    with pytest.raises(InputError):
        discount_factors(-1.5, 2)
