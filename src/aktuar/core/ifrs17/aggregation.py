"""Level of aggregation (KZ84-AGG): portfolios → annual cohorts → profitability groups at initial recognition.

References are to IFRS 17 *Insurance Contracts* (amended June 2020) and ARDFM Resolution No. 84 of 26.12.2025
(definitions 20, 21 and 23: portfolio, group of insurance contracts, segmentation):

- **portfolio** (para 14): contracts subject to similar risks and managed together; given per contract (e.g. the
  class of insurance ``OGPO``, ``KASKO``);
- **annual cohort** (para 22): contracts issued more than one year apart are not in the same group. A cohort is
  the twelve months starting at ``cohort_start_month`` (default January: the calendar year of issue); cohort
  labels are ``2026`` (January start) or ``2026-07`` (twelve months from 1 July 2026);
- **profitability group** (para 16), assessed at initial recognition:

  (a) *onerous* — the fulfilment cash flows (FCF) allocated to the contract, previously recognised acquisition
  cash flows and cash flows arising at initial recognition are a net outflow (para 47): ``fcf > 0``;
  (b) *no significant possibility of becoming onerous* — assessed from the likelihood of changes in
  assumptions (para 19) by a documented threshold: either the FCF under a reasonably possible adverse scenario
  (``fcf_stressed``) is still not a net outflow, or the FCF margin ``−fcf / premium`` is at least
  ``AggregationTest.margin_threshold``;
  (c) *remaining* — all other contracts.

  Under the premium allocation approach (para 18) a contract is assumed not onerous at initial recognition unless
  facts and circumstances indicate otherwise; the fact used here is the expected combined ratio (expected loss
  ratio + expense ratio): above ``onerous_combined_ratio`` → onerous; at or below ``low_risk_combined_ratio`` →
  no significant possibility of becoming onerous; otherwise remaining. A PAA contract without facts keeps the
  para 18 presumption (not onerous) and goes to *remaining* (no evidence of (b)).

- **sets of contracts** (para 17): contracts with the same ``set_id`` are assessed together (their FCF and
  premiums summed, their combined ratio premium-weighted) and land in the same group; a set must lie within one
  portfolio and one cohort;
- **law or regulation constraint** (para 20): contracts flagged ``regulatory_constraint`` (e.g. compulsory motor
  liability, OGPO VTS, whose tariff the law fixes) that would fall into different groups only because of that
  constraint are assessed together per portfolio and cohort, as one set, and so land in one group;
- **fixed after initial recognition** (para 24): groups are not reassessed. :func:`assign_groups` takes the
  existing :class:`GroupRegister` and assigns only contracts not in it; a registered contract keeps its group
  even when its facts now point elsewhere (the reason says so), and :meth:`GroupRegister.merge` refuses any
  attempt to move a contract to another group with an :class:`~aktuar.errors.InputError`.

Group ids are deterministic: ``{portfolio}-{cohort}-{ONEROUS|PROFITABLE|REMAINING}``, e.g. ``OGPO-2026-ONEROUS``
(``PROFITABLE`` is group (b), no significant possibility of becoming onerous). Entities may subdivide further
(para 21); that is not modelled here.

Thresholds are parameters of :class:`AggregationTest` (from the approved methodology / regulation pack), never
literals in the calculation. Money is float64, unrounded. Pure calculation: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
Profitability = Literal["onerous", "no_significant_risk", "remaining"]
OnExisting = Literal["keep", "error"]

PROFITABILITY: tuple[str, ...] = ("onerous", "no_significant_risk", "remaining")
"""The three groups of para 16, in presentation order."""

GROUP_SUFFIX: dict[str, str] = {
    "onerous": "ONEROUS",
    "no_significant_risk": "PROFITABLE",
    "remaining": "REMAINING",
}

__all__ = [
    "GROUP_SUFFIX",
    "PROFITABILITY",
    "Aggregation",
    "AggregationTest",
    "Contracts",
    "GroupRegister",
    "GroupTable",
    "assign_groups",
    "cohort_label",
    "group_id",
]


@dataclass(frozen=True)
class AggregationTest:
    """Thresholds of the profitability test at initial recognition (methodology parameters).

    ``margin_threshold``: a contract measured with FCF (GMM) has no significant possibility of becoming onerous
    when ``−fcf / premium ≥ margin_threshold`` (used when no ``fcf_stressed`` is given). ``onerous_combined_ratio``
    and ``low_risk_combined_ratio``: the PAA facts-and-circumstances thresholds on the expected combined ratio
    (para 18). ``expense_ratio``: added to a contract's ``loss_ratio`` when it has no ``combined_ratio``.
    """

    margin_threshold: float = 0.10
    onerous_combined_ratio: float = 1.0
    low_risk_combined_ratio: float = 0.90
    expense_ratio: float = 0.0

    def __post_init__(self) -> None:
        for name in ("margin_threshold", "onerous_combined_ratio", "low_risk_combined_ratio", "expense_ratio"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"{name} must be a finite number ≥ 0; got {value}.", column=name)
        if self.low_risk_combined_ratio > self.onerous_combined_ratio:
            raise InputError(
                "low_risk_combined_ratio must not exceed onerous_combined_ratio "
                f"({self.low_risk_combined_ratio} > {self.onerous_combined_ratio}).",
                column="low_risk_combined_ratio",
            )


@dataclass(frozen=True)
class Contracts:
    """Contracts to aggregate, as columns of equal length n.

    ``issue`` holds issue dates (``datetime.date``, ``numpy.datetime64`` or ISO ``YYYY-MM-DD`` text) or issue years (integers; only with a
    January cohort start). Optional facts per contract (NaN where unknown): ``fcf`` expected PV of fulfilment
    cash flows at initial recognition (positive = net outflow), ``fcf_stressed`` the same under a reasonably
    possible adverse scenario, ``premium`` expected PV of premiums, ``loss_ratio``, ``combined_ratio``.
    ``paa`` marks contracts measured under the PAA (para 18 presumption); ``set_id`` ('' for none) names a set of
    contracts assessed together (para 17); ``regulatory_constraint`` flags the para 20 law/regulation constraint.
    """

    contract_id: Sequence[str]
    portfolio: Sequence[str]
    issue: Sequence[date] | Sequence[int] | npt.ArrayLike
    fcf: npt.ArrayLike | None = None
    fcf_stressed: npt.ArrayLike | None = None
    premium: npt.ArrayLike | None = None
    loss_ratio: npt.ArrayLike | None = None
    combined_ratio: npt.ArrayLike | None = None
    paa: npt.ArrayLike | None = None
    set_id: Sequence[str] | None = None
    regulatory_constraint: npt.ArrayLike | None = None

    def __len__(self) -> int:
        return len(self.contract_id)


@dataclass(frozen=True)
class GroupTable:
    """One row per group: ``group_id``, ``portfolio``, ``cohort``, ``profitability``, ``count`` (contracts)."""

    group_id: tuple[str, ...]
    portfolio: tuple[str, ...]
    cohort: tuple[str, ...]
    profitability: tuple[str, ...]
    count: tuple[int, ...]

    def rows(self) -> list[dict[str, str | int]]:
        return [
            {"group_id": g, "portfolio": p, "cohort": c, "profitability": f, "count": n}
            for g, p, c, f, n in zip(
                self.group_id, self.portfolio, self.cohort, self.profitability, self.count, strict=True
            )
        ]


@dataclass(frozen=True)
class GroupRegister:
    """Group assignments made at initial recognition (para 24): the state to persist between valuations."""

    contract_id: tuple[str, ...] = ()
    portfolio: tuple[str, ...] = ()
    cohort: tuple[str, ...] = ()
    profitability: tuple[str, ...] = ()
    group_id: tuple[str, ...] = ()
    reason: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.contract_id)
        for name in ("portfolio", "cohort", "profitability", "group_id", "reason"):
            if len(getattr(self, name)) != n:
                raise InputError(f"the group register's {name} has {len(getattr(self, name))} entries, not {n}.")
        if len(set(self.contract_id)) != n:
            dup = _first_duplicate(self.contract_id)
            raise InputError(f"contract {dup!r} appears twice in the group register.", column="contract_id")

    def __len__(self) -> int:
        return len(self.contract_id)

    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.contract_id)}

    def group_of(self, contract_id: str) -> str:
        idx = self.index()
        if contract_id not in idx:
            raise InputError(f"contract {contract_id!r} is not in the group register.", column="contract_id")
        return self.group_id[idx[contract_id]]

    def merge(self, other: GroupRegister) -> GroupRegister:
        """This register plus ``other``'s new contracts. A contract present in both must keep its group: a
        different group (or portfolio or cohort) is a reassessment after initial recognition, which para 24
        forbids, and is refused."""
        idx = self.index()
        add: list[int] = []
        for j, cid in enumerate(other.contract_id):
            if cid in idx:
                i = idx[cid]
                if other.group_id[j] != self.group_id[i]:
                    raise InputError(
                        f"contract {cid!r} is already in group {self.group_id[i]!r} since initial recognition; "
                        f"it cannot be moved to {other.group_id[j]!r}: groups are not reassessed (IFRS 17 para "
                        "24). Correct the input data instead if the original assignment was an error.",
                        column="group_id",
                    )
            else:
                add.append(j)
        return GroupRegister(
            self.contract_id + tuple(other.contract_id[j] for j in add),
            self.portfolio + tuple(other.portfolio[j] for j in add),
            self.cohort + tuple(other.cohort[j] for j in add),
            self.profitability + tuple(other.profitability[j] for j in add),
            self.group_id + tuple(other.group_id[j] for j in add),
            self.reason + tuple(other.reason[j] for j in add),
        )

    def groups(self) -> GroupTable:
        return _group_table(self.group_id, self.portfolio, self.cohort, self.profitability)


@dataclass(frozen=True)
class Aggregation:
    """Result of :func:`assign_groups` for the contracts given (in their order).

    ``is_new[i]`` is true for a contract assigned now, false for one found in the register (it keeps its group;
    ``assessed_profitability`` then shows what the facts given now would say, for information only).
    ``register`` is the updated register (old + new); ``groups`` its group table.
    """

    contract_id: tuple[str, ...]
    portfolio: tuple[str, ...]
    cohort: tuple[str, ...]
    profitability: tuple[str, ...]
    group_id: tuple[str, ...]
    reason: tuple[str, ...]
    is_new: tuple[bool, ...]
    assessed_profitability: tuple[str, ...]
    register: GroupRegister
    groups: GroupTable


# ----------------------------------------------------------------------------------------------- helpers


def _first_duplicate(values: Sequence[str]) -> str:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            return v
        seen.add(v)
    return ""


def cohort_label(year: int, start_month: int = 1) -> str:
    """Label of the annual cohort starting in ``start_month`` of ``year``: ``2026`` or ``2026-07``."""
    return f"{year}" if start_month == 1 else f"{year}-{start_month:02d}"


def group_id(portfolio: str, cohort: str, profitability: str) -> str:
    """Deterministic group id, e.g. ``OGPO-2026-ONEROUS``."""
    if profitability not in GROUP_SUFFIX:
        raise InputError(f"unknown profitability {profitability!r}: use one of {list(PROFITABILITY)}.")
    return f"{portfolio}-{cohort}-{GROUP_SUFFIX[profitability]}"


def _optional(x: npt.ArrayLike | None, n: int, name: str) -> FloatArray:
    if x is None:
        return np.full(n, np.nan)
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if arr.shape != (n,):
        raise InputError(f"{name} must have one value per contract ({n}); got {arr.shape[0]}.", column=name)
    if np.isinf(arr).any():
        raise InputError(f"{name} contains an infinite value; give a number or leave it empty.", column=name)
    return arr


def _flags(x: npt.ArrayLike | None, n: int, name: str) -> npt.NDArray[np.bool_]:
    if x is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(x).reshape(-1)
    if arr.shape != (n,):
        raise InputError(f"{name} must have one flag per contract ({n}); got {arr.shape[0]}.", column=name)
    return arr.astype(bool)


def _cohorts(issue: Sequence[date] | Sequence[int] | npt.ArrayLike, n: int, start_month: int) -> list[str]:
    if int(start_month) != start_month or not 1 <= start_month <= 12:
        raise InputError(f"cohort_start_month must be a month 1..12; got {start_month}.", column="cohort_start_month")
    arr = np.asarray(issue)
    if arr.shape != (n,):
        raise InputError(f"issue must have one date or year per contract ({n}); got shape {arr.shape}.",
                         column="issue")
    out: list[str] = []
    if n == 0:
        return out
    if np.issubdtype(arr.dtype, np.integer):
        if start_month != 1:
            raise InputError(
                "issue years cannot be placed in cohorts that start in another month than January: give issue "
                "dates, or use cohort_start_month=1.",
                column="issue",
            )
        return [cohort_label(int(y)) for y in arr]
    if np.issubdtype(arr.dtype, np.datetime64):
        if np.isnat(arr).any():
            raise InputError("an issue date is missing; every contract needs its issue date.", column="issue")
        days = arr.astype("datetime64[D]")
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        pairs: list[tuple[int, int]] = list(zip(years.tolist(), months.tolist(), strict=True))
    else:
        ym: list[tuple[int, int]] = []
        for k, d in enumerate(arr.tolist()):
            if isinstance(d, str):
                try:
                    d = date.fromisoformat(d.strip())
                except ValueError:
                    raise InputError(f"issue of contract #{k + 1} is {d!r}: give a date as YYYY-MM-DD.",
                                     column="issue") from None
            if isinstance(d, datetime | date):
                ym.append((d.year, d.month))
            elif isinstance(d, int | np.integer) and not isinstance(d, bool) and start_month == 1:
                ym.append((int(d), 1))
            else:
                raise InputError(
                    f"issue of contract #{k + 1} is {d!r}: give a date (or an integer year with January cohorts).",
                    column="issue",
                )
        pairs = ym
    for y, m in pairs:
        out.append(cohort_label(int(y) if m >= start_month else int(y) - 1, start_month))
    return out


def _group_table(
    gids: Sequence[str], portfolios: Sequence[str], cohorts: Sequence[str], profs: Sequence[str]
) -> GroupTable:
    rows: dict[str, tuple[str, str, str, int]] = {}
    for g, p, c, f in zip(gids, portfolios, cohorts, profs, strict=True):
        if g in rows:
            p0, c0, f0, k = rows[g]
            rows[g] = (p0, c0, f0, k + 1)
        else:
            rows[g] = (p, c, f, 1)
    order = sorted(rows, key=lambda g: (rows[g][0], rows[g][1], PROFITABILITY.index(rows[g][2])))
    return GroupTable(
        tuple(order),
        tuple(rows[g][0] for g in order),
        tuple(rows[g][1] for g in order),
        tuple(rows[g][2] for g in order),
        tuple(rows[g][3] for g in order),
    )


def _fmt(x: float) -> str:
    return f"{x:,.2f}"


def _assess(
    fcf: float, stressed: float, premium: float, cr: float, paa: bool, test: AggregationTest, who: str
) -> tuple[str, str]:
    """Profitability and the reason (test used) for one contract or one set."""
    if np.isfinite(fcf):
        if fcf > 0:
            return "onerous", f"FCF {_fmt(fcf)} > 0: net outflow at initial recognition → onerous (para 16(a), 47)"
        if np.isfinite(stressed):
            if stressed <= 0:
                return "no_significant_risk", (
                    f"FCF {_fmt(fcf)} ≤ 0 and stressed FCF {_fmt(stressed)} ≤ 0 → no significant possibility of "
                    "becoming onerous (para 16(b), 19)"
                )
            return "remaining", (
                f"FCF {_fmt(fcf)} ≤ 0 but stressed FCF {_fmt(stressed)} > 0 → remaining (para 16(c), 19)"
            )
        if np.isfinite(premium) and premium > 0:
            margin = -fcf / premium
            if margin >= test.margin_threshold:
                return "no_significant_risk", (
                    f"FCF {_fmt(fcf)} ≤ 0, margin −FCF/premium {margin:.2%} ≥ {test.margin_threshold:.2%} → no "
                    "significant possibility of becoming onerous (para 16(b), 19)"
                )
            return "remaining", (
                f"FCF {_fmt(fcf)} ≤ 0, margin −FCF/premium {margin:.2%} < {test.margin_threshold:.2%} → remaining "
                "(para 16(c))"
            )
        return "remaining", (
            f"FCF {_fmt(fcf)} ≤ 0, no premium or stressed FCF to assess the margin → remaining (para 16(c))"
        )
    if np.isfinite(cr):
        if cr > test.onerous_combined_ratio:
            return "onerous", (
                f"PAA facts and circumstances (para 18): combined ratio {cr:.2%} > {test.onerous_combined_ratio:.2%}"
                " → onerous (para 16(a))"
            )
        if cr <= test.low_risk_combined_ratio:
            return "no_significant_risk", (
                f"PAA facts and circumstances (para 18): combined ratio {cr:.2%} ≤ "
                f"{test.low_risk_combined_ratio:.2%} → no significant possibility of becoming onerous (para 16(b))"
            )
        return "remaining", (
            f"PAA facts and circumstances (para 18): combined ratio {cr:.2%} between "
            f"{test.low_risk_combined_ratio:.2%} and {test.onerous_combined_ratio:.2%} → remaining (para 16(c))"
        )
    if paa:
        return "remaining", (
            "PAA, no facts indicating an onerous contract: presumed not onerous (para 18); no evidence of no "
            "significant possibility of becoming onerous → remaining (para 16(c))"
        )
    raise InputError(
        f"{who} has no facts for the profitability test: give fcf (GMM), combined_ratio or loss_ratio (PAA), "
        "or mark it paa.",
        column="fcf",
    )


# ----------------------------------------------------------------------------------------------- main


def assign_groups(
    contracts: Contracts,
    test: AggregationTest | None = None,
    *,
    register: GroupRegister | None = None,
    cohort_start_month: int = 1,
    on_existing: OnExisting = "keep",
) -> Aggregation:
    """Assign contracts to groups at initial recognition (para 14–24); see the module docstring.

    Contracts already in ``register`` keep their group (para 24) with ``on_existing='keep'`` (their portfolio and
    cohort must not have changed), or are refused with ``on_existing='error'``.
    """
    test = test or AggregationTest()
    register = register or GroupRegister()
    if on_existing not in ("keep", "error"):
        raise InputError(f"on_existing must be 'keep' or 'error', not {on_existing!r}.")
    ids = [str(c) for c in contracts.contract_id]
    n = len(ids)
    if len(set(ids)) != n:
        raise InputError(f"contract {_first_duplicate(ids)!r} appears twice: contract ids must be unique.",
                         column="contract_id")
    ports = [str(p).strip() for p in contracts.portfolio]
    if len(ports) != n:
        raise InputError(f"portfolio must have one value per contract ({n}); got {len(ports)}.", column="portfolio")
    for k, p in enumerate(ports):
        if not p:
            raise InputError(f"contract {ids[k]!r} has no portfolio: give its class of insurance.", column="portfolio")
    cohorts = _cohorts(contracts.issue, n, cohort_start_month)
    fcf = _optional(contracts.fcf, n, "fcf")
    stressed = _optional(contracts.fcf_stressed, n, "fcf_stressed")
    prem = _optional(contracts.premium, n, "premium")
    if np.any(prem[np.isfinite(prem)] < 0):
        raise InputError("premium must not be negative.", column="premium")
    lr = _optional(contracts.loss_ratio, n, "loss_ratio")
    cr = _optional(contracts.combined_ratio, n, "combined_ratio")
    if np.any(np.concatenate([lr[np.isfinite(lr)], cr[np.isfinite(cr)]]) < 0):
        raise InputError("loss and combined ratios must not be negative.", column="combined_ratio")
    cr = np.where(np.isfinite(cr), cr, lr + test.expense_ratio)
    paa = _flags(contracts.paa, n, "paa")
    constrained = _flags(contracts.regulatory_constraint, n, "regulatory_constraint")
    sets = [""] * n if contracts.set_id is None else [str(s or "").strip() for s in contracts.set_id]
    if len(sets) != n:
        raise InputError(f"set_id must have one value per contract ({n}); got {len(sets)}.", column="set_id")

    known = register.index()
    profs: list[str] = [""] * n
    reasons: list[str] = [""] * n
    # Units of assessment: a set (para 17), the regulation-constrained contracts of a portfolio and cohort
    # (para 20), or a single contract.
    units: dict[tuple[str, ...], list[int]] = {}
    for k in range(n):
        if sets[k]:
            key: tuple[str, ...] = ("set", sets[k])
        elif constrained[k]:
            key = ("reg", ports[k], cohorts[k])
        else:
            key = ("one", ids[k])
        units.setdefault(key, []).append(k)
    for key, members in units.items():
        if key[0] == "set":
            if len({(ports[k], cohorts[k]) for k in members}) > 1:
                raise InputError(
                    f"set {key[1]!r} mixes portfolios or cohorts: a set assessed together (para 17) must lie in "
                    "one portfolio and one annual cohort (para 14, 22).",
                    column="set_id",
                )
        m = np.asarray(members)
        if len(members) == 1:
            u_fcf, u_str, u_prem, u_cr = float(fcf[m[0]]), float(stressed[m[0]]), float(prem[m[0]]), float(cr[m[0]])
        else:
            u_fcf = float(fcf[m].sum()) if np.isfinite(fcf[m]).all() else np.nan
            u_str = float(stressed[m].sum()) if np.isfinite(stressed[m]).all() else np.nan
            u_prem = float(prem[m].sum()) if np.isfinite(prem[m]).all() else np.nan
            if np.isfinite(cr[m]).all():
                w = prem[m] if np.isfinite(prem[m]).all() and prem[m].sum() > 0 else np.ones(len(members))
                u_cr = float(cr[m] @ w / w.sum())
            else:
                u_cr = np.nan
        who = f"contract {ids[members[0]]!r}" if key[0] == "one" else (
            f"set {key[1]!r}" if key[0] == "set" else f"the regulation-constrained contracts of {key[1]} {key[2]}")
        prof, why = _assess(u_fcf, u_str, u_prem, u_cr, bool(paa[m].all()), test, who)
        if key[0] == "set":
            why = f"set {key[1]!r} of {len(members)} contracts assessed together (para 17): {why}"
        elif key[0] == "reg":
            why = (f"{len(members)} contracts whose pricing is constrained by law or regulation, assessed together "
                   f"(para 20): {why}")
        for k in members:
            profs[k], reasons[k] = prof, why

    out_gid: list[str] = []
    out_prof: list[str] = []
    out_reason: list[str] = []
    is_new: list[bool] = []
    for k in range(n):
        if ids[k] in known:
            if on_existing == "error":
                raise InputError(
                    f"contract {ids[k]!r} is already in group {register.group_id[known[ids[k]]]!r}: groups are fixed "
                    "at initial recognition (IFRS 17 para 24); give only new contracts.",
                    column="contract_id",
                )
            i = known[ids[k]]
            if register.portfolio[i] != ports[k] or register.cohort[i] != cohorts[k]:
                raise InputError(
                    f"contract {ids[k]!r} was registered in portfolio {register.portfolio[i]!r}, cohort "
                    f"{register.cohort[i]!r}, but now has {ports[k]!r}, {cohorts[k]!r}: its group cannot change "
                    "after initial recognition (para 24); correct the contract data.",
                    column="contract_id",
                )
            out_gid.append(register.group_id[i])
            out_prof.append(register.profitability[i])
            note = "" if profs[k] == register.profitability[i] else (
                f"; the facts given now indicate {profs[k]}, but the group is not reassessed")
            out_reason.append(f"kept from initial recognition (para 24){note}: {register.reason[i]}")
            is_new.append(False)
        else:
            out_gid.append(group_id(ports[k], cohorts[k], profs[k]))
            out_prof.append(profs[k])
            out_reason.append(reasons[k])
            is_new.append(True)

    new_idx = [k for k in range(n) if is_new[k]]
    added = GroupRegister(
        tuple(ids[k] for k in new_idx),
        tuple(ports[k] for k in new_idx),
        tuple(cohorts[k] for k in new_idx),
        tuple(out_prof[k] for k in new_idx),
        tuple(out_gid[k] for k in new_idx),
        tuple(out_reason[k] for k in new_idx),
    )
    merged = register.merge(added)
    return Aggregation(
        contract_id=tuple(ids),
        portfolio=tuple(ports),
        cohort=tuple(cohorts),
        profitability=tuple(out_prof),
        group_id=tuple(out_gid),
        reason=tuple(out_reason),
        is_new=tuple(is_new),
        assessed_profitability=tuple(profs),
        register=merged,
        groups=merged.groups(),
    )
