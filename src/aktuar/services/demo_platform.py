"""The governed part of ``aktuar demo``: demo users with two-factor login, a coordinated methodology, a valuation
run taken through prepared → reviewed → approved by three different people, the information-security registers
of the demo insurer with the regulators' security reports (``aktuar.demo.isms_demo``), and the audit trail
verified.

Everything goes through the same services as production (accounts, methodology, valuation, audit): the demo
logs each user in with a password and a one-time code, so the actors are real sessions, not constructed ones.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aktuar.demo.isms_demo import IsmsDemo, run_isms_demo
from aktuar.security import audit, mfa
from aktuar.security.context import Actor
from aktuar.services import accounts, methodology, valuation
from aktuar.services.system import upgrade
from aktuar.store.db import Database, Settings

Progress = Callable[[str, int, int], None]

DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("daniyar.actuary", "Данияр Сериков", ("actuary",)),
    ("saule.actuary", "Сауле Ахметова", ("actuary",)),
    ("yerlan.chief", "Ерлан Жумабаев", ("chief_actuary",)),
    ("gulnara.audit", "Гульнара Искакова", ("internal_auditor",)),
    ("timur.it", "Тимур Абенов", ("it_admin",)),
    ("asel.ceo", "Асель Каримова", ("management",)),
)
OFFICER = ("aigerim.security", "Айгерим Нурланова")


@dataclass(frozen=True)
class GovernedDemo:
    data_dir: Path
    run_id: int
    status: str
    prepared_by: str
    reviewed_by: str
    approved_by: str
    results_sha256: str
    reproduced: bool
    audit_records: int
    audit_ok: bool
    credentials_file: Path
    isms: IsmsDemo | None = None
    ifrs17_run_id: int | None = None  # the IFRS 17 close as a governed run (when the demo wrote its folder)
    ifrs17_status: str = ""
    ifrs17_results_sha256: str = ""
    ifrs17_reproduced: bool = False
    documents: dict[str, Path] = field(default_factory=dict)  # label → PDF report of an approved run (ru, en)
    statutory_run_id: int | None = None  # the statutory close as a governed run (when the demo wrote its folder)
    statutory_status: str = ""
    statutory_results_sha256: str = ""
    statutory_reproduced: bool = False


def _enroll_and_login(db: Database, username: str, password: str, now: datetime) -> tuple[Actor, datetime]:
    enrol = accounts.begin_mfa_enrollment(db, username, password, source="demo", now=now)
    secret = enrol.secret
    accounts.confirm_mfa_enrollment(db, username, password, mfa.code_at(secret, now), source="demo", now=now)
    later = now + timedelta(seconds=30)  # the enrolment step's code is used: log in with the next one
    result = accounts.login(db, username, password, mfa.code_at(secret, later), source="demo", now=later)
    return result.actor, later


def run_governed_demo(
    folder: Path,
    claims_csv: Path,
    reporting_date: date,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    isms: bool = True,
) -> GovernedDemo:
    """Set up a fresh demo data directory under ``folder`` and run the approval workflow on ``claims_csv``; with
    ``isms`` fill the ISMS registers and write the security reports, the compliance matrix and the regulatory
    calendar into ``folder/isms``."""
    step = progress or (lambda _s, _d, _t: None)
    data_dir = Path(folder) / "aktuar-data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    db = Database(Settings(data_dir=data_dir.resolve(), database_url=f"sqlite:///{(data_dir / 'aktuar.sqlite3').resolve()}"))
    try:
        step("platform: database", 0, 7)
        upgrade(db)
        t = now or datetime.now(UTC)
        passwords = {name: secrets.token_urlsafe(18) for name, _, _ in (*DEMO_USERS, (*OFFICER, ()))}
        accounts.bootstrap(db, OFFICER[0], OFFICER[1], passwords[OFFICER[0]], now=t, source="demo")
        officer, t = _enroll_and_login(db, OFFICER[0], passwords[OFFICER[0]], t)
        step("platform: users", 1, 7)
        actors: dict[str, Actor] = {}
        for name, full_name, roles in DEMO_USERS:
            accounts.create_user(db, officer, name, full_name, passwords[name], roles, now=t)
            actors[name], t = _enroll_and_login(db, name, passwords[name], t)
        preparer, reviewer, chief = actors["daniyar.actuary"], actors["saule.actuary"], actors["yerlan.chief"]
        auditor = actors["gulnara.audit"]

        step("platform: methodology", 2, 7)
        params = {"default": {"method": "mack", "sigma": "mack"},
                  "classes": {"Property": {"method": "chainladder"}}}
        m = methodology.create(db, preparer, "Методика оценки страховых резервов / Reserving methodology", "2026.1",
                               parameters=params, description="Chain ladder with Mack standard errors on paid claims",
                               now=t)
        methodology.submit(db, chief, m.id, reporting_date + timedelta(days=10))
        methodology.coordinate(db, chief, m.id, reporting_date + timedelta(days=20), "ARDFM demo reference 1/2026")

        step("platform: import and run", 3, 7)
        ds = valuation.import_dataset(db, preparer, claims_csv, "claims", now=t)
        run = valuation.prepare_run(
            db, preparer, reporting_date, None, m.id, {"claims": ds.id},
            {"segment_columns": ["class"], "measure": "paid", "origin_grain": "Y", "development_grain": "Y"}, now=t,
        )
        step("platform: review and approval", 4, 7)
        valuation.review(db, reviewer, run.id, comment="factors and large losses checked")
        run = valuation.approve(db, chief, run.id)
        rep = valuation.reproduce_run(db, auditor, run.id)
        close_run, close_rep = _ifrs17_run(db, Path(folder) / "ifrs17", preparer, reviewer, chief, auditor, t)
        documents = _run_reports(db, auditor, Path(folder), [run, *([close_run] if close_run else [])])
        stat_run, stat_rep, opinion_files = _statutory_run(db, Path(folder) / "statutory", preparer, reviewer, chief,
                                                           auditor, t)
        documents.update(opinion_files)

        step("platform: information security", 5, 7)
        isms_result = None
        if isms:
            isms_result = run_isms_demo(db, officer=officer, it=actors["timur.it"], chief=chief,
                                        ceo=actors["asel.ceo"], out=Path(folder) / "isms",
                                        now=max(t, datetime.now(UTC)))

        step("platform: audit trail", 6, 7)
        with db.session() as s:
            report = audit.verify(s, data_dir=data_dir)
        creds = data_dir / "DEMO-CREDENTIALS.txt"
        creds.write_text(
            "Synthetic demo accounts (not for production). Two-factor login is enrolled for each; the TOTP secrets are\n"
            "not kept, so use `aktuar users mfa-reset` as the security officer to enrol your own authenticator.\n\n"
            + "".join(f"{u}\t{p}\n" for u, p in passwords.items()),
            encoding="utf-8",
        )
        creds.chmod(0o600)
        step("platform: done", 7, 7)
        return GovernedDemo(
            data_dir=data_dir, run_id=run.id, status=run.status, prepared_by=run.created_by,
            reviewed_by=run.reviewed_by or "", approved_by=run.approved_by or "",
            results_sha256=run.results_sha256 or "", reproduced=rep.identical,
            audit_records=report.records, audit_ok=report.ok, credentials_file=creds, isms=isms_result,
            ifrs17_run_id=close_run.id if close_run else None, ifrs17_status=close_run.status if close_run else "",
            ifrs17_results_sha256=(close_run.results_sha256 or "") if close_run else "",
            ifrs17_reproduced=bool(close_rep and close_rep.identical), documents=documents,
            statutory_run_id=stat_run.id if stat_run else None, statutory_status=stat_run.status if stat_run else "",
            statutory_results_sha256=(stat_run.results_sha256 or "") if stat_run else "",
            statutory_reproduced=bool(stat_rep and stat_rep.identical),
        )
    finally:
        db.dispose()


def _run_reports(db: Database, auditor: Actor, folder: Path, runs: list[valuation.RunView]) -> dict[str, Path]:
    """The PDF report (Russian and English) of each approved run, exported by the internal auditor into
    ``folder`` (audited as report exports, like a download from the web app)."""
    from aktuar.services.run_documents import filename, write_run_pdf

    out: dict[str, Path] = {}
    for r in runs:
        for lang in ("ru", "en"):
            info = write_run_pdf(db, auditor, r.id, folder / filename(r.id, lang), lang, via="demo")
            out[f"run {r.id} report ({r.engine}, {lang})"] = info.path
    return out


def _ifrs17_run(db: Database, folder: Path, preparer: Actor, reviewer: Actor, chief: Actor, auditor: Actor,
                t: datetime) -> tuple[valuation.RunView | None, valuation.ReproduceReport | None]:
    """The demo close folder (written by ``run_demo``) as an ``ifrs17`` dataset, measured under a coordinated
    IFRS 17 methodology, reviewed, approved and reproduced by four different people; nothing without the folder."""
    from aktuar.services.ifrs17_config import load_config

    config = folder / "ifrs17.toml"
    if not config.is_file():
        return None, None
    when = load_config(config).reporting_dates[-1]
    m = methodology.create(db, preparer, "Методика оценки по МСФО 17 / IFRS 17 measurement methodology", "2026.1",
                           parameters={"engine": "ifrs17"}, now=t,
                           description="PAA (non-life) and GMM (life) per the close configuration ifrs17.toml")
    methodology.submit(db, chief, m.id, when + timedelta(days=10))
    methodology.coordinate(db, chief, m.id, when + timedelta(days=20), "ARDFM demo reference 2/2026")
    ds = valuation.import_dataset(db, preparer, folder, "ifrs17", now=t)
    run = valuation.prepare_run(db, preparer, when, None, m.id, {"ifrs17": ds.id}, now=t)
    valuation.review(db, reviewer, run.id, comment="balances, reconciliations and CSM release checked")
    run = valuation.approve(db, chief, run.id)
    return run, valuation.reproduce_run(db, auditor, run.id)


def _statutory_run(db: Database, folder: Path, preparer: Actor, reviewer: Actor, chief: Actor, auditor: Actor,
                   t: datetime) -> tuple[valuation.RunView | None, valuation.ReproduceReport | None, dict[str, Path]]:
    """The demo's statutory close folder (written by ``run_demo_statutory``) taken through the governed path: a
    ``statutory`` package imported and measured under a coordinated methodology by the actuary, reviewed by a
    second actuary, approved by the chief actuary (numbers and the opinion's words together), reproduced by the
    internal auditor, and the mandatory opinion rendered from the approved run into ``folder/governed-opinion``;
    nothing without the folder."""
    from aktuar.services.statutory_config import load_config
    from aktuar.services.statutory_runs import CONFIG_NAME, render_run_opinion

    config = folder / CONFIG_NAME
    if not config.is_file():
        return None, None, {}
    when = load_config(config).valuation_date
    m = methodology.create(db, preparer, "Методика формирования страховых резервов / Statutory reserving methodology",
                           "2026.1", parameters={"engine": "statutory"}, now=t,
                           description="NB Resolution No. 304 reserves, adequacy test and normatives per statutory.toml")
    methodology.submit(db, chief, m.id, when + timedelta(days=10))
    methodology.coordinate(db, chief, m.id, when + timedelta(days=20), "ARDFM demo reference 3/2026")
    ds = valuation.import_dataset(db, preparer, folder, "statutory", now=t)
    run = valuation.prepare_run(db, preparer, when, None, m.id, {"statutory": ds.id}, now=t)
    valuation.review(db, reviewer, run.id, comment="reserves by class, adequacy test, solvency margin and the "
                                                  "opinion's words checked")
    run = valuation.approve(db, chief, run.id)
    rep = valuation.reproduce_run(db, auditor, run.id)
    got = render_run_opinion(db, chief, run.id, folder / "governed-opinion")
    return run, rep, {f"run {run.id} mandatory opinion ({name})": path for name, path in got.files.items()}
