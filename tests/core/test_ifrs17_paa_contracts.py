"""LRC of PAA groups from contract data (IFRS 17 para 55, B126(a)) and a quota share held under the PAA
(para 63–64, 66A, 69–70A, 86)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.ifrs17.paa import lrc_from_contracts, proportional_reinsurance_paa
from aktuar.errors import InputError

EX10_BOUNDS = ["2021-06-30", "2021-12-31", "2022-06-30", "2022-12-31"]


@pytest.mark.req("KZ84-LRC")
def test_example10_lrc_by_months_from_the_contract() -> None:
    """IASB IFRS 17 IE Example 10 (IE113–IE123): premium 1,220 for 1 Jul 20x1 – 30 Apr 20x2, acquisition 20
    expensed; revenue 732 in H2 20x1 and 488 in H1 20x2; LRC 488 at Dec 20x1 and 0 at Jun 20x2."""
    r = lrc_from_contracts([1220.0], ["2021-07-01"], ["2022-04-30"], EX10_BOUNDS, basis="months",
                           acquisition=[20.0], expense_acquisition=True)
    np.testing.assert_allclose(r.insurance_revenue[0], [732.0, 488.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(r.closing[0], [0.0, 488.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(r.premiums_received[0], [1220.0, 0.0, 0.0])
    np.testing.assert_allclose(r.acquisition_expensed[0], [20.0, 0.0, 0.0])
    rf = r.rollforward(0)
    np.testing.assert_allclose(rf.opening + rf.premiums_received - rf.insurance_revenue, rf.closing, atol=1e-9)


@pytest.mark.req("KZ84-LRC")
def test_by_day_capitalised_acquisition_hand_computed() -> None:
    """184 of 304 days of coverage fall in 2021: revenue 1,220 × 184/304; acquisition amortised likewise."""
    r = lrc_from_contracts([1220.0], ["2021-07-01"], ["2022-04-30"], EX10_BOUNDS[:3], acquisition=[20.0])
    share = 184 / 304
    np.testing.assert_allclose(r.insurance_revenue[0], [1220 * share, 1220 * (1 - share)])
    np.testing.assert_allclose(r.acquisition_amortisation[0], [20 * share, 20 * (1 - share)])
    np.testing.assert_allclose(r.closing[0], [0.0, (1220 - 20) * (1 - share), 0.0], atol=1e-9)
    np.testing.assert_allclose(r.unearned[0], [0.0, 1220 * (1 - share), 0.0], atol=1e-9)


def test_premium_received_late_is_a_receivable_and_groups_are_summed() -> None:
    """Coverage from 1 Jan, premium received 1 Jul: at 30 Jun the earned half is a receivable (LRC negative,
    para 25 recognition from the start of coverage); a second group is kept apart."""
    r = lrc_from_contracts([100.0, 50.0], ["2024-01-01", "2024-01-01"], ["2024-12-31", "2024-12-31"],
                           ["2023-12-31", "2024-06-30", "2024-12-31"], received=["2024-07-01", "2024-01-01"],
                           group=[0, 1])
    assert r.closing[0, 1] == pytest.approx(-100 * 182 / 366)
    assert r.closing[0, 2] == pytest.approx(0.0, abs=1e-9)
    assert r.closing[1, 1] == pytest.approx(50 * (1 - 182 / 366))
    np.testing.assert_allclose(r.insurance_revenue.sum(axis=1), [100.0, 50.0])


def test_contract_outside_the_periods_and_one_day_contracts() -> None:
    r = lrc_from_contracts([10.0, 7.0], ["2020-01-01", "2024-03-01"], ["2020-12-31", "2024-03-01"],
                           ["2023-12-31", "2024-12-31"])
    np.testing.assert_allclose(r.insurance_revenue[0], [7.0])  # the 2020 contract is fully earned before
    np.testing.assert_allclose(r.closing[0], [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"premium": [-1.0]}, "≥ 0"),
    ({"coverage_end": ["2023-01-01"]}, "ends before it starts"),
    ({"boundaries": ["2024-12-31"]}, "at least two reporting dates"),
    ({"boundaries": ["2024-12-31", "2024-06-30"]}, "increasing order"),
    ({"basis": "weeks"}, "unknown coverage basis"),
    ({"group": [3], "n_groups": 2}, "group codes"),
])
def test_bad_contract_input_is_refused(kwargs: dict, message: str) -> None:
    args = {"premium": [1.0], "coverage_start": ["2024-01-01"], "coverage_end": ["2024-12-31"],
            "boundaries": ["2023-12-31", "2024-12-31"]}
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        lrc_from_contracts(args.pop("premium"), args.pop("coverage_start"), args.pop("coverage_end"),
                           args.pop("boundaries"), **args)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 900), st.integers(0, 500), st.floats(0, 1e6), st.integers(0, 2)),
                min_size=1, max_size=12))
def test_lrc_rolls_forward_and_all_premium_is_earned(rows: list[tuple[int, int, float, int]]) -> None:
    """Property: closing = opening + premiums − revenue per period; over a horizon past every coverage the
    revenue of a group equals its premiums (B126)."""
    start = np.datetime64("2024-01-01") + np.array([r[0] for r in rows])
    end = start + np.array([r[1] for r in rows])
    prem = np.array([r[2] for r in rows])
    group = np.array([r[3] for r in rows])
    bounds = np.array(["2023-12-31", "2024-06-30", "2025-03-31", "2027-12-31"], dtype="datetime64[D]")
    r = lrc_from_contracts(prem, start, end, bounds, group=group, n_groups=3)
    np.testing.assert_allclose(r.closing[:, :-1] + r.premiums_received - r.insurance_revenue, r.closing[:, 1:],
                               atol=1e-6)
    np.testing.assert_allclose(r.insurance_revenue.sum(axis=1), np.bincount(group, prem, minlength=3), rtol=1e-12,
                               atol=1e-6)


@pytest.mark.req("KZ84-RE")
def test_quota_share_held_hand_computed() -> None:
    """30 % quota share, commission 20 %: premiums ceded 0.3 × 0.8 × premium, allocated with the underlying
    revenue (para 69); asset for incurred claims 0.3 × LIC less non-performance 2 % × 50 % (para 63); loss-
    recovery component 0.3 × the underlying loss component (para 66A, 70A)."""
    r = proportional_reinsurance_paa(0.3, [1000.0, 0.0], [600.0, 400.0], [0.0, 50.0, 0.0], [0.0, 500.0, 100.0],
                                     [100.0, 450.0], [0.0, 20.0], ceding_commission=0.2, default_probability=0.02,
                                     loss_given_default=0.5)
    np.testing.assert_allclose(r.premiums_paid, [240.0, 0.0])
    np.testing.assert_allclose(r.premium_allocation, [144.0, 96.0])
    np.testing.assert_allclose(r.loss_recovery_component, [0.0, 15.0, 0.0])
    np.testing.assert_allclose(r.arc, [0.0, 96.0 + 15.0, 0.0])
    np.testing.assert_allclose(r.aic, [0.0, 150.0 * 0.99, 30.0 * 0.99])
    # amounts recovered = Δ AIC + recoveries received − finance income + Δ loss-recovery component
    expected = np.array([148.5 + 30.0 - 0.0 + 15.0, (29.7 - 148.5) + 135.0 - 0.3 * 20 * 0.99 - 15.0])
    np.testing.assert_allclose(r.amounts_recovered, expected)
    np.testing.assert_allclose(r.net_expense, r.premium_allocation - r.amounts_recovered)


def test_no_reinsurance_share_gives_zero_and_bad_share_is_refused() -> None:
    r = proportional_reinsurance_paa(0.0, [10.0], [5.0], [0.0, 1.0], [0.0, 3.0], [1.0], [0.1])
    assert not np.any(r.arc) and not np.any(r.aic) and not np.any(r.net_expense)
    with pytest.raises(InputError, match="share"):
        proportional_reinsurance_paa(1.5, [10.0], [5.0], [0.0, 1.0], [0.0, 3.0], [1.0], [0.1])
