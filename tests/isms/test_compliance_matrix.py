"""Compliance catalogs (NB 164, SECP, NIST CSF 2.0 mapping) and the traceability matrix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from isms_support import AUDITOR, OFFICER, T0
from typer.testing import CliRunner

from aktuar.compliance import gen_requirements
from aktuar.security import rbac
from aktuar.services import compliance, isms

SHARED = Path(__file__).resolve().parents[3] / "shared" / "REQUIREMENTS.md"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/REQUIREMENTS.md is not beside the repository")
def test_packaged_requirement_ids_match_requirements_md() -> None:
    """The packaged list (requirements.yaml) is regenerated whenever REQUIREMENTS.md changes."""
    rows = gen_requirements.parse(SHARED.read_text(encoding="utf-8"))
    assert [r.id for r in compliance.requirements()] == [r["id"] for r in rows]
    assert gen_requirements.render(rows) == compliance.REQUIREMENTS_FILE.read_text(encoding="utf-8")


@pytest.mark.req("SECP-CSF")
def test_catalogs_map_to_nist_csf_2() -> None:
    cs = compliance.catalog()
    ids = {c.id for c in cs}
    assert {"NB164-40", "NB164-43", "NB164-50", "SECP-REP-1", "SECP-TEST-1"} <= ids
    ref = compliance.nist_ref("RS.AN-03")
    assert (ref.function, ref.function_title, ref.category_title) == ("RS", "Respond", "Incident Analysis")
    cov = compliance.nist_coverage(cs)
    assert set(cov) <= set(compliance.nist()["subcategories"])
    assert all(c.nist for c in cs)  # every control is mapped
    # every KZ164 and SECP requirement is covered by a control
    covered = {c.requirement for c in cs}
    wanted = {r.id for r in compliance.requirements() if r.group in ("KZ164", "SECP")}
    assert wanted - covered == set()


def test_static_scan_of_req_markers_and_matrix(tmp_path) -> None:
    t = tmp_path / "tests" / "x"
    t.mkdir(parents=True)
    (t / "test_a.py").write_text(
        'import pytest\npytestmark = pytest.mark.req("KZ164-62")\n\n'
        '@pytest.mark.req("KZ164-30")\n@pytest.mark.req("KZ164-31")\ndef test_one():\n    pass\n\n'
        'class TestGroup:\n    @pytest.mark.req("KZ84-CSM")\n    def test_two(self):\n        pass\n'
        'def helper():\n    pytest.mark.req("NOPE-1")\n')
    marks = compliance.scan_req_markers(tmp_path / "tests")
    assert marks["KZ164-30"] == ["tests/x/test_a.py::test_one"]
    assert marks["KZ84-CSM"] == ["tests/x/test_a.py::TestGroup::test_two"]
    assert len(marks["KZ164-62"]) == 2 and "NOPE-1" not in marks
    rows = {r.id: r for r in compliance.matrix(tmp_path / "tests")}
    assert rows["KZ164-30"].status == "tested" and rows["KZ164-06"].status == "implemented"
    assert set(rows) == {r.id for r in compliance.requirements()}


def test_repository_markers_are_known_requirement_ids() -> None:
    tests_dir = Path(__file__).resolve().parents[1]
    assert compliance.unknown_marker_ids(tests_dir) == []


def test_matrix_markdown_and_xlsx_via_cli(tmp_path) -> None:
    from aktuar.cli import app

    md, xl = tmp_path / "m.md", tmp_path / "m.xlsx"
    tests_dir = str(Path(__file__).resolve().parents[1])
    r = CliRunner().invoke(app, ["compliance", "matrix", "--out", str(md), "--tests", tests_dir])
    assert r.exit_code == 0, r.output
    text = md.read_text(encoding="utf-8")
    assert "| KZ164-40 |" in text and "test_isms_incidents.py" in text
    r = CliRunner().invoke(app, ["compliance", "matrix", "--out", str(xl), "--tests", tests_dir])
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(xl)["matrix"]
    ids = [ws.cell(i, 1).value for i in range(2, ws.max_row + 1)]
    assert ids == [x.id for x in compliance.requirements()]
    r = CliRunner().invoke(app, ["compliance", "matrix", "--out", str(tmp_path / "m.pdf")])
    assert r.exit_code == 2


@pytest.mark.req("SECP-GOV")
def test_ciso_separate_from_it_and_live_gaps(database) -> None:
    """SECP: the head of IT is not the CISO; the controls show live gaps from the registers."""
    assert rbac.role_conflicts({"it_admin", "is_officer"})
    isms.register_document(database, OFFICER, code="POL-IS", title="IS policy", kind="policy",
                           approval_body="management_body", approved_on=date(2023, 1, 10), version="1",
                           revision_months=12, owner="CISO", now=T0)
    cs = {c.id: c for c in compliance.controls(database, AUDITOR, today=date(2026, 3, 2))}
    assert cs["NB164-08"].evidence_counts["document:policy"] == 1
    assert any("overdue" in g for g in cs["NB164-08"].live_gaps)
    assert "the incidents register is empty" in cs["NB164-40"].live_gaps
