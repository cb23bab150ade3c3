"""Who performs an operation: every service call receives an ``Actor``."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """An authenticated user (or ``system``) with roles and where the request came from."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None
    source: str = "cli"  # "cli host=… os_user=…", "web 10.0.0.5", "api token=…"
    via: str = "cli"  # cli | web | api | system
    # An API token's scopes: when set, only these permissions are allowed (on top of the roles' permissions).
    scopes: frozenset[str] | None = None

    def has(self, role: str) -> bool:
        return role in self.roles


SYSTEM = Actor(username="system", roles=frozenset({"system"}), source="system", via="system")


def cli_source() -> str:
    """Where a CLI command comes from: the host and the operating-system user."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name available in some containers
        user = "unknown"
    return f"cli host={socket.gethostname()} os_user={user}"
