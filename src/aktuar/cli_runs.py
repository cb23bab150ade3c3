"""``aktuar runs``: datasets, valuation runs, review and approval, reproduction and comparison (KZ84-AUTO).

Thin: parse, call :mod:`aktuar.services.valuation`, print. Every command acts as the logged-in user
(``cli_actor``) and exits non-zero when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aktuar.cli_common import default_actor, fail
from aktuar.errors import AktuarError, InputError
from aktuar.security.context import Actor
from aktuar.store.db import Database, Settings

app = typer.Typer(help="Valuation runs: import data, prepare, review, approve, reproduce, compare.",
                  no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)


# Who acts: replaced in tests (and by an interface that authenticates differently).
ACTOR_PROVIDER: Callable[[Database], Actor] = default_actor


@contextmanager
def session_actor() -> Iterator[tuple[Database, Actor]]:
    """The database of AKTUAR_DATABASE_URL / AKTUAR_DATA_DIR and the logged-in actor; errors end the command."""
    from sqlalchemy.exc import SQLAlchemyError

    from aktuar.services.methodology import DatabaseUnavailable, database_errors

    db: Database | None = None
    try:
        db = Database(Settings.from_env())
        with database_errors():
            actor = ACTOR_PROVIDER(db)
        yield db, actor
    except (AktuarError, DatabaseUnavailable) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"the database refused the operation ({type(exc).__name__}); nothing was changed")
    finally:
        if db is not None:
            db.dispose()


def parse_date(value: str, option: str) -> date:
    from aktuar.data.readers import parse_date_text

    try:
        return parse_date_text(value)
    except InputError as exc:
        raise InputError(f"{option} {value!r}: {exc.message}") from None


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


def _fmt(v: float | None, digits: int = 0) -> str:
    if v is None:
        return ""
    if abs(v) < 100 and digits == 0:
        return f"{v:,.4f}"
    return f"{v:,.{digits}f}"


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    outd: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"{option} {item!r}: write it as name=value")
        outd[key.strip()] = value.strip()
    return outd


def _print_run(v: Any) -> None:
    t = Table(show_header=False, title=f"run {v.id}: {v.status}{' (test run)' if v.is_test else ''}")
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row("reporting date", v.reporting_date.isoformat())
    t.add_row("scope", ", ".join(v.scope) or "all classes")
    t.add_row("methodology", f"{v.methodology} (id {v.methodology_id}, {v.methodology_status})")
    t.add_row("inputs", ", ".join(f"{r}: dataset {i} ({v.input_sha256[r][:12]}…)" for r, i in v.inputs.items()))
    t.add_row("data options", json.dumps(v.parameters.get("data", {}), ensure_ascii=False))
    if v.parameters.get("overrides"):
        t.add_row("test overrides", json.dumps(v.parameters["overrides"], ensure_ascii=False))
    t.add_row("code version", v.code_version)
    pk = v.environment.get("packages", {})
    t.add_row("dependencies", ", ".join(f"{k} {val}" for k, val in pk.items()) + f"; python {v.environment.get('python')}")
    t.add_row("inputs sha256", v.inputs_sha256)
    t.add_row("results sha256", v.results_sha256 or "")
    t.add_row("results", str(v.n_results))
    t.add_row("prepared", f"{v.created_by} {v.created_at:%Y-%m-%d %H:%M:%S} UTC")
    if v.reviewed_by:
        t.add_row("reviewed", f"{v.reviewed_by} {v.reviewed_at:%Y-%m-%d %H:%M:%S} UTC")
    if v.approved_by:
        t.add_row("approved", f"{v.approved_by} {v.approved_at:%Y-%m-%d %H:%M:%S} UTC")
    if v.rejected_by:
        t.add_row("rejected", f"{v.rejected_by} {v.rejected_at:%Y-%m-%d %H:%M:%S} UTC: {v.rejection_reason}")
    if v.failure_reason:
        t.add_row("failure", v.failure_reason)
    if v.restart_of:
        t.add_row("restart of", f"run {v.restart_of}")
    out.print(t)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or Parquet file; for --kind ifrs17 (statutory) a ZIP or a "
                                              "folder with ifrs17.toml (statutory.toml) and the files it names.")],
    kind: Annotated[str, typer.Option(help="triangle (wide or long), claims (transactions), exposure, ifrs17 "
                                           "(an IFRS 17 close package) or statutory (a statutory close package).")
                    ] = "triangle",
) -> None:
    """Import a data file (or IFRS 17 / statutory close package): validated, stored by its SHA-256 in the data
    directory, recorded (atomic). A folder given with --kind ifrs17 or statutory is zipped deterministically
    first."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        d = val.import_dataset(db, actor, file, kind)
        word = "imported" if d.created else "already imported as"
        out.print(f"{word} dataset {d.id}: {d.kind} ({d.format}), {d.rows} rows, sha256 {d.sha256}")


@app.command()
def datasets() -> None:
    """List the imported datasets."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        t = Table(title="datasets")
        for c in ("id", "kind", "format", "file", "rows", "sha256", "imported"):
            t.add_column(c)
        for d in val.list_datasets(db, actor):
            t.add_row(str(d.id), d.kind, d.format or "", d.filename, str(d.rows or ""), d.sha256[:16] + "…",
                      f"{d.imported_by} {d.imported_at:%Y-%m-%d %H:%M}")
        out.print(t)


@app.command()
def prepare(
    reporting_date: Annotated[str, typer.Option("--date", help="Reporting date, yyyy-mm-dd.")],
    methodology: Annotated[str, typer.Option(help="Methodology id or name@version.")],
    input_: Annotated[list[str], typer.Option("--input", help="role=dataset id: triangle=1, claims=2, exposure=3; "
                                                             "ifrs17=4 with an IFRS 17 methodology.")],
    class_: Annotated[list[str] | None, typer.Option("--class", help="Class in scope (repeat); all if none.")] = None,
    segment: Annotated[list[str] | None, typer.Option(help="Segment column of the input (repeat).")] = None,
    incremental: Annotated[bool, typer.Option("--incremental", help="Triangle values are incremental.")] = False,
    measure: Annotated[str, typer.Option(help="Claims: paid, incurred, reported_count or closed_count.")] = "paid",
    origin_grain: Annotated[str, typer.Option(help="Claims: origin grain M, Q, H or Y.")] = "Y",
    development_grain: Annotated[str, typer.Option(help="Claims: development grain M, Q, H or Y.")] = "Y",
    origin_basis: Annotated[str, typer.Option(help="Claims: accident, underwriting or reporting.")] = "accident",
    test: Annotated[bool, typer.Option("--test", help="A test run (any methodology status; never approved).")] = False,
    option: Annotated[list[str] | None, typer.Option(help="Test run: override a reserving option, name=JSON value.")]
    = None,
) -> None:
    """Prepare a valuation run from stored datasets with a coordinated methodology."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        inputs = {}
        for role, ds in _pairs(input_, "--input").items():
            if not ds.isdigit():
                raise InputError(f"--input {role}={ds}: give the dataset id (see 'aktuar runs datasets')")
            inputs[role] = int(ds)
        params: dict[str, Any] = {
            "cumulative": not incremental, "segment_columns": list(segment or []), "measure": measure,
            "origin_grain": origin_grain, "development_grain": development_grain, "origin_basis": origin_basis,
        }
        overrides = {}
        for k, v in _pairs(option, "--option").items():
            try:
                overrides[k] = json.loads(v)
            except json.JSONDecodeError:
                overrides[k] = v
        if overrides:
            params["reserving"] = overrides
        with progress_bar("computing") as progress:
            run = val.prepare_run(db, actor, parse_date(reporting_date, "--date"), list(class_ or []),
                                  methodology, inputs, params, is_test=test, progress=progress)
        out.print(f"run {run.id} prepared: {run.n_results} results, sha256 {run.results_sha256}")


@app.command("list")
def list_(status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None) -> None:
    """List runs (newest first)."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        t = Table(title="runs")
        for c in ("id", "status", "date", "methodology", "scope", "test", "prepared by", "reviewed by",
                  "approved by"):
            t.add_column(c)
        for v in val.list_runs(db, actor, status=status):
            t.add_row(str(v.id), v.status, v.reporting_date.isoformat(), v.methodology, ", ".join(v.scope) or "all",
                      "yes" if v.is_test else "", v.created_by, v.reviewed_by or "", v.approved_by or "")
        out.print(t)


@app.command()
def show(
    run_id: Annotated[int, typer.Argument(help="Run id.")],
    quantity: Annotated[list[str] | None, typer.Option(help="Quantities to list (default: latest, ultimate, ibnr, se).")]
    = None,
    class_: Annotated[list[str] | None, typer.Option("--class", help="Only this class (repeat).")] = None,
) -> None:
    """Show a run, whether its stored results still match their hash, and its results."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        v = val.get_run(db, actor, run_id)
        _print_run(v)
        if v.results_sha256:
            ok, why = val.verify_results(db, actor, run_id)
            (out if ok else err).print(("[green]✓[/] " if ok else "[bold red]✗[/] ") + why)
        default = {"ifrs17": ["lrc", "loss_component", "lic", "csm"],
                   "statutory": ["total_gross", "total_reinsurance", "total_net", "solvency_ratio"]}.get(
            v.engine, ["latest", "ultimate", "ibnr", "se"])
        qs = list(quantity or default)
        rows = val.run_results(db, actor, run_id, quantities=qs, segments=class_)
        if rows:
            t = Table(title="results")
            t.add_column("class")
            t.add_column("method")
            t.add_column("origin")
            for q in qs:
                t.add_column(q, justify="right")
            grid: dict[tuple[str, str, str], dict[str, float | None]] = {}
            for r in rows:
                grid.setdefault((r.segment, r.method, r.origin), {})[r.quantity] = r.value
            for (seg, meth, origin), vals in grid.items():
                t.add_row(seg, meth, origin, *[_fmt(vals.get(q)) for q in qs])
            out.print(t)
        if v.results_sha256 and not ok:
            raise typer.Exit(1)


def _decide(kind: str, run_id: int, **kw: Any) -> None:
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        v = getattr(val, kind)(db, actor, run_id, **kw)
        out.print(f"run {v.id} is {v.status}")


@app.command()
def review(run_id: Annotated[int, typer.Argument()],
           comment: Annotated[str, typer.Option(help="Reviewer's comment.")] = "") -> None:
    """Mark a prepared run reviewed (by someone other than its preparer)."""
    _decide("review", run_id, comment=comment)


@app.command()
def approve(run_id: Annotated[int, typer.Argument()],
            comment: Annotated[str, typer.Option(help="Approver's comment.")] = "") -> None:
    """Approve a reviewed run (chief actuary; neither the preparer nor the reviewer)."""
    _decide("approve", run_id, comment=comment)


@app.command()
def reject(run_id: Annotated[int, typer.Argument()],
           reason: Annotated[str, typer.Option(help="Why the run is rejected (required).")]) -> None:
    """Reject a prepared or reviewed run, with a reason."""
    _decide("reject", run_id, reason=reason)


@app.command()
def export(run_id: Annotated[int, typer.Argument()],
           out_path: Annotated[Path, typer.Option("--out", help="File to write: .csv or .json (the rows); .xlsx (the "
                                                                "workbook: a reserving run's identity and results, "
                                                                "an IFRS 17 run's disclosure workbook); .pdf (the "
                                                                "run report)")],
           format_: Annotated[str | None, typer.Option(
               "--format", help="csv, json, xlsx or pdf (default: from the --out suffix); must match the suffix")]
           = None,
           lang: Annotated[str, typer.Option("--lang", help="Language of the PDF report and of the XLSX workbook: "
                                                            "ru or en.")] = "ru") -> None:
    """Export a run's results with its status, approvals and hashes, its workbook or its PDF report (audited as a
    report export)."""
    from aktuar.services import valuation as val

    fmt = (format_ or out_path.suffix.lstrip(".")).strip().lower()
    if format_ is not None and out_path.suffix.lower() != f".{fmt}":
        fail(f"--format {fmt} writes a .{fmt} file: name the --out file accordingly (not '{out_path.name}')")
    with session_actor() as (db, actor):
        if fmt == "pdf":
            from aktuar.services.run_documents import write_run_pdf

            info = write_run_pdf(db, actor, run_id, out_path, lang, via="cli")
        elif fmt == "xlsx":
            from aktuar.services.web_support import write_run_xlsx

            info = write_run_xlsx(db, actor, run_id, out_path, lang, via="cli")
        else:
            info = val.export_run(db, actor, run_id, out_path)
    out.print(f"wrote {info.path}: {info.rows} results of a {info.run_status} run (sha256 {info.sha256[:16]}…)")


@app.command()
def reproduce(run_id: Annotated[int, typer.Argument()]) -> None:
    """Re-run a stored run from its stored inputs and parameters; exit 1 unless bit for bit identical."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        with progress_bar("re-running") as progress:
            rep = val.reproduce_run(db, actor, run_id, progress=progress)
        console = out if rep.identical else err
        console.print(("[green]reproduced[/]" if rep.identical else "[bold red]not reproduced[/]")
                      + f" run {rep.run_id} (code {rep.code_version_then} → {rep.code_version_now})")
        for line in rep.explanation:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        if not rep.identical:
            raise typer.Exit(1)


@app.command()
def compare(
    run_a: Annotated[int, typer.Argument(help="First run (e.g. last period, or in-house).")],
    run_b: Annotated[int, typer.Argument(help="Second run (e.g. this period, or independent actuary).")],
    quantity: Annotated[list[str] | None, typer.Option(help="Reserve types (default: ultimate, ibnr).")] = None,
    class_: Annotated[list[str] | None, typer.Option("--class", help="Only this class (repeat).")] = None,
    totals: Annotated[bool, typer.Option("--totals", help="Only the class totals.")] = False,
) -> None:
    """Compare two runs by class, reserve type and origin: a, b, difference, relative difference."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        c = val.compare_runs(db, actor, run_a, run_b, quantities=list(quantity or ["ultimate", "ibnr"]),
                             segments=class_)
        t = Table(title=f"run {run_a} ({c.run_a.reporting_date}) vs run {run_b} ({c.run_b.reporting_date})")
        for col in ("class", "reserve", "origin", f"run {run_a}", f"run {run_b}", "difference", "relative"):
            t.add_column(col, justify="right" if col.startswith(("run", "diff", "rel")) else "left")
        for r in c.rows:
            if totals and r.origin != "Total":
                continue
            rel = "" if r.relative is None else f"{r.relative:+.2%}"
            t.add_row(r.segment, r.quantity, r.origin, _fmt(r.a), _fmt(r.b), _fmt(r.difference), rel)
        out.print(t)
        diff_methods = {k: m for k, m in c.methods.items() if m[0] != m[1]}
        for k, (ma, mb) in diff_methods.items():
            out.print(f"{k}: method {ma or '—'} in run {run_a}, {mb or '—'} in run {run_b}")


@app.command()
def recover() -> None:
    """After a crash: mark abandoned runs failed, remove temporary files of killed imports."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        rep = val.recover(db, actor)
        out.print(f"failed (abandoned) runs: {', '.join(map(str, rep.failed_runs)) or 'none'}")
        if rep.still_running:
            out.print(f"still running: {', '.join(map(str, rep.still_running))}")
        out.print(f"removed temporary files: {len(rep.removed_temp_files)}; unreferenced stored files: "
                  f"{len(rep.removed_orphans)}")


@app.command()
def restart(run_id: Annotated[int, typer.Argument(help="A failed run.")]) -> None:
    """Prepare a failed run again with the same inputs, methodology and parameters."""
    from aktuar.services import valuation as val

    with session_actor() as (db, actor):
        with progress_bar("computing") as progress:
            v = val.restart_run(db, actor, run_id, progress=progress)
        out.print(f"run {v.id} prepared (restart of run {run_id}): sha256 {v.results_sha256}")
