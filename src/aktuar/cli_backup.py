"""``aktuar backup``: encrypted backups of the database, stored files and settings (KZ164-27, KZ164-28, SECP-DATA).

The key comes from ``--key-file``, ``$AKTUAR_BACKUP_KEY_FILE`` or ``$AKTUAR_BACKUP_KEY`` (hex or base64) and is never
written into a backup. Commands act as the logged-in user (``aktuar users login``), who needs the IT administrator
role; ``run-scheduled`` acts as the system scheduler (for cron or a systemd timer).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from aktuar.cli_common import fail as _fail
from aktuar.cli_common import open_database as _database
from aktuar.errors import AktuarError
from aktuar.security import backups
from aktuar.security.context import Actor, cli_source
from aktuar.store.db import Database, Settings

app = typer.Typer(help="Encrypted backups: create, verify, restore, list, schedule (AES-256-GCM; KZ164-27).",
                  no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

KEY_FILE_HELP = "file holding the 32-byte backup key (hex or base64); default $AKTUAR_BACKUP_KEY_FILE or $AKTUAR_BACKUP_KEY"
KeyFile = Annotated[Path | None, typer.Option("--key-file", help=KEY_FILE_HELP)]


def _actor(db: Database) -> Actor:
    """The logged-in person (exits with code 2 and says how to log in when there is none)."""
    from aktuar.cli_users import cli_actor

    return cli_actor(db)


def _run(fn: Callable[[], T]) -> T:
    """Call a service; any failure is printed as one sentence (no stack trace) and exits with code 2."""
    try:
        return fn()
    except typer.Exit:
        raise
    except AktuarError as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. the database is unreachable: say so, no stack trace
        first = str(exc).splitlines()[0] if str(exc) else ""
        _fail(f"{type(exc).__name__}: {first}")
    raise AssertionError("unreachable")


def _key(key_file: Path | None) -> bytes:
    return _run(lambda: backups.load_key(key_file))


def _key_file(key_file: Path | None) -> str | None:
    return str(key_file) if key_file else os.environ.get(backups.KEY_FILE_ENV)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _default_dest(db: Database) -> str:
    sched = backups.get_schedule(db)
    if sched is None:
        _fail("give --dest DIR (or set a schedule with a destination: aktuar backup schedule --dest DIR ...)")
    return sched.destination  # type: ignore[union-attr]


@app.command()
def create(
    dest: Annotated[Path | None, typer.Option("--dest", help="directory for the backup (default: the schedule's)")]
    = None,
    key_file: KeyFile = None,
) -> None:
    """Back up the database, the stored input files and the settings into an encrypted file."""
    key = _key(key_file)
    with _database() as db:
        actor = _actor(db)
        target = str(dest) if dest is not None else _run(lambda: _default_dest(db))
        info = _run(lambda: backups.create_backup(db, actor, target, key, key_file=_key_file(key_file)))
    console.print(f"backup written: {info.path}")
    console.print(f"  {sum(info.tables.values())} rows in {len(info.tables)} tables, {info.files} files "
                  f"({_size(info.file_bytes)}); {_size(info.size_bytes)} encrypted; schema {info.schema_revision}")
    console.print(f"  sha256 {info.sha256}; key id {info.key_id}")
    for x in info.excluded:
        err.print(f"[yellow]not included:[/] {x}", markup=True)


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="the backup file")],
    key_file: KeyFile = None,
) -> None:
    """Decrypt and check a whole backup (exit code 1 when it is damaged, tampered with or the key is wrong)."""
    key = _key(key_file)
    with _database() as db:
        actor = _actor(db)
        res = _run(lambda: backups.verify_backup(file, key, db=db, actor=actor))
    if not res.ok:
        err.print(f"[bold red]NOT OK:[/] {res.message}", markup=True)
        raise typer.Exit(1)
    console.print(f"OK: {res.message}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="the backup file")],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="a NEW (or empty) data directory for the restored "
                                                              "system")],
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="an EMPTY database for the restored system (default: SQLite in --data-dir)")] = None,
    key_file: KeyFile = None,
) -> None:
    """Restore a backup into a new data directory and an empty database (never over an existing system).

    Run it from a working aktuar installation as a logged-in IT administrator (the restore is audited there and in
    the restored system). Put the escrowed keys/ into the new data directory first, so that two-factor secrets can
    be read and audit checkpoints are signed with the same key. Exit code 3: restored, but the audit trail does not
    verify.
    """
    key = _key(key_file)
    target = _run(lambda: Settings.from_env(data_dir=data_dir, database_url=database_url
                                            or f"sqlite:///{data_dir.resolve() / 'aktuar.sqlite3'}"))
    with _database() as db:
        actor = _actor(db)
        res = _run(lambda: backups.restore_backup(file, key, target, actor, audit_db=db))
    console.print(f"restored {file.name} into {res.data_dir} ({res.database})")
    console.print(f"  {sum(res.tables.values())} rows in {len(res.tables)} tables, {res.files} files; schema "
                  f"{res.backup_revision} → {res.schema_revision}")
    for note in res.notes:
        console.print(f"  note: {note}")
    if res.audit_verified is False:
        err.print(f"[bold red]warning:[/] restored, but {res.audit_message}", markup=True)
        raise typer.Exit(3)
    console.print(f"  {res.audit_message}")


@app.command("list")
def list_(
    dest: Annotated[Path | None, typer.Argument(help="directory of backups (default: the schedule's)")] = None,
) -> None:
    """The backups in a directory, newest first."""
    with _database() as db:
        actor = _actor(db)
        d = str(dest) if dest is not None else _run(lambda: _default_dest(db))
        found = _run(lambda: backups.list_backups(db, actor, d))
    if not found:
        console.print(f"no backups in {d}")
        return
    table = Table("created (UTC)", "size", "schema", "aktuar", "key id", title=f"backups in {d}")
    for b in found:
        table.add_row(b.created_at.strftime("%Y-%m-%d %H:%M:%S"), _size(b.size_bytes), b.schema_revision,
                      b.aktuar_version, b.key_id)
    console.print(table)
    for b in found:  # full names, unwrapped, for copying into verify/restore
        console.print(str(b.path))


def _show(s: backups.BackupSchedule | None) -> None:
    if s is None:
        console.print("no backup schedule (set one: aktuar backup schedule --every 1d --dest DIR --keep 14)")
        return
    every = s.interval_seconds
    unit = next((f"{every // v}{k}" for k, v in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60))
                 if every % v == 0), f"{every}s")
    console.print(f"every {unit} into {s.destination}, keeping {s.retention}; "
                  f"{'on' if s.enabled else 'OFF'}")


@app.command()
def schedule(
    every: Annotated[str | None, typer.Option("--every", help="interval: 30m, 6h, 1d, 1w")] = None,
    dest: Annotated[Path | None, typer.Option("--dest", help="directory for scheduled backups")] = None,
    keep: Annotated[int | None, typer.Option("--keep", help="how many backups to keep in the directory")] = None,
    off: Annotated[bool, typer.Option("--off", help="switch scheduled backups off")] = False,
    on: Annotated[bool, typer.Option("--on", help="switch scheduled backups back on")] = False,
) -> None:
    """Show or set the order and periodicity of scheduled backups (KZ164-28); run them with `run-scheduled`."""
    with _database() as db:
        current = _run(lambda: backups.get_schedule(db))
        if every is None and dest is None and keep is None and not off and not on:
            _show(current)
            return
        if off and on:
            _fail("give --on or --off, not both")
        actor = _actor(db)
        interval = _run(lambda: backups.parse_interval(every)) if every else (
            current.interval_seconds if current else None)
        destination = str(dest.resolve()) if dest else (current.destination if current else None)
        retention = keep if keep is not None else (current.retention if current else None)
        if interval is None or destination is None or retention is None:
            _fail("a first schedule needs --every, --dest and --keep")
        enabled = (not off) if (off or on) else (current.enabled if current else True)
        new = _run(lambda: backups.set_schedule(db, actor, interval_seconds=int(interval or 0),
                                                destination=str(destination), retention=int(retention or 0),
                                                enabled=enabled))
    _show(new)


@app.command("run-scheduled")
def run_scheduled(key_file: KeyFile = None) -> None:
    """Make a backup if one is due by the schedule and delete those beyond the retention (for cron/systemd).

    Exit code 0 when a backup was made or none was due, 2 when it failed (the failure is in the audit trail)."""
    with _database() as db:
        actor = Actor(username="system", roles=frozenset({"system"}), source=f"scheduler {cli_source()}",
                      via="system")
        key = _run(lambda: backups.load_key(key_file)) if key_file else None
        res = _run(lambda: backups.run_scheduled(db, key=key, actor=actor, key_file=key_file))
    if res.status == "failed":
        _fail(res.message)
    console.print(f"{res.status}: {res.message}")


@app.command()
def keygen(out: Annotated[Path, typer.Option("--out", help="where to write the new key (never overwritten)")]) -> None:
    """Create a new random backup key file (mode 0600). Keep a copy in escrow: without it no backup can be read."""
    kid = _run(lambda: backups.generate_key_file(out))
    console.print(f"key written to {out} (key id {kid}); set {backups.KEY_FILE_ENV}={out.resolve()} and keep an "
                  f"escrowed copy away from the backups")
