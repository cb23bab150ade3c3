"""File-system helpers shared by the modules that write durable files (outputs, datasets, backups)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aktuar.errors import InputError


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it survives a crash); silently skipped where not supported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Any], None], binary: bool = False) -> None:
    """Write ``path`` through a temporary file beside it and rename it into place: never a half-written file.

    ``write(fh)`` gets a binary file, or a UTF-8 text file with ``binary=False``. The file gets the usual
    permissions of the user's umask (``mkstemp`` alone would make it private).
    """
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"the output folder {path.parent} does not exist: create it or choose another --out")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
