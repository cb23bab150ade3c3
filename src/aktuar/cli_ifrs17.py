"""``aktuar ifrs17 …``: the IFRS 17 close from a configuration file. Thin: parse, call the service, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aktuar.cli_common import fail, step_progress
from aktuar.errors import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="IFRS 17 measurement (ARDFM Resolution No. 84).")
err = Console(stderr=True)
out = Console()


@app.command()
def measure(
    config: Annotated[Path, typer.Argument(help="Close configuration (TOML); see docs/ifrs17.md.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results (JSON, XLSX, charts).")] = Path(
        "ifrs17-results"),
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786) for the life projection; default: this machine.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table on screen.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the XLSX workbooks (ifrs17-<date>.xlsx): en or "
                                                     "ru; the JSON documents are the same in both.")] = "en",
) -> None:
    """Measure every portfolio at every reporting date and write the results and disclosure tables."""
    from aktuar.reports.ifrs17_terms import check_language
    from aktuar.services.ifrs17 import run_close

    try:
        check_language(lang)
        with step_progress("IFRS 17", quiet=quiet) as progress:
            close = run_close(config, out_dir, progress=progress, scheduler=scheduler, lang=lang)
    except InputError as exc:
        fail(str(exc))
        return
    if not quiet:
        print_summary(close.summary)
    for label, path in close.files.items():
        out.print(f"  {label}: {path}")


def print_summary(rows: list[dict[str, object]]) -> None:
    """The closing balances by portfolio and reporting date, in millions."""
    table = Table(title="IFRS 17 close — closing balances and the year's result by portfolio, mn (LRC excl. loss "
                        "component, incl. CSM; reinsurance held as negative liabilities)")
    cols = ("date", "portfolio", "LRC", "LC", "LIC", "of which CSM", "revenue", "ISR", "IFIE", "OCI")
    keys = ("date", "portfolio", "lrc", "loss_component", "lic", "csm", "revenue", "service_result", "finance_pl",
            "oci")
    for c in cols:
        if c == "portfolio":
            table.add_column(c, min_width=16, overflow="fold")
        else:
            table.add_column(c, justify="left" if c == "date" else "right", no_wrap=True)
    for r in rows:
        cells = [str(r["date"]), f"{r['portfolio']} ({r['approach']})"]
        cells += [f"{round(float(r[k]) / 1e6) + 0:,}" for k in keys[2:]]  # type: ignore[arg-type]
        table.add_row(*cells)
    out.print(table)
