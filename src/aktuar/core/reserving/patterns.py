"""Payment patterns and the expected future cash flows of a reserve by calendar period.

**Pattern.** With ``F_k`` the cumulative development factor from development age k to ultimate (tail
included), the proportion of the ultimate developed by the end of development period k is ``p_k = 1/F_k``
and the proportion developed *in* period k is the incremental pattern

    q_0 = p_0,    q_k = p_k − p_{k−1}   (k = 1, …, D−1)

(Friedland 2010, ch. 7, "Development technique", the percentages reported/paid to date; Wüthrich & Merz 2008,
ch. 2, the chain-ladder development pattern β_j = Π_{k ≥ j} 1/f_k). What the tail factor adds, ``1 − p_{D−1} =
1 − 1/F_tail``, has no development period in the triangle; it is spread over ``tail_periods`` extra periods:

- ``geometric`` (default): the tail period t pays ``r^(t−1)·(1 − r)/(1 − r^T)`` of the tail run-off, i.e. each
  period pays ``r`` (``tail_decay``) times the one before, the run-off of an exponentially decaying
  development (the same assumption as the exponential tail, Sherman 1984; Boor 2006); with ``r = 1`` it is the
  equal split;
- ``equal``: ``1/T`` of the tail run-off in each of the T tail periods.

The pattern sums to 1 by construction (its cumulative value at the last tail period is set to exactly 1).

**Cash flows.** An origin whose latest observation is at development index ``l`` and whose diagonal (the
valuation's calendar period) is at index ``k`` (``k = l`` in a full triangle) pays its reserve ``R`` in
future calendar period j = 1, 2, … (the j-th development period after the valuation) in the proportion

    w_j = (p_{k+j} − p_{k+j−1}) / (1 − p_l)     (j ≥ 2),      w_1 = (p_{k+1} − p_l) / (1 − p_l)

— the development still expected after the latest observation, in the pattern's proportions (the payment
schedule the chain ladder implies; Friedland 2010, ch. 7). A development that fell due
between ``l`` and ``k`` (an origin whose latest cell is older than the diagonal) is overdue and counted in
period 1. The weights sum to 1, so the flows of every origin sum to its reserve; the rounding residual of the
floating-point products is put on the origin's largest flow, so that the sums agree to within a unit in the
last place. The reserve of any method (Bornhuetter–Ferguson, Cape Cod, a smoothed reserve) is spread by the
same pattern; where the pattern leaves nothing to develop (``1 − p_l ≈ 0``) but the reserve is not zero, the
reserve is placed in period 1 with a warning. The mean term (Macaulay duration without discounting) of a stream is ``Σ_j t_j·CF_j / Σ_j CF_j``
with ``t_j = j − ½`` periods (payments in the middle of the period, ``timing='mid'``) or ``t_j = j``
(``timing='end'``).

Money is float64, not rounded. These cash flows are the undiscounted input of IFRS 17 discounting
(KZ84-DISC; IFRS 17 §36).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import Development, DevelopmentFit
from aktuar.core.reserving.results import ReserveResult, merge_warnings
from aktuar.core.reserving.triangles import GRAIN_MONTHS, Triangle, month_start, period_label
from aktuar.errors import InputError, MethodError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TailShape = Literal["geometric", "equal"]
Timing = Literal["mid", "end"]
TAIL_SHAPES: tuple[str, ...] = ("geometric", "equal")
_EPS = 1e-9  # an unpaid proportion smaller than this cannot carry a reserve


@dataclass(frozen=True)
class Pattern:
    """Development (payment) pattern per segment.

    ``cumulative[s, m]`` is the proportion of the ultimate developed by the end of development period m and
    ``incremental[s, m]`` the proportion developed in it; m = 0 … D−1 are the triangle's ages ``ages`` and
    m = D … D+T−1 the ``tail_periods`` periods after the last age that carry the tail. ``incremental`` sums to 1
    over m for every segment.
    """

    ages: IntArray
    cumulative: FloatArray
    incremental: FloatArray
    tail_periods: int
    tail_shape: str
    tail_decay: float
    warnings: list[list[str]] = field(default_factory=list)

    @property
    def n_development(self) -> int:
        """D: the development periods of the triangle (without the tail periods)."""
        return int(self.ages.shape[0])

    @property
    def length(self) -> int:
        """D + T: every period of the pattern."""
        return int(self.cumulative.shape[1])

    @property
    def tail(self) -> FloatArray:
        """Proportion of the ultimate developed after the last age (S,): ``1 − 1/F_tail``."""
        return np.asarray(1.0 - self.cumulative[:, self.n_development - 1])


@dataclass(frozen=True)
class CashFlows:
    """Expected future payments of a reserve by calendar period after the valuation.

    ``periods`` are 1, 2, … (the first, second, … development period after the valuation date) with
    ``labels`` naming them (the calendar period when the triangle has dates, else "+1", "+2", …).
    ``by_origin`` is (S, O, P) and ``total`` (S, P); ``reserve`` (S, O) is what was spread, and
    ``by_origin.sum(axis=2) == reserve``. ``duration`` (S, O) and ``total_duration`` (S,) are the mean terms in
    periods (0 where there is no reserve); ``period_months`` is the length of a period when known.
    """

    periods: IntArray
    labels: tuple[str, ...]
    by_origin: FloatArray
    total: FloatArray
    reserve: FloatArray
    duration: FloatArray
    total_duration: FloatArray
    timing: str
    period_months: int | None
    pattern: Pattern
    warnings: list[list[str]] = field(default_factory=list)

    @property
    def times(self) -> FloatArray:
        """Time of each period's payments from the valuation, in periods (P,)."""
        return _times(self.periods.shape[0], self.timing)

    @property
    def duration_years(self) -> FloatArray | None:
        """``duration`` in years, when the period length is known."""
        return None if self.period_months is None else np.asarray(self.duration * self.period_months / 12.0)

    @property
    def total_duration_years(self) -> FloatArray | None:
        return None if self.period_months is None else np.asarray(self.total_duration * self.period_months / 12.0)


def tail_weights(periods: int, shape: str = "geometric", decay: float = 0.5) -> FloatArray:
    """Share of the tail run-off paid in each of ``periods`` tail periods (sums to 1)."""
    if int(periods) != periods or periods < 0:
        raise InputError(f"the number of tail periods must be a whole number ≥ 0, not {periods}")
    if shape not in TAIL_SHAPES:
        raise InputError(f"unknown tail shape '{shape}': use geometric or equal")
    if shape == "geometric" and not (np.isfinite(decay) and 0 < decay <= 1):
        raise InputError(f"the geometric tail decay must lie in (0, 1], not {decay}")
    n = int(periods)
    if n == 0:
        return np.zeros(0)
    if shape == "equal" or decay == 1.0:
        return np.full(n, 1.0 / n)
    w = decay ** np.arange(n, dtype=np.float64)
    return np.asarray(w / w.sum())


def payment_pattern(
    fit: DevelopmentFit,
    *,
    tail_periods: int = 3,
    tail_shape: TailShape = "geometric",
    tail_decay: float = 0.5,
) -> Pattern:
    """Incremental pattern from the cumulative development factors of ``fit`` (see the module docstring).

    A segment whose factors cannot give a pattern (a cumulative factor that is not a positive number) gets
    the degenerate pattern "all developed in the first period" and a warning.
    """
    cdf = np.asarray(fit.cdf, dtype=np.float64)
    s, d = cdf.shape
    w_tail = tail_weights(tail_periods, tail_shape, tail_decay)
    t = w_tail.shape[0]
    warnings: list[list[str]] = [[] for _ in range(s)]
    valid = np.isfinite(cdf) & (cdf > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(valid, 1.0 / np.where(valid, cdf, 1.0), 1.0)
    for bad_seg in np.flatnonzero(~valid.all(axis=1)):
        warnings[bad_seg].append(
            "a cumulative development factor is not a positive number: no payment pattern, the whole reserve "
            "is placed in the first period"
        )
        p[bad_seg] = 1.0
    if d == 0:
        raise InputError("the development fit has no development age")
    last = p[:, -1]
    tail_left = 1.0 - last
    if t == 0:
        bad = np.abs(tail_left) > 1e-12
        if bad.any():
            b0 = int(np.flatnonzero(bad)[0])
            raise MethodError(
                f"the tail factor {fit.tail.factor[b0]:.6g} leaves {tail_left[b0]:.4%} of the ultimate after the last "
                "age: give at least one tail period to spread it over"
            )
    cum_tail = np.cumsum(w_tail)
    if t:
        cum_tail[-1] = 1.0
    cumulative = np.concatenate([p, last[:, None] + tail_left[:, None] * cum_tail[None, :]], axis=1)
    cumulative[:, -1] = 1.0
    incremental = np.diff(cumulative, axis=1, prepend=0.0)
    for i in range(s):
        if (incremental[i] < -1e-12).any():
            ages = [int(a) for a in fit.ages[np.flatnonzero(incremental[i, :d] < -1e-12)]]
            where = f"at age(s) {ages}" if ages else "in the tail (tail factor below 1)"
            warnings[i].append(f"the pattern has negative development {where}: negative expected payments")
    return Pattern(np.asarray(fit.ages, dtype=np.int64), cumulative, incremental, t, tail_shape, float(tail_decay),
                   warnings)


def diagonal_index(tri: Triangle) -> IntArray:
    """Development index of each origin's cell on the valuation diagonal (O,): the last cell any segment
    observes; −1 for an origin with no observed cell at all."""
    obs = np.asarray(tri.observed.any(axis=0), dtype=bool)
    d = obs.shape[1]
    last = d - 1 - np.argmax(obs[:, ::-1], axis=1)
    return np.where(obs.any(axis=1), last, -1).astype(np.int64)


def future_payments(
    reserve: FloatArray,
    pattern: Pattern,
    latest_index: IntArray,
    diagonal: IntArray,
    n_periods: int | None = None,
    origin_labels: tuple[str, ...] | None = None,
) -> tuple[FloatArray, list[list[str]]]:
    """Spread ``reserve`` (S, O) over future calendar periods by ``pattern``; returns (S, O, P) and warnings.

    ``latest_index`` (S, O) is each origin's last observed development index (−1 for none) and
    ``diagonal`` (O,) or (S, O) its index on the valuation diagonal (≥ ``latest_index``).
    """
    r = np.asarray(reserve, dtype=np.float64)
    s, o = r.shape
    lat = np.broadcast_to(np.asarray(latest_index, dtype=np.int64), (s, o))
    diag = np.maximum(np.broadcast_to(np.asarray(diagonal, dtype=np.int64), (s, o)), lat)
    length = pattern.length
    if pattern.cumulative.shape[0] != s:
        raise InputError(f"the pattern has {pattern.cumulative.shape[0]} segment(s), the reserve {s}")
    if n_periods is None:
        n_periods = max(length - 1 - int(diag.min(initial=length)), 1) if o else 1
    p_count = max(int(n_periods), 1)
    # cumulative proportion at development index m, with p(−1) = 0 and p(m ≥ length) = 1
    cpad = np.concatenate([np.zeros((s, 1)), pattern.cumulative, np.ones((s, 1))], axis=1)

    def at(m: IntArray) -> FloatArray:
        idx = np.clip(m + 1, 0, length + 1)
        return np.asarray(np.take_along_axis(cpad[:, None, :], idx.reshape(s, o, -1), axis=2))

    j = np.arange(1, p_count + 1, dtype=np.int64)
    upper = at(diag[:, :, None] + j[None, None, :])
    lower = at(diag[:, :, None] + j[None, None, :] - 1)
    done = at(lat[:, :, None])  # (S, O, 1): proportion developed at the latest observation
    lower[:, :, 0] = done[:, :, 0]
    remain = 1.0 - done[:, :, 0]
    ok = np.abs(remain) > _EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok[:, :, None], (upper - lower) / np.where(ok, remain, 1.0)[:, :, None], 0.0)
    first_only = ~ok
    w[first_only, 0] = 1.0
    w[first_only, 1:] = 0.0
    warnings: list[list[str]] = [[] for _ in range(s)]
    for si, oi in zip(*np.nonzero(first_only & (r != 0)), strict=True):
        warnings[si].append(
            f"origin {origin_labels[oi] if origin_labels else f'#{oi + 1}'}: the pattern has nothing left to develop after its latest age but the reserve is "
            f"{r[si, oi]:.2f}: it is placed in the first period"
        )
    flows = r[:, :, None] * w
    # put the floating-point residual on the largest flow so that the flows sum to the reserve
    big = np.argmax(np.abs(w), axis=2)[:, :, None]
    for _ in range(3):
        resid = r - flows.sum(axis=2)
        if not resid.any():
            break
        np.put_along_axis(flows, big, np.take_along_axis(flows, big, axis=2) + resid[:, :, None], axis=2)
    return flows, warnings


def _times(n: int, timing: str) -> FloatArray:
    t = np.arange(1, n + 1, dtype=np.float64)
    return t - 0.5 if timing == "mid" else t


def _mean_term(flows: FloatArray, timing: str) -> FloatArray:
    t = _times(flows.shape[-1], timing)
    tot = flows.sum(axis=-1)
    num = (flows * t).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tot != 0, num / np.where(tot != 0, tot, 1.0), 0.0)


def _labels(tri: Triangle, n: int) -> tuple[tuple[str, ...], int | None]:
    ages = tri.development
    step = int(ages[1] - ages[0]) if ages.size > 1 else None
    grain = tri.development_grain
    months = GRAIN_MONTHS[grain] if grain in GRAIN_MONTHS else None
    if months is None or (step is not None and step != months):
        return tuple(f"+{j}" for j in range(1, n + 1)), months
    try:
        vm = tri.valuation_month()
    except InputError:
        return tuple(f"+{j}" for j in range(1, n + 1)), months
    labels = []
    for j in range(1, n + 1):
        start = vm + 1 + (j - 1) * months
        if start % months == 0 or grain == "M":
            labels.append(period_label(start, str(grain)))
        else:
            a, b = month_start(start), month_start(start + months - 1)
            labels.append(f"{a.month:02d}.{a.year}–{b.month:02d}.{b.year}")
    return tuple(labels), months


def cash_flows(
    result: ReserveResult,
    *,
    paid: Triangle | None = None,
    pattern: Pattern | DevelopmentFit | None = None,
    tail_periods: int = 3,
    tail_shape: TailShape = "geometric",
    tail_decay: float = 0.5,
    timing: Timing = "mid",
) -> CashFlows:
    """Expected future payments of the reserve of ``result`` by calendar period after the valuation.

    Without ``paid``, the reserve is ``result.ibnr`` (for a paid triangle: everything unpaid) and it is spread
    by the pattern of ``result.development`` from each origin's latest age in ``result.triangle``. With the
    ``paid`` triangle (same grid), the reserve is the total unpaid ``result.ultimate − paid.latest()`` (case
    reserves and IBNR of an incurred-based result), spread from the latest paid age by the paid pattern: the
    volume-weighted chain-ladder factors of ``paid`` unless ``pattern`` is given. ``pattern`` may be a
    :class:`Pattern` (then the tail arguments are not used) or a :class:`DevelopmentFit`.
    """
    if timing not in ("mid", "end"):
        raise InputError(f"unknown payment timing '{timing}': use mid or end")
    base = result.triangle
    if paid is not None:
        if paid.shape[:2] != base.shape[:2]:
            raise InputError(
                f"the paid triangle has {paid.shape[0]} segment(s) × {paid.shape[1]} origins, the reserve "
                f"{base.shape[0]} × {base.shape[1]}: use triangles built on the same grid"
            )
        position = paid
        reserve = np.asarray(result.ultimate - paid.latest())
    else:
        position = base
        reserve = np.asarray(result.ibnr, dtype=np.float64)
    ages = position.development
    if ages.size > 2 and np.unique(np.diff(ages)).size > 1:
        raise MethodError(
            f"cash flows by calendar period need equally spaced development ages, not {list(ages)}: "
            "build the triangle on a regular development grain"
        )
    if isinstance(pattern, Pattern):
        pat = pattern
    else:
        fit = pattern if isinstance(pattern, DevelopmentFit) else (
            Development().fit(paid) if paid is not None else result.development)
        pat = payment_pattern(fit, tail_periods=tail_periods, tail_shape=tail_shape, tail_decay=tail_decay)
    if pat.n_development != position.shape[2]:
        raise InputError(
            f"the pattern has {pat.n_development} development periods, the triangle {position.shape[2]}"
        )
    flows, warns = future_payments(reserve, pat, position.latest_index(), diagonal_index(position),
                                   origin_labels=position.origin)
    total = flows.sum(axis=1)
    labels, months = _labels(position, flows.shape[2])
    return CashFlows(
        periods=np.arange(1, flows.shape[2] + 1, dtype=np.int64),
        labels=labels,
        by_origin=flows,
        total=total,
        reserve=reserve,
        duration=_mean_term(flows, timing),
        total_duration=_mean_term(total, timing),
        timing=timing,
        period_months=months,
        pattern=pat,
        warnings=merge_warnings(pat.warnings, warns),
    )


__all__ = [
    "CashFlows",
    "Pattern",
    "cash_flows",
    "diagonal_index",
    "future_payments",
    "payment_pattern",
    "tail_weights",
]
