"""Unearned premium reserve (UPR) pro rata temporis by day, with the reinsurer's share.

For a contract with premium ``P`` covering the days ``start … end`` (both inclusive, ``n = end − start + 1``
days) the unearned premium at the end of the valuation date ``V`` is

    UPR = P · u,   u = (days of cover after V) / n = clip(end − V, 0, n) / n

(a contract that has not started is wholly unearned, one that has expired wholly earned; the valuation day
itself is earned). The reinsurer's share follows the ceded premium on the same pattern (the method recorded
for KZ191-OP item 8(4)):

- ``ceded_premium`` per contract: ``UPR_re = ceded · u`` ("pro rata temporis on the ceded premium"), or
- ``reinsurance_share`` per contract or per class (``{class: share}``): ``UPR_re = share · UPR``.

Results are per contract and per class of insurance; money float64 unrounded, liabilities positive. The
statutory reserve rules (NB RK Resolution No. 13 of 31.01.2019) are not in our texts: the pro rata temporis by
day basis is the pack's methodology parameter ``reserves.upr_basis`` (recorded for KZ191-OP item 8(1)).
Limitations: no deferred acquisition costs, no premium instalments (the whole written premium is earned
over the cover), no seasonality (a non-uniform risk pattern needs another earning pattern).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = ["UPRResult", "class_codes", "unearned_premium"]


def class_codes(classes: Sequence[object] | npt.NDArray[Any], n: int, what: str = "contract"
                ) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """Sorted class labels and each row's code; the labels must be non-empty."""
    labels = [str(c) for c in classes]
    if len(labels) != n:
        raise InputError(f"give one class of insurance per {what} ({n}), not {len(labels)}", column="class")
    for i, c in enumerate(labels):
        if not c.strip() or c.lower() in ("nan", "none"):
            raise InputError(f"{what} {i + 1} has no class of insurance", column="class", row=i + 2)
    uniq = tuple(sorted(set(labels)))
    pos = {c: k for k, c in enumerate(uniq)}
    return uniq, np.array([pos[c] for c in labels], dtype=np.int64)


def _dates(x: object, n: int, name: str) -> npt.NDArray[np.int64]:
    a = np.asarray(x, dtype="datetime64[D]").reshape(-1)
    if a.shape != (n,):
        raise InputError(f"{name} needs one date per contract ({n})", column=name)
    if np.isnat(a).any():
        i = int(np.flatnonzero(np.isnat(a))[0])
        raise InputError(f"contract {i + 1} has no {name}", column=name, row=i + 2)
    return a.view(np.int64)


@dataclass(frozen=True)
class UPRResult:
    """UPR per contract (N,) and per class (C,); ``net = gross − reinsurance``."""

    valuation: _dt.date
    unearned_fraction: FloatArray
    gross: FloatArray
    reinsurance: FloatArray
    classes: tuple[str, ...]
    class_code: npt.NDArray[np.int64]
    gross_by_class: FloatArray
    reinsurance_by_class: FloatArray
    premium_by_class: FloatArray
    reinsurance_method: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def net(self) -> FloatArray:
        return np.asarray(self.gross - self.reinsurance)

    @property
    def net_by_class(self) -> FloatArray:
        return np.asarray(self.gross_by_class - self.reinsurance_by_class)

    @property
    def total_gross(self) -> float:
        return float(self.gross.sum())

    @property
    def total_reinsurance(self) -> float:
        return float(self.reinsurance.sum())

    def by_class(self) -> dict[str, dict[str, float]]:
        return {c: {"premium": float(self.premium_by_class[k]), "gross": float(self.gross_by_class[k]),
                    "reinsurance": float(self.reinsurance_by_class[k]), "net": float(self.net_by_class[k])}
                for k, c in enumerate(self.classes)}


def unearned_premium(
    premium: npt.ArrayLike,
    start: object,
    end: object,
    valuation: _dt.date,
    classes: Sequence[object] | npt.NDArray[Any],
    *,
    ceded_premium: npt.ArrayLike | None = None,
    reinsurance_share: npt.ArrayLike | Mapping[str, float] | None = None,
) -> UPRResult:
    """UPR of contracts at ``valuation`` by day (see the module docstring).

    ``premium`` (N,) written premiums (≥ 0), ``start``/``end`` (N,) inclusive cover dates, ``classes`` (N,)
    class labels. At most one of ``ceded_premium`` (N,) and ``reinsurance_share`` (scalar, (N,) or
    ``{class: share}``, each in [0, 1]) gives the reinsurer's share; neither means none.
    """
    p = np.asarray(premium, dtype=np.float64).reshape(-1)
    n = p.shape[0]
    if not np.isfinite(p).all() or (p < 0).any():
        i = int(np.flatnonzero(~np.isfinite(p) | (p < 0))[0])
        raise InputError(f"contract {i + 1}: the premium must be a finite amount ≥ 0, not {p[i]}", column="premium",
                         row=i + 2)
    s = _dates(start, n, "start")
    e = _dates(end, n, "end")
    if (e < s).any():
        i = int(np.flatnonzero(e < s)[0])
        raise InputError(f"contract {i + 1}: the cover ends before it starts", column="end", row=i + 2)
    labels, code = class_codes(classes, n)
    v = np.datetime64(valuation, "D").astype(np.int64)
    days = (e - s + 1).astype(np.float64)
    after = np.clip(e - v, 0, None).astype(np.float64)
    frac = np.minimum(after, days) / days
    gross = p * frac
    if ceded_premium is not None and reinsurance_share is not None:
        raise InputError("give the ceded premium or the reinsurance share, not both")
    if ceded_premium is not None:
        c = np.asarray(ceded_premium, dtype=np.float64).reshape(-1)
        if c.shape != (n,) or not np.isfinite(c).all() or (c < 0).any() or (c > p * (1 + 1e-12)).any():
            raise InputError("the ceded premium needs one finite amount per contract, between 0 and the premium",
                             column="ceded_premium")
        re = c * frac
        method = "pro rata temporis by day on the ceded premium of each contract"
    elif reinsurance_share is not None:
        if isinstance(reinsurance_share, Mapping):
            miss = [c for c in labels if c not in reinsurance_share]
            if miss:
                raise InputError(f"no reinsurance share for class(es) {miss}: give one per class (0 for none)",
                                 column="reinsurance_share")
            share = np.array([float(reinsurance_share[c]) for c in labels])[code]
            method = "reinsurance share per class × gross UPR"
        else:
            try:
                share = np.broadcast_to(np.asarray(reinsurance_share, dtype=np.float64), (n,)).copy()
            except ValueError:
                raise InputError(f"give one reinsurance share or one per contract ({n})",
                                 column="reinsurance_share") from None
            method = "reinsurance share per contract × gross UPR"
        if not np.isfinite(share).all() or (share < 0).any() or (share > 1).any():
            raise InputError("a reinsurance share must lie between 0 and 1", column="reinsurance_share")
        re = share * gross
    else:
        re = np.zeros(n)
        method = "no reinsurance"
    k = len(labels)
    return UPRResult(
        valuation=valuation, unearned_fraction=frac, gross=gross, reinsurance=re, classes=labels, class_code=code,
        gross_by_class=np.bincount(code, weights=gross, minlength=k).astype(np.float64),
        reinsurance_by_class=np.bincount(code, weights=re, minlength=k).astype(np.float64),
        premium_by_class=np.bincount(code, weights=p, minlength=k).astype(np.float64),
        reinsurance_method=method,
        parameters={"basis": "pro rata temporis by day; cover dates inclusive; the valuation day is earned"},
    )
