"""``aktuar db``: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from aktuar.security.context import Actor, cli_source
from aktuar.store import migrate
from aktuar.store.db import Database, Settings

app = typer.Typer(help="Database schema: upgrade (migrate) and show the revision.", no_args_is_help=True)
console = Console()


@app.command()
def upgrade() -> None:
    """Migrate the database (AKTUAR_DATABASE_URL, or SQLite in AKTUAR_DATA_DIR) to the newest schema."""
    from aktuar.services.system import upgrade as do_upgrade

    db = Database(Settings.from_env())
    actor = Actor(username="system", roles=frozenset({"system"}), source=cli_source(), via="cli")
    try:
        res = do_upgrade(db, actor)
    except Exception as exc:  # noqa: BLE001 - any failure is reported without a stack trace
        Console(stderr=True).print(f"[bold red]error:[/] the migration failed: {type(exc).__name__}: {exc}",
                                   markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    if res.changed:
        console.print(f"schema migrated from {res.before or 'empty'} to {res.after}")
    else:
        console.print(f"schema already at {res.after}")


@app.command()
def current() -> None:
    """Show the database's schema revision and the newest one."""
    db = Database(Settings.from_env())
    try:
        console.print(f"current: {migrate.current(db.engine) or 'empty'}; newest: {migrate.head(db.engine)}")
    finally:
        db.dispose()
