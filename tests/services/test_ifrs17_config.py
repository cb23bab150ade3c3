"""Configuration and input files of an IFRS 17 close: every mistake is named with file, key / row / column."""

from __future__ import annotations

from pathlib import Path

import pytest

from aktuar.data.ifrs17 import read_contracts, read_curves
from aktuar.errors import InputError
from aktuar.services.ifrs17_config import load_config

CONTRACTS = """contract_id,portfolio,issue_date,coverage_start,coverage_end,premium,acquisition_cost
A1,Motor,2025-01-01,2025-01-01,2025-12-31,1200,100
A2,Motor,2025-07-01,2025-07-01,2026-06-30,600,
B1,Home,2025-03-01,2025-03-01,2026-02-28,300,30
"""
CURVES = """reporting_date,maturity,rate
2024-12-31,1,0.12
2024-12-31,5,0.11
2025-12-31,1,0.115
2025-12-31,5,0.105
"""
CLAIMS = "claim_id,class,accident_date,report_date,transaction_date,paid,case_reserve\n"

BASE = """entity = "Test Insurance"
reporting_dates = ["2025-12-31"]
[curves]
file = "curves.csv"
ufr = 0.06
[[portfolio]]
name = "Motor"
approach = "paa"
contracts = "contracts.csv"
claims = "claims.csv"
"""


def _folder(tmp_path: Path, config: str = BASE) -> Path:
    (tmp_path / "contracts.csv").write_text(CONTRACTS)
    (tmp_path / "curves.csv").write_text(CURVES)
    (tmp_path / "claims.csv").write_text(CLAIMS)
    p = tmp_path / "ifrs17.toml"
    p.write_text(config)
    return p


def test_a_minimal_configuration_with_defaults(tmp_path: Path) -> None:
    c = load_config(_folder(tmp_path))
    assert c.entity == "Test Insurance" and c.currency == "KZT"
    assert c.opening_date.isoformat() == "2024-12-31"
    assert c.paa[0].claims_value == "Motor" and c.paa[0].reserving_method == "mack"
    assert c.confidence_level == 0.75 and not c.oci_option
    assert c.portfolio_names == ("Motor",)


@pytest.mark.parametrize(("change", "key", "message"), [
    (("ufr = 0.06", "ufr = 6"), "curves.ufr", "out of range"),
    (('name = "Motor"', 'name = "Motor"\nulae_ratio = "5%"'), "portfolio[1].ulae_ratio", "must be a float"),
    (('approach = "paa"', 'approach = "bba"'), "portfolio[1].approach", "use paa or gmm"),
    (('file = "curves.csv"', 'file = "nowhere.csv"'), "curves.file", "does not exist"),
    (('reporting_dates = ["2025-12-31"]', 'reporting_dates = ["2025-12-31", "2025-06-30"]'), "reporting_dates",
     "increasing order"),
    (('reporting_dates = ["2025-12-31"]', 'reporting_dates = ["31/12/2025"]'), "reporting_dates[1]", "not a date"),
    (('entity = "Test Insurance"', 'entity = "Test Insurance"\nconfidence = 0.9'), "confidence", "unknown key"),
    (('name = "Motor"', 'name = "Motor"\nreserving_method = "bootstrap"'), "portfolio[1].reserving_method",
     "use mack or chainladder"),
])
def test_configuration_errors_name_the_key(tmp_path: Path, change: tuple[str, str], key: str, message: str) -> None:
    path = _folder(tmp_path, BASE.replace(*change, 1))
    with pytest.raises(InputError, match=message) as info:
        load_config(path)
    assert info.value.column == key and info.value.file == str(path)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(_folder(tmp_path, BASE + "\n[[portfolio]\n"))
    with pytest.raises(InputError, match="does not exist"):
        load_config(tmp_path / "none.toml")


def test_reinsurance_must_name_a_paa_portfolio(tmp_path: Path) -> None:
    path = _folder(tmp_path, BASE + '[[reinsurance]]\nname = "QS"\nportfolio = "Home"\nshare = 0.3\n')
    with pytest.raises(InputError, match="not a portfolio of this configuration") as info:
        load_config(path)
    assert info.value.column == "reinsurance[1].portfolio"


@pytest.mark.req("KZ84-FCF")
def test_contracts_are_read_and_validated(tmp_path: Path) -> None:
    _folder(tmp_path)
    c = read_contracts(tmp_path / "contracts.csv", portfolio="Motor")
    assert c.contract_id == ("A1", "A2") and c.acquisition_cost.tolist() == [100.0, 0.0]
    assert str(c.premium_received[1]) == "2025-07-01"
    bad = tmp_path / "bad.csv"
    bad.write_text(CONTRACTS.replace("2026-06-30,600", "2025-06-30,600"))
    with pytest.raises(InputError, match="ends before it starts") as info:
        read_contracts(bad)
    assert (info.value.row, info.value.column) == (3, "coverage_end")
    bad.write_text(CONTRACTS.replace(",300,30", ",-300,30"))
    with pytest.raises(InputError, match="negative") as info:
        read_contracts(bad)
    assert (info.value.row, info.value.column) == (4, "premium")
    bad.write_text(CONTRACTS.replace("B1,", "A1,"))
    with pytest.raises(InputError, match="A1|contract_id"):
        read_contracts(bad)
    with pytest.raises(InputError, match="no contract of portfolio 'Life'"):
        read_contracts(tmp_path / "contracts.csv", portfolio="Life")


@pytest.mark.req("KZ84-DISC")
def test_curves_need_every_date_and_plausible_rates(tmp_path: Path) -> None:
    _folder(tmp_path)
    from datetime import date

    t = read_curves(tmp_path / "curves.csv", (date(2024, 12, 31), date(2025, 12, 31)))
    assert t.points[date(2025, 12, 31)][1].tolist() == [0.115, 0.105]
    with pytest.raises(InputError, match="no rates for the reporting date 2026-12-31"):
        read_curves(tmp_path / "curves.csv", (date(2026, 12, 31),))
    bad = tmp_path / "c.csv"
    bad.write_text(CURVES.replace("0.105", "10.5"))
    with pytest.raises(InputError, match="write 12.5 % as 0.125") as info:
        read_curves(bad, (date(2025, 12, 31),))
    assert (info.value.row, info.value.column) == (5, "rate")
