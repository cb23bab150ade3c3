"""The synthetic demo insurer: reproducible, realistic in shape, and readable by aktuar's own readers.

There is no published figure to compare a synthetic insurer with; the plausibility checks compare the chain
ladder with the generator's own hindsight (the payments after the valuation date, which the generator knows)
and with the design of the classes (short tails settle within a few years, the annuity class does not).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aktuar.core.reserving import ChainLadder
from aktuar.data.triangles import read_exposure, triangle_from_transactions
from aktuar.demo import CLASSES, REGIONS, TRANSACTION_COLUMNS, VALUATION, generate_insurer
from aktuar.errors import InputError
from aktuar.services.demo import SELECTIONS, Selection
from aktuar.services.reserving import estimate


@pytest.fixture(scope="module")
def insurer():  # type: ignore[no-untyped-def]
    return generate_insurer(2026)


@pytest.fixture(scope="module")
def written(insurer, tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("synthetic")
    paths = {}
    for name, frame in (("claims_transactions.csv", insurer.transactions), ("premiums.csv", insurer.premiums),
                        ("exposure.csv", insurer.exposure), ("ulae.csv", insurer.ulae)):
        frame.write_csv(folder / name, float_precision=2)
        paths[name] = folder / name
    return paths


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate_insurer(11, scale=0.2)
    b = generate_insurer(11, scale=0.2)
    c = generate_insurer(12, scale=0.2)
    for field in ("transactions", "premiums", "exposure", "ulae", "hindsight"):
        assert getattr(a, field).equals(getattr(b, field)), field
    assert not a.transactions.equals(c.transactions)
    assert not a.premiums.equals(c.premiums)


def test_columns_sizes_and_segments(insurer) -> None:  # type: ignore[no-untyped-def]
    tx = insurer.transactions
    assert tuple(tx.columns) == TRANSACTION_COLUMNS
    assert 50_000 <= tx.height <= 150_000  # big enough to be realistic, small enough for a 30-second demo
    assert set(tx["class"].unique()) == {c.code for c in CLASSES}
    assert set(tx["region"].unique()) == set(REGIONS)
    assert set(tx["status"].unique()) == {"open", "closed", "reopened"}
    assert insurer.years == list(range(2016, 2026))
    assert insurer.valuation == VALUATION
    assert set(insurer.premiums.columns) == {"class", "region", "year", "written_premium", "earned_premium"}
    assert insurer.premiums.height == len(CLASSES) * len(REGIONS) * 10
    assert insurer.exposure.columns == ["origin", "class", "exposure"]
    assert insurer.ulae.columns == ["class", "year", "paid_ulae"]


def test_dates_are_consistent_and_nothing_after_the_valuation(insurer) -> None:  # type: ignore[no-untyped-def]
    tx = insurer.transactions
    assert (tx["accident_date"] <= tx["report_date"]).all()
    assert (tx["report_date"] <= tx["transaction_date"]).all()
    assert (tx["transaction_date"] <= VALUATION).all()
    assert tx["accident_date"].dt.year().min() == 2016
    per_claim = tx.group_by("claim_id").agg(
        pl.col("class").n_unique().alias("c"), pl.col("region").n_unique().alias("r"),
        pl.col("accident_date").n_unique().alias("a"), pl.col("report_date").n_unique().alias("d"))
    assert (per_claim.select(pl.max_horizontal("c", "r", "a", "d")).to_series() == 1).all()


def test_claim_lifecycle(insurer) -> None:  # type: ignore[no-untyped-def]
    tx = insurer.transactions
    assert (tx["case_reserve"] >= 0).all()
    closed = tx.filter(pl.col("closed") == 1)
    assert (closed["case_reserve"] == 0).all()
    assert (closed["status"] == "closed").all()
    # reopenings: a claim closed and later reopened with a new payment
    reopened = tx.filter(pl.col("status") == "reopened")["claim_id"].unique()
    assert reopened.len() > 50
    assert tx.filter(pl.col("claim_id").is_in(reopened.implode()) & (pl.col("paid") > 0)).height > reopened.len()
    # recoveries (subrogation) in motor: negative payments
    assert tx.filter((pl.col("class") == "OGPO VTS") & (pl.col("paid") < 0)).height > 10
    # open claims at the valuation carry case reserves
    last = tx.group_by("claim_id", maintain_order=True).last()
    assert last.filter(pl.col("closed") == 0)["case_reserve"].sum() > 0


def test_large_losses_are_few_and_above_the_thresholds(insurer) -> None:  # type: ignore[no-untyped-def]
    tx = insurer.transactions
    totals = tx.group_by("class", "claim_id").agg(pl.col("paid").sum())
    for spec in CLASSES:
        t = totals.filter(pl.col("class") == spec.code)
        n_large = t.filter(pl.col("paid") > spec.large_loss_threshold).height
        assert n_large < 0.01 * t.height + 5, spec.code
    prop = totals.filter(pl.col("class") == "Property")
    assert prop.filter(pl.col("paid") > 50e6).height >= 1  # catastrophes
    assert prop["paid"].max() > 20 * prop["paid"].median()


def test_inflation_of_average_claims(insurer) -> None:  # type: ignore[no-untyped-def]
    """Health (paid within weeks): the average claim grows by about 8 % a year."""
    tx = insurer.transactions.filter(pl.col("class") == "DMS")
    avg = (tx.group_by(pl.col("accident_date").dt.year().alias("y"), "claim_id").agg(pl.col("paid").sum())
           .group_by("y").agg(pl.col("paid").median()).sort("y"))
    growth = (avg["paid"][-2] / avg["paid"][0]) ** (1 / (avg.height - 2)) - 1  # the last year is not yet paid
    assert 0.04 < growth < 0.12


def test_premiums_earn_half_in_the_year_written(insurer) -> None:  # type: ignore[no-untyped-def]
    p = insurer.premiums.sort("class", "region", "year")
    g = p.filter((pl.col("class") == "OSNS") & (pl.col("region") == "Almaty"))
    w, e = g["written_premium"].to_numpy(), g["earned_premium"].to_numpy()
    np.testing.assert_allclose(e[1:], 0.5 * w[1:] + 0.5 * w[:-1], rtol=0, atol=0.02)
    exp = insurer.exposure.filter(pl.col("class") == "OSNS").sort("origin")["exposure"].to_numpy()
    by_year = p.filter(pl.col("class") == "OSNS").group_by("year").agg(pl.col("earned_premium").sum()).sort("year")
    np.testing.assert_allclose(exp, by_year["earned_premium"].to_numpy(), atol=0.05)


def test_files_pass_the_readers(insurer, written) -> None:  # type: ignore[no-untyped-def]
    path = written["claims_transactions.csv"]
    paid = triangle_from_transactions(path, valuation=VALUATION, segment_columns=["class"])
    assert paid.shape == (4, 10, 10)
    assert paid.origin[0] == "2016" and paid.origin[-1] == "2025"
    assert list(paid.development) == list(range(12, 121, 12))
    total_paid = float(np.nansum(paid.incr().values))
    assert total_paid == pytest.approx(float(insurer.transactions["paid"].sum()), rel=1e-9)
    inc = triangle_from_transactions(path, valuation=VALUATION, segment_columns=["class", "region"],
                                     measure="incurred")
    assert inc.shape[0] == 16
    rep = triangle_from_transactions(path, valuation=VALUATION, segment_columns=["class"], measure="reported_count")
    assert float(rep.latest().sum()) == insurer.transactions["claim_id"].n_unique()
    closed = triangle_from_transactions(path, valuation=VALUATION, segment_columns=["class"],
                                        measure="closed_count")
    assert 0 < float(closed.latest().sum()) < float(rep.latest().sum())
    exposure = read_exposure(written["exposure.csv"], paid)
    assert exposure.shape == (4, 10) and (exposure > 0).all()


def test_chain_ladder_is_positive_and_plausible_per_class(insurer, written) -> None:  # type: ignore[no-untyped-def]
    """Mack's chain ladder on paid claims (with the demo's paid tail for the annuity class) and on the demo's
    selected basis, against the generator's hindsight: every class has a positive reserve within three of
    Mack's standard errors (or 25 %) of the payments still to come, and loss ratios in the range of the
    classes' plan loss ratios."""
    path = written["claims_transactions.csv"]
    paid = triangle_from_transactions(path, valuation=VALUATION, segment_columns=["class"])
    incurred = triangle_from_transactions(path, valuation=VALUATION, segment_columns=["class"], measure="incurred")
    exposure = read_exposure(written["exposure.csv"], paid)
    for s, key in enumerate(paid.segments):
        code = key[0]
        sel = SELECTIONS.get(code, Selection())
        truth = float(insurer.hindsight.filter(pl.col("class") == code)["unpaid"].sum())
        assert truth > 0, code
        base = incurred if sel.basis == "incurred" else paid
        for tri, measure in ((paid, "paid"), (base, sel.basis)):
            res = estimate(tri.select([s]), sel.request("mack", measure))
            unpaid = float(res.ultimate.sum() - paid.select([s]).latest().sum())
            assert res.total_se is not None
            se = float(res.total_se[0])
            assert unpaid > 0, code
            assert abs(unpaid - truth) < max(3 * se, 0.25 * truth), (code, measure, unpaid, truth, se)
            assert 0.5 < unpaid / truth < 2.0, (code, measure, unpaid, truth)
        lr = res.ultimate[0] / exposure[s]
        spec = insurer.spec(code)
        assert 0.5 * spec.plan_loss_ratio < float(np.median(lr)) < 1.6 * spec.plan_loss_ratio, code
    # the tails differ as designed: health settles within two years, the employee-accident annuities do not
    cl = ChainLadder().fit(paid)
    labels = [k[0] for k in paid.segments]
    cdf = cl.development.cdf
    assert cdf[labels.index("DMS"), 2] == pytest.approx(1.0, abs=1e-3)
    assert cdf[labels.index("OSNS"), 2] > 1.5


@pytest.mark.parametrize("seed", [1, 99])
def test_other_seeds_also_give_positive_reserves(seed: int) -> None:
    ins = generate_insurer(seed, scale=0.5)
    from aktuar.data.readers import as_table

    paid = triangle_from_transactions(as_table(ins.transactions), valuation=VALUATION, segment_columns=["class"])
    res = ChainLadder().fit(paid)
    assert (res.total_ibnr > 0).all()


def test_other_valuation_dates_and_bad_parameters() -> None:
    ins = generate_insurer(5, valuation=date(2024, 6, 30), n_years=6, scale=0.1)
    assert ins.first_year == 2019
    assert (ins.transactions["transaction_date"] <= date(2024, 6, 30)).all()
    with pytest.raises(InputError):
        generate_insurer(1, scale=0)
    with pytest.raises(InputError):
        generate_insurer(1, n_years=1)


def test_written_files_are_plain_csv(written: dict[str, Path]) -> None:
    head = written["claims_transactions.csv"].read_text(encoding="utf-8").splitlines()[:2]
    assert head[0] == ",".join(TRANSACTION_COLUMNS)
    assert head[1].count(",") == len(TRANSACTION_COLUMNS) - 1
