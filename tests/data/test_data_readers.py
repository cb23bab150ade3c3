"""Readers: CSV / XLSX / Parquet into tables, and errors that name the file, row and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aktuar.data.readers import (
    as_table,
    check_not_after,
    date_column,
    number_column,
    parse_date_text,
    read_columns,
    read_table,
    resolve_columns,
)
from aktuar.data.triangles import triangle_from_transactions
from aktuar.errors import InputError

VAL = date(2024, 12, 31)

HEADER = "claim_id,accident_date,transaction_date,paid\n"
GOOD_ROWS = [
    "C1,2022-03-10,2022-04-01,100",
    "C1,2022-03-10,2023-02-01,300",
    "C2,2023-07-15,2023-09-01,50.5",
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def csv_with(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "tx.csv") -> Path:
    return write(tmp_path, name, header + "\n".join(rows) + "\n")


def build(path: Path | pl.DataFrame, **kw: object):  # type: ignore[no-untyped-def]
    return triangle_from_transactions(path, valuation=kw.pop("valuation", VAL), **kw)  # type: ignore[arg-type]


def expect(exc: pytest.ExceptionInfo[InputError], *, file: Path | None, row: int | None, column: str | None) -> None:
    err = exc.value
    assert err.file == (str(file) if file is not None else None)
    assert err.row == row
    assert err.column == column


# ------------------------------------------------------------------------------------------------- happy
def test_csv_happy_and_row_numbers(tmp_path: Path) -> None:
    t = read_table(csv_with(tmp_path, GOOD_ROWS))
    assert t.columns == ["claim_id", "accident_date", "transaction_date", "paid"]
    assert t.rows().tolist() == [2, 3, 4]  # header = row 1
    np.testing.assert_array_equal(number_column(t, "paid"), [100.0, 300.0, 50.5])
    assert date_column(t, "accident_date")[2] == np.datetime64("2023-07-15")


def test_blank_lines_are_skipped_but_keep_their_row_numbers(tmp_path: Path) -> None:
    p = write(tmp_path, "b.csv", HEADER + GOOD_ROWS[0] + "\n\n,,,\n" + "C3,2022-01-01,2022-02-01,abc\n")
    t = read_table(p)
    assert t.rows().tolist() == [2, 5]
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=5, column="paid")
    assert "'abc'" in str(exc.value)


def test_semicolon_decimal_comma_and_bom_cp1251(tmp_path: Path) -> None:
    text = "\ufeffclaim_id;accident_date;transaction_date;paid\nК1;10.03.2022;01.04.2022;1 234,50\n"
    p = write(tmp_path, "ru.csv", text)
    t = read_table(p)
    assert t.columns[0] == "claim_id"
    assert number_column(t, "paid")[0] == pytest.approx(1234.5)
    p2 = write(tmp_path, "ru1251.csv", text.lstrip("\ufeff"), encoding="cp1251")
    t2 = read_table(p2)
    assert t2.frame["claim_id"][0] == "К1"


def test_xlsx_and_parquet_equal_csv(tmp_path: Path) -> None:
    csv = csv_with(tmp_path, GOOD_ROWS)
    df = pl.read_csv(csv, try_parse_dates=True)
    xlsx = tmp_path / "tx.xlsx"
    df.write_excel(xlsx)
    pq = tmp_path / "tx.parquet"
    df.write_parquet(pq)
    ref = build(csv)
    for p in (xlsx, pq, df):
        tri = build(p)  # type: ignore[arg-type]
        np.testing.assert_array_equal(tri.values, ref.values)
        assert tri.origin == ref.origin


def test_xlsx_text_dates_and_typed_dates_mixed(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    from datetime import datetime

    p = tmp_path / "mixed.xlsx"
    wb = xlsxwriter.Workbook(p)
    ws = wb.add_worksheet()
    fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(0, 0, ["claim_id", "accident_date", "transaction_date", "paid"])
    ws.write_row(1, 0, ["C1"])
    ws.write_datetime(1, 1, datetime(2022, 3, 10), fmt)
    ws.write(1, 2, "01.04.2022")
    ws.write(1, 3, 100)
    ws.write_row(2, 0, ["C2", "2023-07-15", "2023-09-01", "12x"])
    wb.close()
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=3, column="paid")
    assert "'12x'" in exc.value.message


def test_case_insensitive_columns(tmp_path: Path) -> None:
    p = csv_with(tmp_path, GOOD_ROWS, header="Claim ID,Accident_Date,TRANSACTION_DATE,Paid\n")
    cols = resolve_columns(read_table(p), {"a": "accident_date", "c": "claim_id"})
    assert cols == {"a": "Accident_Date", "c": "Claim ID"}
    assert build(p).values[0, 0, 0] == 100.0


def test_read_columns_and_parse_date_text(tmp_path: Path) -> None:
    assert read_columns(csv_with(tmp_path, GOOD_ROWS)) == ["claim_id", "accident_date", "transaction_date", "paid"]
    assert parse_date_text("30.06.2024") == date(2024, 6, 30)
    assert parse_date_text(" 2024-06-30 ") == date(2024, 6, 30)
    with pytest.raises(InputError, match="not a date"):
        parse_date_text("2024/06/30")


def test_in_memory_frame_rows_numbered_like_a_spreadsheet() -> None:
    df = pl.DataFrame({"claim_id": ["a", "b"], "accident_date": ["2022-01-01", "2022-13-01"],
                       "transaction_date": ["2022-02-01", "2022-02-01"], "paid": [1.0, 2.0]})
    with pytest.raises(InputError) as exc:
        build(df)
    expect(exc, file=None, row=3, column="accident_date")
    assert as_table(df).rows().tolist() == [2, 3]


# ------------------------------------------------------------------------------------------------- errors
def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.csv"
    with pytest.raises(InputError) as exc:
        read_table(p)
    expect(exc, file=p, row=None, column=None)
    assert "does not exist" in exc.value.message


def test_unknown_extension(tmp_path: Path) -> None:
    p = write(tmp_path, "tx.json", "{}")
    with pytest.raises(InputError) as exc:
        read_table(p)
    expect(exc, file=p, row=None, column=None)
    assert "'.json'" in exc.value.message


@pytest.mark.parametrize("text", ["", "   \n", HEADER])
def test_empty_csv(tmp_path: Path, text: str) -> None:
    p = write(tmp_path, "e.csv", text)
    with pytest.raises(InputError) as exc:
        read_table(p)
    expect(exc, file=p, row=None, column=None)


def test_empty_xlsx(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    p = tmp_path / "e.xlsx"
    wb = xlsxwriter.Workbook(p)
    wb.add_worksheet()
    wb.close()
    with pytest.raises(InputError) as exc:
        read_table(p)
    expect(exc, file=p, row=None, column=None)


def test_ragged_csv(tmp_path: Path) -> None:
    p = write(tmp_path, "r.csv", HEADER + GOOD_ROWS[0] + ",extra,cells\n")
    with pytest.raises(InputError) as exc:
        read_table(p)
    assert exc.value.file == str(p)
    assert "more cells than the header" in exc.value.message


def test_missing_columns_are_named_with_the_present_ones(tmp_path: Path) -> None:
    p = csv_with(tmp_path, ["C1,2022-03-10,100"], header="claim_id,accident_date,amount\n")
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=None, column=None)
    msg = exc.value.message
    assert "'transaction_date'" in msg and "'paid'" in msg
    assert "'claim_id', 'accident_date', 'amount'" in msg


def test_non_numeric_amount_names_first_bad_row(tmp_path: Path) -> None:
    p = csv_with(tmp_path, [*GOOD_ROWS, "C3,2023-01-01,2023-02-01,12.5.3", "C4,2023-01-01,2023-02-01,x"])
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=5, column="paid")
    assert "'12.5.3'" in exc.value.message


@pytest.mark.parametrize("bad", ["2023/01/05", "31.02.2023", "05.01.23", "2023-1-5x", "yesterday"])
def test_unparsable_date(tmp_path: Path, bad: str) -> None:
    p = csv_with(tmp_path, [GOOD_ROWS[0], f"C9,{bad},2023-06-01,10"])
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=3, column="accident_date")
    assert repr(bad) in exc.value.message


def test_both_date_formats_accepted(tmp_path: Path) -> None:
    p = csv_with(tmp_path, ["C1,10.03.2022,2022-04-01,100", "C2,2022-03-10 00:00:00,01.04.2023,5"])
    tri = build(p)
    np.testing.assert_array_equal(tri.values[0, 0, :2], [100.0, 105.0])


def test_future_date(tmp_path: Path) -> None:
    p = csv_with(tmp_path, [*GOOD_ROWS, "C5,2024-05-01,2025-01-02,7"])
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=5, column="transaction_date")
    assert "02.01.2025" in exc.value.message and "31.12.2024" in exc.value.message


def test_future_origin_date(tmp_path: Path) -> None:
    p = csv_with(tmp_path, [*GOOD_ROWS, "C5,2025-03-01,2025-01-02,7"])
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=5, column="accident_date")


@pytest.mark.parametrize(("row", "column"), [("C1,2022-03-10,2022-04-01,", "paid"),
                                             ("C1,,2022-04-01,5", "accident_date"),
                                             ("C1,2022-03-10,,5", "transaction_date"),
                                             ("C1,2022-03-10,2022-04-01,nan", "paid")])
def test_blank_required_cell(tmp_path: Path, row: str, column: str) -> None:
    p = csv_with(tmp_path, [GOOD_ROWS[0], row])
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=3, column=column)
    assert "blank" in exc.value.message


def test_blank_in_parquet_numeric_column(tmp_path: Path) -> None:
    df = pl.DataFrame({"claim_id": ["a", "b"], "accident_date": [date(2022, 1, 1)] * 2,
                       "transaction_date": [date(2022, 2, 1)] * 2, "paid": [1.0, None]})
    p = tmp_path / "x.parquet"
    df.write_parquet(p)
    with pytest.raises(InputError) as exc:
        build(p)
    expect(exc, file=p, row=3, column="paid")


def test_check_not_after(tmp_path: Path) -> None:
    p = csv_with(tmp_path, GOOD_ROWS)
    t = read_table(p)
    d = date_column(t, "transaction_date")
    check_not_after(t, "transaction_date", d, date(2023, 12, 31))
    with pytest.raises(InputError) as exc:
        check_not_after(t, "transaction_date", d, date(2023, 6, 30), what="the reporting date")
    expect(exc, file=p, row=4, column="transaction_date")
    assert "the reporting date 30.06.2023" in exc.value.message
