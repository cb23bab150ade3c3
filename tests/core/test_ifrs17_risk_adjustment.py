"""Risk adjustment for non-financial risk (KZ84-RA; IFRS 17 para 37, B86–B92, para 119).

Verified against: scipy.stats (lognorm / norm quantiles and CDFs), numpy.quantile (simulation quantiles),
closed-form identities of variance–covariance aggregation, a hand-computed cost-of-capital example, and
hypothesis properties.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from aktuar.core.ifrs17.risk_adjustment import (
    confidence_level_lognormal,
    confidence_level_normal,
    confidence_level_simulations,
    cost_of_capital_ra,
    diversify,
    lognormal_parameters,
    ra_from_reserve_result,
    ra_lognormal,
    ra_normal,
    ra_simulations,
    validate_correlation,
)
from aktuar.errors import InputError

MEAN = np.array([1000.0, 250.0, 5_000_000.0])
SE = np.array([150.0, 80.0, 400_000.0])


@pytest.mark.parametrize("p", [0.6, 0.75, 0.9, 0.995])
def test_lognormal_quantile_matches_scipy(p: float) -> None:
    ra = ra_lognormal(MEAN, SE, p)
    mu, sigma = lognormal_parameters(MEAN, SE)
    dist = stats.lognorm(s=sigma, scale=np.exp(mu))
    np.testing.assert_allclose(dist.mean(), MEAN, rtol=1e-12)
    np.testing.assert_allclose(dist.std(), SE, rtol=1e-10)
    np.testing.assert_allclose(ra.quantile, dist.ppf(p), rtol=1e-12)
    np.testing.assert_allclose(ra.ra, dist.ppf(p) - MEAN, rtol=1e-10)


@pytest.mark.parametrize("p", [0.6, 0.75, 0.995])
def test_normal_quantile_matches_scipy(p: float) -> None:
    ra = ra_normal(MEAN, SE, p)
    np.testing.assert_allclose(ra.quantile, stats.norm(MEAN, SE).ppf(p), rtol=1e-12)
    np.testing.assert_allclose(ra.ra, SE * stats.norm.ppf(p), rtol=1e-12)


@pytest.mark.parametrize("p", [0.55, 0.75, 0.9, 0.995])
def test_confidence_level_round_trip_para_119(p: float) -> None:
    """RA → confidence level → RA reproduces itself to 1e-10 (lognormal and normal)."""
    ra = ra_lognormal(MEAN, SE, p)
    cl = confidence_level_lognormal(MEAN, SE, ra.ra)
    np.testing.assert_allclose(cl, p, atol=1e-10)
    for c in cl:
        np.testing.assert_allclose(ra_lognormal(MEAN, SE, float(c)).ra, ra.ra, rtol=1e-10)
    rn = ra_normal(MEAN, SE, p)
    cln = confidence_level_normal(MEAN, SE, rn.ra)
    np.testing.assert_allclose(cln, p, atol=1e-10)
    np.testing.assert_allclose(ra_normal(MEAN, SE, float(cln[0])).ra, rn.ra, rtol=1e-10)


def test_confidence_level_of_booked_ra_matches_scipy_cdf() -> None:
    booked = np.array([100.0, 50.0, 300_000.0])
    mu, sigma = lognormal_parameters(MEAN, SE)
    np.testing.assert_allclose(
        confidence_level_lognormal(MEAN, SE, booked),
        stats.lognorm(s=sigma, scale=np.exp(mu)).cdf(MEAN + booked),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        confidence_level_normal(MEAN, SE, booked), stats.norm.cdf(booked / SE), rtol=1e-12
    )


def test_simulation_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(20260101)
    sims = rng.lognormal(mean=[[7.0], [5.0]], sigma=[[0.2], [0.5]], size=(2, 10_000))
    ra = ra_simulations(sims, 0.75)
    np.testing.assert_allclose(ra.mean, sims.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(ra.quantile, np.quantile(sims, 0.75, axis=1), rtol=1e-14)
    np.testing.assert_allclose(ra.ra, np.quantile(sims, 0.75, axis=1) - sims.mean(axis=1), rtol=1e-12)
    cl = confidence_level_simulations(sims, ra.ra)
    np.testing.assert_allclose(cl, 0.75, atol=1.0 / 10_000)
    np.testing.assert_allclose(cl, (sims <= ra.quantile[:, None]).mean(axis=1), rtol=0)
    one = ra_simulations(sims[0], 0.9, method="inverted_cdf")
    assert one.quantile[0] == np.quantile(sims[0], 0.9, method="inverted_cdf")


def test_from_reserve_result_bootstrap_and_mack() -> None:
    rng = np.random.default_rng(7)
    sims = rng.normal(1000.0, 100.0, size=(2, 5000))
    boot = SimpleNamespace(
        method="bootstrap", components={"total_ibnr_sims": sims}, total_se=None, total_ibnr=sims.mean(axis=1)
    )
    r = ra_from_reserve_result(boot, 0.75)  # type: ignore[arg-type]
    assert r.distribution == "simulations"
    np.testing.assert_allclose(r.ra, ra_simulations(sims, 0.75).ra)
    mack = SimpleNamespace(method="mack", components={}, total_se=SE, total_ibnr=MEAN)
    r2 = ra_from_reserve_result(mack, 0.75)  # type: ignore[arg-type]
    assert r2.distribution == "lognormal"
    np.testing.assert_allclose(r2.ra, ra_lognormal(MEAN, SE, 0.75).ra)
    with pytest.raises(InputError):
        ra_from_reserve_result(mack, 0.75, "simulations")  # type: ignore[arg-type]
    cl = SimpleNamespace(method="chain_ladder", components={}, total_se=None, total_ibnr=MEAN)
    with pytest.raises(InputError):
        ra_from_reserve_result(cl, 0.75)  # type: ignore[arg-type]


def test_degenerate_and_invalid_inputs() -> None:
    r = ra_lognormal([0.0, 100.0], [0.0, 0.0], 0.75)
    np.testing.assert_allclose(r.ra, 0.0, atol=1e-12)
    np.testing.assert_array_equal(confidence_level_lognormal([100.0], [0.0], [5.0]), [1.0])
    with pytest.raises(InputError):
        ra_lognormal([-5.0], [1.0], 0.75)
    with pytest.raises(InputError):
        ra_normal([5.0], [-1.0], 0.75)
    for p in (0.0, 1.0, 1.5, float("nan")):
        with pytest.raises(InputError):
            ra_normal([5.0], [1.0], p)


def test_cost_of_capital_hand_computed() -> None:
    """C_0 = 100, BE run-off 1,000 / 600 / 200 → C = 100, 60, 20; 6 % CoC, DF at 5 %:
    RA = 0.06 × (100/1.05 + 60/1.05² + 20/1.05³)."""
    df = 1.05 ** -np.arange(1.0, 4.0)
    res = cost_of_capital_ra(0.06, df, initial_capital=[100.0], reserve_runoff=[1000.0, 600.0, 200.0])
    expected = 0.06 * (100 / 1.05 + 60 / 1.05**2 + 20 / 1.05**3)
    assert res.ra[0] == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(res.capital, [[100.0, 60.0, 20.0]])
    direct = cost_of_capital_ra(0.06, df, capital=[[100.0, 60.0, 20.0], [10.0, 0.0, 0.0]])
    np.testing.assert_allclose(direct.ra, [expected, 0.06 * 10 / 1.05], rtol=1e-14)
    # VaR 99.5 % capital from a lognormal, vectorised over segments.
    var = ra_lognormal(MEAN, SE, 0.995).ra
    runoff = np.outer(MEAN, [1.0, 0.5, 0.2])
    res2 = cost_of_capital_ra(0.06, df, initial_capital=var, reserve_runoff=runoff)
    np.testing.assert_allclose(res2.ra, 0.06 * var * (df @ [1.0, 0.5, 0.2]), rtol=1e-12)
    with pytest.raises(InputError):
        cost_of_capital_ra(0.06, df[:2], capital=[100.0, 60.0, 20.0])
    with pytest.raises(InputError):
        cost_of_capital_ra(0.06, df)


RA3 = np.array([100.0, 40.0, 70.0])


def test_correlation_identity_gives_root_sum_of_squares() -> None:
    d = diversify(RA3, np.eye(3))
    assert d.total == pytest.approx(float(np.sqrt((RA3**2).sum())), rel=1e-14)
    assert d.allocated.sum() == pytest.approx(d.total, rel=1e-12)
    np.testing.assert_allclose(d.allocated, RA3**2 / d.total, rtol=1e-12)


def test_correlation_ones_gives_simple_sum() -> None:
    d = diversify(RA3, np.ones((3, 3)))
    assert d.total == pytest.approx(RA3.sum(), rel=1e-14)
    assert d.diversification_benefit == pytest.approx(0.0, abs=1e-10)
    np.testing.assert_allclose(d.allocated, RA3, rtol=1e-12)


@pytest.mark.parametrize("allocation", ["euler", "pro_rata"])
def test_allocation_sums_to_total(allocation: str) -> None:
    c = np.array([[1.0, 0.5, 0.25], [0.5, 1.0, -0.25], [0.25, -0.25, 1.0]])
    d = diversify(RA3, c, allocation=allocation)  # type: ignore[arg-type]
    assert d.total == pytest.approx(float(np.sqrt(RA3 @ c @ RA3)), rel=1e-14)
    assert d.allocated.sum() == pytest.approx(d.total, rel=1e-12)
    if allocation == "pro_rata":
        np.testing.assert_allclose(d.allocated, d.total * RA3 / RA3.sum(), rtol=1e-12)


@pytest.mark.parametrize(
    "c",
    [
        np.array([[1.0, 0.5], [0.4, 1.0]]),  # not symmetric
        np.array([[0.9, 0.5], [0.5, 1.0]]),  # diagonal not 1
        np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]),  # not PSD
        np.array([[1.0, 1.5], [1.5, 1.0]]),  # |rho| > 1
        np.ones((2, 3)),  # not square
        np.array([[1.0, np.nan], [np.nan, 1.0]]),
    ],
)
def test_invalid_correlation_refused(c: np.ndarray) -> None:
    with pytest.raises(InputError):
        validate_correlation(c)


def test_correlation_wrong_size_and_negative_ra_refused() -> None:
    with pytest.raises(InputError):
        diversify(RA3, np.eye(2))
    with pytest.raises(InputError):
        diversify([-1.0, 2.0], np.eye(2))


levels = st.floats(min_value=0.01, max_value=0.999)


@settings(max_examples=60, deadline=None)
@given(
    m=st.floats(min_value=1.0, max_value=1e9),
    cv=st.floats(min_value=0.0, max_value=3.0),
    p1=levels,
    p2=levels,
)
def test_ra_non_decreasing_in_confidence_level(m: float, cv: float, p1: float, p2: float) -> None:
    lo, hi = min(p1, p2), max(p1, p2)
    for f in (ra_lognormal, ra_normal):
        assert f([m], [cv * m], lo).ra[0] <= f([m], [cv * m], hi).ra[0] + 1e-9 * m
    sims = np.linspace(0.0, m, 101) ** 1.5
    assert ra_simulations(sims, lo).ra[0] <= ra_simulations(sims, hi).ra[0] + 1e-9 * m


@settings(max_examples=60, deadline=None)
@given(
    ra=st.lists(st.floats(min_value=0.0, max_value=1e8), min_size=1, max_size=5),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_diversified_not_above_undiversified(ra: list[float], seed: int) -> None:
    n = len(ra)
    a = np.random.default_rng(seed).normal(size=(n, n + 1))
    cov = a @ a.T
    d_ = np.sqrt(np.diag(cov))
    c = cov / np.outer(d_, d_)
    c = (c + c.T) / 2
    np.fill_diagonal(c, 1.0)
    res = diversify(ra, c)
    assert res.total <= res.undiversified * (1 + 1e-12) + 1e-9
    assert res.allocated.sum() == pytest.approx(res.total, rel=1e-9, abs=1e-6)


def test_from_real_mack_and_bootstrap_results_raa() -> None:
    """End to end on the RAA triangle (Mack 1994): Mack → lognormal on total IBNR and total SE; ODP bootstrap →
    empirical quantile of components['total_ibnr_sims']."""
    from aktuar.core.reserving import from_array
    from aktuar.core.reserving.bootstrap import BootstrapODP
    from aktuar.core.reserving.mack import Mack

    n = np.nan
    raa = np.array([
        [5012, 8269, 10907, 11805, 13539, 16181, 18009, 18608, 18662, 18834],
        [106, 4285, 5396, 10666, 13782, 15599, 15496, 16169, 16704, n],
        [3410, 8992, 13873, 16141, 18735, 22214, 22863, 23466, n, n],
        [5655, 11555, 15766, 21266, 23425, 26083, 27067, n, n, n],
        [1092, 9565, 15836, 22169, 25955, 26180, n, n, n, n],
        [1513, 6445, 11702, 12935, 15852, n, n, n, n, n],
        [557, 4020, 10946, 12314, n, n, n, n, n, n],
        [1351, 6947, 13112, n, n, n, n, n, n, n],
        [3133, 5395, n, n, n, n, n, n, n, n],
        [2063, n, n, n, n, n, n, n, n, n],
    ], dtype=float)  # fmt: skip
    tri = from_array(raa, origin=range(1981, 1991), development=range(12, 121, 12))
    mack = Mack().fit(tri)
    assert mack.total_se is not None
    r = ra_from_reserve_result(mack, 0.75)
    np.testing.assert_allclose(r.ra, ra_lognormal(mack.total_ibnr, mack.total_se, 0.75).ra, rtol=1e-14)
    assert r.ra[0] > 0
    boot = BootstrapODP(n_sims=500, seed=1).fit(tri)
    sims = boot.components["total_ibnr_sims"]
    rb = ra_from_reserve_result(boot, 0.75)
    assert rb.distribution == "simulations"
    np.testing.assert_allclose(rb.quantile, np.quantile(sims, 0.75, axis=1), rtol=1e-14)
