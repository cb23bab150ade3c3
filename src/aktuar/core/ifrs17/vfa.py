"""Variable fee approach (VFA) for one group of insurance contracts with direct participation features.

References are to IFRS 17 *Insurance Contracts* (amended June 2020):

- contracts with direct participation features (B101): the policyholder participates in a clearly identified pool
  of underlying items, is paid a substantial share of their fair value returns, and a substantial proportion of
  what is paid varies with them;
- the obligation to the policyholder is the fair value of the underlying items less a *variable fee* (B104): the
  entity's share of the fair value of the underlying items less the fulfilment cash flows that do not vary with
  them (here a minimum death benefit — a financial guarantee — and expenses) and the risk adjustment;
- the CSM (para 45, B110–B114) is adjusted for the change in the entity's share of the fair value of the
  underlying items (45(b), B112) and for changes in fulfilment cash flows that do not vary with the underlying
  items and relate to future service, including the effect of the time value of money and of financial risks on
  them (45(c), B113(b)); there is no separate interest accretion at a locked-in rate (B72(b) does not apply);
  changes in the obligation to pay the policyholder the fair value of the underlying items do not adjust the CSM
  (B111) and are insurance finance income or expenses (para 87);
- the risk mitigation option (B115–B117A): with ``risk_mitigation`` the effect of financial risk on the guarantee
  (the change in its present value caused by the actual return of the underlying items and by the change in
  current rates) is recognised in profit or loss as insurance finance expense instead of adjusting the CSM — the
  results of the derivatives that mitigate it are outside this module;
- the CSM is released by coverage units after all adjustments (para 45(e), B119);
- insurance revenue (B124) = expected guarantee claims and expenses of the period + release of the risk adjustment
  + CSM release − allocation to the loss component; the account value paid on death or maturity is an investment
  component (para 85) and is excluded from revenue and expenses;
- insurance finance expense equals the fair value return on the underlying items (plus the risk mitigation effect),
  which matches the income on the underlying items held; the OCI option for groups whose underlying items are
  held (para 89(b), B134, current period book yield): ``underlying_income_pl`` gives the income on the underlying
  items recognised in profit or loss, the insurance finance expense in profit or loss is set equal to it, and the
  rest is OCI, which mirrors the OCI on the underlying items (nil net OCI).

The contract (as in the IASB's Example 9 family, IE99–IE113): a single premium is paid into an account at initial
recognition; each year the account earns the fair value return of the underlying items and, at the end of the
year, the entity deducts a charge (``fee_rate`` of the account, the entity's share); on death (at the end of the
year) the beneficiary receives the higher of the account and ``guaranteed_death_benefit``; survivors receive the
account at the end of the coverage period. The underlying items are the accounts of the policies in force.

Conventions (as :mod:`aktuar.core.ifrs17.gmm`): money is float64, unrounded; liabilities positive; in the AoC
inflows positive and outflows negative; the AoC columns are the PV of future cash flows, the risk adjustment, the
CSM and the total. Modelling choices (documented limitations):

- the fulfilment cash flows are projected deterministically at each reporting date from the actual accounts and
  policies in force, with the expected return of the underlying items equal to the current forward rates
  (market-consistent, B74–B78; a deterministic projection omits the time value of the guarantee option, so
  for material guarantees use a stochastic valuation and this module's logic at group level);
- ``discount`` is the current curve at initial recognition; ``current_discount`` gives the curve at later period
  ends (default: the forward rates of ``discount``);
- the risk adjustment is given per period end (times 0..n), it is not re-estimated for actual deaths;
- experience adjustments (actual − expected guarantee claims and expenses of the period, expected at the start of
  the period) relate to current service (B97(c)) and go to the insurance service result;
- the loss component (para 48–52) takes the decreases of the variable fee that exceed the CSM; it is allocated
  in proportion to the expected guarantee claims, expenses and risk-adjustment release (ratio loss component /
  (PV of those outflows + RA) at the start of the period) and any remainder in the last period; it takes no share
  of the insurance finance expense (that would only shift amounts between the LRC columns);
- coverage units default to the number of policies in force at the start of each period (actual for the current
  period, expected for future periods); give ``coverage_units`` to fix them instead (e.g. weighted by account
  value for the investment-related service).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aktuar.core.ifrs17.gmm import (
    AOC_COLUMNS,
    AnalysisOfChange,
    DiscountInput,
    FloatArray,
    current_discount_factors,
    discount_factors,
)
from aktuar.errors import InputError

VFA_AOC_STEPS: tuple[str, ...] = (
    "opening",
    "new_contracts",
    "cash_inflows",
    "underlying_items_change",
    "future_service_changes",
    "risk_mitigation",
    "current_service",
    "cash_outflows",
    "closing",
)
"""AoC steps under the VFA: ``underlying_items_change`` is the change in the obligation to pay the fair value of the
underlying items (B111, finance expense); ``future_service_changes`` the change in the variable fee that adjusts the
CSM (B112–B113); ``risk_mitigation`` the financial-risk effect on the guarantee taken to profit or loss (B115)."""

VFA_LC_STEPS: tuple[str, ...] = (
    "opening",
    "new_contracts",
    "systematic_allocation",
    "future_service_changes",
    "closing",
)

_TOL = 1e-9


@dataclass(frozen=True)
class VFAInputs:
    """Inputs of the VFA for one group (n annual periods; amounts for the whole group unless "per policy").

    ``single_premium``: paid into the accounts at initial recognition. ``policies``: contracts at initial
    recognition. ``fee_rate``: the entity's annual charge, a share of the account at the end of each year after
    the year's return (scalar or n values, in [0, 1)). ``fund_returns``: actual fair value return of the underlying
    items per year (> −100 %). ``mortality``: expected probability of death in each year. ``risk_adjustment``: RA at
    times 0..n. ``discount`` / ``current_discount``: current rates at initial recognition / at period ends 1..n
    (see :class:`aktuar.core.ifrs17.gmm.GroupInputs`). ``guaranteed_death_benefit``: minimum paid on death per
    policy. ``expenses``: expected expenses per policy in force at the start of each year, paid at the year end.
    ``actual_deaths`` (number per year) and ``actual_expenses`` (group totals) default to the expected ones.
    ``coverage_units``: per period, fixed (default: policies in force). ``risk_mitigation``: B115 option for the
    guarantee. ``underlying_income_pl``: income on the underlying items in profit or loss per year (para 89(b),
    B134); ``None`` = all insurance finance income or expense in profit or loss.
    """

    single_premium: float
    policies: float
    fee_rate: float | FloatArray
    fund_returns: FloatArray
    mortality: FloatArray
    risk_adjustment: FloatArray
    discount: DiscountInput = 0.0
    current_discount: Sequence[DiscountInput] | Mapping[int, DiscountInput] | None = None
    guaranteed_death_benefit: float = 0.0
    expenses: FloatArray | None = None
    actual_deaths: FloatArray | None = None
    actual_expenses: FloatArray | None = None
    coverage_units: FloatArray | None = None
    risk_mitigation: bool = False
    underlying_income_pl: FloatArray | None = None


@dataclass(frozen=True)
class Projection:
    """Expected cash flows from a reporting date, valued at its current rates (B104)."""

    pv_account_payouts: float
    """PV of the account values paid on death and maturity: the policyholder's share of the underlying items."""
    pv_fees: float
    """PV of the charges: the entity's share of the fair value of the underlying items (B104(b)(i))."""
    pv_guarantee: float
    pv_expenses: float
    in_force: FloatArray
    """Expected policies in force at the start of each remaining period."""

    @property
    def pv_future_cash_flows(self) -> float:
        return self.pv_account_payouts + self.pv_guarantee + self.pv_expenses


@dataclass(frozen=True)
class VFAProfitOrLoss:
    """Profit or loss and OCI lines of one period. Expenses positive."""

    period: int
    insurance_revenue: float
    insurance_service_expenses: float
    insurance_service_result: float
    investment_income: float
    """Fair value return on the underlying items held (the entity holds them; total, P&L + OCI)."""
    insurance_finance_expenses: float
    insurance_finance_expenses_pl: float
    insurance_finance_expenses_oci: float
    investment_income_pl: float
    net_finance_result: float
    profit: float
    other_comprehensive_income: float
    total_comprehensive_income: float
    csm_released: float
    risk_adjustment_released: float
    expected_claims_and_expenses: float
    incurred_claims_and_expenses: float
    experience_adjustments: float
    losses_on_onerous_contracts: float
    loss_reversals: float
    loss_component_allocation: float
    risk_mitigation_effect: float


@dataclass(frozen=True)
class VFAPeriod:
    """Everything measured for one period under the VFA."""

    period: int
    aoc: AnalysisOfChange
    loss_component: AnalysisOfChange
    profit_or_loss: VFAProfitOrLoss
    underlying_items: float
    """Fair value of the underlying items at the period end (after the year's charges and payments)."""
    entity_share: float
    """The entity's share of the fair value of the underlying items at the period end (PV of future charges)."""
    policyholder_share: float
    variable_fee: float
    """Entity's share less the PV of the cash flows that do not vary with the underlying items and the RA (B104)."""
    fees_charged: float
    csm_adjustment: float
    csm_release: float
    policies_in_force: float


@dataclass(frozen=True)
class VFAInitialRecognition:
    underlying_items: float
    entity_share: float
    pv_future_cash_flows: float
    risk_adjustment: float
    fulfilment_cash_flows: float
    variable_fee: float
    csm: float
    loss: float


@dataclass(frozen=True)
class VFAResult:
    initial: VFAInitialRecognition
    periods: tuple[VFAPeriod, ...]

    @property
    def liability(self) -> FloatArray:
        return np.array([p.aoc.get("closing", "total") for p in self.periods])

    @property
    def csm(self) -> FloatArray:
        return np.array([p.aoc.get("closing", "csm") for p in self.periods])

    @property
    def profit(self) -> FloatArray:
        return np.array([p.profit_or_loss.profit for p in self.periods])


def _vec(values: float | npt.ArrayLike | None, n: int, name: str, default: float = 0.0) -> FloatArray:
    arr = np.asarray(default if values is None else values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(f"{name} must have {n} values (one per year); got shape {arr.shape}.", column=name)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains a missing or infinite value; give a number for every year.", column=name)
    return arr


def project(
    in_force: float,
    account: float,
    start: int,
    w: FloatArray,
    fee: FloatArray,
    mortality: FloatArray,
    guarantee: float,
    expenses: FloatArray,
) -> Projection:
    """Project and value the cash flows after period ``start`` (0-based count of elapsed periods).

    ``account`` is the account per policy at time ``start``; ``w[j]`` the current discount factor at ``start``
    for time ``start + j``. The expected return of the underlying items in each year is the current forward rate.
    """
    n = fee.shape[0]
    pv_acc = pv_fee = pv_g = pv_e = 0.0
    alive, av = in_force, account
    cu = np.zeros(n - start)
    for j in range(start, n):
        growth = float(w[j - start] / w[j - start + 1])
        av_gross = av * growth
        charge = av_gross * float(fee[j])
        av = av_gross - charge
        deaths = alive * float(mortality[j])
        df = float(w[j - start + 1])
        cu[j - start] = alive
        paid_out = deaths + (alive - deaths if j == n - 1 else 0.0)
        pv_acc += paid_out * av * df
        pv_fee += alive * charge * df
        pv_g += deaths * max(guarantee - av, 0.0) * df
        pv_e += alive * float(expenses[j]) * df
        alive -= deaths
    return Projection(pv_acc, pv_fee, pv_g, pv_e, cu)


def measure_vfa(inputs: VFAInputs) -> VFAResult:
    """Measure one group with direct participation features under the VFA (para 45, B101–B118, B134)."""
    n = int(np.asarray(inputs.fund_returns).shape[0]) if np.asarray(inputs.fund_returns).ndim == 1 else 0
    if n < 1:
        raise InputError("fund_returns must have one value per year of coverage (at least one).",
                         column="fund_returns")
    returns = _vec(inputs.fund_returns, n, "fund_returns")
    fee = _vec(inputs.fee_rate, n, "fee_rate")
    mortality = _vec(inputs.mortality, n, "mortality")
    expenses = _vec(inputs.expenses, n, "expenses")
    premium, policies, guarantee = (
        float(inputs.single_premium), float(inputs.policies), float(inputs.guaranteed_death_benefit)
    )
    if not (np.isfinite(premium) and premium >= 0.0):
        raise InputError("single_premium must be a non-negative number.", column="single_premium")
    if not (np.isfinite(policies) and policies > 0.0):
        raise InputError("policies must be a positive number of contracts.", column="policies")
    if not (np.isfinite(guarantee) and guarantee >= 0.0):
        raise InputError("guaranteed_death_benefit must be a non-negative amount.", column="guaranteed_death_benefit")
    if np.any(returns <= -1.0):
        raise InputError("fund_returns must be above -100 %.", column="fund_returns")
    if np.any(fee < 0.0) or np.any(fee >= 1.0):
        raise InputError("fee_rate must be in [0, 1).", column="fee_rate")
    if np.any(mortality < 0.0) or np.any(mortality > 1.0):
        raise InputError("mortality must be probabilities in [0, 1].", column="mortality")
    if np.any(expenses < 0.0):
        raise InputError("expenses must be non-negative.", column="expenses")
    ra = np.asarray(inputs.risk_adjustment, dtype=np.float64)
    if ra.shape != (n + 1,) or not np.all(np.isfinite(ra)) or np.any(ra < 0.0):
        raise InputError(f"risk_adjustment must have {n + 1} non-negative values (times 0..{n}).",
                         column="risk_adjustment")
    v = discount_factors(inputs.discount, n)
    w_cur = current_discount_factors(inputs.current_discount, v)
    fixed_cu = None
    if inputs.coverage_units is not None:
        fixed_cu = _vec(inputs.coverage_units, n, "coverage_units")
        if np.any(fixed_cu < 0.0) or fixed_cu.sum() <= 0.0:
            raise InputError("coverage_units must be non-negative with a positive total.", column="coverage_units")
    income_pl = None if inputs.underlying_income_pl is None else _vec(
        inputs.underlying_income_pl, n, "underlying_income_pl"
    )

    # Initial recognition (para 32, 38, 47): the premium is paid into the accounts at time 0.
    account = premium / policies
    proj0 = project(policies, account, 0, w_cur[0], fee, mortality, guarantee, expenses)
    pv0 = proj0.pv_future_cash_flows - premium
    fcf0 = pv0 + float(ra[0])
    csm0, loss0 = max(0.0, -fcf0), max(0.0, fcf0)
    initial = VFAInitialRecognition(
        underlying_items=premium,
        entity_share=proj0.pv_fees,
        pv_future_cash_flows=pv0,
        risk_adjustment=float(ra[0]),
        fulfilment_cash_flows=fcf0,
        variable_fee=proj0.pv_fees - proj0.pv_guarantee - proj0.pv_expenses - float(ra[0]),
        csm=csm0,
        loss=loss0,
    )
    actual_deaths_in = None if inputs.actual_deaths is None else _vec(inputs.actual_deaths, n, "actual_deaths")
    actual_exp_in = None if inputs.actual_expenses is None else _vec(inputs.actual_expenses, n, "actual_expenses")

    alive = policies
    pv_open = csm_open = lc_open = 0.0
    ra_open = 0.0
    proj_open = proj0
    periods: list[VFAPeriod] = []
    for k in range(1, n + 1):
        i = k - 1
        new_pv, new_ra, new_csm, new_loss = (pv0, float(ra[0]), csm0, loss0) if k == 1 else (0.0, 0.0, 0.0, 0.0)
        cash_in = premium if k == 1 else 0.0
        w_open, w_close = w_cur[i], w_cur[k]

        # Expected at the start of the period (current rates of that date; expected return = forward rate).
        expected_growth = float(w_open[0] / w_open[1])
        av_expected = account * expected_growth * (1.0 - float(fee[i]))
        deaths_expected = alive * float(mortality[i])
        claims_expected = deaths_expected * max(guarantee - av_expected, 0.0)
        expenses_expected = alive * float(expenses[i])

        # Actual experience of the period.
        deaths = deaths_expected if actual_deaths_in is None else float(actual_deaths_in[i])
        if deaths < 0.0 or deaths > alive + 1e-9 * max(1.0, alive):
            raise InputError(
                f"actual_deaths in year {k} must be between 0 and the {alive:g} policies in force.",
                column="actual_deaths",
            )
        deaths = min(deaths, alive)
        expenses_actual = expenses_expected if actual_exp_in is None else float(actual_exp_in[i])
        if expenses_actual < 0.0:
            raise InputError(f"actual_expenses in year {k} must be non-negative.", column="actual_expenses")
        underlying_open = alive * account  # after the single premium paid in at time 0
        fund_return = underlying_open * float(returns[i])
        av_gross = account * (1.0 + float(returns[i]))
        charge = av_gross * float(fee[i])
        av_end = av_gross - charge
        fees_charged = alive * charge
        claims_actual = deaths * max(guarantee - av_end, 0.0)
        survivors = alive - deaths
        account_paid = deaths * av_end + (survivors * av_end if k == n else 0.0)
        cash_out = account_paid + claims_actual + expenses_actual
        alive_close = survivors if k < n else 0.0
        underlying_close = alive_close * av_end

        proj_close = project(alive_close, av_end, k, w_close, fee, mortality, guarantee, expenses)
        pv_close = proj_close.pv_future_cash_flows
        exp_adj = (claims_actual + expenses_actual) - (claims_expected + expenses_expected)
        fs_total = pv_close - (pv_open + new_pv + cash_in + fund_return + exp_adj - cash_out)
        mitigation = 0.0
        if inputs.risk_mitigation and k < n:
            # Financial-risk effect on the guarantee: actual v. expected return, closing v. opening forward rates.
            w_fwd = w_open[1:] / w_open[1]
            counterfactual = project(alive_close, av_expected, k, w_fwd, fee, mortality, guarantee, expenses)
            mitigation = proj_close.pv_guarantee - counterfactual.pv_guarantee
        fs_pv = fs_total - mitigation

        ra_release = ra_open + new_ra - float(ra[k])
        # Loss component: systematic allocation (para 50(a), 51), then the future-service change.
        lc = lc_open + new_loss
        base = proj_open.pv_guarantee + proj_open.pv_expenses + ra_open + new_ra
        ratio = min(1.0, lc / base) if lc > _TOL and base > _TOL else 0.0
        allocation = min(lc, ratio * (claims_expected + expenses_expected + ra_release))
        lc -= allocation

        # CSM (para 45): no accretion; adjusted by the change in the variable fee relating to future service.
        csm_pre = csm_open + new_csm
        loss_fs = reversal = 0.0
        if fs_pv >= 0.0:
            csm_adj = -min(fs_pv, csm_pre)
            loss_fs = fs_pv + csm_adj
        else:
            reversal = min(-fs_pv, lc)
            csm_adj = -fs_pv - reversal
        lc += loss_fs - reversal
        if k == n:  # the loss component is nil at the end of the coverage period (para 52)
            allocation += lc
            lc = 0.0
        csm_after = csm_pre + csm_adj
        if fixed_cu is not None:
            cu_now, cu_rest = float(fixed_cu[i]), float(fixed_cu[k:].sum())
        else:
            cu_now, cu_rest = alive, float(proj_close.in_force.sum())
        csm_release = csm_after * cu_now / (cu_now + cu_rest) if cu_now + cu_rest > _TOL else csm_after
        csm_close = csm_after - csm_release
        ra_close = float(ra[k])

        rows = np.array(
            [
                [pv_open, ra_open, csm_open],
                [new_pv, new_ra, new_csm],
                [cash_in, 0.0, 0.0],
                [fund_return, 0.0, 0.0],
                [fs_pv, 0.0, csm_adj],
                [mitigation, 0.0, 0.0],
                [exp_adj, -ra_release, -csm_release],
                [-cash_out, 0.0, 0.0],
                [pv_close, ra_close, csm_close],
            ]
        )
        aoc = AnalysisOfChange(k, VFA_AOC_STEPS, AOC_COLUMNS, np.column_stack([rows, rows.sum(axis=1)]))
        lc_table = AnalysisOfChange(
            k, VFA_LC_STEPS, ("loss_component",),
            np.array([[lc_open], [new_loss], [-allocation], [loss_fs - reversal], [lc]]),
        )

        revenue = claims_expected + expenses_expected + ra_release + csm_release - allocation
        incurred = claims_actual + expenses_actual
        losses = new_loss + loss_fs
        ise = incurred + losses - reversal - allocation
        ife = fund_return + mitigation
        inv_pl = fund_return if income_pl is None else float(income_pl[i])
        ife_pl = inv_pl + mitigation
        ife_oci = ife - ife_pl
        inv_oci = fund_return - inv_pl
        profit = revenue - ise + inv_pl - ife_pl
        oci = inv_oci - ife_oci
        pl = VFAProfitOrLoss(
            period=k,
            insurance_revenue=revenue,
            insurance_service_expenses=ise,
            insurance_service_result=revenue - ise,
            investment_income=fund_return,
            insurance_finance_expenses=ife,
            insurance_finance_expenses_pl=ife_pl,
            insurance_finance_expenses_oci=ife_oci,
            investment_income_pl=inv_pl,
            net_finance_result=inv_pl - ife_pl,
            profit=profit,
            other_comprehensive_income=oci,
            total_comprehensive_income=profit + oci,
            csm_released=csm_release,
            risk_adjustment_released=ra_release,
            expected_claims_and_expenses=claims_expected + expenses_expected,
            incurred_claims_and_expenses=incurred,
            experience_adjustments=exp_adj,
            losses_on_onerous_contracts=losses,
            loss_reversals=reversal,
            loss_component_allocation=allocation,
            risk_mitigation_effect=mitigation,
        )
        # The entity's assets (underlying items + retained charges) less the liability reconcile to income.
        liability_open, liability_close = pv_open + ra_open + csm_open, pv_close + ra_close + csm_close
        expected_tci = cash_in + fund_return - cash_out - (liability_close - liability_open)
        scale = max(1.0, abs(liability_open), abs(liability_close), abs(underlying_open))
        if not np.isclose(pl.total_comprehensive_income, expected_tci, atol=1e-9 * scale):
            raise AssertionError(f"comprehensive income does not reconcile to the balance sheet in period {k}")

        periods.append(
            VFAPeriod(
                period=k,
                aoc=aoc,
                loss_component=lc_table,
                profit_or_loss=pl,
                underlying_items=underlying_close,
                entity_share=proj_close.pv_fees,
                policyholder_share=underlying_close - proj_close.pv_fees,
                variable_fee=proj_close.pv_fees - proj_close.pv_guarantee - proj_close.pv_expenses - ra_close,
                fees_charged=fees_charged,
                csm_adjustment=csm_adj,
                csm_release=csm_release,
                policies_in_force=alive_close,
            )
        )
        pv_open, ra_open, csm_open, lc_open = pv_close, ra_close, csm_close, lc
        alive, account, proj_open = alive_close, av_end, proj_close

    return VFAResult(initial=initial, periods=tuple(periods))
