"""Login with password + TOTP (KZ164-65, KZ164-67), logout, language switch (stored on the person's account when
logged in, else in a cookie), theme CSS and logo."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from aktuar.services import accounts
from aktuar.web import i18n
from aktuar.web.app import STATIC_DIR
from aktuar.web.deps import (
    _resolve,
    anonymous_csrf_ok,
    check_origin,
    client_ip,
    cookie_lang,
    db_of,
    form_csrf,
    now_of,
    render,
)
from aktuar.web.security import (
    LANG_COOKIE,
    PRE_COOKIE,
    SESSION_COOKIE,
    CsrfRefused,
    csrf_for_pre,
    safe_next,
    same,
)

router = APIRouter(include_in_schema=False)
MESSAGES = {"ended": "login.session_ended", "logged_out": "login.logged_out"}


def _cookie(resp: Response, name: str, value: str) -> None:
    resp.set_cookie(name, value, path="/", secure=True, httponly=True, samesite="strict")


def _login_page(request: Request, *, status: int = 200, error: str | None = None, next_path: str = "",
                message: str | None = None, username: str = "") -> Response:
    lang = cookie_lang(request)
    pre = request.cookies.get(PRE_COOKIE)
    new_pre = pre is None or not (16 <= len(pre) <= 128)
    if new_pre:
        pre = secrets.token_urlsafe(32)
    assert pre is not None
    resp = render(request, "login.html", lang, status_code=status, csrf=csrf_for_pre(request.app.state.csrf_key, pre),
                  error=error, next_path=safe_next(next_path), message=message, username=username)
    if new_pre:
        _cookie(resp, PRE_COOKIE, pre)
    return resp


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "", m: str = "") -> Response:  # noqa: A002 - the query name
    who = _resolve(request, None)
    if who.actor is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    key = MESSAGES.get(m)
    return _login_page(request, next_path=next, message=i18n.t(cookie_lang(request), key) if key else None)


@router.post("/login")
def login_submit(
    request: Request,
    csrf: Annotated[str, Depends(form_csrf)],
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=512)] = "",  # noqa: A002 - the form field's name
) -> Response:
    check_origin(request)
    if not anonymous_csrf_ok(request, csrf):
        raise CsrfRefused("bad pre-session csrf token")
    db = db_of(request)
    now = now_of(request)
    lang = cookie_lang(request)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # never carry a session id the browser brought (fixation): end it, the login makes a new one
        accounts.logout(db, old, now)
    try:
        result = accounts.login(db, username, password, code, f"web {client_ip(request)}", now, via="web")
    except accounts.MfaEnrollmentRequired:
        return _login_page(request, status=401, error=i18n.t(lang, "login.mfa_required"), next_path=next)
    except accounts.AuthenticationFailed:
        pol = accounts.get_policy(db)
        return _login_page(request, status=401, next_path=next, username=username[:64],
                           error=i18n.t(lang, "login.failed", threshold=pol.lockout_threshold,
                                        minutes=pol.lockout_minutes))
    resp = RedirectResponse(safe_next(next), status_code=303)
    _cookie(resp, SESSION_COOKIE, result.session_token)
    # the session's pages are in the person's stored language (the pre-login cookie's only when none is stored);
    # the cookie follows it so that the login page after logging out speaks it too
    preferred = accounts.preferred_language(db, result.actor.user_id)
    if preferred is not None and preferred != lang:
        _cookie(resp, LANG_COOKIE, preferred)
    resp.delete_cookie(PRE_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Depends(form_csrf)]) -> Response:
    check_origin(request)
    who = _resolve(request, None)
    if who.actor is not None and who.session_token is not None:
        if not same(csrf, who.csrf):
            raise CsrfRefused("bad csrf token")
        accounts.logout(db_of(request), who.session_token, now_of(request))
    resp = RedirectResponse("/login?m=logged_out", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return resp


@router.post("/lang")
def switch_language(
    request: Request,
    csrf: Annotated[str, Depends(form_csrf)],
    lang: Annotated[str, Form(max_length=5)] = "ru",
    next: Annotated[str, Form(max_length=512)] = "",  # noqa: A002 - the form field's name
) -> Response:
    check_origin(request)
    who = _resolve(request, None)
    if who.actor is not None and who.session_token is not None:
        if not same(csrf, who.csrf):
            raise CsrfRefused("bad csrf token")
    elif not anonymous_csrf_ok(request, csrf):
        raise CsrfRefused("bad pre-session csrf token")
    chosen = i18n.normalize_language(lang)
    if who.actor is not None and who.session_token is not None:  # kept on the account: every process, next login
        accounts.set_language(db_of(request), who.actor, chosen)
    target = safe_next(next, "/login" if who.actor is None else "/dashboard")
    if who.actor is None and next.startswith("/login"):
        target = "/login"
    resp = RedirectResponse(target, status_code=303)
    _cookie(resp, LANG_COOKIE, chosen)
    return resp


@router.get("/theme.css")
def theme(request: Request) -> Response:
    ident = request.app.state.identity
    css = f":root {{ --brand: {ident.color_primary}; --accent: {ident.color_accent}; }}\n"
    return Response(css, media_type="text/css")


@router.get("/brand/logo")
def logo(request: Request) -> Response:
    ident = request.app.state.identity
    path = ident.logo_file or STATIC_DIR / "logo.svg"
    media = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return FileResponse(path, media_type=media)
