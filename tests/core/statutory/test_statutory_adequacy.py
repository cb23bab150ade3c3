"""Reserve adequacy (run-off) test, KZ191-OP App. 1 item 9(2), and the backtest mode."""

import numpy as np
import pytest

from aktuar.core.reserving import BornhuetterFerguson, ChainLadder, from_array
from aktuar.core.statutory import adequacy_test, backtest
from aktuar.errors import InputError


@pytest.mark.req("KZ191-OP")
def test_runoff_per_class_total_and_decomposition() -> None:
    """Item 9(2): R0 vs payments in 12 months + re-estimate at the end; causes split payments / re-estimate."""
    r = adequacy_test(["A", "B"], [100.0, 50.0], [60.0, 40.0], [30.0, 25.0], expected_paid=[55.0, 30.0],
                      by_type={"RBNS": ([70.0, 30.0], [50.0, 30.0], [15.0, 10.0]),
                               "IBNR": ([30.0, 20.0], [10.0, 10.0], [15.0, 15.0])})
    a, b, tot = r.lines
    assert a.sufficient and a.difference == pytest.approx(10.0)
    assert not b.sufficient and b.difference == pytest.approx(-15.0)
    assert b.payments_effect + b.reestimate_effect == pytest.approx(b.difference)
    assert b.payments_effect == pytest.approx(-10.0) and b.reestimate_effect == pytest.approx(-5.0)
    assert sum(b.by_type.values()) == pytest.approx(b.difference) and "payments" in b.cause
    assert tot.name == "Total" and tot.difference == pytest.approx(-5.0) and r.insufficient == ("B",)
    assert tot.runoff_ratio == pytest.approx(155.0 / 150.0)


def test_runoff_degenerate() -> None:
    r = adequacy_test(["A"], [0.0], [0.0], [0.0])
    assert r.total.sufficient and r.total.runoff_ratio is None
    r = adequacy_test(["A"], [0.0], [5.0], [0.0])
    assert not r.total.sufficient and "no reserve" in r.total.cause
    with pytest.raises(InputError, match="at least one class"):
        adequacy_test([], [], [], [])
    with pytest.raises(InputError, match="do not add up"):
        adequacy_test(["A"], [1.0], [1.0], [1.0], by_type={"RBNS": ([0.5], [1.0], [1.0])})


def _square() -> np.ndarray:
    f = np.array([2.0, 1.5, 1.2, 1.1, 1.0])
    base = np.array([100.0, 110, 120, 130, 140, 150])
    return base[:, None] * np.concatenate([[1.0], np.cumprod(f)])[None, :]


@pytest.mark.req("KZ191-OP")
def test_backtest_exact_for_chain_ladder_on_deterministic_square() -> None:
    """Constant development factors: at the usual triangle (t = D − 1) the chain ladder's estimate equals the
    known outcome; earlier cuts lack the later factors (set to 1) and under-reserve; BF errs."""
    full = from_array(_square())
    methods = {"cl": ChainLadder().fit,
               "bf": lambda t: BornhuetterFerguson(apriori=1.0).fit(t, exposure=np.full(6, 400.0))}
    r = backtest(full, methods)
    cl = {ln.diagonal: ln for ln in r.lines if ln.method == "cl"}
    assert sorted(cl) == [1, 2, 3, 4, 5]
    assert abs(cl[5].error) < 1e-8 and cl[5].actual > 0
    assert all(cl[t].error < 0 for t in (1, 2, 3, 4))
    bf5 = next(ln for ln in r.lines if ln.method == "bf" and ln.diagonal == 5)
    assert abs(bf5.relative_error) > 0.01
    # the run-off of a correct reserve is exact: payments of the next diagonal + re-estimate = reserve
    assert abs(cl[5].runoff.difference) < 1e-8
    assert r.mean_abs_relative_error("cl") > 0


def test_backtest_needs_complete_square() -> None:
    with pytest.raises(InputError, match="complete square"):
        backtest(from_array([[1.0, 2.0], [1.0, np.nan]]), {"cl": ChainLadder().fit})
    with pytest.raises(InputError, match="at least 2"):
        backtest(from_array([[1.0]]), {"cl": ChainLadder().fit})
