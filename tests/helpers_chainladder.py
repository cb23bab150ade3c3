"""Conversions between chainladder-python triangles and aktuar's :class:`Triangle` (test and benchmark use only).

chainladder is a test-only peer library: these helpers import it lazily, so modules that import this file
still load where chainladder is absent (the tests then skip with ``pytest.importorskip("chainladder")``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aktuar.core.reserving.triangles import Triangle


def cl_sample_to_triangle(name: str, column: str | None = None) -> Triangle:
    """A chainladder sample triangle (``cl.load_sample(name)``) as an aktuar :class:`Triangle`.

    ``column`` picks one column of a multi-column sample (e.g. ``'CumPaidLoss'`` of ``clrd``); by default the
    first. Every index row becomes a segment keyed by the sample's index columns.
    """
    import chainladder as cl

    return cl_to_triangle(cl.load_sample(name), column)


def cl_to_triangle(tri: Any, column: str | None = None) -> Triangle:
    """A chainladder ``Triangle`` (index × columns × origin × development) as an aktuar :class:`Triangle`.

    chainladder's ``.values`` has shape (index, columns, origin, dev) with NaN beyond the valuation; the chosen
    column becomes the (segments, origins, development) array; missing cells inside chainladder's observed
    region (its sparse storage of zeros) become 0. Development must be expressed as lags
    (months), as in every chainladder sample.
    """
    col = tri.columns.tolist().index(column) if column is not None else 0
    arr = np.asarray(tri.values[:, col], dtype=np.float64)
    # chainladder stores the zero cells of sparse data as missing: inside the observed region they are zeros
    observed = np.asarray(tri.nan_triangle, dtype=np.float64) == 1
    arr = np.where(observed[None] & np.isnan(arr), 0.0, arr)
    index = tri.index
    names = tuple(str(c) for c in index.columns)
    if len(index) == 1 and names == ("Total",):
        segments: tuple[tuple[str, ...], ...] = ((),)
        names = ()
    else:
        segments = tuple(tuple(str(v) for v in row) for row in index.itertuples(index=False))
    return Triangle(
        values=arr,
        origin=tuple(str(o) for o in tri.origin),
        development=np.asarray(tri.development, dtype=np.int64),
        segments=segments,
        segment_names=names,
        cumulative=bool(tri.is_cumulative),
    )


def clrd_paid() -> Triangle:
    """The 775 company × line paid-loss triangles of the CAS loss reserve database (``CumPaidLoss``, 10 × 10)."""
    return cl_sample_to_triangle("clrd", "CumPaidLoss")


def chainladder_bootstrap_total_ibnr(tri: Any, n_sims: int, random_state: int, hat_adj: bool = False) -> np.ndarray:
    """Total IBNR of each simulation of chainladder's ODP bootstrap: ``BootstrapODPSample`` then ``Chainladder``
    on the resampled triangles (gamma process error, as chainladder adds it in ``Chainladder.fit``).
    """
    import warnings

    import chainladder as cl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sims = cl.BootstrapODPSample(n_sims=n_sims, random_state=random_state, hat_adj=hat_adj).fit_transform(tri)
        ibnr = cl.Chainladder().fit(sims).ibnr_.sum("origin")
    return np.asarray(ibnr.values, dtype=np.float64).ravel()
