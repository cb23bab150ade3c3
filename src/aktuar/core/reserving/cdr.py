"""One-year uncertainty of the claims development result (Merz & Wüthrich 2008).

The claims development result of origin i in the accounting year (I, I+1] is the change of its chain-ladder
ultimate when the next diagonal is observed and the factors are re-estimated,

    CDR_i(I+1) = Ĉ_iJ^(I) − Ĉ_iJ^(I+1),

and its prediction uncertainty over one year is msep_{CDR_i(I+1)|D_I}(0) = E[(CDR_i(I+1) − 0)² | D_I], the
quantity the solvency standards need for reserve risk (Merz & Wüthrich 2008, "Modelling the claims
development result for solvency purposes", CAS E-Forum Fall 2008, pp. 542–568; R ChainLadder ``CDR()``).

Notation (origin i with latest development index k_i, factor index j, ``Ĉ_iJ`` the chain-ladder ultimate):

    S_j^I     = Σ_{i used} C_ij            the weight of f̂_j today (``DevelopmentFit.weight_sum``)
    N_j       = Σ_{i: k_i = j} C_{i,k_i}   the weight the next diagonal adds to f̂_j
    S_j^{I+1} = S_j^I + N_j,   α_j = N_j / S_j^{I+1}       (the paper's C_{I−j,j} / S_j^{I+1})
    r_j       = σ̂_j² / f̂_j²,   q_j = s.e.(f̂_j)² / f̂_j² = r_j / S_j^I

Single origin (MW 2008, estimator (3.9) with the linear approximation (A.1) of its products, eq. (3.17);
identical to R ChainLadder's ``CDR.MackChainLadder``):

    msep_i = Ĉ_iJ² (Γ̂_i + Δ̂_i)
    Γ̂_i = r_{k_i} / C_{i,k_i} + Σ_{j > k_i} α_j r_j / S_j^{I+1}
    Δ̂_i = q_{k_i} + Σ_{j > k_i} α_j² q_j

Γ̂_i is the process part: the next link ratio of origin i itself and those of the older origins, which
move the re-estimated factors f̂_j^{I+1} (so it exceeds the variance of the "true" CDR, eq. (3.8), which has
the first term only). Δ̂_i is the parameter estimation error.

Aggregated origins (MW 2008, estimator (3.15) with the same approximation, eq. (3.18)); for i older than l
(k_i > k_l), with the cross terms written Ψ̂ (process) and Λ̂ (parameter) here:

    msep(Σ_i CDR_i) = Σ_i msep_i + 2 Σ_{i older than l} Ĉ_iJ Ĉ_lJ (Ψ̂_i + Λ̂_i)
    Ψ̂_i = r_{k_i} / S_{k_i}^{I+1} + Σ_{j > k_i} α_j r_j / S_j^{I+1}
    Λ̂_i = (C_{i,k_i} / S_{k_i}^{I+1}) q_{k_i} + Σ_{j > k_i} α_j² q_j

(Ψ̂_i + Λ̂_i = q_{k_i} + Σ_{j > k_i} α_j q_j, the form R ChainLadder computes.) Origins whose latest cells
lie on the same development index (irregular triangles) have no process covariance at that index and share
its full parameter error q_{k_i}. The sum is evaluated without forming the O × O matrix: the process part as
Σ_m (Ĉ_mJ + (C_{m,k_m} / S_{k_m}^{I+1}) T_{k_m})² r_{k_m} / C_{m,k_m} with T_j = Σ_{i: k_i < j} Ĉ_iJ, the
parameter part as Σ_j (Σ_{i: k_i = j} Ĉ_iJ + α_j T_j)² q_j.

Tail (an extension, not in the paper): the tail factor f_ult with σ_ult and s.e.(f_ult) from
``DevelopmentFit.tail`` enters as one more development period, as Mack (1999) adds it to the ultimo msep. Its
weight today is taken as S_ult = σ_ult² / s.e.(f_ult)² (the weight that gives its standard error), the origins
at the last age form its "next diagonal" (N_ult = Σ C_{i,last}, so their whole tail development is counted in
the one year: the CDR of the oldest origins then equals their Mack msep), and the younger origins see the
re-estimation of the tail with α_ult = N_ult / (S_ult + N_ult). Without a tail the oldest origin's CDR is 0.

Averages other than volume-weighted (``simple``, ``regression``): the formulas are applied with the weights
W_ij = C_ij^{2−α} of the factor estimator (Var(C_{i,j+1} | C_ij) = σ_j² C_ij^α, so r_j / W and q_j = r_j / S
keep their meaning) and the segment is warned; Merz and Wüthrich derive them for α = 1 only.

``mack_se``/``mack_total_se`` are the ultimo (run-off) msep^(1/2) of Mack (1993, 1999) from
:mod:`aktuar.core.reserving.mack`. In this linear approximation Mack's msep is the sum of the expected
one-year mseps of all future accounting years (Merz & Wüthrich 2014, "Claims run-off uncertainty: the full
picture", SSRN 2524352), so the one-year msep does not exceed it; with one period left the two are equal.

Money is float64 throughout (unrounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import Development, DevelopmentFit
from aktuar.core.reserving.mack import Mack
from aktuar.core.reserving.methods import ChainLadder
from aktuar.core.reserving.results import ReserveResult, merge_warnings
from aktuar.core.reserving.triangles import Triangle

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CdrErrors:
    """Process and parameter parts of the one-year msep, per segment and origin (S, O) and in total (S,)."""

    process_var: FloatArray
    parameter_var: FloatArray
    total_process_var: FloatArray
    total_parameter_var: FloatArray

    @property
    def se(self) -> FloatArray:
        return np.asarray(np.sqrt(self.process_var + self.parameter_var))

    @property
    def total_se(self) -> FloatArray:
        return np.asarray(np.sqrt(self.total_process_var + self.total_parameter_var))


def _by_index(values: FloatArray, index: IntArray, size: int) -> FloatArray:
    """Σ of ``values`` (S, O) grouped by ``index`` (S, O) into (S, size); index −1 (no data) is dropped."""
    s = values.shape[0]
    keep = index >= 0
    lin = (np.arange(s)[:, None] * size + index)[keep]
    out = np.bincount(lin, weights=values[keep], minlength=s * size)
    return np.asarray(out.reshape(s, size), dtype=np.float64)


def _at(per_step: FloatArray, index: IntArray) -> FloatArray:
    """``per_step[s, index[s, o]]`` (S, O); 0 where index is −1."""
    if per_step.shape[1] == 0:
        return np.zeros(index.shape)
    got = np.take_along_axis(per_step, np.maximum(index, 0), axis=1)
    return np.asarray(np.where(index >= 0, got, 0.0))


def cdr_errors(fit: DevelopmentFit, tri: Triangle) -> CdrErrors:
    """One-year msep of the claims development result (Merz & Wüthrich 2008, linear approximation).

    Vectorised over segments: arrays are (S, O) by origin and (S, D) by development step, the last step being
    the tail (factor 1 and no error without a tail).
    """
    s, o, d = tri.shape
    if d == 0:
        z = np.zeros((s, o))
        return CdrErrors(z, z.copy(), np.zeros(s), np.zeros(s))
    alpha = fit.alpha
    k = tri.latest_index()  # (S, O), −1: no observation
    c = np.where(k >= 0, tri.latest(), 0.0)

    has_tail = fit.tail.factor != 1.0
    f = np.concatenate([fit.ldf, fit.tail.factor[:, None]], axis=1)  # (S, D)
    sig2 = np.nan_to_num(
        np.concatenate([fit.sigma**2, np.where(has_tail, fit.tail.sigma**2, 0.0)[:, None]], axis=1)
    )
    se2 = np.nan_to_num(
        np.concatenate([fit.std_err**2, np.where(has_tail, fit.tail.std_err**2, 0.0)[:, None]], axis=1)
    )
    ok_f = np.isfinite(f) & (f != 0)
    f_safe = np.where(ok_f, f, 1.0)
    r = np.where(ok_f, sig2 / f_safe**2, 0.0)  # σ²/f²
    q = np.where(ok_f, se2 / f_safe**2, 0.0)  # s.e.²/f²
    # today's weight of each factor; the tail's is implied by its σ and s.e.
    with np.errstate(divide="ignore", invalid="ignore"):
        tail_weight = np.where(se2[:, -1] > 0, sig2[:, -1] / se2[:, -1], np.inf)
    weight = np.concatenate(
        [np.where(np.isfinite(fit.weight_sum), fit.weight_sum, 0.0), tail_weight[:, None]], axis=1
    )

    cdf = np.concatenate([fit.cdf, np.ones((s, 1))], axis=1)  # cdf[:, j] = Π_{l ≥ j} f_l, cdf[:, d] = 1
    ult = np.where(k >= 0, c * _at(cdf[:, :d], k), 0.0)
    cdf_after = _at(cdf[:, 1:], k)  # Π_{l > k_i} f_l
    nonzero = (k >= 0) & (c != 0)
    new_weight = np.where(nonzero, np.abs(c) ** (2.0 - alpha), 0.0)  # weight of the next link ratio
    # own process variance Ĉ_iJ² r_k / W_ik, written without dividing by C_ik (zero latest values)
    own = np.where(nonzero, cdf_after**2 * _at(sig2, k) * np.abs(c) ** alpha, 0.0)

    n_new = _by_index(new_weight, k, d)  # N_j
    s_next = weight + n_new  # S_j^{I+1}
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(s_next > 0, n_new / s_next, 0.0)  # α_j (0 where S_j^I is infinite)
        r_next = np.where((s_next > 0) & np.isfinite(s_next), r / s_next, 0.0)  # r_j / S_j^{I+1}
    g = a * r_next  # α_j r_j / S_j^{I+1}
    h = a**2 * q  # α_j² q_j
    # Σ_{l > j}: reversed cumulative sums shifted by one
    g_after = np.concatenate([np.cumsum(g[:, ::-1], axis=1)[:, ::-1][:, 1:], np.zeros((s, 1))], axis=1)
    h_after = np.concatenate([np.cumsum(h[:, ::-1], axis=1)[:, ::-1][:, 1:], np.zeros((s, 1))], axis=1)

    gamma_rest = _at(g_after, k)
    delta = _at(q, k) + _at(h_after, k)
    process_var = own + ult**2 * gamma_rest
    parameter_var = ult**2 * delta

    u_at = _by_index(ult, k, d)  # Σ_{i: k_i = j} Ĉ_iJ
    younger = np.concatenate([np.zeros((s, 1)), np.cumsum(u_at, axis=1)[:, :-1]], axis=1)  # T_j = Σ_{k_i < j}
    # Σ_m (Ĉ_mJ + W_m T/S')² r/W_m = Σ_m own_m + Σ_j (2 T_j Σ_{k_m=j} Ĉ_mJ + N_j T_j² / S'_j) r_j / S'_j
    with np.errstate(divide="ignore", invalid="ignore"):
        n_over = np.where((s_next > 0) & np.isfinite(s_next), n_new / s_next, 0.0)
    total_process = own.sum(axis=1) + ((2.0 * younger * u_at + n_over * younger**2) * r_next).sum(axis=1)
    total_parameter = ((u_at + a * younger) ** 2 * q).sum(axis=1)
    return CdrErrors(
        process_var=np.asarray(process_var, dtype=np.float64),
        parameter_var=np.asarray(parameter_var, dtype=np.float64),
        total_process_var=np.asarray(total_process, dtype=np.float64),
        total_parameter_var=np.asarray(total_parameter, dtype=np.float64),
    )


def _cdr_warnings(fit: DevelopmentFit, tri: Triangle) -> list[list[str]]:
    s = tri.n_segments
    out: list[list[str]] = [[] for _ in range(s)]
    if tri.shape[2] == 0:
        for w in out:
            w.append(
                "the triangle has no development period: no claims development result, standard errors 0"
            )
        return out
    k = tri.latest_index()
    c = tri.latest()
    valid = np.isfinite(fit.link_ratios)
    for i in range(s):
        if fit.average != "volume":
            out[i].append(
                "Merz–Wüthrich (2008) is derived for volume-weighted factors; applied with the "
                f"{fit.average} average's weights C^(2−α), α = {fit.alpha:g}"
            )
        if fit.ldf.size and np.any(fit.ldf[i] != fit.ldf_estimated[i]):
            out[i].append(
                "selected development factors are treated as estimated: their one-year re-estimation uses "
                "the σ and weights of the estimated factors"
            )
        if valid.size and np.any(valid[i] & ~fit.used[i]):
            out[i].append(
                "some link ratios are excluded from the averages: the next diagonal's link ratios are "
                "assumed to be added to the current selection"
            )
        neg = (k[i] >= 0) & (c[i] < 0)
        for o in np.flatnonzero(neg):
            out[i].append(
                f"origin {tri.origin[o]} has a negative latest cumulative amount: its variance uses the "
                "absolute amount"
            )
        if fit.ldf.size:
            for j in np.flatnonzero(fit.weight_sum[i] <= 0):
                if np.any(k[i] <= j):
                    out[i].append(
                        f"no link ratio from age {fit.ages[j]}: the uncertainty of that factor is not "
                        "estimated (taken as 0)"
                    )
            for j in np.flatnonzero(fit.ldf[i] == 0):
                out[i].append(
                    f"the factor from age {fit.ages[j]} is 0: the uncertainty of its estimate is taken as 0"
                )
    return out


def _default_development() -> Development:
    return Development(sigma="mack")


@dataclass(frozen=True)
class MerzWuthrich:
    """Chain ladder with the one-year (solvency) standard error of its claims development result.

    ``fit`` returns a :class:`ReserveResult` with method ``"cdr"``: ``latest``, ``ultimate``, ``ibnr`` of the
    chain ladder; ``se`` (S, O) and ``total_se`` (S,) the msep^(1/2) of the one-year CDR by origin and of the
    sum over origins; ``components``: ``cdr_process_se`` and ``cdr_parameter_se`` (Ĉ_iJ Γ̂_i^(1/2) and
    Ĉ_iJ Δ̂_i^(1/2)), ``cdr_total_process_se`` and ``cdr_total_parameter_se``, ``mack_se``/``mack_total_se``
    (Mack's ultimo msep^(1/2), same development) and ``cdf``. Formulas: see the module docstring.
    """

    development: Development = field(default_factory=_default_development)

    def fit(self, tri: Triangle, development: DevelopmentFit | None = None) -> ReserveResult:
        s, o, d = tri.shape
        if d == 0:
            return self._empty(tri, development)
        cl = ChainLadder(self.development).fit(tri, development)
        fit = cl.development
        err = cdr_errors(fit, tri)
        mack = Mack(self.development).fit(tri, fit)
        warns = merge_warnings(cl.warnings, _cdr_warnings(fit, tri))
        return ReserveResult(
            method="cdr",
            triangle=tri,
            development=fit,
            latest=cl.latest,
            ultimate=cl.ultimate,
            ibnr=cl.ibnr,
            se=err.se,
            total_se=err.total_se,
            components={
                "cdf": cl.components["cdf"],
                "cdr_process_se": np.sqrt(err.process_var),
                "cdr_parameter_se": np.sqrt(err.parameter_var),
                "cdr_total_process_se": np.sqrt(err.total_process_var),
                "cdr_total_parameter_se": np.sqrt(err.total_parameter_var),
                "mack_se": np.asarray(mack.se),
                "mack_total_se": np.asarray(mack.total_se),
            },
            parameters={
                "approximation": "linear (Merz & Wüthrich 2008, eqs. (3.17) and (3.18))",
                "tail": bool(np.any(fit.tail.factor != 1.0)),
            },
            warnings=warns,
        )

    def _empty(self, tri: Triangle, development: DevelopmentFit | None) -> ReserveResult:
        """A triangle without development columns: nothing to project, every standard error 0."""
        s, o, _ = tri.shape
        fit = development if development is not None else self.development.fit(tri)
        z = np.zeros((s, o))
        zs = np.zeros(s)
        return ReserveResult(
            method="cdr",
            triangle=tri,
            development=fit,
            latest=z,
            ultimate=z.copy(),
            ibnr=z.copy(),
            se=z.copy(),
            total_se=zs,
            components={
                "cdf": np.full((s, o), np.inf),
                "cdr_process_se": z.copy(),
                "cdr_parameter_se": z.copy(),
                "cdr_total_process_se": zs.copy(),
                "cdr_total_parameter_se": zs.copy(),
                "mack_se": z.copy(),
                "mack_total_se": zs.copy(),
            },
            parameters={
                "approximation": "linear (Merz & Wüthrich 2008, eqs. (3.17) and (3.18))",
                "tail": False,
            },
            warnings=merge_warnings(fit.warnings, _cdr_warnings(fit, tri)),
        )
