"""Discount curves (KZ84-DISC): interpolation, Smith–Wilson extrapolation to the UFR, bottom-up premium,
locked-in cohort curves.

Sources named per test: EIOPA technical documentation of the RFR (EIOPA-BoS-19/408, §7: Smith–Wilson and the
convergence criterion), EIOPA's published RFR of 31.05.2019 (CHF, UFR 2.9 %, α 0.128562), the ``smithwilson``
PyPI package 0.2.0 (differential peer), QuantLib 1.44 ``DiscountCurve`` (log-linear on discount factors),
IFRS 17 B73 / B80.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.curves import Curve, Interpolation, locked_in_curve, smith_wilson, wilson_function
from aktuar.errors import InputError

# EIOPA RFR 31.05.2019, Switzerland, RFR_spot_no_VA, maturities 1..25 (LLP 25), UFR 2.9 %, α = 0.128562.
# Source: EIOPA_RFR_20190531_Term_Structures.xlsx (as quoted in the smithwilson package's tests).
CHF_RATES = np.array([
    -0.00803, -0.00814, -0.00778, -0.00725, -0.00652, -0.00565, -0.0048, -0.00391, -0.00313, -0.00214,
    -0.0014, -0.00067, -0.00008, 0.00051, 0.00108, 0.00157, 0.00197, 0.00228, 0.0025, 0.00264,
    0.00271, 0.00274, 0.0028, 0.00291, 0.00309,
])
CHF_EXTRAPOLATED_26_65 = np.array([
    0.00337, 0.00372, 0.00412, 0.00455, 0.00501, 0.00548, 0.00596, 0.00644, 0.00692, 0.00739,
    0.00786, 0.00831, 0.00876, 0.00919, 0.00961, 0.01002, 0.01042, 0.01081, 0.01118, 0.01154,
    0.01189, 0.01223, 0.01255, 0.01287, 0.01318, 0.01347, 0.01376, 0.01403, 0.0143, 0.01456,
    0.01481, 0.01505, 0.01528, 0.01551, 0.01573, 0.01594, 0.01615, 0.01635, 0.01655, 0.01673,
])
CHF_UFR, CHF_ALPHA = 0.029, 0.128562
MAT_1_25 = np.arange(1.0, 26.0)

# A euro-like upward curve 1..20 (illustrative, EIOPA-style input: annual zero-coupon rates).
EUR_RATES = np.array([
    0.0285, 0.0300, 0.0315, 0.0327, 0.0338, 0.0347, 0.0355, 0.0362, 0.0368, 0.0373,
    0.0377, 0.0380, 0.0382, 0.0383, 0.0384, 0.0384, 0.0383, 0.0382, 0.0381, 0.0380,
])
MAT_1_20 = np.arange(1.0, 21.0)


def _peer_rates(rates: np.ndarray, t: np.ndarray, target: np.ndarray, ufr: float, alpha: float) -> np.ndarray:
    sw = pytest.importorskip("smithwilson")
    with warnings.catch_warnings():  # the package uses np.matrix (PendingDeprecationWarning)
        warnings.simplefilter("ignore")
        return np.asarray(sw.fit_smithwilson_rates(rates, t, target, ufr=ufr, alpha=alpha)).ravel()


# ------------------------------------------------------------------- (1) differential vs smithwilson 0.2.0


@pytest.mark.parametrize(("rates", "mats", "ufr", "alpha"), [
    (EUR_RATES, MAT_1_20, 0.0345, 0.1),
    (EUR_RATES, MAT_1_20, 0.036, 0.128562),
    (CHF_RATES, MAT_1_25, CHF_UFR, CHF_ALPHA),
])
def test_smith_wilson_matches_smithwilson_package(rates: np.ndarray, mats: np.ndarray, ufr: float,
                                                  alpha: float) -> None:
    """Peer: smithwilson 0.2.0 ``fit_smithwilson_rates`` (annual rates in, annual UFR, annual spot out — the
    same conventions as ours with ``compounding='annual'``); spot rates at 1..150 agree to 1e-10."""
    target = np.arange(1.0, 151.0)
    ours = smith_wilson(mats, rates, ufr, alpha).spot(target)
    peer = _peer_rates(rates, mats, target, ufr, alpha)
    np.testing.assert_allclose(ours, peer, rtol=0, atol=1e-10)


def test_smith_wilson_matches_smithwilson_package_off_grid() -> None:
    """Peer: smithwilson 0.2.0's own "random" example (maturities 0.25..25, UFR 2.9 %, α 0.12), off-grid
    targets, including interpolation between inputs and extrapolation to 125."""
    mats = np.array([0.25, 1.0, 5.0, 20.0, 25.0])
    rates = np.array([0.02, 0.025, -0.033, 0.01, 0.0008])
    target = np.array([0.25, 0.5, 1.0, 2.0, 2.5, 3.5, 5.0, 10.0, 20.0, 49.5, 125.0])
    ours = smith_wilson(mats, rates, 0.029, 0.12).spot(target)
    np.testing.assert_allclose(ours, _peer_rates(rates, mats, target, 0.029, 0.12), rtol=0, atol=1e-10)
    # the package's published expectations (its test_core.py), 8 decimals
    expected = [0.02, 0.02417656, 0.025, 0.00361999, -0.00733027, -0.02345319, -0.033, -0.01256218, 0.01,
                0.00715949, 0.02015626]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=5e-9)


def test_smith_wilson_reproduces_eiopa_published_chf_extrapolation() -> None:
    """Reference: EIOPA RFR 31.05.2019 CHF spot rates at 26..65 (published to 0.001 %), from the 1..25 inputs
    with UFR 2.9 % and EIOPA's α = 0.128562. EIOPA calibrates on swaps, we on the published (rounded) zero
    rates, so agreement is asked within 1 bp."""
    curve = smith_wilson(MAT_1_25, CHF_RATES, CHF_UFR, CHF_ALPHA)
    np.testing.assert_allclose(curve.spot(np.arange(26.0, 66.0)), CHF_EXTRAPOLATED_26_65, rtol=0, atol=1e-4)


def test_alpha_search_close_to_eiopa_published_alpha() -> None:
    """Reference: EIOPA's α for CHF on 31.05.2019 is 0.128562 (EIOPA-BoS-19/408 criterion: forward intensity at
    CP = max(25 + 40, 60) = 65 within 1 bp of ln(1.029)). From rounded zero rates we find α within 0.001."""
    curve = smith_wilson(MAT_1_25, CHF_RATES, CHF_UFR)
    assert curve.convergence_point == 65.0
    assert abs(curve.alpha - CHF_ALPHA) < 1e-3


# ------------------------------------------------------------ (2) Smith–Wilson: calibration and convergence


@pytest.mark.parametrize("compounding", ["annual", "continuous"])
@pytest.mark.parametrize("alpha", [0.1, 0.128562, None])
def test_smith_wilson_reprices_input_zero_coupon_bonds(compounding: str, alpha: float | None) -> None:
    """EIOPA-BoS-19/408 §7: the Smith–Wilson function passes exactly through the calibration prices."""
    curve = smith_wilson(MAT_1_20, EUR_RATES, 0.036, alpha, compounding=compounding)  # type: ignore[arg-type]
    expected = (1 + EUR_RATES) ** -MAT_1_20 if compounding == "annual" else np.exp(-EUR_RATES * MAT_1_20)
    np.testing.assert_allclose(curve.discount(MAT_1_20), expected, rtol=0, atol=1e-12)
    if compounding == "annual":
        np.testing.assert_allclose(curve.spot(MAT_1_20), EUR_RATES, rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(curve.spot_continuous(MAT_1_20), EUR_RATES, rtol=0, atol=1e-12)


def test_wilson_function_formula() -> None:
    """EIOPA-BoS-19/408 §7 / QIS 5 p. 16: W(t,u) = e^{-ω(t+u)}(α min − ½ e^{-α max}(e^{α min} − e^{-α min}))."""
    a, om = 0.1, math.log(1.036)
    for t, u in [(1.0, 5.0), (7.5, 2.0), (3.0, 3.0)]:
        lo, hi = min(t, u), max(t, u)
        expected = math.exp(-om * (t + u)) * (a * lo - 0.5 * math.exp(-a * hi) * (math.exp(a * lo) - math.exp(-a * lo)))
        assert float(wilson_function([t], [u], a, om)[0, 0]) == pytest.approx(expected, rel=1e-14)


def test_forward_intensity_is_derivative_of_log_discount() -> None:
    """The analytic forward intensity equals −d ln P/dt (central differences, h = 1e-5)."""
    curve = smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.1)
    t = np.array([0.5, 1.0, 3.3, 10.0, 19.9, 20.0, 20.1, 60.0, 120.0])
    h = 1e-5
    numeric = -(np.log(curve.discount(t + h)) - np.log(curve.discount(t - h))) / (2 * h)
    np.testing.assert_allclose(curve.forward_instantaneous(t), numeric, rtol=0, atol=1e-8)
    # spot at t = 0 is the limit, f(0)
    assert float(curve.spot_continuous(0.0)) == pytest.approx(float(curve.spot_continuous(1e-7)), abs=1e-7)


@pytest.mark.parametrize(("rates", "mats", "ufr"), [
    (EUR_RATES, MAT_1_20, 0.0345), (EUR_RATES, MAT_1_20, 0.036), (CHF_RATES, MAT_1_25, CHF_UFR),
])
def test_alpha_search_is_smallest_alpha_meeting_the_criterion(rates: np.ndarray, mats: np.ndarray,
                                                              ufr: float) -> None:
    """EIOPA-BoS-19/408 §7: α is the smallest value ≥ 0.05 with |f(CP) − ln(1+UFR)| ≤ 1 bp, CP = max(LLP+40, 60)."""
    curve = smith_wilson(mats, rates, ufr)
    omega = math.log1p(ufr)
    cp = max(mats[-1] + 40, 60)
    assert curve.convergence_point == cp
    assert curve.alpha >= 0.05

    def gap(a: float) -> float:
        return abs(float(smith_wilson(mats, rates, ufr, a).forward_instantaneous(cp)) - omega)

    assert gap(curve.alpha) <= 1e-4
    assert abs(float(curve.forward_instantaneous(cp)) - omega) <= 1e-4
    if curve.alpha > 0.05:
        assert gap(curve.alpha - 1e-9) > 1e-4  # minimal to 1e-9
        for a in np.linspace(0.05, curve.alpha - 1e-6, 200):  # no smaller α meets the criterion
            assert gap(float(a)) > 1e-4


def test_alpha_floor_and_custom_convergence_point() -> None:
    """EIOPA's lower bound α = 0.05: a flat curve at the UFR converges for any α, so 0.05 is returned; LLP and
    CP can be given (CP = max(LLP + 40, 60))."""
    flat = smith_wilson(MAT_1_20, np.full(20, 0.036), 0.036)
    assert flat.alpha == 0.05
    np.testing.assert_allclose(flat.spot([1.0, 50.0, 150.0]), 0.036, atol=1e-12)
    assert smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.1, llp=30).convergence_point == 70.0
    assert smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.1, llp=10).convergence_point == 60.0
    tight = smith_wilson(MAT_1_20, EUR_RATES, 0.036, convergence_point=100.0, tolerance=1e-5)
    assert abs(float(tight.forward_instantaneous(100.0)) - math.log(1.036)) <= 1e-5


def test_smith_wilson_long_end_tends_to_ufr() -> None:
    """The one-year forward tends to the UFR far beyond the convergence point (QIS 5 p. 11)."""
    curve = smith_wilson(MAT_1_20, EUR_RATES, 0.036)
    assert float(curve.forward(199.0, 200.0)) == pytest.approx(0.036, abs=1e-6)


def test_smith_wilson_premium_and_to_curve() -> None:
    """Bottom-up (IFRS 17 B80; EIOPA adds the VA before extrapolation): premium on inputs, same UFR and α."""
    base = smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.1)
    up = base.with_premium(0.005)
    np.testing.assert_allclose(up.spot(MAT_1_20), EUR_RATES + 0.005, atol=1e-12)
    assert up.alpha == base.alpha and up.ufr == base.ufr
    np.testing.assert_allclose(base.shift(50).spot(MAT_1_20), up.spot(MAT_1_20), atol=1e-15)
    grid = np.arange(1.0, 151.0)
    np.testing.assert_allclose(base.to_curve(grid).discount(grid), base.discount(grid), rtol=1e-13)


# ---------------------------------------------------------------------- (3) differential vs QuantLib 1.44


def test_loglinear_discount_matches_quantlib_discount_curve() -> None:
    """Peer: QuantLib 1.44 ``DiscountCurve`` (LogLinear interpolation on discount factors, extrapolation
    enabled), Actual/365 Fixed, node days chosen so t = days/365. Discount factors agree to 1e-14 relative."""
    ql = pytest.importorskip("QuantLib")
    days = np.array([30, 91, 182, 365, 730, 1095, 1825, 3650, 7300])
    mats = days / 365.0
    rates = np.array([0.031, 0.030, 0.0295, 0.031, 0.033, 0.034, 0.036, 0.038, 0.037])
    curve = Curve(mats, rates)
    ref = ql.Date(31, 12, 2024)
    dates = [ref] + [ref + int(d) for d in days]
    dfs = [1.0] + list((1 + rates) ** -mats)
    peer = ql.DiscountCurve(dates, dfs, ql.Actual365Fixed())
    peer.enableExtrapolation()
    t = np.array([0.0, 0.01, 0.05, 0.3, 0.77, 1.0, 2.5, 4.2, 9.9, 15.0, 20.0, 25.0, 40.0])
    expected = np.array([peer.discount(float(x)) for x in t])
    np.testing.assert_allclose(curve.discount(t), expected, rtol=1e-14, atol=0)
    expected_fwd = np.array([peer.forwardRate(float(a), float(a) + 1.0, ql.Compounded, ql.Annual).rate()
                             for a in t])
    np.testing.assert_allclose(curve.forward(t, t + 1.0), expected_fwd, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- Curve: interpolation facts


def test_curve_nodes_and_interpolation_methods() -> None:
    """Every method reproduces the nodes; flat_forward ≡ loglinear_discount (Hagan & West 2006, §3);
    linear_spot interpolates annual spot linearly (Hagan & West 2006, §2)."""
    mats = np.array([1.0, 2.0, 5.0, 10.0])
    rates = np.array([0.03, 0.035, 0.04, 0.042])
    curves = {k: Curve(mats, rates, k) for k in ("loglinear_discount", "linear_spot", "flat_forward")}
    for c in curves.values():
        np.testing.assert_allclose(c.spot(mats), rates, atol=1e-15)
        assert float(c.discount(0.0)) == 1.0
    t = np.linspace(0.0, 30.0, 301)
    np.testing.assert_array_equal(curves["flat_forward"].discount(t), curves["loglinear_discount"].discount(t))
    assert float(curves["linear_spot"].spot(3.5)) == pytest.approx(0.0375, abs=1e-15)
    assert float(curves["linear_spot"].spot(0.5)) == pytest.approx(0.03, abs=1e-15)
    # log-linear: the continuous forward is flat between nodes
    ll = curves["loglinear_discount"]
    f = ll.forward_continuous(np.array([2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0]))
    np.testing.assert_allclose(f, f[0], rtol=1e-13)
    # extrapolation: flat forward of the last segment, for every method
    last = ll.forward_continuous(5.0, 10.0)
    for c in curves.values():
        np.testing.assert_allclose(c.forward_continuous([10.0, 20.0], [11.0, 50.0]), last, rtol=1e-13)


def test_single_node_curve_is_flat() -> None:
    """One node: a flat curve (extrapolation uses the segment from 0)."""
    c = Curve(np.array([5.0]), np.array([0.04]))
    np.testing.assert_allclose(c.spot([0.0, 0.5, 5.0, 80.0]), 0.04, atol=1e-15)


def test_vectorised_shapes() -> None:
    c = Curve(np.array([1.0, 2.0]), np.array([0.03, 0.04]))
    assert c.discount(1.5).shape == ()
    assert c.discount(np.ones((2, 3))).shape == (2, 3)
    assert c.forward(np.zeros(4), np.arange(1.0, 5.0)).shape == (4,)


# ---------------------------------------------------------------------------------- (4) hypothesis properties


@st.composite
def positive_forward_curves(draw: st.DrawFn) -> Curve:
    n = draw(st.integers(1, 12))
    steps = draw(st.lists(st.floats(0.05, 10.0), min_size=n, max_size=n))
    fwds = draw(st.lists(st.floats(1e-4, 0.15), min_size=n, max_size=n))
    mats = np.cumsum(steps)
    log_p = -np.cumsum(np.array(fwds) * np.array(steps))
    rates = np.expm1(-log_p / mats)
    kind: Interpolation = draw(st.sampled_from(["loglinear_discount", "flat_forward", "linear_spot"]))
    return Curve(mats, rates, kind)


times = st.lists(st.floats(0.0, 150.0), min_size=1, max_size=20).map(np.array)


@settings(max_examples=100, deadline=None)
@given(positive_forward_curves(), times)
def test_discount_positive_and_decreasing_for_positive_forwards(curve: Curve, t: np.ndarray) -> None:
    """No-arbitrage: P > 0; with positive forwards, P decreasing (log-linear: everywhere; linear-spot: at nodes
    and beyond the last node)."""
    p = curve.discount(t)
    assert np.all(p > 0)
    if curve.interpolation == "linear_spot":
        grid = np.concatenate(([0.0], curve.maturities, curve.maturities[-1] + np.array([1.0, 50.0])))
    else:
        grid = np.sort(np.concatenate((t, curve.maturities)))
    assert np.all(np.diff(curve.discount(grid)) <= 1e-15)


@settings(max_examples=100, deadline=None)
@given(positive_forward_curves(), times, st.floats(1e-3, 30.0))
def test_forward_consistent_with_discount_ratio(curve: Curve, t1: np.ndarray, dt: float) -> None:
    """(1 + F(t1,t2))^(t2−t1) = P(t1)/P(t2) (definition of the annual forward)."""
    t2 = t1 + dt
    lhs = (1 + curve.forward(t1, t2)) ** dt
    np.testing.assert_allclose(lhs, curve.discount(t1) / curve.discount(t2), rtol=1e-10)


@settings(max_examples=100, deadline=None)
@given(positive_forward_curves(), st.floats(-200.0, 500.0))
def test_shift_and_premium_identities(curve: Curve, bp: float) -> None:
    """Bottom-up (IFRS 17 B80): with_premium(x) equals shift(10,000·x); node spots move by exactly x; shift(0)
    is the identity."""
    x = bp / 10_000.0
    a, b = curve.with_premium(x), curve.shift(bp)
    np.testing.assert_allclose(a.rates, b.rates, rtol=0, atol=1e-15)
    np.testing.assert_allclose(a.spot(curve.maturities) - curve.spot(curve.maturities), x, atol=1e-12)
    np.testing.assert_array_equal(curve.shift(0.0).discount(curve.maturities), curve.discount(curve.maturities))


@settings(max_examples=100, deadline=None)
@given(positive_forward_curves(), st.lists(st.floats(0.01, 100.0), min_size=1, max_size=5), times)
def test_locked_in_curve_of_identical_curves_is_the_curve(curve: Curve, weights: list[float],
                                                         t: np.ndarray) -> None:
    """IFRS 17 B73: averaging a curve with itself, whatever the weights, gives the same curve."""
    locked = locked_in_curve([curve] * len(weights), weights)
    np.testing.assert_allclose(locked.discount(t), curve.discount(t), rtol=1e-12)


def test_locked_in_curve_averages_discount_factors() -> None:
    """IFRS 17 B73 weighted average over the period, defined on discount factors: P̄(t) = Σ w_i P_i(t) / Σ w_i
    at the union of node maturities, so present values of the cohort's cash flows are weighted averages."""
    c1 = Curve(np.array([1.0, 5.0, 10.0]), np.array([0.03, 0.035, 0.04]))
    c2 = Curve(np.array([1.0, 3.0, 10.0, 20.0]), np.array([0.05, 0.05, 0.052, 0.053]), "linear_spot")
    locked = locked_in_curve([c1, c2], [3.0, 1.0])
    np.testing.assert_array_equal(locked.maturities, [1.0, 3.0, 5.0, 10.0, 20.0])
    assert locked.interpolation == "loglinear_discount"
    grid = locked.maturities
    np.testing.assert_allclose(locked.discount(grid), 0.75 * c1.discount(grid) + 0.25 * c2.discount(grid),
                               rtol=1e-14)
    cash = np.array([100.0, 50.0, 80.0, 120.0, 30.0])
    pv = float(cash @ locked.discount(grid))
    assert pv == pytest.approx(0.75 * float(cash @ c1.discount(grid)) + 0.25 * float(cash @ c2.discount(grid)),
                               rel=1e-14)
    # a zero weight drops a curve's values (its nodes stay in the grid)
    only1 = locked_in_curve([c1, c2], [1.0, 0.0])
    np.testing.assert_allclose(only1.discount(grid), c1.discount(grid), rtol=1e-14)


# -------------------------------------------------------------------------------------------------- (5) errors


@pytest.mark.parametrize(("mats", "rates", "match"), [
    ([1.0, 1.0, 2.0], [0.01, 0.02, 0.03], "increasing"),
    ([2.0, 1.0], [0.01, 0.02], "increasing"),
    ([1.0, 2.0], [0.01], "one rate per maturity"),
    ([1.0, float("nan")], [0.01, 0.02], "NaN"),
    ([1.0, 2.0], [0.01, float("nan")], "NaN"),
    ([1.0, 2.0], [0.01, -1.0], "-100"),
    ([0.0, 2.0], [0.01, 0.02], "positive"),
    ([-1.0, 2.0], [0.01, 0.02], "positive"),
    ([], [], "at least one"),
    ([[1.0, 2.0]], [[0.01, 0.02]], "one-dimensional"),
    (["a"], [0.01], "numbers"),
])
def test_invalid_nodes_raise_input_error(mats: list[float], rates: list[float], match: str) -> None:
    with pytest.raises(InputError, match=match):
        Curve(mats, rates)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=match):
        smith_wilson(mats, rates, 0.036, 0.1)


def test_invalid_queries_and_parameters_raise_input_error() -> None:
    c = Curve(np.array([1.0, 2.0]), np.array([0.03, 0.04]))
    with pytest.raises(InputError, match="negative"):
        c.discount([-0.5])
    with pytest.raises(InputError, match="NaN"):
        c.spot(float("nan"))
    with pytest.raises(InputError, match="t2 > t1"):
        c.forward(2.0, 1.0)
    with pytest.raises(InputError, match="interpolation"):
        Curve([1.0], [0.03], "cubic")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="-100"):
        c.shift(-20_000)
    with pytest.raises(InputError, match="UFR"):
        smith_wilson(MAT_1_20, EUR_RATES, float("nan"))
    with pytest.raises(InputError, match="UFR"):
        smith_wilson(MAT_1_20, EUR_RATES, -1.0)
    with pytest.raises(InputError, match="alpha"):
        smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.0)
    with pytest.raises(InputError, match="tolerance"):
        smith_wilson(MAT_1_20, EUR_RATES, 0.036, tolerance=0.0)
    with pytest.raises(InputError, match="compounding"):
        smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.1, compounding="semi")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="last liquid point"):
        smith_wilson(MAT_1_20, EUR_RATES, 0.036, llp=-1.0)
    sw = smith_wilson(MAT_1_20, EUR_RATES, 0.036, 0.1)
    with pytest.raises(InputError, match="negative"):
        sw.discount(-1.0)
    with pytest.raises(InputError, match="t2 > t1"):
        sw.forward(5.0, 5.0)
    with pytest.raises(InputError, match="one weight per curve"):
        locked_in_curve([c, c], [1.0])
    with pytest.raises(InputError, match="at least one"):
        locked_in_curve([], [])
    with pytest.raises(InputError, match="non-negative"):
        locked_in_curve([c, c], [1.0, -1.0])
    with pytest.raises(InputError, match="non-negative"):
        locked_in_curve([c], [0.0])
