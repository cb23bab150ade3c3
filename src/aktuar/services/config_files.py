"""Reading a TOML configuration file with errors that name the file and the key (shared by the closes)."""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aktuar.errors import InputError


def read_toml(path: str | Path, what: str = "configuration") -> tuple[Path, dict[str, Any]]:
    """The parsed file; a missing file, non-UTF-8 text or invalid TOML is an ``InputError`` naming the file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"the {what} file does not exist: give the path of a .toml file", file=str(path))
    try:
        return p, tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"the {what} is not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None


CONFINED_TO: ContextVar[Path | None] = ContextVar("aktuar_config_confined_to", default=None)
"""While set (unpacking a close package), every file a configuration names must lie inside this folder."""


class ConfigReader:
    """Typed access to a parsed TOML table; every error names the file and the key (``portfolio[2].ulae_ratio``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent

    def error(self, key: str, message: str) -> InputError:
        return InputError(message, file=str(self.path), column=key)

    def take(self, table: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...], default: Any = ...,
             ) -> Any:
        full = f"{where}.{key}" if where else key
        if key not in table:
            if default is ...:
                raise self.error(full, f"the key '{full}' is missing: add it to the configuration")
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind in (float, int) and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(full, f"'{full}' must be a {names}, not {value!r}")
        return value

    def number(self, table: dict[str, Any], key: str, where: str, default: Any = ..., *, low: float | None = None,
               high: float | None = None, what: str = "") -> Any:
        value = self.take(table, key, where, float, default)
        if value is None or value is default:
            return value
        full = f"{where}.{key}" if where else key
        if (low is not None and value < low) or (high is not None and value > high):
            rng = f"between {low} and {high}" if low is not None and high is not None else (
                f"at least {low}" if low is not None else f"at most {high}")
            raise self.error(full, f"'{full}' = {value} is out of range: it must be {rng}{what}")
        return value

    def rates(self, table: dict[str, Any], key: str, where: str, default: tuple[float, ...]) -> tuple[float, ...]:
        """A list of rates between 0 and 1 (e.g. lapse by policy year), or one rate."""
        full = f"{where}.{key}" if where else key
        value = table.get(key, list(default))
        values = value if isinstance(value, list) else [value]
        out = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= float(v) <= 1.0:
                raise self.error(full, f"'{full}' must be a rate between 0 and 1 or a list of them, not {v!r}")
            out.append(float(v))
        return tuple(out)

    def file(self, table: dict[str, Any], key: str, where: str) -> Path:
        name: str = self.take(table, key, where, str)
        p = (self.base / name).resolve()
        root = CONFINED_TO.get()
        if root is not None and not p.is_relative_to(root.resolve()):
            # a package's configuration: the same answer whether or not such a file exists (no probing of the
            # server's files), and no server path in it
            full = f"{where}.{key}" if where else key
            raise self.error(full, f"'{full}' names a file outside the package: the inputs of a close are files of "
                                   "its package, named by relative paths without '..'")
        if not p.is_file():
            full = f"{where}.{key}" if where else key
            raise self.error(full, f"the file '{name}' named by '{full}' does not exist (relative to the "
                                   f"configuration's folder {self.base})")
        return p

    def date(self, value: Any, full: str) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            from aktuar.data.readers import parse_date_text

            try:
                return parse_date_text(value)
            except InputError:
                pass
        raise self.error(full, f"{value!r} is not a date: write it as 2026-12-31")

    def check_keys(self, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            full = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.error(full, f"unknown key '{full}': the keys here are {', '.join(sorted(allowed))}")

    def currency(self, raw: dict[str, Any], key: str = "currency") -> str:
        """An ISO 4217 code (default KZT)."""
        value: str = self.take(raw, key, "", str, "KZT")
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise self.error(key, f"'{value}' is not an ISO 4217 code: write three capital letters (KZT)")
        return value
