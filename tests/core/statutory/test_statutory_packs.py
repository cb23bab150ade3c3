"""Regulation packs: schema, dates in force, no overlap (issue 6; KZ3 Resolution item 4; KZ191 App. 3)."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from aktuar.core.statutory.packs import (
    REQUIRED_KEYS,
    builtin_packs,
    check_no_overlap,
    load_pack,
    pack_for,
    parse_pack,
)
from aktuar.errors import InputError

PACK_DIR = Path(__file__).resolve().parents[3] / "src" / "aktuar" / "regulation_packs" / "kz"


def test_shipped_packs_load_and_do_not_overlap() -> None:
    packs = builtin_packs()
    assert [p.name for p in packs] == ["kz/2018-12", "kz/2026-02"]
    assert packs[0].effective_to == packs[1].effective_from - dt.timedelta(days=1)
    for p in packs:
        assert set(REQUIRED_KEYS) <= set(p.parameters)
        for par in p.parameters.values():
            assert par.source in p.sources and par.paragraph


@pytest.mark.req("KZ3-OGPO")
def test_pack_for_date_picks_the_rules_in_force() -> None:
    """Resolution No. 3 item 4: in force 10 calendar days after first publication (date unconfirmed)."""
    assert pack_for(dt.date(2026, 1, 1)).name == "kz/2018-12"
    new = pack_for(dt.date(2027, 1, 1))
    assert new.name == "kz/2026-02" and not new.effective_from_confirmed
    assert new.number("solvency.ogpo_uplift") == 0.5
    with pytest.raises(InputError, match="no regulation pack is in force"):
        pack_for(dt.date(2010, 1, 1))


@pytest.mark.req("KZ191-OP")
def test_opinion_parameters_from_nb191() -> None:
    """NB 191 App. 3 §1 (as of 1 January, due 30 April), §2 (≥ 3 copies), §5 (≥ 2 copies)."""
    for p in builtin_packs():
        assert p.value("opinion.due_day") == "04-30" and p.value("opinion.valuation_day") == "01-01"
        assert p.value("opinion.min_copies") == 3 and p.value("opinion.major_transaction_min_copies") == 2
        assert p.value("reserves.adequacy_months") == 12


def test_null_pre_2026_values_raise_naming_file_and_key_and_can_be_overridden() -> None:
    old = pack_for(dt.date(2025, 12, 31))
    with pytest.raises(InputError) as e:
        old.value("solvency.ogpo_uplift")
    assert e.value.file == "2018-12.yaml" and e.value.column == "solvency.ogpo_uplift"
    assert not old.in_force("tariffs.loading_max_to_net")
    o = old.with_values({"solvency.ogpo_uplift": 0.3}, "prior edition of item 12(2), our assumption")
    assert o.number("solvency.ogpo_uplift") == 0.3 and o.param("solvency.ogpo_uplift").status == "override"
    with pytest.raises(InputError, match="reason"):
        old.with_values({"solvency.ogpo_uplift": 0.3}, " ")


def _raw() -> dict:
    return yaml.safe_load((PACK_DIR / "2026-02.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["parameters"]["solvency"]["ogpo_uplift"].pop("source"), "solvency.ogpo_uplift"),
        (lambda d: d["parameters"]["solvency"]["ogpo_uplift"].update(source="NOPE"), "solvency.ogpo_uplift"),
        (lambda d: d["parameters"]["solvency"]["ogpo_uplift"].update(value=None), "solvency.ogpo_uplift"),
        (lambda d: d["parameters"]["solvency"]["ogpo_uplift"].update(status="guess"), "solvency.ogpo_uplift"),
        (lambda d: d["parameters"]["solvency"].pop("life_reserve_rate"), "solvency.life_reserve_rate"),
        (lambda d: d.update(effective_from="soon"), "effective_from"),
        (lambda d: d.update(colour="red"), "colour"),
    ],
)
def test_schema_errors_name_file_and_key(mutate, key) -> None:
    d = _raw()
    mutate(d)
    with pytest.raises(InputError) as e:
        parse_pack(d, "2026-02.yaml")
    assert e.value.file == "2026-02.yaml" and e.value.column == key


def test_overlap_and_bad_yaml(tmp_path: Path) -> None:
    a = parse_pack(_raw(), "a.yaml")
    d = _raw()
    d["effective_from"] = "2027-01-01"
    b = parse_pack(d, "b.yaml")
    with pytest.raises(InputError, match="overlap"):
        check_no_overlap([a, b])
    bad = tmp_path / "x.yaml"
    bad.write_text("pack: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_pack(bad)
    assert e.value.file is not None and e.value.file.endswith("x.yaml")
