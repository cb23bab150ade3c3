"""The IFRS 17 page on the insurer's own IFRS 17 runs (KZ84-AUTO): the runs listed, the selected run's balances,
reconciliations and CSM chart from its stored results; the IFRS 17 workbook downloaded; role-checked."""

from __future__ import annotations

from datetime import date

import pytest

from aktuar.security.context import Actor
from aktuar.services import methodology as meth
from aktuar.services import valuation as val

ALICE = Actor("alice", frozenset({"actuary"}), user_id=901, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=902, source="test")


@pytest.mark.req("KZ84-AUTO")
def test_ifrs17_page_shows_the_users_ifrs17_run(web, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs

    folder = tmp_path / "close"
    write_demo_close_inputs(folder, seed=2026, scale=0.05)
    m = meth.create(web.db, ALICE, "IFRS 17", "1", parameters={"engine": "ifrs17"})
    meth.submit(web.db, CAROL, m.id, date(2026, 1, 10))
    meth.coordinate(web.db, CAROL, m.id, date(2026, 2, 1), "ARDFM 1")
    ds = val.import_dataset(web.db, ALICE, folder, "ifrs17")
    run = val.prepare_run(web.db, ALICE, date(2026, 12, 31), None, m.id, {"ifrs17": ds.id})

    rm = web.person("r.risk", ["risk_manager"])
    c = web.client()
    web.login(c, rm)
    r = c.get("/ifrs17")
    assert r.status_code == 200, r.text[:300]
    html = r.text
    assert 'id="ifrs17-runs"' in html and f'href="/ifrs17?run={run.id}"' in html and 'id="ifrs17-run"' in html
    assert 'id="ifrs17-balances"' in html and 'id="balances-chart"' in html and 'id="runoff-chart"' in html
    assert "ifrs17-table" in html and "Annuities" in html
    r = c.get(f"/ifrs17?run={run.id}&date=2025-12-31")
    assert r.status_code == 200 and 'value="2025-12-31" selected' in r.text
    assert c.get("/ifrs17?run=999999").status_code == 404
    x = c.get(f"/runs/{run.id}/download.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK" and "ifrs17" in x.headers["content-disposition"]
    co = web.client()
    web.login(co, web.officer)  # no report.read
    assert co.get("/ifrs17").status_code == 403
