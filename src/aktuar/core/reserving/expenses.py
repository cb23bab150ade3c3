"""Reserve for claims-settlement expenses not allocated to single claims (ULAE; Kazakh «РУУ»).

The paid-to-paid methods (Friedland 2010, ch. 17 "Estimating unpaid unallocated claim adjustment expenses";
Kittel 1981, "Unallocated loss adjustment expense reserves in an inflationary economic environment", CAS
Discussion Paper Program; Conger & Nolibos 2003, "Estimating ULAE liabilities: rediscovering and expanding
Kittel's approach", CAS Forum) assume that ULAE is spent in proportion to claim amounts: a share ``u`` of a
claim's ULAE when it is opened (reported) and the rest, ``1 − u``, while it is paid and closed
(``opening_share``, 50 % in the classical method).

**Ratio.** Over the selected calendar periods t (all, the latest n, or given ones) of each segment:

- classical:  ``W = Σ_t paid ULAE_t / Σ_t paid claims_t``
- Kittel:     ``W = Σ_t paid ULAE_t / Σ_t (u · incurred claims_t + (1 − u) · paid claims_t)``, the average of
  paid and incurred claims for u = ½ (Kittel's refinement, which recognizes that ULAE is spent when claims
  are reported, before anything is paid; it removes the overstatement of the classical ratio in a growing
  book). Incurred claims of a calendar period are its payments plus the change in case reserves.

``average='simple'`` takes the arithmetic mean of the period ratios instead of the ratio of sums. A selected
ratio replaces the estimate.

**Reserve.** Claims not yet reported have all their ULAE ahead; reported claims (case reserves and the
development on known claims, IBNER) have had their opening share spent:

    unpaid ULAE = W · [ pure IBNR + (1 − u) · (case reserves + IBNER) ]

which is Friedland's classical formula ``W · (100 % · IBNR + 50 % · case)`` when all IBNR is pure IBNR
(``ibner = 0``, the default) and u = ½, and the refined one ``W · (IBNYR + 50 % · (case + IBNER))`` when the
IBNER is given (Friedland 2010, ch. 17, and the CAS Exam 5 solutions, e.g. Spring 2018 Q23, Fall 2019 Q24).

Money is float64, not rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError, MethodError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ULAEMethod = Literal["classical", "kittel"]
RatioAverage = Literal["weighted", "simple"]


@dataclass(frozen=True)
class ULAEResult:
    """Unpaid ULAE by segment. Arrays by period are (S, T), the others (S,)."""

    method: str
    opening_share: float
    ratio_by_period: FloatArray  # paid ULAE / basis per calendar period (NaN where the basis is 0)
    basis_by_period: FloatArray  # paid claims (classical) or u·incurred + (1−u)·paid (Kittel)
    periods_used: BoolArray  # (S, T): the periods that entered the ratio
    estimated_ratio: FloatArray  # the ratio the data give over the periods used (NaN where none)
    ratio: FloatArray  # the ratio applied (estimated, or selected)
    ratio_selected: bool
    case_reserves: FloatArray
    ibnr: FloatArray
    ibner: FloatArray
    reserve_base: FloatArray  # pure IBNR + (1 − u)·(case + IBNER)
    reserve: FloatArray
    period_labels: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: list[list[str]] = field(default_factory=list)

    @property
    def pure_ibnr(self) -> FloatArray:
        return np.asarray(self.ibnr - self.ibner)

    @property
    def total(self) -> float:
        return float(self.reserve.sum())


def _periods_2d(x: npt.ArrayLike, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise InputError(f"{name} needs one value per segment and calendar period (segments × periods)")
    if np.isinf(a).any():
        raise InputError(f"{name} has an infinite value")
    return a


def _per_segment(x: npt.ArrayLike, s: int, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    try:
        a = np.broadcast_to(a, (s,)).copy()
    except ValueError as exc:
        raise InputError(f"{name} needs one value or one per segment ({s}), not shape {a.shape}") from exc
    if (~np.isfinite(a)).any():
        raise InputError(f"{name} must be a finite amount for every segment")
    return a


@dataclass(frozen=True)
class PaidToPaid:
    """Paid-to-paid ULAE reserve (classical or Kittel), configured; :meth:`fit` applies it.

    ``latest``: use the latest n calendar periods; ``periods``: use these period indices (0-based); neither:
    all periods. ``selected_ratio``: one ratio or one per segment replacing the estimate.
    """

    method: ULAEMethod = "classical"
    opening_share: float = 0.5
    latest: int | None = None
    periods: Sequence[int] | None = None
    average: RatioAverage = "weighted"
    selected_ratio: float | Sequence[float] | None = None

    def __post_init__(self) -> None:
        if self.method not in ("classical", "kittel"):
            raise InputError(f"unknown ULAE method '{self.method}': use classical or kittel")
        if not (np.isfinite(self.opening_share) and 0 <= self.opening_share <= 1):
            raise InputError(f"the share of ULAE spent when a claim is opened must lie in [0, 1], not "
                             f"{self.opening_share}")
        if self.average not in ("weighted", "simple"):
            raise InputError(f"unknown ratio average '{self.average}': use weighted or simple")
        if self.latest is not None and self.periods is not None:
            raise InputError("select the calendar periods either by 'latest' or by 'periods', not both")
        if self.latest is not None and (int(self.latest) != self.latest or self.latest < 1):
            raise InputError(f"'latest' counts calendar periods and must be a whole number ≥ 1, not {self.latest}")

    def _selection(self, t: int) -> BoolArray:
        sel = np.zeros(t, dtype=bool)
        if self.periods is not None:
            idx = np.asarray(list(self.periods), dtype=np.int64)
            if idx.size == 0:
                raise InputError("no calendar period selected for the ULAE ratio")
            if (idx < -t).any() or (idx >= t).any():
                raise InputError(f"selected calendar period(s) {list(idx)} outside the {t} periods given")
            sel[idx] = True
        elif self.latest is not None:
            sel[max(t - int(self.latest), 0):] = True
        else:
            sel[:] = True
        return sel

    def fit(
        self,
        paid_ulae: npt.ArrayLike,
        paid_claims: npt.ArrayLike,
        case_reserves: npt.ArrayLike,
        ibnr: npt.ArrayLike,
        *,
        incurred_claims: npt.ArrayLike | None = None,
        ibner: npt.ArrayLike | None = None,
        period_labels: Sequence[str] | None = None,
        segment_labels: Sequence[str] | None = None,
    ) -> ULAEResult:
        """ULAE reserve from calendar-period paid ULAE and claims (S, T) or (T,), and the claims reserves at
        the valuation by segment: ``case_reserves``, ``ibnr`` (all IBNR) and optionally ``ibner`` (the part
        of the IBNR that is development on reported claims; default 0)."""
        u = float(self.opening_share)
        ulae = _periods_2d(paid_ulae, "paid ULAE")
        paid = _periods_2d(paid_claims, "paid claims")
        if paid.shape != ulae.shape:
            raise InputError(f"paid claims have shape {paid.shape}, paid ULAE {ulae.shape}: give both by the same "
                             "segments and calendar periods")
        s, t = ulae.shape
        if t == 0:
            raise InputError("at least one calendar period of paid ULAE and paid claims is needed")
        if self.method == "kittel":
            if incurred_claims is None:
                raise MethodError("Kittel's refinement needs the incurred claims of each calendar period (paid "
                                  "claims plus the change in case reserves)")
            inc = _periods_2d(incurred_claims, "incurred claims")
            if inc.shape != ulae.shape:
                raise InputError(f"incurred claims have shape {inc.shape}, paid ULAE {ulae.shape}")
            basis = u * inc + (1.0 - u) * paid
        else:
            basis = paid.copy()
        labels = tuple(str(x) for x in period_labels) if period_labels is not None else tuple(
            f"#{i + 1}" for i in range(t))
        if len(labels) != t:
            raise InputError(f"{len(labels)} period labels for {t} calendar periods")
        seg_labels = [str(x) for x in segment_labels] if segment_labels is not None else (
            ["Total"] if s == 1 else [f"#{i + 1}" for i in range(s)])
        if len(seg_labels) != s:
            raise InputError(f"{len(seg_labels)} segment labels for {s} segments")
        case = _per_segment(case_reserves, s, "case reserves")
        ib = _per_segment(ibnr, s, "IBNR")
        ibn = _per_segment(0.0 if ibner is None else ibner, s, "IBNER")

        warnings: list[list[str]] = [[] for _ in range(s)]
        sel = np.broadcast_to(self._selection(t), (s, t))
        present = np.isfinite(ulae) & np.isfinite(basis)
        used = sel & present
        for k in range(s):
            missing = sel[k] & ~present[k]
            if missing.any():
                gone = [labels[m] for m in np.flatnonzero(missing)]
                warnings[k].append(f"segment '{seg_labels[k]}': period(s) {gone} have no value and were left out "
                                   "of the ULAE ratio")
        with np.errstate(divide="ignore", invalid="ignore"):
            by_period = np.where(present & (basis != 0), ulae / np.where(basis != 0, basis, 1.0), np.nan)
            if self.average == "weighted":
                num = np.where(used, ulae, 0.0).sum(axis=1)
                den = np.where(used, basis, 0.0).sum(axis=1)
                est = np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
            else:
                ok = used & np.isfinite(by_period)
                cnt = ok.sum(axis=1)
                est = np.where(cnt > 0, np.where(ok, by_period, 0.0).sum(axis=1) / np.maximum(cnt, 1), np.nan)
        for k in range(s):
            if used[k].any() and (ulae[k, used[k]] < 0).any():
                warnings[k].append(f"segment '{seg_labels[k]}': negative paid ULAE in the selected periods")
            if used[k].any() and (basis[k, used[k]] <= 0).any():
                warnings[k].append(f"segment '{seg_labels[k]}': a selected period has no positive claims basis")

        if self.selected_ratio is not None:
            ratio = _per_segment(self.selected_ratio, s, "the selected ULAE ratio")
            if (ratio < 0).any():
                raise InputError("the selected ULAE ratio must be ≥ 0")
            selected = True
        else:
            selected = False
            ratio = np.where(np.isfinite(est), est, 0.0)
            for i in np.flatnonzero(~np.isfinite(est)):
                warnings[i].append(
                    f"segment '{seg_labels[i]}': no claims paid in the selected periods, the ULAE ratio cannot be "
                    "estimated: set to 0; select a ratio"
                )
            for i in np.flatnonzero(np.isfinite(est) & (est < 0)):
                warnings[i].append(f"segment '{seg_labels[i]}': the estimated ULAE ratio {est[i]:.4%} is negative")
        pure = ib - ibn
        for i in np.flatnonzero(pure < 0):
            warnings[i].append(f"segment '{seg_labels[i]}': the IBNER exceeds the IBNR (pure IBNR {pure[i]:,.2f})")
        base = pure + (1.0 - u) * (case + ibn)
        reserve = ratio * base
        params: dict[str, Any] = {
            "method": self.method, "opening_share": u, "average": self.average,
            "periods": [labels[k] for k in np.flatnonzero(self._selection(t))],
            "selected_ratio": None if not selected else [float(x) for x in ratio],
        }
        return ULAEResult(
            method=self.method, opening_share=u, ratio_by_period=by_period, basis_by_period=basis,
            periods_used=np.asarray(used), estimated_ratio=est, ratio=ratio, ratio_selected=selected,
            case_reserves=case, ibnr=ib, ibner=ibn, reserve_base=base, reserve=reserve, period_labels=labels,
            parameters=params, warnings=warnings,
        )


__all__ = ["PaidToPaid", "ULAEResult"]
