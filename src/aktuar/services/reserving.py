"""Reserving service: from a validated triangle and a request to results, in chunks with progress.

This is the one place that maps a user's choice of method and options (CLI, web, demo) onto the pure core
estimators, so every interface configures methods the same way and records the same parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from aktuar.core.reserving import (
    Benktander,
    CapeCod,
    ChainLadder,
    Development,
    ExpectedLossRatio,
    ReserveResult,
    Tail,
    Triangle,
)
from aktuar.core.reserving.development import Exclusion
from aktuar.core.reserving.mack import Mack
from aktuar.errors import InputError, MethodError

METHODS: tuple[str, ...] = ("chainladder", "mack", "bf", "benktander", "capecod", "elr", "bootstrap", "cdr")
EXPOSURE_METHODS = frozenset({"bf", "benktander", "capecod", "elr"})
DEFAULT_QUANTILES: tuple[float, ...] = (0.75, 0.95, 0.995)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReserveRequest:
    """A user's choice of method and its options, validated on creation."""

    method: str = "chainladder"
    average: str = "volume"
    n_periods: int | None = None
    drop_high: int = 0
    drop_low: int = 0
    exclusions: tuple[Exclusion, ...] = ()
    selected: dict[int, float] | None = None
    sigma: str = "mack"
    tail: str = "none"
    tail_factor: float | None = None
    tail_fit_from: int | None = None
    tail_fit_to: int | None = None
    tail_sigma: float | None = None
    tail_se: float | None = None
    apriori: float = 1.0
    n_iters: int = 2
    decay: float = 1.0
    trend: float = 0.0
    sims: int = 1000
    seed: int | None = None
    hat_adjustment: bool = False
    process: str = "gamma"
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unknown method '{self.method}': use one of {', '.join(METHODS)}")
        if self.sims < 1:
            raise InputError("--sims must be at least 1")
        if not np.isfinite(self.apriori) or self.apriori < 0:
            raise InputError("--apriori is a loss ratio: a number ≥ 0 such as 0.65")
        for q in self.quantiles:
            if not 0 < q < 1:
                raise InputError(f"quantile {q} must lie strictly between 0 and 1")
        if self.tail_factor is not None and self.tail == "none":
            object.__setattr__(self, "tail", "constant")
        self.development()  # validates averages, sigma and tail options

    def development(self) -> Development:
        return Development(
            average=self.average,  # type: ignore[arg-type]
            n_periods=self.n_periods,
            drop_high=self.drop_high,
            drop_low=self.drop_low,
            exclusions=self.exclusions,
            selected=self.selected,
            sigma=self.sigma,  # type: ignore[arg-type]
            tail=Tail(kind=self.tail, factor=self.tail_factor, fit_from=self.tail_fit_from,  # type: ignore[arg-type]
                      fit_to=self.tail_fit_to, sigma=self.tail_sigma, std_err=self.tail_se),
        )

    def recorded_options(self) -> dict[str, Any]:
        """The options that matter for the chosen method (as recorded in outputs)."""
        d = asdict(self)
        d["exclusions"] = [asdict(e) for e in self.exclusions]
        keep = {"method", "average", "n_periods", "drop_high", "drop_low", "exclusions", "selected", "tail",
                "tail_factor", "tail_fit_from", "tail_fit_to", "tail_sigma", "tail_se"}
        if self.method in ("mack", "cdr", "bootstrap"):
            keep |= {"sigma"}
        if self.method in EXPOSURE_METHODS - {"capecod"}:
            keep |= {"apriori"}
        if self.method == "benktander":
            keep |= {"n_iters"}
        if self.method == "capecod":
            keep |= {"decay", "trend"}
        if self.method == "bootstrap":
            keep |= {"sims", "seed", "hat_adjustment", "process", "quantiles"}
        return {k: v for k, v in d.items() if k in keep}


def estimate(tri: Triangle, request: ReserveRequest, exposure: np.ndarray | None = None) -> ReserveResult:
    """Run the requested method on every segment of ``tri`` at once."""
    dev = request.development()
    m = request.method
    if m in EXPOSURE_METHODS and exposure is None:
        raise MethodError(
            f"method '{m}' needs an exposure per origin (earned premium, say): give --exposure FILE with columns "
            "origin, the segment columns and exposure"
        )
    if m == "chainladder":
        return ChainLadder(dev).fit(tri)
    if m == "mack":
        return Mack(dev).fit(tri)
    if m == "elr":
        return ExpectedLossRatio(request.apriori, dev).fit(tri, exposure)
    if m == "bf":
        return Benktander(request.apriori, 1, dev).fit(tri, exposure)
    if m == "benktander":
        return Benktander(request.apriori, request.n_iters, dev).fit(tri, exposure)
    if m == "capecod":
        return CapeCod(request.decay, request.trend, 1, dev).fit(tri, exposure)
    if m == "cdr":
        from aktuar.core.reserving.cdr import MerzWuthrich

        return MerzWuthrich(dev).fit(tri)
    from aktuar.core.reserving.bootstrap import BootstrapODP

    return BootstrapODP(
        n_sims=request.sims, seed=request.seed, hat_adjustment=request.hat_adjustment,
        process=request.process, quantiles=request.quantiles, development=dev,  # type: ignore[arg-type]
    ).fit(tri)


def chunk_size(tri: Triangle, request: ReserveRequest) -> int:
    """Segments per chunk: bounded so that one chunk's simulation arrays stay within ~200 MB."""
    _, o, d = tri.shape
    if request.method == "bootstrap":
        per_segment = max(1, request.sims * o * d * 8 * 4)
        return max(1, min(tri.n_segments, 200_000_000 // per_segment))
    return max(1, min(tri.n_segments, 20_000_000 // max(1, o * d * 8 * 8)))


def run_reserving(
    tri: Triangle,
    request: ReserveRequest,
    exposure: np.ndarray | None = None,
    progress: Progress | None = None,
) -> list[ReserveResult]:
    """Results for all segments, computed chunk by chunk; ``progress(done, total)`` after every chunk.

    Chunks change nothing in the numbers: every method treats segments independently (bootstrap chunks get
    seeds derived from the request's seed and the chunk's first segment, so a run is reproducible).
    """
    n = tri.n_segments
    size = chunk_size(tri, request)
    out: list[ReserveResult] = []
    for start in range(0, n, size):
        idx = list(range(start, min(n, start + size)))
        part = tri if len(idx) == n else tri.select(idx)
        exp_part = None if exposure is None else exposure[idx]
        req = request
        if request.method == "bootstrap" and start > 0 and request.seed is not None:
            from dataclasses import replace

            req = replace(request, seed=int(np.random.SeedSequence([request.seed, start]).generate_state(1)[0]))
        out.append(estimate(part, req, exp_part))
        if progress is not None:
            progress(min(n, start + size), n)
    return out
