"""The IFRS 17 close of an insurer: from a configuration and its input files to measured portfolios.

Data flow (docs/ifrs17.md):

    config (TOML) ─► curves per date (Smith–Wilson + illiquidity premium)
                 ─► PAA portfolios: contracts ─► groups (portfolio × annual cohort × profitability)
                                     ─► LRC by passage of time (per group, per reporting period)
                                     claims transactions at each date ─► reserving (Mack / chain ladder)
                                     ─► expected payments ─► LIC = PV + RA (lognormal at the confidence level,
                                        diversified across portfolios) ─► onerous test / loss component
                 ─► GMM portfolios: model points ─► projection ─► groups ─► GMM per group
                 ─► reinsurance held (quota share on a PAA portfolio)
                 ─► disclosure tables (para 100, 101, 103, 104, 106, 109, 117, 119) ─► JSON + XLSX

The close measures every group from the opening date ``D0`` through the reporting dates ``D1 … DK``; each
reporting period is ``(D(k−1), Dk]``. Nothing is written unless everything was measured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.core.curves import SmithWilsonCurve, smith_wilson
from aktuar.core.ifrs17.aggregation import Aggregation, AggregationTest, GroupRegister, assign_groups
from aktuar.core.ifrs17.aggregation import Contracts as AggContracts
from aktuar.core.ifrs17.disclosures import (
    DisclosureTable,
    claims_development,
    combine,
    csm_maturity_gmm,
    insurance_revenue_gmm,
    insurance_revenue_paa,
    lrc_lic_reconciliation,
    lrc_lic_reconciliation_paa,
    measurement_components_reconciliation,
    ra_disclosure,
    ultimate_history,
)
from aktuar.core.ifrs17.gmm import CashFlows, GMMResult, GroupInputs, Revision, TransitionBalances
from aktuar.core.ifrs17.gmm import measure as gmm_measure
from aktuar.core.ifrs17.paa import (
    ContractLRC,
    LICRollForward,
    LRCRollForward,
    PAAResult,
    ProportionalReinsurancePAA,
    lrc_from_contracts,
    proportional_reinsurance_paa,
)
from aktuar.core.ifrs17.reinsurance import (
    RI_AOC_COLUMNS,
    RI_AOC_STEPS,
    NonPerformance,
    ReinsuranceCashFlows,
    ReinsuranceInputs,
    ReinsuranceResult,
    ReinsuranceRevision,
    measure_reinsurance,
    underlying_losses,
)
from aktuar.core.ifrs17.risk_adjustment import DiversifiedRA, RiskAdjustment, diversify, ra_lognormal
from aktuar.core.ifrs17.transition import TransitionResult, fair_value_approach
from aktuar.core.projection import (
    Assumptions,
    DecrementTable,
    ModelPoints,
    ProjectionResult,
    group_inputs,
    project,
)
from aktuar.data.ifrs17 import (
    Actuals,
    Contracts,
    Policies,
    filter_rows_until,
    read_actuals,
    read_contracts,
    read_curves,
    read_fair_values,
    read_group_register,
    read_mortality,
    read_policies,
)
from aktuar.data.readers import Table, date_column, number_column, read_table
from aktuar.errors import InputError
from aktuar.services.ifrs17_config import CloseConfig, GMMPortfolio, PAAPortfolio, Reinsurance, load_config

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, int, int], None]

PROFITABILITY = ("onerous", "no_significant_possibility", "remaining")
"""Profitability groups at initial recognition (para 16)."""


# ------------------------------------------------------------------------------------------------ curves
@dataclass(frozen=True)
class DateCurves:
    """The current discount curve at each boundary date (bottom-up: risk-free + illiquidity premium)."""

    curves: dict[date, SmithWilsonCurve]
    ufr: float
    illiquidity_premium: float

    def discount(self, when: date, t: FloatArray) -> FloatArray:
        return np.asarray(self.curves[when].discount(t), dtype=np.float64)


def build_curves(config: CloseConfig) -> DateCurves:
    table = read_curves(config.curves.file, config.boundaries)
    curves: dict[date, SmithWilsonCurve] = {}
    for d, (maturity, rate) in table.points.items():
        try:
            sw = smith_wilson(maturity, rate, config.curves.ufr)
        except InputError as exc:
            raise InputError(f"the curve of {d.isoformat()} cannot be fitted: {exc.message}",
                             file=table.file) from None
        curves[d] = sw.with_premium(config.curves.illiquidity_premium) if config.curves.illiquidity_premium else sw
    sc = config.scenario
    if sc is not None and sc.curve_shift_bp:
        last = config.reporting_dates[-1]
        curves[last] = curves[last].shift(sc.curve_shift_bp)
    return DateCurves(curves, config.curves.ufr, config.curves.illiquidity_premium)


# ------------------------------------------------------------------------------------ LIC from reserving
@dataclass(frozen=True)
class LICPoint:
    """The liability for incurred claims of a portfolio at one date (before diversification of the RA)."""

    when: date
    undiscounted: float
    pv: float
    ra_standalone: float
    se: float
    payments: FloatArray  # expected payments incl. claims-settlement expenses by future year
    times: FloatArray  # payment times in years
    paid_to_date: float
    ultimate_by_origin: dict[int, float]
    warnings: list[str]
    claims_undiscounted: float = 0.0  # excluding claims-settlement expenses
    fit: Any = None  # the reserving result (its triangle feeds the para 130 claims development)
    paid: Any = None  # the paid triangle
    by_origin: FloatArray | None = None  # (O, P) expected payments incl. claims-settlement expenses by origin
    origins: tuple[int, ...] = ()  # accident years of by_origin


def _years_between(a: date, b: date) -> float:
    return (b - a).days / 365.25


def lic_at(table: Any, spec: PAAPortfolio, when: date, curves: DateCurves, confidence: float,
           claims_multiplier: float = 1.0) -> LICPoint:
    """Reserve the portfolio's claims known at ``when`` and value the LIC (para 40(b), 59(b), B91)."""
    from aktuar.core.reserving import ChainLadder, Development, Mack, cash_flows
    from aktuar.data.triangles import triangle_from_transactions

    known = filter_rows_until(table, "transaction_date", when)
    if known.height == 0:
        raise InputError(f"no claim transactions of '{spec.name}' on or before {when.isoformat()}: the LIC cannot "
                         "be estimated", file=table.file)
    paid = triangle_from_transactions(known, valuation=when, measure="paid")
    base = paid if spec.measure == "paid" else triangle_from_transactions(known, valuation=when, measure="incurred")
    if base.shape[1] < 2:
        raise InputError(f"the claims of '{spec.name}' at {when.isoformat()} have a single accident year: at least "
                         "two are needed to estimate development", file=table.file)
    fit = (Mack if spec.reserving_method == "mack" else ChainLadder)(Development()).fit(base)
    flows = cash_flows(fit, paid=paid if spec.measure == "incurred" else None)
    claims = flows.total[0] * claims_multiplier
    payments = claims * (1.0 + spec.ulae_ratio)
    times = flows.times * ((flows.period_months or 12) / 12.0)
    undiscounted = float(payments.sum())
    pv = float((payments * curves.discount(when, times)).sum()) if spec.discount_lic else undiscounted
    mean = float(claims.sum())
    se = float(fit.total_se[0]) * claims_multiplier if fit.total_se is not None else 0.0
    ra = float(ra_lognormal([mean], [se], confidence).ra[0]) if mean > 0 and se > 0 else 0.0
    ra_pv = ra * (pv / undiscounted if undiscounted > 0 else 1.0)
    origins = [int(str(o)[:4]) for o in fit.triangle.origin]
    ultimate = {o: float(u) for o, u in zip(origins, fit.ultimate[0], strict=True)}
    by_origin = np.asarray(flows.by_origin[0], dtype=np.float64) * claims_multiplier * (1.0 + spec.ulae_ratio)
    return LICPoint(when, undiscounted, pv, ra_pv, se, payments, times, float(paid.latest()[0].sum()), ultimate,
                    list(fit.warnings[0]) if fit.warnings else [], float(claims.sum()), fit, paid, by_origin,
                    tuple(origins))


# ---------------------------------------------------------------------------------------- PAA portfolio
@dataclass(frozen=True)
class GroupInfo:
    group_id: str
    portfolio: str
    cohort: int
    profitability: str
    contracts: int
    premium: float
    expected_combined_ratio: float
    test: str


@dataclass(frozen=True)
class PAAPortfolioClose:
    """A PAA portfolio measured over the reporting periods (K) and at the boundaries (K+1)."""

    name: str
    groups: tuple[GroupInfo, ...]
    lrc: ContractLRC
    loss_component: FloatArray  # (G, K+1)
    lic_points: tuple[LICPoint, ...]
    lic_ra: FloatArray  # (K+1,) diversified, discounted
    lic: LICRollForward
    lic_finance_pl: FloatArray
    lic_finance_oci: FloatArray
    claims_paid: FloatArray  # (K,) incl. claims-settlement expenses
    expected_loss_ratio: float
    ra_ratio: float
    warnings: list[str] = field(default_factory=list)
    aggregation: Aggregation | None = None
    claims_cost: FloatArray | None = None  # (G, K+1) expected claims and expenses of the remaining coverage
    receivable: FloatArray | None = None  # (G, K+1) premiums of recognised contracts not yet received

    @property
    def lic_closing(self) -> FloatArray:
        return np.array([p.pv for p in self.lic_points]) + self.lic_ra


def _calendar_year_boundaries(start: np.datetime64, end: np.datetime64) -> npt.NDArray[np.datetime64]:
    y0 = int(str(start)[:4]) - 1
    y1 = int(str(end)[:4])
    return np.array([f"{y}-12-31" for y in range(y0, y1 + 1)], dtype="datetime64[D]")


def _expected_loss_ratio(contracts: Contracts, lic: LICPoint, spec: PAAPortfolio) -> float:
    """Expected loss ratio for the onerous test: as configured, else ultimate / earned premium of the last three
    accident years with earned premium (from the contracts)."""
    if spec.expected_loss_ratio is not None:
        return spec.expected_loss_ratio
    bounds = _calendar_year_boundaries(contracts.coverage_start.min(), contracts.coverage_end.max())
    earned = lrc_from_contracts(contracts.premium, contracts.coverage_start, contracts.coverage_end, bounds)
    by_year = dict(zip([int(str(b)[:4]) for b in bounds[1:]], earned.insurance_revenue[0], strict=True))
    years = [y for y in sorted(lic.ultimate_by_origin) if by_year.get(y, 0.0) > 0 and y <= lic.when.year][-3:]
    if not years:
        raise InputError(f"portfolio '{spec.name}': no accident year with both claims and earned premium; give "
                         "expected_loss_ratio in the configuration", file=contracts.file)
    return float(sum(lic.ultimate_by_origin[y] for y in years) / sum(by_year[y] for y in years))


def _groups(contracts: Contracts, spec: PAAPortfolio, combined: FloatArray, register: GroupRegister | None
            ) -> tuple[npt.NDArray[np.int64], tuple[GroupInfo, ...], Aggregation]:
    """Annual cohorts by year of issue (para 22) × profitability at initial recognition (para 16–18, the PAA
    facts-and-circumstances test on the expected combined ratio); contracts already in ``register`` keep their
    group (para 24)."""
    test = AggregationTest(onerous_combined_ratio=spec.onerous_threshold,
                           low_risk_combined_ratio=max(spec.onerous_threshold - 0.1, 0.0))
    issue = [str(d) for d in contracts.issue_date]
    agg = assign_groups(AggContracts(contracts.contract_id, contracts.portfolio, issue, premium=contracts.premium,
                                     combined_ratio=combined, paa=np.ones(len(contracts), dtype=bool)),
                        test, register=register)
    ids = sorted(set(agg.group_id))
    index = {g: i for i, g in enumerate(ids)}
    codes = np.array([index[g] for g in agg.group_id], dtype=np.int64)
    infos = []
    for g in ids:
        m = codes == index[g]
        first = int(np.flatnonzero(m)[0])
        w = np.maximum(contracts.premium[m], 1e-12)
        infos.append(GroupInfo(g, spec.name, int(agg.cohort[first][:4]), agg.profitability[first], int(m.sum()),
                               float(contracts.premium[m].sum()), float(np.average(combined[m], weights=w)),
                               agg.reason[first]))
    return codes, tuple(infos), agg


class InputFiles:
    """The close's input tables, each file read and validated once however many portfolios share it."""

    def __init__(self) -> None:
        self._tables: dict[Path, Table] = {}
        self._contracts: dict[Path, Contracts] = {}

    def table(self, path: Path) -> Table:
        if path not in self._tables:
            self._tables[path] = read_table(path)
        return self._tables[path]

    def contracts(self, path: Path, portfolio: str) -> Contracts:
        if path not in self._contracts:
            self._contracts[path] = read_contracts(path)
        return self._contracts[path].of_portfolio(portfolio)


def measure_paa(config: CloseConfig, spec: PAAPortfolio, curves: DateCurves,
                register: GroupRegister | None = None, files: InputFiles | None = None) -> PAAPortfolioClose:
    """Everything of one PAA portfolio except the diversification of its RA (done across portfolios)."""
    files = files or InputFiles()
    contracts = files.contracts(spec.contracts, spec.name)
    live = (contracts.coverage_end > np.datetime64(config.opening_date, "D")) | (
        contracts.premium_received > np.datetime64(config.opening_date, "D"))
    history = contracts
    if not live.any():
        raise InputError(f"portfolio '{spec.name}' has no contract with coverage after the opening date "
                         f"{config.opening_date.isoformat()}", file=contracts.file)
    contracts = contracts.take(live)
    claims = files.table(spec.claims)
    if spec.claims_column not in claims.columns:
        raise InputError(f"missing column '{spec.claims_column}' that selects the portfolio's claims",
                         file=claims.file)
    rows = claims.frame.filter(pl.col(spec.claims_column).cast(pl.String) == spec.claims_value)
    if rows.height == 0:
        raise InputError(f"no claim has {spec.claims_column} = '{spec.claims_value}'", file=claims.file,
                         column=spec.claims_column)
    table = Table(rows, claims.file, claims.decimal_comma)
    bounds = config.boundaries
    sc = config.scenario
    last = config.reporting_dates[-1]
    points = tuple(lic_at(table, spec, d, curves, config.confidence_level,
                          sc.claims_multiplier if sc is not None and d == last else 1.0) for d in bounds)

    elr = _expected_loss_ratio(history, points[0], spec)
    ra_ratio = points[0].ra_standalone / points[0].pv if points[0].pv > 0 else 0.0
    # expected cost of the coverage per unit of premium: the contract's pricing loss ratio where given, else the
    # portfolio's; with claims-settlement expenses and the risk adjustment
    cost = np.where(np.isnan(contracts.expected_loss_ratio), elr, contracts.expected_loss_ratio) * (
        1.0 + spec.ulae_ratio) * (1.0 + ra_ratio)
    acq_ratio = np.divide(contracts.acquisition_cost, contracts.premium, out=np.zeros(len(contracts)),
                          where=contracts.premium > 0)
    combined = cost + acq_ratio
    codes, groups, aggregation = _groups(contracts, spec, combined, register)
    b = np.array(bounds, dtype="datetime64[D]")
    coverage_years = (contracts.coverage_end - contracts.coverage_start).astype(np.int64).max() / 365.25
    if spec.expense_acquisition and coverage_years > 1.0 + 1.5 / 365.25:
        raise InputError(f"portfolio '{spec.name}': acquisition cash flows may be expensed only when each contract "
                         "covers one year or less (para 59(a)); set expense_acquisition = false", file=contracts.file)
    lrc = lrc_from_contracts(contracts.premium, contracts.coverage_start, contracts.coverage_end, b,
                             received=contracts.premium_received, acquisition=contracts.acquisition_cost,
                             group=codes, n_groups=len(groups), expense_acquisition=spec.expense_acquisition)
    # onerous test at each boundary (para 57–58): FCF of the remaining coverage vs the LRC, completed in
    # finish_lic once the diversified RA is known. Claims and expenses of the remaining coverage (without RA):
    base_cost = cost / (1.0 + ra_ratio)
    claims_cost = lrc_from_contracts(contracts.premium * base_cost, contracts.coverage_start, contracts.coverage_end,
                                     b, received=contracts.premium_received, group=codes,
                                     n_groups=len(groups)).unearned
    if sc is not None and sc.claims_multiplier != 1.0:  # a claims scenario: the last date's test (groups unchanged)
        claims_cost[:, -1] *= sc.claims_multiplier
    # the premiums still to be received are inflows of the FCF (para 33) that the LRC already deducts (para 55)
    gross = lrc_from_contracts(contracts.premium, contracts.coverage_start, contracts.coverage_end, b,
                               received=contracts.premium_received, group=codes, n_groups=len(groups))
    receivable = gross.unearned - gross.closing
    return PAAPortfolioClose(spec.name, groups, lrc, np.zeros_like(lrc.closing), points, np.zeros(len(bounds)),
                             _empty_lic(len(bounds) - 1), np.zeros(len(bounds) - 1), np.zeros(len(bounds) - 1),
                             _claims_paid(table, spec, bounds), elr, ra_ratio,
                             [w for p in points for w in p.warnings], aggregation, claims_cost, receivable)


def _empty_lic(k: int) -> LICRollForward:
    z = np.zeros(k)
    return LICRollForward(z, z, z, z, z)


def finish_lic(p: PAAPortfolioClose, spec: PAAPortfolio, curves: DateCurves, ra: FloatArray,
               oci: bool) -> PAAPortfolioClose:
    """LIC roll-forward (para 103(b)) once the diversified RA is known: finance = interest accreted at the
    opening curve's one-period rate on the opening PV, plus the effect of the change of the curve on the closing
    PV (para 87); with the OCI option the effect of the curve change goes to OCI (para 88(b), 89(b))."""
    pts = p.lic_points
    k = len(pts) - 1
    claims_paid = p.claims_paid
    pv = np.array([q.pv for q in pts])
    closing = pv + ra
    accretion = np.zeros(k)
    rate_change = np.zeros(k)
    if spec.discount_lic:
        for j in range(1, k + 1):
            a, b = pts[j - 1].when, pts[j].when
            dt = _years_between(a, b)
            p_dt = float(curves.discount(a, np.array([dt]))[0])
            accretion[j - 1] = pv[j - 1] * (1.0 / p_dt - 1.0)
            fwd = curves.discount(a, pts[j].times + dt) / p_dt
            rate_change[j - 1] = float((pts[j].payments * (curves.discount(b, pts[j].times) - fwd)).sum())
    finance = accretion + rate_change
    opening = closing[:-1]
    incurred = closing[1:] - opening + claims_paid - finance
    lic = LICRollForward(opening, incurred, finance, claims_paid, closing[1:])
    if oci and spec.discount_lic:
        # B131, B72(e)(iii): the accumulated OCI is the PV at current rates less the PV at the rates locked in
        # when the claims were incurred; the OCI of a period is its change and the rest of the finance expense
        # (the same total as without the option) is in profit or loss
        acc = np.array([_accumulated_oci(q, pts, curves) for q in pts])
        oci_part = np.diff(acc)
        pl_part = finance - oci_part
    else:
        pl_part, oci_part = finance, np.zeros(k)
    # onerous test (para 57–58) with the entity's diversified RA ratio of each date (para 37, B88): FCF of the
    # remaining coverage = expected claims and expenses × (1 + RA ratio) − premiums still to be received
    ra_ratio = np.divide(ra, pv, out=np.zeros_like(ra), where=pv > 0)
    loss_component = p.loss_component
    if p.claims_cost is not None and p.receivable is not None:
        fcf_remaining = p.claims_cost * (1.0 + ra_ratio)[None, :] - p.receivable
        loss_component = np.maximum(fcf_remaining - p.lrc.closing, 0.0)
    return PAAPortfolioClose(p.name, p.groups, p.lrc, loss_component, p.lic_points, ra, lic, pl_part, oci_part,
                             claims_paid, p.expected_loss_ratio, float(ra_ratio[0]), p.warnings, p.aggregation,
                             p.claims_cost, p.receivable)


def _lock_date(origin: int, pts: tuple[LICPoint, ...]) -> date:
    """The date whose curve is locked in for the claims of accident year ``origin``: the first close on or after
    the end of the accident year (claims of years before the opening date: the opening date's curve)."""
    for q in pts:
        if q.when >= date(origin, 12, 31):
            return q.when
    return pts[-1].when


def _accumulated_oci(q: LICPoint, pts: tuple[LICPoint, ...], curves: DateCurves) -> float:
    """PV at the current curve of ``q.when`` less PV at the locked-in curves, of the LIC payments of ``q``."""
    if q.by_origin is None or not q.origins:
        return 0.0
    current = curves.discount(q.when, q.times)
    total = 0.0
    for o, row in zip(q.origins, q.by_origin, strict=True):
        lock = _lock_date(o, pts)
        if lock >= q.when:
            continue  # locked in at this date: no difference yet
        tau = _years_between(lock, q.when)
        p_tau = float(curves.discount(lock, np.array([tau]))[0])
        locked = curves.discount(lock, q.times + tau) / p_tau
        total += float((row * (current - locked)).sum())
    return total


def _claims_paid(table: Table, spec: PAAPortfolio, bounds: tuple[date, ...]) -> FloatArray:
    """Claims (and claims-settlement expenses at the portfolio's ratio) paid in each reporting period, from the
    portfolio's claim transactions."""
    when = date_column(table, "transaction_date")
    paid = number_column(table, "paid", what="a paid amount")
    out = np.zeros(len(bounds) - 1)
    for j in range(1, len(bounds)):
        m = (when > np.datetime64(bounds[j - 1], "D")) & (when <= np.datetime64(bounds[j], "D"))
        out[j - 1] = paid[m].sum() * (1.0 + spec.ulae_ratio)
    return out


# ------------------------------------------------------------------------------------------ the close
@dataclass(frozen=True)
class ReinsuranceClose:
    spec: Reinsurance
    result: ProportionalReinsurancePAA


@dataclass(frozen=True)
class CloseResult:
    config: CloseConfig
    curves: DateCurves
    paa: tuple[PAAPortfolioClose, ...]
    reinsurance: tuple[ReinsuranceClose, ...]
    lic_ra: tuple[DiversifiedRA, ...]  # per boundary, across PAA portfolios
    gmm: tuple[GMMPortfolioClose, ...] = ()
    gmm_reinsurance: tuple[GMMReinsuranceClose, ...] = ()


def measure_close(config: CloseConfig, *, progress: Progress | None = None,
                  scheduler: str | None = None) -> CloseResult:
    """Measure every portfolio of ``config`` at every reporting date (pure apart from reading the inputs);
    with ``scheduler`` the life projection runs on that Dask cluster."""
    steps = ["discount curves", *[f"PAA {p.name}" for p in config.paa], "risk adjustment",
             *[f"reinsurance {r.name}" for r in config.reinsurance], *[f"GMM {p.name}" for p in config.gmm]]
    done = 0

    def step() -> None:
        nonlocal done
        if progress is not None:
            progress(steps[done], done, len(steps))
        done += 1

    step()
    curves = build_curves(config)
    register = read_group_register(config.group_register) if config.group_register is not None else None
    files = InputFiles()
    measured: list[PAAPortfolioClose] = []
    for spec in config.paa:
        step()
        measured.append(measure_paa(config, spec, curves, register, files))
    step()
    n = len(measured)
    corr = np.full((n, n), config.correlation)
    np.fill_diagonal(corr, 1.0)
    diversified: list[DiversifiedRA] = []
    for j in range(len(config.boundaries)):
        standalone = np.array([m.lic_points[j].ra_standalone for m in measured])
        diversified.append(diversify(standalone, corr))
    final: list[PAAPortfolioClose] = []
    for i, (m, spec) in enumerate(zip(measured, config.paa, strict=True)):
        ra = np.array([d.allocated[i] for d in diversified])
        final.append(finish_lic(m, spec, curves, ra, config.oci_option))
    by_name = {m.name: m for m in final}
    reinsurance: list[ReinsuranceClose] = []
    for r in config.reinsurance:
        step()
        if r.portfolio not in by_name:
            continue  # a quota share on a GMM portfolio: measured with it below
        u = by_name[r.portfolio]
        reinsurance.append(ReinsuranceClose(r, proportional_reinsurance_paa(
            r.share, u.lrc.premiums_received.sum(axis=0), u.lrc.insurance_revenue.sum(axis=0),
            u.loss_component.sum(axis=0), u.lic_closing, u.claims_paid, u.lic.finance_expense,
            ceding_commission=r.ceding_commission, default_probability=r.default_probability,
            loss_given_default=r.loss_given_default,
            opening_arc=float(r.share * (1 - r.ceding_commission) * (
                u.lrc.unearned[:, 0] - (u.receivable[:, 0] if u.receivable is not None else 0.0)).sum()),
        )))
    life: list[GMMPortfolioClose] = []
    for g in config.gmm:
        step()
        life.append(measure_gmm(config, g, curves, register, scheduler))
    by_life = {g.name: g for g in life}
    held = [measure_gmm_reinsurance(r, by_life[r.portfolio]) for r in config.reinsurance if r.portfolio in by_life]
    if progress is not None:
        progress("done", len(steps), len(steps))
    return CloseResult(config, curves, tuple(final), tuple(reinsurance), tuple(diversified), tuple(life),
                       tuple(held))


# ------------------------------------------------------------------------------------- results as tables
def portfolio_paa_result(p: PAAPortfolioClose) -> PAAResult:
    """The portfolio's PAA result over the K reporting periods (its groups' LRC summed; LIC per portfolio)."""
    lrc_groups = [p.lrc.rollforward(g) for g in range(p.lrc.n_groups)]

    def total(name: str) -> FloatArray:
        return np.asarray(np.sum([getattr(r, name) for r in lrc_groups], axis=0), dtype=np.float64)

    revenue = total("insurance_revenue")
    lrc = LRCRollForward(total("opening"), total("premiums_received"), total("acquisition_paid"),
                         total("acquisition_amortisation"), total("acquisition_expensed"), total("finance_expense"),
                         revenue, total("closing"), revenue / revenue.sum() if revenue.sum() > 0 else revenue,
                         float(revenue.sum()), p.lrc.expense_acquisition, False)
    lc = p.loss_component.sum(axis=0)
    lc_change = np.diff(lc)
    ise = p.lic.incurred_claims_expense + lrc.acquisition_amortisation + lrc.acquisition_expensed + lc_change
    isr = revenue - ise
    ife = lrc.finance_expense + p.lic.finance_expense
    return PAAResult(lrc, p.lic, np.asarray(lc[1:]), np.asarray(lc_change), revenue, np.asarray(ise),
                     np.asarray(isr), np.asarray(ife), np.asarray(isr - ife))


def reinsurance_table(r: ReinsuranceClose, period: int) -> DisclosureTable:
    """Para 100 reconciliation of a reinsurance contract held measured by the PAA (assets positive; para 98:
    reinsurance held is disclosed apart from insurance contracts issued)."""
    x, k = r.result, period - 1
    arc_excl = x.arc - x.loss_recovery_component
    rows = [
        [arc_excl[k], x.loss_recovery_component[k], x.aic[k]],
        [-x.premium_allocation[k], 0.0, 0.0],
        [0.0, 0.0, x.recoveries_incurred[k]],
        [0.0, x.loss_recovery_change[k], 0.0],
        [0.0, 0.0, x.finance_income[k]],
        [x.premiums_paid[k], 0.0, 0.0],
        [0.0, 0.0, -x.recoveries_received[k]],
        [arc_excl[k + 1], x.loss_recovery_component[k + 1], x.aic[k + 1]],
    ]
    v = np.array(rows, dtype=np.float64)
    return DisclosureTable(
        "100-reinsurance", f"Reinsurance contracts held: {r.spec.name} (assets)", "IFRS 17 para 98, 100, 103, 105",
        ("opening", "allocation_of_premiums", "recoveries_of_incurred_claims", "loss_recovery_component",
         "finance_income", "premiums_paid", "recoveries_received", "closing"),
        ("remaining_coverage_excl_loss_recovery", "loss_recovery_component", "incurred_claims", "total"),
        np.column_stack([v, v.sum(axis=1)]), "reconciliation",
        row_labels=("Opening balance", "Allocation of reinsurance premiums paid", "Amounts recovered for incurred "
                    "claims", "Loss-recovery component (para 66A)", "Finance income (net of non-performance)",
                    "Premiums paid (net of ceding commission)", "Recoveries received", "Closing balance"),
        column_labels=("Asset for remaining coverage excl. loss-recovery component", "Loss-recovery component",
                       "Asset for incurred claims", "Total"),
        group=r.spec.name, period=str(period),
    )


def period_tables(result: CloseResult, period: int) -> list[DisclosureTable]:
    """The disclosure tables of reporting period ``period`` (1-based): per portfolio and in total."""
    label = result.config.reporting_dates[period - 1].isoformat()
    recon: list[DisclosureTable] = []
    revenue: list[DisclosureTable] = []
    for p in result.paa:
        res = portfolio_paa_result(p)
        recon.append(lrc_lic_reconciliation_paa(res, period, p.lic_ra[1:], opening_risk_adjustment=float(p.lic_ra[0]),
                                                opening_loss_component=float(p.loss_component[:, 0].sum()),
                                                group=p.name))
        revenue.append(insurance_revenue_paa(res, period, group=p.name))
    tables = [*recon, combine(recon), *revenue, combine(revenue)]
    tables = [replace(t, period=label) for t in tables]
    tables += [replace(reinsurance_table(r, period), period=label) for r in result.reinsurance]
    for life in result.gmm:
        tables += [replace(t, period=label) for t in gmm_tables(life, result.config.reporting_dates[period - 1])]
    for held in result.gmm_reinsurance:
        t = gmm_reinsurance_table(held, result.config.reporting_dates[period - 1])
        if t is not None:
            tables.append(replace(t, period=label))
    j = period  # boundary index of the closing date
    div = result.lic_ra[j]
    means = np.array([p.lic_points[j].claims_undiscounted for p in result.paa])
    ra = RiskAdjustment("lognormal", result.config.confidence_level, means, means + div.standalone, div.standalone)
    tables.append(ra_disclosure(ra, [p.name for p in result.paa], diversified=div, period=label))
    if period == len(result.config.reporting_dates):
        tables += claims_development_tables(result)
    return tables


def claims_development_tables(result: CloseResult) -> list[DisclosureTable]:
    """Para 130 at the last reporting date, per portfolio: estimates of undiscounted claims by accident year
    (re-running the portfolio's method on the triangle cut back to each earlier year end), reconciled to the
    LIC carrying amount."""
    from aktuar.core.reserving import ChainLadder, Development, Mack

    out: list[DisclosureTable] = []
    label = result.config.reporting_dates[-1].isoformat()
    for p, spec in zip(result.paa, result.config.paa, strict=True):
        point = p.lic_points[-1]
        method = (Mack if spec.reserving_method == "mack" else ChainLadder)(Development())
        history = ultimate_history(point.fit.triangle, method)
        paid = np.asarray(point.paid.latest()[0], dtype=np.float64)
        if paid.shape[0] != len(history.origin):
            continue
        cse = point.claims_undiscounted * spec.ulae_ratio
        dev = claims_development(history, paid, claims_settlement_expenses=cse,
                                 effect_of_discounting=point.pv - point.undiscounted,
                                 risk_adjustment=float(p.lic_ra[-1]), lic_carrying_amount=float(p.lic_closing[-1]),
                                 group=p.name, period=label)
        out += [t for t in (dev.development, dev.reconciliation) if t is not None]
    return out


def summary_rows(result: CloseResult) -> list[dict[str, Any]]:
    """Closing balances and the period's profit-or-loss lines by portfolio and reporting date."""
    rows: list[dict[str, Any]] = []
    by_paa = {p.name: p for p in result.paa}
    keep = {r.spec.name: r.spec.share * (1.0 - r.spec.default_probability * r.spec.loss_given_default)
            for r in result.reinsurance}
    for k, when in enumerate(result.config.reporting_dates):
        for p in result.paa:
            res = portfolio_paa_result(p)
            rows.append({
                "date": when.isoformat(), "portfolio": p.name, "approach": "PAA",
                "lrc": float(res.lrc.closing[k]), "loss_component": float(res.loss_component[k]),
                "lic": float(p.lic_closing[k + 1]), "csm": 0.0, "revenue": float(res.insurance_revenue[k]),
                "service_result": float(res.insurance_service_result[k]),
                "finance_pl": float(p.lic_finance_pl[k]), "oci": float(-p.lic_finance_oci[k]),
            })
        for life in result.gmm:
            rows.append(_gmm_summary(life, when))
        for held in result.gmm_reinsurance:
            rows.append(_gmm_reinsurance_summary(held, when))
        for r in result.reinsurance:
            x = r.result
            rows.append({
                "date": when.isoformat(), "portfolio": r.spec.name, "approach": "PAA held",
                "lrc": float(-(x.arc[k + 1] - x.loss_recovery_component[k + 1])),
                "loss_component": float(-x.loss_recovery_component[k + 1]),
                "lic": float(-x.aic[k + 1]), "csm": 0.0, "revenue": 0.0, "service_result": float(-x.net_expense[k]),
                # the reinsurer's share of the LIC finance follows the entity's OCI option (para 82, 88(b))
                "finance_pl": float(-x.finance_income[k] + keep[r.spec.name] * by_paa[r.spec.portfolio].lic_finance_oci[k]),
                "oci": float(keep[r.spec.name] * by_paa[r.spec.portfolio].lic_finance_oci[k]),
            })
    return rows


def _gmm_summary(life: GMMPortfolioClose, when: date) -> dict[str, Any]:
    row: dict[str, Any] = {"date": when.isoformat(), "portfolio": life.name, "approach": "GMM", "lrc": 0.0,
                           "loss_component": 0.0, "lic": 0.0, "csm": 0.0, "revenue": 0.0, "service_result": 0.0,
                           "finance_pl": 0.0, "oci": 0.0}
    for g in life.groups:
        p = g.period_of(when)
        if p is None:
            continue
        period = g.result.periods[p - 1]
        pres, pl = period.presentation, period.profit_or_loss
        row["lrc"] += pres.get("closing", "lrc_excl_loss_component")
        row["loss_component"] += pres.get("closing", "loss_component")
        row["lic"] += pres.get("closing", "lic")
        row["csm"] += period.aoc.get("closing", "csm")
        row["revenue"] += pl.insurance_revenue
        row["service_result"] += pl.insurance_service_result
        row["finance_pl"] += pl.insurance_finance_expenses_pl if pl.insurance_finance_expenses_oci or \
            pl.insurance_finance_expenses_pl else pl.insurance_finance_expenses
        row["oci"] += pl.other_comprehensive_income
    return row


SENSITIVITY_COLUMNS = ("profit_or_loss", "other_comprehensive_income", "equity", "insurance_liabilities", "csm")


def _totals(summary: Sequence[dict[str, Any]], when: str) -> dict[str, float]:
    rows = [r for r in summary if r["date"] == when]
    profit = sum(r["service_result"] - r["finance_pl"] for r in rows)
    oci = sum(r["oci"] for r in rows)
    return {"profit_or_loss": profit, "other_comprehensive_income": oci, "equity": profit + oci,
            "insurance_liabilities": sum(r["lrc"] + r["loss_component"] + r["lic"] for r in rows),  # LRC has the CSM
            "csm": sum(r["csm"] for r in rows)}


def sensitivity_table(config: CloseConfig, base: Sequence[dict[str, Any]],
                      scenarios: Mapping[str, Sequence[dict[str, Any]]]) -> DisclosureTable:
    """Para 128(a): the effect of each reasonably possible change at the last reporting date on profit or loss,
    OCI and equity (before tax), on the net insurance liabilities (reinsurance held deducted) and on the CSM."""
    when = config.reporting_dates[-1].isoformat()
    b = _totals(base, when)
    names = list(scenarios)
    values = np.array([[_totals(scenarios[n], when)[c] - b[c] for c in SENSITIVITY_COLUMNS] for n in names])
    described = []
    for sc in config.scenarios:
        parts = [f"curve {sc.curve_shift_bp:+g} bp" if sc.curve_shift_bp else "",
                 f"non-life claims × {sc.claims_multiplier:g}" if sc.claims_multiplier != 1 else "",
                 f"mortality × {sc.mortality_multiplier:g}" if sc.mortality_multiplier != 1 else "",
                 f"lapses × {sc.lapse_multiplier:g}" if sc.lapse_multiplier != 1 else ""]
        described.append(f"{sc.name}: {', '.join(p for p in parts if p) or 'no change'}")
    return DisclosureTable(
        "128", "Sensitivity to reasonably possible changes in risk variables (before tax)", "IFRS 17 para 128(a)",
        tuple(names), SENSITIVITY_COLUMNS, values.reshape(len(names), len(SENSITIVITY_COLUMNS)), "analysis",
        column_labels=("Effect on profit or loss", "Effect on OCI", "Effect on equity",
                       "Effect on net insurance liabilities", "Effect on the CSM"),
        additive=(), group="total", period=when, notes=tuple(described),
    )


def _gmm_reinsurance_summary(held: GMMReinsuranceClose, when: date) -> dict[str, Any]:
    row: dict[str, Any] = {"date": when.isoformat(), "portfolio": held.spec.name, "approach": "GMM held",
                           "lrc": 0.0, "loss_component": 0.0, "lic": 0.0, "csm": 0.0, "revenue": 0.0,
                           "service_result": 0.0, "finance_pl": 0.0, "oci": 0.0}
    for g, res in held.groups:
        p = g.period_of(when)
        if p is None or p > len(res.periods):
            continue
        period = res.periods[p - 1]
        row["lrc"] += period.aoc.get("closing", "total")
        row["csm"] += period.aoc.get("closing", "csm")
        row["service_result"] += period.profit_or_loss.net_result
        row["finance_pl"] -= period.profit_or_loss.finance_income_pl
        row["oci"] += period.profit_or_loss.other_comprehensive_income
    return row


@dataclass(frozen=True)
class CloseRun:
    result: CloseResult
    summary: list[dict[str, Any]]
    documents: dict[str, dict[str, Any]]
    files: dict[str, Path]
    scenarios: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _source(config: CloseConfig) -> dict[str, Any]:
    from aktuar.services.inputs import file_sha256

    files = {"configuration": config.source, "curves": config.curves.file}
    for p in config.paa:
        files[f"{p.name}: contracts"] = p.contracts
        files[f"{p.name}: claims"] = p.claims
    for g in config.gmm:
        files[f"{g.name}: policies"] = g.model_points
        files[f"{g.name}: mortality"] = g.mortality
        if g.actuals is not None:
            files[f"{g.name}: actual cash flows"] = g.actuals
        if g.fair_values is not None:
            files[f"{g.name}: fair values at transition"] = g.fair_values
    if config.group_register is not None:
        files["group register"] = config.group_register
    return {k: {"file": v.name, "sha256": file_sha256(v)} for k, v in files.items()}


def run_close(config_path: str | Path, out_dir: str | Path, *, progress: Progress | None = None,
              scheduler: str | None = None, lang: str = "en") -> CloseRun:
    """Load the configuration, measure everything, then write (only then) the results into ``out_dir``:
    per reporting date ``ifrs17-<date>.json`` and ``.xlsx`` (aktuar-ifrs17/1, docs/ifrs17-output.md; the
    workbook's texts in ``lang``, ru or en), the closing balances ``balances.csv`` and the group register
    ``group-register.csv``."""
    import csv
    import io

    from aktuar.fsutil import atomic_write
    from aktuar.reports.ifrs17_output import to_document, write_output
    from aktuar.reports.ifrs17_terms import check_language

    check_language(lang)
    config = load_config(config_path)
    result = measure_close(config, progress=progress, scheduler=scheduler)
    summary = summary_rows(result)
    scenarios: dict[str, list[dict[str, Any]]] = {}
    for sc in config.scenarios:
        def sub(step: str, done: int, total: int, name: str = sc.name) -> None:
            if progress is not None:
                progress(f"scenario {name}: {step}", done, total)

        scenarios[sc.name] = summary_rows(measure_close(replace(config, scenario=sc), progress=sub,
                                                        scheduler=scheduler))
    source = _source(config)
    aggregation = _all_groups(result)
    documents = {}
    for k, when in enumerate(config.reporting_dates, start=1):
        tables = period_tables(result, k)
        if scenarios and k == len(config.reporting_dates):
            tables.append(sensitivity_table(config, summary, scenarios))
        documents[when.isoformat()] = to_document(tables, aggregation=aggregation, reporting_date=when,
                                                  currency=config.currency, entity=config.entity, source=source)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file: give a folder for the results")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for label, doc in documents.items():
        for ext in ("json", "xlsx"):
            path = out / f"ifrs17-{label}.{ext}"
            write_output(path, doc, lang)
            files[f"{label} {ext}"] = path
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(summary[0]))
    writer.writeheader()
    writer.writerows(summary)
    atomic_write(out / "balances.csv", lambda fh: fh.write(buf.getvalue()))
    files["balances"] = out / "balances.csv"
    from aktuar.reports.ifrs17_html import render_close_report

    run = CloseRun(result, summary, documents, files, scenarios)
    page = render_close_report(run)
    atomic_write(out / "summary.html", lambda fh: fh.write(page))
    files["summary"] = out / "summary.html"
    reg = aggregation.register
    rows = zip(reg.contract_id, reg.portfolio, reg.cohort, reg.profitability, reg.group_id, reg.reason, strict=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["contract_id", "portfolio", "cohort", "profitability", "group_id", "reason"])
    w.writerows(rows)
    atomic_write(out / "group-register.csv", lambda fh: fh.write(buf.getvalue()))
    files["group register"] = out / "group-register.csv"
    return CloseRun(result, summary, documents, files, scenarios)


def _all_groups(result: CloseResult) -> Aggregation:
    """One aggregation over all portfolios (their registers merged)."""
    parts = [p.aggregation for p in result.paa if p.aggregation is not None] + [g.aggregation for g in result.gmm]
    if not parts:
        raise InputError("no portfolio was aggregated into groups")
    return _merge_aggregations(parts)


# ---------------------------------------------------------------------------------------- GMM portfolio
@dataclass(frozen=True)
class GMMGroupClose:
    """One GMM group measured from its initial recognition (the start of its cohort year) over its coverage."""

    info: GroupInfo
    recognised: date
    result: GMMResult
    coverage_units: FloatArray
    locked_in_curve: str
    inputs: GroupInputs | None = None
    insured_share: FloatArray | None = None  # per period: insured benefits / (benefits + maintenance expenses)
    revised_insured_share: dict[int, FloatArray] = field(default_factory=dict)
    first_year: int | None = None  # calendar year of period 1 (default: the cohort year)
    transition: TransitionResult | None = None

    def period_of(self, when: date) -> int | None:
        """The group's period (1-based) that ends on the reporting date ``when``, if any."""
        p = when.year - (self.first_year or self.info.cohort) + 1
        return p if 1 <= p <= len(self.result.periods) else None


@dataclass(frozen=True)
class GMMPortfolioClose:
    name: str
    groups: tuple[GMMGroupClose, ...]
    aggregation: Aggregation
    warnings: list[str] = field(default_factory=list)


def _assumptions(spec: GMMPortfolio, mortality: DecrementTable, curve: Any, multiplier: float = 1.0,
                 lapse_multiplier: float = 1.0) -> Assumptions:
    mort = mortality if multiplier == 1.0 else DecrementTable(
        np.minimum(mortality.rates * multiplier, 1.0), mortality.min_age, f"{mortality.name} × {multiplier:g}")
    lapse = np.minimum(np.array(spec.lapse) * lapse_multiplier, 1.0)
    return Assumptions(mort, curve, lapse=DecrementTable.by_duration(lapse, "lapse"),
                       acquisition_expense=spec.acquisition_expense, maintenance_expense=spec.maintenance_expense,
                       expense_inflation=spec.expense_inflation, commission=spec.commission)


def _model_points(p: Policies, idx: npt.NDArray[np.int64], group: list[str] | None) -> ModelPoints:
    return ModelPoints(p.age_at_entry[idx], p.policy_term[idx], p.sum_insured[idx], p.policy_count[idx],
                       duration_mth=np.zeros(idx.shape[0], dtype=np.int64), premium=p.premium[idx],
                       premium_frequency=p.premium_frequency[idx], product=[p.product[i] for i in idx],
                       annuity_amount=p.annuity_amount[idx], annuity_deferral=p.annuity_deferral[idx],
                       group=group, ids=[p.policy_id[i] for i in idx])


def _project(mp: ModelPoints, assumptions: Assumptions, scheduler: str | None, policies: Policies | None = None,
             idx: npt.NDArray[np.int64] | None = None) -> ProjectionResult:
    try:
        if scheduler is None:
            return project(mp, assumptions)
        from aktuar.distributed import project as project_on_cluster

        return project_on_cluster(mp, assumptions, scheduler=scheduler)
    except InputError as exc:  # the projection numbers the model points of the cohort: name the file's row
        if policies is None or idx is None or exc.row is None or exc.file is not None or not 0 <= exc.row - 2 < len(idx):
            raise
        raise InputError(exc.message, file=policies.file, row=int(policies.rows[idx[exc.row - 2]]),
                         column=exc.column) from None


def measure_gmm(config: CloseConfig, spec: GMMPortfolio, curves: DateCurves, register: GroupRegister | None,
                scheduler: str | None = None) -> GMMPortfolioClose:
    """Project the portfolio's policies cohort by cohort, group them (para 16: FCF at initial recognition with
    the RA; para 47 onerous; a margin threshold for "no significant possibility") and measure every group under
    the GMM with the FCF at the current curve of each reporting date, the CSM at the locked-in curve and the OCI
    option of the configuration."""
    policies = read_policies(spec.model_points)
    min_age, q = read_mortality(spec.mortality)
    mortality = DecrementTable.by_age(q, min_age, "mortality")
    missing = np.flatnonzero(np.isnan(policies.premium))
    if missing.size:
        raise InputError("the premium is blank: give the premium per payment of every policy", file=policies.file,
                         row=int(policies.rows[missing[0]]), column="premium")
    actuals = read_actuals(spec.actuals) if spec.actuals is not None else None
    used = np.zeros(0 if actuals is None else len(actuals.group_id), dtype=bool)
    years = np.array([int(str(d)[:4]) for d in policies.issue_date], dtype=np.int64)
    last = config.reporting_dates[-1]
    warnings: list[str] = []
    late = years > last.year
    if late.any():
        warnings.append(f"{int(late.sum())} polic(ies) issued after {last.isoformat()} are not yet recognised")
    measured: list[GMMGroupClose] = []
    aggregations: list[Aggregation] = []
    fair_file, fair = (read_fair_values(spec.fair_values) if spec.fair_values is not None else ("", {}))
    t_date = spec.transition_date
    for cohort in sorted(set(years[~late].tolist())):
        idx = np.flatnonzero(years == cohort)
        recognised = date(cohort - 1, 12, 31)
        at_transition = t_date is not None and recognised < t_date
        if at_transition:
            assert t_date is not None
            if cohort not in fair:
                raise InputError(f"no fair value for cohort {cohort}, issued before the transition date "
                                 f"{t_date.isoformat()}: add a row with cohort {cohort}", file=fair_file,
                                 column="cohort")
            if fair[cohort][0] < 0:
                raise InputError(f"the fair value of cohort {cohort} is negative: give the price to transfer the "
                                 "obligation as a positive liability", file=fair_file, row=fair[cohort][1],
                                 column="fair_value")
            measured += _transition_cohort(config, spec, policies, idx, cohort, t_date, fair[cohort][0], mortality,
                                           curves, register, scheduler, aggregations)
            continue
        if recognised in curves.curves:
            curve, curve_label = curves.curves[recognised], f"current curve of {recognised.isoformat()}"
        else:
            curve, curve_label = curves.curves[config.opening_date], (
                f"the opening curve of {config.opening_date.isoformat()} (no curve at initial recognition "
                f"{recognised.isoformat()}: a C13-like approximation)")
            warnings.append(f"cohort {cohort}: locked-in rates from {curve_label}")
        base = _assumptions(spec, mortality, curve)
        first = _project(_model_points(policies, idx, None), base, scheduler, policies, idx)
        outflows = (first.pv_claims + first.pv_morbidity + first.pv_annuities + first.pv_maturities
                    + first.pv_expenses + first.pv_commissions)
        fcf = outflows * (1.0 + spec.ra_share) - first.pv_premiums
        agg = assign_groups(
            AggContracts([policies.policy_id[i] for i in idx], [spec.name] * idx.shape[0],
                         [str(policies.issue_date[i]) for i in idx], fcf=fcf, premium=first.pv_premiums),
            AggregationTest(margin_threshold=spec.margin_threshold), register=register)
        aggregations.append(agg)
        labels = list(agg.group_id)
        grouped = _project(_model_points(policies, idx, labels), base, scheduler)
        bases = {d: (m, 1.0) for d, m in spec.mortality_revision}
        sc = config.scenario
        if sc is not None and (sc.mortality_multiplier != 1.0 or sc.lapse_multiplier != 1.0):
            m0, _ = bases.get(last, (1.0, 1.0))
            bases[last] = (m0 * sc.mortality_multiplier, sc.lapse_multiplier)
        revised = {d: _project(_model_points(policies, idx, labels), _assumptions(spec, mortality, curve, m, lm),
                               scheduler) for d, (m, lm) in bases.items()}
        for gid in sorted(set(labels)):
            m = np.array([g == gid for g in labels])
            first_i = int(np.flatnonzero(m)[0])
            inputs = group_inputs(grouped, gid, ra_share=spec.ra_share)
            n = inputs.expected.n_periods
            current: dict[int, Any] = {}
            for when in config.reporting_dates:
                p = when.year - cohort + 1
                if 1 <= p <= n:
                    current[p] = curves.curves[when]
            revisions: dict[int, Revision] = {}
            for rev_date, res in revised.items():
                p = rev_date.year - cohort + 1
                if 1 <= p < n:
                    rev = group_inputs(res, gid, ra_share=spec.ra_share)
                    revisions[p] = Revision(rev.expected, rev.risk_adjustment)
            actual = None
            if actuals is not None:
                actual, hit = _actual_flows(actuals, gid, cohort, inputs.expected)
                used |= hit
            inputs = replace(inputs, current_discount=current or None, oci_option=config.oci_option,
                             revisions=revisions, actual=actual)
            result = gmm_measure(inputs)
            share = _insured_share(grouped, gid, n)
            revised_share = {rev_date.year - cohort + 1: _insured_share(res, gid, n) for rev_date, res in
                             revised.items() if 1 <= rev_date.year - cohort + 1 < n}
            premiums = float(first.pv_premiums[m].sum())
            info = GroupInfo(gid, spec.name, cohort, agg.profitability[first_i], int(m.sum()), premiums,
                             float(fcf[m].sum() / premiums) if premiums > 0 else float("nan"), agg.reason[first_i])
            measured.append(GMMGroupClose(info, recognised, result, np.asarray(inputs.coverage_units), curve_label,
                                          inputs, share, revised_share))
    if not aggregations:
        raise InputError(f"portfolio '{spec.name}' has no policy issued by {last.isoformat()}", file=policies.file)
    if actuals is not None and not used.all():
        i = int(np.flatnonzero(~used)[0])
        raise InputError(f"no group '{actuals.group_id[i]}' with a period ending {actuals.period_end[i]} in "
                         f"portfolio '{spec.name}': use a group id of the group register and a period end "
                         "(31 December of a coverage year)", file=actuals.file, row=int(actuals.rows[i]),
                         column="group_id")
    return GMMPortfolioClose(spec.name, tuple(measured), _merge_aggregations(aggregations), warnings)


def _transition_cohort(config: CloseConfig, spec: GMMPortfolio, policies: Policies, idx: npt.NDArray[np.int64],
                       cohort: int, t_date: date, fair_value: float, mortality: DecrementTable, curves: DateCurves,
                       register: GroupRegister | None, scheduler: str | None,
                       aggregations: list[Aggregation]) -> list[GMMGroupClose]:
    """A cohort issued before the transition date under the fair value approach (C20–C24): projected from the
    transition date with the policies' durations, grouped by the facts at transition (C21–C22), CSM or loss
    component = fair value − FCF at transition per group (the cohort's fair value allocated to its groups in
    proportion to their PV of future outflows), the transition date's curve as the locked-in curve (C23)."""
    months = np.array([(t_date.year - int(str(d)[:4])) * 12 + (t_date.month - int(str(d)[5:7])) + 1
                       for d in policies.issue_date[idx]], dtype=np.int64)
    months = np.minimum(months, 12 * policies.policy_term[idx])
    curve = curves.curves[t_date]
    base = _assumptions(spec, mortality, curve)

    def mp(group: list[str] | None) -> ModelPoints:
        m = _model_points(policies, idx, group)
        return replace(m, duration_mth=months)

    first = _project(mp(None), base, scheduler, policies, idx)
    outflows = (first.pv_claims + first.pv_morbidity + first.pv_annuities + first.pv_maturities
                + first.pv_expenses + first.pv_commissions)
    fcf = outflows * (1.0 + spec.ra_share) - first.pv_premiums
    total_out = float(outflows.sum())
    # the facts at transition (C21–C22): the fair value allocated to each policy in proportion to its outflows
    # plays the part of the consideration; a policy whose FCF exceed it is onerous
    fv_policy = fair_value * (outflows / total_out if total_out > 0 else np.full(idx.shape[0], 1.0 / idx.shape[0]))
    agg = assign_groups(
        AggContracts([policies.policy_id[i] for i in idx], [spec.name] * idx.shape[0],
                     [str(policies.issue_date[i]) for i in idx], fcf=fcf - fv_policy, premium=fv_policy),
        AggregationTest(margin_threshold=spec.margin_threshold), register=register)
    aggregations.append(agg)
    labels = list(agg.group_id)
    grouped = _project(mp(labels), base, scheduler)
    last = config.reporting_dates[-1]
    bases = {d: (m, 1.0) for d, m in spec.mortality_revision}
    sc = config.scenario
    if sc is not None and (sc.mortality_multiplier != 1.0 or sc.lapse_multiplier != 1.0):
        m0, _ = bases.get(last, (1.0, 1.0))
        bases[last] = (m0 * sc.mortality_multiplier, sc.lapse_multiplier)
    revised = {d: _project(mp(labels), _assumptions(spec, mortality, curve, m, lm), scheduler)
               for d, (m, lm) in bases.items()}
    out: list[GMMGroupClose] = []
    first_year = t_date.year + 1
    for gid in sorted(set(labels)):
        m = np.array([g == gid for g in labels])
        first_i = int(np.flatnonzero(m)[0])
        inputs = group_inputs(grouped, gid, ra_share=spec.ra_share)
        n = inputs.expected.n_periods
        fv_group = float(fv_policy[m].sum())
        pv0 = float(first.pv_premiums[m].sum())
        fcf_pv = float(outflows[m].sum()) - pv0
        ra0 = float(np.asarray(inputs.risk_adjustment)[0])
        tr = fair_value_approach(fair_value=fv_group, pv_future_cash_flows=fcf_pv, risk_adjustment=ra0,
                                 cohorts_aggregated=False, assessments_at_transition=True)
        current = {when.year - first_year + 1: curves.curves[when] for when in config.reporting_dates
                   if 1 <= when.year - first_year + 1 <= n}
        revisions = {}
        for rev_date, res in revised.items():
            p = rev_date.year - first_year + 1
            if 1 <= p < n:
                rev = group_inputs(res, gid, ra_share=spec.ra_share)
                revisions[p] = Revision(rev.expected, rev.risk_adjustment)
        inputs = replace(inputs, current_discount=current or None, oci_option=config.oci_option,
                         revisions=revisions, transition=TransitionBalances(tr.csm, tr.loss_component))
        result = gmm_measure(inputs)
        info = GroupInfo(gid, spec.name, cohort, agg.profitability[first_i], int(m.sum()), pv0,
                         float(fcf[m].sum() / pv0) if pv0 > 0 else float("nan"),
                         f"fair value approach at {t_date.isoformat()} (C20–C24): fair value "
                         f"{fv_group:,.0f} − FCF {tr.fulfilment_cash_flows:,.0f}; groups by the facts at "
                         f"transition (C21–C22): {agg.reason[first_i]}")
        out.append(GMMGroupClose(info, t_date, result, np.asarray(inputs.coverage_units),
                                 f"the curve at the transition date {t_date.isoformat()} (C23)", inputs,
                                 _insured_share(grouped, gid, n),
                                 {p: _insured_share(revised[d], gid, n) for d in revised
                                  if 1 <= (p := d.year - first_year + 1) < n}, first_year, tr))
    return out


def _insured_share(result: ProjectionResult, gid: str, n: int) -> FloatArray:
    """Per projection year, the share of the GMM ``claims`` that are insured benefits (deaths, morbidity,
    annuities) rather than maintenance expenses: what a quota share recovers."""
    gi = result.flows.index(gid)
    flows = result.flows
    insured = sum(flows.annual(name)[gi] for name in ("claims", "morbidity", "annuities"))
    total = insured + flows.annual("maintenance_expenses")[gi]
    out = np.zeros(n)
    k = min(n, total.shape[0])
    out[:k] = np.divide(insured[:k], total[:k], out=np.zeros(k), where=total[:k] > 0)
    return out


def _actual_flows(actuals: Actuals, gid: str, cohort: int, expected: CashFlows
                  ) -> tuple[CashFlows, npt.NDArray[np.bool_]]:
    """The group's actual cash flows: as expected, except the periods the actuals file gives (experience,
    B97(c)); also which rows of the file were used."""
    n = expected.n_periods
    arrays = {name: np.array(getattr(expected, name) if getattr(expected, name) is not None else np.zeros(n),
                             dtype=np.float64) for name in ("premiums", "claims", "acquisition",
                                                            "investment_components")}
    hit = np.zeros(len(actuals.group_id), dtype=bool)
    for i, g in enumerate(actuals.group_id):
        if g != gid:
            continue
        d = actuals.period_end[i]
        year = int(str(d)[:4])
        p = year - cohort + 1
        if str(d)[5:] != "12-31" or not 1 <= p <= n:
            continue
        hit[i] = True
        for name, values in actuals.amounts.items():
            if np.isfinite(values[i]):
                arrays[name][p - 1] = values[i]
    flows = replace(expected, premiums=arrays["premiums"], claims=arrays["claims"],
                    acquisition=arrays["acquisition"], investment_components=arrays["investment_components"])
    return flows, hit


@dataclass(frozen=True)
class GMMReinsuranceClose:
    """A quota share held on a GMM portfolio: one reinsurance group per underlying group (para 61), measured by
    the general model for reinsurance held (para 63–68, 66A–66B)."""

    spec: Reinsurance
    groups: tuple[tuple[GMMGroupClose, ReinsuranceResult], ...]


def measure_gmm_reinsurance(spec: Reinsurance, life: GMMPortfolioClose) -> GMMReinsuranceClose:
    """Premiums ceded = share × (1 − commission) × premiums; recoveries = share × insured benefits; the risk
    transferred = share × the underlying RA; the reinsurer's default by probability and loss given default;
    the loss-recovery component from the underlying group's losses at the share (para 66A, B119D)."""
    rate = spec.share * (1.0 - spec.ceding_commission)
    out = []
    for g in life.groups:
        if g.inputs is None or g.insured_share is None:
            continue
        inputs = g.inputs

        def ceded(flows: CashFlows, insured: FloatArray) -> ReinsuranceCashFlows:
            return ReinsuranceCashFlows(rate * np.asarray(flows.premiums, dtype=np.float64),
                                        spec.share * np.asarray(flows.claims, dtype=np.float64) * insured)

        revisions = {k: ReinsuranceRevision(ceded(r.cash_flows, g.revised_insured_share.get(k, g.insured_share)),
                                            spec.share * np.asarray(r.risk_adjustment, dtype=np.float64))
                     for k, r in inputs.revisions.items()}
        ri = ReinsuranceInputs(
            ceded(inputs.expected, g.insured_share), spec.share * np.asarray(inputs.risk_adjustment),
            np.asarray(inputs.coverage_units), inputs.discount,
            actual=None if inputs.actual is None else ceded(inputs.actual, g.insured_share),
            revisions=revisions,
            non_performance=NonPerformance(spec.default_probability, spec.loss_given_default),
            underlying=underlying_losses(g.result), recovery_percentage=spec.share,
            current_discount=inputs.current_discount, oci_option=inputs.oci_option)
        out.append((g, measure_reinsurance(ri)))
    return GMMReinsuranceClose(spec, tuple(out))


def gmm_reinsurance_table(r: GMMReinsuranceClose, when: date) -> DisclosureTable | None:
    """Para 100/101 analysis of change of a quota share held on a GMM portfolio for the period ending ``when``
    (liability sign: an asset is negative), its groups summed."""
    values = None
    for g, res in r.groups:
        p = g.period_of(when)
        if p is None or p > len(res.periods):
            continue
        aoc = res.periods[p - 1].aoc
        values = aoc.values.copy() if values is None else values + aoc.values
    if values is None:
        return None
    return DisclosureTable(
        "101-reinsurance", f"Reinsurance contracts held: {r.spec.name} (liability sign; an asset is negative)",
        "IFRS 17 para 98, 100, 101, 66", RI_AOC_STEPS, RI_AOC_COLUMNS, values, "reconciliation",
        group=r.spec.name)


def _merge_aggregations(parts: list[Aggregation]) -> Aggregation:
    first = parts[0]
    reg = first.register
    names = ("contract_id", "portfolio", "cohort", "profitability", "group_id", "reason", "is_new",
             "assessed_profitability")
    fields_ = {f: list(getattr(first, f)) for f in names}
    for a in parts[1:]:
        reg = reg.merge(a.register)
        for f in names:
            fields_[f] += list(getattr(a, f))
    return Aggregation(**{f: tuple(v) for f, v in fields_.items()}, register=reg, groups=reg.groups())


def gmm_tables(portfolio: GMMPortfolioClose, when: date) -> list[DisclosureTable]:
    """Para 100, 101, 106 and 109 tables of the portfolio's groups for the period ending ``when``, combined."""
    recon: list[DisclosureTable] = []
    comp: list[DisclosureTable] = []
    rev: list[DisclosureTable] = []
    bands: list[DisclosureTable] = []
    for g in portfolio.groups:
        p = g.period_of(when)
        if p is None:
            continue
        gid = g.info.group_id
        recon.append(lrc_lic_reconciliation(g.result, p, group=gid))
        comp.append(measurement_components_reconciliation(g.result, p, group=gid))
        rev.append(insurance_revenue_gmm(g.result, p, group=gid))
        bands.append(csm_maturity_gmm(g.result, p, g.coverage_units, group=gid))
    out: list[DisclosureTable] = []
    for tables in (recon, comp, rev, bands):
        if tables:
            out += [*tables, combine(tables, group=portfolio.name)]
    return out
