"""The configuration of a Kazakhstan statutory close (``aktuar statutory close CONFIG``): a TOML file, validated
here.

Every file named in the configuration is relative to the configuration file's folder. An error names the
configuration file and the key (``class[2].apriori_loss_ratio``) and says what to write instead. The format is
documented in docs/statutory-close.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aktuar.core.statutory.additional import JudgementItem
from aktuar.services.config_files import ConfigReader, read_toml

IBNR_METHODS = ("chainladder", "bf")
OPINION_TEXT_KEYS = (
    "purpose", "full_name", "location_bank_details", "registration", "license", "actuary_name",
    "actuary_residence", "actuary_license", "obligation", "industry", "purpose_kind", "scale", "documents",
    "materials", "methodology", "statistical_data", "reinsurance_methods", "ibnr_rationale", "osns_justification",
    "life_table_note", "settlement_expenses_note", "additional_risks", "additional_risks_increase", "assistance",
    "results_conclusions", "recommendations", "preparation_terms", "place", "signer", "signed_date", "copies",
    "copy_holders",
)


@dataclass(frozen=True)
class ClassSpec:
    """One class of insurance: its name in the files (the contracts' ``portfolio``, the claims' ``class``) and
    the actuary's reserving choices."""

    name: str
    solvency_code: str
    ibnr_method: str = "chainladder"
    apriori_loss_ratio: float | None = None
    major_loss_threshold: float | None = None
    rationale: str = ""
    expected_loss_ratio: float | None = None
    urr_expense_ratio: float = 0.0
    settlement_expense_ratio: float | None = None
    pool_share: float | None = None
    pool_insurers: int | None = None
    related_party_premium: float = 0.0
    non_performance: bool = False


@dataclass(frozen=True)
class OSNSSpec:
    """Predicted payments of compulsory employee accident insurance (item 8(6))."""

    beneficiaries: Path
    class_name: str = "OSNS"
    discount_rate: float = 0.0
    indexation: float = 0.0
    p_extend: float = 1.0
    ratio_if_changed: float = 0.0
    interval_years: float = 1.0
    table: Path | None = None
    table_name: str = ""
    table_source: str = ""


@dataclass(frozen=True)
class LifeSpec:
    """Net premium reserves of a life book (item 8(7)); ``table``: a CSV of (age, qx) or None for the pack's
    illustrative table."""

    policies: Path
    interest: float
    class_name: str = "Life"
    table: Path | None = None
    table_name: str = ""
    table_source: str = ""
    reinsurance_share: float = 0.0
    previous_gross_reserves: float = 0.0
    previous_net_reserves: float = 0.0


@dataclass(frozen=True)
class ReinsurerSpec:
    class_name: str
    pd: float
    lgd: float = 0.5
    reinsurer: str = ""


@dataclass(frozen=True)
class AdditionalRisksSpec:
    """Which additional risks (item 8(9)) the actuary assesses and with which parameters
    (aktuar.core.statutory.additional)."""

    runoff_deficiency: bool = True
    runoff_materiality: float = 0.0
    uncertainty_confidence: float | None = None
    excess_inflation: float | None = None
    reinsurers: tuple[ReinsurerSpec, ...] = ()
    judgement: tuple[JudgementItem, ...] = ()


@dataclass(frozen=True)
class StatutoryConfig:
    source: Path
    entity: str
    currency: str
    valuation_date: date
    pack: str | None
    pack_overrides: dict[str, Any]
    pack_override_reason: str
    contracts: Path
    claims: Path
    reinsurance: Path | None
    settlement_expenses: Path | None
    expense_years: int
    classes: tuple[ClassSpec, ...]
    osns: OSNSSpec | None
    life: LifeSpec | None
    assets: Path | None
    total_assets: float
    reinsurance_assets: float
    what_if_notches: int
    own_funds: Path | None
    products: Path | None
    opinion: dict[str, Any] = field(default_factory=dict)
    opinion_text_file: Path | None = None
    additional_risks: AdditionalRisksSpec = field(default_factory=AdditionalRisksSpec)

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)

    def spec(self, name: str) -> ClassSpec:
        for c in self.classes:
            if c.name == name:
                return c
        raise KeyError(name)


def _optional_file(r: ConfigReader, table: dict[str, Any], key: str, where: str) -> Path | None:
    return r.file(table, key, where) if key in table else None


def _opinion_table(r: ConfigReader, raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise r.error(where, f"'{where}' must be a table of texts ([opinion])")
    r.check_keys(raw, where, set(OPINION_TEXT_KEYS) | {"text_file"})
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k == "text_file":
            continue
        full = f"{where}.{k}"
        if k == "copies":
            if isinstance(v, bool) or not isinstance(v, int):
                raise r.error(full, f"'{full}' must be a whole number of copies, not {v!r}")
        elif k == "additional_risks_increase":
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise r.error(full, f"'{full}' must be an amount ≥ 0 (the increase of the reserves), not {v!r}")
            v = float(v)
        elif k == "signed_date":
            v = r.date(v, full).isoformat()
        elif k in ("documents", "copy_holders"):
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise r.error(full, f"'{full}' must be a list of texts")
        elif not isinstance(v, str):
            raise r.error(full, f"'{full}' must be a text (in quotes), not {v!r}")
        out[k] = v
    return out


def load_opinion_text(path: str | Path) -> dict[str, Any]:
    """The actuary's editable texts of the opinion: a TOML file with an ``[opinion]`` table (the file written
    next to the results as ``opinion-text-<date>.toml``)."""
    p, raw = read_toml(path, "opinion text")
    r = ConfigReader(p)
    r.check_keys(raw, "", {"opinion"})
    return _opinion_table(r, raw.get("opinion", {}), "opinion")


def load_config(path: str | Path) -> StatutoryConfig:
    """Read and validate a statutory close configuration (TOML)."""
    p, raw = read_toml(path)
    r = ConfigReader(p)
    r.check_keys(raw, "", {"entity", "currency", "valuation_date", "pack", "pack_overrides", "pack_override_reason",
                           "files", "expense_years", "class", "osns", "life", "assets", "opinion",
                           "additional_risks"})
    entity = r.take(raw, "entity", "", str)
    currency = r.currency(raw)
    if "valuation_date" not in raw:
        raise r.error("valuation_date", "the key 'valuation_date' is missing: add e.g. valuation_date = \"2026-12-31\"")
    valuation = r.date(raw["valuation_date"], "valuation_date")
    pack = r.take(raw, "pack", "", str, None)
    overrides = r.take(raw, "pack_overrides", "", dict, {})
    reason = r.take(raw, "pack_override_reason", "", str, "")
    if overrides and not reason.strip():
        raise r.error("pack_override_reason", "pack_overrides need a pack_override_reason (the document and "
                                              "paragraph the values come from)")

    files = r.take(raw, "files", "", dict)
    r.check_keys(files, "files", {"contracts", "claims", "reinsurance", "settlement_expenses", "assets", "own_funds",
                                  "products"})
    contracts = r.file(files, "contracts", "files")
    claims = r.file(files, "claims", "files")
    expense_years = int(r.number(raw, "expense_years", "", 3.0, low=1, high=20))

    classes: list[ClassSpec] = []
    tables = r.take(raw, "class", "", list)
    if not tables:
        raise r.error("class", "give at least one [[class]] of insurance")
    names: set[str] = set()
    for i, t in enumerate(tables, start=1):
        w = f"class[{i}]"
        if not isinstance(t, dict):
            raise r.error(w, "each class of insurance is a [[class]] table")
        r.check_keys(t, w, {"name", "solvency_code", "ibnr_method", "apriori_loss_ratio", "major_loss_threshold",
                            "rationale", "expected_loss_ratio", "urr_expense_ratio", "settlement_expense_ratio",
                            "pool_share", "pool_insurers", "related_party_premium", "non_performance"})
        name = r.take(t, "name", w, str)
        if not name.strip() or name in names:
            raise r.error(f"{w}.name", f"class name '{name}' is blank or used twice: give each a unique name")
        names.add(name)
        method = r.take(t, "ibnr_method", w, str, "chainladder")
        if method not in IBNR_METHODS:
            raise r.error(f"{w}.ibnr_method", f"unknown IBNR method '{method}': use chainladder or bf")
        apriori = r.number(t, "apriori_loss_ratio", w, None, low=0.0, high=10.0)
        if method == "bf" and apriori is None:
            raise r.error(f"{w}.apriori_loss_ratio", f"{w} uses Bornhuetter–Ferguson: give apriori_loss_ratio "
                                                     "(e.g. 0.65)")
        pool_insurers = r.take(t, "pool_insurers", w, int, None)
        if pool_insurers is not None and pool_insurers < 1:
            raise r.error(f"{w}.pool_insurers", "a pool has at least one insurer")
        classes.append(ClassSpec(
            name, r.take(t, "solvency_code", w, str, name), method, apriori,
            r.number(t, "major_loss_threshold", w, None, low=0.0), r.take(t, "rationale", w, str, ""),
            r.number(t, "expected_loss_ratio", w, None, low=0.0, high=10.0),
            r.number(t, "urr_expense_ratio", w, 0.0, low=0.0, high=2.0),
            r.number(t, "settlement_expense_ratio", w, None, low=0.0, high=2.0),
            r.number(t, "pool_share", w, None, low=0.0, high=1.0), pool_insurers,
            r.number(t, "related_party_premium", w, 0.0, low=0.0), r.take(t, "non_performance", w, bool, False),
        ))

    osns = None
    if "osns" in raw:
        o = r.take(raw, "osns", "", dict)
        r.check_keys(o, "osns", {"beneficiaries", "class", "discount_rate", "indexation", "p_extend",
                                 "ratio_if_changed", "interval_years", "table", "table_name", "table_source"})
        osns = OSNSSpec(r.file(o, "beneficiaries", "osns"), r.take(o, "class", "osns", str, "OSNS"),
                        r.number(o, "discount_rate", "osns", 0.0, low=-0.5, high=1.0),
                        r.number(o, "indexation", "osns", 0.0, low=-0.5, high=1.0),
                        r.number(o, "p_extend", "osns", 1.0, low=0.0, high=1.0),
                        r.number(o, "ratio_if_changed", "osns", 0.0, low=0.0, high=10.0),
                        r.number(o, "interval_years", "osns", 1.0, low=0.01, high=50.0),
                        _optional_file(r, o, "table", "osns"), r.take(o, "table_name", "osns", str, ""),
                        r.take(o, "table_source", "osns", str, ""))
    life = None
    if "life" in raw:
        lf = r.take(raw, "life", "", dict)
        r.check_keys(lf, "life", {"policies", "interest", "class", "table", "table_name", "table_source",
                                  "reinsurance_share", "previous_gross_reserves", "previous_net_reserves"})
        prev_g = r.number(lf, "previous_gross_reserves", "life", 0.0, low=0.0)
        prev_n = r.number(lf, "previous_net_reserves", "life", 0.0, low=0.0)
        if prev_n > prev_g:
            raise r.error("life.previous_net_reserves", "the net reserves cannot exceed the gross reserves")
        life = LifeSpec(r.file(lf, "policies", "life"), r.number(lf, "interest", "life", low=-0.5, high=1.0),
                        r.take(lf, "class", "life", str, "Life"), _optional_file(r, lf, "table", "life"),
                        r.take(lf, "table_name", "life", str, ""), r.take(lf, "table_source", "life", str, ""),
                        r.number(lf, "reinsurance_share", "life", 0.0, low=0.0, high=1.0), prev_g, prev_n)
    assets = r.take(raw, "assets", "", dict, {})
    r.check_keys(assets, "assets", {"total_assets", "reinsurance_assets", "what_if_notches"})
    total_assets = r.number(assets, "total_assets", "assets", 0.0, low=0.0)
    re_assets = r.number(assets, "reinsurance_assets", "assets", 0.0, low=0.0)
    if re_assets > total_assets:
        raise r.error("assets.reinsurance_assets", "the reinsurance assets cannot exceed the total assets")
    notches = r.take(assets, "what_if_notches", "assets", int, 1)
    if "assets" in files and total_assets <= 0:
        raise r.error("assets.total_assets", "give the total assets (balance sheet) for the 1 % cash cap of "
                                             "item 38 1)")
    additional = _additional_risks(r, raw, names)
    opinion_raw = r.take(raw, "opinion", "", dict, {})
    text_file = _optional_file(r, opinion_raw, "text_file", "opinion") if isinstance(opinion_raw, dict) else None
    opinion = _opinion_table(r, opinion_raw, "opinion")
    return StatutoryConfig(
        p.resolve(), entity, currency, valuation, pack, dict(overrides), reason, contracts, claims,
        _optional_file(r, files, "reinsurance", "files"), _optional_file(r, files, "settlement_expenses", "files"),
        expense_years, tuple(classes), osns, life, _optional_file(r, files, "assets", "files"), float(total_assets),
        float(re_assets), int(notches), _optional_file(r, files, "own_funds", "files"),
        _optional_file(r, files, "products", "files"), opinion, text_file, additional,
    )


def _additional_risks(r: ConfigReader, raw: dict[str, Any], classes: set[str]) -> AdditionalRisksSpec:
    """``[additional_risks]`` (item 8(9)); without it the run-off deficiency alone is assessed."""
    w = "additional_risks"
    a = r.take(raw, w, "", dict, {})
    r.check_keys(a, w, {"runoff_deficiency", "runoff_materiality", "uncertainty_confidence", "excess_inflation",
                        "reinsurer", "item"})
    conf = r.number(a, "uncertainty_confidence", w, None, low=0.5, high=0.9999)
    infl = r.number(a, "excess_inflation", w, None, low=-0.5, high=1.0)
    reinsurers: list[ReinsurerSpec] = []
    for i, t in enumerate(r.take(a, "reinsurer", w, list, []), start=1):
        ww = f"{w}.reinsurer[{i}]"
        if not isinstance(t, dict):
            raise r.error(ww, "each reinsurer exposure is an [[additional_risks.reinsurer]] table")
        r.check_keys(t, ww, {"class", "pd", "lgd", "reinsurer"})
        cls = r.take(t, "class", ww, str)
        if cls not in classes:
            raise r.error(f"{ww}.class", f"class '{cls}' is not a configured [[class]]")
        if "pd" not in t:
            raise r.error(f"{ww}.pd", f"give the reinsurer's one-year probability of default, e.g. {ww}.pd = 0.002")
        reinsurers.append(ReinsurerSpec(cls, r.number(t, "pd", ww, low=0.0, high=1.0),
                                        r.number(t, "lgd", ww, 0.5, low=0.0, high=1.0),
                                        r.take(t, "reinsurer", ww, str, "")))
    items: list[JudgementItem] = []
    for i, t in enumerate(r.take(a, "item", w, list, []), start=1):
        ww = f"{w}.item[{i}]"
        if not isinstance(t, dict):
            raise r.error(ww, "each risk by the actuary's judgement is an [[additional_risks.item]] table")
        r.check_keys(t, ww, {"title", "amount", "reason", "class"})
        title = r.take(t, "title", ww, str)
        reason = r.take(t, "reason", ww, str, "")
        if not title.strip() or not reason.strip():
            raise r.error(f"{ww}.reason", "give the risk a title and the reason for its amount")
        if "amount" not in t:
            raise r.error(f"{ww}.amount", "give the increase of the reserves for this risk (an amount ≥ 0)")
        cls = r.take(t, "class", ww, str, None)
        if cls is not None and cls not in classes:
            raise r.error(f"{ww}.class", f"class '{cls}' is not a configured [[class]]")
        items.append(JudgementItem(title, r.number(t, "amount", ww, low=0.0), reason, cls))
    return AdditionalRisksSpec(r.take(a, "runoff_deficiency", w, bool, True),
                               r.number(a, "runoff_materiality", w, 0.0, low=0.0, high=10.0), conf, infl,
                               tuple(reinsurers), tuple(items))
