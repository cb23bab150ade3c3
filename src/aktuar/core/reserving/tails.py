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
log-linearly from the last σ_k and s.e.(f_k), as Mack (1999, §4) suggests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

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
        t_sigma, t_se = _tail_statistics(sigma, std_err, factor)
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
        idx = np.flatnonzero(use)
        if idx.size == 0:
            return 1.0, {}, ["Bondy tail: no factor above 1 in the fit window, tail set to 1"]
        last = float(f[idx[-1]])
        if self.bondy_b is not None:
            b = self.bondy_b
        elif idx.size >= 2:
            # ln ln f_{k+1} = ln B + ln ln f_k, least squares through the origin in the log-log space
            lnln = np.log(np.log(f[idx]))
            b = float(np.exp(np.mean(lnln[1:] - lnln[:-1])))
            if not 0 < b < 1:
                return last, {"B": b}, [f"Bondy tail: fitted B = {b:.4g} is not below 1; Bondy's original tail used"]
        else:
            b = 0.5
        return float(last ** (b / (1.0 - b))), {"B": b}, []


def _tail_statistics(sigma: FloatArray, std_err: FloatArray, tail: FloatArray) -> tuple[FloatArray, FloatArray]:
    """σ and s.e. of the tail factor by log-linear extrapolation of the last positive values (Mack 1999).

    Zero when the tail factor is 1 (no tail uncertainty without a tail).
    """
    s = sigma.shape[0]
    out_sigma = np.zeros(s)
    out_se = np.zeros(s)
    for i in range(s):
        if tail[i] == 1.0:
            continue
        out_sigma[i] = _extrapolate_one(sigma[i])
        out_se[i] = _extrapolate_one(std_err[i])
    return out_sigma, out_se


def _extrapolate_one(x: FloatArray) -> float:
    k = np.arange(x.size, dtype=np.float64)
    ok = np.isfinite(x) & (x > 0)
    if ok.sum() >= 2:
        b, a = np.polyfit(k[ok], np.log(x[ok]), 1)
        return float(np.exp(a + b * x.size))
    if ok.any():
        return float(x[ok][-1])
    return 0.0
