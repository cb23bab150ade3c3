"""Bootstrap of the over-dispersed Poisson chain ladder: the predictive distribution of the reserve.

The model (Renshaw & Verrall 1998; England & Verrall 2002, §2.3 and §7.2): incremental amounts ``C_ij`` of
origin i and development period j are independent with

    E[C_ij] = m_ij = x_i · y_j,        Var[C_ij] = φ · m_ij,

fitted by quasi-likelihood with a log link, ``log m_ij = c + α_i + β_j``. Its reserve equals the
volume-weighted chain ladder's, so the fit is done by the chain ladder (England & Verrall 2002, appendix 3):

1. chain-ladder factors ``f_k`` from the cumulative data; the fitted cumulative values backwards from the
   latest diagonal, ``μ_i,k_i = L_i`` and ``μ_i,j−1 = μ_ij / f_j−1``; their differences are the expected
   incrementals ``m_ij``;
2. unscaled Pearson residuals ``r_ij = (C_ij − m_ij) / √m_ij`` and the scale parameter
   ``φ = Σ r_ij² / (n − p)``, with n the number of cells and p the number of parameters (2·D − 1 for a
   D × D triangle: one per origin and one per development period, less one);
3. residuals adjusted for the bias of the bootstrap: by the degrees of freedom, ``r · √(n / (n − p))``
   (England & Verrall 2002, A3; England 2002, eq. 3.1), or by the hat matrix of the GLM,
   ``r / √(1 − h_ii)`` with ``H = W^½ X (XᵀWX)⁻¹ Xᵀ W^½``, ``W = diag(m)`` (Pinheiro, Andrade e Silva &
   Centeno 2003; England & Verrall 2002, appendix; Shapland 2016, eq. 3.21–3.24), which *replaces* the
   degrees-of-freedom factor when chosen. The residuals of cells that are the only one of their origin or
   of their development period (the two corners of a triangle) are zero by construction (h = 1) and are left
   out of the resampling (Pinheiro et al. 2003; Shapland 2016, §3.2);
4. for each simulation: resample the adjusted residuals with replacement onto every observed cell, form the
   pseudo incrementals ``C* = m + r*·√m``, cumulate them, refit the chain-ladder factors on the pseudo
   triangle and project it from its own latest diagonal (England & Verrall 2002, A3.1 steps (i)–(vi));
5. process error on each future incremental ``m*``: a gamma variable with mean ``m*`` and variance ``φ·m*``
   (``process='gamma'``, England 2002 §3), or ``φ · Poisson(m*/φ)`` (``process='odp'``), or none.

The stored reserves by origin and in total are the predictive distribution: their mean is the bootstrap
reserve (to compare with the chain ladder for bias), their standard deviation the prediction error
(estimation and process error together), their quantiles the reserve at a confidence level (England 2002,
Tables 1–3).

Choices the literature leaves open, made here:

- **Negative expected incrementals** (development factors below 1, e.g. salvage and subrogation): residuals
  and pseudo data use ``|m|`` under the root, ``r = (C − m)/√|m|`` and ``C* = m + r*·√|m|`` (Shapland 2016,
  eq. 4.4–4.5); the process error is sign preserving, ``sign(m*) · Gamma(mean |m*|, variance φ|m*|)``
  (Shapland 2016, eq. 4.6; the same for ``odp``). Cells with ``m = 0`` carry no information and give no
  residual.
- **Process error by origin.** With one scale φ, the sum of independent gamma (or scaled Poisson) variables
  of one sign is again gamma (scaled Poisson) with the summed mean. The reserve of an origin is therefore
  drawn as ``Gamma(ΣP) − Gamma(ΣN)`` from the sums ``P`` of its positive and ``N`` of its negative future
  incrementals: exactly the distribution of the sum of cell-by-cell draws, with a tenth of the random numbers.
- **Holes** (a missing cell inside the observed triangle): the hole and the cell after it, whose increment
  spans the hole, give no residual; the pseudo triangles are complete.
- **Exclusions and selections** of :class:`Development` (latest n origins, high/low, single link ratios) are
  held fixed: each pseudo triangle averages the same link ratios. A factor selected by the user and the tail
  factor are held fixed too: they carry no estimation error here.
- **No variability.** When φ cannot be estimated (n ≤ p: one origin, one development period, tiny
  triangles) or every residual is zero (a triangle that follows the chain ladder exactly, an all-zero
  triangle), every simulation equals the chain ladder; a warning per segment says why.

Randomness comes from one :class:`numpy.random.Generator` seeded with ``seed``: the same triangle and seed
give the same result, bit for bit. Simulations run vectorised over segments and simulations together, in
chunks of bounded size; ``seed=None`` draws fresh entropy and records it in ``parameters['seed']`` so the
run can be repeated.

Money is float64, unrounded.

References: England, P. & Verrall, R. (1999), Analytic and bootstrap estimates of prediction errors in claims
reserving, IME 25, 281–293; England, P. (2002), Addendum to "Analytic and bootstrap estimates…", IME 31,
461–466; England, P. & Verrall, R. (2002), Stochastic claims reserving in general insurance, BAJ 8(3),
443–544; Pinheiro, P., Andrade e Silva, J. & Centeno, M. (2003), Bootstrap methodology in claim reserving,
JRI 70(4), 701–714; Shapland, M. (2016), Using the ODP bootstrap model: a practitioner's guide, CAS
Monograph 4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import Development, DevelopmentFit
from aktuar.core.reserving.methods import ChainLadder
from aktuar.core.reserving.results import ReserveResult, merge_warnings
from aktuar.core.reserving.triangles import Triangle
from aktuar.errors import InputError, MethodError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Process = Literal["gamma", "odp", "none"]
PROCESSES: tuple[str, ...] = ("gamma", "odp", "none")

#: Elements of the largest working array of one chunk (segments × cells × simulations): 2¹⁸ float64 = 2 MB,
#: small enough for the chain of passes over it to run in cache.
CHUNK_CELLS = 1 << 18
#: Elements of the stored reserves by origin of one block of segments (segments × simulations × origins):
#: 2²³ float64 = 64 MB.
BLOCK_RESERVES = 1 << 23
#: Simulations per chunk are chosen so that each matrix product (outputs × cells × simulations) stays below
#: this many multiplications: OpenBLAS then runs it on one thread (its threshold is 4 · 65 536), which avoids
#: BLAS threads spinning against the rest of the simulation on a busy machine.
GEMM_SINGLE = 200_000
#: …but never fewer simulations per chunk than this (large triangles).
SIMS_MIN = 16
#: Cells with 1 − h below this are treated as fitted exactly (h = 1): they give no residual.
HAT_ONE = 1e-9
#: Poisson means above this are drawn from the normal approximation (numpy's Poisson sampler stops at ~9e18).
POISSON_NORMAL = 1e12
LOW32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)


@dataclass(frozen=True)
class _Model:
    """The fitted ODP model of every segment, ready for simulation."""

    region: BoolArray  # (S, O, D) the observed region (each origin up to its latest age, holes included)
    m: FloatArray  # (S, O, D) expected incrementals inside the observed region, 0 elsewhere
    residuals: FloatArray  # (S, O, D) unscaled Pearson residuals, NaN where a cell gives none
    adjusted: FloatArray  # (S, O, D) adjusted residuals in the resampling pool, NaN elsewhere
    phi: FloatArray  # (S,)
    n_cells: IntArray  # (S,)
    n_params: IntArray  # (S,)
    pool: FloatArray  # (S, P) resampling pool, padded with 0
    pool_size: IntArray  # (S,) ≥ 1
    noisy: BoolArray  # (S,) the pseudo triangles vary
    cells: IntArray  # (S, K) flat positions o·D + d of the observed cells, padded with 0
    scale: FloatArray  # (S, K) √|m| of each observed cell (0 for padding and cells without a residual model)
    maps: FloatArray  # (S, K, T) pseudo incrementals → (factor numerators, denominators, latest diagonal)
    base: FloatArray  # (S, T) the same for the pseudo triangle without noise


@dataclass(frozen=True)
class BootstrapODP:
    """England & Verrall's bootstrap of the over-dispersed Poisson chain ladder (see the module docstring).

    ``n_sims`` simulations with ``seed``; residuals adjusted by the hat matrix (``hat_adjustment``) or else
    by the degrees of freedom (``df_adjustment``), or not at all; ``process`` error ``'gamma'``, ``'odp'``
    or ``'none'``; reserve ``quantiles`` by origin and in total; ``development`` the chain-ladder settings
    (volume-weighted average; exclusions, selections and tail held fixed). ``keep_sims`` keeps the simulated
    total reserves (S, n_sims) in ``components['total_ibnr_sims']`` for histograms (8 bytes per segment and
    simulation: turn it off for very large runs).

    The result: ``latest`` is the observed latest diagonal; ``ibnr`` the mean simulated reserve by origin and
    ``ultimate = latest + ibnr``; ``se`` and ``total_se`` the standard deviations of the simulated reserves
    (the prediction error: estimation and process error); ``quantiles`` (S, O, Q) and ``total_quantiles``
    (S, Q) at ``quantile_levels``. ``components``: ``ibnr_chainladder`` (the deterministic reserve),
    ``phi`` (S,), ``expected_incremental``, ``residuals`` (unscaled Pearson) and ``residuals_adjusted`` (the
    resampling pool) as (S, O, D) with NaN where there is none, ``n_cells`` and ``n_parameters`` (S,),
    ``se_estimation`` (S, O) and ``total_se_estimation`` (S,) (the standard deviations before process
    error), ``total_ibnr_sims`` (S, n_sims).
    """

    n_sims: int = 1000
    seed: int | None = None
    hat_adjustment: bool = False
    df_adjustment: bool = True
    process: Process = "gamma"
    quantiles: tuple[float, ...] = (0.75, 0.95, 0.995)
    development: Development | None = None
    keep_sims: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.n_sims, bool) or int(self.n_sims) != self.n_sims or self.n_sims < 1:
            raise InputError(f"the bootstrap needs a whole number of simulations ≥ 1, not {self.n_sims}")
        object.__setattr__(self, "n_sims", int(self.n_sims))
        if self.seed is not None and (isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0):
            raise InputError(f"the seed must be a whole number ≥ 0 (or none), not {self.seed}")
        if self.process not in PROCESSES:
            raise InputError(f"unknown process distribution '{self.process}': use gamma, odp or none")
        levels = tuple(float(q) for q in self.quantiles)
        if any(not 0.0 < q < 1.0 for q in levels):
            raise InputError(f"quantile levels must lie strictly between 0 and 1, not {list(self.quantiles)}")
        object.__setattr__(self, "quantiles", levels)
        if self.development is not None and self.development.average != "volume":
            raise MethodError(
                f"the ODP bootstrap reproduces the volume-weighted chain ladder (England & Verrall 2002, §7.2), "
                f"not the '{self.development.average}' average: use average='volume'"
            )

    # ------------------------------------------------------------------------------------------------ fit
    def fit(self, tri: Triangle) -> ReserveResult:
        dev = self.development or Development()
        fit = dev.fit(tri)
        det = ChainLadder(dev).fit(tri, fit)
        s, o, d = tri.shape
        warns = merge_warnings(det.warnings, [[] for _ in range(s)])
        model = _fit_model(tri, fit, self.hat_adjustment, self.df_adjustment, warns)

        fixed = np.zeros(max(d - 1, 0), dtype=bool)
        if dev.selected:
            for age in dev.selected:
                fixed |= fit.ages[:-1] == int(age)
            for w in warns:
                w.append("the factors selected by the user are held fixed in every simulation")
        tail = np.asarray(fit.tail.factor, dtype=np.float64)
        for i in np.flatnonzero(tail != 1.0):
            warns[i].append(f"the tail factor {tail[i]:.6g} is held fixed in every simulation (no estimation error)")

        seq = np.random.SeedSequence(self.seed)
        rng = np.random.default_rng(seq)
        sims = _simulate(model, fit, fixed, tail, tri.latest_index(), self.n_sims, self.process, rng,
                         self.quantiles, det.ibnr, self.keep_sims)
        for i in np.flatnonzero(sims.nonfinite > 0):
            warns[i].append(
                f"{int(sims.nonfinite[i])} of {self.n_sims} simulations gave a non-finite reserve (overflowing "
                "development factors of a pseudo triangle): they are left out of the statistics"
            )

        latest = tri.latest()
        components: dict[str, FloatArray] = {
            "ibnr_chainladder": det.ibnr,
            "phi": model.phi,
            "expected_incremental": np.where(model.region, model.m, np.nan),
            "residuals": model.residuals,
            "residuals_adjusted": model.adjusted,
            "n_cells": model.n_cells.astype(np.float64),
            "n_parameters": model.n_params.astype(np.float64),
            "se_estimation": sims.se_estimation,
            "total_se_estimation": sims.total_se_estimation,
        }
        if sims.total_sims is not None:
            components["total_ibnr_sims"] = sims.total_sims
        adjustment = "hat matrix" if self.hat_adjustment else ("degrees of freedom" if self.df_adjustment else "none")
        parameters: dict[str, Any] = {
            "n_sims": self.n_sims,
            "seed": int(seq.entropy) if isinstance(seq.entropy, int) else seq.entropy,
            "hat_adjustment": self.hat_adjustment,
            "df_adjustment": self.df_adjustment and not self.hat_adjustment,
            "residual_adjustment": adjustment,
            "process": self.process,
            "quantiles": self.quantiles,
            "selections": fit.selections,
        }
        return ReserveResult(
            method="bootstrap",
            triangle=tri,
            development=fit,
            latest=latest,
            ultimate=latest + sims.mean,
            ibnr=sims.mean,
            se=sims.se,
            total_se=sims.total_se,
            quantile_levels=self.quantiles,
            quantiles=sims.quantiles,
            total_quantiles=sims.total_quantiles,
            components=components,
            parameters=parameters,
            warnings=warns,
        )


# ---------------------------------------------------------------------------------------------- the model
def _fit_model(tri: Triangle, fit: DevelopmentFit, hat: bool, df: bool, warns: list[list[str]]) -> _Model:
    ctri = tri.cum()
    s, o, d = ctri.shape
    idx = ctri.latest_index()
    ages = np.arange(d)
    region = ages[None, None, :] <= idx[:, :, None]  # observed region, holes included
    holes = ctri.holes()
    inc = np.where(region, np.nan_to_num(ctri.incr().values), 0.0)
    latest = ctri.latest()

    # fitted cumulative values backwards from the latest diagonal (England & Verrall 2002, A3.1 step 2)
    mu = np.zeros((s, o, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(d - 1, -1, -1):
            at = idx == j
            if j < d - 1:
                f = fit.ldf[:, j][:, None]
                back = np.where(f != 0, mu[:, :, j + 1] / np.where(f != 0, f, 1.0), np.nan)
                mu[:, :, j] = np.where(at, latest, np.where(idx > j, back, 0.0))
            else:
                mu[:, :, j] = np.where(at, latest, 0.0)
    m = np.diff(mu, axis=2, prepend=0.0)
    m = np.where(region, m, 0.0)
    bad = region & ~np.isfinite(m)
    for i in np.flatnonzero(bad.any(axis=(1, 2))):
        warns[i].append(
            "a development factor of 0 leaves the expected amounts before it undefined: those cells are taken "
            "as observed and give no residual"
        )
    m = np.where(bad, inc, m)

    after_hole = np.concatenate([np.zeros_like(holes[:, :, :1]), holes[:, :, :-1]], axis=2) & region & ~holes
    modelled = region & ~holes & ~after_hole & ~bad & (m != 0)
    for i in np.flatnonzero(holes.any(axis=(1, 2))):
        warns[i].append(
            f"{int(holes[i].sum())} missing cell(s) inside the triangle: they and the cells after them give no "
            "residual; the pseudo triangles are complete"
        )
    negative = modelled & (m < 0)
    for i in np.flatnonzero(negative.any(axis=(1, 2))):
        warns[i].append(
            f"{int(negative[i].sum())} expected incremental amount(s) are negative (development factors below 1): "
            "residuals use √|m| and the process error is sign-preserving gamma (Shapland 2016, §4.1)"
        )

    root = np.sqrt(np.abs(m))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(modelled, (inc - m) / np.where(modelled, root, 1.0), np.nan)
    n_cells = modelled.sum(axis=(1, 2)).astype(np.int64)
    rows = modelled.any(axis=2)
    cols = modelled.any(axis=1)
    n_params = np.where(n_cells > 0, rows.sum(axis=1) + cols.sum(axis=1) - 1, 0).astype(np.int64)
    dof = n_cells - n_params
    chi2 = np.nansum(r * r, axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(dof > 0, chi2 / np.where(dof > 0, dof, 1), 0.0)

    # cells alone in their origin or development period are fitted exactly (h = 1): not resampled
    sole = modelled & ((modelled.sum(axis=2, keepdims=True) == 1) | (modelled.sum(axis=1, keepdims=True) == 1))
    pooled = modelled & ~sole
    if hat:
        h = _hat_diagonal(np.where(modelled, np.abs(m), 0.0), modelled)
        pooled &= (1.0 - h) > HAT_ONE
        with np.errstate(divide="ignore", invalid="ignore"):
            adj = np.where(pooled, r / np.sqrt(np.where(pooled, 1.0 - h, 1.0)), np.nan)
    elif df:
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(dof > 0, np.sqrt(n_cells / np.where(dof > 0, dof, 1)), 0.0)
        adj = np.where(pooled, r * factor[:, None, None], np.nan)
    else:
        adj = np.where(pooled, r, np.nan)

    noisy = (dof > 0) & (phi > 0) & (np.nan_to_num(np.abs(adj)).max(axis=(1, 2), initial=0.0) > 0)
    for seg_i in range(s):
        if n_cells[seg_i] == 0:
            warns[seg_i].append(
                "no cell has a non-zero expected amount (an empty or all-zero triangle): no variability; every "
                "simulation equals the chain ladder"
            )
        elif dof[seg_i] <= 0:
            warns[seg_i].append(
                f"{n_cells[seg_i]} cell(s) with a non-zero expected amount for the {n_params[seg_i]} parameter(s) of "
                "the ODP model: no degrees of freedom to estimate the scale φ, so there is no variability; every "
                "simulation equals the chain ladder"
            )
        elif phi[seg_i] == 0:
            warns[seg_i].append(
                "every Pearson residual is zero (the data follow the chain-ladder pattern exactly): no variability; "
                "every simulation equals the chain ladder"
            )
        elif not noisy[seg_i]:
            warns[seg_i].append(
                "no non-zero residual is left to resample (the only ones lie in cells fitted exactly): no "
                "estimation error; the simulations vary by the process error only"
            )
    adj = np.where(noisy[:, None, None], adj, np.nan)

    # residual pools, padded: segment i draws from pool[i, :pool_size[i]]
    flat_adj = adj.reshape(s, o * d)
    in_pool = np.isfinite(flat_adj)
    size = in_pool.sum(axis=1)
    width = max(int(size.max(initial=0)), 1)
    order = np.argsort(~in_pool, axis=1, kind="stable")[:, :width]
    pool = np.where(np.arange(width)[None, :] < size[:, None],
                    np.take_along_axis(np.nan_to_num(flat_adj), order, axis=1), 0.0)
    pool_size = np.maximum(size, 1).astype(np.int64)

    # observed cells and the linear map from pseudo incrementals to factor sums and the latest diagonal
    flat_region = region.reshape(s, o * d)
    k_count = flat_region.sum(axis=1)
    k = max(int(k_count.max(initial=0)), 1)
    cells = np.argsort(~flat_region, axis=1, kind="stable")[:, :k].astype(np.int64)
    valid = np.arange(k)[None, :] < k_count[:, None]
    ci, cl = np.divmod(cells, d)
    scale = np.where(valid, np.take_along_axis((root * modelled).reshape(s, o * d), cells, axis=1), 0.0)
    scale = np.where(noisy[:, None], scale, 0.0)
    used = fit.used.astype(np.float64)  # (S, O, D-1)
    kk = np.arange(d - 1)
    if d > 1:
        used_cell = np.take_along_axis(used, np.repeat(ci[:, :, None], d - 1, axis=2), axis=1)
    else:
        used_cell = np.zeros((s, k, 0))
    den = used_cell * (cl[:, :, None] <= kk[None, None, :])
    num = used_cell * (cl[:, :, None] <= kk[None, None, :] + 1)
    lat = (ci[:, :, None] == np.arange(o)[None, None, :]).astype(np.float64)
    maps = np.concatenate([num, den, lat], axis=2) * valid[:, :, None]
    # without noise the pseudo triangle is the fitted one; a segment without variability uses its data, so
    # that every simulation reproduces the chain ladder exactly
    source = np.where(noisy[:, None, None], m, inc).reshape(s, o * d)
    base = np.einsum("sk,skt->st", np.where(valid, np.take_along_axis(source, cells, axis=1), 0.0), maps)

    residuals = np.where(modelled, r, np.nan)
    return _Model(region=region, m=m, residuals=residuals, adjusted=adj, phi=phi, n_cells=n_cells, n_params=n_params,
                  pool=pool, pool_size=pool_size, noisy=noisy, cells=cells, scale=scale, maps=maps, base=base)


def _hat_diagonal(w: FloatArray, modelled: BoolArray) -> FloatArray:
    """Diagonal of the hat matrix ``H = W^½ X (XᵀWX)⁺ Xᵀ W^½`` of the log-link ODP GLM, per cell (S, O, D).

    X has one indicator column per origin and one per development period after the first
    (``log m_ij = a_i + b_j``, ``b_0 = 0``); W = diag(|m|) on the modelled cells. A pseudo-inverse covers
    origins or periods without a modelled cell. Then ``h_ij = w_ij · x_ijᵀ (XᵀWX)⁺ x_ij``.
    """
    s, o, d = w.shape
    p = o + d - 1
    a = np.zeros((s, p, p))
    ro = np.arange(o)
    cd = np.arange(1, d)
    a[:, ro, ro] = w.sum(axis=2)
    a[:, o + cd - 1, o + cd - 1] = w[:, :, 1:].sum(axis=1)
    a[:, :o, o:] = w[:, :, 1:]
    a[:, o:, :o] = np.swapaxes(w[:, :, 1:], 1, 2)
    # equilibrate (unit diagonal) before the pseudo-inverse: weights of very different sizes (early and late
    # development periods) would otherwise make small but genuine eigenvalues fall below its cut-off
    diag = np.einsum("spp->sp", a)
    eq = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 0.0)
    inv = np.linalg.pinv(a * eq[:, :, None] * eq[:, None, :], hermitian=True) * eq[:, :, None] * eq[:, None, :]
    rows = inv[:, ro, ro][:, :, None]  # (S, O, 1)
    q = np.zeros((s, o, d))
    q += rows
    if d > 1:
        cols = inv[:, o + cd - 1, o + cd - 1][:, None, :]  # (S, 1, D-1)
        cross = inv[:, :o, o:]  # (S, O, D-1)
        q[:, :, 1:] += cols + 2.0 * cross
    return np.where(modelled, w * q, 0.0)


# ------------------------------------------------------------------------------------------- simulation
@dataclass(frozen=True)
class _Sims:
    mean: FloatArray
    se: FloatArray
    total_se: FloatArray
    quantiles: FloatArray
    total_quantiles: FloatArray
    se_estimation: FloatArray
    total_se_estimation: FloatArray
    total_sims: FloatArray | None
    nonfinite: IntArray


def _simulate(model: _Model, fit: DevelopmentFit, fixed: BoolArray, tail: FloatArray, idx: IntArray,
              n_sims: int, process: str, rng: np.random.Generator, levels: Sequence[float],
              shift: FloatArray, keep: bool) -> _Sims:
    """Run the simulations in blocks of segments (bounded storage of the reserves by origin) and, inside a
    block, in chunks of segments × simulations (bounded working arrays); every operation is vectorised over
    the segments and simulations of a chunk. Arrays are laid out (segment, quantity, simulation).
    """
    s, o = idx.shape
    k = model.cells.shape[1]
    t = model.maps.shape[2]
    q = len(levels)
    quant = np.zeros((s, o, q))
    total_quant = np.zeros((s, q))
    total_sims = np.zeros((s, n_sims)) if keep else None
    nonfinite = np.zeros(s, dtype=np.int64)
    with_process = _Moments(s, o, shift)
    estimation = _Moments(s, o, shift)
    pool_flat = model.pool.ravel()
    maps_t = np.ascontiguousarray(np.swapaxes(model.maps, 1, 2))  # (S, T, K)
    sizes = model.pool_size.astype(np.uint64)
    offsets = np.arange(s, dtype=np.uint64) * np.uint64(model.pool.shape[1])

    block = max(1, min(s, BLOCK_RESERVES // max(n_sims * o, 1)))
    gemm_cols = max(SIMS_MIN, GEMM_SINGLE // max(k * t, 1))
    sims_chunk = int(min(n_sims, max(gemm_cols, CHUNK_CELLS // max(k * block, 1))))
    segs_chunk = max(1, CHUNK_CELLS // max(k * sims_chunk, 1))
    work = _Work(min(block, segs_chunk) * k * sims_chunk, min(block, segs_chunk) * t * sims_chunk, gemm_cols)
    for b0 in range(0, s, block):
        blk = slice(b0, min(s, b0 + block))
        nb = blk.stop - blk.start
        store = np.empty((nb, o, n_sims))
        for g0 in range(0, nb, segs_chunk):
            loc = slice(g0, min(nb, g0 + segs_chunk))
            seg = slice(blk.start + loc.start, blk.start + loc.stop)
            for c0 in range(0, n_sims, sims_chunk):
                nc = min(n_sims, c0 + sims_chunk) - c0
                out = _pseudo_outputs(model, maps_t[seg], sizes[seg], offsets[seg], seg, nc, rng, pool_flat, work)
                pos, neg = _project(out, fit.ldf[seg], fixed, tail[seg], idx[seg])
                estimation.add(seg, pos if neg is None else pos - neg)
                reserve = _process(pos, neg, model.phi[seg], process, rng)
                with_process.add(seg, reserve)
                store[loc, :, c0:c0 + nc] = reserve
        _quantiles(store, blk, levels, quant, total_quant, total_sims, nonfinite)
    mean, se, total_se = with_process.result()
    _, se_est, total_se_est = estimation.result()
    return _Sims(mean=mean, se=se, total_se=total_se, quantiles=quant, total_quantiles=total_quant,
                 se_estimation=se_est, total_se_estimation=total_se_est, total_sims=total_sims,
                 nonfinite=nonfinite)


class _Moments:
    """Running sums of the reserves by origin and in total, less a shift (the chain-ladder reserve, close to
    the mean, so that the sums of squares do not cancel), over the simulations."""

    def __init__(self, s: int, o: int, shift: FloatArray) -> None:
        self.shift = np.nan_to_num(shift)
        self.sum = np.zeros((s, o))
        self.sq = np.zeros((s, o))
        self.count = np.zeros((s, o))
        self.tsum = np.zeros(s)
        self.tsq = np.zeros(s)
        self.tcount = np.zeros(s)

    def add(self, seg: slice, x: FloatArray) -> None:
        dev = x - self.shift[seg][:, :, None]
        tot = dev.sum(axis=1)
        if not np.isfinite(tot).all():  # leave non-finite simulations out (they are reported)
            keep = np.isfinite(tot)
            dev = np.where(keep[:, None, :], dev, 0.0)
            tot = np.where(keep, tot, 0.0)
            self.count[seg] += keep.sum(axis=1)[:, None]
            self.tcount[seg] += keep.sum(axis=1)
        else:
            self.count[seg] += x.shape[2]
            self.tcount[seg] += x.shape[2]
        self.sum[seg] += dev.sum(axis=2)
        self.sq[seg] += np.einsum("son,son->so", dev, dev)
        self.tsum[seg] += tot.sum(axis=1)
        self.tsq[seg] += np.einsum("sn,sn->s", tot, tot)

    def result(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Mean by origin, standard deviations (n − 1 in the denominator) by origin and in total."""
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.maximum(self.count, 1.0)
            tc = np.maximum(self.tcount, 1.0)
            mean = self.shift + self.sum / c
            var = (self.sq - self.sum * self.sum / c) / np.maximum(c - 1.0, 1.0)
            tvar = (self.tsq - self.tsum * self.tsum / tc) / np.maximum(tc - 1.0, 1.0)
        return (np.asarray(mean), np.sqrt(np.maximum(np.nan_to_num(var), 0.0)),
                np.sqrt(np.maximum(np.nan_to_num(tvar), 0.0)))


class _Work:
    """Working buffers reused by every chunk (no fresh allocation, and page faults, per chunk)."""

    def __init__(self, cells: int, outputs: int, gemm_cols: int) -> None:
        self.gemm_cols = gemm_cols
        self.bits = np.empty(max(cells, 1) + 1, dtype=np.uint64)
        self.noise = np.empty(max(cells, 1))
        self.out = np.empty(max(outputs, 1))


def _pseudo_outputs(model: _Model, maps_t: FloatArray, sizes: npt.NDArray[np.uint64],
                    offsets: npt.NDArray[np.uint64], seg: slice, nc: int, rng: np.random.Generator,
                    pool_flat: FloatArray, work: _Work) -> FloatArray:
    """Resample residuals onto the observed cells of ``nc`` pseudo triangles per segment and return, for each,
    the column sums that make its chain-ladder factors and its latest diagonal: (segments, T, nc).

    A residual is drawn as ``pool[⌊b · size / 2³²⌋]`` with ``b`` 32 uniform random bits (Lemire 2019, the
    multiply-shift map of a random word onto [0, size)): two draws per 64-bit word of the generator; the
    probabilities of the residuals differ from 1/size by less than size / 2³² ≈ 10⁻⁸ of it.
    """
    nb = seg.stop - seg.start
    k = maps_t.shape[2]
    t = maps_t.shape[1]
    n = nb * k * nc
    half = (n + 1) // 2
    raw = rng.bit_generator.random_raw(half)
    bits = work.bits[:2 * half]
    np.bitwise_and(raw, LOW32, out=bits[:half])
    np.right_shift(raw, SHIFT32, out=bits[half:])
    pick = bits[:n].reshape(nb, k, nc)
    pick *= sizes[:, None, None]
    pick >>= SHIFT32
    pick += offsets[:, None, None]
    # every index lies in its segment's pool by construction; 'clip' only skips the bounds check
    noise = np.take(pool_flat, pick.view(np.int64), out=work.noise[:n].reshape(nb, k, nc), mode="clip")
    noise *= model.scale[seg][:, :, None]
    out = work.out[:nb * t * nc].reshape(nb, t, nc)
    step = work.gemm_cols
    for c0 in range(0, nc, step):  # matrix products small enough for one BLAS thread (see GEMM_SINGLE)
        np.matmul(maps_t, noise[:, :, c0:c0 + step], out=out[:, :, c0:c0 + step])
    out += model.base[seg][:, :, None]
    return out


def _project(out: FloatArray, ldf: FloatArray, fixed: BoolArray, tail: FloatArray,
             idx: IntArray) -> tuple[FloatArray, FloatArray | None]:
    """Chain-ladder factors of each pseudo triangle and its projection from its own latest diagonal.

    Returns the sums of the positive and of the negative (as a positive number; ``None`` when all are 0)
    future incrementals by origin, (segments, O, sims) each. An origin with latest age k and latest
    cumulative L has the future incrementals ``L · g_kj``, ``g_kj = f_k ⋯ f_j−2 · (f_j−1 − 1)`` for j > k
    (and the tail's ``f_k ⋯ f_D−2 · (t − 1)``), so with ``G⁺_k = Σ_j max(g_kj, 0)`` and
    ``G⁻_k = Σ_j max(−g_kj, 0)``: ``P = L⁺ G⁺_k + L⁻ G⁻_k`` and ``N = L⁺ G⁻_k + L⁻ G⁺_k``. ``G±`` follow
    backwards over the ages, ``G⁺_k = (f_k − 1)⁺ + f_k⁺ G⁺_k+1 + f_k⁻ G⁻_k+1`` (and symmetrically), once
    per simulation rather than once per origin.
    """
    d1 = ldf.shape[1]
    nb, o = idx.shape
    nc = out.shape[2]
    num = out[:, :d1, :]
    den = out[:, d1:2 * d1, :]
    latest = out[:, 2 * d1:2 * d1 + o, :]
    # G± by age in (age, segment, simulation) layout: each step works on contiguous (segment, simulation) rows
    gpos = np.empty((d1 + 1, nb, nc))
    gneg = np.empty((d1 + 1, nb, nc))
    gpos[d1] = np.maximum(tail - 1.0, 0.0)[:, None]
    gneg[d1] = np.maximum(1.0 - tail, 0.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # a factor without usable link ratio is 1, as in Development (the maps give it num = den = 0)
        f = np.ones((d1, nb, nc))
        np.divide(num.transpose(1, 0, 2), den.transpose(1, 0, 2), out=f, where=den.transpose(1, 0, 2) != 0)
        if fixed.any():
            f[fixed] = ldf[:, fixed].T[:, :, None]
        signed = bool((f < 0).any())
        tmp = np.empty((nb, nc))
        if signed:
            fp = np.empty((nb, nc))
            fn = np.empty((nb, nc))
        for j in range(d1 - 1, -1, -1):
            fj, gp_j, gn_j, gp_n, gn_n = f[j], gpos[j], gneg[j], gpos[j + 1], gneg[j + 1]
            np.subtract(fj, 1.0, out=tmp)
            np.maximum(tmp, 0.0, out=gp_j)
            np.negative(tmp, out=tmp)
            np.maximum(tmp, 0.0, out=gn_j)
            if signed:
                np.maximum(fj, 0.0, out=fp)
                np.minimum(fj, 0.0, out=fn)
                np.negative(fn, out=fn)
                gp_j += np.multiply(fp, gp_n, out=tmp)
                gp_j += np.multiply(fn, gn_n, out=tmp)
                gn_j += np.multiply(fp, gn_n, out=tmp)
                gn_j += np.multiply(fn, gp_n, out=tmp)
            else:
                gp_j += np.multiply(fj, gp_n, out=tmp)
                gn_j += np.multiply(fj, gn_n, out=tmp)
        rows = np.arange(nb)[:, None]
        at = np.maximum(idx, 0)
        gp = gpos[at, rows]
        unseen = np.broadcast_to((idx < 0)[:, :, None], gp.shape)
        any_unseen = bool((idx < 0).any())  # an origin without data has no pseudo cells: nothing to project
        if any_unseen:
            gp[unseen] = 0.0
        has_neg = bool(gneg.any())
        if has_neg:
            gn = gneg[at, rows]
            if any_unseen:
                gn[unseen] = 0.0
        if not (latest < 0).any():
            pos = latest * gp
            neg = latest * gn if has_neg else None
        else:
            lp = np.maximum(latest, 0.0)
            ln = np.maximum(-latest, 0.0)
            pos = lp * gp
            neg = ln * gp
            if has_neg:
                pos += ln * gn
                neg += lp * gn
        if any_unseen:
            pos[unseen] = 0.0
            if neg is not None:
                neg[unseen] = 0.0
    return pos, neg


def _process(pos: FloatArray, neg: FloatArray | None, phi: FloatArray, process: str,
             rng: np.random.Generator) -> FloatArray:
    """Reserve by origin with process error: gamma (or scaled Poisson) draws with the summed means of the
    positive and of the negative future incrementals and variance φ times the mean, sign preserved.
    Segments with φ = 0 keep their means.
    """
    live = phi > 0
    if process == "none" or not live.any():
        return pos if neg is None else pos - neg
    phi_b = np.where(live, phi, 1.0)[:, None, None]
    if process == "gamma":
        with np.errstate(invalid="ignore"):
            shape = pos / phi_b
        drawn = rng.standard_gamma(shape, out=shape)
        drawn *= phi_b
    else:
        drawn = _scaled_poisson(pos, phi_b, rng)
    if neg is not None:
        sub = (neg > 0) & live[:, None, None]
        if sub.any():  # usually a minority of the origins: drawn on the subset
            mean = neg[sub]
            scale = np.broadcast_to(phi_b, neg.shape)[sub]
            if process == "gamma":
                value = rng.standard_gamma(mean / scale) * scale
            else:
                value = _scaled_poisson(mean, scale, rng)
            drawn[sub] -= value
    if not live.all():
        drawn[~live] = pos[~live] if neg is None else pos[~live] - neg[~live]
    return np.asarray(drawn)


def _scaled_poisson(mean: FloatArray, phi: FloatArray, rng: np.random.Generator) -> FloatArray:
    """φ · Poisson(mean / φ) elementwise (``phi`` broadcasts to ``mean``); a Poisson mean above 10¹² is drawn
    from its normal approximation (relative error below 10⁻⁶); a non-finite mean stays non-finite.
    """
    with np.errstate(invalid="ignore"):
        lam = np.asarray(mean / phi)
    ok = np.isfinite(lam) & (lam > 0)
    small = ok & (lam <= POISSON_NORMAL)
    big = ok & ~small
    count = np.where(ok, 0.0, lam)
    count[small] = rng.poisson(lam[small])
    if big.any():
        count[big] = lam[big] + np.sqrt(lam[big]) * rng.standard_normal(int(big.sum()))
    return np.asarray(count * phi)


def _quantiles(store: FloatArray, seg: slice, levels: Sequence[float], quant: FloatArray,
               total_quant: FloatArray, total_sims: FloatArray | None, nonfinite: IntArray) -> None:
    """Quantiles over the simulations (last axis) of a block of segments, by origin and in total; a segment
    with non-finite simulations is summarised over its finite ones. ``store`` is reordered in place.
    """
    total = store.sum(axis=1)
    if total_sims is not None:
        total_sims[seg] = total
    finite = np.isfinite(total)
    nonfinite[seg] = (~finite).sum(axis=1)
    if not levels:
        return
    good = finite.all(axis=1)
    rows = np.arange(seg.start, seg.stop)
    if good.all():
        quant[rows] = np.moveaxis(np.quantile(store, levels, axis=2, overwrite_input=True), 0, -1)
        total_quant[rows] = np.quantile(total, levels, axis=1).T
    elif good.any():
        quant[rows[good]] = np.moveaxis(np.quantile(store[good], levels, axis=2), 0, -1)
        total_quant[rows[good]] = np.quantile(total[good], levels, axis=1).T
    for i in np.flatnonzero(~good):
        keep = finite[i]
        if keep.any():
            quant[seg.start + int(i)] = np.quantile(store[i][:, keep], levels, axis=1).T
            total_quant[seg.start + int(i)] = np.quantile(total[i][keep], levels)


__all__ = ["BootstrapODP"]
