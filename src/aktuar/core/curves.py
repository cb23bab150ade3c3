"""Discount curves: spot, forward and discount factors; interpolation; Smith–Wilson extrapolation to an
ultimate forward rate; locked-in (cohort) curves.

Pure calculation (numpy/scipy in, dataclasses out): no I/O, no clock, no global state. Rates are float64
decimals (0.035 = 3.5 %); times are year fractions (float64, ``t >= 0``). Unless a name says otherwise a rate
is *annually compounded*: a spot rate ``r(t)`` means ``P(t) = (1 + r(t))^(-t)``; the continuously compounded
spot is ``ln(1 + r(t))``.

References
----------
- IFRS 17 *Insurance Contracts*, B72–B85: discount rates; B80 (bottom-up approach: a liquid risk-free yield
  curve adjusted for the illiquidity of the insurance contracts); B72(b)–(c) and B73 (locked-in rates at
  initial recognition; weighted-average rates for a group whose contracts are issued over the period).
- EIOPA, *Technical documentation of the methodology to derive EIOPA's risk-free interest rate term
  structures* (EIOPA-BoS-19/408, 12.09.2019), section 7 (Smith–Wilson): Wilson function, calibration on
  zero-coupon bonds, the convergence criterion (forward intensity at the convergence point
  ``max(LLP + 40, 60)`` within 1 bp of ``ln(1 + UFR)``, smallest ``α ≥ 0.05``).
- CEIOPS QIS 5, *Risk-free interest rates – Extrapolation method* (2010), pp. 11–18 (Smith–Wilson).
- Smith, A. & Wilson, T. (2001), *Fitting yield curves with long term constraints*, Bacon & Woodrow.
- QuantLib: ``DiscountCurve`` with ``LogLinear`` interpolation (the ``'loglinear_discount'`` method here).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from aktuar.errors import InputError

__all__ = [
    "Compounding",
    "Curve",
    "Interpolation",
    "SmithWilsonCurve",
    "locked_in_curve",
    "smith_wilson",
    "wilson_function",
]

FloatArray = NDArray[np.float64]
Interpolation = Literal["loglinear_discount", "linear_spot", "flat_forward"]
Compounding = Literal["annual", "continuous"]

#: The smallest convergence speed EIOPA allows (technical documentation, section 7).
ALPHA_MIN = 0.05
#: Upper end of the α search; beyond it the calibration is reported as not converging.
ALPHA_MAX = 5.0


# ----------------------------------------------------------------------------------------------- validation


def _times(t: ArrayLike, name: str = "t") -> FloatArray:
    """``t`` as a float64 array, refusing NaN, infinities and negative times."""
    try:
        arr = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numbers (years); got {t!r}.") from exc
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or infinite times; give finite times in years.")
    if np.any(arr < 0.0):
        raise InputError(f"{name} contains negative times; times are years from the valuation date (t >= 0).")
    return arr


def _nodes(maturities: ArrayLike, rates: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validated curve nodes: 1-d, same length, finite, maturities > 0 strictly increasing, rates > -100 %."""
    try:
        m = np.array(maturities, dtype=np.float64, copy=True)
        r = np.array(rates, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InputError("Maturities and rates must be numbers.") from exc
    if m.ndim != 1 or r.ndim != 1:
        raise InputError("Maturities and rates must be one-dimensional lists.")
    if m.size == 0:
        raise InputError("A curve needs at least one maturity.")
    if m.size != r.size:
        raise InputError(f"Got {m.size} maturities but {r.size} rates; give one rate per maturity.")
    if not np.all(np.isfinite(m)):
        raise InputError("Maturities contain NaN or infinite values.", column="maturity")
    if not np.all(np.isfinite(r)):
        raise InputError("Rates contain NaN or infinite values.", column="rate")
    if np.any(m <= 0.0):
        raise InputError("Maturities must be positive (years after the valuation date).", column="maturity")
    if np.any(np.diff(m) <= 0.0):
        raise InputError("Maturities must be strictly increasing; sort them and remove duplicates.",
                         column="maturity")
    if np.any(r <= -1.0):
        raise InputError("Rates must be greater than -100 %.", column="rate")
    m.setflags(write=False)
    r.setflags(write=False)
    return m, r


def _annual_rate(value: float, name: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= -1.0:
        raise InputError(f"{name} must be a finite annual rate greater than -100 %; got {value!r}.")
    return v


# --------------------------------------------------------------------------------------------------- Curve


class _RateQueries(ABC):
    """Spot and forward rates derived from a curve's discount factors (shared by every curve type)."""

    @abstractmethod
    def discount(self, t: ArrayLike) -> FloatArray:
        """Discount factor ``P(t)``."""

    @abstractmethod
    def spot_continuous(self, t: ArrayLike) -> FloatArray:
        """Continuously compounded spot rate, with the curve type's limit at ``t = 0``."""

    def _log_discount(self, t: FloatArray) -> FloatArray:
        return cast(FloatArray, np.log(self.discount(t)))

    def spot(self, t: ArrayLike) -> FloatArray:
        """Annually compounded spot rate ``P(t)^(-1/t) - 1``; at ``t = 0`` its limit."""
        return cast(FloatArray, np.expm1(self.spot_continuous(t)))

    def forward_continuous(self, t1: ArrayLike, t2: ArrayLike) -> FloatArray:
        """Continuously compounded forward rate ``ln(P(t1)/P(t2)) / (t2 - t1)`` for ``t2 > t1``."""
        a, b = _times(t1, "t1"), _times(t2, "t2")
        if np.any(b <= a):
            raise InputError("A forward rate needs t2 > t1.")
        return (self._log_discount(a) - self._log_discount(b)) / (b - a)

    def forward(self, t1: ArrayLike, t2: ArrayLike) -> FloatArray:
        """Annually compounded forward rate between ``t1`` and ``t2``: ``(P(t1)/P(t2))^(1/(t2-t1)) - 1``."""
        return cast(FloatArray, np.expm1(self.forward_continuous(t1, t2)))


@dataclass(frozen=True, eq=False)
class Curve(_RateQueries):
    """A discount curve given by annually compounded spot rates at node maturities.

    ``maturities`` (years, strictly increasing, > 0) and ``rates`` (annual compounding, > -100 %) are the
    nodes; between nodes the curve is interpolated by ``interpolation``:

    - ``'loglinear_discount'`` (default): ``ln P(t)`` linear between nodes, with the node ``P(0) = 1``.
      Equivalently the continuously compounded instantaneous forward is constant between nodes (piecewise flat
      forwards). This is QuantLib's ``DiscountCurve`` with ``LogLinear`` interpolation; it is arbitrage-free
      whenever the node discount factors are decreasing.
    - ``'flat_forward'``: the same curve, named by its forwards (piecewise flat forward rates between nodes,
      "raw interpolation" of Hagan & West 2006, *Interpolation methods for curve construction*, §3).
      Provided as an explicit synonym so a methodology can name the method either way; the numbers are equal.
    - ``'linear_spot'``: the annually compounded spot rate is linear in ``t`` between nodes and flat before the
      first node (Hagan & West 2006, §2 "linear on rates"); simple, but forwards may jump at nodes.

    Beyond the last maturity the curve is extrapolated with a flat (continuously compounded) forward equal to
    the average forward of the last segment, ``ln(P(t_{n-1}) / P(t_n)) / (t_n - t_{n-1})`` (with
    ``t_0 = 0, P(0) = 1``); for ``'loglinear_discount'`` this continues the last segment, as QuantLib does
    with extrapolation enabled. Use :func:`smith_wilson` to extrapolate to an ultimate forward rate instead.

    All methods are vectorised over ``t`` (scalars give 0-d arrays; use ``float(...)``).
    """

    maturities: FloatArray
    rates: FloatArray
    interpolation: Interpolation = "loglinear_discount"
    _log_p: FloatArray = field(init=False, repr=False)
    _last_forward: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m, r = _nodes(self.maturities, self.rates)
        if self.interpolation not in get_args(Interpolation):
            raise InputError(
                f"Unknown interpolation {self.interpolation!r}; use one of {', '.join(get_args(Interpolation))}."
            )
        log_p = -m * np.log1p(r)
        t_prev = m[-2] if m.size > 1 else 0.0
        lp_prev = log_p[-2] if m.size > 1 else 0.0
        last_forward = float((lp_prev - log_p[-1]) / (m[-1] - t_prev))
        log_p.setflags(write=False)
        object.__setattr__(self, "maturities", m)
        object.__setattr__(self, "rates", r)
        object.__setattr__(self, "_log_p", log_p)
        object.__setattr__(self, "_last_forward", last_forward)

    # -- core: log discount factor
    def _log_discount(self, t: FloatArray) -> FloatArray:
        m, t_n = self.maturities, float(self.maturities[-1])
        inside = np.minimum(t, t_n)
        if self.interpolation == "linear_spot":
            r = np.interp(inside, m, self.rates)  # flat before the first node, by np.interp's convention
            lp = -inside * np.log1p(r)
        else:  # loglinear_discount / flat_forward
            lp = np.interp(inside, np.concatenate(([0.0], m)), np.concatenate(([0.0], self._log_p)))
        beyond = np.maximum(t - t_n, 0.0)
        return cast(FloatArray, lp - self._last_forward * beyond)

    def discount(self, t: ArrayLike) -> FloatArray:
        """Discount factor ``P(t)`` (price at 0 of 1 paid at ``t``); ``P(0) = 1``."""
        return cast(FloatArray, np.exp(self._log_discount(_times(t))))

    def spot_continuous(self, t: ArrayLike) -> FloatArray:
        """Continuously compounded spot rate ``-ln P(t) / t``; at ``t = 0`` its limit (the first node's)."""
        tt = _times(t)
        safe = np.where(tt > 0.0, tt, 1.0)
        z = -self._log_discount(safe) / safe
        return cast(FloatArray, np.where(tt > 0.0, z, math.log1p(float(self.rates[0]))))

    def shift(self, bp: float) -> Curve:
        """The curve with every node spot rate (annual compounding) moved by ``bp`` basis points (parallel)."""
        return Curve(self.maturities, self.rates + float(bp) / 10_000.0, self.interpolation)

    def with_premium(self, illiquidity_premium: float) -> Curve:
        """Bottom-up discount curve: risk-free spot + illiquidity premium at every node.

        IFRS 17 B80 (bottom-up approach: a liquid risk-free curve adjusted for the illiquidity characteristics
        of the insurance contracts); the same additive construction as EIOPA's volatility/matching adjustment
        added to the basic risk-free spot rates. ``illiquidity_premium`` is a decimal (0.005 = 50 bp), added to
        the annually compounded node rates; interpolation is then applied to the adjusted nodes.
        """
        return Curve(self.maturities, self.rates + float(illiquidity_premium), self.interpolation)


# ------------------------------------------------------------------------------------------- Smith–Wilson


def wilson_function(t: ArrayLike, u: ArrayLike, alpha: float, omega: float) -> FloatArray:
    """Wilson function matrix ``W[i, j] = W(t_i, u_j)`` (EIOPA technical documentation §7; QIS 5 p. 16).

    ``W(t, u) = e^{-ω(t+u)} (α·min(t,u) − ½ e^{-α·max(t,u)} (e^{α·min(t,u)} − e^{-α·min(t,u)}))`` with
    ``ω = ln(1 + UFR)`` the continuously compounded ultimate forward rate.
    """
    tt = np.asarray(t, dtype=np.float64).reshape(-1, 1)
    uu = np.asarray(u, dtype=np.float64).reshape(1, -1)
    lo, hi = np.minimum(tt, uu), np.maximum(tt, uu)
    return cast(FloatArray, np.exp(-omega * (tt + uu)) * (alpha * lo - np.exp(-alpha * hi) * np.sinh(alpha * lo)))


def _wilson_dt(t: FloatArray, u: FloatArray, alpha: float, omega: float) -> FloatArray:
    """``∂W(t, u)/∂t`` (matrix over ``t`` × ``u``), used for the forward intensity."""
    tt = t.reshape(-1, 1)
    uu = u.reshape(1, -1)
    lo, hi = np.minimum(tt, uu), np.maximum(tt, uu)
    w = np.exp(-omega * (tt + uu)) * (alpha * lo - np.exp(-alpha * hi) * np.sinh(alpha * lo))
    # inner derivative of the bracket: for t < u: α − α e^{-αu} cosh(αt); for t ≥ u: α e^{-αt} sinh(αu)
    inner = np.where(tt < uu, alpha - alpha * np.exp(-alpha * uu) * np.cosh(alpha * tt),
                     alpha * np.exp(-alpha * tt) * np.sinh(alpha * uu))
    return cast(FloatArray, -omega * w + np.exp(-omega * (tt + uu)) * inner)


@dataclass(frozen=True, eq=False)
class SmithWilsonCurve(_RateQueries):
    """A Smith–Wilson curve: ``P(t) = e^{-ωt} − Σ_j ζ_j W(t, u_j)`` (EIOPA technical documentation §7).

    ``maturities``/``rates`` are the calibration inputs (zero-coupon, in ``compounding``), ``ufr`` the
    ultimate forward rate (annual compounding; ``omega = ln(1 + ufr)``), ``alpha`` the convergence speed,
    ``zeta`` the calibrated weights, ``llp`` the last liquid point and ``convergence_point`` where the forward
    intensity must be within ``tolerance`` of ``omega``. Same query methods as :class:`Curve`.
    """

    maturities: FloatArray
    rates: FloatArray
    ufr: float
    alpha: float
    zeta: FloatArray
    llp: float
    convergence_point: float
    tolerance: float
    compounding: Compounding

    @property
    def omega(self) -> float:
        """The ultimate forward intensity ``ln(1 + UFR)``."""
        return math.log1p(self.ufr)

    def discount(self, t: ArrayLike) -> FloatArray:
        """Discount factor ``P(t) = e^{-ωt} − W(t, u)·ζ``."""
        tt = _times(t)
        flat = tt.reshape(-1)
        p = np.exp(-self.omega * flat) - wilson_function(flat, self.maturities, self.alpha, self.omega) @ self.zeta
        return cast(FloatArray, p.reshape(tt.shape))

    def forward_instantaneous(self, t: ArrayLike) -> FloatArray:
        """Forward intensity ``f(t) = -P'(t)/P(t)`` (continuous compounding), analytic."""
        tt = _times(t)
        flat = tt.reshape(-1)
        dp = -self.omega * np.exp(-self.omega * flat) - _wilson_dt(flat, self.maturities, self.alpha,
                                                                    self.omega) @ self.zeta
        return cast(FloatArray, (-dp / self.discount(flat)).reshape(tt.shape))

    def spot_continuous(self, t: ArrayLike) -> FloatArray:
        """Continuously compounded spot ``-ln P(t)/t``; at ``t = 0`` its limit, the forward intensity f(0)."""
        tt = _times(t)
        safe = np.where(tt > 0.0, tt, 1.0)
        z = -np.log(self.discount(safe)) / safe
        return cast(FloatArray, np.where(tt > 0.0, z, self.forward_instantaneous(np.zeros_like(tt))))

    def with_premium(self, illiquidity_premium: float) -> SmithWilsonCurve:
        """Bottom-up: add the premium to the liquid input rates, then re-extrapolate with the same UFR and α.

        As EIOPA adds the volatility adjustment to the liquid part before extrapolation (technical
        documentation §7; IFRS 17 B80 for the bottom-up approach).
        """
        return smith_wilson(self.maturities, self.rates + float(illiquidity_premium), self.ufr, self.alpha,
                            llp=self.llp, convergence_point=self.convergence_point, tolerance=self.tolerance,
                            compounding=self.compounding)

    def shift(self, bp: float) -> SmithWilsonCurve:
        """Input rates moved by ``bp`` basis points, re-extrapolated with the same UFR and α."""
        return self.with_premium(float(bp) / 10_000.0)

    def to_curve(self, maturities: ArrayLike, interpolation: Interpolation = "loglinear_discount") -> Curve:
        """The curve sampled at ``maturities`` as a node :class:`Curve` (e.g. annual points 1..150)."""
        m = _times(maturities, "maturities")
        return Curve(m, self.spot(m), interpolation)


def _calibrate(u: FloatArray, prices: FloatArray, alpha: float, omega: float) -> FloatArray:
    """ζ solving ``W(u, u) ζ = e^{-ωu} − P`` (zero-coupon bond calibration; QIS 5 p. 17)."""
    w = wilson_function(u, u, alpha, omega)
    return cast(FloatArray, np.linalg.solve(w, np.exp(-omega * u) - prices))


def smith_wilson(
    maturities: ArrayLike,
    rates: ArrayLike,
    ufr: float,
    alpha: float | None = None,
    *,
    llp: float | None = None,
    convergence_point: float | None = None,
    tolerance: float = 1e-4,
    compounding: Compounding = "annual",
) -> SmithWilsonCurve:
    """Fit a Smith–Wilson curve to zero-coupon rates and extrapolate to the ultimate forward rate.

    Method: EIOPA, *Technical documentation of the methodology to derive EIOPA's risk-free interest rate term
    structures* (EIOPA-BoS-19/408), section 7; CEIOPS QIS 5 extrapolation paper, pp. 11–18. The inputs are
    zero-coupon rates (not swap par rates), so the calibration matrix is the Wilson matrix ``W(u_i, u_j)``
    and ``ζ = W^{-1}(e^{-ωu} − P)`` with ``P = (1 + r)^{-u}`` (``compounding='annual'``) or ``e^{-ru}``
    (``'continuous'``). ``ufr`` is annually compounded; the method works with ``ω = ln(1 + ufr)``.

    The convergence speed ``alpha`` is used as given, or else found as EIOPA prescribes: the smallest
    ``α ≥ 0.05`` such that ``|f(CP) − ω| ≤ tolerance`` (1 bp), where ``f`` is the forward intensity and
    ``CP = max(LLP + 40, 60)`` the convergence point (``llp`` defaults to the last maturity). The search scans
    ``α`` upwards in steps of 0.001 for the first point meeting the criterion and then solves
    ``|f(CP) − ω| = tolerance`` by Brent's method on the bracketing step; if ``α = 0.05`` already meets the
    criterion, 0.05 is returned.

    Raises :class:`~aktuar.errors.InputError` for invalid inputs or when no ``α ≤ 5`` converges.
    """
    u, r = _nodes(maturities, rates)
    ufr_v = _annual_rate(ufr, "UFR")
    omega = math.log1p(ufr_v)
    if compounding == "annual":
        prices = np.power(1.0 + r, -u)
    elif compounding == "continuous":
        prices = np.exp(-r * u)
    else:
        raise InputError(f"Unknown compounding {compounding!r}; use 'annual' or 'continuous'.")
    llp_v = float(u[-1]) if llp is None else float(llp)
    if not math.isfinite(llp_v) or llp_v <= 0.0:
        raise InputError(f"The last liquid point must be a positive number of years; got {llp!r}.")
    cp = max(llp_v + 40.0, 60.0) if convergence_point is None else float(convergence_point)
    if not math.isfinite(cp) or cp <= 0.0:
        raise InputError(f"The convergence point must be a positive number of years; got {convergence_point!r}.")
    tol = float(tolerance)
    if not math.isfinite(tol) or tol <= 0.0:
        raise InputError(f"The tolerance must be positive; got {tolerance!r}.")

    def build(a: float) -> SmithWilsonCurve:
        zeta = _calibrate(u, prices, a, omega)
        zeta.setflags(write=False)
        return SmithWilsonCurve(u, r, ufr_v, a, zeta, llp_v, cp, tol, compounding)

    if alpha is not None:
        a = float(alpha)
        if not math.isfinite(a) or a <= 0.0:
            raise InputError(f"alpha must be a positive number; got {alpha!r}.")
        return build(a)

    def gap(a: float) -> float:
        return abs(float(build(a).forward_instantaneous(cp)) - omega) - tol

    if gap(ALPHA_MIN) <= 0.0:
        return build(ALPHA_MIN)
    step = 0.001
    lo = ALPHA_MIN
    while lo < ALPHA_MAX:
        hi = min(lo + step, ALPHA_MAX)
        if gap(hi) <= 0.0:
            root = optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps)
            a = float(root)
            # brentq returns a point within xtol of the crossing, possibly on the wrong side by rounding noise:
            # step up by 1e-12 until the criterion holds (the step bounds the excess over the smallest α)
            for _ in range(1000):
                if a >= hi or gap(a) <= 0.0:
                    break
                a += 1e-12
            return build(min(a, hi))
        lo = hi
    raise InputError(
        f"Smith–Wilson did not converge to the UFR within {tol:g} at t = {cp:g} for any alpha up to "
        f"{ALPHA_MAX:g}; check the rates and the UFR."
    )


# ----------------------------------------------------------------------------------------- locked-in curve


def locked_in_curve(
    curves: Sequence[Curve],
    weights: Sequence[float],
    *,
    interpolation: Interpolation | None = None,
) -> Curve:
    """Locked-in discount curve of a cohort whose contracts are issued over the period.

    IFRS 17 B72(b)–(c) fixes the discount rates at initial recognition; B73 allows, for a group whose contracts
    are issued over the period, weighted-average discount rates over that period. Here the weighted average is
    taken on **discount factors**: at every node maturity ``t`` (the union of the curves' maturities)

        ``P̄(t) = Σ_i w_i P_i(t) / Σ_i w_i``,

    which is the curve that gives the cohort the weighted-average present value of a unit cash flow at ``t``
    (present values are linear in discount factors, not in rates; averaging spot rates would misstate the
    present value by Jensen's inequality). Weights are typically the premiums or the number of contracts
    recognised with each curve. The result is a :class:`Curve` with nodes at the union of maturities, in the
    first curve's interpolation unless ``interpolation`` is given; between those nodes it is the interpolation
    of the averaged discount factors.
    """
    if len(curves) == 0:
        raise InputError("A locked-in curve needs at least one curve.")
    if len(curves) != len(weights):
        raise InputError(f"Got {len(curves)} curves but {len(weights)} weights; give one weight per curve.")
    w = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0.0) or float(w.sum()) <= 0.0:
        raise InputError("Weights must be finite, non-negative and not all zero.", column="weight")
    w = w / w.sum()
    grid = np.unique(np.concatenate([c.maturities for c in curves]))
    p = np.zeros_like(grid)
    for wi, c in zip(w, curves, strict=True):
        p += wi * c.discount(grid)
    rates = np.expm1(-np.log(p) / grid)
    return Curve(grid, rates, interpolation or curves[0].interpolation)
