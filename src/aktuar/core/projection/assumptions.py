"""Projection assumptions: decrements, expenses with inflation, commissions, premium rule and discounting.

- ``mortality``: a :class:`~aktuar.core.projection.tables.DecrementTable` (select/ultimate) or one table per
  sex label (``{"M": …, "F": …}``, selected by the model points' ``sex``);
- ``lapse``: a table by policy year and/or age (``None``: no lapses); lapses pay nothing (no surrender value);
- ``morbidity``: incidence of a lump-sum morbidity benefit ``morbidity_benefit × sum_insured`` that ends the
  policy (accelerated critical-illness / permanent-disability cover; ``None``: no morbidity);
- expenses: ``acquisition_expense`` per new policy at issue, ``maintenance_expense`` per policy in force per
  year (paid monthly, ``/12``), ``premium_expense`` as a share of premiums; maintenance expenses grow with
  ``expense_inflation`` as ``(1 + i)^(t/12)`` at projection month ``t`` (lifelib's ``inflation_factor``);
- ``commission``: shares of premiums by policy year (``(1.0,)``: 100 % of first-year premiums, lifelib);
- ``premium_rule``: where model points have no premium: a
  :class:`~aktuar.core.projection.tables.PremiumRateTable`, or :class:`NetPremium` (``round((1 + loading) ×
  PV claims / PV premium-paying policies in force, 2)``, lifelib ``BasicTerm_M/S``);
- ``discount``: :class:`~aktuar.core.projection.tables.AnnualSpotRates`, any curve with ``discount(t)`` in years
  (:class:`aktuar.core.curves.Curve`), or an annual flat rate;
- ``claims_timing``: ``"beginning"`` discounts death/morbidity claims from the start of the month of death
  (lifelib), ``"end"`` from the end of the month.

Decrements in a month are applied in the order death → morbidity → lapse, each on the survivors of the
previous one (lifelib's ``pols_lapse = (pols_if − pols_death) × lapse_rate_mth``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from aktuar.core.projection.tables import AnnualSpotRates, DecrementTable, PremiumRateTable
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = ["Assumptions", "DiscountSource", "NetPremium", "basic_term_assumptions"]


@runtime_checkable
class DiscountSource(Protocol):
    """Anything with ``discount(t)`` (t in years) returning discount factors."""

    def discount(self, t: npt.ArrayLike) -> npt.ArrayLike: ...


@dataclass(frozen=True)
class NetPremium:
    """Premium per payment = ``round((1 + loading) × PV claims / PV premium-paying in force, decimals)``.

    Computed per model point from its own projection (equivalence principle with a loading), as lifelib's
    ``BasicTerm_S``/``BasicTerm_M`` ``premium_pp``. Claims include the morbidity benefit.
    """

    loading: float = 0.0
    decimals: int | None = 2

    def __post_init__(self) -> None:
        if not np.isfinite(self.loading) or self.loading <= -1.0:
            raise InputError("net premium loading must be a number above -100 %.", column="loading")


PremiumRule = PremiumRateTable | NetPremium


def _rate(value: float, name: str, *, upper: float | None = None) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0.0 or (upper is not None and v > upper):
        lim = "" if upper is None else f" and at most {upper}"
        raise InputError(f"{name} must be a finite number >= 0{lim}; got {value!r}.", column=name)
    return v


@dataclass(frozen=True)
class Assumptions:
    """Best-estimate assumptions of a projection (see the module docstring)."""

    mortality: DecrementTable | Mapping[str, DecrementTable]
    discount: AnnualSpotRates | DiscountSource | float
    lapse: DecrementTable | None = None
    morbidity: DecrementTable | None = None
    morbidity_benefit: float = 1.0
    acquisition_expense: float = 0.0
    maintenance_expense: float = 0.0
    premium_expense: float = 0.0
    expense_inflation: float = 0.0
    commission: Sequence[float] = field(default_factory=tuple)
    premium_rule: PremiumRule | None = None
    claims_timing: Literal["beginning", "end"] = "end"

    def __post_init__(self) -> None:
        tables = self.mortality_tables()
        if not tables:
            raise InputError("mortality: give a table (or one per sex).", column="mortality")
        for label, table in tables.items():
            if not isinstance(table, DecrementTable):
                raise InputError(f"mortality[{label!r}] must be a DecrementTable.", column="mortality")
        for name in ("lapse", "morbidity"):
            t = getattr(self, name)
            if t is not None and not isinstance(t, DecrementTable):
                raise InputError(f"{name} must be a DecrementTable or None.", column=name)
        _rate(self.morbidity_benefit, "morbidity_benefit")
        _rate(self.acquisition_expense, "acquisition_expense")
        _rate(self.maintenance_expense, "maintenance_expense")
        _rate(self.premium_expense, "premium_expense")
        infl = float(self.expense_inflation)
        if not np.isfinite(infl) or infl <= -1.0:
            raise InputError("expense_inflation must be a number above -100 %.", column="expense_inflation")
        comm = tuple(_rate(c, "commission") for c in self.commission)
        object.__setattr__(self, "commission", comm)
        if self.claims_timing not in ("beginning", "end"):
            raise InputError("claims_timing must be 'beginning' or 'end'.", column="claims_timing")
        if isinstance(self.discount, (int, float)):
            r = float(self.discount)
            if not np.isfinite(r) or r <= -1.0:
                raise InputError("discount rate must be a number above -100 %.", column="discount")
        elif not isinstance(self.discount, (AnnualSpotRates, DiscountSource)):
            raise InputError(
                "discount must be AnnualSpotRates, a curve with discount(t) or an annual rate.", column="discount"
            )

    def mortality_tables(self) -> dict[str, DecrementTable]:
        """Mortality tables by sex label (``{"": table}`` for a single table)."""
        if isinstance(self.mortality, DecrementTable):
            return {"": self.mortality}
        return {str(k): v for k, v in self.mortality.items()}

    def monthly_discount(self, months: int) -> FloatArray:
        """Discount factors at months ``0 … months``."""
        if isinstance(self.discount, AnnualSpotRates):
            return self.discount.monthly_factors(months)
        t = np.arange(months + 1, dtype=np.float64)
        if isinstance(self.discount, (int, float)):
            return np.asarray((1.0 + float(self.discount)) ** (-t / 12.0), dtype=np.float64)
        v = np.asarray(self.discount.discount(t / 12.0), dtype=np.float64).reshape(months + 1)
        if not np.all(np.isfinite(v)) or np.any(v <= 0.0):
            raise InputError("the discount curve gives non-positive or missing discount factors.", column="discount")
        return v

    def inflation_factors(self, months: int) -> FloatArray:
        """Expense inflation factors ``(1 + i)^(t/12)`` at months ``0 … months − 1``."""
        t = np.arange(months, dtype=np.float64)
        return np.asarray((1.0 + float(self.expense_inflation)) ** (t / 12.0), dtype=np.float64)


def basic_term_assumptions(
    mortality_rates: npt.ArrayLike,
    mortality_min_age: int,
    spot_rates: npt.ArrayLike,
    premium_table: PremiumRateTable | None = None,
    *,
    loading: float = 0.5,
) -> Assumptions:
    """lifelib ``basiclife.BasicTerm_ME`` expressed with the general API.

    ``mortality_rates``: lifelib's ``mort_table`` (rows = attained age from ``mortality_min_age``, columns =
    policy years 0–5, the last ultimate); ``spot_rates``: ``disc_rate_ann`` by year; ``premium_table``: its
    ``premium_table`` (rate per unit sum assured by entry age × term). Without a premium table the premium is the
    net premium with ``loading`` (``BasicTerm_M``). Lapses ``max(0.1 − 0.02 × duration, 0.02)``, acquisition
    expense 300 per new policy, maintenance 60 a year inflating at 1 %, 100 % first-year commission, claims
    discounted from the start of the month.
    """
    lapse = np.maximum(0.1 - 0.02 * np.arange(5), 0.02)
    return Assumptions(
        mortality=DecrementTable.select_ultimate(mortality_rates, mortality_min_age, "mortality"),
        lapse=DecrementTable.by_duration(lapse, "lapse"),
        discount=AnnualSpotRates(np.asarray(spot_rates, dtype=np.float64)),
        acquisition_expense=300.0,
        maintenance_expense=60.0,
        expense_inflation=0.01,
        commission=(1.0,),
        premium_rule=premium_table if premium_table is not None else NetPremium(loading),
        claims_timing="beginning",
    )
