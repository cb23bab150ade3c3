"""Payment patterns and future cash flows by calendar period."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aktuar.core.reserving import (
    BornhuetterFerguson,
    ChainLadder,
    Development,
    Tail,
    Triangle,
    from_array,
)
from aktuar.core.reserving.patterns import (
    Pattern,
    cash_flows,
    future_payments,
    payment_pattern,
    tail_weights,
)
from aktuar.errors import InputError, MethodError

NAN = np.nan
TRI = from_array([
    [100, 150, 170, 180],
    [110, 168, 190, NAN],
    [120, 180, NAN, NAN],
    [130, NAN, NAN, NAN],
], development=[12, 24, 36, 48])


def test_tail_weights() -> None:
    np.testing.assert_allclose(tail_weights(3, "geometric", 0.5), [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(tail_weights(4, "equal"), [0.25] * 4)
    np.testing.assert_allclose(tail_weights(2, "geometric", 1.0), [0.5, 0.5])
    assert tail_weights(0).shape == (0,)
    with pytest.raises(InputError):
        tail_weights(2, "geometric", 0.0)
    with pytest.raises(InputError):
        tail_weights(2, "linear")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        tail_weights(-1)


def test_pattern_hand_computed() -> None:
    fit = Development(tail=Tail("constant", factor=1.05)).fit(TRI)
    f = [(150 + 168 + 180) / (100 + 110 + 120), (170 + 190) / (150 + 168), 180 / 170]
    cdf = np.array([f[0] * f[1] * f[2], f[1] * f[2], f[2], 1.0]) * 1.05
    pat = payment_pattern(fit, tail_periods=3, tail_shape="geometric", tail_decay=0.5)
    p = 1 / cdf
    tail = 1 - p[-1]
    expected_cum = np.r_[p, p[-1] + tail * np.array([4, 6, 7]) / 7]
    np.testing.assert_allclose(pat.cumulative[0], expected_cum, rtol=1e-14)
    np.testing.assert_allclose(pat.incremental[0], np.diff(expected_cum, prepend=0.0), rtol=1e-13, atol=1e-15)
    assert pat.incremental[0].sum() == pytest.approx(1.0, abs=1e-15)
    assert pat.tail[0] == pytest.approx(1 - 1 / 1.05)
    assert pat.length == 7 and pat.n_development == 4


def test_cash_flows_hand_computed() -> None:
    res = ChainLadder(Development(tail=Tail("constant", factor=1.05))).fit(TRI)
    cf = cash_flows(res, tail_periods=3, tail_decay=0.5)
    q = cf.pattern.incremental[0]
    c = cf.pattern.cumulative[0]
    # origin 2 (latest age 36, index 2): its reserve follows q_3, q_4, q_5, q_6 scaled by 1/(1 − p_2)
    r2 = res.ibnr[0, 1]
    np.testing.assert_allclose(cf.by_origin[0, 1, :4], r2 * q[3:7] / (1 - c[2]), rtol=1e-13)
    np.testing.assert_array_equal(cf.by_origin[0, 1, 4:], 0.0)
    # origin 4 (age 12) pays over 6 future periods
    np.testing.assert_allclose(cf.by_origin[0, 3], res.ibnr[0, 3] * q[1:] / (1 - c[0]), rtol=1e-13)
    assert cf.periods.tolist() == [1, 2, 3, 4, 5, 6]
    assert cf.labels == ("+1", "+2", "+3", "+4", "+5", "+6")
    np.testing.assert_allclose(cf.total[0], cf.by_origin[0].sum(axis=0))
    # mean term with mid-period payments
    t = np.arange(1, 7) - 0.5
    assert cf.total_duration[0] == pytest.approx((cf.total[0] * t).sum() / cf.total[0].sum())
    assert cf.duration[0, 0] == pytest.approx(np.dot(cf.by_origin[0, 0], t) / res.ibnr[0, 0])
    end = cash_flows(res, tail_periods=3, timing="end")
    np.testing.assert_allclose(end.duration - cf.duration, 0.5)
    assert cf.duration_years is None


def test_published_cas_exam5_fall2019_q25() -> None:
    """CAS Exam 5, Fall 2019, Question 25a: with paid CDFs 5.00 (12-ult) and 3.30 (24-ult) and 12,000,000 paid
    at 12 months, the expected payments from 12 to 24 months are 12,000,000 × (5.00/3.30 − 1) = 6,181,818."""
    tri = from_array([[10e6, 15e6], [12e6, NAN]], development=[12, 24])
    dev = Development(selected={12: 5.0 / 3.3}, tail=Tail("constant", factor=3.3))
    res = ChainLadder(dev).fit(tri)
    assert res.ibnr[0, 1] == pytest.approx(48e6)
    cf = cash_flows(res, tail_periods=4)
    assert cf.by_origin[0, 1, 0] == pytest.approx(6_181_818.18, abs=0.01)
    assert cf.by_origin[0, 1].sum() == pytest.approx(48e6, rel=1e-15)


def test_calendar_labels_and_years() -> None:
    vals = TRI.values
    base = dict(origin=("2021", "2022", "2023", "2024"), development=np.array([12, 24, 36, 48]),
                origin_grain="Y", development_grain="Y", origin_start=(2021 * 12, 2022 * 12, 2023 * 12, 2024 * 12))
    tri = Triangle(vals, valuation=date(2024, 12, 31), **base)  # type: ignore[arg-type]
    cf = cash_flows(ChainLadder().fit(tri), tail_periods=0)
    assert cf.labels == ("2025", "2026", "2027")
    assert cf.period_months == 12
    assert cf.duration_years is not None
    np.testing.assert_allclose(cf.duration_years, cf.duration)
    q = Triangle(vals, origin=base["origin"], development=np.array([3, 6, 9, 12]), origin_grain="Q",
                 development_grain="Q", origin_start=(24288, 24291, 24294, 24297), valuation=date(2024, 12, 31))
    cfq = cash_flows(ChainLadder().fit(q), tail_periods=0)
    assert cfq.labels == ("2025Q1", "2025Q2", "2025Q3")
    np.testing.assert_allclose(cfq.total_duration_years, cfq.total_duration / 4)  # type: ignore[operator]
    mid = Triangle(vals, origin=base["origin"], development=np.array([6, 18, 30, 42]), origin_grain="Y",
                   development_grain="Y", origin_start=base["origin_start"], valuation=date(2024, 6, 30))
    assert cash_flows(ChainLadder().fit(mid), tail_periods=0).labels[0] == "07.2024–06.2025"


def test_total_unpaid_from_incurred_with_paid_pattern() -> None:
    incurred = from_array([[150, 180, 190], [160, 195, NAN], [170, NAN, NAN]])
    paid = from_array([[80, 150, 185], [90, 165, NAN], [95, NAN, NAN]])
    res = ChainLadder().fit(incurred)
    cf = cash_flows(res, paid=paid, tail_periods=0)
    unpaid = res.ultimate - paid.latest()
    np.testing.assert_allclose(cf.reserve, unpaid)
    np.testing.assert_allclose(cf.by_origin.sum(axis=2), unpaid, rtol=1e-15)
    paid_fit = Development().fit(paid)
    c = 1 / paid_fit.cdf[0]
    # origin 2 (paid age 2 of 3) pays all its unpaid in the next period; origin 3 in the paid proportions
    np.testing.assert_allclose(cf.by_origin[0, 1], [unpaid[0, 1], 0.0])
    np.testing.assert_allclose(cf.by_origin[0, 2], unpaid[0, 2] * np.diff(c)[0:2] / (1 - c[0]))
    with pytest.raises(InputError):
        cash_flows(res, paid=from_array([[1.0, 2.0], [3.0, NAN]]))


def test_other_methods_and_given_pattern() -> None:
    res = BornhuetterFerguson(apriori=0.7).fit(TRI, exposure=[300, 310, 320, 330])
    cf = cash_flows(res, tail_periods=0)
    np.testing.assert_allclose(cf.by_origin.sum(axis=2), res.ibnr, rtol=1e-14)
    pat = payment_pattern(res.development, tail_periods=0)
    same = cash_flows(res, pattern=pat)
    np.testing.assert_array_equal(same.by_origin, cf.by_origin)
    with pytest.raises(InputError):
        cash_flows(res, pattern=Pattern(np.array([12]), np.ones((1, 1)), np.ones((1, 1)), 0, "equal", 1.0))


def test_degenerate_inputs() -> None:
    # complete square, no tail: nothing to pay
    sq = from_array([[100, 120, 130], [110, 130, 140], [90, 100, 105]])
    cf = cash_flows(ChainLadder().fit(sq), tail_periods=0)
    np.testing.assert_array_equal(cf.by_origin, 0.0)
    np.testing.assert_array_equal(cf.duration, 0.0)
    # one development period with a tail: all of the reserve in the tail periods
    one = from_array([[100.0], [120.0]])
    res = ChainLadder(Development(tail=Tail("constant", factor=1.1))).fit(one)
    cf = cash_flows(res, tail_periods=2, tail_shape="equal")
    np.testing.assert_allclose(cf.by_origin[0], np.outer(res.ibnr[0], [0.5, 0.5]))
    with pytest.raises(MethodError, match="tail period"):
        cash_flows(res, tail_periods=0)
    # irregular ages
    irregular = from_array([[1.0, 2.0, 3.0], [1.0, 2.0, NAN], [1.0, NAN, NAN]], development=[3, 12, 24])
    with pytest.raises(MethodError, match="equally spaced"):
        cash_flows(ChainLadder().fit(irregular))
    with pytest.raises(InputError):
        cash_flows(ChainLadder().fit(sq), timing="start")  # type: ignore[arg-type]
    # all zeros: factors fall back to 1, reserve 0
    zeros = from_array([[0.0, 0.0], [0.0, NAN]])
    cf = cash_flows(ChainLadder().fit(zeros), tail_periods=0)
    np.testing.assert_array_equal(cf.by_origin, 0.0)


def test_reserve_with_nothing_left_goes_to_first_period() -> None:
    pat = Pattern(np.array([12, 24]), np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), 0, "equal", 1.0)
    flows, warns = future_payments(np.array([[0.0, 50.0]]), pat, np.array([[1, 0]]), np.array([1, 0]))
    np.testing.assert_array_equal(flows[0, 1], [50.0])
    assert any("first period" in w for w in warns[0])


def test_overdue_development_counts_in_first_period() -> None:
    """A segment whose origin lacks the diagonal cell: the development due in between is paid at once."""
    v = np.stack([TRI.values[0], TRI.values[0].copy()])
    v[1, 1, 2] = NAN  # segment b, origin 2: latest at index 1 while the diagonal is at index 2
    tri = Triangle(v, TRI.origin, TRI.development, (("a",), ("b",)), ("class",))
    res = ChainLadder(Development(tail=Tail("constant", factor=1.05))).fit(tri)
    cf = cash_flows(res, tail_periods=2, tail_shape="equal")
    c = cf.pattern.cumulative[1]
    r = res.ibnr[1, 1]
    assert r > 0
    np.testing.assert_allclose(cf.by_origin[1, 1, :3], r * np.array([c[3] - c[1], c[4] - c[3], c[5] - c[4]]) / (1 - c[1]))
    np.testing.assert_allclose(cf.by_origin.sum(axis=2), res.ibnr, rtol=1e-14, atol=1e-12)


@st.composite
def triangles(draw: st.DrawFn) -> Triangle:
    s = draw(st.integers(1, 3))
    o = draw(st.integers(1, 6))
    d = draw(st.integers(1, 6))
    inc = np.array(draw(st.lists(st.integers(0, 10_000), min_size=s * o * d, max_size=s * o * d)),
                   dtype=float).reshape(s, o, d)
    cum = np.cumsum(inc, axis=2)
    for i in range(o):
        cum[:, i, max(d - i, 0):] = NAN
    keys = tuple((f"s{k}",) for k in range(s))
    return Triangle(cum, tuple(str(i) for i in range(o)), np.arange(1, d + 1), keys, ("seg",))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    triangles(),
    st.floats(1.0, 1.5),
    st.integers(1, 6),
    st.sampled_from(["geometric", "equal"]),
    st.floats(0.05, 1.0),
)
def test_property_pattern_sums_to_one_and_flows_to_reserve(
    tri: Triangle, tail: float, periods: int, shape: str, decay: float
) -> None:
    res = ChainLadder(Development(tail=Tail("constant", factor=tail))).fit(tri)
    pat = payment_pattern(res.development, tail_periods=periods, tail_shape=shape, tail_decay=decay)  # type: ignore[arg-type]
    np.testing.assert_allclose(pat.incremental.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert pat.cumulative[:, -1].tolist() == [1.0] * tri.n_segments
    cf = cash_flows(res, pattern=pat)
    scale = max(1.0, float(np.abs(res.ibnr).max(initial=0.0)))
    np.testing.assert_allclose(cf.by_origin.sum(axis=2), res.ibnr, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(cf.total.sum(axis=1), res.total_ibnr, rtol=0, atol=1e-11 * scale)
    assert np.isfinite(cf.duration).all() and np.isfinite(cf.total_duration).all()
    # positive development: no negative flow and a mean term within the horizon
    assert (cf.by_origin >= -1e-9 * scale).all()
    assert ((cf.duration >= 0) & (cf.duration <= cf.periods.size)).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(triangles(), st.floats(0.3, 1.5))
def test_property_bf_flows_sum_to_reserve(tri: Triangle, elr: float) -> None:
    o = tri.shape[1]
    res = BornhuetterFerguson(apriori=elr).fit(tri, exposure=np.full(o, 10_000.0))
    cf = cash_flows(res, tail_periods=2)
    scale = max(1.0, float(np.abs(res.ibnr).max(initial=0.0)))
    np.testing.assert_allclose(cf.by_origin.sum(axis=2), res.ibnr, rtol=0, atol=1e-12 * scale)
