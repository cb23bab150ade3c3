"""A governed statutory close run in the browser (issue 6, KZ191-OP): its run page shows the reserves by class
and the solvency margin ratio from the run's stored results."""

from __future__ import annotations

import pytest


@pytest.mark.req("KZ191-OP")
def test_statutory_run_page_shows_reserves_by_class_and_the_ratio(web, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A governed statutory run on its run page: the insurance reserves gross, reinsurer's share and net by class
    (item 9(1)) and the solvency margin ratio, from the run's stored results."""
    from datetime import date

    from aktuar.demo.statutory_inputs import write_demo_statutory_inputs
    from aktuar.security.context import Actor
    from aktuar.services import methodology as meth
    from aktuar.services import valuation as val

    alice = Actor("alice", frozenset({"actuary"}), user_id=901, source="test")
    carol = Actor("carol", frozenset({"chief_actuary"}), user_id=902, source="test")
    folder = tmp_path / "statutory"
    write_demo_statutory_inputs(folder, seed=11, scale=0.1)
    m = meth.create(web.db, alice, "Statutory close", "2026.1", parameters={"engine": "statutory"})
    meth.submit(web.db, carol, m.id, date(2026, 1, 10))
    meth.coordinate(web.db, carol, m.id, date(2026, 2, 1), "ARDFM 1")
    ds = val.import_dataset(web.db, alice, folder, "statutory")
    run = val.prepare_run(web.db, alice, date(2026, 12, 31), None, m.id, {"statutory": ds.id})
    rows = {(r.segment, r.quantity): r.value for r in val.run_results(web.db, alice, run.id)}
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, p)
    page = c.get(f"/runs/{run.id}")
    assert page.status_code == 200
    assert 'id="run-statutory"' in page.text and 'id="run-solvency"' in page.text
    gross = rows[("Total", "total_gross")]
    assert f"{gross:,.0f}".replace(",", "\u00a0") in page.text or f"{gross:,.0f}".replace(",", "\u202f") in page.text
