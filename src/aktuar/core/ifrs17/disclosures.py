"""IFRS 17 disclosure tables (paras 93–132) built from measured groups: pure builders, tables as data.

Every table is a :class:`DisclosureTable`: a key, a title, the paragraph(s), rows (steps), columns and a
``values[row, column]`` float64 matrix, with human labels for rows and columns. Steps are data (as
:class:`aktuar.core.ifrs17.gmm.AnalysisOfChange`), so tables of many groups with the same layout are summed row by
row into a portfolio or entity total by :func:`combine`. :meth:`DisclosureTable.check` verifies that the table adds
up (a reconciliation's movements add to its closing balance, an analysis's lines to its total, a ``total`` column
to its other columns, a claims-development column to its liability).

Tables (keys):

- ``100`` (para 100, 103, 105, GMM groups): reconciliation of the liability for remaining coverage excluding the
  loss component, the loss component and the liability for incurred claims, with the lines of para 103
  (insurance revenue; insurance service expenses split into incurred claims and other expenses, amortisation of
  acquisition cash flows, losses and reversals on onerous groups, loss-component allocation, past-service
  changes; investment components) and para 105 (cash flows; insurance finance expenses). From
  :class:`gmm.GMMResult` (its presentation table, split by the profit-or-loss lines);
- ``100-paa`` (para 100(c)): the same for PAA groups, with the LIC split into the PV of future cash flows and the
  risk adjustment; from :class:`paa.PAAResult` and the LIC risk adjustment at each closing;
- ``101`` (para 101, 104, 105, GMM only): reconciliation of the PV of future cash flows, the risk adjustment and
  the CSM with the lines of para 104: changes relating to future service (changes in estimates that adjust the
  CSM, changes that do not — losses and reversals on onerous groups, contracts initially recognised), current
  service (CSM recognised, change in the RA, experience adjustments), past service; cash flows and finance
  expenses (para 105). The future-service row of the GMM analysis of change is split between "adjusting the
  CSM" and "not adjusting" in proportion to the CSM adjustment (a documented choice: the PV and RA columns are
  split pro rata); the effect of changes in discount rates (the GMM's ``financial_assumption_changes`` step) is
  part of insurance finance income or expenses (para 87, 105(c)) and is shown in that line;
- ``106`` (para 106): analysis of insurance revenue — expected claims and expenses, RA release, CSM recognised,
  other amounts (experience adjustments for premiums), recovery of acquisition cash flows; PAA revenue on its own
  line (para 106 does not apply to PAA groups; it is shown so that an entity total sums);
- ``109`` (para 109): expected recognition of the closing CSM in profit or loss in time bands of 1, 2, 3, 4, 5,
  6–10 and over 10 years, from the closing CSM and the future coverage units, by the release rule of para 44(e),
  B119; optionally with interest accreted at the locked-in rates (then the bands sum to the closing CSM plus the
  future accretion; without accretion they sum to the closing CSM);
- ``119`` (para 119): the risk adjustment by portfolio with its best estimate and the confidence level, from
  :mod:`aktuar.core.ifrs17.risk_adjustment` results (undiversified or diversified);
- ``130`` and ``130-reconciliation`` (para 130): claims development — the estimates of undiscounted cumulative
  claims of each accident year at the end of the year and at each later year end, the current estimate,
  cumulative payments and the undiscounted liability, for up to ten accident years; and its reconciliation to
  the LIC carrying amount (earlier years, claims-settlement expenses, effect of discounting, risk adjustment,
  other). The history of estimates comes from :func:`ultimate_history`, which re-runs a reserving method on the
  triangle cut back to each earlier diagonal (the estimate the method would have made then), or is given.
  Para 130 does not require the table for claims whose uncertainty is typically resolved within one year.

Conventions: money float64 unrounded, liabilities positive; in reconciliations inflows (premiums) are positive
and outflows and revenue negative, as in :mod:`aktuar.core.ifrs17.gmm`. Periods are 1-based as in ``GMMResult``.
Rounding and translation happen at presentation (``aktuar.reports.ifrs17_output``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from aktuar.core.ifrs17.gmm import AnalysisOfChange, GMMResult, PeriodResult
from aktuar.core.ifrs17.paa import PAAResult
from aktuar.core.ifrs17.risk_adjustment import DiversifiedRA, RiskAdjustment
from aktuar.core.reserving.results import ReserveResult
from aktuar.core.reserving.triangles import Triangle
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Kind = Literal["reconciliation", "analysis", "by_segment", "development"]

__all__ = [
    "CSM_BANDS",
    "ClaimsDevelopment",
    "DisclosureTable",
    "UltimateHistory",
    "claims_development",
    "combine",
    "csm_maturity",
    "csm_maturity_gmm",
    "insurance_revenue_gmm",
    "insurance_revenue_paa",
    "lrc_lic_reconciliation",
    "lrc_lic_reconciliation_paa",
    "measurement_components_reconciliation",
    "ra_confidence_level",
    "ra_disclosure",
    "ultimate_history",
]

_TOL = 1e-6

ROWS_100: tuple[str, ...] = (
    "opening",
    "insurance_revenue",
    "incurred_claims_and_expenses",
    "acquisition_amortisation",
    "losses_and_reversals_onerous",
    "loss_component_allocation",
    "past_service_changes",
    "investment_components",
    "finance_expense",
    "premiums_received",
    "claims_and_expenses_paid",
    "acquisition_paid",
    "closing",
)
LABELS_100: dict[str, str] = {
    "opening": "Opening balance",
    "insurance_revenue": "Insurance revenue (para 103(a))",
    "incurred_claims_and_expenses": "Incurred claims and other insurance service expenses (para 103(b)(i))",
    "acquisition_amortisation": "Amortisation of insurance acquisition cash flows (para 103(b)(ii))",
    "losses_and_reversals_onerous": "Losses on onerous groups and reversals (para 103(b)(iv))",
    "loss_component_allocation": "Loss component allocated to expenses (para 50(a), 51)",
    "past_service_changes": "Changes relating to past service (para 103(b)(iii))",
    "investment_components": "Investment components (para 103(c))",
    "finance_expense": "Insurance finance expenses (para 105(c))",
    "premiums_received": "Premiums received (para 105(a)(i))",
    "claims_and_expenses_paid": "Claims and other insurance service expenses paid (para 105(a)(iii))",
    "acquisition_paid": "Insurance acquisition cash flows paid (para 105(a)(ii))",
    "closing": "Closing balance",
}
COLUMNS_100: tuple[str, ...] = ("lrc_excl_loss_component", "loss_component", "lic", "total")
COLUMNS_100_PAA: tuple[str, ...] = (
    "lrc_excl_loss_component",
    "loss_component",
    "lic_pv_future_cash_flows",
    "lic_risk_adjustment",
    "total",
)
COLUMN_LABELS: dict[str, str] = {
    "lrc_excl_loss_component": "LRC excluding loss component",
    "loss_component": "Loss component",
    "lic": "LIC",
    "lic_pv_future_cash_flows": "LIC: PV of future cash flows",
    "lic_risk_adjustment": "LIC: risk adjustment",
    "pv_future_cash_flows": "PV of future cash flows",
    "risk_adjustment": "Risk adjustment",
    "csm": "CSM",
    "total": "Total",
    "amount": "Amount",
    "csm_release": "CSM expected to be recognised",
    "best_estimate": "Best estimate (PV of future cash flows)",
    "confidence_level": "Confidence level",
}

ROWS_101: tuple[str, ...] = (
    "opening",
    "changes_in_estimates_adjusting_csm",
    "changes_in_estimates_not_adjusting_csm",
    "new_contracts",
    "csm_recognised",
    "ra_released",
    "experience_adjustments",
    "past_service_changes",
    "finance_expense",
    "premiums_received",
    "cash_outflows",
    "closing",
)
LABELS_101: dict[str, str] = {
    "opening": "Opening balance",
    "changes_in_estimates_adjusting_csm": "Changes in estimates that adjust the CSM (para 104(a)(i))",
    "changes_in_estimates_not_adjusting_csm": (
        "Changes in estimates that do not adjust the CSM: losses and reversals on onerous groups (para 104(a)(ii))"
    ),
    "new_contracts": "Effects of contracts initially recognised in the period (para 104(a)(iii))",
    "csm_recognised": "CSM recognised for services provided (para 104(b)(i))",
    "ra_released": "Change in the risk adjustment for risk expired (para 104(b)(ii))",
    "experience_adjustments": "Experience adjustments (para 104(b)(iii))",
    "past_service_changes": "Changes relating to past service (para 104(c))",
    "finance_expense": "Insurance finance expenses (para 105(c))",
    "premiums_received": "Premiums received (para 105(a)(i))",
    "cash_outflows": "Claims, expenses, investment components and acquisition cash flows paid (para 105(a))",
    "closing": "Closing balance",
}
COLUMNS_101: tuple[str, ...] = ("pv_future_cash_flows", "risk_adjustment", "csm", "total")

ROWS_106: tuple[str, ...] = (
    "expected_claims_and_expenses",
    "ra_released",
    "csm_recognised",
    "other_amounts",
    "acquisition_recovery",
    "paa_revenue",
    "total",
)
LABELS_106: dict[str, str] = {
    "expected_claims_and_expenses": "Expected insurance service expenses incurred (para 106(a)(i), B124(a))",
    "ra_released": "Change in the risk adjustment for non-financial risk (para 106(a)(ii), B124(b))",
    "csm_recognised": "CSM recognised for services provided (para 106(a)(iii), B124(c))",
    "other_amounts": "Other amounts, e.g. experience adjustments for premium receipts (para 106(a)(iv), B124(d))",
    "acquisition_recovery": "Recovery of insurance acquisition cash flows (para 106(b), B125)",
    "paa_revenue": "Insurance revenue of groups measured under the PAA (B126)",
    "total": "Insurance revenue",
}

CSM_BANDS: tuple[str, ...] = ("year_1", "year_2", "year_3", "year_4", "year_5", "years_6_10", "over_10_years")
LABELS_109: dict[str, str] = {
    "year_1": "1 year",
    "year_2": "2 years",
    "year_3": "3 years",
    "year_4": "4 years",
    "year_5": "5 years",
    "years_6_10": "6–10 years",
    "over_10_years": "Over 10 years",
    "total": "Total",
}

ROWS_130_RECON: tuple[str, ...] = (
    "liability_years_shown",
    "liability_earlier_years",
    "claims_settlement_expenses",
    "effect_of_discounting",
    "risk_adjustment",
    "other",
    "lic_carrying_amount",
)
LABELS_130_RECON: dict[str, str] = {
    "liability_years_shown": "Undiscounted liability for the accident years shown",
    "liability_earlier_years": "Undiscounted liability for earlier accident years",
    "claims_settlement_expenses": "Claims-settlement expenses (ULAE)",
    "effect_of_discounting": "Effect of discounting",
    "risk_adjustment": "Risk adjustment for non-financial risk",
    "other": "Other reconciling items",
    "lic_carrying_amount": "Liability for incurred claims (carrying amount)",
}


@dataclass(frozen=True)
class DisclosureTable:
    """One disclosure table: ``values[i, j]`` for row ``rows[i]`` and column ``columns[j]``.

    ``kind`` says how it adds up (see :meth:`check`): ``reconciliation`` and ``analysis`` (rows before the last
    sum to the last), ``by_segment`` (segment rows sum to the last, ``total`` row, in the ``additive`` columns),
    ``development`` (claims development, para 130). ``additive`` lists the columns that are money and add up
    (default: all); other columns (e.g. a confidence level, an estimate at a time band) may hold NaN. ``group``
    and ``period`` say what the table is of (a group id, a portfolio, "total"; a period label).
    """

    key: str
    title: str
    paragraph: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: FloatArray
    kind: Kind
    row_labels: tuple[str, ...] = ()
    column_labels: tuple[str, ...] = ()
    additive: tuple[str, ...] | None = None
    group: str = ""
    period: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        if v.shape != (len(self.rows), len(self.columns)):
            raise InputError(
                f"table {self.key}: values have shape {v.shape}, expected ({len(self.rows)}, {len(self.columns)})."
            )
        object.__setattr__(self, "values", v)
        if not self.row_labels:
            object.__setattr__(self, "row_labels", self.rows)
        if not self.column_labels:
            object.__setattr__(
                self, "column_labels", tuple(COLUMN_LABELS.get(c, c) for c in self.columns)
            )

    @property
    def additive_columns(self) -> tuple[str, ...]:
        return self.columns if self.additive is None else self.additive

    def get(self, row: str, column: str) -> float:
        return float(self.values[self.rows.index(row), self.columns.index(column)])

    def row(self, row: str) -> dict[str, float]:
        return {c: float(x) for c, x in zip(self.columns, self.values[self.rows.index(row)], strict=True)}

    def problems(self) -> list[str]:
        """What does not add up (empty when the table is consistent)."""
        out: list[str] = []
        v = self.values
        scale = max(1.0, float(np.nanmax(np.abs(v)))) if v.size and np.isfinite(v).any() else 1.0
        tol = _TOL * scale
        add = [self.columns.index(c) for c in self.additive_columns]
        if self.kind == "development":
            return self._development_problems(tol)
        if not np.isfinite(v[:, add]).all():
            out.append(f"table {self.key}: a money cell is missing or infinite")
            return out
        if "total" in self.columns and len(self.columns) > 1:
            t = self.columns.index("total")
            others = [j for j in add if j != t]
            diff = v[:, others].sum(axis=1) - v[:, t]
            for i in np.flatnonzero(np.abs(diff) > tol):
                out.append(f"table {self.key}: row {self.rows[i]!r}: columns do not add up to the total "
                           f"(difference {diff[i]:.6g})")
        if len(self.rows) > 1:
            diff = v[:-1, add].sum(axis=0) - v[-1, add]
            for j, d in zip(add, diff, strict=True):
                if abs(d) > tol:
                    out.append(f"table {self.key}: column {self.columns[j]!r}: rows do not add up to "
                               f"{self.rows[-1]!r} (difference {d:.6g})")
        return out

    def _development_problems(self, tol: float) -> list[str]:
        out: list[str] = []
        v = self.values
        cur, paid, liab = (self.rows.index(r) for r in ("current_estimate", "cumulative_payments", "liability"))
        diff = v[cur] - v[paid] - v[liab]
        for j in np.flatnonzero(~np.isfinite(diff) | (np.abs(diff) > tol)):
            out.append(f"table {self.key}: {self.columns[j]}: current estimate − payments ≠ liability")
        if "total" in self.columns:
            t = self.columns.index("total")
            for r in (cur, paid, liab):
                d = v[r, :t].sum() - v[r, t]
                if not abs(d) <= tol:
                    out.append(f"table {self.key}: row {self.rows[r]!r} does not add up to the total")
        return out

    def check(self) -> DisclosureTable:
        """Raise ``AssertionError`` listing what does not add up; return the table when it does."""
        problems = self.problems()
        if problems:
            raise AssertionError("; ".join(problems))
        return self


def _table(
    key: str,
    title: str,
    paragraph: str,
    rows: tuple[str, ...],
    columns: tuple[str, ...],
    values: FloatArray,
    kind: Kind,
    labels: dict[str, str],
    *,
    group: str = "",
    period: str = "",
    additive: tuple[str, ...] | None = None,
    notes: tuple[str, ...] = (),
) -> DisclosureTable:
    return DisclosureTable(
        key=key,
        title=title,
        paragraph=paragraph,
        rows=rows,
        columns=columns,
        values=values,
        kind=kind,
        row_labels=tuple(labels.get(r, r) for r in rows),
        additive=additive,
        group=group,
        period=period,
        notes=notes,
    ).check()


def combine(tables: Sequence[DisclosureTable], *, group: str = "total") -> DisclosureTable:
    """Sum tables of the same layout (key, rows, columns) row by row: a portfolio or entity total. Columns that are
    not additive (e.g. confidence levels) are NaN in the sum; development cells are NaN where every table is."""
    if not tables:
        raise InputError("nothing to combine: give at least one table.")
    first = tables[0]
    for t in tables[1:]:
        if (t.key, t.rows, t.columns, t.kind) != (first.key, first.rows, first.columns, first.kind):
            raise InputError(
                f"cannot add table {t.key!r} of {t.group!r} to table {first.key!r} of {first.group!r}: the rows or "
                "columns differ (e.g. a GMM and a PAA reconciliation, or claims development of other accident years)."
            )
    stack = np.stack([t.values for t in tables])
    total = np.where(np.isnan(stack).all(axis=0), np.nan, np.nansum(stack, axis=0))
    if first.additive is not None:
        non = [j for j, c in enumerate(first.columns) if c not in first.additive]
        total[:, non] = np.nan
    periods = {t.period for t in tables}
    return replace(first, values=total, group=group, period=first.period if len(periods) == 1 else "").check()


# ------------------------------------------------------------------------------------------ GMM and PAA groups


def _period(result: GMMResult, period: int) -> PeriodResult:
    n = len(result.periods)
    if not 1 <= period <= n:
        raise InputError(f"period {period} is outside the group's periods 1..{n}.", column="period")
    return result.periods[period - 1]


def lrc_lic_reconciliation(result: GMMResult, period: int, *, group: str = "") -> DisclosureTable:
    """Para 100, 103, 105 reconciliation (LRC excluding loss component | loss component | LIC) of one period."""
    p = _period(result, period)
    pres, pl = p.presentation, p.profit_or_loss
    ise = pres.row("insurance_service_expenses")
    out = pres.row("cash_outflows")
    z = [0.0, 0.0, 0.0]
    rows = [
        list(pres.values[0, :3]),
        list(pres.values[pres.steps.index("insurance_revenue"), :3]),
        [0.0, 0.0, ise["lic"]],
        [ise["lrc_excl_loss_component"], 0.0, 0.0],
        [0.0, pl.losses_on_onerous_contracts - pl.loss_reversals, 0.0],
        [0.0, -pl.loss_component_allocation, 0.0],
        z,
        list(pres.values[pres.steps.index("investment_components"), :3]),
        list(pres.values[pres.steps.index("finance_expense"), :3]),
        list(pres.values[pres.steps.index("cash_inflows"), :3]),
        [0.0, 0.0, out["lic"]],
        [out["lrc_excl_loss_component"], 0.0, 0.0],
        list(pres.values[-1, :3]),
    ]
    v = np.array(rows, dtype=np.float64)
    return _table(
        "100",
        "Reconciliation of the liability for remaining coverage and the liability for incurred claims",
        "IFRS 17 para 100, 103, 105",
        ROWS_100,
        COLUMNS_100,
        np.column_stack([v, v.sum(axis=1)]),
        "reconciliation",
        LABELS_100,
        group=group,
        period=str(period),
    )


def lrc_lic_reconciliation_paa(
    result: PAAResult,
    period: int,
    lic_risk_adjustment: npt.ArrayLike,
    *,
    opening_risk_adjustment: float = 0.0,
    opening_loss_component: float = 0.0,
    group: str = "",
) -> DisclosureTable:
    """Para 100(c) reconciliation of a PAA group, with the LIC split into the PV of future cash flows and the risk
    adjustment. ``lic_risk_adjustment`` (T,) is the RA included in the LIC at each closing (as given to
    :func:`paa.lic_measurement`); the change in the RA is an incurred-claims expense (no finance, no cash).
    Acquisition cash flows expensed when incurred (para 59(a)) never enter the liability and are not shown.
    Changes of incurred claims relating to past service are included in the incurred-claims line (the PAA
    roll-forward does not separate them)."""
    n = result.lrc.closing.shape[0]
    if not 1 <= period <= n:
        raise InputError(f"period {period} is outside the group's periods 1..{n}.", column="period")
    ra = np.asarray(lic_risk_adjustment, dtype=np.float64).reshape(-1)
    if ra.shape == (1,):
        ra = np.full(n, float(ra[0]))
    if ra.shape != (n,) or not np.isfinite(ra).all() or (ra < 0).any():
        raise InputError(f"lic_risk_adjustment must have {n} non-negative values (one per closing).",
                         column="lic_risk_adjustment")
    t = period - 1
    ra_open = float(opening_risk_adjustment) if t == 0 else float(ra[t - 1])
    ra_close = float(ra[t])
    lc_open = float(opening_loss_component) if t == 0 else float(result.loss_component[t - 1])
    lrc, lic = result.lrc, result.lic
    d_ra = ra_close - ra_open
    rows = [
        [lrc.opening[t], lc_open, lic.opening[t] - ra_open, ra_open],
        [-lrc.insurance_revenue[t], 0, 0, 0],
        [0, 0, lic.incurred_claims_expense[t] - d_ra, d_ra],
        [lrc.acquisition_amortisation[t], 0, 0, 0],
        [0, result.loss_component_change[t], 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [lrc.finance_expense[t], 0, lic.finance_expense[t], 0],
        [lrc.premiums_received[t], 0, 0, 0],
        [0, 0, -lic.claims_paid[t], 0],
        [-lrc.acquisition_paid[t], 0, 0, 0],
        [lrc.closing[t], result.loss_component[t], lic.closing[t] - ra_close, ra_close],
    ]
    v = np.array(rows, dtype=np.float64)
    if abs(lc_open + result.loss_component_change[t] - result.loss_component[t]) > _TOL * max(1.0, abs(lc_open)):
        raise InputError("opening_loss_component does not match the PAA result's loss-component change.",
                         column="opening_loss_component")
    return _table(
        "100-paa",
        "Reconciliation of the liability for remaining coverage and the liability for incurred claims (PAA)",
        "IFRS 17 para 100(c), 103, 105",
        ROWS_100,
        COLUMNS_100_PAA,
        np.column_stack([v, v.sum(axis=1)]),
        "reconciliation",
        LABELS_100,
        group=group,
        period=str(period),
    )


def _step(aoc: AnalysisOfChange, step: str) -> FloatArray:
    """The (PV, RA, CSM) row of an AoC step; zeros for a step this GMM version does not have."""
    if step not in aoc.steps:
        return np.zeros(3)
    return np.asarray(aoc.values[aoc.steps.index(step), :3], dtype=np.float64)


def measurement_components_reconciliation(result: GMMResult, period: int, *, group: str = "") -> DisclosureTable:
    """Para 101, 104, 105 reconciliation (PV of future cash flows | RA | CSM) of one period of a GMM group."""
    p = _period(result, period)
    aoc = p.aoc
    fs_pv = aoc.get("future_service_changes", "pv_future_cash_flows")
    fs_ra = aoc.get("future_service_changes", "risk_adjustment")
    csm_adj = aoc.get("future_service_changes", "csm")
    fs = fs_pv + fs_ra
    share = min(1.0, max(0.0, -csm_adj / fs)) if abs(fs) > _TOL else 1.0
    cur = aoc.row("current_service")
    rows = [
        list(aoc.values[0, :3]),
        [fs_pv * share, fs_ra * share, csm_adj],
        [fs_pv * (1 - share), fs_ra * (1 - share), 0.0],
        list(aoc.values[aoc.steps.index("new_contracts"), :3]),
        [0.0, 0.0, cur["csm"]],
        [0.0, cur["risk_adjustment"], 0.0],
        [cur["pv_future_cash_flows"], 0.0, 0.0],
        [0.0, 0.0, 0.0],
        list(_step(aoc, "finance_expense") + _step(aoc, "financial_assumption_changes")),
        list(_step(aoc, "cash_inflows")),
        list(_step(aoc, "cash_outflows")),
        list(aoc.values[-1, :3]),
    ]
    v = np.array(rows, dtype=np.float64)
    return _table(
        "101",
        "Reconciliation of the measurement components of insurance contract balances",
        "IFRS 17 para 101, 104, 105",
        ROWS_101,
        COLUMNS_101,
        np.column_stack([v, v.sum(axis=1)]),
        "reconciliation",
        LABELS_101,
        group=group,
        period=str(period),
    )


def insurance_revenue_gmm(result: GMMResult, period: int, *, group: str = "") -> DisclosureTable:
    """Para 106 analysis of the insurance revenue of a GMM group in one period."""
    pl = _period(result, period).profit_or_loss
    lines = [
        pl.expected_claims_released,
        pl.risk_adjustment_released,
        pl.csm_released,
        0.0,
        pl.acquisition_recovery,
        0.0,
    ]
    lines[3] = pl.insurance_revenue - sum(lines)
    v = np.array(lines + [pl.insurance_revenue], dtype=np.float64)[:, None]
    return _table("106", "Analysis of insurance revenue", "IFRS 17 para 106, B120–B126", ROWS_106, ("amount",), v,
                  "analysis", LABELS_106, group=group, period=str(period))


def insurance_revenue_paa(result: PAAResult, period: int, *, group: str = "") -> DisclosureTable:
    """Para 106 layout for a PAA group: its revenue (B126) on the PAA line, so GMM and PAA tables add up."""
    n = result.insurance_revenue.shape[0]
    if not 1 <= period <= n:
        raise InputError(f"period {period} is outside the group's periods 1..{n}.", column="period")
    rev = float(result.insurance_revenue[period - 1])
    v = np.array([0.0, 0.0, 0.0, 0.0, 0.0, rev, rev])[:, None]
    return _table("106", "Analysis of insurance revenue", "IFRS 17 para 106, B120–B126", ROWS_106, ("amount",), v,
                  "analysis", LABELS_106, group=group, period=str(period))


# ------------------------------------------------------------------------------------------------- para 109


def _band(year: int) -> int:
    return year - 1 if year <= 5 else (5 if year <= 10 else 6)


def csm_maturity(
    closing_csm: float,
    future_coverage_units: npt.ArrayLike,
    *,
    accretion_rates: npt.ArrayLike | float | None = None,
    group: str = "",
    period: str = "",
) -> DisclosureTable:
    """Para 109: when the closing CSM is expected to be recognised in profit or loss, by time band.

    Year j releases ``CSM_j × cu_j / Σ_{i ≥ j} cu_i`` of the CSM after accretion ``CSM_j = CSM_{j−1} (1 + r_j)``
    (para 44(b), (e), B119), with ``r_j`` from ``accretion_rates`` (scalar or one per future year; default none,
    then the bands sum to the closing CSM). ``future_coverage_units`` are the coverage units expected in each
    future year (annual periods after the reporting date).
    """
    csm = float(closing_csm)
    if not np.isfinite(csm) or csm < -_TOL:
        raise InputError(f"the closing CSM must be a finite amount ≥ 0; got {closing_csm}.", column="closing_csm")
    csm = max(csm, 0.0)
    cu = np.asarray(future_coverage_units, dtype=np.float64).reshape(-1)
    if not np.isfinite(cu).all() or (cu < 0).any():
        raise InputError("future coverage units must be finite and ≥ 0.", column="coverage_units")
    m = cu.shape[0]
    if accretion_rates is None:
        r = np.zeros(m)
    else:
        r = np.asarray(accretion_rates, dtype=np.float64).reshape(-1)
        if r.shape == (1,):
            r = np.full(m, float(r[0]))
        if r.shape != (m,) or not np.isfinite(r).all() or (r <= -1).any():
            raise InputError(f"accretion_rates must be one rate > −100 % or {m} of them (one per future year).",
                             column="accretion_rates")
    if csm > 0 and (m == 0 or cu.sum() <= 0):
        raise InputError("a CSM remains but no future coverage units are given: give the coverage units of the "
                         "remaining coverage period.", column="coverage_units")
    bands = np.zeros(len(CSM_BANDS))
    balance = csm
    remaining = np.concatenate([np.cumsum(cu[::-1])[::-1], [0.0]])
    for j in range(m):
        balance *= 1.0 + r[j]
        release = balance * cu[j] / remaining[j] if remaining[j] > 0 else 0.0
        bands[_band(j + 1)] += release
        balance -= release
    v = np.concatenate([bands, [bands.sum()]])[:, None]
    notes = ("with interest accreted at the locked-in rates: the bands sum to the closing CSM plus future accretion",
             ) if accretion_rates is not None else ("without accretion: the bands sum to the closing CSM",)
    return _table("109", "Expected recognition of the contractual service margin in profit or loss",
                  "IFRS 17 para 109", (*CSM_BANDS, "total"), ("csm_release",), v, "analysis", LABELS_109,
                  group=group, period=period, notes=notes)


def csm_maturity_gmm(
    result: GMMResult, period: int, coverage_units: npt.ArrayLike, *, accretion: bool = True, group: str = ""
) -> DisclosureTable:
    """Para 109 for a GMM group at the end of ``period``: its closing CSM, the coverage units of the later
    periods (``coverage_units`` holds all periods, as given to :func:`gmm.measure`), accreted at the group's
    locked-in discount factors when ``accretion``."""
    p = _period(result, period)
    cu = np.asarray(coverage_units, dtype=np.float64).reshape(-1)
    n = len(result.periods)
    if cu.shape != (n,):
        raise InputError(f"coverage_units must have {n} values (all periods of the group).", column="coverage_units")
    v = result.discount_factors
    rates = v[period:-1] / v[period + 1:] - 1.0 if accretion else None
    return csm_maturity(p.aoc.get("closing", "csm"), cu[period:], accretion_rates=rates, group=group,
                        period=str(period))


# ------------------------------------------------------------------------------------------------- para 119


def ra_confidence_level(
    labels: Sequence[str],
    best_estimate: npt.ArrayLike,
    risk_adjustment: npt.ArrayLike,
    confidence_levels: npt.ArrayLike | None = None,
    *,
    total_risk_adjustment: float | None = None,
    total_confidence_level: float | None = None,
    technique: str = "",
    group: str = "",
    period: str = "",
) -> DisclosureTable:
    """Para 119 table: per portfolio the best estimate, the RA and the confidence level it corresponds to, and the
    total. ``total_risk_adjustment`` (a diversified total) must equal the sum of the (allocated) RAs given."""
    lab = [str(x) for x in labels]
    k = len(lab)
    be = np.asarray(best_estimate, dtype=np.float64).reshape(-1)
    ra = np.asarray(risk_adjustment, dtype=np.float64).reshape(-1)
    cl = np.full(k, np.nan) if confidence_levels is None else np.asarray(confidence_levels, np.float64).reshape(-1)
    if cl.shape == (1,) and k > 1:
        cl = np.full(k, float(cl[0]))
    if be.shape != (k,) or ra.shape != (k,) or cl.shape != (k,):
        raise InputError(f"give one best estimate, RA and confidence level per portfolio ({k}).")
    if not (np.isfinite(be).all() and np.isfinite(ra).all()) or (ra < 0).any():
        raise InputError("best estimates must be finite and risk adjustments finite and ≥ 0.")
    ok = np.isnan(cl) | ((cl > 0) & (cl < 1))
    if not ok.all():
        raise InputError("confidence levels must lie strictly between 0 and 1 (e.g. 0.75).")
    if total_risk_adjustment is not None and abs(float(total_risk_adjustment) - ra.sum()) > _TOL * max(1, ra.sum()):
        raise InputError("the portfolios' risk adjustments do not add up to the total risk adjustment: give the "
                         "allocated (diversified) RA per portfolio.")
    tcl = np.nan if total_confidence_level is None else float(total_confidence_level)
    if not (np.isnan(tcl) or 0 < tcl < 1):
        raise InputError("total_confidence_level must lie strictly between 0 and 1.")
    v = np.column_stack([np.concatenate([be, [be.sum()]]), np.concatenate([ra, [ra.sum()]]),
                         np.concatenate([cl, [tcl]])])
    notes = (f"technique: {technique}",) if technique else ()
    return _table("119", "Risk adjustment for non-financial risk and its confidence level", "IFRS 17 para 119",
                  (*lab, "total"), ("best_estimate", "risk_adjustment", "confidence_level"), v, "by_segment",
                  {"total": "Total"}, additive=("best_estimate", "risk_adjustment"), group=group, period=period,
                  notes=notes)


def ra_disclosure(
    ra: RiskAdjustment,
    labels: Sequence[str],
    *,
    diversified: DiversifiedRA | None = None,
    total_confidence_level: float | None = None,
    group: str = "",
    period: str = "",
) -> DisclosureTable:
    """Para 119 table from a confidence-level :class:`RiskAdjustment` (one segment per portfolio). With a
    :class:`DiversifiedRA` the allocated RAs are shown (their confidence level per portfolio is then not the
    standalone one and is left blank); the entity's total confidence level is ``total_confidence_level``
    (compute it with ``risk_adjustment.confidence_level_*`` from the total distribution)."""
    if diversified is None:
        return ra_confidence_level(labels, ra.mean, ra.ra, np.full(ra.ra.shape[0], ra.confidence_level),
                                   total_confidence_level=total_confidence_level,
                                   technique=f"confidence level ({ra.distribution})", group=group, period=period)
    return ra_confidence_level(labels, ra.mean, diversified.allocated, None,
                               total_risk_adjustment=diversified.total, total_confidence_level=total_confidence_level,
                               technique=f"confidence level ({ra.distribution}) at {ra.confidence_level:.1%} per "
                                         f"portfolio, diversified ({diversified.allocation} allocation)",
                               group=group, period=period)


# ------------------------------------------------------------------------------------------------- para 130


class _Estimator(Protocol):
    def fit(self, tri: Triangle) -> ReserveResult: ...


@dataclass(frozen=True)
class UltimateHistory:
    """Estimates of undiscounted ultimate claims by accident year and development lag (para 130).

    ``by_lag[o, L]`` is the estimate of accident year ``origin[o]`` made at the end of year ``o + L`` (L = 0: the
    end of the accident year itself); NaN where that year end is after the reporting date.
    """

    origin: tuple[str, ...]
    by_lag: FloatArray

    @property
    def current(self) -> FloatArray:
        """The latest estimate of each accident year."""
        b = self.by_lag
        last = np.where(np.isfinite(b), np.arange(b.shape[1])[None, :], -1).max(axis=1)
        return np.where(last >= 0, b[np.arange(b.shape[0]), np.maximum(last, 0)], np.nan)


def ultimate_history(triangle: Triangle, method: _Estimator, *, segment: int = 0) -> UltimateHistory:
    """Re-run ``method`` (e.g. ``ChainLadder()``) on ``triangle`` cut back to each earlier year-end diagonal.

    The triangle must have annual origins and annual development (accident year × development year) so that
    cell (o, d) lies on calendar year o + d; the cut-back triangle keeps the origins and development ages that
    existed then (so a tail the method fits from later data is not used for earlier estimates).
    """
    s, o_n, d_n = triangle.shape
    if not 0 <= segment < s:
        raise InputError(f"segment {segment} is outside 0..{s - 1}.", column="segment")
    og, dg = triangle.origin_grain, triangle.development_grain
    if (og is not None and og != "Y") or (dg is not None and dg != "Y"):
        raise InputError("claims development (para 130) needs an annual triangle (accident year × development "
                         "year): regrain it with Triangle.regrain('Y', 'Y').")
    tri = triangle.select([segment]).cum()
    obs = tri.observed[0]
    if not obs.any():
        raise InputError("the triangle has no observed claims.")
    cal = np.arange(o_n)[:, None] + np.arange(d_n)[None, :]
    c_max = int(cal[obs].max())
    by_lag = np.full((o_n, o_n), np.nan)
    for back in range(o_n):
        c = c_max - back
        if c < 0:
            break
        keep_o = min(o_n, c + 1)
        keep_d = min(d_n, c + 1)
        vals = np.where(cal <= c, tri.values[0], np.nan)[:keep_o, :keep_d]
        if not np.isfinite(vals).any():
            continue
        cut = replace(
            tri,
            values=vals[None],
            origin=tri.origin[:keep_o],
            development=tri.development[:keep_d],
            origin_start=None if tri.origin_start is None else tri.origin_start[:keep_o],
            valuation=None,
        )
        ult = np.asarray(method.fit(cut).ultimate, dtype=np.float64)[0]
        for o in range(keep_o):
            lag = c - o
            if 0 <= lag < o_n and np.isfinite(vals[o]).any():
                by_lag[o, lag] = ult[o]
    return UltimateHistory(tri.origin, by_lag)


@dataclass(frozen=True)
class ClaimsDevelopment:
    """Para 130 tables: ``development`` (None when not required) and its ``reconciliation`` to the LIC."""

    development: DisclosureTable | None
    reconciliation: DisclosureTable


def claims_development(
    history: UltimateHistory,
    paid_to_date: npt.ArrayLike,
    *,
    max_years: int = 10,
    earlier_years_liability: float = 0.0,
    claims_settlement_expenses: float = 0.0,
    effect_of_discounting: float = 0.0,
    risk_adjustment: float = 0.0,
    other: float = 0.0,
    lic_carrying_amount: float | None = None,
    settled_within_one_year: bool = False,
    group: str = "",
    period: str = "",
) -> ClaimsDevelopment:
    """Para 130: actual claims compared with previous estimates of undiscounted claims, by accident year.

    ``paid_to_date`` (O,) are the cumulative payments of each accident year of ``history``. The table shows the
    latest ``max_years`` (≤ 10) accident years; the undiscounted liability of older ones goes to the
    reconciliation as "earlier years" with ``earlier_years_liability`` (claims outside the triangle).
    ``effect_of_discounting`` is negative when discounting reduces the liability. With ``lic_carrying_amount``
    the reconciliation must reach it (else an :class:`InputError` states the difference). With
    ``settled_within_one_year`` (uncertainty typically resolved within a year) the development table is not
    required by para 130 and is omitted.
    """
    if int(max_years) != max_years or not 1 <= max_years <= 10:
        raise InputError("max_years must be a whole number from 1 to 10 (para 130).", column="max_years")
    paid = np.asarray(paid_to_date, dtype=np.float64).reshape(-1)
    o_n = len(history.origin)
    if paid.shape != (o_n,) or not np.isfinite(paid).all():
        raise InputError(f"paid_to_date must have {o_n} finite values (one per accident year).",
                         column="paid_to_date")
    current = history.current
    has = np.isfinite(current)
    liab = np.where(has, current - paid, 0.0)
    shown = [o for o in range(o_n) if has[o]][-int(max_years):] if not settled_within_one_year else []
    earlier = float(liab.sum() - liab[shown].sum()) + float(earlier_years_liability)
    items = [float(liab[shown].sum()), earlier, float(claims_settlement_expenses), float(effect_of_discounting),
             float(risk_adjustment), float(other)]
    if not np.isfinite(items).all():
        raise InputError("the reconciling amounts must be finite.")
    total = sum(items)
    if lic_carrying_amount is not None and abs(total - float(lic_carrying_amount)) > 1e-6 * max(1.0, abs(total)):
        raise InputError(
            f"the claims development reconciles to {total:,.2f} but the LIC carrying amount is "
            f"{float(lic_carrying_amount):,.2f} (difference {float(lic_carrying_amount) - total:,.2f}): give the "
            "missing reconciling items (e.g. claims-settlement expenses, discounting, risk adjustment).",
            column="lic_carrying_amount",
        )
    recon = _table("130-reconciliation", "Claims development: reconciliation to the liability for incurred claims",
                   "IFRS 17 para 130", ROWS_130_RECON, ("amount",), np.array(items + [total])[:, None], "analysis",
                   LABELS_130_RECON, group=group, period=period)
    if not shown:
        return ClaimsDevelopment(None, recon)
    lags = len(shown)
    lag_rows = tuple(["estimate_end_of_accident_year"] + [f"estimate_{k}_years_later" for k in range(1, lags)])
    lag_labels = {"estimate_end_of_accident_year": "At the end of the accident year",
                  **{f"estimate_{k}_years_later": f"{k} year{'s' if k > 1 else ''} later" for k in range(1, lags)},
                  "current_estimate": "Current estimate of cumulative claims",
                  "cumulative_payments": "Cumulative payments to date",
                  "liability": "Undiscounted liability"}
    cols = tuple(history.origin[o] for o in shown) + ("total",)
    est = history.by_lag[shown][:, :lags].T  # (lags, years)
    body = np.vstack([est, current[shown][None], paid[shown][None], liab[shown][None]])
    tot = np.full((body.shape[0], 1), np.nan)
    tot[-3:, 0] = body[-3:].sum(axis=1)
    table = DisclosureTable(
        key="130",
        title="Claims development: actual claims compared with previous estimates (undiscounted)",
        paragraph="IFRS 17 para 130",
        rows=(*lag_rows, "current_estimate", "cumulative_payments", "liability"),
        columns=cols,
        values=np.hstack([body, tot]),
        kind="development",
        row_labels=tuple(lag_labels[r] for r in (*lag_rows, "current_estimate", "cumulative_payments", "liability")),
        column_labels=cols[:-1] + ("Total",),
        group=group,
        period=period,
    ).check()
    return ClaimsDevelopment(table, recon)
