"""Transition to IFRS 17: opening CSM / loss component of a group at the transition date (Appendix C, C1–C33).

References are to IFRS 17 *Insurance Contracts* (amended June 2020) and its Illustrative Example 17
(IE186–IE191):

- **full retrospective approach** (C4–C5): the group is measured as if IFRS 17 had always applied —
  :func:`full_retrospective` runs :func:`aktuar.core.ifrs17.gmm.measure` over the whole history and returns
  the balances at the end of the period before the transition date;
- **modified retrospective approach** (C6–C19A), used when full retrospective application is impracticable
  and reasonable and supportable information exists (C6(a), C8). :func:`modified_retrospective` applies the
  permitted modifications, each recorded as a :class:`Simplification` for the disclosures of para 114–116:

  * C9–C10: assessments (grouping, onerousness, classification) made at the transition date;
  * C10/C11: groups containing contracts issued more than one year apart (no annual cohorts);
  * C12: future cash flows at initial recognition = those at the transition date adjusted by the cash flows
    known to have occurred between initial recognition and transition;
  * C13: discount rates at initial recognition from an observable yield curve approximating the IFRS 17 curve
    for at least three years before transition, or with the average spread applied
    (:func:`c13_discount_factors`);
  * C14: risk adjustment at initial recognition = RA at transition adjusted by the expected release of risk
    before transition, by reference to similar contracts issued at the transition date
    (:func:`c14_risk_adjustment`);
  * C15: the CSM at initial recognition (−FCF at initial recognition), accreted at the C13 rates, and the
    amount recognised in profit or loss before transition by comparing the coverage units provided before
    transition with those remaining at transition;
  * C16: a loss component at initial recognition, with the amounts allocated to it before transition on a
    systematic basis (here: the same coverage-unit ratio, unless a ratio is given);
  * C16A–C16C: the loss-recovery component of reinsurance held at transition
    (:func:`loss_recovery_component_at_transition`);
  * C18–C19: the cumulative insurance finance income or expenses in other comprehensive income (OCI) at
    transition when the OCI option (para 88(b)) is chosen: from the C13 rates, or nil (C18(b), C19(b));
- **fair value approach** (C20–C24): CSM = fair value of the group (IFRS 13) − FCF at the transition date, a
  loss component when negative (C20); optional grouping of contracts issued more than one year apart (C23);
  cumulative OCI determined retrospectively or nil (C24(b)–(c)).

Conventions as in :mod:`aktuar.core.ifrs17.gmm`: liability sign (positive = liability), money float64
unrounded. For reinsurance contracts held (``reinsurance_held=True``) the CSM may have either sign and there
is no loss component (para 65), and the risk adjustment (the risk transferred, given as a positive magnitude)
is reported negative, as in :mod:`aktuar.core.ifrs17.reinsurance`. ``accumulated_oci`` is the cumulative
insurance finance *expense* recognised in OCI at the transition date (liability at current rates − liability
at the locked-in rates).

Limitations: the MRA figures are the group-level amounts at the transition date; the simplifications are
applied as the caller declares them (this module cannot check that reasonable and supportable information was
unavailable, C8). For groups with direct participation features the C17 modification is
:func:`modified_retrospective_vfa`; it is not checked against IE Example 18, whose figures were not available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.ifrs17.gmm import DiscountInput, GroupInputs, discount_factors, measure
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Approach = Literal["full_retrospective", "modified_retrospective", "fair_value"]
OCIMethod = Literal["none", "retrospective", "initial_recognition_rates", "nil"]

__all__ = [
    "MRACashFlowBasis",
    "MRAInitialRecognition",
    "Simplification",
    "TransitionResult",
    "c12_c13_cash_flow_basis",
    "c13_discount_factors",
    "c14_risk_adjustment",
    "fair_value_approach",
    "full_retrospective",
    "loss_recovery_component_at_transition",
    "modified_retrospective",
    "modified_retrospective_vfa",
]


@dataclass(frozen=True)
class Simplification:
    """A transition modification used, for the disclosures of para 114–116."""

    paragraph: str
    description: str


@dataclass(frozen=True)
class MRAInitialRecognition:
    """The group at initial recognition as reconstructed by the modified retrospective approach (C12–C16).

    ``cash_flows_adjustment`` (C12), ``discounting_adjustment`` (C13) and ``risk_adjustment_adjustment`` (C14)
    are the adjustments from the transition-date amounts; ``csm`` or ``loss_component`` at initial
    recognition.
    """

    future_cash_flows: float
    discounting: float
    pv_future_cash_flows: float
    risk_adjustment: float
    fulfilment_cash_flows: float
    cash_flows_adjustment: float
    discounting_adjustment: float
    risk_adjustment_adjustment: float
    csm: float
    loss_component: float


@dataclass(frozen=True)
class TransitionResult:
    """Opening balances of one group at the transition date (liability sign).

    ``liability = fulfilment_cash_flows + csm``; the loss component is part of the fulfilment cash flows
    (para 49). ``csm_recognised_before_transition`` is the CSM released to profit or loss before transition
    (MRA, C15(c)); ``csm_accretion_before_transition`` the interest accreted on it at the C13 rates.
    """

    approach: Approach
    future_cash_flows: float | None
    discounting: float | None
    pv_future_cash_flows: float
    risk_adjustment: float
    fulfilment_cash_flows: float
    csm: float
    loss_component: float
    liability: float
    accumulated_oci: float | None
    simplifications: tuple[Simplification, ...]
    initial_recognition: MRAInitialRecognition | None = None
    csm_recognised_before_transition: float | None = None
    csm_accretion_before_transition: float | None = None
    loss_component_allocated_before_transition: float | None = None
    fair_value: float | None = None
    transition_period: int | None = None


def _num(value: float, name: str, *, nonneg: bool = False) -> float:
    x = float(value)
    if not np.isfinite(x):
        raise InputError(f"{name} must be a finite number; got {value!r}.", column=name)
    if nonneg and x < 0:
        raise InputError(f"{name} must not be negative; got {x}.", column=name)
    return x


def _oci(
    method: OCIMethod,
    *,
    retrospective_amount: float | None,
    pv_current: float,
    pv_locked_in: float | None,
    nil_paragraph: str,
) -> tuple[float | None, list[Simplification]]:
    if method == "none":
        return None, []
    if method == "retrospective":
        if retrospective_amount is None:
            raise InputError(
                "oci='retrospective' needs accumulated_oci (the cumulative OCI determined retrospectively).",
                column="accumulated_oci",
            )
        return _num(retrospective_amount, "accumulated_oci"), []
    if method == "initial_recognition_rates":
        if pv_locked_in is None:
            raise InputError(
                "oci='initial_recognition_rates' needs pv_future_cash_flows_at_locked_in_rates (the PV of "
                "the future cash flows at the transition date at the C13 rates).",
                column="pv_future_cash_flows_at_locked_in_rates",
            )
        amount = pv_current - _num(pv_locked_in, "pv_future_cash_flows_at_locked_in_rates")
        return amount, [
            Simplification(
                "C19(b)(i)",
                "cumulative OCI = PV of future cash flows at current rates − at the discount rates at "
                "initial recognition estimated applying C13",
            )
        ]
    if method == "nil":
        return 0.0, [
            Simplification(nil_paragraph, "cumulative insurance finance income or expenses in OCI set to nil")
        ]
    raise InputError(
        f"oci must be 'none', 'retrospective', 'initial_recognition_rates' or 'nil', not {method!r}.",
        column="oci",
    )


# ------------------------------------------------------------------------------------------------------------
# Full retrospective approach (C4–C5)
# ------------------------------------------------------------------------------------------------------------


def full_retrospective(inputs: GroupInputs, transition_period: int) -> TransitionResult:
    """Balances at the transition date as if IFRS 17 had always applied (C4–C5).

    ``inputs`` is the full history of the group from initial recognition (actual cash flows and the revisions
    made each year); the transition date is the end of period ``transition_period`` (1..n).
    """
    n = inputs.expected.n_periods
    if not 1 <= int(transition_period) <= n:
        raise InputError(
            f"transition_period must be a period of the group's history (1..{n}); got {transition_period}.",
            column="transition_period",
        )
    result = measure(inputs)
    p = result.periods[int(transition_period) - 1]
    pv = p.aoc.get("closing", "pv_future_cash_flows")
    ra = p.aoc.get("closing", "risk_adjustment")
    csm = p.aoc.get("closing", "csm")
    lc = float(p.loss_component.values[-1, 0])
    return TransitionResult(
        approach="full_retrospective",
        future_cash_flows=None,
        discounting=None,
        pv_future_cash_flows=pv,
        risk_adjustment=ra,
        fulfilment_cash_flows=pv + ra,
        csm=csm,
        loss_component=lc,
        liability=pv + ra + csm,
        accumulated_oci=None,
        simplifications=(),
        transition_period=int(transition_period),
    )


# ------------------------------------------------------------------------------------------------------------
# Modified retrospective approach (C6–C19A)
# ------------------------------------------------------------------------------------------------------------


def c13_discount_factors(
    observable: DiscountInput, n: int, average_spread: float | None = None
) -> FloatArray:
    """Discount factors v(0..n) at initial recognition (C13): an observable yield curve that approximates the
    IFRS 17 curve (C13(a)), or that curve with the average spread between it and the IFRS 17 curve added
    (C13(b), ``average_spread`` as an annual rate, e.g. 0.004)."""
    v = discount_factors(observable, n)
    if average_spread is None:
        return v
    spread = _num(average_spread, "average_spread")
    if spread <= -1.0:
        raise InputError("average_spread must be above -100 %.", column="average_spread")
    return v * (1.0 + spread) ** -np.arange(n + 1, dtype=np.float64)


@dataclass(frozen=True)
class MRACashFlowBasis:
    """Cash flows at the transition date and their adjustment to initial recognition (C12–C13), liability
    sign.

    ``discounting_adjustment = (pv_at_initial_recognition − undiscounted total) − (pv_future_cash_flows −
    future_cash_flows)``: the extra discounting effect of measuring all cash flows at initial recognition.
    """

    future_cash_flows: float
    pv_future_cash_flows: float
    cash_flows_before_transition: float
    pv_at_initial_recognition: float
    discounting_adjustment: float


def c12_c13_cash_flow_basis(
    past_net_outflows: npt.ArrayLike,
    future_net_outflows: npt.ArrayLike,
    *,
    initial_recognition_discount: DiscountInput,
    transition_discount: DiscountInput,
    timing: Literal["beginning", "end"] = "end",
) -> MRACashFlowBasis:
    """Net outflows per year (liability sign: premiums negative, claims positive) known to have occurred
    between initial recognition and transition (``past``, m years) and expected after it (``future``, n
    years), discounted at the transition date (current rates) and at initial recognition (C13 rates, m+n
    years); ``timing`` of the cash flows within each year."""
    past = np.atleast_1d(np.asarray(past_net_outflows, dtype=np.float64))
    future = np.atleast_1d(np.asarray(future_net_outflows, dtype=np.float64))
    if past.ndim != 1 or future.ndim != 1 or not (np.all(np.isfinite(past)) and np.all(np.isfinite(future))):
        raise InputError("cash flows must be finite numbers, one per year.", column="cash_flows")
    m, n = past.shape[0], future.shape[0]
    if n == 0:
        future = np.zeros(1)
        n = 1
    off = 0 if timing == "beginning" else 1
    if timing not in ("beginning", "end"):
        raise InputError(f"timing must be 'beginning' or 'end', not {timing!r}.", column="timing")
    v_tr = discount_factors(transition_discount, n)
    v_ir = discount_factors(initial_recognition_discount, m + n)
    pv_tr = float(future @ v_tr[off : off + n])
    all_flows = np.concatenate([past, future])
    pv_ir = float(all_flows @ v_ir[off : off + m + n])
    und_future = float(future.sum())
    und_past = float(past.sum())
    adjustment = (pv_ir - (und_past + und_future)) - (pv_tr - und_future)
    return MRACashFlowBasis(und_future, pv_tr, und_past, pv_ir, adjustment)


def c14_risk_adjustment(ra_at_transition: float, fraction_released_similar: float) -> float:
    """RA at initial recognition (C14): the RA at transition grossed up for the expected release of risk
    before transition, ``RA_tr / (1 − f)``, where ``f`` is the share of the risk adjustment that similar
    contracts issued at the transition date release over the same elapsed time (0 ≤ f < 1)."""
    ra = _num(ra_at_transition, "ra_at_transition", nonneg=True)
    f = _num(fraction_released_similar, "fraction_released_similar", nonneg=True)
    if f >= 1.0:
        raise InputError(
            "fraction_released_similar must be below 1 (100 %).", column="fraction_released_similar"
        )
    return ra / (1.0 - f)


def loss_recovery_component_at_transition(
    underlying_loss_component: float, recovery_percentage: float, *, information_available: bool = True
) -> float:
    """Loss-recovery component of reinsurance held at transition (C16A–C16C): the underlying loss component at
    transition × the percentage of claims expected to be recovered; nil without reasonable and supportable
    information (C16C)."""
    lc = _num(underlying_loss_component, "underlying_loss_component", nonneg=True)
    pct = _num(recovery_percentage, "recovery_percentage", nonneg=True)
    if pct > 1.0:
        raise InputError("recovery_percentage must be between 0 and 1.", column="recovery_percentage")
    return lc * pct if information_available else 0.0


def modified_retrospective(
    *,
    future_cash_flows: float,
    pv_future_cash_flows: float,
    risk_adjustment: float,
    cash_flows_before_transition: float,
    discounting_adjustment: float,
    coverage_units_before: float | Sequence[float] | FloatArray,
    coverage_units_remaining: float,
    risk_adjustment_release_before_transition: float | None = None,
    fraction_of_risk_released_similar: float | None = None,
    initial_recognition_discount: DiscountInput = 0.0,
    loss_component_allocated_fraction: float | None = None,
    reinsurance_held: bool = False,
    assessments_at_transition: bool = False,
    cohorts_aggregated: bool = False,
    observable_curve: bool = True,
    oci: OCIMethod = "none",
    accumulated_oci: float | None = None,
    pv_future_cash_flows_at_locked_in_rates: float | None = None,
) -> TransitionResult:
    """CSM or loss component at the transition date by the modified retrospective approach (C6–C19A).

    At the transition date: ``future_cash_flows`` (undiscounted), ``pv_future_cash_flows`` (current rates),
    ``risk_adjustment``. C12: ``cash_flows_before_transition`` (net outflows known to have occurred between
    initial recognition and transition, undiscounted; premiums received are negative). C13:
    ``discounting_adjustment`` (see :func:`c12_c13_cash_flow_basis`); ``observable_curve`` says whether the
    C13 rates come from an approximating observable curve (C13(a)) or an average spread (C13(b)). C14: either
    the ``risk_adjustment_release_before_transition`` or the ``fraction_of_risk_released_similar`` contracts.
    C15: ``coverage_units_before`` (a total, or one value per year before transition, for interest accretion
    at ``initial_recognition_discount`` year by year) and ``coverage_units_remaining`` at transition. C16:
    ``loss_component_allocated_fraction`` (default: the coverage-unit share provided before transition).
    C9–C11 flags record assessments at transition and groups spanning more than one year. OCI (C18–C19):
    ``oci`` = 'none' (no disaggregation), 'retrospective' (``accumulated_oci``), 'initial_recognition_rates'
    (needs ``pv_future_cash_flows_at_locked_in_rates``) or 'nil'.
    """
    fut = _num(future_cash_flows, "future_cash_flows")
    pv_tr = _num(pv_future_cash_flows, "pv_future_cash_flows")
    ra_tr = _num(risk_adjustment, "risk_adjustment", nonneg=True)
    cf_adj = _num(cash_flows_before_transition, "cash_flows_before_transition")
    disc_adj = _num(discounting_adjustment, "discounting_adjustment")
    simplifications: list[Simplification] = []
    if assessments_at_transition:
        simplifications.append(
            Simplification(
                "C9–C10", "assessments at initial recognition made with information at the transition date"
            )
        )
    if cohorts_aggregated:
        simplifications.append(
            Simplification(
                "C10/C11", "group includes contracts issued more than one year apart (no annual cohorts)"
            )
        )
    simplifications.append(
        Simplification(
            "C12",
            "future cash flows at initial recognition = cash flows at the transition date adjusted by cash "
            "flows known to have occurred between initial recognition and transition",
        )
    )
    simplifications.append(
        Simplification(
            "C13(a)" if observable_curve else "C13(b)",
            "discount rates at initial recognition from an observable yield curve "
            + ("approximating the IFRS 17 curve" if observable_curve else "plus the average spread"),
        )
    )

    # C14: risk adjustment at initial recognition.
    if (risk_adjustment_release_before_transition is None) == (fraction_of_risk_released_similar is None):
        raise InputError(
            "give exactly one of risk_adjustment_release_before_transition or "
            "fraction_of_risk_released_similar (C14).",
            column="risk_adjustment_release_before_transition",
        )
    if fraction_of_risk_released_similar is not None:
        ra_ir = c14_risk_adjustment(ra_tr, fraction_of_risk_released_similar)
    else:
        assert risk_adjustment_release_before_transition is not None
        ra_ir = ra_tr + _num(
            risk_adjustment_release_before_transition,
            "risk_adjustment_release_before_transition",
            nonneg=True,
        )
    simplifications.append(
        Simplification(
            "C14",
            "risk adjustment at initial recognition = RA at transition adjusted by the expected release of "
            "risk before transition, by reference to similar contracts issued at the transition date",
        )
    )

    if reinsurance_held:  # risk transferred to the reinsurer reduces the net liability (para 64)
        ra_tr, ra_ir = -ra_tr, -ra_ir
    und_ir = fut + cf_adj
    discounting_ir = (pv_tr - fut) + disc_adj
    pv_ir = und_ir + discounting_ir
    fcf_ir = pv_ir + ra_ir
    csm_ir = -fcf_ir if reinsurance_held else max(0.0, -fcf_ir)
    lc_ir = 0.0 if reinsurance_held else max(0.0, fcf_ir)
    initial = MRAInitialRecognition(
        future_cash_flows=und_ir,
        discounting=discounting_ir,
        pv_future_cash_flows=pv_ir,
        risk_adjustment=ra_ir,
        fulfilment_cash_flows=fcf_ir,
        cash_flows_adjustment=cf_adj,
        discounting_adjustment=disc_adj,
        risk_adjustment_adjustment=ra_ir - ra_tr,
        csm=csm_ir,
        loss_component=lc_ir,
    )

    # C15: CSM accreted at the C13 rates and released by coverage units before transition.
    cu_before = np.atleast_1d(np.asarray(coverage_units_before, dtype=np.float64))
    cu_rem = _num(coverage_units_remaining, "coverage_units_remaining", nonneg=True)
    if (
        cu_before.ndim != 1
        or cu_before.shape[0] == 0
        or not np.all(np.isfinite(cu_before))
        or np.any(cu_before < 0)
    ):
        raise InputError(
            "coverage_units_before must be one or more non-negative numbers (a total or one per year before "
            "transition).",
            column="coverage_units_before",
        )
    total_cu = float(cu_before.sum()) + cu_rem
    if total_cu <= 0.0:
        raise InputError(
            "coverage units before and after transition must have a positive total.", column="coverage_units"
        )
    m = cu_before.shape[0]
    v = discount_factors(initial_recognition_discount, m)
    csm = csm_ir
    released = accreted = 0.0
    remaining_after = cu_rem + np.cumsum(cu_before[::-1])[::-1]  # units from year t on
    for t in range(m):
        interest = csm * (float(v[t] / v[t + 1]) - 1.0)
        accreted += interest
        csm += interest
        release = csm * float(cu_before[t] / remaining_after[t]) if remaining_after[t] > 0 else 0.0
        released += release
        csm -= release
    simplifications.append(
        Simplification(
            "C15",
            "CSM recognised in profit or loss before transition by comparing coverage units provided before "
            "transition with those remaining at transition; interest accreted at the C13 rates",
        )
    )

    # C16: loss component allocated before transition on a systematic basis.
    lc_alloc = 0.0
    if lc_ir > 0.0:
        frac = (
            float(cu_before.sum()) / total_cu
            if loss_component_allocated_fraction is None
            else _num(loss_component_allocated_fraction, "loss_component_allocated_fraction", nonneg=True)
        )
        if frac > 1.0:
            raise InputError(
                "loss_component_allocated_fraction must be between 0 and 1.", column="loss_component"
            )
        lc_alloc = lc_ir * frac
        simplifications.append(
            Simplification(
                "C16",
                "loss component at initial recognition allocated before transition on a systematic basis",
            )
        )
    lc = lc_ir - lc_alloc

    oci_amount, oci_simpl = _oci(
        oci,
        retrospective_amount=accumulated_oci,
        pv_current=pv_tr,
        pv_locked_in=pv_future_cash_flows_at_locked_in_rates,
        nil_paragraph="C18(b)/C19(b)(ii)",
    )
    simplifications.extend(oci_simpl)
    fcf_tr = pv_tr + ra_tr
    return TransitionResult(
        approach="modified_retrospective",
        future_cash_flows=fut,
        discounting=pv_tr - fut,
        pv_future_cash_flows=pv_tr,
        risk_adjustment=ra_tr,
        fulfilment_cash_flows=fcf_tr,
        csm=csm,
        loss_component=lc,
        liability=fcf_tr + csm,
        accumulated_oci=oci_amount,
        simplifications=tuple(simplifications),
        initial_recognition=initial,
        csm_recognised_before_transition=released,
        csm_accretion_before_transition=accreted,
        loss_component_allocated_before_transition=lc_alloc,
    )


def modified_retrospective_vfa(
    *,
    fair_value_of_underlying_items: float,
    pv_future_cash_flows: float,
    risk_adjustment: float,
    charges_before_transition: float,
    payments_not_varying_before_transition: float,
    risk_adjustment_release_before_transition: float,
    coverage_units_before: float,
    coverage_units_remaining: float,
    oci: OCIMethod = "none",
    accumulated_oci: float | None = None,
) -> TransitionResult:
    """CSM at the transition date of a group with direct participation features (C17).

    ``fair value of the underlying items − FCF`` at transition (C17(a)), plus the amounts charged to
    policyholders before transition (including deductions from underlying items), minus the amounts paid
    before transition that did not vary with the underlying items and minus the release of risk before
    transition (by reference to similar contracts) (C17(b)); a CSM is then reduced by the part relating to
    service before transition, by coverage units (C17(c)); a loss component is set to nil and the liability
    for remaining coverage excluding it increased by the same amount (C17(d)), so the liability equals the
    FCF.
    """
    fvu = _num(fair_value_of_underlying_items, "fair_value_of_underlying_items")
    pv = _num(pv_future_cash_flows, "pv_future_cash_flows")
    ra = _num(risk_adjustment, "risk_adjustment", nonneg=True)
    charges = _num(charges_before_transition, "charges_before_transition")
    paid = _num(payments_not_varying_before_transition, "payments_not_varying_before_transition")
    ra_rel = _num(
        risk_adjustment_release_before_transition, "risk_adjustment_release_before_transition", nonneg=True
    )
    cu_b = _num(coverage_units_before, "coverage_units_before", nonneg=True)
    cu_r = _num(coverage_units_remaining, "coverage_units_remaining", nonneg=True)
    if cu_b + cu_r <= 0.0:
        raise InputError(
            "coverage units before and after transition must have a positive total.", column="coverage_units"
        )
    fcf = pv + ra
    margin = fvu - fcf + charges - paid - ra_rel
    csm_before_service = max(0.0, margin)
    released = csm_before_service * cu_b / (cu_b + cu_r)
    csm = csm_before_service - released
    simpl = [
        Simplification(
            "C17(a)–(b)",
            "CSM from the fair value of the underlying items at transition adjusted by charges, payments not "
            "varying with the underlying items and the release of risk before transition",
        ),
        Simplification(
            "C17(c)", "CSM relating to service before transition removed by comparing coverage units"
        ),
    ]
    if margin < 0.0:
        simpl.append(
            Simplification(
                "C17(d)",
                "loss component set to nil; liability for remaining coverage excluding it increased by the "
                "same amount",
            )
        )
    oci_amount, oci_simpl = _oci(
        oci,
        retrospective_amount=accumulated_oci,
        pv_current=pv,
        pv_locked_in=None,
        nil_paragraph="C19(b)(ii)",
    )
    simpl.extend(oci_simpl)
    return TransitionResult(
        approach="modified_retrospective",
        future_cash_flows=None,
        discounting=None,
        pv_future_cash_flows=pv,
        risk_adjustment=ra,
        fulfilment_cash_flows=fcf,
        csm=csm,
        loss_component=0.0,
        liability=fcf + csm,
        accumulated_oci=oci_amount,
        simplifications=tuple(simpl),
        csm_recognised_before_transition=released,
    )


# ------------------------------------------------------------------------------------------------------------
# Fair value approach (C20–C24)
# ------------------------------------------------------------------------------------------------------------


def fair_value_approach(
    *,
    fair_value: float,
    pv_future_cash_flows: float,
    risk_adjustment: float,
    future_cash_flows: float | None = None,
    reinsurance_held: bool = False,
    cohorts_aggregated: bool = False,
    assessments_at_transition: bool = False,
    oci: OCIMethod = "none",
    accumulated_oci: float | None = None,
) -> TransitionResult:
    """CSM (or loss component) at the transition date = fair value of the group − FCF at that date (C20).

    ``fair_value`` is the IFRS 13 fair value of the group in the liability sign (the price to transfer the
    obligation; for reinsurance held the asset is negative). ``cohorts_aggregated`` records C23 (contracts
    issued more than one year apart in one group), ``assessments_at_transition`` C21–C22. OCI (C24):
    'retrospective' with ``accumulated_oci`` (C24(b)(i)/(c)) or 'nil' (C24(b)(ii));
    'initial_recognition_rates' is not available.
    """
    fv = _num(fair_value, "fair_value")
    pv = _num(pv_future_cash_flows, "pv_future_cash_flows")
    ra = _num(risk_adjustment, "risk_adjustment", nonneg=True)
    if oci == "initial_recognition_rates":
        raise InputError(
            "under the fair value approach the cumulative OCI is determined retrospectively or set to nil "
            "(C24); use oci='retrospective' or 'nil'.",
            column="oci",
        )
    if reinsurance_held:
        ra = -ra  # risk transferred to the reinsurer reduces the net liability (para 64)
    fcf = pv + ra
    diff = fv - fcf
    csm = diff if reinsurance_held else max(0.0, diff)
    lc = 0.0 if reinsurance_held else max(0.0, -diff)
    simpl = [
        Simplification("C20", "CSM at transition = fair value of the group (IFRS 13) − fulfilment cash flows")
    ]
    if assessments_at_transition:
        simpl.append(Simplification("C21–C22", "assessments made with information at the transition date"))
    if cohorts_aggregated:
        simpl.append(Simplification("C23", "group includes contracts issued more than one year apart"))
    oci_amount, oci_simpl = _oci(
        oci,
        retrospective_amount=accumulated_oci,
        pv_current=pv,
        pv_locked_in=None,
        nil_paragraph="C24(b)(ii)",
    )
    simpl.extend(oci_simpl)
    fut = None if future_cash_flows is None else _num(future_cash_flows, "future_cash_flows")
    return TransitionResult(
        approach="fair_value",
        future_cash_flows=fut,
        discounting=None if fut is None else pv - fut,
        pv_future_cash_flows=pv,
        risk_adjustment=ra,
        fulfilment_cash_flows=fcf,
        csm=csm,
        loss_component=lc,
        liability=fcf + csm,
        accumulated_oci=oci_amount,
        simplifications=tuple(simpl),
        fair_value=fv,
    )
