"""The Kazakhstan statutory close end to end (`aktuar statutory close CONFIG --out DIR`) on the demo insurer's
inputs at 31.12.2026 (pack kz/2026-02): reserves by class, the 12-month run-off adequacy test (KZ191-OP item
9(2)), the solvency margin, highly liquid assets, tariff checks; good runs and bad input."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.demo.statutory_inputs import VALUATION
from aktuar.errors import InputError
from aktuar.services.demo import run_demo_statutory
from aktuar.services.statutory import SCHEMA, StatutoryRun, run_statutory_close
from aktuar.services.statutory_config import load_config

V0 = date(2025, 12, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StatutoryRun]:
    """The demo's statutory step (``aktuar demo``): inputs, configuration, close and opinion."""
    folder = tmp_path_factory.mktemp("statutory")
    return folder, run_demo_statutory(folder, seed=11, scale=0.25)


@pytest.fixture(scope="module")
def inputs(demo: tuple[Path, StatutoryRun]) -> Path:
    return demo[0]


@pytest.fixture(scope="module")
def run(demo: tuple[Path, StatutoryRun]) -> StatutoryRun:
    return demo[1]


@pytest.mark.req("KZ191-OP")
def test_the_demo_closes_at_31_12_2026_with_the_opinion(demo: tuple[Path, StatutoryRun]) -> None:
    folder, run = demo
    assert run.document["valuation_date"] == VALUATION.isoformat() == "2026-12-31"
    assert run.document["pack"]["name"] == "kz/2026-02"
    names = {p.name for p in (folder / "results").iterdir()}
    assert {f"opinion-2026-12-31-{lang}.{ext}" for lang in ("ru", "en") for ext in ("pdf", "docx")} <= names
    assert {"statutory.toml", "claims.csv", "contracts.csv", "osns-beneficiaries.csv", "life-policies.csv",
            "assets.csv", "own-funds.csv", "products.csv", "reinsurance.csv"} <= {p.name for p in folder.iterdir()}
    assert 1.0 < run.document["solvency"]["ratio"] < 5.0


def _table(doc: dict, key: str) -> dict:
    return next(t for t in doc["tables"] if t["key"] == key)


def _copy(inputs: Path, tmp: Path) -> Path:
    folder = tmp / "in"
    shutil.copytree(inputs, folder, ignore=shutil.ignore_patterns("results"))
    return folder


@pytest.mark.req("KZ191-OP")
def test_command_line_writes_json_and_xlsx(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["statutory", "close", str(inputs / "statutory.toml"), "--out", str(out),
                                   "--no-opinion"])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert names == {"statutory-2026-12-31.json", "statutory-2026-12-31.xlsx", "statutory-2026-12-31-ru.xlsx",
                     "opinion-text-2026-12-31.toml"}
    doc = json.loads((out / "statutory-2026-12-31.json").read_text(encoding="utf-8"))
    assert doc["schema"] == SCHEMA and doc["pack"]["name"] == "kz/2026-02"
    assert doc["calculated_as_of"] == "2027-01-01" and doc["due_date"] == "2027-04-30"
    assert all(len(v["sha256"]) == 64 for v in doc["input"].values())
    keys = {t["key"] for t in doc["tables"]}
    assert {"reserves", "premiums", "upr", "rbns", "ibnr", "development", "settlement_expenses",
            "average_paid_claim", "unexpired_risk", "osns", "life", "reinsurance", "adequacy", "solvency",
            "liquid_assets", "tariffs", "pack"} <= keys
    wb = openpyxl.load_workbook(out / "statutory-2026-12-31.xlsx")
    assert {"Summary", "reserves", "adequacy", "solvency", "ibnr"} <= set(wb.sheetnames)
    ws = wb["reserves"]
    assert ws.cell(4, 1).value == "Class" and ws.cell(5, 2).number_format.startswith("#,##0.00")
    assert "Statutory reserves" in res.output


@pytest.mark.req("KZ191-OP")
def test_reserves_by_class_add_up_and_match_the_inputs(run: StatutoryRun, inputs: Path) -> None:
    doc = run.document
    rows = _table(doc, "reserves")["rows"]
    total = rows[-1]
    assert total["class"] == "Total"
    for key in ("upr_gross", "rbns_gross", "ibnr_gross", "total_gross", "total_reinsurance", "total_net"):
        assert total[key] == pytest.approx(sum(r[key] for r in rows[:-1]), rel=1e-12)
    for r in rows:
        assert r["total_net"] == pytest.approx(r["total_gross"] - r["total_reinsurance"])
    # UPR recomputed from the contracts file: premium × days of cover after V / days of cover
    c = pl.read_csv(inputs / "contracts.csv", try_parse_dates=True)
    v = pl.lit(VALUATION)
    c = c.filter(pl.col("issue_date") <= v).with_columns(
        ((pl.col("coverage_end") - pl.col("coverage_start")).dt.total_days() + 1).alias("n"),
        (pl.col("coverage_end") - v).dt.total_days().clip(0).alias("after"))
    c = c.with_columns((pl.col("premium") * pl.min_horizontal("after", "n") / pl.col("n")).alias("upr"))
    by = dict(c.group_by("portfolio").agg(pl.col("upr").sum()).iter_rows())
    for r in rows:
        if r["class"] in by:
            assert r["upr_gross"] == pytest.approx(by[r["class"]], rel=1e-9)
    # Property's reinsurer's share is 40 % of every reserve (item 8(4))
    prop = next(r for r in rows if r["class"] == "Property")
    assert prop["total_reinsurance"] == pytest.approx(0.4 * prop["total_gross"], rel=1e-9)
    # RBNS case estimates: the last case reserve of each open claim reported by V
    t = pl.read_csv(inputs / "claims.csv", try_parse_dates=True).with_row_index("o")
    last = t.filter(pl.col("transaction_date") <= v).sort(["claim_id", "transaction_date", "o"]).group_by(
        "claim_id", maintain_order=True).agg(pl.col("class").first(), pl.col("case_reserve").last(),
                                             pl.col("status").last())
    open_case = dict(last.filter(pl.col("status") != "closed").group_by("class").agg(
        pl.col("case_reserve").sum()).iter_rows())
    for r in _table(doc, "rbns")["rows"]:
        assert r["case"] + r["replaced_by_annuities"] == pytest.approx(open_case.get(r["class"], 0.0), rel=1e-9)


@pytest.mark.req("KZ191-OP")
def test_ibnr_record_item_8_5(run: StatutoryRun) -> None:
    recs = {r["class"]: r for r in run.document["ibnr_records"]}
    assert set(recs) == {"OGPO VTS", "Property", "OSNS", "DMS"}
    prop = recs["Property"]
    assert prop["method"].startswith("Bornhuetter–Ferguson") and prop["apriori_loss_ratio"] == 0.45
    assert prop["large_loss_threshold"] == 50e6 and "major-loss smoothing" in prop["method"]
    assert prop["loss_period"] == ["2017", "2026"] and prop["n_origins"] == 10
    assert len(prop["development_factors"]) == len(prop["development_ages"]) - 1 and prop["rationale"]
    for r in recs.values():
        assert np.isfinite(r["cumulative_factors"]).all()
        assert sum(r["ibnr_by_origin"]) == pytest.approx(
            next(x for x in _table(run.document, "ibnr")["rows"] if x["class"] == r["class"])["gross"])


@pytest.mark.req("KZ191-OP")
def test_adequacy_runoff_over_the_last_12_months(run: StatutoryRun, inputs: Path) -> None:
    """Item 9(2): payments in the 12 months on claims incurred before the start, recomputed from the claims."""
    doc = run.document
    assert doc["adequacy"]["start"] == "2025-12-31" and doc["adequacy"]["months"] == 12
    ad = {r["class"]: r for r in _table(doc, "adequacy")["rows"]}
    t = pl.read_csv(inputs / "claims.csv", try_parse_dates=True)
    paid = t.filter((pl.col("transaction_date") > pl.lit(V0)) & (pl.col("transaction_date") <= pl.lit(VALUATION))
                    & (pl.col("accident_date") <= pl.lit(V0)))
    by = dict(paid.group_by("class").agg(pl.col("paid").sum()).iter_rows())
    for c, r in ad.items():
        if c == "Total":
            continue
        assert r["paid"] == pytest.approx(by.get(c, 0.0), rel=1e-9)
        assert r["difference"] == pytest.approx(r["reserve_start"] - r["paid"] - r["reserve_end"])
        assert r["rbns_difference"] + r["ibnr_difference"] == pytest.approx(r["difference"])
        assert r["sufficient"] == ("sufficient" if r["difference"] >= 0 else "insufficient")
    # the start reserve is the close's own RBNS case + IBNR at V0
    before = run.close.before
    for k, c in enumerate(run.close.classes):
        assert ad[c]["reserve_start"] == pytest.approx(before.case[k] + before.ibnr_gross[k])
    tot = ad["Total"]
    assert tot["difference"] == pytest.approx(sum(r["difference"] for c, r in ad.items() if c != "Total"))


@pytest.mark.req("KZ3-OGPO")
@pytest.mark.req("KZ3-M21")
@pytest.mark.req("KZ3-HLA")
@pytest.mark.req("KZ3-T151")
@pytest.mark.req("KZ3-T161")
def test_normatives_liquid_assets_and_tariffs(run: StatutoryRun) -> None:
    doc = run.document
    sv = doc["solvency"]
    comps = {r["component"]: r for r in _table(doc, "solvency")["rows"]}
    # OGPO VTS within a pool of 60 % of the licensees: +25 % (Standard rates item 12(2))
    assert "OGPO VTS premium +25%" in comps
    ogpo = run.close.premium_written[run.close.classes.index("OGPO VTS")]
    assert comps["OGPO VTS premium +25%"]["amount"] == pytest.approx(0.25 * ogpo)
    assert sv["life_part"] == pytest.approx(0.04 * run.close.life.total * max(0.85, 330 / 400))
    assert sv["actual_margin"] == pytest.approx(sv["own_funds"] - sum(sv["deductions"].values()))
    assert sv["ratio"] == pytest.approx(sv["actual_margin"] / sv["minimum_margin"])
    la = {r["asset"]: r for r in _table(doc, "liquid_assets")["rows"]}
    assert la["DEP-BANK-B"]["category"] == "38.5" and la["DEP-BANK-B"]["what_if_category"] == "not liquid"
    assert la["REAL-ESTATE"]["category"] == "not liquid" and la["REAL-ESTATE"]["reason"]
    assert la["CASH-1"]["recognised"] <= la["CASH-1"]["amount"]
    assert doc["liquid_assets"]["what_if_total"] < doc["liquid_assets"]["total"]
    assert {t["product"]: t["passed"] for t in doc["tariffs"]} == {"Home Protect": True, "Accident Plus": False}


@pytest.mark.req("KZ191-OP")
def test_osns_and_life_parameters_recorded(run: StatutoryRun) -> None:
    doc = run.document
    par = doc["osns"]["parameters"]
    assert par["reexamination"]["factor_per_reexamination"] == pytest.approx(0.85 + 0.15 * 0.5)
    assert par["indexation"] == 0.05 and "flat 10" in par["discount"] and par["table_illustrative"]
    assert doc["osns"]["total"] > 0 and set(doc["osns"]["by_kind"]) == {"victim", "dependant"}
    assert doc["life"]["table"].startswith("Illustrative") and doc["life"]["interest"] == 0.05
    assert any("ILLUSTRATIVE" in w for w in doc["warnings"])


@pytest.mark.req("KZ191-OP")
def test_pack_chosen_by_date_and_pre_2026_values_missing(inputs: Path, tmp_path: Path) -> None:
    """A valuation before ARDFM Resolution No. 3 takes pack kz/2018-12, whose prudential values are not in our
    sources: the close stops with an error naming the pack file and key, and writes nothing."""
    folder = _copy(inputs, tmp_path)
    cfg = folder / "statutory.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('valuation_date = "2026-12-31"',
                                                           'valuation_date = "2025-12-31"'), encoding="utf-8")
    with pytest.raises(InputError, match=r"2018-12\.yaml.*solvency\.") as exc:
        run_statutory_close(cfg, folder / "out", opinion=False)
    assert "not in our sources" in str(exc.value) or "not in force" in str(exc.value)
    assert not (folder / "out").exists()


def _rewrite_cell(path: Path, row: int, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[head.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("file", "row", "column", "value", "message"), [
    ("claims.csv", 7, "paid", "abc", "claims.csv, row 7, column 'paid'"),
    ("claims.csv", 4, "report_date", "31.02.2020", "claims.csv, row 4, column 'report_date'"),
    ("contracts.csv", 6, "premium", "-5", "contracts.csv, row 6, column 'premium'"),
    ("osns-beneficiaries.csv", 3, "kind", "widow", "osns-beneficiaries.csv, row 3, column 'kind'"),
    ("assets.csv", 5, "kind", "crypto", "assets.csv, row 5, column 'kind'"),
    ("products.csv", 2, "net", "x", "products.csv, row 2, column 'net'"),
    ("life-policies.csv", 4, "product", "annuity", "life-policies.csv, row 4, column 'product'"),
    ("reinsurance.csv", 3, "share", "40", "reinsurance.csv, row 3, column 'share'"),
])
def test_bad_file_names_row_and_column_and_writes_nothing(inputs: Path, tmp_path: Path, file: str, row: int,
                                                          column: str, value: str, message: str) -> None:
    folder = _copy(inputs, tmp_path)
    _rewrite_cell(folder / file, row, column, value)
    out = folder / "out"
    res = CliRunner().invoke(app, ["statutory", "close", str(folder / "statutory.toml"), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split()), res.output
    assert not out.exists()


@pytest.mark.parametrize(("old", "new", "key"), [
    ('ibnr_method = "bf"\n', 'ibnr_method = "bornhuetter"\n', "class[2].ibnr_method"),
    ("apriori_loss_ratio = 0.45\n", "", "class[2].apriori_loss_ratio"),
    ('valuation_date = "2026-12-31"', 'valuation_date = "31 December"', "valuation_date"),
    ("expense_years = 3", "expense_years = 3\nexpenses_years = 2", "expenses_years"),
    ('claims = "claims.csv"', 'claims = "missing.csv"', "files.claims"),
    ("interest = 0.05", 'interest = "5%"', "life.interest"),
    ("copies = 3", "copies = 2", "opinion.copies"),
    ('class = "Property"\nreinsurer', 'class = "Marine"\nreinsurer', "additional_risks.reinsurer[1].class"),
    ("pd = 0.001\n", "", "additional_risks.reinsurer[1].pd"),
    ("excess_inflation = 0.02", "excess_inflation = 2", "additional_risks.excess_inflation"),
    ("runoff_materiality = 0.05", "runoff_materiality = 0.05\nuncertainty = 0.9", "additional_risks.uncertainty"),
    ("[[additional_risks.reinsurer]]", '[[additional_risks.item]]\ntitle = "Court case"\namount = 5.0\n\n'
                                       "[[additional_risks.reinsurer]]", "additional_risks.item[1].reason"),
])
def test_bad_configuration_names_the_key(inputs: Path, tmp_path: Path, old: str, new: str, key: str) -> None:
    folder = _copy(inputs, tmp_path)
    cfg = folder / "statutory.toml"
    text = cfg.read_text(encoding="utf-8")
    assert old in text
    cfg.write_text(text.replace(old, new, 1), encoding="utf-8")
    out = folder / "out"
    with pytest.raises(InputError) as exc:
        load_config(cfg)
        run_statutory_close(cfg, out)
    assert exc.value.column == key, str(exc.value)
    assert not out.exists()


@pytest.mark.req("KZ191-OP")
def test_additional_risks_item_8_9(run: StatutoryRun, inputs: Path, tmp_path: Path) -> None:
    """Item 8(9): the demo assesses the run-off deficiency (materiality 5 %), excess claims inflation of 2 % a
    year and the default of the property reinsurer; the opinion states the conclusion and the increase."""
    from aktuar.reports.opinion import opinion_model

    doc = run.document
    ar = doc["additional_risks"]
    assert ar["tested"] == ["runoff_deficiency", "reinsurer_default", "excess_inflation"]
    reserves = {r["class"]: r for r in _table(doc, "reserves")["rows"]}
    (re,) = [r for r in ar["risks"] if r["kind"] == "reinsurer_default"]
    assert re["class"] == "Property"
    assert re["exposure"] == pytest.approx(reserves["Property"]["total_reinsurance"], rel=1e-12)
    assert re["increase"] == pytest.approx(re["exposure"] * 0.001 * 0.5, rel=1e-12)
    infl = {r["class"]: r for r in ar["risks"] if r["kind"] == "excess_inflation"}
    for name, r in infl.items():  # the claims reserve (RBNS with settlement expenses + IBNR) inflated by 2 % a year
        claims = reserves[name]["rbns_gross"] + reserves[name]["ibnr_gross"]
        assert r["exposure"] == pytest.approx(claims, rel=1e-9)
        assert 0.0 <= r["increase"] <= claims * (1.02 ** 20 - 1)
    adequacy = {ln["class"]: ln for ln in _table(doc, "adequacy")["rows"]}
    for r in (r for r in ar["risks"] if r["kind"] == "runoff_deficiency"):
        ln = adequacy[r["class"]]
        short = (ln["paid"] + ln["reserve_end"] - ln["reserve_start"]) / ln["reserve_start"]
        assert r["increase"] == pytest.approx(short * r["exposure"] if short > 0.05 else 0.0, rel=1e-9, abs=1e-6)
    assert ar["total"] == pytest.approx(sum(r["increase"] for r in ar["risks"]), rel=1e-12)
    assert ar["total"] > 0
    model = opinion_model(doc, {}, "en")
    text = json.dumps(model, ensure_ascii=False)
    assert "Additional risks were identified; they call for an increase of the insurance reserves by" in text
    assert "Default of the reinsurer" in text and "Claims inflation above the past" in text
    ru = json.dumps(opinion_model(doc, {"additional_risks_increase": 1000.0}, "ru"), ensure_ascii=False)
    assert "Выявлены дополнительные риски" in ru and "Дополнительное увеличение по суждению актуария" in ru

    # without the section only the run-off deficiency is assessed; with nothing to add the opinion says so
    folder = _copy(inputs, tmp_path)
    cfg = folder / "statutory.toml"
    text = cfg.read_text(encoding="utf-8")
    head, tail = text.split("[additional_risks]", 1)
    cfg.write_text(head + "[additional_risks]\nrunoff_deficiency = false\n\n[opinion]" + tail.split("[opinion]", 1)[1],
                   encoding="utf-8")
    out = run_statutory_close(cfg, folder / "out", opinion=False)
    assert out.document["additional_risks"] == {"tested": [], "present": False, "total": 0.0,
                                                "by_class": {c: 0.0 for c in out.document["classes"]}, "risks": []}
    assert "No additional risks were identified" in json.dumps(opinion_model(out.document, {}, "en"))


@pytest.mark.req("KZ191-OP")
def test_osns_annuities_with_the_actuarys_own_table(run: StatutoryRun, inputs: Path, tmp_path: Path) -> None:
    """Item 8(6)/8(7): the OSNS annuities valued with a mortality table the actuary supplies (recorded by name and
    source, no 'illustrative' warning); heavier mortality gives a lower value; a bad table names row and column."""
    from aktuar.core.statutory import builtin_packs, pack_table

    base = run.document["osns"]
    assert base["parameters"]["table_illustrative"] is True
    pack = next(p for p in builtin_packs() if p.name == "kz/2026-02")
    t = pack_table(pack)
    folder = _copy(inputs, tmp_path)
    ages = list(range(t.min_age, t.max_age + 1))
    qx = np.minimum(np.asarray(t.qx) * 1.5, 1.0)
    pl.DataFrame({"age": ages, "qx": qx}).write_csv(folder / "mortality.csv")
    cfg = folder / "statutory.toml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace('class = "OSNS"\n', 'class = "OSNS"\ntable = "mortality.csv"\ntable_name = "KZ 150 %"\n'
                                'table_source = "test: 1.5 × the pack table"\n', 1), encoding="utf-8")
    out = run_statutory_close(cfg, folder / "out", opinion=False).document
    par = out["osns"]["parameters"]
    assert par["table"] == "KZ 150 %" and par["table_source"] == "test: 1.5 × the pack table"
    assert par["table_illustrative"] is False
    assert not any(w.startswith("OSNS annuities use the pack's ILLUSTRATIVE") for w in out["warnings"])
    assert any(w.startswith("OSNS annuities use the pack's ILLUSTRATIVE") for w in run.document["warnings"])
    assert 0 < out["osns"]["total"] < base["total"]
    bad = folder / "mortality.csv"
    rows = bad.read_text(encoding="utf-8").splitlines()
    rows[3] = rows[3].split(",")[0] + ",1.7"
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        run_statutory_close(cfg, folder / "out2", opinion=False)
    assert exc.value.column == "qx" and exc.value.row == 4 and "mortality.csv" in str(exc.value)
    assert not (folder / "out2").exists()
