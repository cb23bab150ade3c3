"""Risk adjustment for non-financial risk (KZ84-RA): IFRS 17 paragraph 37, B86–B92, disclosure paragraph 119.

The risk adjustment is "the compensation an entity requires for bearing the uncertainty about the amount and
timing of the cash flows that arises from non-financial risk" (para 37). IFRS 17 does not prescribe a technique
(B91–B92); this module gives the two in common use and the disclosure that goes with them:

* **confidence level** (value at risk): ``RA = q_p − E[X]`` for the reserve distribution ``X`` of each segment,
  given as (a) simulations (e.g. bootstrap total reserve simulations), (b) a lognormal fitted to a mean and a
  standard error (e.g. Mack), (c) a normal fitted to a mean and a standard error;
* **cost of capital**: ``RA = r_CoC × Σ_t C_t × DF(t + 1)`` (Solvency II-style risk margin), B92 notes the
  technique is acceptable as long as the result meets B91;
* **diversification** between portfolios by a correlation matrix (B88: the RA reflects the degree of
  diversification benefit the entity includes when determining the compensation it requires) and allocation of
  the diversified total back to portfolios;
* **confidence level that a risk adjustment corresponds to** (para 119: an entity that uses a technique other
  than the confidence level technique shall disclose the technique and the confidence level to which its result
  corresponds).

Pure calculation: numpy/scipy in, dataclasses out. Money is float64, unrounded (rounded at presentation only).
All functions are vectorised over segments: a first axis ``S`` of segments (portfolios), a scalar or 1-D input
is one segment per element.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy import stats

from aktuar.core.reserving.results import ReserveResult
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Distribution = Literal["simulations", "lognormal", "normal"]
Allocation = Literal["euler", "pro_rata"]

__all__ = [
    "CostOfCapitalRA",
    "DiversifiedRA",
    "RiskAdjustment",
    "confidence_level_lognormal",
    "confidence_level_normal",
    "confidence_level_simulations",
    "cost_of_capital_ra",
    "diversify",
    "lognormal_parameters",
    "ra_from_reserve_result",
    "ra_lognormal",
    "ra_normal",
    "ra_simulations",
    "validate_correlation",
]


@dataclass(frozen=True)
class RiskAdjustment:
    """Confidence-level risk adjustment per segment.

    ``mean``, ``quantile`` and ``ra = quantile − mean`` are (S,) float64 money; ``confidence_level`` is the
    probability ``p`` of the quantile. ``distribution`` says how the reserve distribution was given
    (``"simulations"``, ``"lognormal"``, ``"normal"``); ``parameters`` holds its parameters (lognormal ``mu``,
    ``sigma``; normal ``se``; simulations ``n_sims`` and the numpy quantile ``method``).
    """

    distribution: str
    confidence_level: float
    mean: FloatArray
    quantile: FloatArray
    ra: FloatArray
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CostOfCapitalRA:
    """Cost-of-capital risk adjustment per segment.

    ``capital`` (S, T) is the capital held over year ``t`` (from ``t`` to ``t + 1``), ``discount_factors`` (T,)
    are ``DF(t + 1)``, ``cost_of_capital_rate`` the annual rate, ``ra`` (S,) the result
    ``r_CoC × Σ_t capital[:, t] × DF(t + 1)``.
    """

    cost_of_capital_rate: float
    capital: FloatArray
    discount_factors: FloatArray
    ra: FloatArray


@dataclass(frozen=True)
class DiversifiedRA:
    """Diversified risk adjustment over portfolios and its allocation back to them.

    ``standalone`` (P,) are the portfolios' own RAs, ``correlation`` (P, P) the matrix used, ``undiversified`` the
    simple sum, ``total = sqrt(RAᵀ C RA)``, ``diversification_benefit = undiversified − total``, ``allocated``
    (P,) the diversified RA by portfolio (sums to ``total``) by ``allocation`` (``"euler"`` or ``"pro_rata"``).
    """

    standalone: FloatArray
    correlation: FloatArray
    undiversified: float
    total: float
    diversification_benefit: float
    allocated: FloatArray
    allocation: str


# --------------------------------------------------------------------------------------------------- helpers


def _level(p: float, name: str = "confidence_level") -> float:
    p = float(p)
    if not (0.0 < p < 1.0) or not np.isfinite(p):
        raise InputError(f"{name} must be strictly between 0 and 1 (e.g. 0.75 for 75 %); got {p}.")
    return p


def _vector(x: ArrayLike, name: str) -> FloatArray:
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be a scalar or a 1-D array (one value per segment); got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be finite numbers; it contains NaN or infinity.")
    return arr


def _mean_se(mean: ArrayLike, se: ArrayLike) -> tuple[FloatArray, FloatArray]:
    m = _vector(mean, "mean")
    s = _vector(se, "se")
    try:
        m, s = np.broadcast_arrays(m, s)
    except ValueError:
        raise InputError(
            f"mean and se must have the same number of segments; got {m.shape[0]} and {s.shape[0]}."
        ) from None
    if np.any(s < 0):
        raise InputError("se (standard error) must be non-negative.")
    return np.array(m, dtype=np.float64), np.array(s, dtype=np.float64)


def _simulations(sims: ArrayLike) -> FloatArray:
    arr = np.asarray(sims, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise InputError(
            f"simulations must be (n_sims,) or (segments, n_sims) with at least one simulation; got {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise InputError("simulations must be finite numbers; they contain NaN or infinity.")
    return arr


def lognormal_parameters(mean: ArrayLike, se: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Lognormal ``(mu, sigma)`` with the given mean and standard error (method of moments).

    ``σ² = ln(1 + cv²)``, ``μ = ln(mean) − σ²/2`` with ``cv = se / mean`` (Mack 1993's lognormal approximation
    of the reserve distribution). A segment with ``mean == 0`` and ``se == 0`` (nothing to reserve) gets
    ``mu = -inf``, ``sigma = 0`` and is treated as a point mass at 0. A negative mean, or a zero mean with a
    positive standard error, cannot be lognormal and raises :class:`InputError`.
    """
    m, s = _mean_se(mean, se)
    if np.any(m < 0) or np.any((m == 0) & (s > 0)):
        raise InputError(
            "a lognormal reserve distribution needs a positive mean (a zero mean only with zero standard error); "
            "use distribution='normal' for reserves that can be negative."
        )
    pos = m > 0
    cv = np.divide(s, m, out=np.zeros_like(m), where=pos)
    sigma2 = np.log1p(cv**2)
    with np.errstate(divide="ignore"):
        mu = np.where(pos, np.log(np.where(pos, m, 1.0)) - sigma2 / 2.0, -np.inf)
    return np.asarray(mu, dtype=np.float64), np.sqrt(sigma2)


# ---------------------------------------------------------------------------------------- confidence level


def ra_simulations(sims: ArrayLike, confidence_level: float, *, method: str = "linear") -> RiskAdjustment:
    """Confidence-level RA from simulations of the reserve, ``RA = q_p − mean`` per segment (B91–B92).

    ``sims`` is (n_sims,) or (S, n_sims), e.g. ``ReserveResult.components['total_ibnr_sims']`` of the bootstrap.
    The quantile is ``numpy.quantile(..., method=method)`` (default linear interpolation between order
    statistics, Hyndman–Fan type 7); the mean is the simulation mean.
    """
    p = _level(confidence_level)
    arr = _simulations(sims)
    mean = arr.mean(axis=1)
    q = np.quantile(arr, p, axis=1, method=method)  # type: ignore[call-overload]
    q = np.asarray(q, dtype=np.float64)
    return RiskAdjustment(
        "simulations", p, mean, q, q - mean, {"n_sims": int(arr.shape[1]), "method": method}
    )


def ra_lognormal(mean: ArrayLike, se: ArrayLike, confidence_level: float) -> RiskAdjustment:
    """Confidence-level RA of a lognormal reserve with the given mean and standard error (B91–B92).

    ``q_p = exp(μ + σ Φ⁻¹(p))`` with ``(μ, σ)`` from :func:`lognormal_parameters`; ``RA = q_p − mean``. Typical
    input: Mack's ``ibnr`` totals and ``total_se``.
    """
    p = _level(confidence_level)
    m, s = _mean_se(mean, se)
    mu, sigma = lognormal_parameters(m, s)
    z = float(stats.norm.ppf(p))
    q = np.where(m > 0, np.exp(mu + sigma * z), 0.0)
    return RiskAdjustment("lognormal", p, m, q, q - m, {"mu": mu, "sigma": sigma, "se": s})


def ra_normal(mean: ArrayLike, se: ArrayLike, confidence_level: float) -> RiskAdjustment:
    """Confidence-level RA of a normal reserve: ``RA = se × Φ⁻¹(p)`` (B91–B92)."""
    p = _level(confidence_level)
    m, s = _mean_se(mean, se)
    z = float(stats.norm.ppf(p))
    q = m + s * z
    return RiskAdjustment("normal", p, m, q, q - m, {"se": s})


def ra_from_reserve_result(
    result: ReserveResult, confidence_level: float, distribution: Distribution | None = None
) -> RiskAdjustment:
    """Confidence-level RA per segment from a reserving result.

    ``distribution=None`` chooses ``"simulations"`` when the result carries
    ``components['total_ibnr_sims']`` (bootstrap), else ``"lognormal"`` on ``total_ibnr`` and ``total_se``
    (Mack). Asking for a distribution the result cannot give raises :class:`InputError`.
    """
    sims = result.components.get("total_ibnr_sims")
    if distribution is None:
        distribution = "simulations" if sims is not None else "lognormal"
    if distribution == "simulations":
        if sims is None:
            raise InputError(
                f"the {result.method} result has no simulations; use distribution='lognormal' or 'normal'."
            )
        return ra_simulations(sims, confidence_level)
    if result.total_se is None:
        raise InputError(
            f"the {result.method} result has no standard error; use a stochastic method (Mack, bootstrap)."
        )
    if distribution == "lognormal":
        return ra_lognormal(result.total_ibnr, result.total_se, confidence_level)
    if distribution == "normal":
        return ra_normal(result.total_ibnr, result.total_se, confidence_level)
    raise InputError(f"distribution must be 'simulations', 'lognormal' or 'normal'; got {distribution!r}.")


# ----------------------------------------------------------------------- confidence level of a booked RA


def confidence_level_simulations(
    sims: ArrayLike, ra: ArrayLike, *, mean: ArrayLike | None = None
) -> FloatArray:
    """Confidence level a booked RA corresponds to (para 119), from simulations: the empirical CDF
    ``#{x ≤ mean + RA} / n_sims`` per segment; ``mean`` defaults to the simulation mean."""
    arr = _simulations(sims)
    m = arr.mean(axis=1) if mean is None else _vector(mean, "mean")
    r = _vector(ra, "ra")
    threshold = np.broadcast_to(m + r, (arr.shape[0],))
    return np.asarray((arr <= threshold[:, None]).mean(axis=1), dtype=np.float64)


def confidence_level_lognormal(mean: ArrayLike, se: ArrayLike, ra: ArrayLike) -> FloatArray:
    """Confidence level a booked RA corresponds to (para 119) under the lognormal of :func:`ra_lognormal`:
    ``Φ((ln(mean + RA) − μ) / σ)``. A degenerate segment (``se == 0``) gives 1 for ``RA ≥ 0``, else 0."""
    m, s = _mean_se(mean, se)
    r = np.broadcast_to(_vector(ra, "ra"), m.shape)
    mu, sigma = lognormal_parameters(m, s)
    x = m + r
    deg = sigma == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.where(x > 0, x, 1.0)) - mu) / np.where(deg, 1.0, sigma)
    cl = np.where(x > 0, stats.norm.cdf(z), 0.0)
    return np.asarray(np.where(deg, (r >= 0).astype(np.float64), cl), dtype=np.float64)


def confidence_level_normal(mean: ArrayLike, se: ArrayLike, ra: ArrayLike) -> FloatArray:
    """Confidence level a booked RA corresponds to (para 119) under a normal reserve: ``Φ(RA / se)``.
    A degenerate segment (``se == 0``) gives 1 for ``RA ≥ 0``, else 0."""
    m, s = _mean_se(mean, se)
    r = np.broadcast_to(_vector(ra, "ra"), m.shape)
    deg = s == 0
    cl = stats.norm.cdf(r / np.where(deg, 1.0, s))
    return np.asarray(np.where(deg, (r >= 0).astype(np.float64), cl), dtype=np.float64)


# ------------------------------------------------------------------------------------------ cost of capital


def cost_of_capital_ra(
    cost_of_capital_rate: float,
    discount_factors: ArrayLike,
    *,
    capital: ArrayLike | None = None,
    initial_capital: ArrayLike | None = None,
    reserve_runoff: ArrayLike | None = None,
) -> CostOfCapitalRA:
    """Cost-of-capital RA: ``RA = r_CoC × Σ_{t=0}^{T-1} C_t × DF(t + 1)`` (B92; Solvency II risk margin,
    Delegated Regulation (EU) 2015/35 Art. 37).

    Conventions: year ``t`` runs from ``t`` to ``t + 1`` (valuation date ``t = 0``); the capital ``C_t`` is held
    over year ``t`` and its cost is paid at its end, hence discounted by ``DF(t + 1)``; ``discount_factors``
    (T,) are ``DF(1), …, DF(T)`` (e.g. ``curve.discount(np.arange(1, T + 1))``).

    The capital is given either

    * directly, ``capital`` (T,) or (S, T); or
    * as ``initial_capital`` ``C_0`` (S,) (e.g. the 99.5 % VaR ``ra_lognormal(mean, se, 0.995).ra`` or a
      required capital) projected in proportion to the best-estimate run-off, ``C_t = C_0 × BE_t / BE_0``, where
      ``reserve_runoff`` (T,) or (S, T) is the best-estimate reserve outstanding at the start of year ``t``
      (``BE_0`` = reserve at the valuation date). This is the Solvency II simplification "risk margin
      proportional to the best estimate" (EIOPA Guidelines on valuation of technical provisions, Guideline 62,
      method 3).
    """
    rate = float(cost_of_capital_rate)
    if not np.isfinite(rate) or rate < 0:
        raise InputError(f"cost_of_capital_rate must be a non-negative number (e.g. 0.06); got {rate}.")
    df = _vector(discount_factors, "discount_factors")
    if np.any(df <= 0):
        raise InputError("discount_factors must be positive.")
    if capital is not None:
        if initial_capital is not None or reserve_runoff is not None:
            raise InputError("give either capital, or initial_capital with reserve_runoff, not both.")
        cap = np.asarray(capital, dtype=np.float64)
        if cap.ndim == 1:
            cap = cap[None, :]
    else:
        if initial_capital is None or reserve_runoff is None:
            raise InputError(
                "give capital (S, T), or initial_capital (S,) together with reserve_runoff (S, T)."
            )
        c0 = _vector(initial_capital, "initial_capital")
        be = np.asarray(reserve_runoff, dtype=np.float64)
        if be.ndim == 1:
            be = be[None, :]
        if be.ndim != 2 or not np.all(np.isfinite(be)) or np.any(be < 0):
            raise InputError("reserve_runoff must be non-negative finite numbers, (T,) or (S, T).")
        be0 = be[:, :1]
        if np.any((be0 == 0) & (be.sum(axis=1, keepdims=True) > 0)):
            raise InputError(
                "reserve_runoff must start with the best estimate at the valuation date (BE_0 > 0)."
            )
        ratio = np.divide(be, be0, out=np.zeros_like(be), where=be0 > 0)
        try:
            cap = c0[:, None] * ratio
        except ValueError:
            raise InputError(
                f"initial_capital has {c0.shape[0]} segments but reserve_runoff has {be.shape[0]}."
            ) from None
    if cap.ndim != 2 or not np.all(np.isfinite(cap)) or np.any(cap < 0):
        raise InputError("capital must be non-negative finite numbers, (T,) or (S, T).")
    if cap.shape[1] != df.shape[0]:
        raise InputError(
            f"capital covers {cap.shape[1]} years but discount_factors has {df.shape[0]}; give DF(1)..DF(T)."
        )
    ra = rate * (cap @ df)
    return CostOfCapitalRA(rate, cap, df, np.asarray(ra, dtype=np.float64))


# ---------------------------------------------------------------------------------------- diversification


def validate_correlation(correlation: ArrayLike, n: int | None = None, *, tol: float = 1e-10) -> FloatArray:
    """The correlation matrix as float64 after checking it is square (``n × n`` if ``n`` is given), finite,
    symmetric, with unit diagonal, entries in [−1, 1] and positive semi-definite (smallest eigenvalue ≥ −tol).
    Raises :class:`InputError` saying which condition fails."""
    c = np.asarray(correlation, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise InputError(f"the correlation matrix must be square; got shape {c.shape}.")
    if n is not None and c.shape[0] != n:
        raise InputError(f"the correlation matrix must be {n} × {n} (one row per portfolio); got {c.shape}.")
    if not np.all(np.isfinite(c)):
        raise InputError("the correlation matrix must contain finite numbers only.")
    if not np.allclose(c, c.T, rtol=0.0, atol=tol):
        raise InputError("the correlation matrix must be symmetric (C[i, j] == C[j, i]).")
    if not np.allclose(np.diag(c), 1.0, rtol=0.0, atol=tol):
        raise InputError("the correlation matrix must have 1 on its diagonal.")
    if np.any(np.abs(c) > 1.0 + tol):
        raise InputError("correlations must lie between −1 and 1.")
    if c.shape[0] and float(np.linalg.eigvalsh((c + c.T) / 2.0).min()) < -tol:
        raise InputError(
            "the correlation matrix must be positive semi-definite (no negative eigenvalue); the correlations "
            "given are mutually inconsistent."
        )
    return c


def diversify(ra: ArrayLike, correlation: ArrayLike, *, allocation: Allocation = "euler") -> DiversifiedRA:
    """Diversified RA over portfolios by variance–covariance aggregation, ``RA = sqrt(RAᵀ C RA)`` (B88), and its
    allocation back to the portfolios.

    Allocation methods (both sum to the diversified total):

    * ``"euler"`` (gradient / covariance allocation): ``a_i = RA_i (C RA)_i / RA_total``, the marginal
      contribution of portfolio ``i``. With negative correlations an allocation can be negative (a hedge).
    * ``"pro_rata"``: ``a_i = RA_total × RA_i / Σ_j RA_j``.

    The stand-alone RAs must be non-negative; with them and correlations ≤ 1 the diversified total never exceeds
    the simple sum.
    """
    r = _vector(ra, "ra")
    if np.any(r < 0):
        raise InputError("stand-alone risk adjustments must be non-negative.")
    c = validate_correlation(correlation, r.shape[0])
    cr = c @ r
    total = float(np.sqrt(max(float(r @ cr), 0.0)))
    undiv = float(r.sum())
    if allocation == "euler":
        alloc = r * cr / total if total > 0 else np.zeros_like(r)
    elif allocation == "pro_rata":
        alloc = total * r / undiv if undiv > 0 else np.zeros_like(r)
    else:
        raise InputError(f"allocation must be 'euler' or 'pro_rata'; got {allocation!r}.")
    return DiversifiedRA(r, c, undiv, total, undiv - total, np.asarray(alloc, dtype=np.float64), allocation)
