"""The statutory close as a governed run (KZ84-AUTO) and the mandatory opinion filled from the approved run
(KZ191-OP): packages imported and refused, prepared → reviewed → approved by three people, reproduced bit for
bit, the opinion rendered only from an approved run with unchanged results (a marked draft otherwise), equal to
the file-based opinion of the same close, every rendering audited. Both databases via the ``database`` fixture."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner
from valuation_helpers import ALICE, BOB, CAROL, EVE, OTTO, drop_result_guards

from aktuar import cli_runs, cli_statutory
from aktuar.errors import InputError
from aktuar.reports.opinion import opinion_model, render_opinion
from aktuar.security import rbac
from aktuar.services import methodology as meth
from aktuar.services import statutory_runs as sr
from aktuar.services import valuation as val
from aktuar.services.statutory import run_statutory_close
from aktuar.services.statutory_config import load_opinion_text
from aktuar.store.models import AuditEvent, Dataset

V = date(2026, 12, 31)
WORDS = 'recommendations = "Strengthen the IBNR of DMS (the governed run\'s words)"\n'


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo insurer's statutory close inputs with the opinion's words in a text file of their own."""
    from aktuar.demo.statutory_inputs import write_demo_statutory_inputs

    root = tmp_path_factory.mktemp("stat") / "statutory"
    config = write_demo_statutory_inputs(root, seed=11, scale=0.1)
    body = config.read_text(encoding="utf-8")
    assert body.count("\n[opinion]\n") == 1
    config.write_text(body.replace("\n[opinion]\n", '\n[opinion]\ntext_file = "opinion-words.toml"\n'),
                      encoding="utf-8")
    (root / "opinion-words.toml").write_text("[opinion]\n" + WORDS, encoding="utf-8")
    (root / "results").mkdir()  # outputs of an earlier close beside the inputs are not packed
    (root / "results" / "old.json").write_text("{}")
    return root


def _methodology(database) -> int:  # type: ignore[no-untyped-def]
    m = meth.create(database, ALICE, "Statutory close", "2026.1", parameters={"engine": "statutory"},
                    description="NB Resolution No. 304 reserves per statutory.toml")
    meth.submit(database, CAROL, m.id, date(2026, 1, 10))
    meth.coordinate(database, CAROL, m.id, date(2026, 2, 1), "ARDFM 304-1/2026")
    return m.id


def _members(folder: Path, tmp: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(sr.pack_folder(folder, tmp / "good.zip")) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _failures(database, action: str) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.outcome == "failure")).scalar_one())


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True,
                          timeout=120).stdout


@pytest.mark.req("KZ191-OP")
@pytest.mark.req("KZ84-AUTO")
def test_package_import_and_refusals(database, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = _members(folder, tmp_path)
    assert set(good) == {sr.CONFIG_NAME, "opinion-words.toml", "assets.csv", "claims.csv", "contracts.csv",
                         "life-policies.csv", "osns-beneficiaries.csv", "own-funds.csv", "products.csv",
                         "reinsurance.csv", "settlement-expenses.csv"}
    assert sr.pack_folder(folder, tmp_path / "again.zip").read_bytes() == (tmp_path / "good.zip").read_bytes()
    ds = val.import_dataset(database, ALICE, folder, "statutory")
    assert ds.created and ds.kind == "statutory" and ds.format == "package" and ds.rows == len(good)
    assert val.import_dataset(database, BOB, folder / sr.CONFIG_NAME, "statutory").id == ds.id
    assert val.import_dataset(database, ALICE, tmp_path / "good.zip", "statutory").id == ds.id
    with pytest.raises(InputError, match="no ifrs17.toml"):  # a statutory package is not an IFRS 17 one
        val.import_dataset(database, ALICE, tmp_path / "good.zip", "ifrs17")

    toml = good[sr.CONFIG_NAME].decode()
    cases = {
        "traversal member": (_zip(tmp_path / "a.zip", {**good, "../evil.csv": b"x"}), "'../evil.csv'.*'\\.\\.'"),
        "absolute member": (_zip(tmp_path / "b.zip", {**good, "/tmp/evil.csv": b"x"}), "absolute"),
        "extra file": (_zip(tmp_path / "c.zip", {**good, "notes.txt": b"hello"}),
                       "statutory.toml does not name: notes.txt"),
        "config names ../": (_zip(tmp_path / "d.zip", {**good, sr.CONFIG_NAME: toml.replace(
            'claims = "claims.csv"', 'claims = "' + "../" * 12 + 'etc/hostname"').encode()}), "outside the package"),
        "no configuration": (_zip(tmp_path / "e.zip", {k: v for k, v in good.items() if k != sr.CONFIG_NAME}),
                             "no statutory.toml"),
        "missing text file": (_zip(tmp_path / "f.zip", {k: v for k, v in good.items()
                                                       if k != "opinion-words.toml"}), "opinion-words.toml"),
        "bad configuration key": (_zip(tmp_path / "g.zip", {**good, sr.CONFIG_NAME: toml.replace(
            'currency = "KZT"', 'currency = "KZT"\ncolour = "red"').encode()}), "colour"),
    }
    before = _failures(database, "dataset.import")
    for what, (path, message) in cases.items():
        with pytest.raises(InputError, match=message) as exc:
            val.import_dataset(database, ALICE, path, "statutory")
        assert exc.value.file and exc.value.file.startswith(str(path)), what
        assert not (tmp_path / "evil.csv").exists(), what
    assert _failures(database, "dataset.import") - before == len(cases)
    with database.session() as s:
        assert s.execute(select(func.count()).select_from(Dataset)).scalar_one() == 1

    # a bad cell inside a member is found when the close is measured: package, member, row and column
    m_id = _methodology(database)
    bad = dict(good)
    lines = bad["claims.csv"].decode().splitlines()
    head = lines[0].split(",")
    cells = lines[6].split(",")
    cells[head.index("paid")] = "abc"
    lines[6] = ",".join(cells)
    bad["claims.csv"] = ("\n".join(lines) + "\n").encode()
    bad_ds = val.import_dataset(database, ALICE, _zip(tmp_path / "bad-cell.zip", bad), "statutory")
    with pytest.raises(InputError) as exc:
        val.prepare_run(database, ALICE, V, None, m_id, {"statutory": bad_ds.id})
    assert exc.value.file == f"{bad_ds.sha256}.zip:claims.csv" and exc.value.row == 7 and exc.value.column == "paid"
    # the reporting date must be the configuration's valuation date: both named
    with pytest.raises(InputError, match="2025-12-31 is not the close's valuation date 2026-12-31"):
        val.prepare_run(database, ALICE, date(2025, 12, 31), None, m_id, {"statutory": ds.id})
    with pytest.raises(InputError, match="exactly the input statutory"):
        val.prepare_run(database, ALICE, V, None, m_id, {"claims": ds.id})
    with pytest.raises(InputError, match="leave the scope empty"):
        val.prepare_run(database, ALICE, V, ["DMS"], m_id, {"statutory": ds.id})
    with pytest.raises(InputError, match="no other parameters"):
        meth.create(database, ALICE, "bad", "1", parameters={"engine": "statutory", "method": "mack"})


@pytest.mark.req("KZ191-OP")
@pytest.mark.req("KZ84-AUTO")
def test_statutory_close_as_a_governed_run_and_its_opinion(database, folder, tmp_path, monkeypatch
                                                           ) -> None:  # type: ignore[no-untyped-def]
    m_id = _methodology(database)
    ds = val.import_dataset(database, ALICE, folder, "statutory")
    run = val.prepare_run(database, ALICE, V, None, m_id, {"statutory": ds.id})
    assert run.status == "prepared" and run.engine == "statutory" and run.inputs == {"statutory": ds.id}
    rows = val.run_results(database, EVE, run.id)
    docs = val.run_documents(database, EVE, run.id)
    assert set(docs) == {"statutory-2026-12-31.json", "opinion-text-2026-12-31.toml"}
    assert run.results_sha256 == val.results_sha256(rows, docs)
    assert "governed run's words" in docs["opinion-text-2026-12-31.toml"]  # the text file merged in

    # the numbers and the words of the run are those of the file-based close of the same folder
    files = run_statutory_close(folder / sr.CONFIG_NAME, tmp_path / "file-close", opinion=False)
    file_doc = json.loads(files.files["statutory-2026-12-31.json"].read_text(encoding="utf-8"))
    run_doc = json.loads(docs["statutory-2026-12-31.json"])
    assert docs["statutory-2026-12-31.json"] == files.files["statutory-2026-12-31.json"].read_text(encoding="utf-8")
    assert files.files["opinion-text-2026-12-31.toml"].read_text(encoding="utf-8") == docs[
        "opinion-text-2026-12-31.toml"]
    reserves = {r["class"]: r for r in next(t for t in file_doc["tables"] if t["key"] == "reserves")["rows"]}
    got = {(r.segment, r.quantity): r.value for r in rows}
    for cls, r in reserves.items():
        for q in ("upr_gross", "upr_reinsurance", "rbns_gross", "ibnr_gross", "ibnr_reinsurance", "total_gross",
                  "total_net"):
            assert got[(cls, q)] == pytest.approx(r[q], abs=0.0), (cls, q)
    assert got[("Company", "solvency_ratio")] == file_doc["solvency"]["ratio"]
    assert {r.origin for r in rows} == {"2026-12-31"} and {r.method for r in rows} == {file_doc["pack"]["name"]}

    # not approved: refused with the status and who must act, unless a marked draft
    out = tmp_path / "opinion"
    before = _failures(database, "report.export")
    with pytest.raises(val.WorkflowError, match="is prepared, not approved.*other than alice must review"):
        sr.render_run_opinion(database, EVE, run.id, out)
    assert _failures(database, "report.export") == before + 1 and not out.exists()
    draft = sr.render_run_opinion(database, EVE, run.id, tmp_path / "draft", languages=("en",), draft=True)
    assert draft.draft and set(draft.files) == {"opinion-2026-12-31-en-draft.pdf", "opinion-2026-12-31-en-draft.docx"}
    pages = _pdf_text(draft.files["opinion-2026-12-31-en-draft.pdf"]).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) > 1 and all(f"DRAFT — run {run.id} not approved" in p for p in pages)

    # separation of duties: three different people
    with pytest.raises(val.SeparationOfDuties):
        val.review(database, ALICE, run.id)
    val.review(database, BOB, run.id, comment="reserves and normatives checked")
    with pytest.raises(val.WorkflowError, match="is reviewed.*other than alice \\(preparer\\) and bob"):
        sr.render_run_opinion(database, EVE, run.id, out)
    with pytest.raises(rbac.PermissionDenied):  # an actuary cannot approve; the chief actuary does
        val.approve(database, BOB, run.id)
    approved = val.approve(database, CAROL, run.id)
    assert (approved.status, approved.created_by, approved.reviewed_by, approved.approved_by) == (
        "approved", "alice", "bob", "carol")
    rep = val.reproduce_run(database, EVE, run.id)
    assert rep.identical, rep.explanation

    # a person without report.read is refused, and the refusal audited
    assert "report.read" not in {p for p, roles in rbac.PERMISSIONS.items() if "it_admin" in roles}
    before = _failures(database, "report.export")
    with pytest.raises(rbac.PermissionDenied):
        sr.render_run_opinion(database, OTTO, run.id, tmp_path / "otto")
    assert _failures(database, "report.export") == before + 1 and not (tmp_path / "otto").exists()

    # the opinion from the approved run: ru and en, equal to the file-based opinion of the same close
    got_op = sr.render_run_opinion(database, EVE, run.id, out)
    assert not got_op.draft and set(got_op.files) == {f"opinion-2026-12-31-{lg}.{ext}" for lg in ("ru", "en")
                                                      for ext in ("pdf", "docx")}
    file_words = load_opinion_text(files.files["opinion-text-2026-12-31.toml"])
    for lg in ("ru", "en"):
        assert opinion_model(run_doc, sr._words_from_toml(docs["opinion-text-2026-12-31.toml"]), lg) == \
            opinion_model(file_doc, file_words, lg)
    file_pdf, _ = render_opinion(file_doc, file_words, "en")
    (tmp_path / "file-en.pdf").write_bytes(file_pdf)
    run_text = _pdf_text(got_op.files["opinion-2026-12-31-en.pdf"])
    assert run_text == _pdf_text(tmp_path / "file-en.pdf")
    assert "Strengthen the IBNR of DMS" in run_text and "DRAFT" not in run_text
    with database.session() as s:
        e = s.execute(select(AuditEvent).where(AuditEvent.action == "report.export", AuditEvent.outcome == "success")
                      .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        details = json.loads(e.details)
    assert e.actor == "eve" and e.object == f"run:{run.id}" and details["run"] == run.id
    assert details["files"] == got_op.sha256 and not details["draft"]
    assert details["results_sha256"] == run.results_sha256 and details["text_sha256"] == got_op.text_sha256

    # the command line: aktuar statutory opinion --run N
    url = database.settings.database_url
    if database.engine.dialect.name == "postgresql":
        from urllib.parse import quote

        with database.engine.connect() as c:
            schema = c.execute(text("SELECT current_schema()")).scalar_one()
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}")
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(database.settings.data_dir))
    monkeypatch.setenv("AKTUAR_DATABASE_URL", url)
    monkeypatch.setattr(cli_runs, "ACTOR_PROVIDER", lambda db: CAROL)
    res = CliRunner().invoke(cli_statutory.app, ["opinion", "--run", str(run.id), "--out", str(tmp_path / "cli"),
                                                 "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cli" / "opinion-2026-12-31-en.docx").is_file()
    res = CliRunner().invoke(cli_statutory.app, ["opinion", str(files.files["statutory-2026-12-31.json"]), "--run",
                                                 str(run.id)])
    assert res.exit_code != 0 and "either a results file" in res.output


@pytest.mark.req("KZ191-OP")
@pytest.mark.req("KZ84-AUTO")
def test_tampered_results_refuse_the_opinion(database, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    m_id = _methodology(database)
    ds = val.import_dataset(database, ALICE, folder, "statutory")
    run = val.prepare_run(database, ALICE, V, None, m_id, {"statutory": ds.id})
    with database.session() as s:
        drop_result_guards(s)
        s.execute(text("UPDATE run_results SET value = value * 0.5 WHERE run_id = :i AND segment = 'Total' "
                       "AND quantity = 'total_net'"), {"i": run.id})
    with pytest.raises(val.IntegrityFailure, match="changed after it was prepared"):
        sr.render_run_opinion(database, EVE, run.id, tmp_path / "op", draft=True)
    assert not (tmp_path / "op").exists() or not list((tmp_path / "op").iterdir())
    rep = val.reproduce_run(database, EVE, run.id)
    assert not rep.identical and rep.tampered
    # a reserving or IFRS 17 run has no statutory opinion
    with pytest.raises(InputError, match="no run 999"):
        sr.render_run_opinion(database, EVE, 999, tmp_path / "op")


@pytest.mark.req("KZ84-AUTO")
def test_run_pdf_of_a_statutory_run_shows_its_reserves(database, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The run report PDF (report.read, audited) of a statutory run: its reserves by class, adequacy and solvency
    from the stored document, in Russian and English, the DRAFT banner while it is not approved."""
    from aktuar.services.run_documents import export_run_pdf

    m_id = _methodology(database)
    ds = val.import_dataset(database, ALICE, folder, "statutory")
    run = val.prepare_run(database, ALICE, V, None, m_id, {"statutory": ds.id})
    doc = json.loads(val.run_documents(database, EVE, run.id)["statutory-2026-12-31.json"])
    total = next(r for r in next(t for t in doc["tables"] if t["key"] == "reserves")["rows"] if r["class"] == "Total")
    for lang, words in (("en", ("Insurance reserves and the reinsurer's share by class", "Reserve adequacy",
                                "Minimum solvency margin", "DRAFT")),
                        ("ru", ("Страховые резервы и доля перестраховщика по классам", "Тест достаточности",
                                "Минимальный размер маржи", "ПРОЕКТ"))):
        pdf = export_run_pdf(database, EVE, run.id, lang)
        path = tmp_path / f"run-{lang}.pdf"
        path.write_bytes(pdf.content)
        text = " ".join(_pdf_text(path).split())
        for w in words:
            assert w in text, (lang, w)
        shown = f"{total['total_gross']:,.2f}"
        assert (shown if lang == "en" else shown.replace(",", "\u00a0").replace(".", ",")) in _pdf_text(path) or \
            (shown.replace(",", " ").replace(".", ",") in text), lang
