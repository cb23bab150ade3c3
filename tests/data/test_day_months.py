"""The date → month look-up and the blocked cell-index kernel of the fast path."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.reserving.triangles import EPOCH_MONTH, day_month_table, month_index, months_of_days
from aktuar.data import triangles as T


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-719_162, 2_932_896), min_size=1, max_size=50))  # 0001-01-01 .. 9999-12-31
def test_months_of_days_equals_numpy_calendar(days: list[int]) -> None:
    d = np.array(days, dtype=np.int64)
    expected = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH
    np.testing.assert_array_equal(months_of_days(d), expected)
    np.testing.assert_array_equal(months_of_days(d.astype("datetime64[D]")), expected)
    for x, m in zip(d[:5].astype("datetime64[D]").astype(date), expected[:5], strict=False):
        assert month_index(x) == m


def test_day_month_table_edges() -> None:
    t = day_month_table(-1, 59)  # 31.12.1969 .. 01.03.1970
    assert t[0] == 1969 * 12 + 11 and t[1] == 1970 * 12 and t[-1] == 1970 * 12 + 2
    assert months_of_days(np.zeros(0, dtype=np.int64)).shape == (0,)


def test_threaded_blocks_equal_single_thread() -> None:
    rng = np.random.default_rng(4)
    n = 5 * T._BLOCK * 2 + 123
    od = (np.datetime64("2016-01-01") + rng.integers(0, 3000, n)).astype("datetime64[D]").view(np.int64)
    ed = od + rng.integers(0, 300, n)
    seg = rng.integers(0, 7, n)
    vday = int(ed.max())
    vmonth = int(months_of_days(np.array([vday]))[0])
    grid = T._make_grid(int(months_of_days(np.array([od.min()]))[0]), vmonth, "Q", "M")
    one = T._cell_index(od, ed, seg, grid, int(od.min()), vday, 7, workers=1)
    two = T._cell_index(od, ed, seg, grid, int(od.min()), vday, 7, workers=2)
    assert one is not None and two is not None
    np.testing.assert_array_equal(one, two)
    bad = ed.copy()
    bad[-1] = od[-1] - 1  # an event before its origin in the last block
    assert T._cell_index(od, bad, seg, grid, int(od.min()), vday, 7, workers=2) is None
