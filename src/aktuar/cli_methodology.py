"""``aktuar methodology``: the methodology registry (KZ84-METH). Thin: parse, call the service, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aktuar.cli_runs import err, out, parse_date, session_actor
from aktuar.errors import InputError

app = typer.Typer(help="Methodology registry: versions, documents, parameters, coordination with the regulator.",
                  no_args_is_help=True, add_completion=False)


def _load_parameters(path: Path) -> dict:  # type: ignore[type-arg]
    if not path.is_file():
        raise InputError("the parameters file does not exist", file=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON file ({exc})", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError('the parameters are a JSON object such as {"default": {"method": "mack"}}', file=str(path))
    return data


def _print(v) -> None:  # type: ignore[no-untyped-def]
    t = Table(show_header=False, title=f"methodology {v.label} (id {v.id}): {v.status}")
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row("description", v.description)
    t.add_row("document", f"{v.document_name} sha256 {v.document_sha256}" if v.document_name else "")
    t.add_row("parameters", json.dumps(v.parameters, ensure_ascii=False, sort_keys=True))
    t.add_row("parameters sha256", v.parameters_sha256)
    t.add_row("created", f"{v.created_by} {v.created_at:%Y-%m-%d %H:%M} UTC")
    t.add_row("submitted", str(v.submitted_at or ""))
    t.add_row("coordinated", f"{v.coordinated_at or ''} {v.regulator_reference or ''}".strip())
    t.add_row("superseded", str(v.superseded_at or ""))
    out.print(t)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Methodology name.")],
    version: Annotated[str, typer.Argument(help="Version, e.g. 2026.1.")],
    parameters: Annotated[Path, typer.Option(help='JSON file: {"default": {...}, "classes": {"class": {...}}}.')],
    description: Annotated[str, typer.Option(help="What the methodology is.")] = "",
    document: Annotated[Path | None, typer.Option(help="The methodology document (PDF, DOCX, …).")] = None,
) -> None:
    """Register a new methodology version (draft)."""
    from aktuar.services import methodology as meth

    with session_actor() as (db, actor):
        v = meth.create(db, actor, name, version, parameters=_load_parameters(parameters), description=description,
                        document=document)
        out.print(f"methodology {v.label} registered as id {v.id} (draft)")


@app.command("list")
def list_(name: Annotated[str | None, typer.Option(help="Only versions of this name.")] = None) -> None:
    """List methodology versions."""
    from aktuar.services import methodology as meth

    with session_actor() as (db, actor):
        t = Table(title="methodologies")
        for c in ("id", "name", "version", "status", "submitted", "coordinated", "reference", "superseded"):
            t.add_column(c)
        for v in meth.list_methodologies(db, actor, name):
            t.add_row(str(v.id), v.name, v.version, v.status, str(v.submitted_at or ""), str(v.coordinated_at or ""),
                      v.regulator_reference or "", str(v.superseded_at or ""))
        out.print(t)


@app.command()
def show(ref: Annotated[str, typer.Argument(help="Id or name@version.")]) -> None:
    """Show one methodology version."""
    from aktuar.services import methodology as meth

    with session_actor() as (db, actor):
        _print(meth.get(db, actor, ref))


@app.command()
def submit(
    ref: Annotated[str, typer.Argument(help="Id or name@version.")],
    on: Annotated[str, typer.Option("--date", help="Date of submission to the regulator, yyyy-mm-dd.")],
) -> None:
    """draft → submitted to the regulator (chief actuary)."""
    from aktuar.services import methodology as meth

    with session_actor() as (db, actor):
        v = meth.submit(db, actor, ref, parse_date(on, "--date"))
        out.print(f"methodology {v.label} is {v.status} ({v.submitted_at})")


@app.command()
def coordinate(
    ref: Annotated[str, typer.Argument(help="Id or name@version.")],
    on: Annotated[str, typer.Option("--date", help="Date of the regulator's coordination, yyyy-mm-dd.")],
    reference: Annotated[str, typer.Option(help="The regulator's letter / reference number.")],
) -> None:
    """submitted → coordinated (chief actuary); the previously coordinated version becomes superseded."""
    from aktuar.services import methodology as meth

    with session_actor() as (db, actor):
        v = meth.coordinate(db, actor, ref, parse_date(on, "--date"), reference)
        out.print(f"methodology {v.label} is {v.status} ({v.coordinated_at}, {v.regulator_reference})")


@app.command("return")
def return_(
    ref: Annotated[str, typer.Argument(help="Id or name@version.")],
    reason: Annotated[str, typer.Option(help="The regulator's remarks.")],
) -> None:
    """submitted → draft again (the regulator asked for changes)."""
    from aktuar.services import methodology as meth

    with session_actor() as (db, actor):
        v = meth.return_to_draft(db, actor, ref, reason)
        err.print(f"methodology {v.label} is {v.status} again")
