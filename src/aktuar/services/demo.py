"""``aktuar demo``: a synthetic insurer's data, every reserving method on every class, a workbook and a page.

The run is what an actuary does with a claims extract, end to end:

1. generate the demo insurer (:mod:`aktuar.demo.synthetic`) and write its input files to the folder:
   ``claims_transactions.csv``, ``premiums.csv``, ``exposure.csv`` and ``ulae.csv``;
2. read them back through the data layer, as a user's files would be: annual paid and incurred triangles by
   class at the valuation date, the earned premium of each accident year as exposure;
3. for every class: chain ladder on paid and on incurred claims, Mack's standard errors, Bornhuetter–Ferguson
   with the plan loss ratio, Cape Cod, the ODP bootstrap (1 000 simulations), the Merz–Wüthrich one-year
   uncertainty, the smoothing of large losses, and the expected cash flows of the reserve by calendar year;
4. the claims-settlement expense (ULAE) reserve by the paid-to-paid method over the last three calendar years;
5. write ``reserves.xlsx`` (results, triangles, comparison of methods, bootstrap, cash flows, large losses,
   ULAE), ``reserves.json`` (schema ``aktuar-reserve/1``) and ``summary.html``.

The selected estimate is Mack's chain ladder: on paid claims for the short-tailed classes (the reserve for
unpaid claims from paid triangles, IBNR being the unpaid less the case reserves), on incurred claims for the
employee-accident class, whose annuities run for decades beyond the ten years of the triangle and whose case
reserves (the annuities' values) carry that information. The actuary's selections per class are in
:data:`SELECTIONS`; the paid development of the employee-accident class (for its paid chain ladder, BF, Cape
Cod, bootstrap and payment pattern) takes an exponential tail through the factors from age 48.

The ODP bootstrap is a model of paid increments (England & Verrall 2002), so it runs on the paid triangle of
every class. Where the selected estimate is on incurred claims, its simulated reserves are scaled by the ratio
of the selected reserve to the bootstrap mean (the distribution's shape and coefficient of variation are
kept, its mean becomes the selected reserve) to give the quantiles of the selected reserve; the unscaled mean
is shown among the methods.

Since the data are synthetic, the payments after the valuation date are known: the page and the workbook
compare every method with them ("hindsight"), which no real reserving exercise can do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar import __version__
from aktuar.core.curves import SmithWilsonCurve, smith_wilson
from aktuar.core.ifrs17.risk_adjustment import DiversifiedRA, diversify, ra_simulations
from aktuar.core.reserving import ReserveResult, Triangle
from aktuar.core.reserving.expenses import PaidToPaid, ULAEResult
from aktuar.core.reserving.large_losses import ClaimData, LargeLossResult, LargeLossSmoothing
from aktuar.core.reserving.patterns import CashFlows, cash_flows
from aktuar.demo.synthetic import CLASSES, CURRENCY, VALUATION, ClassSpec, DemoInsurer, generate_insurer
from aktuar.errors import InputError
from aktuar.fsutil import atomic_write
from aktuar.services.inputs import file_sha256
from aktuar.services.reserving import ReserveRequest, estimate, run_reserving

FloatArray = npt.NDArray[np.float64]
StepProgress = Callable[[str, int, int], None]

INPUT_FILES: dict[str, str] = {
    "transactions": "claims_transactions.csv",
    "premiums": "premiums.csv",
    "exposure": "exposure.csv",
    "ulae": "ulae.csv",
}
OUTPUT_FILES: dict[str, str] = {"workbook": "reserves.xlsx", "json": "reserves.json", "html": "summary.html"}

# Demo discount curve (synthetic, illustrative KZT zero-coupon rates, annual compounding) extrapolated by
# Smith–Wilson to an ultimate forward rate of 8 % (a demo assumption: long-run inflation plus a real rate).
DEMO_CURVE_MATURITIES: tuple[float, ...] = (1, 2, 3, 5, 7, 10)
DEMO_CURVE_RATES: tuple[float, ...] = (0.145, 0.140, 0.135, 0.130, 0.125, 0.120)
DEMO_UFR = 0.08
# IFRS 17 risk adjustment of the demo: confidence level of the bootstrap reserve distributions, diversified
# between classes with one illustrative correlation (a demo assumption, to be set by the methodology).
DEMO_RA_CONFIDENCE = 0.75
DEMO_CLASS_CORRELATION = 0.25


def demo_risk_adjustment(runs: list[ClassRun]) -> tuple[list[float], DiversifiedRA]:
    """Stand-alone RA per class at DEMO_RA_CONFIDENCE from its (scaled) bootstrap simulations, and the RA
    diversified across classes by a correlation matrix with DEMO_CLASS_CORRELATION off the diagonal."""
    ras = [ra_simulations(r.bootstrap.components["total_ibnr_sims"][0] * r.bootstrap_scale, DEMO_RA_CONFIDENCE).ra[0]
           for r in runs]
    n = len(runs)
    corr = np.full((n, n), DEMO_CLASS_CORRELATION)
    np.fill_diagonal(corr, 1.0)
    return [float(x) for x in ras], diversify(np.asarray(ras), corr)


def demo_curve() -> SmithWilsonCurve:
    return smith_wilson(np.asarray(DEMO_CURVE_MATURITIES, dtype=float), np.asarray(DEMO_CURVE_RATES), DEMO_UFR)


def present_value(flows: CashFlows, curve: SmithWilsonCurve) -> float:
    """Present value at ``curve`` of a class's expected payments (segment 0), at their payment times in years."""
    years = flows.times * ((flows.period_months or 12) / 12.0)
    return float((flows.total[0] * curve.discount(years)).sum())


if TYPE_CHECKING:
    from aktuar.services.demo_platform import GovernedDemo
    from aktuar.services.ifrs17 import CloseRun
    from aktuar.services.statutory import StatutoryRun


@dataclass(frozen=True)
class Selection:
    """The actuary's choices for one class: the triangle of the selected estimate (``basis``: paid or
    incurred) and the tail of the paid development (used by every method on paid claims and by the payment
    pattern), spread over ``tail_periods`` calendar years decaying by ``tail_decay``."""

    basis: str = "paid"
    paid_tail: str = "none"
    paid_tail_fit_from: int | None = None
    tail_periods: int = 3
    tail_decay: float = 0.5

    def request(self, method: str, measure: str = "paid", **options: Any) -> ReserveRequest:
        tail = self.paid_tail if measure == "paid" else "none"
        fit_from = self.paid_tail_fit_from if measure == "paid" else None
        return ReserveRequest(method=method, sigma="mack", tail=tail, tail_fit_from=fit_from, **options)


SELECTIONS: dict[str, Selection] = {
    "OGPO VTS": Selection(),
    "Property": Selection(),
    "OSNS": Selection(basis="incurred", paid_tail="exponential", paid_tail_fit_from=48, tail_periods=15,
                      tail_decay=0.85),
    "DMS": Selection(),
}
ULAE_LATEST_YEARS = 3


@dataclass(frozen=True)
class ClassRun:
    """Everything computed for one class (one-segment triangles and results)."""

    spec: ClassSpec
    selection: Selection
    paid: Triangle
    incurred: Triangle
    exposure: FloatArray  # (O,)
    chainladder: ReserveResult  # on paid claims
    mack: ReserveResult  # the selected estimate, on the ``selection.basis`` triangle
    incurred_cl: ReserveResult
    bf: ReserveResult
    capecod: ReserveResult
    bootstrap: ReserveResult  # on paid claims
    cdr: ReserveResult  # on the ``selection.basis`` triangle
    large_losses: LargeLossResult
    cash_flows: CashFlows
    case_reserves: FloatArray  # (O,)
    hindsight: FloatArray  # (O,) payments after the valuation (synthetic data only)

    @property
    def paid_latest(self) -> FloatArray:
        return np.asarray(self.paid.latest()[0])

    @property
    def unpaid(self) -> FloatArray:
        """The selected reserve for unpaid claims by origin: the selected ultimate less the paid to date."""
        return np.asarray(self.mack.ultimate[0] - self.paid_latest)

    @property
    def bootstrap_scale(self) -> float:
        """Factor that takes the bootstrap's simulated reserves to the selected reserve: 1 on a paid basis, the
        selected reserve over the bootstrap mean on an incurred basis."""
        mean = float(self.bootstrap.ibnr.sum())
        if self.selection.basis == "paid" or mean <= 0:
            return 1.0
        return float(self.unpaid.sum()) / mean


@dataclass(frozen=True)
class DemoResult:
    """Summary rows per class (keys: class, latest, ultimate, ibnr, se, q995, case_reserves, pure_ibnr, cdr_se,
    ulae_reserve, actual_unpaid; amounts in KZT), the files written and the classes' computations."""

    summary: list[dict[str, Any]]
    files: dict[str, Path]
    classes: list[ClassRun]
    ulae: ULAEResult
    warnings: list[str]
    governed: GovernedDemo | None = None
    risk_adjustment: DiversifiedRA | None = None
    ifrs17: CloseRun | None = None
    statutory: StatutoryRun | None = None


def _write_bytes(path: Path, data: bytes) -> None:
    def write(fh: BinaryIO) -> None:
        fh.write(data)

    atomic_write(path, write, binary=True)


def _write_inputs(insurer: DemoInsurer, folder: Path) -> dict[str, Path]:
    frames = {"transactions": insurer.transactions, "premiums": insurer.premiums, "exposure": insurer.exposure,
              "ulae": insurer.ulae}
    paths: dict[str, Path] = {}
    for key, frame in frames.items():
        path = folder / INPUT_FILES[key]
        _write_bytes(path, frame.write_csv(float_precision=2).encode("utf-8"))
        paths[key] = path
    return paths


@dataclass(frozen=True)
class _ClaimRows:
    """The transactions' columns the large-loss smoothing needs, read once through the data layer."""

    claim_id: npt.NDArray[Any]
    cls: npt.NDArray[Any]
    accident_month: npt.NDArray[np.int64]
    transaction_month: npt.NDArray[np.int64]
    paid: FloatArray


def _claim_rows(table: Any) -> _ClaimRows:
    from aktuar.core.reserving.triangles import months_of_days
    from aktuar.data.readers import date_column, number_column, text_column

    return _ClaimRows(
        claim_id=text_column(table, "claim_id").to_numpy(),
        cls=text_column(table, "class").to_numpy(),
        accident_month=months_of_days(date_column(table, "accident_date")),
        transaction_month=months_of_days(date_column(table, "transaction_date")),
        paid=number_column(table, "paid", what="an amount"),
    )


def _claim_data(rows: _ClaimRows, code: str, tri: Triangle) -> ClaimData:
    """Paid amounts of the class's claims on the triangle's grid (origin and development index per row)."""
    keep = rows.cls == code
    if tri.origin_start is None:
        raise InputError("the paid triangle has no origin dates: build it from transactions")
    starts = np.asarray(tri.origin_start, dtype=np.int64)
    origin = np.searchsorted(starts, rows.accident_month[keep], side="right") - 1
    age = rows.transaction_month[keep] - starts[origin] + 1
    dev = np.searchsorted(tri.development, age, side="left")
    return ClaimData.from_transactions(rows.claim_id[keep], np.zeros(int(keep.sum()), np.int64), origin, dev,
                                       rows.paid[keep], n_development=tri.shape[2])


def _class_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([int(seed), 17, index]).generate_state(1)[0])


def _reserve_class(spec: ClassSpec, index: int, paid: Triangle, incurred: Triangle, exposure: FloatArray,
                   rows: _ClaimRows, hindsight: FloatArray, seed: int, sims: int) -> ClassRun:
    sel = SELECTIONS.get(spec.code, Selection())
    if sel.basis not in ("paid", "incurred"):
        raise InputError(f"the selected basis of class {spec.code} must be paid or incurred, not {sel.basis!r}")
    exp = exposure[None, :]
    base = incurred if sel.basis == "incurred" else paid
    cl = estimate(paid, sel.request("chainladder"))
    mack = estimate(base, sel.request("mack", sel.basis))
    inc_cl = estimate(incurred, sel.request("chainladder", "incurred"))
    bf = estimate(paid, sel.request("bf", apriori=spec.plan_loss_ratio), exp)
    cc = estimate(paid, sel.request("capecod"), exp)
    boot = run_reserving(paid, sel.request("bootstrap", sims=sims, seed=_class_seed(seed, index)))[0]
    cdr = estimate(base, sel.request("cdr", sel.basis))
    claims = _claim_data(rows, spec.code, paid)
    paid_dev = sel.request("chainladder").development()
    large = LargeLossSmoothing(threshold=spec.large_loss_threshold, development=paid_dev).fit(claims, paid)
    if sel.basis == "paid":
        flows = cash_flows(mack, tail_periods=sel.tail_periods, tail_decay=sel.tail_decay)
    else:
        flows = cash_flows(mack, paid=paid, pattern=paid_dev.fit(paid), tail_periods=sel.tail_periods,
                           tail_decay=sel.tail_decay)
    # outstanding case reserves: incurred less paid, to the tiyn (the difference of two sums leaves noise)
    case = np.round(np.asarray((incurred.latest() - paid.latest())[0]), 2)
    return ClassRun(spec, sel, paid, incurred, exposure, cl, mack, inc_cl, bf, cc, boot, cdr, large, flows, case,
                    hindsight)


def _quantile(res: ReserveResult, level: float) -> float:
    if res.total_quantiles is None:
        return float("nan")
    for j, q in enumerate(res.quantile_levels):
        if abs(q - level) < 1e-12:
            return float(res.total_quantiles[0, j])
    return float("nan")


def class_warnings(run: ClassRun) -> list[str]:
    """The methods' warnings of the class and the demo's diagnostics (disagreements worth a look)."""
    out: list[str] = []
    for res in (run.mack, run.incurred_cl, run.bf, run.capecod, run.bootstrap, run.cdr):
        for w in (res.warnings[0] if res.warnings else []):
            msg = f"{res.method}: {w}"
            if msg not in out:
                out.append(msg)
    for w in (run.large_losses.warnings[0] if run.large_losses.warnings else []):
        out.append(f"large losses: {w}")
    for w in (run.cash_flows.warnings[0] if run.cash_flows.warnings else []):
        out.append(f"cash flows: {w}")
    unpaid = float(run.unpaid.sum())
    other = run.incurred_cl if run.selection.basis == "paid" else run.chainladder
    other_name = "incurred" if run.selection.basis == "paid" else "paid"
    other_unpaid = float(other.ultimate.sum() - run.paid_latest.sum())
    if unpaid > 0 and abs(other_unpaid / unpaid - 1.0) > 0.2:
        out.append(
            f"the chain ladder on {other_name} claims gives an unpaid of {other_unpaid:,.0f}, "
            f"{other_unpaid / unpaid - 1.0:+.0%} against the selected {run.selection.basis} chain ladder: check "
            "the tail and the case reserves")
    mack_se = run.mack.total_se
    if mack_se is not None and unpaid > 0 and float(mack_se[0]) / unpaid > 0.3:
        out.append(f"Mack's coefficient of variation of the reserve is {float(mack_se[0]) / unpaid:.0%}: the "
                   "reserve is very uncertain")
    boot_mean = float(run.bootstrap.ibnr.sum())
    paid_cl = float(run.chainladder.ibnr.sum())
    if paid_cl > 0 and abs(boot_mean / paid_cl - 1.0) > 0.05:
        out.append(f"the bootstrap mean differs from the paid chain ladder by {boot_mean / paid_cl - 1.0:+.1%}")
    if run.selection.basis != "paid":
        out.append(f"the bootstrap (paid claims) is scaled by {run.bootstrap_scale:.4f} to the selected "
                   f"{run.selection.basis} reserve for its quantiles")
    neg = [run.paid.origin[o] for o in np.flatnonzero(run.unpaid < -0.5)]
    if neg:
        out.append(f"negative reserve for accident year(s) {', '.join(neg)}")
    return out


def run_demo(
    folder: Path | str,
    *,
    seed: int = 2026,
    progress: StepProgress | None = None,
    valuation: date = VALUATION,
    scale: float = 1.0,
    sims: int = 1000,
    platform: bool = True,
    ifrs17: bool = True,
    statutory: bool = True,
) -> DemoResult:
    """Generate the demo insurer into ``folder``, reserve every class and write the workbook and the page.

    With ``platform`` the governed part follows (demo users with two-factor login, a coordinated methodology, a
    run prepared, reviewed and approved by three people, the audit trail verified; see ``demo_platform``).
    With ``ifrs17`` the demo insurer's IFRS 17 close for two reporting dates follows in ``folder/ifrs17`` (its
    inputs, configuration and results; see ``aktuar.demo.ifrs17_inputs``). With ``statutory`` the statutory close at
    31.12.2026 with the actuarial opinion follows in ``folder/statutory`` (``aktuar.demo.statutory_inputs``).
    ``progress(step, done, total)`` is called before every step. ``scale`` multiplies the claim counts (1.0:
    about 100 000 transactions); ``sims`` is the number of bootstrap simulations per class.
    """
    from aktuar.data.readers import read_table
    from aktuar.data.triangles import read_exposure, triangle_from_transactions
    from aktuar.reports.html import render_reserve_report
    from aktuar.reports.reserve_output import to_document, write_json

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file: give a folder for the demo's files")
    folder.mkdir(parents=True, exist_ok=True)
    classes = CLASSES
    steps = ["synthetic insurer", "input files", "triangles", *[f"reserving {c.code}" for c in classes],
             "claims-settlement expenses", "workbook", "HTML summary", *(["IFRS 17 close"] if ifrs17 else []),
             *(["statutory close"] if statutory else [])]
    total = len(steps)
    done = 0

    def step() -> None:
        nonlocal done
        if progress is not None:
            progress(steps[done], done, total)
        done += 1

    step()
    insurer = generate_insurer(seed, valuation=valuation, scale=scale, classes=classes)
    step()
    files = _write_inputs(insurer, folder)

    step()
    table = read_table(files["transactions"])
    paid_all = triangle_from_transactions(table, valuation=valuation, segment_columns=("class",), measure="paid")
    inc_all = triangle_from_transactions(table, valuation=valuation, segment_columns=("class",),
                                         measure="incurred")
    exposure_all = read_exposure(files["exposure"], paid_all)
    claim_rows = _claim_rows(table)
    hind = insurer.hindsight

    runs: list[ClassRun] = []
    for i, spec in enumerate(classes):
        step()
        s = paid_all.segments.index((spec.code,))
        h = hind.filter(pl.col("class") == spec.code)
        by_origin = dict(zip([str(o) for o in h["origin"].to_list()], h["unpaid"].to_list(), strict=True))
        hindsight = np.array([by_origin.get(o, 0.0) for o in paid_all.origin], dtype=np.float64)
        runs.append(_reserve_class(spec, i, paid_all.select([s]), inc_all.select([s]), exposure_all[s], claim_rows,
                                   hindsight, seed, sims))

    step()
    ulae = _ulae(runs, files["ulae"], claim_rows)

    warnings_by_class = [class_warnings(r) for r in runs]
    curve = demo_curve()
    summary = [_summary_row(r, float(ulae.reserve[i]), curve) for i, r in enumerate(runs)]
    ra_classes, ra_total = demo_risk_adjustment(runs)
    for row, ra, alloc in zip(summary, ra_classes, ra_total.allocated, strict=True):
        row["ra75"] = ra
        row["ra75_diversified"] = float(alloc)

    step()
    source = {key: {"file": str(p.name), "sha256": file_sha256(p)} for key, p in files.items()}
    options = {
        "method": "mack", "average": "volume", "sigma": "mack",
        "basis_by_class": {r.spec.code: r.selection.basis for r in runs},
        "paid_tail_by_class": {
            r.spec.code: ({"tail": r.selection.paid_tail, "fit_from": r.selection.paid_tail_fit_from}
                          if r.selection.paid_tail != "none" else "none") for r in runs},
        "seed": seed, "scale": scale, "bootstrap_sims": sims,
    }
    document = to_document([r.mack for r in runs], method="mack", options=options, source=source)
    measures = [r.mack.triangle.measure for r in runs]
    for seg, measure in zip(document["segments"], measures, strict=True):
        seg["measure"] = measure
    if len(set(measures)) > 1:
        document["measure"] = "by segment"
    xlsx_path = folder / OUTPUT_FILES["workbook"]
    json_path = folder / OUTPUT_FILES["json"]
    _write_workbook(xlsx_path, document, runs, ulae, summary)
    write_json(json_path, document)

    step()
    report = _html_report(insurer, runs, ulae, warnings_by_class, source, seed, sims)
    html_path = folder / OUTPUT_FILES["html"]
    _write_bytes(html_path, render_reserve_report(report).encode("utf-8"))
    close = None
    if ifrs17:
        step()
        close = run_demo_close(folder / "ifrs17", seed=seed, scale=scale)
    stat = None
    if statutory:
        step()
        stat = run_demo_statutory(folder / "statutory", seed=seed, scale=scale)
    if progress is not None:
        progress("done", total, total)

    files = {**files, "workbook": xlsx_path, "json": json_path, "html": html_path}
    flat = [f"{r.spec.code}: {w}" for r, ws in zip(runs, warnings_by_class, strict=True) for w in ws]
    governed = None
    if platform:
        from aktuar.services.demo_platform import run_governed_demo

        def governed_progress(name: str, done_: int, total_: int) -> None:
            if progress is not None:  # the governed steps follow the finished reserving steps on one scale
                progress(name, total + done_, total + total_)

        governed = run_governed_demo(folder, files["transactions"], valuation, progress=governed_progress)
        files = {**files, "data directory": governed.data_dir, **governed.documents}
    if close is not None:
        files = {**files, "IFRS 17 results": close.files["balances"].parent}
    if stat is not None:
        files = {**files, "statutory results": stat.files[f"statutory-{stat.document['valuation_date']}.json"].parent}
    return DemoResult(summary, files, runs, ulae, flat, governed, ra_total, close, stat)


def run_demo_close(folder: Path, *, seed: int = 2026, scale: float = 1.0) -> CloseRun:
    """The demo insurer's IFRS 17 close: inputs and configuration into ``folder``, results into
    ``folder/results`` (the same as ``aktuar ifrs17 measure folder/ifrs17.toml --out folder/results``)."""
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs
    from aktuar.services.ifrs17 import run_close

    config = write_demo_close_inputs(folder, seed=seed, scale=scale)
    return run_close(config, folder / "results")


def run_demo_statutory(folder: Path, *, seed: int = 2026, scale: float = 1.0) -> StatutoryRun:
    """The demo insurer's statutory close at 31.12.2026 (pack kz/2026-02) with the actuarial opinion: inputs and
    configuration into ``folder``, results into ``folder/results`` (the same as ``aktuar statutory close
    folder/statutory.toml --out folder/results``); then the opinion on a major transaction into
    ``folder/transaction`` (``aktuar statutory transaction folder/transaction.toml``) and the independent
    actuary's opinion into ``folder/independent`` (``aktuar statutory independent folder/independent.toml``)."""
    from aktuar.demo.statutory_inputs import write_demo_opinion_inputs, write_demo_statutory_inputs
    from aktuar.services.opinions import run_independent_opinion, run_transaction_opinion
    from aktuar.services.statutory import StatutoryRun, run_statutory_close

    config = write_demo_statutory_inputs(folder, seed=seed, scale=scale)
    run = run_statutory_close(config, folder / "results")
    when = run.document["valuation_date"]
    # the opinion on a major transaction (KZ191-MT) and the independent actuary's opinion (KZ191-IND)
    mt_config, ind_config = write_demo_opinion_inputs(folder, run.files[f"statutory-{when}.json"],
                                                      run.files[f"opinion-text-{when}.toml"], scale=scale)
    mt = run_transaction_opinion(mt_config, folder / "transaction")
    ind = run_independent_opinion(ind_config, folder / "independent")
    return StatutoryRun(run.close, run.document, {**run.files, **mt.files, **ind.files})


def _ulae(runs: list[ClassRun], path: Path, rows: _ClaimRows) -> ULAEResult:
    """Paid-to-paid ULAE reserve: the paid ULAE of ``path`` against the paid claims of the same calendar years."""
    from aktuar.data.readers import number_column, read_table, text_column

    table = read_table(path)
    cls = text_column(table, "class").to_list()
    year = number_column(table, "year", what="a calendar year")
    amount = number_column(table, "paid_ulae", what="an amount")
    got = {(c, int(y)): float(a) for c, y, a in zip(cls, year, amount, strict=True)}
    years = sorted({y for _, y in got})
    if not years:
        raise InputError("the ULAE file has no rows", file=str(path))
    ulae = np.array([[got.get((r.spec.code, y), np.nan) for y in years] for r in runs])
    tx_year = rows.transaction_month // 12
    paid_cy = np.zeros_like(ulae)
    for i, r in enumerate(runs):
        keep = (rows.cls == r.spec.code) & (tx_year >= years[0]) & (tx_year <= years[-1])
        paid_cy[i] = np.bincount(tx_year[keep] - years[0], weights=rows.paid[keep], minlength=len(years))[
            [y - years[0] for y in years]]
    case = np.array([r.case_reserves.sum() for r in runs])
    unpaid = np.array([r.unpaid.sum() for r in runs])
    return PaidToPaid(method="classical", latest=ULAE_LATEST_YEARS).fit(
        ulae, paid_cy, case, unpaid - case, period_labels=[str(y) for y in years],
        segment_labels=[r.spec.code for r in runs])


def _summary_row(r: ClassRun, ulae_reserve: float, curve: SmithWilsonCurve) -> dict[str, Any]:
    unpaid = float(r.unpaid.sum())
    pv = present_value(r.cash_flows, curve)
    case = float(r.case_reserves.sum())
    return {
        "class": r.spec.code,
        "basis": r.selection.basis,
        "latest": float(r.paid_latest.sum()),
        "ultimate": float(r.mack.ultimate.sum()),
        "ibnr": unpaid,
        "se": float(r.mack.total_se[0]) if r.mack.total_se is not None else float("nan"),
        "q995": _quantile(r.bootstrap, 0.995) * r.bootstrap_scale,
        "case_reserves": case,
        "pure_ibnr": unpaid - case,
        "cdr_se": float(r.cdr.total_se[0]) if r.cdr.total_se is not None else float("nan"),
        "ulae_reserve": ulae_reserve,
        "actual_unpaid": float(r.hindsight.sum()),
        "pv_unpaid": pv,
    }


# ============================================================================================== outputs
METHOD_LABELS: tuple[tuple[str, str, str], ...] = (
    ("cl_paid", "Цепная лестница (оплаченные)", "Chain ladder (paid)"),
    ("cl_incurred", "Цепная лестница (понесённые)", "Chain ladder (incurred)"),
    ("bf", "Борнхюттер–Фергюсон", "Bornhuetter–Ferguson"),
    ("capecod", "Кейп-Код", "Cape Cod"),
    ("bootstrap", "Бутстрэп ODP (среднее)", "ODP bootstrap (mean)"),
    ("large", "ЦЛ со сглаживанием крупных убытков", "CL with large losses smoothed"),
)


def method_unpaid(r: ClassRun) -> dict[str, FloatArray]:
    """Unpaid claims (ultimate − paid to date) by origin for every method of the class."""
    paid_latest = r.paid_latest
    return {
        "cl_paid": np.asarray(r.chainladder.ibnr[0]),
        "cl_incurred": np.asarray(r.incurred_cl.ultimate[0] - paid_latest),
        "bf": np.asarray(r.bf.ibnr[0]),
        "capecod": np.asarray(r.capecod.ibnr[0]),
        "bootstrap": np.asarray(r.bootstrap.ibnr[0]),
        "large": np.asarray(r.large_losses.reserve[0]),
    }


def _write_workbook(path: Path, document: dict[str, Any], runs: list[ClassRun], ulae: ULAEResult,
                    summary: list[dict[str, Any]]) -> None:
    from aktuar.reports.workbook import SheetTable, reserve_workbook_with_tables

    # comparison of methods: one row per class and origin, then the class total
    head = ["class", "origin", "paid to date", "case reserves", *[en for _, _, en in METHOD_LABELS], "Mack s.e.",
            "actual unpaid (hindsight)"]
    rows: list[list[Any]] = []
    for r in runs:
        m = method_unpaid(r)
        latest = r.paid_latest
        mack_se = r.mack.se[0] if r.mack.se is not None else np.full(len(r.paid.origin), np.nan)
        for o, label in enumerate(r.paid.origin):
            rows.append([r.spec.code, label, latest[o], r.case_reserves[o], *[m[k][o] for k, _, _ in METHOD_LABELS],
                         mack_se[o], r.hindsight[o]])
        rows.append([r.spec.code, "Total", latest.sum(), r.case_reserves.sum(),
                     *[m[k].sum() for k, _, _ in METHOD_LABELS],
                     float(r.mack.total_se[0]) if r.mack.total_se is not None else None, r.hindsight.sum()])
    methods = SheetTable("Methods", "Comparison of methods: unpaid claims (ultimate − paid to date), KZT", head, rows,
                         ["text", "text"] + ["money"] * (len(head) - 2),
                         notes=["The actual unpaid is known only because the data are synthetic (payments after "
                                "the valuation date)."])

    levels = runs[0].bootstrap.quantile_levels
    b_head = ["class", "basis", "selected (Mack)", "bootstrap mean (paid)", "bootstrap s.d.", "scale to selected",
              *[f"q{q:g} of selected" for q in levels], "Mack s.e.", "one-year CDR s.e. (Merz–Wüthrich)"]
    b_rows = []
    for r in runs:
        b = r.bootstrap
        k = r.bootstrap_scale
        b_rows.append([r.spec.code, r.selection.basis, r.unpaid.sum(), b.ibnr.sum(),
                       float(b.total_se[0]) if b.total_se is not None else None, k,
                       *([float(x) * k for x in b.total_quantiles[0]] if b.total_quantiles is not None else []),
                       float(r.mack.total_se[0]) if r.mack.total_se is not None else None,
                       float(r.cdr.total_se[0]) if r.cdr.total_se is not None else None])
    boot = SheetTable("Bootstrap", "Distribution of the reserve for unpaid claims: ODP bootstrap, Mack and one-year "
                      "(CDR) uncertainty, KZT", b_head, b_rows,
                      ["text", "text", "money", "money", "money", "factor"] + ["money"] * (len(b_head) - 6),
                      notes=[f"{runs[0].bootstrap.parameters.get('n_sims', '')} simulations per class; process "
                             "error gamma; residuals adjusted by the degrees of freedom (England & Verrall 2002).",
                             "The bootstrap runs on paid claims; for a class reserved on incurred claims its "
                             "simulations are scaled to the selected reserve (coefficient of variation kept)."])

    curve = demo_curve()
    n_p = max(r.cash_flows.total.shape[1] for r in runs)
    labels = max((r.cash_flows.labels for r in runs), key=len)
    c_rows = []
    for r in runs:
        t = r.cash_flows.total[0]
        c_rows.append([r.spec.code, *[float(t[j]) if j < t.shape[0] else None for j in range(n_p)], float(t.sum()),
                       float(r.cash_flows.total_duration[0]), present_value(r.cash_flows, curve)])
    flows = SheetTable("Cash flows", "Expected payments of the selected reserve by calendar year, KZT; present value "
                       "at the demo KZT curve (Smith–Wilson, UFR 8 %)",
                       ["class", *labels, "total", "mean term (years)", "present value"], c_rows,
                       ["text"] + ["money"] * (n_p + 1) + ["factor", "money"])

    l_rows = []
    for r in runs:
        for c in sorted(r.large_losses.large_claims, key=lambda c: -c.amount):
            l_rows.append([r.spec.code, c.claim_id, c.origin, c.amount, c.threshold, c.excess])
    l_sum = [[r.spec.code, r.spec.large_loss_threshold, len(r.large_losses.large_claims),
              float(r.large_losses.unsmoothed.ibnr.sum()), float(r.large_losses.reserve.sum()),
              float(r.large_losses.excess_loading[0]), float(r.large_losses.effect.sum())] for r in runs]
    large = SheetTable("Large losses", "Large losses: the effect of smoothing (claims capped at the threshold, the "
                       "excess reserved by a loading on the attritional IBNR), KZT",
                       ["class", "threshold", "large claims", "CL reserve, uncapped", "reserve, smoothed",
                        "excess loading", "effect"], l_sum, ["text", "money", "int", "money", "money", "pct", "money"])
    large_list = SheetTable("Large claims", "Claims above the large-loss threshold (paid to date), KZT",
                            ["class", "claim", "accident year", "paid to date", "threshold", "excess"], l_rows,
                            ["text", "text", "text", "money", "money", "money"])

    u_rows = []
    for i, r in enumerate(runs):
        u_rows.append([r.spec.code, *[float(x) for x in ulae.ratio_by_period[i]], float(ulae.ratio[i]),
                       float(ulae.case_reserves[i]), float(ulae.ibnr[i]), float(ulae.reserve[i])])
    ulae_sheet = SheetTable(
        "ULAE", "Claims-settlement expenses (ULAE): paid-to-paid method, ratio of the last "
        f"{ULAE_LATEST_YEARS} calendar years; reserve = ratio × (IBNR + 50 % × case reserves)",
        ["class", *[f"ratio {p}" for p in ulae.period_labels], "selected ratio", "case reserves", "IBNR",
         "ULAE reserve"], u_rows, ["text"] + ["pct"] * (len(ulae.period_labels) + 1) + ["money"] * 3)

    keys = ("class", "basis", "latest", "case_reserves", "pure_ibnr", "ibnr", "ulae_reserve", "se", "q995", "cdr_se",
            "actual_unpaid")
    s_rows = [[row[k] for k in keys] for row in summary]
    overview = SheetTable("Overview", "Demo insurer: selected reserves by class (Mack chain ladder on the basis "
                          "shown), KZT", ["class", "basis", "paid to date", "case reserves", "IBNR", "unpaid claims",
                                  "ULAE reserve", "Mack s.e.", "bootstrap 99.5 %", "one-year CDR s.e.",
                                  "actual unpaid (hindsight)"], s_rows, ["text", "text"] + ["money"] * 9)

    def write(fh: BinaryIO) -> None:
        reserve_workbook_with_tables(fh, document, [r.mack for r in runs],
                                     [overview, methods, boot, flows, large, large_list, ulae_sheet])

    atomic_write(path, write, binary=True)


def _html_report(insurer: DemoInsurer, runs: list[ClassRun], ulae: ULAEResult, warnings: list[list[str]],
                 source: dict[str, dict[str, str]], seed: int, sims: int) -> Any:
    from aktuar.reports.html import ClassReport, MethodEstimate, ReserveReport, fmt_number, fmt_pct

    sections = []
    for i, r in enumerate(runs):
        m = method_unpaid(r)
        estimates = []
        for key, ru, en in METHOD_LABELS:
            se = None
            if key == "cl_paid" and r.mack.total_se is not None:
                se = float(r.mack.total_se[0])
            if key == "bootstrap" and r.bootstrap.total_se is not None:
                se = float(r.bootstrap.total_se[0])
            estimates.append(MethodEstimate(key, ru, en, m[key], se))
        basis_ru = "понесённым" if r.selection.basis == "incurred" else "оплаченным"
        notes = [
            f"Выбранный метод: цепная лестница Мака по {basis_ru} убыткам / selected: Mack chain ladder on "
            f"{r.selection.basis} claims",
            f"Порог крупного убытка / large-loss threshold: {fmt_number(r.spec.large_loss_threshold)} {CURRENCY}",
            f"Плановый коэффициент убыточности (BF) / plan loss ratio (BF): {fmt_pct(r.spec.plan_loss_ratio, 0)}",
        ]
        if r.selection.paid_tail != "none":
            tail = float(r.chainladder.development.tail.factor[0])
            notes.append(f"Хвост оплаченных / paid tail: {r.selection.paid_tail} (от возраста / fitted from age "
                         f"{r.selection.paid_tail_fit_from}), {fmt_number(tail, 4)}")
        sections.append(ClassReport(
            code=r.spec.code, name_ru=r.spec.name_ru, name_en=r.spec.name_en, selected=r.mack,
            paid_latest=r.paid_latest, methods=estimates, case_reserves=r.case_reserves, exposure=r.exposure,
            bootstrap=r.bootstrap, bootstrap_scale=r.bootstrap_scale, cdr=r.cdr,
            cash_flows=r.cash_flows, large_losses=r.large_losses, ulae_reserve=float(ulae.reserve[i]),
            hindsight=r.hindsight, warnings=warnings[i], notes=notes,
        ))
    n_claims = insurer.transactions["claim_id"].n_unique()
    inputs = [(v["file"], v["sha256"]) for v in source.values()]
    parameters = {
        "Дата оценки / valuation date": insurer.valuation.strftime("%d.%m.%Y"),
        "Годы происшествия / accident years": f"{insurer.first_year}–{insurer.valuation.year}",
        "Валюта / currency": CURRENCY,
        "Зерно генератора / generator seed": str(seed),
        "Убытков, транзакций / claims, transactions": f"{fmt_number(n_claims)} / "
                                                      f"{fmt_number(insurer.transactions.height)}",
        "Симуляций бутстрэпа / bootstrap simulations": str(sims),
        "Выбранный метод / selected method": "; ".join(f"{r.spec.code}: Mack ({r.selection.basis})" for r in runs),
    }
    return ReserveReport(
        title_ru="Резервы убытков", title_en="Claims reserves",
        entity_ru="АО «Демо Сақтандыру» (синтетические данные)",
        entity_en="Demo Saqtandyru JSC (synthetic data)",
        valuation=insurer.valuation, currency=CURRENCY, classes=sections, ulae=ulae, inputs=inputs,
        parameters=parameters,
        notes=[
            "Данные синтетические: фактические будущие выплаты известны и показаны для сравнения с методами. / "
            "The data are synthetic: the actual future payments are known and shown to compare the methods with.",
        ],
        generator=f"aktuar {__version__}",
    )


__all__ = ["INPUT_FILES", "OUTPUT_FILES", "SELECTIONS", "ClassRun", "DemoResult", "Selection", "class_warnings",
           "method_unpaid", "run_demo"]
