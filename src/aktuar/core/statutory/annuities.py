"""Predicted payments of compulsory employee accident insurance (OSNS): annuities to victims and dependants
(KZ191-OP item 8(6); KZ84-LIC "re-examination of loss of professional working capacity").

Each beneficiary receives a monthly payment ``A`` (the amount in force at the valuation) in advance on the
first day of each month from the valuation, while alive, until the end date of the entitlement (a
dependant child's age limit, the end of the degree's term when it is not expected to be re-established) or
for life (``end = None``). For a victim whose degree of loss of professional working capacity is established
until a re-examination date, at each re-examination (every ``reexam_years`` after the first) the degree is
extended with probability ``p_ext`` and otherwise changes to ``r`` times the payment (``r = 0``: recovery),
so the expected payment factor after j re-examinations is

    f_j = (p_ext + (1 − p_ext)·r)^j      (item 8(6): "re-examination and (or) extension of the degree")

Payments grow by ``indexation`` a year (0 unless the methodology indexes them). Expected payment in month
m (t = m/12 years): ``A·(1+g)^⌊t⌋·f_{j(t)}·ₜp_x`` with ``ₜp_x`` from the table, constant force within each
year of age (``p^{1/12}`` per month), and present value ``Σ_m CF_m·P(t_m)`` with ``P`` the discount function
(a flat annual rate or a curve with ``discount(t)``, e.g. :class:`aktuar.core.curves.Curve`). Every
parameter is recorded in the result. The mortality table is a :class:`~aktuar.core.statutory.life.LifeTable`
(the pack's illustrative Makeham table unless the actuary gives the approved one; the result says which).
Money float64 unrounded. Limitations: no invalidity-specific mortality, no remarriage or study-extension
decrements for dependants (give an end date), payments monthly in advance.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from aktuar.core.statutory.life import LifeTable
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = ["AnnuityResult", "Beneficiary", "ReexaminationAssumption", "osns_annuities"]


class _Discount(Protocol):
    def discount(self, t: npt.ArrayLike) -> npt.ArrayLike: ...


@dataclass(frozen=True)
class ReexaminationAssumption:
    """``p_extend``: probability the degree is extended at a re-examination; ``ratio_if_changed``: the
    expected payment, relative to the current one, when it is not (0 = recovery); ``interval_years``: years
    between re-examinations after the first."""

    p_extend: float = 1.0
    ratio_if_changed: float = 0.0
    interval_years: float = 1.0

    def __post_init__(self) -> None:
        if not (0 <= self.p_extend <= 1 and 0 <= self.ratio_if_changed and self.interval_years > 0):
            raise InputError("re-examination: p_extend in [0, 1], ratio ≥ 0, interval > 0", column="reexamination")

    @property
    def factor(self) -> float:
        return self.p_extend + (1.0 - self.p_extend) * self.ratio_if_changed


@dataclass(frozen=True)
class Beneficiary:
    """``kind``: 'victim' or 'dependant'; ``monthly``: payment per month; ``birth``: date of birth;
    ``end``: last date of entitlement (None = for life); ``reexamination``: next re-examination date of a
    victim's degree (None = established without a term); ``degree``: the degree (%) for the record."""

    beneficiary_id: str
    kind: str
    monthly: float
    birth: _dt.date
    end: _dt.date | None = None
    reexamination: _dt.date | None = None
    degree: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("victim", "dependant"):
            raise InputError(f"beneficiary '{self.beneficiary_id}': kind must be victim or dependant", column="kind")
        if not np.isfinite(self.monthly) or self.monthly < 0:
            raise InputError(f"beneficiary '{self.beneficiary_id}': the monthly payment must be ≥ 0",
                             column="monthly")
        if self.degree is not None and not 0 <= self.degree <= 100:
            raise InputError(f"beneficiary '{self.beneficiary_id}': the degree is a percentage 0-100",
                             column="degree")


@dataclass(frozen=True)
class AnnuityResult:
    ids: tuple[str, ...]
    present_value: FloatArray
    undiscounted: FloatArray
    yearly_cash_flows: FloatArray  # (N, Y) expected payments per year after the valuation
    total: float
    by_kind: dict[str, float]
    parameters: dict[str, Any] = field(default_factory=dict)


def _years(a: _dt.date, b: _dt.date) -> float:
    return (b - a).days / 365.25


def osns_annuities(
    beneficiaries: Sequence[Beneficiary],
    valuation: _dt.date,
    table: LifeTable,
    discount: float | _Discount,
    *,
    reexamination: ReexaminationAssumption | None = None,
    indexation: float = 0.0,
) -> AnnuityResult:
    """Expected present value of the OSNS annuities at ``valuation`` (see the module docstring)."""
    rx = reexamination or ReexaminationAssumption()
    if not np.isfinite(indexation) or indexation <= -1:
        raise InputError("indexation must be a rate above −100 %", column="indexation")
    ids = [b.beneficiary_id for b in beneficiaries]
    if len(set(ids)) != len(ids):
        raise InputError("beneficiary ids must be unique", column="beneficiary_id")
    months = 12 * (table.max_age + 1 - table.min_age)
    t = np.arange(months, dtype=np.float64) / 12.0
    if isinstance(discount, (int, float)):
        if not np.isfinite(discount) or discount <= -1:
            raise InputError("the discount rate must be above −100 %", column="discount")
        disc = (1.0 + float(discount)) ** -t
        dname = f"flat {float(discount):.4%} a year"
    else:
        disc = np.asarray(discount.discount(t), dtype=np.float64).reshape(-1)
        dname = f"curve {type(discount).__name__}"
        if disc.shape != t.shape or not np.isfinite(disc).all() or (disc <= 0).any():
            raise InputError("the discount curve must give positive factors", column="discount")
    n = len(beneficiaries)
    years = months // 12
    pv = np.zeros(n)
    und = np.zeros(n)
    yearly = np.zeros((n, years))
    for k, b in enumerate(beneficiaries):
        age = _years(b.birth, valuation)
        if age < 0:
            raise InputError(f"beneficiary '{b.beneficiary_id}' is born after the valuation", column="birth")
        x0 = int(np.floor(age))
        if x0 > table.max_age or b.monthly == 0 or (b.end is not None and b.end < valuation):
            continue
        x0 = max(x0, table.min_age)
        i0 = x0 - table.min_age
        q = table.qx[i0:]
        p_month = (1.0 - q) ** (1.0 / 12.0)
        m_surv = np.concatenate([[1.0], np.cumprod(np.repeat(p_month, 12))])[:months]
        m_surv = np.concatenate([m_surv, np.zeros(months - m_surv.size)])
        alive = m_surv
        active = np.ones(months)
        if b.end is not None:
            active = (t <= _years(valuation, b.end)).astype(np.float64)
        factor = np.ones(months)
        if b.kind == "victim" and b.reexamination is not None:
            t1 = max(_years(valuation, b.reexamination), 0.0)
            j = np.where(t >= t1, np.floor((t - t1) / rx.interval_years) + 1, 0.0)
            factor = rx.factor**j
        cf = b.monthly * (1.0 + indexation) ** np.floor(t) * factor * alive * active
        pv[k] = float((cf * disc).sum())
        und[k] = float(cf.sum())
        yearly[k] = cf.reshape(years, 12).sum(axis=1)
    kinds: dict[str, float] = {}
    for b, v in zip(beneficiaries, pv, strict=True):
        kinds[b.kind] = kinds.get(b.kind, 0.0) + float(v)
    return AnnuityResult(
        tuple(ids), pv, und, yearly, float(pv.sum()), kinds,
        parameters={
            "table": table.name, "table_source": table.source, "table_illustrative": table.illustrative,
            "table_parameters": dict(table.parameters), "discount": dname, "indexation": indexation,
            "reexamination": {"p_extend": rx.p_extend, "ratio_if_changed": rx.ratio_if_changed,
                              "interval_years": rx.interval_years, "factor_per_reexamination": rx.factor},
            "timing": "monthly in advance from the valuation date; constant force within each year of age",
            "valuation": valuation.isoformat(),
        },
    )
