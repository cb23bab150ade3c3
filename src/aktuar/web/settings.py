"""Settings of the web application: the insurer's identity (KZ164-67(1)), the environment and the clock.

The identity comes from the settings table (keys ``web.insurer_name``, ``web.logo_file``, ``web.color_primary``,
``web.color_accent``; values JSON strings) when present, else from the environment (``AKTUAR_INSURER_NAME``,
``AKTUAR_INSURER_LOGO``, ``AKTUAR_INSURER_COLOR``, ``AKTUAR_INSURER_ACCENT``), else defaults with the vendored
logo. Colours must be ``#rrggbb``; a logo must be an existing ``.svg`` or ``.png`` file (anything else is
refused with an ``InputError`` at start-up, never silently ignored). ``AKTUAR_ENV=production`` marks production:
then plain HTTP and the self-signed development certificate are refused.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from aktuar.errors import InputError
from aktuar.store.db import Database
from aktuar.store.models import Setting

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
IDENTITY_KEYS = {"web.insurer_name": "insurer_name", "web.logo_file": "logo_file",
                 "web.color_primary": "color_primary", "web.color_accent": "color_accent"}
PRODUCTION_VALUES = frozenset({"production", "prod"})


def is_production(env: dict[str, str] | None = None) -> bool:
    """Whether ``AKTUAR_ENV`` says production."""
    e = os.environ if env is None else env
    return (e.get("AKTUAR_ENV") or "").strip().lower() in PRODUCTION_VALUES


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Identity:
    insurer_name: str = "АО «Страховая компания»"
    logo_file: Path | None = None  # None: the vendored default logo
    color_primary: str = "#0b4f8a"
    color_accent: str = "#e8a317"

    def checked(self) -> Identity:
        name = " ".join(str(self.insurer_name or "").split())
        if not 1 <= len(name) <= 200:
            raise InputError("the insurer's name (web.insurer_name / AKTUAR_INSURER_NAME) is 1 to 200 characters")
        for what, c in (("primary colour", self.color_primary), ("accent colour", self.color_accent)):
            if not COLOR_RE.match(c):
                raise InputError(f"the insurer's {what} '{c[:20]}' is not a colour: write it as #rrggbb, "
                                 "e.g. #0b4f8a")
        logo = self.logo_file
        if logo is not None:
            logo = Path(logo)
            if logo.suffix.lower() not in (".svg", ".png") or not logo.is_file():
                raise InputError(f"the insurer's logo {logo.name} must be an existing .svg or .png file")
        return replace(self, insurer_name=name, color_primary=self.color_primary.lower(),
                       color_accent=self.color_accent.lower(), logo_file=logo)


@dataclass(frozen=True)
class WebSettings:
    """How the app runs. ``clock`` gives "now" (tests move it to prove the idle and absolute timeouts)."""

    database: Database | None = None
    identity: Identity | None = None  # None: read from the settings table / environment at start-up
    production: bool = False
    clock: Callable[[], datetime] = field(default=_utcnow)
    max_upload_bytes: int = 50 * 1024 * 1024  # largest file accepted by the data upload page
    # test-only: adds a route that raises, to prove that no internal detail reaches a response
    enable_test_routes: bool = False

    @classmethod
    def from_env(cls, database: Database | None = None) -> WebSettings:
        return cls(database=database, production=is_production())


def identity_from(db: Database, env: dict[str, str] | None = None) -> Identity:
    """The insurer's identity: settings table, then environment, then defaults (validated)."""
    e = os.environ if env is None else env
    values: dict[str, object] = {}
    if e.get("AKTUAR_INSURER_NAME"):
        values["insurer_name"] = e["AKTUAR_INSURER_NAME"]
    if e.get("AKTUAR_INSURER_LOGO"):
        values["logo_file"] = Path(e["AKTUAR_INSURER_LOGO"])
    if e.get("AKTUAR_INSURER_COLOR"):
        values["color_primary"] = e["AKTUAR_INSURER_COLOR"]
    if e.get("AKTUAR_INSURER_ACCENT"):
        values["color_accent"] = e["AKTUAR_INSURER_ACCENT"]
    with db.session() as s:
        for key, value in s.execute(select(Setting.key, Setting.value).where(Setting.key.in_(list(IDENTITY_KEYS)))):
            try:
                v = json.loads(value)
            except ValueError:
                raise InputError(f"the setting {key} is not valid JSON: store a JSON string") from None
            if not isinstance(v, str):
                raise InputError(f"the setting {key} must be a JSON string")
            values[IDENTITY_KEYS[key]] = Path(v) if key == "web.logo_file" else v
    return Identity(**values).checked()  # type: ignore[arg-type]
