"""Triangles from claim transactions: measures, the valuation grid, segments, origin bases, grains, errors.

The expected triangles are worked out by hand in the comments from the transactions listed in ``TX``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aktuar.data.triangles import triangle_from_arrays, triangle_from_transactions
from aktuar.errors import InputError

NAN = np.nan
TX = """claim_id,lob,region,accident_date,underwriting_date,report_date,transaction_date,paid,case_reserve,incurred,status,closed_date
C1,motor,north,2022-03-10,2021-11-01,2022-03-20,2022-04-01,100,400,500,open,
C1,motor,north,2022-03-10,2021-11-01,2022-03-20,2023-02-01,300,50,450,open,
C1,motor,north,2022-03-10,2021-11-01,2022-03-20,2023-08-01,50,0,450,closed,01.08.2023
C2,property,south,15.07.2023,2023-01-10,2023-08-01,2023-09-01,0,1000,1000,open,
C2,property,south,15.07.2023,2023-01-10,2023-08-01,2024-03-01,200,900,1100,open,
C3,motor,south,2024-01-05,2023-06-01,2024-02-01,2024-02-10,10,0,10,closed,2024-02-10
C3,motor,south,2024-01-05,2023-06-01,2024-02-01,2024-05-10,0,20,30,reopened,
"""
MID = date(2024, 6, 30)


@pytest.fixture
def tx(tmp_path: Path) -> Path:
    p = tmp_path / "tx.csv"
    p.write_text(TX)
    return p


def v(tri) -> list:  # type: ignore[no-untyped-def]
    return np.round(tri.values, 9).tolist()


# ---------------------------------------------------------------------------------------- measures, mid-year
def test_paid_mid_year_grid(tx: Path) -> None:
    tri = triangle_from_transactions(tx, valuation=MID, measure="paid")
    # 30.06.2024 with annual origins: ages 6, 18, 30 (the latest diagonal lies on the grid)
    assert tri.development.tolist() == [6, 18, 30]
    assert tri.origin == ("2022", "2023", "2024")
    assert tri.origin_start == (2022 * 12, 2023 * 12, 2024 * 12)
    assert tri.valuation == MID and tri.cumulative and tri.measure == "paid"
    # AY2022: 100 in Apr-22 (age <= 6), 300 in Feb-23 (18), 50 in Aug-23 (30); AY2023: 200 in Mar-24 (18)
    np.testing.assert_array_equal(tri.values[0], [[100, 400, 450], [0, 200, NAN], [10, NAN, NAN]])


def test_paid_year_end_grid(tx: Path) -> None:
    tri = triangle_from_transactions(tx, valuation=date(2024, 12, 31))
    assert tri.development.tolist() == [12, 24, 36]
    np.testing.assert_array_equal(tri.values[0], [[100, 450, 450], [0, 200, NAN], [10, NAN, NAN]])


def test_incurred_is_paid_plus_latest_case_reserve(tx: Path) -> None:
    tri = triangle_from_transactions(tx, valuation=MID, measure="incurred")
    # AY2022 at 6: paid 100 + os 400; at 18: 400 + 50; at 30: 450 + 0
    # AY2023 at 18: paid 200 + latest os 900; AY2024 at 6: paid 10 + os 20 (reopened)
    np.testing.assert_array_equal(tri.values[0], [[500, 450, 450], [0, 1100, NAN], [30, NAN, NAN]])


def test_incurred_from_incurred_column_equals_case_reserve(tx: Path, tmp_path: Path) -> None:
    df = pl.read_csv(tx).drop("case_reserve")
    a = triangle_from_transactions(df, valuation=MID, measure="incurred")
    b = triangle_from_transactions(tx, valuation=MID, measure="incurred")
    np.testing.assert_array_equal(a.values, b.values)


def test_incurred_is_independent_of_row_order(tx: Path) -> None:
    df = pl.read_csv(tx)
    a = triangle_from_transactions(df, valuation=MID, measure="incurred")
    b = triangle_from_transactions(df.reverse(), valuation=MID, measure="incurred")
    np.testing.assert_array_equal(a.values, b.values)


def test_reported_counts(tx: Path) -> None:
    tri = triangle_from_transactions(tx, valuation=MID, measure="reported_count")
    np.testing.assert_array_equal(tri.values[0], [[1, 1, 1], [0, 1, NAN], [1, NAN, NAN]])


def test_closed_counts_from_status_and_from_closed_date(tx: Path) -> None:
    by_status = triangle_from_transactions(tx, valuation=MID, measure="closed_count")
    # C1 closed Aug-23 (AY2022 age 30); C3 closed Feb-24 and reopened May-24: net 0
    np.testing.assert_array_equal(by_status.values[0], [[0, 0, 1], [0, 0, NAN], [0, NAN, NAN]])
    by_date = triangle_from_transactions(pl.read_csv(tx).drop("status"), valuation=MID, measure="closed_count")
    np.testing.assert_array_equal(by_date.values, by_status.values)
    # at 31.03.2024 C3 is closed (its last row by then has the closing date)
    early = pl.read_csv(tx).drop("status").filter(pl.col("transaction_date") <= "2024-03-31")
    tri = triangle_from_transactions(early, valuation=date(2024, 3, 31), measure="closed_count")
    assert tri.development.tolist() == [3, 15, 27]
    np.testing.assert_array_equal(tri.values[0], [[0, 0, 1], [0, 0, NAN], [1, NAN, NAN]])


def test_closed_count_needs_status_or_closed_date(tx: Path) -> None:
    df = pl.read_csv(tx).drop("status", "closed_date")
    with pytest.raises(InputError, match="'closed_date'"):
        triangle_from_transactions(df, valuation=MID, measure="closed_count")


def test_unknown_status(tx: Path, tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(TX.replace("reopened", "maybe"))
    with pytest.raises(InputError) as exc:
        triangle_from_transactions(p, valuation=MID, measure="closed_count")
    assert (exc.value.row, exc.value.column) == (8, "status")
    assert "'maybe'" in exc.value.message


# ------------------------------------------------------------------------------------------- segments, bases
def test_multiple_segment_columns(tx: Path) -> None:
    tri = triangle_from_transactions(tx, valuation=MID, segment_columns=["lob", "region"])
    assert tri.segment_names == ("lob", "region")
    assert tri.segments == (("motor", "north"), ("motor", "south"), ("property", "south"))
    np.testing.assert_array_equal(tri.values[0], [[100, 400, 450], [0, 0, NAN], [0, NAN, NAN]])
    np.testing.assert_array_equal(tri.values[1], [[0, 0, 0], [0, 0, NAN], [10, NAN, NAN]])
    np.testing.assert_array_equal(tri.values[2], [[0, 0, 0], [0, 200, NAN], [0, NAN, NAN]])
    total = triangle_from_transactions(tx, valuation=MID)
    np.testing.assert_array_equal(tri.sum_segments().values, total.values)
    np.testing.assert_array_equal(tri.group_segments(["lob"]).values,
                                  triangle_from_transactions(tx, valuation=MID, segment_columns=["lob"]).values)


def test_segment_value_must_be_constant_per_claim(tx: Path, tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    lines = TX.splitlines()
    lines[2] = lines[2].replace("motor", "cargo")
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        triangle_from_transactions(p, valuation=MID, measure="incurred", segment_columns=["lob"])
    assert (exc.value.row, exc.value.column) == (3, "lob")


def test_accident_date_must_be_constant_per_claim(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    lines = TX.splitlines()
    lines[3] = lines[3].replace("2022-03-10", "2022-03-11")
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        triangle_from_transactions(p, valuation=MID, measure="incurred")
    assert (exc.value.row, exc.value.column) == (4, "accident_date")
    assert "'C1'" in exc.value.message and "row 3" in exc.value.message


def test_underwriting_and_reporting_bases(tx: Path) -> None:
    uw = triangle_from_transactions(tx, valuation=MID, origin_basis="underwriting")
    # origins 2021 (C1), 2023 (C2, C3); 2022 is a quiet year: observed zeros
    # UW2023 at age 18 (Jul-23..Jun-24): C2's 200 in Mar-24 and C3's 10 in Feb-24
    assert uw.origin == ("2021", "2022", "2023", "2024")
    assert uw.development.tolist() == [6, 18, 30, 42]
    np.testing.assert_array_equal(uw.values[0], [[0, 100, 400, 450], [0, 0, 0, NAN], [0, 210, NAN, NAN],
                                                 [0, NAN, NAN, NAN]])
    rep = triangle_from_transactions(tx, valuation=MID, origin_basis="reporting", measure="reported_count")
    np.testing.assert_array_equal(rep.values[0], [[1, 1, 1], [0, 1, NAN], [1, NAN, NAN]])


def test_quiet_year_is_a_row_of_zeros(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text("accident_date,transaction_date,paid\n2019-05-01,2019-06-01,10\n2021-05-01,2022-01-01,5\n")
    tri = triangle_from_transactions(p, valuation=date(2022, 12, 31))
    assert tri.origin == ("2019", "2020", "2021", "2022")
    np.testing.assert_array_equal(tri.values[0, 1], [0, 0, 0, NAN])
    np.testing.assert_array_equal(tri.values[0, 3], [0, NAN, NAN, NAN])
    assert not tri.holes().any()


def test_non_square_annual_origin_quarterly_development(tx: Path) -> None:
    tri = triangle_from_transactions(tx, valuation=MID, development_grain="Q")
    assert tri.shape == (1, 3, 10)
    assert tri.development.tolist() == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    observed = np.isfinite(tri.values[0]).sum(axis=1)
    assert observed.tolist() == [10, 6, 2]
    assert tri.values[0, 0, 1] == 100 and tri.values[0, 0, 5] == 400 and tri.values[0, 0, 8] == 450


def test_coarser_development_than_origin_is_an_error(tx: Path) -> None:
    with pytest.raises(InputError, match="must not be coarser"):
        triangle_from_transactions(tx, valuation=MID, origin_grain="Q", development_grain="Y")


# ------------------------------------------------------------------------------------------------- errors
def test_transaction_before_accident(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("accident_date,transaction_date,paid\n2022-05-01,2022-06-01,10\n2022-05-10,2022-05-09,5\n")
    with pytest.raises(InputError) as exc:
        triangle_from_transactions(p, valuation=MID)
    assert (exc.value.file, exc.value.row, exc.value.column) == (str(p), 3, "transaction_date")
    assert "09.05.2022" in exc.value.message and "10.05.2022" in exc.value.message


def test_report_before_accident_for_counts(tx: Path, tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text(TX.replace("2023-01-10,2023-08-01,", "2023-01-10,2023-07-01,"))
    with pytest.raises(InputError) as exc:
        triangle_from_transactions(p, valuation=MID, measure="reported_count")
    assert (exc.value.row, exc.value.column) == (5, "report_date")


def test_unknown_measure_and_basis(tx: Path) -> None:
    with pytest.raises(InputError, match="unknown measure"):
        triangle_from_transactions(tx, valuation=MID, measure="earned")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown origin basis"):
        triangle_from_transactions(tx, valuation=MID, origin_basis="policy")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ regrain
@pytest.mark.parametrize("valuation", ["2024-12-31", "2024-06-30", "2024-08-15"])
@pytest.mark.parametrize(("og", "dg"), [("Y", "Y"), ("Y", "Q"), ("Q", "Q"), ("H", "M"), ("Y", "M")])
def test_monthly_regrained_equals_direct(valuation: str, og: str, dg: str) -> None:
    rng = np.random.default_rng(7)
    n = 4000
    v = np.datetime64(valuation)
    start = np.datetime64("2017-03-05")
    acc = start + rng.integers(0, int((v - start).astype(int)) + 1, n)
    trn = acc + np.minimum(rng.exponential(400, n).astype(np.int64), (v - acc).astype(np.int64))
    amt = rng.integers(-50, 1000, n).astype(float)
    seg = rng.integers(0, 3, n)
    V = v.astype(date)
    monthly = triangle_from_arrays(acc, trn, amt, valuation=V, segment_codes=seg, origin_grain="M",
                                   development_grain="M")
    direct = triangle_from_arrays(acc, trn, amt, valuation=V, segment_codes=seg, origin_grain=og,
                                  development_grain=dg)
    regrained = monthly.regrain(og, dg)
    assert regrained.origin == direct.origin
    assert regrained.development.tolist() == direct.development.tolist()
    np.testing.assert_array_equal(regrained.values, direct.values)


def test_mid_year_first_age() -> None:
    acc = np.array(["2023-02-01", "2024-06-30"], dtype="datetime64[D]")
    tri = triangle_from_arrays(acc, acc, np.array([1.0, 2.0]), valuation=date(2024, 6, 30))
    assert tri.development.tolist() == [6, 18]
    np.testing.assert_array_equal(tri.values[0], [[1, 1], [2, NAN]])


# --------------------------------------------------------------------------------------------- arrays API
def test_arrays_accept_polars_dates_and_segment_columns() -> None:
    rng = np.random.default_rng(2)
    n = 300_000  # several blocks of the fast path
    acc = np.datetime64("2015-01-01") + rng.integers(0, 3000, n)
    trn = acc + rng.integers(0, 400, n)
    v = date(2024, 12, 31)
    amt = rng.random(n)
    lob = rng.choice(np.array(["a", "b", "c"]), n)
    a = triangle_from_arrays(acc, trn, amt, valuation=v, segment_columns={"lob": lob}, origin_grain="Q",
                             development_grain="M")
    b = triangle_from_arrays(pl.Series(acc), pl.Series(trn), amt, valuation=v,
                             segment_codes=np.searchsorted(["a", "b", "c"], lob).astype(np.int32),
                             segment_keys=["a", "b", "c"], segment_names=["lob"], origin_grain="Q",
                             development_grain="M")
    assert a.segments == b.segments == (("a",), ("b",), ("c",))
    np.testing.assert_array_equal(a.values, b.values)
    # against a plain computation: month indices via astype('datetime64[M]')
    om = acc.astype("datetime64[M]").astype(np.int64)
    em = trn.astype("datetime64[M]").astype(np.int64)
    q0 = om - om % 3
    o = (q0 - q0.min()) // 3
    k = em - q0  # first age is 1 month at a year-end valuation with monthly development
    seg = np.searchsorted(["a", "b", "c"], lob)
    ref = np.zeros(a.shape)
    np.add.at(ref, (seg, o, k), amt)
    np.testing.assert_allclose(np.nan_to_num(a.incr().values), ref, rtol=1e-12, atol=1e-9)


def test_arrays_before_1970_and_seconds_resolution() -> None:
    acc = np.array(["1965-03-01T10:00", "1969-12-31T23:59", "1971-07-01T00:00"], dtype="datetime64[s]")
    trn = np.array(["1966-01-01T00:00", "1970-01-01T00:00", "1972-01-01T00:00"], dtype="datetime64[s]")
    tri = triangle_from_arrays(acc, trn, [1.0, 2.0, 4.0], valuation=date(1972, 12, 31))
    assert tri.origin[0] == "1965" and tri.shape == (1, 8, 8)
    assert tri.values[0, 0, 1] == 1.0 and tri.values[0, 4, 1] == 2.0 and tri.values[0, 6, 1] == 4.0


@pytest.mark.parametrize(
    ("acc", "trn", "amt", "row", "column", "text"),
    [
        (["2020-01-01", "2020-05-02"], ["2020-02-01", "2020-05-01"], [1, 1], 3, "transaction_date", "before"),
        (["2020-01-01", "2020-05-02"], ["2020-02-01", "2025-05-01"], [1, 1], 3, "transaction_date", "after"),
        (["2020-01-01", "NaT"], ["2020-02-01", "2020-05-01"], [1, 1], 3, "accident_date", "blank"),
        (["2020-01-01", "2020-01-01"], ["2020-02-01", "2020-05-01"], [1, np.nan], 3, "amount", "finite"),
    ],
)
def test_arrays_errors(acc: list[str], trn: list[str], amt: list[float], row: int, column: str, text: str) -> None:
    with pytest.raises(InputError) as exc:
        triangle_from_arrays(np.array(acc, dtype="datetime64[D]"), np.array(trn, dtype="datetime64[D]"),
                             np.array(amt, dtype=float), valuation=date(2024, 12, 31))
    assert (exc.value.row, exc.value.column) == (row, column)
    assert text in exc.value.message


def test_arrays_segment_code_errors() -> None:
    d = np.array(["2020-01-01", "2020-02-01"], dtype="datetime64[D]")
    with pytest.raises(InputError, match="outside 0..1") as exc:
        triangle_from_arrays(d, d, [1.0, 1.0], valuation=date(2024, 12, 31), segment_codes=[0, 2],
                             segment_keys=["a", "b"])
    assert (exc.value.row, exc.value.column) == (3, "segment_codes")
    with pytest.raises(InputError, match="segment code -1") as exc:
        triangle_from_arrays(d, d, [1.0, 1.0], valuation=date(2024, 12, 31), segment_codes=[0, -1])
    assert (exc.value.row, exc.value.column) == (3, "segment_codes")
    big = np.zeros(300_000, dtype=np.int64)
    big[-1] = 5
    dd = np.full(big.shape, np.datetime64("2020-01-01"))
    with pytest.raises(InputError, match="segment code 5") as exc:
        triangle_from_arrays(dd, dd, np.ones(big.shape), valuation=date(2024, 12, 31), segment_codes=big,
                             segment_keys=["a", "b"])
    assert exc.value.row == big.shape[0] + 1
