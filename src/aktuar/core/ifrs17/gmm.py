"""General measurement model (GMM) for one group of insurance contracts, in annual steps.

References are to IFRS 17 *Insurance Contracts* (amended June 2020) and its Illustrative Examples (IE):

- fulfilment cash flows = present value of future cash flows + risk adjustment (para 32–37);
- contractual service margin (CSM) at initial recognition (para 38), onerous groups (para 47);
- subsequent measurement of the CSM (para 44): new contracts (a), interest accreted at the rate locked in at
  initial recognition (b, B72(b)), changes relating to future service (c, B96), release by coverage units after
  the other adjustments (e, B119);
- the loss component (para 49–52): systematic allocation of subsequent changes in fulfilment cash flows (para
  50(a), 51) and reversal by favourable changes before any CSM is re-established (para 50(b));
- insurance revenue (para 83, B120–B125), insurance service expenses (para 84), insurance finance income or
  expenses (para 87), the LRC / LIC split (para 103).

Conventions: money is float64, never rounded here (the IASB rounds each intermediate figure to whole CU; round
only at presentation). Liabilities are positive; in the analysis-of-change tables cash inflows appear as positive
(they increase the liability) and outflows as negative. Amounts in :class:`CashFlows` are positive magnitudes.

Modelling choices (documented limitations):

- the discount rate is the locked-in rate; the current rate is taken to equal it (no OCI disaggregation, para 88);
- the risk adjustment is given per period end and is not accreted (its change goes to the insurance service
  result, para 81);
- claims are settled when incurred, so the liability for incurred claims (LIC) is zero at each period end;
- experience adjustments of premiums, investment components and insurance acquisition cash flows adjust the CSM
  (B96(a), B96(c)) except in the last period, when no future service is left and they relate to current service
  (premiums to revenue, B124; investment components and acquisition cash flows to service expenses); experience
  adjustments of claims and expenses relate to current service (B97(c));
- the loss component's systematic allocation ratio is loss component / (PV of future claims and expenses excluding
  investment components + risk adjustment + acquisition cash flows still to be recovered), after interest, as in
  IE Examples 3B and 8; its share of insurance finance expense is loss component / fulfilment cash flows; any
  remainder is allocated in the last period so the loss component is nil at the end of coverage (para 52) —
  with a zero allocation base (e.g. a loss made only of investment components) that can make revenue negative;
- insurance acquisition cash flows are recovered in revenue (and expensed) in proportion to coverage units over
  the expected undiscounted amount at initial recognition (B125);
- coverage units are those expected at initial recognition (no revision).
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
    "current_service",
    "cash_outflows",
    "closing",
)
"""Steps of the analysis of change of the insurance contract liability (para 100–105)."""

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
class GroupInputs:
    """Inputs of the GMM for one group of insurance contracts.

    ``expected``: cash flows expected at initial recognition. ``risk_adjustment``: RA at times 0..n (n+1 values,
    the last normally 0). ``coverage_units``: per period (B119). ``discount``: the locked-in annual rate (scalar),
    a curve with ``discount(t)``, a callable t -> discount factor, or discount factors at times 0..n (or 1..n).
    ``actual``: cash flows that actually occurred (default: as expected). ``revisions``: period k (1-based) ->
    revised expectations made at the end of period k.
    """

    expected: CashFlows
    risk_adjustment: FloatArray
    coverage_units: FloatArray
    discount: DiscountInput = 0.0
    actual: CashFlows | None = None
    revisions: Mapping[int, Revision] = field(default_factory=dict)


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
    """Statement of profit or loss lines of one period (para 80–87). Expenses are positive numbers."""

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

    @property
    def liability(self) -> FloatArray:
        """Insurance contract liability at the end of each period."""
        return np.array([p.aoc.get("closing", "total") for p in self.periods])

    @property
    def profit(self) -> FloatArray:
        return np.array([p.profit_or_loss.profit for p in self.periods])


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
    n = flows.premiums.shape[0]
    idx = np.arange(s, n)  # 0-based period indices for periods s+1..n
    vb = v[idx] / v[s]
    ve = v[idx + 1] / v[s]
    net = float(flows.net_outflows("beginning")[idx] @ vb + flows.net_outflows("end")[idx] @ ve)
    prem = flows.premiums[idx]
    inflow = float(prem @ (vb if flows.premium_timing == "beginning" else ve))
    claims = float(flows.claims_at("beginning")[idx] @ vb + flows.claims_at("end")[idx] @ ve)
    return net, inflow, claims


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
    periods: list[PeriodResult] = []
    for k in range(1, n + 1):
        i = k - 1
        new_pv, new_ra, new_csm, new_loss = (
            (pv0, float(ra_cur[0]), csm0, loss0) if k == 1 else (0.0, 0.0, 0.0, 0.0)
        )
        growth = float(v[i] / v[k]) - 1.0

        # PV of future cash flows: accretion on the balance left after beginning-of-period cash flows (para 87).
        pv_base = pv_open + new_pv - float(current.net_outflows("beginning")[i])
        ife_pv = pv_base * growth
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
        pv_close, _, _ = _pv_after(revised, v, k)
        fs_pv = pv_close - pv_expected_close + other_exp
        fs_ra = float(ra_new[k] - ra_cur[k])
        # Release from risk of the risk adjustment, as expected at the start of the period (B124(b)).
        ra_release = float(ra_open + new_ra - ra_cur[k])

        # Loss component: share of finance expense, then systematic allocation (para 50(a), 51).
        lc = lc_open + new_loss
        fcf_base = pv_base + ra_open + new_ra
        lc_ife = ife_pv * lc / fcf_base if lc > _TOL and fcf_base > _TOL else 0.0
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
        aoc_rows = np.array(
            [
                [pv_open, ra_open, csm_open],
                [new_pv, new_ra, new_csm],
                [cash_in, 0.0, 0.0],
                [ife_pv, 0.0, csm_accretion],
                [fs_pv, fs_ra, csm_adj],
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

        # Profit or loss (para 83–87, B120–B125).
        ife = ife_pv + csm_accretion
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
            profit=revenue - ise - ife,
            expected_claims_released=float(current.claims[i]) - alloc_claims,
            risk_adjustment_released=ra_release - alloc_ra,
            csm_released=csm_release,
            acquisition_recovery=acq_recovery,
            loss_component_allocation=allocation,
            incurred_claims=incurred,
            losses_on_onerous_contracts=losses,
            loss_reversals=reversal,
        )
        liability_close = pv_close + ra_close + csm_close
        liability_open = pv_open + ra_open + csm_open
        # Profit reconciles to the balance sheet: profit = inflows − outflows − change in liability.
        if not np.isclose(pl.profit, cash_in - cash_out - (liability_close - liability_open), atol=1e-6):
            raise AssertionError(f"profit does not reconcile to the liability in period {k}")

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
            )
        )
        pv_open, ra_open, csm_open, lc_open = pv_close, ra_close, csm_close, lc
        lrc_open, lic_open = liability_close - lc, 0.0
        current, ra_cur = revised, ra_new

    return GMMResult(initial=initial, periods=tuple(periods), discount_factors=v)
