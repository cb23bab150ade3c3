"""Differential tests of the triangle builders against chainladder-python 0.10.1 (test-only peer).

chainladder stores zero cells of sparse data as missing, so values are compared with NaN read as 0 inside
the observed region, and the observed regions (the cells before the valuation) are compared separately.
Its index order is the order of first appearance, so segments are matched by key.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aktuar.data.triangles import triangle_from_long, triangle_from_transactions

cl = pytest.importorskip("chainladder")
pd = pytest.importorskip("pandas")

SAMPLES = Path(cl.__file__).parent / "utils" / "data"


def cl_values(ct, keys: tuple[tuple[str, ...], ...], names: tuple[str, ...]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """chainladder's (index, 1, O, D) values in the order of ``keys``, NaN inside the observed region → 0."""
    vals = np.asarray(ct.values[:, 0], dtype=float)
    observed = np.asarray(ct.nan_triangle, dtype=float) == 1
    vals = np.where(observed[None] & np.isnan(vals), 0.0, vals)
    if not names:
        return vals
    idx = ct.index
    pos = {tuple(str(x) for x in r): i for i, r in enumerate(idx[list(names)].itertuples(index=False))}
    return vals[[pos[k] for k in keys]]


def synthetic_transactions(n: int, seed: int, valuation: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v = np.datetime64(valuation)
    start = np.datetime64("2015-01-01")
    acc = start + rng.integers(0, int((v - start).astype(int)) + 1, n)
    trn = acc + np.minimum(rng.exponential(500, n).astype(np.int64), (v - acc).astype(np.int64))
    return pd.DataFrame({
        "lob": rng.choice(["motor", "property", "liability"], n),
        "region": rng.choice(["north", "south"], n),
        "accident_date": acc.astype("datetime64[ns]"),
        "transaction_date": trn.astype("datetime64[ns]"),
        "paid": rng.integers(1, 10_000, n).astype(float),
    })


@pytest.mark.parametrize(("grain", "og", "dg"), [("OYDY", "Y", "Y"), ("OQDQ", "Q", "Q"), ("OMDM", "M", "M"),
                                                  ("OYDQ", "Y", "Q")])
def test_synthetic_transactions_at_year_end(grain: str, og: str, dg: str) -> None:
    df = synthetic_transactions(6000, seed=5, valuation="2023-12-31")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ct = cl.Triangle(df, origin="accident_date", development="transaction_date", columns="paid",
                         index=["lob", "region"], cumulative=False)
        ct = ct.grain(grain).incr_to_cum()
    ours = triangle_from_transactions(pl.from_pandas(df), valuation=date(2023, 12, 31), origin_grain=og,
                                      development_grain=dg, segment_columns=["lob", "region"])
    assert ours.development.tolist() == [int(x) for x in ct.development]
    assert len(ours.origin) == len(ct.origin)
    theirs = cl_values(ct, ours.segments, ("lob", "region"))
    np.testing.assert_array_equal(np.isfinite(ours.values), np.isfinite(theirs))
    np.testing.assert_allclose(ours.values, theirs, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("column", ["CumPaidLoss", "IncurLoss", "EarnedPremNet"])
def test_clrd_long_csv(column: str) -> None:
    # clrd.csv has a few company names shared by two group codes; chainladder adds such rows up, which
    # aktuar refuses (a duplicate cell is an error), so the file is summed by key first.
    raw = pl.read_csv(SAMPLES / "clrd.csv")
    keys = ["GRNAME", "LOB", "AccidentYear", "DevelopmentYear"]
    df = raw.group_by(keys).agg(pl.col(column).sum())
    ours = triangle_from_long(df, origin="AccidentYear", development="DevelopmentYear", value=column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ct = cl.load_sample("clrd")[column]
    assert ours.values.shape == (ct.shape[0], ct.shape[2], ct.shape[3]) == (775, 10, 10)
    assert ours.development.tolist() == [int(x) for x in ct.development]
    assert ours.origin == tuple(str(o) for o in ct.origin.year)
    theirs = cl_values(ct, ours.segments, ("GRNAME", "LOB"))
    np.testing.assert_array_equal(np.nan_to_num(ours.values), np.nan_to_num(theirs))
    np.testing.assert_array_equal(np.isfinite(ours.values), np.isfinite(theirs))


def test_clrd_duplicate_names_are_reported() -> None:
    from aktuar.errors import InputError

    path = SAMPLES / "clrd.csv"
    with pytest.raises(InputError) as exc:
        triangle_from_long(path, origin="AccidentYear", development="DevelopmentYear", value="CumPaidLoss",
                           segment_columns=["GRNAME", "LOB"])
    assert exc.value.file == str(path) and exc.value.row is not None and "duplicate" in exc.value.message


@pytest.mark.parametrize(("name", "value", "index"), [("raa", "values", ()), ("genins", "values", ()),
                                                      ("abc", "values", ()), ("auto", "paid", ("lob",)),
                                                      ("auto", "incurred", ("lob",))])
def test_sample_long_csvs(name: str, value: str, index: tuple[str, ...]) -> None:
    df = pl.read_csv(SAMPLES / f"{name}.csv").select(["origin", "development", value, *index])
    ours = triangle_from_long(df, value=value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ct = cl.load_sample(name)[value]
    assert ours.development.tolist() == [int(x) for x in ct.development]
    theirs = cl_values(ct, ours.segments, index)
    np.testing.assert_array_equal(np.nan_to_num(ours.values), np.nan_to_num(theirs))
    np.testing.assert_array_equal(np.isfinite(ours.values), np.isfinite(theirs))


def test_raa_published_latest_diagonal() -> None:
    # RAA (Mack 1993, Table 1 of "Distribution-free calculation of the standard error of chain ladder
    # reserve estimates", ASTIN Bulletin 23(2)): latest cumulative values by accident year 1981..1990.
    ours = triangle_from_long(SAMPLES / "raa.csv")
    latest = [18834, 16704, 23466, 27067, 26180, 15852, 12314, 13112, 5395, 2063]
    np.testing.assert_array_equal(ours.latest()[0], latest)
