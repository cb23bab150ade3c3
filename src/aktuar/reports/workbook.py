"""Reserving results workbook (XLSX): a summary, all results in long form, and per segment the triangle,
the link ratios, the selected factors and charts of development factors and reserves by origin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import xlsxwriter

from aktuar.core.reserving import ReserveResult

MAX_DETAIL_SHEETS = 60


def sheet_name(label: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", label)[:28] or "segment"
    name, i = base, 2
    while name.lower() in used:
        name = f"{base[:25]}~{i}"
        i += 1
    used.add(name.lower())
    return name


def _cell(v: Any) -> Any:
    if isinstance(v, float | np.floating) and not np.isfinite(v):
        return None
    return v


@dataclass(frozen=True)
class SheetTable:
    """An extra sheet: a title, a header row and rows. ``formats`` per column: ``money``, ``factor``, ``pct``,
    ``int`` or ``text`` (default text); ``notes`` are lines under the table."""

    name: str
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    formats: Sequence[str] = ()
    notes: Sequence[str] = ()


def reserve_workbook(fh: BinaryIO, document: dict[str, Any], results: Sequence[ReserveResult]) -> None:
    _reserve_workbook(fh, document, results, ())


def reserve_workbook_with_tables(fh: BinaryIO, document: dict[str, Any], results: Sequence[ReserveResult],
                                 tables: Sequence[SheetTable]) -> None:
    """The reserve workbook with extra sheets (e.g. a comparison of methods) after the Results sheet."""
    _reserve_workbook(fh, document, results, tables)


def _table_sheet(wb: Any, table: SheetTable, name: str, styles: dict[str, Any]) -> None:
    ws = wb.add_worksheet(name)
    ws.write(0, 0, table.title, styles["title"])
    ws.write_row(2, 0, list(table.header), styles["bold"])
    fmts = list(table.formats) + ["text"] * max(0, len(table.header) - len(table.formats))
    for i, row in enumerate(table.rows):
        for j, v in enumerate(row):
            v = _cell(v)
            if v is None:
                continue
            if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
                ws.write_number(3 + i, j, float(v), styles.get(fmts[j] if j < len(fmts) else "text"))
            else:
                ws.write(3 + i, j, str(v))
    for k, note in enumerate(table.notes):
        ws.write(4 + len(table.rows) + k, 0, note)
    ws.set_column(0, 0, 16)
    ws.set_column(1, max(1, len(table.header) - 1), 16)
    ws.freeze_panes(3, 1)


def _reserve_workbook(fh: BinaryIO, document: dict[str, Any], results: Sequence[ReserveResult],
                      tables: Sequence[SheetTable]) -> None:
    wb = xlsxwriter.Workbook(fh, {"in_memory": True, "nan_inf_to_errors": False})
    bold = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
    money = wb.add_format({"num_format": "#,##0"})
    factor = wb.add_format({"num_format": "0.0000"})
    pct = wb.add_format({"num_format": "0.0%"})
    title = wb.add_format({"bold": True, "font_size": 14})
    used: set[str] = {"summary", "results", "about"}

    ws = wb.add_worksheet("Summary")
    ws.write(0, 0, f"Reserves — method {document['method']}", title)
    ws.write(1, 0, f"measure: {document['measure']}; valuation: {document.get('valuation') or 'as given'}")
    seg_cols = document["segment_columns"] or ["segment"]
    head = [*seg_cols, "latest", "ultimate", "IBNR", "s.e.", "CV", "warnings"]
    ws.write_row(3, 0, head, bold)
    for i, seg in enumerate(document["segments"]):
        keys = [seg["segment"].get(c, seg["label"]) for c in seg_cols]
        t = seg["total"]
        row = 4 + i
        ws.write_row(row, 0, keys)
        c = len(keys)
        ws.write_number(row, c, t["latest"] or 0.0, money)
        ws.write_number(row, c + 1, t["ultimate"] or 0.0, money)
        ws.write_number(row, c + 2, t["ibnr"] or 0.0, money)
        if t.get("se") is not None:
            ws.write_number(row, c + 3, t["se"], money)
            if t["ibnr"]:
                ws.write_number(row, c + 4, t["se"] / abs(t["ibnr"]), pct)
        ws.write(row, c + 5, "; ".join(seg["warnings"]))
    ws.set_column(0, len(seg_cols) - 1, 18)
    ws.set_column(len(seg_cols), len(seg_cols) + 4, 15)
    ws.set_column(len(seg_cols) + 5, len(seg_cols) + 5, 60)
    ws.freeze_panes(4, len(seg_cols))

    from aktuar.reports.reserve_output import _flat_rows

    header, rows = _flat_rows(document)
    wr = wb.add_worksheet("Results")
    wr.write_row(0, 0, header, bold)
    for r_i, row in enumerate(rows, start=1):
        wr.write_row(r_i, 0, [_cell(v) for v in row])
    wr.freeze_panes(1, 0)
    wr.autofilter(0, 0, max(1, len(rows)), len(header) - 1)

    styles = {"bold": bold, "title": title, "money": money, "factor": factor, "pct": pct,
              "int": wb.add_format({"num_format": "0"}), "text": None}
    for table in tables:
        _table_sheet(wb, table, sheet_name(table.name, used), styles)

    n_detail = 0
    for res in results:
        for s in range(res.triangle.n_segments):
            if n_detail >= MAX_DETAIL_SHEETS:
                break
            _segment_sheet(wb, res, s, sheet_name(res.triangle.segment_label(s), used), bold, money, factor)
            n_detail += 1

    about = wb.add_worksheet("About")
    about.write(0, 0, "aktuar reserving run", title)
    about.write(1, 0, f"schema {document['schema']}, aktuar {document['aktuar_version']}")
    about.write(2, 0, "options")
    for i, (k, v) in enumerate(document["options"].items()):
        about.write(3 + i, 0, k)
        about.write(3 + i, 1, str(v))
    if n_detail < len(document["segments"]):
        about.write(4 + len(document["options"]), 0,
                    f"detail sheets for the first {n_detail} of {len(document['segments'])} segments; all results are "
                    "on the Results sheet")
    wb.close()


def _segment_sheet(wb: Any, res: ReserveResult, s: int, name: str, bold: Any, money: Any, factor: Any) -> None:
    tri = res.triangle
    fit = res.development
    ws = wb.add_worksheet(name)
    ws.write(0, 0, f"{tri.segment_label(s)} — {res.method}", bold)
    ages = [int(a) for a in tri.development]
    cum = tri.cum().values[s]
    ws.write(2, 0, "cumulative triangle", bold)
    ws.write_row(3, 0, ["origin", *ages], bold)
    for o, label in enumerate(tri.origin):
        ws.write(4 + o, 0, label)
        for d in range(len(ages)):
            v = cum[o, d]
            if np.isfinite(v):
                ws.write_number(4 + o, 1 + d, float(v), money)
    r0 = 5 + len(tri.origin)
    ws.write(r0, 0, "link ratios (struck through: excluded)", bold)
    ws.write_row(r0 + 1, 0, ["origin", *[f"{a}-{b}" for a, b in zip(ages[:-1], ages[1:], strict=True)]], bold)
    strike = wb.add_format({"num_format": "0.0000", "font_strikeout": True, "font_color": "#999999"})
    for o, label in enumerate(tri.origin):
        ws.write(r0 + 2 + o, 0, label)
        for d in range(len(ages) - 1):
            v = fit.link_ratios[s, o, d]
            if np.isfinite(v):
                ws.write_number(r0 + 2 + o, 1 + d, float(v), factor if fit.used[s, o, d] else strike)
    r1 = r0 + 3 + len(tri.origin)
    ws.write(r1, 0, "selected factor", bold)
    ws.write(r1 + 1, 0, "cumulative to ultimate", bold)
    ws.write(r1 + 2, 0, "sigma", bold)
    for d in range(len(ages) - 1):
        ws.write_number(r1, 1 + d, float(fit.ldf[s, d]), factor)
        if np.isfinite(fit.sigma[s, d]):
            ws.write_number(r1 + 2, 1 + d, float(fit.sigma[s, d]), factor)
    for d in range(len(ages)):
        ws.write_number(r1 + 1, 1 + d, float(fit.cdf[s, d]), factor)
    ws.write(r1 + 3, 0, f"tail factor {fit.tail.factor[s]:.6f}")
    r2 = r1 + 5
    head = ["origin", "latest", "ultimate", "IBNR"] + (["s.e."] if res.se is not None else [])
    ws.write_row(r2, 0, head, bold)
    for o, label in enumerate(tri.origin):
        row = [res.latest[s, o], res.ultimate[s, o], res.ibnr[s, o]] + (
            [res.se[s, o]] if res.se is not None else [])
        ws.write(r2 + 1 + o, 0, label)
        for j, v in enumerate(row):
            if np.isfinite(v):
                ws.write_number(r2 + 1 + o, 1 + j, float(v), money)
    ws.set_column(0, 0, 12)
    ws.set_column(1, len(ages), 13)

    if len(ages) > 1:
        ch = wb.add_chart({"type": "line"})
        ch.add_series({"name": "selected factor", "categories": [name, r0 + 1, 1, r0 + 1, len(ages) - 1],
                       "values": [name, r1, 1, r1, len(ages) - 1], "marker": {"type": "circle"}})
        ch.set_title({"name": "Age-to-age development factors"})
        ch.set_legend({"none": True})
        ws.insert_chart(2, len(ages) + 2, ch, {"x_scale": 1.2, "y_scale": 1.0})
    bar = wb.add_chart({"type": "column", "subtype": "stacked"})
    n = len(tri.origin)
    bar.add_series({"name": "latest", "categories": [name, r2 + 1, 0, r2 + n, 0], "values": [name, r2 + 1, 1, r2 + n, 1]})
    bar.add_series({"name": "IBNR", "categories": [name, r2 + 1, 0, r2 + n, 0], "values": [name, r2 + 1, 3, r2 + n, 3]})
    bar.set_title({"name": "Latest and IBNR by origin"})
    ws.insert_chart(18, len(ages) + 2, bar, {"x_scale": 1.2, "y_scale": 1.0})
