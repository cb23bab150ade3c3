"""Input files of the demo insurer's IFRS 17 close: contracts, claims, curves and the close configuration.

The non-life business is the synthetic insurer of :mod:`aktuar.demo.synthetic` generated up to the last
reporting date; its written premium per class, region and year is issued in monthly blocks of one-year
contracts (one row per block: the contracts of a month are recognised and earned together). Curves are an
illustrative KZT risk-free term structure per reporting date (a demo assumption, not market data).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from aktuar.demo.synthetic import CLASSES, REGIONS, DemoInsurer, generate_insurer

REPORTING_DATES: tuple[date, ...] = (date(2025, 12, 31), date(2026, 12, 31))
OPENING_DATE = date(2024, 12, 31)
# acquisition cost (commission) as a share of premium, by class
COMMISSION = {"OGPO VTS": 0.10, "Property": 0.15, "OSNS": 0.08, "DMS": 0.05}
# measure and claims-settlement expense ratio by class for the LIC (as in the reserving demo)
MEASURE = {"OGPO VTS": "paid", "Property": "paid", "OSNS": "incurred", "DMS": "paid"}
# spot rates (annual) by maturity for each boundary date: an illustrative KZT curve drifting down
CURVE_MATURITIES = (1, 2, 3, 5, 7, 10)
CURVE_RATES = {
    OPENING_DATE: (0.150, 0.146, 0.142, 0.137, 0.132, 0.127),
    REPORTING_DATES[0]: (0.145, 0.140, 0.135, 0.130, 0.125, 0.120),
    REPORTING_DATES[1]: (0.135, 0.131, 0.127, 0.123, 0.119, 0.115),
}
UFR = 0.08
# pricing loss ratios where the insurer expects the cohort to differ from the claims experience: the 2026 DMS
# cohort was sold at old tariffs after medical-cost inflation (an onerous group at initial recognition)
PRICING_LOSS_RATIO = {("DMS", 2026): 0.96, ("DMS", 2025): 0.78}
_SEASON = np.array([0.85, 0.85, 1.0, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1])


def demo_contracts(insurer: DemoInsurer, seed: int) -> pl.DataFrame:
    """Monthly blocks of one-year contracts whose premium per class, region and year is the insurer's written
    premium (seasonal, with noise; premium received and commission paid at issue)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 17]))
    rows: list[dict[str, object]] = []
    for rec in insurer.premiums.sort(["class", "region", "year"]).iter_rows(named=True):
        weights = _SEASON * np.exp(rng.normal(0.0, 0.05, 12))
        weights /= weights.sum()
        code = next(c.prefix for c in insurer.classes if c.code == rec["class"])
        region = REGIONS.index(rec["region"])
        year = int(rec["year"])
        for m in range(12):
            start = date(year, m + 1, 1)
            end = date(year + 1, m + 1, 1).toordinal() - 1
            premium = round(float(rec["written_premium"]) * float(weights[m]), 2)
            rows.append({
                "contract_id": f"{code}-{region + 1}-{year}-{m + 1:02d}",
                "portfolio": rec["class"], "region": rec["region"],
                "issue_date": start, "coverage_start": start, "coverage_end": date.fromordinal(end),
                "premium": premium, "acquisition_cost": round(premium * COMMISSION[rec["class"]], 2),
                "premium_received_date": start, "policy_count": int(max(1, premium // 60_000)),
                "expected_loss_ratio": PRICING_LOSS_RATIO.get((rec["class"], year), None),
            })
    return pl.DataFrame(rows)


def demo_curves() -> pl.DataFrame:
    rows = [{"reporting_date": d, "maturity": m, "rate": r}
            for d, rates in CURVE_RATES.items() for m, r in zip(CURVE_MATURITIES, rates, strict=True)]
    return pl.DataFrame(rows)


def demo_config(insurer: DemoInsurer) -> str:
    """The TOML configuration of the demo close (files relative to its folder)."""
    ulae = {c.code: c.ulae_ratio for c in insurer.classes}
    lines = [
        "# IFRS 17 close of the demo insurer (aktuar ifrs17 measure ifrs17.toml --out results)",
        'entity = "Demo Insurance JSC"',
        'currency = "KZT"',
        f'opening_date = "{OPENING_DATE.isoformat()}"',
        "reporting_dates = [" + ", ".join(f'"{d.isoformat()}"' for d in REPORTING_DATES) + "]",
        "confidence_level = 0.75",
        "correlation = 0.25",
        "oci_option = true",
        "",
        "[curves]",
        'file = "curves.csv"',
        f"ufr = {UFR}",
        "illiquidity_premium = 0.005",
    ]
    for c in insurer.classes:
        lines += [
            "",
            "[[portfolio]]",
            f'name = "{c.code}"',
            'approach = "paa"',
            'contracts = "contracts.csv"',
            'claims = "claims.csv"',
            f'measure = "{MEASURE[c.code]}"',
            'reserving_method = "mack"',
            f"ulae_ratio = {ulae[c.code]}",
            "expense_acquisition = true",
        ]
    lines += _life_config()
    for name, key, value in (("rates -100 bp", "curve_shift_bp", -100), ("non-life claims +10 %", "claims_multiplier",
                                                                            1.1),
                             ("mortality -10 %", "mortality_multiplier", 0.9), ("lapses +50 %", "lapse_multiplier", 1.5)):
        lines += ["", "[[scenario]]", f'name = "{name}"', f"{key} = {value}"]
    lines += [
        "",
        "[[reinsurance]]",
        'name = "Property quota share 40 %"',
        'portfolio = "Property"',
        "share = 0.4",
        "ceding_commission = 0.2",
        "default_probability = 0.01",
        "loss_given_default = 0.5",
        "",
        "[[reinsurance]]",
        'name = "Term life quota share 50 %"',
        'portfolio = "Term life"',
        "share = 0.5",
        "ceding_commission = 0.15",
        "default_probability = 0.005",
        "loss_given_default = 0.5",
    ]
    return "\n".join(lines) + "\n"


def write_demo_close_inputs(folder: Path, seed: int = 2026, scale: float = 1.0) -> Path:
    """Write the demo close's input files into ``folder`` and return the configuration's path."""
    folder.mkdir(parents=True, exist_ok=True)
    insurer = generate_insurer(seed, valuation=REPORTING_DATES[-1], scale=scale, classes=CLASSES)
    insurer.transactions.write_csv(folder / "claims.csv")
    demo_contracts(insurer, seed).write_csv(folder / "contracts.csv")
    demo_curves().write_csv(folder / "curves.csv")
    demo_mortality().write_csv(folder / "mortality.csv")
    term, annuities = demo_life_policies(seed)
    term.write_csv(folder / "life_term.csv")
    annuities.write_csv(folder / "life_annuities.csv")
    demo_fair_values(annuities).write_csv(folder / "annuity_fair_values.csv")
    config = folder / "ifrs17.toml"
    config.write_text(demo_config(insurer), encoding="utf-8")
    return config


# ------------------------------------------------------------------------------------- life and annuities
LIFE_COHORTS = tuple(range(2019, REPORTING_DATES[-1].year + 1))
# an illustrative Makeham mortality law (the parameters of Bowers et al.'s Illustrative Life Table); a real
# insurer gives its own table — see docs/ifrs17.md
MAKEHAM = (0.0007, 0.00005, 10 ** 0.04)
TERM_ASSUMPTIONS = {"lapse": (0.08, 0.06, 0.05, 0.04), "acquisition_expense": 25_000.0,
                    "maintenance_expense": 6_000.0, "expense_inflation": 0.06, "commission": (0.25,)}
ANNUITY_ASSUMPTIONS = {"lapse": (0.0,), "acquisition_expense": 60_000.0, "maintenance_expense": 9_000.0,
                       "expense_inflation": 0.06, "commission": ()}
# pricing loadings; the 2026 annuity cohort was sold below cost (an onerous group at initial recognition)
TERM_LOADING = 0.6
ANNUITY_LOADING = {2026: -0.04}
ANNUITY_LOADING_DEFAULT = 0.06
# the 2026 year-end study finds annuitants live longer: mortality × 0.9 from 31.12.2026 (a change in estimates)
ANNUITY_MORTALITY_REVISION = {REPORTING_DATES[-1]: 0.9}


def demo_mortality() -> pl.DataFrame:
    a, b, c = MAKEHAM
    age = np.arange(0, 121)
    q = 1.0 - np.exp(-a - b * c ** age * (c - 1.0) / np.log(c))
    q[-1] = 1.0
    return pl.DataFrame({"age": age, "q": np.round(q, 8)})


def _locked_in_curve(cohort: int) -> object:
    from aktuar.core.curves import smith_wilson

    d = date(cohort - 1, 12, 31)
    rates = CURVE_RATES.get(d, CURVE_RATES[OPENING_DATE])
    return smith_wilson(np.asarray(CURVE_MATURITIES, dtype=float), np.asarray(rates), UFR).with_premium(0.005)


def demo_life_policies(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Individual term life (monthly premiums from the net premium with a loading) and immediate annuities
    (single premiums at cost plus a loading), issued on 1 January of each cohort year, priced on the curve of
    the preceding year end."""
    from aktuar.core.projection import Assumptions, DecrementTable, ModelPoints, NetPremium, project

    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 84]))
    mort = demo_mortality()
    table = DecrementTable.by_age(mort["q"].to_numpy(), 0, "mortality")
    term_rows: list[dict[str, object]] = []
    ann_rows: list[dict[str, object]] = []
    for cohort in LIFE_COHORTS:
        curve = _locked_in_curve(cohort)
        n = int(rng.integers(110, 150))
        age = rng.integers(25, 56, n)
        term = rng.choice([10, 15, 20], n)
        si = np.round(rng.lognormal(np.log(12e6), 0.5, n), -3)
        ta = TERM_ASSUMPTIONS
        priced = project(ModelPoints(age, term, si, np.ones(n), product=["term"] * n),
                         Assumptions(table, curve, lapse=DecrementTable.by_duration(np.array(ta["lapse"]), "lapse"),
                                     acquisition_expense=ta["acquisition_expense"],
                                     maintenance_expense=ta["maintenance_expense"],
                                     expense_inflation=ta["expense_inflation"], commission=ta["commission"],
                                     premium_rule=NetPremium(TERM_LOADING)))
        for i in range(n):
            term_rows.append({"policy_id": f"TL-{cohort}-{i + 1:04d}", "product": "term",
                              "issue_date": date(cohort, 1, 1), "age_at_entry": int(age[i]),
                              "policy_term": int(term[i]), "sum_insured": float(si[i]),
                              "premium": float(priced.premium_per_payment[i]), "premium_frequency": 12,
                              "policy_count": 1})
        m = int(rng.integers(30, 45))
        a_age = rng.integers(60, 71, m)
        a_term = 100 - a_age
        amount = np.round(rng.lognormal(np.log(220e3), 0.3, m), -2)
        aa = ANNUITY_ASSUMPTIONS
        cost = project(ModelPoints(a_age, a_term, np.zeros(m), np.ones(m), premium=np.zeros(m),
                                   premium_frequency=np.zeros(m, dtype=np.int64), product=["annuity"] * m,
                                   annuity_amount=amount),
                       Assumptions(table, curve, acquisition_expense=aa["acquisition_expense"],
                                   maintenance_expense=aa["maintenance_expense"],
                                   expense_inflation=aa["expense_inflation"]))
        loading = ANNUITY_LOADING.get(cohort, ANNUITY_LOADING_DEFAULT)
        single = np.round((cost.pv_annuities + cost.pv_expenses) * (1.0 + loading), 2)
        for i in range(m):
            ann_rows.append({"policy_id": f"AN-{cohort}-{i + 1:04d}", "product": "annuity",
                             "issue_date": date(cohort, 1, 1), "age_at_entry": int(a_age[i]),
                             "policy_term": int(a_term[i]), "sum_insured": 0.0, "premium": float(single[i]),
                             "premium_frequency": 0, "annuity_amount": float(amount[i]), "policy_count": 1})
    return pl.DataFrame(term_rows), pl.DataFrame(ann_rows)


# the annuities issued before the opening date are measured from it by the fair value approach (C20): their fair
# value is the fulfilment cash flows at transition plus a margin a buyer would ask
ANNUITY_TRANSITION_MARGIN = 0.04


def demo_fair_values(annuities: pl.DataFrame) -> pl.DataFrame:
    """Fair values of the pre-transition annuity cohorts at the opening date: PV of annuities and expenses at the
    opening curve (with the 5 % RA of the close) × (1 + margin) — an illustrative market price."""
    from aktuar.core.projection import Assumptions, DecrementTable, ModelPoints, project

    table = DecrementTable.by_age(demo_mortality()["q"].to_numpy(), 0, "mortality")
    curve = _locked_in_curve(OPENING_DATE.year + 1)
    aa = ANNUITY_ASSUMPTIONS
    rows = []
    for cohort in [c for c in LIFE_COHORTS if c <= OPENING_DATE.year]:
        part = annuities.filter(pl.col("issue_date").dt.year() == cohort)
        n = part.height
        duration = np.full(n, (OPENING_DATE.year - cohort + 1) * 12, dtype=np.int64)
        res = project(ModelPoints(part["age_at_entry"].to_numpy(), part["policy_term"].to_numpy(), np.zeros(n),
                                  np.ones(n), duration_mth=duration, premium=np.zeros(n),
                                  premium_frequency=np.zeros(n, dtype=np.int64), product=["annuity"] * n,
                                  annuity_amount=part["annuity_amount"].to_numpy()),
                      Assumptions(table, curve, acquisition_expense=aa["acquisition_expense"],
                                  maintenance_expense=aa["maintenance_expense"],
                                  expense_inflation=aa["expense_inflation"]))
        fcf = float((res.pv_annuities + res.pv_expenses).sum()) * 1.05
        rows.append({"cohort": cohort, "fair_value": round(fcf * (1.0 + ANNUITY_TRANSITION_MARGIN), 2)})
    return pl.DataFrame(rows)


def _life_config() -> list[str]:
    def block(name: str, file: str, a: dict[str, object], revision: dict[date, float] | None) -> list[str]:
        lines = ["", "[[portfolio]]", f'name = "{name}"', 'approach = "gmm"', f'model_points = "{file}"',
                 'mortality = "mortality.csv"', f"lapse = {list(a['lapse'])}",  # type: ignore[call-overload]
                 f"acquisition_expense = {a['acquisition_expense']}",
                 f"maintenance_expense = {a['maintenance_expense']}", f"expense_inflation = {a['expense_inflation']}",
                 f"commission = {list(a['commission'])}", "ra_share = 0.05"]  # type: ignore[call-overload]
        if revision:
            lines.append("mortality_revision = { " + ", ".join(f'"{d.isoformat()}" = {m}' for d, m in
                                                                revision.items()) + " }")
            lines += [f'transition_date = "{OPENING_DATE.isoformat()}"', 'fair_values = "annuity_fair_values.csv"']
        return lines

    return (block("Term life", "life_term.csv", TERM_ASSUMPTIONS, None)
            + block("Annuities", "life_annuities.csv", ANNUITY_ASSUMPTIONS, ANNUITY_MORTALITY_REVISION))
