"""Backtest mode of the reserve adequacy test (issue 6) on real CAS/NAIC Schedule P full squares: the known
outcome the backtest compares with is the square's own ultimate (age 10) less the latest diagonal."""

from __future__ import annotations

import numpy as np
import pytest

from aktuar.core.reserving import ChainLadder, Triangle
from aktuar.core.statutory import backtest

csp = pytest.importorskip("cas_schedule_p")


def _squares(n: int = 3) -> Triangle:
    import polars as pl

    t = pl.from_arrow(csp.read("mart_paid_loss_triangle")).filter(
        (pl.col("line_of_business") == "private_passenger_auto") & (pl.col("accident_year") <= 1997))
    ages = [str(a) for a in range(1, 11)]
    vals, labels = [], []
    for (code,), sq in sorted(t.group_by(["company_code"]), key=lambda x: str(x[0][0])):
        v = sq.sort("accident_year").select(ages).to_numpy().astype(float)
        if sq.height == 10 and (v[:, 0] > 0).all():
            vals.append(v)
            labels.append((str(code),))
        if len(vals) == n:
            break
    return Triangle(values=np.stack(vals), origin=tuple(str(y) for y in range(1988, 1998)),
                    development=np.arange(1, 11) * 12, segments=tuple(labels), segment_names=("company",))


@pytest.mark.req("KZ191-OP")
def test_backtest_outcome_is_the_squares_known_ultimate() -> None:
    """CAS Schedule P (cas-schedule-p 2026.6.13), private passenger auto paid, accident years 1988–1997."""
    full = _squares(3)
    v = full.values
    res = backtest(full, {"cl": ChainLadder().fit}, diagonals=[9, 5])
    for ln in res.lines:
        s = [full.segment_label(i) for i in range(3)].index(ln.segment)
        t = ln.diagonal
        known = np.arange(10) <= t
        latest = v[s, np.arange(10), np.clip(t - np.arange(10), 0, 9)]
        assert ln.actual == pytest.approx(float((v[s, known, -1] - latest[known]).sum()), rel=1e-12)
        assert ln.error == pytest.approx(ln.estimate - ln.actual)
        if t == 5:
            assert ln.runoff is not None and ln.runoff.reserve_start == pytest.approx(ln.estimate)
    assert res.mean_abs_relative_error("cl") is not None
