"""Unallocated claims-settlement expenses (ULAE, «РУУ») by the paid-to-paid methods.

Reference figures: the CAS Exam 5 questions on Friedland (2010), ch. 17 (the published examiner's solutions):
Spring 2018 Q23 (classical and Kittel, with IBNER) and Fall 2019 Q24a (Kittel, claims-made, all IBNR is IBNER).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.reserving.expenses import PaidToPaid
from aktuar.errors import InputError, MethodError

# CAS Exam 5, Spring 2018, Question 23 (calendar years 2014-2017, as of 31.12.2017)
S18_ULAE = [25_000, 50_000, 75_000, 90_000]
S18_PAID = [62_500, 250_000, 500_000, 600_000]
S18_INCURRED = [250_000, 500_000, 750_000, 900_000]
S18_CASE, S18_IBNR, S18_IBNER = 150_000, 100_000, 60_000  # 60 % of the IBNR is development on known claims


@pytest.mark.req("KZ191-OP")
def test_cas_exam5_spring2018_q23_classical() -> None:
    """Published: ratios 40 %, 20 %, 15 %, 15 %; select 15 % (2016-2017);
    unpaid ULAE = 15 % × [40,000 + 50 % × (60,000 + 150,000)] = 21,750."""
    res = PaidToPaid("classical", latest=2).fit(S18_ULAE, S18_PAID, S18_CASE, S18_IBNR, ibner=S18_IBNER,
                                                 period_labels=["2014", "2015", "2016", "2017"])
    np.testing.assert_allclose(res.ratio_by_period[0], [0.40, 0.20, 0.15, 0.15])
    assert res.ratio[0] == pytest.approx(0.15, rel=1e-15)
    assert res.pure_ibnr[0] == 40_000
    assert res.reserve[0] == pytest.approx(21_750.0, rel=1e-15)
    assert res.total == pytest.approx(21_750.0)
    assert res.parameters["periods"] == ["2016", "2017"]


def test_cas_exam5_spring2018_q23_kittel() -> None:
    """Published: Kittel ratios 2015-2017 = 13.33 %, 12 %, 12 %; select 12 %;
    unpaid ULAE = 12 % × [40,000 + 50 % × (60,000 + 150,000)] = 17,400."""
    res = PaidToPaid("kittel", latest=2).fit(S18_ULAE, S18_PAID, S18_CASE, S18_IBNR, ibner=S18_IBNER,
                                              incurred_claims=S18_INCURRED)
    np.testing.assert_allclose(res.ratio_by_period[0, 1:], [50_000 / 375_000, 0.12, 0.12])
    assert res.ratio[0] == pytest.approx(0.12, rel=1e-15)
    assert res.reserve[0] == pytest.approx(17_400.0, rel=1e-14)


def test_cas_exam5_fall2019_q24a_kittel_claims_made() -> None:
    """Published: Kittel ratios ≈ 6.9 %, 6.8 %, 6.9 %, 7.0 %, select 6.9 %; claims-made, so no pure IBNR:
    unpaid ULAE = 6.9 % × 50 % × 108,562 ≈ 3,745 (reported BF ultimates 33,236 + 34,308 + 40,270 + 45,747)."""
    paid = [18_700, 19_200, 18_900, 19_800]
    incurred = [35_500, 36_500, 36_400, 37_400]
    ulae = [1_870, 1_890, 1_910, 1_990]
    reported = np.array([29_500, 26_200, 20_700, 19_000])
    paid_ry = np.array([22_400, 14_300, 5_500, 2_800])
    ultimate = reported + np.array([77_600, 78_000, 77_800, 77_900]) * 0.45 * np.array([0.107, 0.231, 0.559, 0.763])
    np.testing.assert_allclose(ultimate, [33_236, 34_308, 40_270, 45_747], atol=1)
    case = (reported - paid_ry).sum()
    ibnr = (ultimate - reported).sum()
    est = PaidToPaid("kittel").fit(ulae, paid, case, ibnr, incurred_claims=incurred, ibner=ibnr)
    np.testing.assert_allclose(est.ratio_by_period[0], [0.069, 0.068, 0.069, 0.070], atol=5e-4)
    sel = PaidToPaid("kittel", selected_ratio=0.069).fit(ulae, paid, case, ibnr, incurred_claims=incurred,
                                                         ibner=ibnr)
    assert sel.ratio_selected
    assert 2 * sel.reserve_base[0] == pytest.approx(108_562, abs=1)
    assert sel.reserve[0] == pytest.approx(3_745, abs=1)
    # the estimated all-years ratio (6.89 %) gives nearly the same
    assert est.reserve[0] == pytest.approx(0.5 * (case + ibnr) * 7_660 / 111_200)


def test_classical_hand_computed_segments() -> None:
    """Two segments × three calendar periods, all periods, weighted average, u = 50 %:
    A: W = (10+12+14)/(200+240+280) = 0.05, reserve = 0.05 × (1000 + 0.5 × 3000) = 125
    B: W = (3+3+3)/(100+100+100) = 0.03, reserve = 0.03 × (0 + 0.5 × 800) = 12."""
    res = PaidToPaid().fit([[10, 12, 14], [3, 3, 3]], [[200, 240, 280], [100, 100, 100]], [3000, 800],
                           [1000, 0])
    np.testing.assert_allclose(res.ratio, [0.05, 0.03])
    np.testing.assert_allclose(res.reserve, [125.0, 12.0])
    # simple average of the period ratios: A (0.05 + 0.05 + 0.05)/3 — the same here; u = 30 % at opening
    res = PaidToPaid(average="simple", opening_share=0.3).fit([[10, 12, 14], [3, 3, 3]],
                                                              [[200, 240, 280], [100, 100, 100]], [3000, 800],
                                                              [1000, 0])
    np.testing.assert_allclose(res.reserve, [0.05 * (1000 + 0.7 * 3000), 0.03 * 0.7 * 800])


def test_kittel_opening_share_generalises_the_average() -> None:
    """With u = 1 − u = ½ the basis is the average of paid and incurred; in general u·incurred + (1−u)·paid."""
    res = PaidToPaid("kittel", opening_share=0.25).fit([10.0], [100.0], 0.0, 50.0, incurred_claims=[200.0])
    assert res.basis_by_period[0, 0] == pytest.approx(0.25 * 200 + 0.75 * 100)
    assert res.reserve[0] == pytest.approx(10 / 125 * 50)


def test_selection_by_period_indices() -> None:
    res = PaidToPaid(periods=[0, 2]).fit(S18_ULAE, S18_PAID, 0.0, 1000.0)
    assert res.periods_used[0].tolist() == [True, False, True, False]
    assert res.ratio[0] == pytest.approx((25_000 + 75_000) / (62_500 + 500_000))


def test_degenerate_inputs() -> None:
    res = PaidToPaid().fit([0.0, 0.0], [0.0, 0.0], 100.0, 100.0)
    assert res.reserve[0] == 0.0
    assert any("cannot be estimated" in w for w in res.warnings[0])
    res = PaidToPaid().fit([5.0, np.nan], [100.0, 100.0], 100.0, 0.0)
    assert res.ratio[0] == pytest.approx(0.05)
    assert any("left out" in w for w in res.warnings[0])
    res = PaidToPaid().fit([-5.0], [100.0], 100.0, 0.0)
    assert any("negative" in w for w in res.warnings[0])
    res = PaidToPaid().fit([5.0], [100.0], 100.0, 10.0, ibner=20.0)
    assert any("IBNER exceeds" in w for w in res.warnings[0])


def test_input_errors() -> None:
    with pytest.raises(MethodError, match="incurred"):
        PaidToPaid("kittel").fit([1.0], [10.0], 0.0, 0.0)
    with pytest.raises(InputError):
        PaidToPaid(opening_share=1.5)
    with pytest.raises(InputError):
        PaidToPaid("bulk")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        PaidToPaid(latest=2, periods=[0])
    with pytest.raises(InputError):
        PaidToPaid(latest=0)
    with pytest.raises(InputError, match="outside"):
        PaidToPaid(periods=[5]).fit([1.0], [10.0], 0.0, 0.0)
    with pytest.raises(InputError, match="same segments"):
        PaidToPaid().fit([1.0, 2.0], [10.0], 0.0, 0.0)
    with pytest.raises(InputError, match="one per segment"):
        PaidToPaid().fit([[1.0], [2.0]], [[10.0], [10.0]], [0.0, 1.0, 2.0], 0.0)
    with pytest.raises(InputError):
        PaidToPaid(selected_ratio=-0.1).fit([1.0], [10.0], 0.0, 0.0)
    with pytest.raises(InputError):
        PaidToPaid().fit([1.0], [10.0], np.inf, 0.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 100_000)), min_size=1, max_size=8),
    st.integers(0, 10**7), st.integers(0, 10**7), st.floats(0.0, 1.0),
)
def test_property_reserve_is_ratio_times_base(rows: list[tuple[int, int]], case: int, ibnr: int, u: float) -> None:
    ulae, paid = (np.array(x, dtype=float) for x in zip(*rows, strict=True))
    res = PaidToPaid(opening_share=u).fit(ulae, paid, case, ibnr)
    w = ulae.sum() / paid.sum()
    assert res.ratio[0] == pytest.approx(w)
    assert res.reserve[0] == pytest.approx(w * (ibnr + (1 - u) * case), abs=1e-9)
    assert res.reserve[0] >= 0
    # u = 0: known claims carry all their ULAE still; then classical = ratio × (case + IBNR)
    full = PaidToPaid(opening_share=0.0).fit(ulae, paid, case, ibnr)
    assert full.reserve[0] == pytest.approx(w * (case + ibnr), abs=1e-9)
