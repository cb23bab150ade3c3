"""Input files of a Kazakhstan statutory close (docs/statutory-close.md).

Formats (CSV, XLSX or Parquet; column names matched ignoring case and spaces): claim transactions (the
reserving format: claim_id, class, accident_date, report_date, transaction_date, paid, case_reserve, status,
optional event_group), reinsurance shares per class, paid claims-settlement expenses per class and year, OSNS
beneficiaries, life policies, a mortality table, assets, own funds and deductions, products with tariff
cells. The contracts file is the IFRS 17 one (:func:`aktuar.data.ifrs17.read_contracts`). Every error names
the file, the row and the column and says what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.core.prudential import Asset, Product
from aktuar.core.prudential.liquid_assets import KINDS
from aktuar.core.statutory import Beneficiary, LifeTable
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

__all__ = [
    "ClaimPositions", "LifePolicies", "OwnFunds", "claim_positions", "read_assets", "read_beneficiaries",
    "read_claims", "read_life_policies", "read_life_table", "read_own_funds", "read_products",
    "read_reinsurance_shares", "read_settlement_expenses",
]

CLAIM_COLUMNS = {"claim_id": "claim_id", "class": "class", "accident_date": "accident_date",
                 "report_date": "report_date", "transaction_date": "transaction_date", "paid": "paid",
                 "case_reserve": "case_reserve", "status": "status", "event_group": "event_group"}


def _c(cols: dict[str, str | None], role: str) -> str:
    name = cols[role]
    assert name is not None
    return name


def _flag(table: Table, column: str | None, default: bool = False) -> npt.NDArray[np.bool_]:
    if column is None:
        return np.full(table.height, default)
    txt = text_column(table, column, allow_blank=True).fill_null("").str.to_lowercase().to_list()
    out = np.zeros(len(txt), dtype=bool)
    for i, t in enumerate(txt):
        if t in ("1", "true", "yes", "y", "да"):
            out[i] = True
        elif t in ("", "0", "false", "no", "n", "нет"):
            out[i] = default if t == "" else False
        else:
            raise table.error(f"'{t}' is not yes/no: write true or false (1 or 0)", index=i, column=column)
    return out


def _optional_text(table: Table, column: str | None) -> list[str | None]:
    if column is None:
        return [None] * table.height
    return [None if v is None else str(v) for v in text_column(table, column, allow_blank=True).to_list()]


# ------------------------------------------------------------------------------------------------- claims
def read_claims(path: str | Path) -> Table:
    """The claim transactions, checked: the columns the statutory reserves need, dates, amounts, the claim's
    class constant."""
    table = read_table(path)
    cols = resolve_columns(table, CLAIM_COLUMNS, required=("claim_id", "class", "accident_date", "report_date",
                                                            "transaction_date", "paid", "case_reserve"),
                           purpose="(claim transactions of a statutory close)")
    if table.height == 0:
        raise table.error("the file has no claim transactions")
    for role in ("claim_id", "class"):
        text_column(table, _c(cols, role))
    acc = date_column(table, _c(cols, "accident_date"))
    rep = date_column(table, _c(cols, "report_date"))
    date_column(table, _c(cols, "transaction_date"))
    number_column(table, _c(cols, "paid"), what="a paid amount")
    case = number_column(table, _c(cols, "case_reserve"), what="a case reserve amount")
    bad = np.flatnonzero(case < 0)
    if bad.size:
        raise table.error("a case reserve is an amount ≥ 0", index=int(bad[0]), column=_c(cols, "case_reserve"))
    bad = np.flatnonzero(rep < acc)
    if bad.size:
        raise table.error("the claim is reported before its accident: correct report_date", index=int(bad[0]),
                          column=_c(cols, "report_date"))
    rename = {v: k for k, v in cols.items() if v is not None and v != k}
    frame = table.frame.rename(rename) if rename else table.frame
    return Table(frame, table.file, table.decimal_comma)


@dataclass(frozen=True)
class ClaimPositions:
    """Every claim reported on or before a date, as known at that date (one row per claim)."""

    when: date
    claim_id: tuple[str, ...]
    class_: tuple[str, ...]
    event_group: tuple[str, ...]
    accident: npt.NDArray[np.datetime64]
    reported: npt.NDArray[np.datetime64]
    paid: FloatArray  # paid to the date
    case: FloatArray  # case reserve at the date
    settled: npt.NDArray[np.datetime64]  # date of the last 'closed' row if closed at the date, else NaT

    @property
    def declared(self) -> FloatArray:
        return np.asarray(self.paid + self.case)


def claim_positions(table: Table, when: date) -> ClaimPositions:
    """The position of every claim known at ``when`` (transactions on or before it)."""
    f = table.frame
    has_status = "status" in f.columns
    has_group = "event_group" in f.columns
    d = pl.Series(date_column(table, "transaction_date"))
    frame = f.with_columns(
        pl.Series("__t", d).cast(pl.Date),
        pl.Series("__acc", date_column(table, "accident_date")).cast(pl.Date),
        pl.Series("__rep", date_column(table, "report_date")).cast(pl.Date),
        pl.Series("__paid", number_column(table, "paid")),
        pl.Series("__case", number_column(table, "case_reserve")),
        text_column(table, "claim_id").alias("__id"),
        text_column(table, "class").alias("__class"),
        (text_column(table, "event_group", allow_blank=True) if has_group else text_column(table, "class")
         ).fill_null("").alias("__group"),
        (pl.col("status").cast(pl.String).str.to_lowercase() == "closed").fill_null(False).alias("__closed")
        if has_status else (pl.col("case_reserve").cast(pl.Float64, strict=False) == 0).alias("__closed"),
    ).with_row_index("__order")
    known = frame.filter(pl.col("__t") <= pl.lit(when))
    if known.height == 0:
        empty = np.zeros(0)
        nat = np.zeros(0, dtype="datetime64[D]")
        return ClaimPositions(when, (), (), (), nat, nat, empty, empty, nat)
    known = known.sort(["__id", "__t", "__order"])
    g = known.group_by("__id", maintain_order=True).agg(
        pl.col("__class").first(), pl.col("__group").last(), pl.col("__acc").first(), pl.col("__rep").first(),
        pl.col("__paid").sum(), pl.col("__case").last(), pl.col("__closed").last(), pl.col("__t").last(),
        pl.col("__class").n_unique().alias("__nclass"),
    )
    bad = g.filter(pl.col("__nclass") > 1)
    if bad.height:
        cid = bad["__id"][0]
        i = int(frame.filter(pl.col("__id") == cid)["__order"][-1])
        raise table.error(f"claim '{cid}' has rows of more than one class: give each claim one class", index=i,
                          column="class")
    settled = np.where(g["__closed"].to_numpy(), g["__t"].to_numpy().astype("datetime64[D]"),
                       np.datetime64("NaT", "D"))
    return ClaimPositions(
        when, tuple(g["__id"].to_list()), tuple(g["__class"].to_list()),
        tuple(x or c for x, c in zip(g["__group"].to_list(), g["__class"].to_list(), strict=True)),
        g["__acc"].to_numpy().astype("datetime64[D]"), g["__rep"].to_numpy().astype("datetime64[D]"),
        g["__paid"].to_numpy().astype(np.float64), g["__case"].to_numpy().astype(np.float64), settled,
    )


def paid_between(table: Table, start: date, end: date) -> pl.DataFrame:
    """Payments with ``start < transaction_date ≤ end``: claim_id, class, accident_date, report_date, paid."""
    d = date_column(table, "transaction_date")
    m = (d > np.datetime64(start, "D")) & (d <= np.datetime64(end, "D"))
    f = table.frame.filter(pl.Series(m))
    t = Table(f, table.file, table.decimal_comma)
    if f.height == 0:
        return pl.DataFrame({"claim_id": [], "class": [], "accident_date": [], "report_date": [], "paid": []},
                            schema={"claim_id": pl.String, "class": pl.String, "accident_date": pl.Date,
                                    "report_date": pl.Date, "paid": pl.Float64})
    return pl.DataFrame({
        "claim_id": text_column(t, "claim_id"), "class": text_column(t, "class"),
        "accident_date": pl.Series(date_column(t, "accident_date")).cast(pl.Date),
        "report_date": pl.Series(date_column(t, "report_date")).cast(pl.Date),
        "paid": number_column(t, "paid"),
    })


# ---------------------------------------------------------------------------------------- small tables
def read_reinsurance_shares(path: str | Path) -> tuple[dict[str, float], dict[str, str]]:
    """Reinsurance shares per class (columns class, share, optional treaty): {class: share}, {class: treaty}."""
    table = read_table(path)
    cols = resolve_columns(table, {"class": "class", "share": "share", "treaty": "treaty"},
                           required=("class", "share"), purpose="(reinsurance shares per class)")
    check_unique(table, [_c(cols, "class")], what="class")
    cls = text_column(table, _c(cols, "class")).to_list()
    share = number_column(table, _c(cols, "share"), what="a share such as 0.4")
    bad = np.flatnonzero((share < 0) | (share > 1))
    if bad.size:
        raise table.error(f"{share[bad[0]]} is not a share: write 40 % as 0.4 (between 0 and 1)", index=int(bad[0]),
                          column=_c(cols, "share"))
    treaty = _optional_text(table, cols.get("treaty"))
    return ({c: float(s) for c, s in zip(cls, share, strict=True)},
            {c: (t or "proportional share of the class") for c, t in zip(cls, treaty, strict=True)})


def read_settlement_expenses(path: str | Path) -> pl.DataFrame:
    """Paid claims-settlement expenses per class and calendar year (columns class, year, paid_expenses)."""
    table = read_table(path)
    cols = resolve_columns(table, {"class": "class", "year": "year", "paid": "paid_expenses"},
                           purpose="(paid claims-settlement expenses: class, year, paid_expenses)")
    check_unique(table, [_c(cols, "class"), _c(cols, "year")], what="class and year")
    year = number_column(table, _c(cols, "year"), what="a year such as 2026")
    bad = np.flatnonzero((year != np.round(year)) | (year < 1900) | (year > 2200))
    if bad.size:
        raise table.error("write the calendar year as four digits", index=int(bad[0]), column=_c(cols, "year"))
    amount = number_column(table, _c(cols, "paid"), what="an amount of paid expenses")
    bad = np.flatnonzero(amount < 0)
    if bad.size:
        raise table.error("paid expenses are an amount ≥ 0", index=int(bad[0]), column=_c(cols, "paid"))
    return pl.DataFrame({"class": text_column(table, _c(cols, "class")), "year": year.astype(np.int64),
                         "paid_expenses": amount})


def read_beneficiaries(path: str | Path) -> tuple[list[Beneficiary], list[str | None]]:
    """OSNS beneficiaries (beneficiary_id, kind, monthly, birth_date, optional end_date, reexamination_date,
    degree, claim_id); returns the beneficiaries and the claim each belongs to (None where not given)."""
    table = read_table(path)
    cols = resolve_columns(table, {"id": "beneficiary_id", "kind": "kind", "monthly": "monthly",
                                   "birth": "birth_date", "end": "end_date", "reexam": "reexamination_date",
                                   "degree": "degree", "claim": "claim_id"},
                           required=("id", "kind", "monthly", "birth"), purpose="(OSNS beneficiaries)")
    check_unique(table, [_c(cols, "id")], what="beneficiary_id")
    ids = text_column(table, _c(cols, "id")).to_list()
    kinds = text_column(table, _c(cols, "kind")).str.to_lowercase().to_list()
    monthly = number_column(table, _c(cols, "monthly"), what="a monthly payment")
    birth = date_column(table, _c(cols, "birth"))
    end = date_column(table, _c(cols, "end"), allow_blank=True) if cols.get("end") else None
    reexam = date_column(table, _c(cols, "reexam"), allow_blank=True) if cols.get("reexam") else None
    degree = number_column(table, _c(cols, "degree"), allow_blank=True, what="a degree in %") if cols.get(
        "degree") else None
    claims = _optional_text(table, cols.get("claim"))
    out: list[Beneficiary] = []

    def opt(a: npt.NDArray[np.datetime64] | None, i: int) -> date | None:
        return None if a is None or np.isnat(a[i]) else a[i].astype(date)

    for i, bid in enumerate(ids):
        try:
            out.append(Beneficiary(bid, kinds[i], float(monthly[i]), birth[i].astype(date), opt(end, i),
                                   opt(reexam, i),
                                   None if degree is None or np.isnan(degree[i]) else float(degree[i])))
        except InputError as exc:
            col = {"kind": "kind", "monthly": "monthly", "degree": "degree"}.get(exc.column or "", exc.column)
            raise table.error(exc.message, index=i, column=cols.get(col or "") or col) from None
    return out, claims


@dataclass(frozen=True)
class LifePolicies:
    file: str
    rows: npt.NDArray[np.int64]
    policy_id: tuple[str, ...]
    product: tuple[str, ...]
    age_at_issue: npt.NDArray[np.int64]
    issue_date: npt.NDArray[np.datetime64]
    term: npt.NDArray[np.int64]  # 0 for whole life
    premium_term: npt.NDArray[np.int64]  # 0 = the benefit term
    sum_insured: FloatArray


def read_life_policies(path: str | Path) -> LifePolicies:
    """Life policies (policy_id, product term/endowment/whole_life, age_at_issue, issue_date, term,
    premium_term, sum_insured)."""
    table = read_table(path)
    cols = resolve_columns(table, {"id": "policy_id", "product": "product", "age": "age_at_issue",
                                   "issue": "issue_date", "term": "term", "pterm": "premium_term",
                                   "sum": "sum_insured"}, required=("id", "product", "age", "issue", "sum"),
                           purpose="(life policies)")
    check_unique(table, [_c(cols, "id")], what="policy_id")
    product = text_column(table, _c(cols, "product")).str.to_lowercase().to_list()
    for i, p in enumerate(product):
        if p not in ("term", "endowment", "whole_life"):
            raise table.error(f"unknown product '{p}': write term, endowment or whole_life", index=i,
                              column=_c(cols, "product"))

    def whole(role: str, what: str, blank: bool) -> npt.NDArray[np.int64]:
        if cols.get(role) is None:
            return np.zeros(table.height, np.int64)
        v = number_column(table, _c(cols, role), allow_blank=blank, what=what)
        v = np.where(np.isnan(v), 0.0, v)
        bad = np.flatnonzero((v != np.round(v)) | (v < 0))
        if bad.size:
            raise table.error(f"write {what} as a whole number ≥ 0", index=int(bad[0]), column=_c(cols, role))
        return v.astype(np.int64)

    age = whole("age", "an age in whole years", False)
    term = whole("term", "a term in whole years", True)
    for i, p in enumerate(product):
        if p != "whole_life" and term[i] < 1:
            raise table.error(f"a {p} policy needs a term of at least one year", index=i,
                              column=cols.get("term") or "term")
    s = number_column(table, _c(cols, "sum"), what="a sum insured")
    bad = np.flatnonzero(s < 0)
    if bad.size:
        raise table.error("the sum insured is an amount ≥ 0", index=int(bad[0]), column=_c(cols, "sum"))
    return LifePolicies(table.file or str(path), table.rows(), tuple(text_column(table, _c(cols, "id")).to_list()),
                        tuple(product), age, date_column(table, _c(cols, "issue")), term,
                        whole("pterm", "a premium term in whole years", True), s)


def read_life_table(path: str | Path, name: str, source: str) -> LifeTable:
    """A mortality table (columns age, qx; consecutive whole ages)."""
    table = read_table(path)
    cols = resolve_columns(table, {"age": "age", "qx": "qx"}, purpose="(a mortality table: age, qx)")
    age = number_column(table, _c(cols, "age"), what="an age")
    qx = number_column(table, _c(cols, "qx"), what="a probability q_x")
    if age.size == 0:
        raise table.error("the table has no ages")
    if (np.diff(age) != 1).any() or age[0] != np.round(age[0]):
        i = int(np.flatnonzero(np.diff(age) != 1)[0]) + 1 if (np.diff(age) != 1).any() else 0
        raise table.error("the ages must be consecutive whole years in increasing order", index=i,
                          column=_c(cols, "age"))
    bad = np.flatnonzero((qx < 0) | (qx > 1))
    if bad.size:
        raise table.error("q_x is a probability between 0 and 1", index=int(bad[0]), column=_c(cols, "qx"))
    return LifeTable(name or Path(path).stem, int(age[0]), qx, source or str(Path(path).name), False,
                     {"file": Path(path).name})


def read_assets(path: str | Path) -> list[Asset]:
    """Assets for highly liquid assets (asset_id, kind, amount, optional rating, agency, national_rating,
    parent_rating, premium_listing, listed, held_in_kz_bank, edb_tenge)."""
    table = read_table(path)
    cols = resolve_columns(table, {"id": "asset_id", "kind": "kind", "amount": "amount", "rating": "rating",
                                   "agency": "agency", "national": "national_rating", "parent": "parent_rating",
                                   "premium": "premium_listing", "listed": "listed", "held": "held_in_kz_bank",
                                   "edb": "edb_tenge"}, required=("id", "kind", "amount"),
                           purpose="(assets for highly liquid assets)")
    check_unique(table, [_c(cols, "id")], what="asset_id")
    ids = text_column(table, _c(cols, "id")).to_list()
    kinds = text_column(table, _c(cols, "kind")).to_list()
    for i, k in enumerate(kinds):
        if k not in KINDS:
            raise table.error(f"unknown kind '{k}': use one of {', '.join(KINDS)}", index=i, column=_c(cols, "kind"))
    amount = number_column(table, _c(cols, "amount"), what="an amount")
    rating, national, parent = (_optional_text(table, cols.get(r)) for r in ("rating", "national", "parent"))
    agency = _optional_text(table, cols.get("agency"))
    premium, listed = _flag(table, cols.get("premium")), _flag(table, cols.get("listed"))
    held, edb = _flag(table, cols.get("held"), True), _flag(table, cols.get("edb"))
    out = []
    for i in range(table.height):
        try:
            out.append(Asset(ids[i], kinds[i], float(amount[i]), rating[i], (agency[i] or "sp").lower(), national[i],
                             parent[i], bool(premium[i]), bool(listed[i]), bool(held[i]), bool(edb[i])))
        except InputError as exc:
            raise table.error(exc.message, index=i, column=cols.get(exc.column or "") or exc.column) from None
    return out


@dataclass(frozen=True)
class OwnFunds:
    own_funds: float
    items: tuple[tuple[str, float, str], ...]  # own-funds items (name, amount, note)
    deductions: dict[str, float]
    reasons: dict[str, str]


def read_own_funds(path: str | Path) -> OwnFunds:
    """Own funds and deductions (columns item, kind own_funds/deduction, amount, optional reason)."""
    table = read_table(path)
    cols = resolve_columns(table, {"item": "item", "kind": "kind", "amount": "amount", "reason": "reason"},
                           required=("item", "kind", "amount"), purpose="(own funds and deductions)")
    check_unique(table, [_c(cols, "item")], what="item")
    item = text_column(table, _c(cols, "item")).to_list()
    kind = text_column(table, _c(cols, "kind")).str.to_lowercase().to_list()
    amount = number_column(table, _c(cols, "amount"), what="an amount")
    reason = _optional_text(table, cols.get("reason"))
    own, items, ded, why = 0.0, [], {}, {}
    for i, k in enumerate(kind):
        if k == "own_funds":
            own += float(amount[i])
            items.append((item[i], float(amount[i]), reason[i] or ""))
        elif k == "deduction":
            if amount[i] < 0:
                raise table.error("a deduction is an amount ≥ 0", index=i, column=_c(cols, "amount"))
            ded[item[i]] = float(amount[i])
            why[item[i]] = reason[i] or ""
        else:
            raise table.error(f"unknown kind '{k}': write own_funds or deduction", index=i, column=_c(cols, "kind"))
    if not items:
        raise table.error("no own_funds row: give at least the equity (kind own_funds)", column=_c(cols, "kind"))
    return OwnFunds(own, tuple(items), ded, why)


def read_products(path: str | Path) -> list[Product]:
    """Products for the tariff check, one row per tariff cell (product, class, kind, for_individuals,
    voluntary, net, loading, optional base_tariff)."""
    table = read_table(path)
    cols = resolve_columns(table, {"product": "product", "class": "class", "kind": "kind",
                                   "ind": "for_individuals", "vol": "voluntary", "net": "net", "loading": "loading",
                                   "base": "base_tariff"}, required=("product", "class", "net", "loading"),
                           purpose="(products: one row per tariff cell)")
    name = text_column(table, _c(cols, "product")).to_list()
    cls = text_column(table, _c(cols, "class")).to_list()
    kind = [k or "general" for k in _optional_text(table, cols.get("kind"))]
    ind, vol = _flag(table, cols.get("ind"), True), _flag(table, cols.get("vol"), True)
    net = number_column(table, _c(cols, "net"), what="a net premium (rate)")
    load = number_column(table, _c(cols, "loading"), what="a loading (rate)")
    base = number_column(table, _c(cols, "base"), allow_blank=True, what="a base tariff") if cols.get(
        "base") else np.full(table.height, np.nan)
    for arr, role in ((net, "net"), (load, "loading")):
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            raise table.error("a tariff amount is ≥ 0", index=int(bad[0]), column=_c(cols, role))
    order: list[str] = []
    for n in name:
        if n not in order:
            order.append(n)
    out = []
    for p in order:
        idx = [i for i, n in enumerate(name) if n == p]
        first = idx[0]
        for i in idx[1:]:
            if (cls[i], kind[i], ind[i], vol[i]) != (cls[first], kind[first], ind[first], vol[first]):
                raise table.error(f"product '{p}' has cells with a different class, kind or scope: give them once "
                                  "per product", index=i, column=_c(cols, "class"))
        b = base[idx]
        if np.isnan(b).all():
            bases = None
        elif np.isnan(b).any():
            raise table.error(f"product '{p}': give base_tariff on every cell or on none", index=idx[int(np.flatnonzero(
                np.isnan(b))[0])], column=_c(cols, "base"))
        else:
            bases = [float(x) for x in b]
        out.append(Product(p, cls[first], [float(net[i]) for i in idx], [float(load[i]) for i in idx],
                           bool(ind[first]), bool(vol[first]), kind[first], bases))
    return out
