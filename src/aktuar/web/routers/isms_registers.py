"""Pages of the remaining ISMS registers and of the actuary registry (issue 7).

- ``/isms/assets``: the information assets (KZ164-09, SECP-RISK) with a form to add or change one (prefilled with
  ``?edit=CODE``), retiring, and the import of the inventory from CSV/XLSX (``isms.import_assets``, all rows or
  none) with every row/column error listed. The upload is bounded (``limit_body`` before the body is parsed, again
  while copying), its name reduced to a safe base name and its content checked against its extension
  (``web_support.safe_filename`` / ``check_signature``); refusals are audited.
- ``/isms/software``: authorized software with versions (KZ164-35): authorize, withdraw with a reason.
- ``/isms/privileges``: users allowed to install software (KZ164-47…49) and the data-centre access list (KZ164-37):
  request, approval by the head of IT and agreement of information security (two different people, as the service
  enforces), monitoring notes, revocation; expired and soon-expiring entries flagged.
- ``/isms/updates``: updates (KZ164-32/33): record, test result, installation in production (the service's refusal
  of an untested update is shown on the page).
- ``/isms/actuaries``: the actuary registry (KZ191-LIC: license number, date, issuer; employment; affiliations, form
  1; activities, form 2), professional-development events and the qualification status of each actuary's reporting
  period (points against 1,200, confirmation due date; KZ191-QUAL), the independent-engagement check with the rule
  of every refusal and recording of an engagement (KZ191-IND).

Every read and change is the service's, which checks the permission and audits changes and refusals; the pages show
forms only to who may use them and every form posts the session's CSRF token.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from aktuar.errors import InputError
from aktuar.security import rbac
from aktuar.services import actuaries, isms, isms_reports, web_support
from aktuar.services.methodology import audit_refusal, guarded
from aktuar.web.deps import allowed, db_of, now_of, render
from aktuar.web.routers.isms import DateField, Id, PageWho, PostWho, _date, _done
from aktuar.web.routers.work import limit_body, upload_limit
from aktuar.web.security import Who

router = APIRouter(include_in_schema=False)
Done = Annotated[str, Query(max_length=20)]
OptDate = Annotated[str, Form(pattern=r"^(\d{4}-\d{2}-\d{2})?$", max_length=10)]
Text200 = Annotated[str, Form(max_length=200)]
ASSET_SUFFIXES = (".csv", ".xlsx")
EXPIRING_DAYS = 30
MAX_LIST_LINES = 100


def _opt_date(value: str, what: str) -> date | None:
    return _date(value, what) if value else None


# ---------------------------------------------------------------------------------------------- assets
@dataclass(frozen=True)
class Problem:
    """An import error as the page shows it: file, row (as a spreadsheet numbers it), column, message."""

    file: str
    row: int | None
    column: str | None
    message: str


def _assets_page(request: Request, who: Who, *, done: str = "", edit: str = "", retired: int = 0,
                 problems: list[Problem] | None = None, status_code: int = 200) -> Response:
    assert who.actor is not None
    db = db_of(request)
    rows = isms.list_assets(db, who.actor, include_retired=bool(retired))
    current = next((a for a in rows if a.code == edit), None) if edit else None
    return render(request, "isms_assets.html", who.lang, status_code=status_code, rows=rows, done=_done(done),
                  may_manage=allowed(who, "isms.manage"), kinds=isms.ASSET_KINDS, criticalities=isms.CRITICALITIES,
                  classes=isms.PROTECTED_CLASSES, dc_systems=isms_reports.DC_SYSTEMS, current=current,
                  retired=retired, problems=problems or [], columns=isms.ASSET_COLUMNS,
                  required_columns=isms.REQUIRED_ASSET_COLUMNS, limit_mb=upload_limit(request) // (1 << 20),
                  section="assets")


@router.get("/isms/assets")
def assets_page(request: Request, who: PageWho, done: Done = "",
                edit: Annotated[str, Query(max_length=64)] = "",
                retired: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
    return _assets_page(request, who, done=done, edit=edit, retired=retired)


@router.post("/isms/assets")
def save_asset(request: Request, who: PostWho, code: Annotated[str, Form(min_length=1, max_length=64)],
               name: Annotated[str, Form(min_length=1, max_length=300)], kind: Annotated[str, Form(max_length=40)],
               owner: Annotated[str, Form(min_length=1, max_length=200)],
               criticality: Annotated[str, Form(max_length=20)], classification: Annotated[str, Form(max_length=40)],
               location: Annotated[str, Form(max_length=300)] = "",
               configuration: Annotated[str, Form(max_length=20_000)] = "",
               interconnections: Annotated[str, Form(max_length=5000)] = "",
               third_parties: Annotated[str, Form(max_length=5000)] = "",
               business_functions: Annotated[str, Form(max_length=2000)] = "",
               rto_hours: Annotated[str, Form(max_length=20)] = "", rpo_hours: Annotated[str, Form(max_length=20)] = "",
               quantity: Annotated[str, Form(max_length=12)] = "1",
               security_function: Annotated[str, Form(max_length=5)] = "",
               safety_systems: Annotated[list[str] | None, Form(max_length=40)] = None) -> Response:
    """Add or change an asset; a data centre's technical safety systems (NB 164 paragraph 36) are the checked
    ``safety_systems`` boxes."""
    assert who.actor is not None
    systems = list(safety_systems or [])
    unknown = [s for s in systems if s not in isms_reports.DC_SYSTEMS]
    if unknown:
        raise InputError(f"unknown safety system {unknown[0][:40]}: choose from the list")
    details: dict[str, Any] = {}
    if allowed(who, "isms.manage"):  # a change keeps the details the form does not show
        old = next((a for a in isms.list_assets(db_of(request), who.actor, include_retired=True)
                    if a.code == code.strip()), None)
        details = {k: v for k, v in (old.details if old else {}).items() if k != "safety_systems"}
    if systems:
        details["safety_systems"] = sorted(set(systems))
    isms.save_asset(db_of(request), who.actor, code=code, name=name, kind=kind, owner=owner, criticality=criticality,
                    classification=classification, location=location, configuration=configuration,
                    interconnections=interconnections, third_parties=third_parties,
                    business_functions=business_functions, rto_hours=rto_hours, rpo_hours=rpo_hours,
                    quantity=quantity, security_function=bool(security_function), details=details,
                    now=now_of(request))
    return RedirectResponse("/isms/assets?done=asset_saved", status_code=303)


@router.post("/isms/assets/retire")
def retire_asset(request: Request, who: PostWho, code: Annotated[str, Form(min_length=1, max_length=64)]) -> Response:
    assert who.actor is not None
    isms.retire_asset(db_of(request), who.actor, code, now=now_of(request))
    return RedirectResponse("/isms/assets?done=asset_retired", status_code=303)


@router.post("/isms/assets/import", dependencies=[Depends(limit_body)])
def import_assets(request: Request, who: PostWho, file: Annotated[UploadFile, File()]) -> Response:
    """Import the inventory from an uploaded CSV/XLSX: permission first, then the name, size and content checks
    (each refusal audited), then ``isms.import_assets`` (all rows or none, every error with its row and column)."""
    assert who.actor is not None
    db, actor = db_of(request), who.actor
    shown = "".join(ch for ch in str(file.filename or "") if ch.isprintable())[:120]

    def precheck() -> str:
        rbac.require(actor, "isms.manage")
        base = shown.replace("\\", "/").rsplit("/", 1)[-1]
        if FsPath(base).suffix.lower() not in ASSET_SUFFIXES:
            raise InputError(f"import assets from a .csv or .xlsx file, not '{base[:60]}'", file=base[:60])
        return web_support.safe_filename(shown)

    try:
        name = guarded(db, actor, "isms.asset.import", f"file:{shown}", precheck, details={"web": True})
    except InputError as exc:
        return _assets_page(request, who, problems=[Problem(shown, exc.row, exc.column, exc.message)],
                            status_code=422)
    folder = FsPath(db.settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = tempfile.mkdtemp(prefix="assets-", dir=folder)
    try:
        path = FsPath(tmp) / name
        try:
            _copy_upload(file, path, upload_limit(request))
        except InputError as exc:
            audit_refusal(db, actor, "isms.asset.import", f"file:{name}", exc, {"web": True})
            return _assets_page(request, who, problems=[Problem(name, None, None, exc.message)], status_code=422)
        try:
            isms.import_assets(db, actor, path, now=now_of(request))  # audited, refusals too
        except isms.ImportFailed as exc:
            problems = [Problem(name, e.row, e.column, _strip(e.message, tmp)) for e in exc.errors]
            return _assets_page(request, who, problems=problems, status_code=422)
        except InputError as exc:
            return _assets_page(request, who, problems=[Problem(name, exc.row, exc.column, _strip(exc.message, tmp))],
                                status_code=422)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RedirectResponse("/isms/assets?done=assets_imported", status_code=303)


def _strip(message: str, tmp: str) -> str:
    return str(message).replace(tmp + "/", "").replace(tmp, "")[:500]


def _copy_upload(file: UploadFile, target: FsPath, limit: int) -> None:
    """Copy the upload (at most ``limit`` bytes), then check that its content is what its extension says."""
    head = web_support.receive(file.file, target, limit, empty="the file is empty: the first row names the columns")
    web_support.check_signature(head, target.name)


# -------------------------------------------------------------------------------------------- software
@router.get("/isms/software")
def software_page(request: Request, who: PageWho, done: Done = "") -> Response:
    assert who.actor is not None
    rows = isms.list_software(db_of(request), who.actor, include_withdrawn=True)
    return render(request, "isms_software.html", who.lang, authorized=[r for r in rows if r.status == "authorized"],
                  withdrawn=[r for r in rows if r.status != "authorized"], done=_done(done),
                  may_manage=allowed(who, "isms.it") or allowed(who, "isms.manage"), section="software")


@router.post("/isms/software")
def authorize_software(request: Request, who: PostWho, name: Annotated[str, Form(min_length=1, max_length=200)],
                       version: Annotated[str, Form(min_length=1, max_length=64)],
                       vendor: Text200 = "", purpose: Annotated[str, Form(max_length=2000)] = "",
                       security_function: Annotated[str, Form(max_length=5)] = "",
                       installations: Annotated[int, Form(ge=0, le=1_000_000)] = 1) -> Response:
    assert who.actor is not None
    isms.authorize_software(db_of(request), who.actor, name=name, version=version, vendor=vendor, purpose=purpose,
                            security_function=bool(security_function), installations=installations,
                            now=now_of(request))
    return RedirectResponse("/isms/software?done=software", status_code=303)


@router.post("/isms/software/{software_id}/withdraw")
def withdraw_software(request: Request, software_id: Id, who: PostWho,
                      reason: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    assert who.actor is not None
    isms.withdraw_software(db_of(request), who.actor, software_id, reason, now=now_of(request))
    return RedirectResponse("/isms/software?done=withdrawn", status_code=303)


# ------------------------------------------------------------------- installers and data-centre access
@router.get("/isms/privileges")
def privileges_page(request: Request, who: PageWho, done: Done = "") -> Response:
    assert who.actor is not None
    db, actor = db_of(request), who.actor
    today = now_of(request).date()
    lists = {k: isms.list_privileges(db, actor, k, today=today) for k in isms.PRIVILEGE_KINDS}
    me = actor.username
    as_it, as_is = actor.has("it_admin"), actor.has("is_officer")
    approvable = {v.id for vs in lists.values() for v in vs if v.status == "pending" and me not in
                  (v.approved_by_it, v.agreed_by_is) and ((as_it and v.approved_by_it is None)
                                                          or (as_is and v.agreed_by_is is None))}
    soon = today + timedelta(days=EXPIRING_DAYS)
    expiring = {v.id for vs in lists.values() for v in vs if v.status == "active" and v.valid_until is not None
                and v.valid_until <= soon}
    return render(request, "isms_privileges.html", who.lang, lists=lists, kinds=isms.PRIVILEGE_KINDS,
                  approvable=approvable, expiring=expiring, expiring_days=EXPIRING_DAYS, done=_done(done),
                  may_request=allowed(who, "isms.it") or allowed(who, "isms.manage"),
                  may_monitor=allowed(who, "isms.manage"), today=today, section="privileges")


@router.post("/isms/privileges")
def request_privilege(request: Request, who: PostWho, kind: Annotated[str, Form(pattern="^(installer|dc_access)$")],
                      person: Annotated[str, Form(min_length=1, max_length=200)],
                      scope: Annotated[str, Form(min_length=1, max_length=300)],
                      reason: Annotated[str, Form(min_length=1, max_length=2000)],
                      valid_until: OptDate = "") -> Response:
    assert who.actor is not None
    isms.request_privilege(db_of(request), who.actor, kind=kind, person=person, scope=scope, reason=reason,
                           valid_until=_opt_date(valid_until, "valid until"), now=now_of(request))
    return RedirectResponse(f"/isms/privileges?done=privilege_requested#{kind}", status_code=303)


@router.post("/isms/privileges/{privilege_id}/approve")
def approve_privilege(request: Request, privilege_id: Id, who: PostWho) -> Response:
    assert who.actor is not None
    v = isms.approve_privilege(db_of(request), who.actor, privilege_id, now=now_of(request))
    return RedirectResponse(f"/isms/privileges?done=privilege_approved#priv-{v.id}", status_code=303)


@router.post("/isms/privileges/{privilege_id}/monitor")
def monitor_privilege(request: Request, privilege_id: Id, who: PostWho,
                      note: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    assert who.actor is not None
    v = isms.monitor_privilege(db_of(request), who.actor, privilege_id, note, now=now_of(request))
    return RedirectResponse(f"/isms/privileges?done=privilege_monitored#priv-{v.id}", status_code=303)


@router.post("/isms/privileges/{privilege_id}/revoke")
def revoke_privilege(request: Request, privilege_id: Id, who: PostWho,
                     reason: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    assert who.actor is not None
    v = isms.revoke_privilege(db_of(request), who.actor, privilege_id, reason, now=now_of(request))
    return RedirectResponse(f"/isms/privileges?done=privilege_revoked#priv-{v.id}", status_code=303)


# ---------------------------------------------------------------------------------------------- updates
def _updates_page(request: Request, who: Who, *, done: str = "", refusal: str = "", refused_id: int = 0,
                  status_code: int = 200) -> Response:
    assert who.actor is not None
    rows = list(reversed(isms.list_updates(db_of(request), who.actor)))
    return render(request, "isms_updates.html", who.lang, status_code=status_code, rows=rows, done=_done(done),
                  may_it=allowed(who, "isms.it"), refusal=refusal, refused_id=refused_id, section="updates")


@router.get("/isms/updates")
def updates_page(request: Request, who: PageWho, done: Done = "") -> Response:
    return _updates_page(request, who, done=done)


@router.post("/isms/updates")
def record_update(request: Request, who: PostWho, system: Annotated[str, Form(min_length=1, max_length=100)],
                  name: Annotated[str, Form(min_length=1, max_length=200)],
                  description: Annotated[str, Form(max_length=5000)] = "") -> Response:
    assert who.actor is not None
    v = isms.record_update(db_of(request), who.actor, system=system, name=name, description=description,
                           now=now_of(request))
    return RedirectResponse(f"/isms/updates?done=update_recorded#update-{v.id}", status_code=303)


@router.post("/isms/updates/{update_id}/test")
def test_update(request: Request, update_id: Id, who: PostWho,
                result: Annotated[str, Form(pattern="^(passed|failed)$")],
                note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    assert who.actor is not None
    isms.record_update_test(db_of(request), who.actor, update_id, result, note, now=now_of(request))
    return RedirectResponse(f"/isms/updates?done=update_tested#update-{update_id}", status_code=303)


@router.post("/isms/updates/{update_id}/install")
def install_update(request: Request, update_id: Id, who: PostWho) -> Response:
    """Installation in production; the service refuses an update without a passed test (KZ164-33) — the page is
    shown again with that refusal (the refusal is audited by the service)."""
    assert who.actor is not None
    try:
        isms.install_update(db_of(request), who.actor, update_id, now=now_of(request))
    except InputError as exc:
        return _updates_page(request, who, refusal=exc.message, refused_id=update_id, status_code=409)
    return RedirectResponse(f"/isms/updates?done=update_installed#update-{update_id}", status_code=303)


# -------------------------------------------------------------------------------------------- actuaries
EMPLOYMENT = ("organization", "from", "to")
AFFILIATION = ("name", "kind", "grounds", "since", "organization")
ACTIVITY = ("year", "service", "organization", "basis", "subject")


def _lines(text: str, what: str, columns: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [" ".join(p.split()) for p in line.split("|")]
        if len(parts) > len(columns):
            raise InputError(f"{what}, line {n}: at most {len(columns)} fields separated by '|' "
                             f"({' | '.join(columns)})")
        if any(len(p) > 300 for p in parts):
            raise InputError(f"{what}, line {n}: a field has at most 300 characters")
        out.append((n, parts + [""] * (len(columns) - len(parts))))
    if len(out) > MAX_LIST_LINES:
        raise InputError(f"{what}: at most {MAX_LIST_LINES} lines")
    return out


def _line_date(value: str, what: str, n: int) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"{what}, line {n}: write the date as yyyy-mm-dd, not '{value[:20]}'") from None


def parse_employment(text: str) -> list[dict[str, Any]]:
    """``organization | from yyyy-mm-dd | to yyyy-mm-dd`` per line (dates optional; no end = still employed)."""
    out = []
    for n, (org, start, end) in _lines(text, "employment", EMPLOYMENT):
        if not org:
            raise InputError(f"employment, line {n}: name the organization")
        f, t = _line_date(start, "employment", n), _line_date(end, "employment", n)
        if f and t and t < f:
            raise InputError(f"employment, line {n}: the end {t} is before the start {f}")
        out.append({"organization": org, "from": f, "to": t})
    return out


def parse_affiliations(text: str) -> list[dict[str, Any]]:
    """Form 1: ``name | kind | grounds | since yyyy-mm-dd | organization`` per line."""
    out = []
    for n, (name, kind, grounds, since, org) in _lines(text, "affiliations", AFFILIATION):
        if not (name or org):
            raise InputError(f"affiliations, line {n}: name the affiliated person or organization")
        out.append({"name": name, "kind": kind, "grounds": grounds, "since": _line_date(since, "affiliations", n),
                    "organization": org})
    return out


def parse_activities(text: str) -> list[dict[str, Any]]:
    """Form 2: ``year | service | organization | basis | subject`` per line."""
    out = []
    for n, (year, service, org, basis, subject) in _lines(text, "activities", ACTIVITY):
        if not (year.isdigit() and 1990 <= int(year) <= 2100):
            raise InputError(f"activities, line {n}: the year is a year such as 2025, not '{year[:10]}'")
        if not service:
            raise InputError(f"activities, line {n}: describe the actuarial service")
        out.append({"year": int(year), "service": service, "organization": org, "basis": basis,
                    "subject": subject})
    return out


def _as_lines(items: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    return "\n".join(" | ".join("" if i.get(c) is None else str(i.get(c)) for c in columns) for i in items)


@dataclass(frozen=True)
class QualificationRow:
    actuary: actuaries.ActuaryView
    q: actuaries.Qualification | None
    note: str
    overdue: bool


@router.get("/isms/actuaries")
def actuaries_page(request: Request, who: PageWho, done: Done = "",
                   on: Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$", max_length=10)] = "",
                   edit: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
                   organization: Annotated[str, Query(max_length=300)] = "",
                   independent: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
                   inhouse: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
                   year: Annotated[int, Query(ge=0, le=2100)] = 0) -> Response:
    assert who.actor is not None
    db, actor = db_of(request), who.actor
    today = now_of(request).date()
    as_of = _date(on, "as of") if on else today
    people = actuaries.list_actuaries(db, actor)
    rows = []
    for a in people:
        try:
            q = actuaries.qualification(db, actor, a.id, as_of)
            rows.append(QualificationRow(a, q, "", not q.met and q.due < today))
        except InputError as exc:
            rows.append(QualificationRow(a, None, exc.message, False))
    check = None
    if organization and independent and inhouse and year:
        if year < 2000:
            raise InputError("the reporting year: 2000 to 2100")
        check = actuaries.check_engagement(db, actor, organization=organization, independent_id=independent,
                                           inhouse_id=inhouse, year=year)
    current = next((a for a in people if a.id == edit), None) if edit else None
    lines = {} if current is None else {
        "employment": _as_lines(current.employment, EMPLOYMENT),
        "affiliations": _as_lines(current.affiliations, AFFILIATION),
        "activities": _as_lines(current.activities, ACTIVITY)}
    return render(request, "isms_actuaries.html", who.lang, rows=rows, people=people, as_of=as_of, today=today,
                  current=current, lines=lines, check=check, done=_done(done),
                  query={"organization": organization, "independent": independent, "inhouse": inhouse,
                         "year": year or today.year - 1},
                  items=actuaries.PDP_ITEMS, iaa_items=actuaries.IAA_BONUS_ITEMS, iaa_bonus=actuaries.IAA_BONUS,
                  required=actuaries.REQUIRED_POINTS, may_manage=allowed(who, "actuary.manage"),
                  section="actuaries")


@router.post("/isms/actuaries")
def save_actuary(request: Request, who: PostWho, full_name: Annotated[str, Form(min_length=1, max_length=200)],
                 license_number: Annotated[str, Form(max_length=64)] = "", license_date: OptDate = "",
                 license_issuer: Text200 = "", employer: Text200 = "", position: Text200 = "",
                 is_independent: Annotated[str, Form(max_length=5)] = "", iaa_member_body: Text200 = "",
                 employment: Annotated[str, Form(max_length=20_000)] = "",
                 affiliations: Annotated[str, Form(max_length=20_000)] = "",
                 activities: Annotated[str, Form(max_length=20_000)] = "",
                 actuary_id: Annotated[int, Form(ge=0, le=2_147_483_647)] = 0) -> Response:
    """Add an actuary, or change one (``actuary_id``); the lists are one entry per line, fields separated by
    ``|``."""
    assert who.actor is not None

    def clean(v: str) -> str | None:
        return " ".join(v.split()) or None

    a = actuaries.save_actuary(
        db_of(request), who.actor, full_name=full_name, license_number=clean(license_number),
        license_date=_opt_date(license_date, "license date"), license_issuer=clean(license_issuer),
        employer=clean(employer), position=clean(position), is_independent=bool(is_independent),
        iaa_member_body=clean(iaa_member_body), employment=parse_employment(employment),
        affiliations=parse_affiliations(affiliations), activities=parse_activities(activities),
        actuary_id=actuary_id or None, now=now_of(request))
    return RedirectResponse(f"/isms/actuaries?done=actuary_saved#actuary-{a.id}", status_code=303)


@router.post("/isms/actuaries/pdp")
def record_pdp(request: Request, who: PostWho, actuary_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
               item: Annotated[int, Form(ge=1, le=15)],
               on_date: DateField, title: Annotated[str, Form(min_length=1, max_length=300)],
               organizer: Annotated[str, Form(max_length=300)] = "",
               organizer_iaa_member: Annotated[str, Form(max_length=5)] = "",
               document: Annotated[str, Form(max_length=300)] = "") -> Response:
    assert who.actor is not None
    actuaries.record_pdp_event(db_of(request), who.actor, actuary_id, item=item, on_date=_date(on_date, "event date"),
                               title=" ".join(title.split()), organizer=" ".join(organizer.split()),
                               organizer_iaa_member=bool(organizer_iaa_member),
                               document=" ".join(document.split()) or None, now=now_of(request))
    return RedirectResponse(f"/isms/actuaries?done=pdp#actuary-{actuary_id}", status_code=303)


@router.post("/isms/actuaries/engagements")
def record_engagement(request: Request, who: PostWho,
                      organization: Annotated[str, Form(min_length=1, max_length=300)],
                      independent_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
                      inhouse_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
                      year: Annotated[int, Form(ge=2000, le=2100)], ended_on: OptDate = "") -> Response:
    """Record an engagement; the service checks Appendix 5 again and refuses naming each rule."""
    assert who.actor is not None
    actuaries.record_engagement(db_of(request), who.actor, organization=" ".join(organization.split()),
                                independent_id=independent_id, inhouse_id=inhouse_id, year=year,
                                ended_on=_opt_date(ended_on, "end of the engagement"), now=now_of(request))
    return RedirectResponse("/isms/actuaries?done=engagement#engagement", status_code=303)
