"""Reading users' tables (CSV, XLSX, Parquet) into polars DataFrames, with errors that say where.

Every problem a user's file can have raises :class:`aktuar.errors.InputError` with the file, the row as a
spreadsheet shows it (the header is row 1, the first data row is row 2) and the column, and a sentence saying
what to fix. A :class:`Table` keeps those row numbers through filtering, so a later check (a date after the
valuation date, a duplicate key) still names the row the user sees.

CSV and XLSX cells are read as text and converted here, column by column, so that a bad cell is reported with
its value instead of failing the whole read; Parquet columns keep their stored types. Accepted cell formats:

* numbers: ``1234.5``, ``-3``, ``1e6``; spaces (also no-break and thin spaces) as thousands separators are
  ignored; a decimal comma (``1 234,5``) is accepted in a CSV separated by semicolons;
* dates: ISO ``yyyy-mm-dd`` (optionally followed by a time, as spreadsheets export it) and ``dd.mm.yyyy``;
  XLSX date cells and Parquet date/datetime columns are taken as they are.

A CSV is decoded as UTF-8 (a byte-order mark is dropped) and, failing that, as Windows-1251; its separator
(comma, semicolon or tab) is taken from the header line. Rows that are entirely blank are skipped (their
numbers are not reused).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.errors import InputError

__all__ = [
    "ROW",
    "Table",
    "as_table",
    "check_not_after",
    "check_unique",
    "date_column",
    "factorize",
    "fmt_date",
    "number_column",
    "parse_date_text",
    "read_columns",
    "read_table",
    "resolve_columns",
    "text_column",
]

ROW = "__aktuar_row__"
"""Name of the column that holds each row's spreadsheet row number."""

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
PARQUET_EXTENSIONS = (".parquet", ".pq")

_NUMERIC_DTYPES = (
    pl.Float64, pl.Float32, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64,
)
_BLANK_WORDS = ("nan", "na", "n/a", "null", "none")
_ISO_RE = r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_DMY_RE = r"^(\d{1,2}\.\d{1,2}\.\d{4})$"


def fmt_date(d: date | np.datetime64) -> str:
    """A date as ``dd.mm.yyyy`` (the form used in messages)."""
    day: date = d.astype("datetime64[D]").astype(date) if isinstance(d, np.datetime64) else d
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def _show(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


@dataclass(frozen=True)
class Table:
    """A user's table: the frame as read plus the column :data:`ROW` of spreadsheet row numbers.

    ``file`` is the file name used in messages (``None`` for a frame passed in memory; its rows are then
    numbered as if it were written to a spreadsheet with a header row: the first row is row 2).
    """

    frame: pl.DataFrame
    file: str | None = None
    decimal_comma: bool = False

    @property
    def columns(self) -> list[str]:
        """The user's columns (without the row-number column)."""
        return [c for c in self.frame.columns if c != ROW]

    @property
    def height(self) -> int:
        return self.frame.height

    def rows(self) -> npt.NDArray[np.int64]:
        """Spreadsheet row number of every row."""
        return self.frame[ROW].to_numpy().astype(np.int64, copy=False)

    def row_of(self, i: int) -> int:
        """Spreadsheet row number of the row at position ``i``."""
        return int(self.frame[ROW][int(i)])

    def error(self, message: str, *, index: int | None = None, column: str | None = None) -> InputError:
        """An :class:`InputError` located at the row at position ``index`` (if given) and ``column``."""
        return InputError(message, file=self.file, row=None if index is None else self.row_of(index),
                          column=column)


# ---------------------------------------------------------------------------------------------------- reading
def read_table(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> Table:
    """Read a CSV, XLSX or Parquet file (chosen by its extension) into a :class:`Table`.

    ``sheet`` names (or numbers, from 1) the worksheet of a spreadsheet; the first sheet by default.
    Raises ``InputError`` for a missing file, an unknown extension, an unreadable or empty file.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError("the file does not exist: check the path and the file name", file=name)
    if p.is_dir():
        raise InputError("this is a folder, not a file: give the path of a CSV, XLSX or Parquet file", file=name)
    ext = p.suffix.lower()
    if p.stat().st_size == 0:
        raise InputError("the file is empty: it needs a header row and at least one data row", file=name)
    if ext in CSV_EXTENSIONS:
        frame, decimal_comma = _read_csv(p, name)
    elif ext in EXCEL_EXTENSIONS:
        frame, decimal_comma = _read_excel(p, name, sheet), False
    elif ext in PARQUET_EXTENSIONS:
        frame, decimal_comma = _read_parquet(p, name), False
    else:
        raise InputError(
            f"unknown file type '{ext or '(none)'}': use a .csv, .xlsx or .parquet file", file=name
        )
    return _finish(frame, name, decimal_comma)


def read_columns(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> list[str]:
    """The column names of a file (its header), with the same checks as :func:`read_table`.

    A CSV's header line and a Parquet file's schema are read without the data; a spreadsheet is read whole.
    """
    p = Path(path)
    name = str(path)
    ext = p.suffix.lower()
    if p.is_file() and p.stat().st_size > 0 and ext in CSV_EXTENSIONS:
        with open(p, "rb") as fh:
            head = fh.read(1 << 16)
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("cp1251", errors="replace")
        first = text.split("\n", 1)[0].rstrip("\r")
        if first.strip():
            sep = "\t" if ext == ".tsv" else _sniff_separator(first)
            cols = pl.read_csv(io.BytesIO(first.encode("utf-8") + b"\n"), separator=sep, infer_schema=False,
                               raise_if_empty=False).columns
            return [c.strip() for c in cols]
    if p.is_file() and p.stat().st_size > 0 and ext in PARQUET_EXTENSIONS:
        try:
            return list(pl.read_parquet_schema(p))
        except Exception as exc:
            raise InputError(f"cannot read the file as Parquet ({str(exc).splitlines()[0]})", file=name) from None
    return read_table(path, sheet=sheet).columns


def parse_date_text(text: str) -> date:
    """A date written as ``yyyy-mm-dd`` or ``dd.mm.yyyy`` (e.g. a valuation date given on the command line)."""
    t = str(text).strip()
    for pattern, fmt in ((_ISO_RE, "%Y-%m-%d"), (_DMY_RE, "%d.%m.%Y")):
        m = re.match(pattern, t)
        if m:
            try:
                return datetime.strptime(m.group(1), fmt).date()
            except ValueError:
                break
    raise InputError(f"{_show(t)} is not a date: write it as yyyy-mm-dd or dd.mm.yyyy (a real calendar date)")


def as_table(source: Table | pl.DataFrame | Any, *, sheet: str | int | None = None) -> Table:
    """A :class:`Table` from a file path, a polars (or pandas) DataFrame, or a Table (returned as is)."""
    if isinstance(source, Table):
        return source
    if isinstance(source, (str, os.PathLike)):
        return read_table(source, sheet=sheet)
    if isinstance(source, pl.DataFrame):
        frame = source
    elif hasattr(source, "to_dict") and hasattr(source, "columns"):  # pandas DataFrame
        frame = pl.from_pandas(source)
    else:
        raise InputError("give a file path or a data frame")
    if ROW in frame.columns:
        return Table(frame)
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW))
    if frame.height == 0:
        raise InputError("the table has no rows")
    return Table(frame)


def _sniff_separator(header: str) -> str:
    counts = {sep: _count_outside_quotes(header, sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, sep: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            n += 1
    return n


def _read_csv(p: Path, name: str) -> tuple[pl.DataFrame, bool]:
    raw = p.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
        raw = text.encode("utf-8")
    if not text.strip():
        raise InputError("the file is empty: it needs a header row and at least one data row", file=name)
    first = text.split("\n", 1)[0].rstrip("\r")
    sep = "\t" if p.suffix.lower() == ".tsv" else _sniff_separator(first)
    try:
        frame = pl.read_csv(io.BytesIO(raw), separator=sep, infer_schema=False, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        msg = str(exc).split("\n", 1)[0]
        hint = (
            "a row has more cells than the header" if "more fields" in msg else msg
        )
        raise InputError(
            f"cannot read the file as a table ({hint}): every row needs as many cells as the header, "
            "and text containing the separator must be in double quotes", file=name
        ) from None
    return frame, sep == ";"


def _read_excel(p: Path, name: str, sheet: str | int | None) -> pl.DataFrame:
    kwargs: dict[str, Any] = {}
    if isinstance(sheet, int):
        kwargs["sheet_id"] = sheet
    elif sheet is not None:
        kwargs["sheet_name"] = sheet
    try:
        frame = pl.read_excel(
            p, engine="calamine", infer_schema_length=None, drop_empty_rows=False, drop_empty_cols=False,
            raise_if_empty=False, **kwargs,
        )
    except pl.exceptions.NoDataError:
        raise InputError("the worksheet is empty: it needs a header row and at least one data row",
                         file=name) from None
    except Exception as exc:  # fastexcel raises its own exception types
        msg = str(exc).split("\n", 1)[0]
        if sheet is not None and ("sheet" in msg.lower() or "not found" in msg.lower()):
            raise InputError(f"there is no worksheet {sheet!r} in the workbook", file=name) from None
        raise InputError(f"cannot read the file as a spreadsheet ({msg}): save it as .xlsx and try again",
                         file=name) from None
    if isinstance(frame, dict):  # pragma: no cover - only when several sheets are asked for
        frame = next(iter(frame.values()))
    out: pl.DataFrame = frame
    return out


def _read_parquet(p: Path, name: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(p)
    except Exception as exc:
        msg = str(exc).split("\n", 1)[0]
        raise InputError(f"cannot read the file as Parquet ({msg})", file=name) from None


def _finish(frame: pl.DataFrame, name: str, decimal_comma: bool) -> Table:
    renames = {c: c.strip().lstrip("\ufeff").strip() for c in frame.columns}
    renames = {k: v for k, v in renames.items() if k != v}
    if renames and len(set(renames.values()) | (set(frame.columns) - set(renames))) == frame.width:
        frame = frame.rename(renames)
    if frame.width == 0:
        raise InputError("the file is empty: it needs a header row and at least one data row", file=name)
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW))
    users = [c for c in frame.columns if c != ROW]
    blank_exprs = [_is_blank_expr(c, frame.schema[c]) for c in users]
    frame = frame.filter(~pl.all_horizontal(blank_exprs))
    if frame.height == 0:
        raise InputError("the file has a header but no data rows", file=name)
    return Table(frame, name, decimal_comma)


def _is_blank_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    if dtype == pl.String:
        return col.is_null() | (col.str.strip_chars() == "")
    if dtype in (pl.Float64, pl.Float32):
        return col.is_null() | col.is_nan()
    return col.is_null()


# ---------------------------------------------------------------------------------------------------- columns
def resolve_columns(
    table: Table,
    wanted: Mapping[str, str],
    *,
    required: Iterable[str] | None = None,
    purpose: str = "",
) -> dict[str, str | None]:
    """The table's column for each wanted name (matched exactly, else ignoring case and spaces).

    ``wanted`` maps a role (e.g. ``"paid"``) to the column name the user configured. Roles in ``required``
    (all by default) must be found; the error names every missing column and lists the columns there are.
    Returns role → the table's column name, or ``None`` for an optional role that is absent.
    """
    req = set(wanted) if required is None else set(required)
    present = table.columns
    folded = {_fold(c): c for c in present}
    out: dict[str, str | None] = {}
    missing: list[str] = []
    for role, name in wanted.items():
        if name in present:
            out[role] = name
        elif _fold(name) in folded:
            out[role] = folded[_fold(name)]
        else:
            out[role] = None
            if role in req:
                missing.append(name)
    if missing:
        what = f" {purpose}" if purpose else ""
        names = ", ".join(f"'{m}'" for m in missing)
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {names}{what}; the file has the columns "
            f"{', '.join(repr(c) for c in present)}: rename a column or say which column to use",
            file=table.file,
        )
    return out


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().lower())


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def number_column(table: Table, column: str, *, allow_blank: bool = False,
                  what: str = "a number") -> npt.NDArray[np.float64]:
    """The column as float64. Blank cells are NaN when ``allow_blank``, else an error; text is an error."""
    s = table.frame[column]
    if s.dtype in _NUMERIC_DTYPES:
        vals = s.cast(pl.Float64)
        arr = vals.to_numpy().astype(np.float64, copy=False)
        blank = np.isnan(arr)
        bad = np.isinf(arr)
    elif s.dtype == pl.String:
        st = s.str.strip_chars()
        blank_s = st.is_null() | (st == "") | st.str.to_lowercase().is_in(list(_BLANK_WORDS))
        cleaned = st.str.replace_all(r"[\s\u00a0\u202f\u2009']", "")
        if table.decimal_comma:
            cleaned = cleaned.str.replace(",", ".", literal=True)
        vals = cleaned.cast(pl.Float64, strict=False)
        arr = vals.to_numpy().astype(np.float64, copy=True)
        blank = blank_s.fill_null(True).to_numpy()
        bad = ~blank & ~np.isfinite(arr)
        arr[blank] = np.nan
    elif s.dtype == pl.Boolean or s.dtype == pl.Null:
        arr = np.full(len(s), np.nan)
        blank = s.is_null().to_numpy()
        bad = ~blank
    else:
        arr = np.full(len(s), np.nan)
        blank = s.is_null().to_numpy()
        bad = ~blank
    if bad.any():
        i = _first(bad)
        raise table.error(f"{_show(s[i])} is not {what}: write {what} (digits, a decimal point, no text)",
                          index=i, column=column)
    if not allow_blank and blank.any():
        i = _first(blank)
        raise table.error(f"the cell is blank: fill in {what}", index=i, column=column)
    return arr


def date_column(table: Table, column: str, *, allow_blank: bool = False) -> npt.NDArray[np.datetime64]:
    """The column as ``datetime64[D]`` (blank → ``NaT`` when ``allow_blank``, else an error).

    Text cells must be ``yyyy-mm-dd`` (optionally with a time) or ``dd.mm.yyyy`` and a real calendar date.
    """
    s = table.frame[column]
    if s.dtype == pl.Date:
        d = s
        blank = s.is_null().to_numpy()
        bad = np.zeros(len(s), dtype=bool)
    elif isinstance(s.dtype, pl.Datetime):
        d = s.dt.date()
        blank = s.is_null().to_numpy()
        bad = np.zeros(len(s), dtype=bool)
    elif s.dtype == pl.String:
        st = s.str.strip_chars()
        blank_s = st.is_null() | (st == "")
        iso = st.str.extract(_ISO_RE, 1).str.to_date("%Y-%m-%d", strict=False)
        dmy = st.str.extract(_DMY_RE, 1).str.to_date("%d.%m.%Y", strict=False)
        d = pl.select(pl.coalesce(iso, dmy)).to_series()
        blank = blank_s.fill_null(True).to_numpy()
        bad = ~blank & d.is_null().to_numpy()
    else:
        d = pl.Series(column, [None] * len(s), dtype=pl.Date)
        blank = s.is_null().to_numpy()
        bad = ~blank
    if bad.any():
        i = _first(bad)
        raise table.error(
            f"{_show(s[i])} is not a date: write the date as yyyy-mm-dd or dd.mm.yyyy (a real calendar date)",
            index=i, column=column,
        )
    if not allow_blank and blank.any():
        i = _first(blank)
        raise table.error("the cell is blank: fill in the date", index=i, column=column)
    out = d.to_numpy()
    if out.dtype != np.dtype("datetime64[D]"):
        out = out.astype("datetime64[D]")
    return out


def text_column(table: Table, column: str, *, allow_blank: bool = False) -> pl.Series:
    """The column as stripped text (numbers written without a trailing ``.0``); blank cells are an error
    unless ``allow_blank``."""
    s = table.frame[column]
    if s.dtype in (pl.Float64, pl.Float32):
        integral = s.is_not_null() & s.is_finite() & (s.round(0) == s)
        txt = pl.select(
            pl.when(integral).then(s.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(s.cast(pl.String))
        ).to_series()
    elif s.dtype == pl.String:
        txt = s.str.strip_chars()
        txt = pl.select(pl.when(txt == "").then(None).otherwise(txt)).to_series()
    elif s.dtype == pl.Date:
        txt = s.dt.strftime("%Y-%m-%d")
    else:
        txt = s.cast(pl.String)
    txt = txt.alias(column)
    if not allow_blank:
        blank = txt.is_null().to_numpy()
        if blank.any():
            raise table.error("the cell is blank: fill it in", index=_first(blank), column=column)
    return txt


def factorize(table: Table, columns: Sequence[str]) -> tuple[npt.NDArray[np.int64], tuple[tuple[str, ...], ...]]:
    """Integer codes of the combinations of ``columns`` (text) and the sorted combinations themselves.

    With no columns every row has code 0 and the one key is ``()``.
    """
    n = table.height
    if not columns:
        return np.zeros(n, dtype=np.int64), ((),)
    keys = pl.DataFrame([text_column(table, c) for c in columns])
    uniq = keys.unique().sort(list(columns)).with_row_index("__code__")
    codes = keys.join(uniq, on=list(columns), how="left", maintain_order="left", nulls_equal=True)["__code__"]
    key_tuples = tuple(tuple(str(v) for v in row) for row in uniq.select(list(columns)).iter_rows())
    return codes.to_numpy().astype(np.int64), key_tuples


def check_not_after(table: Table, column: str, values: npt.NDArray[np.datetime64], limit: date,
                    *, what: str = "the valuation date") -> None:
    """Error at the first row whose date in ``column`` is after ``limit``."""
    late = values > np.datetime64(limit, "D")
    if late.any():
        i = _first(late)
        raise table.error(
            f"the date {fmt_date(values[i])} is after {what} {fmt_date(limit)}: correct the date or choose a "
            "later valuation date", index=i, column=column,
        )


def check_unique(table: Table, columns: Sequence[str], *, what: str = "key") -> None:
    """Error at the second of two rows that share the values of ``columns`` (naming the first)."""
    # the key columns under neutral names: a header may be blank or repeat a name polars treats specially
    names = [f"__k{i}__" for i in range(len(columns))]
    keys = pl.DataFrame([table.frame[c].alias(n) for c, n in zip(columns, names, strict=True)]).with_columns(
        pl.int_range(0, table.height, dtype=pl.Int64).alias("__pos__")
    )
    dup = keys.filter(pl.len().over(names) > 1)
    if dup.height == 0:
        return
    firsts = dup.group_by(names).agg(pl.col("__pos__").min().alias("a"), pl.col("__pos__").sort().get(1)
                                     .alias("b")).sort("b")
    a, b = int(firsts["a"][0]), int(firsts["b"][0])
    desc = ", ".join(f"{c}={_show(table.frame[c][b])}" for c in columns)
    raise table.error(
        f"duplicate {what} ({desc}): row {table.row_of(a)} has the same; keep one row per {what} "
        "(add the amounts up in one row)", index=b, column=columns[-1],
    )
