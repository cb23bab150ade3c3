"""The chain-ladder family: chain ladder, expected loss ratio, Bornhuetter–Ferguson, Benktander, Cape Cod.

With ``L_i`` the latest cumulative amount of origin i, ``F_i`` its cumulative development factor to ultimate
(tail included) and ``p_i = 1/F_i`` the proportion developed:

- chain ladder:            U_i = L_i · F_i                                (Friedland 2010, ch. 7)
- expected loss ratio:     U_i = ELR_i · E_i                              (Friedland 2010, ch. 8)
- Bornhuetter–Ferguson:    U_i = L_i + (1 − p_i) · ELR_i · E_i             (Bornhuetter & Ferguson 1972)
- Benktander (n iter.):    U⁰ = ELR·E, Uᵏ = L + (1 − p) · Uᵏ⁻¹           (Benktander 1976; Mack 2000)
- Cape Cod (Stanard–Bühlmann, with decay d and trend t; Gluck 1997):
      ELR_i = Σ_j d^|i−j| L_j (1+t)^(i−j) / Σ_j d^|i−j| E_j p_j,  then Bornhuetter–Ferguson with ELR_i.

``E_i`` is the exposure (earned premium, say) and ``ELR_i`` the a-priori loss ratio (scalar or per origin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import Development, DevelopmentFit
from aktuar.core.reserving.results import ReserveResult, merge_warnings
from aktuar.core.reserving.triangles import GRAIN_MONTHS, Triangle
from aktuar.errors import InputError, MethodError

FloatArray = npt.NDArray[np.float64]


def cdf_at_latest(fit: DevelopmentFit, tri: Triangle) -> FloatArray:
    """Cumulative development factor from each origin's latest age to ultimate, (S, O).

    An origin with no observation has nothing developed: its factor is +inf (proportion developed 0).
    """
    idx = tri.latest_index()
    f = np.take_along_axis(fit.cdf, np.maximum(idx, 0), axis=1)
    return np.where(idx >= 0, f, np.inf)


def _no_data_warnings(tri: Triangle, ultimate_note: str) -> list[list[str]]:
    idx = tri.latest_index()
    out: list[list[str]] = [[] for _ in range(tri.n_segments)]
    for s, o in zip(*np.nonzero(idx < 0), strict=True):
        out[s].append(f"origin {tri.origin[o]} has no observed value: {ultimate_note}")
    holes = tri.holes()
    for s in np.flatnonzero(holes.any(axis=(1, 2))):
        n = int(holes[s].sum())
        out[s].append(f"{n} missing cell(s) inside the observed triangle were treated as no movement")
    return out


def _fit_dev(development: Development | DevelopmentFit | None, tri: Triangle) -> DevelopmentFit:
    if isinstance(development, DevelopmentFit):
        if development.cdf.shape != (tri.n_segments, tri.shape[2]):
            raise InputError("the development fit does not match the triangle's shape")
        return development
    return (development or Development()).fit(tri)


def exposure_array(exposure: npt.ArrayLike | None, tri: Triangle, method: str) -> FloatArray:
    """Exposure as (S, O): accepts a scalar, (O,) or (S, O). Every value must be finite and positive."""
    if exposure is None:
        raise MethodError(
            f"{method} needs an exposure per origin (earned premium, say): give --exposure FILE "
            "with columns origin, the segment columns and exposure"
        )
    e = np.asarray(exposure, dtype=np.float64)
    s, o, _ = tri.shape
    try:
        e = np.broadcast_to(e, (s, o)).copy()
    except ValueError as exc:
        raise InputError(f"the exposure has shape {e.shape}; the triangle has {s} segment(s) × {o} origins") from exc
    bad = ~np.isfinite(e) | (e <= 0)
    if bad.any():
        si, oi = np.argwhere(bad)[0]
        raise InputError(
            f"exposure for segment '{tri.segment_label(int(si))}' origin {tri.origin[int(oi)]} is {e[si, oi]}: "
            "every origin needs a positive exposure"
        )
    return e


def _apriori_array(apriori: float | Sequence[float] | FloatArray, tri: Triangle) -> FloatArray:
    a = np.asarray(apriori, dtype=np.float64)
    s, o, _ = tri.shape
    try:
        a = np.broadcast_to(a, (s, o)).copy()
    except ValueError as exc:
        raise InputError(f"the a-priori loss ratio has shape {a.shape}; the triangle has {o} origins") from exc
    if (~np.isfinite(a)).any() or (a < 0).any():
        raise InputError("the a-priori loss ratio must be a finite number ≥ 0")
    return a


@dataclass(frozen=True)
class ChainLadder:
    """Chain ladder: ultimate = latest × cumulative development factor."""

    development: Development = field(default_factory=Development)

    def fit(self, tri: Triangle, development: DevelopmentFit | None = None) -> ReserveResult:
        fit = _fit_dev(development or self.development, tri)
        latest = tri.latest()
        f = cdf_at_latest(fit, tri)
        ultimate = np.where(np.isfinite(f), latest * np.where(np.isfinite(f), f, 1.0), 0.0)
        warns = merge_warnings(fit.warnings, _no_data_warnings(tri, "chain-ladder ultimate set to 0"))
        return ReserveResult("chainladder", tri, fit, latest, ultimate, ultimate - latest,
                             components={"cdf": f}, warnings=warns)


@dataclass(frozen=True)
class ExpectedLossRatio:
    """Expected claims: ultimate = a-priori loss ratio × exposure."""

    apriori: float | Sequence[float] = 1.0
    development: Development = field(default_factory=Development)

    def fit(self, tri: Triangle, exposure: npt.ArrayLike | None, development: DevelopmentFit | None = None
            ) -> ReserveResult:
        fit = _fit_dev(development or self.development, tri)
        e = exposure_array(exposure, tri, "the expected loss ratio method")
        a = _apriori_array(self.apriori, tri)
        latest = tri.latest()
        ultimate = a * e
        return ReserveResult("elr", tri, fit, latest, ultimate, ultimate - latest,
                             components={"cdf": cdf_at_latest(fit, tri), "expected": ultimate, "exposure": e},
                             parameters={"apriori": self.apriori}, warnings=fit.warnings)


def unreported_share(f: FloatArray) -> FloatArray:
    """1 − 1/F: the share of the ultimate still to develop (1 for an origin with no data).

    F = 0 (development that falls to zero) has no share: 0 is used and the caller warns; a negative F keeps
    the formula (the caller warns too).
    """
    ok = np.isfinite(f) & (f != 0)
    return np.where(ok, 1.0 - 1.0 / np.where(ok, f, 1.0), np.where(np.isfinite(f), 0.0, 1.0))


def _nonpositive_cdf_warnings(f: FloatArray, tri: Triangle) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(tri.n_segments)]
    for s, o in zip(*np.nonzero(np.isfinite(f) & (f <= 0)), strict=True):
        out[s].append(f"origin {tri.origin[o]}: the factor to ultimate is {f[s, o]:.4g} ≤ 0 (development falls to "
                      "zero or changes sign); the Bornhuetter–Ferguson share 1 − 1/F is not meaningful here")
    return out


def _credibility_iterations(latest: FloatArray, f: FloatArray, prior: FloatArray, n_iters: int) -> FloatArray:
    unreported = unreported_share(f)
    u = prior
    for _ in range(n_iters):
        u = latest + unreported * u
    return np.asarray(u)


@dataclass(frozen=True)
class Benktander:
    """Benktander's iterated Bornhuetter–Ferguson; ``n_iters = 1`` is Bornhuetter–Ferguson itself and
    ``n_iters → ∞`` tends to the chain ladder (Mack 2000, "Credible claims reserves: the Benktander method").
    """

    apriori: float | Sequence[float] = 1.0
    n_iters: int = 2
    development: Development = field(default_factory=Development)

    def __post_init__(self) -> None:
        if int(self.n_iters) != self.n_iters or self.n_iters < 1:
            raise InputError("Benktander needs a whole number of iterations ≥ 1")

    @property
    def name(self) -> str:
        return "bf" if self.n_iters == 1 else "benktander"

    def fit(self, tri: Triangle, exposure: npt.ArrayLike | None, development: DevelopmentFit | None = None
            ) -> ReserveResult:
        method = "Bornhuetter–Ferguson" if self.n_iters == 1 else "Benktander"
        fit = _fit_dev(development or self.development, tri)
        e = exposure_array(exposure, tri, method)
        a = _apriori_array(self.apriori, tri)
        latest = tri.latest()
        f = cdf_at_latest(fit, tri)
        prior = a * e
        ultimate = _credibility_iterations(latest, f, prior, self.n_iters)
        warns = merge_warnings(fit.warnings, _no_data_warnings(tri, "its ultimate is the a-priori expected amount"),
                               _nonpositive_cdf_warnings(f, tri))
        return ReserveResult(self.name, tri, fit, latest, ultimate, ultimate - latest,
                             components={"cdf": f, "expected": prior, "exposure": e},
                             parameters={"apriori": self.apriori, "n_iters": self.n_iters}, warnings=warns)


def BornhuetterFerguson(  # noqa: N802 - an estimator name, like the others
    apriori: float | Sequence[float] = 1.0, development: Development | None = None
) -> Benktander:
    """Bornhuetter–Ferguson: Benktander with one iteration."""
    return Benktander(apriori=apriori, n_iters=1, development=development or Development())


@dataclass(frozen=True)
class CapeCod:
    """Cape Cod (Stanard–Bühlmann): the a-priori loss ratio is estimated from the triangle itself as
    reported losses over used-up exposure, with optional ``decay`` (0 < d ≤ 1: weight d^|i−j| of origin j in the
    loss ratio of origin i; Gluck 1997) and annual ``trend`` of loss ratios between origins.
    """

    decay: float = 1.0
    trend: float = 0.0
    n_iters: int = 1
    development: Development = field(default_factory=Development)

    def __post_init__(self) -> None:
        if not 0 < self.decay <= 1:
            raise InputError("the Cape Cod decay must lie in (0, 1]")
        if not np.isfinite(self.trend) or self.trend <= -1:
            raise InputError("the Cape Cod trend must be a rate above −100 %")
        if int(self.n_iters) != self.n_iters or self.n_iters < 1:
            raise InputError("Cape Cod needs a whole number of iterations ≥ 1")

    def fit(self, tri: Triangle, exposure: npt.ArrayLike | None, development: DevelopmentFit | None = None
            ) -> ReserveResult:
        fit = _fit_dev(development or self.development, tri)
        e = exposure_array(exposure, tri, "Cape Cod")
        latest = tri.latest()
        f = cdf_at_latest(fit, tri)
        reported = 1.0 - unreported_share(f)
        o = tri.shape[1]
        years = np.arange(o, dtype=np.float64)
        if tri.origin_grain is not None:
            years *= GRAIN_MONTHS[tri.origin_grain] / 12.0
        gap = years[:, None] - years[None, :]  # i − j
        w = self.decay ** np.abs(np.arange(o)[:, None] - np.arange(o)[None, :])
        trend = (1.0 + self.trend) ** gap
        num = np.einsum("ij,sj->si", w * trend, latest)
        den = np.einsum("ij,sj->si", w, e * reported)
        warns = merge_warnings(fit.warnings, _no_data_warnings(tri, "its ultimate is the Cape Cod expected amount"),
                               _nonpositive_cdf_warnings(f, tri))
        with np.errstate(divide="ignore", invalid="ignore"):
            elr = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        for s in np.flatnonzero(~np.isfinite(elr).all(axis=1)):
            warns[s].append("no developed exposure to estimate the Cape Cod loss ratio: ELR set to 0")
        elr = np.nan_to_num(elr)
        prior = elr * e
        ultimate = _credibility_iterations(latest, f, prior, self.n_iters)
        return ReserveResult("capecod", tri, fit, latest, ultimate, ultimate - latest,
                             components={"cdf": f, "elr": elr, "expected": prior, "exposure": e},
                             parameters={"decay": self.decay, "trend": self.trend, "n_iters": self.n_iters},
                             warnings=warns)
