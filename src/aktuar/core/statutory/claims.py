"""Claims reserves of the statutory balance: RBNS, IBNR, claims-settlement expenses, unexpired risk.

**RBNS** (reported but not settled; KZ84-LIC, KZ191-OP item 9(1)). From case data at the valuation date V: a
claim reported on or before V and not settled by V carries its case estimate (the declared amount less what
was paid). The claims-settlement expenses on it are the claim's own estimate when given, else the class
ratio ``e_c`` of item 8(8) times the case estimate: ``RBNS_i = case_i + expense_i``.

**IBNR** (KZ191-OP item 8(5): the method and why, the loss period, the development factors, the smoothing
of major losses). The reserving engine develops an incurred triangle per class: chain ladder
``U = L·F`` or Bornhuetter–Ferguson ``U = L + (1 − 1/F)·ELR·E`` (Friedland 2010, ch. 7 and 9), optionally on
claims capped at a major-loss threshold with the excess reserved separately
(:class:`~aktuar.core.reserving.LargeLossSmoothing`). IBNR = ultimate − reported incurred; the record
(:class:`IBNRRecord`) carries everything item 8(5) asks for.

**Claims-settlement expenses** (item 8(8)): the estimated costs of settling declared claims use the
paid-to-paid ratio ``e_c = Σ paid settlement expenses / Σ paid claims`` of each class over the observed
period (Friedland 2010, ch. 17; the classical method of :class:`~aktuar.core.reserving.PaidToPaid`, here
applied to declared claims only: ``reserve = e_c · (1 − u) · RBNS case`` with the opening share u = 0 by
default: all the expense of a declared claim is still to come unless the methodology says otherwise), and
the average paid claim by group of insured events ``Σ paid / number of paid claims``.

**Unexpired risk (premium deficiency).** When the unearned premium is insufficient for the claims and
expenses expected from the unexpired cover: ``URR_c = max(0, UPR_c·(ELR_c + ER_c) − UPR_c)`` (the liability
adequacy test on the unexpired cover; cf. IFRS 17 para 57–58 for the PAA's onerous test). ELR and the
expense ratio are the actuary's assumptions per class, recorded.

Reinsurer's share (item 8(4)): a share per class applied to each reserve (method recorded). Money float64
unrounded; liabilities positive.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving import (
    BornhuetterFerguson,
    ChainLadder,
    ClaimData,
    Development,
    LargeLossSmoothing,
    ReserveResult,
    Triangle,
)
from aktuar.core.statutory.upr import class_codes
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "IBNRRecord",
    "IBNRResult",
    "RBNSResult",
    "SettlementExpenses",
    "UnexpiredRiskResult",
    "ibnr",
    "rbns",
    "settlement_expenses",
    "unexpired_risk",
]


def _per_class(values: float | Mapping[str, float] | None, classes: Sequence[str], name: str, default: float,
               lo: float = 0.0, hi: float = np.inf) -> FloatArray:
    if values is None:
        out = np.full(len(classes), default)
    elif isinstance(values, Mapping):
        miss = [c for c in classes if c not in values]
        if miss:
            raise InputError(f"no {name} for class(es) {miss}: give one per class", column=name)
        out = np.array([float(values[c]) for c in classes])
    else:
        out = np.full(len(classes), float(values))
    if not np.isfinite(out).all() or (out < lo).any() or (out > hi).any():
        raise InputError(f"every {name} must lie between {lo:g} and {hi:g}", column=name)
    return out


# --------------------------------------------------------------------------------------------------- RBNS


@dataclass(frozen=True)
class RBNSResult:
    """RBNS per claim (N,) (0 for claims excluded: reported after V or settled) and per class (C,)."""

    valuation: _dt.date
    included: npt.NDArray[np.bool_]
    case: FloatArray
    expenses: FloatArray
    reinsurance: FloatArray
    classes: tuple[str, ...]
    case_by_class: FloatArray
    expenses_by_class: FloatArray
    reinsurance_by_class: FloatArray
    count_by_class: npt.NDArray[np.int64]
    expense_method: str
    reinsurance_method: str
    notes: tuple[str, ...] = ()

    @property
    def gross(self) -> FloatArray:
        return np.asarray(self.case + self.expenses)

    @property
    def gross_by_class(self) -> FloatArray:
        return np.asarray(self.case_by_class + self.expenses_by_class)

    @property
    def net_by_class(self) -> FloatArray:
        return np.asarray(self.gross_by_class - self.reinsurance_by_class)


def rbns(
    claim_id: Sequence[object],
    classes: Sequence[object],
    reported: object,
    declared: npt.ArrayLike,
    paid: npt.ArrayLike,
    valuation: _dt.date,
    *,
    settled: object | None = None,
    expense_estimate: npt.ArrayLike | None = None,
    expense_ratio: float | Mapping[str, float] | None = None,
    reinsurance_share: float | Mapping[str, float] | None = None,
) -> RBNSResult:
    """RBNS from case data: ``declared`` (the current estimate of each claim) less ``paid`` to V, for claims
    ``reported`` on or before V and not ``settled`` (date, NaT = open) on or before V. Settlement expenses:
    ``expense_estimate`` per claim (NaN = none given) else ``expense_ratio`` per class (default 0)."""
    ids = [str(c) for c in claim_id]
    n = len(ids)
    if len(set(ids)) != n:
        raise InputError("claim ids must be unique: give one row per claim (its latest estimate)", column="claim_id")
    labels, code = class_codes(classes, n, "claim")
    rep = np.asarray(reported, dtype="datetime64[D]").reshape(-1)
    if rep.shape != (n,) or np.isnat(rep).any():
        raise InputError("every claim needs its report date", column="reported")
    dec = np.asarray(declared, dtype=np.float64).reshape(-1)
    pd_ = np.asarray(paid, dtype=np.float64).reshape(-1)
    if dec.shape != (n,) or pd_.shape != (n,) or not (np.isfinite(dec).all() and np.isfinite(pd_).all()):
        raise InputError("declared and paid amounts need one finite number per claim", column="declared")
    v = np.datetime64(valuation, "D")
    open_ = rep <= v
    if settled is not None:
        st = np.asarray(settled, dtype="datetime64[D]").reshape(-1)
        if st.shape != (n,):
            raise InputError("give one settlement date per claim (empty for an open claim)", column="settled")
        open_ &= np.isnat(st) | (st > v)
    case = np.where(open_, dec - pd_, 0.0)
    notes: list[str] = []
    neg = open_ & (case < 0)
    if neg.any():
        notes.append(f"{int(neg.sum())} open claim(s) paid more than declared: their case estimate is set to 0 "
                     f"(e.g. '{ids[int(np.flatnonzero(neg)[0])]}')")
        case = np.maximum(case, 0.0)
    ratio = _per_class(expense_ratio, labels, "expense ratio", 0.0)
    exp = ratio[code] * case
    method = "expense ratio per class × case estimate (KZ191-OP item 8(8))"
    if expense_estimate is not None:
        est = np.asarray(expense_estimate, dtype=np.float64).reshape(-1)
        if est.shape != (n,) or (est[np.isfinite(est)] < 0).any():
            raise InputError("the expense estimate needs one amount ≥ 0 per claim (empty for none)",
                             column="expense_estimate")
        has = np.isfinite(est)
        exp = np.where(has & open_, est, exp)
        method = "the claim's own expense estimate where given, else " + method
    exp = np.where(open_, exp, 0.0)
    share = _per_class(reinsurance_share, labels, "reinsurance share", 0.0, 0.0, 1.0)
    re = share[code] * (case + exp)
    k = len(labels)

    def by(x: FloatArray) -> FloatArray:
        return np.bincount(code, weights=x, minlength=k).astype(np.float64)

    return RBNSResult(
        valuation=valuation, included=open_, case=case, expenses=exp, reinsurance=re, classes=labels,
        case_by_class=by(case), expenses_by_class=by(exp), reinsurance_by_class=by(re),
        count_by_class=np.bincount(code, weights=open_.astype(np.float64), minlength=k).astype(np.int64),
        expense_method=method,
        reinsurance_method="reinsurance share per class × (case + settlement expenses)" if reinsurance_share
        is not None else "no reinsurance",
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------------- IBNR


@dataclass(frozen=True)
class IBNRRecord:
    """What KZ191-OP item 8(5) asks the opinion to state for one class."""

    method: str
    rationale: str
    loss_period: tuple[str, str]
    n_origins: int
    development_ages: tuple[int, ...]
    development_factors: tuple[float, ...]
    cumulative_factors: tuple[float, ...]
    selections: tuple[str, ...]
    apriori_loss_ratio: float | None
    large_loss_threshold: float | None
    large_claims: int
    large_loss_effect: float
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class IBNRResult:
    """IBNR per class (C,) with the per-origin result of the engine and the item 8(5) record."""

    classes: tuple[str, ...]
    gross: FloatArray
    reinsurance: FloatArray
    by_origin: FloatArray  # (C, O)
    ultimate: FloatArray  # (C, O)
    records: tuple[IBNRRecord, ...]
    result: ReserveResult
    reinsurance_method: str

    @property
    def net(self) -> FloatArray:
        return np.asarray(self.gross - self.reinsurance)


def ibnr(
    incurred: Triangle,
    *,
    method: Literal["chainladder", "bf"] = "chainladder",
    rationale: str = "",
    development: Development | None = None,
    exposure: npt.ArrayLike | None = None,
    apriori: float | Sequence[float] = 1.0,
    large_losses: tuple[LargeLossSmoothing, ClaimData] | None = None,
    reinsurance_share: float | Mapping[str, float] | None = None,
) -> IBNRResult:
    """IBNR of each segment (class) of the cumulative incurred (reported) triangle ``incurred``.

    ``method``: chain ladder, or Bornhuetter–Ferguson with ``exposure`` (earned premium per origin) and
    ``apriori`` loss ratio. ``large_losses``: (smoothing, the claims on ``incurred``'s grid) to cap major
    losses (chain ladder or BF on the capped triangle). ``rationale``: the actuary's words for item 8(5).
    """
    if method not in ("chainladder", "bf"):
        raise InputError(f"unknown IBNR method '{method}': use chainladder or bf")
    if incurred.shape[1] == 0:
        raise InputError("the triangle has no origin period: IBNR needs at least one")
    dev = development or Development()
    classes = tuple(incurred.segment_label(s) for s in range(incurred.n_segments))
    ap = None
    run: Callable[[Triangle], ReserveResult]
    if method == "bf":
        est = BornhuetterFerguson(apriori=apriori, development=dev)

        def run(t: Triangle) -> ReserveResult:  # noqa: F811 - one of two definitions of the method
            return est.fit(t, exposure)

        a = np.asarray(apriori, dtype=np.float64)
        ap = float(a) if a.ndim == 0 else None
        name = "Bornhuetter–Ferguson"
    else:
        cl = ChainLadder(dev)

        def run(t: Triangle) -> ReserveResult:
            return cl.fit(t)

        name = "chain ladder"
    thr: FloatArray | None = None
    n_large = np.zeros(incurred.n_segments, dtype=np.int64)
    effect = np.zeros(incurred.n_segments)
    if large_losses is not None:
        smoothing, claims = large_losses
        smoothing = LargeLossSmoothing(threshold=smoothing.threshold, maturity_cdf=smoothing.maturity_cdf,
                                       excess_loading=smoothing.excess_loading, method=run)
        ll = smoothing.fit(claims, incurred)
        res = ll.reserve_result()
        thr = ll.threshold
        for c in ll.large_claims:
            n_large[classes.index(c.segment)] += 1
        effect = ll.total_effect
        name += " with major-loss smoothing (capped claims + excess loading)"
    else:
        res = run(incurred)
    fit = res.development
    share = _per_class(reinsurance_share, classes, "reinsurance share", 0.0, 0.0, 1.0)
    gross = np.asarray(res.ibnr.sum(axis=1), dtype=np.float64)
    records = []
    for s in range(incurred.n_segments):
        records.append(IBNRRecord(
            method=name, rationale=rationale, loss_period=(incurred.origin[0], incurred.origin[-1]),
            n_origins=len(incurred.origin), development_ages=tuple(int(a) for a in fit.ages),
            development_factors=tuple(float(x) for x in fit.ldf[s]),
            cumulative_factors=tuple(float(x) for x in fit.cdf[s]), selections=fit.selections,
            apriori_loss_ratio=ap, large_loss_threshold=None if thr is None else float(thr[s]),
            large_claims=int(n_large[s]), large_loss_effect=float(effect[s]),
            warnings=tuple(res.warnings[s]) if s < len(res.warnings) else (),
        ))
    return IBNRResult(
        classes=classes, gross=gross, reinsurance=share * gross, by_origin=res.ibnr, ultimate=res.ultimate,
        records=tuple(records), result=res,
        reinsurance_method="reinsurance share per class × gross IBNR" if reinsurance_share is not None
        else "no reinsurance",
    )


# ----------------------------------------------------------------------------------- settlement expenses


@dataclass(frozen=True)
class SettlementExpenses:
    """KZ191-OP item 8(8) per class (C,) and per group of insured events (G,)."""

    classes: tuple[str, ...]
    ratio: FloatArray
    reserve: FloatArray
    groups: tuple[str, ...]
    average_paid_claim: FloatArray
    paid_count: npt.NDArray[np.int64]
    paid_total: FloatArray
    parameters: dict[str, Any] = field(default_factory=dict)


def settlement_expenses(
    classes: Sequence[str],
    paid_expenses: npt.ArrayLike,
    paid_claims: npt.ArrayLike,
    declared_case: npt.ArrayLike,
    *,
    payment_group: Sequence[object] = (),
    payment_amount: npt.ArrayLike = (),
    opening_share: float = 0.0,
) -> SettlementExpenses:
    """Item 8(8). Per class ``c``: paid settlement expenses and paid claims over the observed period
    (``paid_expenses``, ``paid_claims``, (C,)) give the ratio; the declared claims' case estimates
    ``declared_case`` (C,) give the reserve ``ratio · (1 − opening_share) · case``. The individual payments
    ``payment_amount`` with their group of insured events ``payment_group`` give the average paid claim."""
    k = len(classes)
    pe = np.asarray(paid_expenses, dtype=np.float64).reshape(-1)
    pc = np.asarray(paid_claims, dtype=np.float64).reshape(-1)
    cs = np.asarray(declared_case, dtype=np.float64).reshape(-1)
    for name, a in (("paid settlement expenses", pe), ("paid claims", pc), ("declared case estimates", cs)):
        if a.shape != (k,) or not np.isfinite(a).all() or (a < 0).any():
            raise InputError(f"{name} need one amount ≥ 0 per class ({k})")
    if not 0.0 <= opening_share < 1.0:
        raise InputError("the opening share of settlement expenses must lie in [0, 1)")
    zero = (pc == 0) & (pe > 0)
    if zero.any():
        raise InputError(f"class '{classes[int(np.flatnonzero(zero)[0])]}' has settlement expenses but no paid "
                         "claims: the paid-to-paid ratio cannot be estimated; select a ratio")
    ratio = np.divide(pe, pc, out=np.zeros(k), where=pc > 0)
    reserve = ratio * (1.0 - opening_share) * cs
    amounts = np.asarray(payment_amount, dtype=np.float64).reshape(-1)
    groups_raw = [str(g) for g in payment_group]
    if amounts.shape != (len(groups_raw),) or not np.isfinite(amounts).all():
        raise InputError("give one group of insured events per paid claim amount", column="payment_group")
    groups = tuple(sorted(set(groups_raw)))
    code = np.array([groups.index(g) for g in groups_raw], dtype=np.int64)
    g = len(groups)
    tot = np.bincount(code, weights=amounts, minlength=g).astype(np.float64) if g else np.zeros(0)
    cnt = np.bincount(code, minlength=g).astype(np.int64) if g else np.zeros(0, np.int64)
    avg = np.divide(tot, cnt, out=np.zeros(g), where=cnt > 0)
    return SettlementExpenses(
        classes=tuple(classes), ratio=ratio, reserve=reserve, groups=groups, average_paid_claim=avg,
        paid_count=cnt, paid_total=tot,
        parameters={"method": "paid-to-paid ratio per class × (1 − opening share) × declared case estimates",
                    "opening_share": opening_share},
    )


# ---------------------------------------------------------------------------------------- unexpired risk


@dataclass(frozen=True)
class UnexpiredRiskResult:
    """Premium deficiency per class (C,): expected cost of the unexpired cover vs the UPR."""

    classes: tuple[str, ...]
    upr: FloatArray
    expected_loss_ratio: FloatArray
    expense_ratio: FloatArray
    expected_cost: FloatArray
    reserve: FloatArray
    sufficient: npt.NDArray[np.bool_]


def unexpired_risk(
    classes: Sequence[str],
    upr: npt.ArrayLike,
    expected_loss_ratio: float | Mapping[str, float],
    expense_ratio: float | Mapping[str, float] = 0.0,
) -> UnexpiredRiskResult:
    """``URR = max(0, UPR·(ELR + ER) − UPR)`` per class; ELR and ER are ratios to the unearned premium."""
    u = np.asarray(upr, dtype=np.float64).reshape(-1)
    if u.shape != (len(classes),) or not np.isfinite(u).all() or (u < 0).any():
        raise InputError(f"give one UPR ≥ 0 per class ({len(classes)})", column="upr")
    elr = _per_class(expected_loss_ratio, classes, "expected loss ratio", 0.0)
    er = _per_class(expense_ratio, classes, "expense ratio", 0.0)
    cost = u * (elr + er)
    res = np.maximum(cost - u, 0.0)
    return UnexpiredRiskResult(tuple(classes), u, elr, er, cost, res, res <= 0)
