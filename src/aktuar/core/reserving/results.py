"""The result every reserving method returns: the same named fields, whatever the method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import DevelopmentFit
from aktuar.core.reserving.triangles import Triangle

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReserveResult:
    """Reserve estimate per segment and origin.

    ``latest``, ``ultimate``, ``ibnr`` are (S, O) float64 (money, unrounded); ``ibnr = ultimate − latest`` is
    the reserve for what the triangle measures (for a paid triangle: all unpaid claims; for an incurred
    triangle: incurred but not reported). ``se`` (S, O) and ``total_se`` (S,) are the standard errors (root mean
    square error of prediction) where the method gives them. Stochastic methods also give ``mean`` and
    quantiles of the reserve by origin ``quantiles`` (S, O, Q) and in total ``total_quantiles`` (S, Q) at
    ``quantile_levels``.
    """

    method: str
    triangle: Triangle
    development: DevelopmentFit
    latest: FloatArray
    ultimate: FloatArray
    ibnr: FloatArray
    se: FloatArray | None = None
    total_se: FloatArray | None = None
    quantile_levels: tuple[float, ...] = ()
    quantiles: FloatArray | None = None
    total_quantiles: FloatArray | None = None
    components: dict[str, FloatArray] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: list[list[str]] = field(default_factory=list)

    @property
    def total_latest(self) -> FloatArray:
        return np.asarray(self.latest.sum(axis=1))

    @property
    def total_ultimate(self) -> FloatArray:
        return np.asarray(self.ultimate.sum(axis=1))

    @property
    def total_ibnr(self) -> FloatArray:
        return np.asarray(self.ibnr.sum(axis=1))


def merge_warnings(*lists: list[list[str]]) -> list[list[str]]:
    """Per-segment warning lists joined segment by segment, without repeats."""
    n = max((len(x) for x in lists), default=0)
    out: list[list[str]] = [[] for _ in range(n)]
    for lst in lists:
        for i, w in enumerate(lst):
            for msg in w:
                if msg not in out[i]:
                    out[i].append(msg)
    return out
