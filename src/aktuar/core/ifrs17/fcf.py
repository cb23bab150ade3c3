"""Non-life fulfilment cash flows of a group from the reserving engine (KZ84-FCF, KZ84-LIC, KZ84-LRC).

References are to IFRS 17 *Insurance Contracts* (amended June 2020): cash flows within the contract boundary
(para 33–35, B61–B71), discounting (para 36, B72), the liability for incurred claims (para 40(b), 59(b)),
insurance acquisition cash flows (para 28A–28F, B35A–B35D, B65(e)), claim handling costs (B65(f)) and other
attributable costs (B65(h), (l)).

**(a) Liability for incurred claims** (:func:`lic_cash_flows`): the expected future claim payments of incurred
claims are the reserve of a :class:`~aktuar.core.reserving.results.ReserveResult` spread over future periods by
its payment pattern (:func:`aktuar.core.reserving.patterns.cash_flows`, Friedland 2010 ch. 7); claims-settlement
expenses (ULAE, B65(f)) are either a :class:`~aktuar.core.reserving.expenses.ULAEResult` reserve or a ratio of the
claims, paid in proportion to the claims (a modelling choice: ULAE is spent as claims are settled); other
attributable expenses are a ratio of the claims, paid with them. Payments are at mid-period (default) or at the
end; the discount factors come from a curve (anything with ``discount(t)``, e.g.
:class:`aktuar.core.curves.Curve`), a flat annual rate, or nothing. Para 59(b) lets a PAA entity not discount
incurred claims expected to be paid within one year: with ``undiscounted_within_one_year`` the flows are left
undiscounted when every payment falls within one year of the valuation date, else they are discounted and a note
says why.

**(b) Cash flows of remaining coverage** (:func:`lrc_cash_flows`; the PAA onerous test, para 57–58, or a GMM
non-life group): future premiums (at the start of each period), expected claims = unearned exposure of each
future coverage period × expected loss ratio, paid out from that accident period by the incremental payment
pattern, claims-settlement expenses as a ratio of the claims, other attributable expenses, insurance acquisition
cash flows directly attributable to the group and those allocated to it from the portfolio (at the start of the
period), and investment components (with the claims).

**Acquisition cash flows of a portfolio** (:func:`allocate_acquisition`, para 28A–28C, B35A–B35C): allocated to
groups on a systematic and rational basis (e.g. expected premiums), including to groups not yet recognised that
are expected to arise from renewals; the amount allocated to groups not yet recognised is the asset for
insurance acquisition cash flows (para 28B). :func:`acquisition_asset_impairment` is the impairment test of
para 28E, B35D: (a) the asset allocated to a group must not exceed the expected net cash inflow of the related
group (its negative fulfilment cash flows, para 32(a)); (b) the asset allocated to expected renewals is impaired
to the extent the acquisition cash flows exceed the net inflow of those renewals and the excess is not already
recognised under (a); the change in the cumulative impairment is the period's loss, or a reversal (para 28F)
when conditions improve.

Conventions: cash-flow amounts are positive magnitudes per period (index 0 = the first period after the
valuation date), money float64 unrounded. Time t of period j (1-based) in years is ``(j − 1)·Δ`` at its start,
``(j − ½)·Δ`` mid-period and ``j·Δ`` at its end, Δ = ``period_months / 12``. ``net`` = outflows − inflows, so a
positive net present value is a net outflow (a liability).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.ifrs17.gmm import CashFlows as GMMCashFlows
from aktuar.core.ifrs17.gmm import DiscountCurve
from aktuar.core.reserving.expenses import ULAEResult
from aktuar.core.reserving.patterns import CashFlows as ReserveCashFlows
from aktuar.core.reserving.patterns import Pattern, cash_flows
from aktuar.core.reserving.results import ReserveResult
from aktuar.core.reserving.triangles import Triangle
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Timing = Literal["mid", "end"]
Discount = float | DiscountCurve | Callable[[float], float] | None

TYPES: tuple[str, ...] = (
    "premiums",
    "claims",
    "settlement_expenses",
    "other_expenses",
    "acquisition",
    "investment_components",
)
"""Cash-flow types; ``premiums`` is the only inflow. ``outflows`` and ``net`` are derived."""

__all__ = [
    "TYPES",
    "AcquisitionAllocation",
    "AcquisitionImpairment",
    "FulfilmentCashFlows",
    "PVSplit",
    "acquisition_asset_impairment",
    "allocate_acquisition",
    "lic_cash_flows",
    "lrc_cash_flows",
]

_BEGIN_TYPES = ("premiums", "acquisition")


@dataclass(frozen=True)
class PVSplit:
    """Undiscounted amount, present value and the effect of discounting (``present_value − undiscounted``)."""

    undiscounted: float
    present_value: float
    discount_effect: float


@dataclass(frozen=True)
class FulfilmentCashFlows:
    """Expected cash flows of a group by period (P,) and type, with the discount factors used.

    ``premiums`` and ``acquisition`` are paid at the start of each period (``discount_start``); the other types at
    ``timing`` (``discount_claims``). ``discounted`` is false when para 59(b) was applied (all factors 1).
    """

    kind: str
    periods: IntArray
    labels: tuple[str, ...]
    period_months: int
    timing: str
    premiums: FloatArray
    claims: FloatArray
    settlement_expenses: FloatArray
    other_expenses: FloatArray
    acquisition: FloatArray
    investment_components: FloatArray
    discount_start: FloatArray
    discount_claims: FloatArray
    discounted: bool
    notes: tuple[str, ...] = ()

    @property
    def n_periods(self) -> int:
        return int(self.periods.shape[0])

    @property
    def outflows(self) -> FloatArray:
        """All outflows per period (claims, expenses, acquisition, investment components)."""
        return np.asarray(self.claims + self.settlement_expenses + self.other_expenses + self.acquisition
                          + self.investment_components)

    @property
    def claims_and_expenses(self) -> FloatArray:
        """Claims with settlement and other expenses per period: the expected claims of the LIC
        (:func:`aktuar.core.ifrs17.paa.lic_measurement` with ``discount_claims``)."""
        return np.asarray(self.claims + self.settlement_expenses + self.other_expenses)

    def flows(self, name: str) -> FloatArray:
        """Cash flows of a type in ``TYPES``, or ``outflows`` or ``net`` (outflows − premiums)."""
        if name in TYPES:
            return np.asarray(getattr(self, name))
        if name == "outflows":
            return self.outflows
        if name == "net":
            return np.asarray(self.outflows - self.premiums)
        raise InputError(f"unknown cash-flow type {name!r}: use one of {[*TYPES, 'outflows', 'net']}.")

    def _pv(self, name: str) -> float:
        if name in TYPES:
            df = self.discount_start if name in _BEGIN_TYPES else self.discount_claims
            return float(np.asarray(getattr(self, name)) @ df)
        if name == "outflows":
            return sum(self._pv(t) for t in TYPES if t != "premiums")
        if name == "net":
            return self._pv("outflows") - self._pv("premiums")
        raise InputError(f"unknown cash-flow type {name!r}: use one of {[*TYPES, 'outflows', 'net']}.")

    def split(self, name: str = "net") -> PVSplit:
        """Undiscounted / discounted / discount effect of a type, of ``outflows`` or of ``net``."""
        und = float(self.flows(name).sum())
        pv = self._pv(name)
        return PVSplit(und, pv, pv - und)

    def present_value(self, name: str = "net") -> float:
        return self._pv(name)

    def fulfilment_cash_flows(self, risk_adjustment: float = 0.0) -> float:
        """PV of the net outflows + the risk adjustment (para 32(a)); positive is a net outflow."""
        if not np.isfinite(risk_adjustment) or risk_adjustment < 0:
            raise InputError("the risk adjustment must be a finite amount ≥ 0.", column="risk_adjustment")
        return self._pv("net") + float(risk_adjustment)

    def to_gmm_cash_flows(self) -> GMMCashFlows:
        """The flows as :class:`aktuar.core.ifrs17.gmm.CashFlows` (annual periods, claims at the end of the
        period). Claims, settlement and other expenses all go to ``claims``."""
        if self.period_months != 12:
            raise InputError("the GMM works in annual periods: build these cash flows with period_months=12.",
                             column="period_months")
        if self.timing != "end":
            raise InputError("the GMM pays claims at the beginning or the end of a period, not mid-period: build "
                             "these cash flows with timing='end'.", column="timing")
        return GMMCashFlows(
            premiums=self.premiums.copy(),
            claims=self.claims_and_expenses,
            investment_components=self.investment_components.copy(),
            acquisition=self.acquisition.copy(),
            premium_timing="beginning",
            claims_timing="end",
            acquisition_timing="beginning",
        )


# ----------------------------------------------------------------------------------------------- helpers


def _months(period_months: int | None) -> int:
    if period_months is None or int(period_months) != period_months or not 1 <= period_months <= 12 or \
            12 % int(period_months):
        raise InputError(f"period_months must be 1, 2, 3, 4, 6 or 12; got {period_months}.", column="period_months")
    return int(period_months)


def _discount(discount: Discount, t: FloatArray) -> FloatArray:
    if discount is None:
        return np.ones_like(t)
    if isinstance(discount, (int, float)):
        rate = float(discount)
        if not np.isfinite(rate) or rate <= -1.0:
            raise InputError(f"the discount rate must be above −100 %; got {rate}.", column="discount")
        v = (1.0 + rate) ** -t
    elif isinstance(discount, DiscountCurve):
        v = np.asarray(discount.discount(t), dtype=np.float64).reshape(t.shape)
    elif callable(discount):
        v = np.array([float(discount(float(x))) for x in t])
    else:
        raise InputError("discount must be a rate, a curve with discount(t), a function of t, or None.",
                         column="discount")
    if not np.isfinite(v).all() or (v <= 0).any():
        raise InputError("discount factors must be positive and finite.", column="discount")
    return np.asarray(v, dtype=np.float64)


def _series(x: npt.ArrayLike | None, name: str, n: int | None = None) -> FloatArray:
    if x is None:
        return np.zeros(0 if n is None else n)
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 1:
        raise InputError(f"{name} must be one amount per period (a 1-D array).", column=name)
    if n is not None and arr.shape[0] == 1 and n != 1:
        arr = np.full(n, float(arr[0]))
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains a missing or infinite value.", column=name)
    if (arr < 0).any():
        raise InputError(f"{name} must be positive magnitudes (≥ 0).", column=name)
    return arr


def _pad(arr: FloatArray, n: int) -> FloatArray:
    return np.concatenate([arr, np.zeros(n - arr.shape[0])]) if arr.shape[0] < n else arr


def _ratio(x: float, name: str) -> float:
    v = float(x)
    if not np.isfinite(v) or v < 0:
        raise InputError(f"{name} must be a finite ratio ≥ 0 (e.g. 0.05 for 5 %); got {x}.", column=name)
    return v


def _build(
    kind: str,
    flows: dict[str, FloatArray],
    *,
    labels: Sequence[str] | None,
    months: int,
    timing: str,
    discount: Discount,
    undiscounted_within_one_year: bool,
    notes: list[str],
) -> FulfilmentCashFlows:
    if timing not in ("mid", "end"):
        raise InputError(f"unknown payment timing {timing!r}: use mid or end.", column="timing")
    n = max(max(v.shape[0] for v in flows.values()), 1)
    full = {t: _pad(flows.get(t, np.zeros(0)), n) for t in TYPES}
    j = np.arange(1, n + 1, dtype=np.float64)
    dt = months / 12.0
    t_start = (j - 1) * dt
    t_claims = (j - 0.5) * dt if timing == "mid" else j * dt
    discounted = discount is not None
    if discounted and undiscounted_within_one_year:
        used = np.zeros(n, dtype=bool)
        for t in TYPES:
            used |= full[t] != 0
        last = max(float(t_claims[used].max()) if used.any() else 0.0, 0.0)
        if last <= 1.0 + 1e-12:
            discounted = False
            notes.append("not discounted: all payments are expected within one year (IFRS 17 para 59(b))")
        else:
            notes.append(f"discounted: payments are expected up to {last:.2f} years ahead, beyond the one year of "
                         "para 59(b)")
    df_s = _discount(discount, t_start) if discounted else np.ones(n)
    df_c = _discount(discount, t_claims) if discounted else np.ones(n)
    lab = tuple(labels) if labels is not None and len(labels) == n else tuple(f"+{k}" for k in range(1, n + 1))
    return FulfilmentCashFlows(
        kind=kind,
        periods=np.arange(1, n + 1, dtype=np.int64),
        labels=lab,
        period_months=months,
        timing=timing,
        discount_start=df_s,
        discount_claims=df_c,
        discounted=discounted,
        notes=tuple(notes),
        **full,
    )


# ----------------------------------------------------------------------------------------------- (a) LIC


def lic_cash_flows(
    reserve: ReserveResult | ReserveCashFlows,
    *,
    segment: int = 0,
    paid: Triangle | None = None,
    tail_periods: int = 3,
    timing: Timing = "mid",
    ulae: ULAEResult | float | None = None,
    other_expense_ratio: float = 0.0,
    discount: Discount = None,
    undiscounted_within_one_year: bool = False,
    period_months: int | None = None,
) -> FulfilmentCashFlows:
    """Fulfilment cash flows of incurred claims (para 40(b), 59(b), B65(f)) of one reserving segment.

    ``reserve``: a :class:`ReserveResult` (its cash flows are computed with ``paid``, ``tail_periods`` and
    ``timing`` by :func:`aktuar.core.reserving.patterns.cash_flows`) or those cash flows already computed.
    ``ulae``: the claims-settlement expense reserve of the segment (a ``ULAEResult``) or a ratio to the claims.
    ``period_months`` is needed when the triangle does not say how long its periods are.
    """
    if isinstance(reserve, ReserveResult):
        cf = cash_flows(reserve, paid=paid, tail_periods=tail_periods, timing=timing)
    elif isinstance(reserve, ReserveCashFlows):
        cf = reserve
    else:
        raise InputError("reserve must be a ReserveResult or its cash flows (reserving.patterns.cash_flows).")
    s = cf.total.shape[0]
    if not 0 <= segment < s:
        raise InputError(f"segment {segment} is outside the reserve's segments 0..{s - 1}.", column="segment")
    months = _months(cf.period_months if cf.period_months is not None else period_months)
    if cf.period_months is not None and period_months is not None and period_months != cf.period_months:
        raise InputError(f"the triangle's periods are {cf.period_months} months, not {period_months}.",
                         column="period_months")
    claims = np.asarray(cf.total[segment], dtype=np.float64)
    if not np.isfinite(claims).all():
        raise InputError("the reserve's cash flows contain a missing value.")
    notes = [f"claims paid by the payment pattern of the {cf.pattern.n_development}-period triangle "
             f"with {cf.pattern.tail_periods} tail period(s), timing {cf.timing}"]
    notes += [str(w) for w in (cf.warnings[segment] if segment < len(cf.warnings) else [])]
    total = float(claims.sum())
    if isinstance(ulae, ULAEResult):
        if not 0 <= segment < ulae.reserve.shape[0]:
            raise InputError(f"the ULAE result has no segment {segment}.", column="ulae")
        amount = float(ulae.reserve[segment])
        if amount < 0:
            raise InputError("the claims-settlement expense reserve is negative: check the ULAE inputs.", column="ulae")
        if abs(total) > 0:
            se = amount * claims / total
        else:
            se = np.zeros_like(claims)
            if amount > 0:
                se[0] = amount
                notes.append("no claim payments to follow: the claims-settlement expenses are placed in period 1")
        notes.append(f"claims-settlement expenses {amount:,.2f} ({ulae.method} paid-to-paid), paid with the claims")
    elif ulae is None:
        se = np.zeros_like(claims)
    else:
        se = _ratio(ulae, "ulae") * claims
    oe = _ratio(other_expense_ratio, "other_expense_ratio") * claims
    return _build("LIC", {"claims": claims, "settlement_expenses": se, "other_expenses": oe}, labels=cf.labels,
                  months=months, timing=cf.timing, discount=discount,
                  undiscounted_within_one_year=undiscounted_within_one_year, notes=notes)


# ----------------------------------------------------------------------------------------------- (b) LRC


def lrc_cash_flows(
    unearned_exposure: npt.ArrayLike,
    expected_loss_ratio: npt.ArrayLike,
    payment_pattern: Pattern | npt.ArrayLike,
    *,
    segment: int = 0,
    premiums: npt.ArrayLike | None = None,
    settlement_expense_ratio: float = 0.0,
    expenses: npt.ArrayLike | None = None,
    acquisition: npt.ArrayLike | None = None,
    allocated_acquisition: npt.ArrayLike | None = None,
    investment_components: npt.ArrayLike | None = None,
    period_months: int = 12,
    timing: Timing = "mid",
    discount: Discount = None,
) -> FulfilmentCashFlows:
    """Cash flows of the remaining coverage of a group (para 33–35, B61–B71).

    ``unearned_exposure`` (C,): the exposure (e.g. premium earned) in each future coverage period;
    ``expected_loss_ratio``: one ratio or one per coverage period; expected claims of coverage period a are
    paid in period a + k in the proportion ``q_k`` of ``payment_pattern`` (a reserving :class:`Pattern`,
    ``segment`` of it, or incremental proportions summing to 1, by period of ``period_months`` from the
    accident period). ``premiums``, ``expenses``, ``acquisition`` (directly attributable), ``allocated_acquisition``
    (this group's share of the portfolio's, :func:`allocate_acquisition`) and ``investment_components`` are per
    period after the valuation date.
    """
    months = _months(period_months)
    exposure = _series(unearned_exposure, "unearned_exposure")
    c = exposure.shape[0]
    lr = _series(expected_loss_ratio, "expected_loss_ratio", c)
    if lr.shape[0] != c:
        raise InputError(f"expected_loss_ratio must be one ratio or {c} (one per coverage period).",
                         column="expected_loss_ratio")
    notes: list[str] = []
    if isinstance(payment_pattern, Pattern):
        if not 0 <= segment < payment_pattern.incremental.shape[0]:
            raise InputError(f"the pattern has no segment {segment}.", column="segment")
        q = np.asarray(payment_pattern.incremental[segment], dtype=np.float64)
        notes.extend(payment_pattern.warnings[segment] if segment < len(payment_pattern.warnings) else [])
    else:
        q = np.atleast_1d(np.asarray(payment_pattern, dtype=np.float64))
    if q.ndim != 1 or q.shape[0] == 0 or not np.isfinite(q).all() or abs(q.sum() - 1.0) > 1e-9:
        raise InputError("the payment pattern must be incremental proportions that sum to 1.",
                         column="payment_pattern")
    if (q < -1e-12).any():
        notes.append("the payment pattern has negative development: negative expected payments in some periods")
    expected = exposure * lr
    n = c + q.shape[0] - 1 if c else 0
    claims = np.zeros(n)
    for a in range(c):
        claims[a:a + q.shape[0]] += expected[a] * q
    se = _ratio(settlement_expense_ratio, "settlement_expense_ratio") * claims
    acq = _series(acquisition, "acquisition")
    alloc = _series(allocated_acquisition, "allocated_acquisition")
    m = max(acq.shape[0], alloc.shape[0])
    acq_total = _pad(acq, m) + _pad(alloc, m)
    if alloc.sum() > 0:
        notes.append(f"acquisition cash flows include {alloc.sum():,.2f} allocated from the portfolio (para 28A–28C)")
    flows = {
        "premiums": _series(premiums, "premiums"),
        "claims": claims,
        "settlement_expenses": se,
        "other_expenses": _series(expenses, "expenses"),
        "acquisition": acq_total,
        "investment_components": _series(investment_components, "investment_components"),
    }
    return _build("LRC", flows, labels=None, months=months, timing=timing, discount=discount,
                  undiscounted_within_one_year=False, notes=notes)


# ------------------------------------------------------------------------------------ acquisition cash flows


@dataclass(frozen=True)
class AcquisitionAllocation:
    """Portfolio acquisition cash flows allocated to groups (para 28A–28C, B35A–B35C).

    ``recognised[i]`` is false for a group not yet recognised (e.g. expected renewals): what is allocated to it is
    the asset for insurance acquisition cash flows (para 28B) until the group is recognised (para 28C).
    """

    group_id: tuple[str, ...]
    recognised: tuple[bool, ...]
    basis: FloatArray
    share: FloatArray
    allocated: FloatArray
    total: float
    basis_name: str

    @property
    def asset(self) -> float:
        """Asset for insurance acquisition cash flows: the amount allocated to groups not yet recognised."""
        mask = ~np.asarray(self.recognised, dtype=bool)
        return float(self.allocated[mask].sum())

    def of(self, group: str) -> float:
        if group not in self.group_id:
            raise InputError(f"group {group!r} is not in the allocation.", column="group_id")
        return float(self.allocated[self.group_id.index(group)])


def allocate_acquisition(
    total: float,
    group_ids: Sequence[str],
    basis: npt.ArrayLike,
    *,
    recognised: Sequence[bool] | None = None,
    basis_name: str = "expected premiums",
) -> AcquisitionAllocation:
    """Allocate ``total`` portfolio acquisition cash flows to groups pro rata to ``basis`` (a systematic and
    rational method, B35A–B35B: e.g. the expected premiums of each group, including groups expected from
    renewals, which are marked ``recognised=False``)."""
    tot = float(total)
    if not np.isfinite(tot) or tot < 0:
        raise InputError("the acquisition cash flows to allocate must be a finite amount ≥ 0.", column="total")
    ids = tuple(str(g) for g in group_ids)
    b = np.asarray(basis, dtype=np.float64).reshape(-1)
    if b.shape != (len(ids),):
        raise InputError(f"give one allocation basis per group ({len(ids)}).", column="basis")
    if len(set(ids)) != len(ids):
        raise InputError("a group appears twice in the allocation.", column="group_id")
    if not np.isfinite(b).all() or (b < 0).any():
        raise InputError("the allocation basis must be finite and ≥ 0.", column="basis")
    if tot > 0 and b.sum() <= 0:
        raise InputError("the allocation basis is zero for every group: nothing to allocate on.", column="basis")
    rec = (True,) * len(ids) if recognised is None else tuple(bool(x) for x in recognised)
    if len(rec) != len(ids):
        raise InputError(f"give one recognised flag per group ({len(ids)}).", column="recognised")
    share = b / b.sum() if b.sum() > 0 else np.zeros_like(b)
    return AcquisitionAllocation(ids, rec, b, share, share * tot, tot, basis_name)


@dataclass(frozen=True)
class AcquisitionImpairment:
    """Impairment test of the asset for insurance acquisition cash flows per group (para 28E–28F, B35D).

    ``impairment_group`` (B35D(a)), ``impairment_renewals`` (B35D(b)), ``cumulative`` impairment after the test,
    ``loss`` of the period (positive: impairment loss; negative: reversal, para 28F), ``carrying`` after it.
    """

    group_id: tuple[str, ...]
    asset: FloatArray
    expected_net_inflow: FloatArray
    impairment_group: FloatArray
    impairment_renewals: FloatArray
    cumulative: FloatArray
    loss: FloatArray
    carrying: FloatArray


def acquisition_asset_impairment(
    group_ids: Sequence[str],
    asset: npt.ArrayLike,
    expected_net_inflow: npt.ArrayLike,
    *,
    renewal_asset: npt.ArrayLike | None = None,
    renewal_net_inflow: npt.ArrayLike | None = None,
    previous_impairment: npt.ArrayLike | None = None,
) -> AcquisitionImpairment:
    """Para 28E, B35D: ``asset`` (gross, before impairment) per related group, ``expected_net_inflow`` of that
    group (−FCF, para 32(a)); optionally the part of the asset relating to expected renewals and their net
    inflow, and the cumulative impairment recognised before (for the period's loss or reversal, para 28F)."""
    ids = tuple(str(g) for g in group_ids)
    k = len(ids)

    def vec(x: npt.ArrayLike | None, name: str, default: float = 0.0) -> FloatArray:
        a = np.full(k, default) if x is None else np.asarray(x, dtype=np.float64).reshape(-1)
        if a.shape == (1,) and k > 1:
            a = np.full(k, float(a[0]))
        if a.shape != (k,) or not np.isfinite(a).all():
            raise InputError(f"{name} must have {k} finite values (one per group).", column=name)
        return a

    a = vec(asset, "asset")
    net = vec(expected_net_inflow, "expected_net_inflow")
    ra = vec(renewal_asset, "renewal_asset")
    rn = vec(renewal_net_inflow, "renewal_net_inflow")
    prev = vec(previous_impairment, "previous_impairment")
    if (a < 0).any() or (ra < 0).any() or (prev < 0).any():
        raise InputError("assets and impairments must be ≥ 0.", column="asset")
    if (ra > a + 1e-9).any():
        raise InputError("the part of the asset relating to renewals cannot exceed the asset.", column="renewal_asset")
    if (prev > a + 1e-9).any():
        raise InputError("the previous impairment cannot exceed the gross asset.", column="previous_impairment")
    imp_a = np.clip(a - net, 0.0, a)
    imp_b = np.maximum(np.maximum(ra - rn, 0.0) - imp_a, 0.0)
    cumulative = np.minimum(imp_a + imp_b, a)
    return AcquisitionImpairment(ids, a, net, imp_a, cumulative - imp_a, cumulative, cumulative - prev,
                                 a - cumulative)
