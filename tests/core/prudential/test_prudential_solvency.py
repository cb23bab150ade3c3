"""Minimum solvency margin with the 2026 rules (ARDFM Resolution No. 3 of 2026, Standard rates items 12, 14, 21)."""

import datetime as dt

import pytest

from aktuar.core.prudential import PremiumLine, minimum_margin, solvency
from aktuar.core.statutory import pack_for
from aktuar.errors import InputError

P26 = pack_for(dt.date(2026, 12, 31))
P25 = pack_for(dt.date(2025, 12, 31))


@pytest.mark.req("KZ3-OGPO")
@pytest.mark.parametrize(("share", "uplift"), [(None, 0.5), (0.9, 0.0), (0.8, 0.0), (0.79, 0.25), (0.5, 0.25),
                                               (0.3, 0.5)])
def test_ogpo_premiums_increased(share, uplift) -> None:
    """Item 12(2): OGPO VTS premiums +50 %; pool ≥ 80 % of licensees: 0; 50–80 %: +25 %."""
    r = minimum_margin(P26, [PremiumLine("OGPO_VTS", 1000.0, pool_share=share)])
    assert r.adjusted_premium == pytest.approx(1000.0 * (1 + uplift))
    assert r.premium_index == pytest.approx(0.18 * 1000 * (1 + uplift))  # no claims history: k = 1


@pytest.mark.req("KZ3-M14")
def test_listed_classes_related_party_and_pool_exemption() -> None:
    """Item 14: +10 % on classes 13, 14, 15-1, 16; +10 % class 12 non-performance; +10 % related party;
    the listed-class increase not for pools of ≥ 5 insurers."""
    lines = [PremiumLine("art6.3.13", 1000.0, related_party_premium=200.0),
             PremiumLine("art6.3.16", 500.0, pool_insurers=5),
             PremiumLine("art6.3.12", 300.0, non_performance=True),
             PremiumLine("art6.3.12", 100.0),
             PremiumLine("art6.3.8", 400.0)]
    r = minimum_margin(P26, lines)
    assert r.m14_increase == pytest.approx(100.0 + 20.0 + 0.0 + 30.0)
    assert r.minimum_margin == pytest.approx(0.18 * 2300.0 + 150.0)
    assert any("exempt" in c.formula for c in r.components)


@pytest.mark.req("KZ3-M21")
@pytest.mark.parametrize(("net", "coef"), [(900.0, 0.9), (500.0, 0.85), (1000.0, 1.0)])
def test_life_part_with_correction_floor(net, coef) -> None:
    """Item 21 part two 2): 4 % × reserves × max(0.85, net/gross at the previous year end)."""
    r = minimum_margin(P26, [], life_reserves=10_000.0, life_prev_gross_reserves=1000.0, life_prev_net_reserves=net)
    assert r.life_part == pytest.approx(0.04 * 10_000 * coef)


def test_claims_index_retention_and_sufficiency_ratio() -> None:
    """Standard (Solvency I) indicators from the pack: claims 26 % of the 3-year average, k ≥ 0.5."""
    r = solvency(P26, [PremiumLine("art6.3.8", 1000.0)], own_funds=500.0, deductions={"intangibles": 100.0},
                 gross_claims=[900.0, 1200.0, 1500.0, 1800.0], net_claims=[450.0, 300.0, 300.0, 300.0])
    k = max(0.5, 900.0 / 4500.0)
    assert r.retention == pytest.approx(k)
    assert r.claims_index == pytest.approx(0.26 * 1500.0 * k)
    assert r.minimum_margin == pytest.approx(max(0.18 * 1000 * k, 0.26 * 1500 * k))
    assert r.actual_margin == 400.0 and r.ratio == pytest.approx(400.0 / r.minimum_margin) and r.sufficient
    assert "standard_formula" in r.components[1].citation or "standard_formula" in r.components[2].citation


def test_degenerate_and_pre_2026_pack() -> None:
    r = solvency(P26, [], own_funds=0.0)
    assert r.minimum_margin == 0.0 and r.ratio is None and r.sufficient
    with pytest.raises(InputError) as e:
        minimum_margin(P25, [PremiumLine("OGPO_VTS", 1.0)])
    assert e.value.file == "2018-12.yaml"
    with pytest.raises(InputError, match="premium"):
        PremiumLine("X", -1.0)
    with pytest.raises(InputError, match="same years"):
        minimum_margin(P26, [], gross_claims=[1.0], net_claims=[])
