"""Command line: ``aktuar reserve``, ``aktuar demo``. Thin: parse, call services, print."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aktuar import __version__
from aktuar.cli_common import fail, step_progress
from aktuar.errors import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="aktuar — actuarial valuation and compliance.")
err = Console(stderr=True)
out = Console()


def _fail(exc: InputError) -> None:
    """Print a user's error on one unwrapped line (file, row, column, what to fix) and exit 2."""
    fail(str(exc))


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    from aktuar.data.readers import parse_date_text

    try:
        return parse_date_text(value)
    except InputError as exc:
        raise InputError(f"{option} {value!r}: {exc.message}") from None


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"aktuar {__version__}")


@app.command()
def reserve(
    input: Annotated[Path, typer.Argument(help="Triangle (wide or long CSV/XLSX/Parquet) or claim transactions.")],
    method: Annotated[str, typer.Option(help="chainladder, mack, bf, benktander, capecod, elr, bootstrap or cdr")] = (
        "chainladder"
    ),
    out_path: Annotated[Path, typer.Option("--out", help="Output file: .json, .csv or .xlsx")] = Path("reserves.json"),
    segment: Annotated[list[str] | None, typer.Option(help="Segment column (repeat for several).")] = None,
    incremental: Annotated[bool, typer.Option("--incremental", help="Input values are incremental.")] = False,
    sigma: Annotated[str, typer.Option(help="Extrapolation of the last σ: mack or loglinear.")] = "mack",
    tail: Annotated[str, typer.Option(help="none, constant, exponential, inverse_power or bondy.")] = "none",
    tail_factor: Annotated[float | None, typer.Option(help="Tail factor for --tail constant.")] = None,
    tail_fit_from: Annotated[int | None, typer.Option(help="First development age used to fit the tail.")] = None,
    tail_fit_to: Annotated[int | None, typer.Option(help="Last development age used to fit the tail.")] = None,
    tail_sigma: Annotated[float | None, typer.Option(help="Selected σ of the tail (Mack 1999).")] = None,
    tail_se: Annotated[float | None, typer.Option(help="Selected standard error of the tail factor.")] = None,
    average: Annotated[str, typer.Option(help="Factor average: volume, simple or regression.")] = "volume",
    n_periods: Annotated[int | None, typer.Option(help="Use the latest N link ratios per age.")] = None,
    drop_high: Annotated[int, typer.Option(help="Exclude the N highest link ratios per age.")] = 0,
    drop_low: Annotated[int, typer.Option(help="Exclude the N lowest link ratios per age.")] = 0,
    exposure: Annotated[Path | None, typer.Option(help="CSV with origin, segment columns and exposure.")] = None,
    apriori: Annotated[float, typer.Option(help="A-priori loss ratio (BF, Benktander, ELR).")] = 1.0,
    n_iters: Annotated[int, typer.Option(help="Benktander iterations.")] = 2,
    decay: Annotated[float, typer.Option(help="Cape Cod decay in (0, 1].")] = 1.0,
    trend: Annotated[float, typer.Option(help="Cape Cod annual trend.")] = 0.0,
    sims: Annotated[int, typer.Option(help="Bootstrap simulations.")] = 1000,
    seed: Annotated[int | None, typer.Option(help="Bootstrap random seed (reproducible runs).")] = None,
    hat_adjustment: Annotated[bool, typer.Option("--hat-adjustment", help="Bootstrap: hat-matrix residuals.")] = False,
    process: Annotated[str, typer.Option(help="Bootstrap process error: gamma, odp or none.")] = "gamma",
    valuation: Annotated[str | None, typer.Option(help="Valuation date (transactions input), yyyy-mm-dd.")] = None,
    origin_grain: Annotated[str, typer.Option(help="Origin grain for transactions: M, Q, H or Y.")] = "Y",
    development_grain: Annotated[str, typer.Option(help="Development grain for transactions: M, Q, H or Y.")] = "Y",
    origin_basis: Annotated[str, typer.Option(help="accident, underwriting or reporting.")] = "accident",
    measure: Annotated[str, typer.Option(help="paid, incurred, reported_count or closed_count.")] = "paid",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table on screen.")] = False,
) -> None:
    """Estimate reserves of every segment of a triangle with one method and write the results."""
    from aktuar.services.inputs import TriangleSpec
    from aktuar.services.reserving import ReserveRequest
    from aktuar.services.runs import reserve_file

    try:
        request = ReserveRequest(
            method=method, average=average, n_periods=n_periods, drop_high=drop_high, drop_low=drop_low,
            sigma=sigma, tail=tail, tail_factor=tail_factor, tail_fit_from=tail_fit_from, tail_fit_to=tail_fit_to,
            tail_sigma=tail_sigma, tail_se=tail_se,
            apriori=apriori, n_iters=n_iters, decay=decay, trend=trend, sims=sims, seed=seed,
            hat_adjustment=hat_adjustment, process=process,
        )
        spec = TriangleSpec(
            path=input, cumulative=not incremental, segment_columns=tuple(segment or ()),
            valuation=_parse_date(valuation, "--valuation"), origin_grain=origin_grain,
            development_grain=development_grain, origin_basis=origin_basis, measure=measure,
        )
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
            task = bar.add_task(f"{method}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = reserve_file(spec, request, out_path, exposure=exposure, progress=progress)
    except InputError as exc:
        _fail(exc)
        return
    if not quiet:
        _print_summary(run.document)
    err.print(f"[green]wrote[/] {out_path}")


def _print_summary(document: dict) -> None:  # type: ignore[type-arg]
    segs = document["segments"]
    has_se = any(s["total"].get("se") is not None for s in segs)
    table = Table(title=f"{document['method']} — totals by segment", show_lines=False)
    table.add_column("segment")
    for c in ("latest", "ultimate", "IBNR") + (("s.e.",) if has_se else ()):
        table.add_column(c, justify="right")
    for s in segs[:40]:
        t = s["total"]
        row = [s["label"], f"{t['latest']:,.0f}", f"{t['ultimate']:,.0f}", f"{t['ibnr']:,.0f}"]
        if has_se:
            row.append(f"{t['se']:,.0f}" if t.get("se") is not None else "")
        table.add_row(*row)
    if len(segs) > 40:
        table.caption = f"first 40 of {len(segs)} segments"
    out.print(table)
    n_warn = sum(len(s["warnings"]) for s in segs)
    if n_warn:
        err.print(f"[yellow]{n_warn} warning(s)[/]; they are in the output file. First ones:")
        shown = 0
        for s in segs:
            for w in s["warnings"]:
                if shown < 5:
                    err.print(f"  [yellow]{s['label']}[/]: {w}")
                    shown += 1


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where to write the demo insurer's inputs and results.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic insurer.")] = 2026,
) -> None:
    """Generate the synthetic demo insurer, reserve every class and write a workbook and an HTML summary."""
    from aktuar.services.demo import run_demo

    try:
        with step_progress("demo") as progress:
            result = run_demo(folder, seed=seed, progress=progress)
    except InputError as exc:
        _fail(exc)
        return
    table = Table(title="Demo insurer — reserves by class, KZT mn (Mack chain ladder; paid claims, OSNS incurred)")
    columns = (("class", "class"), ("paid", "latest"), ("unpaid", "ibnr"), ("PV unpaid", "pv_unpaid"),
               ("Mack s.e.", "se"), ("q99.5 %", "q995"), ("ULAE", "ulae_reserve"))
    for title, _ in columns:
        table.add_column(title, justify="left" if title == "class" else "right", no_wrap=True)
    for row in result.summary:
        table.add_row(row["class"], *[f"{row[key] / 1e6:,.1f}" for _, key in columns[1:]])
    out.print(table)
    if result.warnings:
        err.print(f"[yellow]{len(result.warnings)} warning(s)[/]; they are in {result.files['html'].name}")
    for label, path in result.files.items():
        out.print(f"  {label}: {path}")
    ra = result.risk_adjustment
    if ra is not None:
        from aktuar.services.demo import DEMO_CLASS_CORRELATION, DEMO_RA_CONFIDENCE

        out.print(f"IFRS 17 risk adjustment at {DEMO_RA_CONFIDENCE:.0%} confidence (bootstrap): "
                  f"{ra.undiversified / 1e6:,.1f} mn by class, {ra.total / 1e6:,.1f} mn diversified "
                  f"(correlation {DEMO_CLASS_CORRELATION} between classes)")
    if result.ifrs17 is not None:
        from aktuar.cli_ifrs17 import print_summary

        print_summary(result.ifrs17.summary)
    if result.statutory is not None:
        st = result.statutory.document
        out.print(f"Statutory close at {st['valuation_date']} (pack {st['pack']['name']}): reserves gross "
                  f"{st['totals']['gross'] / 1e6:,.1f} mn, net {st['totals']['net'] / 1e6:,.1f} mn; adequacy "
                  f"{'sufficient' if st['adequacy']['sufficient'] else 'insufficient'} in total; solvency ratio "
                  f"{st['solvency']['ratio'] or 0:.2f}; opinion due {st['due_date']}")
    g = result.governed
    if g is not None:
        out.print(
            f"Governed run #{g.run_id}: prepared by {g.prepared_by}, reviewed by {g.reviewed_by}, approved by "
            f"{g.approved_by} ({g.status}); re-run reproduces it bit for bit: {'yes' if g.reproduced else 'NO'}; "
            f"audit trail: {g.audit_records} records, {'verified' if g.audit_ok else 'DOES NOT VERIFY'}."
        )
        out.print(f"  try: AKTUAR_DATA_DIR={g.data_dir} aktuar audit verify   (demo accounts: {g.credentials_file})")
        if g.ifrs17_run_id is not None:
            out.print(f"Governed IFRS 17 close run #{g.ifrs17_run_id} ({g.ifrs17_status}, results sha256 "
                      f"{g.ifrs17_results_sha256[:16]}…); re-run reproduces it: {'yes' if g.ifrs17_reproduced else 'NO'}")
        i = g.isms
        if i is not None:
            out.print(f"Information security {i.year}: registers filled ({i.incidents} incidents, {i.evidence_files} "
                      f"evidence files {'intact' if i.evidence_ok else 'CHANGED'}); ISMS report "
                      f"{'signed, encrypted and verified' if i.isms_report_ok else 'DOES NOT VERIFY'}; SECP report "
                      f"signed by {', '.join(i.secp_signers)}; {i.live_gaps} compliance gap(s), {i.reminders} "
                      "deadline(s) within 60 days")
            for label, path in i.files.items():
                out.print(f"  {label}: {path}")
            pkg = next(iter(i.files.values()))
            out.print(f"  try: AKTUAR_DATA_DIR={g.data_dir} aktuar report verify {pkg} --key {i.recipient_key} "
                      f"--cert {i.recipient_cert}")


def _register_subcommands() -> None:
    """The platform's command groups (each a Typer app in its own module)."""
    from aktuar import (
        cli_audit,
        cli_backup,
        cli_db,
        cli_ifrs17,
        cli_isms,
        cli_methodology,
        cli_runs,
        cli_serve,
        cli_statutory,
        cli_users,
    )

    app.add_typer(cli_db.app, name="db")
    app.add_typer(cli_users.app, name="users")
    app.add_typer(cli_audit.app, name="audit")
    app.add_typer(cli_methodology.app, name="methodology")
    app.add_typer(cli_runs.app, name="runs")
    app.add_typer(cli_backup.app, name="backup")
    app.command(name="serve")(cli_serve.serve)
    app.add_typer(cli_ifrs17.app, name="ifrs17")
    app.add_typer(cli_isms.app, name="isms")
    app.add_typer(cli_isms.compliance_app, name="compliance")
    app.add_typer(cli_isms.report_app, name="report")
    app.add_typer(cli_isms.calendar_app, name="calendar")
    app.add_typer(cli_isms.actuary_app, name="actuary")
    app.add_typer(cli_statutory.app, name="statutory")


_register_subcommands()


def main() -> None:
    """Entry point: an unexpected error is reported in one line (never a stack trace in front of a user);
    ``AKTUAR_DEBUG=1`` shows the trace for a developer."""
    import os

    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last resort: nothing a user causes should get here
        if os.environ.get("AKTUAR_DEBUG"):
            raise
        err.print("[bold red]internal error:[/] ", end="")
        err.print(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} — nothing was written; "
                  "please report it (run again with AKTUAR_DEBUG=1 for the details)",
                  markup=False, highlight=False, soft_wrap=True)
        sys.exit(3)
