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
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "ContractLRC",
    "LICRollForward",
    "LRCRollForward",
    "PAAResult",
    "lic_measurement",
    "lic_rollforward",
    "loss_component",
    "lrc_from_contracts",
    "lrc_rollforward",
    "paa_group",
    "passage_of_time_pattern",
    "proportional_reinsurance_paa",
    "ProportionalReinsurancePAA",
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


# ------------------------------------------------------------------------------------ LRC from contract data
CoverageBasis = Literal["days", "months"]


def _coverage_position(d: npt.NDArray[Any], basis: CoverageBasis) -> FloatArray:
    """Position of the start of day ``d`` on the time axis of ``basis``: days since the epoch, or months since
    the epoch with the day as a fraction of its month (so 1 Jul → 1 May is exactly 10 months)."""
    days = d.astype("datetime64[D]")
    if basis == "days":
        return days.astype(np.int64).astype(np.float64)
    month = days.astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    return np.asarray(month.astype(np.int64) + (days - first).astype(np.int64) / length, dtype=np.float64)


@dataclass(frozen=True)
class ContractLRC:
    """LRC of groups built contract by contract over reporting periods (para 55, B126(a)).

    ``boundaries`` (K+1,) are the reporting dates ``D0 < D1 < … < DK``; period ``k`` (index ``k−1`` in the
    (G, K) arrays) runs from the day after ``D(k−1)`` to ``Dk`` inclusive. ``unearned`` (G, K+1) is the premium
    for coverage after each boundary of the contracts recognised by then, ``closing`` (G, K+1) the LRC
    (excluding any loss component) at each boundary. ``closing[:, 0]`` is the opening of the first period.
    """

    boundaries: npt.NDArray[np.datetime64]
    premiums_received: FloatArray
    acquisition_paid: FloatArray
    acquisition_amortisation: FloatArray
    acquisition_expensed: FloatArray
    insurance_revenue: FloatArray
    unearned: FloatArray
    closing: FloatArray
    expense_acquisition: bool

    @property
    def n_groups(self) -> int:
        return int(self.closing.shape[0])

    def rollforward(self, g: int) -> LRCRollForward:
        """Group ``g`` as an :class:`LRCRollForward` over the K reporting periods (no financing component)."""
        if not 0 <= g < self.n_groups:
            raise InputError(f"there is no group {g}: groups are 0…{self.n_groups - 1}.")
        rev = self.insurance_revenue[g]
        total = float(rev.sum())
        pattern = rev / total if total > 0 else np.zeros_like(rev)
        k = rev.shape[0]
        return LRCRollForward(
            np.array(self.closing[g, :-1]), np.array(self.premiums_received[g]), np.array(self.acquisition_paid[g]),
            np.array(self.acquisition_amortisation[g]), np.array(self.acquisition_expensed[g]), np.zeros(k),
            np.array(rev), np.array(self.closing[g, 1:]), np.asarray(pattern, dtype=np.float64), total,
            self.expense_acquisition, False,
        )


def lrc_from_contracts(
    premium: ArrayLike,
    coverage_start: ArrayLike,
    coverage_end: ArrayLike,
    boundaries: ArrayLike,
    *,
    received: ArrayLike | None = None,
    acquisition: ArrayLike | None = None,
    group: ArrayLike | None = None,
    n_groups: int | None = None,
    basis: CoverageBasis = "days",
    expense_acquisition: bool = False,
) -> ContractLRC:
    """LRC of groups of contracts under the PAA from contract data, by passage of time (B126(a)).

    Each contract ``i`` covers ``coverage_start[i]`` … ``coverage_end[i]`` (inclusive dates). Its premium is
    received, and its acquisition cash flows paid, on ``received[i]`` (default: the coverage start). Revenue of
    a period is the premium × the share of the contract's coverage in the period (by day, or by month with
    ``basis="months"`` as in IASB Example 10); acquisition cash flows are amortised on the same basis (para
    55(a)(iii), B125), or expensed when paid with ``expense_acquisition`` (para 59(a); the caller checks the
    coverage is at most one year). A contract is recognised (para 25) from the earlier of coverage start and
    receipt; before receipt its earned premium is a receivable that reduces the LRC.

    ``group`` (N,) integer group codes 0…G−1 (default: one group). Returns (G, K) movements per period.
    """
    p = _series(premium, None, "premium")
    n = p.shape[0]
    acq = _series(acquisition, n, "acquisition")
    if np.any(p < 0) or np.any(acq < 0):
        raise InputError("premium and acquisition cash flows are amounts received or paid: they must be ≥ 0.")
    start = np.asarray(coverage_start, dtype="datetime64[D]")
    end = np.asarray(coverage_end, dtype="datetime64[D]")
    paid_on = start if received is None else np.asarray(received, dtype="datetime64[D]")
    b = np.atleast_1d(np.asarray(boundaries, dtype="datetime64[D]"))
    if start.shape != (n,) or end.shape != (n,) or paid_on.shape != (n,):
        raise InputError("coverage_start, coverage_end and received need one date per contract.")
    if np.isnat(start).any() or np.isnat(end).any() or np.isnat(paid_on).any() or np.isnat(b).any():
        raise InputError("every contract needs its coverage start, coverage end and receipt dates.")
    if b.shape[0] < 2 or np.any(np.diff(b) <= np.timedelta64(0, "D")):
        raise InputError("give at least two reporting dates in increasing order (the opening and a closing).")
    if np.any(end < start):
        i = int(np.flatnonzero(end < start)[0])
        raise InputError(f"contract {i + 1}: the coverage ends before it starts.")
    if basis not in ("days", "months"):
        raise InputError(f"unknown coverage basis '{basis}': use days or months.")
    if group is None:
        codes = np.zeros(n, dtype=np.int64)
        g_count = 1 if n_groups is None else int(n_groups)
    else:
        codes = np.asarray(group, dtype=np.int64)
        if codes.shape != (n,):
            raise InputError("group needs one code per contract.")
        g_count = int(codes.max()) + 1 if n_groups is None and n else int(n_groups or 0)
        if n and (codes.min() < 0 or codes.max() >= g_count):
            raise InputError(f"group codes must lie in 0…{g_count - 1}.")
    k = b.shape[0] - 1

    one = np.timedelta64(1, "D")
    pos_start = _coverage_position(start, basis)
    pos_end = _coverage_position(end + one, basis)
    pos_b = _coverage_position(b + one, basis)  # a boundary date's coverage ends with the day
    length = pos_end - pos_start
    # share of each contract's coverage up to each boundary (N, K+1)
    upto = np.clip((pos_b[None, :] - pos_start[:, None]) / np.where(length > 0, length, 1.0)[:, None], 0.0, 1.0)
    upto[length <= 0] = (pos_b[None, :] >= pos_end[length <= 0, None]).astype(np.float64)
    recognised = (np.minimum(start, paid_on)[:, None] <= b[None, :])
    got = paid_on[:, None] <= b[None, :]
    earned = upto * p[:, None]
    unearned_c = np.where(recognised, p[:, None] - earned, 0.0)
    amortised = upto * acq[:, None]

    def by_group(x: FloatArray) -> FloatArray:
        out = np.zeros((g_count, x.shape[1]))
        np.add.at(out, codes, x)
        return out

    rec_cum = by_group(np.where(got, p[:, None], 0.0))
    acq_cum = by_group(np.where(got, acq[:, None], 0.0))
    earned_cum = by_group(earned)
    amort_cum = by_group(amortised)
    unearned = by_group(unearned_c)
    if expense_acquisition:
        closing = rec_cum - earned_cum
        acq_lrc = np.zeros((g_count, k))
        amort = np.zeros((g_count, k))
        expensed = np.diff(acq_cum, axis=1)
    else:
        closing = rec_cum - earned_cum - acq_cum + amort_cum
        acq_lrc = np.diff(acq_cum, axis=1)
        amort = np.diff(amort_cum, axis=1)
        expensed = np.zeros((g_count, k))
    return ContractLRC(
        b, np.diff(rec_cum, axis=1), acq_lrc, amort, expensed, np.diff(earned_cum, axis=1), unearned, closing,
        bool(expense_acquisition),
    )


# ------------------------------------------------------------------- reinsurance held under the PAA (para 69–70A)
@dataclass(frozen=True)
class ProportionalReinsurancePAA:
    """A quota share held, measured by the PAA (para 69–70A), per period (K,) or at each boundary (K+1,).

    Assets are positive. Asset for remaining coverage ``arc`` = reinsurance premiums paid less their allocation
    (para 55 applied to reinsurance held, para 69) plus the loss-recovery component (para 70A, 66A–66B: the loss
    on underlying onerous contracts × the share of their claims recovered). Asset for incurred claims ``aic`` =
    share × (PV of the underlying incurred claims + their RA, the risk transferred, para 64) less the reinsurer's
    non-performance risk (para 63: probability of default × loss given default of the recoveries). The net
    expense from reinsurance (para 86) = ``premium_allocation − amounts_recovered``.
    """

    share: float
    premiums_paid: FloatArray
    premium_allocation: FloatArray
    loss_recovery_component: FloatArray
    loss_recovery_change: FloatArray
    arc: FloatArray
    aic_gross: FloatArray
    non_performance: FloatArray
    aic: FloatArray
    recoveries_received: FloatArray
    recoveries_incurred: FloatArray
    finance_income: FloatArray
    amounts_recovered: FloatArray
    net_expense: FloatArray


def proportional_reinsurance_paa(
    share: float,
    underlying_premiums: ArrayLike,
    underlying_revenue: ArrayLike,
    underlying_loss_component: ArrayLike,
    underlying_lic: ArrayLike,
    underlying_claims_paid: ArrayLike,
    underlying_lic_finance: ArrayLike,
    *,
    ceding_commission: float = 0.0,
    default_probability: float = 0.0,
    loss_given_default: float = 0.0,
    opening_arc: float = 0.0,
) -> ProportionalReinsurancePAA:
    """Measure a quota share of ``share`` on an underlying PAA portfolio.

    Underlying per period (K,): premiums received, insurance revenue, claims paid, finance expense of the LIC;
    at each boundary (K+1,): loss component, LIC (PV + RA). The reinsurance premium is ``share × premium × (1 −
    ceding_commission)`` (a commission not contingent on claims reduces the premium, para 86, B. IE Example 11),
    paid with the underlying premium and allocated like the underlying revenue. ``opening_arc`` is the asset
    for remaining coverage at the first boundary excluding the loss-recovery component.
    """
    for name, value in (("share", share), ("ceding_commission", ceding_commission),
                        ("default_probability", default_probability), ("loss_given_default", loss_given_default)):
        if not (np.isfinite(value) and 0.0 <= value <= 1.0):
            raise InputError(f"{name} must lie between 0 and 1 (a fraction), not {value}.")
    prem = _series(underlying_premiums, None, "underlying_premiums")
    k = prem.shape[0]
    rev = _series(underlying_revenue, k, "underlying_revenue")
    paid = _series(underlying_claims_paid, k, "underlying_claims_paid")
    fin = _series(underlying_lic_finance, k, "underlying_lic_finance")
    lc = _series(underlying_loss_component, k + 1, "underlying_loss_component")
    lic = _series(underlying_lic, k + 1, "underlying_lic")
    rate = share * (1.0 - ceding_commission)
    paid_re = rate * prem
    alloc = rate * rev
    lrc_comp = share * lc
    lrc_change = np.diff(lrc_comp)
    base = float(opening_arc) + np.concatenate([[0.0], np.cumsum(paid_re - alloc)])
    arc = base + lrc_comp
    aic_gross = share * lic
    npr = default_probability * loss_given_default * aic_gross
    aic = aic_gross - npr
    received = share * paid
    fin_income = share * fin * (1.0 - default_probability * loss_given_default)
    incurred = np.diff(aic) + received - fin_income
    recovered = incurred + lrc_change
    return ProportionalReinsurancePAA(
        float(share), paid_re, alloc, lrc_comp, lrc_change, arc, aic_gross, npr, aic, received, incurred, fin_income,
        recovered, alloc - recovered,
    )
