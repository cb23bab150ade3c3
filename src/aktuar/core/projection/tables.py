"""Decrement tables (mortality, lapse, morbidity), premium-rate tables and annual spot-rate discounting.

A :class:`DecrementTable` holds *annual* rates ``q`` in a 2-D grid ``[attained age, duration]`` where the
duration is the policy year (curtate years since entry, 0 in the first year). The last column is the
*ultimate* rate: a table with ``s + 1`` columns has a select period of ``s`` years and every duration
``d ≥ s`` reads column ``s`` (the usual select/ultimate layout ``q[x] , q[x]+1, …, q x+s``, e.g. the
CMI/SOA layout with the attained age on the rows). Age-independent tables (lapse by policy year) have one row,
duration-independent tables (mortality without select effect, morbidity incidence by age) have one column.

Annual rates are turned into monthly rates under a constant force of decrement within the year:
``q_m = 1 − (1 − q)^(1/12)`` (the convention of lifelib's ``basiclife`` models).

:class:`PremiumRateTable` is a tariff by age at entry × policy term (premium per unit of sum insured per
month), rounded to cents as lifelib's ``BasicTerm_ME.premium_pp``. :class:`AnnualSpotRates` discounts at
annually compounded spot rates held by whole projection year: month ``t`` uses the rate of year ``t // 12``,
``v(t) = (1 + i_m)^(−t)`` with ``i_m = (1 + r_{t//12})^(1/12) − 1`` (lifelib's ``disc_factors``). Any object
with ``discount(t)`` in years (e.g. :class:`aktuar.core.curves.Curve`) can be used instead.

Pure calculation: numpy in, frozen dataclasses out; annual rates are float64 decimals in ``[0, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = ["AnnualSpotRates", "DecrementTable", "MortalityTable", "PremiumRateTable", "monthly_rate"]


def monthly_rate(annual: npt.ArrayLike) -> FloatArray:
    """Monthly rate ``1 − (1 − q)^(1/12)`` of an annual rate under a constant force within the year."""
    q = np.asarray(annual, dtype=np.float64)
    return np.asarray(1.0 - (1.0 - q) ** (1.0 / 12.0), dtype=np.float64)


@dataclass(frozen=True)
class DecrementTable:
    """Annual decrement rates by attained age (rows, from ``min_age``) and policy year (columns, ultimate last).

    ``min_age=None`` makes the table age-independent (exactly one row). Use the constructors
    :meth:`select_ultimate`, :meth:`by_duration`, :meth:`by_age` and :meth:`constant`.
    """

    rates: FloatArray
    min_age: int | None = None
    name: str = "table"

    def __post_init__(self) -> None:
        try:
            arr = np.array(self.rates, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{self.name}: rates must be numbers.", column=self.name) from exc
        if arr.ndim == 1:
            arr = arr[None, :] if self.min_age is None else arr[:, None]
        if arr.ndim != 2 or arr.size == 0:
            raise InputError(
                f"{self.name}: rates must be a non-empty 2-D grid [age, duration]; got shape {arr.shape}.",
                column=self.name,
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < 0.0) or np.any(arr > 1.0):
            bad = np.argwhere(~(np.isfinite(arr) & (arr >= 0.0) & (arr <= 1.0)))[0]
            age = "" if self.min_age is None else f" age {self.min_age + int(bad[0])},"
            raise InputError(
                f"{self.name}:{age} duration {int(bad[1])}: a rate must be between 0 and 1; "
                f"got {arr[bad[0], bad[1]]}.",
                column=self.name,
            )
        if self.min_age is None and arr.shape[0] != 1:
            raise InputError(
                f"{self.name}: a table with several age rows needs min_age (the age of the first row).",
                column=self.name,
            )
        if self.min_age is not None and (int(self.min_age) != self.min_age or self.min_age < 0):
            raise InputError(f"{self.name}: min_age must be a whole number >= 0.", column=self.name)
        arr.setflags(write=False)
        object.__setattr__(self, "rates", arr)

    @classmethod
    def select_ultimate(cls, rates: npt.ArrayLike, min_age: int, name: str = "mortality") -> DecrementTable:
        """Select/ultimate table: ``rates[age − min_age, d]`` for policy year ``d``; the last column is ultimate."""
        return cls(np.asarray(rates, dtype=np.float64), int(min_age), name)

    @classmethod
    def by_duration(cls, rates: npt.ArrayLike, name: str = "lapse") -> DecrementTable:
        """Rates by policy year 0, 1, …; the last value applies to all later years (e.g. lapses)."""
        return cls(np.asarray(rates, dtype=np.float64).reshape(1, -1), None, name)

    @classmethod
    def by_age(cls, rates: npt.ArrayLike, min_age: int, name: str = "morbidity") -> DecrementTable:
        """Rates by attained age from ``min_age`` (one column, e.g. morbidity incidence or ultimate mortality)."""
        return cls(np.asarray(rates, dtype=np.float64).reshape(-1, 1), int(min_age), name)

    @classmethod
    def constant(cls, rate: float, name: str = "table") -> DecrementTable:
        """The same annual rate at every age and duration."""
        return cls(np.full((1, 1), float(rate)), None, name)

    @property
    def age_dependent(self) -> bool:
        return self.min_age is not None

    @property
    def max_age(self) -> int | None:
        """Highest attained age in the table (``None`` for an age-independent table)."""
        return None if self.min_age is None else self.min_age + self.rates.shape[0] - 1

    @property
    def select_period(self) -> int:
        """Number of select years (columns before the ultimate column)."""
        return int(self.rates.shape[1] - 1)

    def annual(self, age: npt.ArrayLike, duration: npt.ArrayLike) -> FloatArray:
        """Annual rates at attained ``age`` and policy year ``duration`` (capped at the ultimate column)."""
        a = np.asarray(age, dtype=np.int64)
        d = np.asarray(duration, dtype=np.int64)
        if np.any(d < 0):
            raise InputError(f"{self.name}: durations must be >= 0.", column=self.name)
        col = np.minimum(d, self.rates.shape[1] - 1)
        if self.min_age is None:
            return np.asarray(self.rates[0, col], dtype=np.float64)
        assert self.max_age is not None
        if np.any(a < self.min_age) or np.any(a > self.max_age):
            raise InputError(
                f"{self.name}: ages must be within {self.min_age}..{self.max_age} of the table.", column=self.name
            )
        return np.asarray(self.rates[a - self.min_age, col], dtype=np.float64)

    def monthly(self, age: npt.ArrayLike, duration: npt.ArrayLike) -> FloatArray:
        """Monthly rates ``1 − (1 − q)^(1/12)`` at attained ``age`` and policy year ``duration``."""
        return monthly_rate(self.annual(age, duration))


MortalityTable = DecrementTable
"""A mortality table is a :class:`DecrementTable` (select/ultimate by attained age × policy year)."""


@dataclass(frozen=True)
class PremiumRateTable:
    """Monthly premium per unit of sum insured by age at entry × policy term (years).

    The premium per policy is ``round(sum_insured × rate, decimals)`` (half to even, as numpy's ``around``),
    lifelib's ``BasicTerm_ME.premium_pp``.
    """

    entry_ages: IntArray
    terms: IntArray
    rates: FloatArray
    decimals: int | None = 2

    def __post_init__(self) -> None:
        ages = np.asarray(self.entry_ages, dtype=np.int64).ravel()
        terms = np.asarray(self.terms, dtype=np.int64).ravel()
        rates = np.asarray(self.rates, dtype=np.float64).ravel()
        if not (ages.shape == terms.shape == rates.shape) or ages.size == 0:
            raise InputError(
                "premium rate table: entry_ages, terms and rates must have the same non-zero length.",
                column="premium_rate",
            )
        if not np.all(np.isfinite(rates)) or np.any(rates < 0):
            raise InputError("premium rate table: rates must be finite and >= 0.", column="premium_rate")
        keys = ages * 1_000 + terms
        order = np.argsort(keys, kind="stable")
        if np.any(np.diff(keys[order]) == 0):
            raise InputError("premium rate table: an (entry age, term) pair appears twice.", column="premium_rate")
        object.__setattr__(self, "entry_ages", ages[order])
        object.__setattr__(self, "terms", terms[order])
        object.__setattr__(self, "rates", rates[order])

    def rate(self, entry_age: npt.ArrayLike, term: npt.ArrayLike) -> FloatArray:
        """Rates for each (entry age, term); raises :class:`InputError` naming the first missing pair."""
        a = np.asarray(entry_age, dtype=np.int64)
        t = np.asarray(term, dtype=np.int64)
        keys = self.entry_ages * 1_000 + self.terms
        want = a * 1_000 + t
        pos = np.clip(np.searchsorted(keys, want), 0, keys.size - 1)
        found = keys[pos] == want
        if not np.all(found):
            i = int(np.flatnonzero(~found)[0])
            raise InputError(
                f"model point at index {i}: no premium rate for age at entry {int(a.ravel()[i])} and term "
                f"{int(t.ravel()[i])}; add it to the premium rate table or give the premium.",
                row=i + 2,
                column="age_at_entry",
            )
        return np.asarray(self.rates[pos], dtype=np.float64)

    def premium(self, entry_age: npt.ArrayLike, term: npt.ArrayLike, sum_insured: npt.ArrayLike) -> FloatArray:
        """Monthly premium per policy ``round(sum_insured × rate, decimals)``."""
        p = np.asarray(sum_insured, dtype=np.float64) * self.rate(entry_age, term)
        return np.asarray(p if self.decimals is None else np.around(p, self.decimals), dtype=np.float64)


@dataclass(frozen=True)
class AnnualSpotRates:
    """Annually compounded spot rates by projection year 0, 1, …; later years use the last rate.

    Month ``t`` is discounted by ``(1 + i_m)^(−t)`` with ``i_m = (1 + r_{t // 12})^(1/12) − 1``: the spot rate of
    the year containing the month (lifelib ``basiclife``). ``discount(t)`` (years) gives the same factors at
    whole months and ``(1 + r_{⌊t⌋})^(−t)`` in between.
    """

    rates: FloatArray

    def __post_init__(self) -> None:
        r = np.array(self.rates, dtype=np.float64, copy=True).ravel()
        if r.size == 0 or not np.all(np.isfinite(r)) or np.any(r <= -1.0):
            raise InputError("spot rates must be finite numbers above -100 %.", column="discount")
        r.setflags(write=False)
        object.__setattr__(self, "rates", r)

    def monthly_factors(self, months: int) -> FloatArray:
        """Discount factors at months ``0 … months`` (``months + 1`` values)."""
        t = np.arange(months + 1)
        r = self.rates[np.minimum(t // 12, self.rates.size - 1)]
        i_m = (1.0 + r) ** (1.0 / 12.0) - 1.0
        return np.asarray((1.0 + i_m) ** (-t.astype(np.float64)), dtype=np.float64)

    def discount(self, t: npt.ArrayLike) -> FloatArray:
        """Discount factors at times ``t`` in years."""
        tt = np.asarray(t, dtype=np.float64)
        if np.any(tt < 0) or not np.all(np.isfinite(tt)):
            raise InputError("times must be finite and >= 0.", column="discount")
        months = np.floor(tt * 12.0 + 1e-9)
        r = self.rates[np.minimum((months // 12).astype(np.int64), self.rates.size - 1)]
        return np.asarray((1.0 + r) ** (-tt), dtype=np.float64)
