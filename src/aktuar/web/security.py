"""Sessions, CSRF, the safe ``next`` parameter, security headers and who a request is.

Sessions are the platform's (``accounts.login`` / ``authenticate_session`` / ``logout``): the browser holds
only the random session token, in the cookie ``__Host-aktuar_session`` (Secure, HttpOnly, SameSite=Strict,
Path=/, no Domain, no expiry: it ends with the browser); the server stores its SHA-256, the idle and absolute
timeouts of the account policy apply, and every login issues a new token (an old one the browser sent is ended
first, so a planted session id is never carried into a login).

CSRF: every state-changing request authenticated by the cookie carries a synchronizer token bound to the session
— ``HMAC-SHA256(server key, "csrf|" + SHA-256(session token))`` — in the form field ``csrf_token`` or the header
``X-CSRF-Token``. The key (32 random bytes) lives in ``<data dir>/keys/web_csrf.key`` (mode 0600), so tokens
survive a restart and cannot be forged without it. Before login the login and language forms use a token bound
to a random pre-session cookie (``__Host-aktuar_pre``) the same way. A request whose ``Origin`` names another
site is refused as well. API clients with a bearer token send no cookie and need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aktuar.errors import AktuarError
from aktuar.security.context import Actor

SESSION_COOKIE = "__Host-aktuar_session"
PRE_COOKIE = "__Host-aktuar_pre"
LANG_COOKIE = "__Host-aktuar_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_NEXT = "/dashboard"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


class LoginRequired(AktuarError):
    """A page needs a logged-in user: the browser is sent to the login page (with a safe ``next``)."""

    def __init__(self, next_path: str, ended: bool = False) -> None:
        super().__init__("login required")
        self.next_path = next_path
        self.ended = ended


class Unauthenticated(AktuarError):
    """An API request without a valid session or bearer token (401)."""


class CsrfRefused(AktuarError):
    """A state-changing request without the right CSRF token, or from another origin (403)."""


def load_csrf_key(data_dir: Path) -> bytes:
    """The server's CSRF key (created on first use, mode 0600)."""
    path = Path(data_dir) / "keys" / "web_csrf.key"
    if path.is_file():
        raw = path.read_bytes()
        if len(raw) >= 32:
            return raw[:32]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    tmp = path.with_name(path.name + f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # the first writer wins; a concurrent starter reads the winner's key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()[:32]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for_session(key: bytes, session_token: str) -> str:
    return hmac.new(key, b"csrf|" + token_digest(session_token).encode(), hashlib.sha256).hexdigest()


def csrf_for_pre(key: bytes, pre_token: str) -> str:
    return hmac.new(key, b"pre|" + token_digest(pre_token).encode(), hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


_CTRL = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """``value`` when it is a path on this site (``/runs?x=1``), else ``default``: absolute and
    scheme-relative URLs (``https://evil``, ``//evil``, ``/\\evil``), other schemes, control characters and
    the login/logout pages themselves are refused (no open redirect)."""
    v = str(value or "")
    if not v or len(v) > 512 or not v.startswith("/") or v.startswith("//") or _CTRL.search(v):
        return default
    parts = urlsplit(v)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return default
    if parts.path in ("/login", "/logout"):
        return default
    return v


def origin_ok(origin: str | None, host: str | None) -> bool:
    """No usable ``Origin`` (absent, or ``null``: browsers send ``null`` on form posts of a page with
    ``Referrer-Policy: no-referrer``; the CSRF token decides then), or one whose host is the request's."""
    if origin is None or origin == "null":
        return True
    if not host:
        return False
    o = urlsplit(origin)
    return o.scheme in ("https", "http") and o.netloc.lower() == host.lower()


@dataclass(frozen=True)
class Who:
    """The caller of a request: a user with a browser session, an API token, or nobody."""

    actor: Actor | None
    lang: str
    session_token: str | None = None
    csrf: str | None = None  # the session's CSRF token (browser sessions only)
    bearer: bool = False

