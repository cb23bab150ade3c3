"""Inputs of the two opinions (KZ191-MT, KZ191-IND): bad input names the file, row and column or the configuration
key and nothing is written; the eligibility of the independent actuary (NB RK Resolution No. 191, Appendix 5 §5
and §6(1)-(3)) is checked through the actuary registry before anything is measured, each refusal naming its rule;
the comparison rules on small hand-made documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.demo.statutory_inputs import (
    demo_independent_config,
    demo_transaction_config,
    demo_transaction_objects,
)
from aktuar.errors import InputError
from aktuar.services.opinions import (
    EngagementRefused,
    compare_reserves,
    load_independent,
    load_transaction,
    run_independent_opinion,
)

V = "2026-12-31"


def _close_doc(rows: list[dict[str, object]]) -> dict[str, object]:
    return {"schema": "aktuar-statutory/1", "entity": "Demo Insurance JSC", "currency": "KZT", "valuation_date": V,
            "calculated_as_of": "2027-01-01", "due_date": "2027-04-30", "pack": {"name": "kz/2026-02"},
            "solvency": {"own_funds": 1e9, "actual_margin": 9e8, "minimum_margin": 5e8, "ratio": 1.8},
            "tables": [{"key": "reserves", "rows": rows}]}


def _row(cls: str, **vals: float) -> dict[str, object]:
    r: dict[str, object] = {"class": cls}
    for k in ("upr", "rbns", "ibnr", "urr", "annuities", "life", "total"):
        r[f"{k}_gross"] = vals.get(k, 0.0)
        r[f"{k}_reinsurance"] = vals.get(f"{k}_re", 0.0)
    return r


@pytest.fixture
def mt_folder(tmp_path: Path) -> Path:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / f"statutory-{V}.json").write_text(json.dumps(_close_doc([_row("Total")])),
                                                              encoding="utf-8")
    demo_transaction_objects(0.2).write_csv(tmp_path / "transaction-objects.csv")
    (tmp_path / "transaction.toml").write_text(demo_transaction_config(f"results/statutory-{V}.json"),
                                               encoding="utf-8")
    return tmp_path


@pytest.mark.req("KZ191-MT")
def test_bad_objects_name_file_row_and_column(mt_folder: Path) -> None:
    assert len(load_transaction(mt_folder / "transaction.toml").objects) == 3
    csv = mt_folder / "transaction-objects.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",70000000.0,", ",-70000000.0,")
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_transaction(mt_folder / "transaction.toml")
    assert (Path(str(e.value.file)).name, e.value.row, e.value.column) == ("transaction-objects.csv", 3, "sum_insured")
    res = CliRunner().invoke(app, ["statutory", "transaction", str(mt_folder / "transaction.toml"), "--out",
                                   str(mt_folder / "out")])
    assert res.exit_code == 2 and "row 3" in res.output and not (mt_folder / "out").exists()
    csv.write_text("object_id,sum_insured,premium\nA,1,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="'tariff'"):
        load_transaction(mt_folder / "transaction.toml")


@pytest.mark.req("KZ191-MT")
@pytest.mark.parametrize(("old", "new", "key"), [
    ('policyholder = "LLP', 'policyholder_x = "LLP', "contract.policyholder_x"),
    ('tariff_basis = "increased"', 'tariff_basis = "special"', "contract.tariff_basis"),
    ('end = "2028-02-29"', 'end = "2026-02-28"', "contract.end"),
    ("share = 0.30", "share = 1.30", "reinsurance.placement[1].share"),
    ('id = "MT-2027-001"', 'id = "MT 2027/001"', "id"),
    ("max_retention_share = 0.10", "max_retention_share = 0", "capacity.max_retention_share"),
])
def test_bad_configuration_names_the_key(mt_folder: Path, old: str, new: str, key: str) -> None:
    cfg = mt_folder / "transaction.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_transaction(cfg)
    assert e.value.column == key and Path(str(e.value.file)).name == "transaction.toml"


@pytest.mark.req("KZ191-MT")
def test_results_must_be_a_statutory_close(mt_folder: Path) -> None:
    (mt_folder / "results" / f"statutory-{V}.json").write_text('{"schema": "other"}', encoding="utf-8")
    with pytest.raises(InputError, match="aktuar-statutory/1") as e:
        load_transaction(mt_folder / "transaction.toml")
    assert e.value.column == "statutory_results"


# ------------------------------------------------------------------------------------------- independent
@pytest.fixture
def ind_folder(tmp_path: Path) -> Path:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / f"statutory-{V}.json").write_text(json.dumps(_close_doc([_row("Total")])),
                                                              encoding="utf-8")
    (tmp_path / "results" / "text.toml").write_text("[opinion]\n", encoding="utf-8")
    (tmp_path / "own.toml").write_text("# never read when the engagement is refused\n", encoding="utf-8")
    (tmp_path / "independent-text.toml").write_text("[opinion]\n", encoding="utf-8")
    (tmp_path / "independent.toml").write_text(demo_independent_config(
        f"results/statutory-{V}.json", "results/text.toml", "own.toml"), encoding="utf-8")
    return tmp_path


def _refused(folder: Path) -> list[str]:
    with pytest.raises(EngagementRefused) as e:
        run_independent_opinion(folder / "independent.toml", folder / "out")
    assert not (folder / "out").exists()
    return [r for r, _ in e.value.refusals]


def _edit(folder: Path, old: str, new: str) -> None:
    cfg = folder / "independent.toml"
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")


HISTORY = "\n".join(f'[[engagement]]\norganization = "Demo Insurance JSC"\nyear = {y}\n'
                    f'independent = "Nezavisimov Bolat (fictitious)"\ninhouse = "Aktuarova Aigerim (fictitious)"\n'
                    for y in (2021, 2022, 2023))


@pytest.mark.req("KZ191-IND")
def test_five_consecutive_years(ind_folder: Path) -> None:
    """App. 5 §5: 2024 and 2025 are in the demo history; with 2021-2023 the run is 5 years (2021-2025)."""
    _edit(ind_folder, "[opinion]\n", HISTORY + "\n[opinion]\n")
    assert _refused(ind_folder) == ["App. 5 para 5"]
    res = CliRunner().invoke(app, ["statutory", "independent", str(ind_folder / "independent.toml"), "--out",
                                   str(ind_folder / "out")])
    assert res.exit_code == 1 and "prohibited (App. 5 para 5)" in res.output and "2021–2025" in res.output


@pytest.mark.req("KZ191-IND")
def test_employment_within_two_years(ind_folder: Path) -> None:
    """App. 5 §6(3): worked at the insurer until 30.06.2025 (within 2025-2026)."""
    _edit(ind_folder, 'employment = [{organization = "Other Insurance JSC", from = "2008-01-01", to = "2019-12-31"}]',
          'employment = [{organization = "Demo Insurance JSC", from = "2020-01-01", to = "2025-06-30"}]')
    assert _refused(ind_folder) == ["App. 5 para 6(3)"]


@pytest.mark.req("KZ191-IND")
def test_affiliation_and_relative(ind_folder: Path) -> None:
    """App. 5 §6(1): a relative of the in-house actuary."""
    _edit(ind_folder, 'name = "Nezavisimova Dana"', 'name = "Aktuarova Aigerim (fictitious)"')
    assert _refused(ind_folder) == ["App. 5 para 6(1)"]


@pytest.mark.req("KZ191-IND")
def test_cross_verification_within_one_year(ind_folder: Path) -> None:
    """App. 5 §6(2): the in-house actuary verified the independent actuary as an independent actuary for 2025."""
    cross = ('[[engagement]]\norganization = "Actuarial Services LLP"\nyear = 2025\n'
             'independent = "Aktuarova Aigerim (fictitious)"\ninhouse = "Nezavisimov Bolat (fictitious)"\n')
    _edit(ind_folder, "[opinion]\n", cross + "\n[opinion]\n")
    assert _refused(ind_folder) == ["App. 5 para 6(2)"]


@pytest.mark.req("KZ191-IND")
@pytest.mark.parametrize(("old", "new", "key"), [
    ('verification = "mandatory"', 'verification = "voluntary"', "verification"),
    ('verification_end = "2027-04-15"', 'verification_end = "2026-12-01"', "verification_end"),
    ("reporting_year = 2026", "reporting_year = 2025", "reporting_year"),
    ("materiality = 0.05", "materiality = 5", "materiality"),
    ('statutory_config = "own.toml"', 'statutory_config = "missing.toml"', "statutory_config"),
    ('full_name = "Nezavisimov Bolat (fictitious)"', 'full_name = "Bolat"', "independent.full_name"),
    ('from = "2008-01-01"', 'from = "2008-13-01"', "independent.employment[1].from"),
])
def test_bad_independent_configuration(ind_folder: Path, old: str, new: str, key: str) -> None:
    _edit(ind_folder, old, new)
    with pytest.raises(InputError) as e:
        load_independent(ind_folder / "independent.toml")
    assert e.value.column == key and Path(str(e.value.file)).name == "independent.toml"


@pytest.mark.req("KZ191-IND")
def test_materiality_out_of_range_is_an_error(ind_folder: Path) -> None:
    """Without a configured threshold the pack's independent_actuary.materiality applies; a threshold that is not
    a fraction is refused with its key."""
    _edit(ind_folder, "materiality = 0.05\n", "materiality = 5\n")
    with pytest.raises(InputError) as e:
        run_independent_opinion(ind_folder / "independent.toml", ind_folder / "out")
    assert not (ind_folder / "out").exists()
    assert e.value.column == "materiality"


@pytest.mark.req("KZ191-IND")
def test_compare_reserves_rules() -> None:
    a = _close_doc([_row("A", upr=100.0, ibnr=50.0, total=150.0), _row("Total", upr=100.0, ibnr=50.0, total=150.0)])
    b = _close_doc([_row("A", upr=104.0, ibnr=60.0, urr=3.0, total=167.0),
                    _row("B", rbns=10.0, total=10.0), _row("Total", upr=104.0, ibnr=60.0, urr=3.0, rbns=10.0,
                                                           total=177.0)])
    rows = {(r["class"], r["reserve"]): r for r in compare_reserves(a, b, 0.05)}
    assert ("A", "rbns") not in rows  # both zero
    assert rows[("A", "upr")]["pct_gross"] == pytest.approx(0.04) and not rows[("A", "upr")]["material"]
    assert rows[("A", "ibnr")]["pct_gross"] == pytest.approx(0.2) and rows[("A", "ibnr")]["material"]
    assert rows[("A", "urr")]["pct_gross"] is None and rows[("A", "urr")]["material"]  # in-house 0
    assert rows[("B", "rbns")]["missing"] == "in-house" and rows[("B", "rbns")]["difference_gross"] == 10.0
    assert rows[("Total", "total")]["difference_gross"] == 27.0
    floor = {(r["class"], r["reserve"]): r for r in compare_reserves(a, b, 0.05, materiality_amount=5.0)}
    assert not floor[("A", "urr")]["material"] and floor[("A", "ibnr")]["material"]
