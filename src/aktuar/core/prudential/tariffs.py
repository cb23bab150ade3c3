"""Tariff check of an insurance product (KZ3-T151, KZ3-T161: Instruction No. 85 items 15-1 and 16-1 as added
by ARDFM Resolution No. 3 of 2026).

A tariff (gross premium rate) is the net premium (the risk part: expected claims) plus the loading (expenses,
commission, profit): ``gross = net + loading``. For insurance of individuals on voluntary classes, except
accumulative life insurance and sickness insurance (including travel abroad):

* item 15-1: ``loading ≤ tariffs.loading_max_to_net × net`` (1 × the net premium) for every tariff cell;
* item 16-1: the spread between the minimum and the maximum base tariff ``(max − min) / min ≤
  tariffs.base_spread_max`` (50 %). The text does not say of what the 50 % is taken; the pack's
  ``tariffs.base_spread_denominator`` (``min``: the stricter reading, or ``max``) decides.

Before the pack in which these rules are in force (``not_in_force``) the checks are reported as not
applicable. The OGPO VTS premium calculator is not implemented: its coefficients are not in our texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aktuar.core.statutory.packs import RegulationPack
from aktuar.errors import InputError

__all__ = ["Product", "TariffCheck", "TariffReport", "check_tariff"]


@dataclass(frozen=True)
class Product:
    """A product's tariffs. ``net`` and ``loading`` (K,) per tariff cell (rate or amount, same unit);
    ``base_tariffs`` (B,) the base tariff rates (default: ``net + loading``); ``kind`` one of 'general',
    'accumulative_life', 'sickness', 'travel_sickness' (the exclusions of items 15-1 and 16-1)."""

    name: str
    class_code: str
    net: Sequence[float]
    loading: Sequence[float]
    for_individuals: bool = True
    voluntary: bool = True
    kind: str = "general"
    base_tariffs: Sequence[float] | None = None


@dataclass(frozen=True)
class TariffCheck:
    rule: str
    paragraph: str
    applies: bool
    passed: bool
    detail: str


@dataclass(frozen=True)
class TariffReport:
    product: str
    pack: str
    checks: tuple[TariffCheck, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def check_tariff(pack: RegulationPack, product: Product) -> TariffReport:
    net = np.asarray(product.net, dtype=np.float64).reshape(-1)
    load = np.asarray(product.loading, dtype=np.float64).reshape(-1)
    if net.size == 0 or net.shape != load.shape:
        raise InputError(f"product '{product.name}': give one net premium and one loading per tariff cell",
                         column="net")
    if not (np.isfinite(net).all() and np.isfinite(load).all()) or (net < 0).any() or (load < 0).any():
        raise InputError(f"product '{product.name}': net premiums and loadings must be amounts ≥ 0", column="net")
    base = net + load if product.base_tariffs is None else np.asarray(product.base_tariffs, np.float64).reshape(-1)
    if base.size == 0 or not np.isfinite(base).all() or (base <= 0).any():
        raise InputError(f"product '{product.name}': every base tariff must be a positive rate", column="base_tariffs")
    checks: list[TariffCheck] = []
    in_force = pack.in_force("tariffs.loading_max_to_net")
    excluded = set(pack.value("tariffs.excluded_kinds")) if in_force else set()
    scope = product.for_individuals and product.voluntary and product.kind not in excluded
    why_not = ("not in force in pack " + pack.name if not in_force else
               "not an individuals' voluntary product" if not (product.for_individuals and product.voluntary) else
               f"kind '{product.kind}' is excluded")
    if in_force and scope:
        cap = pack.number("tariffs.loading_max_to_net")
        bad = load > cap * net * (1 + 1e-12)
        detail = (f"loading ≤ {cap:g} × net premium in all {net.size} tariff cell(s); highest loading/net = "
                  f"{_max_ratio(load, net)}") if not bad.any() else (
            f"{int(bad.sum())} of {net.size} cell(s) exceed: first is cell {int(np.flatnonzero(bad)[0]) + 1}, loading "
            f"{load[bad][0]:g} > {cap:g} × net {net[bad][0]:g}")
        checks.append(TariffCheck("KZ3-T151", pack.cite("tariffs.loading_max_to_net"), True, not bad.any(), detail))
        mx, mn = float(base.max()), float(base.min())
        den = pack.value("tariffs.base_spread_denominator")
        limit = pack.number("tariffs.base_spread_max")
        spread = (mx - mn) / (mn if den == "min" else mx)
        checks.append(TariffCheck(
            "KZ3-T161", pack.cite("tariffs.base_spread_max"), True, spread <= limit + 1e-12,
            f"base tariffs {mn:g} … {mx:g}: (max − min)/{den} = {spread:.2%} vs limit {limit:.0%}"))
    else:
        for rule, key in (("KZ3-T151", "tariffs.loading_max_to_net"), ("KZ3-T161", "tariffs.base_spread_max")):
            checks.append(TariffCheck(rule, pack.param(key).paragraph, False, True, f"not applicable: {why_not}"))
    return TariffReport(product.name, pack.name, tuple(checks))


def _max_ratio(load: npt.NDArray[np.float64], net: npt.NDArray[np.float64]) -> str:
    pos = net > 0
    if not pos.any():
        return "n/a (net premium 0)"
    return f"{float((load[pos] / net[pos]).max()):.4f}"
