"""The FastAPI application (issue 5): ``create_app(settings)``.

Layers: :class:`SecurityMiddleware` (outermost) gives every request a correlation id, adds the security headers
to every response (HSTS, CSP without inline scripts, frame-ancestors 'none' and X-Frame-Options DENY, nosniff,
Referrer-Policy no-referrer, ``Cache-Control: no-store`` on everything but static files) and turns any
unexpected exception into a short localized message with the correlation id — the stack trace goes to the server
log (logger ``aktuar.web``) and to the audit trail, never into a response (KZ164-67(5), KZ164-69(1)). The
exception handlers map the platform's errors: permission → 403, no/invalid session or token → 401 (API) or the
login page (pages), CSRF → 403, a refused operation → 400/409 with its one-sentence reason (absolute paths
removed), database unavailable → 503.
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import aktuar
from aktuar.errors import AktuarError, InputError
from aktuar.security import audit
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.services import accounts
from aktuar.services.methodology import DatabaseUnavailable
from aktuar.store.db import Database, Settings
from aktuar.web import i18n
from aktuar.web.security import (
    LANG_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    CsrfRefused,
    LoginRequired,
    Unauthenticated,
    load_csrf_key,
    safe_next,
)
from aktuar.web.settings import WebSettings, identity_from

log = logging.getLogger("aktuar.web")
STATIC_DIR = Path(__file__).resolve().parent / "static"
_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+){2,}[\\/]?")


def _correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "-")


def _lang(request: Request) -> str:
    who = getattr(request.state, "who", None)
    if who is not None:
        return str(who.lang)
    return i18n.normalize_language(request.cookies.get(LANG_COOKIE))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _clean(detail: str) -> str:
    """A refusal's reason for a response: absolute paths removed, one line, at most 300 characters."""
    text = _PATH_RE.sub("…", " ".join(str(detail).split()))
    return text[:300]


def error_response(request: Request, status: int, key: str, **kw: Any) -> Response:
    lang = _lang(request)
    cid = _correlation_id(request)
    message = i18n.t(lang, key, cid=cid, **kw)
    if _wants_json(request):
        return JSONResponse({"error": message, "correlation_id": cid}, status_code=status)
    from aktuar.web.deps import render

    return render(request, "error.html", lang, status_code=status, message=message, correlation_id=cid)


def _audit_internal_error(request: Request, cid: str, exc: BaseException) -> None:
    """The details of an unexpected error go to the audit trail (best effort: the user's response must not
    depend on it)."""
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None:
        return
    who = getattr(request.state, "who", None)
    actor = who.actor if who is not None and who.actor is not None else Actor(
        "anonymous", source=f"web {request.client.host if request.client else 'unknown'}", via="web")
    route = request.scope.get("route")
    try:
        with db.session() as s:
            audit.record(s, actor, "business", "web.error", object=str(getattr(route, "path", request.url.path))[:300],
                         outcome="failure",
                         details={"correlation_id": cid, "method": request.method, "error": type(exc).__name__,
                                  "trace": "".join(traceback.format_exception(exc))[-4000:]})
    except Exception:  # noqa: BLE001 - logged; the audit trail being down is reported by the log
        log.exception("could not record web error %s in the audit trail", cid)


class SecurityMiddleware:
    """Correlation id, security headers on every response, the last-resort error handler, and the bounds of an
    upload: a multipart body is refused *before it is read* (FastAPI parses a form — spooling its files to disk —
    before any dependency runs) unless it declares a ``Content-Length`` within the upload limit (the server then
    reads no more than that) and comes with a session cookie or a bearer token (who it is, and whether they may
    upload, is checked afterwards as for every request)."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    @staticmethod
    def _multipart(scope: Scope) -> bool:
        return any(k == b"content-type" and v.lower().startswith(b"multipart/") for k, v in scope.get("headers", []))

    def _upload_refusal(self, scope: Scope) -> Response | None:
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        request = Request(scope)
        cookie = headers.get(b"cookie", b"").decode("latin-1")
        if SESSION_COOKIE + "=" not in cookie and b"authorization" not in headers:
            if str(scope.get("path", "")).startswith("/api/"):
                resp = error_response(request, 401, "error.unauthorized")
                resp.headers["WWW-Authenticate"] = "Bearer"
                return resp
            return RedirectResponse("/login", status_code=303)
        from aktuar.web.routers.work import FORM_OVERHEAD, upload_limit

        limit = upload_limit(request) + FORM_OVERHEAD
        raw = headers.get(b"content-length", b"").decode("latin-1")
        if not raw.isdigit():
            return error_response(request, 411, "error.refused",
                                  detail="an upload must declare its size (Content-Length)")
        if int(raw) > limit:
            return error_response(request, 413, "error.refused", detail="the file is larger than the upload limit "
                                                                        f"of {upload_limit(request) // (1 << 20)} MB")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = cid
        started = False
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
                headers["X-Correlation-ID"] = cid
                if not static:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
                elif "cache-control" not in headers:
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        if not static and scope.get("method") in ("POST", "PUT", "PATCH") and self._multipart(scope):
            refusal = self._upload_refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
                return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - the last resort: details to the log and audit, not the client
            request = Request(scope)
            log.error("internal error %s on %s %s\n%s", cid, scope.get("method"), scope.get("path"),
                      "".join(traceback.format_exception(exc)))
            if started:
                raise
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(_audit_internal_error, request, cid, exc)
            response = await run_in_threadpool(error_response, request, 500, "error.internal")
            await response(scope, receive, send_with_headers)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return error_response(request, 401, "error.unauthorized")
        target = "/login?next=" + _quote(safe_next(exc.next_path)) + ("&m=ended" if exc.ended else "")
        resp = RedirectResponse(target, status_code=303)
        if exc.ended:
            resp.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return resp

    @app.exception_handler(Unauthenticated)
    def _unauth(request: Request, exc: Unauthenticated) -> Response:
        resp = error_response(request, 401, "error.unauthorized")
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return error_response(request, 403, "error.csrf")

    @app.exception_handler(PermissionDenied)
    def _denied(request: Request, exc: PermissionDenied) -> Response:
        return error_response(request, 403, "error.forbidden")

    @app.exception_handler(accounts.SessionInvalid)
    def _session(request: Request, exc: accounts.SessionInvalid) -> Response:
        return error_response(request, 401, "error.unauthorized")

    @app.exception_handler(accounts.TokenInvalid)
    def _token(request: Request, exc: accounts.TokenInvalid) -> Response:
        return error_response(request, 401, "error.unauthorized")

    @app.exception_handler(DatabaseUnavailable)
    def _db(request: Request, exc: DatabaseUnavailable) -> Response:
        log.error("database unavailable %s: %s", _correlation_id(request), exc)
        return error_response(request, 503, "error.unavailable")

    @app.exception_handler(AktuarError)
    def _refused(request: Request, exc: AktuarError) -> Response:
        # InputError, WorkflowError, SeparationOfDuties, IntegrityFailure, ImmutableError: a reason for the user
        status = int(getattr(exc, "http_status", 400 if isinstance(exc, InputError) else 409))
        return error_response(request, status, "error.refused", detail=_clean(str(exc)))

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "form"))
                         for e in exc.errors()})
        lang = _lang(request)
        if _wants_json(request):
            return JSONResponse({"error": i18n.t(lang, "error.invalid"), "fields": fields,
                                 "correlation_id": _correlation_id(request)}, status_code=422)
        return error_response(request, 422, "error.invalid")

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        key = {401: "error.unauthorized", 403: "error.forbidden", 404: "error.not_found",
               405: "error.method"}.get(exc.status_code, "error.invalid")
        status = exc.status_code if 400 <= exc.status_code < 500 else 500
        resp = error_response(request, status, key)
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            resp.headers["Allow"] = exc.headers["Allow"]
        return resp


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The web application over the platform database of ``settings`` (default: the environment's)."""
    settings = settings or WebSettings.from_env()
    db = settings.database or Database(Settings.from_env())
    identity = settings.identity.checked() if settings.identity is not None else identity_from(db)
    app = FastAPI(title="aktuar", version=aktuar.__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="REST API of the aktuar valuation platform. Authenticate with an API token of an "
                              "approved technological account (Authorization: Bearer akt_…) or a browser "
                              "session (with X-CSRF-Token on state-changing requests).")
    app.state.settings = settings
    app.state.db = db
    app.state.identity = identity
    app.state.csrf_key = load_csrf_key(db.settings.data_dir)
    from aktuar.services.web_jobs import WebJobs

    app.state.jobs = WebJobs(db, settings.clock)  # in the database: every server process sees every job
    try:
        interrupted = app.state.jobs.sweep()  # jobs left running by a process that is gone
        if interrupted:
            log.warning("%d background job(s) left by a stopped server process marked interrupted", len(interrupted))
    except DatabaseUnavailable as exc:
        log.error("could not check the background jobs at start-up: %s", exc)
    app.state.jinja = Environment(loader=PackageLoader("aktuar.web", "templates"),
                                  autoescape=select_autoescape(default=True, default_for_string=True))
    _install_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    from aktuar.web.routers import admin, api, auth, isms, isms_registers, isms_reports, pages, work

    app.include_router(auth.router)
    app.include_router(work.router)  # before pages: /runs/compare is matched before /runs/{run_id}
    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(isms.router)
    app.include_router(isms_registers.router)
    app.include_router(isms_reports.router)
    app.include_router(api.router)
    if settings.enable_test_routes:
        from fastapi import Depends

        from aktuar.web.deps import page_who

        @app.get("/__test__/boom", include_in_schema=False, dependencies=[Depends(page_who)])
        def boom() -> None:
            raise RuntimeError("forced failure at /srv/secret/path.py: SELECT * FROM users WHERE password='x'")

    app.add_middleware(SecurityMiddleware, fastapi_app=app)
    return app


def app_from_environment() -> FastAPI:
    """The application over the database of the environment (``AKTUAR_DATABASE_URL`` / ``AKTUAR_DATA_DIR``), with
    production settings when ``AKTUAR_ENV=production``: the factory each worker process of
    ``aktuar serve --workers N`` calls."""
    from aktuar.web.settings import is_production

    return create_app(WebSettings(database=Database(Settings.from_env()), production=is_production()))
