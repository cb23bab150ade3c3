"""Triangles from users' data: claim transactions, long tables, wide tables; exposures by origin.

Every builder returns :class:`aktuar.core.reserving.triangles.Triangle` (cumulative unless asked otherwise)
and raises :class:`aktuar.errors.InputError` naming the file, row and column of a bad cell.

Transactions (:func:`triangle_from_transactions`, :func:`triangle_from_arrays`)
-------------------------------------------------------------------------------
Each transaction belongs to the origin period of its origin date (accident, underwriting or report date) and
to the development period in which its date falls. Development periods lie on the valuation grid of
:func:`~aktuar.core.reserving.triangles.bucket_periods`: the latest diagonal is the valuation date, so at a
year-end valuation annual ages are 12, 24, 36, … and at 30.06.2024 they are 6, 18, 30, … (months from the
start of the origin period to the end of the development period). Cells after the valuation date are NaN;
every other cell is observed (zero if nothing happened in it). Origins run from the first origin period in the
data to the one holding the valuation date, so a quiet origin period is a row of observed zeros.

Measures:

* ``paid``: the paid amounts, summed by segment, origin and development period;
* ``incurred``: cumulative paid plus the latest known case reserve (outstanding) of each claim at each
  development point. The case reserve column holds the claim's outstanding *after* the transaction; a
  transaction's incremental incurred is its payment plus the change in its claim's outstanding since the
  claim's previous transaction (by transaction date, then file order). Alternatively an ``incurred`` column may
  hold the claim's incurred to date (paid to date + outstanding) after each transaction; then the change in it
  is the incremental incurred;
* ``reported_count``: distinct claims reported (by report date) by each development point;
* ``closed_count``: claims closed by each development point: from a ``status`` column (the claim's status after
  each transaction: closed or open/reopened; a reopening subtracts one) when the file has one, else from each
  claim's ``closed_date`` (on its last row; blank = open).

The fast path :func:`triangle_from_arrays` takes in-memory columns. Dates become month numbers through a
look-up table built with numpy's calendar (``astype('datetime64[M]')``) over the range of days, origin and
development period through a small (origin × month) table, and the cells are summed in one
``numpy.bincount`` pass; the rows are processed in cache-sized blocks so that the only full-length temporary is
the cell index (8 bytes a row).

Long and wide tables (:func:`triangle_from_long`, :func:`triangle_from_wide`, :func:`read_triangle`)
-----------------------------------------------------------------------------------------------------
A long table has one row per cell: origin, development, value and any segment columns. Origin and development
may be dates (the development date is the evaluation date of the cell: the age is computed), calendar years
(development 1990 of origin 1988 is age 36) or, for development, ages as given. A wide table has the origin
labels in the first column and development ages in the header.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.core.reserving.triangles import (
    GRAIN_MONTHS,
    Triangle,
    bucket_periods,
    day_month_table,
    first_age,
    month_index,
    parse_grain,
    period_label,
)
from aktuar.data.readers import (
    Table,
    as_table,
    check_unique,
    date_column,
    factorize,
    fmt_date,
    number_column,
    resolve_columns,
    text_column,
)
from aktuar.errors import InputError

__all__ = [
    "MEASURES",
    "ORIGIN_BASES",
    "read_exposure",
    "read_triangle",
    "triangle_from_arrays",
    "triangle_from_long",
    "triangle_from_transactions",
    "triangle_from_wide",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Source = Table | pl.DataFrame | str | os.PathLike[str] | Any

MEASURES = ("paid", "incurred", "reported_count", "closed_count")
ORIGIN_BASES = {"accident": "accident_date", "underwriting": "underwriting_date", "reporting": "report_date"}
_CLOSED_WORDS = frozenset({"closed", "close", "c", "settled", "закрыт", "закрыта", "закрыто", "урегулирован"})
_OPEN_WORDS = frozenset({"open", "opened", "o", "reopened", "reopen", "открыт", "открыта", "открыто",
                         "переоткрыт", "переоткрыто"})
_NAT = np.iinfo(np.int64).min
_BLOCK = 1 << 16  # rows per block of the fast path: the block's temporaries stay in the CPU cache
_WORKERS = max(1, min(2, os.cpu_count() or 1))  # threads sharing the blocks of the fast path


# ================================================================================================= the grid
@dataclass(frozen=True)
class _Grid:
    """Origin × development grid whose latest diagonal is the valuation month."""

    go: int  # months per origin period
    gd: int  # months per development period
    a0: int  # age of the first development period
    first_period: int  # origin period number (month index // go) of the first origin
    n_origins: int
    n_dev: int
    valuation_month: int
    origin_grain: str
    development_grain: str

    @property
    def first_month(self) -> int:
        return self.first_period * self.go

    def origin_starts(self) -> IntArray:
        return self.first_month + self.go * np.arange(self.n_origins, dtype=np.int64)

    def ages(self) -> IntArray:
        return self.a0 + self.gd * np.arange(self.n_dev, dtype=np.int64)

    def unobserved(self) -> npt.NDArray[np.bool_]:
        return (self.origin_starts()[:, None] + self.ages()[None, :] - 1) > self.valuation_month

    def labels(self) -> tuple[str, ...]:
        return tuple(period_label(int(m), self.origin_grain) for m in self.origin_starts())


def _make_grid(first_origin_month: int, valuation_month: int, origin_grain: str, development_grain: str) -> _Grid:
    og, dg = parse_grain(origin_grain), parse_grain(development_grain)
    go, gd = GRAIN_MONTHS[og], GRAIN_MONTHS[dg]
    a0 = first_age(valuation_month, og, dg)
    p0 = first_origin_month // go
    n_origins = valuation_month // go - p0 + 1
    span = valuation_month - p0 * go + 1 - a0  # a multiple of gd by construction of a0
    return _Grid(go, gd, a0, p0, n_origins, span // gd + 1, valuation_month, og, dg)


# ======================================================================================== errors of the arrays
@dataclass(frozen=True)
class _Where:
    """How to name rows and columns in errors of the fast path."""

    file: str | None = None
    rows: IntArray | None = None  # spreadsheet row number of each array element; default position + 2
    origin_column: str = "accident_date"
    event_column: str = "transaction_date"
    amount_column: str = "amount"
    segment_column: str | None = "segment_codes"
    origin_what: str = "accident date"
    event_what: str = "transaction date"

    def row(self, i: int) -> int:
        return int(self.rows[i]) if self.rows is not None else i + 2

    def error(self, message: str, i: int, column: str | None) -> InputError:
        return InputError(message, file=self.file, row=self.row(i), column=column)


def _diagnose(
    od: npt.NDArray[np.integer], ed: npt.NDArray[np.integer], amount: FloatArray | None,
    seg: npt.NDArray[np.integer] | None, n_segments: int, vday: int, where: _Where,
) -> InputError:
    """The error of the first row (in the arrays' order) that breaks a rule of the fast path."""
    od64 = od.astype(np.int64, copy=False)
    ed64 = ed.astype(np.int64, copy=False)
    checks: list[tuple[npt.NDArray[np.bool_], str]] = [
        (od64 == _NAT, "origin_blank"),
        (ed64 == _NAT, "event_blank"),
        (od64 > vday, "origin_late"),
        (ed64 > vday, "event_late"),
        (ed64 < od64, "event_early"),
    ]
    if seg is not None:
        checks.append(((seg < 0) | (seg >= n_segments), "segment"))
    if amount is not None:
        checks.append((~np.isfinite(amount), "amount"))
    best: tuple[int, str] | None = None
    for mask, kind in checks:
        hits = np.flatnonzero(mask)
        if hits.size and (best is None or hits[0] < best[0]):
            best = (int(hits[0]), kind)
    if best is None:  # pragma: no cover - only reached if the fast path and this check disagree
        return InputError("the data cannot be arranged into a triangle", file=where.file)
    i, kind = best
    val = fmt_date(np.datetime64(int(vday), "D"))
    if kind == "origin_blank":
        return where.error(f"the {where.origin_what} is blank: fill it in", i, where.origin_column)
    if kind == "event_blank":
        return where.error(f"the {where.event_what} is blank: fill it in", i, where.event_column)
    if kind == "origin_late":
        return where.error(
            f"the {where.origin_what} {fmt_date(np.datetime64(int(od64[i]), 'D'))} is after the valuation date "
            f"{val}: correct the date or leave the row out", i, where.origin_column)
    if kind == "event_late":
        return where.error(
            f"the {where.event_what} {fmt_date(np.datetime64(int(ed64[i]), 'D'))} is after the valuation date "
            f"{val}: leave out rows after the valuation date or choose a later valuation date",
            i, where.event_column)
    if kind == "event_early":
        return where.error(
            f"the {where.event_what} {fmt_date(np.datetime64(int(ed64[i]), 'D'))} is before the "
            f"{where.origin_what} {fmt_date(np.datetime64(int(od64[i]), 'D'))}: correct one of the two dates",
            i, where.event_column)
    if kind == "segment":
        assert seg is not None
        return where.error(f"segment code {int(seg[i])} is outside 0..{n_segments - 1}: codes run from 0, one "
                           "segment key per code", i, where.segment_column)
    assert amount is not None
    return where.error(f"the amount {amount[i]!r} is not a finite number: fill in a number", i,
                       where.amount_column)


# ============================================================================================ the fast kernel
@dataclass(frozen=True)
class _Tables:
    """Look-up tables of the fast path: day → origin row, day → event month, (origin, month) → cell."""

    base: int
    otab: IntArray
    etab: IntArray
    code2: IntArray
    invalid: int


def _lookup_tables(grid: _Grid, first_day: int, vday: int, n_segments: int) -> _Tables:
    # tables indexed by day - base; base = 0 (1970-01-01) when possible, which saves a subtraction per row
    base = 0 if 0 <= first_day and vday < 50_000_000 else first_day
    months = day_month_table(first_day, vday)  # month index of each day from first_day to the valuation
    n_months = grid.valuation_month - grid.first_month + 1
    n_cells = grid.n_origins * n_months
    lead = first_day - base
    # origin code of each day, pre-multiplied by the number of event months: a row of the (origin, month) table
    otab = np.zeros(lead + months.shape[0] + 1, dtype=np.int64)
    otab[lead:-1] = (months // grid.go - grid.first_period) * n_months
    # event month counted from the first origin's start; a day after the valuation points past the table
    etab = np.zeros(lead + months.shape[0] + 1, dtype=np.int64)
    etab[lead:-1] = months - grid.first_month
    etab[-1] = n_cells
    # (origin, event month) → origin * D + development index, by the core's bucket_periods on the small grid
    o = np.repeat(np.arange(grid.n_origins, dtype=np.int64), n_months)
    om = grid.first_month + o * grid.go
    em = grid.first_month + np.tile(np.arange(n_months, dtype=np.int64), grid.n_origins)
    _, k, _ = bucket_periods(om, em, grid.valuation_month, grid.origin_grain, grid.development_grain)
    invalid = grid.n_origins * grid.n_dev * n_segments  # = S * O * D, one past the last cell
    code2 = np.empty(n_cells + 1, dtype=np.int64)
    code2[:-1] = np.where(em >= om, o * grid.n_dev + np.minimum(k, grid.n_dev - 1), invalid)
    code2[-1] = invalid
    return _Tables(base, otab, etab, code2, invalid)


def _cell_index(
    od: npt.NDArray[np.integer], ed: npt.NDArray[np.integer], seg: npt.NDArray[np.integer] | None,
    grid: _Grid, first_day: int, vday: int, n_segments: int, check_segments: bool = False,
    workers: int | None = None,
) -> IntArray | None:
    """Linear cell index ``(segment * O + origin) * D + development`` of every row.

    Returns ``None`` when a row has its event before its origin date or (with ``check_segments``, for codes
    given by the caller) a segment code outside ``0..n_segments-1``. An event after the valuation date gets an
    index past the end of the grid (``>= S * O * D``), which the caller detects from the length of the
    ``bincount`` result at no cost per row. The caller diagnoses all of them.

    Per block of rows: origin code and event month come from two look-up tables indexed by the day number,
    the (origin, event month) pair from a third table gives ``origin * D + development``; so a row costs
    three table look-ups, one comparison (event not before origin) and, with segments, a multiply-add.
    With ``workers`` > 1 the blocks are shared among threads (numpy releases the GIL in each operation); the
    result does not depend on it.
    """
    n = od.shape[0]
    t = _lookup_tables(grid, first_day, vday, n_segments)
    base, otab, etab, code2 = t.base, t.otab, t.etab, t.code2
    od_block = grid.n_origins * grid.n_dev
    lin = np.empty(n, dtype=np.int64)
    shift = bool(base) or od.dtype != np.int64 or ed.dtype != np.int64
    unsigned = np.dtype(f"u{seg.dtype.itemsize}") if seg is not None else np.dtype(np.uint64)

    def work(lo: int, hi: int) -> bool:
        m0 = min(hi - lo, _BLOCK)
        bx, by, bz = np.empty(m0, dtype=np.int64), np.empty(m0, dtype=np.int64), np.empty(m0, dtype=np.bool_)
        for s in range(lo, hi, _BLOCK):
            e = min(hi, s + _BLOCK)
            m = e - s
            a, b, x, y, z, out = od[s:e], ed[s:e], bx[:m], by[:m], bz[:m], lin[s:e]
            np.less(b, a, out=z)
            if z.any():
                return False
            if shift:  # also turns narrower day numbers (polars' int32) into the int64 that take() indexes by
                np.subtract(a, base, out=x)
                np.take(otab, x, out=x, mode="clip")
                np.subtract(b, base, out=y)
                np.take(etab, y, out=y, mode="clip")
            else:
                np.take(otab, a, out=x, mode="clip")
                np.take(etab, b, out=y, mode="clip")
            np.add(x, y, out=x)
            np.take(code2, x, out=out, mode="clip")
            if seg is not None:
                c = seg[s:e]
                if check_segments:  # negative codes are huge when read as unsigned: one comparison
                    np.greater_equal(c.view(unsigned), n_segments, out=z)
                    if z.any():
                        return False
                np.multiply(c, od_block, out=y, dtype=np.int64)
                np.add(out, y, out=out)
        return True

    parts = max(1, min(_WORKERS if workers is None else workers, n // (4 * _BLOCK)))
    if parts == 1:
        return lin if work(0, n) else None
    bounds = [n * i // parts for i in range(parts + 1)]
    with ThreadPoolExecutor(max_workers=parts) as pool:  # numpy releases the GIL inside each operation
        ok = list(pool.map(work, bounds[:-1], bounds[1:]))
    return lin if all(ok) else None


def _day_numbers(x: Any, name: str) -> npt.NDArray[np.integer]:
    """Days since 1970-01-01 of a date column (numpy datetime64, polars Date/Datetime, sequence of dates)."""
    if isinstance(x, pl.Series):
        if x.null_count():
            i = int(np.flatnonzero(x.is_null().to_numpy())[0])
            raise InputError(f"the date is blank: fill it in (element {i})", row=i + 2, column=name)
        if x.dtype == pl.Date:
            return x.to_physical().to_numpy()
        if isinstance(x.dtype, pl.Datetime):
            return x.dt.date().to_physical().to_numpy()
        raise InputError(f"'{name}' must hold dates, not {x.dtype}", column=name)
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.datetime64):
        if a.dtype == object:
            try:
                a = a.astype("datetime64[D]")
            except (TypeError, ValueError):
                raise InputError(f"'{name}' must hold dates", column=name) from None
        else:
            raise InputError(f"'{name}' must hold dates (numpy datetime64 or polars Date), not {a.dtype}",
                             column=name)
    if a.dtype != np.dtype("datetime64[D]"):
        a = a.astype("datetime64[D]")
    return np.ascontiguousarray(a).view(np.int64)


def _build(
    od: npt.NDArray[np.integer], ed: npt.NDArray[np.integer], amount: FloatArray | None,
    seg: npt.NDArray[np.integer] | None, *, n_segments: int, keys: tuple[tuple[str, ...], ...],
    names: tuple[str, ...], valuation: date, origin_grain: str, development_grain: str, measure: str,
    cumulative: bool, where: _Where, first_day: int | None = None, notes: tuple[str, ...] = (),
    check_segments: bool = False,
) -> Triangle:
    """The triangle of events at days ``ed`` with origin days ``od`` (see :func:`triangle_from_arrays`)."""
    vday = int(np.datetime64(valuation, "D").astype(np.int64))
    n = od.shape[0]
    if first_day is None:
        if n == 0:
            raise InputError("there are no rows to build a triangle from", file=where.file)
        first_day = int(od.min())
    if first_day == _NAT or first_day > vday:
        raise _diagnose(od, ed, amount, seg, n_segments, vday, where)
    vmonth = month_index(valuation)
    first_month = int(day_month_table(first_day, first_day)[0])
    grid = _make_grid(first_month, vmonth, origin_grain, development_grain)
    size = n_segments * grid.n_origins * grid.n_dev
    if size > 2**31:
        raise InputError(
            f"the triangle would have {size:,} cells: choose a coarser grain or fewer segment columns",
            file=where.file,
        )
    lin = (_cell_index(od, ed, seg, grid, first_day, vday, n_segments, check_segments) if n
           else np.zeros(0, dtype=np.int64))
    if lin is None:
        raise _diagnose(od, ed, amount, seg, n_segments, vday, where)
    try:
        w = None if amount is None else amount
        flat = np.bincount(lin, weights=w, minlength=size)
    except (ValueError, MemoryError):  # a negative segment code, or one too large for the result
        raise _diagnose(od, ed, amount, seg, n_segments, vday, where) from None
    if flat.shape[0] != size:
        raise _diagnose(od, ed, amount, seg, n_segments, vday, where)
    inc = flat.astype(np.float64, copy=False).reshape(n_segments, grid.n_origins, grid.n_dev)
    if not np.isfinite(inc).all():
        raise _diagnose(od, ed, amount, seg, n_segments, vday, where)
    values = np.cumsum(inc, axis=2, out=inc) if cumulative else inc
    values[:, grid.unobserved()] = np.nan
    return Triangle(
        values=values,
        origin=grid.labels(),
        development=grid.ages(),
        segments=keys,
        segment_names=names,
        cumulative=cumulative,
        origin_grain=grid.origin_grain,
        development_grain=grid.development_grain,
        origin_start=tuple(int(m) for m in grid.origin_starts()),
        valuation=valuation,
        measure=measure,
        notes=notes,
    )


def _as_date(d: date | datetime | str, what: str = "valuation date") -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    if isinstance(d, str):
        t = d.strip()
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(t, fmt).date()
            except ValueError:
                pass
    raise InputError(f"the {what} {d!r} is not a date: write it as yyyy-mm-dd or dd.mm.yyyy")


def triangle_from_arrays(
    accident_date: Any,
    transaction_date: Any,
    amount: Any,
    *,
    valuation: date,
    segment_codes: Any = None,
    segment_keys: Sequence[tuple[str, ...] | str] | None = None,
    segment_names: Sequence[str] = (),
    segment_columns: Mapping[str, Any] | None = None,
    origin_grain: str = "Y",
    development_grain: str = "Y",
    measure: str = "paid",
    cumulative: bool = True,
) -> Triangle:
    """Triangle of ``amount`` by origin (``accident_date``) and development (``transaction_date``), in memory.

    Dates are numpy ``datetime64`` arrays (any unit) or polars ``Date``/``Datetime`` series; ``amount`` is a
    float array. Segments are given either as integer ``segment_codes`` in ``0..S-1`` with their
    ``segment_keys`` (one tuple — or string — per code) and ``segment_names``, or as ``segment_columns``
    (column name → values), whose combinations are coded here; with neither there is one segment.

    The origin date may be any origin basis (accident, underwriting, report). Rows are validated: a
    transaction before its origin date or after ``valuation``, a non-finite amount, a segment code out of
    range raise ``InputError`` naming the row (position + 2, as in a spreadsheet with a header row).
    """
    valuation = _as_date(valuation)
    od = _day_numbers(accident_date, "accident_date")
    ed = _day_numbers(transaction_date, "transaction_date")
    amt = np.ascontiguousarray(np.asarray(amount, dtype=np.float64))
    if not (od.shape == ed.shape == amt.shape) or od.ndim != 1:
        raise InputError("accident_date, transaction_date and amount must be 1-D and of equal length")
    seg: npt.NDArray[np.integer] | None = None
    names: tuple[str, ...] = tuple(segment_names)
    if segment_columns is not None:
        if segment_codes is not None:
            raise InputError("give either segment_codes or segment_columns, not both")
        frame = pl.DataFrame({k: (v if isinstance(v, pl.Series) else pl.Series(k, np.asarray(v)))
                              for k, v in segment_columns.items()})
        if frame.height != od.shape[0]:
            raise InputError("every segment column needs one value per row")
        codes, keys = factorize(as_table(frame), list(frame.columns))
        seg, n_segments, names = codes, len(keys), tuple(frame.columns)
    elif segment_codes is not None:
        seg = np.ascontiguousarray(np.asarray(segment_codes))
        if not np.issubdtype(seg.dtype, np.integer) or seg.shape != od.shape:
            raise InputError("segment_codes must be integers, one per row")
        if segment_keys is None:
            n_segments = int(seg.max()) + 1 if seg.size else 1
            keys = tuple((str(i),) for i in range(n_segments))
            names = names or ("segment",)
        else:
            keys = tuple((k,) if isinstance(k, str) else tuple(str(x) for x in k) for k in segment_keys)
            n_segments = len(keys)
            if not names:
                names = tuple(f"segment{i + 1}" for i in range(len(keys[0]))) if keys and keys[0] else ()
    else:
        n_segments, keys, names = 1, ((),), ()
    where = _Where(amount_column="amount", segment_column="segment_codes")
    return _build(od, ed, amt, seg, n_segments=n_segments, keys=keys, names=names, valuation=valuation,
                  origin_grain=origin_grain, development_grain=development_grain, measure=measure,
                  cumulative=cumulative, where=where, check_segments=seg is not None)


# ================================================================================ triangles from transactions
def _claim_order(claims: IntArray, tdays: npt.NDArray[np.integer] | None) -> IntArray:
    """Row positions sorted by claim, then transaction date, then file order."""
    if tdays is None:
        return np.argsort(claims, kind="stable")
    return np.lexsort((tdays, claims))


def _claim_changes(values: FloatArray, claims_sorted: IntArray, order: IntArray) -> FloatArray:
    """Per row (in file order): the value minus the same claim's value on its previous row (0 before the
    first), the rows taken in ``order``."""
    v = values[order]
    prev = np.empty_like(v)
    prev[0] = 0.0
    prev[1:] = v[:-1]
    first = np.ones(v.shape[0], dtype=bool)
    first[1:] = claims_sorted[1:] != claims_sorted[:-1]
    prev[first] = 0.0
    out = np.empty_like(v)
    out[order] = v - prev
    return out


def _check_claim_constant(table: Table, column: str, values: npt.NDArray[Any], claims_sorted: IntArray,
                          order: IntArray, claim_text: pl.Series, what: str) -> None:
    v = values[order]
    same_claim = claims_sorted[1:] == claims_sorted[:-1]
    differ = same_claim & (v[1:] != v[:-1])
    if differ.any():
        j = int(np.flatnonzero(differ)[0]) + 1
        i, prev_i = int(order[j]), int(order[j - 1])

        def show(x: Any) -> str:
            return fmt_date(x) if isinstance(x, np.datetime64) else str(x)

        raise table.error(
            f"claim {claim_text[i]!r} has {what} {show(v[j])} here but {show(v[j - 1])} in row "
            f"{table.row_of(prev_i)}: a claim has one {what}; correct one of the rows",
            index=i, column=column,
        )


def _claim_codes(claims: pl.Series) -> IntArray:
    return claims.rank("dense").to_numpy().astype(np.int64)


def _status_closed(table: Table, column: str) -> FloatArray:
    st = text_column(table, column).str.to_lowercase()
    closed = st.is_in(list(_CLOSED_WORDS)).to_numpy()
    opened = st.is_in(list(_OPEN_WORDS)).to_numpy()
    bad = ~(closed | opened)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise table.error(
            f"unknown claim status {table.frame[column][i]!r}: write 'closed' or 'open' (or 'reopened')",
            index=i, column=column,
        )
    return closed.astype(np.float64)


def triangle_from_transactions(
    source: Source,
    *,
    valuation: date,
    origin_basis: Literal["accident", "underwriting", "reporting"] = "accident",
    origin_grain: str = "Y",
    development_grain: str = "Y",
    measure: Literal["paid", "incurred", "reported_count", "closed_count"] = "paid",
    segment_columns: Sequence[str] = (),
    claim_id: str = "claim_id",
    accident_date: str = "accident_date",
    report_date: str = "report_date",
    transaction_date: str = "transaction_date",
    paid: str = "paid",
    case_reserve: str = "case_reserve",
    incurred: str = "incurred",
    underwriting_date: str = "underwriting_date",
    closed_date: str = "closed_date",
    status: str = "status",
    cumulative: bool = True,
    sheet: str | int | None = None,
) -> Triangle:
    """Triangle of one measure from a table of claim transactions (a file path or a DataFrame).

    See the module docstring for the measures and the grid. Column names are configurable; a column is
    matched exactly or else ignoring case, spaces and underscores. Needed columns: the origin date of
    ``origin_basis`` and the segment columns always; ``transaction_date`` and ``paid`` for paid;
    ``claim_id``, ``transaction_date``, ``paid`` and ``case_reserve`` (or ``incurred``) for incurred;
    ``claim_id`` and ``report_date`` for reported counts; ``claim_id`` and ``status`` (with
    ``transaction_date``) or ``closed_date`` for closed counts.
    """
    valuation = _as_date(valuation)
    if measure not in MEASURES:
        raise InputError(f"unknown measure '{measure}': use one of {', '.join(MEASURES)}")
    if origin_basis not in ORIGIN_BASES:
        raise InputError(f"unknown origin basis '{origin_basis}': use accident, underwriting or reporting")
    table = as_table(source, sheet=sheet)
    origin_name = {"accident": accident_date, "underwriting": underwriting_date, "reporting": report_date}[
        origin_basis
    ]
    wanted: dict[str, str] = {"origin": origin_name}
    required = ["origin"]
    for i, c in enumerate(segment_columns):
        wanted[f"segment{i}"] = c
        required.append(f"segment{i}")
    optional = {"claim": claim_id, "transaction": transaction_date, "paid": paid, "case": case_reserve,
                "incurred": incurred, "report": report_date, "closed": closed_date, "status": status}
    wanted.update({k: v for k, v in optional.items() if k not in wanted})
    needs = {
        "paid": ["transaction", "paid"],
        "incurred": ["claim", "transaction"],
        "reported_count": ["claim", "report"],
        "closed_count": ["claim"],
    }[measure]
    cols = resolve_columns(table, wanted, required=required + needs, purpose=f"for a {measure} triangle")
    if measure == "incurred" and cols["case"] is None and cols["incurred"] is None:
        resolve_columns(table, {"case": case_reserve}, purpose="(the outstanding case reserve after each "
                        f"transaction) for an incurred triangle, or a column '{incurred}'")
    if measure == "incurred" and cols["case"] is not None:
        resolve_columns(table, {"paid": paid}, purpose="for an incurred triangle")
    if measure == "closed_count" and cols["status"] is None and cols["closed"] is None:
        resolve_columns(table, {"closed": closed_date},
                        purpose=f"for a closed-count triangle (or a column '{status}' with the claim status "
                                "after each transaction)")
    if measure == "closed_count" and cols["status"] is not None:
        resolve_columns(table, {"transaction": transaction_date},
                        purpose=f"to order the statuses in column '{status}'")

    ocol = cols["origin"]
    assert ocol is not None
    odate = date_column(table, ocol)
    seg_cols = [cols[f"segment{i}"] for i in range(len(segment_columns))]
    seg_names = tuple(c for c in seg_cols if c is not None)
    codes, keys = factorize(table, seg_names)
    o_what = {"accident": "accident date", "underwriting": "underwriting date", "reporting": "report date"}[
        origin_basis
    ]
    rows = table.rows()
    od = odate.view(np.int64)
    first_day = int(od.min())
    common: dict[str, Any] = dict(
        n_segments=len(keys), keys=keys, names=seg_names, valuation=valuation, origin_grain=origin_grain,
        development_grain=development_grain, measure=measure, cumulative=cumulative, first_day=first_day,
    )
    seg = codes if seg_names else None

    tdays: npt.NDArray[np.int64] | None = None
    if cols["transaction"] is not None and measure != "reported_count":
        tdays = date_column(table, cols["transaction"]).view(np.int64)

    if measure == "paid":
        assert cols["paid"] is not None and tdays is not None
        amount = number_column(table, cols["paid"], what="an amount")
        where = _Where(table.file, rows, ocol, cols["transaction"] or "", cols["paid"], None, o_what,
                       "transaction date")
        return _build(od, tdays, amount, seg, where=where, **common)

    claim_col = cols["claim"]
    assert claim_col is not None
    claim_text = text_column(table, claim_col)
    claims = _claim_codes(claim_text)
    order = _claim_order(claims, tdays)
    claims_sorted = claims[order]
    _check_claim_constant(table, ocol, odate, claims_sorted, order, claim_text, o_what)
    if seg_names:
        for c in seg_names:
            col_codes, _ = factorize(table, [c])
            _check_claim_constant(table, c, col_codes, claims_sorted, order, claim_text, f"{c}")

    if measure == "incurred":
        assert tdays is not None
        if cols["case"] is not None:
            assert cols["paid"] is not None
            pay = number_column(table, cols["paid"], what="an amount")
            outstanding = number_column(table, cols["case"], what="an amount")
            amount = pay + _claim_changes(outstanding, claims_sorted, order)
            amount_col = cols["case"]
        else:
            assert cols["incurred"] is not None
            inc_to_date = number_column(table, cols["incurred"], what="an amount")
            amount = _claim_changes(inc_to_date, claims_sorted, order)
            amount_col = cols["incurred"]
        where = _Where(table.file, rows, ocol, cols["transaction"] or "", amount_col, None, o_what,
                       "transaction date")
        return _build(od, tdays, amount, seg, where=where, **common)

    if measure == "reported_count":
        rcol = cols["report"]
        assert rcol is not None
        rdate = date_column(table, rcol)
        _check_claim_constant(table, rcol, rdate, claims_sorted, order, claim_text, "report date")
        first = np.ones(order.shape[0], dtype=bool)
        first[1:] = claims_sorted[1:] != claims_sorted[:-1]
        pick = np.sort(order[first])
        where = _Where(table.file, rows[pick], ocol, rcol, claim_col, None, o_what, "report date")
        return _build(od[pick], rdate.view(np.int64)[pick], None, None if seg is None else seg[pick],
                      where=where, **common)

    # closed counts
    if cols["status"] is not None:
        assert tdays is not None
        closed = _status_closed(table, cols["status"])
        amount = _claim_changes(closed, claims_sorted, order)
        keep = np.flatnonzero(amount != 0.0)
        where = _Where(table.file, rows[keep], ocol, cols["transaction"] or "", cols["status"], None, o_what,
                       "transaction date")
        return _build(od[keep], tdays[keep], amount[keep], None if seg is None else seg[keep], where=where,
                      **common)
    ccol = cols["closed"]
    assert ccol is not None
    cdate = date_column(table, ccol, allow_blank=True)
    last = np.ones(order.shape[0], dtype=bool)
    last[:-1] = claims_sorted[1:] != claims_sorted[:-1]
    pick = np.sort(order[last])
    pick = pick[~np.isnat(cdate[pick])]
    where = _Where(table.file, rows[pick], ocol, ccol, claim_col, None, o_what, "closing date")
    return _build(od[pick], cdate.view(np.int64)[pick], None, None if seg is None else seg[pick], where=where,
                  **common)


# ==================================================================================== long and wide tables
@dataclass(frozen=True)
class _Axis:
    kind: Literal["date", "int", "label"]
    ints: IntArray | None = None  # int values or days since 1970-01-01 for dates
    labels: pl.Series | None = None


def _parse_axis(table: Table, column: str, *, allow_labels: bool, what: str) -> _Axis:
    """A column of whole numbers, dates or (if allowed) text labels; blank cells are an error."""
    s = table.frame[column]
    if s.dtype == pl.Date or isinstance(s.dtype, pl.Datetime):
        return _Axis("date", date_column(table, column).view(np.int64).copy())
    txt = text_column(table, column)
    if s.dtype in (pl.Float64, pl.Float32) or s.dtype.is_integer():
        f = s.cast(pl.Float64).to_numpy()
        frac = np.flatnonzero(f != np.round(f))
        if frac.size == 0:
            return _Axis("int", f.astype(np.int64))
        if allow_labels:
            return _Axis("label", labels=txt)
        i = int(frac[0])
        raise table.error(f"{what} {s[i]!r} is not a whole number: write whole {what}s (ages or years)",
                          index=i, column=column)
    if s.dtype != pl.String:
        if allow_labels:
            return _Axis("label", labels=txt)
        raise table.error(f"the {what} column holds {s.dtype} values: write numbers or dates", column=column)
    as_num = txt.cast(pl.Float64, strict=False)
    num_ok = as_num.is_not_null() & as_num.is_finite()
    if bool(num_ok.all()):
        f = as_num.to_numpy()
        if np.all(f == np.round(f)):
            return _Axis("int", f.astype(np.int64))
    looks_date = txt.str.contains(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}\.\d{1,2}\.\d{4}$")
    if bool(looks_date[0]) or bool(looks_date.all()):
        return _Axis("date", date_column(table, column).view(np.int64).copy())
    if allow_labels:
        return _Axis("label", labels=txt)
    bad = ~num_ok.to_numpy()
    i = int(np.flatnonzero(bad)[0]) if bad.any() else int(np.flatnonzero(f != np.round(f))[0])
    raise table.error(
        f"{what} {table.frame[column][i]!r} is not a number or a date: write the {what} as a whole number "
        "(an age or a calendar year) or a date", index=i, column=column,
    )


def _is_year(v: IntArray) -> bool:
    return bool(v.size) and bool(((v >= 1800) & (v <= 2300)).all())


def _infer_grain(months: IntArray, cap: int = 12) -> str:
    """The coarsest standard grain (≤ ``cap`` months) that divides every difference of the months."""
    u = np.unique(months)
    g = 0
    for d in (u[1:] - u[0]).tolist():
        g = math.gcd(g, int(d))
    if g == 0:
        g = cap
    for code, mm in (("Y", 12), ("H", 6), ("Q", 3), ("M", 1)):
        if mm <= cap and cap % mm == 0 and g % mm == 0:
            return code
    return "M"  # pragma: no cover - M always qualifies


def _resolve_long_columns(table: Table, origin: str, development: str, value: str) -> tuple[str, str, str]:
    if value == "value" and "value" not in {c.strip().lower() for c in table.columns}:
        value = next((c for c in table.columns if c.strip().lower() == "values"), value)  # chainladder's name
    cols = resolve_columns(table, {"origin": origin, "development": development, "value": value},
                           purpose="for a long-format triangle (one row per origin and development)")
    o, d, v = cols["origin"], cols["development"], cols["value"]
    assert o is not None and d is not None and v is not None
    return o, d, v


def triangle_from_long(
    source: Source,
    origin: str = "origin",
    development: str = "development",
    value: str = "value",
    cumulative: bool = True,
    *,
    segment_columns: Sequence[str] | None = None,
    development_kind: Literal["auto", "age", "calendar"] = "auto",
    origin_grain: str | None = None,
    development_grain: str | None = None,
    valuation: date | None = None,
    measure: str = "value",
    sheet: str | int | None = None,
) -> Triangle:
    """Triangle from a long table: one row per (segments, origin, development) cell.

    Every column other than ``origin``, ``development`` and ``value`` is a segment key unless
    ``segment_columns`` lists them. ``origin`` holds dates, whole numbers (years) or labels; ``development``
    holds either the evaluation date of the cell (a date, or a calendar year such as 1990 for origin 1988:
    then the age in months is computed on the valuation grid, like :func:`triangle_from_transactions`) or the
    age itself (whole numbers, kept as given). ``development_kind='auto'`` takes whole-number developments
    as calendar years when origins and developments all look like years (1800–2300), else as ages.
    Grains of date axes are inferred from the spacing of the dates unless given; ``valuation`` defaults to the
    latest development date.

    A blank value is an unobserved cell; a cell without a row is a hole (NaN); two rows for one cell are an
    error. A cumulative cell whose development date is not on the valuation grid is an error; incremental
    amounts are summed into their development period.
    """
    table = as_table(source, sheet=sheet)
    ocol, dcol, vcol = _resolve_long_columns(table, origin, development, value)
    if segment_columns is None:
        seg_cols = [c for c in table.columns if c not in (ocol, dcol, vcol)]
    else:
        found = resolve_columns(table, {c: c for c in segment_columns}, purpose="(segment column)")
        seg_cols = [c for c in found.values() if c is not None]
    vals = number_column(table, vcol, allow_blank=True, what="a number")
    o_axis = _parse_axis(table, ocol, allow_labels=True, what="origin")
    d_axis = _parse_axis(table, dcol, allow_labels=False, what="development")
    check_unique(table, [*seg_cols, ocol, dcol], what="cell (segment, origin and development)")
    codes, keys = factorize(table, seg_cols)
    n_seg = len(keys)

    kind = development_kind
    if kind not in ("auto", "age", "calendar"):
        raise InputError(f"unknown development kind '{kind}': use auto, age or calendar")
    if d_axis.kind == "date":
        kind = "calendar"
    elif kind == "auto":
        years_like = (o_axis.kind == "date" or (o_axis.kind == "int" and _is_year(o_axis.ints)))  # type: ignore[arg-type]
        kind = "calendar" if years_like and _is_year(d_axis.ints) else "age"  # type: ignore[arg-type]
    if kind == "calendar":
        return _long_calendar(table, ocol, dcol, vals, o_axis, d_axis, codes, keys, tuple(seg_cols), cumulative,
                              origin_grain, development_grain, valuation, measure)

    # ages as given
    assert d_axis.ints is not None
    ages_raw = d_axis.ints
    if (ages_raw < 0).any():
        i = int(np.flatnonzero(ages_raw < 0)[0])
        raise table.error("a development age must not be negative", index=i, column=dcol)
    ages, d_code = np.unique(ages_raw, return_inverse=True)
    if o_axis.kind == "label":
        assert o_axis.labels is not None
        olab = o_axis.labels.to_numpy().astype(str)
        origins, o_code = np.unique(olab, return_inverse=True)
        origin_labels = tuple(str(x) for x in origins)
    else:
        assert o_axis.ints is not None
        origins_i, o_code = np.unique(o_axis.ints, return_inverse=True)
        if o_axis.kind == "date":
            origin_labels = tuple(str(np.datetime64(int(x), "D")) for x in origins_i)
        else:
            origin_labels = tuple(str(int(x)) for x in origins_i)
    out = np.full((n_seg, len(origin_labels), ages.shape[0]), np.nan)
    out[codes, o_code.ravel(), d_code.ravel()] = vals
    return Triangle(values=out, origin=origin_labels, development=ages.astype(np.int64), segments=keys,
                    segment_names=tuple(seg_cols), cumulative=cumulative, valuation=valuation, measure=measure)


def _long_calendar(
    table: Table, ocol: str, dcol: str, vals: FloatArray, o_axis: _Axis, d_axis: _Axis, codes: IntArray,
    keys: tuple[tuple[str, ...], ...], seg_names: tuple[str, ...], cumulative: bool, origin_grain: str | None,
    development_grain: str | None, valuation: date | None, measure: str,
) -> Triangle:
    """Long table whose development axis is the evaluation date (or calendar year) of each cell."""
    if o_axis.kind == "label":
        assert o_axis.labels is not None
        raise table.error(
            f"origin {o_axis.labels[0]!r} is neither a date nor a year: with development dates or calendar "
            "years the origins must be dates or years", index=0, column=ocol,
        )
    assert o_axis.ints is not None and d_axis.ints is not None
    years = o_axis.kind == "int"
    if years and not _is_year(o_axis.ints):
        i = int(np.flatnonzero((o_axis.ints < 1800) | (o_axis.ints > 2300))[0])
        raise table.error(f"origin {o_axis.ints[i]} is not a year: write a calendar year or a date", index=i,
                          column=ocol)
    om = o_axis.ints * 12 if years else _months(o_axis.ints)
    if d_axis.kind == "int":
        if not _is_year(d_axis.ints):
            i = int(np.flatnonzero((d_axis.ints < 1800) | (d_axis.ints > 2300))[0])
            raise table.error(f"development {d_axis.ints[i]} is not a calendar year", index=i, column=dcol)
        dm = d_axis.ints * 12 + 11
        dday = np.array([np.datetime64(date(int(y), 12, 31), "D").astype(np.int64) for y in d_axis.ints])
    else:
        dm = _months(d_axis.ints)
        dday = d_axis.ints
    early = dm < om
    if early.any():
        i = int(np.flatnonzero(early)[0])
        raise table.error("the development period is before the origin: correct the origin or the development",
                          index=i, column=dcol)
    if valuation is None:
        valuation = np.datetime64(int(dday.max()), "D").astype(date)
    else:
        valuation = _as_date(valuation)
        late = dday > np.datetime64(valuation, "D").astype(np.int64)
        if late.any():
            i = int(np.flatnonzero(late)[0])
            raise table.error(f"the development date is after the valuation date {fmt_date(valuation)}",
                              index=i, column=dcol)
    vm = month_index(valuation)
    og = parse_grain(origin_grain) if origin_grain else ("Y" if years else _infer_grain(om))
    go = GRAIN_MONTHS[og]
    if development_grain:
        dg = parse_grain(development_grain)
    elif d_axis.kind == "int":
        dg = "Y" if go == 12 else og
    else:
        dg = _infer_grain(np.concatenate([dm, [vm]]), cap=go)
    ostart = om - np.mod(om, go)
    grid = _make_grid(int(ostart.min()), vm, og, dg)
    last_start = int(ostart.max())
    n_orig = last_start // go - grid.first_period + 1
    o_code = ostart // go - grid.first_period
    age = dm - ostart + 1
    if cumulative:
        off = (age < grid.a0) | ((age - grid.a0) % grid.gd != 0)
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise table.error(
                f"the development is at age {int(age[i])} months, not on the grid of ages "
                f"{grid.a0}, {grid.a0 + grid.gd}, … that ends at the valuation date {fmt_date(valuation)}: "
                "cumulative values must be at the ends of development periods",
                index=i, column=dcol,
            )
        k = (age - grid.a0) // grid.gd
    else:
        _, k, _ = bucket_periods(ostart, dm, vm, og, dg)
    n_dev = grid.n_dev
    lin = (codes * n_orig + o_code) * n_dev + k
    size = len(keys) * n_orig * n_dev
    finite = np.isfinite(vals)
    if cumulative:
        uniq, first_pos, counts = np.unique(lin, return_index=True, return_counts=True)
        if (counts > 1).any():
            cell = uniq[np.flatnonzero(counts > 1)[0]]
            pos = np.flatnonzero(lin == cell)
            raise table.error(
                f"this row and row {table.row_of(int(pos[0]))} fall into the same cell (origin period "
                f"{period_label(int(ostart[pos[1]]), og)}, age {int(grid.a0 + grid.gd * k[pos[1]])}): "
                "keep one row per cell", index=int(pos[1]), column=dcol,
            )
        flat = np.full(size, np.nan)
        flat[lin] = vals
    else:
        sums = np.bincount(lin[finite], weights=vals[finite], minlength=size)
        seen = np.bincount(lin[finite], minlength=size) > 0
        flat = np.where(seen, sums, np.nan)
    out = flat.reshape(len(keys), n_orig, n_dev)
    starts = grid.first_month + go * np.arange(n_orig, dtype=np.int64)
    ages = grid.ages()
    out[:, (starts[:, None] + ages[None, :] - 1) > vm] = np.nan
    return Triangle(
        values=out,
        origin=tuple(period_label(int(m), og) for m in starts),
        development=ages,
        segments=keys,
        segment_names=seg_names,
        cumulative=cumulative,
        origin_grain=og,
        development_grain=grid.development_grain,
        origin_start=tuple(int(m) for m in starts),
        valuation=valuation,
        measure=measure,
    )


def _months(days: IntArray) -> IntArray:
    from aktuar.core.reserving.triangles import months_of_days

    return months_of_days(days.astype("datetime64[D]"))


def _header_age(name: str) -> int | None:
    t = name.strip().replace("\u00a0", "")
    try:
        f = float(t)
    except ValueError:
        return None
    if not math.isfinite(f) or f != round(f) or f < 0:
        return None
    return int(f)


def triangle_from_wide(
    source: Source,
    *,
    cumulative: bool = True,
    measure: str = "value",
    sheet: str | int | None = None,
) -> Triangle:
    """Triangle from a wide table: origin labels in the first column, one column per development age.

    Header cells are the ages (12, 24, … or 1, 2, …); if any is not a whole number the columns are taken as
    development periods 1..n in file order, and ``Triangle.notes`` says so. Blank cells are NaN (unobserved or
    holes); text in a value cell is an error naming the cell.
    """
    table = as_table(source, sheet=sheet)
    cols = table.columns
    if len(cols) < 2:
        raise InputError(
            "a wide triangle needs the origin in the first column and one column per development age; the "
            f"file has only {cols}", file=table.file,
        )
    ocol, dev_cols = cols[0], cols[1:]
    keep: list[str] = []
    for c in dev_cols:
        unnamed = c == "" or c.startswith("_duplicated_")
        if unnamed:
            s = table.frame[c]
            blank = s.is_null() | (s.str.strip_chars() == "") if s.dtype == pl.String else s.is_null()
            if bool(blank.fill_null(True).all()):
                continue
            raise InputError("a column with values has no header: write its development age in the header row",
                             file=table.file, column=f"column {cols.index(c) + 1}")
        keep.append(c)
    if not keep:
        raise InputError("the table has no development columns after the origin column", file=table.file)
    ages_parsed = [_header_age(c) for c in keep]
    notes: tuple[str, ...] = ()
    if all(a is not None for a in ages_parsed):
        ages = np.array(ages_parsed, dtype=np.int64)
        if ages.size > 1 and (np.diff(ages) <= 0).any():
            j = int(np.flatnonzero(np.diff(ages) <= 0)[0]) + 1
            raise InputError(
                "development ages in the header must increase from left to right", file=table.file, row=1,
                column=keep[j],
            )
    else:
        ages = np.arange(1, len(keep) + 1, dtype=np.int64)
        bad = [c for c, a in zip(keep, ages_parsed, strict=True) if a is None]
        notes = (
            f"the development headers are not all whole numbers ({', '.join(repr(b) for b in bad[:3])}"
            f"{', …' if len(bad) > 3 else ''}): the columns are taken as development periods 1..{len(keep)} "
            "in file order",
        )
    labels = text_column(table, ocol)
    check_unique(table, [ocol], what="origin")
    values = np.column_stack([number_column(table, c, allow_blank=True, what="a number") for c in keep])
    return Triangle(values=values[None], origin=tuple(str(x) for x in labels.to_list()), development=ages,
                    cumulative=cumulative, measure=measure, notes=notes)


def read_triangle(path: Source, cumulative: bool = True, *, sheet: str | int | None = None,
                  **long_options: Any) -> Triangle:
    """Read a triangle file, long or wide: long when it has the columns origin, development and value (or
    values; any case), else wide (origin in the first column, development ages in the header)."""
    table = as_table(path, sheet=sheet)
    lower = {c.strip().lower() for c in table.columns}
    if {"origin", "development"} <= lower and ("value" in lower or "values" in lower):
        return triangle_from_long(table, cumulative=cumulative, **long_options)
    if long_options:
        raise InputError(
            "the file has no columns origin, development and value, so it is read as a wide triangle, which "
            f"takes no options {sorted(long_options)}", file=table.file,
        )
    return triangle_from_wide(table, cumulative=cumulative)


# ================================================================================================ exposure
def _origin_key(table: Table, column: str, tri: Triangle) -> list[str]:
    """Origin cells of an exposure file as the triangle's origin labels."""
    s = table.frame[column]
    dated = s.dtype == pl.Date or isinstance(s.dtype, pl.Datetime)
    if not dated and s.dtype == pl.String and tri.origin_grain is not None:
        txt = s.str.strip_chars()
        dated = bool(txt.str.contains(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}\.\d{1,2}\.\d{4}$").fill_null(False).all())
    if dated and tri.origin_grain is not None:
        months = _months(date_column(table, column).view(np.int64))
        go = GRAIN_MONTHS[tri.origin_grain]
        return [period_label(int(m - m % go), tri.origin_grain) for m in months]
    return [str(x) for x in text_column(table, column).to_list()]


def _norm_label(x: str) -> str:
    """A label compared loosely: stripped, a whole number written as ``2020.0`` taken as ``2020``."""
    t = str(x).strip()
    return re.sub(r"^(-?\d+)\.0*$", r"\1", t)


def read_exposure(
    path: Source,
    triangle: Triangle,
    *,
    origin: str = "origin",
    exposure: str = "exposure",
    sheet: str | int | None = None,
) -> FloatArray:
    """Exposure (e.g. earned premium) of every segment and origin of ``triangle``, shape ``(S, O)``.

    The file has a column ``origin`` (labels as in the triangle — 2024, 2024Q3, 2024-07 — or dates within the
    origin period, or the years), the triangle's segment columns and ``exposure``. Every (segment, origin) of
    the triangle needs exactly one row; rows for other origins or segments are ignored. Exposures must be
    non-negative numbers.
    """
    table = as_table(path, sheet=sheet)
    wanted = {"origin": origin, "exposure": exposure} | {f"s{i}": n for i, n in enumerate(triangle.segment_names)}
    cols = resolve_columns(table, wanted, purpose="for the exposure")
    ocol, ecol = cols["origin"], cols["exposure"]
    assert ocol is not None and ecol is not None
    seg_cols = [cols[f"s{i}"] for i in range(len(triangle.segment_names))]
    seg_cols_present = [c for c in seg_cols if c is not None]
    values = number_column(table, ecol, what="an exposure")
    neg = values < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise table.error("an exposure must not be negative", index=i, column=ecol)
    okeys = [_norm_label(o) for o in _origin_key(table, ocol, triangle)]
    skeys = [text_column(table, c).to_list() for c in seg_cols_present]
    origin_pos = {_norm_label(o): j for j, o in enumerate(triangle.origin)}
    seg_pos = {tuple(_norm_label(x) for x in k): j for j, k in enumerate(triangle.segments)}
    out = np.full((triangle.n_segments, len(triangle.origin)), np.nan)
    seen_row = np.zeros(out.shape, dtype=np.int64)
    for i in range(table.height):
        key = tuple(_norm_label(v[i]) for v in skeys)
        s = seg_pos.get(key)
        o = origin_pos.get(okeys[i])
        if s is None or o is None:
            continue
        if seen_row[s, o]:
            raise table.error(
                f"a second exposure for segment {' / '.join(key) or 'Total'}, origin {okeys[i]} (also in row "
                f"{seen_row[s, o]}): keep one row per segment and origin", index=i, column=ocol,
            )
        seen_row[s, o] = table.row_of(i)
        out[s, o] = values[i]
    missing = np.argwhere(np.isnan(out))
    if missing.size:
        s, o = (int(x) for x in missing[0])
        seg_desc = ", ".join(f"{n}={v!r}" for n, v in zip(triangle.segment_names, triangle.segments[s],
                                                           strict=True))
        more = f" (and {missing.shape[0] - 1} more)" if missing.shape[0] > 1 else ""
        raise InputError(
            f"no exposure for {('segment ' + seg_desc + ', ') if seg_desc else ''}origin "
            f"{triangle.origin[o]}{more}: add a row for every segment and origin of the triangle",
            file=table.file, column=ecol,
        )
    return out
