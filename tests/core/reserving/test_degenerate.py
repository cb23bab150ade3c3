"""Degenerate triangles: a correct answer or a warning that says why, never a crash or a NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from aktuar.core.reserving import (
    Benktander,
    CapeCod,
    ChainLadder,
    Development,
    Exclusion,
    Tail,
    Triangle,
    from_array,
)
from aktuar.core.reserving.mack import Mack
from aktuar.errors import InputError, MethodError

N = np.nan

CASES = {
    "all zeros": [[0, 0, 0], [0, 0, N], [0, N, N]],
    "zero column": [[100, 0, 0], [80, 0, N], [90, N, N]],
    "zero first column": [[0, 50, 60], [0, 40, N], [0, N, N]],
    "negative increments": [[100, 90, 95], [80, 70, N], [90, N, N]],
    "negative cumulative": [[-100, -50, -40], [-80, -60, N], [10, N, N]],
    "one origin": [[100, 150, 160]],
    "one development period": [[100], [120], [130]],
    "one cell": [[100]],
    "nan hole": [[100, N, 160, 170], [80, 120, 130, N], [90, 130, N, N], [70, N, N, N]],
    "origin without data": [[100, 150, 160], [80, 120, N], [N, N, N]],
    "non-square (more ages)": [[100, 150, 160, 165, 166], [80, 120, 130, 133, N], [90, 130, 140, N, N]],
    "non-square (more origins)": [[100, 150], [80, 120], [90, 130], [70, N], [60, N]],
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("sigma", ["mack", "loglinear"])
def test_methods_never_crash_and_give_finite_numbers(name: str, sigma: str) -> None:
    tri = from_array(np.array(CASES[name], dtype=float))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        dev = Development(sigma=sigma)
        mack = Mack(dev).fit(tri)
        exposure = np.full(tri.shape[1], 1000.0)
        others = [ChainLadder(dev).fit(tri), Benktander(0.7, 1, dev).fit(tri, exposure),
                  Benktander(0.7, 3, dev).fit(tri, exposure), CapeCod(0.8, 0.02, 1, dev).fit(tri, exposure)]
    for res in [mack, *others]:
        assert np.isfinite(res.ultimate).all(), name
        assert np.isfinite(res.ibnr).all(), name
    assert np.isfinite(mack.se).all() and np.isfinite(mack.total_se).all(), name


def test_warnings_say_why() -> None:
    res = Mack().fit(from_array(np.array(CASES["all zeros"], dtype=float)))
    assert any("no usable link ratio" in w for w in res.warnings[0])
    res = ChainLadder().fit(from_array(np.array(CASES["nan hole"], dtype=float)))
    assert any("missing cell" in w for w in res.warnings[0])
    res = ChainLadder().fit(from_array(np.array(CASES["origin without data"], dtype=float)))
    assert any("no observed value" in w for w in res.warnings[0])
    res = Mack().fit(from_array(np.array(CASES["one development period"], dtype=float)))
    assert any("one development period" in w for w in res.warnings[0])
    res = Mack().fit(from_array(np.array(CASES["negative cumulative"], dtype=float)))
    assert any("negative cumulative" in w for w in res.warnings[0])


def test_one_development_period_means_fully_developed() -> None:
    res = Mack().fit(from_array(np.array(CASES["one development period"], dtype=float)))
    np.testing.assert_allclose(res.ibnr, 0.0)
    tail = Mack(Development(tail=Tail("constant", factor=1.1))).fit(
        from_array(np.array(CASES["one development period"], dtype=float)))
    np.testing.assert_allclose(tail.ultimate, np.array([[110, 132, 143]], dtype=float))


def test_bf_with_origin_without_data_reserves_the_whole_expected() -> None:
    tri = from_array(np.array(CASES["origin without data"], dtype=float))
    res = Benktander(0.5, 1).fit(tri, np.array([300.0, 300.0, 300.0]))
    assert res.ultimate[0, 2] == pytest.approx(150.0)


def test_user_errors_are_input_errors() -> None:
    tri = from_array(np.array(CASES["nan hole"], dtype=float))
    with pytest.raises(MethodError, match="exposure"):
        Benktander(0.5, 1).fit(tri, None)
    with pytest.raises(InputError, match="positive exposure"):
        Benktander(0.5, 1).fit(tri, np.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(InputError, match="needs a reason"):
        Exclusion("1", 1, " ")
    with pytest.raises(InputError, match="not in the triangle"):
        Development(exclusions=(Exclusion("1999", 1, "typo"),)).fit(tri)
    with pytest.raises(InputError, match="no such development age"):
        Development(selected={7: 1.1}).fit(tri)
    with pytest.raises(InputError, match="needs a factor"):
        Tail("constant")
    with pytest.raises(InputError, match="unknown tail"):
        Tail("magic")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown average"):
        Development(average="median")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Triangle(values=np.zeros((1, 2, 2)), origin=("a",), development=np.array([1, 2]))


def test_exclusions_and_selections_are_recorded() -> None:
    tri = from_array(np.array(CASES["non-square (more ages)"], dtype=float))
    fit = Development(exclusions=(Exclusion("1", 1, "claim reopened in error"),), selected={3: 1.02},
                      drop_high=1).fit(tri)
    text = " | ".join(fit.selections)
    assert "claim reopened in error" in text and "selected by the user: 1.02" in text and "highest" in text
    assert fit.ldf[0, 2] == 1.02
    assert not fit.used[0, 0, 0]


def test_regrain_quarterly_to_annual_equals_annual_sum() -> None:
    """Monthly-dated quarterly triangle regrained to annual × annual: annual origin cumulative at age 12k is
    the sum over its quarters of their cumulative at the same calendar point."""
    rng = np.random.default_rng(3)
    # 8 quarterly origins (2 years), quarterly development, valuation end of year 2 (month index 2001*12+11)
    n = 8
    inc = rng.uniform(1, 10, size=(1, n, n))
    future = np.arange(n)[:, None] + np.arange(n)[None, :] > n - 1
    inc[:, future] = np.nan
    from datetime import date

    tri = Triangle(values=inc, origin=tuple(f"q{i}" for i in range(n)), development=np.arange(1, n + 1) * 3,
                   cumulative=False, origin_grain="Q", development_grain="Q",
                   origin_start=tuple(2000 * 12 + 3 * i for i in range(n)), valuation=date(2001, 12, 31))
    annual = tri.regrain("Y", "Y")
    assert not annual.cumulative
    annual = annual.cum()
    assert annual.origin == ("2000", "2001")
    np.testing.assert_array_equal(annual.development, [12, 24])
    # calendar year 2000 payments of accident year 2000: quarter q (0..3) pays its first 4 − q quarters
    expected_2000_12 = sum(np.nansum(inc[0, q, : 4 - q]) for q in range(4))
    assert annual.values[0, 0, 0] == pytest.approx(expected_2000_12)
    assert annual.values[0, 0, 1] == pytest.approx(np.nansum(inc[0, :4]))
    assert np.isnan(annual.values[0, 1, 1])
    assert annual.values[0, 1, 0] == pytest.approx(np.nansum(inc[0, 4:]))
