"""Mack's distribution-free standard error of chain-ladder reserves.

Model (Mack 1993, "Distribution-free calculation of the standard error of chain ladder reserve estimates",
ASTIN Bulletin 23(2)): E[C_{i,k+1} | C_ik] = f_k C_ik, Var[C_{i,k+1} | C_ik] = σ_k² C_ik^α (α = 1 for the
volume-weighted chain ladder), origins independent.

The mean squared error of prediction of origin i's ultimate is computed with Mack's (1999) recursion, which
equals the 1993 closed form and carries a tail factor as one more development step ("The standard error of
chain ladder reserve estimates: recursive calculation and inclusion of a tail factor", ASTIN Bulletin 29(2)):

    process:   P_{k+1} = f_k² P_k + σ_k² Ĉ_ik^α
    parameter: Q_{k+1} = f_k² Q_k + Ĉ_ik² s.e.(f_k)²,         P = Q = 0 at the latest age of origin i

so that Q_U = Ĉ_iU² Σ_k s.e.(f_k)²/f_k². For the total reserve the parameter errors of different origins are
correlated through the shared factors (Mack 1993, Theorem 3 / eq. for mse(R̂)):

    mse(R̂) = Σ_i mse(R̂_i) + Σ_{i≠j} Ĉ_iU Ĉ_jU Σ_{k ≥ max(L_i, L_j)} s.e.(f_k)²/f_k²

computed here as Σ_k s.e.(f_k)²/f_k² · (A_k² − B_k) with A_k = Σ_{i: L_i ≤ k} Ĉ_iU and B_k = Σ_{i: L_i ≤ k} Ĉ_iU².
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import Development, DevelopmentFit
from aktuar.core.reserving.methods import ChainLadder
from aktuar.core.reserving.results import ReserveResult, merge_warnings
from aktuar.core.reserving.triangles import Triangle

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MackErrors:
    """Mack's mse components per segment and origin (and in total)."""

    ultimate: FloatArray  # (S, O)
    process_var: FloatArray  # (S, O)
    parameter_var: FloatArray  # (S, O)
    total_process_var: FloatArray  # (S,)
    total_parameter_var: FloatArray  # (S,)

    @property
    def se(self) -> FloatArray:
        return np.sqrt(self.process_var + self.parameter_var)

    @property
    def total_se(self) -> FloatArray:
        return np.sqrt(self.total_process_var + self.total_parameter_var)


def mack_errors(fit: DevelopmentFit, tri: Triangle) -> MackErrors:
    """Process and parameter variance of each origin's ultimate and of the total, for a fitted development."""
    latest = tri.latest()
    last = tri.latest_index()
    s, o, d = tri.shape
    alpha = fit.alpha
    has_tail = fit.tail.factor != 1.0
    # development steps: d − 1 age-to-age steps, then the tail step (factor 1 and no error without a tail)
    f = np.concatenate([fit.ldf, fit.tail.factor[:, None]], axis=1)  # (S, D)
    sig2 = np.concatenate([fit.sigma**2, np.where(has_tail, fit.tail.sigma**2, 0.0)[:, None]], axis=1)
    se2 = np.concatenate([fit.std_err**2, np.where(has_tail, fit.tail.std_err**2, 0.0)[:, None]], axis=1)
    sig2 = np.nan_to_num(sig2)
    se2 = np.nan_to_num(se2)

    c = np.where(last >= 0, latest, 0.0)
    proc = np.zeros((s, o))
    par = np.zeros((s, o))
    for k in range(d):
        active = last <= k  # origins whose projection passes step k (no-data origins have last = −1 and c = 0)
        fk = f[:, k][:, None]
        proc = np.where(active, fk**2 * proc + sig2[:, k][:, None] * np.abs(c) ** alpha, proc)
        par = np.where(active, fk**2 * par + c**2 * se2[:, k][:, None], par)
        c = np.where(active, c * fk, c)
    ultimate = c

    # covariance of the parameter errors between origins
    r = np.divide(se2, f**2, out=np.zeros_like(se2), where=f != 0)  # (S, D)
    steps = np.arange(d)
    in_k = last[:, :, None] <= steps[None, None, :]  # (S, O, D)
    a_k = np.einsum("so,sok->sk", ultimate, in_k)
    b_k = np.einsum("so,sok->sk", ultimate**2, in_k)
    cross = (r * (a_k**2 - b_k)).sum(axis=1)
    return MackErrors(
        ultimate=ultimate,
        process_var=proc,
        parameter_var=par,
        total_process_var=proc.sum(axis=1),
        total_parameter_var=par.sum(axis=1) + cross,
    )


@dataclass(frozen=True)
class Mack:
    """Mack chain ladder: the chain-ladder reserve with its standard error by origin and in total.

    ``se`` is the root mean squared error of prediction of the reserve (= of the ultimate); ``components``
    holds ``process_se``, ``parameter_se`` (S, O), ``total_process_se``, ``total_parameter_se`` (S,) and the
    coefficient of variation ``cv`` (se / IBNR).
    """

    development: Development = field(default_factory=Development)

    def fit(self, tri: Triangle, development: DevelopmentFit | None = None) -> ReserveResult:
        cl = ChainLadder(self.development).fit(tri, development)
        fit = cl.development
        err = mack_errors(fit, tri)
        se = err.se
        warns = merge_warnings(cl.warnings)
        negative = np.asarray((np.nan_to_num(tri.cum().values) < 0).any(axis=(1, 2)))
        for i in range(tri.n_segments):
            if negative[i]:
                warns[i].append("negative cumulative amounts: Mack's variance σ²·C needs positive amounts, |C| is used")
            if fit.average != "volume":
                msg = f"Mack's variance assumption uses α = {fit.alpha:g} ({fit.average} average)"
                if msg not in warns[i]:
                    warns[i].append(msg)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(cl.ibnr != 0, se / np.abs(cl.ibnr), np.nan)
        return ReserveResult(
            method="mack",
            triangle=tri,
            development=fit,
            latest=cl.latest,
            ultimate=cl.ultimate,
            ibnr=cl.ibnr,
            se=se,
            total_se=err.total_se,
            components={
                "cdf": cl.components["cdf"],
                "process_se": np.sqrt(err.process_var),
                "parameter_se": np.sqrt(err.parameter_var),
                "total_process_se": np.sqrt(err.total_process_var),
                "total_parameter_se": np.sqrt(err.total_parameter_var),
                "cv": cv,
            },
            parameters={"sigma": "mack" if fit.selections and "Mack" in " ".join(fit.selections) else "loglinear"},
            warnings=warns,
        )
