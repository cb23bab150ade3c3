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
        "# item 8(9): the additional risks assessed (aktuar.core.statutory.additional)",
        "[additional_risks]",
        "runoff_deficiency = true",
        "runoff_materiality = 0.05",
        "excess_inflation = 0.02",
        "",
        "[[additional_risks.reinsurer]]",
        'class = "Property"',
        'reinsurer = "Demo Re (fictitious, rated A)"',
        "pd = 0.001",
        "lgd = 0.5",
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


# ------------------------------------------------------------------ the opinions on a major transaction and of
# ------------------------------------------------------------------ the independent actuary (KZ191-MT, KZ191-IND)
def demo_transaction_objects(scale: float = 1.0) -> pl.DataFrame:
    """Three warehouses of one policyholder under one property contract (a major transaction): per object the sum
    insured, the tariff (a rate), the premium and the deductible. WH-3 is large enough that the proposed 40 %
    cession leaves a retention above the demo insurer's limit of 10 % of own funds (the opinion recommends a
    larger cession); WH-1 and WH-2 fit."""
    m = 1e6 * scale
    rows = [("WH-1", "Warehouse, Almaty, Raiymbek ave. 10", 300 * m, 0.0025, 0.5 * m),
            ("WH-2", "Warehouse, Astana, industrial park 2", 350 * m, 0.0025, 0.5 * m),
            ("WH-3", "Logistics centre, Shymkent", 900 * m, 0.0030, 1.0 * m)]
    return pl.DataFrame([{"object_id": i, "description": d, "sum_insured": round(si, 2), "tariff": t,
                          "premium": round(si * t, 2), "deductible": round(ded, 2)} for i, d, si, t, ded in rows])


def demo_transaction_config(results: str) -> str:
    return "\n".join([
        "# Actuarial opinion on a major transaction (aktuar statutory transaction transaction.toml --out DIR)",
        'id = "MT-2027-001"',
        'opinion_date = "2027-02-10"',
        f'statutory_results = "{results}"',
        'objects = "transaction-objects.csv"',
        'data_provided = ["Draft property insurance contract No. P-2027/015 with appendices (list of objects)", '
        '"Policyholder\'s application and risk survey reports of 20.01.2027", '
        '"Facultative reinsurance slip of 05.02.2027", "Loss history of the policyholder for 2022–2026"]',
        'materials = ["Insurer\'s property tariff guide (approved 01.03.2026)", '
        '"Statutory close results 31.12.2026 (own funds, solvency margin)"]',
        "",
        "[insurer]",
        'full_name = "Joint-stock company \\"Demo Insurance\\" (fictitious)"',
        'location_bank_details = "Almaty, Al-Farabi ave. 1; IBAN KZ00 0000 0000 0000 0000, BIC DEMOKZKA"',
        'registration = "No. 0000-1900-AO of 01.02.2003"',
        'license = "No. 2.1.00 of 15.03.2019"',
        "",
        "[actuary]",
        'name = "Aktuarova Aigerim (fictitious)"',
        'license = "No. 0.0.00 of 01.06.2018"',
        "",
        "[contract]",
        'policyholder = "LLP \\"Demo Logistics\\" (fictitious)"',
        'risks = "fire, lightning, explosion, natural disasters, water damage, theft with burglary"',
        'exclusions = "war and terrorism, nuclear risks, wear and tear, intentional acts of the policyholder"',
        'class = "Property"',
        'object = "warehouses and a logistics centre with their equipment (3 objects)"',
        'start = "2027-03-01"',
        'end = "2028-02-29"',
        'tariff_basis = "increased"',
        "base_tariff = 0.0022",
        'tariff_justification = "base tariff 0.22 % of the tariff guide; increase for the storage of flammable '
        'goods per the risk survey (WH-3 +36 %, WH-1 and WH-2 +14 %)"',
        "expected_loss_ratio = 0.55",
        "expense_ratio = 0.12",
        "commission_rate = 0.10",
        'commission_recipient = "insurance broker LLP \\"Demo Broker\\" (fictitious)"',
        'deductible = "per insured event, per object as listed"',
        "",
        "[[reinsurance.placement]]",
        'reinsurer = "Demo Re AG (fictitious)"',
        "share = 0.30",
        'rating = "A+ (S&P)"',
        'kind = "facultative"',
        "",
        "[[reinsurance.placement]]",
        'reinsurer = "Demo Property Treaty (QS-2026/1)"',
        "share = 0.10",
        'rating = "A (AM Best)"',
        'kind = "quota share treaty"',
        "",
        "[capacity]",
        "max_retention_share = 0.10",
        "",
        "[opinion]",
        'additional_recommendations = "Re-survey WH-3 after the sprinkler upgrade and review the tariff at renewal."',
        'signer = "Aktuarova Aigerim"',
        'signed_date = "2027-02-10"',
        'place = "Almaty"',
        "copies = 3",
    ]) + "\n"


def independent_statutory_config(inhouse_config: str) -> str:
    """The independent actuary's own close: the same data, their assumptions — chain ladder for Property (instead
    of Bornhuetter–Ferguson), an OSNS discount rate of 8 % (instead of 10 %) and a 20 % expense ratio in the
    unexpired risk test."""
    text = inhouse_config.replace('ibnr_method = "bf"', 'ibnr_method = "chainladder"')
    text = text.replace("discount_rate = 0.10", "discount_rate = 0.08")
    text = text.replace("urr_expense_ratio = 0.15", "urr_expense_ratio = 0.20")
    text = text.replace("runoff_materiality = 0.05", "runoff_materiality = 0.0\nuncertainty_confidence = 0.75")
    text = text.split("\n[opinion]\n")[0] + "\n"
    return text.replace("# Statutory close of the demo insurer", "# The independent actuary's own statutory close "
                                                                  "of the demo insurer", 1)


def demo_independent_config(results: str, inhouse_text: str, own_config: str) -> str:
    return "\n".join([
        "# Independent actuary's verification (aktuar statutory independent independent.toml --out DIR)",
        'organization = "Demo Insurance JSC"',
        "reporting_year = 2026",
        'verification = "mandatory"',
        'verification_start = "2027-03-01"',
        'verification_end = "2027-04-15"',
        f'inhouse_results = "{results}"',
        f'inhouse_text = "{inhouse_text}"',
        f'statutory_config = "{own_config}"',
        "materiality = 0.05",
        "materiality_amount = 1000000.0",
        'text_file = "independent-text.toml"',
        "",
        "[independent]",
        'full_name = "Nezavisimov Bolat (fictitious)"',
        'residence = "Astana"',
        'license_number = "No. 0.0.07"',
        'license_date = "2014-05-20"',
        'license_issuer = "ARDFM"',
        'iaa_member_body = "Society of Actuaries of Kazakhstan (fictitious membership)"',
        'employment = [{organization = "Other Insurance JSC", from = "2008-01-01", to = "2019-12-31"}]',
        'affiliations = [{name = "Nezavisimova Dana", kind = "individual", grounds = "spouse", '
        'birth_date = "1985-03-01", note = "no relation to the insurer"}, {name = "Actuarial Services LLP", '
        'kind = "legal_entity", grounds = "founder (100 %)", since = "2016-02-01", '
        'registration = "BIN 000000000000, Astana"}]',
        'activities = [{year = 2026, service = "independent actuary\'s opinion (mandatory verification)", '
        'organization = "Third Insurance JSC", basis = "agreement No. 12 of 10.01.2026", '
        'subject = "insurance reserves as of 01.01.2026"}, {year = 2026, service = "major transaction opinion", '
        'organization = "Fourth Insurance JSC", basis = "agreement No. 31 of 02.06.2026", '
        'subject = "a property contract"}]',
        "",
        "[inhouse]",
        'full_name = "Aktuarova Aigerim (fictitious)"',
        'license_number = "No. 0.0.00"',
        'license_date = "2018-06-01"',
        'license_issuer = "ARDFM"',
        "",
        "# earlier verifications (the 5-consecutive-years and cross-verification rules look at them)",
        "[[engagement]]",
        'organization = "Demo Insurance JSC"',
        "year = 2024",
        'independent = "Nezavisimov Bolat (fictitious)"',
        'inhouse = "Aktuarova Aigerim (fictitious)"',
        "",
        "[[engagement]]",
        'organization = "Demo Insurance JSC"',
        "year = 2025",
        'independent = "Nezavisimov Bolat (fictitious)"',
        'inhouse = "Aktuarova Aigerim (fictitious)"',
        "",
        "[opinion]",
        'customer = "Joint-stock company \\"Demo Insurance\\" (fictitious), the Board"',
        'agreement = "agreement No. IA-2027/03 of 20.02.2027"',
        'signer = "Nezavisimov Bolat"',
        'signed_date = "2027-04-20"',
        'submitted_date = "2027-04-22"',
        'place = "Astana"',
        "copies = 3",
    ]) + "\n"


DEMO_INDEPENDENT_TEXT = """# The independent actuary's words (KZ191-IND form items 11–14); "" = the generated text.
[opinion]
purpose = ""
subject = ""
methodology = ""
additional_risks = "The additional risks were assessed on my own calculation, as the table shows."
assistance = "No specialists were involved."
compliance = ""
assumptions = ""
inhouse_additional_risks = ""
recommendations = ""
results_conclusions = ""
"""


def write_demo_opinion_inputs(folder: Path, results_json: Path, inhouse_text: Path, scale: float = 1.0
                              ) -> tuple[Path, Path]:
    """The inputs of the two opinions next to the demo close's inputs in ``folder`` (written by
    :func:`write_demo_statutory_inputs`): ``transaction.toml`` + ``transaction-objects.csv`` and
    ``independent.toml`` + ``statutory-independent.toml`` + ``independent-text.toml``. Returns the two
    configurations' paths."""
    import os

    res = Path(os.path.relpath(results_json, folder)).as_posix()
    txt = Path(os.path.relpath(inhouse_text, folder)).as_posix()
    demo_transaction_objects(scale).write_csv(folder / "transaction-objects.csv")
    (folder / "transaction.toml").write_text(demo_transaction_config(res), encoding="utf-8")
    own = independent_statutory_config((folder / "statutory.toml").read_text(encoding="utf-8"))
    (folder / "statutory-independent.toml").write_text(own, encoding="utf-8")
    (folder / "independent-text.toml").write_text(DEMO_INDEPENDENT_TEXT, encoding="utf-8")
    (folder / "independent.toml").write_text(demo_independent_config(res, txt, "statutory-independent.toml"),
                                             encoding="utf-8")
    return folder / "transaction.toml", folder / "independent.toml"
