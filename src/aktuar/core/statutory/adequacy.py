"""Reserve adequacy test: the retrospective (run-off) analysis of KZ191-OP item 9(2), and a backtest mode.

**Run-off test** (the last ``reserves.adequacy_months`` = 12 months, per class and for the portfolio). For the
claims that the reserves at the start of the period were made for (claims incurred before the start):

    run-off result  D = R₀ − (P + R₁)

with R₀ the loss reserves at the start, P the payments on those claims during the 12 months, R₁ the
re-estimated reserves at the end for the same claims. ``D ≥ 0``: sufficient (a run-off profit), ``D < 0``:
insufficient by |D|. The ratio ``(P + R₁)/R₀`` is the run-off ratio. Analysis of causes (item 9(2) asks for
it when insufficient): with the payments expected during the 12 months E (from the payment pattern of the
start reserve, :func:`aktuar.core.reserving.cash_flows`), the difference splits exactly into

    D = (E − P)  +  ((R₀ − E) − R₁)
        payments     re-estimate of what is still outstanding

and, when given, by reserve type (RBNS at the start vs payments and reserves on those claims; IBNR at the start
vs claims reported during the year), each part summing to the class total.

**Backtest** (issue 6: "run the adequacy test on historical data where the outcome is known"). On a complete
cumulative paid triangle (a square, e.g. CAS Schedule P), for each cut diagonal t the data after t are hidden,
each method estimates the unpaid claims of the origins known at t, and the error is compared with the known
outcome ``Σ_i (C_{i,last} − C_{i,t−i})``; the run-off test of each method is also computed from diagonal t to
t + 1 (payments = the next diagonal's increments; R₁ = the method's estimate at t + 1 for the same origins).
Needs origin and development periods of the same length (the diagonal of origin i at development index j is
i + j). Money float64 unrounded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving import ReserveResult, Triangle
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Method = Callable[[Triangle], ReserveResult]

__all__ = ["AdequacyLine", "AdequacyResult", "BacktestLine", "BacktestResult", "adequacy_test", "backtest"]


@dataclass(frozen=True)
class AdequacyLine:
    """One class (or the portfolio, ``name = 'Total'``)."""

    name: str
    reserve_start: float
    paid: float
    reserve_end: float
    difference: float
    sufficient: bool
    runoff_ratio: float | None
    expected_paid: float | None
    payments_effect: float | None
    reestimate_effect: float | None
    by_type: Mapping[str, float]
    cause: str


@dataclass(frozen=True)
class AdequacyResult:
    lines: tuple[AdequacyLine, ...]
    months: int

    @property
    def total(self) -> AdequacyLine:
        return self.lines[-1]

    @property
    def insufficient(self) -> tuple[str, ...]:
        return tuple(ln.name for ln in self.lines[:-1] if not ln.sufficient)


def _vec(x: npt.ArrayLike | None, n: int, name: str) -> FloatArray | None:
    if x is None:
        return None
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    if a.shape != (n,) or not np.isfinite(a).all() or (a < 0).any():
        raise InputError(f"{name} needs one amount ≥ 0 per class ({n})", column=name)
    return a


def _line(name: str, r0: float, p: float, r1: float, e: float | None, types: Mapping[str, float], tol: float
          ) -> AdequacyLine:
    d = r0 - (p + r1)
    ok = d >= -tol
    ratio = (p + r1) / r0 if r0 > 0 else None
    pe = None if e is None else e - p
    re_ = None if e is None else (r0 - e) - r1
    if ok:
        cause = "sufficient: payments and re-estimated reserves did not exceed the opening reserve"
    elif r0 == 0:
        cause = "insufficient: no reserve was held at the start for claims that were paid or re-reserved"
    elif pe is not None and re_ is not None:
        worst = "payments above those expected" if pe < re_ else "re-estimate of the outstanding claims"
        cause = f"insufficient, mainly from the {worst} (payments {pe:,.2f}, re-estimate {re_:,.2f})"
    else:
        cause = "insufficient: give the expected payments to split payments from re-estimate"
    if not ok and types:
        worst_t = min(types, key=lambda k: types[k])
        cause += f"; the largest shortfall by reserve type is {worst_t} ({types[worst_t]:,.2f})"
    return AdequacyLine(name, r0, p, r1, d, ok, ratio, e, pe, re_, dict(types), cause)


def adequacy_test(
    classes: Sequence[str],
    reserve_start: npt.ArrayLike,
    paid: npt.ArrayLike,
    reserve_end: npt.ArrayLike,
    *,
    expected_paid: npt.ArrayLike | None = None,
    by_type: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]] | None = None,
    months: int = 12,
    tolerance: float = 0.0,
) -> AdequacyResult:
    """Run-off test per class and in total. ``by_type``: ``{type: (R₀, P, R₁)}`` per class (e.g. 'RBNS',
    'IBNR'); each part must sum to the class totals."""
    n = len(classes)
    if n == 0:
        raise InputError("the adequacy test needs at least one class")
    r0 = _vec(reserve_start, n, "reserve_start")
    p = _vec(paid, n, "paid")
    r1 = _vec(reserve_end, n, "reserve_end")
    e = _vec(expected_paid, n, "expected_paid")
    assert r0 is not None and p is not None and r1 is not None
    parts: dict[str, FloatArray] = {}
    if by_type:
        sums = [np.zeros(n), np.zeros(n), np.zeros(n)]
        for t, triple in by_type.items():
            vs: list[FloatArray] = []
            for x, w in zip(triple, ("reserve_start", "paid", "reserve_end"), strict=True):
                vec = _vec(x, n, f"{t} {w}")
                assert vec is not None
                vs.append(vec)
            for k in range(3):
                sums[k] += vs[k]
            parts[t] = vs[0] - (vs[1] + vs[2])
        for k, (tot, nm) in enumerate(zip((r0, p, r1), ("reserve_start", "paid", "reserve_end"), strict=True)):
            if not np.allclose(sums[k], tot, rtol=1e-9, atol=1e-6):
                raise InputError(f"the reserve types' {nm} do not add up to the class totals", column=nm)
    lines = []
    for i, c in enumerate(classes):
        lines.append(_line(str(c), float(r0[i]), float(p[i]), float(r1[i]), None if e is None else float(e[i]),
                           {t: float(v[i]) for t, v in parts.items()}, tolerance))
    lines.append(_line("Total", float(r0.sum()), float(p.sum()), float(r1.sum()),
                       None if e is None else float(e.sum()), {t: float(v.sum()) for t, v in parts.items()},
                       tolerance))
    return AdequacyResult(tuple(lines), months)


# ------------------------------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class BacktestLine:
    method: str
    segment: str
    diagonal: int
    estimate: float
    actual: float
    error: float
    relative_error: float | None
    runoff: AdequacyLine | None


@dataclass(frozen=True)
class BacktestResult:
    lines: tuple[BacktestLine, ...]

    def mean_abs_relative_error(self, method: str, segment: str | None = None) -> float | None:
        errs = [abs(ln.relative_error) for ln in self.lines if ln.method == method and ln.relative_error is not None
                and (segment is None or ln.segment == segment)]
        return float(np.mean(errs)) if errs else None


def _cut(tri: Triangle, t: int) -> Triangle:
    o, d = tri.shape[1], tri.shape[2]
    keep = (np.arange(o)[:, None] + np.arange(d)[None, :]) <= t
    return tri.with_values(np.where(keep[None], tri.values, np.nan), valuation=None)


def backtest(full: Triangle, methods: Mapping[str, Method], diagonals: Sequence[int] | None = None
             ) -> BacktestResult:
    """Backtest ``methods`` on the complete cumulative paid triangle ``full`` (every origin observed to the
    last development age). ``diagonals``: the cut diagonals t (0-based, t ≥ 1, t < O + D − 2); default 1 … min(O, D) − 1
    (t = D − 1 is the usual upper triangle of a square)."""
    cum = full.cum()
    v = cum.values
    s, o, d = v.shape
    if o < 2 or d < 2:
        raise InputError("the backtest needs at least 2 origins and 2 development periods")
    last_diag = o - 1 + d - 1
    if not np.isfinite(v[:, :, -1]).all():
        raise InputError("the backtest needs every origin observed to the last development age (a complete square)")
    if diagonals is None:
        diagonals = list(range(1, min(o, d)))
    for t in diagonals:
        if not 1 <= t < last_diag:
            raise InputError(f"cut diagonal {t} is outside 1 … {last_diag - 1}")
    lines: list[BacktestLine] = []
    ultimate = v[:, :, -1]
    for name, run in methods.items():
        for t in diagonals:
            cut = _cut(cum, t)
            known = np.arange(o) <= t
            res = run(cut)
            latest = cut.latest()
            nxt = run(_cut(cum, t + 1)) if t + 1 < last_diag else None
            for si in range(s):
                est = float(res.ibnr[si, known].sum())
                act = float((ultimate[si, known] - latest[si, known]).sum())
                rel = (est - act) / act if act != 0 else None
                runoff = None
                if nxt is not None:
                    latest1 = _cut(cum, t + 1).latest()
                    paid = float((latest1[si, known] - latest[si, known]).sum())
                    r1 = float(nxt.ibnr[si, known].sum())
                    runoff = _line(f"{full.segment_label(si)} diag {t}", est, paid, r1, None, {}, 0.0)
                lines.append(BacktestLine(name, full.segment_label(si), t, est, act, est - act, rel, runoff))
    return BacktestResult(tuple(lines))
