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

#: Elements of the largest working array of one chunk (simulations × segments × cells): 2²⁰ float64 = 8 MB.
CHUNK_CELLS = 1 << 20
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
    total reserves (S, n_sims) in ``components['total_ibnr_sims']`` for histograms.
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
                f"{int(sims.nonfinite[i])} of {self.n_sims} simulations gave a non-finite reserve (a pseudo "
                "triangle with a zero column sum): they are left out of the statistics"
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
    for i in range(s):
        if dof[i] <= 0:
            warns[i].append(
                f"{n_cells[i]} cell(s) with an expected amount for {n_params[i]} parameter(s) of the ODP model: no "
                "degrees of freedom to estimate the scale φ, so there is no variability; every simulation equals "
                "the chain ladder"
            )
        elif phi[i] == 0:
            warns[i].append(
                "every Pearson residual is zero (the data follow the chain-ladder pattern exactly): no variability; "
                "every simulation equals the chain ladder"
            )
        elif not noisy[i]:
            warns[i].append(
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
    used_cell = np.take_along_axis(used, ci[:, :, None] * np.ones((1, 1, d - 1), dtype=np.int64), axis=1) \
        if d > 1 else np.zeros((s, k, 0))
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
    inv = np.linalg.pinv(a, hermitian=True)
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
    mean = np.zeros((s, o))
    se = np.zeros((s, o))
    total_se = np.zeros(s)
    quant = np.zeros((s, o, q))
    total_quant = np.zeros((s, q))
    se_est = np.zeros((s, o))
    total_se_est = np.zeros(s)
    total_sims = np.zeros((s, n_sims)) if keep else None
    nonfinite = np.zeros(s, dtype=np.int64)
    offsets = np.arange(s, dtype=np.int64) * model.pool.shape[1]
    pool_flat = model.pool.ravel()
    maps_t = np.ascontiguousarray(np.swapaxes(model.maps, 1, 2))  # (S, T, K)
    # u · size' < size for every u < 1: the floor of the product is a valid index without a guard
    sizes = (model.pool_size.astype(np.float64) * (1.0 - 2.0**-52))

    sims_chunk = int(min(n_sims, max(SIMS_MIN, GEMM_SINGLE // max(k * t, 1))))
    segs_chunk = max(1, CHUNK_CELLS // max(k * sims_chunk, 1))
    block = max(1, min(s, BLOCK_RESERVES // max(n_sims * o, 1)))
    work = _Work(min(block, segs_chunk) * k * sims_chunk, min(block, segs_chunk) * t * sims_chunk)
    for b0 in range(0, s, block):
        blk = slice(b0, min(s, b0 + block))
        nb = blk.stop - blk.start
        store = np.empty((nb, o, n_sims))
        est_sum = np.zeros((nb, o))
        est_sq = np.zeros((nb, o))
        est_tot = np.zeros(nb)
        est_tot_sq = np.zeros(nb)
        for g0 in range(0, nb, segs_chunk):
            loc = slice(g0, min(nb, g0 + segs_chunk))
            seg = slice(blk.start + loc.start, blk.start + loc.stop)
            for c0 in range(0, n_sims, sims_chunk):
                nc = min(n_sims, c0 + sims_chunk) - c0
                out = _pseudo_outputs(model, maps_t[seg], sizes[seg], offsets[seg], seg, nc, rng, pool_flat, work)
                pos, neg = _project(out, fit.ldf[seg], fit.n_used[seg], fixed, tail[seg], idx[seg])
                est = pos - neg
                est -= shift[seg][:, :, None]
                est_sum[loc] += est.sum(axis=2)
                est_sq[loc] += np.einsum("son,son->so", est, est)
                tot = est.sum(axis=1)
                est_tot[loc] += tot.sum(axis=1)
                est_tot_sq[loc] += np.einsum("sn,sn->s", tot, tot)
                store[loc, :, c0:c0 + nc] = _process(pos, neg, model.phi[seg], process, rng)
        _summarise(store, blk, levels, mean, se, total_se, quant, total_quant, total_sims, nonfinite)
        denom = max(n_sims - 1, 1)
        with np.errstate(invalid="ignore"):
            var = (est_sq - est_sum * est_sum / n_sims) / denom
            tvar = (est_tot_sq - est_tot * est_tot / n_sims) / denom
        se_est[blk] = np.sqrt(np.maximum(np.nan_to_num(var), 0.0))
        total_se_est[blk] = np.sqrt(np.maximum(np.nan_to_num(tvar), 0.0))
    return _Sims(mean=mean, se=se, total_se=total_se, quantiles=quant, total_quantiles=total_quant,
                 se_estimation=se_est, total_se_estimation=total_se_est, total_sims=total_sims,
                 nonfinite=nonfinite)


class _Work:
    """Working buffers reused by every chunk (no fresh allocation, and page faults, per chunk)."""

    def __init__(self, cells: int, outputs: int) -> None:
        self.u = np.empty(max(cells, 1))
        self.pick = np.empty(max(cells, 1), dtype=np.int64)
        self.out = np.empty(max(outputs, 1))


def _pseudo_outputs(model: _Model, maps_t: FloatArray, sizes: FloatArray, offsets: IntArray, seg: slice,
                    nc: int, rng: np.random.Generator, pool_flat: FloatArray, work: _Work) -> FloatArray:
    """Resample residuals onto the observed cells of ``nc`` pseudo triangles per segment and return, for each,
    the column sums that make its chain-ladder factors and its latest diagonal: (segments, T, nc).

    A residual is drawn as ``pool[⌊u · size⌋]`` with ``u`` uniform on [0, 1).
    """
    nb = seg.stop - seg.start
    k = maps_t.shape[2]
    t = maps_t.shape[1]
    n = nb * k * nc
    u = work.u[:n].reshape(nb, k, nc)
    pick = work.pick[:n].reshape(nb, k, nc)
    rng.random(out=u)
    u *= sizes[:, None, None]
    np.copyto(pick, u, casting="unsafe")  # truncation = floor for u · size ≥ 0
    pick += offsets[:, None, None]
    noise = np.take(pool_flat, pick, out=u)
    noise *= model.scale[seg][:, :, None]
    out = work.out[:nb * t * nc].reshape(nb, t, nc)
    np.matmul(maps_t, noise, out=out)
    out += model.base[seg][:, :, None]
    return out


def _project(out: FloatArray, ldf: FloatArray, n_used: IntArray, fixed: BoolArray, tail: FloatArray,
             idx: IntArray) -> tuple[FloatArray, FloatArray]:
    """Chain-ladder factors of each pseudo triangle and its projection from its own latest diagonal.

    Returns the sums of the positive and of the negative (as a positive number) future incrementals by
    origin, (segments, O, sims) each. An origin with latest age k and latest cumulative L has the future
    incrementals ``L · g_kj``, ``g_kj = f_k ⋯ f_j−2 · (f_j−1 − 1)`` for j > k (and the tail's
    ``f_k ⋯ f_D−2 · (t − 1)``), so with ``G⁺_k = Σ_j max(g_kj, 0)`` and ``G⁻_k = Σ_j max(−g_kj, 0)``:
    ``P = L⁺ G⁺_k + L⁻ G⁻_k`` and ``N = L⁺ G⁻_k + L⁻ G⁺_k``. ``G±`` follow backwards over the ages,
    ``G⁺_k = (f_k − 1)⁺ + f_k⁺ G⁺_k+1 + f_k⁻ G⁻_k+1`` (and symmetrically), once per simulation rather than
    once per origin.
    """
    d1 = ldf.shape[1]
    nb, o = idx.shape
    nc = out.shape[2]
    num = out[:, :d1, :]
    den = out[:, d1:2 * d1, :]
    latest = out[:, 2 * d1:2 * d1 + o, :]
    ok = (den != 0) & (n_used[:, :, None] > 0)
    gpos = np.empty((nb, d1 + 1, nc))
    gneg = np.empty((nb, d1 + 1, nc))
    gpos[:, d1, :] = np.maximum(tail - 1.0, 0.0)[:, None]
    gneg[:, d1, :] = np.maximum(1.0 - tail, 0.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f = np.where(ok, num / np.where(ok, den, 1.0), 1.0)
        if fixed.any():
            f[:, fixed, :] = ldf[:, fixed, None]
        for j in range(d1 - 1, -1, -1):
            fj = f[:, j, :]
            fp = np.maximum(fj, 0.0)
            fn = np.maximum(-fj, 0.0)
            gpos[:, j, :] = np.maximum(fj - 1.0, 0.0) + fp * gpos[:, j + 1, :] + fn * gneg[:, j + 1, :]
            gneg[:, j, :] = np.maximum(1.0 - fj, 0.0) + fp * gneg[:, j + 1, :] + fn * gpos[:, j + 1, :]
        rows = np.arange(nb)[:, None]
        at = np.maximum(idx, 0)
        gp = gpos[rows, at]
        gn = gneg[rows, at]
        seen = (idx >= 0)[:, :, None]
        lp = np.where(seen, np.maximum(latest, 0.0), 0.0)
        ln = np.where(seen, np.maximum(-latest, 0.0), 0.0)
        pos = lp * gp
        pos += ln * gn
        neg = lp * gn
        neg += ln * gp
    return pos, neg


def _process(pos: FloatArray, neg: FloatArray, phi: FloatArray, process: str,
             rng: np.random.Generator) -> FloatArray:
    """Reserve by origin with process error: gamma (or scaled Poisson) draws with the summed means of the
    positive and of the negative future incrementals and variance φ times the mean, sign preserved.
    Segments with φ = 0 keep their means.
    """
    net = pos - neg
    live = phi > 0
    if process == "none" or not live.any():
        return net
    phi_b = np.where(live, phi, 1.0)[:, None, None]
    if process == "gamma":
        with np.errstate(invalid="ignore"):
            shape = pos / phi_b
        drawn = rng.standard_gamma(shape, out=shape)
        drawn *= phi_b
    else:
        drawn = _scaled_poisson(pos, phi_b, rng)
    if neg.any():
        sub = (neg > 0) & live[:, None, None]
        if sub.any():
            mean = neg[sub]
            scale = np.broadcast_to(phi_b, neg.shape)[sub]
            if process == "gamma":
                value = rng.standard_gamma(mean / scale) * scale
            else:
                value = _scaled_poisson(mean, scale, rng)
            drawn[sub] -= value
    if not live.all():
        drawn[~live] = net[~live]
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


def _summarise(store: FloatArray, seg: slice, levels: Sequence[float], mean: FloatArray, se: FloatArray,
               total_se: FloatArray, quant: FloatArray, total_quant: FloatArray, total_sims: FloatArray | None,
               nonfinite: IntArray) -> None:
    """Mean, standard deviation and quantiles over the simulations (last axis) of a block of segments; a
    segment with non-finite simulations is summarised over its finite ones.
    """
    n = store.shape[2]
    ddof = 1 if n > 1 else 0
    total = store.sum(axis=1)
    if total_sims is not None:
        total_sims[seg] = total
    finite = np.isfinite(total)
    nonfinite[seg] = (~finite).sum(axis=1)
    good = finite.all(axis=1)
    if good.all():
        st, tt, rows = store, total, np.arange(seg.start, seg.stop)
    else:
        st, tt, rows = store[good], total[good], np.arange(seg.start, seg.stop)[good]
    if rows.size:
        mean[rows] = st.mean(axis=2)
        se[rows] = st.std(axis=2, ddof=ddof)
        total_se[rows] = tt.std(axis=1, ddof=ddof)
        if levels:
            quant[rows] = np.moveaxis(np.quantile(st, levels, axis=2), 0, -1)
            total_quant[rows] = np.quantile(tt, levels, axis=1).T
    for i in np.flatnonzero(~good):
        keep = finite[i]
        if not keep.any():
            continue
        sti = store[i][:, keep]
        tti = total[i][keep]
        dd = 1 if tti.size > 1 else 0
        g = seg.start + int(i)
        mean[g] = sti.mean(axis=1)
        se[g] = sti.std(axis=1, ddof=dd)
        total_se[g] = tti.std(ddof=dd)
        if levels:
            quant[g] = np.quantile(sti, levels, axis=1).T
            total_quant[g] = np.quantile(tti, levels)


__all__ = ["BootstrapODP"]
