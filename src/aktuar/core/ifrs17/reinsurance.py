"""Reinsurance contracts held (IFRS 17 para 60–70A): one group under the general model, in annual steps.

References are to IFRS 17 *Insurance Contracts* (amended June 2020) and its Illustrative Examples 11 and
12A–12C (IE124–IE138O):

- fulfilment cash flows (para 63): present value of the premiums ceded (outflows) less the present value of
  the recoveries (inflows), using assumptions consistent with the underlying contracts, plus the effect of the
  risk of non-performance by the reinsurer (expected credit losses, including disputes); the risk adjustment
  is the amount of risk transferred to the reinsurer (para 64) and *reduces* the net liability;
- contractual service margin on initial recognition (para 65): the net cost or net gain of purchasing the
  cover, ``CSM = −FCF`` — it may be negative (a net cost, deferred as part of the asset) or positive (a net
  gain); a net cost relating to events before the purchase is expensed immediately (para 65A);
- loss-recovery component (para 66A–66B, B119C–B119F): when onerous underlying contracts are recognised (and
  the reinsurance contract was recognised before or at the same time), income = loss on the underlying
  contracts × the percentage of claims on them the entity expects to recover; it adjusts the CSM; the
  loss-recovery component of the asset for remaining coverage then follows the underlying loss component
  (B119F): it grows with later losses, and is reduced when the underlying loss component is allocated or
  reversed;
- subsequent measurement (para 66): the CSM accretes interest at the locked-in rate (66(b)), is adjusted for
  changes in fulfilment cash flows relating to future service (66(c)) *except* changes that result from
  changes in the fulfilment cash flows of onerous underlying contracts that do not adjust their CSM
  (66(c)(ii)) and changes in the risk of non-performance (para 67), which go to profit or loss, and is
  released by coverage units for the services received in the period (66(e), B119);
- presentation (para 86): allocation of the reinsurance premiums paid (an expense: expected recoveries + risk
  adjustment released + CSM released − loss-recovery component reversed) and amounts recovered from the
  reinsurer (income: actual recoveries + loss recovery − loss-recovery component reversed); both may be
  shown net (``net_result``). Reinsurance finance income is separate (para 87).

Conventions: the same as :mod:`aktuar.core.ifrs17.gmm` — money float64 and unrounded; balances in the
*liability* sign (positive = liability, negative = asset: ``asset = −carrying_amount``); in the analysis of
change cash inflows (recoveries received) are positive and outflows (premiums paid) negative; amounts in
:class:`ReinsuranceCashFlows` and risk adjustments are positive magnitudes. Consistent with IE Examples 11–12C
a CSM of ``28`` is a deferred net gain and ``(12)`` a deferred net cost.

Modelling choices (documented limitations):

- the discount rate is the locked-in rate and the current rate equals it (no OCI disaggregation, para 88);
- recoveries are received when the underlying claims are settled; there is no separate asset for incurred
  claims (the asset for incurred claims is nil at each period end);
- experience adjustments of premiums ceded relate to future service and adjust the CSM (B96(a)) except in the
  last period, when they go to the allocation of premiums; experience adjustments of recoveries relate to
  current service (amounts recovered);
- non-performance: expected credit losses ``ECL(s) = LGD · Σ_t recovery_t · P(default before t | no default by
  s) · v(t)/v(s)`` from annual probabilities of default, or given directly as PV amounts at times 0..n. Its
  amount at initial recognition is part of the FCF (and so of the CSM); afterwards the expected release of ECL
  (no default happened) and changes of the default assumptions go to profit or loss (para 67); the effect on
  ECL of revised *recovery* estimates at unchanged default assumptions is treated as part of the change in
  expected recoveries (future service). An actual default is reflected by lower actual recoveries
  (experience);
- the part of a change in the reinsurance FCF that relates to onerous underlying contracts (66(c)(ii)) is
  taken as ``recovery percentage × (change in the underlying loss component from changes in estimates)``, as
  in IE138A–IE138O; the rest of the change adjusts the CSM;
- the loss-recovery component is ``recovery percentage × underlying loss component`` throughout (B119F), so it
  is nil when the underlying loss component is nil; its share of finance expense is part of reinsurance
  finance income;
- coverage units are those expected at initial recognition (no revision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aktuar.core.ifrs17.gmm import (
    AnalysisOfChange,
    DiscountInput,
    GMMResult,
    Timing,
    current_discount_factors,
    discount_factors,
)
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "RI_AOC_COLUMNS",
    "RI_AOC_STEPS",
    "RI_LRC_STEPS",
    "NonPerformance",
    "ReinsuranceCashFlows",
    "ReinsuranceInitialRecognition",
    "ReinsuranceInputs",
    "ReinsurancePeriod",
    "ReinsuranceProfitOrLoss",
    "ReinsuranceRemeasurement",
    "ReinsuranceResult",
    "ReinsuranceRevision",
    "UnderlyingLosses",
    "initial_recognition",
    "measure_reinsurance",
    "remeasure",
    "underlying_losses",
]

RI_AOC_STEPS: tuple[str, ...] = (
    "opening",
    "new_contracts",
    "loss_recovery",
    "premiums_paid",
    "finance",
    "future_service_changes",
    "non_performance_changes",
    "current_service",
    "recoveries_received",
    "closing",
)
"""Steps of the analysis of change of the reinsurance contracts held (para 100–105 applied to para 60–70A)."""

RI_AOC_COLUMNS: tuple[str, ...] = (
    "pv_future_cash_flows",
    "non_performance",
    "risk_adjustment",
    "csm",
    "total",
)

RI_LRC_STEPS: tuple[str, ...] = ("opening", "recognised", "finance", "reversal", "closing")
"""Steps of the loss-recovery component roll-forward (para 66A–66B, B119F); amounts are positive
magnitudes."""

_TOL = 1e-9


def _vec(values: npt.ArrayLike | None, n: int, name: str, *, nonneg: bool = False) -> FloatArray:
    arr = np.zeros(n) if values is None else np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(f"{name} must have {n} values (one per period); got shape {arr.shape}.", column=name)
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{name} contains a missing or infinite value; give a number for every period.", column=name
        )
    if nonneg and np.any(arr < 0):
        raise InputError(f"{name} must not be negative; give positive magnitudes.", column=name)
    return np.array(arr, dtype=np.float64)


def _scalar(value: float, name: str, *, nonneg: bool = False) -> float:
    x = float(value)
    if not np.isfinite(x):
        raise InputError(f"{name} must be a finite number; got {value!r}.", column=name)
    if nonneg and x < 0:
        raise InputError(f"{name} must not be negative (give a positive magnitude); got {x}.", column=name)
    return x


# ------------------------------------------------------------------------------------------------------------
# One-step functions (IE Examples 11, 12A, 12B and the initial recognition of 12C)
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReinsuranceInitialRecognition:
    """Measurement of reinsurance contracts held on initial recognition (para 63–65A, 66A), liability sign.

    ``pv_recoveries`` is negative (inflows), ``pv_premiums`` positive, ``risk_adjustment`` negative (risk
    transferred reduces the net liability), ``non_performance`` positive (expected credit losses).
    ``csm_before_loss_recovery = −FCF + past_events_expense``; ``csm = csm_before_loss_recovery −
    loss_recovery``. ``carrying_amount = FCF + CSM`` (negative = asset); ``profit = loss_recovery −
    past_events_expense`` is recognised in profit or loss at once.
    """

    pv_recoveries: float
    pv_premiums: float
    non_performance: float
    pv_future_cash_flows: float
    risk_adjustment: float
    fulfilment_cash_flows: float
    past_events_expense: float
    csm_before_loss_recovery: float
    loss_recovery: float
    csm: float
    carrying_amount: float
    profit: float

    @property
    def asset(self) -> float:
        return -self.carrying_amount

    @property
    def net_gain(self) -> bool:
        """True if the purchase is a net gain deferred (positive CSM, para 65)."""
        return self.csm_before_loss_recovery > 0.0


def initial_recognition(
    *,
    pv_recoveries: float,
    pv_premiums: float,
    risk_adjustment: float = 0.0,
    non_performance: float = 0.0,
    underlying_loss: float = 0.0,
    recovery_percentage: float = 0.0,
    past_events_cost: float = 0.0,
) -> ReinsuranceInitialRecognition:
    """Initial recognition of a group of reinsurance contracts held from present values (para 63–65A, 66A).

    All arguments are positive magnitudes: ``pv_recoveries`` (expected recoveries), ``pv_premiums`` (premiums
    ceded), ``risk_adjustment`` (risk transferred, para 64), ``non_performance`` (PV of expected credit losses
    on the recoveries, para 63), ``underlying_loss`` (loss recognised on onerous underlying contracts at the
    same time, para 66A), ``recovery_percentage`` (share of the underlying claims expected to be recovered,
    66B, in 0..1), ``past_events_cost`` (the part of a net cost relating to events before the purchase,
    expensed at once, para 65A; at most the net cost).
    """
    rec = _scalar(pv_recoveries, "pv_recoveries", nonneg=True)
    prem = _scalar(pv_premiums, "pv_premiums", nonneg=True)
    ra = _scalar(risk_adjustment, "risk_adjustment", nonneg=True)
    npr = _scalar(non_performance, "non_performance", nonneg=True)
    loss = _scalar(underlying_loss, "underlying_loss", nonneg=True)
    pct = _scalar(recovery_percentage, "recovery_percentage", nonneg=True)
    past = _scalar(past_events_cost, "past_events_cost", nonneg=True)
    if pct > 1.0:
        raise InputError(
            "recovery_percentage must be between 0 and 1 (e.g. 0.3 for 30 %).", column="recovery_percentage"
        )
    pv = prem - rec + npr
    fcf = pv - ra
    if past > max(fcf, 0.0) + _TOL:
        raise InputError(
            f"past_events_cost ({past}) cannot exceed the net cost of the reinsurance ({max(fcf, 0.0)}); "
            "para 65A expenses only a net cost.",
            column="past_events_cost",
        )
    csm_before = -fcf + past
    recovery = pct * loss
    csm = csm_before - recovery
    return ReinsuranceInitialRecognition(
        pv_recoveries=-rec,
        pv_premiums=prem,
        non_performance=npr,
        pv_future_cash_flows=pv,
        risk_adjustment=-ra,
        fulfilment_cash_flows=fcf,
        past_events_expense=past,
        csm_before_loss_recovery=csm_before,
        loss_recovery=recovery,
        csm=csm,
        carrying_amount=fcf + csm,
        profit=recovery - past,
    )


@dataclass(frozen=True)
class ReinsuranceRemeasurement:
    """A change in the reinsurance FCF relating to future service, split per para 66(c) (liability sign).

    ``loss_recovery`` is the income (positive) or expense (negative) recognised in profit or loss because the
    change relates to onerous underlying contracts (66(c)(ii)); ``csm_adjustment`` is the rest of the change,
    with the opposite sign.
    """

    fulfilment_cash_flows: float
    csm_adjustment: float
    csm: float
    loss_recovery: float
    carrying_amount: float

    @property
    def asset(self) -> float:
        return -self.carrying_amount


def remeasure(
    *,
    fcf_opening: float,
    csm_opening: float,
    change_in_fcf: float,
    underlying_loss_change: float = 0.0,
    recovery_percentage: float = 0.0,
) -> ReinsuranceRemeasurement:
    """Adjust the reinsurance CSM for a change in FCF relating to future service (para 66(c), IE130–IE138).

    Signed liability amounts: ``fcf_opening`` / ``csm_opening`` (e.g. (90) and (25)), ``change_in_fcf``
    (negative when expected recoveries increase). ``underlying_loss_change`` is the change in the underlying
    groups' FCF that did not adjust their CSM (a loss, positive; a reversal, negative);
    ``recovery_percentage`` × it is recognised in profit or loss and the rest of ``change_in_fcf`` adjusts the
    CSM.
    """
    fcf0 = _scalar(fcf_opening, "fcf_opening")
    csm0 = _scalar(csm_opening, "csm_opening")
    change = _scalar(change_in_fcf, "change_in_fcf")
    uloss = _scalar(underlying_loss_change, "underlying_loss_change")
    pct = _scalar(recovery_percentage, "recovery_percentage", nonneg=True)
    if pct > 1.0:
        raise InputError(
            "recovery_percentage must be between 0 and 1 (e.g. 0.3 for 30 %).", column="recovery_percentage"
        )
    to_pl = -pct * uloss  # liability-sign part of the change that goes to profit or loss
    adj = -(change - to_pl)
    fcf = fcf0 + change
    csm = csm0 + adj
    return ReinsuranceRemeasurement(
        fulfilment_cash_flows=fcf,
        csm_adjustment=adj,
        csm=csm,
        loss_recovery=-to_pl,
        carrying_amount=fcf + csm,
    )


# ------------------------------------------------------------------------------------------------------------
# Period-by-period measurement
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReinsuranceCashFlows:
    """Cash flows of a group of reinsurance contracts held per annual period (positive magnitudes, index 0 =
    period 1): ``premiums`` ceded (paid to the reinsurer) and ``recoveries`` of claims (received)."""

    premiums: FloatArray
    recoveries: FloatArray
    premium_timing: Timing = "beginning"
    recovery_timing: Timing = "end"

    @property
    def n_periods(self) -> int:
        return int(np.atleast_1d(np.asarray(self.premiums)).shape[0])

    def _checked(self, n: int) -> ReinsuranceCashFlows:
        for timing, name in (
            (self.premium_timing, "premium_timing"),
            (self.recovery_timing, "recovery_timing"),
        ):
            if timing not in ("beginning", "end"):
                raise InputError(f"{name} must be 'beginning' or 'end', not {timing!r}.", column=name)
        return ReinsuranceCashFlows(
            premiums=_vec(self.premiums, n, "premiums", nonneg=True),
            recoveries=_vec(self.recoveries, n, "recoveries", nonneg=True),
            premium_timing=self.premium_timing,
            recovery_timing=self.recovery_timing,
        )

    def net_outflows(self, timing: Timing) -> FloatArray:
        out = np.zeros_like(np.asarray(self.premiums, dtype=np.float64))
        if self.premium_timing == timing:
            out = out + self.premiums
        if self.recovery_timing == timing:
            out = out - self.recoveries
        return out


@dataclass(frozen=True)
class NonPerformance:
    """Risk of non-performance by the reinsurer (para 63).

    Either annual ``probability_of_default`` (per period, conditional on no earlier default; scalar or n
    values) with ``loss_given_default``, or ``amounts``: the PV of expected credit losses at times 0..n (n+1
    values).
    """

    probability_of_default: float | FloatArray = 0.0
    loss_given_default: float = 1.0
    amounts: FloatArray | None = None


@dataclass(frozen=True)
class ReinsuranceRevision:
    """Revised expectations made at the end of a period: cash flows (all periods; only later ones used), the
    risk adjustment at times 0..n (only entries from the revision date used) and optionally new
    non-performance assumptions (their effect goes to profit or loss, para 67)."""

    cash_flows: ReinsuranceCashFlows
    risk_adjustment: FloatArray
    non_performance: NonPerformance | None = None


@dataclass(frozen=True)
class UnderlyingLosses:
    """Loss-component movements of the underlying onerous contracts per period (n values each, positive =
    loss).

    ``initial_losses``: losses on initial recognition of onerous underlying contracts in the period (para 47,
    66A); ``loss_changes``: changes of underlying FCF that did not adjust the underlying CSM (losses para 48
    minus reversals para 50(b)); ``finance``: finance expense allocated to the loss component (para 51);
    ``allocation``: systematic allocation of the loss component (para 50(a)).
    """

    initial_losses: FloatArray
    loss_changes: FloatArray
    finance: FloatArray
    allocation: FloatArray


def underlying_losses(
    *results: GMMResult, n_periods: int | None = None, start_periods: Sequence[int] | None = None
) -> UnderlyingLosses:
    """Collect the loss-component movements of underlying groups measured by :func:`gmm.measure`.

    ``start_periods[j]`` is the reinsurance period (1-based) in which group ``j`` is initially recognised
    (default 1); ``n_periods`` is the reinsurance coverage (default: the longest underlying run). Movements
    after the reinsurance coverage are ignored.
    """
    starts = [1] * len(results) if start_periods is None else [int(s) for s in start_periods]
    if len(starts) != len(results):
        raise InputError("start_periods must have one entry per underlying result.", column="start_periods")
    if any(s < 1 for s in starts):
        raise InputError("start_periods are 1-based reinsurance periods (1 or more).", column="start_periods")
    n = n_periods
    if n is None:
        n = max((s - 1 + len(r.periods) for s, r in zip(starts, results, strict=True)), default=0)
    rows = {"new_contracts": np.zeros(n), "future_service_changes": np.zeros(n)}
    fin = np.zeros(n)
    alloc = np.zeros(n)
    for s, r in zip(starts, results, strict=True):
        for p in r.periods:
            k = s - 1 + p.period - 1
            if k >= n:
                break
            lc = p.loss_component
            for step, arr in rows.items():
                arr[k] += lc.values[lc.steps.index(step), 0]
            fin[k] += lc.values[lc.steps.index("finance_expense"), 0]
            alloc[k] -= lc.values[lc.steps.index("systematic_allocation"), 0]
    return UnderlyingLosses(
        initial_losses=rows["new_contracts"],
        loss_changes=rows["future_service_changes"],
        finance=fin,
        allocation=alloc,
    )


@dataclass(frozen=True)
class ReinsuranceInputs:
    """Inputs for one group of reinsurance contracts held.

    ``expected``: cash flows expected at initial recognition; ``risk_adjustment``: risk transferred at times
    0..n (n+1 non-negative values, normally ending at 0); ``coverage_units``: services received per period
    (B119); ``discount``: locked-in rate / curve / factors as in :func:`gmm.discount_factors`; ``actual``:
    cash flows that occurred (default as expected); ``revisions``: period k -> expectations revised at the end
    of period k; ``non_performance``: reinsurer default (para 63); ``underlying`` and ``recovery_percentage``:
    onerous underlying contracts and the share of their claims recovered (para 66A–66B, B119C–B119F; scalar or
    per period); ``past_events_cost``: part of the net cost at initial recognition relating to past events
    (65A).
    """

    expected: ReinsuranceCashFlows
    risk_adjustment: FloatArray
    coverage_units: FloatArray
    discount: DiscountInput = 0.0
    actual: ReinsuranceCashFlows | None = None
    revisions: Mapping[int, ReinsuranceRevision] = field(default_factory=dict)
    non_performance: NonPerformance | None = None
    underlying: UnderlyingLosses | None = None
    recovery_percentage: float | FloatArray = 0.0
    past_events_cost: float = 0.0
    current_discount: Sequence[DiscountInput] | Mapping[int, DiscountInput] | None = None
    oci_option: bool = False


@dataclass(frozen=True)
class ReinsuranceProfitOrLoss:
    """Profit or loss from reinsurance contracts held in one period (para 86–87). Income and expenses
    positive.

    ``net_result = amounts_recovered − allocation_of_premiums − non_performance_expense −
    past_events_expense``; ``profit = net_result + finance_income``.
    """

    period: int
    allocation_of_premiums: float
    amounts_recovered: float
    non_performance_expense: float
    past_events_expense: float
    net_result: float
    finance_income: float
    profit: float
    expected_recoveries: float
    risk_adjustment_released: float
    csm_released: float
    actual_recoveries: float
    loss_recovery: float
    loss_recovery_reversal: float
    finance_income_pl: float = 0.0
    other_comprehensive_income: float = 0.0


@dataclass(frozen=True)
class ReinsurancePeriod:
    """Everything measured for one period (liability sign; ``csm_release`` signed like the CSM)."""

    period: int
    aoc: AnalysisOfChange
    loss_recovery_component: AnalysisOfChange
    profit_or_loss: ReinsuranceProfitOrLoss
    csm_accretion: float
    csm_adjustment: float
    csm_release: float

    @property
    def carrying_amount(self) -> float:
        return self.aoc.get("closing", "total")

    @property
    def asset(self) -> float:
        return -self.carrying_amount


@dataclass(frozen=True)
class ReinsuranceResult:
    """Measurement of one group of reinsurance contracts held over its coverage period."""

    initial: ReinsuranceInitialRecognition
    periods: tuple[ReinsurancePeriod, ...]
    discount_factors: FloatArray

    @property
    def carrying_amount(self) -> FloatArray:
        """Carrying amount (liability sign) at the end of each period; negative = asset."""
        return np.array([p.carrying_amount for p in self.periods])

    @property
    def asset(self) -> FloatArray:
        return -self.carrying_amount

    @property
    def csm(self) -> FloatArray:
        return np.array([p.aoc.get("closing", "csm") for p in self.periods])

    @property
    def fulfilment_cash_flows(self) -> FloatArray:
        return np.array(
            [
                p.aoc.get("closing", "pv_future_cash_flows")
                + p.aoc.get("closing", "non_performance")
                + p.aoc.get("closing", "risk_adjustment")
                for p in self.periods
            ]
        )

    @property
    def profit(self) -> FloatArray:
        return np.array([p.profit_or_loss.profit for p in self.periods])


def _pv(flows: ReinsuranceCashFlows, v: FloatArray, s: int) -> float:
    n = v.shape[0] - 1
    idx = np.arange(s, n)
    return float(
        flows.net_outflows("beginning")[idx] @ (v[idx] / v[s])
        + flows.net_outflows("end")[idx] @ (v[idx + 1] / v[s])
    )


def _pv_current(flows: ReinsuranceCashFlows, w: FloatArray, s: int) -> float:
    """Like :func:`_pv` with ``w[j]`` the current discount factor at time s for time s + j (``w[0] = 1``)."""
    n = flows.premiums.shape[0]
    idx = np.arange(s, n)
    return float(flows.net_outflows("beginning")[idx] @ w[idx - s] + flows.net_outflows("end")[idx] @ w[idx - s + 1])


def _pd(np_: NonPerformance, n: int) -> tuple[FloatArray, float]:
    p = _vec(np_.probability_of_default, n, "probability_of_default", nonneg=True)
    lgd = _scalar(np_.loss_given_default, "loss_given_default", nonneg=True)
    if np.any(p > 1.0) or lgd > 1.0:
        raise InputError(
            "probability_of_default and loss_given_default must be between 0 and 1.", column="non_performance"
        )
    return p, lgd


def _ecl(np_: NonPerformance | None, flows: ReinsuranceCashFlows, v: FloatArray, s: int) -> float:
    """PV at time s of expected credit losses on recoveries in periods s+1..n (para 63)."""
    n = v.shape[0] - 1
    if np_ is None:
        return 0.0
    if np_.amounts is not None:
        amounts = np.asarray(np_.amounts, dtype=np.float64)
        if amounts.shape != (n + 1,) or not np.all(np.isfinite(amounts)) or np.any(amounts < 0):
            raise InputError(
                f"non_performance.amounts must have {n + 1} non-negative values (times 0..{n}).",
                column="non_performance",
            )
        return float(amounts[s])
    p, lgd = _pd(np_, n)
    idx = np.arange(s, n)
    survival_end = np.cumprod(1.0 - p[idx])  # no default by the end of each period s+1..n
    survival_start = np.concatenate([[1.0], survival_end[:-1]])
    if flows.recovery_timing == "end":
        default_before, vt = 1.0 - survival_end, v[idx + 1] / v[s]
    else:
        default_before, vt = 1.0 - survival_start, v[idx] / v[s]
    return float(lgd * np.sum(flows.recoveries[idx] * default_before * vt))


def _ra(values: npt.ArrayLike, n: int) -> FloatArray:
    ra = np.asarray(values, dtype=np.float64)
    if ra.shape != (n + 1,) or not np.all(np.isfinite(ra)) or np.any(ra < 0):
        raise InputError(
            f"risk_adjustment must have {n + 1} non-negative values (times 0..{n}): the risk transferred.",
            column="risk_adjustment",
        )
    return ra


def measure_reinsurance(inputs: ReinsuranceInputs) -> ReinsuranceResult:
    """Measure a group of reinsurance contracts held period by period (para 60–70A, 86–87)."""
    n = inputs.expected.n_periods
    if n < 1:
        raise InputError("a group of reinsurance contracts needs at least one coverage period.")
    v = discount_factors(inputs.discount, n)
    w_cur = current_discount_factors(inputs.current_discount, v)
    current = inputs.expected._checked(n)
    actual = (inputs.actual or inputs.expected)._checked(n)
    ra_cur = _ra(inputs.risk_adjustment, n)
    cu = _vec(inputs.coverage_units, n, "coverage_units", nonneg=True)
    if cu.sum() <= 0:
        raise InputError("coverage_units must have a positive total.", column="coverage_units")
    for k in inputs.revisions:
        if not 1 <= k <= n:
            raise InputError(f"revision period {k} is outside 1..{n}.", column="revisions")
    pct = _vec(inputs.recovery_percentage, n, "recovery_percentage", nonneg=True)
    if np.any(pct > 1.0):
        raise InputError(
            "recovery_percentage must be between 0 and 1 (e.g. 0.3 for 30 %).", column="recovery_percentage"
        )
    und = inputs.underlying
    if und is None:
        zeros = np.zeros(n)
        und = UnderlyingLosses(zeros, zeros, zeros, zeros)
    u_init = _vec(und.initial_losses, n, "underlying.initial_losses", nonneg=True)
    u_change = _vec(und.loss_changes, n, "underlying.loss_changes")
    u_fin = _vec(und.finance, n, "underlying.finance")
    u_alloc = _vec(und.allocation, n, "underlying.allocation")
    npr_cur = inputs.non_performance
    if npr_cur is not None and npr_cur.amounts is None:
        _pd(npr_cur, n)

    # Initial recognition (para 63–65A); the 66A loss recovery of period 1 is shown in the initial figures.
    pv0 = _pv(current, v, 0)
    ecl0 = _ecl(npr_cur, current, v, 0)
    idx_all = np.arange(n)
    pv_prem0 = float(
        current.premiums @ (v[idx_all] if current.premium_timing == "beginning" else v[idx_all + 1])
    )
    initial = initial_recognition(
        pv_recoveries=max(0.0, pv_prem0 - pv0),
        pv_premiums=pv_prem0,
        risk_adjustment=float(ra_cur[0]),
        non_performance=ecl0,
        underlying_loss=float(u_init[0]),
        recovery_percentage=float(pct[0]),
        past_events_cost=inputs.past_events_cost,
    )
    cu_total_remaining = np.cumsum(cu[::-1])[::-1]

    pv_open = ecl_open = ra_open = csm_open = lrc_open = 0.0
    pv_li_open = accumulated_oci = 0.0
    periods: list[ReinsurancePeriod] = []
    for k in range(1, n + 1):
        i = k - 1
        first = k == 1
        new_pv = pv0 if first else 0.0
        new_ecl = ecl0 if first else 0.0
        new_ra = float(ra_cur[0]) if first else 0.0
        new_csm = initial.csm_before_loss_recovery if first else 0.0
        growth = float(v[i] / v[k]) - 1.0

        # Loss recovery on onerous underlying contracts recognised in the period (66A): adjusts the CSM.
        lr_initial = float(pct[i] * u_init[i])

        # PV of future cash flows: accretion at the current rate of the start of the period on the PV at current
        # rates (para 36, 87); the same at locked-in rates for the CSM adjustments (B72(c)) and the OCI option
        # (B131). Expected credit losses accrete at the locked-in rate.
        beginning_flows = float(current.net_outflows("beginning")[i])
        pv_base = pv_open + new_pv - beginning_flows
        fin_pv = pv_base * (1.0 / float(w_cur[i][1]) - 1.0)
        fin_li = (pv_li_open + new_pv - beginning_flows) * growth
        fin_ecl = (ecl_open + new_ecl) * growth
        pv_expected_close = _pv(current, v, k)
        ecl_expected_close = _ecl(npr_cur, current, v, k)

        prem_exp = float(actual.premiums[i] - current.premiums[i])
        rec_exp = float(actual.recoveries[i] - current.recoveries[i])
        other_exp, prem_exp_current = (0.0, prem_exp) if k == n else (prem_exp, 0.0)

        revision = inputs.revisions.get(k)
        if revision is not None:
            rev = revision.cash_flows._checked(n)
            revised = ReinsuranceCashFlows(
                premiums=np.concatenate([current.premiums[:k], rev.premiums[k:]]),
                recoveries=np.concatenate([current.recoveries[:k], rev.recoveries[k:]]),
                premium_timing=rev.premium_timing,
                recovery_timing=rev.recovery_timing,
            )
            rev_ra = _ra(revision.risk_adjustment, n)
            ra_new = np.concatenate([ra_cur[:k], rev_ra[k:]])
            npr_new = revision.non_performance if revision.non_performance is not None else npr_cur
            if npr_new is not None and npr_new.amounts is None:
                _pd(npr_new, n)
        else:
            revised, ra_new, npr_new = current, ra_cur, npr_cur
        pv_li_close = _pv(revised, v, k)
        pv_close = _pv_current(revised, w_cur[k], k)
        ecl_revised_flows = _ecl(npr_cur, revised, v, k)
        ecl_close = _ecl(npr_new, revised, v, k)

        # Changes relating to future service (66(c)); the part relating to onerous underlying contracts
        # (66(c)(ii)) goes to profit or loss as loss recovery; changes in non-performance risk too (para 67).
        lr_change = float(pct[i] * u_change[i])
        fs_pv_total = pv_li_close - pv_expected_close + other_exp  # changes in estimates at locked-in rates
        fs_ecl = ecl_revised_flows - ecl_expected_close
        fs_ra = -float(ra_new[k] - ra_cur[k])
        lr_pv = -lr_change
        fs_pv = fs_pv_total - lr_pv
        npr_change = (ecl_expected_close - (ecl_open + new_ecl + fin_ecl)) + (ecl_close - ecl_revised_flows)
        ra_release = float(ra_open + new_ra - ra_cur[k])

        # CSM: accretion, future-service adjustment, release by coverage units (para 66, B119).
        csm_start = new_csm - lr_initial + csm_open
        csm_accretion = csm_start * growth
        csm_adj = -(fs_pv + fs_ecl + fs_ra)
        csm_after = csm_start + csm_accretion + csm_adj
        csm_release = (
            csm_after * float(cu[i] / cu_total_remaining[i]) if cu_total_remaining[i] > 0 else csm_after
        )
        csm_close = csm_after - csm_release

        # Loss-recovery component (B119F): follows the underlying loss component.
        lrc_recognised = lr_initial + lr_change
        lrc_fin = float(pct[i] * u_fin[i])
        lrc_reversal = float(pct[i] * u_alloc[i])
        lrc_close = lrc_open + lrc_recognised + lrc_fin - lrc_reversal
        if abs(lrc_close) < 1e-9 * max(1.0, abs(lrc_open) + abs(lrc_recognised)):
            lrc_close = 0.0

        ra_close = float(ra_new[k])
        prem_paid = float(actual.premiums[i])
        rec_received = float(actual.recoveries[i])
        past = inputs.past_events_cost if first else 0.0
        # effect of changes in discount rates (para 87): what is left of the change in the PV at current rates
        # (zero when the current rates are the locked-in ones); shown with the finance line
        fin_pv += pv_close - (pv_open + new_pv + lr_pv - prem_paid + fin_pv + fs_pv + (-rec_exp + prem_exp_current)
                              + rec_received)
        rows = np.array(
            [
                [pv_open, ecl_open, -ra_open, csm_open],
                [new_pv, new_ecl, -new_ra, new_csm],
                [lr_pv, 0.0, 0.0, -lr_initial],
                [-prem_paid, 0.0, 0.0, 0.0],
                [fin_pv, fin_ecl, 0.0, csm_accretion],
                [fs_pv, fs_ecl, fs_ra, csm_adj],
                [0.0, npr_change, 0.0, 0.0],
                [-rec_exp + prem_exp_current, 0.0, ra_release, -csm_release],
                [rec_received, 0.0, 0.0, 0.0],
                [pv_close, ecl_close, -ra_close, csm_close],
            ]
        )
        aoc = AnalysisOfChange(k, RI_AOC_STEPS, RI_AOC_COLUMNS, np.column_stack([rows, rows.sum(axis=1)]))
        lrc_table = AnalysisOfChange(
            k,
            RI_LRC_STEPS,
            ("loss_recovery_component",),
            np.array([[lrc_open], [lrc_recognised], [lrc_fin], [-lrc_reversal], [lrc_close]]),
        )

        expected_rec = float(current.recoveries[i])
        allocation = expected_rec + ra_release - csm_release - lrc_reversal + prem_exp_current
        recovered = rec_received + lrc_recognised - lrc_reversal
        finance_income = -(fin_pv + fin_ecl + csm_accretion)
        finance_income_pl = -(fin_li + fin_ecl + csm_accretion) if inputs.oci_option else finance_income
        oci = finance_income - finance_income_pl
        accumulated_oci += oci
        net = recovered - allocation - npr_change - past
        pl = ReinsuranceProfitOrLoss(
            period=k,
            allocation_of_premiums=allocation,
            amounts_recovered=recovered,
            non_performance_expense=npr_change,
            past_events_expense=past,
            net_result=net,
            finance_income=finance_income,
            profit=net + finance_income_pl,
            expected_recoveries=expected_rec,
            risk_adjustment_released=ra_release,
            csm_released=-csm_release,
            actual_recoveries=rec_received,
            loss_recovery=lrc_recognised,
            loss_recovery_reversal=lrc_reversal,
            finance_income_pl=finance_income_pl,
            other_comprehensive_income=oci,
        )
        carrying_open = pv_open + ecl_open - ra_open + csm_open
        carrying_close = pv_close + ecl_close - ra_close + csm_close
        if not np.isclose(
            pl.profit + pl.other_comprehensive_income,
            rec_received - prem_paid - (carrying_close - carrying_open),
            atol=1e-6 * max(1.0, abs(carrying_close) + abs(carrying_open) + prem_paid + rec_received),
        ):
            raise AssertionError(f"reinsurance profit does not reconcile to the balance sheet in period {k}")
        periods.append(
            ReinsurancePeriod(
                period=k,
                aoc=aoc,
                loss_recovery_component=lrc_table,
                profit_or_loss=pl,
                csm_accretion=csm_accretion,
                csm_adjustment=csm_adj,
                csm_release=csm_release,
            )
        )
        pv_open, ecl_open, ra_open, csm_open, lrc_open = pv_close, ecl_close, ra_close, csm_close, lrc_close
        pv_li_open = pv_li_close
        current, ra_cur, npr_cur = revised, ra_new, npr_new

    return ReinsuranceResult(initial=initial, periods=tuple(periods), discount_factors=v)
