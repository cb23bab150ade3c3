"""Tariff checks, Instruction No. 85 items 15-1 and 16-1 as added by ARDFM Resolution No. 3 of 2026."""

import datetime as dt

import pytest

from aktuar.core.prudential import Product, check_tariff
from aktuar.core.statutory import pack_for
from aktuar.errors import InputError

P = pack_for(dt.date(2026, 12, 31))


@pytest.mark.req("KZ3-T151")
def test_loading_not_above_net_premium() -> None:
    """Item 15-1: for individuals on voluntary classes the loading does not exceed the net premium."""
    ok = check_tariff(P, Product("casco", "art6.3.3", net=[1.0, 2.0], loading=[1.0, 1.5]))
    assert ok.checks[0].rule == "KZ3-T151" and ok.checks[0].passed and "15-1" in ok.checks[0].paragraph
    bad = check_tariff(P, Product("casco", "art6.3.3", net=[1.0, 2.0], loading=[1.2, 1.5]))
    assert not bad.checks[0].passed and not bad.passed and "cell 1" in bad.checks[0].detail


@pytest.mark.req("KZ3-T161")
def test_base_tariff_spread_at_most_50_percent() -> None:
    """Item 16-1: spread between min and max base tariff ≤ 50 % (of the minimum, the pack's reading)."""
    ok = check_tariff(P, Product("p", "c", net=[1.0], loading=[0.5], base_tariffs=[2.0, 3.0]))
    assert ok.checks[1].rule == "KZ3-T161" and ok.checks[1].passed
    bad = check_tariff(P, Product("p", "c", net=[1.0], loading=[0.5], base_tariffs=[2.0, 3.01]))
    assert not bad.checks[1].passed and "50%" in bad.checks[1].detail.replace(" ", "")


@pytest.mark.req("KZ3-T151")
def test_exclusions_and_rules_not_in_force_before_2026() -> None:
    for prod in (Product("life", "c", net=[1.0], loading=[5.0], kind="accumulative_life"),
                 Product("travel", "c", net=[1.0], loading=[5.0], kind="travel_sickness"),
                 Product("corp", "c", net=[1.0], loading=[5.0], for_individuals=False)):
        r = check_tariff(P, prod)
        assert r.passed and not any(c.applies for c in r.checks)
    old = check_tariff(pack_for(dt.date(2025, 6, 30)), Product("casco", "c", net=[1.0], loading=[5.0]))
    assert old.passed and "not in force" in old.checks[0].detail


def test_tariff_degenerate() -> None:
    with pytest.raises(InputError, match="one net premium"):
        check_tariff(P, Product("p", "c", net=[], loading=[]))
    with pytest.raises(InputError, match="positive"):
        check_tariff(P, Product("p", "c", net=[0.0], loading=[0.0]))
    r = check_tariff(P, Product("p", "c", net=[0.0, 1.0], loading=[0.0, 1.0], base_tariffs=[1.0, 1.2]))
    assert r.checks[0].passed
