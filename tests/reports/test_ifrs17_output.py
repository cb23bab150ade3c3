"""IFRS 17 output: the ``aktuar-ifrs17/1`` JSON document and the XLSX workbook (docs/ifrs17-output.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from aktuar.core.ifrs17.aggregation import AggregationTest, Contracts, assign_groups
from aktuar.core.ifrs17.disclosures import (
    csm_maturity,
    insurance_revenue_gmm,
    lrc_lic_reconciliation,
    ra_confidence_level,
)
from aktuar.core.ifrs17.gmm import CashFlows, GroupInputs, measure
from aktuar.errors import InputError
from aktuar.reports.ifrs17_output import SCHEMA, to_document, write_output


def _document() -> dict:  # type: ignore[type-arg]
    r = measure(GroupInputs(expected=CashFlows(np.array([900.0, 0, 0]), np.array([200.0] * 3)),
                            risk_adjustment=np.array([120.0, 80, 40, 0]), coverage_units=np.ones(3), discount=0.05))
    agg = assign_groups(
        Contracts(["A", "B"], ["OGPO", "OGPO"], [date(2026, 2, 1), date(2026, 5, 1)], fcf=[10.0, -50.0],
                  premium=[100.0, 100.0]),
        AggregationTest(),
    )
    tables = [
        lrc_lic_reconciliation(r, 1, group="OGPO-2026-PROFITABLE"),
        insurance_revenue_gmm(r, 1, group="OGPO-2026-PROFITABLE"),
        csm_maturity(164.7453, [1.0, 1.0], group="OGPO-2026-PROFITABLE", period="1"),
        ra_confidence_level(["OGPO"], [1000.0], [80.0], [0.75]),
    ]
    return to_document(tables, aggregation=agg, reporting_date=date(2026, 12, 31), entity="Demo Insurance JSC")


def test_json_document_schema_and_round_trip(tmp_path: Path) -> None:
    doc = _document()
    out = tmp_path / "ifrs17.json"
    write_output(out, doc)
    back = json.loads(out.read_text(encoding="utf-8"))
    assert back["schema"] == SCHEMA == "aktuar-ifrs17/1"
    assert back["reporting_date"] == "2026-12-31" and back["currency"] == "KZT"
    assert [g["group_id"] for g in back["groups"]] == ["OGPO-2026-ONEROUS", "OGPO-2026-PROFITABLE"]
    assert back["contracts"][0]["reason"].startswith("FCF 10.00 > 0")
    t100 = back["tables"][0]
    assert t100["key"] == "100" and t100["paragraph"] == "IFRS 17 para 100, 103, 105"
    closing = next(r for r in t100["rows"] if r["key"] == "closing")
    assert closing["values"]["total"] == pytest.approx(617.0, abs=1.0)
    # money at full precision: the rows add up to the closing in every column of the JSON
    for c in (col["key"] for col in t100["columns"]):
        assert sum(r["values"][c] for r in t100["rows"][:-1]) == pytest.approx(closing["values"][c], abs=1e-6)
    t119 = back["tables"][3]
    assert t119["additive_columns"] == ["best_estimate", "risk_adjustment"]
    assert next(r for r in t119["rows"] if r["key"] == "total")["values"]["confidence_level"] is None


def test_xlsx_one_sheet_per_table_with_paragraph_header(tmp_path: Path) -> None:
    doc = _document()
    out = tmp_path / "ifrs17.xlsx"
    write_output(out, doc)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["Summary", "Groups", "Contracts"]
    assert len(wb.sheetnames) == 3 + len(doc["tables"])
    ws = wb[wb.sheetnames[3]]
    assert ws["A1"].value.startswith("Reconciliation of the liability for remaining coverage")
    assert "IFRS 17 para 100, 103, 105" in ws["A2"].value and "KZT" in ws["A2"].value
    labels = [ws.cell(row=r, column=1).value for r in range(5, 5 + 13)]
    assert labels[0] == "Opening balance" and labels[-1] == "Closing balance"
    closing_total = ws.cell(row=17, column=5)
    assert closing_total.value == pytest.approx(617.0, abs=1.0)
    assert "#,##0.00" in closing_total.number_format
    assert wb["Groups"]["A4"].value == "OGPO-2026-ONEROUS"


def test_failed_write_leaves_nothing_and_bad_paths_are_refused(tmp_path: Path) -> None:
    doc = _document()
    with pytest.raises(InputError, match=".json or .xlsx"):
        write_output(tmp_path / "x.csv", doc)
    with pytest.raises(InputError, match="does not exist"):
        write_output(tmp_path / "missing" / "x.json", doc)
    doc["tables"][0]["rows"][0]["values"]["total"] = float("nan")  # not JSON: the write fails
    target = tmp_path / "x.json"
    with pytest.raises(ValueError):
        write_output(target, doc)
    assert list(tmp_path.iterdir()) == []


def test_document_needs_content_and_a_currency_code() -> None:
    with pytest.raises(InputError, match="nothing to write"):
        to_document([])
    with pytest.raises(InputError, match="ISO 4217"):
        to_document([csm_maturity(1.0, [1.0])], currency="tenge")
