"""Request helpers shared by the routers: who is calling, CSRF checks, page rendering."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aktuar.security import rbac
from aktuar.services import accounts
from aktuar.store.db import Database
from aktuar.web import i18n
from aktuar.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LANG_COOKIE,
    PRE_COOKIE,
    SAFE_METHODS,
    SESSION_COOKIE,
    CsrfRefused,
    LoginRequired,
    Unauthenticated,
    Who,
    csrf_for_pre,
    csrf_for_session,
    origin_ok,
    same,
)

bearer_scheme = HTTPBearer(auto_error=False, description="API token of an approved technological account "
                                                         "(akt_…), issued by the head of IT")


def db_of(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def now_of(request: Request) -> datetime:
    return request.app.state.settings.clock()  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def cookie_lang(request: Request) -> str:
    return i18n.normalize_language(request.cookies.get(LANG_COOKIE))


def _resolve(request: Request, bearer: str | None) -> Who:
    """Authenticate by bearer token (API clients) or the session cookie (browsers); ``Who(actor=None)`` when
    neither is present or valid. The result is kept on ``request.state`` for the error handlers."""
    db = db_of(request)
    now = now_of(request)
    if bearer is not None:
        try:
            actor = accounts.authenticate_token(db, bearer, now, source=f"api {client_ip(request)}")
        except accounts.TokenInvalid:
            raise Unauthenticated("invalid token") from None
        who = Who(actor, cookie_lang(request), bearer=True)
        request.state.who = who
        return who
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        who = Who(None, cookie_lang(request))
        request.state.who = who
        return who
    try:
        actor = accounts.authenticate_session(db, token, now, source=f"web {client_ip(request)}", via="web")
    except accounts.SessionInvalid:
        request.state.session_ended = True
        who = Who(None, cookie_lang(request))
        request.state.who = who
        return who
    # the person's chosen language is stored on the account (every server process reads it); else the cookie's
    lang = accounts.preferred_language(db, actor.user_id) or cookie_lang(request)
    who = Who(actor, lang, token, csrf_for_session(request.app.state.csrf_key, token))
    request.state.who = who
    return who


def _bearer_value(creds: HTTPAuthorizationCredentials | None) -> str | None:
    return creds.credentials if creds is not None else None


def check_origin(request: Request) -> None:
    if request.method not in SAFE_METHODS and not origin_ok(request.headers.get("origin"),
                                                            request.headers.get("host")):
        raise CsrfRefused("cross-origin request")


def page_who(request: Request) -> Who:
    """A logged-in browser user for a page (GET); otherwise a redirect to the login page."""
    who = _resolve(request, None)
    if who.actor is None:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(nxt, ended=bool(getattr(request.state, "session_ended", False)))
    return who


async def form_csrf(request: Request) -> str:
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def page_post_who(request: Request, csrf: Annotated[str, Depends(form_csrf)]) -> Who:
    """A logged-in browser user for a form post, with the session's CSRF token and a same-site origin."""
    check_origin(request)
    who = _resolve(request, None)
    if who.actor is None:
        raise LoginRequired("/dashboard", ended=bool(getattr(request.state, "session_ended", False)))
    if not same(csrf, who.csrf):
        raise CsrfRefused("bad csrf token")
    return who


def anonymous_csrf_ok(request: Request, csrf: str) -> bool:
    """The pre-session CSRF token of the login and language forms."""
    pre = request.cookies.get(PRE_COOKIE)
    return bool(pre) and same(csrf, csrf_for_pre(request.app.state.csrf_key, pre or ""))


def api_who(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]) -> Who:
    """An API caller: bearer token, or a browser session (with ``X-CSRF-Token`` for unsafe methods)."""
    who = _resolve(request, _bearer_value(creds))
    if who.actor is None:
        raise Unauthenticated("no session")
    if not who.bearer and request.method not in SAFE_METHODS:
        check_origin(request)
        if not same(request.headers.get(CSRF_HEADER), who.csrf):
            raise CsrfRefused("bad csrf header")
    return who


def allowed(who: Who, permission: str) -> bool:
    return who.actor is not None and rbac.allowed(who.actor, permission)


def render(request: Request, template: str, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the translation and formatting helpers for ``lang``."""
    app = request.app
    env = app.state.jinja
    who: Who | None = getattr(request.state, "who", None)
    ctx = {
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "t": lambda key, **kw: i18n.t(lang, key, **kw),
        "num": lambda v, digits=2: i18n.format_number(v, lang, digits),
        "fmt_date": lambda v: i18n.format_date(v, lang),
        "fmt_datetime": lambda v: i18n.format_datetime(v, lang),
        "identity": app.state.identity,
        "who": who,
        "csrf": who.csrf if who is not None and who.csrf else context.pop("csrf", ""),
        "can": (lambda p: allowed(who, p)) if who is not None else (lambda p: False),
        "here": quote(request.url.path, safe="/"),
        **context,
    }
    html = env.get_template(template).render(**ctx)
    return HTMLResponse(html, status_code=status_code)
