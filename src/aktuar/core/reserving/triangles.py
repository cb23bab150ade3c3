"""Claim triangles: origin × development arrays for many segments at once.

A :class:`Triangle` holds a float64 array of shape ``(S, O, D)``: S segments, O origin periods, D development
ages. ``NaN`` marks a cell that is not observed (the lower right, beyond the valuation date). A ``NaN`` inside
the observed region is a hole; methods skip it and say so in their warnings.

Development ages are the months from the start of the origin period to the end of the development period
(12, 24, 36, … for annual development) when the triangle was built from dates; a wide triangle read from a
file keeps the ages its header gives. With a valuation date that does not fall at the end of a development
period (a mid-year valuation of an annual triangle, say), the grid is shifted so that the latest diagonal lies
on it: at 30.06.2024 the annual ages are 6, 18, 30, … This keeps every development factor between equally
developed cells (Friedland 2010, ch. 2; the "age-to-age at the valuation" convention).

Periods are counted in months: ``month index = year * 12 + (month - 1)``.

Money is float64 (not rounded); rounding is a presentation concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Grain = Literal["M", "Q", "H", "Y"]
GRAIN_MONTHS: dict[str, int] = {"M": 1, "Q": 3, "H": 6, "Y": 12}
GRAIN_NAMES: dict[str, str] = {"M": "month", "Q": "quarter", "H": "half-year", "Y": "year"}


def grain_months(grain: str) -> int:
    """Months in a grain code ``M``, ``Q``, ``H`` or ``Y`` (also accepts the words)."""
    code = parse_grain(grain)
    return GRAIN_MONTHS[code]


def parse_grain(grain: str) -> str:
    g = grain.strip().upper()
    words = {"MONTH": "M", "MONTHLY": "M", "QUARTER": "Q", "QUARTERLY": "Q", "HALF": "H", "HALF-YEAR": "H",
             "SEMIANNUAL": "H", "YEAR": "Y", "YEARLY": "Y", "ANNUAL": "Y"}
    g = words.get(g, g)
    if g not in GRAIN_MONTHS:
        raise InputError(f"unknown period grain '{grain}': use M (month), Q (quarter), H (half-year) or Y (year)")
    return g


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_start(m: int) -> date:
    return date(m // 12, m % 12 + 1, 1)


def period_label(m: int, grain: str) -> str:
    """Label of the period that starts at month index ``m``: 2024, 2024H2, 2024Q3, 2024-07."""
    year, month0 = divmod(m, 12)
    if grain == "Y":
        return f"{year}"
    if grain == "H":
        return f"{year}H{month0 // 6 + 1}"
    if grain == "Q":
        return f"{year}Q{month0 // 3 + 1}"
    return f"{year}-{month0 + 1:02d}"


def first_age(valuation_month: int, origin_grain: str, development_grain: str) -> int:
    """Age in months of the first development period on a grid whose diagonal lies on the valuation month.

    Raises ``InputError`` when the development grain is coarser than the origin grain (then the origins'
    diagonals cannot share one grid).
    """
    go, gd = grain_months(origin_grain), grain_months(development_grain)
    if go % gd:
        raise InputError(
            f"the development grain ({GRAIN_NAMES[parse_grain(development_grain)]}) must not be coarser than the "
            f"origin grain ({GRAIN_NAMES[parse_grain(origin_grain)]}): choose a finer development grain"
        )
    # months elapsed from the start of any origin period (aligned to the origin grain) to the valuation month end
    r = (valuation_month + 1) % gd
    return r if r > 0 else gd


def bucket_periods(
    origin_month: IntArray,
    event_month: IntArray,
    valuation_month: int,
    origin_grain: str,
    development_grain: str,
) -> tuple[IntArray, IntArray, int]:
    """Origin period start month and development index of events.

    ``origin_month`` is the month index of the origin date (accident, underwriting or report date) and
    ``event_month`` the month index of the transaction (or valuation) the amount belongs to; both int64
    arrays of equal length. Returns ``(origin_start_month, development_index, first_age)``: the development
    age of index k is ``first_age + k * development_months``. Events before their origin are placed at k = 0
    by the caller's validation; here they are clipped to 0.
    """
    go, gd = grain_months(origin_grain), grain_months(development_grain)
    a0 = first_age(valuation_month, origin_grain, development_grain)
    ostart = origin_month - np.mod(origin_month, go)
    elapsed = event_month - ostart + 1
    k = np.where(elapsed <= a0, 0, -((-(elapsed - a0)) // gd))  # ceil division for the positive part
    return ostart.astype(np.int64), np.maximum(k, 0).astype(np.int64), a0


@dataclass(frozen=True, eq=False)
class Triangle:
    """Loss triangles of many segments sharing one origin × development grid.

    ``values[s, o, d]`` is the amount of segment ``s``, origin ``o`` at development age ``development[d]``;
    cumulative when ``cumulative`` is true, else incremental. ``segments[s]`` is the tuple of segment-key
    values named by ``segment_names`` (empty for a single unnamed segment).
    """

    values: FloatArray
    origin: tuple[str, ...]
    development: IntArray
    segments: tuple[tuple[str, ...], ...] = ((),)
    segment_names: tuple[str, ...] = ()
    cumulative: bool = True
    origin_grain: str | None = None
    development_grain: str | None = None
    origin_start: tuple[int, ...] | None = None  # month index of each origin's first month
    valuation: date | None = None
    measure: str = "value"
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        if v.ndim == 2:
            v = v[None, :, :]
        if v.ndim != 3:
            raise InputError("a triangle needs values of shape (segments, origins, development ages)")
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "development", np.asarray(self.development, dtype=np.int64))
        object.__setattr__(self, "origin", tuple(str(o) for o in self.origin))
        s, o, d = v.shape
        if len(self.origin) != o:
            raise InputError(f"{len(self.origin)} origin labels for {o} origin rows")
        if self.development.shape != (d,):
            raise InputError(f"{self.development.shape[0]} development ages for {d} development columns")
        if d > 1 and np.any(np.diff(self.development) <= 0):
            raise InputError("development ages must be strictly increasing")
        if len(self.segments) != s:
            raise InputError(f"{len(self.segments)} segment keys for {s} segments")
        if any(len(k) != len(self.segment_names) for k in self.segments):
            raise InputError("every segment key needs one value per segment column")
        if self.origin_start is not None and len(self.origin_start) != o:
            raise InputError("one origin start month is needed per origin")
        if np.isinf(v).any():
            raise InputError("a triangle cell is infinite: check the input amounts")

    # ----------------------------------------------------------------- shape
    @property
    def shape(self) -> tuple[int, int, int]:
        s, o, d = self.values.shape
        return s, o, d

    @property
    def n_segments(self) -> int:
        return int(self.values.shape[0])

    def segment_label(self, s: int) -> str:
        key = self.segments[s]
        return " / ".join(key) if key else "Total"

    def segment_dict(self, s: int) -> dict[str, str]:
        return dict(zip(self.segment_names, self.segments[s], strict=True))

    # ------------------------------------------------------------- diagonals
    @property
    def observed(self) -> BoolArray:
        """Cells with a value (finite)."""
        return np.isfinite(self.values)

    def latest_index(self) -> IntArray:
        """Index of the last observed development age per (segment, origin); -1 where there is none."""
        obs = self.observed
        d = obs.shape[2]
        last = d - 1 - np.argmax(obs[:, :, ::-1], axis=2)
        return np.where(obs.any(axis=2), last, -1).astype(np.int64)

    def latest(self) -> FloatArray:
        """Latest observed cumulative value per (segment, origin); 0 where an origin has no observation."""
        cum = self.cum()
        idx = self.latest_index()
        vals = np.take_along_axis(cum.values, np.maximum(idx, 0)[:, :, None], axis=2)[:, :, 0]
        return np.where(idx >= 0, np.nan_to_num(vals), 0.0)

    def holes(self) -> BoolArray:
        """Unobserved cells that lie before an origin's latest observation."""
        idx = self.latest_index()
        before = np.arange(self.values.shape[2])[None, None, :] <= idx[:, :, None]
        return before & ~self.observed

    # ------------------------------------------------- cumulative/incremental
    def cum(self) -> Triangle:
        """Cumulative triangle; holes count as zero increments."""
        if self.cumulative:
            return self
        idx = self.latest_index()
        c = np.nancumsum(self.values, axis=2)
        beyond = np.arange(self.values.shape[2])[None, None, :] > idx[:, :, None]
        c = np.where(beyond, np.nan, c)
        return replace(self, values=c, cumulative=True)

    def incr(self) -> Triangle:
        """Incremental triangle; a hole repeats the cumulative value before it (zero increment)."""
        if not self.cumulative:
            return self
        v = self.values
        idx = self.latest_index()
        ff = _forward_fill(v)
        prev = np.concatenate([np.zeros_like(ff[:, :, :1]), ff[:, :, :-1]], axis=2)
        inc = np.nan_to_num(ff) - np.nan_to_num(prev)
        beyond = np.arange(v.shape[2])[None, None, :] > idx[:, :, None]
        inc = np.where(beyond, np.nan, inc)
        return replace(self, values=inc, cumulative=False)

    # --------------------------------------------------------------- segments
    def sum_segments(self, label: str = "Total") -> Triangle:
        """One segment holding the sum of all; a cell is observed when any segment observes it."""
        v = self.values
        any_obs = np.isfinite(v).any(axis=0)
        total = np.where(any_obs, np.nansum(v, axis=0), np.nan)[None]
        key: tuple[str, ...] = tuple(label for _ in self.segment_names)
        return replace(self, values=total, segments=(key,))

    def select(self, criteria: Mapping[str, str] | Sequence[int]) -> Triangle:
        """Segments matching every ``column: value`` in ``criteria``, or the segments at the given indices."""
        if isinstance(criteria, Mapping):
            for name in criteria:
                if name not in self.segment_names:
                    raise InputError(f"no segment column '{name}': the columns are {list(self.segment_names)}")
            pos = [self.segment_names.index(n) for n in criteria]
            wanted = [str(criteria[n]) for n in criteria]
            keep = [i for i, k in enumerate(self.segments) if [k[p] for p in pos] == wanted]
            if not keep:
                raise InputError(f"no segment matches {dict(criteria)}")
        else:
            keep = [int(i) for i in criteria]
        return replace(self, values=self.values[keep], segments=tuple(self.segments[i] for i in keep))

    def group_segments(self, by: Sequence[str]) -> Triangle:
        """Sum segments over the columns not in ``by`` (e.g. from class × region to class)."""
        for name in by:
            if name not in self.segment_names:
                raise InputError(f"no segment column '{name}': the columns are {list(self.segment_names)}")
        pos = [self.segment_names.index(n) for n in by]
        keys = [tuple(k[p] for p in pos) for k in self.segments]
        uniq = sorted(set(keys))
        code = np.array([uniq.index(k) for k in keys], dtype=np.int64)
        v = self.values
        obs = np.isfinite(v)
        out = np.zeros((len(uniq),) + v.shape[1:])
        cnt = np.zeros((len(uniq),) + v.shape[1:], dtype=np.int64)
        np.add.at(out, code, np.nan_to_num(v))
        np.add.at(cnt, code, obs.astype(np.int64))
        out = np.where(cnt > 0, out, np.nan)
        return replace(self, values=out, segments=tuple(uniq), segment_names=tuple(by))

    # ------------------------------------------------------------------ grain
    def regrain(self, origin_grain: str | None = None, development_grain: str | None = None) -> Triangle:
        """The same data on a coarser origin and/or development grain (e.g. monthly × monthly to yearly ×
        quarterly). Needs a triangle built from dates; a finer grain than the data has cannot be made.
        """
        if self.origin_start is None or self.origin_grain is None or self.development_grain is None:
            raise InputError("this triangle has no period dates (it was read as a wide table): it cannot be regrained")
        og = parse_grain(origin_grain or self.origin_grain)
        dg = parse_grain(development_grain or self.development_grain)
        if GRAIN_MONTHS[og] < GRAIN_MONTHS[self.origin_grain] or GRAIN_MONTHS[og] % GRAIN_MONTHS[self.origin_grain]:
            raise InputError(f"cannot turn {GRAIN_NAMES[self.origin_grain]} origins into {GRAIN_NAMES[og]} origins")
        if GRAIN_MONTHS[dg] < GRAIN_MONTHS[self.development_grain] or GRAIN_MONTHS[dg] % GRAIN_MONTHS[
            self.development_grain
        ]:
            raise InputError(
                f"cannot turn {GRAIN_NAMES[self.development_grain]} development into {GRAIN_NAMES[dg]} development"
            )
        inc = self.incr().values
        s, o, d = inc.shape
        ostart = np.asarray(self.origin_start, dtype=np.int64)
        vmonth = self.valuation_month()
        # month index in which each cell's development period ends
        end_month = ostart[:, None] + self.development[None, :] - 1
        om = np.broadcast_to(ostart[:, None], (o, d)).ravel()
        new_ostart, k, a0 = bucket_periods(om, end_month.ravel(), vmonth, og, dg)
        starts = np.unique(new_ostart)
        o_code = np.searchsorted(starts, new_ostart)
        gd = GRAIN_MONTHS[dg]
        past = end_month.ravel() <= vmonth  # cells after the valuation hold nothing and add no column
        n_dev = int(k[past].max()) + 1 if past.any() else 1
        flat = inc.reshape(s, o * d)
        out = np.zeros((s, starts.size, n_dev))
        obs = np.zeros((s, starts.size, n_dev), dtype=bool)
        lin = o_code * n_dev + k
        for i in range(s):
            row = flat[i]
            f = np.isfinite(row) & past
            out[i] = np.bincount(lin[f], weights=row[f], minlength=starts.size * n_dev).reshape(starts.size, n_dev)
            obs[i] = np.bincount(lin[f], minlength=starts.size * n_dev).reshape(starts.size, n_dev) > 0
        ages = a0 + gd * np.arange(n_dev)
        future = (starts[:, None] + ages[None, :] - 1) > vmonth
        out = np.where(obs | ~future[None], out, np.nan)
        out = np.where(future[None], np.nan, out)
        tri = Triangle(
            values=out,
            origin=tuple(period_label(int(m), og) for m in starts),
            development=ages.astype(np.int64),
            segments=self.segments,
            segment_names=self.segment_names,
            cumulative=False,
            origin_grain=og,
            development_grain=dg,
            origin_start=tuple(int(m) for m in starts),
            valuation=self.valuation,
            measure=self.measure,
        )
        return tri.cum() if self.cumulative else tri

    def valuation_month(self) -> int:
        """Month index of the valuation: the given date, else the latest observed month."""
        if self.valuation is not None:
            return month_index(self.valuation)
        if self.origin_start is None:
            raise InputError("this triangle has no period dates")
        ends = np.asarray(self.origin_start)[:, None] + self.development[None, :] - 1
        obs = self.observed.any(axis=0)
        return int(ends[obs].max()) if obs.any() else int(ends.min())

    def with_values(self, values: FloatArray, **changes: object) -> Triangle:
        return replace(self, values=values, **changes)  # type: ignore[arg-type]


def _forward_fill(v: FloatArray) -> FloatArray:
    """Forward-fill NaN along the last axis (holes take the value before them)."""
    mask = np.isfinite(v)
    idx = np.where(mask, np.arange(v.shape[-1])[None, None, :], 0)
    np.maximum.accumulate(idx, axis=-1, out=idx)
    filled = np.take_along_axis(np.nan_to_num(v), idx, axis=-1)
    started = np.maximum.accumulate(mask, axis=-1)
    return np.where(started, filled, np.nan)


def from_array(
    values: npt.ArrayLike,
    origin: Sequence[object] | None = None,
    development: Sequence[int] | None = None,
    *,
    cumulative: bool = True,
) -> Triangle:
    """A single-segment triangle from a 2-D array (rows origins, columns development ages)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise InputError("a 2-D array (origins × development ages) is needed")
    o, d = v.shape
    return Triangle(
        values=v[None],
        origin=tuple(str(x) for x in (origin if origin is not None else range(1, o + 1))),
        development=np.asarray(development if development is not None else np.arange(1, d + 1), dtype=np.int64),
        cumulative=cumulative,
    )


def describe_grain(tri: Triangle) -> str:
    if tri.origin_grain and tri.development_grain:
        return f"origin {GRAIN_NAMES[tri.origin_grain]} × development {GRAIN_NAMES[tri.development_grain]}"
    return "origin × development as given"


__all__ = [
    "GRAIN_MONTHS",
    "Triangle",
    "bucket_periods",
    "describe_grain",
    "first_age",
    "from_array",
    "grain_months",
    "month_index",
    "month_start",
    "parse_grain",
    "period_label",
]


EPOCH_MONTH = 1970 * 12
"""Month index of January 1970, the origin of numpy's ``datetime64[M]``."""


def day_month_table(first_day: int, last_day: int) -> IntArray:
    """Month index of every day from ``first_day`` to ``last_day`` (days since 1970-01-01, inclusive).

    Built with numpy's own calendar (``astype('datetime64[M]')``) on the short range of days only, so that
    converting millions of dates is a table look-up (:func:`months_of_days`) instead of a calendar computation
    per element.
    """
    days = np.arange(first_day, last_day + 1, dtype=np.int64).astype("datetime64[D]")
    return days.astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH


def months_of_days(days: npt.NDArray[np.integer] | npt.NDArray[np.datetime64]) -> IntArray:
    """Month index (``year * 12 + month - 1``) of each date (``datetime64`` or integer days since 1970-01-01).

    Equal to ``days.astype('datetime64[M]')`` shifted to month indices; a look-up table over the dates'
    range is used when that range is short compared with the number of dates (the usual case: many
    transactions over a few decades), else the direct conversion. ``NaT`` is not allowed.
    """
    a = np.asarray(days)
    if np.issubdtype(a.dtype, np.datetime64):
        if a.dtype != np.dtype("datetime64[D]"):
            a = a.astype("datetime64[D]")
        a = a.view(np.int64)
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(a.min()), int(a.max())
    if hi - lo + 1 > max(4 * a.size, 1 << 16):
        return a.astype(np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH
    table = day_month_table(lo, hi)
    return np.take(table, a - lo)


__all__ += ["EPOCH_MONTH", "day_month_table", "months_of_days"]
