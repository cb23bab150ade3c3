"""Exposure files matched to a triangle's segments and origins."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from aktuar.core.reserving.triangles import from_array
from aktuar.data.triangles import read_exposure, triangle_from_long, triangle_from_transactions
from aktuar.errors import InputError


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.fixture
def tri(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = write(tmp_path, "l.csv", "origin,development,value,lob\n2020,1,1,a\n2021,1,1,a\n2020,1,1,b\n2021,1,1,b\n")
    return triangle_from_long(p)


def test_exposure_by_segment_and_origin_extra_rows_ignored(tmp_path: Path, tri) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "e.csv", "lob,origin,exposure,comment\nb,2021,40,x\na,2020,10,\na,2021,20,\nb,2020,30,\n"
              "a,2019,99,older origin\nc,2020,5,other segment\n")
    e = read_exposure(p, tri)
    np.testing.assert_array_equal(e, [[10, 20], [30, 40]])


def test_missing_combination_is_named(tmp_path: Path, tri) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "e.csv", "lob,origin,exposure\na,2020,10\na,2021,20\nb,2020,30\n")
    with pytest.raises(InputError) as exc:
        read_exposure(p, tri)
    assert exc.value.file == str(p)
    assert "lob='b'" in exc.value.message and "origin 2021" in exc.value.message


def test_duplicate_negative_and_text_exposure(tmp_path: Path, tri) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "d.csv", "lob,origin,exposure\na,2020,10\na,2020,11\n")
    with pytest.raises(InputError) as exc:
        read_exposure(p, tri)
    assert exc.value.row == 3 and "row 2" in exc.value.message
    p = write(tmp_path, "n.csv", "lob,origin,exposure\na,2020,-1\n")
    with pytest.raises(InputError) as exc:
        read_exposure(p, tri)
    assert (exc.value.row, exc.value.column) == (2, "exposure")
    p = write(tmp_path, "t.csv", "lob,origin,exposure\na,2020,ten\n")
    with pytest.raises(InputError) as exc:
        read_exposure(p, tri)
    assert (exc.value.row, exc.value.column) == (2, "exposure")


def test_missing_segment_column(tmp_path: Path, tri) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "e.csv", "origin,exposure\n2020,1\n")
    with pytest.raises(InputError, match="'lob'"):
        read_exposure(p, tri)


def test_single_segment_and_dates_as_origins(tmp_path: Path) -> None:
    tx = write(tmp_path, "tx.csv", "accident_date,transaction_date,paid\n2023-02-01,2023-03-01,1\n"
               "2024-05-01,2024-05-02,1\n")
    t = triangle_from_transactions(tx, valuation=date(2024, 6, 30), origin_grain="H", development_grain="H")
    assert t.origin == ("2023H1", "2023H2", "2024H1")
    p = write(tmp_path, "e.csv", "origin,exposure\n2023-01-01,1\n2023-07-01,2\n15.03.2024,3\n")
    np.testing.assert_array_equal(read_exposure(p, t), [[1, 2, 3]])
    p2 = write(tmp_path, "e2.csv", "origin,exposure\n2023H1,1\n2023H2,2\n2024H1,3\n")
    np.testing.assert_array_equal(read_exposure(p2, t), [[1, 2, 3]])


def test_wide_triangle_origins_from_spreadsheet_numbers(tmp_path: Path) -> None:
    t = from_array(np.ones((2, 2)), origin=["2020", "2021"])
    p = write(tmp_path, "e.csv", "origin,exposure\n2020.0,5\n2021,6\n")
    np.testing.assert_array_equal(read_exposure(p, t), [[5, 6]])
