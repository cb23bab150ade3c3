"""Additional risks of the insurer and the increase of the insurance reserves they call for (NB Resolution
No. 191, Appendix 1, item 8(9): "conclusion on the presence or absence of additional risks … If there are
additional risks, the amount of the increase in insurance reserves is indicated").

The Resolution asks for the conclusion and the amount; it does not prescribe how risks are found or measured.
Each assessment below is a separate, documented calculation whose parameters the actuary chooses (in the
statutory close configuration, ``[additional_risks]``) and which records its basis in words, so that the
opinion shows what was tested, with which parameters, and what it added. An assessment that finds no risk is
recorded as tested and absent (the conclusion "no additional risks" needs the tests behind it).

**Run-off deficiency** (from the adequacy test of item 9(2)). A class whose claims reserves at the start of the
12 months were insufficient (payments in the period + the re-estimated reserve at the end > the reserve at the
start, ``R0 < P + R1``) was under-reserved by the ratio ``d = (P + R1 − R0) / R0``. If the same methods and
assumptions produced today's claims reserve ``R``, the same proportion is expected to be missing:
``increase = d × R`` (only where ``d`` exceeds the materiality ``m``, default 0). A class with no claims reserve
at the start whose claims nevertheless ran off (``P + R1 > 0``) has no ratio: the shortfall ``P + R1`` itself is
added.

**Reserve uncertainty.** The claims reserve ``R`` of a class is a best estimate with a standard error ``se``
(Mack 1993 on the class's incurred triangle with the development the reserve used; for a Bornhuetter–Ferguson
reserve the chain ladder's coefficient of variation ``se_CL / IBNR_CL`` is applied to the BF IBNR — an
approximation, recorded). With a lognormal distribution of the
reserve with that mean and standard deviation (``σ² = ln(1 + (se/R)²)``, ``μ = ln R − σ²/2``) the reserve at the
confidence level ``α`` is ``q_α = exp(μ + σ·Φ⁻¹(α))`` and ``increase = max(q_α − R, 0)`` — the margin that
brings the reserve to ``α`` (the approach of IFRS 17 para 119 and of the RA confidence level; England &
Verrall 2002, section 7, for the lognormal with Mack's moments).

**Reinsurer default.** The reinsurer's share ``S`` in the reserves of a class is recovered only if the reinsurer
pays. With a one-year probability of default ``PD`` (the actuary's figure for the reinsurer's rating) and a loss
given default ``LGD`` (default 50 %, the recovery rate for reinsurers of the Solvency II Delegated Regulation
(EU) 2015/35, Art. 192(2)): ``increase = S × PD × LGD`` — the expected credit loss on the recoverable.

**Excess claims inflation.** The expected payments of a class's claims reserve by future year ``CF_j``
(j = 1, 2, …, paid in the middle of the year, the chain-ladder payment pattern) were estimated from past
development, which embeds past inflation. If inflation is expected to run above the past level by ``i`` a year:
``increase = Σ_j CF_j·((1 + i)^(j − ½) − 1)`` (with periods shorter than a year, ``t_j = (j − ½)·Δ``).

**Actuary's judgement.** A named risk (a court case, a catastrophe after the valuation date, a change of law)
with an amount and the reason, per class or for the whole portfolio.

Money is float64, not rounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from aktuar.core.statutory.adequacy import AdequacyResult
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

KINDS = ("runoff_deficiency", "reserve_uncertainty", "reinsurer_default", "excess_inflation", "judgement")

__all__ = [
    "KINDS", "AdditionalRisk", "AdditionalRisksResult", "JudgementItem", "ReinsurerExposure", "assess",
    "excess_inflation", "lognormal_margin", "reinsurer_default", "reserve_uncertainty", "runoff_deficiency",
]


@dataclass(frozen=True)
class AdditionalRisk:
    """One assessment for one class (``class_name``; ``None`` for the whole portfolio)."""

    kind: str
    class_name: str | None
    exposure: float  # the amount the risk applies to (a reserve, a reinsurer's share)
    parameter: float | None  # the ratio, confidence level, PD × LGD, excess rate or None
    increase: float  # ≥ 0
    basis: str  # how it was computed, with the numbers, in English (the opinion renders its own words)
    reason: str = ""  # the actuary's reason (judgement items)

    @property
    def present(self) -> bool:
        return self.increase > 0.0


@dataclass(frozen=True)
class AdditionalRisksResult:
    classes: tuple[str, ...]
    risks: tuple[AdditionalRisk, ...]
    tested: tuple[str, ...]  # the kinds that were assessed (present or not)

    @property
    def total(self) -> float:
        return float(sum(r.increase for r in self.risks))

    @property
    def present(self) -> bool:
        return any(r.present for r in self.risks)

    def by_class(self) -> dict[str, float]:
        """Increase per class (the portfolio-level items under the key ``""``)."""
        out = {c: 0.0 for c in self.classes}
        for r in self.risks:
            key = r.class_name if r.class_name is not None else ""
            out[key] = out.get(key, 0.0) + r.increase
        return out


@dataclass(frozen=True)
class ReinsurerExposure:
    """The reinsurer's share in one class's reserves with its default assumptions."""

    class_name: str
    share: float
    pd: float
    lgd: float = 0.5
    reinsurer: str = ""


@dataclass(frozen=True)
class JudgementItem:
    title: str
    amount: float
    reason: str
    class_name: str | None = None


def _amount(x: float, what: str) -> float:
    v = float(x)
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{what} must be an amount ≥ 0, not {x!r}", column=what)
    return v


def _rate(x: float, what: str, lo: float, hi: float) -> float:
    v = float(x)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InputError(f"{what} must be between {lo:g} and {hi:g}, not {x!r}", column=what)
    return v


def runoff_deficiency(adequacy: AdequacyResult, claims_reserves: Mapping[str, float], *,
                      materiality: float = 0.0) -> list[AdditionalRisk]:
    """The run-off deficiency of each insufficient class applied to its current claims reserve."""
    m = _rate(materiality, "runoff_materiality", 0.0, 10.0)
    out: list[AdditionalRisk] = []
    for ln in adequacy.lines[:-1]:
        if ln.name not in claims_reserves:
            continue
        reserve = _amount(claims_reserves[ln.name], f"claims reserve of {ln.name}")
        if ln.reserve_start <= 0:
            short = ln.paid + ln.reserve_end - ln.reserve_start
            if short > 0 and not ln.sufficient:
                out.append(AdditionalRisk(
                    "runoff_deficiency", ln.name, reserve, None, short,
                    f"no claims reserve at the start, while payments ({ln.paid:,.2f}) and the re-estimated reserve "
                    f"({ln.reserve_end:,.2f}) for those claims came to {short:,.2f}: no ratio to apply, the "
                    "shortfall itself is added"))
            else:
                out.append(AdditionalRisk("runoff_deficiency", ln.name, reserve, None, 0.0,
                                          "no claims reserve at the start and no run-off of claims incurred before it"))
            continue
        d = (ln.paid + ln.reserve_end - ln.reserve_start) / ln.reserve_start
        if d > m and not ln.sufficient:
            out.append(AdditionalRisk(
                "runoff_deficiency", ln.name, reserve, d, d * reserve,
                f"the reserve at the start ({ln.reserve_start:,.2f}) fell short of payments ({ln.paid:,.2f}) plus the "
                f"re-estimated reserve ({ln.reserve_end:,.2f}) by {d:.2%}; {d:.2%} × the current claims reserve "
                f"{reserve:,.2f}"))
        else:
            out.append(AdditionalRisk(
                "runoff_deficiency", ln.name, reserve, max(d, 0.0), 0.0,
                "the claims reserve at the start was sufficient over the 12 months" if d <= 0 else
                f"run-off deficiency {d:.2%} is within the materiality {m:.2%}"))
    return out


def lognormal_margin(best_estimate: float, se: float, confidence: float) -> float:
    """``max(q_α − BE, 0)`` for a lognormal with mean ``BE`` and standard deviation ``se``."""
    be = _amount(best_estimate, "best estimate")
    s = _amount(se, "standard error")
    a = _rate(confidence, "uncertainty_confidence", 0.5, 0.9999)
    if be == 0.0 or s == 0.0:
        return 0.0
    sigma2 = math.log1p((s / be) ** 2)
    mu = math.log(be) - sigma2 / 2.0
    q = math.exp(mu + math.sqrt(sigma2) * float(norm.ppf(a)))
    return max(q - be, 0.0)


def reserve_uncertainty(reserves: Mapping[str, float], se: Mapping[str, float | None], confidence: float, *,
                        method: Mapping[str, str] | None = None) -> list[AdditionalRisk]:
    """The margin to the ``confidence`` quantile of each class's claims reserve (lognormal with Mack's s.e.)."""
    _rate(confidence, "uncertainty_confidence", 0.5, 0.9999)
    out: list[AdditionalRisk] = []
    for c, r in reserves.items():
        reserve = _amount(r, f"claims reserve of {c}")
        s = se.get(c)
        if s is None or not math.isfinite(s):
            out.append(AdditionalRisk("reserve_uncertainty", c, reserve, confidence, 0.0,
                                      "no standard error could be estimated for this class (too little development "
                                      "data for Mack's method); not assessed"))
            continue
        inc = lognormal_margin(reserve, s, confidence)
        how = (method or {}).get(c, "Mack's standard error of the chain-ladder reserve")
        cv = s / reserve if reserve > 0 else 0.0
        out.append(AdditionalRisk(
            "reserve_uncertainty", c, reserve, confidence, inc,
            f"lognormal reserve with mean {reserve:,.2f} and standard error {s:,.2f} (CV {cv:.1%}; {how}); "
            f"the {confidence:.1%} quantile exceeds the best estimate by {inc:,.2f}"))
    return out


def reinsurer_default(exposures: Sequence[ReinsurerExposure]) -> list[AdditionalRisk]:
    """The expected credit loss on the reinsurer's share of each class: ``S × PD × LGD``."""
    out: list[AdditionalRisk] = []
    for e in exposures:
        s = _amount(e.share, f"reinsurer's share of {e.class_name}")
        pd = _rate(e.pd, f"reinsurer[{e.class_name}].pd", 0.0, 1.0)
        lgd = _rate(e.lgd, f"reinsurer[{e.class_name}].lgd", 0.0, 1.0)
        who = f"reinsurer {e.reinsurer}: " if e.reinsurer else ""
        out.append(AdditionalRisk(
            "reinsurer_default", e.class_name, s, pd * lgd, s * pd * lgd,
            f"{who}reinsurer's share {s:,.2f} × probability of default {pd:.2%} × loss given default {lgd:.0%}"))
    return out


def excess_inflation(payments: Mapping[str, Sequence[float] | FloatArray], rate: float, *,
                     period_years: float = 1.0) -> list[AdditionalRisk]:
    """The effect of inflation ``rate`` a year above the past on each class's expected payments by future
    period of ``period_years`` years (payments in the middle of the period)."""
    i = _rate(rate, "excess_inflation", -0.5, 1.0)
    step = _rate(period_years, "period_years", 1e-6, 100.0)
    out: list[AdditionalRisk] = []
    for c, flows in payments.items():
        cf = np.asarray(flows, dtype=np.float64).reshape(-1)
        if not np.isfinite(cf).all():
            raise InputError(f"the expected payments of {c} are not finite", column=c)
        total = float(cf.sum())
        t = (np.arange(1, cf.size + 1, dtype=np.float64) - 0.5) * step
        inc = float((cf * ((1.0 + i) ** t - 1.0)).sum())
        term = float((cf * t).sum() / total) if total > 0 else 0.0
        out.append(AdditionalRisk(
            "excess_inflation", c, total, i, max(inc, 0.0),
            f"expected payments {total:,.2f} over {cf.size * step:g} years (mean term {term:.2f} years) with inflation "
            f"{i:.2%} a year above the past: {inc:,.2f}"))
    return out


def assess(classes: Sequence[str], *, adequacy: AdequacyResult | None = None,
           claims_reserves: Mapping[str, float] | None = None, runoff: bool = False,
           runoff_materiality: float = 0.0, standard_errors: Mapping[str, float | None] | None = None,
           confidence: float | None = None, se_method: Mapping[str, str] | None = None,
           reinsurers: Sequence[ReinsurerExposure] = (), payments: Mapping[str, Sequence[float] | FloatArray]
           | None = None, period_years: float = 1.0, inflation: float | None = None, judgement: Sequence[JudgementItem] = ()
           ) -> AdditionalRisksResult:
    """Every assessment the actuary asked for, in the order of :data:`KINDS`."""
    known = set(classes)
    risks: list[AdditionalRisk] = []
    tested: list[str] = []
    reserves = dict(claims_reserves or {})
    if runoff:
        if adequacy is None:
            raise InputError("the run-off deficiency needs the adequacy test")
        risks += runoff_deficiency(adequacy, reserves, materiality=runoff_materiality)
        tested.append("runoff_deficiency")
    if confidence is not None:
        risks += reserve_uncertainty(reserves, standard_errors or {}, confidence, method=se_method)
        tested.append("reserve_uncertainty")
    if reinsurers:
        for e in reinsurers:
            if e.class_name not in known:
                raise InputError(f"reinsurer exposure of unknown class '{e.class_name}'", column="class")
        risks += reinsurer_default(reinsurers)
        tested.append("reinsurer_default")
    if inflation is not None:
        risks += excess_inflation(payments or {}, inflation, period_years=period_years)
        tested.append("excess_inflation")
    for j in judgement:
        if j.class_name is not None and j.class_name not in known:
            raise InputError(f"additional risk '{j.title}' names unknown class '{j.class_name}'", column="class")
        if not j.title.strip() or not j.reason.strip():
            raise InputError("an additional risk by the actuary's judgement needs a title and a reason",
                             column="reason")
        amount = _amount(j.amount, f"amount of '{j.title}'")
        risks.append(AdditionalRisk("judgement", j.class_name, amount, None, amount, j.title, j.reason))
    if judgement:
        tested.append("judgement")
    return AdditionalRisksResult(tuple(classes), tuple(risks), tuple(tested))
