"""Vectorised monthly projection of life and annuity model points (IFRS 17 para 33–35, B37–B41, B65).

Method. Model points are projected month by month with vectors over model points (one numpy operation per
quantity and month, over all model points of a chunk at once); expected numbers of policies in force are kept
as ``[month, model point]`` arrays per chunk and reduced afterwards to present values per model point
(discounted sums) and to monthly cash flows per group (sums over the model points of each group). Chunks of
``chunk_size`` model points bound the memory: a chunk needs about ``(3 to 6) × 8 × months × chunk_size``
bytes (policies in force, deaths, premium-paying and commission-bearing policies, morbidity, annuitants).

Timing conventions (lifelib ``basiclife``; ``t`` = projection month from the valuation date, 0-based):

1. at the start of month ``t``: policies reaching ``duration_mth = 12 × policy_term`` mature (an endowment pays
   its sum insured to them); then new business of the month (``duration_mth = 0``) joins — the result is the
   in-force ``B(t)`` *before decrements* (lifelib ``pols_if_at(t, "BEF_DECR")``);
2. premiums ``P × B(t)`` are received at the start of the month when a payment is due (monthly: every month
   of the premium term; frequency ``f``: when ``duration_mth`` is a multiple of ``12 / f``; single: at
   entry); commissions are ``commission[policy year] × premiums``; maintenance expenses
   ``maintenance / 12 × (1 + i)^(t/12) × B(t)`` and annuities (in advance) are paid at the start of the month;
   acquisition expenses at issue;
3. deaths ``D(t) = B(t) × q_m``, morbidity incidences ``(B − D) × k_m``, lapses ``(B − D − K) × w_m`` occur
   during the month; death and morbidity benefits are discounted from the start (``claims_timing="beginning"``,
   lifelib) or the end of the month;
4. ``B(t + 1) = B(t) − D − K − lapses``. Monthly rates come from annual ones as ``1 − (1 − q)^(1/12)``, looked
   up at the attained age ``age_at_entry + policy year`` and policy year ``⌊duration_mth / 12⌋`` (capped at the
   table's select period), updated at each policy anniversary.

Present values are at the valuation date with the assumptions' monthly discount factors ``v(t)``. Net cash
flow = premiums − claims − morbidity − annuities − maturities − expenses − commissions (an inflow when
positive, lifelib's sign). Coverage units (B119) are the benefit in force per month: sum insured × policies in
force, or the monthly annuity amount × annuitants' policies for annuities.

Modelling choices and limitations: no surrender values (lapses pay nothing), no paid-up policies, morbidity is
a lump sum ending the policy (no disability income state), no reinsurance, policy-year-constant rates,
expenses per policy (not per model-point unit of sum insured), one decrement order (death, morbidity, lapse).
Money is float64 and never rounded, except premiums from a tariff or net-premium rule, rounded to the rule's
decimals as the tariff would be.

Reproduces lifelib 0.17.2 ``basiclife.BasicTerm_ME`` (``Projection.result_pv()``) on its 10,000 model points
to relative error < 1e-12 (tests/core/projection/test_projection_lifelib.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aktuar.core.projection.assumptions import Assumptions, NetPremium
from aktuar.core.projection.model_points import ANNUITY, ENDOWMENT, ModelPoints
from aktuar.core.projection.tables import DecrementTable, PremiumRateTable, monthly_rate
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "FLOW_FIELDS",
    "PV_FIELDS",
    "ChunkResult",
    "GroupCashFlows",
    "Prepared",
    "ProjectionResult",
    "Workspace",
    "combine",
    "plan_chunks",
    "prepare",
    "project",
    "project_chunk",
]

PV_FIELDS: tuple[str, ...] = (
    "premiums",
    "claims",
    "morbidity",
    "annuities",
    "maturities",
    "expenses",
    "commissions",
    "net_cf",
)
"""Present values per model point, in the order of :attr:`ChunkResult.pv`."""

FLOW_FIELDS: tuple[str, ...] = (
    "premiums",
    "claims",
    "morbidity",
    "annuities",
    "maturities",
    "acquisition_expenses",
    "maintenance_expenses",
    "commissions",
    "policies_in_force",
    "coverage_units",
)
"""Monthly aggregates per group, in the order of :attr:`ChunkResult.flows`."""

_OUTFLOWS = ("claims", "morbidity", "annuities", "maturities", "acquisition_expenses", "maintenance_expenses",
             "commissions")
_EINSUM_GROUPS = 64


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class GroupCashFlows:
    """Expected cash flows per group and projection month: arrays ``[group, month]`` (positive magnitudes).

    ``policies_in_force`` is the expected number of policies before the month's decrements; ``coverage_units``
    the benefit in force (sum insured, or monthly annuity for annuities) × policies in force.
    """

    groups: tuple[object, ...]
    premiums: FloatArray
    claims: FloatArray
    morbidity: FloatArray
    annuities: FloatArray
    maturities: FloatArray
    acquisition_expenses: FloatArray
    maintenance_expenses: FloatArray
    commissions: FloatArray
    policies_in_force: FloatArray
    coverage_units: FloatArray

    @property
    def expenses(self) -> FloatArray:
        return self.acquisition_expenses + self.maintenance_expenses

    @property
    def outflows(self) -> FloatArray:
        """All expected outflows (benefits, expenses, commissions) per group and month."""
        out = np.zeros_like(self.premiums)
        for name in _OUTFLOWS:
            out = out + getattr(self, name)
        return out

    @property
    def net_cf(self) -> FloatArray:
        """Premiums − outflows per group and month."""
        return self.premiums - self.outflows

    def index(self, group: object) -> int:
        try:
            return self.groups.index(group)
        except ValueError:
            raise InputError(f"unknown group {group!r}; the groups are {list(self.groups)!r}.",
                             column="group") from None

    def annual(self, name: str) -> FloatArray:
        """Nominal sums of field ``name`` per group and projection year ``[group, year]`` (last year padded)."""
        x = np.asarray(getattr(self, name), dtype=np.float64)
        g, t = x.shape
        years = -(-t // 12)
        pad = np.zeros((g, years * 12))
        pad[:, :t] = x
        return np.asarray(pad.reshape(g, years, 12).sum(axis=2), dtype=np.float64)


@dataclass(frozen=True)
class ProjectionResult:
    """Present values per model point (model points' order) and monthly cash flows per group.

    ``discount_factors`` are ``v`` at months ``0 … 12 × ⌈months / 12⌉`` (whole years, for annual
    aggregation); ``premium_per_payment`` the premium used per model point (given, or from the premium rule);
    ``claims_timing`` the assumptions' discounting of death and morbidity claims within the month.
    """

    months: int
    discount_factors: FloatArray
    premium_per_payment: FloatArray
    pv_premiums: FloatArray
    pv_claims: FloatArray
    pv_morbidity: FloatArray
    pv_annuities: FloatArray
    pv_maturities: FloatArray
    pv_expenses: FloatArray
    pv_commissions: FloatArray
    pv_net_cf: FloatArray
    flows: GroupCashFlows
    group_codes: IntArray
    ids: npt.NDArray[np.generic] | None = None
    claims_timing: str = "end"

    @property
    def groups(self) -> tuple[object, ...]:
        return self.flows.groups

    def group_pv(self, name: str) -> FloatArray:
        """Per-group sum of the per-model-point present value ``pv_<name>`` (in :attr:`groups` order)."""
        x = np.asarray(getattr(self, f"pv_{name}"), dtype=np.float64)
        return np.asarray(
            np.bincount(self.group_codes, weights=x, minlength=len(self.groups)), dtype=np.float64
        )


@dataclass(frozen=True)
class ChunkResult:
    """What :func:`project_chunk` returns for one chunk (pickled back from a worker by the Dask backend).

    ``pv``: ``[len(PV_FIELDS), n]`` in the chunk's model-point order; ``flows``: ``[len(FLOW_FIELDS),
    len(group_codes), months]`` for the groups present in the chunk.
    """

    start: int
    premium_per_payment: FloatArray
    pv: FloatArray
    group_codes: IntArray
    flows: FloatArray


@dataclass(frozen=True)
class Prepared:
    """Validated inputs of a projection: global horizon, group labels and codes, the chunk boundaries."""

    model_points: ModelPoints
    assumptions: Assumptions
    months: int
    groups: tuple[object, ...]
    group_codes: IntArray
    chunks: tuple[tuple[int, int], ...]

    def chunk_args(self, k: int) -> tuple[ModelPoints, IntArray, int]:
        """Arguments (model points, group codes, start) of chunk ``k`` for :func:`project_chunk`."""
        a, b = self.chunks[k]
        return self.model_points.take(slice(a, b)), self.group_codes[a:b], a


class Workspace:
    """Scratch buffers for :func:`project_chunk`, reused across chunks of one run.

    Fresh multi-hundred-megabyte arrays cost a page fault per 4 KB on first touch; reusing them keeps the
    memory warm. Every element handed out is overwritten before it is read, so results never depend on it.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, FloatArray] = {}

    def array(self, name: str, shape: tuple[int, int]) -> FloatArray:
        size = shape[0] * shape[1]
        buf = self._buffers.get(name)
        if buf is None or buf.size < size:
            buf = np.empty(max(size, 1))
            self._buffers[name] = buf
        return buf[:size].reshape(shape)


# --------------------------------------------------------------------------------------------- preparation


def plan_chunks(n: int, chunk_size: int) -> tuple[tuple[int, int], ...]:
    """Contiguous ``(start, stop)`` ranges of at most ``chunk_size`` model points."""
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise InputError(f"chunk_size must be a whole number >= 1; got {chunk_size!r}.", column="chunk_size")
    return tuple((a, min(a + int(chunk_size), n)) for a in range(0, n, int(chunk_size)))


def _group_labels(mp: ModelPoints) -> tuple[tuple[object, ...], IntArray]:
    n = len(mp)
    if mp.group is None:
        return ("all",), np.zeros(n, dtype=np.int64)
    arr = np.asarray(mp.group)
    try:
        labels, codes = np.unique(arr, return_inverse=True)
    except TypeError:
        labels, codes = np.unique(arr.astype(str), return_inverse=True)
    return tuple(x.item() if isinstance(x, np.generic) else x for x in labels), codes.astype(np.int64).ravel()


def _sex_codes(mp: ModelPoints, tables: dict[str, DecrementTable]) -> IntArray:
    n = len(mp)
    if list(tables) == [""]:
        return np.zeros(n, dtype=np.int64)
    if mp.sex is None:
        raise InputError("the mortality assumption has one table per sex: give the model points' sex.", column="sex")
    keys = list(tables)
    lookup = {k: i for i, k in enumerate(keys)}
    codes = np.array([lookup.get(str(s), -1) for s in np.asarray(mp.sex)], dtype=np.int64)
    if np.any(codes < 0):
        i = int(np.flatnonzero(codes < 0)[0])
        raise InputError(
            f"model point at index {i}: sex {str(np.asarray(mp.sex)[i])!r} has no mortality table (tables: {keys}).",
            row=i + 2,
            column="sex",
        )
    return codes


def _check_ages(mp: ModelPoints, table: DecrementTable, mask: npt.NDArray[np.bool_] | None = None) -> None:
    if table.min_age is None:
        return
    assert table.max_age is not None
    first = mp.age_at_entry + np.maximum(np.asarray(mp.duration_mth), 0) // 12
    last = mp.age_at_entry + mp.policy_term - 1
    low = first < table.min_age
    high = last > table.max_age
    if mask is not None:
        low &= mask
        high &= mask
    if np.any(low):
        i = int(np.flatnonzero(low)[0])
        raise InputError(
            f"model point at index {i}: attained age {int(first[i])} (age_at_entry {int(mp.age_at_entry[i])}) "
            f"is below the first age {table.min_age} of the {table.name} table.",
            row=i + 2,
            column="age_at_entry",
        )
    if np.any(high):
        i = int(np.flatnonzero(high)[0])
        raise InputError(
            f"model point at index {i}: attained age reaches {int(last[i])} (age_at_entry "
            f"{int(mp.age_at_entry[i])} + policy_term {int(mp.policy_term[i])} − 1), beyond the last age "
            f"{table.max_age} of the {table.name} table; shorten the term or extend the table.",
            row=i + 2,
            column="policy_term",
        )


def prepare(
    model_points: ModelPoints, assumptions: Assumptions, *, months: int | None = None, chunk_size: int = 5_000
) -> Prepared:
    """Validate model points against the assumptions, fix the horizon, group codes and chunks."""
    if not isinstance(model_points, ModelPoints):
        raise InputError("model_points must be a ModelPoints instance.", column="model_points")
    if not isinstance(assumptions, Assumptions):
        raise InputError("assumptions must be an Assumptions instance.", column="assumptions")
    mp = model_points
    n = len(mp)
    dur = np.asarray(mp.duration_mth)
    if months is None:
        months = int(np.max(12 * mp.policy_term - dur)) + 1 if n else 1
    if int(months) != months or months < 1:
        raise InputError(f"months must be a whole number >= 1; got {months!r}.", column="months")
    tables = assumptions.mortality_tables()
    sex = _sex_codes(mp, tables)
    for k, table in enumerate(tables.values()):
        _check_ages(mp, table, sex == k)
    for extra in (assumptions.lapse, assumptions.morbidity):
        if extra is not None:
            _check_ages(mp, extra)
    if mp.premium is None:
        rule = assumptions.premium_rule
        if rule is None:
            raise InputError(
                "the model points have no premium column and the assumptions no premium_rule; give one of them.",
                column="premium",
            )
        if isinstance(rule, PremiumRateTable):
            rule.rate(mp.age_at_entry, mp.policy_term)  # raises on a missing (age, term) pair
    groups, codes = _group_labels(mp)
    return Prepared(mp, assumptions, int(months), groups, codes, plan_chunks(n, chunk_size))


# ------------------------------------------------------------------------------------------------ the core


@dataclass(frozen=True)
class _Lookup:
    """Flat monthly rates of one or several tables and per-model-point addressing into them."""

    flat: FloatArray
    base: IntArray
    lo: IntArray
    nrow: IntArray
    ncol: IntArray
    agef: IntArray

    def grid(self, age0: IntArray, y: IntArray) -> FloatArray:
        """Monthly rates at policy years ``y`` ``[years, n]`` of model points with entry ages ``age0`` ``[n]``."""
        col = np.minimum(np.maximum(y, 0), self.ncol - 1)
        if self.agef.size == 1 and self.agef[0] == 0:
            return np.asarray(self.flat[int(self.base[0]) + col], dtype=np.float64)
        row = np.minimum(np.maximum(age0 + y - self.lo, 0), self.nrow - 1) * self.agef
        return np.asarray(self.flat[self.base + row * self.ncol + col], dtype=np.float64)


def _lookup(tables: Sequence[DecrementTable], which: IntArray) -> _Lookup:
    flats, base, lo, nrow, ncol, agef = [], [], [], [], [], []
    offset = 0
    for t in tables:
        m = monthly_rate(t.rates)
        flats.append(m.ravel())
        base.append(offset)
        offset += m.size
        lo.append(0 if t.min_age is None else t.min_age)
        nrow.append(m.shape[0])
        ncol.append(m.shape[1])
        agef.append(0 if t.min_age is None else 1)

    def per(x: list[int]) -> IntArray:
        arr = np.asarray(x, dtype=np.int64)
        return arr[:1] if len(tables) == 1 else np.asarray(arr[which], dtype=np.int64)

    return _Lookup(np.concatenate(flats), per(base), per(lo), per(nrow), per(ncol), per(agef))


def _runs(idx: IntArray) -> list[slice | IntArray]:
    """Sorted positions as a few slices (contiguous runs) or, when fragmented, one index array."""
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    if breaks.size >= 8:
        return [idx]
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [idx.size]])
    return [slice(int(idx[a]), int(idx[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]


def _payment_events(dur0: IntArray, freq: IntArray, pterm: IntArray, months: int) -> tuple[IntArray, IntArray]:
    """Payment months of non-monthly premiums (yearly, half-yearly, quarterly, single), bucketed by month."""
    nm = np.flatnonzero(freq != 12)
    if nm.size == 0:
        return _event_buckets(np.zeros(0, dtype=np.int64), months)
    f = freq[nm]
    step = np.where(f > 0, 12 // np.maximum(f, 1), 12).astype(np.int64)
    end = np.where(f > 0, 12 * pterm[nm], 1)  # durations with a payment are < end
    d0 = np.maximum(0, -(-dur0[nm] // step) * step)  # first payment duration at or after the valuation date
    last = np.minimum(end, dur0[nm] + months)  # exclusive
    k = np.where(last > d0, (last - d0 + step - 1) // step, 0)
    who = np.repeat(nm, k)
    offset = np.arange(who.size) - np.repeat(np.cumsum(k) - k, k)
    t = np.repeat(d0 - dur0[nm], k) + offset * np.repeat(step, k)
    order = np.argsort(t, kind="stable")
    bounds = np.searchsorted(t[order], np.arange(months + 1), side="left")
    return who[order].astype(np.int64), bounds.astype(np.int64)


def _event_buckets(times: IntArray, months: int) -> tuple[IntArray, IntArray]:
    """Model-point positions sorted by event month and the bucket boundaries for months 0..months-1."""
    order = np.argsort(times, kind="stable")
    bounds = np.searchsorted(times[order], np.arange(months + 1), side="left")
    return order.astype(np.int64), bounds.astype(np.int64)


def _pv_sum(h: FloatArray, v: FloatArray) -> FloatArray:
    """``Σ_t v[t] h[t, j]`` for every column ``j`` (accumulated month by month: deterministic)."""
    if h.shape[1] == 0:
        return np.zeros(0)
    return np.asarray(np.einsum("tn,t->n", h, v), dtype=np.float64)


def _group_sum(h: FloatArray, w: FloatArray | None, starts: IntArray, stops: IntArray) -> FloatArray:
    """``[segment, month]`` sums ``Σ_{j in segment} w[j] h[t, j]`` over contiguous column segments."""
    out = np.zeros((starts.size, h.shape[0]))
    if h.shape[1] == 0 or starts.size == 0:
        return out
    if starts.size <= _EINSUM_GROUPS:
        for k in range(starts.size):
            a, b = int(starts[k]), int(stops[k])
            if b > a:
                block = h[:, a:b]
                out[k] = block.sum(axis=1) if w is None else np.einsum("tn,n->t", block, w[a:b])
        return out
    x = h if w is None else h * w
    nonempty = stops > starts
    red = np.add.reduceat(x, starts[nonempty], axis=1)
    out[nonempty] = red.T
    return out


def project_chunk(
    model_points: ModelPoints,
    group_codes: IntArray,
    assumptions: Assumptions,
    months: int,
    start: int = 0,
    aggregate: bool = True,
    workspace: Workspace | None = None,
) -> ChunkResult:
    """Project one chunk of (validated) model points; pure and deterministic (the unit of work on a cluster).

    ``aggregate=False`` skips the monthly cash flows per group (present values per model point only).
    ``workspace``: scratch buffers reused from chunk to chunk (their content never affects the result).
    """
    a = assumptions
    mp0 = model_points
    n = len(mp0)
    T = int(months)
    # Sort by group (contiguous segments for the sums per group), then by month of anniversary (phase).
    order = np.lexsort((np.mod(np.asarray(mp0.duration_mth), 12), np.asarray(group_codes)))
    mp = mp0.take(order)
    codes = np.asarray(group_codes)[order]
    dur0 = np.asarray(mp.duration_mth, dtype=np.int64)
    age0 = mp.age_at_entry
    term = mp.policy_term
    count = mp.policy_count
    sa = mp.sum_insured
    product = np.asarray(mp.product, dtype=np.int64)
    freq = np.asarray(mp.premium_frequency, dtype=np.int64)
    pterm = np.asarray(mp.premium_term, dtype=np.int64)
    ann_amt = np.asarray(mp.annuity_amount, dtype=np.float64)
    deferral = np.asarray(mp.annuity_deferral, dtype=np.int64)

    v = a.monthly_discount(T)
    vb = v[:T]
    vc = v[1 : T + 1] if a.claims_timing == "end" else vb
    infl = a.inflation_factors(T)

    tables = a.mortality_tables()
    mort = _lookup(list(tables.values()), _sex_codes(mp, tables))
    zeros_idx = np.zeros(n, dtype=np.int64)
    lapse = None if a.lapse is None else _lookup([a.lapse], zeros_idx)
    morb = None if a.morbidity is None else _lookup([a.morbidity], zeros_idx)
    comm = np.asarray(a.commission, dtype=np.float64)
    has_comm = bool(comm.size and np.any(comm > 0))

    # Monthly rates per model point and policy year y0 + j (j = 0 .. n_years-1), rows j: [n_years, n].
    y0 = np.floor_divide(dur0, 12)
    n_years = (T - 1 + 11) // 12 + 1
    ygrid = y0[None, :] + np.arange(n_years)[:, None]
    q_y = mort.grid(age0, ygrid)
    w_y = lapse.grid(age0, ygrid) if lapse is not None else None
    k_y = morb.grid(age0, ygrid) if morb is not None else None
    c_y = (
        np.where((ygrid >= 0) & (ygrid < comm.size), comm[np.clip(ygrid, 0, max(comm.size - 1, 0))], 0.0)
        if has_comm
        else None
    )

    # Subsets: model points that can bear commission within the horizon, annuities in payment.
    cidx = np.flatnonzero(dur0 < 12 * comm.size) if has_comm else np.zeros(0, dtype=np.int64)
    c_full = cidx.size == n
    t_cmax = min(T, int(np.max(12 * comm.size - dur0[cidx]))) if cidx.size else 0  # no commission after
    aidx = np.flatnonzero((product == ANNUITY) & (ann_amt > 0))
    defer_m = 12 * deferral[aidx]
    dur0_a = dur0[aidx]

    simple_prem = bool(np.all(freq == 12) and np.all(pterm == term))
    # Premium-paying indicator: monthly payers from the start until the premium term ends (an "off" event),
    # other frequencies only in their payment months ("on" events, reset after the month).
    monthly = freq == 12
    pay = np.where(monthly & (dur0 < 12 * pterm), 1.0, 0.0)
    t_off = np.where(monthly, 12 * pterm - dur0, T + 1)
    off_order, off_bounds = _event_buckets(np.where(t_off >= 0, t_off, T + 1), T)
    on_order, on_bounds = _payment_events(dur0, freq, pterm, T)
    off_b = off_bounds.tolist()
    on_b = on_bounds.tolist()

    # Event months: maturity (duration reaches the term) and issue of new business.
    t_mat = 12 * term - dur0
    mat_order, mat_bounds = _event_buckets(t_mat, T)
    t_nb = np.where(dur0 <= 0, -dur0, T + 1)
    nb_order, nb_bounds = _event_buckets(t_nb, T)
    phase = np.mod(dur0, 12)
    by_phase = [_runs(np.flatnonzero(phase == p)) for p in range(12)]
    mat_b = mat_bounds.tolist()
    nb_b = nb_bounds.tolist()

    if w_y is not None:
        w_y = 1.0 - w_y
    q = q_y[0].copy()
    w = w_y[0].copy() if w_y is not None else None
    k = k_y[0].copy() if k_y is not None else None
    crate = c_y[0].copy() if c_y is not None else np.zeros(n)

    mat_count = np.zeros(n)
    ws = workspace if workspace is not None else Workspace()
    h_b = ws.array("b", (T + 1, n))  # row t: in force before decrements of month t (then overwritten by events)
    h_b[0] = np.where(dur0 > 0, count, 0.0)
    h_d = ws.array("d", (T, n))
    h_p = h_b if simple_prem else ws.array("p", (T, n))
    h_m = ws.array("m", (T, n)) if k is not None else None
    h_c = np.empty((t_cmax, cidx.size))
    h_a = np.empty((T, aidx.size))
    tmp = np.empty(n)

    for t in range(T):
        b = h_b[t]
        i0, i1 = mat_b[t], mat_b[t + 1]
        if i1 > i0:
            idx = mat_order[i0:i1]
            mat_count[idx] = b[idx]
            b[idx] = 0.0
        i0, i1 = nb_b[t], nb_b[t + 1]
        if i1 > i0:
            idx = nb_order[i0:i1]
            b[idx] += count[idx]
        if t > 0:
            p = (-t) % 12
            j = (p + t) // 12  # policy years since valuation: the same for the whole phase class
            for sel in by_phase[p]:
                q[sel] = q_y[j, sel]
                if w is not None and w_y is not None:
                    w[sel] = w_y[j, sel]
                if k is not None and k_y is not None:
                    k[sel] = k_y[j, sel]
                if c_y is not None:
                    crate[sel] = c_y[j, sel]
        if not simple_prem:
            i0, i1 = off_b[t], off_b[t + 1]
            if i1 > i0:
                pay[off_order[i0:i1]] = 0.0
            i0, i1 = on_b[t], on_b[t + 1]
            on = on_order[i0:i1]
            pay[on] = 1.0
            np.multiply(b, pay, out=h_p[t])
            pay[on] = 0.0
        if t < t_cmax:
            if c_full:
                np.multiply(h_p[t], crate, out=h_c[t])
            else:
                h_c[t] = h_p[t, cidx] * crate[cidx]
        if aidx.size:
            h_a[t] = b[aidx] * ((dur0_a + t) >= defer_m)
        d = h_d[t]
        np.multiply(b, q, out=d)
        np.subtract(b, d, out=tmp)
        if h_m is not None and k is not None:
            np.multiply(tmp, k, out=h_m[t])
            tmp -= h_m[t]
        if w is not None:
            np.multiply(tmp, w, out=h_b[t + 1])  # w holds the monthly persistency 1 − lapse rate
        else:
            h_b[t + 1] = tmp
    h_in = h_b[:T]
    if simple_prem:
        h_p = h_in

    # Present values per model point (numpy reductions, not BLAS: identical floats in any process).
    s_bb = np.einsum("tn,tk->kn", h_in, np.column_stack([vb, vb * infl])) if n else np.zeros((2, 0))
    s_b, s_bi = s_bb[0], s_bb[1]
    s_p = s_b if simple_prem else _pv_sum(h_p, vb)
    s_d = _pv_sum(h_d, vc)
    s_m = _pv_sum(h_m, vc) if h_m is not None else np.zeros(n)
    s_c = np.zeros(n)
    s_c[cidx] = _pv_sum(h_c, vb[:t_cmax])
    s_a = np.zeros(n)
    s_a[aidx] = _pv_sum(h_a, vb)

    morb_sa = float(a.morbidity_benefit) * sa
    pv_claims = sa * s_d
    pv_morb = morb_sa * s_m
    if mp.premium is not None:
        prem = np.asarray(mp.premium, dtype=np.float64)
    elif isinstance(a.premium_rule, PremiumRateTable):
        prem = a.premium_rule.premium(age0, term, sa)
    else:
        rule = a.premium_rule
        assert isinstance(rule, NetPremium)
        with np.errstate(divide="ignore", invalid="ignore"):
            net = np.where(s_p > 0, (pv_claims + pv_morb) / np.where(s_p > 0, s_p, 1.0), 0.0)
        prem = (1.0 + rule.loading) * net
        if rule.decimals is not None:
            prem = np.around(prem, rule.decimals)
    pv_prem = prem * s_p
    pv_ann = ann_amt * s_a
    in_h_mat = (product == ENDOWMENT) & (t_mat < T)
    pv_mat = np.where(in_h_mat, sa * mat_count * v[np.clip(t_mat, 0, T)], 0.0)
    nb_in = t_nb < T
    acq_amt = float(a.acquisition_expense) * count
    pv_acq = np.where(nb_in, acq_amt * v[np.clip(t_nb, 0, T)], 0.0)
    pv_exp = pv_acq + float(a.maintenance_expense) / 12.0 * s_bi + float(a.premium_expense) * pv_prem
    pv_comm = prem * s_c
    net_cf = pv_prem - pv_claims - pv_morb - pv_ann - pv_mat - pv_exp - pv_comm
    pv_sorted = np.stack([pv_prem, pv_claims, pv_morb, pv_ann, pv_mat, pv_exp, pv_comm, net_cf])

    # Monthly cash flows per group (segments of the group-sorted chunk).
    present, starts = np.unique(codes, return_index=True)
    stops = np.append(starts[1:], n).astype(np.int64)
    starts = starts.astype(np.int64)
    g = present.size
    flows = np.zeros((len(FLOW_FIELDS), g, T))
    if not aggregate:
        flows = np.zeros((len(FLOW_FIELDS), 0, T))
        present = present[:0]
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    if not aggregate:
        return ChunkResult(int(start), prem[inverse], pv_sorted[:, inverse], present.astype(np.int64), flows)
    fi = {name: i for i, name in enumerate(FLOW_FIELDS)}
    flows[fi["premiums"]] = _group_sum(h_p, prem, starts, stops)
    flows[fi["claims"]] = _group_sum(h_d, sa, starts, stops)
    if h_m is not None:
        flows[fi["morbidity"]] = _group_sum(h_m, morb_sa, starts, stops)
    pif = _group_sum(h_in, None, starts, stops)
    flows[fi["policies_in_force"]] = pif
    cu_w = np.where(product == ANNUITY, ann_amt, sa)
    flows[fi["coverage_units"]] = _group_sum(h_in, cu_w, starts, stops)
    flows[fi["maintenance_expenses"]] = (
        float(a.maintenance_expense) / 12.0 * infl * pif + float(a.premium_expense) * flows[fi["premiums"]]
    )
    if cidx.size:
        cs, ce = np.searchsorted(cidx, starts), np.searchsorted(cidx, stops)
        flows[fi["commissions"], :, :t_cmax] = _group_sum(
            h_c, prem[cidx], cs.astype(np.int64), ce.astype(np.int64)
        )
    if aidx.size:
        as_, ae = np.searchsorted(aidx, starts), np.searchsorted(aidx, stops)
        flows[fi["annuities"]] = _group_sum(h_a, ann_amt[aidx], as_.astype(np.int64), ae.astype(np.int64))
    local = np.searchsorted(present, codes)
    if np.any(nb_in) and a.acquisition_expense > 0:
        flows[fi["acquisition_expenses"]] = np.bincount(
            local[nb_in] * T + t_nb[nb_in], weights=acq_amt[nb_in], minlength=g * T
        ).reshape(g, T)
    if np.any(in_h_mat):
        flows[fi["maturities"]] = np.bincount(
            local[in_h_mat] * T + t_mat[in_h_mat], weights=(sa * mat_count)[in_h_mat], minlength=g * T
        ).reshape(g, T)

    return ChunkResult(
        start=int(start),
        premium_per_payment=prem[inverse],
        pv=pv_sorted[:, inverse],
        group_codes=present.astype(np.int64),
        flows=flows,
    )


def combine(prepared: Prepared, results: Iterable[ChunkResult]) -> ProjectionResult:
    """Assemble chunk results (in chunk order: the summation order, hence the floats, are fixed)."""
    mp = prepared.model_points
    n = len(mp)
    T = prepared.months
    g = len(prepared.groups)
    pv = np.zeros((len(PV_FIELDS), n))
    prem = np.zeros(n)
    flows = np.zeros((len(FLOW_FIELDS), g, T))
    for r in sorted(results, key=lambda r: r.start):
        m = r.pv.shape[1]
        pv[:, r.start : r.start + m] = r.pv
        prem[r.start : r.start + m] = r.premium_per_payment
        flows[:, r.group_codes, :] += r.flows
    fl = GroupCashFlows(prepared.groups, *(flows[i] for i in range(len(FLOW_FIELDS))))
    return ProjectionResult(
        months=T,
        discount_factors=prepared.assumptions.monthly_discount(12 * (-(-T // 12))),
        premium_per_payment=prem,
        pv_premiums=pv[0],
        pv_claims=pv[1],
        pv_morbidity=pv[2],
        pv_annuities=pv[3],
        pv_maturities=pv[4],
        pv_expenses=pv[5],
        pv_commissions=pv[6],
        pv_net_cf=pv[7],
        flows=fl,
        group_codes=prepared.group_codes,
        ids=None if mp.ids is None else np.asarray(mp.ids),
        claims_timing=prepared.assumptions.claims_timing,
    )


def project(
    model_points: ModelPoints,
    assumptions: Assumptions,
    *,
    months: int | None = None,
    chunk_size: int = 5_000,
    aggregate: bool = True,
    map_chunks: Callable[[Prepared], Iterable[ChunkResult]] | None = None,
) -> ProjectionResult:
    """Project model points: present values per model point and monthly cash flows per group.

    ``months``: horizon (default: until the last maturity, lifelib's ``max_proj_len``); flows after it are
    ignored. ``chunk_size``: model points per chunk (memory ≈ 6 × 8 × months × chunk_size bytes at most; about
    5,000 keeps the monthly vectors in the CPU cache and is fastest on the benchmark machine).
    ``map_chunks``: how to run the chunks (default: one after the other here; the Dask backend
    :func:`aktuar.distributed.project` runs them on a cluster) — results do not depend on it.
    ``aggregate=False``: present values per model point only (the group cash flows are then zero).
    """
    prepared = prepare(model_points, assumptions, months=months, chunk_size=chunk_size)
    if map_chunks is None:
        ws = Workspace()
        results: Iterable[ChunkResult] = (
            project_chunk(
                *prepared.chunk_args(k)[:2], assumptions, prepared.months, prepared.chunks[k][0], aggregate, ws
            )
            for k in range(len(prepared.chunks))
        )
    else:
        results = map_chunks(prepared)
    return combine(prepared, results)
