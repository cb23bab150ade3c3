"""Tail factors: development beyond the last age of the triangle.

Each fit works on the age-to-age factors ``f_k`` of a window of ages and returns the tail factor
``f_ult = Π_{k > last} f_k`` (the product of the extrapolated factors), per segment:

- ``constant``: a given factor (an actuary's selection, e.g. from an industry benchmark).
- ``exponential``: ``ln(f_k − 1) = a + b·k`` fitted by least squares (Sherman 1984; Boor 2006);
  extrapolated for ``extrapolation_periods`` further periods.
- ``inverse_power``: ``ln(f_k − 1) = a + b·ln(t_k)`` with ``t_k`` the age (Sherman 1984).
- ``bondy``: Bondy's method: the tail equals the last factor; the generalized form ``f_{k+1} = f_k^B`` with
  ``B`` fitted on the window gives ``f_ult = f_last^{B / (1 − B)}`` (Boor 2006, "Estimating tail development
  factors", CAS Forum).

The tail's σ and standard error (needed by Mack 1999 and Merz–Wüthrich with tail) are extrapolated
log-linearly to the effective age of the tail (see ``_tail_statistics``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
TailKind = Literal["none", "constant", "exponential", "inverse_power", "bondy"]
TAIL_KINDS: tuple[str, ...] = ("none", "constant", "exponential", "inverse_power", "bondy")


@dataclass(frozen=True)
class TailFit:
    """Tail factor per segment with its statistics and the reasons it fell back."""

    factor: FloatArray  # (S,)
    sigma: FloatArray  # (S,)
    std_err: FloatArray  # (S,)
    parameters: list[dict[str, float]]
    warnings: list[list[str]]


@dataclass(frozen=True)
class Tail:
    """How to extend development beyond the last age.

    ``fit_from``/``fit_to`` are development ages (inclusive) that bound the factors used in the fit; by
    default all factors greater than 1 are used.
    """

    kind: TailKind = "none"
    factor: float | None = None
    fit_from: int | None = None
    fit_to: int | None = None
    extrapolation_periods: int = 100
    bondy_b: float | None = None  # fixed Bondy exponent; None fits it (0.5 would be Bondy's original)
    sigma: float | None = None  # the tail's σ when selected by the actuary (Mack 1999, §5: σ_ult = 71)
    std_err: float | None = None  # the tail's s.e. when selected (Mack 1999: s.e.(f_ult) = 0.02)

    def __post_init__(self) -> None:
        if self.kind not in TAIL_KINDS:
            raise InputError(f"unknown tail '{self.kind}': use one of {', '.join(TAIL_KINDS)}")
        if self.kind == "constant":
            if self.factor is None:
                raise InputError("a constant tail needs a factor (--tail-factor X, e.g. 1.05)")
            if not np.isfinite(self.factor) or self.factor <= 0:
                raise InputError(f"the tail factor must be a positive number, not {self.factor}")
        if self.extrapolation_periods < 1:
            raise InputError("the tail needs at least one extrapolation period")
        for name in ("sigma", "std_err"):
            v = getattr(self, name)
            if v is not None and (not np.isfinite(v) or v < 0):
                raise InputError(f"the tail's {name} must be a number ≥ 0, not {v}")
        if self.bondy_b is not None and not 0 < self.bondy_b < 1:
            raise InputError("the Bondy exponent B must lie strictly between 0 and 1")

    def describe(self) -> str:
        if self.kind == "none":
            return "no tail"
        if self.kind == "constant":
            return f"constant tail factor {self.factor}"
        window = f" on ages {self.fit_from or 'first'}–{self.fit_to or 'last'}"
        return f"{self.kind.replace('_', ' ')} tail{window}"

    def fit(
        self, ldf: FloatArray, ages: npt.NDArray[np.int64], sigma: FloatArray, std_err: FloatArray
    ) -> TailFit:
        """Tail per segment from age-to-age factors ``ldf`` (S, D−1) starting at ``ages[:-1]``."""
        s = ldf.shape[0]
        factor = np.ones(s)
        params: list[dict[str, float]] = [{} for _ in range(s)]
        warns: list[list[str]] = [[] for _ in range(s)]
        if self.kind == "none":
            return TailFit(factor, np.zeros(s), np.zeros(s), params, warns)
        if self.kind == "constant":
            factor[:] = float(self.factor)  # type: ignore[arg-type]
        else:
            start_ages = ages[:-1].astype(np.float64)
            window = np.ones(start_ages.shape, dtype=bool)
            if self.fit_from is not None:
                window &= start_ages >= self.fit_from
            if self.fit_to is not None:
                window &= start_ages <= self.fit_to
            step = float(ages[-1] - ages[-2]) if ages.size > 1 else 1.0
            for i in range(s):
                factor[i], params[i], warns[i] = self._fit_one(ldf[i], start_ages, window, step)
        t_sigma, t_se = _tail_statistics(ldf, sigma, std_err, factor)
        if self.sigma is not None:
            t_sigma = np.full(s, float(self.sigma))
        if self.std_err is not None:
            t_se = np.full(s, float(self.std_err))
        return TailFit(factor, t_sigma, t_se, params, warns)

    def _fit_one(
        self, f: FloatArray, t: FloatArray, window: npt.NDArray[np.bool_], step: float
    ) -> tuple[float, dict[str, float], list[str]]:
        use = window & np.isfinite(f) & (f > 1.0)
        if self.kind == "bondy":
            return self._bondy(f, use)
        if use.sum() < 2:
            return 1.0, {}, [f"{self.kind} tail: fewer than two factors above 1 in the fit window, tail set to 1"]
        y = np.log(f[use] - 1.0)
        k = np.arange(f.size, dtype=np.float64)
        if self.kind == "exponential":
            x = k[use]
            future = f.size + np.arange(self.extrapolation_periods, dtype=np.float64)
        else:  # inverse power in the age
            x = np.log(t[use])
            future = np.log(t[-1] + step * np.arange(1, self.extrapolation_periods + 1))
        b, a = np.polyfit(x, y, 1)
        if b >= 0:
            return 1.0, {"a": float(a), "b": float(b)}, [
                f"{self.kind} tail: the fitted factors do not decay (slope {b:.4g} ≥ 0), tail set to 1"
            ]
        tail = float(np.prod(1.0 + np.exp(a + b * future)))
        return tail, {"a": float(a), "b": float(b)}, []

    def _bondy(self, f: FloatArray, use: npt.NDArray[np.bool_]) -> tuple[float, dict[str, float], list[str]]:
        """Bondy: ln f_k = θ·B^(k−s) on the window; tail = Π_{k ≥ n} f_k = exp(θ·B^(n−s)/(1−B)).

        Without a fit window (or with one factor) this is Bondy's original tail, the last factor itself (B = ½).
        """
        idx = np.flatnonzero(use)
        if idx.size == 0:
            return 1.0, {}, ["Bondy tail: no factor above 1 in the fit window, tail set to 1"]
        last = float(f[-1]) if np.isfinite(f[-1]) and f[-1] > 1 else float(f[idx[-1]])
        windowed = self.fit_from is not None or self.fit_to is not None
        if self.bondy_b is None and (not windowed or idx.size < 2):
            return last, {"B": 0.5}, []
        start = idx[0]
        n = f.size
        if self.bondy_b is not None:
            b = self.bondy_b
            theta = float(np.log(f[idx[-1]]) / b ** (idx[-1] - start))
        else:
            y = np.log(f[idx])
            k = (idx - start).astype(np.float64)

            def resid(p: FloatArray) -> FloatArray:
                return np.asarray(y - p[1] * p[0] ** k)

            sol = least_squares(resid, x0=np.array([0.5, y[0]]), bounds=([1e-9, 0.0], [1.0 - 1e-9, np.inf]))
            b, theta = float(sol.x[0]), float(sol.x[1])
        tail = float(np.exp(theta * b ** (n - start) / (1.0 - b)))
        return tail, {"B": b, "theta": theta}, []


def _tail_statistics(
    ldf: FloatArray, sigma: FloatArray, std_err: FloatArray, tail: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """σ and s.e. of the tail factor (Mack 1999, §4: extrapolate them like the factors).

    The tail is placed at the effective development index t* where the exponential decay curve fitted to the
    factors, ln(f_k − 1) = a + b·k, reaches the tail: t* = (ln(f_tail − 1) − a)/b; σ and s.e. are then
    extrapolated log-linearly (ln σ_k = c + d·k) to t*. Zero when there is no tail (factor 1).
    """
    s = sigma.shape[0]
    out_sigma = np.zeros(s)
    out_se = np.zeros(s)
    k = np.arange(ldf.shape[1], dtype=np.float64)
    for i in range(s):
        if tail[i] == 1.0:
            continue
        t_star = float(k[-1] + 1) if k.size else 1.0
        ok = np.isfinite(ldf[i]) & (ldf[i] > 1.0)
        if ok.sum() >= 2:
            b, a = np.polyfit(k[ok], np.log(ldf[i, ok] - 1.0), 1)
            t = max(tail[i], 1.001)
            if b < 0:
                t_star = float((np.log(t - 1.0) - a) / b)
        out_sigma[i] = _extrapolate_one(sigma[i], t_star)
        out_se[i] = _extrapolate_one(std_err[i], t_star)
    return out_sigma, out_se


def _extrapolate_one(x: FloatArray, at: float) -> float:
    k = np.arange(x.size, dtype=np.float64)
    ok = np.isfinite(x) & (x > 0)
    if ok.sum() >= 2:
        b, a = np.polyfit(k[ok], np.log(x[ok]), 1)
        return float(np.exp(a + b * at))
    if ok.any():
        return float(x[ok][-1])
    return 0.0
