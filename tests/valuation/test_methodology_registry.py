"""Methodology registry (KZ84-METH): versions, documents, parameters, statuses with dates, immutability."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import select, text
from valuation_helpers import ALICE, BOB, CAROL, DAVE, EVE, MACK, audit_rows, coordinated

from aktuar.errors import InputError
from aktuar.security.rbac import PermissionDenied
from aktuar.services import methodology as meth
from aktuar.store.models import Methodology


@pytest.mark.req("KZ84-METH")
def test_lifecycle_with_dates_document_and_supersession(database, tmp_path) -> None:
    doc = tmp_path / "Методика IBNR 2026.pdf"
    doc.write_bytes(b"%PDF-1.7 methodology text")
    v1 = meth.create(database, ALICE, "IBNR", "2025.1", parameters={"method": "mack", "tail": "none"},
                     description="first version", document=doc)
    assert v1.status == "draft" and v1.parameters == {"default": {"method": "mack", "tail": "none"}, "classes": {}}
    assert v1.document_sha256 == hashlib.sha256(doc.read_bytes()).hexdigest()
    assert v1.document_path is not None and v1.document_path.read_bytes() == doc.read_bytes()
    assert v1.parameters_sha256 == hashlib.sha256(meth.canonical(v1.parameters).encode()).hexdigest()

    v1 = meth.submit(database, CAROL, v1.id, date(2025, 3, 1))
    assert (v1.status, v1.submitted_at) == ("submitted", date(2025, 3, 1))
    v1 = meth.coordinate(database, CAROL, "IBNR@2025.1", date(2025, 4, 15), "ARDFM No. 12-3/456")
    assert (v1.status, v1.coordinated_at, v1.regulator_reference) == ("coordinated", date(2025, 4, 15),
                                                                      "ARDFM No. 12-3/456")
    v2 = meth.create(database, BOB, "IBNR", "2026.1", parameters={"default": {"method": "mack"},
                                                                   "classes": {"OSNS": {"method": "chainladder"}}})
    meth.submit(database, DAVE, v2.id, date(2026, 2, 1))
    # the regulator returns it with remarks, then coordinates the corrected submission
    assert meth.return_to_draft(database, DAVE, v2.id, "clarify the tail").status == "draft"
    meth.update_draft(database, BOB, v2.id, description="tail clarified")
    meth.submit(database, DAVE, v2.id, date(2026, 3, 1))
    v2 = meth.coordinate(database, DAVE, v2.id, date(2026, 4, 1), "ARDFM No. 12-3/999")
    v1 = meth.get(database, EVE, v1.id)
    assert (v1.status, v1.superseded_at) == ("superseded", date(2026, 4, 1))
    assert [(m.version, m.status) for m in meth.list_methodologies(database, EVE, "IBNR")] == [
        ("2025.1", "superseded"), ("2026.1", "coordinated")]
    actions = [(e.action, e.object) for e in audit_rows(database) if e.action.startswith("methodology.")]
    assert ("methodology.supersede", "methodology:IBNR@2025.1") in actions
    assert [a for a, _ in actions].count("methodology.coordinate") == 2
    coord = [e for e in audit_rows(database, "methodology.coordinate")][-1]
    assert json.loads(coord.details)["regulator_reference"] == "ARDFM No. 12-3/999"


@pytest.mark.req("KZ84-METH")
def test_transitions_are_validated(database) -> None:
    m = meth.create(database, ALICE, "IBNR", "1", parameters=MACK)
    with pytest.raises(meth.WorkflowError, match="draft: it cannot become coordinated"):
        meth.coordinate(database, CAROL, m.id, date(2026, 1, 1), "ref")
    meth.submit(database, CAROL, m.id, date(2026, 2, 1))
    with pytest.raises(meth.WorkflowError):
        meth.submit(database, CAROL, m.id, date(2026, 2, 2))
    with pytest.raises(InputError, match="before the submission date"):
        meth.coordinate(database, CAROL, m.id, date(2026, 1, 1), "ref")
    with pytest.raises(InputError, match="reference must not be empty"):
        meth.coordinate(database, CAROL, m.id, date(2026, 3, 1), "  ")
    meth.coordinate(database, CAROL, m.id, date(2026, 3, 1), "ref")
    with pytest.raises(meth.WorkflowError, match="coordinated: it cannot become submitted"):
        meth.submit(database, CAROL, m.id, date(2026, 3, 2))
    with pytest.raises(InputError, match="already exists"):
        meth.create(database, ALICE, "IBNR", "1", parameters=MACK)
    failures = [e for e in audit_rows(database) if e.outcome == "failure"]
    assert len(failures) == 5 and {e.category for e in failures} == {"business"}


@pytest.mark.req("KZ84-METH")
@pytest.mark.parametrize("params, message", [
    ({"method": "magic"}, "unknown method 'magic'"),
    ({"method": "mack", "colour": "red"}, "unknown option"),
    ({"default": {"method": "mack"}, "classes": {"OSNS": {"average": "median"}}}, "class 'OSNS'.*unknown average"),
    ({"method": "bootstrap", "sims": 100}, "needs a seed"),
    ({"method": "mack", "exclusions": [{"origin": "2020", "age": 12, "reason": ""}]}, "needs a reason"),
])
def test_parameters_validated_by_the_core(database, params, message) -> None:
    with pytest.raises(InputError, match=message):
        meth.create(database, ALICE, "IBNR", "1", parameters=params)
    with database.session() as s:
        assert s.execute(select(Methodology)).first() is None
    assert [e.outcome for e in audit_rows(database, "methodology.create")] == ["failure"]


@pytest.mark.req("KZ84-METH")
@pytest.mark.req("KZ164-22")
def test_only_the_chief_actuary_changes_status(database) -> None:
    m = meth.create(database, ALICE, "IBNR", "1", parameters=MACK)
    for actor in (ALICE, EVE):
        with pytest.raises(PermissionDenied):
            meth.submit(database, actor, m.id, date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        meth.create(database, EVE, "IBNR", "2", parameters=MACK)  # the internal auditor changes nothing
    assert meth.get(database, EVE, m.id).status == "draft"
    denied = [e for e in audit_rows(database) if e.outcome == "failure"]
    assert [(e.actor, e.action) for e in denied] == [("alice", "methodology.submit"), ("eve", "methodology.submit"),
                                                     ("eve", "methodology.create")]


@pytest.mark.req("KZ84-METH")
def test_coordinated_methodology_is_immutable(database) -> None:
    m = coordinated(database)
    with pytest.raises(meth.ImmutableError, match="only a draft can be changed"):
        meth.update_draft(database, ALICE, m.id, parameters={"method": "chainladder"})
    # an attacker going around the service through the ORM is refused as well
    with pytest.raises(meth.ImmutableError), database.session() as s:
        row = s.get(Methodology, m.id)
        row.parameters = json.dumps({"default": {"method": "chainladder"}})
    with pytest.raises(meth.ImmutableError), database.session() as s:
        s.delete(s.get(Methodology, m.id))
    got = meth.get(database, EVE, m.id)
    assert got.parameters == {"default": {"method": "mack"}, "classes": {}} and got.status == "coordinated"


@pytest.mark.req("KZ164-69")
def test_injection_in_text_fields_is_stored_verbatim(database) -> None:
    evil = "x'); DROP TABLE runs; --"
    m = meth.create(database, ALICE, evil, "1'; DELETE FROM x; --", parameters=MACK,
                    description="<script>alert(1)</script> ' OR 1=1 --")
    got = meth.get(database, EVE, f"{evil}@1'; DELETE FROM x; --")
    assert got.id == m.id and got.description.startswith("<script>")
    with database.session() as s:
        assert s.execute(text("SELECT count(*) FROM runs")).scalar_one() == 0  # the table is still there
    with pytest.raises(InputError, match="control characters"):
        meth.create(database, ALICE, "IBNR\x00", "1", parameters=MACK)
