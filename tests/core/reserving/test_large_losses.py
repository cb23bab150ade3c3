"""Major-loss smoothing (KZ191-OP item 5: "the smoothing of major losses")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aktuar.core.reserving import ChainLadder, Development, Triangle, from_array
from aktuar.core.reserving.large_losses import ClaimData, LargeLossSmoothing
from aktuar.core.reserving.patterns import cash_flows
from aktuar.errors import InputError, MethodError

NAN = np.nan


def _grid(o: int = 3, d: int = 3, segments: int = 1) -> Triangle:
    """An empty triangle giving the origin × development grid (upper-left observed)."""
    v = np.zeros((segments, o, d))
    for i in range(o):
        v[:, i, max(d - i, 0):] = NAN
    keys = tuple((f"class{k}",) for k in range(segments)) if segments > 1 else ((),)
    names = ("class",) if segments > 1 else ()
    return Triangle(v, tuple(str(2020 + i) for i in range(o)), np.arange(1, d + 1) * 12, keys, names)


# Hand-computed example (threshold 100):
#   origin 2020: A [50, 80, 80], B [30, 40, 50], L1 [100, 150, 160]
#   origin 2021: C [60, 90], D [20, 30]
#   origin 2022: E [40], L2 [300]
HAND = ClaimData(
    claim_id=("A", "B", "L1", "C", "D", "E", "L2"),
    segment=np.zeros(7, dtype=np.int64),
    origin=np.array([0, 0, 0, 1, 1, 2, 2]),
    cumulative=np.array([
        [50, 80, 80], [30, 40, 50], [100, 150, 160],
        [60, 90, NAN], [20, 30, NAN],
        [40, NAN, NAN], [300, NAN, NAN],
    ], dtype=float),
)


@pytest.mark.req("KZ191-OP")
def test_hand_computed_example() -> None:
    res = LargeLossSmoothing(threshold=100.0, maturity_cdf=1.05).fit(HAND, _grid())
    # capped (attritional) triangle: 2020 [180, 220, 230], 2021 [80, 120], 2022 [140]
    np.testing.assert_allclose(res.attritional.triangle.values[0],
                               [[180, 220, 230], [80, 120, NAN], [140, NAN, NAN]])
    np.testing.assert_allclose(res.excess.values[0], [[0, 50, 60], [0, 0, NAN], [200, NAN, NAN]])
    f1, f2 = 340 / 260, 230 / 220  # volume-weighted factors of the capped triangle
    a_ult = np.array([230, 120 * f2, 140 * f1 * f2])
    np.testing.assert_allclose(res.attritional.ultimate[0], a_ult)
    # 2020 (cdf 1) and 2021 (cdf 1.04545 ≤ 1.05) are mature: loading = (60 + 0) / (230 + 125.4545)
    lam = 60 / (230 + 120 * f2)
    assert res.excess_loading[0] == pytest.approx(lam, rel=1e-14)
    assert res.loading_origins[0].tolist() == [True, True, False]
    a_ibnr = a_ult - np.array([230, 120, 140])
    np.testing.assert_allclose(res.excess_ibnr[0], lam * a_ibnr)
    np.testing.assert_allclose(res.excess_reported[0], [60, 0, 200])
    np.testing.assert_allclose(res.reserve[0], (1 + lam) * a_ibnr)
    np.testing.assert_allclose(res.reserve[0], [0.0, 6.375262, 60.074580], rtol=1e-6)
    np.testing.assert_allclose(res.ultimate[0], a_ult + [60, 0, 200] + lam * a_ibnr)
    # plain chain ladder on the uncapped triangle [180, 270, 290], [80, 120], [340]
    g1, g2 = 390 / 260, 290 / 270
    plain_ibnr = np.array([0, 120 * (g2 - 1), 340 * (g1 * g2 - 1)])
    np.testing.assert_allclose(res.unsmoothed.ibnr[0], plain_ibnr)
    np.testing.assert_allclose(res.effect[0], (1 + lam) * a_ibnr - plain_ibnr)
    assert res.total_effect[0] == pytest.approx(-150.216825, abs=1e-6)
    # the affected claims: L1 (latest 160, excess 60) and L2 (latest 300, excess 200)
    got = {(c.claim_id, c.origin, c.amount, c.excess) for c in res.large_claims}
    assert got == {("L1", "2020", 160.0, 60.0), ("L2", "2022", 300.0, 200.0)}
    assert res.warnings == [[]] and res.notes == [[]]
    # the latest amounts are untouched: attritional + reported excess = uncapped latest
    np.testing.assert_allclose(res.latest, res.unsmoothed.latest)
    np.testing.assert_allclose(res.reserve, res.ultimate - res.latest)


def test_from_transactions_equals_cumulative_matrix() -> None:
    rows = [  # claim, origin, development, incremental amount (ids are arbitrary strings, given out of order)
        ("L2", 2, 0, 300.0), ("claim/B 7", 0, 0, 30.0), ("A", 0, 0, 50.0), ("A", 0, 1, 30.0),
        ("claim/B 7", 0, 1, 10.0), ("claim/B 7", 0, 2, 10.0), ("L1", 0, 0, 60.0), ("L1", 0, 0, 40.0),
        ("L1", 0, 1, 50.0), ("L1", 0, 2, 10.0), ("C", 1, 0, 60.0), ("C", 1, 1, 30.0), ("D", 1, 0, 20.0),
        ("D", 1, 1, 10.0), ("E", 2, 0, 40.0),
    ]
    ids, org, dev, amt = zip(*rows, strict=True)
    claims = ClaimData.from_transactions(list(ids), np.zeros(len(ids)), org, dev, amt, n_development=3)
    assert set(claims.claim_id) == {"A", "claim/B 7", "L1", "C", "D", "E", "L2"}
    i = claims.claim_id.index("L1")
    np.testing.assert_allclose(claims.cumulative[i], [100, 150, 160])
    a = LargeLossSmoothing(100.0).fit(claims, _grid())
    b = LargeLossSmoothing(100.0).fit(HAND, _grid())
    np.testing.assert_allclose(a.reserve, b.reserve)
    np.testing.assert_allclose(a.effect, b.effect)


def test_infinite_threshold_is_plain_chain_ladder() -> None:
    res = LargeLossSmoothing(threshold=math.inf).fit(HAND, _grid())
    plain = ChainLadder().fit(res.unsmoothed.triangle)
    np.testing.assert_array_equal(res.reserve, plain.ibnr)
    np.testing.assert_array_equal(res.effect, 0.0)
    assert res.large_claims == ()
    assert res.excess_loading[0] == 0.0
    assert any("no claim" in n for n in res.notes[0])


def _random_claims(draw: st.DrawFn) -> tuple[ClaimData, Triangle]:
    o = draw(st.integers(1, 5))
    d = draw(st.integers(1, 5))
    s = draw(st.integers(1, 2))
    n = draw(st.integers(0, 25))
    seg = np.array(draw(st.lists(st.integers(0, s - 1), min_size=n, max_size=n)), dtype=np.int64)
    org = np.array(draw(st.lists(st.integers(0, o - 1), min_size=n, max_size=n)), dtype=np.int64)
    inc = np.array(draw(st.lists(st.lists(st.integers(0, 100_000), min_size=d, max_size=d),
                                 min_size=n, max_size=n)), dtype=float).reshape(n, d) / 100.0
    inc[np.arange(d)[None, :] > (d - 1 - org)[:, None]] = 0.0  # nothing after the valuation
    return ClaimData(tuple(f"c{i}" for i in range(n)), seg, org, np.cumsum(inc, axis=1)), _grid(o, d, s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_infinite_threshold_zero_effect(data: st.DataObject) -> None:
    claims, grid = _random_claims(data.draw)
    res = LargeLossSmoothing(threshold=math.inf).fit(claims, grid)
    plain = ChainLadder().fit(res.unsmoothed.triangle)
    np.testing.assert_array_equal(res.reserve, plain.ibnr)
    np.testing.assert_array_equal(res.effect, 0.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.floats(1.0, 3000.0))
def test_property_decomposition(data: st.DataObject, threshold: float) -> None:
    """Attritional + excess triangles add up to the uncapped one; the totals are consistent."""
    claims, grid = _random_claims(data.draw)
    res = LargeLossSmoothing(threshold=threshold, maturity_cdf=math.inf).fit(claims, grid)
    np.testing.assert_allclose(np.nan_to_num(res.attritional.triangle.values + res.excess.values),
                               np.nan_to_num(res.unsmoothed.triangle.values), atol=1e-9)
    assert np.all(np.nan_to_num(res.attritional.triangle.values) <= threshold * claims.n_claims + 1e-9)
    np.testing.assert_allclose(res.reserve, res.ultimate - res.latest, atol=1e-8)
    np.testing.assert_allclose(res.effect, res.reserve - res.unsmoothed.ibnr, atol=1e-8)
    assert np.all(res.excess_loading >= 0)


def test_segments_are_vectorised() -> None:
    """Two segments fitted together equal each fitted alone (with its own threshold)."""
    grid2 = _grid(3, 3, 2)
    claims2 = ClaimData(
        HAND.claim_id + tuple(f"x{c}" for c in HAND.claim_id),
        np.r_[np.zeros(7, np.int64), np.ones(7, np.int64)],
        np.r_[HAND.origin, HAND.origin],
        np.r_[HAND.cumulative, 2 * HAND.cumulative],
    )
    both = LargeLossSmoothing(threshold={"class0": 100.0, "class1": 250.0}).fit(claims2, grid2)
    one = LargeLossSmoothing(threshold=100.0).fit(HAND, _grid())
    doubled = ClaimData(HAND.claim_id, HAND.segment, HAND.origin, 2 * HAND.cumulative)
    two = LargeLossSmoothing(threshold=250.0).fit(doubled, _grid())
    np.testing.assert_allclose(both.reserve, np.r_[one.reserve, two.reserve])
    np.testing.assert_allclose(both.effect, np.r_[one.effect, two.effect])
    assert {c.segment for c in both.large_claims} == {"class0", "class1"}


def test_no_claim_above_threshold() -> None:
    res = LargeLossSmoothing(threshold=1e6).fit(HAND, _grid())
    np.testing.assert_array_equal(res.excess_ibnr, 0.0)
    np.testing.assert_array_equal(res.excess_reported, 0.0)
    np.testing.assert_allclose(res.effect, 0.0)
    assert any("no claim" in n and "exceeds the threshold" in n for n in res.notes[0])
    assert res.warnings == [[]]


def test_all_claims_above_threshold_warns() -> None:
    res = LargeLossSmoothing(threshold=1.0).fit(HAND, _grid())
    assert len(res.large_claims) == HAND.n_claims
    assert any("every claim" in w and "raise the threshold" in w for w in res.warnings[0])
    assert np.isfinite(res.reserve).all()


@pytest.mark.parametrize("bad", [0.0, -5.0, NAN, [100.0, 0.0]])
def test_threshold_must_be_positive(bad: object) -> None:
    grid = _grid(3, 3, 2) if isinstance(bad, list) else _grid()
    with pytest.raises(InputError, match="threshold"):
        LargeLossSmoothing(threshold=bad).fit(HAND, grid)  # type: ignore[arg-type]


def test_missing_threshold_for_a_segment() -> None:
    with pytest.raises(InputError, match="no large-loss threshold"):
        LargeLossSmoothing(threshold={"class0": 100.0}).fit(
            ClaimData((), np.zeros(0), np.zeros(0), np.zeros((0, 3))), _grid(3, 3, 2))


def test_selected_loading_and_other_method() -> None:
    res = LargeLossSmoothing(threshold=100.0, excess_loading=0.25).fit(HAND, _grid())
    assert res.loading_selected
    np.testing.assert_allclose(res.excess_ibnr, 0.25 * res.attritional.ibnr)
    simple = LargeLossSmoothing(threshold=100.0, development=Development(average="simple")).fit(HAND, _grid())
    assert simple.attritional.development.average == "simple"
    via_callable = LargeLossSmoothing(threshold=100.0,
                                      method=ChainLadder(Development(average="simple")).fit).fit(HAND, _grid())
    np.testing.assert_array_equal(simple.reserve, via_callable.reserve)
    with pytest.raises(MethodError):
        LargeLossSmoothing(threshold=100.0, method=ChainLadder().fit, development=Development())


def test_no_mature_origin_falls_back_with_warning() -> None:
    res = LargeLossSmoothing(threshold=100.0, maturity_cdf=0.5).fit(HAND, _grid())
    assert res.loading_origins[0].tolist() == [True, False, False]  # the most developed origin only
    assert res.excess_loading[0] == pytest.approx(60 / 230)
    assert any("most developed" in w for w in res.warnings[0])


def test_degenerate_grids() -> None:
    # one development period: nothing develops, the reserve is 0 and the effect too
    one_dev = ClaimData(("a", "b"), np.zeros(2), np.array([0, 1]), np.array([[50.0], [500.0]]))
    grid = Triangle(np.zeros((1, 2, 1)), ("2023", "2024"), np.array([12]))
    res = LargeLossSmoothing(100.0).fit(one_dev, grid)
    np.testing.assert_array_equal(res.reserve, 0.0)
    np.testing.assert_array_equal(res.effect, 0.0)
    # one origin, no claims at all
    empty = ClaimData((), np.zeros(0), np.zeros(0), np.zeros((0, 3)))
    res = LargeLossSmoothing(100.0).fit(empty, from_array([[0.0, 0.0, 0.0]]))
    np.testing.assert_array_equal(res.reserve, 0.0)
    assert any("no claim with an amount" in n for n in res.notes[0])


def test_bad_claims_input() -> None:
    with pytest.raises(InputError, match="appears twice"):
        ClaimData(("a", "a"), np.zeros(2), np.zeros(2), np.zeros((2, 3)))
    with pytest.raises(InputError, match="more than one segment or origin"):
        ClaimData.from_transactions(["a", "a"], [0, 0], [0, 1], [0, 0], [1.0, 2.0], n_development=3)
    with pytest.raises(InputError, match="outside the grid"):
        ClaimData.from_transactions(["a"], [0], [0], [3], [1.0], n_development=3)
    late = ClaimData(("z",), np.zeros(1), np.array([2]), np.array([[10.0, 20.0, 20.0]]))
    with pytest.raises(InputError, match="after the valuation"):
        LargeLossSmoothing(100.0).fit(late, _grid())
    with pytest.raises(InputError, match="outside the grid"):
        LargeLossSmoothing(100.0).fit(ClaimData(("q",), np.zeros(1), np.array([7]), np.zeros((1, 3))), _grid())


def test_reserve_result_feeds_cash_flows() -> None:
    res = LargeLossSmoothing(threshold=100.0).fit(HAND, _grid())
    rr = res.reserve_result()
    np.testing.assert_allclose(rr.ibnr, res.reserve)
    cf = cash_flows(rr)
    np.testing.assert_allclose(cf.by_origin.sum(axis=2), res.reserve, rtol=1e-14, atol=1e-12)
