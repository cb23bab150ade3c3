"""The regulators' security reports in the browser (issue 7): ``/isms/reports``.

- The information security officer (``isms.report``) chooses the report (the annual ISMS report to the ARDFM,
  KZ164-50…52, or the SECP assessment report, SECP-REP), the year and the organization, chooses a kept recipient
  certificate or uploads one (PEM/DER, RSA, valid; kept in the data directory for next time), previews the PDF
  (an unsigned draft) and builds the signed and encrypted package — synchronously, it takes a few seconds.
- The ISMS report is recorded as submitted at once; the SECP report waits for the CEO/COO (``management``,
  another person), who reads the prepared report's PDF and countersigns it here: the PDFs are rendered again with
  both signers and the package re-signed (``isms_reports.countersign_secp_report``).
- Submissions are listed with their hashes and signers; a package built here is downloaded by the submission's id
  (never by a path: the name comes from the register and the file must still have the recorded SHA-256).
- A package received back can be uploaded and verified (signature by this installation's key, envelope hash,
  and which submission it is).

Packages are kept in ``<data dir>/isms/reports/`` under names aktuar chooses. Every action is the service's, which
checks the permission and audits it; forms post the session's CSRF token; uploads are bounded before and while
they are read.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from aktuar.errors import InputError
from aktuar.security import rbac
from aktuar.services import isms_reports, web_support
from aktuar.services.isms_reports import KIND_ISMS, KIND_SECP
from aktuar.services.methodology import audit_refusal, guarded
from aktuar.web.deps import allowed, db_of, now_of, render
from aktuar.web.routers.isms import Id, PageWho, PostWho, _done
from aktuar.web.routers.work import limit_body, upload_limit
from aktuar.web.security import Who

router = APIRouter(include_in_schema=False)
Kind = Annotated[str, Form(pattern=f"^({KIND_ISMS}|{KIND_SECP})$")]
PackageName = Annotated[str, Path(pattern=isms_reports.PACKAGE_NAME.pattern, max_length=64)]
Lang = Annotated[str, Query(pattern="^(ru|en)$")]
PACKAGE_MEDIA = "application/octet-stream"


def _page(request: Request, who: Who, *, done: str = "", verified: isms_reports.UploadedCheck | None = None,
          status_code: int = 200) -> Response:
    assert who.actor is not None
    db, actor = db_of(request), who.actor
    now = now_of(request)
    subs = list(reversed(isms_reports.submissions(db, actor)))  # isms.read (PermissionDenied otherwise)
    return render(request, "isms_reports.html", who.lang, status_code=status_code, submissions=subs,
                  pending=isms_reports.pending_secp_reports(db, actor),
                  certificates=isms_reports.recipient_certificates(db, actor, now=now),
                  may_build=allowed(who, "isms.report"), may_countersign=allowed(who, "isms.report.countersign"),
                  default_year=now.year - 1, organization=request.app.state.identity.insurer_name,
                  kinds=(KIND_ISMS, KIND_SECP), verified=verified, done=_done(done),
                  limit_mb=upload_limit(request) // (1 << 20), section="reports")


@router.get("/isms/reports")
def reports_page(request: Request, who: PageWho, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    return _page(request, who, done=done)


def _read_small(file: UploadFile, limit: int) -> bytes:
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"a certificate file is at most {limit // 1024} KB: give the recipient's certificate alone")
    return bytes(data)


@router.post("/isms/reports/build", dependencies=[Depends(limit_body)])
def build_report(request: Request, who: PostWho, kind: Kind, year: Annotated[int, Form(ge=2000, le=2100)],
                 organization: Annotated[str, Form(min_length=1, max_length=300)],
                 recipient: Annotated[str, Form(pattern="^([0-9a-f]{64})?$", max_length=64)] = "",
                 certificate: Annotated[UploadFile | None, File()] = None) -> Response:
    """Build the ISMS report (recorded as submitted) or prepare the SECP report (awaits the CEO/COO). A
    certificate uploaded with the form is checked and kept, and used; otherwise the chosen kept one."""
    assert who.actor is not None
    db, actor, now = db_of(request), who.actor, now_of(request)
    guarded(db, actor, "isms.report.submit" if kind == KIND_ISMS else "secp.report.prepare", f"{kind}:{year}",
            lambda: rbac.require(actor, "isms.report"), details={"web": True})
    if certificate is not None and certificate.filename:
        data = _read_small(certificate, isms_reports.MAX_CERTIFICATE_BYTES)
        recipient = isms_reports.save_recipient_certificate(db, actor, data, now=now).fingerprint
    cert = isms_reports.recipient_certificate(db, recipient)
    out = isms_reports.new_package_path(db, kind, year, now)
    if kind == KIND_ISMS:
        isms_reports.build_isms_report(db, actor, year=year, organization=organization, recipient_cert=cert,
                                       out=out, now=now)
        return RedirectResponse("/isms/reports?done=built#submissions", status_code=303)
    isms_reports.prepare_secp_report(db, actor, year=year, organization=organization, recipient_cert=cert, out=out,
                                     now=now)
    return RedirectResponse("/isms/reports?done=prepared#pending", status_code=303)


def _pdf(pdf: bytes, filename: str) -> Response:
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/isms/reports/preview")
def preview(request: Request, who: PageWho, kind: Annotated[str, Query(pattern=f"^({KIND_ISMS}|{KIND_SECP})$")],
            year: Annotated[int, Query(ge=2000, le=2100)], organization: Annotated[str, Query(min_length=1,
                                                                                            max_length=300)],
            lang: Lang = "ru") -> Response:
    """The report as it would be built now, as an unsigned draft PDF (``isms.report``)."""
    assert who.actor is not None
    pdf = isms_reports.preview_pdf(db_of(request), who.actor, kind=kind, year=year, organization=organization,
                                   lang=lang, now=now_of(request))
    prefix = "isms" if kind == KIND_ISMS else "secp"
    return _pdf(pdf, f"{prefix}-{year}-draft-{lang}.pdf")


@router.get("/isms/reports/pending/{name}/preview")
def pending_preview(request: Request, name: PackageName, who: PageWho, lang: Lang = "ru") -> Response:
    """The prepared SECP report's PDF as the CISO signed it, for the CEO/COO to read before countersigning."""
    assert who.actor is not None
    pdf = isms_reports.pending_preview_pdf(db_of(request), who.actor, name, lang, now=now_of(request))
    return _pdf(pdf, f"{name.removesuffix('.akp')}-{lang}.pdf")


@router.post("/isms/reports/pending/{name}/countersign")
def countersign(request: Request, name: PackageName, who: PostWho,
                title: Annotated[str, Form(pattern="^(CEO|COO)$")]) -> Response:
    """The CEO/COO countersigns a prepared SECP report kept in the data directory (found by its name only)."""
    assert who.actor is not None
    db, actor = db_of(request), who.actor

    def precheck() -> FsPath:
        rbac.require(actor, "isms.report.countersign")
        return isms_reports.stored_package(db, name)

    package = guarded(db, actor, "secp.report.submit", name, precheck, details={"web": True})
    isms_reports.countersign_secp_report(db, actor, package, title=title, now=now_of(request))
    return RedirectResponse("/isms/reports?done=countersigned#submissions", status_code=303)


@router.get("/isms/reports/submissions/{submission_id}/package")
def download(request: Request, submission_id: Id, who: PageWho) -> Response:
    """A submitted package by the submission's id (``isms.read``; audited)."""
    assert who.actor is not None
    name, raw = isms_reports.submission_package(db_of(request), who.actor, submission_id, now=now_of(request))
    return Response(raw, media_type=PACKAGE_MEDIA, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/isms/reports/verify", dependencies=[Depends(limit_body)])
def verify(request: Request, who: PostWho, file: Annotated[UploadFile, File()]) -> Response:
    """Verify an uploaded package: permission first, then size and type (a ZIP), then the service's checks."""
    assert who.actor is not None
    db, actor = db_of(request), who.actor
    shown = "".join(ch for ch in str(file.filename or "") if ch.isprintable())[:120] or "package"
    guarded(db, actor, "isms.report.verify", shown, lambda: rbac.require(actor, "isms.read"), details={"web": True})
    folder = FsPath(db.settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = tempfile.mkdtemp(prefix="package-", dir=folder)
    try:
        target = FsPath(tmp) / "package.akp"
        try:
            _copy_package(file, target, upload_limit(request))
        except InputError as exc:
            audit_refusal(db, actor, "isms.report.verify", shown, exc, {"web": True})
            raise
        result = isms_reports.verify_uploaded_package(db, actor, target, filename=shown, now=now_of(request))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _page(request, who, verified=result)


def _copy_package(file: UploadFile, target: FsPath, limit: int) -> None:
    head = web_support.receive(file.file, target, limit, empty="the file is empty: upload the .akp package",
                               head_bytes=4)
    if not head.startswith(b"PK\x03\x04"):
        raise InputError("this is not a report package (.akp, a ZIP file)")
