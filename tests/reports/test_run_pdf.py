"""The PDF report of a governed valuation run (issue 5: "download XLSX/PDF results"): identity page, results of
reserving and IFRS 17 runs, Russian and English, the DRAFT banner, tampered results refused, permission and
audit, the command line. The PDFs are read back with pdftotext (poppler-utils)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from aktuar.reports import run_pdf
from aktuar.security import rbac
from aktuar.security.context import Actor
from aktuar.services import methodology as meth
from aktuar.services import valuation
from aktuar.services.methodology import IntegrityFailure
from aktuar.services.run_documents import export_run_pdf, write_run_pdf
from aktuar.store.models import AuditEvent

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "data" / "mack1993_taylor_ashe.json"
ALICE = Actor("alice", frozenset({"actuary"}), user_id=1, source="test")
BOB = Actor("bob", frozenset({"actuary"}), user_id=2, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=3, source="test")
EVE = Actor("eve", frozenset({"internal_auditor"}), user_id=6, source="test")
OTTO = Actor("otto", frozenset({"it_admin"}), user_id=7, source="test")
HOSTILE_CLASS = 'Motor <b>TPL</b> & "Co"'
NOW = datetime(2026, 3, 2, 10, 30, 0, tzinfo=UTC)


# ----------------------------------------------------------------------------------------------- helpers
def pdf_text(content: bytes, tmp: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
    path = tmp / f"doc-{hashlib.sha256(content).hexdigest()[:8]}.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return re.sub(r"\s+", " ", out)  # also the no-break spaces of the Russian thousands


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def write_classes(path: Path, classes: dict[str, float]) -> Path:
    """Taylor/Ashe as a long triangle with a ``class`` column, scaled per class."""
    d = json.loads(REFERENCE.read_text())["triangle"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["class", "origin", "development", "value"])
        for cls, k in classes.items():
            for o, row in zip(d["origin"], d["values"], strict=True):
                for a, v in zip(d["development"], row, strict=True):
                    if v is not None:
                        w.writerow([cls, o, a, repr(float(v) * k)])
    return path


def coordinated(db, params=None) -> int:  # type: ignore[no-untyped-def]
    m = meth.create(db, ALICE, "IBNR methodology", "1.0", parameters=params or {"default": {"method": "mack"}},
                    description="chain ladder with Mack s.e.")
    meth.submit(db, CAROL, m.id, date(2026, 1, 10))
    return meth.coordinate(db, CAROL, m.id, date(2026, 2, 1), "ARDFM 12-3/456").id


def reserving_run(db, tmp: Path, *, approve: bool = True) -> valuation.RunView:  # type: ignore[no-untyped-def]
    m_id = coordinated(db)
    src = write_classes(tmp / "classes.csv", {"Property": 1.0, HOSTILE_CLASS: 0.5})
    ds = valuation.import_dataset(db, ALICE, src, "triangle")
    run = valuation.prepare_run(db, ALICE, date(2025, 12, 31), None, m_id, {"triangle": ds.id},
                                {"segment_columns": ["class"]})
    if approve:
        valuation.review(db, BOB, run.id, comment="factors and large losses checked")
        run = valuation.approve(db, CAROL, run.id, comment="approved for the annual report")
    return run


def exports(db, outcome: str = "success") -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == "report.export",
                                                       AuditEvent.outcome == outcome)
                              .order_by(AuditEvent.seq)).scalars())


def drop_result_guards(db) -> None:  # type: ignore[no-untyped-def]
    """What someone with database access does before editing results by hand."""
    with db.session() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER IF EXISTS run_results_no_update"))
        else:
            s.execute(text("DROP TRIGGER IF EXISTS run_results_guard ON run_results"))


# ----------------------------------------------------------------------------------------------- formats
def test_numbers_and_dates_per_language() -> None:
    assert run_pdf.fmt_amount(1234567.891, "ru") == "1\u00a0234\u00a0567,89"
    assert run_pdf.fmt_amount(1234567.891, "en") == "1,234,567.89"
    assert run_pdf.fmt_amount(-0.001, "ru") == "0,00" and run_pdf.fmt_amount(None, "en") == "—"
    assert run_pdf.fmt_amount(float("nan"), "ru") == "—"
    assert run_pdf.fmt_factor(3.490607, "ru") == "3,4906"
    assert run_pdf.fmt_day(date(2025, 12, 31), "ru") == "31.12.2025"
    assert run_pdf.fmt_day(date(2025, 12, 31), "en") == "2025-12-31"


def _plain(**kw) -> run_pdf.RunReportData:  # type: ignore[no-untyped-def]
    row = valuation.ResultRow
    base = dict(
        run_id=7, kind="reserving", status="prepared", reporting_date=date(2025, 12, 31), is_test=False, scope=[],
        workflow=[run_pdf.WorkflowStep("prepared", "alice", NOW)],
        methodology=run_pdf.MethodologyInfo("M", "1", "coordinated", None, None, "0" * 64),
        inputs=[], inputs_sha256="1" * 64, parameters={"data": {"measure": "paid"}}, code_version="0.1.0",
        environment={}, results_sha256="a" * 64,
        rows=[row('<img src="file:///etc/passwd">', "chainladder", "2020", "ibnr", 5.0),
              row('<img src="file:///etc/passwd">', "chainladder", "Total", "ibnr", 5.0)],
        generated_by="eve", generated_at=NOW)
    base.update(kw)
    return run_pdf.RunReportData(**base)


def test_report_refuses_what_it_cannot_show_safely() -> None:
    from aktuar.errors import InputError

    with pytest.raises(InputError, match="language"):
        run_pdf.report_model(_plain(), "de")
    with pytest.raises(InputError, match="results hash"):  # the hash is written into the page-margin CSS
        run_pdf.report_model(_plain(results_sha256='"; } body { display: none } x { content: "'), "en")
    with pytest.raises(InputError, match="kind"):
        run_pdf.report_model(_plain(kind="pricing"), "en")


def test_labels_from_the_data_are_escaped(tmp_path: Path) -> None:
    """A class label is data: it appears as text, never as markup that WeasyPrint would follow."""
    html = run_pdf.render_html(_plain(), "en")
    assert "<img" not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file:///etc/passwd">' in pdf_text(run_pdf.render_pdf(_plain(), "en"), tmp_path)


# ----------------------------------------------------------------------------------------------- reserving
@pytest.mark.req("KZ84-AUTO")
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_reserving_run_pdf_shows_identity_and_the_stored_numbers(database, tmp_path: Path, lang: str) -> None:
    run = reserving_run(database, tmp_path)
    d = export_run_pdf(database, EVE, run.id, lang, now=NOW)
    assert d.content.startswith(b"%PDF") and d.media_type == "application/pdf"
    assert d.filename == f"aktuar-run-{run.id}-{lang}.pdf"
    assert d.sha256 == hashlib.sha256(d.content).hexdigest()
    t = pdf_text(d.content, tmp_path)
    h = run.results_sha256
    assert h is not None
    ru = lang == "ru"
    # identity: run, status, people, methodology, inputs, hashes, versions
    assert (f"Отчёт о расчёте №{run.id}" if ru else f"Valuation run report #{run.id}") in t
    assert ("Статус утверждён" if ru else "Status approved") in t
    assert ("Расчёт утверждён: carol" if ru else "Run approved by carol") in t
    for who in ("alice", "bob", "carol"):
        assert who in t
    assert "factors and large losses checked" in t and "approved for the annual report" in t
    assert "IBNR methodology" in t and "ARDFM 12-3/456" in t
    m = meth.get(database, ALICE, run.methodology_id)
    assert m.parameters_sha256 in t and run.inputs_sha256 in t and run.input_sha256["triangle"] in t
    assert run.code_version in t
    assert ("SHA-256 результатов " if ru else "Results SHA-256 ") + h in t
    # every page's footer: run and results hash, page X of Y
    pages = int(re.findall(r"(?:стр\.|page) 1 (?:из|of) (\d+)", t)[0])
    assert pages >= 3
    footer = f"Расчёт №{run.id} · SHA-256 результатов {h}" if ru else f"Run #{run.id} · results SHA-256 {h}"
    assert t.count(footer) == pages
    assert (f"стр. {pages} из {pages}" if ru else f"page {pages} of {pages}") in t
    assert "ПРОЕКТ" not in t and "DRAFT" not in t
    # the numbers are the stored results, formatted per language
    rows = valuation.run_results(database, EVE, run.id)
    shown = 0
    for r in rows:
        if r.value is None:
            continue
        if r.quantity in ("latest", "ultimate", "ibnr", "se") and (r.origin == "Total" or r.origin in ("1", "10")):
            assert norm(run_pdf.fmt_amount(r.value, lang)) in t, (r, lang)
            shown += 1
        if r.quantity in ("ldf", "tail", "cdf"):
            assert norm(run_pdf.fmt_factor(r.value, lang)) in t, r
            shown += 1
    assert shown > 60
    assert ("18 680 855,61" if ru else "18,680,855.61") in t  # Taylor/Ashe (Property): Mack (1993) reserve
    assert HOSTILE_CLASS in t  # the class label, as text
    assert ("Класс: Property" if ru else "Class: Property") in t
    # audited with the PDF's hash
    ev = exports(database)[-1]
    details = json.loads(ev.details)
    assert ev.actor == "eve" and ev.object == f"run:{run.id}"
    assert details["format"] == "pdf" and details["lang"] == lang and details["sha256"] == d.sha256
    assert details["results_sha256"] == h and details["run_status"] == "approved"


@pytest.mark.req("KZ84-AUTO")
def test_a_run_not_approved_carries_the_draft_banner(database, tmp_path: Path) -> None:
    run = reserving_run(database, tmp_path, approve=False)
    ru = pdf_text(export_run_pdf(database, ALICE, run.id, "ru").content, tmp_path)
    en = pdf_text(export_run_pdf(database, ALICE, run.id, "en").content, tmp_path)
    assert "ПРОЕКТ — расчёт не утверждён" in ru and "Статус расчёта: подготовлен" in ru
    assert "DRAFT — not approved" in en and "Run status: prepared" in en and "Approved pending" in en
    assert "Run approved by" not in en
    # rejected, with the reason
    valuation.reject(database, BOB, run.id, "the 2019 large loss must be excluded")
    en = pdf_text(export_run_pdf(database, EVE, run.id, "en").content, tmp_path)
    assert "DRAFT — not approved" in en and "Run status: rejected" in en
    assert "Rejected bob" in en and "the 2019 large loss must be excluded" in en


@pytest.mark.req("KZ84-AUTO")
def test_tampered_results_refuse_the_export(database, tmp_path: Path) -> None:
    run = reserving_run(database, tmp_path, approve=False)
    drop_result_guards(database)
    with database.session() as s:
        s.execute(text("UPDATE run_results SET value = value * 1.1 WHERE run_id = :r AND quantity = 'ibnr'"),
                  {"r": run.id})
    with pytest.raises(IntegrityFailure, match="do not match their recorded hash"):
        export_run_pdf(database, EVE, run.id, "en")
    target = tmp_path / "out.pdf"
    with pytest.raises(IntegrityFailure):
        write_run_pdf(database, EVE, run.id, target, "ru")
    assert not target.exists() and not list(tmp_path.glob(".out.pdf*"))
    refused = exports(database, "failure")
    assert len(refused) == 2 and all("IntegrityFailure" in r.details for r in refused)
    assert not exports(database)


@pytest.mark.req("KZ84-AUTO")
def test_results_and_run_hash_rewritten_together_are_caught_by_the_audit_trail(database, tmp_path: Path) -> None:
    """An attacker who edits a number and records the matching hash on the run: the audit trail's record of the
    run's preparation still holds the original hash, so the export is refused."""
    run = reserving_run(database, tmp_path, approve=False)
    drop_result_guards(database)
    with database.session() as s:
        s.execute(text("UPDATE run_results SET value = 1.0 WHERE run_id = :r AND quantity = 'ibnr' "
                       "AND origin = 'Total'"), {"r": run.id})
    rows = valuation.run_results(database, EVE, run.id)
    forged = valuation.results_sha256(rows)
    with database.session() as s:
        s.execute(text("UPDATE runs SET results_sha256 = :h WHERE id = :r"), {"h": forged, "r": run.id})
    with pytest.raises(IntegrityFailure, match="audit trail"):
        export_run_pdf(database, EVE, run.id, "en")


def test_permission_and_language_are_checked(database, tmp_path: Path) -> None:
    from aktuar.errors import InputError

    run = reserving_run(database, tmp_path, approve=False)
    with pytest.raises(rbac.PermissionDenied):
        export_run_pdf(database, OTTO, run.id, "ru")
    with pytest.raises(InputError, match="language"):
        export_run_pdf(database, EVE, run.id, "de")
    with pytest.raises(InputError, match="no run"):
        export_run_pdf(database, EVE, 999_999, "ru")
    with pytest.raises(InputError, match=r"\.pdf file"):
        write_run_pdf(database, EVE, run.id, tmp_path / "report.html", "ru")
    with pytest.raises(InputError, match="does not exist"):
        write_run_pdf(database, EVE, run.id, tmp_path / "missing" / "r.pdf", "ru")
    refused = exports(database, "failure")
    assert len(refused) == 5 and not exports(database)
    assert "PermissionDenied" in refused[0].details


def test_write_run_pdf_places_the_file_with_its_audit_record(database, tmp_path: Path) -> None:
    run = reserving_run(database, tmp_path)
    target = tmp_path / "report.pdf"
    info = write_run_pdf(database, EVE, run.id, target, "en", now=NOW)
    assert target.read_bytes().startswith(b"%PDF") and info.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert info.run_status == "approved" and info.rows == run.n_results
    ev = exports(database)[-1]
    assert json.loads(ev.details)["sha256"] == info.sha256 and json.loads(ev.details)["via"] == "cli"
    assert not list(tmp_path.glob(".report.pdf*"))


def test_cli_runs_export_pdf(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aktuar import cli_runs

    run = reserving_run(database, tmp_path)
    url = database.settings.database_url
    if database.engine.dialect.name == "postgresql":
        from urllib.parse import quote

        with database.engine.connect() as c:
            schema = c.execute(text("SELECT current_schema()")).scalar_one()
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}")
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(database.settings.data_dir))
    monkeypatch.setenv("AKTUAR_DATABASE_URL", url)
    monkeypatch.setattr(cli_runs, "ACTOR_PROVIDER", lambda db: EVE)
    monkeypatch.setattr(cli_runs.out, "width", 250)
    runner = CliRunner()
    by_suffix = tmp_path / "run.pdf"
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--out", str(by_suffix)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "approved run" in res.output
    assert "Отчёт о расчёте" in pdf_text(by_suffix.read_bytes(), tmp_path)
    english = tmp_path / "run-en.pdf"
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--format", "pdf", "--lang", "en", "--out",
                                       str(english)])
    assert res.exit_code == 0, res.output
    assert "Valuation run report" in pdf_text(english.read_bytes(), tmp_path)
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--format", "pdf", "--out", str(tmp_path / "x.json")])
    assert res.exit_code == 2 and "--format pdf writes a .pdf file" in res.output
    assert not (tmp_path / "x.json").exists()
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--lang", "kk", "--out", str(tmp_path / "k.pdf")])
    assert res.exit_code == 2 and "language" in res.output and not (tmp_path / "k.pdf").exists()
    monkeypatch.setattr(cli_runs, "ACTOR_PROVIDER", lambda db: OTTO)
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--out", str(tmp_path / "o.pdf")])
    assert res.exit_code == 2 and not (tmp_path / "o.pdf").exists()


# ----------------------------------------------------------------------------------------------- IFRS 17
@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ84-CSM")
def test_ifrs17_run_pdf_shows_the_csm_of_its_stored_document(database, tmp_path: Path) -> None:
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs

    folder = tmp_path / "close"
    write_demo_close_inputs(folder, seed=2026, scale=0.05)
    m = meth.create(database, ALICE, "IFRS 17", "1", parameters={"engine": "ifrs17"})
    meth.submit(database, CAROL, m.id, date(2026, 1, 10))
    meth.coordinate(database, CAROL, m.id, date(2026, 2, 1), "ARDFM 1")
    ds = valuation.import_dataset(database, ALICE, folder, "ifrs17")
    run = valuation.prepare_run(database, ALICE, date(2026, 12, 31), None, m.id, {"ifrs17": ds.id})
    docs = valuation.run_documents(database, EVE, run.id)
    doc = json.loads(docs["ifrs17-2026-12-31.json"])
    gmm = ["Term life", "Annuities"]
    closing = {t["group"]: next(r for r in t["rows"] if r["key"] == "closing")["values"]
               for t in doc["tables"] if t["key"] == "101" and t["group"] in gmm}
    release = {t["group"]: next(r for r in t["rows"] if r["key"] == "total")["values"]["csm_release"]
               for t in doc["tables"] if t["key"] == "109" and t["group"] in gmm}
    assert set(closing) == set(gmm) == set(release)
    for lang in ("ru", "en"):
        d = export_run_pdf(database, EVE, run.id, lang)
        t = pdf_text(d.content, tmp_path)
        assert (f"Отчёт о расчёте №{run.id}" if lang == "ru" else f"Valuation run report #{run.id}") in t
        assert ("ПРОЕКТ — расчёт не утверждён" if lang == "ru" else "DRAFT — not approved") in t
        assert ("Движение CSM: Term life" if lang == "ru" else "CSM roll-forward: Term life") in t
        for p in gmm:
            for col in ("csm", "pv_future_cash_flows", "risk_adjustment", "total"):
                assert norm(run_pdf.fmt_amount(closing[p][col], lang)) in t, (p, col, lang)
            assert norm(run_pdf.fmt_amount(release[p], lang)) in t, (p, lang)
        # the balances by portfolio are the run's stored result rows
        for r in valuation.run_results(database, EVE, run.id, quantities=["csm", "lrc", "lic"]):
            assert norm(run_pdf.fmt_amount(r.value, lang)) in t, (r, lang)
        assert run.input_sha256["ifrs17"] in t
        assert ("SHA-256 результатов " if lang == "ru" else "Results SHA-256 ") + str(run.results_sha256) in t
        for entry in doc["input"].values():  # the files of the close package
            assert entry["file"] in t
