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
    lines += [
        "",
        "[[reinsurance]]",
        'name = "Property quota share 40 %"',
        'portfolio = "Property"',
        "share = 0.4",
        "ceding_commission = 0.2",
        "default_probability = 0.01",
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
    config = folder / "ifrs17.toml"
    config.write_text(demo_config(insurer), encoding="utf-8")
    return config
