"""Model points: columnar numpy arrays, one entry per model point, validated on construction.

Columns (all of length ``n``):

- ``age_at_entry`` (whole years), ``policy_term`` (whole years, ≥ 1; for an annuity the end of payments,
  for whole life the term up to the end of the mortality table);
- ``sum_insured`` (death benefit per policy; also the maturity benefit of an endowment and the base of the
  morbidity benefit), ``policy_count`` (≥ 0, may be fractional: expected number of policies);
- ``duration_mth``: months in force at the valuation date (lifelib's convention: ``d > 0`` in force, ``d = 0``
  issued at the valuation date, ``d < 0`` future new business issued at month ``−d``);
- ``premium``: premium per payment per policy, or ``None`` when the premium comes from the assumptions'
  premium rule (a tariff table or the net premium with a loading);
- ``premium_frequency``: payments per year (12, 4, 2, 1) or 0 for a single premium at entry;
- ``premium_term``: years of premium payment (default: the policy term; for annuities the deferral period);
- ``product``: ``"term"``, ``"endowment"``, ``"whole_life"`` or ``"annuity"`` (codes :data:`PRODUCTS`);
- ``annuity_amount``: monthly annuity per policy, paid in advance while alive from the end of the deferral
  period (``annuity_deferral`` years after entry; 0 = immediate annuity) to the end of the policy term;
- ``sex``: optional labels selecting the mortality table when the assumptions give one per sex;
- ``group``: optional labels of the IFRS 17 group (e.g. ``"P1/2024/onerous"``) for aggregation;
- ``ids``: optional identifiers used in error messages and results.

Errors name the first bad model point by its index and ``row = index + 2`` (the spreadsheet line of a table
with one header line) and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = ["ANNUITY", "ENDOWMENT", "PRODUCTS", "TERM", "WHOLE_LIFE", "ModelPoints"]

PRODUCTS: tuple[str, ...] = ("term", "endowment", "whole_life", "annuity")
TERM, ENDOWMENT, WHOLE_LIFE, ANNUITY = 0, 1, 2, 3
_FREQUENCIES = (0, 1, 2, 4, 12)


def _bad(mask: npt.NDArray[np.bool_], column: str, what: str, values: npt.NDArray[np.generic]) -> None:
    if np.any(mask):
        i = int(np.flatnonzero(mask)[0])
        value = values[i].item() if isinstance(values[i], np.generic) else values[i]
        raise InputError(
            f"model point at index {i}: {column} {what}; got {value!r}. Correct it or remove the model point.",
            row=i + 2,
            column=column,
        )


def _ints(values: npt.ArrayLike, n: int, column: str) -> IntArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{column} must be whole numbers.", column=column) from exc
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(f"{column} must have {n} values (one per model point); got shape {arr.shape}.", column=column)
    _bad(~np.isfinite(arr) | (arr != np.round(arr)), column, "must be a whole number", arr)
    return arr.astype(np.int64)


def _floats(values: npt.ArrayLike, n: int, column: str) -> FloatArray:
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{column} must be numbers.", column=column) from exc
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(f"{column} must have {n} values (one per model point); got shape {arr.shape}.", column=column)
    _bad(~np.isfinite(arr), column, "must be a finite number", arr)
    _bad(arr < 0, column, "must not be negative", arr)
    return arr


def _labels(values: Sequence[object] | npt.ArrayLike | None, n: int, column: str) -> npt.NDArray[np.generic] | None:
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype)
    if arr.shape != (n,):
        raise InputError(f"{column} must have {n} values (one per model point); got shape {arr.shape}.", column=column)
    return arr


@dataclass(frozen=True)
class ModelPoints:
    """Validated model points (see the module docstring for the columns and conventions)."""

    age_at_entry: IntArray
    policy_term: IntArray
    sum_insured: FloatArray
    policy_count: FloatArray
    duration_mth: IntArray | None = None
    premium: FloatArray | None = None
    premium_frequency: IntArray | None = None
    premium_term: IntArray | None = None
    product: IntArray | Sequence[str] | None = None
    annuity_amount: FloatArray | None = None
    annuity_deferral: IntArray | None = None
    sex: npt.NDArray[np.generic] | Sequence[str] | None = None
    group: npt.NDArray[np.generic] | Sequence[object] | None = None
    ids: npt.NDArray[np.generic] | Sequence[object] | None = None

    def __post_init__(self) -> None:
        ages_raw = np.asarray(self.age_at_entry)
        if ages_raw.ndim != 1:
            raise InputError("age_at_entry must be a 1-D array (one value per model point).", column="age_at_entry")
        n = int(ages_raw.shape[0])
        s = object.__setattr__
        age = _ints(ages_raw, n, "age_at_entry")
        _bad(age < 0, "age_at_entry", "must not be negative", age)
        term = _ints(self.policy_term, n, "policy_term")
        _bad(term < 1, "policy_term", "must be at least 1 year", term)
        s(self, "age_at_entry", age)
        s(self, "policy_term", term)
        s(self, "sum_insured", _floats(self.sum_insured, n, "sum_insured"))
        s(self, "policy_count", _floats(self.policy_count, n, "policy_count"))
        dur = np.zeros(n, dtype=np.int64) if self.duration_mth is None else _ints(self.duration_mth, n, "duration_mth")
        _bad(dur > 12 * term, "duration_mth", "is beyond the policy term (the policy has matured)", dur)
        s(self, "duration_mth", dur)
        if self.premium is not None:
            s(self, "premium", _floats(self.premium, n, "premium"))
        freq = (
            np.full(n, 12, dtype=np.int64)
            if self.premium_frequency is None
            else _ints(self.premium_frequency, n, "premium_frequency")
        )
        _bad(~np.isin(freq, _FREQUENCIES), "premium_frequency", "must be 12, 4, 2, 1 or 0 (single premium)", freq)
        s(self, "premium_frequency", freq)
        product = self._products(n)
        s(self, "product", product)
        amount = np.zeros(n) if self.annuity_amount is None else _floats(self.annuity_amount, n, "annuity_amount")
        s(self, "annuity_amount", amount)
        deferral = (
            np.zeros(n, dtype=np.int64)
            if self.annuity_deferral is None
            else _ints(self.annuity_deferral, n, "annuity_deferral")
        )
        _bad((deferral < 0) | (deferral >= term), "annuity_deferral", "must be within 0 .. policy_term - 1", deferral)
        s(self, "annuity_deferral", deferral)
        if self.premium_term is None:
            pterm = np.where(product == ANNUITY, deferral, term).astype(np.int64)
        else:
            pterm = _ints(self.premium_term, n, "premium_term")
        _bad((pterm < 0) | (pterm > term), "premium_term", "must be within 0 .. policy_term", pterm)
        s(self, "premium_term", pterm)
        s(self, "sex", _labels(self.sex, n, "sex"))
        s(self, "group", _labels(self.group, n, "group"))
        s(self, "ids", _labels(self.ids, n, "ids"))
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.setflags(write=False)

    def _products(self, n: int) -> IntArray:
        if self.product is None:
            return np.zeros(n, dtype=np.int64)
        arr = np.asarray(self.product)
        if arr.ndim == 0:
            arr = np.full(n, arr.item())
        if arr.shape != (n,):
            raise InputError(f"product must have {n} values; got shape {arr.shape}.", column="product")
        if arr.dtype.kind in "iu":
            codes = arr.astype(np.int64)
        else:
            lookup = {name: code for code, name in enumerate(PRODUCTS)}
            codes = np.array([lookup.get(str(p).strip().lower(), -1) for p in arr], dtype=np.int64)
        _bad((codes < 0) | (codes >= len(PRODUCTS)), "product", f"must be one of {', '.join(PRODUCTS)}", arr)
        return codes

    def __len__(self) -> int:
        return int(self.age_at_entry.shape[0])

    @property
    def size(self) -> int:
        return len(self)

    def take(self, index: npt.ArrayLike | slice) -> ModelPoints:
        """The model points at ``index`` (a slice or integer positions), without re-validation."""
        new = object.__new__(ModelPoints)
        for f in fields(self):
            v = getattr(self, f.name)
            object.__setattr__(new, f.name, None if v is None else v[index])
        return new
