"""IFRS 17 disclosure tables and the group register as JSON (schema ``aktuar-ifrs17/1``, docs/ifrs17-output.md)
and as an XLSX workbook (one sheet per table, the paragraph in the header, money in number formats).

The document is built once by :func:`to_document`; both writers render that document, so the JSON and the
workbook always show the same numbers. Files are written atomically (a temporary file beside the target renamed
into place, :func:`aktuar.fsutil.atomic_write`): a failed run never leaves a half-written file.
Money is written at full precision; rounding is a display format only.

The workbook is written in Russian or English (``lang``): the same sheets, cells and numbers in both, only the
texts differ; the Russian texts (the terminology of the official Russian text of IFRS 17) are looked up by the
tables' stable keys in :mod:`aktuar.reports.ifrs17_terms`. The JSON document stays as built (English labels with
their keys).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter

from aktuar import __version__
from aktuar.core.ifrs17.aggregation import Aggregation, GroupTable
from aktuar.core.ifrs17.disclosures import DisclosureTable
from aktuar.errors import InputError
from aktuar.fsutil import atomic_write
from aktuar.reports import ifrs17_terms as terms
from aktuar.reports.reserve_output import write_json
from aktuar.reports.workbook import sheet_name

SCHEMA = "aktuar-ifrs17/1"
FORMATS = ("json", "xlsx")

__all__ = ["FORMATS", "SCHEMA", "table_record", "to_document", "workbook_bytes", "write_json", "write_output",
           "write_xlsx"]


def _num(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def table_record(table: DisclosureTable) -> dict[str, Any]:
    """One table as JSON: its identity, columns and rows with values keyed by column (null = not applicable)."""
    table.check()
    return {
        "key": table.key,
        "title": table.title,
        "paragraph": table.paragraph,
        "group": table.group,
        "period": table.period,
        "kind": table.kind,
        "additive_columns": list(table.additive_columns),
        "columns": [{"key": c, "label": lab} for c, lab in zip(table.columns, table.column_labels, strict=True)],
        "rows": [
            {
                "key": r,
                "label": lab,
                "values": {c: _num(v) for c, v in zip(table.columns, table.values[i], strict=True)},
            }
            for i, (r, lab) in enumerate(zip(table.rows, table.row_labels, strict=True))
        ],
        "notes": list(table.notes),
    }


def to_document(
    tables: Sequence[DisclosureTable],
    *,
    aggregation: Aggregation | GroupTable | None = None,
    reporting_date: date | None = None,
    currency: str = "KZT",
    entity: str = "",
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``aktuar-ifrs17/1`` document (see docs/ifrs17-output.md). Every table is checked to add up first."""
    if not tables and aggregation is None:
        raise InputError("nothing to write: give disclosure tables or a group aggregation.")
    cur = currency.strip().upper()
    if len(cur) != 3 or not cur.isalpha():
        raise InputError(f"currency must be an ISO 4217 code such as KZT; got {currency!r}.", column="currency")
    groups: list[dict[str, Any]] = []
    contracts: list[dict[str, Any]] = []
    if aggregation is not None:
        gt = aggregation.groups if isinstance(aggregation, Aggregation) else aggregation
        groups = [dict(r) for r in gt.rows()]
        if isinstance(aggregation, Aggregation):
            contracts = [
                {"contract_id": c, "portfolio": p, "cohort": h, "profitability": f, "group_id": g, "reason": why,
                 "new": new}
                for c, p, h, f, g, why, new in zip(
                    aggregation.contract_id, aggregation.portfolio, aggregation.cohort, aggregation.profitability,
                    aggregation.group_id, aggregation.reason, aggregation.is_new, strict=True)
            ]
    return {
        "schema": SCHEMA,
        "aktuar_version": __version__,
        "entity": entity,
        "reporting_date": reporting_date.isoformat() if reporting_date else None,
        "currency": cur,
        "input": source or {},
        "groups": groups,
        "contracts": contracts,
        "tables": [table_record(t) for t in tables],
    }


def _workbook(fh: BinaryIO, document: dict[str, Any], lang: str = "en") -> None:
    """Render ``document`` in ``lang``: the same sheets, cells and numbers in both languages, only the texts
    differ (:mod:`aktuar.reports.ifrs17_terms`)."""
    lang = terms.check_language(lang)

    def tx(key: str, **kw: Any) -> str:
        return terms.text(key, lang, **kw)

    wb = xlsxwriter.Workbook(fh, {"in_memory": True})
    title = wb.add_format({"bold": True, "font_size": 13})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    italic = wb.add_format({"italic": True, "font_color": "#555555"})
    money = wb.add_format({"num_format": "#,##0.00;-#,##0.00;-"})
    pct = wb.add_format({"num_format": "0.0%"})
    used: set[str] = set()

    ws = wb.add_worksheet(sheet_name(tx("sheet.summary"), used))
    ws.write(0, 0, tx("summary.title"), title)
    meta = [(tx("meta.entity"), document.get("entity") or ""),
            (tx("meta.reporting_date"), terms.day(document.get("reporting_date") or "", lang)),
            (tx("meta.currency"), document["currency"]), (tx("meta.schema"), document["schema"]),
            (tx("meta.version"), document["aktuar_version"])]
    for i, (k, v) in enumerate(meta):
        ws.write(2 + i, 0, k, bold)
        ws.write(2 + i, 1, str(v))
    ws.write(3 + len(meta), 0, tx("meta.tables"), bold)
    for i, t in enumerate(document["tables"]):
        ws.write(4 + len(meta) + i, 0, terms.paragraph(t["paragraph"], lang))
        ws.write(4 + len(meta) + i, 1, terms.title(t, lang))
        ws.write(4 + len(meta) + i, 2, terms.group(t["group"], lang))
        ws.write(4 + len(meta) + i, 3, terms.day(t["period"], lang))
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 90)

    if document["groups"]:
        ws = wb.add_worksheet(sheet_name(tx("sheet.groups"), used))
        ws.write(0, 0, tx("groups.title"), title)
        header = ["group_id", "portfolio", "cohort", "profitability", "count"]
        ws.write_row(2, 0, [tx(f"col.{h}") for h in header], bold)
        for i, g in enumerate(document["groups"]):
            ws.write_row(3 + i, 0, [terms.profitability(g[h], lang) if h == "profitability" else g[h]
                                    for h in header])
        ws.set_column(0, 0, 30)
        ws.set_column(1, 4, 16)
    if document["contracts"]:
        ws = wb.add_worksheet(sheet_name(tx("sheet.contracts"), used))
        ws.write(0, 0, tx("contracts.title"), title)
        header = ["contract_id", "portfolio", "cohort", "profitability", "group_id", "new", "reason"]
        ws.write_row(2, 0, [tx(f"col.{h}") for h in header], bold)

        def cell(c: dict[str, Any], h: str) -> Any:
            if h == "new":
                return tx("yes") if c[h] else tx("no")
            return terms.profitability(c[h], lang) if h == "profitability" else c[h]

        for i, c in enumerate(document["contracts"]):
            ws.write_row(3 + i, 0, [cell(c, h) for h in header])
        ws.set_column(0, 5, 18)
        ws.set_column(6, 6, 100)
        ws.freeze_panes(3, 1)

    for t in document["tables"]:
        name = sheet_name(" ".join(x for x in (t["key"], terms.group(t["group"], lang), t["period"]) if x), used)
        ws = wb.add_worksheet(name)
        ws.write(0, 0, terms.title(t, lang), title)
        sub = ", ".join(x for x in (terms.paragraph(t["paragraph"], lang),
                                    tx("sub.group", x=terms.group(t["group"], lang)) if t["group"] else "",
                                    tx("sub.period", x=terms.day(t["period"], lang)) if t["period"] else "",
                                    document["currency"]) if x)
        ws.write(1, 0, sub, italic)
        cols = t["columns"]
        ws.write(3, 0, "", bold)
        for j, c in enumerate(cols):
            ws.write(3, 1 + j, terms.column_label(t, c, lang), bold)
        for i, row in enumerate(t["rows"]):
            ws.write(4 + i, 0, terms.row_label(t, row, lang),
                     bold if row["key"] in ("opening", "closing", "total") else None)
            for j, c in enumerate(cols):
                v = row["values"][c["key"]]
                if v is not None:
                    ws.write_number(4 + i, 1 + j, v, pct if c["key"] == "confidence_level" else money)
        for n_note, note in enumerate(t["notes"]):
            ws.write(5 + len(t["rows"]) + n_note, 0, terms.note(note, lang), italic)
        ws.set_column(0, 0, 60)
        ws.set_column(1, len(cols), 18)
        ws.set_row(3, 45)
        ws.freeze_panes(4, 1)
    wb.close()


def workbook_bytes(document: dict[str, Any], lang: str = "en") -> bytes:
    """The workbook of ``document`` in ``lang`` (``ru`` or ``en``) as bytes."""
    import io

    buf = io.BytesIO()
    _workbook(buf, document, lang)
    return buf.getvalue()


def write_xlsx(path: Path, document: dict[str, Any], lang: str = "en") -> None:
    """The workbook of ``document`` in ``lang`` (``ru`` or ``en``): a summary, the groups and contracts, and one
    sheet per table."""
    terms.check_language(lang)
    atomic_write(path, lambda fh: _workbook(fh, document, lang), binary=True)


def write_output(path: Path, document: dict[str, Any], lang: str = "en") -> None:
    """Write ``document`` as JSON or XLSX by the file's extension (the workbook's texts in ``lang``)."""
    terms.check_language(lang)
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise InputError(f"{path}: the IFRS 17 output must end in .json or .xlsx")
    if ext == "json":
        write_json(Path(path), document)
    else:
        write_xlsx(Path(path), document, lang)
