"""Highly liquid assets, Standard rates item 38 as stated by ARDFM Resolution No. 3 of 2026 (KZ3-HLA)."""

import datetime as dt

import pytest

from aktuar.core.prudential import Asset, liquid_assets, what_if
from aktuar.core.prudential.liquid_assets import downgrade, rating_meets
from aktuar.core.statutory import pack_for
from aktuar.errors import InputError

P = pack_for(dt.date(2026, 12, 31))


@pytest.mark.req("KZ3-HLA")
def test_classification_with_reasons_and_cash_cap() -> None:
    """Item 38 1) cash ≤ 1 % of (assets − reinsurance assets); 5) KZ bank B- / kzBB- / parent A-; 6) IFI AA-;
    7) nonresident BBB-; 8) government; 12) listed corporate debt."""
    assets = [
        Asset("cash", "cash", 30.0),
        Asset("dep1", "kz_bank_deposit", 100.0, rating="B-"),
        Asset("dep2", "kz_bank_deposit", 100.0, rating="CCC+", national_rating="kzBB-"),
        Asset("dep3", "kz_bank_deposit", 100.0, rating="Caa2", parent_rating="A3", agency="moodys"),
        Asset("dep4", "kz_bank_deposit", 100.0, rating="CCC"),
        Asset("ifi", "ifi_deposit", 50.0, rating="AA-"),
        Asset("nrb", "nonresident_bank_deposit", 50.0, rating="Baa3", agency="moodys"),
        Asset("nrb2", "nonresident_bank_deposit", 50.0, rating="BB+"),
        Asset("gov", "government_security", 200.0),
        Asset("corp", "listed_corporate_debt", 70.0, listed=True),
        Asset("corp2", "listed_corporate_debt", 70.0),
        Asset("eq", "other", 10.0),
    ]
    r = liquid_assets(P, assets, total_assets=2500.0, reinsurance_assets=500.0)
    by = {a.asset_id: a for a in r.assets}
    assert r.cash_cap == pytest.approx(20.0) and by["cash"].recognised == pytest.approx(20.0)
    assert [by[k].category for k in ("dep1", "dep2", "dep3", "dep4")] == ["38.5", "38.5", "38.5", None]
    assert "kzBB-" in by["dep2"].reason and "parent" in by["dep3"].reason
    assert by["nrb"].category == "38.7" and by["nrb2"].category is None and by["ifi"].category == "38.6"
    assert by["corp2"].category is None and by["eq"].category is None and "cut off" in by["eq"].reason
    assert r.total == pytest.approx(20 + 300 + 50 + 50 + 200 + 70) and r.incomplete_list


@pytest.mark.req("KZ3-HLA")
def test_rating_what_if() -> None:
    assets = [Asset("dep1", "kz_bank_deposit", 100.0, rating="B"), Asset("nrb", "nonresident_bank_deposit", 50.0,
                                                                           rating="BBB")]
    base, down = what_if(P, assets, 1000.0, notches=1)
    assert base.total == 150.0 and down.total == 150.0  # B → B-, BBB → BBB-: still eligible
    base, down = what_if(P, assets, 1000.0, notches=2)
    assert down.total == 0.0
    _, one = what_if(P, assets, 1000.0, ratings={"nrb": "BB"})
    assert one.total == 100.0
    assert downgrade(P, "AAA", -3) == "AAA" and rating_meets(P, "kzBBB", "kzBB-")
    with pytest.raises(InputError, match="not on the scale"):
        rating_meets(P, "ZZZ", "B-")
    with pytest.raises(InputError, match="re-rate"):
        what_if(P, assets, 1000.0, ratings={"nope": "A"})


def test_liquid_assets_degenerate() -> None:
    r = liquid_assets(P, [], 0.0)
    assert r.total == 0.0
    with pytest.raises(InputError):
        liquid_assets(P, [], 10.0, reinsurance_assets=20.0)
    with pytest.raises(InputError, match="unknown kind"):
        Asset("x", "gold", 1.0)
    with pytest.raises(InputError, match="not in our sources|no value"):
        liquid_assets(pack_for(dt.date(2025, 1, 1)), [Asset("c", "cash", 1.0)], 100.0)
