"""From projected monthly cash flows per group to the annual inputs of the IFRS 17 general model, and the CSM.

The GMM of :mod:`aktuar.core.ifrs17.gmm` works in annual periods with premiums and acquisition cash flows at the
beginning and claims at the end of each period. The projection is monthly. :func:`group_cash_flows` converts
per group:

- ``basis="discount_consistent"`` (default): each monthly amount is moved to the GMM's payment date of its year
  with the projection's own discount factors — a beginning-of-year item ``Σ x_t v(t) / v(12k)``, an end-of-year
  item ``Σ x_t v(t) / v(12(k + 1))`` — so the present value at the valuation date (and at every year end, for
  flows of later years) is exactly the monthly projection's (IFRS 17 para 33(a), 36, B72(b)); the amounts then
  differ from nominal sums by the interest within the year;
- ``basis="nominal"``: plain sums over the 12 months; the present value then carries the timing approximation
  (premiums paid monthly treated as paid at the start of the year, claims at the end).

Mapping of the projected items (positive magnitudes, :class:`aktuar.core.ifrs17.gmm.CashFlows`):
``premiums`` → premiums (beginning); death and morbidity claims, annuities and maintenance/premium-related
expenses → ``claims`` (end, para 34, B65); endowment maturity benefits → ``investment_components`` (end; the
amount repaid in all circumstances, para 85 — a simplification, since a death before maturity pays the same sum);
acquisition expenses and commissions → ``acquisition`` (beginning; insurance acquisition cash flows, para 28A,
B65(e) — renewal commissions are treated the same way, a documented simplification).
Coverage units (B119) are the annual sums of the monthly benefit in force. The risk adjustment is given per
group (``risk_adjustment`` at times 0..n) or as ``ra_share`` × the present value of future outflows at each year
end (a simple proxy; para 37, B86–B92 leave the technique to the entity).

:func:`csm_per_group` measures every group with :func:`aktuar.core.ifrs17.gmm.measure`, treating the valuation
date as initial recognition (para 38) with the projection's discount factors as the locked-in curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.ifrs17.gmm import CashFlows, GMMResult, GroupInputs, measure
from aktuar.core.projection.engine import ProjectionResult
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Basis = Literal["discount_consistent", "nominal"]

__all__ = ["GroupMeasurement", "csm_per_group", "group_cash_flows", "group_inputs"]

_BEGIN = ("premiums", "acquisition")
_GMM_ITEMS: dict[str, tuple[str, ...]] = {
    "premiums": ("premiums",),
    "claims": ("claims", "morbidity", "annuities", "maintenance_expenses"),
    "investment_components": ("maturities",),
    "acquisition": ("acquisition_expenses", "commissions"),
}


@dataclass(frozen=True)
class GroupMeasurement:
    """GMM inputs and measurement of one group (``csm`` and ``loss`` at the valuation date)."""

    group: object
    inputs: GroupInputs
    result: GMMResult

    @property
    def csm(self) -> float:
        return self.result.initial.csm

    @property
    def loss(self) -> float:
        return self.result.initial.loss


def _years(result: ProjectionResult) -> int:
    return max(1, -(-result.months // 12))


def _annual(result: ProjectionResult, gi: int, names: tuple[str, ...], to: Literal["beginning", "end"],
            basis: Basis) -> FloatArray:
    n = _years(result)
    T = result.months
    v = result.discount_factors
    x = np.zeros(12 * n)
    x_pv = np.zeros(12 * n)
    for name in names:
        flow = np.asarray(getattr(result.flows, name)[gi], dtype=np.float64)
        x[:T] += flow
        shift = 1 if name in ("claims", "morbidity") and result.claims_timing == "end" else 0
        x_pv[:T] += flow * v[shift : T + shift]
    if basis == "nominal":
        return np.asarray(x.reshape(n, 12).sum(axis=1), dtype=np.float64)
    pv_by_year = x_pv.reshape(n, 12).sum(axis=1)
    anchor = v[0 : 12 * n : 12] if to == "beginning" else v[12 : 12 * n + 1 : 12]
    return np.asarray(pv_by_year / anchor, dtype=np.float64)


def _basis(basis: str) -> Basis:
    if basis not in ("discount_consistent", "nominal"):
        raise InputError("basis must be 'discount_consistent' or 'nominal'.", column="basis")
    return "nominal" if basis == "nominal" else "discount_consistent"


def group_cash_flows(result: ProjectionResult, group: object, *, basis: str = "discount_consistent") -> CashFlows:
    """Annual GMM cash flows of ``group`` (see the module docstring for the mapping and the timing)."""
    b = _basis(basis)
    gi = result.flows.index(group)
    items = {
        key: _annual(result, gi, names, "beginning" if key in _BEGIN else "end", b)
        for key, names in _GMM_ITEMS.items()
    }
    return CashFlows(
        premiums=items["premiums"],
        claims=items["claims"],
        investment_components=items["investment_components"],
        acquisition=items["acquisition"],
    )


def annual_discount_factors(result: ProjectionResult) -> FloatArray:
    """The projection's discount factors at whole years ``0 … n`` (the locked-in curve for the GMM)."""
    n = _years(result)
    return np.asarray(result.discount_factors[0 : 12 * n + 1 : 12], dtype=np.float64)


def _ra_from_share(flows: CashFlows, v: FloatArray, share: float) -> FloatArray:
    n = flows.n_periods
    beg = np.asarray(flows.acquisition, dtype=np.float64)
    end = np.asarray(flows.claims, dtype=np.float64) + np.asarray(flows.investment_components, dtype=np.float64)
    pv_out = beg * v[:n] + end * v[1 : n + 1]
    tail = np.concatenate([np.cumsum(pv_out[::-1])[::-1], [0.0]])
    return np.asarray(share * tail / v, dtype=np.float64)


def group_inputs(
    result: ProjectionResult,
    group: object,
    *,
    ra_share: float = 0.0,
    risk_adjustment: npt.ArrayLike | None = None,
    basis: str = "discount_consistent",
) -> GroupInputs:
    """GMM inputs of one group: annual cash flows, RA at times 0..n, coverage units, locked-in discount factors."""
    flows = group_cash_flows(result, group, basis=basis)
    v = annual_discount_factors(result)
    n = flows.n_periods
    if risk_adjustment is not None:
        ra = np.asarray(risk_adjustment, dtype=np.float64)
        if ra.shape != (n + 1,):
            raise InputError(f"risk_adjustment of group {group!r} must have {n + 1} values (times 0..{n}).",
                             column="risk_adjustment")
    else:
        share = float(ra_share)
        if not np.isfinite(share) or share < 0:
            raise InputError("ra_share must be a number >= 0.", column="ra_share")
        ra = _ra_from_share(flows, v, share)
    gi = result.flows.index(group)
    cu = np.zeros(12 * n)
    cu[: result.months] = result.flows.coverage_units[gi]
    return GroupInputs(expected=flows, risk_adjustment=ra, coverage_units=cu.reshape(n, 12).sum(axis=1),
                       discount=v)


def csm_per_group(
    result: ProjectionResult,
    *,
    ra_share: float = 0.0,
    risk_adjustment: Mapping[object, npt.ArrayLike] | None = None,
    basis: str = "discount_consistent",
) -> dict[object, GroupMeasurement]:
    """Measure every group with coverage (positive coverage units) under the GMM; the CSM (or loss) per group.

    Groups without any coverage units (e.g. only zero policy counts) are left out of the result.
    """
    out: dict[object, GroupMeasurement] = {}
    for gi, label in enumerate(result.groups):
        if not np.any(result.flows.coverage_units[gi] > 0):
            continue
        ra = None if risk_adjustment is None else risk_adjustment.get(label)
        inputs = group_inputs(result, label, ra_share=ra_share, risk_adjustment=ra, basis=basis)
        out[label] = GroupMeasurement(label, inputs, measure(inputs))
    return out
