"""Age-to-age development factors, their variance parameters σ² and the selections that produced them.

For each development age k the factor is the weighted least-squares estimate of ``C_{i,k+1} ≈ f_k C_{i,k}``
with variance proportional to ``C_{i,k}^α`` (Mack 1993; Barnett & Zehnwirth 2000):

    f_k = Σ_i w_ik C_ik^{1−α} C_{i,k+1} / Σ_i w_ik C_ik^{2−α}

- ``volume`` (α = 1): Σ C_{i,k+1} / Σ C_ik, the chain-ladder factor;
- ``simple`` (α = 2): the arithmetic mean of the link ratios;
- ``regression`` (α = 0): least squares through the origin, Σ C_ik C_{i,k+1} / Σ C_ik².

``w_ik`` is 1 for a link ratio that is used and 0 for one excluded (latest n origins, high/low, or a cell
excluded with a recorded reason). The variance parameter is

    σ_k² = 1/(n_k − 1) · Σ_i w_ik C_ik^{2−α} (C_{i,k+1}/C_ik − f_k)²

and s.e.(f_k)² = σ_k² / Σ_i w_ik C_ik^{2−α}. Where σ_k cannot be estimated (one link ratio) it is
extrapolated by Mack's rule, σ_k² = min(σ_{k−1}⁴/σ_{k−2}², σ_{k−2}², σ_{k−1}²) (Mack 1993, p. 218), or
log-linearly, ln σ_k = a + b·k fitted on the estimable σ's.

Every choice is recorded in :attr:`DevelopmentFit.selections` so that the actuarial opinion can state it
(KZ191-OP item 5: choice of development factors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.tails import Tail, TailFit
from aktuar.core.reserving.triangles import GRAIN_MONTHS, Triangle
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Average = Literal["volume", "simple", "regression"]
SigmaRule = Literal["mack", "loglinear"]
ALPHA: dict[str, float] = {"volume": 1.0, "simple": 2.0, "regression": 0.0}


@dataclass(frozen=True)
class Exclusion:
    """A link ratio excluded by hand: the one from ``age`` of ``origin``, with the reason recorded."""

    origin: str
    age: int
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise InputError(f"excluding origin {self.origin} age {self.age} needs a reason")


@dataclass(frozen=True)
class DevelopmentFit:
    """Fitted development: factors, cumulative factors to ultimate, and their statistics.

    Arrays are per segment: ``ldf`` (S, D−1) from ``ages[k]`` to ``ages[k+1]``; ``cdf`` (S, D) from each age to
    ultimate including the tail; ``used`` (S, O, D−1) marks the link ratios that entered the average.
    """

    ages: npt.NDArray[np.int64]
    average: str
    alpha: float
    link_ratios: FloatArray
    used: BoolArray
    ldf: FloatArray
    ldf_estimated: FloatArray
    sigma: FloatArray
    std_err: FloatArray
    weight_sum: FloatArray
    n_used: npt.NDArray[np.int64]
    tail: TailFit
    cdf: FloatArray
    selections: tuple[str, ...]
    warnings: list[list[str]] = field(default_factory=list)

    @property
    def sigma2(self) -> FloatArray:
        return self.sigma**2


@dataclass(frozen=True)
class Development:
    """Estimator of development factors (configure, then :meth:`fit` a triangle).

    ``n_periods`` keeps the link ratios that end in the latest n calendar periods (diagonals): the usual
    "latest n-year average" (a cell excluded inside those periods is not replaced by an older one);
    ``drop_high``/``drop_low`` remove that many highest/lowest link ratios per age (never the last one left);
    ``exclusions`` remove single link ratios with a reason; ``selected`` replaces the factor from an age by a
    user's selection (``{age: factor}``).
    """

    average: Average = "volume"
    n_periods: int | None = None
    drop_high: int = 0
    drop_low: int = 0
    exclusions: tuple[Exclusion, ...] = ()
    selected: Mapping[int, float] | None = None
    sigma: SigmaRule = "mack"
    tail: Tail = field(default_factory=Tail)

    def __post_init__(self) -> None:
        if self.average not in ALPHA:
            raise InputError(f"unknown average '{self.average}': use volume, simple or regression")
        if self.sigma not in ("mack", "loglinear"):
            raise InputError(f"unknown sigma extrapolation '{self.sigma}': use mack or loglinear")
        if self.n_periods is not None and self.n_periods < 1:
            raise InputError("n_periods must be at least 1 (the number of latest link ratios per age to use)")
        if self.drop_high < 0 or self.drop_low < 0:
            raise InputError("drop_high and drop_low count link ratios and cannot be negative")

    def fit(self, tri: Triangle) -> DevelopmentFit:
        cum = tri.cum().values
        s, o, d = cum.shape
        ages = tri.development
        alpha = ALPHA[self.average]
        warnings: list[list[str]] = [[] for _ in range(s)]
        selections: list[str] = [f"{self.average}-weighted average of link ratios (α = {alpha:g})"]
        if d < 2:
            empty = np.zeros((s, 0))
            tail = self.tail.fit(empty, ages, empty, empty)
            cdf = tail.factor[:, None] * np.ones((s, d))
            for w in warnings:
                w.append("one development period only: no development factors can be estimated")
            selections.append(self.tail.describe())
            return DevelopmentFit(ages, self.average, alpha, empty.reshape(s, o, 0), np.zeros((s, o, 0), bool),
                                  empty, empty, empty, empty, empty, np.zeros((s, 0), np.int64), tail, cdf,
                                  tuple(selections), [w + tw for w, tw in zip(warnings, tail.warnings, strict=True)])

        x = cum[:, :, :-1]
        y = cum[:, :, 1:]
        valid = np.isfinite(x) & np.isfinite(y) & (x != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            link = np.where(valid, y / np.where(valid, x, 1.0), np.nan)
        used = valid.copy()

        if self.n_periods is not None:
            used &= _latest_diagonals(tri, self.n_periods)[None, :, :]
            selections.append(f"link ratios of the latest {self.n_periods} calendar periods (diagonals) only")
        for ex in self.exclusions:
            if ex.origin not in tri.origin:
                raise InputError(f"excluded origin '{ex.origin}' is not in the triangle")
            matches = np.flatnonzero(ages[:-1] == ex.age)
            if matches.size == 0:
                raise InputError(f"excluded age {ex.age} is not a development age with a factor ({list(ages[:-1])})")
            used[:, tri.origin.index(ex.origin), matches[0]] = False
            selections.append(f"excluded link ratio origin {ex.origin} age {ex.age}: {ex.reason}")
        if self.drop_high or self.drop_low:
            used = _drop_extremes(link, used, self.drop_high, self.drop_low, warnings, ages)
            selections.append(f"dropped the {self.drop_high} highest and {self.drop_low} lowest link ratios per age")

        xs = np.where(used, x, 1.0)
        wx = np.where(used, np.power(xs, 2.0 - alpha), 0.0)  # C_ik^{2-α}
        num = np.where(used, np.power(xs, 1.0 - alpha) * np.where(used, y, 0.0), 0.0).sum(axis=1)
        den = wx.sum(axis=1)
        n_used = used.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.where(n_used > 0, num / np.where(den != 0, den, 1.0), np.nan)
        bad = (n_used > 0) & (den == 0)
        est = np.where(bad, np.nan, est)
        for i in range(s):
            for k in np.flatnonzero(~np.isfinite(est[i])):
                warnings[i].append(
                    f"no usable link ratio from age {ages[k]} (all cells zero, missing or excluded): factor set to 1"
                )
        ldf_est = np.where(np.isfinite(est), est, 1.0)
        ldf = ldf_est.copy()
        if self.selected:
            for age, value in self.selected.items():
                pos = np.flatnonzero(ages[:-1] == int(age))
                if pos.size == 0:
                    raise InputError(f"selected factor for age {age}: no such development age ({list(ages[:-1])})")
                if not np.isfinite(value) or value <= 0:
                    raise InputError(f"selected factor for age {age} must be a positive number, not {value}")
                ldf[:, pos[0]] = float(value)
                selections.append(f"factor from age {age} selected by the user: {value}")

        with np.errstate(divide="ignore", invalid="ignore"):
            # w C^{2−α} (C_{k+1}/C_k − f)² written as (C_{k+1} − f C_k)² / C_k^α, which cannot overflow
            dev_resid = np.where(used, y, 0.0) - ldf[:, None, :] * np.where(used, x, 0.0)
            resid2 = np.where(used, dev_resid**2 / np.power(xs, alpha), 0.0).sum(axis=1)
            sigma2 = np.where(n_used > 1, resid2 / (n_used - 1), np.nan)
        if np.any(sigma2 < 0):
            for i, k in zip(*np.nonzero(sigma2 < 0), strict=True):
                warnings[i].append(f"negative variance estimate from age {ages[k]} (negative cumulative values)")
            sigma2 = np.where(sigma2 < 0, np.nan, sigma2)
        # an age without any usable link ratio has factor 1 by assumption and no variability to extrapolate
        sigma = np.where(n_used == 0, 0.0, np.sqrt(sigma2))
        sigma = _extrapolate_sigma(sigma, n_used, self.sigma, warnings)
        with np.errstate(divide="ignore", invalid="ignore"):
            std_err = np.where(den > 0, sigma / np.sqrt(np.where(den > 0, den, 1.0)), 0.0)
        selections.append(f"σ of the last ages extrapolated by {'Mack’s rule' if self.sigma == 'mack' else 'log-linear regression'}")

        tail = self.tail.fit(ldf, ages, sigma, std_err)
        selections.append(self.tail.describe())
        cdf = np.concatenate([np.cumprod(ldf[:, ::-1], axis=1)[:, ::-1], np.ones((s, 1))], axis=1) * tail.factor[:, None]
        for i in range(s):
            warnings[i].extend(tail.warnings[i])
        return DevelopmentFit(
            ages=ages, average=self.average, alpha=alpha, link_ratios=link, used=used, ldf=ldf,
            ldf_estimated=ldf_est, sigma=sigma, std_err=std_err, weight_sum=den, n_used=n_used.astype(np.int64),
            tail=tail, cdf=cdf, selections=tuple(selections), warnings=warnings,
        )


def _latest_diagonals(tri: Triangle, n: int) -> BoolArray:
    """(O, D−1) mask of the link ratios whose later cell lies in the latest ``n`` calendar periods.

    With period dates the calendar position is the month the cell's development period ends and a period is
    one origin period long; without dates the diagonal index origin + development is used.
    """
    o, d = tri.shape[1], tri.shape[2]
    if tri.origin_start is not None and tri.origin_grain is not None:
        end = np.asarray(tri.origin_start)[:, None] + tri.development[None, 1:] - 1
        latest = tri.valuation_month()
        return np.asarray(end > latest - n * GRAIN_MONTHS[tri.origin_grain])
    diag = np.arange(o)[:, None] + np.arange(1, d)[None, :]
    observed = tri.observed.any(axis=0)
    last = int((np.arange(o)[:, None] + np.arange(d)[None, :])[observed].max()) if observed.any() else 0
    return np.asarray(diag > last - n)


def _drop_extremes(
    link: FloatArray, used: BoolArray, high: int, low: int, warnings: list[list[str]], ages: npt.NDArray[np.int64]
) -> BoolArray:
    out = used.copy()
    s, _, d1 = link.shape
    for i in range(s):
        for k in range(d1):
            idx = np.flatnonzero(out[i, :, k])
            if idx.size <= high + low:
                if idx.size > 1:
                    warnings[i].append(
                        f"age {ages[k]}: only {idx.size} link ratios, high/low exclusion not applied"
                    )
                continue
            order = idx[np.argsort(link[i, idx, k], kind="stable")]
            if low:
                out[i, order[:low], k] = False
            if high:
                out[i, order[order.size - high:], k] = False
    return out


def _extrapolate_sigma(
    sigma: FloatArray, n_used: npt.NDArray[np.int64], rule: str, warnings: list[list[str]]
) -> FloatArray:
    """Fill the σ of ages with exactly one link ratio (σ cannot be estimated from one), all segments at once.

    Mack's rule fills from the two preceding σ; the log-linear rule fits ln σ_k = a + b·k by least squares on
    the positive σ estimated from two or more link ratios. Where the last estimated σ is exactly 0 (identical
    link ratios: development has stopped varying) the σ after it are 0, not extrapolated from earlier, larger
    σ's.
    """
    out = sigma.copy()
    s, d1 = out.shape
    if d1 == 0:
        return out
    k = np.arange(d1, dtype=np.float64)
    if rule == "mack":
        for j in range(2, d1):
            a = out[:, j - 1] ** 2
            b = out[:, j - 2] ** 2
            fill = ~np.isfinite(out[:, j]) & np.isfinite(a) & np.isfinite(b)
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(b > 0, np.sqrt(np.minimum(np.minimum(a * a / np.where(b > 0, b, 1.0), a), b)), 0.0)
            out[:, j] = np.where(fill, v, out[:, j])
    missing = ~np.isfinite(out)
    if not missing.any():
        return out
    estimated = np.isfinite(sigma) & (n_used >= 2)
    has_est: BoolArray = np.asarray(estimated.any(axis=1))
    last_est = np.where(has_est, d1 - 1 - np.argmax(estimated[:, ::-1], axis=1), -1)
    last_val = np.take_along_axis(out, np.maximum(last_est, 0)[:, None], axis=1)[:, 0]
    after_zero = missing & has_est[:, None] & (last_val == 0.0)[:, None] & (k[None, :] > last_est[:, None])
    out[after_zero] = 0.0
    missing &= ~after_zero
    ok = np.isfinite(out) & (out > 0) & (estimated | ~np.isfinite(sigma))
    w = ok.astype(np.float64)
    y = np.log(np.where(ok, out, 1.0))
    n = w.sum(axis=1)
    sx, sy = (w * k).sum(axis=1), (w * y).sum(axis=1)
    sxx, sxy = (w * k * k).sum(axis=1), (w * k * y).sum(axis=1)
    den = n * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(den > 0, (n * sxy - sx * sy) / np.where(den > 0, den, 1.0), 0.0)
        intercept = np.where(n > 0, (sy - slope * sx) / np.where(n > 0, n, 1.0), 0.0)
    fitted = np.exp(intercept[:, None] + slope[:, None] * k[None, :])
    regress = missing & (n >= 2)[:, None]
    out[regress] = fitted[regress]
    for i in np.flatnonzero(missing.any(axis=1) & (n < 2)):
        if n[i] == 1:
            out[i, missing[i]] = out[i, ok[i]][-1]
            warnings[i].append("σ extrapolated as the last estimable σ (too few ages for a regression)")
        else:
            out[i, missing[i]] = 0.0
            warnings[i].append("no σ can be estimated (fewer than two link ratios at every age): σ set to 0")
    return out
