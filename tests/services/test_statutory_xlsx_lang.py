"""The statutory close's XLSX annex in Russian and English (issue 5, "Language"): ``statutory-<date>.xlsx``
(English) and ``statutory-<date>-ru.xlsx`` with the same cells and numbers; every table and text column of the
demo close has Russian texts (``aktuar.reports.statutory_terms``); a key without one falls back to English and
is reported."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from aktuar.demo.statutory_inputs import write_demo_statutory_inputs
from aktuar.errors import InputError
from aktuar.reports import statutory_terms
from aktuar.services.statutory import StatutoryRun, run_statutory_close, xlsx_bytes


@pytest.fixture(scope="module")
def close(tmp_path_factory: pytest.TempPathFactory) -> StatutoryRun:
    folder = tmp_path_factory.mktemp("statutory")
    config = write_demo_statutory_inputs(folder, seed=11, scale=0.25)
    return run_statutory_close(config, folder / "results", opinion=False)


def _cells(ws: Any) -> tuple[dict[tuple[int, int], float], set[tuple[int, int]]]:
    numbers: dict[tuple[int, int], float] = {}
    texts: set[tuple[int, int]] = set()
    for row in ws.iter_rows():
        for c in row:
            if c.value is None or isinstance(c.value, bool):
                continue
            if isinstance(c.value, (int, float)):
                numbers[(c.row, c.column)] = c.value
            else:
                texts.add((c.row, c.column))
    return numbers, texts


def _header(ws: Any) -> list[Any]:
    return [ws.cell(4, j).value for j in range(1, ws.max_column + 1)]


def _column(ws: Any, label: str) -> list[Any]:
    j = _header(ws).index(label) + 1
    return [ws.cell(r, j).value for r in range(5, ws.max_row + 1) if ws.cell(r, j).value is not None]


@pytest.mark.req("KZ191-OP")
def test_the_close_writes_the_annex_in_english_and_russian_with_the_same_numbers(close: StatutoryRun) -> None:
    when = close.document["valuation_date"]
    assert {f"statutory-{when}.xlsx", f"statutory-{when}-ru.xlsx"} <= set(close.files)
    en = openpyxl.load_workbook(close.files[f"statutory-{when}.xlsx"])
    ru = openpyxl.load_workbook(close.files[f"statutory-{when}-ru.xlsx"])
    assert len(en.sheetnames) == len(ru.sheetnames) == 1 + len(close.document["tables"])
    compared = 0
    for a, b in zip(ru.worksheets, en.worksheets, strict=True):
        (na, ta), (nb, tb) = _cells(a), _cells(b)
        assert na == nb and ta == tb, (a.title, b.title)
        assert all(a.cell(*k).number_format == b.cell(*k).number_format for k in na)
        compared += len(na)
    assert compared > 500
    assert en.sheetnames[:3] == ["Summary", "reserves", "premiums"]
    assert ru.sheetnames[:4] == ["Сводка", "Резервы", "Премии", "РНП"]
    s = ru["Сводка"]
    assert s["A1"].value.startswith("Обязательная отчётность (Казахстан)")
    assert (s["A4"].value, s["B4"].value) == ("Дата оценки", "31.12.2026")
    assert (s["A5"].value, s["B5"].value) == ("Расчёты по состоянию на", "01.01.2027")
    res = ru["Резервы"]
    assert res["A1"].value == "Страховые резервы и доля перестраховщика по классам страхования"
    assert res["A2"].value == f"KZ191-OP п. 9(1); {close.document['currency']}"
    head = _header(res)
    assert head[:2] == ["Класс страхования", "Резерв незаработанной премии"]
    assert "Резерв произошедших, но незаявленных убытков" in head and "Итого нетто" in head
    assert _column(res, "Класс страхования")[-1] == "Итого" and en["reserves"].cell(res.max_row, 1).value == "Total"
    # the closed vocabularies in Russian words
    assert set(_column(ru["Достаточность резервов"], "Вывод")) <= {"достаточно", "недостаточно"}
    assert ru["Достаточность резервов"]["A1"].value == ("Тест на достаточность резервов убытков: ретроспективный "
                                                        "анализ 31.12.2025 – 31.12.2026")
    assert set(_column(ru["Тарифы"], "Результат")) == {"соответствует", "НЕ СООТВЕТСТВУЕТ"}
    assert "Минимальный размер маржи платежеспособности" in _column(ru["Маржа платежеспособности"], "Показатель")
    assert set(_column(ru["Пакет нормативов"], "Статус")) <= {"действует", "методика актуария",
                                                             "стандартная формула", "иллюстративное значение"}
    assert "Категория при понижении рейтингов на 1 ступ." in _header(ru["Высоколиквидные активы"])
    assert statutory_terms.missing(close.document) == []


@pytest.mark.req("KZ191-OP")
def test_every_table_and_text_column_of_the_demo_close_is_classified(close: StatutoryRun) -> None:
    keys = {t["key"] for t in close.document["tables"]}
    assert {"reserves", "premiums", "upr", "rbns", "ibnr", "development", "settlement_expenses",
            "average_paid_claim", "unexpired_risk", "osns", "life", "reinsurance", "adequacy", "additional_risks",
            "solvency", "liquid_assets", "tariffs", "pack"} <= keys
    assert keys <= set(statutory_terms.TABLES)
    for t in close.document["tables"]:
        terms = statutory_terms.TABLES[t["key"]]
        assert len(terms.sheet) <= 28
        assert {c["key"] for c in t["columns"]} <= set(terms.columns), t["key"]
        assert {c["key"] for c in t["columns"] if c["format"] == "text"} <= set(terms.values), t["key"]


def test_a_new_table_column_or_value_without_russian_falls_back_to_english_and_is_reported(
        close: StatutoryRun) -> None:
    doc = copy.deepcopy(close.document)
    reserves = next(t for t in doc["tables"] if t["key"] == "reserves")
    reserves["columns"].append({"key": "shiny_gross", "label": "Shiny reserve", "format": "money"})
    reserves["columns"].append({"key": "remark", "label": "Remark", "format": "text"})
    tariffs = next(t for t in doc["tables"] if t["key"] == "tariffs")
    tariffs["rows"][0]["passed"] = "maybe"
    adequacy = next(t for t in doc["tables"] if t["key"] == "adequacy")
    adequacy["paragraph"] = "KZ191-OP item 9(2), new rules"
    doc["tables"].append({"key": "brand_new", "title": "A brand new table", "paragraph": "KZ191-OP item 1",
                          "columns": [{"key": "x", "label": "X", "format": "money"}], "rows": [{"x": 1.0}],
                          "notes": []})
    missing = statutory_terms.missing(doc)
    assert {"table reserves: column 'shiny_gross'", "table reserves: column 'remark'",
            "table reserves: text column 'remark' is not classified (names or closed vocabulary)",
            "table tariffs: column 'passed': value 'maybe'", "table brand_new: no Russian texts",
            "table adequacy: paragraph 'KZ191-OP item 9(2), new rules'"} <= set(missing)
    ru = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(doc, "ru")))
    assert "Shiny reserve" in _header(ru["Резервы"])
    assert "maybe" in _column(ru["Тарифы"], "Результат")
    ws = ru["brand_new"]
    assert ws["A1"].value == "A brand new table" and ws["A4"].value == "X" and ws["A5"].value == 1.0


def test_unknown_language_is_refused(close: StatutoryRun) -> None:
    for bad in ("de", "", "EN", "ru;"):
        with pytest.raises(InputError, match="ru, en"):
            xlsx_bytes(close.document, bad)


def test_the_json_document_stays_english(close: StatutoryRun) -> None:
    when = close.document["valuation_date"]
    back = json.loads(Path(close.files[f"statutory-{when}.json"]).read_text(encoding="utf-8"))
    reserves = next(t for t in back["tables"] if t["key"] == "reserves")
    assert reserves["columns"][1] == {"key": "upr_gross", "label": "UPR", "format": "money"}
