"""Highly liquid assets per Standard rates item 38 (ARDFM Resolution No. 3 of 2026; KZ3-HLA), with a what-if
on ratings.

Each asset is classified into the first item-38 category (pack ``liquid_assets.categories``) whose
conditions it meets, with the reason, or rejected with the reason:

* 38.1 cash at the cash desk: recognised up to ``cash_cap_share`` (1 %) of (total assets − reinsurance
  assets); the excess is not recognised (pro rata over the cash items);
* 38.2 / 38.4 money on accounts at a broker-dealer / portfolio manager, held in KZ second-tier banks (or the
  central depositary for 38.2);
* 38.3 current accounts and 38.5 deposits in KZ second-tier banks meeting one of subitem 5): premium listing
  or index constituent; or a long-term rating ≥ ``bank_deposit_min_rating`` (B-) international or
  ≥ ``bank_deposit_min_national_rating`` (kzBB-) national; or a resident subsidiary of a nonresident parent
  rated ≥ ``bank_parent_min_rating`` (A-) in foreign currency;
* 38.6 deposits in international financial institutions rated ≥ AA-, or in the Eurasian Development Bank in
  tenge; 38.7 deposits in nonresident banks rated ≥ BBB-;
* 38.8–38.13 government, local-executive (listed), mortgage-organisation, quasi-government, listed corporate
  and AIFC-admitted corporate debt of RK issuers.

Ratings of other agencies are mapped to the S&P scale by the pack's ``ratings.equivalents`` (the usual
mapping; "a rating of similar level of one of other rating agencies"). Subitems 14) and later of item 38 are
cut off in our copy of the text: such assets are rejected with that reason. The amounts of item 34(5)
(table of assets by quality and liquidity, appendix 4) are not in our texts and are not applied. Money
float64 unrounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from aktuar.core.statutory.packs import RegulationPack
from aktuar.errors import InputError

__all__ = ["Asset", "AssetClass", "LiquidAssetsResult", "downgrade", "liquid_assets", "rating_meets", "what_if"]

KINDS = ("cash", "broker_account", "current_account", "manager_account", "kz_bank_deposit", "ifi_deposit",
         "nonresident_bank_deposit", "government_security", "local_executive_debt", "mortgage_org_debt",
         "quasi_government_debt", "listed_corporate_debt", "aifc_corporate_debt", "other")


@dataclass(frozen=True)
class Asset:
    """One asset. ``rating``: long-term rating (``agency`` sp, moodys or fitch); ``national_rating`` on the
    kz scale; ``parent_rating``: the nonresident parent's foreign-currency rating (S&P-equivalent agency as
    ``agency``); ``premium_listing``: the bank's shares are in the premium category or the index list;
    ``listed``: in the official list of a KZ exchange (or admitted on the AIFC exchange for
    aifc_corporate_debt); ``held_in_kz_bank``: broker/manager money held in a KZ second-tier bank (or the
    central depositary); ``edb_tenge``: a Eurasian Development Bank deposit in tenge."""

    asset_id: str
    kind: str
    amount: float
    rating: str | None = None
    agency: str = "sp"
    national_rating: str | None = None
    parent_rating: str | None = None
    premium_listing: bool = False
    listed: bool = False
    held_in_kz_bank: bool = True
    edb_tenge: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"asset '{self.asset_id}': unknown kind '{self.kind}': use one of {list(KINDS)}",
                             column="kind")
        if not np.isfinite(self.amount) or self.amount < 0:
            raise InputError(f"asset '{self.asset_id}': the amount must be ≥ 0", column="amount")
        if self.agency not in ("sp", "moodys", "fitch"):
            raise InputError(f"asset '{self.asset_id}': agency must be sp, moodys or fitch", column="agency")


@dataclass(frozen=True)
class AssetClass:
    asset_id: str
    category: str | None
    amount: float
    recognised: float
    reason: str


@dataclass(frozen=True)
class LiquidAssetsResult:
    pack: str
    assets: tuple[AssetClass, ...]
    total: float
    by_category: dict[str, float]
    cash_cap: float
    incomplete_list: bool


def _sp(pack: RegulationPack, rating: str, agency: str) -> str:
    if agency == "sp":
        return rating
    eq = pack.value("ratings.equivalents").get(agency, {})
    if rating not in eq:
        raise InputError(f"rating '{rating}' of {agency} has no S&P equivalent in pack {pack.name}", column="rating")
    return str(eq[rating])


def rating_meets(pack: RegulationPack, rating: str | None, minimum: str, agency: str = "sp") -> bool:
    """Whether ``rating`` is at least ``minimum`` (international scale, or the kz national scale when the
    minimum starts with 'kz')."""
    if rating is None:
        return False
    scale = list(pack.value("ratings.national_scale" if minimum.startswith("kz") else "ratings.international_scale"))
    r = rating if minimum.startswith("kz") else _sp(pack, rating, agency)
    if r not in scale:
        raise InputError(f"rating '{rating}' is not on the scale of pack {pack.name}", column="rating")
    return scale.index(r) <= scale.index(minimum)


def downgrade(pack: RegulationPack, rating: str, notches: int, agency: str = "sp") -> str:
    """The S&P-scale rating ``notches`` below ``rating`` (negative: upgrade), bounded by the scale ends."""
    national = rating.startswith("kz")
    scale = list(pack.value("ratings.national_scale" if national else "ratings.international_scale"))
    r = rating if national else _sp(pack, rating, agency)
    if r not in scale:
        raise InputError(f"rating '{rating}' is not on the scale of pack {pack.name}", column="rating")
    return str(scale[min(max(scale.index(r) + notches, 0), len(scale) - 1)])


def _bank_ok(pack: RegulationPack, a: Asset) -> tuple[bool, str]:
    if a.premium_listing:
        return True, "issuer in the premium listing category or the index list (item 38 5), first indent)"
    mn = pack.value("liquid_assets.bank_deposit_min_rating")
    if rating_meets(pack, a.rating, mn, a.agency):
        return True, f"bank rated {a.rating} ≥ {mn} (item 38 5), second indent)"
    mnn = pack.value("liquid_assets.bank_deposit_min_national_rating")
    if rating_meets(pack, a.national_rating, mnn):
        return True, f"bank rated {a.national_rating} ≥ {mnn} national scale (item 38 5), second indent)"
    mp = pack.value("liquid_assets.bank_parent_min_rating")
    if rating_meets(pack, a.parent_rating, mp, a.agency):
        return True, f"subsidiary of a nonresident parent rated {a.parent_rating} ≥ {mp} (item 38 5), third indent)"
    return False, (f"bank not premium-listed, rated {a.rating or 'none'} < {mn} / {a.national_rating or 'none'} < "
                   f"{mnn}, parent {a.parent_rating or 'none'} < {mp} (item 38 5))")


def _classify(pack: RegulationPack, a: Asset) -> tuple[str | None, str]:
    k = a.kind
    if k == "cash":
        return "38.1", "cash at the cash desk (item 38 1)), subject to the 1 % cap"
    if k in ("broker_account", "manager_account"):
        cat = "38.2" if k == "broker_account" else "38.4"
        if a.held_in_kz_bank:
            return cat, f"money at a {'broker-dealer' if cat == '38.2' else 'portfolio manager'} held in a KZ " \
                        f"second-tier bank (item 38 {cat[3:]}))"
        return None, f"not held in a KZ second-tier bank (item 38 {cat[3:]}))"
    if k in ("current_account", "kz_bank_deposit"):
        ok, why = _bank_ok(pack, a)
        return ("38.3" if k == "current_account" else "38.5") if ok else None, why
    if k == "ifi_deposit":
        mn = pack.value("liquid_assets.ifi_deposit_min_rating")
        if a.edb_tenge:
            return "38.6", "deposit in the Eurasian Development Bank in tenge (item 38 6))"
        if rating_meets(pack, a.rating, mn, a.agency):
            return "38.6", f"international financial institution rated {a.rating} ≥ {mn} (item 38 6))"
        return None, f"international financial institution rated {a.rating or 'none'} < {mn} (item 38 6))"
    if k == "nonresident_bank_deposit":
        mn = pack.value("liquid_assets.nonresident_bank_min_rating")
        if rating_meets(pack, a.rating, mn, a.agency):
            return "38.7", f"nonresident bank rated {a.rating} ≥ {mn} (item 38 7))"
        return None, f"nonresident bank rated {a.rating or 'none'} < {mn} (item 38 7))"
    if k == "government_security":
        return "38.8", "RK government security of the Ministry of Finance / National Bank (item 38 8))"
    if k == "mortgage_org_debt":
        return "38.10", "debt of the mortgage organisation wholly owned by the National Bank (item 38 10))"
    if k == "quasi_government_debt":
        return "38.11", "debt of a listed national development institution (item 38 11))"
    if k in ("local_executive_debt", "listed_corporate_debt", "aifc_corporate_debt"):
        cat = {"local_executive_debt": "38.9", "listed_corporate_debt": "38.12", "aifc_corporate_debt": "38.13"}[k]
        where = "admitted to trading on the AIFC exchange" if k == "aifc_corporate_debt" else \
            "in the official list of a KZ stock exchange"
        if a.listed:
            return cat, f"{where} (item 38 {cat[3:]}))"
        return None, f"not {where} (item 38 {cat[3:]}))"
    return None, "not in item 38 subitems 1)-13) of our copy (later subitems are cut off in our text)"


def liquid_assets(pack: RegulationPack, assets: Sequence[Asset], total_assets: float,
                  reinsurance_assets: float = 0.0) -> LiquidAssetsResult:
    """Classify ``assets`` and total the highly liquid ones (see the module docstring)."""
    if not (np.isfinite(total_assets) and np.isfinite(reinsurance_assets)) or reinsurance_assets < 0 or (
            total_assets < reinsurance_assets):
        raise InputError("total assets must be ≥ reinsurance assets ≥ 0", column="total_assets")
    ids = [a.asset_id for a in assets]
    if len(set(ids)) != len(ids):
        raise InputError("asset ids must be unique", column="asset_id")
    cap = pack.number("liquid_assets.cash_cap_share") * (total_assets - reinsurance_assets)
    rows = [(a, *_classify(pack, a)) for a in assets]
    cash_total = sum(a.amount for a, cat, _ in rows if cat == "38.1")
    scale = min(1.0, cap / cash_total) if cash_total > 0 else 1.0
    out: list[AssetClass] = []
    by: dict[str, float] = {}
    for a, cat, why in rows:
        rec = 0.0 if cat is None else a.amount * (scale if cat == "38.1" else 1.0)
        if cat == "38.1" and scale < 1.0:
            why += f"; cash {cash_total:,.2f} exceeds the cap {cap:,.2f}: {scale:.2%} recognised"
        out.append(AssetClass(a.asset_id, cat, a.amount, rec, why))
        if cat is not None:
            by[cat] = by.get(cat, 0.0) + rec
    return LiquidAssetsResult(pack.name, tuple(out), float(sum(r.recognised for r in out)), by, cap,
                              not bool(pack.value("liquid_assets.categories_complete")))


def what_if(pack: RegulationPack, assets: Sequence[Asset], total_assets: float, reinsurance_assets: float = 0.0,
            *, notches: int = 0, ratings: Mapping[str, str] | None = None
            ) -> tuple[LiquidAssetsResult, LiquidAssetsResult]:
    """Highly liquid assets now and after a rating change: every rating (international, national and
    parent) ``notches`` lower, then the given ``ratings`` by asset id (S&P scale). Returns (base, changed)."""
    base = liquid_assets(pack, assets, total_assets, reinsurance_assets)
    changed = []
    given = dict(ratings or {})
    unknown = set(given) - {a.asset_id for a in assets}
    if unknown:
        raise InputError(f"no asset(s) {sorted(unknown)} to re-rate", column="asset_id")
    for a in assets:
        b = a
        if notches:
            b = replace(b, rating=None if b.rating is None else downgrade(pack, b.rating, notches, b.agency),
                        national_rating=None if b.national_rating is None else downgrade(pack, b.national_rating,
                                                                                         notches),
                        parent_rating=None if b.parent_rating is None else downgrade(pack, b.parent_rating, notches,
                                                                                     b.agency),
                        agency="sp" if b.rating is not None or b.parent_rating is not None else b.agency)
        if a.asset_id in given:
            b = replace(b, rating=given[a.asset_id], agency="sp")
        changed.append(b)
    return base, liquid_assets(pack, changed, total_assets, reinsurance_assets)
