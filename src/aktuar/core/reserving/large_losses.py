"""Smoothing of major (large) losses: capping claims at a threshold and reserving the excess separately.

A few large claims in a young origin period distort the chain ladder: their amount is multiplied by the
origin's cumulative development factor as if they were ordinary development. The actuarial opinion must state
how major losses were smoothed (NB RK Resolution 191, App. 1 item 5; KZ191-OP). This module applies the
usual treatment of large claims in development methods — develop claims limited to a threshold, and provide
for the excess above it separately (Friedland 2010, *Estimating Unpaid Claims Using Basic Techniques*, ch. 3
on limited and excess data and ch. 7 on large claims distorting the development technique) — with the excess
not yet reported estimated by an excess-of-threshold loading on the limited (attritional) IBNR:

1. **Capping.** Each claim's cumulative amount at every development age is limited to the segment's
   threshold ``T_s``: ``capped = min(C, T_s)``, ``excess = C − capped = max(C − T_s, 0)``. The sum of the
   capped amounts is the *attritional* triangle, the sum of the excesses the *excess* triangle.
2. **Attritional reserve.** The attritional triangle is developed by the chosen method (chain ladder by
   default, or any ``Triangle → ReserveResult`` callable, or the chain ladder with a given
   :class:`Development`).
3. **Excess reserve.** The reported excess (the sum of the known excesses on the latest diagonal) stays as
   it is, undeveloped. The excess not yet reported is an *excess loading* ``λ_s`` on the attritional IBNR:

       excess IBNR_o = λ_s · attritional IBNR_o

   with ``λ_s`` estimated from the mature origins, those whose attritional cumulative development factor at
   the latest age is at most ``maturity_cdf`` (their excess is, by then, practically all reported):

       λ_s = Σ_{o mature} excess reported_o / Σ_{o mature} attritional ultimate_o

   ``maturity_cdf = inf`` uses every origin; ``excess_loading`` replaces the estimate by a selected ratio per
   segment. When no origin is mature, the most mature ones (smallest factor) are used, with a warning.
4. **Result.** ``ultimate = attritional ultimate + excess reported + excess IBNR`` and the reserve
   ``= attritional IBNR + excess IBNR``; the *effect* of the smoothing is this reserve minus the same method's
   reserve on the uncapped triangle. With an infinite threshold nothing is capped, the excess is 0 and the
   effect is 0.

Money is float64, not rounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.development import Development
from aktuar.core.reserving.methods import ChainLadder, cdf_at_latest
from aktuar.core.reserving.patterns import diagonal_index
from aktuar.core.reserving.results import ReserveResult, merge_warnings
from aktuar.core.reserving.triangles import Triangle
from aktuar.errors import InputError, MethodError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Method = Callable[[Triangle], ReserveResult]


@dataclass(frozen=True, eq=False)
class ClaimData:
    """Development of individual claims on a triangle's grid.

    ``claim_id`` (N,) are the claims' identifiers (any strings, unique); ``segment`` and ``origin`` (N,) the
    index of each claim's segment and origin period in the grid; ``cumulative`` (N, D) the claim's cumulative
    amount at each development index. ``NaN`` means "no change since the age before" (0 before the first
    value); cells after the valuation are ignored.
    """

    claim_id: tuple[str, ...]
    segment: IntArray
    origin: IntArray
    cumulative: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "claim_id", tuple(str(c) for c in self.claim_id))
        seg = np.asarray(self.segment, dtype=np.int64).reshape(-1)
        org = np.asarray(self.origin, dtype=np.int64).reshape(-1)
        cum = np.asarray(self.cumulative, dtype=np.float64)
        n = len(self.claim_id)
        if cum.ndim != 2 or cum.shape[0] != n:
            raise InputError(f"the claims' amounts need shape (claims, development ages) = ({n}, D), not {cum.shape}")
        if seg.shape != (n,) or org.shape != (n,):
            raise InputError(f"{n} claims need {n} segment and {n} origin codes")
        if n and (seg.min() < 0 or org.min() < 0):
            raise InputError("segment and origin codes of claims must be ≥ 0")
        if np.isinf(cum).any():
            i = int(np.argwhere(np.isinf(cum))[0, 0])
            raise InputError(f"claim '{self.claim_id[i]}' has an infinite amount")
        if len(set(self.claim_id)) != n:
            dup = next(c for c, k in Counter(self.claim_id).items() if k > 1)
            raise InputError(f"claim '{dup}' appears twice: give one row of amounts per claim")
        object.__setattr__(self, "segment", seg)
        object.__setattr__(self, "origin", org)
        object.__setattr__(self, "cumulative", cum)

    @property
    def n_claims(self) -> int:
        return len(self.claim_id)

    @classmethod
    def from_transactions(
        cls,
        claim_id: Sequence[object] | npt.NDArray[Any],
        segment: npt.ArrayLike,
        origin: npt.ArrayLike,
        development: npt.ArrayLike,
        amount: npt.ArrayLike,
        *,
        n_development: int,
    ) -> ClaimData:
        """Claims from incremental rows (one amount of one claim in one development period; many rows of one
        claim in one period are added). Every row of a claim must carry the same segment and origin."""
        ids = np.asarray([str(c) for c in claim_id])
        seg = np.asarray(segment, dtype=np.int64).reshape(-1)
        org = np.asarray(origin, dtype=np.int64).reshape(-1)
        dev = np.asarray(development, dtype=np.int64).reshape(-1)
        amt = np.asarray(amount, dtype=np.float64).reshape(-1)
        m = ids.shape[0]
        if not (seg.shape == org.shape == dev.shape == amt.shape == (m,)):
            raise InputError("claim id, segment, origin, development and amount need one value per row each")
        if n_development < 1:
            raise InputError("the grid needs at least one development period")
        if m == 0:
            return cls((), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, n_development)))
        uniq, first, inv = np.unique(ids, return_index=True, return_inverse=True)
        bad = (dev < 0) | (dev >= n_development)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"claim '{ids[i]}' has an amount in development period {dev[i]} outside the grid (0 … "
                f"{n_development - 1})"
            )
        if not np.isfinite(amt).all():
            i = int(np.flatnonzero(~np.isfinite(amt))[0])
            raise InputError(f"claim '{ids[i]}' has an amount that is not a number: {amt[i]}")
        order = np.argsort(inv, kind="stable")
        same = inv[order][1:] == inv[order][:-1]
        clash = same & ((seg[order][1:] != seg[order][:-1]) | (org[order][1:] != org[order][:-1]))
        if clash.any():
            c = uniq[inv[order][1:][clash][0]]
            raise InputError(f"claim '{c}' appears in more than one segment or origin period: give it one of each")
        n = uniq.shape[0]
        incr = np.bincount(inv * n_development + dev, weights=amt, minlength=n * n_development)
        cum = np.cumsum(incr.reshape(n, n_development), axis=1, dtype=np.float64)
        return cls(tuple(str(u) for u in uniq), seg[first], org[first], cum)


@dataclass(frozen=True)
class LargeClaim:
    """A claim whose cumulative amount exceeded its segment's threshold at some observed age."""

    claim_id: str
    segment: str
    origin: str
    amount: float  # latest cumulative amount
    excess: float  # latest amount above the threshold
    threshold: float


@dataclass(frozen=True)
class LargeLossResult:
    """Reserve with major losses smoothed (see the module docstring). Arrays are (S, O) unless noted.

    ``attritional`` is the method's result on the capped triangle, ``unsmoothed`` its result on the uncapped
    one. ``reserve = attritional.ibnr + excess_ibnr`` and ``effect = reserve − unsmoothed.ibnr``.
    ``notes`` are informational (per segment); ``warnings`` need the actuary's attention.
    """

    threshold: FloatArray  # (S,)
    large_claims: tuple[LargeClaim, ...]
    attritional: ReserveResult
    unsmoothed: ReserveResult
    excess: Triangle
    excess_reported: FloatArray
    excess_loading: FloatArray  # (S,)
    loading_origins: BoolArray  # origins that entered the estimate of the loading
    loading_selected: bool
    excess_ibnr: FloatArray
    latest: FloatArray
    ultimate: FloatArray
    reserve: FloatArray
    effect: FloatArray
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: list[list[str]] = field(default_factory=list)
    warnings: list[list[str]] = field(default_factory=list)

    @property
    def excess_ultimate(self) -> FloatArray:
        return np.asarray(self.excess_reported + self.excess_ibnr)

    @property
    def excess_reserve(self) -> FloatArray:
        """The reserve for the excess above the threshold by origin: its IBNR (the reported excess is already
        in the latest amounts)."""
        return self.excess_ibnr

    @property
    def total_reserve(self) -> FloatArray:
        return np.asarray(self.reserve.sum(axis=1))

    @property
    def total_effect(self) -> FloatArray:
        return np.asarray(self.effect.sum(axis=1))

    def reserve_result(self) -> ReserveResult:
        """The smoothed reserve as a :class:`ReserveResult` on the uncapped triangle (its development is the
        attritional fit), e.g. for :func:`aktuar.core.reserving.patterns.cash_flows`."""
        a = self.attritional
        comps = dict(a.components)
        comps.update({
            "attritional_latest": a.latest, "attritional_ultimate": a.ultimate, "attritional_ibnr": a.ibnr,
            "excess_reported": self.excess_reported, "excess_ibnr": self.excess_ibnr,
            "excess_loading": np.broadcast_to(self.excess_loading[:, None], self.reserve.shape).copy(),
            "unsmoothed_ibnr": self.unsmoothed.ibnr, "effect": self.effect,
        })
        return ReserveResult(
            f"{a.method}+large_losses", self.unsmoothed.triangle, a.development, self.latest, self.ultimate,
            self.reserve, components=comps, parameters={**a.parameters, **self.parameters},
            warnings=merge_warnings(self.warnings, a.warnings),
        )


def _threshold_array(threshold: float | Sequence[float] | Mapping[str, float], grid: Triangle) -> FloatArray:
    s = grid.n_segments
    if isinstance(threshold, Mapping):
        labels = [grid.segment_label(i) for i in range(s)]
        missing = [lab for lab in labels if lab not in threshold]
        if missing:
            raise InputError(f"no large-loss threshold for segment(s) {missing}: give one per segment")
        t = np.array([float(threshold[lab]) for lab in labels])
    else:
        try:
            t = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (s,)).copy()
        except ValueError as exc:
            raise InputError(f"give one large-loss threshold or one per segment ({s})") from exc
    bad = np.isnan(t) | (t <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"the large-loss threshold of segment '{grid.segment_label(i)}' is {t[i]}: it must be a positive "
            "amount (use inf for no capping)"
        )
    return t


def _forward_fill_rows(v: FloatArray) -> FloatArray:
    """NaN takes the value before it along each row; a leading NaN is 0."""
    mask = np.isfinite(v)
    idx = np.where(mask, np.arange(v.shape[1])[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    filled = np.take_along_axis(np.nan_to_num(v), idx, axis=1)
    return np.where(np.maximum.accumulate(mask, axis=1), filled, 0.0)


@dataclass(frozen=True)
class LargeLossSmoothing:
    """Configure the smoothing, then :meth:`fit` claims on a grid.

    ``threshold``: one amount, one per segment, or ``{segment label: amount}``; ``inf`` caps nothing.
    ``maturity_cdf``: origins whose attritional cumulative factor at the latest age is at most this value
    estimate the excess loading. ``excess_loading``: a selected loading (one, or one per segment) instead.
    ``method``: any ``Triangle → ReserveResult`` (default chain ladder with ``development``).
    """

    threshold: float | Sequence[float] | Mapping[str, float]
    maturity_cdf: float = 1.05
    excess_loading: float | Sequence[float] | None = None
    method: Method | None = None
    development: Development | None = None

    def __post_init__(self) -> None:
        if np.isnan(self.maturity_cdf) or self.maturity_cdf <= 0:
            raise InputError(f"the maturity limit on the development factor must be positive, not {self.maturity_cdf}")
        if self.method is not None and self.development is not None:
            raise MethodError("give either a reserving method or a development for the chain ladder, not both")

    def _method(self) -> Method:
        if self.method is not None:
            return self.method
        return ChainLadder(self.development or Development()).fit

    def fit(self, claims: ClaimData, grid: Triangle) -> LargeLossResult:
        """Smooth the claims on ``grid``: a triangle that gives the origin × development layout, the segment
        keys, the dates and which cells lie before the valuation (its amounts are not used)."""
        s, o, d = grid.shape
        if claims.cumulative.shape[1] != d:
            raise InputError(f"the claims have {claims.cumulative.shape[1]} development periods, the grid {d}")
        if claims.n_claims and (claims.segment.max() >= s or claims.origin.max() >= o):
            i = int(np.flatnonzero((claims.segment >= s) | (claims.origin >= o))[0])
            raise InputError(f"claim '{claims.claim_id[i]}' has a segment or origin code outside the grid")
        thr = _threshold_array(self.threshold, grid)
        diag = diagonal_index(grid)
        inside = np.arange(d)[None, :] <= diag[:, None]  # (O, D): cells up to the valuation

        cum = _forward_fill_rows(claims.cumulative)
        row_inside = inside[claims.origin]
        claim_diag = diag[claims.origin]
        last_in = np.take_along_axis(cum, np.maximum(claim_diag, 0)[:, None], axis=1)[:, 0]
        last_in = np.where(claim_diag >= 0, last_in, 0.0)
        after = ~row_inside & np.isfinite(claims.cumulative) & (np.abs(cum - last_in[:, None]) > 0)
        if after.any():
            i, k = (int(x) for x in np.argwhere(after)[0])
            raise InputError(
                f"claim '{claims.claim_id[i]}' of origin {grid.origin[claims.origin[i]]} changes at development "
                f"age {grid.development[k]}, after the valuation: remove amounts dated after the valuation"
            )
        cum = np.where(row_inside, cum, 0.0)
        t_claim = thr[claims.segment][:, None]
        capped = np.minimum(cum, t_claim)
        excess = cum - capped

        n = claims.n_claims
        size = s * o * d
        # one linear cell code per claim and development index, shared by the three triangles
        lin = ((claims.segment * o + claims.origin) * d)[:, None] + np.arange(d, dtype=np.int64)[None, :]
        lin = lin.reshape(-1)

        def tri(values: FloatArray) -> Triangle:
            arr = np.bincount(lin, weights=values.reshape(-1), minlength=size).astype(np.float64) if n else (
                np.zeros(size))
            arr = arr.reshape(s, o, d)
            arr[:, ~inside] = np.nan
            return replace(grid, values=arr, cumulative=True)

        attr_tri, excess_tri, full_tri = tri(capped), tri(excess), tri(cum)
        run = self._method()
        attritional, unsmoothed = run(attr_tri), run(full_tri)
        x_rep = excess_tri.latest()

        notes: list[list[str]] = [[] for _ in range(s)]
        warnings: list[list[str]] = [[] for _ in range(s)]
        is_large = excess.max(axis=1, initial=0.0) > 0
        active = np.abs(cum).max(axis=1, initial=0.0) > 0
        n_large = np.bincount(claims.segment[is_large], minlength=s)
        n_active = np.bincount(claims.segment[active], minlength=s)
        for i in range(s):
            label = grid.segment_label(i)
            if n_active[i] == 0:
                notes[i].append(f"segment '{label}' has no claim with an amount: nothing to smooth")
            elif n_large[i] == 0:
                notes[i].append(
                    f"no claim of segment '{label}' exceeds the threshold {thr[i]:,.2f}: no excess, the excess "
                    "reserve is 0"
                )
            elif n_large[i] == n_active[i]:
                warnings[i].append(
                    f"every claim of segment '{label}' ({n_active[i]}) exceeds the threshold {thr[i]:,.2f}: the "
                    "attritional triangle is the threshold times the claim counts and the excess carries all the "
                    "development; raise the threshold"
                )

        f = cdf_at_latest(attritional.development, attr_tri)
        if self.excess_loading is not None:
            lam = np.asarray(self.excess_loading, dtype=np.float64)
            try:
                lam = np.broadcast_to(lam, (s,)).copy()
            except ValueError as exc:
                raise InputError(f"give one excess loading or one per segment ({s})") from exc
            if (~np.isfinite(lam)).any() or (lam < 0).any():
                raise InputError("the selected excess loading must be a finite ratio ≥ 0")
            use = np.zeros((s, o), dtype=bool)
            selected = True
        else:
            lam, use = self._estimate_loading(f, x_rep, attritional.ultimate, n_large, grid, warnings)
            selected = False
        x_ibnr = lam[:, None] * attritional.ibnr
        latest = attritional.latest + x_rep
        ultimate = attritional.ultimate + x_rep + x_ibnr
        reserve = attritional.ibnr + x_ibnr
        effect = reserve - unsmoothed.ibnr

        large: list[LargeClaim] = []
        for c in np.flatnonzero(is_large):
            si, oi = int(claims.segment[c]), int(claims.origin[c])
            k = max(int(diag[oi]), 0)
            large.append(LargeClaim(claims.claim_id[c], grid.segment_label(si), grid.origin[oi], float(cum[c, k]),
                                    float(excess[c, k]), float(thr[si])))
        params: dict[str, Any] = {
            "threshold": [float(x) for x in thr],
            "maturity_cdf": float(self.maturity_cdf),
            "excess_loading": [float(x) for x in lam],
            "excess_loading_selected": selected,
            "estimator": "selected" if selected else
            "Σ reported excess / Σ attritional ultimate over origins with attritional CDF ≤ maturity_cdf",
        }
        return LargeLossResult(
            threshold=thr, large_claims=tuple(large), attritional=attritional, unsmoothed=unsmoothed,
            excess=excess_tri, excess_reported=x_rep, excess_loading=lam, loading_origins=use,
            loading_selected=selected, excess_ibnr=x_ibnr, latest=latest, ultimate=ultimate, reserve=reserve,
            effect=effect, parameters=params, notes=notes, warnings=warnings,
        )

    def _estimate_loading(
        self,
        f: FloatArray,
        x_rep: FloatArray,
        attr_ult: FloatArray,
        n_large: IntArray,
        grid: Triangle,
        warnings: list[list[str]],
    ) -> tuple[FloatArray, BoolArray]:
        s, o = f.shape
        finite = np.isfinite(f)
        use = finite & (f <= self.maturity_cdf)
        lam = np.zeros(s)
        for i in range(s):
            if n_large[i] == 0:
                use[i] = False
                continue
            label = grid.segment_label(i)
            if not use[i].any():
                if not finite[i].any():
                    warnings[i].append(f"segment '{label}': no developed origin to estimate the excess loading: "
                                       "loading set to 0; select one")
                    continue
                fmin = f[i][finite[i]].min()
                use[i] = finite[i] & (f[i] <= fmin * (1 + 1e-12))
                warnings[i].append(
                    f"segment '{label}': no origin has an attritional development factor ≤ {self.maturity_cdf:g}; "
                    f"the excess loading is estimated from the most developed origin(s) (factor {fmin:.4g})"
                )
            den = attr_ult[i, use[i]].sum()
            num = x_rep[i, use[i]].sum()
            if den <= 0:
                warnings[i].append(f"segment '{label}': the attritional ultimate of the mature origins is not "
                                   "positive: excess loading set to 0; select one")
                continue
            lam[i] = num / den
        return lam, use


__all__ = ["ClaimData", "LargeClaim", "LargeLossResult", "LargeLossSmoothing"]
