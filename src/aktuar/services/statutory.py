"""The Kazakhstan statutory close of an insurer: from a configuration and its input files to the insurance
reserves, the reserve adequacy test, the prudential normatives, the tariff checks and the actuarial opinion.

Data flow (docs/statutory-close.md):

    config (TOML) ─► regulation pack in force on the valuation date V (or the one named, with overrides)
                 ─► contracts ─► UPR by day (+ reinsurer's share, item 8(4)), premiums for the solvency margin
                 ─► claim transactions at V ─► RBNS (+ settlement expenses, item 8(8)) and IBNR per class
                    (chain ladder / BF, major-loss smoothing; the item 8(5) record)
                 ─► unexpired risk, OSNS annuities (item 8(6)), life net premium reserves (item 8(7))
                 ─► the same reserves at V − 12 months ─► run-off adequacy test (item 9(2))
                 ─► minimum / actual solvency margin, highly liquid assets (+ rating what-if), tariff checks
                 ─► document "aktuar-statutory/1" ─► JSON + XLSX en and ru (+ the opinion PDF/DOCX, ru and en)

Everything is measured first; the files are written (atomically) only when everything succeeded.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.core.prudential import (
    LiquidAssetsResult,
    PremiumLine,
    SolvencyResult,
    TariffReport,
    check_tariff,
    minimum_margin,
    solvency,
    what_if,
)
from aktuar.core.statutory import (
    AdditionalRisksResult,
    AdequacyResult,
    AnnuityResult,
    Beneficiary,
    IBNRResult,
    LifeTable,
    RBNSResult,
    ReexaminationAssumption,
    RegulationPack,
    ReinsurerExposure,
    SettlementExpenses,
    UnexpiredRiskResult,
    UPRResult,
    adequacy_test,
    assess_additional_risks,
    builtin_packs,
    ibnr,
    net_premium_reserve,
    osns_annuities,
    pack_for,
    pack_table,
    rbns,
    settlement_expenses,
    unearned_premium,
    unexpired_risk,
)
from aktuar.data.ifrs17 import Contracts, filter_rows_until, read_contracts
from aktuar.data.readers import Table, date_column, number_column, text_column
from aktuar.data.statutory import (
    ClaimPositions,
    OwnFunds,
    claim_positions,
    paid_between,
    read_assets,
    read_beneficiaries,
    read_claims,
    read_life_policies,
    read_life_table,
    read_own_funds,
    read_products,
    read_reinsurance_shares,
    read_settlement_expenses,
)
from aktuar.errors import InputError
from aktuar.services.statutory_config import StatutoryConfig, load_config

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, int, int], None]
SCHEMA = "aktuar-statutory/1"

__all__ = ["SCHEMA", "ClassReserves", "StatutoryClose", "StatutoryRun", "measure_statutory", "reserves_at",
           "run_statutory_close", "to_document", "write_xlsx"]


# ------------------------------------------------------------------------------------------------ helpers
def _year_back(d: _dt.date) -> _dt.date:
    return _dt.date(d.year - 1, d.month, 28 if (d.month, d.day) == (2, 29) else d.day)


def _earned_by_year(contracts: Contracts, years: Sequence[int], until: _dt.date) -> FloatArray:
    """Premium earned by day in each calendar year (up to ``until``) of the given contracts."""
    s = contracts.coverage_start.astype(np.int64)
    e = contracts.coverage_end.astype(np.int64)
    n = (e - s + 1).astype(np.float64)
    out = np.zeros(len(years))
    u = np.datetime64(until, "D").astype(np.int64)
    for k, y in enumerate(years):
        a = np.datetime64(f"{y}-01-01", "D").astype(np.int64)
        b = min(np.datetime64(f"{y}-12-31", "D").astype(np.int64), u)
        days = np.clip(np.minimum(e, b) - np.maximum(s, a) + 1, 0, None)
        out[k] = float((contracts.premium * days / n).sum())
    return out


@dataclass(frozen=True)
class ClassReserves:
    """The claims reserves of every configured class at one date (arrays in the configuration's class order)."""

    when: _dt.date
    classes: tuple[str, ...]
    positions: ClaimPositions
    rbns: RBNSResult
    case: FloatArray
    expenses: FloatArray
    rbns_reinsurance: FloatArray
    counts: npt.NDArray[np.int64]
    ibnr: tuple[IBNRResult | None, ...]
    ibnr_gross: FloatArray
    ibnr_reinsurance: FloatArray
    expected_paid_share: FloatArray | None  # share of the claims reserve expected to be paid in 12 months
    ultimate_loss_ratio: FloatArray  # ultimate / earned of the last 3 origin years (NaN when unknown)
    replaced_case: FloatArray  # case estimates replaced by the OSNS annuity valuation
    notes: tuple[str, ...] = ()
    payment_weights: tuple[FloatArray | None, ...] = ()  # per class: share of the claims reserve paid per period
    period_years: float = 1.0  # length of those periods


def _align(labels: Sequence[str], values: FloatArray, order: Sequence[str]) -> FloatArray:
    pos = {c: k for k, c in enumerate(labels)}
    return np.array([float(values[pos[c]]) if c in pos else 0.0 for c in order])


def reserves_at(config: StatutoryConfig, claims: Table, contracts: Contracts, when: _dt.date,
                shares: dict[str, float], expense_ratio: dict[str, float], *,
                annuity_claims: Sequence[str] = ()) -> ClassReserves:
    """RBNS and IBNR of the configured classes from the claims known at ``when``."""
    from aktuar.core.reserving import LargeLossSmoothing, cash_flows
    from aktuar.data.triangles import triangle_from_transactions

    classes = config.class_names
    pos = claim_positions(claims, when)
    unknown = sorted(set(pos.class_) - set(classes))
    if unknown:
        raise InputError(f"class '{unknown[0]}' of the claims is not configured: add a [[class]] with name = "
                         f"\"{unknown[0]}\" (the classes are {', '.join(classes)})", file=claims.file, column="class")
    notes: list[str] = []
    declared = pos.declared.copy()
    replaced = np.zeros(len(classes))
    if annuity_claims:
        wanted = set(annuity_claims)
        open_ = np.isnat(pos.settled)
        for i, cid in enumerate(pos.claim_id):
            if cid in wanted and open_[i]:
                replaced[classes.index(pos.class_[i])] += pos.case[i]
                declared[i] = pos.paid[i]
        if replaced.sum() > 0:
            notes.append(f"case estimates {replaced.sum():,.2f} of open claims with annuity beneficiaries are "
                         "replaced by the OSNS annuity valuation (item 8(6))")
    if pos.claim_id:
        rb = rbns(pos.claim_id, pos.class_, pos.reported, declared, pos.paid, when, settled=pos.settled,
                  expense_ratio={c: expense_ratio.get(c, 0.0) for c in set(pos.class_)},
                  reinsurance_share={c: shares.get(c, 0.0) for c in set(pos.class_)})
        case = _align(rb.classes, rb.case_by_class, classes)
        exp = _align(rb.classes, rb.expenses_by_class, classes)
        re = _align(rb.classes, rb.reinsurance_by_class, classes)
        counts = _align(rb.classes, rb.count_by_class.astype(np.float64), classes).astype(np.int64)
        notes += list(rb.notes)
    else:
        raise InputError(f"no claim is known on or before {when.isoformat()}", file=claims.file)
    known = filter_rows_until(claims, "transaction_date", when)
    tri = triangle_from_transactions(known, valuation=when, measure="incurred", segment_columns=("class",))
    paid_tri = triangle_from_transactions(known, valuation=when, measure="paid", segment_columns=("class",))
    results: list[IBNRResult | None] = []
    gross = np.zeros(len(classes))
    reins = np.zeros(len(classes))
    e_share = np.full(len(classes), np.nan)
    ulr = np.full(len(classes), np.nan)
    labels = [tri.segment_label(s) for s in range(tri.n_segments)]
    years = [int(str(o)[:4]) for o in tri.origin]
    weights: list[FloatArray | None] = [None] * len(classes)
    period_years = 1.0
    for k, spec in enumerate(config.classes):
        if spec.name not in labels:
            results.append(None)
            continue
        s = labels.index(spec.name)
        one = tri.select([s])
        mine = contracts.take(np.array([p == spec.name for p in contracts.portfolio], dtype=bool))
        earned = _earned_by_year(mine, years, when)
        large = None
        if spec.major_loss_threshold is not None:
            large = (LargeLossSmoothing(threshold=spec.major_loss_threshold), _claim_data(known, spec.name, one))
        kwargs: dict[str, Any] = {}
        if spec.ibnr_method == "bf":
            if (earned <= 0).any():
                y = years[int(np.flatnonzero(earned <= 0)[0])]
                raise InputError(f"class '{spec.name}' uses Bornhuetter–Ferguson but has no earned premium in "
                                 f"origin year {y}: add its contracts or use chainladder", file=contracts.file,
                                 column="portfolio")
            kwargs = {"exposure": earned[None, :], "apriori": float(spec.apriori_loss_ratio or 0.0)}
        res = ibnr(one, method="bf" if spec.ibnr_method == "bf" else "chainladder", rationale=spec.rationale,
                   large_losses=large, reinsurance_share={spec.name: shares.get(spec.name, 0.0)}, **kwargs)
        results.append(res)
        gross[k] = float(res.gross[0])
        reins[k] = float(res.reinsurance[0])
        last = [i for i in range(len(years)) if earned[i] > 0][-3:]
        if last:
            ulr[k] = float(res.ultimate[0, last].sum() / earned[last].sum())
        try:
            flows = cash_flows(res.result, paid=paid_tri.select([paid_tri.segments.index((spec.name,))]))
            tot = float(flows.total[0].sum())
            e_share[k] = float(flows.total[0][0]) / tot if tot > 0 else 1.0
            if tot > 0:
                weights[k] = np.asarray(flows.total[0] / tot, dtype=np.float64)
            if flows.period_months:
                period_years = flows.period_months / 12.0
        except (InputError, ValueError):
            pass
    return ClassReserves(when, classes, pos, rb, case, exp, re, counts, tuple(results), gross, reins,
                         None if np.isnan(e_share).any() else e_share, ulr, replaced, tuple(notes), tuple(weights),
                         period_years)


def _claim_data(table: Table, name: str, grid: Any) -> Any:
    """Each claim's cumulative incurred (paid + case) on the annual grid of ``grid`` (one segment)."""
    from aktuar.core.reserving import ClaimData

    f = table.frame.with_columns(
        pl.Series("__t", date_column(table, "transaction_date")).cast(pl.Date),
        pl.Series("__a", date_column(table, "accident_date")).cast(pl.Date),
        pl.Series("__p", number_column(table, "paid")), pl.Series("__c", number_column(table, "case_reserve")),
        text_column(table, "claim_id").alias("__id"), text_column(table, "class").alias("__k"),
    ).filter(pl.col("__k") == name).with_row_index("__o").sort(["__id", "__t", "__o"])
    f = f.with_columns((pl.col("__p") + pl.col("__c") - pl.col("__c").shift(1, fill_value=0.0).over("__id"))
                       .alias("__inc"))
    first = int(str(grid.origin[0])[:4])
    origin = f["__a"].dt.year().to_numpy().astype(np.int64) - first
    dev = f["__t"].dt.year().to_numpy().astype(np.int64) - f["__a"].dt.year().to_numpy().astype(np.int64)
    return ClaimData.from_transactions(f["__id"].to_list(), np.zeros(f.height, np.int64), origin, dev,
                                       f["__inc"].to_numpy(), n_development=grid.shape[2])


# --------------------------------------------------------------------------------------------- the close
@dataclass(frozen=True)
class LifeResult:
    table: LifeTable
    interest: float
    policy_id: tuple[str, ...]
    product: tuple[str, ...]
    age_at_issue: npt.NDArray[np.int64]
    duration: FloatArray
    net_premium: FloatArray
    reserve: FloatArray
    total: float
    reinsurance: float


@dataclass(frozen=True)
class StatutoryClose:
    config: StatutoryConfig
    pack: RegulationPack
    valuation: _dt.date
    start: _dt.date
    classes: tuple[str, ...]
    shares: dict[str, float]
    treaties: dict[str, str]
    upr: UPRResult
    upr_gross: FloatArray
    upr_reinsurance: FloatArray
    premium_in_force: FloatArray
    premium_written: FloatArray
    now: ClassReserves
    before: ClassReserves
    settlement: SettlementExpenses
    settlement_method: str
    urr: UnexpiredRiskResult
    osns: AnnuityResult | None
    osns_class: int | None
    life: LifeResult | None
    adequacy: AdequacyResult
    additional: AdditionalRisksResult
    solvency: SolvencyResult
    solvency_inputs: dict[str, Any]
    own_funds: OwnFunds | None
    liquid: tuple[LiquidAssetsResult, LiquidAssetsResult] | None
    tariffs: tuple[TariffReport, ...]
    warnings: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def _choose_pack(config: StatutoryConfig) -> tuple[RegulationPack, list[str]]:
    warns: list[str] = []
    if config.pack is None:
        pack = pack_for(config.valuation_date)
    else:
        hits = [p for p in builtin_packs("kz") if p.name == config.pack or p.name.split("/")[-1] == config.pack]
        if not hits:
            names = ", ".join(p.name for p in builtin_packs("kz"))
            raise InputError(f"no regulation pack '{config.pack}': use one of {names}", file=str(config.source),
                             column="pack")
        pack = hits[0]
        if not pack.covers(config.valuation_date):
            warns.append(f"the pack {pack.name} was chosen in the configuration although it is not in force on "
                         f"{config.valuation_date:%d.%m.%Y}")
    if config.pack_overrides:
        try:
            pack = pack.with_values(config.pack_overrides, config.pack_override_reason)
        except InputError as exc:
            raise InputError(exc.message, file=str(config.source), column="pack_overrides") from None
    if not pack.effective_from_confirmed:
        warns.append(f"pack {pack.name}: the effective date {pack.effective_from:%d.%m.%Y} is not confirmed "
                     f"({pack.effective_note[:120]}…)")
    return pack, warns


def _claims_incurred_by_year(claims: Table, years: Sequence[int], classes: Sequence[str]) -> FloatArray:
    """Gross claims incurred per calendar year (paid in the year + change of the case reserves) by class."""
    out = np.zeros((len(classes), len(years)))
    for j, y in enumerate(years):
        end = _dt.date(y, 12, 31)
        start = _dt.date(y - 1, 12, 31)
        a = claim_positions(claims, start)
        b = claim_positions(claims, end)
        paid = paid_between(claims, start, end)
        for k, c in enumerate(classes):
            case_b = float(np.sum(b.case[[x == c for x in b.class_]])) if b.claim_id else 0.0
            case_a = float(np.sum(a.case[[x == c for x in a.class_]])) if a.claim_id else 0.0
            out[k, j] = float(paid.filter(pl.col("class") == c)["paid"].sum()) + case_b - case_a
    return np.maximum(out, 0.0)


def measure_statutory(config: StatutoryConfig, *, progress: Progress | None = None) -> StatutoryClose:
    """Everything of the close (pure apart from reading the inputs)."""
    steps = ["regulation pack", "contracts and UPR", "claims reserves", "reserves 12 months earlier",
             "settlement expenses and unexpired risk", "OSNS annuities and life", "adequacy test",
             "solvency margin", "highly liquid assets and tariffs"]
    done = 0

    def step() -> None:
        nonlocal done
        if progress is not None:
            progress(steps[done], done, len(steps))
        done += 1

    step()
    pack, warns = _choose_pack(config)
    v = config.valuation_date
    v0 = _year_back(v)
    classes = config.class_names
    shares: dict[str, float] = {c: 0.0 for c in classes}
    treaties: dict[str, str] = {c: "no reinsurance" for c in classes}
    if config.reinsurance is not None:
        got, tr = read_reinsurance_shares(config.reinsurance)
        extra = sorted(set(got) - set(classes) - ({config.life.class_name} if config.life else set()))
        if extra:
            raise InputError(f"class '{extra[0]}' of the reinsurance file is not configured", file=str(
                config.reinsurance), column="class")
        shares.update({c: s for c, s in got.items() if c in shares})
        treaties.update({c: t for c, t in tr.items() if c in treaties})

    step()
    contracts = read_contracts(config.contracts)
    unknown = sorted(set(contracts.portfolio) - set(classes))
    if unknown:
        raise InputError(f"portfolio '{unknown[0]}' of the contracts is not a configured class: add a [[class]] "
                         f"with name = \"{unknown[0]}\"", file=contracts.file, column="portfolio")
    live = contracts.issue_date <= np.datetime64(v, "D")
    cur = contracts.take(live)
    upr = unearned_premium(cur.premium, cur.coverage_start, cur.coverage_end, v, list(cur.portfolio),
                           reinsurance_share={c: shares.get(c, 0.0) for c in set(cur.portfolio)})
    upr_gross = _align(upr.classes, upr.gross_by_class, classes)
    upr_re = _align(upr.classes, upr.reinsurance_by_class, classes)
    vd = np.datetime64(v, "D")
    in_force = (cur.coverage_start <= vd) & (cur.coverage_end > vd)
    written = cur.issue_date > np.datetime64(v0, "D")
    prem_if = np.array([float(cur.premium[in_force & np.array([p == c for p in cur.portfolio])].sum())
                        for c in classes])
    prem_w = np.array([float(cur.premium[written & np.array([p == c for p in cur.portfolio])].sum())
                       for c in classes])

    claims = read_claims(config.claims)
    # settlement expenses (item 8(8)): the ratio of paid expenses to paid claims of the last calendar years
    years = list(range(v.year - config.expense_years + 1, v.year + 1))
    paid_years = paid_between(claims, _dt.date(years[0] - 1, 12, 31), v)
    paid_claims = np.array([float(paid_years.filter(pl.col("class") == c)["paid"].sum()) for c in classes])
    paid_claims = np.maximum(paid_claims, 0.0)
    if config.settlement_expenses is not None:
        se = read_settlement_expenses(config.settlement_expenses).filter(pl.col("year").is_in(years))
        paid_exp = np.array([float(se.filter(pl.col("class") == c)["paid_expenses"].sum()) for c in classes])
        for k, c in enumerate(classes):
            sel = config.spec(c).settlement_expense_ratio
            if sel is not None:
                paid_exp[k] = sel * paid_claims[k]
        se_method = (f"paid-to-paid: paid settlement expenses / paid claims of {years[0]}–{years[-1]} per class "
                     f"(file {config.settlement_expenses.name}); a class's selected ratio where configured")
    else:
        paid_exp = np.array([(config.spec(c).settlement_expense_ratio or 0.0) * paid_claims[k]
                             for k, c in enumerate(classes)])
        se_method = "selected ratio per class (settlement_expense_ratio in the configuration; 0 where not given)"
    ratio = np.divide(paid_exp, paid_claims, out=np.zeros(len(classes)), where=paid_claims > 0)
    expense_ratio = {c: float(ratio[k]) for k, c in enumerate(classes)}

    beneficiaries: list[Beneficiary] = []
    ben_claims: list[str | None] = []
    if config.osns is not None:
        if config.osns.class_name not in classes:
            raise InputError(f"osns.class '{config.osns.class_name}' is not a configured class",
                             file=str(config.source), column="osns.class")
        beneficiaries, ben_claims = read_beneficiaries(config.osns.beneficiaries)
    annuity_claims = [c for c in ben_claims if c]

    step()
    now = reserves_at(config, claims, contracts, v, shares, expense_ratio, annuity_claims=annuity_claims)
    step()
    before = reserves_at(config, claims, contracts, v0, shares, expense_ratio, annuity_claims=annuity_claims)

    step()
    settled_ids = set(now.positions.claim_id[i] for i in np.flatnonzero(
        ~np.isnat(now.positions.settled) & (now.positions.settled > np.datetime64(v0, "D"))))
    pos = now.positions
    groups = [f"{pos.class_[i]}: {pos.event_group[i]}" if pos.event_group[i] != pos.class_[i] else pos.class_[i]
              for i in range(len(pos.claim_id)) if pos.claim_id[i] in settled_ids]
    amounts = [float(pos.paid[i]) for i in range(len(pos.claim_id)) if pos.claim_id[i] in settled_ids]
    settlement = settlement_expenses(list(classes), paid_exp, paid_claims, now.case, payment_group=groups,
                                     payment_amount=amounts)
    elr: dict[str, float] = {}
    for k, c in enumerate(classes):
        spec = config.spec(c)
        if spec.expected_loss_ratio is not None:
            elr[c] = spec.expected_loss_ratio
        elif spec.apriori_loss_ratio is not None:
            elr[c] = spec.apriori_loss_ratio
        elif np.isfinite(now.ultimate_loss_ratio[k]):
            elr[c] = float(now.ultimate_loss_ratio[k])
        else:
            elr[c] = 0.0
            warns.append(f"class '{c}': no expected loss ratio for the unexpired risk test (no earned premium or "
                         "claims): 0 used; give expected_loss_ratio")
    urr = unexpired_risk(list(classes), upr_gross, elr, {c: config.spec(c).urr_expense_ratio for c in classes})

    step()
    osns = None
    osns_class = None
    if config.osns is not None:
        table = (read_life_table(config.osns.table, config.osns.table_name, config.osns.table_source)
                 if config.osns.table is not None else pack_table(pack))
        osns = osns_annuities(beneficiaries, v, table, config.osns.discount_rate,
                              reexamination=ReexaminationAssumption(config.osns.p_extend, config.osns.ratio_if_changed,
                                                                    config.osns.interval_years),
                              indexation=config.osns.indexation)
        osns_class = classes.index(config.osns.class_name)
        if table.illustrative:
            warns.append("OSNS annuities use the pack's ILLUSTRATIVE mortality table: supply the approved table")
    life = _life(config, pack, v, warns) if config.life is not None else None

    step()
    by_type = {
        "RBNS": _rbns_runoff(before, now, claims, v0, v),
        "IBNR": _ibnr_runoff(before, now, claims, v0, v),
    }
    r0 = by_type["RBNS"][0] + by_type["IBNR"][0]
    p = by_type["RBNS"][1] + by_type["IBNR"][1]
    r1 = by_type["RBNS"][2] + by_type["IBNR"][2]
    e = None if before.expected_paid_share is None else before.expected_paid_share * r0
    adequacy = adequacy_test(list(classes), r0, p, r1, expected_paid=e, by_type=by_type,
                             months=int(pack.number("reserves.adequacy_months")))
    annuities = [osns.total if osns is not None and osns_class == k else 0.0 for k in range(len(classes))]
    additional = _additional_risks(config, now, adequacy, classes, upr_re, urr, shares, annuities, warns)

    step()
    lines = []
    for k, c in enumerate(classes):
        spec = config.spec(c)
        lines.append(PremiumLine(spec.solvency_code, float(prem_w[k]), spec.pool_share, spec.pool_insurers,
                                 float(prem_if[k]), spec.related_party_premium, spec.non_performance))
    ref_years = int(pack.number("solvency.claims_reference_years"))
    cy = list(range(v.year - ref_years + 1, v.year + 1))
    gross_claims = _claims_incurred_by_year(claims, cy, classes)
    share_vec = np.array([shares[c] for c in classes])
    net_claims = gross_claims * (1.0 - share_vec)[:, None]
    life_kwargs: dict[str, Any] = {}
    if life is not None and config.life is not None:
        life_kwargs = {"life_reserves": life.total, "life_prev_gross_reserves": config.life.previous_gross_reserves,
                       "life_prev_net_reserves": config.life.previous_net_reserves}
    own = read_own_funds(config.own_funds) if config.own_funds is not None else None
    kw: dict[str, Any] = {"gross_claims": list(gross_claims.sum(axis=0)), "net_claims": list(net_claims.sum(axis=0)),
                          **life_kwargs}
    if own is not None:
        solv = solvency(pack, lines, own.own_funds, deductions=own.deductions, **kw)
    else:
        solv = minimum_margin(pack, lines, **kw)
        warns.append("no own funds file: the actual solvency margin and the ratio are not computed")
    solvency_inputs = {"years": cy, "gross_claims": gross_claims.sum(axis=0).tolist(),
                       "net_claims": net_claims.sum(axis=0).tolist(), "premium_written": prem_w.tolist(),
                       "premium_in_force": prem_if.tolist()}

    step()
    liquid = None
    if config.assets is not None:
        assets = read_assets(config.assets)
        liquid = what_if(pack, assets, config.total_assets, config.reinsurance_assets, notches=config.what_if_notches)
    tariffs: tuple[TariffReport, ...] = ()
    if config.products is not None:
        tariffs = tuple(check_tariff(pack, prod) for prod in read_products(config.products))
    if progress is not None:
        progress("done", len(steps), len(steps))
    for k, c in enumerate(classes):
        res = now.ibnr[k]
        if res is not None:
            warns += [f"{c}: {w}" for w in res.records[0].warnings]
    warns += list(now.notes)
    return StatutoryClose(config, pack, v, v0, classes, shares, treaties, upr, upr_gross, upr_re, prem_if, prem_w,
                          now, before, settlement, se_method, urr, osns, osns_class, life, adequacy, additional, solv,
                          solvency_inputs, own, liquid, tariffs, tuple(dict.fromkeys(warns)),
                          {"paid_claims": paid_claims, "paid_expenses": paid_exp})


def _mack_se(res: IBNRResult | None, bf: bool = False) -> float | None:
    """Mack's standard error of the class's IBNR: on its incurred triangle with the development the reserve used
    (for a Bornhuetter–Ferguson reserve: the chain ladder's coefficient of variation × the BF IBNR). None when the
    triangle cannot give one (a single origin or development period, no positive amounts)."""
    from aktuar.core.reserving import Mack

    if res is None:
        return None
    try:
        fit = Mack().fit(res.result.triangle, res.result.development)
    except (InputError, ValueError, FloatingPointError):
        return None
    se = None if fit.total_se is None else float(fit.total_se[0])
    if se is None or not np.isfinite(se):
        return None
    if bf:
        cl_ibnr = float(fit.ibnr[0].sum())
        if cl_ibnr <= 0:
            return None
        return se / cl_ibnr * max(float(res.gross[0]), 0.0)
    return se


def _additional_risks(config: StatutoryConfig, now: ClassReserves, adequacy: AdequacyResult,
                      classes: Sequence[str], upr_re: FloatArray, urr: UnexpiredRiskResult, shares: dict[str, float],
                      annuities: Sequence[float], warns: list[str]) -> AdditionalRisksResult:
    """Item 8(9): the additional risks the configuration asks to assess (aktuar.core.statutory.additional)."""
    spec = config.additional_risks
    claims_reserve = {c: float(now.case[k] + now.expenses[k] + now.ibnr_gross[k]) for k, c in enumerate(classes)}
    se: dict[str, float | None] = {}
    how: dict[str, str] = {}
    if spec.uncertainty_confidence is not None:
        for k, c in enumerate(classes):
            se[c] = _mack_se(now.ibnr[k], config.spec(c).ibnr_method == "bf")
            how[c] = ("Mack's standard error of the chain ladder on the class's incurred triangle" +
                      (": its coefficient of variation × the Bornhuetter–Ferguson IBNR"
                       if config.spec(c).ibnr_method == "bf" else ""))
    payments: dict[str, FloatArray] = {}
    if spec.excess_inflation is not None:
        for k, c in enumerate(classes):
            w = now.payment_weights[k] if k < len(now.payment_weights) else None
            if w is None:
                w = np.array([1.0])
                warns.append(f"class '{c}': no payment pattern for the excess-inflation test (too little paid "
                             "development); the claims reserve is taken as paid within the first period")
            payments[c] = w * claims_reserve[c]
    exposures = []
    for r in spec.reinsurers:
        k = list(classes).index(r.class_name)
        share = shares.get(r.class_name, 0.0)
        # the reinsurer's share in every reserve of the class, as in reserve_rows (item 9(1))
        exposure = float(upr_re[k] + now.rbns_reinsurance[k] + now.ibnr_reinsurance[k]
                         + share * (float(urr.reserve[k]) + annuities[k]))
        if exposure == 0.0:
            warns.append(f"additional_risks.reinsurer for class '{r.class_name}': the class has no reinsurer's share "
                         "in its reserves (no reinsurance configured)")
        exposures.append(ReinsurerExposure(r.class_name, exposure, r.pd, r.lgd, r.reinsurer))
    return assess_additional_risks(
        list(classes), adequacy=adequacy, claims_reserves=claims_reserve, runoff=spec.runoff_deficiency,
        runoff_materiality=spec.runoff_materiality, standard_errors=se, confidence=spec.uncertainty_confidence,
        se_method=how, reinsurers=exposures, payments=payments, period_years=now.period_years,
        inflation=spec.excess_inflation,
        judgement=spec.judgement)


def _rbns_runoff(before: ClassReserves, now: ClassReserves, claims: Table, v0: _dt.date, v: _dt.date
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """RBNS at the start vs payments during the 12 months and case reserves at the end on the claims reported by
    the start (claims only; settlement expenses are not in the run-off)."""
    classes = now.classes
    known = set(before.positions.claim_id)
    paid = paid_between(claims, v0, v).filter(pl.col("claim_id").is_in(list(known)))
    p = np.array([float(paid.filter(pl.col("class") == c)["paid"].sum()) for c in classes])
    pos = now.positions
    m = np.array([cid in known for cid in pos.claim_id], dtype=bool)
    open_ = np.isnat(pos.settled)
    r1 = np.array([float(pos.case[m & open_ & np.array([x == c for x in pos.class_])].sum()) for c in classes])
    return before.case.copy(), np.maximum(p, 0.0), r1


def _ibnr_share_before(res: IBNRResult | None, v0: _dt.date) -> float:
    if res is None:
        return 0.0
    years = [int(str(o)[:4]) for o in res.result.triangle.origin]
    total = 0.0
    for i, y in enumerate(years):
        if y < v0.year:
            total += float(res.by_origin[0, i])
        elif y == v0.year:
            frac = ((v0 - _dt.date(y, 1, 1)).days + 1) / ((_dt.date(y, 12, 31) - _dt.date(y, 1, 1)).days + 1)
            total += float(res.by_origin[0, i]) * frac
    return total


def _ibnr_runoff(before: ClassReserves, now: ClassReserves, claims: Table, v0: _dt.date, v: _dt.date
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """IBNR at the start vs claims incurred by the start and reported during the 12 months (their payments and
    case reserves at the end) plus the IBNR at the end of the accident periods up to the start."""
    classes = now.classes
    known = set(before.positions.claim_id)
    d0 = np.datetime64(v0, "D")
    paid = paid_between(claims, v0, v).filter(~pl.col("claim_id").is_in(list(known))
                                             & (pl.col("accident_date") <= pl.lit(v0)))
    p = np.array([float(paid.filter(pl.col("class") == c)["paid"].sum()) for c in classes])
    pos = now.positions
    m = np.array([cid not in known for cid in pos.claim_id], dtype=bool) & (pos.accident <= d0)
    open_ = np.isnat(pos.settled)
    case = np.array([float(pos.case[m & open_ & np.array([x == c for x in pos.class_])].sum()) for c in classes])
    ib = np.array([_ibnr_share_before(r, v0) for r in now.ibnr])
    return before.ibnr_gross.copy(), np.maximum(p, 0.0), case + ib


def _life(config: StatutoryConfig, pack: RegulationPack, v: _dt.date, warns: list[str]) -> LifeResult:
    spec = config.life
    assert spec is not None
    pol = read_life_policies(spec.policies)
    if spec.table is not None:
        table = read_life_table(spec.table, spec.table_name, spec.table_source)
    else:
        table = pack_table(pack)
        warns.append("life reserves use the pack's ILLUSTRATIVE mortality table: supply the approved table "
                     "(item 8(7))")
    n = len(pol.policy_id)
    dur = np.zeros(n)
    prem = np.zeros(n)
    res = np.zeros(n)
    for i in range(n):
        issue = pol.issue_date[i].astype(_dt.date)
        if issue > v:
            continue
        t = (v - issue).days / 365.25
        k = int(np.floor(t))
        f = t - k
        dur[i] = t
        product = pol.product[i]
        term = None if product == "whole_life" else int(pol.term[i])
        try:
            npr = net_premium_reserve(table, spec.interest, product, int(pol.age_at_issue[i]),  # type: ignore[arg-type]
                                      float(pol.sum_insured[i]), term=term,
                                      premium_term=int(pol.premium_term[i]) or None)
        except InputError as exc:
            raise InputError(f"policy '{pol.policy_id[i]}': {exc.message}", file=pol.file, row=int(pol.rows[i]),
                             column=exc.column) from None
        vs = npr.reserves_by_duration
        nterm = vs.size - 1
        prem[i] = npr.net_premium
        if k >= nterm:
            continue  # expired (or matured: the sum insured is a claim, not a reserve)
        m = npr.premium_term or nterm
        p_k = npr.net_premium if k < m else 0.0
        res[i] = (1.0 - f) * (vs[k] + p_k) + f * vs[k + 1]
    total = float(res.sum())
    return LifeResult(table, spec.interest, pol.policy_id, pol.product, pol.age_at_issue, dur, prem, res, total,
                      total * spec.reinsurance_share)


# --------------------------------------------------------------------------------------------- document
def _col(key: str, label: str, fmt: str = "money") -> dict[str, str]:
    return {"key": key, "label": label, "format": fmt}


def _table(key: str, title: str, paragraph: str, columns: list[dict[str, str]], rows: list[dict[str, Any]],
           notes: Sequence[str] = ()) -> dict[str, Any]:
    return {"key": key, "title": title, "paragraph": paragraph, "columns": columns, "rows": rows,
            "notes": list(notes)}


def _num(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, (_dt.date,)):
        return obj.isoformat()
    return _num(obj)


def reserve_rows(c: StatutoryClose) -> list[dict[str, Any]]:
    """Item 9(1): the insurance reserves and the reinsurer's share by class (and the total)."""
    rows = []
    now = c.now
    for k, name in enumerate(c.classes):
        share = c.shares.get(name, 0.0)
        ann = c.osns.total if c.osns is not None and c.osns_class == k else 0.0
        urr = float(c.urr.reserve[k])
        gross = {"upr": c.upr_gross[k], "rbns": now.case[k] + now.expenses[k], "ibnr": now.ibnr_gross[k],
                 "urr": urr, "annuities": ann, "life": 0.0}
        re = {"upr": c.upr_reinsurance[k], "rbns": now.rbns_reinsurance[k], "ibnr": now.ibnr_reinsurance[k],
              "urr": share * urr, "annuities": share * ann, "life": 0.0}
        rows.append(_reserve_row(name, gross, re))
    if c.life is not None and c.config.life is not None:
        rows.append(_reserve_row(c.config.life.class_name, {"life": c.life.total}, {"life": c.life.reinsurance}))
    total: dict[str, Any] = {"class": "Total"}
    for key in rows[0]:
        if key != "class":
            total[key] = float(sum(r[key] for r in rows))
    return [*rows, total]


def _reserve_row(name: str, gross: dict[str, float], re: dict[str, float]) -> dict[str, Any]:
    keys = ("upr", "rbns", "ibnr", "urr", "annuities", "life")
    row: dict[str, Any] = {"class": name}
    for k in keys:
        row[f"{k}_gross"] = float(gross.get(k, 0.0))
        row[f"{k}_reinsurance"] = float(re.get(k, 0.0))
    row["total_gross"] = float(sum(gross.get(k, 0.0) for k in keys))
    row["total_reinsurance"] = float(sum(re.get(k, 0.0) for k in keys))
    row["total_net"] = row["total_gross"] - row["total_reinsurance"]
    return row


def to_document(c: StatutoryClose, source: dict[str, Any]) -> dict[str, Any]:
    """The close as the JSON document ``aktuar-statutory/1`` (docs/statutory-close.md)."""
    from aktuar import __version__

    pack = c.pack
    v = c.valuation
    as_of = v + _dt.timedelta(days=1)
    due_md = str(pack.value("opinion.due_day"))
    due = _dt.date(as_of.year, int(due_md[:2]), int(due_md[3:]))
    reserves = reserve_rows(c)
    tables: list[dict[str, Any]] = []
    tables.append(_table("reserves", "Insurance reserves and the reinsurer's share by class", "KZ191-OP item 9(1)", [
        _col("class", "Class", "text"), _col("upr_gross", "UPR"), _col("upr_reinsurance", "UPR reinsurer"),
        _col("rbns_gross", "RBNS (incl. settlement expenses)"), _col("rbns_reinsurance", "RBNS reinsurer"),
        _col("ibnr_gross", "IBNR"), _col("ibnr_reinsurance", "IBNR reinsurer"), _col("urr_gross", "Unexpired risk"),
        _col("urr_reinsurance", "Unexpired risk reinsurer"), _col("annuities_gross", "OSNS annuities (8(6))"),
        _col("annuities_reinsurance", "OSNS annuities reinsurer"), _col("life_gross", "Life NPR (8(7))"),
        _col("life_reinsurance", "Life NPR reinsurer"), _col("total_gross", "Total gross"),
        _col("total_reinsurance", "Total reinsurer's share"), _col("total_net", "Total net")], reserves))
    now = c.now
    tables.append(_table("premiums", "Premiums under valid contracts and reported claims by class",
                         "KZ191-OP item 8(3)", [
                             _col("class", "Class", "text"), _col("premium_in_force", "Premiums of contracts in force"),
                             _col("premium_written", "Premiums written in the year"),
                             _col("reported_claims", "Reported claims (known at V)", "int"),
                             _col("open_claims", "Open claims at V", "int")],
                         [{"class": n, "premium_in_force": c.premium_in_force[k],
                           "premium_written": c.premium_written[k],
                           "reported_claims": int(sum(1 for x in now.positions.class_ if x == n)),
                           "open_claims": int(now.counts[k])} for k, n in enumerate(c.classes)]))
    tables.append(_table("upr", "Unearned premium reserve (pro rata temporis by day)", "KZ191-OP item 8(1), 8(4)", [
        _col("class", "Class", "text"), _col("premium", "Premium of contracts issued to V"),
        _col("gross", "UPR gross"), _col("reinsurance", "Reinsurer's share"), _col("net", "UPR net"),
        _col("method", "Reinsurer's share method", "text")],
        [{"class": n, "premium": float(_align(c.upr.classes, c.upr.premium_by_class, c.classes)[k]),
          "gross": c.upr_gross[k], "reinsurance": c.upr_reinsurance[k], "net": c.upr_gross[k] - c.upr_reinsurance[k],
          "method": c.upr.reinsurance_method} for k, n in enumerate(c.classes)],
        [str(c.upr.parameters.get("basis", "")), pack.cite("reserves.upr_basis")]))
    tables.append(_table("rbns", "Reported but not settled claims (RBNS) with settlement expenses",
                         "KZ191-OP item 9(1), 8(8)", [
                             _col("class", "Class", "text"), _col("open_claims", "Open claims", "int"),
                             _col("case", "Case estimates"), _col("expenses", "Settlement expenses"),
                             _col("gross", "RBNS gross"), _col("reinsurance", "Reinsurer's share"),
                             _col("replaced_by_annuities", "Case replaced by OSNS annuities")],
                         [{"class": n, "open_claims": int(now.counts[k]), "case": now.case[k],
                           "expenses": now.expenses[k], "gross": now.case[k] + now.expenses[k],
                           "reinsurance": now.rbns_reinsurance[k], "replaced_by_annuities": now.replaced_case[k]}
                          for k, n in enumerate(c.classes)], [now.rbns.expense_method]))
    ibnr_rows, factor_rows, records = [], [], []
    for k, n in enumerate(c.classes):
        res = now.ibnr[k]
        if res is None:
            ibnr_rows.append({"class": n, "method": "no claims", "gross": 0.0, "reinsurance": 0.0, "net": 0.0})
            continue
        rec = res.records[0]
        ibnr_rows.append({"class": n, "method": rec.method, "loss_period": f"{rec.loss_period[0]}–{rec.loss_period[1]}",
                          "apriori": rec.apriori_loss_ratio, "threshold": rec.large_loss_threshold,
                          "large_claims": rec.large_claims, "large_effect": rec.large_loss_effect,
                          "gross": now.ibnr_gross[k], "reinsurance": now.ibnr_reinsurance[k],
                          "net": now.ibnr_gross[k] - now.ibnr_reinsurance[k]})
        for a, f, cf, sel in zip(rec.development_ages, rec.development_factors, rec.cumulative_factors,
                                 rec.selections, strict=False):
            factor_rows.append({"class": n, "age": a, "factor": f, "cumulative": cf, "selection": sel})
        records.append({"class": n, "method": rec.method, "rationale": rec.rationale,
                        "loss_period": list(rec.loss_period), "n_origins": rec.n_origins,
                        "development_ages": list(rec.development_ages),
                        "development_factors": list(rec.development_factors),
                        "cumulative_factors": list(rec.cumulative_factors), "selections": list(rec.selections),
                        "apriori_loss_ratio": rec.apriori_loss_ratio, "large_loss_threshold": rec.large_loss_threshold,
                        "large_claims": rec.large_claims, "large_loss_effect": rec.large_loss_effect,
                        "warnings": list(rec.warnings), "origins": [str(o) for o in res.result.triangle.origin],
                        "ibnr_by_origin": res.by_origin[0].tolist(), "ultimate_by_origin": res.ultimate[0].tolist()})
    tables.append(_table("ibnr", "Incurred but not reported claims (IBNR / RIDL)", "KZ191-OP item 8(5), 9(1)", [
        _col("class", "Class", "text"), _col("method", "Method", "text"), _col("loss_period", "Loss period", "text"),
        _col("apriori", "A-priori loss ratio", "pct"), _col("threshold", "Major-loss threshold"),
        _col("large_claims", "Major claims", "int"), _col("large_effect", "Smoothing effect"),
        _col("gross", "IBNR gross"), _col("reinsurance", "Reinsurer's share"), _col("net", "IBNR net")], ibnr_rows))
    tables.append(_table("development", "Development factors selected (incurred, annual)", "KZ191-OP item 8(5)", [
        _col("class", "Class", "text"), _col("age", "Age (months)", "int"), _col("factor", "Age-to-age factor",
                                                                                 "factor"),
        _col("cumulative", "Cumulative factor", "factor"), _col("selection", "Selection", "text")], factor_rows))
    st = c.settlement
    tables.append(_table("settlement_expenses", "Claims-settlement expenses", "KZ191-OP item 8(8)", [
        _col("class", "Class", "text"), _col("paid_expenses", "Paid settlement expenses"),
        _col("paid_claims", "Paid claims (same years)"), _col("ratio", "Ratio", "pct"),
        _col("case", "Declared claims' case estimates"), _col("reserve", "Settlement expense reserve")],
        [{"class": n, "paid_expenses": float(c.extra["paid_expenses"][k]),
          "paid_claims": float(c.extra["paid_claims"][k]), "ratio": st.ratio[k], "case": now.case[k], "reserve": st.reserve[k]}
         for k, n in enumerate(c.classes)], [c.settlement_method, str(st.parameters.get("method", ""))]))
    tables.append(_table("average_paid_claim", "Average paid claim by group of insured events (claims settled in "
                         "the last 12 months)", "KZ191-OP item 8(8)", [
                             _col("group", "Group of insured events", "text"), _col("count", "Claims settled", "int"),
                             _col("paid", "Paid"), _col("average", "Average paid claim")],
                         [{"group": g, "count": int(st.paid_count[i]), "paid": st.paid_total[i],
                           "average": st.average_paid_claim[i]} for i, g in enumerate(st.groups)]))
    u = c.urr
    tables.append(_table("unexpired_risk", "Unexpired risk (premium deficiency) test", "KZ191-OP item 8(1), 9(1)", [
        _col("class", "Class", "text"), _col("upr", "UPR"), _col("elr", "Expected loss ratio", "pct"),
        _col("er", "Expense ratio", "pct"), _col("cost", "Expected cost of unexpired cover"),
        _col("reserve", "Unexpired risk reserve"), _col("sufficient", "UPR sufficient", "text")],
        [{"class": n, "upr": u.upr[k], "elr": u.expected_loss_ratio[k], "er": u.expense_ratio[k],
          "cost": u.expected_cost[k], "reserve": u.reserve[k], "sufficient": "yes" if u.sufficient[k] else "no"}
         for k, n in enumerate(c.classes)]))
    osns_doc = None
    if c.osns is not None:
        o = c.osns
        tables.append(_table("osns", "OSNS predicted payments (annuities to victims and dependants)",
                             "KZ191-OP item 8(6)", [
                                 _col("id", "Beneficiary", "text"), _col("pv", "Present value"),
                                 _col("undiscounted", "Undiscounted"), _col("first_year", "Payments in year 1")],
                             [{"id": b, "pv": o.present_value[i], "undiscounted": o.undiscounted[i],
                               "first_year": o.yearly_cash_flows[i, 0] if o.yearly_cash_flows.shape[1] else 0.0}
                              for i, b in enumerate(o.ids)],
                             [f"{k}: {val}" for k, val in o.parameters.items()]))
        osns_doc = {"class": c.classes[c.osns_class or 0], "total": o.total, "by_kind": o.by_kind,
                    "beneficiaries": len(o.ids), "parameters": o.parameters}
    life_doc = None
    if c.life is not None:
        lf = c.life
        tables.append(_table("life", "Life net premium reserves", "KZ191-OP item 8(7)", [
            _col("id", "Policy", "text"), _col("product", "Product", "text"), _col("age", "Age at issue", "int"),
            _col("duration", "Duration (years)", "factor"), _col("net_premium", "Net premium"),
            _col("reserve", "Net premium reserve")],
            [{"id": p, "product": lf.product[i], "age": int(lf.age_at_issue[i]), "duration": lf.duration[i],
              "net_premium": lf.net_premium[i], "reserve": lf.reserve[i]} for i, p in enumerate(lf.policy_id)],
            [f"table: {lf.table.name} ({lf.table.source}); illustrative: {lf.table.illustrative}",
             f"interest {lf.interest:.4%}; reserve between anniversaries: linear between (ₜV + P) and ₜ₊₁V"]))
        life_doc = {"table": lf.table.name, "table_source": lf.table.source, "illustrative": lf.table.illustrative,
                    "table_parameters": lf.table.parameters, "interest": lf.interest, "total": lf.total,
                    "reinsurance": lf.reinsurance, "policies": len(lf.policy_id)}
    re_rows = []
    for k, n in enumerate(c.classes):
        re_rows.append({"class": n, "share": c.shares.get(n, 0.0), "treaty": c.treaties.get(n, ""),
                        "upr": c.upr.reinsurance_method, "rbns": now.rbns.reinsurance_method,
                        "ibnr": _ibnr_method(now.ibnr[k])})
    tables.append(_table("reinsurance", "Reinsurer's share: methods", "KZ191-OP item 8(4)", [
        _col("class", "Class", "text"), _col("share", "Share", "pct"), _col("treaty", "Treaty", "text"),
        _col("upr", "UPR", "text"), _col("rbns", "RBNS", "text"), _col("ibnr", "IBNR", "text")], re_rows))
    ad_rows = []
    for ln in c.adequacy.lines:
        ad_rows.append({"class": ln.name, "reserve_start": ln.reserve_start, "paid": ln.paid,
                        "reserve_end": ln.reserve_end, "difference": ln.difference,
                        "runoff_ratio": ln.runoff_ratio, "rbns_difference": ln.by_type.get("RBNS"),
                        "ibnr_difference": ln.by_type.get("IBNR"), "expected_paid": ln.expected_paid,
                        "sufficient": "sufficient" if ln.sufficient else "insufficient", "cause": ln.cause})
    tables.append(_table("adequacy", f"Reserve adequacy test: run-off {c.start:%d.%m.%Y} – {c.valuation:%d.%m.%Y}",
                         "KZ191-OP item 9(2)", [
                             _col("class", "Class", "text"), _col("reserve_start", "Claims reserves at start"),
                             _col("paid", "Paid in 12 months"), _col("reserve_end", "Re-estimated reserves at end"),
                             _col("difference", "Run-off result"), _col("runoff_ratio", "Run-off ratio", "factor"),
                             _col("rbns_difference", "of which RBNS"), _col("ibnr_difference", "of which IBNR"),
                             _col("expected_paid", "Expected payments"), _col("sufficient", "Conclusion", "text"),
                             _col("cause", "Analysis", "text")], ad_rows,
                         ["claims reserves without settlement expenses; IBNR at the end for accident periods up to "
                          "the start (the start's year pro rata by day)"]))
    ar = c.additional
    ar_rows = [{"risk": r.kind, "class": r.class_name or "portfolio", "exposure": r.exposure,
                "parameter": r.parameter, "increase": r.increase, "present": "yes" if r.present else "no",
                "basis": r.basis, "reason": r.reason} for r in ar.risks]
    tables.append(_table("additional_risks", "Additional risks and the increase of the insurance reserves",
                         "KZ191-OP item 8(9)", [
                             _col("risk", "Risk", "text"), _col("class", "Class", "text"),
                             _col("exposure", "Exposure"), _col("parameter", "Parameter", "factor"),
                             _col("increase", "Increase of reserves"), _col("present", "Present", "text"),
                             _col("basis", "Basis", "text"), _col("reason", "Reason", "text")], ar_rows,
                         ["tested: " + (", ".join(ar.tested) or "none")]))
    s = c.solvency
    tables.append(_table("solvency", "Minimum and actual solvency margin", "KZ3-OGPO, KZ3-M14, KZ3-M21", [
        _col("component", "Component", "text"), _col("amount", "Amount"), _col("formula", "Formula", "text"),
        _col("citation", "Source", "text")],
        [{"component": x.name, "amount": x.amount, "formula": x.formula, "citation": x.citation}
         for x in s.components] + [
            {"component": "Minimum solvency margin", "amount": s.minimum_margin, "formula": "max(premium index, "
             "claims index) + M14 increases + life part", "citation": ""},
            {"component": "Actual solvency margin", "amount": s.actual_margin,
             "formula": "own funds − deductions", "citation": ""},
            {"component": "Sufficiency ratio", "amount": s.ratio, "formula": "actual / minimum",
             "citation": pack.cite("solvency.min_ratio")}]))
    liquid_doc = None
    if c.liquid is not None:
        base, changed = c.liquid
        rows = []
        for x, y in zip(base.assets, changed.assets, strict=True):
            rows.append({"asset": x.asset_id, "amount": x.amount, "category": x.category or "not liquid",
                         "recognised": x.recognised, "reason": x.reason, "what_if_category": y.category or "not liquid",
                         "what_if_recognised": y.recognised})
        tables.append(_table("liquid_assets", "Highly liquid assets (Standard rates item 38) with a rating what-if",
                             "KZ3-HLA", [
                                 _col("asset", "Asset", "text"), _col("amount", "Amount"),
                                 _col("category", "Category", "text"), _col("recognised", "Recognised"),
                                 _col("reason", "Reason", "text"),
                                 _col("what_if_category", f"Category, ratings −{c.config.what_if_notches} notch(es)",
                                      "text"), _col("what_if_recognised", "Recognised after downgrade")], rows,
                             [f"total {base.total:,.2f}; after the downgrade {changed.total:,.2f}; cash cap "
                              f"{base.cash_cap:,.2f}"] + (["item 38 is incomplete in our copy (subitems 14)+ not "
                                                           "applied)"] if base.incomplete_list else [])))
        liquid_doc = {"total": base.total, "by_category": base.by_category, "cash_cap": base.cash_cap,
                      "what_if_notches": c.config.what_if_notches, "what_if_total": changed.total,
                      "incomplete_list": base.incomplete_list}
    tariff_rows = [{"product": t.product, "rule": ch.rule, "applies": "yes" if ch.applies else "no",
                    "passed": "pass" if ch.passed else "FAIL", "detail": ch.detail, "paragraph": ch.paragraph}
                   for t in c.tariffs for ch in t.checks]
    if tariff_rows:
        tables.append(_table("tariffs", "Tariff checks of products", "KZ3-T151, KZ3-T161", [
            _col("product", "Product", "text"), _col("rule", "Rule", "text"), _col("applies", "Applies", "text"),
            _col("passed", "Result", "text"), _col("detail", "Detail", "text"),
            _col("paragraph", "Paragraph", "text")], tariff_rows))
    used = ["opinion.valuation_day", "opinion.due_day", "opinion.min_copies", "reserves.upr_basis",
            "reserves.adequacy_months", "solvency.ogpo_uplift", "solvency.m14_listed_uplift",
            "solvency.life_reserve_rate", "solvency.life_correction_floor", "solvency.premium_index_rate",
            "solvency.claims_index_rate", "solvency.retention_floor", "solvency.min_ratio",
            "liquid_assets.cash_cap_share", "tariffs.loading_max_to_net", "tariffs.base_spread_max",
            "mortality.illustrative_makeham"]
    tables.append(_table("pack", f"Regulation pack {pack.name}: parameters used", "issue 6 (regulation packs)", [
        _col("key", "Parameter", "text"), _col("value", "Value", "text"), _col("status", "Status", "text"),
        _col("citation", "Source", "text")],
        [{"key": k, "value": str(pack.param(k).value), "status": pack.param(k).status, "citation": pack.cite(k)}
         for k in used if k in pack.parameters]))
    totals = reserves[-1]
    doc = {
        "schema": SCHEMA, "aktuar_version": __version__, "entity": c.config.entity, "currency": c.config.currency,
        "valuation_date": v.isoformat(), "calculated_as_of": as_of.isoformat(), "start_date": c.start.isoformat(),
        "due_date": due.isoformat(),
        "pack": {"name": pack.name, "file": pack.file, "title": pack.title, "effective_from":
                 pack.effective_from.isoformat(), "effective_to": None if pack.effective_to is None else
                 pack.effective_to.isoformat(), "effective_from_confirmed": pack.effective_from_confirmed,
                 "overrides": {k: pack.param(k).note for k in pack.overrides},
                 "min_copies": int(pack.number("opinion.min_copies"))},
        "input": source, "classes": list(c.classes),
        "totals": {"gross": totals["total_gross"], "reinsurance": totals["total_reinsurance"],
                   "net": totals["total_net"]},
        "ibnr_records": records, "osns": osns_doc, "life": life_doc,
        "settlement_expenses": {"method": c.settlement_method, "parameters": st.parameters},
        "adequacy": {"start": c.start.isoformat(), "end": v.isoformat(), "months": c.adequacy.months,
                     "insufficient": list(c.adequacy.insufficient),
                     "total_difference": c.adequacy.total.difference, "sufficient": c.adequacy.total.sufficient},
        "additional_risks": {"tested": list(ar.tested), "present": ar.present, "total": ar.total,
                             "by_class": ar.by_class(),
                             "risks": [{"kind": r.kind, "class": r.class_name, "exposure": r.exposure,
                                        "parameter": r.parameter, "increase": r.increase, "basis": r.basis,
                                        "reason": r.reason} for r in ar.risks]},
        "solvency": {"minimum_margin": s.minimum_margin, "premium_index": s.premium_index,
                     "claims_index": s.claims_index, "retention": s.retention, "m14_increase": s.m14_increase,
                     "life_part": s.life_part, "adjusted_premium": s.adjusted_premium,
                     "actual_margin": s.actual_margin, "ratio": s.ratio, "sufficient": s.sufficient,
                     "deductions": dict(s.deductions), "inputs": c.solvency_inputs,
                     "own_funds": None if c.own_funds is None else c.own_funds.own_funds},
        "liquid_assets": liquid_doc,
        "tariffs": [{"product": t.product, "passed": t.passed} for t in c.tariffs],
        "warnings": list(c.warnings),
        "tables": tables,
    }
    return _clean(doc)  # type: ignore[no-any-return]


def _ibnr_method(res: IBNRResult | None) -> str:
    return "no claims" if res is None else res.reinsurance_method


# ------------------------------------------------------------------------------------------------ writing
def _workbook(fh: Any, document: dict[str, Any], lang: str = "en") -> None:
    """The annex in ``lang``: the same cells and numbers in both languages, only the texts differ (the Russian
    ones from :mod:`aktuar.reports.statutory_terms`, looked up by the tables' and columns' keys)."""
    import xlsxwriter

    from aktuar.reports import statutory_terms as terms
    from aktuar.reports.workbook import sheet_name

    lang = terms.check_language(lang)

    def tx(key: str) -> str:
        return terms.text(key, lang)

    wb = xlsxwriter.Workbook(fh, {"in_memory": True})
    title = wb.add_format({"bold": True, "font_size": 13})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    italic = wb.add_format({"italic": True, "font_color": "#555555"})
    fmts = {"money": wb.add_format({"num_format": "#,##0.00;-#,##0.00;-"}),
            "pct": wb.add_format({"num_format": "0.00%"}), "factor": wb.add_format({"num_format": "0.0000"}),
            "int": wb.add_format({"num_format": "0"}), "text": wb.add_format({"text_wrap": False})}
    used: set[str] = set()
    ws = wb.add_worksheet(sheet_name(tx("sheet.summary"), used))
    ws.write(0, 0, tx("summary.title"), title)
    meta = [(tx("meta.entity"), document["entity"]),
            (tx("meta.valuation_date"), terms.day(document["valuation_date"], lang)),
            (tx("meta.calculated_as_of"), terms.day(document["calculated_as_of"], lang)),
            (tx("meta.due_date"), terms.day(document["due_date"], lang)),
            (tx("meta.currency"), document["currency"]), (tx("meta.pack"), document["pack"]["name"]),
            (tx("meta.schema"), document["schema"]), (tx("meta.version"), document["aktuar_version"])]
    for i, (k, val) in enumerate(meta):
        ws.write(2 + i, 0, k, bold)
        ws.write(2 + i, 1, str(val))
    r = 3 + len(meta)
    ws.write(r, 0, tx("meta.tables"), bold)
    for i, t in enumerate(document["tables"]):
        ws.write(r + 1 + i, 0, terms.paragraph(t["paragraph"], lang))
        ws.write(r + 1 + i, 1, terms.title(t, document, lang))
    r += 2 + len(document["tables"])
    if document["warnings"]:
        ws.write(r, 0, tx("meta.warnings"), bold)
        for i, w in enumerate(document["warnings"]):
            ws.write(r + 1 + i, 0, w, italic)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 90)
    for t in document["tables"]:
        ws = wb.add_worksheet(sheet_name(terms.sheet(t, lang), used))
        ws.write(0, 0, terms.title(t, document, lang), title)
        ws.write(1, 0, f"{terms.paragraph(t['paragraph'], lang)}; {document['currency']}", italic)
        for j, col in enumerate(t["columns"]):
            ws.write(3, j, terms.column_label(t, col, document, lang), bold)
        for i, row in enumerate(t["rows"]):
            for j, col in enumerate(t["columns"]):
                val = row.get(col["key"])
                if val is None:
                    continue
                if isinstance(val, (int, float)) and not isinstance(val, bool):
                    ws.write_number(4 + i, j, float(val), fmts.get(col["format"], fmts["money"]))
                else:
                    ws.write_string(4 + i, j, terms.value(t, col, str(val), lang))
        for n, note in enumerate(t["notes"]):
            ws.write(5 + len(t["rows"]) + n, 0, note, italic)
        for j, col in enumerate(t["columns"]):
            ws.set_column(j, j, 40 if col["format"] == "text" and j > 0 else 18)
        ws.set_row(3, 45)
        ws.freeze_panes(4, 1)
    wb.close()


def xlsx_bytes(document: dict[str, Any], lang: str = "en") -> bytes:
    """The XLSX annex of ``document`` in ``lang`` (``ru`` or ``en``)."""
    buf = io.BytesIO()
    _workbook(buf, document, lang)
    return buf.getvalue()


def write_xlsx(path: Path, document: dict[str, Any], lang: str = "en") -> None:
    _write_bytes(path, xlsx_bytes(document, lang))


@dataclass(frozen=True)
class StatutoryRun:
    close: StatutoryClose
    document: dict[str, Any]
    files: dict[str, Path]


def _source(config: StatutoryConfig) -> dict[str, Any]:
    from aktuar.services.inputs import file_sha256

    files: dict[str, Path | None] = {
        "configuration": config.source, "contracts": config.contracts, "claims": config.claims,
        "reinsurance": config.reinsurance, "settlement expenses": config.settlement_expenses,
        "OSNS beneficiaries": config.osns.beneficiaries if config.osns else None,
        "life policies": config.life.policies if config.life else None,
        "mortality table": config.life.table if config.life else None, "assets": config.assets,
        "own funds": config.own_funds, "products": config.products, "opinion text": config.opinion_text_file,
    }
    return {k: {"file": p.name, "sha256": file_sha256(p)} for k, p in files.items() if p is not None}


def opinion_text_toml(text: dict[str, Any]) -> str:
    """The actuary's texts as an editable TOML file (``[opinion]``)."""
    import json

    from aktuar.reports.opinion import DEFAULT_TEXT

    merged = {**DEFAULT_TEXT, **text}
    lines = ["# The actuary's own words in the actuarial opinion (KZ191-OP, form of Appendix 1).",
             "# Edit and re-render: aktuar statutory opinion statutory-<date>.json --text this-file --out DIR", "",
             "[opinion]"]
    for k, val in merged.items():
        if isinstance(val, (list, tuple)):
            lines.append(f"{k} = [" + ", ".join(json.dumps(str(x), ensure_ascii=False) for x in val) + "]")
        elif isinstance(val, (int, float)) and not isinstance(val, bool):
            lines.append(f"{k} = {val}")
        else:
            lines.append(f"{k} = {json.dumps(str(val), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _write_bytes(path: Path, data: bytes) -> None:
    from aktuar.fsutil import atomic_write

    def write(fh: Any) -> None:
        fh.write(data)

    atomic_write(path, write, binary=True)


def run_statutory_close(config_path: str | Path, out_dir: str | Path, *, progress: Progress | None = None,
                        opinion: bool = True, languages: Sequence[str] = ("ru", "en")) -> StatutoryRun:
    """Load the configuration, measure everything and render everything, then (only then) write into ``out_dir``:
    ``statutory-<date>.json``, the XLSX annex in English ``statutory-<date>.xlsx`` and in Russian
    ``statutory-<date>-ru.xlsx``, the opinion's editable text ``opinion-text-<date>.toml`` and, with ``opinion``,
    ``opinion-<date>-<lang>.pdf`` and ``.docx`` for each language."""
    import json

    from aktuar.services.statutory_config import load_opinion_text

    config = load_config(config_path)
    close = measure_statutory(config, progress=progress)
    document = to_document(close, _source(config))
    text = dict(config.opinion)
    if config.opinion_text_file is not None:
        text.update(load_opinion_text(config.opinion_text_file))
    payloads: dict[str, bytes] = {}
    when = config.valuation_date.isoformat()
    payloads[f"statutory-{when}.json"] = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    payloads[f"statutory-{when}.xlsx"] = xlsx_bytes(document, "en")
    payloads[f"statutory-{when}-ru.xlsx"] = xlsx_bytes(document, "ru")
    payloads[f"opinion-text-{when}.toml"] = opinion_text_toml(text).encode("utf-8")
    if opinion:
        from aktuar.reports.opinion import render_opinion

        for lang in languages:
            pdf, docx = render_opinion(document, text, lang)
            payloads[f"opinion-{when}-{lang}.pdf"] = pdf
            payloads[f"opinion-{when}-{lang}.docx"] = docx
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file: give a folder for the results")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name, data in payloads.items():
        _write_bytes(out / name, data)
        files[name] = out / name
    return StatutoryRun(close, document, files)
