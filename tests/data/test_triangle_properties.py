"""Invariants of the transaction builders (hypothesis): row order, segment sums, grains, totals."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.data.triangles import triangle_from_arrays, triangle_from_transactions

GRAINS = [("Y", "Y"), ("Y", "H"), ("Y", "Q"), ("H", "Q"), ("Q", "M"), ("M", "M")]


@st.composite
def transactions(draw: st.DrawFn) -> tuple[pl.DataFrame, date]:
    n = draw(st.integers(1, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    valuation = np.datetime64("2020-01-01") + draw(st.integers(0, 5 * 365))
    span = draw(st.integers(0, 2000))
    acc = valuation - rng.integers(0, span + 1, n)
    trn = acc + (rng.random(n) * (valuation - acc).astype(np.int64)).astype(np.int64)
    claims = rng.integers(0, max(1, n // 2), n)
    df = pl.DataFrame({
        "claim_id": [f"c{c}" for c in claims],
        "lob": [f"l{c % 3}" for c in claims],
        "region": [f"r{c % 2}" for c in claims],
        "accident_date": acc,
        "transaction_date": trn,
        "paid": rng.integers(-100, 1000, n).astype(float),  # whole amounts: sums are exact in any order
        "case_reserve": rng.integers(0, 5000, n).astype(float),
    })
    # a claim has one accident date: take each claim's first
    df = df.with_columns(pl.col("accident_date").first().over("claim_id")).with_columns(
        pl.max_horizontal("accident_date", "transaction_date").alias("transaction_date"))
    return df, valuation.astype(date)


@settings(max_examples=40, deadline=None)
@given(transactions(), st.sampled_from(GRAINS), st.sampled_from(["paid", "incurred", "reported_count"]),
       st.integers(0, 2**32 - 1))
def test_shuffled_rows_give_the_same_triangle(data: tuple[pl.DataFrame, date], grains: tuple[str, str],
                                              measure: str, seed: int) -> None:
    df, v = data
    df = df.with_columns(pl.col("accident_date").alias("report_date"))
    if measure == "incurred":
        # the latest case reserve of a claim on a day with two transactions is the later row's: keep one
        # transaction per claim and day so that any order of the rows is a valid order
        df = df.unique(subset=["claim_id", "transaction_date"], keep="first", maintain_order=True)
    og, dg = grains
    kw = dict(valuation=v, origin_grain=og, development_grain=dg, measure=measure, segment_columns=["lob"])
    a = triangle_from_transactions(df, **kw)  # type: ignore[arg-type]
    perm = np.random.default_rng(seed).permutation(df.height)
    b = triangle_from_transactions(df[perm], **kw)  # type: ignore[arg-type]
    assert a.origin == b.origin
    np.testing.assert_array_equal(a.values, b.values)


@settings(max_examples=40, deadline=None)
@given(transactions(), st.sampled_from(GRAINS), st.sampled_from(["paid", "incurred"]))
def test_sum_of_segments_equals_no_segments(data: tuple[pl.DataFrame, date], grains: tuple[str, str],
                                            measure: str) -> None:
    df, v = data
    og, dg = grains
    kw = dict(valuation=v, origin_grain=og, development_grain=dg, measure=measure)
    split = triangle_from_transactions(df, segment_columns=["lob", "region"], **kw)  # type: ignore[arg-type]
    whole = triangle_from_transactions(df, **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(split.sum_segments().values, whole.values)
    np.testing.assert_array_equal(split.group_segments(["lob"]).values,
                                  triangle_from_transactions(df, segment_columns=["lob"], **kw).values)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(transactions(), st.sampled_from(GRAINS))
def test_latest_diagonal_totals_and_regrain(data: tuple[pl.DataFrame, date], grains: tuple[str, str]) -> None:
    df, v = data
    og, dg = grains
    acc = df["accident_date"].to_numpy()
    trn = df["transaction_date"].to_numpy()
    paid = df["paid"].to_numpy()
    tri = triangle_from_arrays(acc, trn, paid, valuation=v, origin_grain=og, development_grain=dg)
    # the latest diagonal holds everything paid by the valuation date
    assert tri.latest().sum() == paid.sum()
    # no cell after the valuation is observed, every cell before it is
    ends = np.asarray(tri.origin_start)[:, None] + tri.development[None, :] - 1
    vm = v.year * 12 + v.month - 1
    np.testing.assert_array_equal(np.isfinite(tri.values[0]), ends <= vm)
    # the monthly triangle regrained equals the direct one
    monthly = triangle_from_arrays(acc, trn, paid, valuation=v, origin_grain="M", development_grain="M")
    r = monthly.regrain(og, dg)
    assert r.origin == tri.origin
    np.testing.assert_array_equal(r.development, tri.development)
    np.testing.assert_array_equal(r.values, tri.values)
