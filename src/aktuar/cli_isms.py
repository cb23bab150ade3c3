"""``aktuar isms``, ``aktuar compliance``, ``aktuar report``, ``aktuar calendar``, ``aktuar actuary``.

Thin: parse, call :mod:`aktuar.services.isms`, ``compliance``, ``isms_reports``, ``calendar``, ``actuaries``,
print. Every command acts as the logged-in user and exits non-zero when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aktuar.cli_common import default_actor, fail
from aktuar.errors import AktuarError, InputError
from aktuar.security.context import Actor
from aktuar.store.db import Database, Settings

app = typer.Typer(help="Information-security registers (NB 164, SECP).", no_args_is_help=True, add_completion=False)
incident_app = typer.Typer(help="Incident register.", no_args_is_help=True)
asset_app = typer.Typer(help="Information assets.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")
app.add_typer(asset_app, name="asset")
compliance_app = typer.Typer(help="Compliance catalogs and the traceability matrix.", no_args_is_help=True)
report_app = typer.Typer(help="Regulators' security reports: build, countersign, verify.", no_args_is_help=True)
calendar_app = typer.Typer(help="Regulatory calendar.", no_args_is_help=True)
actuary_app = typer.Typer(help="Actuary registry (NB 191).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

ACTOR_PROVIDER: Callable[[Database], Actor] = default_actor


@contextmanager
def session_actor() -> Iterator[tuple[Database, Actor]]:
    from sqlalchemy.exc import SQLAlchemyError

    db: Database | None = None
    try:
        db = Database(Settings.from_env())
        actor = ACTOR_PROVIDER(db)
        yield db, actor
    except AktuarError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"the database refused the operation ({type(exc).__name__}); nothing was changed")
    finally:
        if db is not None:
            db.dispose()


def _date(v: str, option: str) -> date:
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise InputError(f"{option} {v!r}: write the date as yyyy-mm-dd") from None


def _dt(v: str | None, option: str) -> datetime:
    if v is None:
        return datetime.now(UTC)
    try:
        d = datetime.fromisoformat(v)
    except ValueError:
        raise InputError(f"{option} {v!r}: write it as yyyy-mm-ddThh:mm") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------- incidents
@incident_app.command("report")
def incident_report(
    title: Annotated[str, typer.Argument()],
    classification: Annotated[str, typer.Option(help="unauthorized_access, malware, data_leakage, ...")],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical")],
    detected_by: Annotated[str, typer.Option(help="person or monitoring system")],
    detected_at: Annotated[str | None, typer.Option(help="yyyy-mm-ddThh:mm (UTC); default now")] = None,
    description: Annotated[str, typer.Option()] = "",
    asset: Annotated[list[str] | None, typer.Option(help="affected asset code (repeat)")] = None,
    risk: Annotated[list[str] | None, typer.Option(help="risk reference (repeat)")] = None,
) -> None:
    """Register a detected incident."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.report_incident(db, actor, title, detected_at=_dt(detected_at, "--detected-at"),
                                 detected_by=detected_by, classification=classification, severity=severity,
                                 description=description, assets=asset or (), risks=risk or ())
        out.print(f"{v.ref} registered; notify: {', '.join(v.notifications_required)}")


@incident_app.command("timeline")
def incident_timeline(
    ref: str, kind: Annotated[str, typer.Option(help="measure, notified, contained or note")],
    text: Annotated[str, typer.Option()] = "", recipient: Annotated[str | None, typer.Option()] = None,
    channel: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add an urgent measure, a notification, containment or a note to the timeline."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.add_timeline(db, actor, ref, kind, text, recipient=recipient, channel=channel)
        out.print(f"{v.ref}: {kind} recorded; pending notifications: {', '.join(v.notifications_pending) or 'none'}")


@incident_app.command("evidence")
def incident_evidence(ref: str, file: Path, source: Annotated[str, typer.Option()] = "",
                      description: Annotated[str, typer.Option()] = "") -> None:
    """Store an evidence file (SHA-256 recorded, kept unaltered)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        e = isms.add_evidence(db, actor, ref, file, source=source, description=description)
        out.print(f"evidence {e.id} stored: {e.filename} sha256 {e.sha256}")


@incident_app.command("verify-evidence")
def incident_verify_evidence(ref: Annotated[str | None, typer.Argument()] = None) -> None:
    """Re-hash stored evidence files; exit 1 when one was changed or is missing."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        checks = isms.verify_evidence(db, actor, ref)
    bad = [c for c in checks if not c.ok]
    for c in bad:
        err.print(f"{c.incident} evidence {c.evidence_id} {c.filename}: {c.problem}", markup=False)
    out.print(f"{len(checks)} evidence file(s) checked, {len(bad)} changed or missing")
    if bad:
        raise typer.Exit(1)


@incident_app.command("analysis")
def incident_analysis(ref: str, causes: Annotated[str, typer.Option()], mechanism: Annotated[str, typer.Option()],
                      consequences: Annotated[str, typer.Option()]) -> None:
    """Record the analysis of causes, mechanism and consequences."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        isms.record_analysis(db, actor, ref, causes=causes, mechanism=mechanism, consequences=consequences)
        out.print(f"{ref}: analysis recorded")


@incident_app.command("conclusion")
def incident_conclusion(ref: str, conclusion: Annotated[str, typer.Option()],
                        action: Annotated[list[str], typer.Option(help="corrective action (repeat)")]) -> None:
    """Record the conclusion with corrective actions."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        isms.record_conclusion(db, actor, ref, conclusion, action)
        out.print(f"{ref}: conclusion with {len(action)} corrective action(s) recorded")


@incident_app.command("action")
def incident_action(ref: str, index: int, status: str, note: Annotated[str, typer.Option()] = "") -> None:
    """Follow up a corrective action (in_progress, done, dropped)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        isms.follow_up_action(db, actor, ref, index, status, note)
        out.print(f"{ref}: action {index} {status}")


@incident_app.command("close")
def incident_close(ref: str) -> None:
    """Close an analysed, concluded incident (kept at least 5 years)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.close_incident(db, actor, ref)
        out.print(f"{v.ref} closed; kept until {v.retain_until}")


@incident_app.command("list")
def incident_list(year: Annotated[int | None, typer.Option()] = None) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_incidents(db, actor, year=year)
    t = Table(title="Incidents")
    for c in ("ref", "detected", "severity", "class", "status", "title"):
        t.add_column(c)
    for v in rows:
        t.add_row(v.ref, f"{v.detected_at:%d.%m.%Y %H:%M}", v.severity, v.classification, v.status, v.title)
    out.print(t)


@incident_app.command("show")
def incident_show(ref: str) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.get_incident(db, actor, ref)
    out.print(f"[bold]{v.ref}[/] {v.title} — {v.severity}, {v.classification}, {v.status}")
    for e in v.timeline:
        out.print(f"  {e.at:%d.%m.%Y %H:%M} {e.kind:<10} {e.actor:<16} {e.text}", markup=False)
    for ev in v.evidence:
        out.print(f"  evidence {ev.id}: {ev.filename} {ev.sha256}", markup=False)


@app.command("retention")
def isms_retention(key: str, years: int) -> None:
    """Set isms.incident_retention_years (≥ 5) or isms.security_test_retention_years (≥ 3)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        out.print(f"{key} = {isms.set_retention(db, actor, key, years)}")


# ------------------------------------------------------------------------------------------------ assets
@asset_app.command("import")
def asset_import(file: Path) -> None:
    """Import assets from CSV/XLSX (all rows or none; every row/column error listed)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.import_assets(db, actor, file)
        out.print(f"{len(rows)} asset(s) imported from {file.name}")


@asset_app.command("list")
def asset_list() -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_assets(db, actor)
    t = Table(title="Information assets")
    for c in ("code", "name", "kind", "owner", "criticality", "class", "RTO h", "RPO h"):
        t.add_column(c)
    for a in rows:
        t.add_row(a.code, a.name, a.kind, a.owner, a.criticality, a.classification,
                  "" if a.rto_hours is None else f"{a.rto_hours:g}", "" if a.rpo_hours is None else f"{a.rpo_hours:g}")
    out.print(t)


@app.command("access")
def isms_access() -> None:
    """The access-rights register (aktuar's own accounts included automatically)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.access_register(db, actor)
    t = Table(title="Access rights")
    for c in ("system", "subject", "kind", "rights", "status", "responsible", "source"):
        t.add_column(c)
    for e in rows:
        t.add_row(e.system, e.subject, e.subject_kind, e.rights, e.status, e.responsible or "", e.source)
    out.print(t)


@app.command("release-check")
def isms_release_check(system: str, release: str) -> None:
    """Exit 1 when the release has no security test or an open critical finding (KZ164-58/59)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        r = isms.release_check(db, actor, system, release)
    if r.flagged:
        for why in r.reasons:
            err.print(f"flagged: {why}", markup=False)
        raise typer.Exit(1)
    out.print(f"{system} {release}: {r.tests} security test(s), no open critical finding")


@app.command("documents")
def isms_documents() -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_documents(db, actor)
    t = Table(title="Internal documents")
    for c in ("code", "title", "approved by", "approved", "version", "next revision", ""):
        t.add_column(c)
    for d in rows:
        t.add_row(d.code, d.title, d.approval_body, f"{d.approved_on:%d.%m.%Y}", d.version,
                  f"{d.next_revision:%d.%m.%Y}", "OVERDUE" if d.overdue else "")
    out.print(t)


# ---------------------------------------------------------------------------------------------- compliance
@compliance_app.command("matrix")
def compliance_matrix(
    out_path: Annotated[Path | None, typer.Option("--out", help="FILE.md or FILE.xlsx")] = None,
    tests: Annotated[Path | None, typer.Option(help="tests folder (default ./tests)")] = None,
) -> None:
    """Every requirement ID with the tests that prove it, the feature and the status."""
    from aktuar.services import compliance

    try:
        rows = compliance.matrix(tests)
        if out_path is not None:
            compliance.write_matrix(rows, out_path)
            err.print(f"wrote {out_path}")
            return
    except InputError as exc:
        fail(str(exc))
    t = Table(title="Compliance matrix")
    for c in ("ID", "feature", "tests", "status"):
        t.add_column(c)
    for r in rows:
        t.add_row(r.id, r.feature, str(len(r.tests)), r.status)
    out.print(t)


@compliance_app.command("catalog")
def compliance_catalog(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The NB 164 and SECP controls with status, evidence counts from the registers, gaps and NIST CSF 2.0."""
    from aktuar.services import compliance

    with session_actor() as (db, actor):
        cs = compliance.controls(db, actor)
    if as_json:
        out.print_json(json.dumps([{"id": c.id, "title": c.title, "status": c.status, "owner": c.owner,
                                    "evidence": c.evidence_counts, "gaps": list(c.gaps) + list(c.live_gaps),
                                    "nist": [n.id for n in c.nist]} for c in cs], ensure_ascii=False))
        return
    t = Table(title="Controls")
    for c in ("control", "status", "owner", "NIST CSF 2.0", "gaps"):
        t.add_column(c)
    for ctl in cs:
        t.add_row(ctl.id, ctl.status, ctl.owner, " ".join(n.id for n in ctl.nist),
                  "; ".join((*ctl.gaps, *ctl.live_gaps)))
    out.print(t)


# --------------------------------------------------------------------------------------------------- reports
@report_app.command("isms")
def report_isms(year: int, organization: Annotated[str, typer.Option()],
                recipient_cert: Annotated[Path, typer.Option(help="the ARDFM's X.509 certificate (PEM/DER)")],
                out_path: Annotated[Path, typer.Option("--out")]) -> None:
    """Build, sign, encrypt and record the annual ISMS report (due 10 January)."""
    from aktuar.services import isms_reports

    with session_actor() as (db, actor):
        r = isms_reports.build_isms_report(db, actor, year=year, organization=organization,
                                           recipient_cert=recipient_cert, out=out_path)
        out.print(f"wrote {r.path} sha256 {r.package_sha256} (submission {r.submission_id})")


@report_app.command("secp")
def report_secp(year: int, organization: Annotated[str, typer.Option()],
                recipient_cert: Annotated[Path, typer.Option()], out_path: Annotated[Path, typer.Option("--out")]
                ) -> None:
    """The CISO prepares and signs the SECP assessment report (then 'aktuar report countersign')."""
    from aktuar.services import isms_reports

    with session_actor() as (db, actor):
        r = isms_reports.prepare_secp_report(db, actor, year=year, organization=organization,
                                             recipient_cert=recipient_cert, out=out_path)
        out.print(f"wrote {r.path}: awaiting the CEO/COO signature")


@report_app.command("countersign")
def report_countersign(package: Path, title: Annotated[str, typer.Option(help="CEO or COO")] = "CEO") -> None:
    """The CEO/COO countersigns a SECP report package; the submission is recorded."""
    from aktuar.services import isms_reports

    with session_actor() as (db, actor):
        r = isms_reports.countersign_secp_report(db, actor, package, title=title)
        out.print(f"signed by {', '.join(s['role'] + ' ' + s['name'] for s in r.manifest['signers'])}")


@report_app.command("verify")
def report_verify(
    package: Path,
    public_key: Annotated[Path | None, typer.Option(help="sender's Ed25519 public key (PEM)")] = None,
    key: Annotated[Path | None, typer.Option(help="recipient's private key: decrypt and check the content")] = None,
    cert: Annotated[Path | None, typer.Option(help="recipient's certificate (with --key)")] = None,
) -> None:
    """Verify a package's signature and hashes; exit 1 on any change."""
    from aktuar.services import isms_reports

    data_dir = Settings.from_env().data_dir
    r = isms_reports.verify_package(package, data_dir=data_dir, public_key=public_key, recipient_key=key,
                                    recipient_cert=cert)
    if not r.ok:
        for p in r.problems:
            err.print(f"FAILED: {p}", markup=False)
        raise typer.Exit(1)
    m = r.manifest
    out.print(f"OK: {m.get('kind')} {m.get('year')} of {m.get('organization')}, signed by "
              f"{', '.join(s['role'] + ' ' + s['name'] for s in m.get('signers', []))}"
              + ("; content decrypted and checked" if r.decrypted else ""))


# -------------------------------------------------------------------------------------------------- calendar
@calendar_app.command("list")
def calendar_list(year: int, ics: Annotated[Path | None, typer.Option(help="write an iCalendar file")] = None
                  ) -> None:
    """Every regulatory deadline of the year with owner and status."""
    from aktuar.services import calendar

    today = datetime.now(UTC).date()
    with session_actor() as (db, actor):
        ds = calendar.deadlines(db, actor, year)
    if ics is not None:
        ics.write_text(calendar.to_ical(ds), encoding="utf-8", newline="")
        err.print(f"wrote {ics}")
    t = Table(title=f"Regulatory calendar {year}")
    for c in ("due", "deadline", "source", "owner", "status"):
        t.add_column(c)
    for d in ds:
        t.add_row(f"{d.due:%d.%m.%Y}", d.title, d.source, d.owner, "OVERDUE" if d.overdue(today) else d.status)
    out.print(t)


@calendar_app.command("status")
def calendar_status(key: str, status: str, owner: Annotated[str | None, typer.Option()] = None,
                    note: Annotated[str, typer.Option()] = "") -> None:
    from aktuar.services import calendar

    with session_actor() as (db, actor):
        calendar.set_status(db, actor, key, status, owner=owner, note=note)
        out.print(f"{key}: {status}")


# --------------------------------------------------------------------------------------------------- actuaries
@actuary_app.command("list")
def actuary_list() -> None:
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        rows = actuaries.list_actuaries(db, actor)
    t = Table(title="Actuaries")
    for c in ("id", "name", "license", "date", "issuer", "employer", "independent"):
        t.add_column(c)
    for a in rows:
        t.add_row(str(a.id), a.full_name, a.license_number or "", str(a.license_date or ""), a.license_issuer or "",
                  a.employer or "", "yes" if a.is_independent else "")
    out.print(t)


@actuary_app.command("points")
def actuary_points(actuary_id: int, on: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None) -> None:
    """Professional-development points of the reporting period (1,200 required)."""
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        q = actuaries.qualification(db, actor, actuary_id, _date(on, "--on") if on else datetime.now(UTC).date())
    out.print(f"{q.full_name}: {q.points} of {q.required} points in {q.period_start:%d.%m.%Y}–{q.period_end:%d.%m.%Y}"
              f" ({'met' if q.met else f'{q.shortfall} short'}); confirm by {q.due:%d.%m.%Y}")


@actuary_app.command("check-engagement")
def actuary_check(organization: str, independent_id: int, inhouse_id: int, year: int) -> None:
    """May the independent actuary verify the in-house actuary? Exit 1 naming each rule that forbids it."""
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        r = actuaries.check_engagement(db, actor, organization=organization, independent_id=independent_id,
                                       inhouse_id=inhouse_id, year=year)
    if not r.allowed:
        for rule, why in r.refusals:
            err.print(f"prohibited ({rule}): {why}", markup=False)
        raise typer.Exit(1)
    out.print("allowed")


# ------------------------------------------------------------------------- software, privileges, updates
software_app = typer.Typer(help="Authorized software (KZ164-35).", no_args_is_help=True)
privilege_app = typer.Typer(help="Installers (KZ164-47…49) and data-center access (KZ164-37).", no_args_is_help=True)
update_app = typer.Typer(help="Updates: tried in test, then installed in production (KZ164-32/33).",
                         no_args_is_help=True)
document_app = typer.Typer(help="Internal IS documents (KZ164-08, -11).", no_args_is_help=True)
review_app = typer.Typer(help="Access review campaigns (SECP-RISK, KZ164-22).", no_args_is_help=True)
app.add_typer(software_app, name="software")
app.add_typer(privilege_app, name="privilege")
app.add_typer(update_app, name="update")
app.add_typer(document_app, name="document")
app.add_typer(review_app, name="review")


@software_app.command("add")
def software_add(name: str, version: str, vendor: Annotated[str, typer.Option()] = "",
                 purpose: Annotated[str, typer.Option()] = "",
                 security: Annotated[bool, typer.Option("--security", help="a security tool (report item 2)")] = False,
                 installations: Annotated[int, typer.Option(min=0)] = 1) -> None:
    """Add software to the authorized list (IT or IS)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.authorize_software(db, actor, name=name, version=version, vendor=vendor, purpose=purpose,
                                    security_function=security, installations=installations)
        out.print(f"software {v.id}: {v.name} {v.version} authorized", markup=False)


@software_app.command("withdraw")
def software_withdraw(software_id: int, reason: Annotated[str, typer.Option()]) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.withdraw_software(db, actor, software_id, reason)
        out.print(f"software {v.id}: {v.name} {v.version} withdrawn", markup=False)


@software_app.command("list")
def software_list(all_: Annotated[bool, typer.Option("--all", help="include withdrawn")] = False) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_software(db, actor, include_withdrawn=all_)
    t = Table(title="Authorized software")
    for c in ("id", "name", "version", "vendor", "security", "installations", "status", "approved by"):
        t.add_column(c)
    for r in rows:
        t.add_row(str(r.id), r.name, r.version, r.vendor, "yes" if r.security_function else "", str(r.installations),
                  r.status, r.approved_by)
    out.print(t)


@privilege_app.command("request")
def privilege_request(kind: Annotated[str, typer.Option(help="installer or dc_access")],
                      person: Annotated[str, typer.Option()], scope: Annotated[str, typer.Option()],
                      reason: Annotated[str, typer.Option()],
                      valid_until: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None) -> None:
    """Propose a person for the installers list or the data-center access list."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.request_privilege(db, actor, kind=kind, person=person, scope=scope, reason=reason,
                                   valid_until=_date(valid_until, "--valid-until") if valid_until else None)
        out.print(f"entry {v.id} ({v.kind}) for {v.person}: pending approval by IT and IS", markup=False)


@privilege_app.command("approve")
def privilege_approve(privilege_id: int) -> None:
    """Approve as head of IT, or agree as information security (two different people)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.approve_privilege(db, actor, privilege_id)
        out.print(f"entry {v.id}: {v.status} (IT {v.approved_by_it or '-'}, IS {v.agreed_by_is or '-'})",
                  markup=False)


@privilege_app.command("monitor")
def privilege_monitor(privilege_id: int, note: Annotated[str, typer.Option()]) -> None:
    """Record information security's monitoring of an installer (KZ164-49)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        isms.monitor_privilege(db, actor, privilege_id, note)
        out.print(f"entry {privilege_id}: monitoring recorded")


@privilege_app.command("revoke")
def privilege_revoke(privilege_id: int, reason: Annotated[str, typer.Option()]) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        isms.revoke_privilege(db, actor, privilege_id, reason)
        out.print(f"entry {privilege_id}: revoked")


@privilege_app.command("list")
def privilege_list(kind: str) -> None:
    """The installers list (installer) or the data-center access list (dc_access)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_privileges(db, actor, kind)
    t = Table(title=isms.PRIVILEGE_KINDS.get(kind, kind))
    for c in ("id", "person", "scope", "IT", "IS", "valid until", "status", "last monitored"):
        t.add_column(c)
    for r in rows:
        t.add_row(str(r.id), r.person, r.scope, r.approved_by_it or "", r.agreed_by_is or "",
                  str(r.valid_until or ""), r.status, f"{r.last_monitored_at:%d.%m.%Y}" if r.last_monitored_at else "")
    out.print(t)


@update_app.command("record")
def update_record(system: Annotated[str, typer.Option()], name: Annotated[str, typer.Option()],
                  description: Annotated[str, typer.Option()] = "") -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.record_update(db, actor, system=system, name=name, description=description)
        out.print(f"update {v.id}: {v.system} {v.name} recorded; try it in the test environment next", markup=False)


@update_app.command("test")
def update_test(update_id: int, result: str, note: Annotated[str, typer.Option()] = "") -> None:
    """Record the test in the test environment: passed or failed."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.record_update_test(db, actor, update_id, result, note)
        out.print(f"update {v.id}: test {v.test_result}")


@update_app.command("install")
def update_install(update_id: int) -> None:
    """Record the installation in production (refused unless the test passed)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        v = isms.install_update(db, actor, update_id)
        out.print(f"update {v.id}: installed in production")


@update_app.command("list")
def update_list() -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_updates(db, actor)
    t = Table(title="Updates")
    for c in ("id", "system", "update", "status", "test", "installed"):
        t.add_column(c)
    for r in rows:
        t.add_row(str(r.id), r.system, r.name, r.status, r.test_result or "",
                  f"{r.installed_at:%d.%m.%Y}" if r.installed_at else "")
    out.print(t)


@document_app.command("register")
def document_register(code: str, title: Annotated[str, typer.Option()], kind: Annotated[str, typer.Option()],
                      approval_body: Annotated[str, typer.Option(help="management_body, executive_body, ...")],
                      approved_on: Annotated[str, typer.Option(help="yyyy-mm-dd")],
                      version: Annotated[str, typer.Option()],
                      revision_months: Annotated[int, typer.Option()],
                      owner: Annotated[str, typer.Option()],
                      file: Annotated[Path | None, typer.Option(help="the document (its SHA-256 is recorded)")] = None
                      ) -> None:
    """Register an internal document or a new revision of it."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        d = isms.register_document(db, actor, code=code, title=title, kind=kind, approval_body=approval_body,
                                   approved_on=_date(approved_on, "--approved-on"), version=version,
                                   revision_months=revision_months, owner=owner, file=file)
        out.print(f"{d.code} v{d.version} registered; next revision {d.next_revision:%d.%m.%Y}", markup=False)


@app.command("grant-access")
def isms_grant_access(system: Annotated[str, typer.Option()], subject: Annotated[str, typer.Option()],
                      rights: Annotated[str, typer.Option()], justification: Annotated[str, typer.Option()],
                      kind: Annotated[str, typer.Option(help="individual or system")] = "individual",
                      responsible: Annotated[str | None, typer.Option(help="for a system account")] = None) -> None:
    """Record an access right to another information system."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        e = isms.grant_access(db, actor, system=system, subject=subject, subject_kind=kind, rights=rights,
                              justification=justification, responsible=responsible)
        out.print(f"access right {e.id}: {e.subject} on {e.system} ({e.rights})", markup=False)


@app.command("revoke-access")
def isms_revoke_access(right_id: int, reason: Annotated[str, typer.Option()]) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        isms.revoke_access(db, actor, right_id, reason)
        out.print(f"access right {right_id} revoked")


@review_app.command("start")
def review_start(name: str, due: Annotated[str, typer.Option(help="yyyy-mm-dd")]) -> None:
    """Start a review campaign over the whole access register."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        r = isms.start_review(db, actor, name, _date(due, "--due"))
        out.print(f"review {r.id}: {len(r.items)} item(s) to decide by {r.due:%d.%m.%Y}")


@review_app.command("decide")
def review_decide(item_id: int, decision: str, comment: Annotated[str, typer.Option()] = "") -> None:
    """Decide a review item: keep, revoke or change (a reason for revoke/change)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        r = isms.decide_review_item(db, actor, item_id, decision, comment)
        out.print(f"review {r.id}: item {item_id} {decision}; {r.outcome['pending']} still pending")


@review_app.command("close")
def review_close(review_id: int) -> None:
    from aktuar.services import isms

    with session_actor() as (db, actor):
        r = isms.close_review(db, actor, review_id)
        out.print(f"review {r.id} closed: " + ", ".join(f"{k} {v}" for k, v in r.outcome.items() if v))


@review_app.command("show")
def review_show(review_id: Annotated[int | None, typer.Argument()] = None) -> None:
    """The review campaigns (or one with its items)."""
    from aktuar.services import isms

    with session_actor() as (db, actor):
        rows = isms.list_reviews(db, actor)
    if review_id is not None:
        rows = [r for r in rows if r.id == review_id]
        if not rows:
            fail(f"no review {review_id}")
    for r in rows:
        out.print(f"review {r.id} '{r.name}' {r.status}, due {r.due:%d.%m.%Y}", markup=False)
        if review_id is not None:
            for i in r.items:
                out.print(f"  item {i.id}: {i.system} {i.subject} [{i.rights}] {i.decision} {i.comment or ''}",
                          markup=False)


# ------------------------------------------------------------------------------------------ actuary edits
def _json_list(value: str | None, option: str) -> list[dict[str, object]] | None:
    if value is None:
        return None
    try:
        v = json.loads(value)
    except ValueError:
        raise InputError(f"{option}: give a JSON list of objects") from None
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise InputError(f"{option}: give a JSON list of objects")
    return v


@actuary_app.command("add")
def actuary_add(
    full_name: str,
    license_number: Annotated[str | None, typer.Option()] = None,
    license_date: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    license_issuer: Annotated[str | None, typer.Option()] = None,
    employer: Annotated[str | None, typer.Option()] = None, position: Annotated[str | None, typer.Option()] = None,
    independent: Annotated[bool, typer.Option("--independent")] = False,
    iaa_member_body: Annotated[str | None, typer.Option()] = None,
    employment: Annotated[str | None, typer.Option(help='JSON: [{"organization":…,"from":…,"to":…}]')] = None,
    affiliations: Annotated[str | None, typer.Option(help="JSON list (form 1)")] = None,
    activities: Annotated[str | None, typer.Option(help="JSON list (form 2)")] = None,
) -> None:
    """Add an actuary to the registry (chief actuary)."""
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        a = actuaries.save_actuary(
            db, actor, full_name=full_name, license_number=license_number,
            license_date=_date(license_date, "--license-date") if license_date else None,
            license_issuer=license_issuer, employer=employer, position=position, is_independent=independent,
            iaa_member_body=iaa_member_body, employment=_json_list(employment, "--employment") or [],
            affiliations=_json_list(affiliations, "--affiliations") or [],
            activities=_json_list(activities, "--activities") or [])
        out.print(f"actuary {a.id}: {a.full_name}", markup=False)


@actuary_app.command("edit")
def actuary_edit(
    actuary_id: int,
    full_name: Annotated[str | None, typer.Option()] = None,
    license_number: Annotated[str | None, typer.Option()] = None,
    license_date: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    license_issuer: Annotated[str | None, typer.Option()] = None,
    employer: Annotated[str | None, typer.Option()] = None, position: Annotated[str | None, typer.Option()] = None,
    independent: Annotated[bool | None, typer.Option("--independent/--not-independent")] = None,
    iaa_member_body: Annotated[str | None, typer.Option()] = None,
    employment: Annotated[str | None, typer.Option(help="JSON list, replaces the employment")] = None,
    affiliations: Annotated[str | None, typer.Option(help="JSON list, replaces form 1")] = None,
    activities: Annotated[str | None, typer.Option(help="JSON list, replaces form 2")] = None,
) -> None:
    """Change an actuary: the options given replace those fields, the rest is kept."""
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        cur = next((a for a in actuaries.list_actuaries(db, actor) if a.id == actuary_id), None)
        if cur is None:
            raise InputError(f"no actuary {actuary_id}: list them with 'aktuar actuary list'")
        a = actuaries.save_actuary(
            db, actor, actuary_id=actuary_id, full_name=full_name or cur.full_name,
            license_number=license_number if license_number is not None else cur.license_number,
            license_date=_date(license_date, "--license-date") if license_date else cur.license_date,
            license_issuer=license_issuer if license_issuer is not None else cur.license_issuer,
            employer=employer if employer is not None else cur.employer,
            position=position if position is not None else cur.position,
            is_independent=cur.is_independent if independent is None else independent,
            iaa_member_body=iaa_member_body if iaa_member_body is not None else cur.iaa_member_body,
            employment=_json_list(employment, "--employment") or cur.employment,
            affiliations=_json_list(affiliations, "--affiliations") or cur.affiliations,
            activities=_json_list(activities, "--activities") or cur.activities)
        out.print(f"actuary {a.id}: {a.full_name} updated", markup=False)


@actuary_app.command("pdp")
def actuary_pdp(actuary_id: int, item: Annotated[int, typer.Option(help="1-15 (App. 1 to App. 4)")],
                on: Annotated[str, typer.Option(help="yyyy-mm-dd")], title: Annotated[str, typer.Option()],
                organizer: Annotated[str, typer.Option()] = "",
                iaa: Annotated[bool, typer.Option("--iaa", help="organizer is an IAA member")] = False,
                document: Annotated[str | None, typer.Option()] = None) -> None:
    """Record a professional-development event and its points."""
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        e = actuaries.record_pdp_event(db, actor, actuary_id, item=item, on_date=_date(on, "--on"), title=title,
                                       organizer=organizer, organizer_iaa_member=iaa, document=document)
        out.print(f"event {e.id}: item {e.item}, {e.points} points")


@actuary_app.command("engage")
def actuary_engage(organization: str, independent_id: int, inhouse_id: int, year: int) -> None:
    """Record an independent actuary's engagement (refused, naming the rule, when prohibited)."""
    from aktuar.services import actuaries

    with session_actor() as (db, actor):
        actuaries.record_engagement(db, actor, organization=organization, independent_id=independent_id,
                                    inhouse_id=inhouse_id, year=year)
        out.print(f"engagement recorded: actuary {independent_id} verifies {inhouse_id} at {organization} for {year}",
                  markup=False)


@calendar_app.command("remind")
def calendar_remind(to: Annotated[list[str], typer.Option(help="e-mail address (repeat)")],
                    days: Annotated[int, typer.Option(min=0, max=366)] = 30) -> None:
    """E-mail the open deadlines due within DAYS (and overdue ones) via AKTUAR_SMTP_HOST."""
    import smtplib

    from aktuar.services import calendar

    with session_actor() as (db, actor):
        try:
            n = calendar.send_reminders(db, actor, datetime.now(UTC).date(), to, days)
        except (OSError, smtplib.SMTPException) as exc:
            raise InputError(f"the mail server refused or could not be reached ({type(exc).__name__}): check "
                             "AKTUAR_SMTP_HOST and AKTUAR_SMTP_PORT") from None
        out.print(f"{n} reminder(s) sent" if n else "nothing is due")
