"""What every command group shares: the error line, the database of the environment, the logged-in actor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

from aktuar.errors import AktuarError
from aktuar.security.context import Actor
from aktuar.store.db import Database, Settings

err = Console(stderr=True)


@contextmanager
def step_progress(description: str, *, quiet: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar on stderr (only on a terminal) and its callback ``progress(step, done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task(description, total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step or description, completed=done, total=total)

        yield progress


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one unwrapped error line (no markup is interpreted in ``message``) and end the command."""
    err.print("[bold red]error:[/] ", end="")
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def open_database() -> Iterator[Database]:
    """The database of AKTUAR_DATABASE_URL / AKTUAR_DATA_DIR; a user's or the database's error ends the command
    with exit code 2 and one sentence, never a stack trace."""
    from sqlalchemy.exc import SQLAlchemyError

    db: Database | None = None
    try:
        db = Database(Settings.from_env())
        yield db
    except AktuarError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"the database refused the operation ({type(exc).__name__}): is it reachable and migrated "
             "('aktuar db upgrade')? Nothing was changed.")
    except OSError as exc:
        fail(f"{exc.strerror or type(exc).__name__}: {exc.filename or ''}".rstrip(": "))
    finally:
        if db is not None:
            db.dispose()


def default_actor(db: Database) -> Actor:
    """The logged-in user of this command line: the session of ``aktuar users login`` or ``$AKTUAR_TOKEN``
    (``aktuar.services.accounts.cli_actor``; imported when needed, not at start-up)."""
    from aktuar.services.accounts import cli_actor

    return cli_actor(db)
