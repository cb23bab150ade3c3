"""Engine tests of the life/annuity projection: tables, closed forms, degenerate inputs, validation, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.curves import Curve
from aktuar.core.ifrs17.gmm import discount_factors
from aktuar.core.projection import (
    AnnualSpotRates,
    Assumptions,
    DecrementTable,
    ModelPoints,
    NetPremium,
    PremiumRateTable,
    csm_per_group,
    group_cash_flows,
    group_inputs,
    monthly_rate,
    project,
)
from aktuar.errors import InputError

FCF = pytest.mark.req("KZ84-FCF")


def _mp(**kw: object) -> ModelPoints:
    base: dict[str, object] = dict(age_at_entry=[40], policy_term=[10], sum_insured=[100_000.0], policy_count=[1.0],
                                   duration_mth=[0], premium=[50.0])
    base.update(kw)
    return ModelPoints(**base)  # type: ignore[arg-type]


def _flat(q: float = 0.0, **kw: object) -> Assumptions:
    base: dict[str, object] = dict(mortality=DecrementTable.constant(q, "mortality"), discount=0.0)
    base.update(kw)
    return Assumptions(**base)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- tables


def test_select_ultimate_lookup_caps_duration_at_the_ultimate_column() -> None:
    rates = np.array([[0.01, 0.02, 0.03], [0.011, 0.021, 0.031], [0.012, 0.022, 0.032]])
    t = DecrementTable.select_ultimate(rates, min_age=30)
    assert t.select_period == 2 and t.max_age == 32
    np.testing.assert_array_equal(t.annual([30, 31, 32, 32], [0, 1, 2, 9]), [0.01, 0.021, 0.032, 0.032])
    assert float(t.monthly(30, 0)) == pytest.approx(1 - 0.99 ** (1 / 12))
    lapse = DecrementTable.by_duration([0.1, 0.05])
    np.testing.assert_array_equal(lapse.annual([0, 99], [0, 7]), [0.1, 0.05])
    with pytest.raises(InputError, match="ages must be within 30..32"):
        t.annual(33, 0)
    with pytest.raises(InputError, match="between 0 and 1"):
        DecrementTable.by_age([0.1, 1.5], min_age=20)


@FCF
def test_engine_uses_select_rates_by_policy_year() -> None:
    """A new policy aged 30 uses q[30]+0, q[30]+1 (select), then the ultimate column: hand-computed claims PV."""
    rates = np.array([[0.01, 0.02, 0.05]] * 6)
    a = _flat(mortality=DecrementTable.select_ultimate(rates, 30), claims_timing="beginning")
    res = project(_mp(age_at_entry=[30], policy_term=[4], sum_insured=[1000.0], premium=[0.0]), a)
    b, pv = 1.0, 0.0
    for t in range(48):
        qm = monthly_rate(rates[0, min(t // 12, 2)])
        pv += 1000.0 * b * qm
        b *= 1 - qm
    assert res.pv_claims[0] == pytest.approx(pv, rel=1e-13)
    # In force for 13 months at valuation: starts in policy year 1 at attained age 31.
    res2 = project(_mp(age_at_entry=[30], policy_term=[2], sum_insured=[1000.0], premium=[0.0],
                       duration_mth=[13]), a)
    b, pv = 1.0, 0.0
    for _t in range(11):
        qm = monthly_rate(0.02)
        pv += 1000.0 * b * qm
        b *= 1 - qm
    assert res2.pv_claims[0] == pytest.approx(pv, rel=1e-13)


# ----------------------------------------------------------------------------------------- closed forms


@FCF
@pytest.mark.parametrize("deferral", [0, 3])
def test_annuity_pv_is_annuity_certain_times_survival_with_constant_mortality(deferral: int) -> None:
    """Monthly annuity-due A from month 12d to 12n: PV = A Σ v^t (1 − q_m)^t, a geometric series."""
    q, i, n, amount = 0.03, 0.04, 20, 1_000.0
    mp = _mp(age_at_entry=[65], policy_term=[n], sum_insured=[0.0], premium=[0.0], product=["annuity"],
             annuity_amount=[amount], annuity_deferral=[deferral], premium_frequency=[0])
    res = project(mp, _flat(q, discount=i))
    r = (1 - monthly_rate(q)) * (1 + i) ** (-1 / 12)
    closed = amount * r ** (12 * deferral) * (1 - r ** (12 * (n - deferral))) / (1 - r)
    assert res.pv_annuities[0] == pytest.approx(closed, rel=1e-12)
    assert res.pv_net_cf[0] == pytest.approx(-closed, rel=1e-12)
    assert res.flows.coverage_units[0, 0] == pytest.approx(amount)


@FCF
def test_zero_mortality_and_lapse_give_deterministic_cash_flows() -> None:
    """No decrements: premiums, expenses, commissions and the endowment's maturity are annuities-certain."""
    i, n, prem = 0.05, 5, 100.0
    a = _flat(0.0, discount=i, acquisition_expense=300.0, maintenance_expense=60.0, expense_inflation=0.02,
              commission=(0.5, 0.1), lapse=DecrementTable.constant(0.0, "lapse"))
    mp = _mp(policy_term=[n], premium=[prem], product=["endowment"], sum_insured=[10_000.0], policy_count=[2.0])
    res = project(mp, a)
    t = np.arange(12 * n)
    v = (1 + i) ** (-t / 12)
    assert res.pv_premiums[0] == pytest.approx(2 * prem * v.sum(), rel=1e-13)
    assert res.pv_claims[0] == 0.0
    assert res.pv_maturities[0] == pytest.approx(2 * 10_000.0 * (1 + i) ** (-n), rel=1e-13)
    maint = 2 * 60.0 / 12 * (1.02 ** (t / 12) * v).sum()
    assert res.pv_expenses[0] == pytest.approx(2 * 300.0 + maint, rel=1e-13)
    comm = 2 * prem * (0.5 * v[:12].sum() + 0.1 * v[12:24].sum())
    assert res.pv_commissions[0] == pytest.approx(comm, rel=1e-13)
    np.testing.assert_allclose(res.flows.policies_in_force[0, :60], 2.0)
    assert res.months == 61 and res.flows.policies_in_force[0, 60] == 0.0  # matured at month 60
    assert res.flows.maturities[0].sum() == pytest.approx(20_000.0)


@FCF
def test_annual_and_single_premiums_fall_on_anniversaries() -> None:
    i = 0.03
    yearly = project(_mp(premium=[1200.0], premium_frequency=[1], policy_term=[3]), _flat(discount=i))
    assert yearly.pv_premiums[0] == pytest.approx(1200.0 * sum((1 + i) ** -k for k in range(3)), rel=1e-13)
    nz = np.flatnonzero(yearly.flows.premiums[0])
    np.testing.assert_array_equal(nz, [0, 12, 24])
    single = project(_mp(premium=[5000.0], premium_frequency=[0], duration_mth=[-5]), _flat(discount=i))
    np.testing.assert_array_equal(np.flatnonzero(single.flows.premiums[0]), [5])
    limited = project(_mp(premium=[10.0], premium_term=[2], policy_term=[5]), _flat())
    assert limited.pv_premiums[0] == pytest.approx(240.0)


@FCF
def test_morbidity_is_a_lump_sum_decrement_after_deaths() -> None:
    q, k, n = 0.01, 0.02, 3
    a = _flat(q, morbidity=DecrementTable.constant(k, "morbidity"), morbidity_benefit=0.5,
              claims_timing="beginning")
    res = project(_mp(policy_term=[n], premium=[0.0], sum_insured=[1000.0]), a)
    qm, km = monthly_rate(q), monthly_rate(k)
    b, death, morb = 1.0, 0.0, 0.0
    for _ in range(12 * n):
        d = b * qm
        m = (b - d) * km
        death += 1000.0 * d
        morb += 500.0 * m
        b = b - d - m
    assert res.pv_claims[0] == pytest.approx(death, rel=1e-13)
    assert res.pv_morbidity[0] == pytest.approx(morb, rel=1e-13)


@FCF
def test_flat_zero_curve_equals_undiscounted_sums() -> None:
    mp = _mp(age_at_entry=[30, 50], policy_term=[10, 15], sum_insured=[1e5, 2e5], policy_count=[3.0, 1.0],
             duration_mth=[7, -2], premium=[40.0, 90.0])
    a = _flat(0.004, lapse=DecrementTable.by_duration([0.1, 0.05]), maintenance_expense=60.0,
              acquisition_expense=100.0, commission=(1.0,), expense_inflation=0.01)
    res = project(mp, a)
    assert np.all(res.discount_factors == 1.0)
    fl = res.flows
    assert fl.premiums.sum() == pytest.approx(res.pv_premiums.sum(), rel=1e-13)
    assert fl.claims.sum() == pytest.approx(res.pv_claims.sum(), rel=1e-13)
    assert fl.expenses.sum() == pytest.approx(res.pv_expenses.sum(), rel=1e-13)
    assert fl.net_cf.sum() == pytest.approx(res.pv_net_cf.sum(), rel=1e-12)
    curve = project(mp, _flat(0.004, lapse=a.lapse, maintenance_expense=60.0, acquisition_expense=100.0,
                              commission=(1.0,), expense_inflation=0.01,
                              discount=Curve(np.array([1.0, 30.0]), np.array([0.0, 0.0]))))
    np.testing.assert_allclose(curve.pv_net_cf, res.pv_net_cf, rtol=1e-13)


def test_curve_and_spot_rates_discount_at_whole_months() -> None:
    spot = AnnualSpotRates([0.0, 0.02, 0.03])
    v = spot.monthly_factors(40)
    assert v[0] == 1.0
    assert v[12] == pytest.approx(1.02 ** -1, rel=1e-14)
    assert v[30] == pytest.approx(1.03 ** -2.5, rel=1e-14)
    np.testing.assert_allclose(spot.discount(np.arange(41) / 12), v, rtol=1e-14)


# ----------------------------------------------------------------------------------------- degenerate


@FCF
def test_single_model_point_zero_policies_and_empty_portfolio() -> None:
    a = _flat(0.01, discount=0.03)
    zero = project(_mp(policy_count=[0.0]), a)
    for name in ("premiums", "claims", "expenses", "commissions", "net_cf"):
        assert getattr(zero, f"pv_{name}")[0] == 0.0
    assert zero.flows.policies_in_force.sum() == 0.0
    assert csm_per_group(zero) == {}
    empty = project(ModelPoints(age_at_entry=np.zeros(0), policy_term=np.zeros(0), sum_insured=np.zeros(0),
                                policy_count=np.zeros(0), premium=np.zeros(0)), a, months=12)
    assert empty.pv_net_cf.shape == (0,) and empty.flows.premiums.shape == (1, 12)
    one_month = project(_mp(policy_term=[1], duration_mth=[11]), a)
    assert one_month.months == 2
    assert one_month.pv_premiums[0] == pytest.approx(50.0)


def test_horizon_truncates_cash_flows() -> None:
    full = project(_mp(), _flat(0.01))
    short = project(_mp(), _flat(0.01), months=24)
    assert short.months == 24
    assert short.pv_premiums[0] == pytest.approx(full.flows.premiums[0, :24].sum(), rel=1e-13)


# ----------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kw", "column", "text"),
    [
        ({"age_at_entry": [40, -1]}, "age_at_entry", "must not be negative"),
        ({"policy_term": [10, 0]}, "policy_term", "at least 1 year"),
        ({"policy_count": [1.0, -2.0]}, "policy_count", "must not be negative"),
        ({"sum_insured": [1.0, np.nan]}, "sum_insured", "finite"),
        ({"premium_frequency": [12, 3]}, "premium_frequency", "12, 4, 2, 1 or 0"),
        ({"duration_mth": [0, 500]}, "duration_mth", "beyond the policy term"),
        ({"product": ["term", "unit_linked"]}, "product", "must be one of"),
        ({"age_at_entry": [40, 40.5]}, "age_at_entry", "whole number"),
    ],
)
def test_validation_names_the_row_and_column(kw: dict[str, object], column: str, text: str) -> None:
    base: dict[str, object] = dict(age_at_entry=[40, 41], policy_term=[10, 10], sum_insured=[1.0, 1.0],
                                   policy_count=[1.0, 1.0], premium=[1.0, 1.0])
    base.update(kw)
    with pytest.raises(InputError, match=text) as exc:
        ModelPoints(**base)  # type: ignore[arg-type]
    assert exc.value.column == column
    assert exc.value.row == 3  # model point at index 1 = spreadsheet line 3 under a header line


def test_validation_against_the_tables_and_premium_rule() -> None:
    table = DecrementTable.select_ultimate(np.full((41, 2), 0.01), min_age=20)  # ages 20..60
    a = Assumptions(mortality=table, discount=0.02)
    with pytest.raises(InputError, match="beyond the last age 60") as exc:
        project(_mp(age_at_entry=[40, 55], policy_term=[10, 10], sum_insured=[1.0, 1.0], policy_count=[1.0, 1.0],
                    duration_mth=[0, 0], premium=[1.0, 1.0]), a)
    assert exc.value.row == 3 and exc.value.column == "policy_term"
    with pytest.raises(InputError, match="below the first age 20"):
        project(_mp(age_at_entry=[18]), a)
    with pytest.raises(InputError, match="no premium column"):
        project(_mp(premium=None), a)
    rates = PremiumRateTable([40], [5], [0.001])
    with pytest.raises(InputError, match="no premium rate for age at entry 40 and term 10"):
        project(_mp(premium=None), Assumptions(mortality=table, discount=0.02, premium_rule=rates))
    by_sex = Assumptions(mortality={"M": table, "F": table}, discount=0.0)
    with pytest.raises(InputError, match="sex 'X' has no mortality table"):
        project(_mp(sex=["X"]), by_sex)
    with pytest.raises(InputError, match="chunk_size"):
        project(_mp(), a, chunk_size=0)
    with pytest.raises(InputError, match="expense_inflation"):
        Assumptions(mortality=table, discount=0.0, expense_inflation=-2.0)


def test_mortality_by_sex_and_net_premium_rule() -> None:
    male = DecrementTable.constant(0.02, "male")
    female = DecrementTable.constant(0.01, "female")
    a = Assumptions(mortality={"M": male, "F": female}, discount=0.03, premium_rule=NetPremium(loading=0.5))
    res = project(_mp(age_at_entry=[40, 40], policy_term=[10, 10], sum_insured=[1e5, 1e5], policy_count=[1.0, 1.0],
                      duration_mth=[0, 0], premium=None, sex=["M", "F"]), a)
    assert res.pv_claims[0] > res.pv_claims[1] > 0
    # premium = round(1.5 × PV claims / PV premium-paying in force, 2): the premiums PV is 1.5 × claims PV.
    np.testing.assert_allclose(res.pv_premiums, 1.5 * res.pv_claims, rtol=1e-4)
    assert np.all(np.round(res.premium_per_payment, 2) == res.premium_per_payment)


# ----------------------------------------------------------------------------------------- IFRS 17 groups


def _portfolio(n: int = 60, seed: int = 3) -> ModelPoints:
    rng = np.random.default_rng(seed)
    return ModelPoints(
        age_at_entry=rng.integers(20, 60, n), policy_term=rng.integers(1, 20, n),
        sum_insured=rng.integers(1, 100, n) * 10_000.0, policy_count=rng.integers(0, 50, n).astype(float),
        duration_mth=rng.integers(-12, 12, n), premium=rng.uniform(10, 400, n),
        product=rng.choice(["term", "endowment"], n), group=rng.choice(["A/2023", "A/2024", "B/2024"], n),
    )


def _assumptions() -> Assumptions:
    ages = np.arange(18, 121)
    q = np.minimum(1.0, 0.0005 * np.exp(0.08 * (ages - 18)))
    rates = np.column_stack([q * 0.8, q * 0.9, q])
    return Assumptions(
        mortality=DecrementTable.select_ultimate(rates, 18), discount=AnnualSpotRates([0.03, 0.035, 0.04]),
        lapse=DecrementTable.by_duration([0.1, 0.06, 0.03]), acquisition_expense=200.0, maintenance_expense=50.0,
        expense_inflation=0.03, commission=(0.6, 0.1),
    )


@FCF
def test_group_aggregates_match_model_point_present_values() -> None:
    res = project(_portfolio(), _assumptions(), chunk_size=17)
    assert res.groups == ("A/2023", "A/2024", "B/2024")
    v = res.discount_factors
    vb = v[: res.months]
    for g in range(3):
        assert res.flows.premiums[g] @ vb == pytest.approx(res.group_pv("premiums")[g], rel=1e-12)
        assert res.flows.claims[g] @ v[1 : res.months + 1] == pytest.approx(res.group_pv("claims")[g], rel=1e-12)
        assert res.flows.net_cf[g].sum() != 0.0
    annual = res.flows.annual("premiums")
    assert annual.shape == (3, -(-res.months // 12))
    np.testing.assert_allclose(annual.sum(axis=1), res.flows.premiums.sum(axis=1), rtol=1e-13)


@FCF
@pytest.mark.parametrize("basis", ["discount_consistent", "nominal"])
def test_annual_gmm_cash_flows_and_csm_per_group(basis: str) -> None:
    res = project(_portfolio(), _assumptions())
    cf = group_cash_flows(res, "A/2024", basis=basis)
    inputs = group_inputs(res, "A/2024", ra_share=0.1, basis=basis)
    v = discount_factors(inputs.discount, cf.n_periods)
    pv_annual = (cf.premiums - cf.acquisition) @ v[:-1] - (cf.claims + cf.investment_components) @ v[1:]
    gi = res.groups.index("A/2024")
    if basis == "discount_consistent":
        assert pv_annual == pytest.approx(res.group_pv("net_cf")[gi], rel=1e-11)
    else:
        assert cf.premiums.sum() == pytest.approx(res.flows.premiums[gi].sum(), rel=1e-12)
    assert inputs.risk_adjustment[-1] == pytest.approx(0.0, abs=1e-9)
    measured = csm_per_group(res, ra_share=0.1, basis=basis)
    assert set(measured) == set(res.groups)
    for m in measured.values():
        init = m.result.initial
        assert m.csm >= 0 and m.loss >= 0 and min(m.csm, m.loss) == 0
        assert init.fulfilment_cash_flows + init.csm - init.loss == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(InputError, match="unknown group"):
        group_cash_flows(res, "Z")


# ----------------------------------------------------------------------------------------- properties


@FCF
@settings(max_examples=40, deadline=None)
@given(scale=st.floats(0.0, 1e3), seed=st.integers(0, 10_000))
def test_present_values_are_linear_in_policy_count(scale: float, seed: int) -> None:
    mp = _portfolio(12, seed)
    a = _assumptions()
    base = project(mp, a)
    scaled = ModelPoints(age_at_entry=mp.age_at_entry, policy_term=mp.policy_term, sum_insured=mp.sum_insured,
                         policy_count=mp.policy_count * scale, duration_mth=mp.duration_mth, premium=mp.premium,
                         product=mp.product, group=mp.group)
    out = project(scaled, a)
    for name in ("premiums", "claims", "expenses", "commissions", "maturities"):
        np.testing.assert_allclose(getattr(out, f"pv_{name}"), scale * getattr(base, f"pv_{name}"),
                                   rtol=1e-12, atol=1e-9)
    gross = scale * (base.pv_premiums + base.pv_claims + base.pv_expenses + base.pv_commissions
                     + base.pv_maturities)
    assert np.all(np.abs(out.pv_net_cf - scale * base.pv_net_cf) <= 1e-12 * gross + 1e-9)


@settings(max_examples=30, deadline=None)
@given(chunk=st.integers(1, 40), seed=st.integers(0, 10_000))
def test_chunk_size_does_not_change_results(chunk: int, seed: int) -> None:
    mp = _portfolio(35, seed)
    a = _assumptions()
    ref = project(mp, a, chunk_size=1_000)
    out = project(mp, a, chunk_size=chunk)
    np.testing.assert_allclose(out.pv_net_cf, ref.pv_net_cf, rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(out.flows.premiums, ref.flows.premiums, rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(out.flows.policies_in_force, ref.flows.policies_in_force, rtol=1e-13, atol=1e-12)


@FCF
def test_many_groups_in_one_chunk_sum_like_few() -> None:
    """More than 64 groups in a chunk switch to a segmented reduction: the group sums still match the PVs."""
    base = _portfolio(300, seed=11)
    labels = np.arange(300) % 100
    mp = ModelPoints(age_at_entry=base.age_at_entry, policy_term=base.policy_term, sum_insured=base.sum_insured,
                     policy_count=base.policy_count, duration_mth=base.duration_mth, premium=base.premium,
                     product=base.product, group=labels)
    res = project(mp, _assumptions(), chunk_size=1_000)
    assert len(res.groups) == 100
    vb = res.discount_factors[: res.months]
    np.testing.assert_allclose(res.flows.premiums @ vb, res.group_pv("premiums"), rtol=1e-12)
    np.testing.assert_allclose(res.flows.commissions @ vb, res.group_pv("commissions"), rtol=1e-12)
    few = project(mp, _assumptions(), chunk_size=3)  # ≤ 3 groups per chunk: per-group sums
    np.testing.assert_allclose(few.flows.policies_in_force, res.flows.policies_in_force, rtol=1e-12, atol=1e-12)
