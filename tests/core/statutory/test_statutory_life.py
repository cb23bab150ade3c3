"""Net premium reserves with a mortality table (item 8(7)) and OSNS annuities (item 8(6)), KZ191-OP."""

import datetime as dt

import numpy as np
import pytest

from aktuar.core.statutory import (
    Beneficiary,
    LifeTable,
    ReexaminationAssumption,
    commutation,
    makeham_table,
    net_premium_reserve,
    osns_annuities,
    pack_for,
    pack_table,
)
from aktuar.errors import InputError

SULT = makeham_table(0.00022, 2.7e-6, 1.124, min_age=20, max_age=130, name="SULT")


@pytest.mark.req("KZ191-OP")
@pytest.mark.parametrize(("age", "adue", "ax"), [(20, 19.9664, 0.04922), (40, 18.4578, 0.12106),
                                                 (50, 17.0245, 0.18931), (60, 14.9041, 0.29028)])
def test_commutation_against_standard_ultimate_life_table(age: int, adue: float, ax: float) -> None:
    """Dickson, Hardy & Waters, AMLCR (2nd ed. 2013), Appendix D: SULT at 5 % (Makeham A=0.00022,
    B=2.7e-6, c=1.124): ä_x and A_x."""
    c = commutation(SULT, 0.05)
    assert c.annuity_due(age) == pytest.approx(adue, abs=6e-5)
    assert c.whole_life(age) == pytest.approx(ax, abs=6e-6)


def _constant(mu: float) -> LifeTable:
    return LifeTable("const", 0, np.full(200, 1 - np.exp(-mu)))


def test_closed_forms_constant_force() -> None:
    """Constant force μ, interest i: p = e^-μ, A_x = q v / (1 − p v), term and endowment closed forms."""
    mu, i = 0.02, 0.04
    p, v = np.exp(-mu), 1 / 1.04
    c = commutation(_constant(mu), i)
    m = 169  # the table closes at age 199 (q = 1): A_30 = qv(1 − (pv)^m)/(1 − pv) + (pv)^m v
    assert c.whole_life(30) == pytest.approx((1 - p) * v * (1 - (p * v) ** m) / (1 - p * v) + (p * v) ** m * v,
                                             rel=1e-9)
    n = 10
    assert c.term(30, n) == pytest.approx((1 - p) * v * (1 - (p * v) ** n) / (1 - p * v), rel=1e-12)
    assert c.pure_endowment(30, n) == pytest.approx((p * v) ** n, rel=1e-12)
    assert c.annuity_due(30, n) == pytest.approx((1 - (p * v) ** n) / (1 - p * v), rel=1e-12)
    # term insurance under constant force: the net premium is q·v every year and the reserve is 0
    r = net_premium_reserve(_constant(mu), i, "term", 30, 1000.0, term=n, duration=4)
    assert r.net_premium == pytest.approx(1000 * (1 - p) * v, rel=1e-10)
    assert r.reserve == pytest.approx(0.0, abs=1e-9)


@pytest.mark.req("KZ191-OP")
def test_endowment_and_whole_life_reserves() -> None:
    r = net_premium_reserve(SULT, 0.05, "endowment", 40, 100_000.0, term=20, duration=10)
    c = commutation(SULT, 0.05)
    p = 100_000 * c.endowment(40, 20) / c.annuity_due(40, 20)
    assert r.net_premium == pytest.approx(p)
    assert r.reserve == pytest.approx(100_000 * c.endowment(50, 10) - p * c.annuity_due(50, 10))
    assert r.reserves_by_duration[0] == pytest.approx(0.0, abs=1e-6) and r.reserves_by_duration[-1] == 100_000.0
    w = net_premium_reserve(SULT, 0.05, "whole_life", 40, 1.0, duration=20)
    assert w.reserve == pytest.approx(1 - c.annuity_due(60) / c.annuity_due(40), rel=1e-9)  # 1 − ä_60/ä_40
    assert net_premium_reserve(SULT, 0.05, "term", 40, 0.0, term=5).reserve == 0.0
    with pytest.raises(InputError, match="term"):
        net_premium_reserve(SULT, 0.05, "term", 40, 1.0)


def test_pack_table_is_labelled_illustrative() -> None:
    t = pack_table(pack_for(dt.date(2026, 6, 30)))
    assert t.illustrative and "ILLUSTRATIVE" in t.source and t.min_age == 0


@pytest.mark.req("KZ191-OP")
def test_osns_annuities_constant_force_closed_form_and_reexamination() -> None:
    """Item 8(6): a lifelong annuity of 1 a month at constant force μ and rate i is Σ_m (e^-μ v)^(m/12);
    a degree re-examined yearly with expected factor f multiplies later payments by f^j."""
    mu, i = 0.03, 0.05
    tab = _constant(mu)
    val = dt.date(2025, 12, 31)
    b = Beneficiary("v1", "victim", 1.0, dt.date(1985, 12, 31))
    r = osns_annuities([b], val, tab, i)
    k = np.exp(-mu / 12) * (1.05) ** (-1 / 12)
    months = 12 * 200 - 40 * 12 - 0  # payments until the table ends (age 199)
    assert r.present_value[0] == pytest.approx((1 - k**months) / (1 - k), rel=1e-6)
    rx = ReexaminationAssumption(p_extend=0.8, ratio_if_changed=0.5, interval_years=1.0)
    b2 = Beneficiary("v2", "victim", 1.0, dt.date(1985, 12, 31), reexamination=dt.date(2026, 12, 31))
    r2 = osns_annuities([b2], val, tab, i, reexamination=rx)
    assert r2.present_value[0] < r.present_value[0]
    assert r2.yearly_cash_flows[0, 1] == pytest.approx(r.yearly_cash_flows[0, 1] * 0.9, rel=1e-9)
    assert r2.parameters["reexamination"]["factor_per_reexamination"] == pytest.approx(0.9)
    # a dependant child paid to its 18th birthday: 18 − 10 = 8 years of payments at most
    d = Beneficiary("d1", "dependant", 100.0, dt.date(2015, 12, 31), end=dt.date(2033, 12, 30))
    rd = osns_annuities([d], val, tab, 0.0)
    assert rd.undiscounted[0] == pytest.approx(100 * (1 - np.exp(-mu / 12) ** 96) / (1 - np.exp(-mu / 12)),
                                               rel=1e-9)
    assert osns_annuities([], val, tab, i).total == 0.0
    with pytest.raises(InputError, match="born after"):
        osns_annuities([Beneficiary("x", "victim", 1.0, dt.date(2030, 1, 1))], val, tab, i)
