"""Invariants of the chain-ladder family and Mack that hold for any triangle (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aktuar.core.reserving import (
    BornhuetterFerguson,
    CapeCod,
    ChainLadder,
    Development,
    Tail,
    Triangle,
)
from aktuar.core.reserving.mack import Mack

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def triangles(draw, min_n: int = 2, max_n: int = 9, segments: int = 1, square: bool = False) -> Triangle:
    """Positive cumulative run-off triangles (segments × n × n), upper-left observed."""
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    first = rng.lognormal(8, 1, size=(segments, n, 1))
    growth = 1 + rng.gamma(2, 0.3, size=(segments, n, n - 1)) * np.exp(-0.7 * np.arange(n - 1))
    cum = np.concatenate([first, first * np.cumprod(growth, axis=2)], axis=2)
    if not square:
        future = np.arange(n)[:, None] + np.arange(n)[None, :] > n - 1
        cum[:, future] = np.nan
    return Triangle(values=cum, origin=tuple(str(2000 + i) for i in range(n)),
                    development=np.arange(1, n + 1) * 12,
                    segments=tuple((f"s{i}",) for i in range(segments)), segment_names=("seg",))


@SETTINGS
@given(triangles(square=True))
def test_complete_square_has_zero_ibnr(tri: Triangle) -> None:
    res = ChainLadder().fit(tri)
    np.testing.assert_allclose(res.ibnr, 0.0, atol=1e-9 * np.nanmax(tri.values))
    mack = Mack().fit(tri)
    np.testing.assert_allclose(mack.se, 0.0, atol=1e-9 * np.nanmax(tri.values))


@SETTINGS
@given(triangles(), st.floats(1e-3, 1e6))
def test_scaling_the_data_scales_the_results(tri: Triangle, k: float) -> None:
    scaled = tri.with_values(tri.values * k)
    a, b = Mack().fit(tri), Mack().fit(scaled)
    np.testing.assert_allclose(b.ultimate, a.ultimate * k, rtol=1e-9)
    np.testing.assert_allclose(b.se, a.se * k, rtol=1e-7, atol=1e-9 * k)
    np.testing.assert_allclose(b.development.ldf, a.development.ldf, rtol=1e-9)


@SETTINGS
@given(triangles(segments=4), st.permutations(range(4)))
def test_segment_order_does_not_change_per_segment_results(tri: Triangle, order: list[int]) -> None:
    a = Mack(Development(tail=Tail("exponential"))).fit(tri)
    b = Mack(Development(tail=Tail("exponential"))).fit(tri.select(order))
    np.testing.assert_allclose(b.ultimate, a.ultimate[order], rtol=1e-12)
    np.testing.assert_allclose(b.se, a.se[order], rtol=1e-12)
    np.testing.assert_allclose(b.total_se, a.total_se[order], rtol=1e-12)


@SETTINGS
@given(triangles(segments=3))
def test_sum_of_segments_then_reserve_is_the_reserve_of_the_sum(tri: Triangle) -> None:
    """Reserving the summed triangle equals chain ladder on the summed data (volume-weighted factors are
    ratios of sums, so segment by segment results do not add up, but the summed triangle's do)."""
    total = tri.sum_segments()
    direct = tri.with_values(np.nansum(tri.values, axis=0, keepdims=True) * np.where(
        np.isfinite(tri.values[:1]), 1.0, np.nan), segments=(("Total",),))
    np.testing.assert_allclose(ChainLadder().fit(total).ultimate, ChainLadder().fit(direct).ultimate, rtol=1e-12)


@SETTINGS
@given(triangles())
def test_bf_between_expected_and_chain_ladder_and_benktander_limits(tri: Triangle) -> None:
    cl = ChainLadder().fit(tri)
    exposure = np.full(tri.shape[1], float(np.nanmax(tri.values)))
    bf = BornhuetterFerguson(0.8).fit(tri, exposure)
    expected = 0.8 * exposure
    lo = np.minimum(cl.ultimate, bf.latest + expected)
    assert np.all(bf.ultimate >= np.minimum(lo, bf.latest) - 1e-6)
    # Cape Cod with decay 1 applies one loss ratio: reported over used-up exposure
    cc = CapeCod().fit(tri, exposure)
    elr = cc.components["elr"][0]
    assert np.allclose(elr, elr[0])


@SETTINGS
@given(triangles(min_n=3))
def test_mack_total_se_at_least_the_root_sum_of_squares(tri: Triangle) -> None:
    """Parameter errors of different origins are positively correlated (shared factors)."""
    res = Mack().fit(tri)
    assert res.total_se[0] ** 2 >= (res.se[0] ** 2).sum() * (1 - 1e-12)


def test_incremental_and_cumulative_round_trip() -> None:
    rng = np.random.default_rng(1)
    inc = rng.normal(100, 30, size=(2, 6, 6))
    inc[:, np.arange(6)[:, None] + np.arange(6)[None, :] > 5] = np.nan
    tri = Triangle(values=inc, origin=tuple("abcdef"), development=np.arange(1, 7), cumulative=False,
                   segments=(("x",), ("y",)), segment_names=("s",))
    back = tri.cum().incr()
    np.testing.assert_allclose(back.values, inc, equal_nan=True)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_no_numpy_warnings_on_tiny_amounts() -> None:
    v = np.array([[1e-300, 2e-300, 3e-300], [1e-300, 1.5e-300, np.nan], [2e-300, np.nan, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = Mack().fit(Triangle(values=v, origin=("1", "2", "3"), development=np.array([1, 2, 3])))
    assert np.isfinite(res.ultimate).all()
