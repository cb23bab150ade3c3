"""Variable fee approach (IFRS 17 para 45, B101–B118, B134).

The inputs and published tables of the IASB's Example 9 (IE99–IE113) were not available to this project, so the
reference case is constructed from the standard's logic and checked by hand (figures in the docstrings): a
unit-linked group without deaths, guarantees, expenses or risk adjustment, where the CSM adjustment of each year is
the change in the entity's share of the fair value of the underlying items plus the charge deducted (B112).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.ifrs17.vfa import VFA_AOC_STEPS, VFAInputs, VFAResult, measure_vfa, project
from aktuar.errors import InputError

FULL = 1e-4


def _simple(returns: list[float], **kw: object) -> VFAResult:
    args: dict[str, object] = dict(
        single_premium=10_000.0,
        policies=100.0,
        fee_rate=0.02,
        fund_returns=np.array(returns),
        mortality=np.zeros(len(returns)),
        risk_adjustment=np.zeros(len(returns) + 1),
        discount=0.05,
    )
    args.update(kw)
    return measure_vfa(VFAInputs(**args))  # type: ignore[arg-type]


@pytest.mark.req("KZ84-CSM")
def test_hand_checked_unit_linked_group() -> None:
    """Premium 10,000, charge 2 % a year, returns 10 %, 8 %, 8 %, current rate 5 %, 3 years, no deaths.

    Initial: entity's share = PV of charges = 10,000 × (1 − 0.98³) = 588.08 = variable fee = CSM.
    Year 1: account 11,000, charge 220, underlying items 10,780; entity's share 10,780 × (1 − 0.98²) = 426.888;
    CSM adjustment 426.888 − 588.08 + 220 = 58.808 (= 5 % time value 29.404 + 2 %-share of the 500 excess
    return 29.404); release 1/3 of 646.888 = 215.6293; CSM 431.2587.
    Year 2: charge 232.848, share 228.19104, adjustment 34.15104, release 232.70487.
    Year 3: charge 246.44632, adjustment 18.25528, release 250.96015. Total release = total charges 699.29432.
    """
    r = _simple([0.10, 0.08, 0.08])
    assert r.initial.entity_share == pytest.approx(588.08, abs=FULL)
    assert r.initial.csm == pytest.approx(588.08, abs=FULL)
    assert r.initial.variable_fee == pytest.approx(588.08, abs=FULL)
    np.testing.assert_allclose([p.fees_charged for p in r.periods], [220.0, 232.848, 246.44632], atol=FULL)
    np.testing.assert_allclose([p.entity_share for p in r.periods], [426.888, 228.19104, 0.0], atol=FULL)
    np.testing.assert_allclose([p.csm_adjustment for p in r.periods], [58.808, 34.15104, 18.25528], atol=FULL)
    np.testing.assert_allclose([p.csm_release for p in r.periods], [215.6293, 232.70487, 250.96015], atol=FULL)
    np.testing.assert_allclose(r.csm, [431.2587, 232.70487, 0.0], atol=FULL)
    np.testing.assert_allclose([p.underlying_items for p in r.periods], [10_780, 11_409.552, 0.0], atol=FULL)
    p1 = r.periods[0]
    assert p1.aoc.steps == VFA_AOC_STEPS
    assert p1.aoc.get("underlying_items_change", "total") == pytest.approx(1_000.0)
    assert p1.aoc.get("future_service_changes", "total") == pytest.approx(0.0, abs=1e-9)
    # Liability = policyholder's share + CSM = underlying items − entity's share + CSM (B104).
    assert p1.aoc.get("closing", "total") == pytest.approx(10_780 - 426.888 + 431.2587, abs=FULL)
    assert p1.policyholder_share == pytest.approx(10_780 - 426.888, abs=FULL)
    pl = [p.profit_or_loss for p in r.periods]
    # Finance expense = return on the underlying items held: the net finance result is nil.
    np.testing.assert_allclose([x.insurance_finance_expenses for x in pl], [1_000, 862.4, 912.7641600], atol=FULL)
    assert all(abs(x.net_finance_result) < 1e-9 for x in pl)
    np.testing.assert_allclose(r.profit, [215.6293, 232.70487, 250.96015], atol=FULL)
    assert r.profit.sum() == pytest.approx(699.29432, abs=FULL)
    assert r.liability[-1] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.req("KZ84-CSM")
def test_returns_equal_to_rate_adjust_csm_by_time_value_only() -> None:
    """With returns at the 5 % current rate the adjustment is the time value of the variable fee: 588.08 × 5 %."""
    r = _simple([0.05, 0.05, 0.05])
    assert r.periods[0].csm_adjustment == pytest.approx(588.08 * 0.05, abs=FULL)


@pytest.mark.req("KZ84-DISC")
def test_oci_option_current_period_book_yield() -> None:
    """B134: finance expense in P&L = income on the underlying items in P&L (book yield 4 %); OCI nets to nil."""
    returns = [0.10, -0.05, 0.08]
    base = _simple(returns, guaranteed_death_benefit=120.0, mortality=np.full(3, 0.02))
    book = np.array([10_000 * 0.04, 400.0, 380.0])
    r = _simple(returns, guaranteed_death_benefit=120.0, mortality=np.full(3, 0.02), underlying_income_pl=book)
    for p, q, b in zip(r.periods, base.periods, book, strict=True):
        x = p.profit_or_loss
        assert x.insurance_finance_expenses_pl == pytest.approx(b)
        assert x.investment_income_pl == pytest.approx(b)
        assert x.insurance_finance_expenses_oci == pytest.approx(x.investment_income - b)
        assert x.other_comprehensive_income == pytest.approx(0.0, abs=1e-9)
        assert x.profit == pytest.approx(q.profit_or_loss.profit)


@pytest.mark.req("KZ84-CSM")
def test_risk_mitigation_moves_guarantee_effect_to_profit_or_loss() -> None:
    """B115–B117A: a fall in the underlying items raises the guarantee; without the option the CSM absorbs it,
    with it the effect is a finance expense; over the life the comprehensive income is the same."""
    kw: dict[str, object] = dict(guaranteed_death_benefit=110.0, mortality=np.full(3, 0.05), risk_adjustment=np.zeros(4))
    returns = [-0.20, 0.05, 0.05]
    off = _simple(returns, **kw)
    on = _simple(returns, risk_mitigation=True, **kw)
    m = on.periods[0].profit_or_loss.risk_mitigation_effect
    assert m > 0.0
    assert on.periods[0].aoc.get("risk_mitigation", "pv_future_cash_flows") == pytest.approx(m)
    assert on.periods[0].csm_adjustment == pytest.approx(off.periods[0].csm_adjustment + m)
    assert on.periods[0].profit_or_loss.insurance_finance_expenses == pytest.approx(
        on.periods[0].profit_or_loss.investment_income + m
    )
    assert on.profit.sum() == pytest.approx(off.profit.sum())


@pytest.mark.req("KZ84-CSM")
def test_onerous_group_loss_component() -> None:
    r = _simple([0.05, 0.05, 0.05], expenses=np.full(3, 4.0))  # 400 a year of expenses against 588 of fees
    assert r.initial.loss > 0.0 and r.initial.csm == 0.0
    assert r.periods[0].loss_component.get("new_contracts", "loss_component") == pytest.approx(r.initial.loss)
    assert r.periods[0].profit_or_loss.losses_on_onerous_contracts >= r.initial.loss
    assert r.periods[-1].loss_component.values[-1, 0] == pytest.approx(0.0, abs=1e-9)
    assert all(p.aoc.get("closing", "csm") == 0.0 for p in r.periods)
    assert r.profit.sum() == pytest.approx(sum(p.fees_charged for p in r.periods) - 1_200.0, abs=1e-6)


def test_projection_shares_add_up_to_underlying_items() -> None:
    w = 1.05 ** -np.arange(4.0)
    proj = project(50.0, 120.0, 0, w, np.full(3, 0.03), np.full(3, 0.1), 0.0, np.zeros(3))
    assert proj.pv_account_payouts + proj.pv_fees == pytest.approx(50 * 120.0)
    np.testing.assert_allclose(proj.in_force, [50, 45, 40.5])


def test_zero_rates_and_returns_are_undiscounted() -> None:
    r = _simple([0.0, 0.0, 0.0], discount=0.0)
    assert r.initial.entity_share == pytest.approx(10_000 * (1 - 0.98**3))
    assert r.profit.sum() == pytest.approx(sum(p.fees_charged for p in r.periods))


def test_input_errors() -> None:
    for kw in (
        dict(policies=0.0),
        dict(fee_rate=1.0),
        dict(fund_returns=np.array([0.1, -1.0, 0.0])),
        dict(mortality=np.array([0.1, 1.5, 0.0])),
        dict(risk_adjustment=np.zeros(3)),
        dict(actual_deaths=np.array([200.0, 0, 0])),
        dict(coverage_units=np.zeros(3)),
        dict(fund_returns=np.array([])),
        dict(single_premium=float("nan")),
    ):
        with pytest.raises(InputError):
            _simple([0.1, 0.0, 0.0], **kw)


# --- Properties ---------------------------------------------------------------------------------------------


@st.composite
def vfa_inputs(draw: st.DrawFn) -> VFAInputs:
    n = draw(st.integers(1, 5))
    floats = st.floats
    policies = draw(floats(1.0, 1_000.0))
    mortality = np.array(draw(st.lists(floats(0.0, 0.3), min_size=n, max_size=n)))
    deaths = None
    if draw(st.booleans()):
        deaths = np.array(draw(st.lists(floats(0.0, 0.3), min_size=n, max_size=n))) * policies / 2
    ra = sorted(draw(st.lists(floats(0.0, 200.0), min_size=n, max_size=n)), reverse=True) + [0.0]
    rate = draw(st.sampled_from([0.0, 0.03, 0.05]))
    current = draw(st.one_of(st.none(), st.lists(floats(-0.01, 0.1), min_size=n, max_size=n)))
    return VFAInputs(
        single_premium=draw(floats(0.0, 100_000.0)),
        policies=policies,
        fee_rate=np.array(draw(st.lists(floats(0.0, 0.05), min_size=n, max_size=n))),
        fund_returns=np.array(draw(st.lists(floats(-0.3, 0.3), min_size=n, max_size=n))),
        mortality=mortality,
        risk_adjustment=np.array(ra),
        discount=rate,
        current_discount=current,
        guaranteed_death_benefit=draw(floats(0.0, 300.0)),
        expenses=np.array(draw(st.lists(floats(0.0, 5.0), min_size=n, max_size=n))),
        actual_deaths=deaths,
        risk_mitigation=draw(st.booleans()),
        underlying_income_pl=None if draw(st.booleans()) else np.array(
            draw(st.lists(floats(-1_000.0, 1_000.0), min_size=n, max_size=n))
        ),
    )


@pytest.mark.req("KZ84-CSM")
@settings(max_examples=80, deadline=None)
@given(vfa_inputs())
def test_property_vfa_invariants(g: VFAInputs) -> None:
    r = measure_vfa(g)
    charges = claims_expenses = 0.0
    for p in r.periods:
        v = p.aoc.values
        np.testing.assert_allclose(v[:-1].sum(axis=0), v[-1], atol=1e-6 * max(1.0, float(np.abs(v).max())))
        assert v[-1, 2] >= -1e-9 and p.loss_component.values[-1, 0] >= -1e-9  # CSM, LC never negative
        x = p.profit_or_loss
        assert x.other_comprehensive_income == pytest.approx(0.0, abs=1e-6)  # B134: no net mismatch
        assert x.total_comprehensive_income == pytest.approx(x.profit + x.other_comprehensive_income)
        if not g.risk_mitigation:
            assert x.net_finance_result == pytest.approx(0.0, abs=1e-6)
        charges += p.fees_charged
        claims_expenses += x.incurred_claims_and_expenses
    assert r.liability[-1] == pytest.approx(0.0, abs=1e-6)
    assert r.csm[-1] == pytest.approx(0.0, abs=1e-6)  # all CSM released over the coverage
    assert r.periods[-1].loss_component.values[-1, 0] == pytest.approx(0.0, abs=1e-6)
    # Over the life the group earns its charges less guarantee claims and expenses, whatever the path.
    tci = sum(p.profit_or_loss.total_comprehensive_income for p in r.periods)
    assert tci == pytest.approx(charges - claims_expenses, abs=1e-6 * max(1.0, g.single_premium))
