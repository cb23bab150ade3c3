"""Run the model-point projection on a Dask cluster (``distributed``).

The model points are cut into the same contiguous chunks as a local run (:func:`aktuar.core.projection.prepare`);
consecutive chunks are grouped into tasks of about ``points_per_task`` model points; each task's model points are
scattered to a worker, which projects its chunks one after the other with the pure core function
:func:`aktuar.core.projection.project_chunk` (reusing one scratch workspace); the chunk results come back to the
client and are combined in chunk order by :func:`aktuar.core.projection.combine`. The chunking, the per-chunk
arithmetic (numpy only — no BLAS, whose multi-threaded reductions are not reproducible across processes) and
the summation order are those of the local run, so the results are identical to the last bit.

Sizing: a chunk needs about ``6 × 8 × months × chunk_size`` bytes while it runs (480 months × 5,000 model
points ≈ 115 MB at most); a task holds its model points (≈ 100 bytes each) and its results (≈ 80 bytes per model
point plus the group cash flows). See docs/projection.md for throughput and sizing for tens of millions of
policies.
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from aktuar.core.projection import (
    Assumptions,
    ChunkResult,
    ModelPoints,
    ProjectionResult,
    Workspace,
    combine,
    prepare,
    project_chunk,
)
from aktuar.core.projection import project as project_local
from aktuar.errors import InputError

__all__ = ["project", "project_task"]


def project_task(
    model_points: ModelPoints,
    group_codes: npt.NDArray[Any],
    assumptions: Assumptions,
    months: int,
    bounds: list[tuple[int, int]],
    offset: int,
    aggregate: bool,
) -> list[ChunkResult]:
    """Worker side: project the chunks ``bounds`` (global positions) of a task whose first point is ``offset``."""
    ws = Workspace()
    out = []
    for a, b in bounds:
        sl = slice(a - offset, b - offset)
        out.append(project_chunk(model_points.take(sl), group_codes[sl], assumptions, months, a, aggregate, ws))
    return out


def _connect(client: Any, scheduler: str | None, timeout: float) -> tuple[Any, bool]:
    if client is not None:
        return client, False
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise InputError("the Dask backend needs the 'distributed' package.", column="scheduler") from exc
    try:
        return Client(scheduler, timeout=timeout), True  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}. Check the address (tcp://host:8786) "
            "and that the scheduler is running.",
            column="scheduler",
        ) from exc


def project(
    model_points: ModelPoints,
    assumptions: Assumptions,
    *,
    months: int | None = None,
    chunk_size: int = 5_000,
    aggregate: bool = True,
    client: Any = None,
    scheduler: str | None = None,
    points_per_task: int = 50_000,
    connect_timeout: float = 10.0,
) -> ProjectionResult:
    """Project model points locally (no ``client``/``scheduler``) or on a Dask cluster; same results either way.

    ``client``: a ``distributed.Client``; ``scheduler``: a scheduler address (a client is created and closed;
    ``connect_timeout`` seconds to reach it). ``points_per_task``: model points sent to a worker per task
    (whole chunks; the results do not depend on it).
    """
    if client is None and scheduler is None:
        return project_local(model_points, assumptions, months=months, chunk_size=chunk_size, aggregate=aggregate)
    prepared = prepare(model_points, assumptions, months=months, chunk_size=chunk_size)
    per_task = max(1, int(points_per_task) // max(1, int(chunk_size)))
    c, owned = _connect(client, scheduler, connect_timeout)
    try:
        assumptions_f = c.scatter(assumptions, broadcast=True)
        futures = []
        for k in range(0, len(prepared.chunks), per_task):
            bounds = list(prepared.chunks[k : k + per_task])
            lo, hi = bounds[0][0], bounds[-1][1]
            mp_f, codes_f = c.scatter([prepared.model_points.take(slice(lo, hi)), prepared.group_codes[lo:hi]])
            futures.append(c.submit(project_task, mp_f, codes_f, assumptions_f, prepared.months, bounds, lo,
                                    aggregate, pure=False))
        results = [r for task in c.gather(futures) for r in task]
    finally:
        if owned:
            c.close()
    return combine(prepared, results)
