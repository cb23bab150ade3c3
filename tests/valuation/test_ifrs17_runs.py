"""IFRS 17 closes as governed valuation runs (KZ84-AUTO): packages imported and validated (malicious ones
refused), prepared → reviewed → approved by different people, reproduced bit for bit, immutable once approved,
exported as the IFRS 17 workbook. Both databases via the ``database`` fixture."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from valuation_helpers import ALICE, BOB, CAROL, EVE

from aktuar.errors import InputError
from aktuar.services import methodology as meth
from aktuar.services import valuation as val
from aktuar.services.ifrs17_runs import CONFIG_NAME, LINES, pack_folder
from aktuar.store.models import AuditEvent, Dataset, RunDocument, RunResult

REPORTING = date(2026, 12, 31)


@pytest.fixture(scope="module")
def close_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs

    folder = tmp_path_factory.mktemp("close") / "ifrs17"
    write_demo_close_inputs(folder, seed=2026, scale=0.05)
    (folder / "results").mkdir()  # outputs of an earlier close beside the inputs are not packed
    (folder / "results" / "old.json").write_text("{}")
    return folder


def _ifrs17_methodology(database) -> int:  # type: ignore[no-untyped-def]
    m = meth.create(database, ALICE, "IFRS 17 close", "2026.1", parameters={"engine": "ifrs17"},
                    description="PAA and GMM per the close configuration")
    meth.submit(database, CAROL, m.id, date(2026, 1, 10))
    meth.coordinate(database, CAROL, m.id, date(2026, 2, 1), "ARDFM 17-1/2026")
    return m.id


def _refusals(database, n_before: int) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "dataset.import", AuditEvent.outcome == "failure")).scalar_one() - n_before


def _zip(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def _members(folder: Path) -> dict[str, bytes]:
    out = {}
    with zipfile.ZipFile(pack_folder(folder, folder.parent / "good.zip")) as zf:
        for n in zf.namelist():
            out[n] = zf.read(n)
    return out


@pytest.mark.req("KZ84-AUTO")
def test_malicious_and_broken_packages_are_refused(database, close_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = _members(close_folder)
    assert CONFIG_NAME in good and not any(n.startswith("results") for n in good)
    toml = good[CONFIG_NAME].decode()
    bomb = {**good, "zeros.csv": b"0" * (8 * 1024 * 1024)}
    cases: dict[str, tuple[Path, str]] = {
        "dotdot member": (_zip(tmp_path / "a.zip", {**good, "../evil.csv": b"x"}), "'..'"),
        "absolute member": (_zip(tmp_path / "b.zip", {**good, "/tmp/evil.csv": b"x"}), "absolute"),
        "backslash member": (_zip(tmp_path / "c.zip", {**good, "..\\evil.csv": b"x"}), "backslash"),
        "symlink member": (_zip(tmp_path / "d.zip", good, symlink="link.csv"), "symbolic link"),
        "config names ../": (_zip(tmp_path / "e.zip", {**good, CONFIG_NAME: toml.replace(
            'file = "curves.csv"', 'file = "' + "../" * 12 + 'etc/hostname"').encode()}), "outside the package"),
        "config names /etc": (_zip(tmp_path / "f.zip", {**good, CONFIG_NAME: toml.replace(
            'file = "curves.csv"', 'file = "/etc/hostname"').encode()}), "outside the package"),
        "unnamed extra file": (_zip(tmp_path / "g.zip", {**good, "notes.txt": b"hello"}), "does not name"),
        "no configuration": (_zip(tmp_path / "h.zip", {k: v for k, v in good.items() if k != CONFIG_NAME}),
                             "no ifrs17.toml"),
        "zip bomb": (_zip(tmp_path / "i.zip", bomb), "ZIP bomb"),
        "not a zip": (tmp_path / "j.zip", "not a ZIP"),
        # a path leaving the package: the same answer whether or not the file exists (no probing of the server)
        "config names missing ../": (_zip(tmp_path / "l.zip", {**good, CONFIG_NAME: toml.replace(
            'file = "curves.csv"', 'file = "../curves.csv"').encode()}), "outside the package"),
        "missing named file": (_zip(tmp_path / "k.zip", {k: v for k, v in good.items() if k != "curves.csv"}),
                               "does not exist"),
    }
    (tmp_path / "j.zip").write_text("origin,2020\n")
    with database.session() as s:
        before = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "dataset.import", AuditEvent.outcome == "failure")).scalar_one()
    for what, (path, message) in cases.items():
        with pytest.raises(InputError, match=message):
            val.import_dataset(database, ALICE, path, "ifrs17")
        assert not (tmp_path / "evil.csv").exists(), what
    assert _refusals(database, before) == len(cases)
    # a folder whose input is a symbolic link to a file outside it
    evil = tmp_path / "evil-folder"
    shutil.copytree(close_folder, evil, ignore=shutil.ignore_patterns("results"))
    outside = tmp_path / "secret.csv"
    shutil.copy(evil / "curves.csv", outside)
    (evil / "curves.csv").unlink()
    (evil / "curves.csv").symlink_to(outside)
    with pytest.raises(InputError, match="outside its folder"):
        val.import_dataset(database, ALICE, evil, "ifrs17")
    with database.session() as s:  # nothing recorded, nothing stored
        assert s.execute(select(func.count()).select_from(Dataset)).scalar_one() == 0
    stored = val.datasets_dir(database)
    assert not stored.exists() or not [p for p in stored.iterdir() if not p.name.startswith(".")]


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ84-METH")
def test_ifrs17_close_as_a_governed_run(database, close_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    m_id = _ifrs17_methodology(database)
    ds = val.import_dataset(database, ALICE, close_folder, "ifrs17")
    assert ds.created and ds.kind == "ifrs17" and ds.format == "package" and ds.filename == "ifrs17.zip"
    again = val.import_dataset(database, BOB, close_folder / CONFIG_NAME, "ifrs17")  # deterministic zip
    assert not again.created and again.id == ds.id
    zipped = pack_folder(close_folder, tmp_path / "close.zip")  # the same package given as a ZIP
    assert val.import_dataset(database, ALICE, zipped, "ifrs17").id == ds.id

    # the methodology's engine decides what a run needs
    with pytest.raises(InputError, match="exactly the input ifrs17"):
        val.prepare_run(database, ALICE, REPORTING, None, m_id, {"claims": ds.id})
    with pytest.raises(InputError, match="leave the scope empty"):
        val.prepare_run(database, ALICE, REPORTING, ["OGPO VTS"], m_id, {"ifrs17": ds.id})
    with pytest.raises(InputError, match="last reporting date"):
        val.prepare_run(database, ALICE, date(2025, 12, 31), None, m_id, {"ifrs17": ds.id})
    with pytest.raises(InputError, match="no other parameters"):
        meth.create(database, ALICE, "bad", "1", parameters={"engine": "ifrs17", "method": "mack"})

    run = val.prepare_run(database, ALICE, REPORTING, None, m_id, {"ifrs17": ds.id})
    assert run.status == "prepared" and run.engine == "ifrs17" and run.inputs == {"ifrs17": ds.id}
    rows = val.run_results(database, EVE, run.id)
    docs = val.run_documents(database, EVE, run.id)
    assert set(docs) == {"ifrs17-2025-12-31.json", "ifrs17-2026-12-31.json"}
    assert {r.quantity for r in rows} == set(LINES) and {r.origin for r in rows} == {"2025-12-31", "2026-12-31"}
    assert {r.method for r in rows} >= {"PAA", "GMM"} and len(rows) == len(LINES) * len({r.key[:3] for r in rows})
    assert run.results_sha256 == val.results_sha256(rows, docs) != val.results_sha256(rows)
    doc = json.loads(docs["ifrs17-2026-12-31.json"])
    assert doc["schema"] == "aktuar-ifrs17/1" and doc["tables"]
    gmm_csm = sum(r.value or 0.0 for r in rows if r.method == "GMM" and r.quantity == "csm"
                  and r.origin == "2026-12-31")
    assert gmm_csm > 0

    with pytest.raises(val.SeparationOfDuties):
        val.review(database, ALICE, run.id)
    val.review(database, BOB, run.id, comment="reconciliations checked")
    approved = val.approve(database, CAROL, run.id)
    assert (approved.status, approved.created_by, approved.reviewed_by, approved.approved_by) == (
        "approved", "alice", "bob", "carol")

    # immutable: ORM guard, and the database triggers against raw SQL
    with pytest.raises(val.ImmutableError), database.session() as s:
        d = s.get(RunDocument, (run.id, "ifrs17-2026-12-31.json"))
        d.content = "{}"
    with pytest.raises(val.ImmutableError), database.session() as s:
        s.execute(select(RunResult).where(RunResult.run_id == run.id)).scalars().first().value = 0.0
    for stmt in ("UPDATE run_documents SET content = '{}' WHERE run_id = :i",
                 "DELETE FROM run_documents WHERE run_id = :i", "UPDATE run_results SET value = 0 WHERE run_id = :i"):
        with pytest.raises(Exception, match="immutable"), database.session() as s:
            s.execute(text(stmt), {"i": run.id})
    with pytest.raises(Exception, match="only while it is running"), database.session() as s:
        s.execute(text("INSERT INTO run_documents (run_id, name, media_type, sha256, content) "
                       "VALUES (:i, 'x.json', 'application/json', 'x', '{}')"), {"i": run.id})

    rep = val.reproduce_run(database, EVE, run.id)
    assert rep.identical, rep.explanation
    assert val.verify_results(database, EVE, run.id)[0]

    out = val.export_run(database, EVE, run.id, tmp_path / "close.xlsx")
    with zipfile.ZipFile(out.path) as zf:  # an XLSX with the disclosure sheets
        assert any(n.startswith("xl/worksheets/") for n in zf.namelist())
    assert val.export_run(database, EVE, run.id, tmp_path / "close.csv").rows == len(rows)
    cmp = val.compare_runs(database, EVE, run.id, run.id, quantities=["csm"])
    assert cmp.rows and all(r.difference == 0 for r in cmp.rows)


@pytest.mark.req("KZ84-AUTO")
def test_changed_document_is_detected(database, close_folder) -> None:  # type: ignore[no-untyped-def]
    """A document changed behind the platform's back (before approval, when no trigger forbids deleting)."""
    m_id = _ifrs17_methodology(database)
    ds = val.import_dataset(database, ALICE, close_folder, "ifrs17")
    run = val.prepare_run(database, ALICE, REPORTING, None, m_id, {"ifrs17": ds.id})
    with database.session() as s:
        s.execute(text("DELETE FROM run_documents WHERE run_id = :i AND name = 'ifrs17-2025-12-31.json'"),
                  {"i": run.id})
    ok, why = val.verify_results(database, EVE, run.id)
    assert not ok and "changed" in why
    with pytest.raises(val.IntegrityFailure):
        val.review(database, BOB, run.id)
