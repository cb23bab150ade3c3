"""Additional risks and the increase of the insurance reserves (NB Resolution No. 191, Appendix 1, item 8(9)):
aktuar.core.statutory.additional. Hand-checked cases; the lognormal margin against scipy's lognormal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import lognorm

from aktuar.core.statutory import JudgementItem, ReinsurerExposure, adequacy_test, assess_additional_risks
from aktuar.core.statutory.additional import (
    excess_inflation,
    lognormal_margin,
    reinsurer_default,
    reserve_uncertainty,
    runoff_deficiency,
)
from aktuar.errors import InputError

pytestmark = pytest.mark.req("KZ191-OP")


def test_runoff_deficiency_applies_last_years_shortfall_to_todays_reserve() -> None:
    # A: 100 at the start, 60 paid, 50 re-estimated → 10 % short; B: sufficient (100 ≥ 40 + 50)
    ad = adequacy_test(["A", "B"], [100.0, 100.0], [60.0, 40.0], [50.0, 50.0])
    risks = runoff_deficiency(ad, {"A": 200.0, "B": 300.0})
    a, b = risks
    assert a.class_name == "A" and a.parameter == pytest.approx(0.10) and a.increase == pytest.approx(20.0)
    assert b.increase == 0.0 and not b.present and "sufficient" in b.basis
    # within the materiality: tested, nothing added
    assert runoff_deficiency(ad, {"A": 200.0, "B": 300.0}, materiality=0.15)[0].increase == 0.0


def test_runoff_without_a_reserve_at_the_start_adds_the_shortfall() -> None:
    """No reserve at the start but claims incurred before it ran off (paid 10, 5 still reserved): insufficient in
    item 9(2), so item 8(9) must not say "no additional risks" — the shortfall itself is added."""
    ad = adequacy_test(["A", "B"], [0.0, 0.0], [10.0, 0.0], [5.0, 0.0])
    assert ad.insufficient == ("A",)
    a, b = runoff_deficiency(ad, {"A": 50.0, "B": 20.0})
    assert a.present and a.increase == pytest.approx(15.0) and a.parameter is None
    assert "shortfall" in a.basis
    assert not b.present and b.increase == 0.0


def test_lognormal_margin_matches_scipy_and_has_the_reserves_moments() -> None:
    be, se, a = 18_680_856.0, 2_447_095.0, 0.75  # Mack (1993) Taylor–Ashe total reserve and its standard error
    sigma = math.sqrt(math.log1p((se / be) ** 2))
    dist = lognorm(s=sigma, scale=be * math.exp(-sigma ** 2 / 2))
    assert dist.mean() == pytest.approx(be, rel=1e-12) and dist.std() == pytest.approx(se, rel=1e-12)
    assert lognormal_margin(be, se, a) == pytest.approx(dist.ppf(a) - be, rel=1e-12)
    # a lognormal is skewed to the right: its median is below the mean, so a 50 % level adds nothing
    assert lognormal_margin(be, se, 0.5) == 0.0
    assert lognormal_margin(0.0, 0.0, 0.9) == 0.0 and lognormal_margin(100.0, 0.0, 0.9) == 0.0


def test_reserve_uncertainty_records_classes_without_a_standard_error() -> None:
    risks = reserve_uncertainty({"A": 1000.0, "B": 500.0}, {"A": 100.0, "B": None}, 0.9)
    assert risks[0].increase == pytest.approx(lognormal_margin(1000.0, 100.0, 0.9))
    assert risks[1].increase == 0.0 and "not assessed" in risks[1].basis


def test_reinsurer_default_is_the_expected_credit_loss() -> None:
    (r,) = reinsurer_default([ReinsurerExposure("Property", 1_000_000.0, 0.002, 0.5, "Re AG")])
    assert r.increase == pytest.approx(1000.0) and r.parameter == pytest.approx(0.001) and "Re AG" in r.basis


def test_excess_inflation_by_hand() -> None:
    (r,) = excess_inflation({"A": [100.0, 50.0]}, 0.10)
    assert r.increase == pytest.approx(100 * (1.1 ** 0.5 - 1) + 50 * (1.1 ** 1.5 - 1))
    (q,) = excess_inflation({"A": [100.0, 50.0]}, 0.10, period_years=0.25)
    assert q.increase == pytest.approx(100 * (1.1 ** 0.125 - 1) + 50 * (1.1 ** 0.375 - 1))
    assert excess_inflation({"A": [100.0]}, 0.0)[0].increase == 0.0
    # lower inflation than the past would release reserves: not an additional risk, nothing added
    assert excess_inflation({"A": [100.0]}, -0.05)[0].increase == 0.0
    assert excess_inflation({"A": np.zeros(0)}, 0.05)[0].increase == 0.0


def test_assess_adds_up_and_lists_what_was_tested() -> None:
    ad = adequacy_test(["A", "B"], [100.0, 100.0], [60.0, 40.0], [50.0, 50.0])
    res = assess_additional_risks(
        ["A", "B"], adequacy=ad, claims_reserves={"A": 200.0, "B": 300.0}, runoff=True,
        reinsurers=[ReinsurerExposure("B", 100.0, 0.01, 0.5)], payments={"A": [200.0], "B": [300.0]}, inflation=0.0,
        judgement=[JudgementItem("Court case", 7.0, "a claim under appeal after the valuation date"),
                   JudgementItem("Hail", 3.0, "storm of 02.01.2027", "A")])
    assert res.tested == ("runoff_deficiency", "reinsurer_default", "excess_inflation", "judgement")
    assert res.total == pytest.approx(20.0 + 0.5 + 7.0 + 3.0)
    assert res.by_class() == pytest.approx({"A": 23.0, "B": 0.5, "": 7.0})
    assert res.present
    nothing = assess_additional_risks(["A"], adequacy=adequacy_test(["A"], [100.0], [10.0], [10.0]),
                                      claims_reserves={"A": 50.0}, runoff=True)
    assert not nothing.present and nothing.total == 0.0 and nothing.tested == ("runoff_deficiency",)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"judgement": [JudgementItem("X", 1.0, "")]}, "needs a title and a reason"),
    ({"judgement": [JudgementItem("X", -1.0, "why")]}, "amount ≥ 0"),
    ({"judgement": [JudgementItem("X", 1.0, "why", "Z")]}, "unknown class 'Z'"),
    ({"reinsurers": [ReinsurerExposure("Z", 1.0, 0.1)]}, "unknown class 'Z'"),
    ({"reinsurers": [ReinsurerExposure("A", 1.0, 1.5)]}, "between 0 and 1"),
    ({"confidence": 0.2, "claims_reserves": {"A": 1.0}}, "between 0.5 and 0.9999"),
    ({"runoff": True}, "needs the adequacy test"),
    ({"inflation": float("nan"), "payments": {"A": [1.0]}}, "between -0.5 and 1"),
])
def test_bad_parameters_are_refused_with_a_reason(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        assess_additional_risks(["A"], **kwargs)
