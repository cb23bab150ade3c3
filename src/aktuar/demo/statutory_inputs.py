"""Input files of the demo insurer's statutory close at 31.12.2026 (pack kz/2026-02).

The non-life business is the synthetic insurer of :mod:`aktuar.demo.synthetic` (classes OGPO VTS, Property,
OSNS, DMS) generated up to the valuation date, with the IFRS 17 demo's contracts
(:func:`aktuar.demo.ifrs17_inputs.demo_contracts`) and claim transactions; the paid claims-settlement
expenses are the insurer's ULAE. Added here, all synthetic and illustrative: OSNS annuity beneficiaries, a small
life book, an assets list with ratings, own funds with deductions and two products for the tariff check (one
fails item 15-1). Names, licences and amounts are fictitious.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from aktuar.demo.ifrs17_inputs import demo_contracts
from aktuar.demo.synthetic import CLASSES, DemoInsurer, generate_insurer

VALUATION = date(2026, 12, 31)
REINSURANCE = {"OGPO VTS": (0.0, "no reinsurance"), "Property": (0.4, "quota share 40 % (treaty QS-2026/1)"),
               "OSNS": (0.1, "quota share 10 % (treaty QS-2026/2)"), "DMS": (0.0, "no reinsurance"),
               "Life": (0.2, "quota share 20 % on risk premiums (treaty L-2026/1)")}
SOLVENCY_CODE = {"OGPO VTS": "OGPO_VTS", "Property": "property", "OSNS": "OSNS", "DMS": "DMS"}


def demo_beneficiaries(seed: int, n: int = 40) -> pl.DataFrame:
    """OSNS annuitants: victims with a degree of loss of professional working capacity (some with a
    re-examination date) and dependants of deceased workers (to an age limit of 18)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 61]))
    rows = []
    for i in range(n):
        victim = rng.random() < 0.7
        if victim:
            age = int(rng.integers(25, 62))
            birth = date(VALUATION.year - age, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            degree = float(rng.choice([30, 40, 60, 80, 100]))
            reexam = date(VALUATION.year + int(rng.integers(0, 3)), int(rng.integers(1, 13)), 1) if degree < 100 \
                else None
            rows.append({"beneficiary_id": f"NS-B{i + 1:03d}", "kind": "victim", "claim_id": None,
                         "monthly": round(float(rng.uniform(40_000, 160_000)) * degree / 100, 2),
                         "birth_date": birth, "end_date": None, "reexamination_date": reexam, "degree": degree})
        else:
            age = int(rng.integers(2, 16))
            birth = date(VALUATION.year - age, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            rows.append({"beneficiary_id": f"NS-B{i + 1:03d}", "kind": "dependant", "claim_id": None,
                         "monthly": round(float(rng.uniform(30_000, 90_000)), 2), "birth_date": birth,
                         "end_date": date(birth.year + 18, birth.month, birth.day), "reexamination_date": None,
                         "degree": None})
    return pl.DataFrame(rows, schema={"beneficiary_id": pl.String, "kind": pl.String, "claim_id": pl.String,
                                      "monthly": pl.Float64, "birth_date": pl.Date, "end_date": pl.Date,
                                      "reexamination_date": pl.Date, "degree": pl.Float64})


def demo_life_policies(seed: int, n: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 71]))
    rows = []
    for i in range(n):
        product = str(rng.choice(["term", "endowment", "whole_life"], p=[0.5, 0.35, 0.15]))
        age = int(rng.integers(22, 56))
        issue = date(int(rng.integers(2015, 2027)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        term = 0 if product == "whole_life" else int(rng.choice([10, 15, 20]))
        rows.append({"policy_id": f"L-{i + 1:04d}", "product": product, "age_at_issue": age, "issue_date": issue,
                     "term": term, "premium_term": 0, "sum_insured": float(rng.choice([5e6, 10e6, 20e6, 50e6]))})
    return pl.DataFrame(rows)


def demo_assets(scale: float = 1.0) -> pl.DataFrame:
    """Assets with ratings: one deposit is rated exactly B- (a one-notch downgrade takes it out of item 38)."""
    m = 0.7e6 * scale
    rows = [
        {"asset_id": "CASH-1", "kind": "cash", "amount": 180 * m},
        {"asset_id": "CA-HALYK", "kind": "current_account", "amount": 420 * m, "rating": "BBB-", "agency": "sp"},
        {"asset_id": "DEP-BANK-A", "kind": "kz_bank_deposit", "amount": 2_500 * m, "rating": "BB+", "agency": "fitch"},
        {"asset_id": "DEP-BANK-B", "kind": "kz_bank_deposit", "amount": 1_200 * m, "rating": "B-", "agency": "sp"},
        {"asset_id": "DEP-BANK-C", "kind": "kz_bank_deposit", "amount": 600 * m, "national_rating": "kzBB"},
        {"asset_id": "DEP-BANK-D", "kind": "kz_bank_deposit", "amount": 300 * m, "rating": "CCC+", "agency": "sp"},
        {"asset_id": "DEP-EDB", "kind": "ifi_deposit", "amount": 500 * m, "edb_tenge": "true"},
        {"asset_id": "DEP-NR-BANK", "kind": "nonresident_bank_deposit", "amount": 700 * m, "rating": "Baa2",
         "agency": "moodys"},
        {"asset_id": "MEKAM-2031", "kind": "government_security", "amount": 6_000 * m},
        {"asset_id": "KZTO-BOND", "kind": "quasi_government_debt", "amount": 900 * m},
        {"asset_id": "CORP-BOND-L", "kind": "listed_corporate_debt", "amount": 800 * m, "listed": "true"},
        {"asset_id": "CORP-BOND-U", "kind": "listed_corporate_debt", "amount": 250 * m, "listed": "false"},
        {"asset_id": "REAL-ESTATE", "kind": "other", "amount": 1_100 * m},
    ]
    cols = ("asset_id", "kind", "amount", "rating", "agency", "national_rating", "parent_rating", "premium_listing",
            "listed", "held_in_kz_bank", "edb_tenge")
    return pl.DataFrame([{c: r.get(c) for c in cols} for r in rows],
                        schema={c: (pl.Float64 if c == "amount" else pl.String) for c in cols})


def demo_own_funds(scale: float = 1.0) -> pl.DataFrame:
    m = 1e6 * scale
    return pl.DataFrame([
        {"item": "share capital", "kind": "own_funds", "amount": 1_400 * m, "reason": "paid-in"},
        {"item": "retained earnings", "kind": "own_funds", "amount": 800 * m, "reason": "audited 2026"},
        {"item": "intangible assets", "kind": "deduction", "amount": 150 * m, "reason": "not admitted"},
        {"item": "receivables overdue > 90 days", "kind": "deduction", "amount": 80 * m, "reason": "not admitted"},
    ])


def demo_products() -> pl.DataFrame:
    """Two individuals' voluntary products: 'Home Protect' passes both checks; 'Accident Plus' has a tariff
    cell whose loading exceeds its net premium (fails item 15-1) and base tariffs 60 % apart (fails 16-1)."""
    rows = []
    for net, load in ((0.0040, 0.0030), (0.0045, 0.0035), (0.0050, 0.0040)):
        rows.append({"product": "Home Protect", "class": "property of individuals", "kind": "general",
                     "for_individuals": "true", "voluntary": "true", "net": net, "loading": load})
    for net, load in ((0.0100, 0.0080), (0.0120, 0.0140), (0.0150, 0.0138)):
        rows.append({"product": "Accident Plus", "class": "accident", "kind": "general", "for_individuals": "true",
                     "voluntary": "true", "net": net, "loading": load})
    return pl.DataFrame(rows)


def demo_config(insurer: DemoInsurer, scale: float = 1.0) -> str:
    m = 1e6 * scale
    lines = [
        "# Statutory close of the demo insurer (aktuar statutory close statutory.toml --out results)",
        'entity = "Demo Insurance JSC"',
        'currency = "KZT"',
        f'valuation_date = "{VALUATION.isoformat()}"',
        "expense_years = 3",
        "",
        "[files]",
        'contracts = "contracts.csv"',
        'claims = "claims.csv"',
        'reinsurance = "reinsurance.csv"',
        'settlement_expenses = "settlement-expenses.csv"',
        'assets = "assets.csv"',
        'own_funds = "own-funds.csv"',
        'products = "products.csv"',
    ]
    for c in insurer.classes:
        method = "bf" if c.code == "Property" else "chainladder"
        lines += ["", "[[class]]", f'name = "{c.code}"', f'solvency_code = "{SOLVENCY_CODE[c.code]}"',
                  f'ibnr_method = "{method}"', f"major_loss_threshold = {c.large_loss_threshold}"]
        if method == "bf":
            lines += [f"apriori_loss_ratio = {c.plan_loss_ratio}",
                      'rationale = "Bornhuetter–Ferguson: few large claims make the chain ladder unstable on '
                      'recent years; a-priori = the plan loss ratio"']
        else:
            lines += ['rationale = "chain ladder on reported claims: stable development over ten accident years"']
        lines += ["urr_expense_ratio = 0.15"]
        if c.code == "OGPO VTS":
            lines += ["pool_share = 0.6"]
    lines += [
        "",
        "[osns]",
        'beneficiaries = "osns-beneficiaries.csv"',
        'class = "OSNS"',
        "discount_rate = 0.10",
        "indexation = 0.05",
        "p_extend = 0.85",
        "ratio_if_changed = 0.5",
        "interval_years = 1.0",
        "",
        "[life]",
        'policies = "life-policies.csv"',
        "interest = 0.05",
        'class = "Life"',
        "reinsurance_share = 0.2",
        f"previous_gross_reserves = {400 * m}",
        f"previous_net_reserves = {330 * m}",
        "",
        "[assets]",
        f"total_assets = {14_000 * m}",
        f"reinsurance_assets = {1_800 * m}",
        "what_if_notches = 1",
        "",
        "[opinion]",
        'purpose = "Mandatory annual actuarial opinion on the insurance reserves as of 01.01.2027 (Law on insurance '
        'activity, art. 19; NB Resolution No. 191, Appendix 3)"',
        'full_name = "Joint-stock company \\"Demo Insurance\\" (fictitious)"',
        'location_bank_details = "Almaty, Al-Farabi ave. 1; IBAN KZ00 0000 0000 0000 0000, BIC DEMOKZKA"',
        'registration = "No. 0000-1900-AO of 01.02.2003"',
        'license = "No. 2.1.00 of 15.03.2019"',
        'actuary_name = "Aktuarova Aigerim (fictitious)"',
        'actuary_residence = "Almaty"',
        'actuary_license = "No. 0.0.00 of 01.06.2018"',
        'signer = "Aktuarova Aigerim"',
        'signed_date = "2027-04-20"',
        'place = "Almaty"',
        "copies = 3",
    ]
    return "\n".join(lines) + "\n"


def write_demo_statutory_inputs(folder: Path, seed: int = 2026, scale: float = 1.0) -> Path:
    """Write the demo statutory close's inputs into ``folder`` and return the configuration's path."""
    folder.mkdir(parents=True, exist_ok=True)
    insurer = generate_insurer(seed, valuation=VALUATION, scale=scale, classes=CLASSES)
    insurer.transactions.write_csv(folder / "claims.csv")
    demo_contracts(insurer, seed).write_csv(folder / "contracts.csv")
    insurer.ulae.rename({"paid_ulae": "paid_expenses"}).write_csv(folder / "settlement-expenses.csv")
    pl.DataFrame([{"class": k, "share": s, "treaty": t} for k, (s, t) in REINSURANCE.items()]).write_csv(
        folder / "reinsurance.csv")
    demo_beneficiaries(seed).write_csv(folder / "osns-beneficiaries.csv")
    demo_life_policies(seed).write_csv(folder / "life-policies.csv")
    demo_assets(scale).write_csv(folder / "assets.csv")
    demo_own_funds(scale).write_csv(folder / "own-funds.csv")
    demo_products().write_csv(folder / "products.csv")
    config = folder / "statutory.toml"
    config.write_text(demo_config(insurer, scale), encoding="utf-8")
    return config
