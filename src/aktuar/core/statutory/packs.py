"""Regulation packs: every regulatory number, dated and sourced, as data.

A *regulation pack* is a YAML file (``aktuar/regulation_packs/<jurisdiction>/<name>.yaml``, shipped inside the
package) holding the percentages, thresholds, coefficients, deadlines and class lists in force between
``effective_from`` and ``effective_to`` (inclusive; ``null`` = open-ended). Each parameter is a leaf

    key: {value: …, source: <id in sources>, paragraph: "…", status: <status>, note: "…" (optional)}

grouped in sections (``solvency.ogpo_uplift``). ``status`` says how far the value comes from the regulation
texts (see :data:`STATUSES`); ``null`` values are allowed only with ``not_in_sources`` (the rule exists but
its text is not in our sources: supply the value) or ``not_in_force``. An amendment is a new pack, not a code
change: a calculation as of a date asks :func:`pack_for` for the pack in force on that date.

This module is the one place in ``core.statutory`` that reads files, and it reads only the packaged,
read-only pack files (:func:`builtin_packs`); :func:`parse_pack` is pure and validates a mapping. Every schema
error is an :class:`~aktuar.errors.InputError` naming the pack file and the key.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from aktuar.errors import InputError

__all__ = [
    "REQUIRED_KEYS",
    "STATUSES",
    "PackParameter",
    "RegulationPack",
    "builtin_packs",
    "check_no_overlap",
    "load_pack",
    "pack_for",
    "parse_pack",
]

STATUSES: tuple[str, ...] = (
    "in_force",
    "standard_formula",
    "market_convention",
    "methodology",
    "illustrative",
    "not_in_sources",
    "not_in_force",
    "override",
)
_NULL_OK = ("not_in_sources", "not_in_force")
_TOP_KEYS = {"pack", "jurisdiction", "title", "version", "effective_from", "effective_to", "effective_note",
             "effective_from_confirmed", "sources", "parameters"}
_LEAF_KEYS = {"value", "source", "paragraph", "status", "note"}

#: Keys every Kazakhstan pack must define (a value, or null with a null status).
REQUIRED_KEYS: tuple[str, ...] = (
    "opinion.valuation_day", "opinion.due_day", "opinion.min_copies", "opinion.major_transaction_min_copies",
    "independent_actuary.max_consecutive_years", "independent_actuary.cross_verification_years",
    "independent_actuary.employment_years",
    "reserves.upr_basis", "reserves.adequacy_months",
    "solvency.ogpo_class", "solvency.ogpo_uplift", "solvency.ogpo_pool_no_uplift_share",
    "solvency.ogpo_pool_partial_share", "solvency.ogpo_pool_partial_uplift",
    "solvency.m14_listed_classes", "solvency.m14_listed_uplift", "solvency.m14_suretyship_class",
    "solvency.m14_suretyship_uplift", "solvency.m14_related_party_uplift", "solvency.m14_pool_min_insurers",
    "solvency.m14_pool_exempts", "solvency.life_reserve_rate", "solvency.life_correction_floor",
    "solvency.premium_index_rate", "solvency.premium_index_rate_above", "solvency.premium_index_threshold",
    "solvency.claims_index_rate", "solvency.claims_index_rate_above", "solvency.claims_index_threshold",
    "solvency.claims_reference_years", "solvency.retention_floor", "solvency.min_ratio",
    "liquid_assets.cash_cap_share", "liquid_assets.bank_deposit_min_rating",
    "liquid_assets.bank_deposit_min_national_rating", "liquid_assets.bank_parent_min_rating",
    "liquid_assets.ifi_deposit_min_rating", "liquid_assets.nonresident_bank_min_rating",
    "liquid_assets.categories", "liquid_assets.categories_complete",
    "ratings.international_scale", "ratings.national_scale", "ratings.equivalents",
    "tariffs.loading_max_to_net", "tariffs.base_spread_max", "tariffs.base_spread_denominator",
    "tariffs.excluded_kinds",
    "mortality.illustrative_makeham",
)


@dataclass(frozen=True)
class PackParameter:
    """One sourced parameter: its value and where it comes from."""

    key: str
    value: Any
    source: str
    paragraph: str
    status: str
    note: str = ""

    def citation(self, pack: RegulationPack) -> str:
        doc = pack.sources.get(self.source, {}).get("title", self.source)
        return f"{doc}, {self.paragraph} [{self.status}; pack {pack.name}]"


@dataclass(frozen=True)
class RegulationPack:
    """A validated pack. ``parameters`` maps dotted keys to :class:`PackParameter`."""

    name: str
    jurisdiction: str
    title: str
    version: int
    effective_from: _dt.date
    effective_to: _dt.date | None
    effective_note: str
    effective_from_confirmed: bool
    sources: Mapping[str, Mapping[str, Any]]
    parameters: Mapping[str, PackParameter]
    file: str
    overrides: tuple[str, ...] = field(default=())

    def covers(self, on: _dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def param(self, key: str) -> PackParameter:
        try:
            return self.parameters[key]
        except KeyError:
            raise InputError(f"the regulation pack has no parameter '{key}'", file=self.file, column=key) from None

    def value(self, key: str) -> Any:
        """The value of ``key``; an InputError naming the pack and key when it is null (not in our sources or
        not in force on the pack's dates)."""
        p = self.param(key)
        if p.value is None:
            why = ("its text is not in our sources: supply it with RegulationPack.with_values"
                   if p.status == "not_in_sources" else "the rule is not in force in this pack's period")
            raise InputError(f"parameter '{key}' has no value in pack {self.name}: {why} ({p.paragraph})",
                             file=self.file, column=key)
        return p.value

    def optional(self, key: str) -> Any:
        """The value of ``key`` or ``None`` (for parameters where null has a meaning, e.g. 'no threshold')."""
        return self.param(key).value

    def number(self, key: str) -> float:
        v = self.value(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(f"parameter '{key}' must be a number, not {v!r}", file=self.file, column=key)
        return float(v)

    def in_force(self, key: str) -> bool:
        """Whether the rule of ``key`` applies in this pack (its status is not ``not_in_force``)."""
        return self.param(key).status != "not_in_force"

    def cite(self, key: str) -> str:
        return self.param(key).citation(self)

    def with_values(self, values: Mapping[str, Any], reason: str) -> RegulationPack:
        """A copy with some values replaced (e.g. a pre-2026 parameter missing from our sources), each recorded
        with status ``override`` and the reason, so the opinion shows it."""
        if not reason.strip():
            raise InputError("overriding a regulation pack value needs a reason (e.g. the document and paragraph)")
        params = dict(self.parameters)
        for key, v in values.items():
            old = self.param(key)
            params[key] = replace(old, value=v, status="override",
                                  note=f"overridden: {reason} (pack value {old.value!r}, {old.status})")
        return replace(self, parameters=params, overrides=self.overrides + tuple(values))

    def by_status(self, status: str) -> tuple[str, ...]:
        return tuple(k for k, p in self.parameters.items() if p.status == status)


def _date(value: Any, file: str, key: str) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"'{key}' must be a date YYYY-MM-DD, not {value!r}", file=file, column=key)


def _flatten(node: Mapping[str, Any], prefix: str, file: str, out: dict[str, Mapping[str, Any]]) -> None:
    for k, v in node.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if not isinstance(v, Mapping):
            raise InputError(f"'{key}' must be a section or a parameter {{value, source, paragraph, status}}",
                             file=file, column=key)
        if "value" in v:
            out[key] = v
        else:
            _flatten(v, key, file, out)


def parse_pack(data: Any, file: str, *, required: Sequence[str] = REQUIRED_KEYS) -> RegulationPack:
    """Validate a pack's parsed YAML (a mapping) and return it; ``file`` names it in errors."""
    if not isinstance(data, Mapping):
        raise InputError("a regulation pack must be a mapping of keys (pack, effective_from, …)", file=file)
    unknown = set(map(str, data)) - _TOP_KEYS
    if unknown:
        raise InputError(f"unknown top-level key(s) {sorted(unknown)}: allowed are {sorted(_TOP_KEYS)}", file=file,
                         column=sorted(unknown)[0])
    for k in ("pack", "jurisdiction", "title", "effective_from", "sources", "parameters"):
        if data.get(k) in (None, ""):
            raise InputError(f"the pack needs '{k}'", file=file, column=k)
    start = _date(data["effective_from"], file, "effective_from")
    end = None if data.get("effective_to") is None else _date(data["effective_to"], file, "effective_to")
    if end is not None and end < start:
        raise InputError(f"effective_to {end} is before effective_from {start}", file=file, column="effective_to")
    sources = data["sources"]
    if not isinstance(sources, Mapping) or not sources:
        raise InputError("'sources' must map source ids to {title, file}", file=file, column="sources")
    for sid, s in sources.items():
        if not isinstance(s, Mapping) or not s.get("title"):
            raise InputError(f"source '{sid}' needs a title", file=file, column=f"sources.{sid}")
    if not isinstance(data["parameters"], Mapping):
        raise InputError("'parameters' must be a mapping of sections", file=file, column="parameters")
    flat: dict[str, Mapping[str, Any]] = {}
    _flatten(data["parameters"], "", file, flat)
    params: dict[str, PackParameter] = {}
    for key, leaf in flat.items():
        extra = set(map(str, leaf)) - _LEAF_KEYS
        if extra:
            raise InputError(f"parameter '{key}' has unknown field(s) {sorted(extra)}", file=file, column=key)
        for f in ("source", "paragraph", "status"):
            if not leaf.get(f):
                raise InputError(f"parameter '{key}' needs a '{f}'", file=file, column=key)
        if leaf["source"] not in sources:
            raise InputError(f"parameter '{key}' cites source '{leaf['source']}', which is not in 'sources'",
                             file=file, column=key)
        status = str(leaf["status"])
        if status not in STATUSES:
            raise InputError(f"parameter '{key}' has status '{status}': use one of {list(STATUSES)}", file=file,
                             column=key)
        if leaf["value"] is None and status not in _NULL_OK and not key.endswith("_threshold"):
            raise InputError(f"parameter '{key}' is null with status '{status}': a null value needs status "
                             "not_in_sources or not_in_force", file=file, column=key)
        params[key] = PackParameter(key, leaf["value"], str(leaf["source"]), str(leaf["paragraph"]), status,
                                    str(leaf.get("note") or ""))
    missing = [k for k in required if k not in params]
    if missing:
        raise InputError(f"the pack lacks required parameter(s) {missing}", file=file, column=missing[0])
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError("'version' must be a whole number", file=file, column="version")
    return RegulationPack(
        name=str(data["pack"]), jurisdiction=str(data["jurisdiction"]), title=str(data["title"]),
        version=version, effective_from=start, effective_to=end,
        effective_note=str(data.get("effective_note") or ""),
        effective_from_confirmed=bool(data.get("effective_from_confirmed", True)),
        sources={str(k): dict(v) for k, v in sources.items()}, parameters=params, file=file,
    )


def load_pack(path: str | Path, *, required: Sequence[str] = REQUIRED_KEYS) -> RegulationPack:
    """Read and validate one pack file (YAML, safe loader)."""
    import yaml  # PyYAML; imported here so that importing the core does not need it

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the regulation pack: {exc.strerror}", file=str(p)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"the pack is not valid YAML: {getattr(exc, 'problem', exc)}", file=str(p),
                         row=None if mark is None else mark.line + 1) from None
    return parse_pack(data, p.name, required=required)


def check_no_overlap(packs: Iterable[RegulationPack]) -> tuple[RegulationPack, ...]:
    """The packs of each jurisdiction sorted by start date; an InputError when two periods overlap."""
    out = tuple(sorted(packs, key=lambda p: (p.jurisdiction, p.effective_from)))
    for a, b in zip(out, out[1:], strict=False):
        if a.jurisdiction != b.jurisdiction:
            continue
        if a.effective_to is None or a.effective_to >= b.effective_from:
            raise InputError(
                f"packs {a.name} ({a.effective_from} … {a.effective_to or 'open'}) and {b.name} (from "
                f"{b.effective_from}) overlap: end the earlier pack the day before the later one starts",
                file=a.file, column="effective_to",
            )
    return out


def builtin_packs(jurisdiction: str = "kz") -> tuple[RegulationPack, ...]:
    """The packs shipped with aktuar for ``jurisdiction``, checked not to overlap."""
    root = resources.files("aktuar").joinpath("regulation_packs", jurisdiction.lower())
    if not root.is_dir():
        raise InputError(f"no regulation packs are shipped for '{jurisdiction}'")
    packs = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            with resources.as_file(entry) as path:
                packs.append(load_pack(path))
    if not packs:
        raise InputError(f"no regulation packs are shipped for '{jurisdiction}'")
    return check_no_overlap(packs)


def pack_for(on: _dt.date, packs: Iterable[RegulationPack] | None = None, *, jurisdiction: str = "kz"
             ) -> RegulationPack:
    """The pack in force on ``on`` (default: the shipped packs of ``jurisdiction``)."""
    chosen = check_no_overlap(builtin_packs(jurisdiction) if packs is None else packs)
    hits = [p for p in chosen if p.covers(on)]
    if not hits:
        spans = ", ".join(f"{p.name}: {p.effective_from} … {p.effective_to or 'open'}" for p in chosen)
        raise InputError(f"no regulation pack is in force on {on:%d.%m.%Y} (packs: {spans or 'none'})")
    return hits[0]
