"""``aktuar audit``: verify the tamper-evident audit trail, export it for the internal auditor, sign checkpoints,
archive records past their online retention, show and change the audit parameters (KZ164-30, KZ164-31).

Thin: parse, call :mod:`aktuar.security.audit`, print. ``verify`` is a read-only system check (it changes
nothing and needs no login); the other commands act as the logged-in user (``aktuar users login`` or
``AKTUAR_TOKEN``) and are permission-checked and audited. Exit codes: 0 success, 1 the trail does not verify,
2 any other failure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aktuar.cli_common import default_actor
from aktuar.cli_common import open_database as _database
from aktuar.errors import InputError
from aktuar.security import audit
from aktuar.security.context import Actor
from aktuar.store.db import Database

app = typer.Typer(help="Audit trail: verify, export, checkpoints, retention archiving, audit settings.",
                  no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)


# Who acts: the accounts session by default; replaced in tests (or by an interface that authenticates otherwise).
ACTOR_PROVIDER: Callable[[Database], Actor] = default_actor


def _actor(db: Database, as_user: str | None) -> Actor:
    actor = ACTOR_PROVIDER(db)
    if as_user is not None and as_user.strip().casefold() != actor.username.casefold():
        raise InputError(f"this command line is logged in as {actor.username}, not {as_user.strip()[:64]}: "
                         "log in as that user first (aktuar users login)")
    return actor


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {value!r}: give a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS] (UTC)") from None
    return audit.utc(at)


AsUser = Annotated[str | None, typer.Option("--as-user", help="Refuse to run unless logged in as this user.")]


@app.command()
def verify(
    public_key: Annotated[list[Path] | None, typer.Option(
        "--public-key", help="Trusted Ed25519 public key (PEM); repeatable. Default: the keys of the data directory.")
    ] = None,
    archive: Annotated[list[Path] | None, typer.Option(
        "--archive", help="Verify this archive file instead of the database; repeatable.")] = None,
) -> None:
    """Verify the audit chain, its signed checkpoints and archive files; exit code 1 when it does not verify."""
    keys_arg = list(public_key) if public_key else None
    reports: list[tuple[str, audit.VerifyReport]] = []
    with _database() as db:
        if archive:
            for f in archive:
                reports.append((str(f), audit.verify_archive(f, public_keys=keys_arg, data_dir=db.settings.data_dir)))
        else:
            reports.append(("audit trail", audit.verify_db(db, public_keys=keys_arg)))
    failed = False
    for name, rep in reports:
        for note in rep.notes:
            err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
        span = f"#{rep.first_seq}–#{rep.last_seq}" if rep.first_seq is not None else "none"
        summary = (f"{name}: {rep.records} records ({span}), {rep.checkpoints} signed checkpoints"
                   + (f", archived up to #{rep.archived_up_to} ({rep.archives} archive files verified)"
                      if rep.archived_up_to else ""))
        if rep.ok:
            out.print(f"OK {summary}", markup=False, highlight=False, soft_wrap=True)
            continue
        failed = True
        out.print(f"FAILED {summary}: {len(rep.problems)} problems "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(rep.counts().items()))})",
                  markup=False, highlight=False, soft_wrap=True)
        for p in rep.problems:
            out.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def export(
    out_path: Annotated[Path, typer.Argument(metavar="FILE", help="Output file: .csv or .jsonl")],
    since: Annotated[str | None, typer.Option(help="From this date/time (UTC, inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this date/time (UTC, exclusive).")] = None,
    category: Annotated[list[str] | None, typer.Option(
        help=f"Only these categories ({', '.join(audit.CATEGORIES)}); repeatable.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the file name).")] = None,
    online_only: Annotated[bool, typer.Option("--online-only", help="Leave out the archive files.")] = False,
    as_user: AsUser = None,
) -> None:
    """Export audit records for the internal auditor (permission audit.read); the export is audited."""
    with _database() as db:
        actor = _actor(db, as_user)
        n = audit.export(db, actor, out_path, since=_moment(since, "--since"), until=_moment(until, "--until"),
                         categories=category or None, fmt=fmt, include_archives=not online_only)
    out.print(f"exported {n} audit records to {out_path}", markup=False, highlight=False)


@app.command()
def checkpoint(as_user: AsUser = None) -> None:
    """Sign a checkpoint of the audit chain now (Ed25519; permission audit.checkpoint)."""
    with _database() as db:
        cp = audit.checkpoint(db, _actor(db, as_user))
    out.print(f"signed checkpoint of record #{cp.seq} (hash {cp.hash[:16]}…, key {cp.key_id[:16]}…)",
              markup=False, highlight=False)


@app.command("archive")
def archive_cmd(as_user: AsUser = None) -> None:
    """Move records past their online retention (audit.online_days) to a signed archive file."""
    with _database() as db:
        res = audit.archive(db, _actor(db, as_user))
    if res is None:
        out.print("nothing to archive: every record is still within its online retention period")
        return
    out.print(f"archived records #{res.first_seq}–#{res.last_seq} ({res.count}) to {res.path}; keep the file until "
              f"at least {res.keep_until.isoformat()}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def settings(
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE", help="Change a setting (permission audit.configure); repeatable.")] = None,
    as_user: AsUser = None,
) -> None:
    """Show the audit parameters, or change them with --set KEY=VALUE (changes and refusals are audited)."""
    with _database() as db:
        if set_:
            actor = _actor(db, as_user)
            for item in set_:
                key, sep, value = item.partition("=")
                if not sep:
                    raise InputError(f"--set {item!r}: write KEY=VALUE, e.g. --set audit.online_days=120")
                audit.set_setting(db, actor, key.strip(), value.strip())
        with db.session() as s:
            cfg = audit.get_settings(s)
    table = Table("setting", "value", "minimum", "meaning")
    for key, rule in audit.SETTINGS.items():
        table.add_row(key, str(getattr(cfg, key.split(".", 1)[1])), str(rule.minimum), rule.meaning)
    out.print(table)
