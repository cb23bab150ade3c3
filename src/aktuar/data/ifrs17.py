"""Input files of an IFRS 17 close: contracts (non-life, PAA) and discount curves per reporting date.

Formats (CSV, XLSX or Parquet; column names matched ignoring case and spaces) are documented in docs/ifrs17.md.
Every error names the file, the row and the column and says what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.core.ifrs17.aggregation import GroupRegister
from aktuar.data.readers import (
    Table,
    check_unique,
    date_column,
    number_column,
    read_table,
    resolve_columns,
    text_column,
)
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

CONTRACT_COLUMNS = {
    "contract_id": "contract_id", "portfolio": "portfolio", "issue_date": "issue_date",
    "coverage_start": "coverage_start", "coverage_end": "coverage_end", "premium": "premium",
    "acquisition_cost": "acquisition_cost", "premium_received": "premium_received_date",
    "policy_count": "policy_count", "expected_loss_ratio": "expected_loss_ratio",
}
CURVE_COLUMNS = {"reporting_date": "reporting_date", "maturity": "maturity", "rate": "rate"}


@dataclass(frozen=True)
class Contracts:
    """Contracts (or blocks of contracts issued together) of one or more portfolios, columnar."""

    file: str
    rows: npt.NDArray[np.int64]
    contract_id: tuple[str, ...]
    portfolio: tuple[str, ...]
    issue_date: DateArray
    coverage_start: DateArray
    coverage_end: DateArray
    premium: FloatArray
    acquisition_cost: FloatArray
    premium_received: DateArray
    policy_count: FloatArray
    expected_loss_ratio: FloatArray  # pricing loss ratio per contract; NaN where not given

    def __len__(self) -> int:
        return len(self.contract_id)

    def of_portfolio(self, portfolio: str) -> Contracts:
        """The contracts of one portfolio (an error naming the portfolios there are if it has none)."""
        mask = np.array([p == portfolio for p in self.portfolio], dtype=bool)
        if not mask.any():
            raise InputError(f"no contract of portfolio '{portfolio}': the portfolios in the file are "
                             f"{', '.join(sorted(set(self.portfolio)))}", file=self.file, column="portfolio")
        return self.take(mask)

    def take(self, mask: npt.NDArray[np.bool_]) -> Contracts:
        idx = np.flatnonzero(mask)
        return Contracts(
            self.file, self.rows[idx], tuple(self.contract_id[i] for i in idx),
            tuple(self.portfolio[i] for i in idx), self.issue_date[idx], self.coverage_start[idx],
            self.coverage_end[idx], self.premium[idx], self.acquisition_cost[idx], self.premium_received[idx],
            self.policy_count[idx], self.expected_loss_ratio[idx],
        )


def read_contracts(path: str | Path, *, portfolio: str | None = None) -> Contracts:
    """Read a contracts file; with ``portfolio`` keep only that portfolio's rows (error if it has none)."""
    table = read_table(path)
    cols = resolve_columns(table, CONTRACT_COLUMNS, required=("contract_id", "portfolio", "issue_date",
                                                               "coverage_start", "coverage_end", "premium"),
                           purpose="(a contracts file of an IFRS 17 close)")
    if table.height == 0:
        raise table.error("the file has no contracts: add one row per contract (or block of contracts)")
    ids = text_column(table, _c(cols, "contract_id"))
    port = text_column(table, _c(cols, "portfolio"))
    check_unique(table, [_c(cols, "contract_id")], what="contract_id")
    issue = date_column(table, _c(cols, "issue_date"))
    start = date_column(table, _c(cols, "coverage_start"))
    end = date_column(table, _c(cols, "coverage_end"))
    premium = number_column(table, _c(cols, "premium"), what="a premium amount")
    _non_negative(table, premium, _c(cols, "premium"), "a premium")
    acq = _optional_number(table, cols.get("acquisition_cost"), "an acquisition cost")
    count = _optional_number(table, cols.get("policy_count"), "a number of policies", default=1.0)
    if cols.get("expected_loss_ratio"):
        elr = number_column(table, _c(cols, "expected_loss_ratio"), allow_blank=True, what="a loss ratio such as 0.65")
        bad = np.flatnonzero(~np.isnan(elr) & ((elr < 0) | (elr > 10)))
        if bad.size:
            raise table.error(f"{elr[bad[0]]} is not a plausible loss ratio: write 65 % as 0.65", index=int(bad[0]),
                              column=_c(cols, "expected_loss_ratio"))
    else:
        elr = np.full(table.height, np.nan)
    if cols.get("premium_received"):
        received = date_column(table, _c(cols, "premium_received"), allow_blank=True)
        received = np.where(np.isnat(received), start, received)
    else:
        received = start.copy()
    bad = np.flatnonzero(end < start)
    if bad.size:
        raise table.error("the coverage ends before it starts: correct coverage_start or coverage_end",
                          index=int(bad[0]), column=_c(cols, "coverage_end"))
    bad = np.flatnonzero(issue > end)
    if bad.size:
        raise table.error("the contract is issued after its coverage ended: correct issue_date",
                          index=int(bad[0]), column=_c(cols, "issue_date"))
    contracts = Contracts(table.file or str(path), table.rows(), tuple(ids.to_list()), tuple(port.to_list()),
                          issue, start, end, premium, acq, received, count, elr)
    return contracts if portfolio is None else contracts.of_portfolio(portfolio)


@dataclass(frozen=True)
class CurveTable:
    """Spot rates (annual compounding) by maturity in years, per reporting date."""

    file: str
    points: dict[date, tuple[FloatArray, FloatArray]]


def read_curves(path: str | Path, dates: tuple[date, ...]) -> CurveTable:
    """Read the spot-rate file and check it has a curve (at least one maturity) for each of ``dates``."""
    table = read_table(path)
    cols = resolve_columns(table, CURVE_COLUMNS, purpose="(a discount-rate file: reporting_date, maturity, rate)")
    when = date_column(table, _c(cols, "reporting_date"))
    maturity = number_column(table, _c(cols, "maturity"), what="a maturity in years")
    rate = number_column(table, _c(cols, "rate"), what="an annual rate such as 0.125")
    bad = np.flatnonzero(maturity <= 0)
    if bad.size:
        raise table.error("the maturity must be a positive number of years", index=int(bad[0]),
                          column=_c(cols, "maturity"))
    bad = np.flatnonzero((rate <= -0.5) | (rate >= 1.0))
    if bad.size:
        raise table.error(f"{rate[bad[0]]} is not a plausible annual rate: write 12.5 % as 0.125", index=int(bad[0]),
                          column=_c(cols, "rate"))
    check_unique(table, [_c(cols, "reporting_date"), _c(cols, "maturity")], what="reporting date and maturity")
    points: dict[date, tuple[FloatArray, FloatArray]] = {}
    for d in dates:
        m = when == np.datetime64(d, "D")
        if not m.any():
            raise table.error(f"no rates for the reporting date {d.isoformat()}: add rows with reporting_date "
                              f"{d.isoformat()}", column=_c(cols, "reporting_date"))
        order = np.argsort(maturity[m])
        points[d] = (maturity[m][order], rate[m][order])
    return CurveTable(table.file or str(path), points)


def _c(cols: dict[str, str | None], role: str) -> str:
    name = cols[role]
    assert name is not None  # required roles are resolved or resolve_columns raised
    return name


def _non_negative(table: Table, values: FloatArray, column: str, what: str) -> None:
    bad = np.flatnonzero(values < 0)
    if bad.size:
        raise table.error(f"{values[bad[0]]} is negative: {what} is an amount ≥ 0", index=int(bad[0]), column=column)


def _optional_number(table: Table, column: str | None, what: str, default: float = 0.0) -> FloatArray:
    if column is None:
        return np.full(table.height, default)
    values = number_column(table, column, allow_blank=True, what=what)
    values = np.where(np.isnan(values), default, values)
    _non_negative(table, values, column, what)
    return values


def filter_rows_until(table: Table, column: str, until: date) -> Table:
    """The rows whose date in ``column`` is on or before ``until`` (e.g. transactions known at a closing)."""
    d = date_column(table, column)
    keep = d <= np.datetime64(until, "D")
    return Table(table.frame.filter(pl.Series(keep)), table.file, table.decimal_comma)


REGISTER_COLUMNS = ("contract_id", "portfolio", "cohort", "profitability", "group_id", "reason")


def read_group_register(path: str | Path) -> GroupRegister:
    """The group register written by a previous close (``group-register.csv``): the groups contracts were
    assigned to at initial recognition, which are not reassessed (IFRS 17 para 24)."""
    table = read_table(path)
    cols = resolve_columns(table, {c: c for c in REGISTER_COLUMNS}, purpose="(a group register of an IFRS 17 close)")
    check_unique(table, [_c(cols, "contract_id")], what="contract_id")
    values = {c: tuple(text_column(table, _c(cols, c), allow_blank=c == "reason").fill_null("").to_list())
              for c in REGISTER_COLUMNS}
    allowed = ("onerous", "no_significant_risk", "remaining")
    for i, prof in enumerate(values["profitability"]):
        if prof not in allowed:
            raise table.error(f"'{prof}' is not a profitability group: write one of {', '.join(allowed)}", index=i,
                              column=_c(cols, "profitability"))
    return GroupRegister(**values)


POLICY_COLUMNS = {
    "policy_id": "policy_id", "product": "product", "issue_date": "issue_date", "age_at_entry": "age_at_entry",
    "policy_term": "policy_term", "sum_insured": "sum_insured", "premium": "premium",
    "premium_frequency": "premium_frequency", "annuity_amount": "annuity_amount",
    "annuity_deferral": "annuity_deferral", "policy_count": "policy_count",
}


@dataclass(frozen=True)
class Policies:
    """Life and annuity policies (or model points) of a GMM portfolio, columnar, with their file rows."""

    file: str
    rows: npt.NDArray[np.int64]
    policy_id: tuple[str, ...]
    product: tuple[str, ...]
    issue_date: DateArray
    age_at_entry: npt.NDArray[np.int64]
    policy_term: npt.NDArray[np.int64]
    sum_insured: FloatArray
    premium: FloatArray  # per payment; NaN where not given
    premium_frequency: npt.NDArray[np.int64]
    annuity_amount: FloatArray
    annuity_deferral: npt.NDArray[np.int64]
    policy_count: FloatArray

    def __len__(self) -> int:
        return len(self.policy_id)


def _whole(table: Table, column: str, values: FloatArray, low: int, what: str) -> npt.NDArray[np.int64]:
    bad = np.flatnonzero((values != np.round(values)) | (values < low))
    if bad.size:
        raise table.error(f"{values[bad[0]]} is not {what}: write a whole number ≥ {low}", index=int(bad[0]),
                          column=column)
    return values.astype(np.int64)


def read_policies(path: str | Path) -> Policies:
    """Read a life/annuity policy file (format in docs/ifrs17.md)."""
    from aktuar.core.projection import PRODUCTS

    table = read_table(path)
    cols = resolve_columns(table, POLICY_COLUMNS, required=("policy_id", "product", "issue_date", "age_at_entry",
                                                             "policy_term", "sum_insured"),
                           purpose="(a life/annuity policy file of an IFRS 17 close)")
    if table.height == 0:
        raise table.error("the file has no policies: add one row per policy or model point")
    ids = text_column(table, _c(cols, "policy_id"))
    check_unique(table, [_c(cols, "policy_id")], what="policy_id")
    product = text_column(table, _c(cols, "product")).str.to_lowercase()
    bad = np.flatnonzero(~product.is_in(list(PRODUCTS)).to_numpy())
    if bad.size:
        raise table.error(f"'{product[int(bad[0])]}' is not a product: write one of {', '.join(PRODUCTS)}",
                          index=int(bad[0]), column=_c(cols, "product"))
    issue = date_column(table, _c(cols, "issue_date"))
    age = _whole(table, _c(cols, "age_at_entry"), number_column(table, _c(cols, "age_at_entry"), what="an age"), 0,
                 "an age in whole years")
    term = _whole(table, _c(cols, "policy_term"), number_column(table, _c(cols, "policy_term"), what="a term"), 1,
                  "a term in whole years")
    si = number_column(table, _c(cols, "sum_insured"), what="a sum insured")
    _non_negative(table, si, _c(cols, "sum_insured"), "a sum insured")
    premium = (number_column(table, _c(cols, "premium"), allow_blank=True, what="a premium")
               if cols.get("premium") else np.full(table.height, np.nan))
    if cols.get("premium"):
        bad = np.flatnonzero(premium < 0)
        if bad.size:
            raise table.error("a premium is an amount ≥ 0 (or blank: computed from the net premium)",
                              index=int(bad[0]), column=_c(cols, "premium"))
    freq_raw = _optional_number(table, cols.get("premium_frequency"), "payments per year", default=12.0)
    freq = _whole(table, cols.get("premium_frequency") or "premium_frequency", freq_raw, 0, "payments per year")
    bad = np.flatnonzero(~np.isin(freq, (0, 1, 2, 4, 12)))
    if bad.size:
        raise table.error("payments per year must be 12, 4, 2, 1 or 0 (a single premium)", index=int(bad[0]),
                          column=cols.get("premium_frequency"))
    annuity = _optional_number(table, cols.get("annuity_amount"), "a monthly annuity")
    deferral_raw = _optional_number(table, cols.get("annuity_deferral"), "a deferral in years")
    deferral = _whole(table, cols.get("annuity_deferral") or "annuity_deferral", deferral_raw, 0, "a deferral")
    count = _optional_number(table, cols.get("policy_count"), "a number of policies", default=1.0)
    return Policies(table.file or str(path), table.rows(), tuple(ids.to_list()), tuple(product.to_list()), issue,
                    age, term, si, premium, freq, annuity, deferral, count)


def read_mortality(path: str | Path) -> tuple[int, FloatArray]:
    """A mortality table file with columns ``age`` (consecutive whole ages) and ``q`` (annual rates)."""
    table = read_table(path)
    cols = resolve_columns(table, {"age": "age", "q": "q"}, purpose="(a mortality table: age, q)")
    age = number_column(table, _c(cols, "age"), what="an age")
    q = number_column(table, _c(cols, "q"), what="a mortality rate")
    order = np.argsort(age)
    age, q = age[order], q[order]
    if np.any(np.diff(age) != 1) or np.any(age != np.round(age)):
        raise table.error("the ages must be consecutive whole numbers without gaps or repeats", column=_c(cols, "age"))
    bad = np.flatnonzero((q < 0) | (q > 1))
    if bad.size:
        raise table.error(f"{q[bad[0]]} is not a probability: a mortality rate lies between 0 and 1",
                          index=int(order[bad[0]]), column=_c(cols, "q"))
    return int(age[0]), q


ACTUAL_COLUMNS = ("group_id", "period_end", "premiums", "claims", "acquisition", "investment_components")


@dataclass(frozen=True)
class Actuals:
    """Cash flows that actually occurred per group and period (the experience of a GMM portfolio)."""

    file: str
    rows: npt.NDArray[np.int64]
    group_id: tuple[str, ...]
    period_end: DateArray
    amounts: dict[str, FloatArray]  # premiums, claims, acquisition, investment_components (NaN: as expected)


def read_actuals(path: str | Path) -> Actuals:
    """Read an actual cash-flow file: ``group_id, period_end`` and any of ``premiums, claims, acquisition,
    investment_components`` (positive amounts; a blank cell or a missing column means "as expected")."""
    table = read_table(path)
    cols = resolve_columns(table, {c: c for c in ACTUAL_COLUMNS}, required=("group_id", "period_end"),
                           purpose="(actual cash flows of an IFRS 17 close)")
    gid = text_column(table, _c(cols, "group_id"))
    end = date_column(table, _c(cols, "period_end"))
    check_unique(table, [_c(cols, "group_id"), _c(cols, "period_end")], what="group and period")
    amounts: dict[str, FloatArray] = {}
    for name in ACTUAL_COLUMNS[2:]:
        column = cols.get(name)
        if column is None:
            amounts[name] = np.full(table.height, np.nan)
            continue
        values = number_column(table, column, allow_blank=True, what="an amount")
        bad = np.flatnonzero(values < 0)
        if bad.size:
            raise table.error("an actual cash flow is a positive amount (premiums received, claims paid, …)",
                              index=int(bad[0]), column=column)
        amounts[name] = values
    return Actuals(table.file or str(path), table.rows(), tuple(gid.to_list()), end, amounts)


def read_fair_values(path: str | Path) -> tuple[str, dict[int, tuple[float, int]]]:
    """Fair values of pre-transition cohorts at the transition date (IFRS 17 C20; IFRS 13): ``cohort`` (year of
    issue) and ``fair_value`` (liability sign: the price to transfer the obligation). Returns the file and
    cohort → (fair value, row)."""
    table = read_table(path)
    cols = resolve_columns(table, {"cohort": "cohort", "fair_value": "fair_value"},
                           purpose="(fair values of cohorts at transition)")
    cohort = number_column(table, _c(cols, "cohort"), what="a year")
    years = _whole(table, _c(cols, "cohort"), cohort, 1900, "a year of issue")
    fv = number_column(table, _c(cols, "fair_value"), what="a fair value")
    check_unique(table, [_c(cols, "cohort")], what="cohort")
    rows = table.rows()
    return table.file or str(path), {int(y): (float(v), int(r)) for y, v, r in zip(years, fv, rows, strict=True)}
