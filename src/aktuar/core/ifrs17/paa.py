"""Premium allocation approach (PAA) for a group of insurance contracts: IFRS 17 paragraphs 53–59, B126.

Per reporting period ``t = 0 … T−1`` of one group:

* **liability for remaining coverage** (para 55(b)): ``closing = opening + premiums received − acquisition cash
  flows paid + amortisation of acquisition cash flows + financing accretion − insurance revenue``; acquisition
  cash flows are expensed instead when the entity elects para 59(a) (coverage of each contract ≤ 1 year);
* **insurance revenue** (B126): expected premium receipts allocated to the period by the release pattern
  (passage of time, or the expected timing of incurred insurance service expenses when that differs
  significantly); the same pattern amortises the acquisition cash flows (para 55(a)(iii), B125);
* **financing component** (para 56): only when flagged (significant financing component and more than one year
  between premium due date and coverage), the LRC accretes interest at the locked-in rates (B72(e)(iii)); the
  total premium allocated is then the amount that runs the LRC off to zero, i.e. the premiums adjusted for the
  time value of money (B126);
* **onerous test** (paras 57–58): loss component = max(0, fulfilment cash flows relating to remaining coverage −
  LRC carrying amount); its increase is an insurance service expense, its decrease a reversal;
* **liability for incurred claims** (para 59(b)): fulfilment cash flows of incurred claims, ``PV (or
  undiscounted) expected claims + RA``; the insurance service expense for incurred claims is the movement of the
  LIC plus claims paid (minus its finance expense).

Pure calculation: numpy in, dataclasses out. Money float64, unrounded; liabilities positive, assets negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "LICRollForward",
    "LRCRollForward",
    "PAAResult",
    "lic_measurement",
    "lic_rollforward",
    "loss_component",
    "lrc_rollforward",
    "paa_group",
    "passage_of_time_pattern",
]


@dataclass(frozen=True)
class LRCRollForward:
    """LRC roll-forward (para 55, 103(a)) per period, all (T,) float64 money.

    ``closing = opening + premiums_received − acquisition_paid + acquisition_amortisation + finance_expense −
    insurance_revenue``. When acquisition cash flows are expensed (para 59(a)), ``acquisition_paid`` and
    ``acquisition_amortisation`` are zero here and ``acquisition_expensed`` carries the expense.
    ``total_premium_allocated`` is the premium allocated over all periods (B126).
    """

    opening: FloatArray
    premiums_received: FloatArray
    acquisition_paid: FloatArray
    acquisition_amortisation: FloatArray
    acquisition_expensed: FloatArray
    finance_expense: FloatArray
    insurance_revenue: FloatArray
    closing: FloatArray
    release_pattern: FloatArray
    total_premium_allocated: float
    expense_acquisition: bool
    financing: bool


@dataclass(frozen=True)
class LICRollForward:
    """LIC roll-forward (para 103(b)) per period, (T,) float64 money:
    ``closing = opening + incurred_claims_expense + finance_expense − claims_paid``, where
    ``incurred_claims_expense`` = incurred claims and changes relating to past service (para 103(b)(ii)–(iii))."""

    opening: FloatArray
    incurred_claims_expense: FloatArray
    finance_expense: FloatArray
    claims_paid: FloatArray
    closing: FloatArray


@dataclass(frozen=True)
class PAAResult:
    """A group under the PAA per period (T,): LRC and LIC roll-forwards, loss component (paras 57–58), and the
    statement of profit or loss: ``insurance_service_expense = incurred claims + acquisition amortisation or
    expense + loss-component change``, ``insurance_service_result = insurance_revenue −
    insurance_service_expense``, ``profit = insurance_service_result − finance expenses``."""

    lrc: LRCRollForward
    lic: LICRollForward
    loss_component: FloatArray
    loss_component_change: FloatArray
    insurance_revenue: FloatArray
    insurance_service_expense: FloatArray
    insurance_service_result: FloatArray
    insurance_finance_expense: FloatArray
    profit: FloatArray


def _series(x: ArrayLike | None, n: int | None, name: str) -> FloatArray:
    if x is None:
        if n is None:
            raise InputError(f"{name} is required.")
        return np.zeros(n, dtype=np.float64)
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 1:
        raise InputError(f"{name} must be one value per period (a 1-D array); got shape {arr.shape}.")
    if n is not None and arr.shape[0] != n:
        if arr.shape[0] == 1:
            return np.full(n, float(arr[0]))
        raise InputError(f"{name} must have one value per period ({n}); got {arr.shape[0]}.")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be finite numbers; it contains NaN or infinity.")
    return np.array(arr, dtype=np.float64)


def passage_of_time_pattern(coverage_in_period: ArrayLike) -> FloatArray:
    """Release pattern by passage of time (B126(a)): the coverage provided in each period (e.g. days or months
    of coverage, or contract-months for a group), normalised to sum to 1."""
    w = _series(coverage_in_period, None, "coverage_in_period")
    if np.any(w < 0) or w.sum() <= 0:
        raise InputError("coverage_in_period must be non-negative with a positive total.")
    return np.asarray(w / w.sum(), dtype=np.float64)


def lrc_rollforward(
    premiums_received: ArrayLike,
    release_pattern: ArrayLike,
    *,
    acquisition_paid: ArrayLike | None = None,
    expense_acquisition: bool = False,
    coverage_period_years: float | None = None,
    opening: float = 0.0,
    expected_premiums: float | None = None,
    financing: bool = False,
    interest_rates: ArrayLike | None = None,
) -> LRCRollForward:
    """LRC roll-forward of a group under the PAA (para 55).

    ``premiums_received`` (T,) are received at the start of each period; ``release_pattern`` (T,) is the share of
    the group's remaining coverage provided in each period (passage of time: :func:`passage_of_time_pattern`;
    or the expected timing of incurred insurance service expenses, B126(b)) and must sum to 1.

    Insurance revenue (B126) is ``release_pattern × total premium``; without a financing component the total
    premium is ``expected_premiums`` (default ``opening + Σ premiums_received``).

    Acquisition cash flows paid (para 55(a)(ii), (b)(ii)) reduce the LRC and are amortised by the release pattern
    (para 55(b)(iii)); with ``expense_acquisition=True`` they are expensed when incurred instead, which para 59(a)
    allows only when the coverage period of each contract is no more than one year (``coverage_period_years``
    must then be given and ≤ 1).

    Financing component (para 56): with ``financing=True`` the LRC accretes interest at the locked-in
    ``interest_rates`` (T,) per period (B72(e)(iii)) on ``opening + premiums − acquisition paid`` of the period,
    and the total premium allocated is solved so that the LRC runs off to zero at the end of the pattern.
    Without the flag no accretion is made (para 56: not required when the time between payment and coverage is
    no more than one year).
    """
    p = _series(premiums_received, None, "premiums_received")
    n = p.shape[0]
    w = _series(release_pattern, n, "release_pattern")
    if np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0.0, atol=1e-9):
        raise InputError("release_pattern must be non-negative and sum to 1 over the remaining coverage.")
    acq = _series(acquisition_paid, n, "acquisition_paid")
    if expense_acquisition:
        if coverage_period_years is None or not coverage_period_years <= 1.0:
            raise InputError(
                "acquisition cash flows may be expensed only when each contract's coverage period is one year or "
                "less (IFRS 17 para 59(a)); give coverage_period_years ≤ 1 or capitalise them."
            )
        expensed, acq_lrc = acq, np.zeros(n)
    else:
        expensed, acq_lrc = np.zeros(n), acq
    amort = w * acq_lrc.sum()
    if financing:
        if interest_rates is None:
            raise InputError(
                "a significant financing component (financing=True) needs interest_rates per period."
            )
        i = _series(interest_rates, n, "interest_rates")
        if np.any(i <= -1):
            raise InputError("interest_rates must be greater than −100 %.")
    else:
        i = np.zeros(n)

    def run(total: float) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        op, cl, fin, rev = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        bal = float(opening)
        for t in range(n):
            op[t] = bal
            base = bal + p[t] - acq_lrc[t]
            fin[t] = base * i[t]
            rev[t] = w[t] * total
            bal = base + fin[t] + amort[t] - rev[t]
            cl[t] = bal
        return op, cl, fin, rev

    if financing:
        c0 = run(0.0)[1][-1]
        c1 = run(1.0)[1][-1]
        total = c0 / (c0 - c1)  # closing is linear in the total allocated: solve closing_T = 0
    else:
        total = float(opening + p.sum()) if expected_premiums is None else float(expected_premiums)
    op, cl, fin, rev = run(total)
    return LRCRollForward(
        op,
        p,
        acq_lrc,
        np.asarray(amort, dtype=np.float64),
        expensed,
        fin,
        rev,
        cl,
        w,
        float(total),
        expense_acquisition,
        financing,
    )


def lic_measurement(
    expected_claims: ArrayLike, risk_adjustment: ArrayLike, discount_factors: ArrayLike | None = None
) -> FloatArray:
    """LIC = fulfilment cash flows of incurred claims (para 59(b), 40(b)): ``Σ_k DF_k × claims_k + RA``.

    ``expected_claims`` is (K,) future payments of one measurement date, or (T, K) one row per reporting date;
    ``risk_adjustment`` a scalar or (T,). ``discount_factors`` (K,) or (T, K); ``None`` leaves the claims
    undiscounted, which para 59(b) allows when they are expected to be paid within one year.
    """
    c = np.asarray(expected_claims, dtype=np.float64)
    if c.ndim == 1:
        c = c[None, :]
    if c.ndim != 2 or not np.all(np.isfinite(c)):
        raise InputError("expected_claims must be finite numbers, (K,) or (T, K).")
    if discount_factors is not None:
        df = np.asarray(discount_factors, dtype=np.float64)
        try:
            c = c * np.broadcast_to(df, c.shape)
        except ValueError:
            raise InputError(f"discount_factors {df.shape} do not match expected_claims {c.shape}.") from None
    ra = np.asarray(risk_adjustment, dtype=np.float64)
    if np.any(ra < 0):
        raise InputError("the risk adjustment must be non-negative.")
    return np.asarray(c.sum(axis=1) + ra, dtype=np.float64)


def lic_rollforward(
    closing: ArrayLike,
    claims_paid: ArrayLike,
    *,
    opening: float = 0.0,
    finance_expense: ArrayLike | None = None,
) -> LICRollForward:
    """LIC roll-forward from the measured closing LIC per period (para 103(b)): the insurance service expense
    for incurred claims and past-service changes is ``closing − opening + claims_paid − finance_expense``."""
    cl = _series(closing, None, "closing")
    n = cl.shape[0]
    paid = _series(claims_paid, n, "claims_paid")
    fin = _series(finance_expense, n, "finance_expense")
    op = np.concatenate([[float(opening)], cl[:-1]])
    incurred = cl - op + paid - fin
    return LICRollForward(np.asarray(op, dtype=np.float64), incurred, fin, paid, cl)


def loss_component(fcf_remaining_coverage: ArrayLike, lrc_carrying_amount: ArrayLike) -> FloatArray:
    """Onerous test (paras 57–58): loss component ``max(0, FCF relating to remaining coverage − LRC carrying
    amount determined under para 55)``; zero when the group is not onerous."""
    f = np.asarray(fcf_remaining_coverage, dtype=np.float64)
    c = np.asarray(lrc_carrying_amount, dtype=np.float64)
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(c))):
        raise InputError("fulfilment cash flows and LRC must be finite numbers.")
    return np.asarray(np.maximum(f - c, 0.0), dtype=np.float64)


def paa_group(
    lrc: LRCRollForward,
    lic: LICRollForward,
    *,
    fcf_remaining_coverage: ArrayLike | None = None,
    opening_loss_component: float = 0.0,
) -> PAAResult:
    """Combine a group's LRC and LIC roll-forwards into its PAA result per period.

    ``fcf_remaining_coverage`` (T,), when given (facts and circumstances indicate the group is onerous, para 57),
    are the closing fulfilment cash flows relating to remaining coverage; the loss component at each closing is
    :func:`loss_component` of them against the LRC closing, and its change enters the insurance service expense.
    """
    n = lrc.closing.shape[0]
    if lic.closing.shape[0] != n:
        raise InputError(f"the LRC has {n} periods but the LIC has {lic.closing.shape[0]}.")
    if fcf_remaining_coverage is None:
        lc = np.zeros(n)
    else:
        lc = loss_component(_series(fcf_remaining_coverage, n, "fcf_remaining_coverage"), lrc.closing)
    lc_change = lc - np.concatenate([[float(opening_loss_component)], lc[:-1]])
    revenue = lrc.insurance_revenue
    ise = lic.incurred_claims_expense + lrc.acquisition_amortisation + lrc.acquisition_expensed + lc_change
    isr = revenue - ise
    ife = lrc.finance_expense + lic.finance_expense
    return PAAResult(
        lrc,
        lic,
        np.asarray(lc, dtype=np.float64),
        np.asarray(lc_change, dtype=np.float64),
        revenue,
        np.asarray(ise, dtype=np.float64),
        np.asarray(isr, dtype=np.float64),
        np.asarray(ife, dtype=np.float64),
        np.asarray(isr - ife, dtype=np.float64),
    )
