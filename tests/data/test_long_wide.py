"""Long and wide triangle files: ages, calendar years, dates, holes, auto-detection and their errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aktuar.data.triangles import read_triangle, triangle_from_long, triangle_from_wide
from aktuar.errors import InputError

NAN = np.nan


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ----------------------------------------------------------------------------------------------------- long
def test_long_ages_segments_and_holes(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,development,value,lob,region\n"
              "2020,12,100,a,n\n2020,24,150,a,n\n2020,36,160,a,n\n2021,12,110,a,n\n2021,36,130,a,n\n"
              "2020,12,5,b,s\n")
    tri = triangle_from_long(p)
    assert tri.segment_names == ("lob", "region")
    assert tri.segments == (("a", "n"), ("b", "s"))
    assert tri.development.tolist() == [12, 24, 36]
    np.testing.assert_array_equal(tri.values[0], [[100, 150, 160], [110, NAN, 130]])
    assert tri.holes()[0, 1, 1]  # a missing cell inside the observed region is a hole
    np.testing.assert_array_equal(tri.values[1], [[5, NAN, NAN], [NAN, NAN, NAN]])


def test_long_incremental_and_explicit_segment_columns(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "o,d,amount,lob,note\n1,1,10,a,x\n1,2,5,a,y\n2,1,7,a,z\n")
    tri = triangle_from_long(p, origin="o", development="d", value="amount", cumulative=False,
                             segment_columns=["lob"])
    assert not tri.cumulative and tri.segment_names == ("lob",)
    np.testing.assert_array_equal(tri.cum().values[0], [[10, 15], [7, NAN]])


def test_long_calendar_years_give_ages_in_months(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,development,value\n1990,1990,1\n1990,1991,3\n1991,1991,2\n")
    tri = triangle_from_long(p)
    assert tri.development.tolist() == [12, 24]
    assert tri.origin_grain == "Y" and tri.development_grain == "Y"
    assert tri.valuation == date(1991, 12, 31)
    np.testing.assert_array_equal(tri.values[0], [[1, 3], [2, NAN]])
    ages = triangle_from_long(p, development_kind="age")  # the same numbers taken as ages
    assert ages.development.tolist() == [1990, 1991]


def test_long_dates_mid_year_valuation(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,development,value\n"
              "2022-01-01,2022-06-30,1\n2022-01-01,2023-06-30,2\n2022-01-01,2024-06-30,3\n"
              "2023-01-01,30.06.2023,4\n2023-01-01,30.06.2024,5\n2024-01-01,2024-06-30,6\n")
    tri = triangle_from_long(p)
    assert tri.valuation == date(2024, 6, 30)
    assert tri.origin == ("2022", "2023", "2024") and tri.origin_grain == "Y"
    assert tri.development.tolist() == [6, 18, 30]
    np.testing.assert_array_equal(tri.values[0], [[1, 2, 3], [4, 5, NAN], [6, NAN, NAN]])


def test_long_dates_quarterly_inferred(tmp_path: Path) -> None:
    rows = ["origin,development,value"]
    for i, o in enumerate(["2024-01-01", "2024-04-01", "2024-07-01"]):
        for j, d in enumerate(["2024-03-31", "2024-06-30", "2024-09-30"][i:]):
            rows.append(f"{o},{d},{10 * i + j}")
    tri = triangle_from_long(write(tmp_path, "q.csv", "\n".join(rows) + "\n"))
    assert tri.origin == ("2024Q1", "2024Q2", "2024Q3") and tri.development.tolist() == [3, 6, 9]
    np.testing.assert_array_equal(tri.values[0], [[0, 1, 2], [10, 11, NAN], [20, NAN, NAN]])


def test_long_off_grid_cumulative_is_an_error_incremental_is_bucketed(tmp_path: Path) -> None:
    text = "origin,development,value\n2023-01-01,2023-12-31,1\n2023-01-01,2024-03-31,2\n2024-01-01,2024-06-30,3\n"
    p = write(tmp_path, "l.csv", text)
    # the spacing of the dates suggests quarterly development, on which every date is on the grid
    assert triangle_from_long(p).development.tolist() == [3, 6, 9, 12, 15, 18]
    with pytest.raises(InputError) as exc:
        triangle_from_long(p, development_grain="Y")  # valuation 30.06.2024: ages 6, 18; 31.12.2023 is 12
    assert (exc.value.row, exc.value.column) == (2, "development")
    assert "age 12" in exc.value.message
    inc = triangle_from_long(p, cumulative=False, development_grain="Y")
    assert inc.development.tolist() == [6, 18]
    np.testing.assert_array_equal(inc.values[0], [[NAN, 3], [3, NAN]])


def test_long_duplicate_cell(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,development,value,lob\n2020,1,1,a\n2020,1,2,b\n2020,1,3,a\n")
    with pytest.raises(InputError) as exc:
        triangle_from_long(p)
    assert (exc.value.file, exc.value.row) == (str(p), 4)
    assert "row 2" in exc.value.message


def test_long_non_numeric_development(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,development,value\n2020,12,1\n2020,24m,2\n")
    with pytest.raises(InputError) as exc:
        triangle_from_long(p)
    assert (exc.value.row, exc.value.column) == (3, "development")
    assert "'24m'" in exc.value.message


def test_long_development_before_origin(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,development,value\n2020,2020,1\n2021,2020,2\n")
    with pytest.raises(InputError) as exc:
        triangle_from_long(p)
    assert (exc.value.row, exc.value.column) == (3, "development")


def test_long_blank_value_is_unobserved_and_text_value_is_an_error(tmp_path: Path) -> None:
    tri = triangle_from_long(write(tmp_path, "a.csv", "origin,development,value\n1,1,5\n1,2,\n"))
    np.testing.assert_array_equal(tri.values[0], [[5, NAN]])
    with pytest.raises(InputError) as exc:
        triangle_from_long(write(tmp_path, "b.csv", "origin,development,value\n1,1,5\n1,2,n/a?\n"))
    assert (exc.value.row, exc.value.column) == (3, "value")


def test_long_missing_columns(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "origin,dev,value\n1,1,5\n")
    with pytest.raises(InputError) as exc:
        triangle_from_long(p)
    assert "'development'" in exc.value.message and "'dev'" in exc.value.message


# ----------------------------------------------------------------------------------------------------- wide
def test_wide_ages_header_and_blanks(tmp_path: Path) -> None:
    p = write(tmp_path, "w.csv", "AY,12,24,36\n2020,100,150,160\n2021,110,120,\n2022,120,,\n")
    tri = triangle_from_wide(p)
    assert tri.origin == ("2020", "2021", "2022") and tri.development.tolist() == [12, 24, 36]
    np.testing.assert_array_equal(tri.values[0], [[100, 150, 160], [110, 120, NAN], [120, NAN, NAN]])
    assert tri.notes == ()


def test_wide_non_numeric_header_falls_back_to_positions(tmp_path: Path) -> None:
    p = write(tmp_path, "w.csv", "origin,dev 1,dev 2,dev 3,,\n2020,1,2,3,,\n2021,4,5,,,\n2022,6,,,,\n")
    tri = triangle_from_wide(p, cumulative=False)
    assert tri.development.tolist() == [1, 2, 3] and not tri.cumulative
    assert len(tri.notes) == 1 and "'dev 1'" in tri.notes[0] and "1..3" in tri.notes[0]
    np.testing.assert_array_equal(tri.cum().values[0], [[1, 3, 6], [4, 9, NAN], [6, NAN, NAN]])


def test_wide_text_cell_is_an_error(tmp_path: Path) -> None:
    p = write(tmp_path, "w.csv", "origin,12,24\n2020,1,2\n2021,x1,\n")
    with pytest.raises(InputError) as exc:
        triangle_from_wide(p)
    assert (exc.value.file, exc.value.row, exc.value.column) == (str(p), 3, "12")


def test_wide_duplicate_origin_and_bad_header_order(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        triangle_from_wide(write(tmp_path, "a.csv", "origin,1,2\n2020,1,2\n2020,3,\n"))
    assert exc.value.row == 3
    with pytest.raises(InputError) as exc:
        triangle_from_wide(write(tmp_path, "b.csv", "origin,24,12\n2020,1,2\n"))
    assert (exc.value.row, exc.value.column) == (1, "12")
    with pytest.raises(InputError) as exc:
        triangle_from_wide(write(tmp_path, "c.csv", "origin,12,,24\n2020,1,5,2\n"))
    assert "no header" in exc.value.message


def test_wide_xlsx_with_numeric_header(tmp_path: Path) -> None:
    df = pl.DataFrame({"AY": [2020, 2021], "12": [1.5, 2.0], "24": [3.0, None]})
    p = tmp_path / "w.xlsx"
    df.write_excel(p)
    tri = read_triangle(p)
    assert tri.origin == ("2020", "2021") and tri.development.tolist() == [12, 24]
    np.testing.assert_array_equal(tri.values[0], [[1.5, 3.0], [2.0, NAN]])


# ---------------------------------------------------------------------------------------------- auto-detect
def test_read_triangle_detects_long_case_insensitively(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "Origin,DEVELOPMENT,Value\n2020,1,1\n2020,2,3\n2021,1,2\n")
    tri = read_triangle(p)
    np.testing.assert_array_equal(tri.values[0], [[1, 3], [2, NAN]])
    w = write(tmp_path, "w.csv", "Origin,1,2\n2020,1,3\n2021,2,\n")
    np.testing.assert_array_equal(read_triangle(w).values, tri.values)
    inc = read_triangle(p, cumulative=False)
    assert not inc.cumulative
