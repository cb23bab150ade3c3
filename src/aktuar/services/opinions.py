"""The actuarial opinion on a major transaction (KZ191-MT) and the independent actuary's opinion (KZ191-IND):
configuration, checks, comparison, deadlines and the filed files (docs/statutory-close.md).

Major transaction (NB RK Resolution No. 191, Appendix 3 §4–5 and the form of Appendix 2 to the Requirements):

    transaction.toml (+ objects.csv) ─► contract data per insured object (form item 5; per object for 5(5), 5(6),
        5(7), 5(9) unless collective / group personal insurance: the note to item 5)
      ─► statutory close results (``aktuar-statutory/1``): own funds, actual and minimum solvency margin
      ─► checks, each citing its paragraph: premium = tariff × sum insured per object; the declared tariff type
         (standard / increased / reduced) against the product's base tariff; the tariff's sufficiency
         (expected loss ratio + commission + expenses ≤ 100 %); the reinsurance placement (shares ≤ 100 %); the
         retention per object against the insurer's limit on own funds; the solvency ratio pro forma
      ─► recommendations (the actuary's words, or generated from the failed checks: form item 6)
      ─► PDF + DOCX (ru, en) and ≥ 2 numbered copies (App. 3 §5; default 3) with a JSON register.

Modelling choices (documented in the opinion): the per-risk retention limit of the prudential normatives
(NB Resolution No. 304) is not in our texts, so it is the configuration's ``capacity.max_retention_share`` of the
insurer's own funds (default 10 %); the pro-forma minimum margin adds the pack's premium-index rate
(``solvency.premium_index_rate``) times the retained premium to the close's minimum margin, compared with the
pack's ``solvency.min_ratio`` — an indication, not the full prudential recalculation.

Independent actuary (Appendix 5, its Appendix 1 forms 1–2 and the Appendix 2 form):

    independent.toml ─► eligibility before engagement: the actuaries' registry entries go through
        :func:`aktuar.services.actuaries.check_engagement` (the platform database, or a throw-away registry
        built from the configuration): ≤ 5 consecutive years (§5), affiliation / relative (§6(1)),
        cross-verification within 1 year (§6(2)), employment within 2 years (§6(3)); a refusal names each rule
        and nothing is written
      ─► the independent actuary's own statutory close (their configuration and assumptions) ─► comparison with
        the in-house results by class and reserve (gross, reinsurer's share, net; difference, %, material when
        |difference| > materiality × |in-house| and > the absolute floor; materiality from the configuration or
        the pack's ``independent_actuary.materiality``)
      ─► opinion on adequacy per class and for the portfolio (item 12(2)); the assessment of the in-house opinion
        (item 13: compliance, assumptions, additional risks — the actuary's words from the editable text file,
        generated defaults otherwise)
      ─► deadlines: submitted within 10 calendar days after the end of the verification (§10), for a mandatory
        verification no later than 30 April of the year after the reporting year (§11)
      ─► PDF + DOCX (ru, en), ≥ 3 numbered copies (§8) with a JSON register, forms 1 and 2 (PDF + DOCX).

Everything is measured and rendered first; files are written (atomically) only when everything succeeded.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aktuar.errors import InputError
from aktuar.services.config_files import ConfigReader, read_toml

MT_SCHEMA = "aktuar-opinion-mt/1"
IND_SCHEMA = "aktuar-opinion-ind/1"
TARIFF_BASES = ("standard", "increased", "reduced")
VERIFICATION_TYPES = ("mandatory", "initiative")
RESERVE_TYPES = ("upr", "rbns", "ibnr", "urr", "annuities", "life", "total")
PREMIUM_TOLERANCE = 0.005  # premium vs tariff × sum insured: relative tolerance (rounding of tariffs)
DEFAULT_RETENTION_SHARE = 0.10
DEFAULT_COPIES = 3
SUBMISSION_DAYS = 10

__all__ = [
    "IND_SCHEMA", "MT_SCHEMA", "EngagementRefused", "IndependentConfig", "InsuredObject", "OpinionRun",
    "Placement", "Transaction", "compare_reserves", "independent_deadline", "load_independent", "load_transaction",
    "measure_independent", "measure_transaction", "run_independent_opinion", "run_transaction_opinion",
]


# ------------------------------------------------------------------------------------------------ shared
@dataclass(frozen=True)
class OpinionRun:
    """A written opinion: its JSON document and the files by name."""

    document: dict[str, Any]
    files: dict[str, Path]


def _texts(r: ConfigReader, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    v = table.get(key, [])
    full = f"{where}.{key}" if where else key
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise r.error(full, f"'{full}' must be a list of texts")
    return tuple(x for x in v if x.strip())


def _words(r: ConfigReader, raw: Any, where: str, allowed: Sequence[str]) -> dict[str, Any]:
    """A table of the actuary's words (texts), ``copies`` (whole number), ``signed_date`` (a date) and
    ``copy_holders`` (texts)."""
    if not isinstance(raw, dict):
        raise r.error(where, f"'{where}' must be a table of texts")
    r.check_keys(raw, where, set(allowed))
    out: dict[str, Any] = {}
    for k, v in raw.items():
        full = f"{where}.{k}"
        if k == "copies":
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise r.error(full, f"'{full}' must be a whole number of copies, not {v!r}")
        elif k in ("signed_date", "submitted_date"):
            v = r.date(v, full).isoformat()
        elif k in ("copy_holders", "documents"):
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise r.error(full, f"'{full}' must be a list of texts")
        elif k == "additional_risks_increase":
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise r.error(full, f"'{full}' must be an amount ≥ 0, not {v!r}")
            v = float(v)
        elif k == "copies_language":
            if v not in ("ru", "en"):
                raise r.error(full, f"'{full}' = {v!r}: use ru or en")
        elif not isinstance(v, str):
            raise r.error(full, f"'{full}' must be a text (in quotes), not {v!r}")
        out[k] = v
    return out


def _load_statutory_document(r: ConfigReader, table: dict[str, Any], key: str, where: str = "") -> tuple[Path,
                                                                                                      dict[str, Any]]:
    p = r.file(table, key, where)
    full = f"{where}.{key}" if where else key
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise r.error(full, f"the results named by '{full}' are not readable JSON ({exc}): give "
                            "statutory-<date>.json written by 'aktuar statutory close'") from None
    if not isinstance(doc, dict) or doc.get("schema") != "aktuar-statutory/1":
        raise r.error(full, f"'{p.name}' is not a statutory close document (schema aktuar-statutory/1): give "
                            "statutory-<date>.json written by 'aktuar statutory close'")
    return p, doc


def _pack_named(name: str | None, on: _dt.date) -> Any:
    from aktuar.core.statutory import builtin_packs, pack_for

    if name:
        for p in builtin_packs():
            if p.name == name:
                return p
    return pack_for(on)


def _optional_param(pack: Any, key: str) -> Any:
    return pack.parameters[key].value if key in pack.parameters else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _holders(words: Mapping[str, Any], copies: int, lang: str, kind: str) -> list[str]:
    defaults = {
        "mt": {"ru": ["лицензированный актуарий", "страховая организация"],
               "en": ["the licensed actuary", "the insurance organization"]},
        "ind": {"ru": ["независимый актуарий", "уполномоченный орган (АРРФР)", "страховая организация"],
                "en": ["the independent actuary", "the authorized body (ARDFM)", "the insurance organization"]},
    }[kind][lang]
    given = list(words.get("copy_holders") or [])
    fill = defaults + [defaults[-1]] * max(0, copies - len(defaults))
    return (given + fill[len(given):])[:copies]


def _write_all(out_dir: str | Path, payloads: Mapping[str, bytes]) -> dict[str, Path]:
    from aktuar.fsutil import atomic_write

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file: give a folder for the results")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name, data in payloads.items():
        def write(fh: Any, data: bytes = data) -> None:
            fh.write(data)

        atomic_write(out / name, write, binary=True)
        files[name] = out / name
    return files


def _copies_payloads(stem: str, model: dict[str, Any], holders: list[str], lang: str, signer: str,
                     signed: str | None, kind: str, schema: str, extra: Mapping[str, Any]) -> dict[str, bytes]:
    """``<stem>-copy-<k>-of-<N>.pdf`` for every copy and the register ``<stem>-copies.json``."""
    from aktuar.reports.opinion import copy_mark, numbered_copies

    n = len(holders)
    pdfs = numbered_copies(model, holders, lang)
    out: dict[str, bytes] = {}
    register = []
    for k, (holder, pdf) in enumerate(zip(holders, pdfs, strict=True), start=1):
        name = f"{stem}-copy-{k}-of-{n}.pdf"
        out[name] = pdf
        register.append({"copy": k, "of": n, "holder": holder, "mark": copy_mark(k, n, holder, lang),
                         "file": name, "sha256": _sha256(pdf), "language": lang, "signer": signer,
                         "signed_date": signed})
    doc = {"schema": "aktuar-opinion-copies/1", "opinion": kind, "opinion_schema": schema, "copies": n,
           "signer": signer, "signed_date": signed, **extra, "register": register}
    out[f"{stem}-copies.json"] = (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return out


# ====================================================================================== major transaction
@dataclass(frozen=True)
class InsuredObject:
    """One object of insurance (form item 5: 5), 6), 7), 9) per object). ``tariff`` is a rate on the sum
    insured; ``row`` is the CSV row (None for a [[object]] table)."""

    object_id: str
    description: str
    sum_insured: float
    tariff: float
    premium: float
    deductible: float
    reinsurance_share: float | None = None
    row: int | None = None


@dataclass(frozen=True)
class Placement:
    """One reinsurer's share in the transaction (facultative or under a treaty)."""

    reinsurer: str
    share: float
    rating: str = ""
    kind: str = "facultative"


MT_WORDS = ("recommendations", "additional_recommendations", "signer", "signed_date", "place", "copies",
            "copy_holders", "copies_language")


@dataclass(frozen=True)
class Transaction:
    source: Path
    transaction_id: str
    opinion_date: _dt.date
    statutory_results: Path
    statutory: dict[str, Any]
    insurer: dict[str, str]
    actuary: dict[str, str]
    data_provided: tuple[str, ...]
    materials: tuple[str, ...]
    policyholder: str
    risks: str
    exclusions: str
    class_name: str
    insured_object: str
    collective: bool
    start: _dt.date
    end: _dt.date
    cover_start: _dt.date
    cover_end: _dt.date
    currency: str
    tariff_basis: str
    base_tariff: float | None
    tariff_justification: str
    expected_loss_ratio: float | None
    expense_ratio: float
    commission_rate: float
    commission_recipient: str
    deductible_terms: str
    objects: tuple[InsuredObject, ...]
    placements: tuple[Placement, ...]
    max_retention_share: float
    words: dict[str, Any] = field(default_factory=dict)
    objects_file: Path | None = None


def _read_objects(path: Path) -> tuple[InsuredObject, ...]:
    from aktuar.data.readers import number_column, read_table, resolve_columns, text_column

    t = read_table(path)
    cols = resolve_columns(t, {"object_id": "object_id", "description": "description", "sum_insured": "sum_insured",
                               "tariff": "tariff", "premium": "premium", "deductible": "deductible",
                               "reinsurance_share": "reinsurance_share"},
                           required=("object_id", "sum_insured", "tariff", "premium"),
                           purpose="of the insured objects (object_id, sum_insured, tariff, premium)")
    if t.height == 0:
        raise InputError("the objects file has no rows: give one row per insured object", file=t.file)
    ids = text_column(t, str(cols["object_id"])).to_list()
    desc = (text_column(t, str(cols["description"]), allow_blank=True).to_list() if cols["description"]
            else [""] * t.height)
    si = number_column(t, str(cols["sum_insured"]), what="a sum insured")
    tariff = number_column(t, str(cols["tariff"]), what="a tariff rate")
    prem = number_column(t, str(cols["premium"]), what="a premium")
    ded = (number_column(t, str(cols["deductible"]), allow_blank=True, what="a deductible") if cols["deductible"]
           else None)
    share = (number_column(t, str(cols["reinsurance_share"]), allow_blank=True, what="a share between 0 and 1")
             if cols["reinsurance_share"] else None)
    seen: set[str] = set()
    out = []
    for i in range(t.height):
        if ids[i] in seen:
            raise t.error(f"object '{ids[i]}' appears twice: give each object one row", index=i,
                          column=str(cols["object_id"]))
        seen.add(ids[i])
        for col, val, what in ((cols["sum_insured"], si[i], "the sum insured must be positive"),
                               (cols["tariff"], tariff[i], "the tariff must be a rate ≥ 0 (e.g. 0.0025)"),
                               (cols["premium"], prem[i], "the premium must be ≥ 0")):
            if val < 0 or (col == cols["sum_insured"] and val <= 0):
                raise t.error(f"{val:g}: {what}", index=i, column=str(col))
        if tariff[i] > 1:
            raise t.error(f"tariff {tariff[i]:g} is above 100 % of the sum insured: write the rate as a fraction "
                          "(0.0025 for 0.25 %)", index=i, column=str(cols["tariff"]))
        d = 0.0 if ded is None or math.isnan(ded[i]) else float(ded[i])
        if d < 0:
            raise t.error("the deductible must be ≥ 0", index=i, column=str(cols["deductible"]))
        s = None if share is None or math.isnan(share[i]) else float(share[i])
        if s is not None and not 0.0 <= s <= 1.0:
            raise t.error(f"{s:g}: the reinsurance share must be between 0 and 1", index=i,
                          column=str(cols["reinsurance_share"]))
        out.append(InsuredObject(ids[i], desc[i], float(si[i]), float(tariff[i]), float(prem[i]), d, s,
                                 t.row_of(i)))
    return tuple(out)


def load_transaction(path: str | Path) -> Transaction:
    """Read and validate a major-transaction configuration (TOML; objects inline or in a CSV/XLSX)."""
    p, raw = read_toml(path, "transaction configuration")
    r = ConfigReader(p)
    r.check_keys(raw, "", {"id", "opinion_date", "statutory_results", "objects", "object", "insurer", "actuary",
                           "data_provided", "materials", "contract", "reinsurance", "capacity", "opinion"})
    tid = r.take(raw, "id", "", str).strip()
    if not tid or any(c in tid for c in "/\\:*?\"<>| "):
        raise r.error("id", f"id {tid!r}: give a short identifier without spaces or / \\ : * ? \" < > | "
                            "(it names the files)")
    if "opinion_date" not in raw:
        raise r.error("opinion_date", "the key 'opinion_date' is missing: the date of the opinion, e.g. 2027-02-10")
    when = r.date(raw["opinion_date"], "opinion_date")
    res_path, statutory = _load_statutory_document(r, raw, "statutory_results")
    ins = r.take(raw, "insurer", "", dict)
    r.check_keys(ins, "insurer", {"full_name", "location_bank_details", "registration", "license"})
    insurer = {k: r.take(ins, k, "insurer", str, "") for k in ("full_name", "location_bank_details", "registration",
                                                                "license")}
    if not insurer["full_name"].strip():
        insurer["full_name"] = str(statutory.get("entity", ""))
    act = r.take(raw, "actuary", "", dict)
    r.check_keys(act, "actuary", {"name", "license"})
    actuary = {"name": r.take(act, "name", "actuary", str), "license": r.take(act, "license", "actuary", str)}
    if not actuary["name"].strip() or not actuary["license"].strip():
        raise r.error("actuary.name", "give the licensed actuary's name and license (form item 2)")

    c = r.take(raw, "contract", "", dict)
    r.check_keys(c, "contract", {"policyholder", "risks", "exclusions", "class", "object", "collective", "start",
                                 "end", "cover_start", "cover_end", "currency", "tariff_basis", "base_tariff",
                                 "tariff_justification", "expected_loss_ratio", "expense_ratio", "commission_rate",
                                 "commission_recipient", "deductible"})
    for k in ("policyholder", "risks", "class"):
        if not str(c.get(k, "")).strip():
            raise r.error(f"contract.{k}", f"the key 'contract.{k}' is missing or blank: form item 5 needs it")
    for k in ("start", "end"):
        if k not in c:
            raise r.error(f"contract.{k}", f"the key 'contract.{k}' is missing: the planned period (form item 5(4))")
    start, end = r.date(c["start"], "contract.start"), r.date(c["end"], "contract.end")
    if end < start:
        raise r.error("contract.end", "the contract ends before it starts")
    cs = r.date(c["cover_start"], "contract.cover_start") if "cover_start" in c else start
    ce = r.date(c["cover_end"], "contract.cover_end") if "cover_end" in c else end
    if ce < cs:
        raise r.error("contract.cover_end", "the insurance coverage ends before it starts")
    basis = r.take(c, "tariff_basis", "contract", str, "standard")
    if basis not in TARIFF_BASES:
        raise r.error("contract.tariff_basis", f"tariff_basis '{basis}': use standard, increased or reduced")
    currency = r.take(c, "currency", "contract", str, str(statutory.get("currency", "KZT")))

    if ("objects" in raw) == ("object" in raw):
        raise r.error("objects", "give the insured objects either as a file (objects = \"objects.csv\") or as "
                                 "[[object]] tables, one of the two")
    objects_file = None
    if "objects" in raw:
        objects_file = r.file(raw, "objects", "")
        objects = _read_objects(objects_file)
    else:
        rows = r.take(raw, "object", "", list)
        if not rows:
            raise r.error("object", "give at least one [[object]]")
        objs = []
        for i, o in enumerate(rows, start=1):
            w = f"object[{i}]"
            if not isinstance(o, dict):
                raise r.error(w, "each insured object is an [[object]] table")
            r.check_keys(o, w, {"object_id", "description", "sum_insured", "tariff", "premium", "deductible",
                                "reinsurance_share"})
            objs.append(InsuredObject(
                r.take(o, "object_id", w, str, f"{i}"), r.take(o, "description", w, str, ""),
                r.number(o, "sum_insured", w, low=1e-9), r.number(o, "tariff", w, low=0.0, high=1.0),
                r.number(o, "premium", w, low=0.0), r.number(o, "deductible", w, 0.0, low=0.0),
                r.number(o, "reinsurance_share", w, None, low=0.0, high=1.0)))
        if len({o.object_id for o in objs}) != len(objs):
            raise r.error("object", "two [[object]] tables have the same object_id")
        objects = tuple(objs)

    re_ = r.take(raw, "reinsurance", "", dict, {})
    r.check_keys(re_, "reinsurance", {"placement"})
    placements = []
    for i, pl_ in enumerate(r.take(re_, "placement", "reinsurance", list, []), start=1):
        w = f"reinsurance.placement[{i}]"
        if not isinstance(pl_, dict):
            raise r.error(w, "each reinsurer is a [[reinsurance.placement]] table")
        r.check_keys(pl_, w, {"reinsurer", "share", "rating", "kind"})
        placements.append(Placement(r.take(pl_, "reinsurer", w, str), r.number(pl_, "share", w, low=0.0, high=1.0),
                                    r.take(pl_, "rating", w, str, ""), r.take(pl_, "kind", w, str, "facultative")))
    cap = r.take(raw, "capacity", "", dict, {})
    r.check_keys(cap, "capacity", {"max_retention_share"})
    words = _words(r, r.take(raw, "opinion", "", dict, {}), "opinion", MT_WORDS)
    return Transaction(
        p.resolve(), tid, when, res_path, statutory, insurer, actuary, _texts(r, raw, "data_provided", ""),
        _texts(r, raw, "materials", ""), str(c["policyholder"]).strip(), str(c["risks"]).strip(),
        r.take(c, "exclusions", "contract", str, ""), str(c["class"]).strip(),
        r.take(c, "object", "contract", str, ""), r.take(c, "collective", "contract", bool, False), start, end, cs, ce,
        currency, basis, r.number(c, "base_tariff", "contract", None, low=0.0, high=1.0),
        r.take(c, "tariff_justification", "contract", str, ""),
        r.number(c, "expected_loss_ratio", "contract", None, low=0.0, high=10.0),
        r.number(c, "expense_ratio", "contract", 0.0, low=0.0, high=1.0),
        r.number(c, "commission_rate", "contract", 0.0, low=0.0, high=1.0),
        r.take(c, "commission_recipient", "contract", str, ""), r.take(c, "deductible", "contract", str, ""),
        objects, tuple(placements),
        r.number(cap, "max_retention_share", "capacity", DEFAULT_RETENTION_SHARE, low=1e-6, high=1.0),
        words, objects_file)


def _check(rule: str, paragraph: str, passed: bool, detail: str, obj: str = "") -> dict[str, Any]:
    return {"rule": rule, "paragraph": paragraph, "passed": bool(passed), "detail": detail, "object": obj}


def measure_transaction(tx: Transaction) -> dict[str, Any]:
    """The major-transaction document ``aktuar-opinion-mt/1``: objects with retention, the capacity and every
    check with its paragraph, the generated recommendations."""
    from aktuar import __version__

    pack = _pack_named(None, tx.opinion_date)
    min_copies = int(pack.number("opinion.major_transaction_min_copies"))
    copies = int(tx.words.get("copies") or max(DEFAULT_COPIES, min_copies))
    if copies < min_copies:
        raise InputError(f"the opinion on a major transaction is drawn up in at least {min_copies} copies "
                         f"(App. 3 §5): set opinion.copies ≥ {min_copies}", file=str(tx.source),
                         column="opinion.copies")
    treaty_share = sum(p.share for p in tx.placements)
    checks: list[dict[str, Any]] = []
    checks.append(_check("placement", "App. 3 §4 (recommendations on the contract); form App. 2 item 5(5)",
                         treaty_share <= 1.0 + 1e-12,
                         f"reinsurers' shares total {treaty_share:.2%} of the risk" + (
                             "" if treaty_share <= 1.0 + 1e-12 else ": more than 100 % is ceded")))
    sv = tx.statutory.get("solvency") or {}
    own_funds = sv.get("own_funds")
    actual = sv.get("actual_margin")
    base = float(own_funds if own_funds is not None else (actual or 0.0))
    limit = tx.max_retention_share * base
    objs: list[dict[str, Any]] = []
    ded_missing: list[str] = []
    for o in tx.objects:
        share = min(1.0, treaty_share) if o.reinsurance_share is None else o.reinsurance_share
        retained = o.sum_insured * (1.0 - share)
        expected = o.tariff * o.sum_insured
        ok_prem = abs(o.premium - expected) <= max(1.0, PREMIUM_TOLERANCE * expected)
        checks.append(_check("premium = tariff × sum insured", "form App. 2 item 5(5)–5(7)", ok_prem,
                             f"{o.premium:,.2f} vs {o.tariff:.6g} × {o.sum_insured:,.2f} = {expected:,.2f}",
                             o.object_id))
        fits = retained <= limit + 1e-6
        need = 0.0 if fits or o.sum_insured <= 0 else min(1.0, 1.0 - limit / o.sum_insured)
        checks.append(_check("retention within the capacity",
                             "prudential per-risk limit (NB Resolution No. 304, not in our texts): capacity."
                             f"max_retention_share = {tx.max_retention_share:.2%} of own funds", fits,
                             f"retention {retained:,.2f} vs limit {limit:,.2f}" + (
                                 "" if fits else f"; cede at least {need:.2%}"), o.object_id))
        if tx.base_tariff is not None and tx.base_tariff > 0:
            kind = ("increased" if o.tariff > tx.base_tariff * (1 + 1e-9) else
                    "reduced" if o.tariff < tx.base_tariff * (1 - 1e-9) else "standard")
            checks.append(_check("tariff type", "form App. 2 item 5(6) (standard, increased, reduced)",
                                 kind == tx.tariff_basis, f"tariff {o.tariff:.6g} vs base {tx.base_tariff:.6g}: "
                                                          f"{kind}; declared {tx.tariff_basis}", o.object_id))
        if o.deductible <= 0 and not tx.deductible_terms:
            ded_missing.append(o.object_id)
        objs.append({"object_id": o.object_id, "description": o.description, "sum_insured": o.sum_insured,
                     "tariff": o.tariff, "premium": o.premium, "expected_premium": expected,
                     "deductible": o.deductible, "reinsurance_share": share, "ceded": o.sum_insured * share,
                     "retained": retained, "retained_premium": o.premium * (1.0 - share), "required_cession": need,
                     "row": o.row})
    premium = sum(o["premium"] for o in objs)
    retained_premium = sum(o["retained_premium"] for o in objs)
    commission = premium * tx.commission_rate
    if tx.expected_loss_ratio is not None:
        combined = tx.expected_loss_ratio + tx.commission_rate + tx.expense_ratio
        checks.append(_check("tariff sufficient", "form App. 2 item 5(6)–5(8); App. 3 §4", combined <= 1.0 + 1e-12,
                             f"expected loss ratio {tx.expected_loss_ratio:.2%} + commission "
                             f"{tx.commission_rate:.2%} + expenses {tx.expense_ratio:.2%} = {combined:.2%}"))
    rate = float(pack.number("solvency.premium_index_rate"))
    min_ratio = float(pack.number("solvency.min_ratio"))
    mm = sv.get("minimum_margin")
    pro_forma = None
    if mm is not None and actual is not None:
        new_min = float(mm) + rate * retained_premium
        pro_forma = float(actual) / new_min if new_min > 0 else None
        ok = pro_forma is None or pro_forma >= min_ratio
        checks.append(_check("solvency after the transaction", f"{pack.cite('solvency.premium_index_rate')}; "
                                                               f"{pack.cite('solvency.min_ratio')}", ok,
                             f"minimum margin {float(mm):,.2f} + {rate:.0%} × retained premium "
                             f"{retained_premium:,.2f} = {new_min:,.2f}; ratio {float(actual):,.2f} / {new_min:,.2f} "
                             + (f"= {pro_forma:.3f}" if pro_forma is not None else "n/a") + f" (≥ {min_ratio:g})"))
    if base <= 0:
        checks.append(_check("own funds known", "capacity (statutory close results)", False,
                             "the close results have no own funds / actual margin: the capacity cannot be assessed"))
    several = len(objs) > 1 and not tx.collective
    recs = _mt_recommendations(tx, objs, checks, ded_missing)
    doc = {
        "schema": MT_SCHEMA, "aktuar_version": __version__, "id": tx.transaction_id,
        "opinion_date": tx.opinion_date.isoformat(), "currency": tx.currency,
        "pack": {"name": pack.name, "title": pack.title, "min_copies": min_copies,
                 "min_copies_citation": pack.cite("opinion.major_transaction_min_copies")},
        "insurer": tx.insurer, "actuary": tx.actuary, "data_provided": list(tx.data_provided),
        "materials": list(tx.materials),
        "input": {"configuration": {"file": tx.source.name, "sha256": _sha256(tx.source.read_bytes())},
                  "statutory results": {"file": tx.statutory_results.name,
                                        "sha256": _sha256(tx.statutory_results.read_bytes())},
                  **({"objects": {"file": tx.objects_file.name, "sha256": _sha256(tx.objects_file.read_bytes())}}
                     if tx.objects_file is not None else {})},
        "statutory": {"entity": tx.statutory.get("entity"), "valuation_date": tx.statutory.get("valuation_date"),
                      "pack": (tx.statutory.get("pack") or {}).get("name")},
        "contract": {"policyholder": tx.policyholder, "risks": tx.risks, "exclusions": tx.exclusions,
                     "class": tx.class_name, "object": tx.insured_object, "collective": tx.collective,
                     "start": tx.start.isoformat(), "end": tx.end.isoformat(), "cover_start": tx.cover_start.isoformat(),
                     "cover_end": tx.cover_end.isoformat(), "tariff_basis": tx.tariff_basis,
                     "base_tariff": tx.base_tariff, "tariff_justification": tx.tariff_justification,
                     "expected_loss_ratio": tx.expected_loss_ratio, "expense_ratio": tx.expense_ratio,
                     "commission_rate": tx.commission_rate, "commission": commission,
                     "commission_recipient": tx.commission_recipient, "deductible_terms": tx.deductible_terms,
                     "per_object": several},
        "objects": objs,
        "totals": {"sum_insured": sum(o["sum_insured"] for o in objs), "premium": premium,
                   "retained": sum(o["retained"] for o in objs), "ceded": sum(o["ceded"] for o in objs),
                   "retained_premium": retained_premium, "commission": commission},
        "reinsurance": {"placements": [{"reinsurer": p.reinsurer, "share": p.share, "rating": p.rating,
                                        "kind": p.kind} for p in tx.placements], "share": treaty_share},
        "capacity": {"own_funds": own_funds, "actual_margin": actual, "minimum_margin": mm,
                     "ratio": sv.get("ratio"), "max_retention_share": tx.max_retention_share, "limit": limit,
                     "pro_forma_ratio": pro_forma, "min_ratio": min_ratio, "premium_index_rate": rate},
        "checks": checks, "passed": all(c["passed"] for c in checks), "recommendations": recs,
        "words": tx.words, "copies": copies,
    }
    return doc


def _mt_recommendations(tx: Transaction, objs: list[dict[str, Any]], checks: list[dict[str, Any]],
                        ded_missing: list[str]) -> dict[str, list[str]]:
    """Generated recommendations (form item 6) in both languages, from the failed checks."""
    ru: list[str] = []
    en: list[str] = []
    failed = [c for c in checks if not c["passed"]]
    for o in objs:
        if o["required_cession"] > 0:
            ru.append(f"Объект {o['object_id']}: увеличить долю перестрахования не менее чем до "
                      f"{o['required_cession']:.1%}".replace(".", ",") + ", чтобы собственное удержание не превышало лимит.")
            en.append(f"Object {o['object_id']}: increase the reinsurance cession to at least "
                      f"{o['required_cession']:.1%} to keep the retention within the limit.")
    for c in failed:
        if c["rule"] == "premium = tariff × sum insured":
            ru.append(f"Объект {c['object']}: привести страховую премию в соответствие с тарифом ({c['detail']}).")
            en.append(f"Object {c['object']}: make the premium consistent with the tariff ({c['detail']}).")
        elif c["rule"] == "tariff type":
            ru.append(f"Объект {c['object']}: указать фактический вид тарифа ({c['detail']}).")
            en.append(f"Object {c['object']}: state the actual type of tariff ({c['detail']}).")
        elif c["rule"] == "tariff sufficient":
            ru.append(f"Тариф недостаточен ({c['detail']}): пересмотреть тариф или комиссионное вознаграждение.")
            en.append(f"The tariff is insufficient ({c['detail']}): revise the tariff or the commission.")
        elif c["rule"] == "solvency after the transaction":
            ru.append("Норматив достаточности маржи платежеспособности после сделки не выполняется: увеличить "
                      "перестрахование или собственный капитал до заключения договора.")
            en.append("The solvency margin ratio after the transaction is below the normative: increase the "
                      "reinsurance or the capital before concluding the contract.")
        elif c["rule"] == "placement":
            ru.append("Доли перестраховщиков превышают 100 %: исправить размещение.")
            en.append("The reinsurers' shares exceed 100 %: correct the placement.")
    if ded_missing and len(ded_missing) == len(objs):
        ru.append("Рассмотреть установление франшизы по каждому страховому случаю.")
        en.append("Consider a deductible for each insured event.")
    if not failed:
        ru.insert(0, "Заключить договор на предложенных условиях: тариф, перестрахование и удержание соответствуют "
                     "возможностям страховой организации.")
        en.insert(0, "Conclude the contract on the proposed terms: the tariff, the reinsurance and the retention "
                     "are within the insurer's capacity.")
    else:
        ru.insert(0, "Заключать договор только после выполнения рекомендаций ниже.")
        en.insert(0, "Conclude the contract only after the recommendations below are carried out.")
    return {"ru": ru, "en": en}


def run_transaction_opinion(config_path: str | Path, out_dir: str | Path, *,
                            languages: Sequence[str] = ("ru", "en")) -> OpinionRun:
    """Load, check, render everything (PDF + DOCX per language, the numbered copies and their register), then
    write ``transaction-<id>.json``, ``transaction-<id>-<lang>.pdf/.docx``,
    ``transaction-<id>-copy-<k>-of-<N>.pdf`` and ``transaction-<id>-copies.json`` into ``out_dir``."""
    from aktuar.reports.opinion import form_docx, form_html, render_pdf
    from aktuar.reports.opinion_mt import mt_model

    tx = load_transaction(config_path)
    doc = measure_transaction(tx)
    stem = f"transaction-{tx.transaction_id}"
    payloads: dict[str, bytes] = {f"{stem}.json": (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()}
    models = {}
    for lang in languages:
        m = mt_model(doc, lang)
        models[lang] = m
        payloads[f"{stem}-{lang}.pdf"] = render_pdf(form_html(m))
        payloads[f"{stem}-{lang}.docx"] = form_docx(m)
    lang = str(tx.words.get("copies_language") or languages[0])
    m = models.get(lang) or mt_model(doc, lang)
    payloads.update(_copies_payloads(stem, m, m["holders"], lang, m["signer"], tx.words.get("signed_date"), "KZ191-MT",
                                     MT_SCHEMA, {"id": tx.transaction_id,
                                                 "min_copies": doc["pack"]["min_copies"],
                                                 "min_copies_citation": doc["pack"]["min_copies_citation"]}))
    return OpinionRun(doc, _write_all(out_dir, payloads))


# ================================================================================ independent actuary
IND_WORDS = (
    "purpose", "customer", "agreement", "documents", "materials", "subject", "methodology", "statistical_data",
    "reinsurance_methods", "ibnr_rationale", "osns_justification", "life_table_note", "settlement_expenses_note",
    "additional_risks", "additional_risks_increase", "assistance", "results_conclusions", "compliance",
    "assumptions", "inhouse_additional_risks", "recommendations", "preparation_terms", "place", "signer",
    "signed_date", "submitted_date", "copies", "copy_holders", "copies_language",
)
ACTUARY_KEYS = {"full_name", "residence", "license_number", "license_date", "license_issuer", "iaa_member_body",
                "employment", "affiliations", "activities", "id"}


@dataclass(frozen=True)
class IndependentConfig:
    source: Path
    organization: str
    reporting_year: int
    verification: str
    verification_start: _dt.date | None
    verification_end: _dt.date
    inhouse_results: Path
    inhouse: dict[str, Any]
    own_config: Path
    materiality: float | None
    materiality_amount: float
    independent: dict[str, Any]
    inhouse_actuary: dict[str, Any]
    history: tuple[dict[str, Any], ...]
    registry: str  # "config" or "database"
    words: dict[str, Any]
    inhouse_words: dict[str, Any]
    text_file: Path | None = None


def _actuary_entry(r: ConfigReader, raw: Any, where: str, registry: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise r.error(where, f"'{where}' must be a table describing the actuary")
    r.check_keys(raw, where, ACTUARY_KEYS)
    out: dict[str, Any] = {}
    if registry == "database":
        out["id"] = r.take(raw, "id", where, int)
    else:
        name = r.take(raw, "full_name", where, str)
        if len(name.split()) < 2:
            raise r.error(f"{where}.full_name", "give the actuary's full name (surname and given name)")
        out["full_name"] = name
    for k in ("residence", "license_number", "license_issuer", "iaa_member_body", "full_name"):
        if k in raw:
            out[k] = r.take(raw, k, where, str)
    if "license_date" in raw:
        out["license_date"] = r.date(raw["license_date"], f"{where}.license_date")
    for k in ("employment", "affiliations", "activities"):
        v = raw.get(k, [])
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            raise r.error(f"{where}.{k}", f"'{where}.{k}' must be a list of tables, e.g. [{{organization = \"…\"}}]")
        rows = []
        for i, x in enumerate(v, start=1):
            row: dict[str, Any] = {}
            for kk, vv in x.items():
                full = f"{where}.{k}[{i}].{kk}"
                if kk in ("from", "to", "since", "birth_date"):
                    row[kk] = r.date(vv, full).isoformat()
                elif kk == "year":
                    if isinstance(vv, bool) or not isinstance(vv, int):
                        raise r.error(full, f"'{full}' must be a year (a whole number)")
                    row[kk] = vv
                else:
                    row[kk] = str(vv)
            if k == "employment" and not row.get("organization"):
                raise r.error(f"{where}.{k}[{i}].organization", "name the organization of the employment")
            rows.append(row)
        out[k] = rows
    return out


def load_independent(path: str | Path) -> IndependentConfig:
    """Read and validate an independent-verification configuration (TOML)."""
    from aktuar.services.statutory_config import load_opinion_text

    p, raw = read_toml(path, "independent verification configuration")
    r = ConfigReader(p)
    r.check_keys(raw, "", {"organization", "reporting_year", "verification", "verification_start",
                           "verification_end", "inhouse_results", "inhouse_text", "statutory_config", "materiality",
                           "materiality_amount", "registry", "independent", "inhouse", "engagement", "opinion",
                           "text_file"})
    res_path, inhouse = _load_statutory_document(r, raw, "inhouse_results")
    v = _dt.date.fromisoformat(inhouse["valuation_date"])
    organization = r.take(raw, "organization", "", str, str(inhouse.get("entity", ""))).strip()
    year = r.take(raw, "reporting_year", "", int, v.year)
    if year != v.year:
        raise r.error("reporting_year", f"reporting_year {year} does not match the in-house results (valuation date "
                                        f"{v.isoformat()}): verify the reporting year {v.year}")
    kind = r.take(raw, "verification", "", str, "mandatory")
    if kind not in VERIFICATION_TYPES:
        raise r.error("verification", f"verification '{kind}': use mandatory or initiative")
    if "verification_end" not in raw:
        raise r.error("verification_end", "the key 'verification_end' is missing: the date the verification ended "
                                          "(the 10-day submission term runs from it)")
    vend = r.date(raw["verification_end"], "verification_end")
    vstart = r.date(raw["verification_start"], "verification_start") if "verification_start" in raw else None
    if vend <= v:
        raise r.error("verification_end", f"the verification of reporting year {v.year} must end after its "
                                          f"valuation date {v.isoformat()}")
    if vstart is not None and vstart > vend:
        raise r.error("verification_start", "the verification starts after it ends")
    own = r.file(raw, "statutory_config", "")
    mat = r.number(raw, "materiality", "", None, low=0.0, high=1.0)
    mat_amt = r.number(raw, "materiality_amount", "", 0.0, low=0.0)
    registry = r.take(raw, "registry", "", str, "config")
    if registry not in ("config", "database"):
        raise r.error("registry", f"registry '{registry}': use config (the actuaries described here) or database "
                                  "(the platform's actuary registry, by id)")
    ind = _actuary_entry(r, r.take(raw, "independent", "", dict), "independent", registry)
    inh = _actuary_entry(r, r.take(raw, "inhouse", "", dict), "inhouse", registry)
    history = []
    for i, e in enumerate(r.take(raw, "engagement", "", list, []), start=1):
        w = f"engagement[{i}]"
        if not isinstance(e, dict):
            raise r.error(w, "each earlier engagement is an [[engagement]] table")
        r.check_keys(e, w, {"organization", "year", "independent", "inhouse"})
        history.append({"organization": r.take(e, "organization", w, str), "year": r.take(e, "year", w, int),
                        "independent": r.take(e, "independent", w, str), "inhouse": r.take(e, "inhouse", w, str)})
    if registry == "database" and history:
        raise r.error("engagement", "with registry = \"database\" the earlier engagements come from the registry: "
                                    "remove the [[engagement]] tables")
    words = _words(r, r.take(raw, "opinion", "", dict, {}), "opinion", IND_WORDS)
    text_file = None
    if "text_file" in raw:
        text_file = r.file(raw, "text_file", "")
        tp, traw = read_toml(text_file, "independent opinion text file")
        tr = ConfigReader(tp)
        tr.check_keys(traw, "", {"opinion"})
        words.update(_words(tr, traw.get("opinion", {}), "opinion", IND_WORDS))
    inhouse_words = load_opinion_text(r.file(raw, "inhouse_text", "")) if "inhouse_text" in raw else {}
    return IndependentConfig(p.resolve(), organization, year, kind, vstart, vend, res_path, inhouse, own, mat, mat_amt,
                             ind, inh, tuple(history), registry, words, inhouse_words, text_file)


class EngagementRefused(InputError):
    """The engagement is prohibited by Appendix 5; ``refusals`` lists (rule, explanation)."""

    def __init__(self, refusals: Sequence[tuple[str, str]], file: str | None = None) -> None:
        self.refusals = list(refusals)
        super().__init__("the independent actuary may not be engaged: " + "; ".join(
            f"{rule}: {why}" for rule, why in self.refusals), file=file)


def independent_deadline(kind: str, reporting_year: int, verification_end: _dt.date,
                         submitted: _dt.date | None = None) -> dict[str, Any]:
    """The submission term: 10 calendar days after the end of the verification (App. 5 §10); for a mandatory
    verification no later than 30 April of the year after the reporting year (§11)."""
    ten = verification_end + _dt.timedelta(days=SUBMISSION_DAYS)
    april = _dt.date(reporting_year + 1, 4, 30)
    due = min(ten, april) if kind == "mandatory" else ten
    rule = ("App. 5 §11: within 10 days after the verification, no later than 30 April" if kind == "mandatory"
            else "App. 5 §10: within 10 calendar days after the end of the verification")
    status = "open" if submitted is None else ("on time" if submitted <= due else "late")
    return {"verification_end": verification_end.isoformat(), "ten_days": ten.isoformat(),
            "april_30": april.isoformat() if kind == "mandatory" else None, "due": due.isoformat(), "rule": rule,
            "april_binds": kind == "mandatory" and april < ten,
            "verification_after_april": kind == "mandatory" and verification_end > april,
            "submitted": None if submitted is None else submitted.isoformat(), "status": status}


def compare_reserves(inhouse: Mapping[str, Any], independent: Mapping[str, Any], materiality: float,
                     materiality_amount: float = 0.0) -> list[dict[str, Any]]:
    """In-house vs independent reserves (the ``reserves`` tables of two ``aktuar-statutory/1`` documents) by
    class and reserve type: gross, reinsurer's share and net; difference = independent − in-house; % of the
    in-house amount (None when it is 0); material when |difference| > ``materiality_amount`` and (the in-house
    amount is 0 or |%| > ``materiality``). Rows where both are 0 are left out; the total row is kept."""
    def rows(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        t = next((t for t in doc["tables"] if t["key"] == "reserves"), None)
        if t is None:
            raise InputError("the results have no reserves table (tables[key = reserves])")
        return {str(r["class"]): r for r in t["rows"]}

    a, b = rows(inhouse), rows(independent)
    classes = [c for c in a if c != "Total"] + [c for c in b if c not in a and c != "Total"] + ["Total"]
    out = []
    for c in classes:
        ra, rb = a.get(c, {}), b.get(c, {})
        for k in RESERVE_TYPES:
            vals = {}
            for part in ("gross", "reinsurance"):
                x, y = float(ra.get(f"{k}_{part}", 0.0) or 0.0), float(rb.get(f"{k}_{part}", 0.0) or 0.0)
                vals[part] = (x, y)
            vals["net"] = (vals["gross"][0] - vals["reinsurance"][0], vals["gross"][1] - vals["reinsurance"][1])
            if all(x == 0.0 and y == 0.0 for x, y in vals.values()) and c != "Total":
                continue
            row: dict[str, Any] = {"class": c, "reserve": k, "missing": ("in-house" if not ra else
                                                                          "independent" if not rb else None)}
            material = False
            for part, (x, y) in vals.items():
                d = y - x
                pct = d / abs(x) if x != 0.0 else None
                mat = abs(d) > materiality_amount and (pct is None and d != 0.0 or pct is not None
                                                       and abs(pct) > materiality)
                row[f"inhouse_{part}"], row[f"independent_{part}"] = x, y
                row[f"difference_{part}"], row[f"pct_{part}"], row[f"material_{part}"] = d, pct, mat
                material = material or mat
            row["material"] = material
            out.append(row)
    return out


def _engagement_check(cfg: IndependentConfig, db: Any = None, actor: Any = None) -> tuple[Any, Any, Any]:
    """(EngagementCheck, independent ActuaryView, in-house ActuaryView) through
    :func:`aktuar.services.actuaries.check_engagement`: the platform registry (``registry = "database"``) or a
    throw-away SQLite registry built from the configuration."""
    from aktuar.services import actuaries

    def view(vid: int) -> Any:
        return next((a for a in actuaries.list_actuaries(db_, actor_) if a.id == vid), None)

    if cfg.registry == "database":
        if db is None or actor is None:
            raise InputError("registry = \"database\" needs the platform database (AKTUAR_DATABASE_URL) and a "
                             "logged-in user", file=str(cfg.source), column="registry")
        db_, actor_ = db, actor
        ind, inh = view(int(cfg.independent["id"])), view(int(cfg.inhouse_actuary["id"]))
        for a, key, entry in ((ind, "independent", cfg.independent), (inh, "inhouse", cfg.inhouse_actuary)):
            if a is None:
                raise InputError(f"no actuary {entry['id']} in the registry: list them with 'aktuar actuary list'",
                                 file=str(cfg.source), column=f"{key}.id")
        chk = actuaries.check_engagement(db_, actor_, organization=cfg.organization, independent_id=ind.id,
                                         inhouse_id=inh.id, year=cfg.reporting_year)
        return chk, ind, inh
    import tempfile

    from aktuar.security.context import Actor
    from aktuar.store.db import Database, Settings
    from aktuar.store.models import ActuaryEngagement

    with tempfile.TemporaryDirectory(prefix="aktuar-registry-") as tmp:
        d = Path(tmp)
        db_ = Database(Settings.from_env(data_dir=d, database_url=f"sqlite:///{d / 'registry.sqlite3'}"))
        try:
            db_.upgrade()
            actor_ = Actor(username="aktuar.opinions", roles=frozenset({"chief_actuary"}), user_id=None,
                           source="independent verification configuration")
            ids: dict[str, int] = {}

            def save(e: Mapping[str, Any], independent: bool) -> int:
                lic = (e.get("license_number"), e.get("license_date"), e.get("license_issuer"))
                full = all(lic)
                try:
                    a = actuaries.save_actuary(
                        db_, actor_, full_name=str(e["full_name"]), license_number=lic[0] if full else None,
                        license_date=lic[1] if full else None, license_issuer=lic[2] if full else None,
                        is_independent=independent, iaa_member_body=e.get("iaa_member_body"),
                        employment=e.get("employment", []), affiliations=e.get("affiliations", []),
                        activities=e.get("activities", []))
                except InputError as exc:
                    raise InputError(f"{'independent' if independent else 'inhouse'}: {exc.message}",
                                     file=str(cfg.source)) from None
                ids[str(e["full_name"]).casefold()] = a.id
                return a.id

            ind_id = save(cfg.independent, True)
            inh_id = save(cfg.inhouse_actuary, False)
            with db_.session() as s:
                for h in cfg.history:
                    for who in ("independent", "inhouse"):
                        key = h[who].strip().casefold()
                        if key not in ids:
                            ids[key] = actuaries.save_actuary(db_, actor_, full_name=h[who]).id
                    s.add(ActuaryEngagement(organization=h["organization"].strip(),
                                            independent_id=ids[h["independent"].strip().casefold()],
                                            inhouse_id=ids[h["inhouse"].strip().casefold()], year=h["year"],
                                            recorded_by=actor_.username, recorded_at=_dt.datetime.now(_dt.UTC)))
            chk = actuaries.check_engagement(db_, actor_, organization=cfg.organization, independent_id=ind_id,
                                             inhouse_id=inh_id, year=cfg.reporting_year)
            return chk, view(ind_id), view(inh_id)
        finally:
            db_.dispose()


def measure_independent(cfg: IndependentConfig, *, db: Any = None, actor: Any = None) -> dict[str, Any]:
    """The eligibility check (refused → :class:`EngagementRefused`), the independent actuary's own close, the
    comparison, the adequacy opinion and the deadlines: document ``aktuar-opinion-ind/1``."""
    from aktuar import __version__
    from aktuar.services.statutory import _source, measure_statutory, to_document
    from aktuar.services.statutory_config import load_config

    chk, ind, inh = _engagement_check(cfg, db, actor)
    if not chk.allowed:
        raise EngagementRefused(chk.refusals, file=str(cfg.source))
    v = _dt.date.fromisoformat(cfg.inhouse["valuation_date"])
    pack = _pack_named((cfg.inhouse.get("pack") or {}).get("name"), v)
    mat, mat_source = cfg.materiality, "configuration key 'materiality'"
    if mat is None:
        mat = _optional_param(pack, "independent_actuary.materiality")
        mat_source = (pack.cite("independent_actuary.materiality") if mat is not None else "")
    if mat is None:
        raise InputError(f"no materiality threshold: the pack {pack.name} has no independent_actuary.materiality; "
                         "set materiality = 0.05 (5 %) in the configuration", file=str(cfg.source),
                         column="materiality")
    min_copies = int(pack.number("opinion.min_copies"))
    copies = int(cfg.words.get("copies") or max(DEFAULT_COPIES, min_copies))
    if copies < min_copies:
        raise InputError(f"the independent actuary's opinion is drawn up in at least {min_copies} copies (App. 5 §8): "
                         f"set opinion.copies ≥ {min_copies}", file=str(cfg.source), column="opinion.copies")
    own_cfg = load_config(cfg.own_config)
    if own_cfg.valuation_date.isoformat() != cfg.inhouse["valuation_date"]:
        raise InputError(f"the independent close is at {own_cfg.valuation_date.isoformat()}, the in-house results at "
                         f"{cfg.inhouse['valuation_date']}: use the same valuation date", file=str(cfg.own_config),
                         column="valuation_date")
    own = to_document(measure_statutory(own_cfg), _source(own_cfg))
    comparison = compare_reserves(cfg.inhouse, own, float(mat), cfg.materiality_amount)
    submitted = cfg.words.get("submitted_date")
    deadline = independent_deadline(cfg.verification, cfg.reporting_year, cfg.verification_end,
                                    _dt.date.fromisoformat(submitted) if submitted else None)
    adequacy = []
    for row in comparison:
        if row["reserve"] != "total":
            continue
        d = row["difference_gross"]
        short = d > 0 and row["material_gross"]
        adequacy.append({"class": row["class"], "inhouse": row["inhouse_gross"], "independent": row["independent_gross"],
                         "difference": d, "pct": row["pct_gross"], "adequate": not short,
                         "inhouse_net": row["inhouse_net"], "independent_net": row["independent_net"]})

    def ad_table(doc: Mapping[str, Any]) -> dict[str, Any]:
        return {r["class"]: r["sufficient"] for r in next(t for t in doc["tables"] if t["key"] == "adequacy")["rows"]}

    methods_in = {r["class"]: r.get("method") for r in next(t for t in cfg.inhouse["tables"] if t["key"] == "ibnr")["rows"]}
    methods_own = {r["class"]: r.get("method") for r in next(t for t in own["tables"] if t["key"] == "ibnr")["rows"]}

    def view_doc(a: Any) -> dict[str, Any]:
        return {"id": a.id, "full_name": a.full_name, "license_number": a.license_number,
                "license_date": None if a.license_date is None else a.license_date.isoformat(),
                "license_issuer": a.license_issuer, "iaa_member_body": a.iaa_member_body,
                "affiliations": a.affiliations, "activities": a.activities, "employment": a.employment}

    return {
        "schema": IND_SCHEMA, "aktuar_version": __version__, "organization": cfg.organization,
        "reporting_year": cfg.reporting_year, "valuation_date": cfg.inhouse["valuation_date"],
        "calculated_as_of": cfg.inhouse["calculated_as_of"], "currency": cfg.inhouse["currency"],
        "verification": cfg.verification,
        "verification_start": None if cfg.verification_start is None else cfg.verification_start.isoformat(),
        "deadline": deadline,
        "pack": {"name": pack.name, "title": pack.title, "min_copies": min_copies},
        "materiality": {"relative": float(mat), "amount": cfg.materiality_amount, "source": mat_source},
        "eligibility": {"allowed": True, "refusals": [], "registry": cfg.registry,
                        "rules": ["App. 5 §5 (≤ 5 consecutive years)", "App. 5 §6(1) (affiliation, relative)",
                                  "App. 5 §6(2) (cross-verification within 1 calendar year)",
                                  "App. 5 §6(3) (employment within the last 2 calendar years)"]},
        "independent_actuary": {**view_doc(ind), "residence": cfg.independent.get("residence", "")},
        "inhouse_actuary": view_doc(inh),
        "input": {"configuration": {"file": cfg.source.name, "sha256": _sha256(cfg.source.read_bytes())},
                  "in-house results": {"file": cfg.inhouse_results.name,
                                       "sha256": _sha256(cfg.inhouse_results.read_bytes())},
                  **{f"independent {k}": v for k, v in own["input"].items()}},
        "comparison": comparison, "adequacy": adequacy,
        "inhouse_adequacy_test": ad_table(cfg.inhouse), "independent_adequacy_test": ad_table(own),
        "ibnr_methods": {"inhouse": methods_in, "independent": methods_own},
        "inhouse_totals": cfg.inhouse["totals"], "independent_totals": own["totals"],
        "inhouse_due_date": cfg.inhouse["due_date"], "words": cfg.words, "inhouse_words": cfg.inhouse_words,
        "copies": copies, "independent_close": own, "inhouse_close": cfg.inhouse,
    }


def run_independent_opinion(config_path: str | Path, out_dir: str | Path, *, languages: Sequence[str] = ("ru", "en"),
                            db: Any = None, actor: Any = None) -> OpinionRun:
    """Check eligibility, re-run the close with the independent actuary's configuration, compare, render and
    (only then) write ``independent-<date>.json``, ``independent-<date>-<lang>.pdf/.docx``, the numbered copies
    ``independent-<date>-copy-<k>-of-<N>.pdf`` with ``independent-<date>-copies.json``, forms 1 and 2
    ``independent-forms-<year>-<lang>.pdf/.docx`` and the editable text ``independent-text-<date>.toml``."""
    from aktuar.reports.opinion import form_docx, form_html, render_pdf
    from aktuar.reports.opinion_ind import forms_model, ind_model, text_toml

    cfg = load_independent(config_path)
    doc = measure_independent(cfg, db=db, actor=actor)
    when = doc["valuation_date"]
    stem = f"independent-{when}"
    payloads: dict[str, bytes] = {f"{stem}.json": (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()}
    models = {}
    for lang in languages:
        m = ind_model(doc, lang)
        models[lang] = m
        payloads[f"{stem}-{lang}.pdf"] = render_pdf(form_html(m))
        payloads[f"{stem}-{lang}.docx"] = form_docx(m)
        f = forms_model(doc, lang)
        payloads[f"independent-forms-{cfg.reporting_year}-{lang}.pdf"] = render_pdf(form_html(f))
        payloads[f"independent-forms-{cfg.reporting_year}-{lang}.docx"] = form_docx(f)
    lang = str(cfg.words.get("copies_language") or languages[0])
    m = models.get(lang) or ind_model(doc, lang)
    payloads.update(_copies_payloads(stem, m, m["holders"], lang, m["signer"], cfg.words.get("signed_date"),
                                     "KZ191-IND", IND_SCHEMA, {"deadline": doc["deadline"],
                                                               "min_copies": doc["pack"]["min_copies"]}))
    payloads[f"independent-text-{when}.toml"] = text_toml(cfg.words).encode("utf-8")
    return OpinionRun(doc, _write_all(out_dir, payloads))
