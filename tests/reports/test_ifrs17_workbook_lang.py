"""The IFRS 17 workbook in Russian and English (issue 5, "Language"): the same sheets, cells and numbers, the
Russian texts in the terminology of the official Russian text of IFRS 17 (``aktuar.reports.ifrs17_terms``);
every table the demo close produces has Russian texts; a key without one falls back to English and is reported;
``aktuar ifrs17 measure --lang ru``."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.core.ifrs17.aggregation import AggregationTest, Contracts, assign_groups
from aktuar.core.ifrs17.disclosures import (
    DisclosureTable,
    csm_maturity,
    insurance_revenue_gmm,
    lrc_lic_reconciliation,
    measurement_components_reconciliation,
    ra_confidence_level,
)
from aktuar.core.ifrs17.gmm import CashFlows, GroupInputs, measure
from aktuar.demo.ifrs17_inputs import REPORTING_DATES, write_demo_close_inputs
from aktuar.errors import InputError
from aktuar.reports import ifrs17_terms
from aktuar.reports.ifrs17_output import to_document, workbook_bytes, write_output


def _document(extra: tuple[DisclosureTable, ...] = ()) -> dict[str, Any]:
    r = measure(GroupInputs(expected=CashFlows(np.array([900.0, 0, 0]), np.array([200.0] * 3)),
                            risk_adjustment=np.array([120.0, 80, 40, 0]), coverage_units=np.ones(3), discount=0.05))
    agg = assign_groups(
        Contracts(["A", "B"], ["OGPO", "OGPO"], [date(2026, 2, 1), date(2026, 5, 1)], fcf=[10.0, -50.0],
                  premium=[100.0, 100.0]),
        AggregationTest(),
    )
    tables = [
        lrc_lic_reconciliation(r, 1, group="OGPO-2026-PROFITABLE"),
        measurement_components_reconciliation(r, 1, group="OGPO-2026-PROFITABLE"),
        insurance_revenue_gmm(r, 1, group="OGPO-2026-PROFITABLE"),
        csm_maturity(164.7453, [1.0, 1.0], group="OGPO-2026-PROFITABLE", period="2026-12-31"),
        ra_confidence_level(["OGPO"], [1000.0], [80.0], [0.75]),
        *extra,
    ]
    return to_document(tables, aggregation=agg, reporting_date=date(2026, 12, 31), entity="Demo Insurance JSC")


def _book(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def _cells(ws: Any) -> tuple[dict[tuple[int, int], float], set[tuple[int, int]]]:
    numbers: dict[tuple[int, int], float] = {}
    texts: set[tuple[int, int]] = set()
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, bool) or c.value is None:
                continue
            if isinstance(c.value, (int, float)):
                numbers[(c.row, c.column)] = c.value
            else:
                texts.add((c.row, c.column))
    return numbers, texts


def assert_same_numbers(ru: openpyxl.Workbook, en: openpyxl.Workbook) -> int:
    """Every sheet of the Russian workbook has the English one's numbers in the same cells (and texts where it
    has texts); returns how many numbers were compared."""
    assert len(ru.sheetnames) == len(en.sheetnames)
    n = 0
    for a, b in zip(ru.worksheets, en.worksheets, strict=True):
        (na, ta), (nb, tb) = _cells(a), _cells(b)
        assert na == nb, (a.title, b.title)
        assert ta == tb, (a.title, b.title)
        for key in na:
            assert a.cell(*key).number_format == b.cell(*key).number_format
        n += len(na)
    return n


def _table_sheet(wb: openpyxl.Workbook, key: str) -> Any:
    return next(ws for ws in wb.worksheets if ws.title.split(" ")[0] == key)


def test_russian_workbook_has_the_official_terms_and_the_english_numbers() -> None:
    doc = _document()
    ru, en = _book(workbook_bytes(doc, "ru")), _book(workbook_bytes(doc, "en"))
    assert ru.sheetnames[:3] == ["Сводка", "Группы", "Договоры"] and en.sheetnames[:3] == ["Summary", "Groups",
                                                                                          "Contracts"]
    assert assert_same_numbers(ru, en) > 40
    s = ru["Сводка"]
    assert s["A1"].value == "Раскрытие информации по МСФО (IFRS) 17"
    assert (s["A4"].value, s["B4"].value) == ("Отчётная дата", "31.12.2026")  # a date written as text: dd.mm.yyyy
    assert en["Summary"]["B4"].value == "2026-12-31"
    t100 = _table_sheet(ru, "100")
    assert t100["A1"].value == ("Сверка остатков обязательства по оставшейся части покрытия и обязательства по "
                                "возникшим требованиям")
    assert t100["A2"].value.startswith("МСФО (IFRS) 17, п. 100, 103, 105, группа OGPO-2026-PROFITABLE, период 1")
    assert [t100.cell(4, j).value for j in range(2, 6)] == [
        "Обязательство по оставшейся части покрытия, за исключением компонента убытка", "Компонент убытка",
        "Обязательство по возникшим требованиям", "Итого"]
    assert t100["A5"].value == "Остаток на начало периода" and t100["A17"].value == "Остаток на конец периода"
    assert t100["A6"].value == "Выручка по страхованию (п. 103(a))"
    assert t100["E17"].value == pytest.approx(617.0, abs=1.0) == _table_sheet(en, "100")["E17"].value
    # the CSM roll-forward (para 101)
    csm = _table_sheet(ru, "101")
    assert csm["A1"].value == "Сверка компонентов оценки остатков по договорам страхования"
    assert csm["D4"].value == "Маржа за предусмотренные договором услуги (CSM)"
    assert csm["B4"].value == "Оценка приведённой стоимости будущих денежных потоков"
    assert csm["C4"].value == "Рисковая поправка на нефинансовый риск"
    labels = [csm.cell(r, 1).value for r in range(5, 17)]
    assert ("Маржа за предусмотренные договором услуги, признанная в составе прибыли или убытка для отражения "
            "переданных услуг (п. 104(b)(i))") in labels
    # para 109 (a date as the period: dd.mm.yyyy), its note in Russian; para 119: the portfolio names as they are
    t109 = _table_sheet(ru, "109")
    assert "период 31.12.2026" in t109["A2"].value and t109["A5"].value == "1 год"
    assert t109["A14"].value.startswith("без наращивания процентов")
    t119 = _table_sheet(ru, "119")
    assert [t119.cell(r, 1).value for r in (5, 6)] == ["OGPO", "Итого"]
    assert t119["D4"].value == "Доверительный уровень" and t119["D5"].number_format == "0.0%"
    # groups and contracts: the profitability in words, the code in the English workbook
    assert ru["Группы"]["A3"].value == "Группа договоров" and ru["Группы"]["D4"].value == "обременительные"
    assert en["Groups"]["D4"].value == "onerous"
    assert ru["Договоры"]["F4"].value in ("да", "нет") and en["Contracts"]["F4"].value in ("yes", "no")
    assert ifrs17_terms.missing(doc) == []


def test_english_workbook_is_unchanged_and_names_bare_keys() -> None:
    doc = _document()
    en = _book(workbook_bytes(doc, "en"))
    ws = _table_sheet(en, "100")
    assert ws["A1"].value.startswith("Reconciliation of the liability for remaining coverage")
    assert ws["A5"].value == "Opening balance" and "IFRS 17 para 100, 103, 105" in ws["A2"].value
    # a table whose rows are bare keys (the reinsurance held analysis of change) gets English labels
    t = {"key": "101-reinsurance", "group": "QS", "title": "x"}
    assert ifrs17_terms.row_label(t, {"key": "new_contracts", "label": "new_contracts"}, "en") == (
        "Contracts initially recognised in the period")
    assert ifrs17_terms.row_label(t, {"key": "opening", "label": "Opening"}, "en") == "Opening"  # given: kept
    assert ifrs17_terms.title(t, "ru").startswith("Удерживаемые договоры перестрахования: QS")


def test_a_table_without_russian_texts_falls_back_to_english_and_is_reported() -> None:
    new = DisclosureTable("999", "A new disclosure", "IFRS 17 para 999", ("opening", "shiny", "closing"),
                          ("amount", "sparkle"), np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]), "reconciliation",
                          row_labels=("Opening balance", "Shiny movement", "Closing balance"),
                          column_labels=("Amount", "Sparkle"), notes=("a new note",))
    also = DisclosureTable("106", "Analysis of insurance revenue", "IFRS 17 para 106", ("brand_new", "total"),
                           ("amount", "extra"), np.array([[1.0, 1.0], [1.0, 1.0]]), "analysis",
                           row_labels=("Brand new line", "Insurance revenue"), column_labels=("Amount", "Extra"))
    doc = _document((new, also))
    missing = ifrs17_terms.missing(doc)
    assert {"table 999: title 'A new disclosure'", "table 999: row 'shiny'", "table 999: column 'sparkle'",
            "table 999: note 'a new note'", "table 106: row 'brand_new'", "table 106: column 'extra'"} <= set(missing)
    ru = _book(workbook_bytes(doc, "ru"))
    ws = _table_sheet(ru, "999")
    assert ws["A1"].value == "A new disclosure" and ws["A6"].value == "Shiny movement" and ws["C4"].value == "Sparkle"
    assert ws["A2"].value.startswith("МСФО (IFRS) 17, п. 999")


def test_unknown_language_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    doc = _document()
    for bad in ("de", "", "RU", "ru\n", "../en"):
        with pytest.raises(InputError, match="ru, en"):
            workbook_bytes(doc, bad)
        with pytest.raises(InputError):
            write_output(tmp_path / "x.xlsx", doc, bad)
    assert not list(tmp_path.iterdir())
    write_output(tmp_path / "x.xlsx", doc, "ru")
    assert _book((tmp_path / "x.xlsx").read_bytes()).sheetnames[0] == "Сводка"


def test_russian_plural_of_the_years_of_claims_development() -> None:
    t = {"key": "130", "title": "x", "group": ""}
    got = [ifrs17_terms.row_label(t, {"key": f"estimate_{k}_years_later", "label": "x"}, "ru") for k in (1, 2, 5, 9)]
    assert got == ["Через 1 год", "Через 2 года", "Через 5 лет", "Через 9 лет"]
    assert ifrs17_terms.column_label(t, {"key": "2019", "label": "2019"}, "ru") == "2019"  # an accident year


# ------------------------------------------------------------------------------------- the demo close
@pytest.fixture(scope="module")
def demo_close(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``aktuar ifrs17 measure`` of the demo insurer's close with ``--lang ru``."""
    folder = tmp_path_factory.mktemp("close")
    config = write_demo_close_inputs(folder, seed=2026, scale=0.05)
    res = CliRunner().invoke(app, ["ifrs17", "measure", str(config), "--out", str(folder / "results"), "--lang",
                                   "ru", "--quiet"])
    assert res.exit_code == 0, res.output
    return folder / "results"


@pytest.mark.req("KZ84-AUTO")
def test_every_table_of_the_demo_close_has_russian_texts(demo_close: Path) -> None:
    keys: set[str] = set()
    for d in REPORTING_DATES:
        doc = json.loads((demo_close / f"ifrs17-{d.isoformat()}.json").read_text(encoding="utf-8"))
        assert ifrs17_terms.missing(doc) == [], d
        keys |= {t["key"] for t in doc["tables"]}
    assert {"100", "100-paa", "100-reinsurance", "101", "101-reinsurance", "106", "109", "119", "128", "130",
            "130-reconciliation"} <= keys


@pytest.mark.req("KZ84-AUTO")
def test_measure_lang_ru_writes_russian_workbooks_with_the_english_numbers(demo_close: Path) -> None:
    last = REPORTING_DATES[-1].isoformat()
    doc = json.loads((demo_close / f"ifrs17-{last}.json").read_text(encoding="utf-8"))
    ru = openpyxl.load_workbook(demo_close / f"ifrs17-{last}.xlsx")
    en = _book(workbook_bytes(doc, "en"))
    assert assert_same_numbers(ru, en) > 1000
    assert ru.sheetnames[0] == "Сводка"
    csm = next(ws for ws in ru.worksheets if ws.title.startswith("101 ") and "итого" not in ws.title)
    assert csm["A1"].value == "Сверка компонентов оценки остатков по договорам страхования"
    assert csm["D4"].value == "Маржа за предусмотренные договором услуги (CSM)"
    assert [csm.cell(r, 1).value for r in (5, 16)] == ["Остаток на начало периода", "Остаток на конец периода"]
    held = next(ws for ws in ru.worksheets if ws.title.startswith("101-reinsurance"))
    assert held["A1"].value.startswith("Удерживаемые договоры перестрахования: Term life quota share 50 %")
    assert held["A6"].value == "Договоры, первоначально признанные в течение периода"
    sens = _table_sheet(ru, "128")
    assert sens["B4"].value == "Влияние на прибыль или убыток"
    notes = [sens.cell(r, 1).value for r in range(5, sens.max_row + 1)]
    assert "mortality -10 %: смертность × 0,9" in notes  # the scenario's name as configured, its change in words
    dev = _table_sheet(ru, "130")
    assert dev["A1"].value.startswith("Динамика убытков") and dev["A6"].value == "Через 1 год"
    # the English default of the command stays English
    out = demo_close.parent / "en"
    res = CliRunner().invoke(app, ["ifrs17", "measure", str(demo_close.parent / "ifrs17.toml"), "--out", str(out),
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    assert openpyxl.load_workbook(out / f"ifrs17-{last}.xlsx").sheetnames[0] == "Summary"


def test_measure_refuses_an_unknown_language_before_measuring(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["ifrs17", "measure", str(tmp_path / "missing.toml"), "--out",
                                   str(tmp_path / "out"), "--lang", "kk"])
    assert res.exit_code == 2 and "ru, en" in res.output and not (tmp_path / "out").exists()
