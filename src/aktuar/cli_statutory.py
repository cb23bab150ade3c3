"""``aktuar statutory …``: the Kazakhstan statutory close and the actuarial opinion. Thin: parse, call the
service, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aktuar.cli_common import fail, step_progress
from aktuar.errors import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Kazakhstan statutory reserves, normatives and the actuarial opinion (NB Resolution No. 191).")
err = Console(stderr=True)
out = Console()


@app.command()
def close(
    config: Annotated[Path, typer.Argument(help="Close configuration (TOML); see docs/statutory-close.md.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results (JSON, XLSX, opinion).")] = Path(
        "statutory-results"),
    opinion: Annotated[bool, typer.Option("--opinion/--no-opinion", help="Render the actuarial opinion (PDF, DOCX, "
                                                                         "ru and en).")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table on screen.")] = False,
) -> None:
    """Reserves by class, the adequacy test, the solvency margin, liquid assets and tariff checks at the
    valuation date; written only when everything succeeded."""
    from aktuar.services.statutory import run_statutory_close

    try:
        with step_progress("statutory close", quiet=quiet) as progress:
            run = run_statutory_close(config, out_dir, progress=progress, opinion=opinion)
    except InputError as exc:
        fail(str(exc))
        return
    if not quiet:
        print_summary(run.document)
    for w in run.document["warnings"]:
        err.print(f"[yellow]warning[/]: {w}")
    for label, path in run.files.items():
        out.print(f"  {label}: {path}")


@app.command(name="opinion")
def opinion_cmd(
    results: Annotated[Path | None, typer.Argument(help="statutory-<date>.json written by 'aktuar statutory "
                                                        "close' (or give --run).")] = None,
    text: Annotated[Path | None, typer.Option("--text", help="The actuary's texts (opinion-text-<date>.toml).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the opinion files.")] = Path("."),
    lang: Annotated[list[str] | None, typer.Option("--lang", help="ru and/or en (default both).")] = None,
    run: Annotated[int | None, typer.Option("--run", help="A governed statutory run: the opinion from its stored "
                                                          "results and words (approved runs only).")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="With --run: render a run that is not approved yet, every "
                                                        "page marked 'DRAFT — run N not approved'.")] = False,
) -> None:
    """Re-render the actuarial opinion (PDF and DOCX) from stored results and edited texts, or (--run N) from a
    governed statutory run: its stored results and words, checked against the results hash, audited."""
    import json

    from aktuar.reports.opinion import render_opinion
    from aktuar.services.statutory_config import load_opinion_text

    if run is not None or draft:
        if run is None:
            fail("--draft renders the opinion of a governed run: give --run N")
            return
        if results is not None or text is not None:
            fail("give either a results file (with --text) or --run N: the words of a run are stored with it")
            return
        _run_opinion(run, out_dir, lang, draft)
        return
    if results is None:
        fail("give the results file statutory-<date>.json or --run N (a governed statutory run)")
        return
    try:
        try:
            document = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the results as JSON: {exc}", file=str(results)) from None
        words = load_opinion_text(text) if text is not None else {}
        payloads = {}
        for lg in lang or ["ru", "en"]:
            pdf, docx = render_opinion(document, words, lg)
            when = document["valuation_date"]
            payloads[f"opinion-{when}-{lg}.pdf"] = pdf
            payloads[f"opinion-{when}-{lg}.docx"] = docx
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in payloads.items():
            _write(out_dir / name, data)
            out.print(f"  {name}: {out_dir / name}")
    except InputError as exc:
        fail(str(exc))


def _run_opinion(run_id: int, out_dir: Path, lang: list[str] | None, draft: bool) -> None:
    from aktuar.cli_runs import session_actor
    from aktuar.services.statutory_runs import render_run_opinion

    with session_actor() as (db, actor):
        got = render_run_opinion(db, actor, run_id, out_dir, languages=tuple(lang or ["ru", "en"]), draft=draft)
        if got.draft:
            err.print(f"[yellow]draft[/]: run {run_id} is {got.status}; every page is marked as a draft")
        for name, path in got.files.items():
            out.print(f"  {name}: {path}  sha256 {got.sha256[name]}")
        out.print(f"run {run_id} ({got.status}), words sha256 {got.text_sha256}")


@app.command()
def transaction(
    config: Annotated[Path, typer.Argument(help="Major-transaction configuration (TOML); see docs/statutory-close.md.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the opinion (JSON, PDF, DOCX, numbered copies).")
                       ] = Path("transaction-opinion"),
    lang: Annotated[list[str] | None, typer.Option("--lang", help="ru and/or en (default both).")] = None,
) -> None:
    """The actuarial opinion on a major transaction (NB Resolution No. 191, App. 3 §4–5, form App. 2): checks
    with their paragraphs, PDF and DOCX, numbered copies with a register; nothing is written on an error."""
    from aktuar.services.opinions import run_transaction_opinion

    try:
        run = run_transaction_opinion(config, out_dir, languages=tuple(lang or ["ru", "en"]))
    except InputError as exc:
        fail(str(exc))
        return
    doc = run.document
    t = Table(title=f"Major transaction {doc['id']}: checks")
    for c in ("check", "object", "result", "detail"):
        t.add_column(c)
    for c in doc["checks"]:
        t.add_row(c["rule"], c["object"] or "", "pass" if c["passed"] else "[red]FAIL[/]", c["detail"])
    out.print(t)
    for r in doc["recommendations"]["en"]:
        out.print(f"  • {r}")
    for label, path in run.files.items():
        out.print(f"  {label}: {path}")


@app.command()
def independent(
    config: Annotated[Path, typer.Argument(help="Independent verification configuration (TOML); see "
                                                "docs/statutory-close.md.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the opinion, forms 1-2 and the copies.")] = Path(
        "independent-opinion"),
    lang: Annotated[list[str] | None, typer.Option("--lang", help="ru and/or en (default both).")] = None,
) -> None:
    """The independent actuary's opinion (NB Resolution No. 191, App. 5): the eligibility checks first (exit 1
    naming each rule that forbids the engagement), the independent close compared with the in-house results,
    the opinion (PDF, DOCX), forms 1 and 2, numbered copies and the submission term."""
    import tomllib

    from aktuar.services.opinions import EngagementRefused, run_independent_opinion

    def go(db: Any = None, actor: Any = None) -> Any:
        return run_independent_opinion(config, out_dir, languages=tuple(lang or ["ru", "en"]), db=db, actor=actor)

    try:
        uses_db = False
        try:
            uses_db = tomllib.loads(config.read_text(encoding="utf-8")).get("registry") == "database"
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            pass  # reported with its file by the service
        if uses_db:
            from aktuar.cli_runs import session_actor

            with session_actor() as (db, actor):
                run = go(db, actor)
        else:
            run = go()
    except EngagementRefused as exc:
        for rule, why in exc.refusals:
            err.print(f"prohibited ({rule}): {why}", markup=False)
        err.print("nothing was written", markup=False)
        raise typer.Exit(1) from None
    except InputError as exc:
        fail(str(exc))
        return
    doc = run.document
    t = Table(title=f"In-house vs independent reserves at {doc['valuation_date']}, {doc['currency']} mn "
                    f"(materiality {doc['materiality']['relative']:.1%})")
    for c in ("class", "in-house", "independent", "difference", "%", "opinion"):
        t.add_column(c, justify="left" if c in ("class", "opinion") else "right")
    for a in doc["adequacy"]:
        t.add_row(a["class"], f"{a['inhouse'] / 1e6:,.1f}", f"{a['independent'] / 1e6:,.1f}",
                  f"{a['difference'] / 1e6:,.1f}", "—" if a["pct"] is None else f"{a['pct']:.1%}",
                  "adequate" if a["adequate"] else "[red]NOT adequate[/]")
    out.print(t)
    dl = doc["deadline"]
    out.print(f"Submission due {dl['due']} ({dl['rule']}); status: {dl['status']}")
    for label, path in run.files.items():
        out.print(f"  {label}: {path}")


def _write(path: Path, data: bytes) -> None:
    from aktuar.fsutil import atomic_write

    def write(fh: Any) -> None:
        fh.write(data)

    atomic_write(path, write, binary=True)


def print_summary(document: dict[str, Any]) -> None:
    """Reserves by class (mn), the adequacy conclusion and the solvency ratio."""
    rows = next(t for t in document["tables"] if t["key"] == "reserves")["rows"]
    table = Table(title=f"Statutory reserves at {document['valuation_date']} ({document['pack']['name']}), "
                        f"{document['currency']} mn")
    cols = (("class", "class"), ("UPR", "upr_gross"), ("RBNS", "rbns_gross"), ("IBNR", "ibnr_gross"),
            ("URR", "urr_gross"), ("OSNS ann.", "annuities_gross"), ("life", "life_gross"),
            ("gross", "total_gross"), ("reins.", "total_reinsurance"), ("net", "total_net"))
    for title, _ in cols:
        table.add_column(title, justify="left" if title == "class" else "right", no_wrap=True)
    for r in rows:
        table.add_row(str(r["class"]), *[f"{float(r[k]) / 1e6:,.1f}" for _, k in cols[1:]])
    out.print(table)
    adq = document["adequacy"]
    sv = document["solvency"]
    out.print(f"Adequacy (run-off {adq['start']} – {adq['end']}): "
              f"{'sufficient' if adq['sufficient'] else 'INSUFFICIENT'} in total"
              + (f"; insufficient: {', '.join(adq['insufficient'])}" if adq["insufficient"] else ""))
    if sv.get("ratio") is not None:
        out.print(f"Solvency margin: minimum {sv['minimum_margin'] / 1e6:,.1f} mn, actual "
                  f"{sv['actual_margin'] / 1e6:,.1f} mn, ratio {sv['ratio']:.2f}")
