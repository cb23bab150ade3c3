"""Minimum solvency margin, actual margin and the sufficiency ratio, with the 2026 rules (KZ3-OGPO, -M14, -M21).

Minimum margin (MSM) of an insurer as computed here, every number from the regulation pack in force:

    MSM = max(premium index, claims index)              general insurance (standard formula, see below)
        + M14 increases                                 Standard rates item 14 (KZ3-M14)
        + life part                                     Standard rates item 21 part two 2) (KZ3-M21)

* **Premiums** are the gross premiums of the reporting year by class. Those of OGPO VTS (compulsory motor TPL)
  are increased by ``solvency.ogpo_uplift`` (50 %); written within a pool in which a share ``s`` of the OGPO
  VTS licensees takes part: ``s ≥ 0.80`` → no increase, ``0.50 ≤ s < 0.80`` → ``ogpo_pool_partial_uplift``
  (25 %) (Standard rates item 12(2); KZ3-OGPO). The text says "no more than 80 %" for the middle band and
  "80 and more" for the upper: 80 % exactly is taken as the upper band. Below 50 % the full increase applies.
* **Premium index** ``= [r₁·min(P, T) + r₂·max(P − T, 0)] · k`` and **claims index** ``= [q₁·min(C, T′) +
  q₂·max(C − T′, 0)] · k`` with C the average gross claims incurred of the last ``claims_reference_years``
  years and ``k = max(retention_floor, net claims / gross claims)``. The KZ formula of items 12–13 of
  Resolution No. 304 is NOT in our texts: the pack carries the standard (EU Solvency I, Directive 73/239/EEC
  art. 16a) parameters with status ``standard_formula``, and says so; replace them with the KZ values when the
  text is available (the code does not change).
* **M14 increases** (on premiums of contracts in force at the reporting date): +10 % of the premiums on the
  listed voluntary classes (art. 6 item 3 subitems 13, 14, 15-1, 16 of the Law), not for contracts within a
  pool of at least 5 insurers (item 14 last paragraph, exempting "the paragraph the second"); +10 % of the
  premiums on class 12 contracts whose object is the non-performance of contract obligations; and +10 % more
  of the premiums of related-party financial-loss contracts on the listed classes.
* **Life part** ``= 4 % · reserves · max(0.85, net reserves / gross reserves at the previous year end)``.

Actual margin: the own funds less the deductions the actuary lists (the KZ list of deductions of Resolution
No. 304 is not in our texts, so they are inputs with their reasons); the sufficiency ratio is actual /
minimum, sufficient when ``≥ solvency.min_ratio``. Money float64 unrounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from aktuar.core.statutory.packs import RegulationPack
from aktuar.errors import InputError

__all__ = [
    "Component",
    "PremiumLine",
    "SolvencyResult",
    "minimum_margin",
    "ogpo_uplift",
    "solvency",
]


@dataclass(frozen=True)
class PremiumLine:
    """Premiums of one class (or one pool participation) for the solvency margin.

    ``class_code``: the pack's codes ('OGPO_VTS', 'art6.3.13', …) or any other label. ``pool_share``: for
    OGPO VTS within a pool, the share of the class's licensees taking part (0–1). ``pool_insurers``: the
    number of insurers in the pool the contracts were concluded in (None = not a pool).
    ``in_force_premium``: premiums of contracts in force at the reporting date (M14 basis; default the
    premium); ``related_party_premium``: the part of it on related-party financial-loss contracts;
    ``non_performance``: for class 12, the contracts insure non-performance of contract obligations.
    """

    class_code: str
    premium: float
    pool_share: float | None = None
    pool_insurers: int | None = None
    in_force_premium: float | None = None
    related_party_premium: float = 0.0
    non_performance: bool = False

    def __post_init__(self) -> None:
        for name in ("premium", "related_party_premium"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise InputError(f"{self.class_code}: {name} must be a finite amount ≥ 0, not {v}", column=name)
        if self.in_force_premium is not None and (not np.isfinite(self.in_force_premium)
                                                  or self.in_force_premium < 0):
            raise InputError(f"{self.class_code}: in_force_premium must be ≥ 0", column="in_force_premium")
        if self.pool_share is not None and not 0.0 <= self.pool_share <= 1.0:
            raise InputError(f"{self.class_code}: pool_share is a share of licensees in [0, 1]", column="pool_share")
        if self.pool_insurers is not None and self.pool_insurers < 1:
            raise InputError(f"{self.class_code}: a pool has at least one insurer", column="pool_insurers")
        if self.related_party_premium > self.m14_basis * (1 + 1e-12):
            raise InputError(f"{self.class_code}: the related-party premium exceeds the premium in force",
                             column="related_party_premium")

    @property
    def m14_basis(self) -> float:
        return self.premium if self.in_force_premium is None else self.in_force_premium


@dataclass(frozen=True)
class Component:
    """One line of the calculation: the amount, how it was obtained and the paragraph."""

    name: str
    amount: float
    formula: str
    citation: str


@dataclass(frozen=True)
class SolvencyResult:
    pack: str
    minimum_margin: float
    premium_index: float
    claims_index: float
    retention: float
    m14_increase: float
    life_part: float
    adjusted_premium: float
    components: tuple[Component, ...]
    actual_margin: float | None = None
    ratio: float | None = None
    sufficient: bool | None = None
    deductions: tuple[tuple[str, float], ...] = ()


def ogpo_uplift(pack: RegulationPack, pool_share: float | None) -> tuple[float, str]:
    """The increase of OGPO VTS premiums for a pool participation share (None = outside any pool)."""
    full = pack.number("solvency.ogpo_uplift")
    if pool_share is None:
        return full, "outside a pool"
    hi = pack.number("solvency.ogpo_pool_no_uplift_share")
    mid = pack.number("solvency.ogpo_pool_partial_share")
    if pool_share >= hi:
        return 0.0, f"pool with {pool_share:.0%} ≥ {hi:.0%} of licensees"
    if pool_share >= mid:
        return pack.number("solvency.ogpo_pool_partial_uplift"), f"pool with {mid:.0%} ≤ {pool_share:.0%} < {hi:.0%}"
    return full, f"pool with {pool_share:.0%} < {mid:.0%} of licensees: full increase"


def _tiered(amount: float, rate: float, rate_above: float, threshold: float | None) -> float:
    if threshold is None:
        return rate * amount
    return rate * min(amount, threshold) + rate_above * max(amount - threshold, 0.0)


def minimum_margin(
    pack: RegulationPack,
    lines: Sequence[PremiumLine],
    *,
    gross_claims: Sequence[float] = (),
    net_claims: Sequence[float] = (),
    life_reserves: float = 0.0,
    life_prev_gross_reserves: float = 0.0,
    life_prev_net_reserves: float = 0.0,
) -> SolvencyResult:
    """Minimum solvency margin (see the module docstring). ``gross_claims``/``net_claims``: claims incurred
    per year, latest last (the last ``claims_reference_years`` are averaged; fewer years: those given)."""
    comps: list[Component] = []
    ogpo = pack.value("solvency.ogpo_class") if pack.in_force("solvency.ogpo_class") else None
    adj = 0.0
    for ln in lines:
        if ogpo is not None and ln.class_code == ogpo and ln.premium > 0:
            up, why = ogpo_uplift(pack, ln.pool_share)
            adj += ln.premium * (1.0 + up)
            comps.append(Component(f"OGPO VTS premium +{up:.0%}", ln.premium * up,
                                   f"{ln.premium:,.2f} × {up:g} ({why})", pack.cite("solvency.ogpo_uplift")))
        else:
            adj += ln.premium
    g = np.asarray(gross_claims, dtype=np.float64)
    nt = np.asarray(net_claims, dtype=np.float64)
    if g.shape != nt.shape or not (np.isfinite(g).all() and np.isfinite(nt).all()) or (g < 0).any() or (
            nt < 0).any():
        raise InputError("give gross and net claims incurred for the same years, each ≥ 0", column="claims")
    years = int(pack.number("solvency.claims_reference_years"))
    g, nt = g[-years:], nt[-years:]
    floor = pack.number("solvency.retention_floor")
    retention = max(floor, min(1.0, float(nt.sum() / g.sum()))) if g.size and g.sum() > 0 else 1.0
    comps.append(Component("retention coefficient k", retention,
                           f"max({floor:g}, net/gross claims = {nt.sum():,.2f}/{g.sum():,.2f})"
                           if g.size and g.sum() > 0 else "no claims history: k = 1",
                           pack.cite("solvency.retention_floor")))
    p_idx = _tiered(adj, pack.number("solvency.premium_index_rate"), pack.number("solvency.premium_index_rate_above"),
                    pack.optional("solvency.premium_index_threshold")) * retention
    c_avg = float(g.mean()) if g.size else 0.0
    c_idx = _tiered(c_avg, pack.number("solvency.claims_index_rate"), pack.number("solvency.claims_index_rate_above"),
                    pack.optional("solvency.claims_index_threshold")) * retention
    comps.append(Component("premium index", p_idx, f"{pack.number('solvency.premium_index_rate'):g} × adjusted "
                           f"premiums {adj:,.2f} × k", pack.cite("solvency.premium_index_rate")))
    comps.append(Component("claims index", c_idx, f"{pack.number('solvency.claims_index_rate'):g} × average "
                           f"claims {c_avg:,.2f} × k", pack.cite("solvency.claims_index_rate")))
    m14 = 0.0
    if pack.in_force("solvency.m14_listed_uplift"):
        listed = set(pack.value("solvency.m14_listed_classes"))
        exempts = set(pack.value("solvency.m14_pool_exempts"))
        min_pool = int(pack.number("solvency.m14_pool_min_insurers"))
        for ln in lines:
            pooled = ln.pool_insurers is not None and ln.pool_insurers >= min_pool
            if ln.class_code in listed:
                if pooled and "listed" in exempts:
                    comps.append(Component(f"{ln.class_code}: listed-class increase", 0.0,
                                           f"pool of {ln.pool_insurers} ≥ {min_pool} insurers: exempt",
                                           pack.cite("solvency.m14_pool_exempts")))
                else:
                    r = pack.number("solvency.m14_listed_uplift")
                    m14 += r * ln.m14_basis
                    comps.append(Component(f"{ln.class_code}: listed-class increase", r * ln.m14_basis,
                                           f"{r:g} × {ln.m14_basis:,.2f}", pack.cite("solvency.m14_listed_uplift")))
                if ln.related_party_premium > 0:
                    if pooled and "related_party" in exempts:
                        continue
                    r = pack.number("solvency.m14_related_party_uplift")
                    m14 += r * ln.related_party_premium
                    comps.append(Component(f"{ln.class_code}: related-party increase", r * ln.related_party_premium,
                                           f"{r:g} × {ln.related_party_premium:,.2f}",
                                           pack.cite("solvency.m14_related_party_uplift")))
            elif ln.class_code == pack.value("solvency.m14_suretyship_class") and ln.non_performance:
                r = pack.number("solvency.m14_suretyship_uplift")
                m14 += r * ln.m14_basis
                comps.append(Component(f"{ln.class_code}: non-performance increase", r * ln.m14_basis,
                                       f"{r:g} × {ln.m14_basis:,.2f}", pack.cite("solvency.m14_suretyship_uplift")))
    life = 0.0
    for name, v in (("life reserves", life_reserves), ("previous gross reserves", life_prev_gross_reserves),
                    ("previous net reserves", life_prev_net_reserves)):
        if not np.isfinite(v) or v < 0:
            raise InputError(f"{name} must be an amount ≥ 0", column="life_reserves")
    if life_reserves > 0:
        rate = pack.number("solvency.life_reserve_rate")
        lfloor = pack.number("solvency.life_correction_floor")
        if life_prev_gross_reserves > 0:
            if life_prev_net_reserves > life_prev_gross_reserves * (1 + 1e-12):
                raise InputError("net reserves cannot exceed gross reserves", column="life_prev_net_reserves")
            coef = max(lfloor, life_prev_net_reserves / life_prev_gross_reserves)
            why = f"max({lfloor:g}, {life_prev_net_reserves:,.2f}/{life_prev_gross_reserves:,.2f})"
        else:
            coef, why = 1.0, "no reserves at the previous year end: coefficient 1 (no reinsurance to recognise)"
        life = rate * life_reserves * coef
        comps.append(Component("life part", life, f"{rate:g} × {life_reserves:,.2f} × {coef:.4f} ({why})",
                               pack.cite("solvency.life_reserve_rate")))
    msm = max(p_idx, c_idx) + m14 + life
    return SolvencyResult(pack=pack.name, minimum_margin=msm, premium_index=p_idx, claims_index=c_idx,
                          retention=retention, m14_increase=m14, life_part=life, adjusted_premium=adj,
                          components=tuple(comps))


def solvency(
    pack: RegulationPack,
    lines: Sequence[PremiumLine],
    own_funds: float,
    *,
    deductions: Mapping[str, float] | None = None,
    **kwargs: object,
) -> SolvencyResult:
    """Minimum margin, actual margin (own funds less the listed deductions) and the sufficiency ratio."""
    base = minimum_margin(pack, lines, **kwargs)  # type: ignore[arg-type]
    if not np.isfinite(own_funds):
        raise InputError("own funds must be a finite amount", column="own_funds")
    ded = tuple((str(k), float(v)) for k, v in (deductions or {}).items())
    if any(not np.isfinite(v) or v < 0 for _, v in ded):
        raise InputError("each deduction from own funds must be an amount ≥ 0", column="deductions")
    actual = own_funds - sum(v for _, v in ded)
    need = pack.number("solvency.min_ratio")
    if base.minimum_margin > 0:
        ratio: float | None = actual / base.minimum_margin
        ok = ratio is not None and ratio >= need
    else:
        ratio, ok = None, actual >= 0
    return SolvencyResult(**{**base.__dict__, "actual_margin": actual, "ratio": ratio, "sufficient": ok,
                             "deductions": ded})
