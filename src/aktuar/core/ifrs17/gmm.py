"""General measurement model (GMM) for one group of insurance contracts, in annual steps.

References are to IFRS 17 *Insurance Contracts* (amended June 2020) and its Illustrative Examples (IE):

- fulfilment cash flows = present value of future cash flows + risk adjustment (para 32–37);
- contractual service margin (CSM) at initial recognition (para 38), onerous groups (para 47);
- subsequent measurement of the CSM (para 44): new contracts (a), interest accreted at the rate locked in at
  initial recognition (b, B72(b)), changes relating to future service (c, B96) measured at the locked-in rates
  (B72(c)), release by coverage units after the other adjustments (e, B119);
- current discount rates (para 36, B72(a)): the fulfilment cash flows at each period end are measured at the
  *current* rates of that date (``GroupInputs.current_discount``); the effect of the time value of money and of
  changes in it is insurance finance income or expense (para 87, B97(a)), never a CSM adjustment;
- the OCI option (para 88(b), B129–B133): with ``GroupInputs.oci_option`` the insurance finance expense in profit
  or loss is the systematic allocation at the discount rates locked in at initial recognition (B72(e)(i), B131,
  for groups whose cash flows are not substantially affected by financial assumptions), the rest goes to other
  comprehensive income; the accumulated OCI equals the liability at locked-in rates less the liability at current
  rates, so it returns to zero when the group's coverage is over (B130(b));
- the loss component (para 49–52): systematic allocation of subsequent changes in fulfilment cash flows (para
  50(a), 51) and reversal by favourable changes before any CSM is re-established (para 50(b));
- insurance revenue (para 83, B120–B125), insurance service expenses (para 84), insurance finance income or
  expenses (para 87), the LRC / LIC split (para 103).

Conventions: money is float64, never rounded here (the IASB rounds each intermediate figure to whole CU; round
only at presentation). Liabilities are positive; in the analysis-of-change tables cash inflows appear as positive
(they increase the liability) and outflows as negative. Amounts in :class:`CashFlows` are positive magnitudes.

Modelling choices (documented limitations):

- the locked-in rate is ``GroupInputs.discount``; the current rate at each period end is
  ``GroupInputs.current_discount`` (default: the locked-in forward rates, so nothing moves to the new
  ``financial_assumption_changes`` step). The FCF are accreted over a period at the current rate of its start;
  the AoC step ``financial_assumption_changes`` holds the rest of the change in the PV of future cash flows that
  is due to discount rates: the remeasurement from the opening to the closing current curve and the difference
  between a change in estimates measured at current and at locked-in rates (B72(c), B97(a));
- the OCI option uses the locked-in rate (B131) — the effective-yield and projected-crediting-rate approaches
  (B132) for groups whose cash flows vary with financial assumptions are not implemented;
- the risk adjustment is given per period end and is not accreted nor remeasured for rate changes (its change
  goes to the insurance service result, para 81);
- claims are settled when incurred, so the liability for incurred claims (LIC) is zero at each period end;
- experience adjustments of premiums, investment components and insurance acquisition cash flows adjust the CSM
  (B96(a), B96(c)) except in the last period, when no future service is left and they relate to current service
  (premiums to revenue, B124; investment components and acquisition cash flows to service expenses); experience
  adjustments of claims and expenses relate to current service (B97(c));
- the loss component's systematic allocation ratio is loss component / (PV of future claims and expenses excluding
  investment components + risk adjustment + acquisition cash flows still to be recovered), after interest, as in
  IE Examples 3B and 8; its share of insurance finance expense is loss component / fulfilment cash flows, both at
  locked-in rates, so the loss component, like the CSM, does not move with current rates (the effect of current
  rates stays in the LRC excluding the loss component); any remainder is allocated in the last period so the loss component is nil at the end of coverage (para 52) —
  with a zero allocation base (e.g. a loss made only of investment components) that can make revenue negative;
- insurance acquisition cash flows are recovered in revenue (and expensed) in proportion to coverage units over
  the expected undiscounted amount at initial recognition (B125);
- coverage units are those expected at initial recognition (no revision);
- experience adjustments (actual − expected cash flows of the period that relate to current service, B97(c)) are
  reported as a line of profit or loss (``ProfitOrLoss.experience_adjustments``, positive = adverse) and sit in
  the ``current_service`` AoC step (they are part of insurance service expenses or revenue).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Timing = Literal["beginning", "end"]

AOC_STEPS: tuple[str, ...] = (
    "opening",
    "new_contracts",
    "cash_inflows",
    "finance_expense",
    "future_service_changes",
    "financial_assumption_changes",
    "current_service",
    "cash_outflows",
    "closing",
)
"""Steps of the analysis of change of the insurance contract liability (para 100–105).

``financial_assumption_changes`` (effect of changes in discount rates, para 87) is zero when the current rates
equal the locked-in rates; it was added after ``future_service_changes`` so the earlier steps keep their index.
"""

AOC_COLUMNS: tuple[str, ...] = ("pv_future_cash_flows", "risk_adjustment", "csm", "total")

LC_STEPS: tuple[str, ...] = (
    "opening",
    "new_contracts",
    "finance_expense",
    "systematic_allocation",
    "future_service_changes",
    "closing",
)
"""Steps of the loss-component roll-forward (para 49–52)."""

PRESENTATION_STEPS: tuple[str, ...] = (
    "opening",
    "cash_inflows",
    "insurance_revenue",
    "insurance_service_expenses",
    "investment_components",
    "finance_expense",
    "cash_outflows",
    "closing",
)
PRESENTATION_COLUMNS: tuple[str, ...] = ("lrc_excl_loss_component", "loss_component", "lic", "total")

_TOL = 1e-6


@runtime_checkable
class DiscountCurve(Protocol):
    """Anything with ``discount(t)`` returning discount factors (e.g. :class:`aktuar.core.curves.Curve`)."""

    def discount(self, t: npt.ArrayLike) -> npt.ArrayLike: ...


DiscountInput = float | DiscountCurve | Callable[[float], float] | Sequence[float] | FloatArray


def _vector(values: npt.ArrayLike, n: int, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(f"{name} must have {n} values (one per period); got shape {arr.shape}.", column=name)
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{name} contains a missing or infinite value; give a number for every period.", column=name
        )
    return arr


@dataclass(frozen=True)
class CashFlows:
    """Cash flows of one group per annual period (positive magnitudes, index 0 = period 1).

    ``claims`` are claims and other fulfilment expenses *excluding* investment components (para 85);
    ``investment_components`` are paid with the claims (same timing); ``acquisition`` are insurance acquisition
    cash flows directly attributable to the group (para 28A, B65(e)).
    """

    premiums: FloatArray
    claims: FloatArray
    investment_components: FloatArray | None = None
    acquisition: FloatArray | None = None
    premium_timing: Timing = "beginning"
    claims_timing: Timing = "end"
    acquisition_timing: Timing = "beginning"

    @property
    def n_periods(self) -> int:
        return int(np.asarray(self.premiums).shape[0])

    def normalised(self, n: int) -> _Flows:
        zeros = np.zeros(n)
        flows = _Flows(
            premiums=_vector(self.premiums, n, "premiums"),
            claims=_vector(self.claims, n, "claims"),
            investment_components=_vector(
                zeros if self.investment_components is None else self.investment_components,
                n,
                "investment_components",
            ),
            acquisition=_vector(zeros if self.acquisition is None else self.acquisition, n, "acquisition"),
            premium_timing=self.premium_timing,
            claims_timing=self.claims_timing,
            acquisition_timing=self.acquisition_timing,
        )
        for timing, name in (
            (self.premium_timing, "premium_timing"),
            (self.claims_timing, "claims_timing"),
            (self.acquisition_timing, "acquisition_timing"),
        ):
            if timing not in ("beginning", "end"):
                raise InputError(f"{name} must be 'beginning' or 'end', not {timing!r}.", column=name)
        return flows


@dataclass(frozen=True)
class _Flows:
    premiums: FloatArray
    claims: FloatArray
    investment_components: FloatArray
    acquisition: FloatArray
    premium_timing: Timing
    claims_timing: Timing
    acquisition_timing: Timing

    def net_outflows(self, timing: Timing) -> FloatArray:
        """Net outflows (outflows − inflows) per period paid at ``timing``."""
        out = np.zeros_like(self.premiums)
        if self.premium_timing == timing:
            out = out - self.premiums
        if self.claims_timing == timing:
            out = out + self.claims + self.investment_components
        if self.acquisition_timing == timing:
            out = out + self.acquisition
        return out

    def claims_at(self, timing: Timing) -> FloatArray:
        return self.claims if self.claims_timing == timing else np.zeros_like(self.claims)


@dataclass(frozen=True)
class Revision:
    """Revised expectations made at the end of a period (changes in estimates, para 44(c), B96–B97).

    ``cash_flows`` holds all periods; only periods after the revision date are used. ``risk_adjustment`` holds the
    risk adjustment at times 0..n; only entries from the revision date on are used.
    """

    cash_flows: CashFlows
    risk_adjustment: FloatArray


@dataclass(frozen=True)
class TransitionBalances:
    """The CSM or loss component of a group at the transition date, determined by a transition approach
    (IFRS 17 C5, C15–C17, C20; :mod:`aktuar.core.ifrs17.transition`). With them the measurement starts at the
    transition date (time 0) with these balances instead of an initial recognition: the fulfilment cash flows at
    time 0 are measured as usual, nothing is recognised in profit or loss at time 0 (the effect of transition
    goes to equity, C4(d))."""

    csm: float = 0.0
    loss_component: float = 0.0

    def __post_init__(self) -> None:
        for name in ("csm", "loss_component"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"the {name} at transition must be a number ≥ 0, not {value}.", column=name)
        if self.csm > 0 and self.loss_component > 0:
            raise InputError("a group has either a CSM or a loss component at transition, not both.", column="csm")


@dataclass(frozen=True)
class GroupInputs:
    """Inputs of the GMM for one group of insurance contracts.

    ``expected``: cash flows expected at initial recognition. ``risk_adjustment``: RA at times 0..n (n+1 values,
    the last normally 0). ``coverage_units``: per period (B119). ``discount``: the locked-in annual rate (scalar),
    a curve with ``discount(t)``, a callable t -> discount factor, or discount factors at times 0..n (or 1..n).
    ``actual``: cash flows that actually occurred (default: as expected). ``revisions``: period k (1-based) ->
    revised expectations made at the end of period k.

    ``current_discount``: the current discount rates at the end of each period k = 1..n (para 36, B72(a)), as a
    sequence of n entries or a mapping k -> entry (periods not given use the locked-in forward rates). Each entry
    is a rate, a curve, a callable or discount factors, like ``discount`` but with time measured from that period
    end (t = 0 is the reporting date). ``None``: current rates equal the locked-in rates.
    ``oci_option``: disaggregate insurance finance income or expenses between profit or loss (locked-in rate,
    B131) and other comprehensive income (para 88(b)).
    """

    expected: CashFlows
    risk_adjustment: FloatArray
    coverage_units: FloatArray
    discount: DiscountInput = 0.0
    actual: CashFlows | None = None
    revisions: Mapping[int, Revision] = field(default_factory=dict)
    current_discount: Sequence[DiscountInput] | Mapping[int, DiscountInput] | None = None
    oci_option: bool = False
    transition: TransitionBalances | None = None


@dataclass(frozen=True)
class AnalysisOfChange:
    """Analysis of change of one period: ``values[i, j]`` for step ``steps[i]`` and column ``columns[j]``.

    The rows from ``opening`` to the row before ``closing`` add up to ``closing`` (checked on construction).
    """

    period: int
    steps: tuple[str, ...]
    columns: tuple[str, ...]
    values: FloatArray

    def __post_init__(self) -> None:
        movement = self.values[:-1].sum(axis=0)
        if not np.allclose(
            movement, self.values[-1], rtol=0.0, atol=_TOL * max(1.0, float(np.abs(self.values).max()))
        ):
            raise AssertionError(f"analysis of change for period {self.period} does not add up to closing")

    def get(self, step: str, column: str) -> float:
        return float(self.values[self.steps.index(step), self.columns.index(column)])

    def row(self, step: str) -> dict[str, float]:
        return {c: float(v) for c, v in zip(self.columns, self.values[self.steps.index(step)], strict=True)}


@dataclass(frozen=True)
class ProfitOrLoss:
    """Statement of profit or loss lines of one period (para 80–87). Expenses are positive numbers.

    ``insurance_finance_expenses`` is the total (para 87); ``insurance_finance_expenses_pl`` the part in profit or
    loss and ``insurance_finance_expenses_oci`` the part in OCI (para 88(b); nil without the OCI option).
    ``profit`` is the profit or loss (``insurance_service_result − insurance_finance_expenses_pl``);
    ``other_comprehensive_income = −insurance_finance_expenses_oci``. ``financial_assumption_changes`` is the part
    of the total finance expense due to changes in discount rates. ``experience_adjustments`` = actual − expected
    cash flows of the period relating to current service (positive = adverse, B97(c)); it is included in
    ``insurance_service_expenses`` (claims) or ``insurance_revenue`` (premiums, last period).
    The defaults of the later fields only keep old constructors working; :func:`measure` sets them all.
    """

    period: int
    insurance_revenue: float
    insurance_service_expenses: float
    insurance_service_result: float
    insurance_finance_expenses: float
    profit: float
    expected_claims_released: float
    risk_adjustment_released: float
    csm_released: float
    acquisition_recovery: float
    loss_component_allocation: float
    incurred_claims: float
    losses_on_onerous_contracts: float
    loss_reversals: float
    insurance_finance_expenses_pl: float = 0.0
    insurance_finance_expenses_oci: float = 0.0
    other_comprehensive_income: float = 0.0
    total_comprehensive_income: float = 0.0
    financial_assumption_changes: float = 0.0
    experience_adjustments: float = 0.0


@dataclass(frozen=True)
class PeriodResult:
    """Everything measured for one period."""

    period: int
    aoc: AnalysisOfChange
    loss_component: AnalysisOfChange
    presentation: AnalysisOfChange
    profit_or_loss: ProfitOrLoss
    csm_accretion: float
    csm_adjustment: float
    csm_release: float
    loss_component_allocation_ratio: float
    accumulated_oci: float = 0.0
    pv_future_cash_flows_locked_in: float = 0.0


@dataclass(frozen=True)
class InitialRecognition:
    """Measurement on initial recognition (para 32, 38, 47)."""

    pv_inflows: float
    pv_outflows: float
    pv_future_cash_flows: float
    risk_adjustment: float
    fulfilment_cash_flows: float
    csm: float
    loss: float


@dataclass(frozen=True)
class GMMResult:
    """GMM measurement of one group over its coverage period."""

    initial: InitialRecognition
    periods: tuple[PeriodResult, ...]
    discount_factors: FloatArray
    current_discount_factors: tuple[FloatArray, ...] = ()
    """Per period end k = 0..n: current discount factors for times k..n measured from k (index 0 = 1)."""

    @property
    def liability(self) -> FloatArray:
        """Insurance contract liability at the end of each period."""
        return np.array([p.aoc.get("closing", "total") for p in self.periods])

    @property
    def profit(self) -> FloatArray:
        return np.array([p.profit_or_loss.profit for p in self.periods])

    @property
    def other_comprehensive_income(self) -> FloatArray:
        return np.array([p.profit_or_loss.other_comprehensive_income for p in self.periods])

    @property
    def accumulated_oci(self) -> FloatArray:
        """Accumulated other comprehensive income of the group at the end of each period (B130(b))."""
        return np.array([p.accumulated_oci for p in self.periods])


def discount_factors(discount: DiscountInput, n: int) -> FloatArray:
    """Discount factors v(0..n) at the locked-in rate (B72(b)) from a rate, curve, callable or array."""
    times = np.arange(n + 1, dtype=np.float64)
    if isinstance(discount, (int, float)):
        rate = float(discount)
        if not np.isfinite(rate) or rate <= -1.0:
            raise InputError(f"discount rate must be a number above -100 %; got {rate}.", column="discount")
        v = (1.0 + rate) ** -times
    elif isinstance(discount, DiscountCurve):
        v = np.asarray(discount.discount(times), dtype=np.float64).reshape(n + 1)
    elif callable(discount):
        v = np.array([float(discount(float(t))) for t in times])
    else:
        arr = np.asarray(discount, dtype=np.float64).ravel()
        if arr.shape == (n,):
            arr = np.concatenate([[1.0], arr])
        if arr.shape != (n + 1,):
            raise InputError(
                f"discount factors must have {n} or {n + 1} values; got {arr.shape[0]}.", column="discount"
            )
        v = arr
    if not np.all(np.isfinite(v)) or np.any(v <= 0.0) or abs(v[0] - 1.0) > 1e-12:
        raise InputError("discount factors must be positive and finite, with v(0) = 1.", column="discount")
    return v


def _pv_after(flows: _Flows, v: FloatArray, s: int) -> tuple[float, float, float]:
    """PV at time s of flows in periods s+1..n: (net outflows, inflows, claims excl. investment components)."""
    return _pv_from(flows, v[s:] / v[s], s)


def _pv_from(flows: _Flows, w: FloatArray, s: int) -> tuple[float, float, float]:
    """Like :func:`_pv_after` with ``w[j]`` the discount factor at time s from time s + j (``w[0] = 1``)."""
    n = flows.premiums.shape[0]
    idx = np.arange(s, n)  # 0-based period indices for periods s+1..n
    vb = w[idx - s]
    ve = w[idx - s + 1]
    net = float(flows.net_outflows("beginning")[idx] @ vb + flows.net_outflows("end")[idx] @ ve)
    prem = flows.premiums[idx]
    inflow = float(prem @ (vb if flows.premium_timing == "beginning" else ve))
    claims = float(flows.claims_at("beginning")[idx] @ vb + flows.claims_at("end")[idx] @ ve)
    return net, inflow, claims


def current_discount_factors(
    current: Sequence[DiscountInput] | Mapping[int, DiscountInput] | None, v: FloatArray
) -> tuple[FloatArray, ...]:
    """Current discount factors at each period end k = 0..n for times k..n, measured from k (para 36, B72(a)).

    ``v`` are the locked-in factors v(0..n); at k = 0 the current rates are the locked-in ones, and any period end
    without a current curve uses the locked-in forward factors v(k + j) / v(k).
    """
    n = v.shape[0] - 1
    given: dict[int, DiscountInput] = {}
    if current is not None:
        if isinstance(current, Mapping):
            given = dict(current)
        elif isinstance(current, (str, bytes)) or not isinstance(current, Sequence | np.ndarray):
            raise InputError(
                "current_discount must be a list with one rate or curve per period end, or a mapping "
                "period -> rate or curve.",
                column="current_discount",
            )
        else:
            entries = list(current)
            if len(entries) != n:
                raise InputError(
                    f"current_discount must have {n} entries (one per period end 1..{n}); got {len(entries)}.",
                    column="current_discount",
                )
            given = {k: d for k, d in enumerate(entries, start=1)}
    for k in given:
        if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise InputError(f"current_discount period {k!r} is outside 1..{n}.", column="current_discount")
    out = [v.copy()]
    for k in range(1, n + 1):
        if k in given:
            d = given[k]
            if isinstance(d, np.floating):
                d = float(d)
            out.append(discount_factors(d, n - k))
        else:
            out.append(v[k:] / v[k])
    return tuple(out)


def _ra(values: npt.ArrayLike, n: int) -> FloatArray:
    ra = np.asarray(values, dtype=np.float64)
    if ra.shape != (n + 1,) or not np.all(np.isfinite(ra)) or np.any(ra < 0):
        raise InputError(
            f"risk_adjustment must have {n + 1} non-negative values (times 0..{n}).", column="risk_adjustment"
        )
    return ra


def measure(inputs: GroupInputs) -> GMMResult:
    """Measure one group under the general model, period by period (para 32–52, 83–87, 100–105)."""
    n = inputs.expected.n_periods
    if n < 1:
        raise InputError("a group needs at least one coverage period.")
    v = discount_factors(inputs.discount, n)
    w_cur = current_discount_factors(inputs.current_discount, v)
    current = inputs.expected.normalised(n)
    actual = (inputs.actual or inputs.expected).normalised(n)
    ra_cur = _ra(inputs.risk_adjustment, n)
    cu = _vector(inputs.coverage_units, n, "coverage_units")
    if np.any(cu < 0) or cu.sum() <= 0:
        raise InputError(
            "coverage_units must be non-negative with a positive total.", column="coverage_units"
        )
    for k in inputs.revisions:
        if not 1 <= k <= n:
            raise InputError(f"revision period {k} is outside 1..{n}.", column="revisions")

    # Initial recognition (para 32, 38, 47).
    pv0, pv_in0, _ = _pv_after(current, v, 0)
    fcf0 = pv0 + ra_cur[0]
    csm0 = max(0.0, -fcf0)
    loss0 = max(0.0, fcf0)
    initial = InitialRecognition(
        pv_inflows=-pv_in0,
        pv_outflows=pv0 + pv_in0,
        pv_future_cash_flows=pv0,
        risk_adjustment=float(ra_cur[0]),
        fulfilment_cash_flows=fcf0,
        csm=csm0,
        loss=loss0,
    )
    acq_total = float(current.acquisition.sum())
    cu_total = float(cu.sum())

    pv_open = ra_open = csm_open = lc_open = 0.0
    lrc_open = lic_open = 0.0
    pv_li_open = accumulated_oci = 0.0
    tb = inputs.transition
    if tb is not None:  # balances at the transition date instead of an initial recognition (C4–C24)
        pv_open, ra_open, csm_open, lc_open = pv0, float(ra_cur[0]), tb.csm, tb.loss_component
        if tb.loss_component > pv0 + float(ra_cur[0]) + _TOL:
            raise InputError("the loss component at transition exceeds the fulfilment cash flows of the group.",
                             column="loss_component")
        pv_li_open = pv0
        lrc_open = pv0 + float(ra_cur[0]) + tb.csm - tb.loss_component
        initial = InitialRecognition(initial.pv_inflows, initial.pv_outflows, pv0, float(ra_cur[0]), fcf0, tb.csm,
                                     tb.loss_component)
    periods: list[PeriodResult] = []
    for k in range(1, n + 1):
        i = k - 1
        new_pv, new_ra, new_csm, new_loss = (
            (pv0, float(ra_cur[0]), csm0, loss0) if k == 1 and tb is None else (0.0, 0.0, 0.0, 0.0)
        )
        growth = float(v[i] / v[k]) - 1.0  # locked-in (B72(b))
        w_open, w_close = w_cur[i], w_cur[k]
        growth_cur = 1.0 / float(w_open[1]) - 1.0  # current rate at the start of the period (B72(a))

        # PV of future cash flows: accretion on the balance left after beginning-of-period cash flows (para 87),
        # at current rates; the same at locked-in rates for the CSM adjustments (B72(c)) and the OCI option (B131).
        beginning_flows = float(current.net_outflows("beginning")[i])
        pv_base = pv_open + new_pv - beginning_flows
        ife_pv = pv_base * growth_cur
        ife_li = (pv_li_open + new_pv - beginning_flows) * growth
        pv_expected_close, _, _ = _pv_after(current, v, k)

        # Experience adjustments (B96(a), B96(c) to the CSM; B97(c) claims to current service).
        claims_exp = float(actual.claims[i] - current.claims[i])
        other_exp = float(
            (actual.investment_components[i] - current.investment_components[i])
            + (actual.acquisition[i] - current.acquisition[i])
            - (actual.premiums[i] - current.premiums[i])
        )
        prem_exp_current = ic_exp_current = acq_exp_current = 0.0
        if k == n:  # no future service is left: experience adjustments relate to current service (B97(c))
            prem_exp_current = float(actual.premiums[i] - current.premiums[i])
            ic_exp_current = float(actual.investment_components[i] - current.investment_components[i])
            acq_exp_current = float(actual.acquisition[i] - current.acquisition[i])
            claims_exp += other_exp
            other_exp = 0.0
        revision = inputs.revisions.get(k)
        if revision is not None:
            revised = revision.cash_flows.normalised(n)
            revised_ra = _ra(revision.risk_adjustment, n)
            revised = _Flows(
                premiums=np.concatenate([current.premiums[:k], revised.premiums[k:]]),
                claims=np.concatenate([current.claims[:k], revised.claims[k:]]),
                investment_components=np.concatenate(
                    [current.investment_components[:k], revised.investment_components[k:]]
                ),
                acquisition=np.concatenate([current.acquisition[:k], revised.acquisition[k:]]),
                premium_timing=revised.premium_timing,
                claims_timing=revised.claims_timing,
                acquisition_timing=revised.acquisition_timing,
            )
            ra_new = np.concatenate([ra_cur[:k], revised_ra[k:]])
        else:
            revised, ra_new = current, ra_cur
        pv_li_close, _, _ = _pv_after(revised, v, k)
        pv_close, _, _ = _pv_from(revised, w_close, k)
        fs_pv = pv_li_close - pv_expected_close + other_exp  # changes in estimates at locked-in rates (B72(c))
        fs_ra = float(ra_new[k] - ra_cur[k])
        # Release from risk of the risk adjustment, as expected at the start of the period (B124(b)).
        ra_release = float(ra_open + new_ra - ra_cur[k])

        # Loss component: share of finance expense, then systematic allocation (para 50(a), 51).
        # Measured at locked-in rates, so the loss component (like the CSM) does not move with current rates.
        lc = lc_open + new_loss
        fcf_base = pv_li_open + new_pv - beginning_flows + ra_open + new_ra
        lc_ife = ife_li * lc / fcf_base if lc > _TOL and fcf_base > _TOL else 0.0
        lc += lc_ife
        _, _, claims_pv_k1 = _pv_after(current, v, i)
        acq_recovery = acq_total * float(cu[i]) / cu_total
        acq_remaining = acq_total * float(cu[i:].sum()) / cu_total
        alloc_denominator = claims_pv_k1 * (1.0 + growth) + ra_open + new_ra + acq_remaining
        if lc > _TOL and alloc_denominator > _TOL:
            ratio = min(1.0, lc / alloc_denominator)
        else:
            ratio = 0.0
        alloc_claims = ratio * float(current.claims[i])
        alloc_ra = ratio * ra_release
        allocation = min(lc, alloc_claims + alloc_ra + ratio * acq_recovery)
        if k == n:
            allocation = lc  # the loss component is nil at the end of the coverage period (para 52)
        lc -= allocation

        # CSM: accretion at the locked-in rate, future-service adjustment, release (para 44, B72(b), B96, B119).
        csm_accretion = (csm_open + new_csm) * growth
        csm_pre = csm_open + new_csm + csm_accretion
        fs = fs_pv + fs_ra
        loss_fs = reversal = 0.0
        if fs >= 0.0:
            csm_adj = -min(fs, csm_pre)
            loss_fs = fs + csm_adj
        else:
            reversal = min(-fs, lc)
            csm_adj = -fs - reversal
        lc += loss_fs - reversal
        csm_after = csm_pre + csm_adj
        remaining_cu = float(cu[i:].sum())
        csm_release = csm_after * float(cu[i]) / remaining_cu if remaining_cu > 0 else csm_after
        csm_close = csm_after - csm_release

        ra_close = float(ra_new[k])
        cash_in = float(actual.premiums[i])
        cash_out = float(actual.claims[i] + actual.investment_components[i] + actual.acquisition[i])
        # Effect of changes in discount rates (para 87, B97(a)): what is left of the change in the PV at current
        # rates; zero when the current rates are the locked-in ones.
        fin_pv = pv_close - (pv_open + new_pv + cash_in + ife_pv + fs_pv + claims_exp - cash_out)
        aoc_rows = np.array(
            [
                [pv_open, ra_open, csm_open],
                [new_pv, new_ra, new_csm],
                [cash_in, 0.0, 0.0],
                [ife_pv, 0.0, csm_accretion],
                [fs_pv, fs_ra, csm_adj],
                [fin_pv, 0.0, 0.0],
                [claims_exp, -ra_release, -csm_release],
                [-cash_out, 0.0, 0.0],
                [pv_close, ra_close, csm_close],
            ]
        )
        aoc = AnalysisOfChange(k, AOC_STEPS, AOC_COLUMNS, np.column_stack([aoc_rows, aoc_rows.sum(axis=1)]))
        lc_table = AnalysisOfChange(
            k,
            LC_STEPS,
            ("loss_component",),
            np.array([[lc_open], [new_loss], [lc_ife], [-allocation], [loss_fs - reversal], [lc]]),
        )

        # Profit or loss (para 83–87, B120–B125); OCI option (para 88(b), B131: locked-in rate in profit or loss).
        ife = ife_pv + fin_pv + csm_accretion
        ife_pl = ife_li + csm_accretion if inputs.oci_option else ife
        ife_oci = ife - ife_pl
        accumulated_oci -= ife_oci
        revenue = (
            float(current.claims[i]) + ra_release + csm_release + acq_recovery - allocation + prem_exp_current
        )
        incurred = float(actual.claims[i]) + ic_exp_current
        losses = new_loss + loss_fs
        ise = incurred + acq_recovery + acq_exp_current + losses - reversal - allocation
        pl = ProfitOrLoss(
            period=k,
            insurance_revenue=revenue,
            insurance_service_expenses=ise,
            insurance_service_result=revenue - ise,
            insurance_finance_expenses=ife,
            profit=revenue - ise - ife_pl,
            expected_claims_released=float(current.claims[i]) - alloc_claims,
            risk_adjustment_released=ra_release - alloc_ra,
            csm_released=csm_release,
            acquisition_recovery=acq_recovery,
            loss_component_allocation=allocation,
            incurred_claims=incurred,
            losses_on_onerous_contracts=losses,
            loss_reversals=reversal,
            insurance_finance_expenses_pl=ife_pl,
            insurance_finance_expenses_oci=ife_oci,
            other_comprehensive_income=-ife_oci,
            total_comprehensive_income=revenue - ise - ife,
            financial_assumption_changes=fin_pv,
            experience_adjustments=claims_exp,
        )
        liability_close = pv_close + ra_close + csm_close
        liability_open = pv_open + ra_open + csm_open
        # Comprehensive income reconciles to the balance sheet: inflows − outflows − change in liability.
        tci = pl.total_comprehensive_income
        scale = max(1.0, abs(liability_open), abs(liability_close), cash_in, cash_out)
        if not np.isclose(tci, cash_in - cash_out - (liability_close - liability_open), atol=max(1e-6, 1e-9 * scale)):
            raise AssertionError(f"comprehensive income does not reconcile to the liability in period {k}")

        # LRC / LIC presentation (para 100, 103); claims are settled when incurred, so LIC closes at zero.
        ic = float(actual.investment_components[i]) - ic_exp_current
        pres_rows = np.array(
            [
                [lrc_open, lc_open, lic_open],
                [cash_in, 0.0, 0.0],
                [-revenue, 0.0, 0.0],
                [acq_recovery + acq_exp_current, losses - reversal - allocation, incurred],
                [-ic, 0.0, ic],
                [ife - lc_ife, lc_ife, 0.0],
                [-float(actual.acquisition[i]), 0.0, -(incurred + ic)],
                [liability_close - lc, lc, 0.0],
            ]
        )
        presentation = AnalysisOfChange(
            k, PRESENTATION_STEPS, PRESENTATION_COLUMNS, np.column_stack([pres_rows, pres_rows.sum(axis=1)])
        )
        periods.append(
            PeriodResult(
                period=k,
                aoc=aoc,
                loss_component=lc_table,
                presentation=presentation,
                profit_or_loss=pl,
                csm_accretion=csm_accretion,
                csm_adjustment=csm_adj,
                csm_release=csm_release,
                loss_component_allocation_ratio=ratio,
                accumulated_oci=accumulated_oci,
                pv_future_cash_flows_locked_in=pv_li_close,
            )
        )
        pv_open, ra_open, csm_open, lc_open = pv_close, ra_close, csm_close, lc
        pv_li_open = pv_li_close
        lrc_open, lic_open = liability_close - lc, 0.0
        current, ra_cur = revised, ra_new

    return GMMResult(initial=initial, periods=tuple(periods), discount_factors=v, current_discount_factors=w_cur)
