"""Reinsurance contracts held against the IASB's IFRS 17 Illustrative Examples 11, 12A–12C and properties.

Published figures are the IASB's whole CU (tolerance ±1 CU), from
/work/shared/reference/ifrs17-iasb-examples.md. Liability sign: positive = liability, negative = asset (the
IASB's parentheses).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.ifrs17.gmm import CashFlows, GMMResult, GroupInputs, Revision, measure
from aktuar.core.ifrs17.reinsurance import (
    RI_AOC_STEPS,
    NonPerformance,
    ReinsuranceCashFlows,
    ReinsuranceInputs,
    ReinsuranceResult,
    ReinsuranceRevision,
    UnderlyingLosses,
    initial_recognition,
    measure_reinsurance,
    remeasure,
    underlying_losses,
)
from aktuar.errors import InputError

CU = 1.0


def _close(actual: list[float], published: list[float], tol: float = CU) -> None:
    assert np.allclose(actual, published, atol=tol, rtol=0), (actual, published)


def _a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


# --- Example 11: initial recognition (IE124–IE129) ----------------------------------------------------------


@pytest.mark.req("KZ84-RE")
def test_ie124_ie129_example_11a_net_gain_deferred() -> None:
    """IFRS 17 IE Example 11A (IE124–IE129): 30 % quota share, premium 260 → CSM 28 (net gain deferred)."""
    r = initial_recognition(pv_recoveries=270, pv_premiums=260, risk_adjustment=18)
    _close(
        [
            r.pv_recoveries,
            r.pv_premiums,
            r.pv_future_cash_flows,
            r.risk_adjustment,
            r.fulfilment_cash_flows,
            r.csm,
        ],
        [-270, 260, -10, -18, -28, 28],
    )
    assert r.carrying_amount == pytest.approx(0.0)
    assert r.net_gain and r.profit == 0.0


@pytest.mark.req("KZ84-RE")
def test_ie124_ie129_example_11b_net_cost_deferred() -> None:
    """IFRS 17 IE Example 11B (IE124–IE129): premium 300 → PV FCF 30, FCF 12, CSM (12) (net cost deferred)."""
    r = initial_recognition(pv_recoveries=270, pv_premiums=300, risk_adjustment=18)
    _close([r.pv_future_cash_flows, r.fulfilment_cash_flows, r.csm], [30, 12, -12])
    assert not r.net_gain and r.carrying_amount == pytest.approx(0.0)


@pytest.mark.req("KZ84-RE")
def test_ie124_example_11_underlying_group_is_gmm() -> None:
    """IFRS 17 IE Example 11 (IE124): underlying PV inflows (1,000), outflows 900, RA 60 → FCF (40), CSM
    40."""
    u = measure(
        GroupInputs(CashFlows(_a(1000), _a(900), claims_timing="beginning"), _a(60, 0), _a(1))
    ).initial
    _close([u.pv_inflows, u.pv_outflows, u.fulfilment_cash_flows, u.csm], [-1000, 900, -40, 40])
    ri = measure_reinsurance(
        ReinsuranceInputs(
            ReinsuranceCashFlows(_a(260), _a(270), recovery_timing="beginning"), _a(18, 0), _a(1)
        )
    ).initial
    _close([ri.fulfilment_cash_flows, ri.csm], [-28, 28])


def test_ie124_example_11_period_api_releases_the_csm() -> None:
    """IE Example 11A over one period: the deferred gain 28 is released; the asset is nil at the end."""
    r = measure_reinsurance(ReinsuranceInputs(ReinsuranceCashFlows(_a(260), _a(270)), _a(18, 0), _a(1)))
    pl = r.periods[0].profit_or_loss
    assert pl.csm_released == pytest.approx(-28.0)
    assert pl.allocation_of_premiums == pytest.approx(270 + 18 - 28)
    assert pl.net_result == pytest.approx(10.0)
    assert r.carrying_amount[-1] == pytest.approx(0.0)


# --- Examples 12A and 12B: underlying changes (IE130–IE138) -------------------------------------------------


@pytest.mark.req("KZ84-RE")
def test_ie130_ie138_example_12a_underlying_profitable() -> None:
    """IFRS 17 IE Example 12A (IE130–IE138): underlying FCF +50 (CSM 100 → 50) → reinsurance FCF (105), CSM
    (10)."""
    r = remeasure(fcf_opening=-90, csm_opening=-25, change_in_fcf=-0.3 * 50)
    _close([r.fulfilment_cash_flows, r.csm, r.loss_recovery], [-105, -10, 0])


@pytest.mark.req("KZ84-RE")
def test_ie130_ie138_example_12b_underlying_onerous() -> None:
    """IFRS 17 IE Example 12B (IE130–IE138): underlying FCF +160 (loss 60) → reinsurance FCF (138), CSM 5,
    asset (133), gain 18 in profit or loss (para 66(c)(ii))."""
    u_csm, u_change = 100.0, 160.0
    u_loss = u_change - u_csm
    r = remeasure(
        fcf_opening=-90,
        csm_opening=-25,
        change_in_fcf=-0.3 * u_change,
        underlying_loss_change=u_loss,
        recovery_percentage=0.3,
    )
    _close([r.fulfilment_cash_flows, r.csm, r.carrying_amount, r.loss_recovery], [-138, 5, -133, 18])
    assert r.asset == pytest.approx(133.0)


# --- Example 12C: loss-recovery component (IE138A–IE138O) ---------------------------------------------------


def _ex12c_underlying() -> tuple[GMMResult, GMMResult]:
    prof = measure(
        GroupInputs(
            CashFlows(_a(900, 0, 0), _a(200, 200, 200)),
            np.zeros(4),
            np.ones(3),
            actual=CashFlows(_a(900, 0, 0), _a(200, 200, 220)),
            revisions={2: Revision(CashFlows(np.zeros(3), _a(200, 200, 220)), np.zeros(4))},
        )
    )
    oner = measure(
        GroupInputs(
            CashFlows(_a(210, 0, 0), _a(100, 100, 100)),
            np.zeros(4),
            np.ones(3),
            actual=CashFlows(_a(210, 0, 0), _a(100, 100, 110)),
            revisions={2: Revision(CashFlows(np.zeros(3), _a(100, 100, 110)), np.zeros(4))},
        )
    )
    return prof, oner


def _ex12c() -> tuple[GMMResult, GMMResult, ReinsuranceResult]:
    prof, oner = _ex12c_underlying()
    ri = measure_reinsurance(
        ReinsuranceInputs(
            ReinsuranceCashFlows(_a(315, 0, 0), _a(90, 90, 90)),
            np.zeros(4),
            np.ones(3),
            actual=ReinsuranceCashFlows(_a(315, 0, 0), _a(90, 90, 99)),
            revisions={
                2: ReinsuranceRevision(ReinsuranceCashFlows(np.zeros(3), _a(90, 90, 99)), np.zeros(4))
            },
            underlying=underlying_losses(prof, oner),
            recovery_percentage=0.3,
        )
    )
    return prof, oner, ri


@pytest.mark.req("KZ84-RE")
@pytest.mark.req("KZ84-CSM")
def test_ie138a_ie138o_example_12c_initial_recognition() -> None:
    """IFRS 17 IE Example 12C (IE138A–IE138O): FCF 45, CSM before loss recovery (45), loss-recovery component
    27, CSM (72), income 27 — with the one-step function and the period API."""
    one = initial_recognition(pv_recoveries=270, pv_premiums=315, underlying_loss=90, recovery_percentage=0.3)
    _, oner, ri = _ex12c()
    assert oner.initial.loss == pytest.approx(90.0)
    for r in (one, ri.initial):
        _close(
            [
                r.pv_recoveries,
                r.fulfilment_cash_flows,
                r.csm_before_loss_recovery,
                r.loss_recovery,
                r.csm,
                r.profit,
            ],
            [-270, 45, -45, 27, -72, 27],
        )
    p1 = ri.periods[0]
    assert p1.aoc.get("loss_recovery", "csm") == pytest.approx(-27.0)
    assert p1.loss_recovery_component.values[1, 0] == pytest.approx(27.0)


@pytest.mark.req("KZ84-RE")
def test_ie138a_ie138o_example_12c_balances() -> None:
    """IFRS 17 IE Example 12C (IE138A–IE138O): end of year 1 recoveries (180), CSM (48), asset (228); end of
    year 2 FCF (99), CSM (21), asset (120), recovery of loss 3; the underlying FCF and CSM."""
    prof, oner, ri = _ex12c()
    _close(list(ri.fulfilment_cash_flows), [-180, -99, 0])
    _close(list(ri.csm), [-48, -21, 0])
    _close(list(ri.carrying_amount), [-228, -120, 0])
    assert ri.periods[1].profit_or_loss.loss_recovery == pytest.approx(3.0)
    assert ri.periods[1].aoc.get("loss_recovery", "pv_future_cash_flows") == pytest.approx(-3.0)
    assert ri.periods[1].aoc.get("future_service_changes", "csm") == pytest.approx(6.0)
    # Underlying: profitable FCF 400 / 220 with CSM 200 / 90; onerous FCF 200 / 110, loss (10) in year 2.
    _close(
        [
            prof.periods[0].aoc.get("closing", "pv_future_cash_flows"),
            prof.periods[0].aoc.get("closing", "csm"),
        ],
        [400, 200],
    )
    _close(
        [
            prof.periods[1].aoc.get("closing", "pv_future_cash_flows"),
            prof.periods[1].aoc.get("closing", "csm"),
        ],
        [220, 90],
    )
    _close(
        [oner.periods[0].aoc.get("closing", "total"), oner.periods[1].aoc.get("closing", "total")], [200, 110]
    )
    assert oner.periods[1].profit_or_loss.losses_on_onerous_contracts == pytest.approx(10.0)
    # Loss-recovery component follows 30 % of the underlying loss component: 18, 12, 0 (B119F).
    _close(
        [p.loss_recovery_component.get("closing", "loss_recovery_component") for p in ri.periods], [18, 12, 0]
    )


@pytest.mark.req("KZ84-RE")
@pytest.mark.req("KZ84-CSM")
def test_ie138a_ie138o_example_12c_profit_or_loss() -> None:
    """IFRS 17 IE Example 12C (IE138A–IE138O), statement of profit or loss, years 1–3: revenue 370, 360, 380;
    ISE (360), (280), (290); allocation of reinsurance premiums (105), (102), (108); amounts recovered 108,
    84, 87; insurance service result 13, 62, 69."""
    prof, oner, ri = _ex12c()
    revenue = [
        a.profit_or_loss.insurance_revenue + b.profit_or_loss.insurance_revenue
        for a, b in zip(prof.periods, oner.periods, strict=True)
    ]
    ise = [
        a.profit_or_loss.insurance_service_expenses + b.profit_or_loss.insurance_service_expenses
        for a, b in zip(prof.periods, oner.periods, strict=True)
    ]
    alloc = [p.profit_or_loss.allocation_of_premiums for p in ri.periods]
    recovered = [p.profit_or_loss.amounts_recovered for p in ri.periods]
    _close(revenue, [370, 360, 380])
    _close(ise, [360, 280, 290])
    _close(alloc, [105, 102, 108])
    _close(recovered, [108, 84, 87])
    isr = [r - e - a + c for r, e, a, c in zip(revenue, ise, alloc, recovered, strict=True)]
    _close(isr, [13, 62, 69])
    _close([p.profit_or_loss.net_result for p in ri.periods], [3, -18, -21])


# --- Non-performance, past events, discounting -------------------------------------------------------------


@pytest.mark.req("KZ84-RE")
def test_non_performance_in_fcf_at_inception_then_profit_or_loss() -> None:
    """Para 63 and 67: expected credit losses are in the FCF (and CSM) at initial recognition; a later change
    in the default assumption goes to profit or loss and does not adjust the CSM."""
    cf = ReinsuranceCashFlows(_a(100, 0), _a(60, 60))
    base = ReinsuranceInputs(cf, np.zeros(3), np.ones(2), non_performance=NonPerformance(0.1, 0.5))
    r = measure_reinsurance(base)
    ecl0 = 0.5 * (60 * 0.1 + 60 * (1 - 0.9 * 0.9))
    assert r.initial.non_performance == pytest.approx(ecl0)
    assert r.initial.csm == pytest.approx(-(100 - 120 + ecl0))
    worse = measure_reinsurance(
        ReinsuranceInputs(
            cf,
            np.zeros(3),
            np.ones(2),
            non_performance=NonPerformance(0.1, 0.5),
            revisions={1: ReinsuranceRevision(cf, np.zeros(3), NonPerformance(0.3, 0.5))},
        )
    )
    assert worse.periods[0].aoc.get("future_service_changes", "csm") == pytest.approx(0.0)
    assert worse.csm[0] == pytest.approx(r.csm[0])
    p1 = worse.periods[0]
    # expected release 3 − 8.7 (no default happened in year 1) and the new assumption 0.5·60·0.3 − 3 = 6
    assert p1.profit_or_loss.non_performance_expense == pytest.approx((3.0 - ecl0) + 6.0)
    assert p1.aoc.get("closing", "non_performance") == pytest.approx(9.0)
    assert worse.carrying_amount[-1] == pytest.approx(0.0)


def test_non_performance_given_as_amounts() -> None:
    r = measure_reinsurance(
        ReinsuranceInputs(
            ReinsuranceCashFlows(_a(100, 0), _a(60, 60)),
            np.zeros(3),
            np.ones(2),
            non_performance=NonPerformance(amounts=_a(5, 2, 0)),
        )
    )
    assert r.initial.non_performance == 5.0
    _close([p.profit_or_loss.non_performance_expense for p in r.periods], [-3, -2], tol=1e-12)


@pytest.mark.req("KZ84-RE")
def test_para_65a_net_cost_for_past_events_expensed() -> None:
    """Para 65A: the net cost relating to events before the purchase is expensed, not deferred."""
    r = initial_recognition(pv_recoveries=100, pv_premiums=130, past_events_cost=20)
    assert r.csm == pytest.approx(-10.0) and r.profit == pytest.approx(-20.0)
    m = measure_reinsurance(
        ReinsuranceInputs(ReinsuranceCashFlows(_a(130), _a(100)), np.zeros(2), _a(1), past_events_cost=20)
    )
    assert m.periods[0].profit_or_loss.past_events_expense == 20.0
    assert m.profit.sum() == pytest.approx(-30.0)
    with pytest.raises(InputError, match="past_events_cost"):
        initial_recognition(pv_recoveries=100, pv_premiums=90, past_events_cost=5)


def test_discounted_csm_accretes_and_finance_income() -> None:
    r = measure_reinsurance(
        ReinsuranceInputs(
            ReinsuranceCashFlows(_a(300, 0, 0), _a(90, 90, 90)), _a(18, 12, 6, 0), np.ones(3), 0.05
        )
    )
    p1 = r.periods[0]
    csm0 = r.initial.csm
    assert p1.csm_accretion == pytest.approx(csm0 * 0.05)
    assert p1.profit_or_loss.finance_income == pytest.approx(-(p1.aoc.get("finance", "total")))
    assert r.carrying_amount[-1] == pytest.approx(0.0, abs=1e-9)
    total_profit = r.profit.sum()
    assert total_profit == pytest.approx(270 - 300)


# --- Input errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"risk_adjustment": np.zeros(2)}, "risk_adjustment"),
        ({"coverage_units": np.zeros(2)}, "coverage_units"),
        ({"recovery_percentage": 1.5}, "recovery_percentage"),
        (
            {
                "revisions": {
                    5: ReinsuranceRevision(ReinsuranceCashFlows(np.zeros(2), np.zeros(2)), np.zeros(3))
                }
            },
            "revision",
        ),
        ({"non_performance": NonPerformance(1.5)}, "probability_of_default"),
        ({"non_performance": NonPerformance(amounts=_a(1, 2))}, "amounts"),
        ({"expected": ReinsuranceCashFlows(_a(-1, 0), _a(1, 1))}, "premiums"),
        ({"expected": ReinsuranceCashFlows(_a(1, np.nan), _a(1, 1))}, "premiums"),
        ({"underlying": UnderlyingLosses(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3))}, "underlying"),
    ],
)
def test_bad_inputs_raise_input_error(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "expected": ReinsuranceCashFlows(_a(10, 0), _a(5, 5)),
        "risk_adjustment": np.zeros(3),
        "coverage_units": np.ones(2),
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        measure_reinsurance(ReinsuranceInputs(**args))  # type: ignore[arg-type]


def test_empty_group_raises() -> None:
    with pytest.raises(InputError, match="at least one"):
        measure_reinsurance(
            ReinsuranceInputs(ReinsuranceCashFlows(np.zeros(0), np.zeros(0)), np.zeros(1), np.zeros(0))
        )


def test_single_period_zero_coverage_units_last_period() -> None:
    r = measure_reinsurance(
        ReinsuranceInputs(ReinsuranceCashFlows(_a(10, 0), _a(0, 12)), np.zeros(3), _a(1, 0))
    )
    assert r.carrying_amount[-1] == pytest.approx(0.0)
    assert np.all(np.isfinite(r.profit))


# --- Properties ---------------------------------------------------------------------------------------------

money = st.floats(0, 1000, allow_nan=False, allow_infinity=False)


@st.composite
def underlying_groups(draw: st.DrawFn) -> tuple[GroupInputs, float]:
    n = draw(st.integers(1, 4))
    premium = draw(st.floats(0, 3000))
    claims = np.array(draw(st.lists(money, min_size=n, max_size=n)))
    ra0 = draw(st.floats(0, 200))
    ra = ra0 * np.linspace(1, 0, n + 1)
    rate = draw(st.sampled_from([0.0, 0.03, 0.05]))
    revisions: dict[int, Revision] = {}
    actual_claims = claims.copy()
    if n > 1 and draw(st.booleans()):
        k = draw(st.integers(1, n - 1))
        factor = draw(st.floats(0.2, 3.0))
        revised = claims.copy()
        revised[k:] *= factor
        actual_claims[k:] = revised[k:]
        ra_rev = ra.copy()
        ra_rev[k:] *= factor
        revisions[k] = Revision(CashFlows(np.zeros(n), revised), ra_rev)
    prem = np.zeros(n)
    prem[0] = premium
    inputs = GroupInputs(
        CashFlows(prem, claims),
        ra,
        np.ones(n),
        rate,
        actual=CashFlows(prem, actual_claims),
        revisions=revisions,
    )
    return inputs, draw(st.floats(0.0, 1.0))


def _ceded(g: GroupInputs, share: float, premium_share: float | None = None) -> ReinsuranceInputs:
    ps = share if premium_share is None else premium_share
    actual = g.actual or g.expected
    return ReinsuranceInputs(
        ReinsuranceCashFlows(ps * g.expected.premiums, share * g.expected.claims),
        share * np.asarray(g.risk_adjustment),
        g.coverage_units,
        g.discount,
        actual=ReinsuranceCashFlows(ps * actual.premiums, share * actual.claims),
        revisions={
            k: ReinsuranceRevision(
                ReinsuranceCashFlows(ps * r.cash_flows.premiums, share * r.cash_flows.claims),
                share * np.asarray(r.risk_adjustment),
            )
            for k, r in g.revisions.items()
        },
    )


@settings(max_examples=60, deadline=None)
@given(underlying_groups())
def test_property_100_percent_quota_share_at_cost_nets_to_zero(case: tuple[GroupInputs, float]) -> None:
    """A 100 % quota share at the underlying premium (reinsurer margin nil) nets every period's result to
    zero, whether the underlying group is profitable or becomes onerous (loss recovery, 66A/66(c)(ii),
    B119F)."""
    g, _ = case
    u = measure(g)
    ri_in = _ceded(g, 1.0)
    ri = measure_reinsurance(
        ReinsuranceInputs(
            ri_in.expected,
            ri_in.risk_adjustment,
            ri_in.coverage_units,
            ri_in.discount,
            ri_in.actual,
            ri_in.revisions,
            underlying=underlying_losses(u),
            recovery_percentage=1.0,
        )
    )
    scale = 1e-7 * (1.0 + float(np.abs(g.expected.premiums).sum() + np.abs(g.expected.claims).sum()))
    for pu, pr in zip(u.periods, ri.periods, strict=True):
        assert pu.profit_or_loss.insurance_service_result + pr.profit_or_loss.net_result == pytest.approx(
            0.0, abs=scale
        )
        assert pu.profit_or_loss.profit + pr.profit_or_loss.profit == pytest.approx(0.0, abs=scale)
        assert pu.profit_or_loss.insurance_revenue == pytest.approx(
            pr.profit_or_loss.allocation_of_premiums, abs=scale
        )
        assert pu.aoc.get("closing", "total") + pr.carrying_amount == pytest.approx(0.0, abs=scale)


@settings(max_examples=60, deadline=None)
@given(underlying_groups(), st.floats(0.5, 1.5))
def test_property_roll_forward_adds_up_and_csm_either_sign(
    case: tuple[GroupInputs, float], load: float
) -> None:
    """The analysis-of-change steps add up to the closing balance, the loss-recovery component runs off to
    nil, profit reconciles to cash and balance sheet, and the CSM (−FCF at inception) has either sign (para
    65)."""
    g, share = case
    u = measure(g)
    ri_in = _ceded(g, share, share * load)
    ri = measure_reinsurance(
        ReinsuranceInputs(
            ri_in.expected,
            ri_in.risk_adjustment,
            ri_in.coverage_units,
            ri_in.discount,
            ri_in.actual,
            ri_in.revisions,
            underlying=underlying_losses(u),
            recovery_percentage=share,
        )
    )
    assert ri.initial.csm_before_loss_recovery == pytest.approx(-ri.initial.fulfilment_cash_flows)
    opening = 0.0
    for p in ri.periods:
        assert p.aoc.steps == RI_AOC_STEPS
        assert p.aoc.values[:-1].sum(axis=0) == pytest.approx(
            p.aoc.values[-1], abs=1e-6 * (1 + np.abs(p.aoc.values).max())
        )
        assert p.aoc.get("opening", "total") == pytest.approx(opening)
        opening = p.carrying_amount
        assert p.loss_recovery_component.get("closing", "loss_recovery_component") >= -1e-6
    assert ri.carrying_amount[-1] == pytest.approx(
        0.0, abs=1e-6 * (1 + float(np.abs(g.expected.premiums).sum()))
    )
    assert ri.periods[-1].loss_recovery_component.get("closing", "loss_recovery_component") == pytest.approx(
        0.0, abs=1e-6
    )
    rec = (ri_in.actual or ri_in.expected).recoveries.sum()
    prem = (ri_in.actual or ri_in.expected).premiums.sum()
    assert ri.profit.sum() == pytest.approx(rec - prem, abs=1e-6 * (1 + rec + prem))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.sampled_from([0.0, 0.04]))
def test_property_no_reinsurance_gives_zero_everything(n: int, rate: float) -> None:
    r = measure_reinsurance(
        ReinsuranceInputs(ReinsuranceCashFlows(np.zeros(n), np.zeros(n)), np.zeros(n + 1), np.ones(n), rate)
    )
    assert r.initial.csm == 0.0 and r.initial.fulfilment_cash_flows == 0.0
    for p in r.periods:
        assert np.all(p.aoc.values == 0.0)
        pl = p.profit_or_loss
        assert pl.allocation_of_premiums == 0.0 and pl.amounts_recovered == 0.0 and pl.profit == 0.0


@settings(max_examples=50, deadline=None)
@given(money, money, st.floats(0, 100))
def test_property_csm_is_minus_fcf_either_sign(recoveries: float, premium: float, ra: float) -> None:
    r = initial_recognition(pv_recoveries=recoveries, pv_premiums=premium, risk_adjustment=ra)
    assert r.csm == pytest.approx(-r.fulfilment_cash_flows)
    assert r.carrying_amount == pytest.approx(0.0, abs=1e-9)


@pytest.mark.req("KZ84-DISC")
def test_reinsurance_held_at_current_rates_with_the_oci_option() -> None:
    """Para 36, 63, 87, 88(b), B131: the FCF of reinsurance held are measured at current rates while its CSM
    accretes and adjusts at locked-in rates; with the OCI option profit or loss is the locked-in measurement's and
    the accumulated OCI returns to nil at the end of the coverage."""
    from aktuar.core.ifrs17.reinsurance import ReinsuranceCashFlows, ReinsuranceInputs, measure_reinsurance

    flows = ReinsuranceCashFlows(np.array([100.0, 100.0, 100.0]), np.array([80.0, 90.0, 100.0]))
    base = ReinsuranceInputs(flows, np.array([15.0, 10.0, 5.0, 0.0]), np.ones(3), 0.05)
    locked = measure_reinsurance(base)
    cur = {1: 0.03, 2: 0.08}
    plain = measure_reinsurance(replace(base, current_discount=cur))
    oci = measure_reinsurance(replace(base, current_discount=cur, oci_option=True))
    for a, b, c in zip(locked.periods, plain.periods, oci.periods, strict=True):
        assert b.aoc.get("closing", "csm") == pytest.approx(a.aoc.get("closing", "csm"), abs=1e-9)
        assert c.profit_or_loss.profit == pytest.approx(a.profit_or_loss.profit, abs=1e-9)
        assert c.profit_or_loss.finance_income == pytest.approx(b.profit_or_loss.finance_income, abs=1e-9)
    # at the end of period 1 the remaining recoveries are valued at 3 %, not at the locked-in 5 %
    pv1 = plain.periods[0].aoc.get("closing", "pv_future_cash_flows")
    expected = -(90.0 / 1.03 + 100.0 / 1.03**2) + (100.0 + 100.0 / 1.03)
    assert pv1 == pytest.approx(expected, rel=1e-12)
    assert sum(p.profit_or_loss.other_comprehensive_income for p in oci.periods) == pytest.approx(0.0, abs=1e-9)
    assert any(abs(p.profit_or_loss.other_comprehensive_income) > 0.1 for p in oci.periods)
