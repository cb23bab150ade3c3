"""Administration (users, roles, lockouts, MFA reset, technological accounts, settings) and setting up an
authenticator app in the browser.

Every operation is the platform's (``services.accounts``): permission-checked, audited (refusals too), with its
own rules (nobody administers their own account, incompatible roles refused, the last IS officer kept). The MFA
reset needs the officer's password and current code again (re-authentication). The authenticator set-up shows
the secret and the ``otpauth://`` URI as text and, when the QR library ``segno`` is installed, a QR code drawn
as SVG on the server; the secret is never stored in the browser.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from aktuar.errors import InputError
from aktuar.security import rbac
from aktuar.services import accounts
from aktuar.web import i18n
from aktuar.web.deps import (
    _resolve,
    allowed,
    anonymous_csrf_ok,
    check_origin,
    client_ip,
    cookie_lang,
    db_of,
    form_csrf,
    now_of,
    page_post_who,
    page_who,
    render,
)
from aktuar.web.security import PRE_COOKIE, CsrfRefused, csrf_for_pre, same

router = APIRouter(include_in_schema=False)
PageWho = Annotated[Any, Depends(page_who)]
PostWho = Annotated[Any, Depends(page_post_who)]
UserName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
SaId = Annotated[int, Path(ge=1, le=2_147_483_647)]
DONE = ("unlock", "grant", "revoke", "disable", "enable", "mfa_reset", "create", "setting", "sa_request",
        "sa_approve", "sa_disable")


def _admin_context(request: Request, who: Any) -> dict[str, Any]:
    db = db_of(request)
    actor = who.actor
    users = accounts.list_users(db, actor) if allowed(who, "account.read") else []
    sas = accounts.list_service_accounts(db, actor) if allowed(who, "service_account.read") else []
    pol = accounts.get_policy(db)
    settings = [(key, getattr(pol, f), lo, hi, meaning) for key, (f, lo, hi, meaning) in
                accounts.POLICY_SETTINGS.items()]
    now = now_of(request)
    locked = {u.username for u in users if u.locked_until is not None and u.locked_until > now}
    return {"users": users, "sas": sas, "settings": settings, "roles": list(rbac.ROLES), "locked": locked,
            "may_manage": allowed(who, "account.manage"), "may_configure": allowed(who, "security.configure"),
            "may_sa_request": allowed(who, "service_account.request"),
            "may_sa_approve": allowed(who, "service_account.approve_it") or allowed(who, "service_account.approve_is"),
            "may_sa_revoke": allowed(who, "service_account.revoke")}


@router.get("/admin")
def admin_page(request: Request, who: PageWho, done: str = "") -> Response:
    if not (allowed(who, "account.read") or allowed(who, "service_account.read")
            or allowed(who, "security.configure")):
        accounts.list_users(db_of(request), who.actor)  # raises PermissionDenied (audited)
    return render(request, "admin.html", who.lang, done=done if done in DONE else "",
                  **_admin_context(request, who))


def _back(done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin?done={done}", status_code=303)


@router.post("/admin/users")
def create_user(request: Request, who: PostWho, username: Annotated[str, Form(max_length=64)],
                full_name: Annotated[str, Form(max_length=200)], password: Annotated[str, Form(max_length=1024)],
                role: Annotated[list[str], Form(max_length=8)] = []) -> Response:  # noqa: B006 - FastAPI default
    accounts.create_user(db_of(request), who.actor, username, full_name, password, role, now=now_of(request))
    return _back("create")


@router.post("/admin/users/{username}/unlock")
def unlock(request: Request, username: UserName, who: PostWho) -> Response:
    accounts.unlock_user(db_of(request), who.actor, username, now=now_of(request))
    return _back("unlock")


@router.post("/admin/users/{username}/roles")
def change_role(request: Request, username: UserName, who: PostWho, role: Annotated[str, Form(max_length=40)],
                action: Annotated[str, Form(pattern="^(grant|revoke)$")]) -> Response:
    if role not in rbac.ROLES:
        raise InputError(f"unknown role '{role[:40]}'")
    fn = accounts.grant_role if action == "grant" else accounts.revoke_role
    fn(db_of(request), who.actor, username, role, now=now_of(request))
    return _back(action)


@router.post("/admin/users/{username}/disable")
def disable(request: Request, username: UserName, who: PostWho,
            reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    accounts.disable_user(db_of(request), who.actor, username, reason, now=now_of(request))
    return _back("disable")


@router.post("/admin/users/{username}/enable")
def enable(request: Request, username: UserName, who: PostWho) -> Response:
    accounts.enable_user(db_of(request), who.actor, username, now=now_of(request))
    return _back("enable")


@router.post("/admin/users/{username}/mfa-reset")
def mfa_reset(request: Request, username: UserName, who: PostWho, password: Annotated[str, Form(max_length=1024)],
              code: Annotated[str, Form(max_length=64)]) -> Response:
    try:
        accounts.reset_mfa(db_of(request), who.actor, username, password=password, otp=code, now=now_of(request))
    except accounts.AuthenticationFailed:
        raise InputError(i18n.t(who.lang, "admin.reauth_failed")) from None
    return _back("mfa_reset")


@router.post("/admin/settings")
def change_setting(request: Request, who: PostWho, key: Annotated[str, Form(max_length=64)],
                   value: Annotated[int, Form(ge=-1_000_000, le=1_000_000)]) -> Response:
    accounts.set_policy(db_of(request), who.actor, key, value, now=now_of(request))
    return _back("setting")


@router.post("/admin/service-accounts")
def request_sa(request: Request, who: PostWho, system: Annotated[str, Form(max_length=100)],
               name: Annotated[str, Form(max_length=100)], purpose: Annotated[str, Form(max_length=500)],
               responsible: Annotated[str, Form(max_length=64)],
               role: Annotated[list[str], Form(max_length=8)] = []) -> Response:  # noqa: B006 - FastAPI default
    accounts.request_service_account(db_of(request), who.actor, system, name, purpose, responsible, role,
                                     now=now_of(request))
    return _back("sa_request")


@router.post("/admin/service-accounts/{sa_id}/approve")
def approve_sa(request: Request, sa_id: SaId, who: PostWho) -> Response:
    accounts.approve_service_account(db_of(request), who.actor, sa_id, now=now_of(request))
    return _back("sa_approve")


@router.post("/admin/service-accounts/{sa_id}/disable")
def disable_sa(request: Request, sa_id: SaId, who: PostWho,
               reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    accounts.disable_service_account(db_of(request), who.actor, sa_id, reason, now=now_of(request))
    return _back("sa_disable")


# ------------------------------------------------------------------------------- authenticator set-up
def qr_svg(uri: str) -> Markup | None:
    """The QR code of ``uri`` as SVG (``segno``, when installed; else ``None`` and the page shows text)."""
    try:
        import segno  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    import io

    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True, nl=False,
                                    svgclass="qr", lineclass="qr-line")
    return Markup(buf.getvalue().decode("ascii"))


def _enroll_csrf(request: Request) -> tuple[str, str | None]:
    """(csrf token for the form, new pre-session cookie to set or None) — logged in: the session's token."""
    who = _resolve(request, None)
    if who.actor is not None and who.csrf:
        return who.csrf, None
    import secrets

    pre = request.cookies.get(PRE_COOKIE)
    if pre is None or not 16 <= len(pre) <= 128:
        new = secrets.token_urlsafe(32)
        return csrf_for_pre(request.app.state.csrf_key, new), new
    return csrf_for_pre(request.app.state.csrf_key, pre), None


def _check_enroll_csrf(request: Request, csrf: str) -> None:
    check_origin(request)
    who = _resolve(request, None)
    if who.actor is not None and who.csrf:
        if not same(csrf, who.csrf):
            raise CsrfRefused("bad csrf token")
    elif not anonymous_csrf_ok(request, csrf):
        raise CsrfRefused("bad pre-session csrf token")


def _enroll_page(request: Request, step: str, status: int = 200, **kw: Any) -> Response:
    who = getattr(request.state, "who", None) or _resolve(request, None)
    lang = who.lang if who.actor is not None else cookie_lang(request)
    csrf, new_pre = _enroll_csrf(request)
    resp = render(request, "mfa_enroll.html", lang, status_code=status, step=step, csrf=csrf, **kw)
    if new_pre:
        resp.set_cookie(PRE_COOKIE, new_pre, path="/", secure=True, httponly=True, samesite="strict")
    return resp


@router.get("/mfa/enroll")
def enroll_form(request: Request) -> Response:
    who = _resolve(request, None)
    return _enroll_page(request, "begin", username=who.actor.username if who.actor is not None else "")


@router.post("/mfa/enroll")
def enroll_begin(request: Request, csrf: Annotated[str, Depends(form_csrf)],
                 username: Annotated[str, Form(max_length=64)] = "",
                 password: Annotated[str, Form(max_length=1024)] = "",
                 code: Annotated[str, Form(max_length=64)] = "") -> Response:
    _check_enroll_csrf(request, csrf)
    who = _resolve(request, None)
    if who.actor is not None:
        username = who.actor.username  # a logged-in person sets up only their own authenticator
    lang = who.lang if who.actor is not None else cookie_lang(request)
    try:
        e = accounts.begin_mfa_enrollment(db_of(request), username, password, code or None,
                                          source=f"web {client_ip(request)}", now=now_of(request), via="web")
    except accounts.AuthenticationFailed:
        pol = accounts.get_policy(db_of(request))
        return _enroll_page(request, "begin", status=401, username=username[:64],
                            error=i18n.t(lang, "login.failed", threshold=pol.lockout_threshold,
                                         minutes=pol.lockout_minutes))
    return _enroll_page(request, "confirm", username=username, secret=e.secret, uri=e.uri, qr=qr_svg(e.uri))


@router.post("/mfa/enroll/confirm")
def enroll_confirm(request: Request, csrf: Annotated[str, Depends(form_csrf)],
                   username: Annotated[str, Form(max_length=64)] = "",
                   password: Annotated[str, Form(max_length=1024)] = "",
                   code: Annotated[str, Form(max_length=64)] = "") -> Response:
    _check_enroll_csrf(request, csrf)
    who = _resolve(request, None)
    if who.actor is not None:
        username = who.actor.username
    lang = who.lang if who.actor is not None else cookie_lang(request)
    try:
        codes = accounts.confirm_mfa_enrollment(db_of(request), username, password, code,
                                                source=f"web {client_ip(request)}", now=now_of(request), via="web")
    except (accounts.AuthenticationFailed, InputError):
        return _enroll_page(request, "begin", status=401, username=username[:64],
                            error=i18n.t(lang, "mfa.confirm_failed"))
    return _enroll_page(request, "done", username=username, codes=codes)

