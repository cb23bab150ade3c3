"""Backtest of the IBNR methods on CAS/NAIC Schedule P full squares: error of the total reserve per line of business.

Data: the ``cas-schedule-p`` package (publish 20260613_041006), paid and incurred (reported) loss triangles with
their full 10 × 10 squares per company × line of business (accident years 1988–1997 and 1998–2007), and the net
earned premium per accident year. For each square ``core.statutory.adequacy.backtest`` hides everything after the
latest diagonal of the upper triangle (cut t = 9), each method estimates the reserve of the ten accident years
and the error is taken against the known outcome ``Σ_i (C_{i,10} − C_{i,10−i})``. Methods: chain ladder; Mack
(same point estimate as the chain ladder: the row also reports how often the outcome falls within ±1.96 Mack
s.e.); Bornhuetter–Ferguson with the a-priori loss ratio = the company's premium-based expected loss ratio from
its earlier (the five oldest) accident years, i.e. their chain-ladder ultimates over their premium at the cut;
Cape Cod on the premium. The total reserve is the estimated unpaid at the cut: the method's IBNR plus, for
incurred squares, the case reserves on the diagonal (incurred − paid); the outcome is the known unpaid
(ultimate − paid to date). A square is used when every premium is positive, every first-age amount is positive
and the known unpaid is positive. The error is (estimate − outcome) / outcome; the table reports the mean and
median absolute percentage error (MAPE, MdAPE) and the mean signed error (bias). The ultimate of a square is its
age-10 amount (no tail beyond ten years).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from aktuar.core.reserving import BornhuetterFerguson, CapeCod, ChainLadder, Development, Triangle
from aktuar.core.reserving.mack import Mack
from aktuar.core.statutory import backtest

GOAL = ("Report the error of chain ladder, BF, Cape Cod and Mack per line of business (paid and incurred) on the "
        "Schedule P full squares (issue 6); no failures.")
CUT = 9


def squares(measure: str, *, limit: int | None = None) -> dict[str, tuple[Triangle, np.ndarray, np.ndarray]]:
    """Per line of business: the complete cumulative squares (S, 10, 10) of ``measure``, the premium (S, 10) and
    the case reserves at the cut (S,): incurred − paid on the latest diagonal (0 for paid squares)."""
    import cas_schedule_p as csp
    import polars as pl

    keys = ["company_code", "line_of_business", "accident_year"]
    ages = [str(a) for a in range(1, 11)]
    paid = pl.from_arrow(csp.read("mart_paid_loss_triangle")).select(keys + [pl.col(a).alias(f"p{a}") for a in ages])
    inc = pl.from_arrow(csp.read("mart_incurred_loss_triangle")).select(keys + [pl.col(a).alias(f"i{a}")
                                                                                for a in ages])
    prem = pl.from_arrow(csp.read("mart_reserving_model_training")).group_by(keys).agg(
        pl.col("earned_prem_net").first())
    tri = paid.join(inc, on=keys, how="inner").join(prem, on=keys, how="left")
    tri = tri.with_columns(((pl.col("accident_year") - 1988) // 10).alias("block"))
    key = "p" if measure == "paid" else "i"
    diag = np.arange(10), 9 - np.arange(10)
    out: dict[str, tuple[Triangle, np.ndarray, np.ndarray]] = {}
    for (lob,), part in sorted(tri.group_by(["line_of_business"]), key=lambda x: str(x[0][0])):
        vals, prems, cases, labels = [], [], [], []
        for (code, block), sq in sorted(part.group_by(["company_code", "block"]), key=lambda x: (str(x[0][0]),
                                                                                               int(x[0][1]))):
            if sq.height != 10:
                continue
            sq = sq.sort("accident_year")
            v = sq.select([f"{key}{a}" for a in ages]).to_numpy().astype(np.float64)
            pv = sq.select([f"p{a}" for a in ages]).to_numpy().astype(np.float64)
            p = sq["earned_prem_net"].to_numpy().astype(np.float64)
            case = float((v[diag] - pv[diag]).sum()) if measure == "incurred" else 0.0
            outcome = float((v[:, -1] - v[diag]).sum()) + case  # total unpaid at the cut, known from the square
            if not (np.isfinite(v).all() and np.isfinite(p).all() and (p > 0).all() and (v[:, 0] > 0).all()
                    and outcome > 0):
                continue
            vals.append(v)
            prems.append(p)
            cases.append(case)
            labels.append((f"{code}/{1988 + 10 * int(block)}",))
            if limit is not None and len(vals) >= limit:
                break
        if not vals:
            continue
        t = Triangle(values=np.stack(vals), origin=tuple(str(y) for y in range(1, 11)),
                     development=np.arange(1, 11) * 12, segments=tuple(labels), segment_names=("square",))
        out[str(lob)] = (t, np.stack(prems), np.asarray(cases))
    return out


def _apriori(cut: Triangle, premium: np.ndarray) -> np.ndarray:
    """The company's expected loss ratio from its five oldest accident years (chain-ladder ultimate / premium)."""
    ult = ChainLadder(Development()).fit(cut).ultimate
    lr = ult[:, :5].sum(axis=1) / premium[:, :5].sum(axis=1)
    return np.asarray(np.clip(np.nan_to_num(lr, nan=0.0), 0.0, 10.0), dtype=np.float64)


def methods(premium: np.ndarray) -> dict[str, Any]:
    dev = Development()

    def bf(t: Triangle) -> Any:
        return BornhuetterFerguson(apriori=_apriori(t, premium)[:, None], development=dev).fit(t, premium)

    return {
        "chain ladder": ChainLadder(dev).fit,
        "Mack": Mack(dev).fit,
        "Bornhuetter–Ferguson": bf,
        "Cape Cod": lambda t: CapeCod(development=dev).fit(t, premium),
    }


def _mack_coverage(full: Triangle) -> float:
    cum = full.cum()
    keep = (np.arange(10)[:, None] + np.arange(10)[None, :]) <= CUT
    cut = cum.with_values(np.where(keep[None], cum.values, np.nan), valuation=None)
    res = Mack(Development()).fit(cut)
    actual = cum.values[:, :, -1].sum(axis=1) - cut.latest().sum(axis=1)  # the IBNR outcome (s.e. is of IBNR)
    est = res.ibnr.sum(axis=1)
    se = res.total_se if res.total_se is not None else np.zeros_like(est)
    ok = np.isfinite(se)
    return float(np.mean(np.abs(actual[ok] - est[ok]) <= 1.96 * se[ok])) if ok.any() else float("nan")


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for measure in ("paid", "incurred"):
        for lob, (full, premium, case) in squares(measure, limit=20 if quick else None).items():
            for name, method in methods(premium).items():
                t0 = time.perf_counter()
                res = backtest(full, {name: method}, diagonals=[CUT])
                secs = time.perf_counter() - t0
                # the total reserve (estimated unpaid) against the known total unpaid: the IBNR error over the
                # outcome plus the case reserves at the cut (incurred squares; 0 for paid)
                err = np.array([ln.error for ln in res.lines])
                outcome = np.array([ln.actual for ln in res.lines]) + case
                rel = err / outcome
                ok = np.isfinite(rel)
                ape = np.abs(rel[ok])
                note = (f"MAPE {np.mean(ape):.1%}, MdAPE {np.median(ape):.1%}, bias {np.mean(rel[ok]):+.1%}, "
                        f"n = {int(ok.sum())} squares" + (f" ({int((~ok).sum())} without a finite estimate)"
                                                          if (~ok).any() else ""))
                if name == "Mack":
                    note += f"; outcome within ±1.96 s.e. in {_mack_coverage(full):.0%}"
                rows.append({"name": f"{name}, {lob.replace('_', ' ')}, {measure}", "aktuar_s": secs,
                             "peer": "known outcome (full square)", "peer_s": float("nan"), "ratio": float("nan"),
                             "aktuar_peak_mb": float("nan"), "peer_peak_mb": float("nan"), "notes": note,
                             "method": name, "lob": lob, "measure": measure, "mape": float(np.mean(ape)),
                             "mdape": float(np.median(ape)), "n": int(ok.sum())})
    return rows
