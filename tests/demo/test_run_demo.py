"""``aktuar demo`` end to end: the files it writes, their contents, and its reproducibility.

The fast tests use a smaller insurer (a quarter of the claims, 200 bootstrap simulations); one test runs the
command itself at full size, as the README tells a user to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.demo import CLASSES, TRANSACTION_COLUMNS
from aktuar.errors import InputError
from aktuar.services.demo import INPUT_FILES, OUTPUT_FILES, DemoResult, method_unpaid, run_demo

SUMMARY_KEYS = {"class", "latest", "ultimate", "ibnr", "se", "q995"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, Path]:
    folder = tmp_path_factory.mktemp("demo") / "out"  # a folder that does not exist yet
    steps: list[tuple[str, int, int]] = []
    result = run_demo(folder, seed=7, scale=0.25, sims=200, progress=lambda s, d, t: steps.append((s, d, t)))
    assert steps[0] == ("synthetic insurer", 0, steps[0][2])
    assert steps[-1][1] == steps[-1][2]  # done = total at the end
    assert [d for _, d, _ in steps] == sorted(d for _, d, _ in steps)
    return result, folder


def test_writes_the_inputs_and_outputs(small: tuple[DemoResult, Path]) -> None:
    result, folder = small
    for key, name in {**INPUT_FILES, **OUTPUT_FILES}.items():
        assert result.files[key] == folder / name
        assert (folder / name).stat().st_size > 0, name
    header = (folder / "claims_transactions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(TRANSACTION_COLUMNS)
    assert not list(folder.glob(".*"))  # no temporary file left behind


@pytest.mark.req("KZ84-AUTO")
def test_the_demo_closes_ifrs17_for_two_year_ends(small: tuple[DemoResult, Path]) -> None:
    result, folder = small
    close = result.ifrs17
    assert close is not None
    results = folder / "ifrs17" / "results"
    for name in ("ifrs17-2025-12-31.xlsx", "ifrs17-2026-12-31.json", "summary.html", "group-register.csv"):
        assert (results / name).stat().st_size > 0, name
    approaches = {(r["portfolio"], r["approach"]) for r in close.summary}
    assert ("OGPO VTS", "PAA") in approaches and ("Annuities", "GMM") in approaches
    assert any(a == "PAA held" for _, a in approaches)


def test_summary_rows(small: tuple[DemoResult, Path]) -> None:
    result, _ = small
    assert [row["class"] for row in result.summary] == [c.code for c in CLASSES]
    for row in result.summary:
        assert SUMMARY_KEYS <= set(row)
        assert row["ultimate"] == pytest.approx(row["latest"] + row["ibnr"], rel=1e-12)
        assert row["ibnr"] > 0 and row["se"] > 0
        assert row["q995"] > row["ibnr"]
        assert row["pure_ibnr"] == pytest.approx(row["ibnr"] - row["case_reserves"])
        assert row["ulae_reserve"] > 0
        assert 0 < row["cdr_se"] <= row["se"] * (1 + 1e-9)  # one-year ≤ ultimo (Merz & Wüthrich 2008)
    osns = next(r for r in result.classes if r.spec.code == "OSNS")
    assert osns.selection.basis == "incurred"
    assert osns.mack.triangle.measure == "incurred"


def test_methods_agree_roughly(small: tuple[DemoResult, Path]) -> None:
    result, _ = small
    for run in result.classes:
        m = method_unpaid(run)
        # the chain ladder on paid claims, its bootstrap mean and the Mack reserve of a paid basis
        assert float(m["bootstrap"].sum()) == pytest.approx(float(m["cl_paid"].sum()), rel=0.1)
        if run.selection.basis == "paid":
            np.testing.assert_allclose(run.unpaid, m["cl_paid"], rtol=1e-12, atol=1e-6)
        for key, values in m.items():
            assert values.shape == (10,), key
            assert np.isfinite(values).all(), key
        # cash flows spread exactly the selected reserve
        assert float(run.cash_flows.total.sum()) == pytest.approx(float(run.unpaid.sum()), rel=1e-9)


def test_workbook(small: tuple[DemoResult, Path]) -> None:
    _, folder = small
    wb = openpyxl.load_workbook(folder / "reserves.xlsx", read_only=True)
    names = wb.sheetnames
    for sheet in ("Summary", "Results", "Overview", "Methods", "Bootstrap", "Cash flows", "Large losses",
                  "Large claims", "ULAE", "About", *[c.code for c in CLASSES]):
        assert sheet in names, sheet
    methods = [row for row in wb["Methods"].iter_rows(min_row=4, values_only=True) if row[0] and row[1]]
    assert len(methods) == len(CLASSES) * 11  # 10 accident years and the total per class
    overview = {row[0]: row for row in wb["Overview"].iter_rows(min_row=4, values_only=True) if row[0] and row[1]}
    assert set(overview) == {c.code for c in CLASSES}
    wb.close()


def test_json(small: tuple[DemoResult, Path]) -> None:
    result, folder = small
    doc = json.loads((folder / "reserves.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "aktuar-reserve/1"
    assert doc["method"] == "mack"
    assert doc["valuation"] == "2025-12-31"
    assert [s["label"] for s in doc["segments"]] == [c.code for c in CLASSES]
    assert {s["measure"] for s in doc["segments"]} == {"paid", "incurred"}
    assert doc["options"]["basis_by_class"]["OSNS"] == "incurred"
    assert set(doc["input"]) == set(INPUT_FILES)
    for seg, run in zip(doc["segments"], result.classes, strict=True):
        assert seg["total"]["ultimate"] == pytest.approx(float(run.mack.ultimate.sum()))


def test_html(small: tuple[DemoResult, Path]) -> None:
    _, folder = small
    page = (folder / "summary.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for heading in ("Резервы убытков", "Claims reserves", "Сравнение методов", "Comparison of methods",
                    "Бутстрэп ODP", "Паттерн выплат", "Крупные убытки", "Предупреждения",
                    "Расходы на урегулирование убытков"):
        assert heading in page, heading
    for anchor in ("summary", "methods", "ulae", "data", "cls-ogpo-vts", "cls-property", "cls-osns", "cls-dms"):
        assert f'id="{anchor}"' in page, anchor
    assert page.count("<svg") >= 1 + 5 * len(CLASSES)
    assert "\u2009" in page  # thin-space thousands
    # self-contained: no scripts, style sheets or images from elsewhere
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_same_seed_same_files(tmp_path: Path, small: tuple[DemoResult, Path]) -> None:
    result, folder = small
    again = run_demo(tmp_path / "again", seed=7, scale=0.25, sims=200)
    assert again.summary == result.summary
    for name in ("claims_transactions.csv", "premiums.csv", "exposure.csv", "ulae.csv", "summary.html",
                 "reserves.json"):
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        run_demo(target, seed=1, scale=0.1, sims=10)


def test_command_line_full_size(tmp_path: Path) -> None:
    """The README's command: the default insurer (about 100 000 transactions) and 1 000 simulations."""
    folder = tmp_path / "demo-output"
    res = CliRunner().invoke(app, ["demo", "--folder", str(folder), "--seed", "2026"])
    assert res.exit_code == 0, res.output
    for code in (c.code for c in CLASSES):
        assert code in res.output
    assert "Mack s.e." in res.output and "q99.5 %" in res.output
    for name in (*INPUT_FILES.values(), *OUTPUT_FILES.values()):
        assert (folder / name).exists(), name
    n_rows = sum(1 for _ in (folder / "claims_transactions.csv").open(encoding="utf-8")) - 1
    assert 50_000 <= n_rows <= 150_000


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ164-30")
def test_governed_run_prepared_reviewed_approved_and_audit_verified(small: tuple[DemoResult, Path]) -> None:
    """The demo's platform part: demo users logged in with password + TOTP, a coordinated methodology, a run
    prepared, reviewed and approved by three different people, reproduced bit for bit, the audit trail verified."""
    from aktuar.security import audit
    from aktuar.store.db import Database, Settings
    from aktuar.store.models import AuditEvent

    result, folder = small
    g = result.governed
    assert g is not None
    assert g.status == "approved" and g.reproduced and g.audit_ok
    assert g.ifrs17_run_id is not None and g.ifrs17_status == "approved" and g.ifrs17_reproduced  # KZ84-AUTO
    # the statutory close through the governed path, the mandatory opinion from the approved run (KZ191-OP)
    assert g.statutory_run_id is not None and g.statutory_status == "approved" and g.statutory_reproduced
    assert (folder / "statutory" / "governed-opinion" / "opinion-2026-12-31-ru.pdf").is_file()
    assert len({g.prepared_by, g.reviewed_by, g.approved_by}) == 3
    assert g.credentials_file.stat().st_mode & 0o077 == 0
    db = Database(Settings(data_dir=g.data_dir, database_url=f"sqlite:///{g.data_dir / 'aktuar.sqlite3'}"))
    try:
        with db.session() as s:
            assert audit.verify(s, data_dir=g.data_dir).ok
            actions = {e.action for e in s.query(AuditEvent)}
        assert {"db.upgrade", "user.bootstrap", "mfa.enroll", "login", "user.create", "methodology.coordinate",
                "dataset.import", "run.prepare", "run.review", "run.approve", "run.reproduce"} <= actions
    finally:
        db.dispose()


@pytest.mark.req("KZ84-DISC")
def test_present_value_of_the_reserve_at_the_demo_curve(small: tuple[DemoResult, Path]) -> None:
    """Each class's expected payments discounted at the demo KZT curve (Smith–Wilson to an 8 % UFR): below the
    undiscounted reserve (positive rates), and equal to discounting by hand at the curve's factors."""
    import numpy as np

    from aktuar.services.demo import demo_curve, present_value

    result, _ = small
    curve = demo_curve()
    for row, run in zip(result.summary, result.classes, strict=True):
        assert 0 < row["pv_unpaid"] < row["ibnr"]
        t = run.cash_flows.times * (run.cash_flows.period_months or 12) / 12
        by_hand = float(np.sum(run.cash_flows.total[0] / (1 + curve.spot(t)) ** t))
        assert present_value(run.cash_flows, curve) == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.req("KZ84-RA")
def test_risk_adjustment_from_the_bootstrap_distributions(small: tuple[DemoResult, Path]) -> None:
    """IFRS 17 RA at the demo's confidence level from each class's bootstrap simulations (B91–B92), diversified
    across classes (B88): below the simple sum, allocation adds up, each stand-alone RA = quantile − mean."""
    import numpy as np

    from aktuar.services.demo import DEMO_RA_CONFIDENCE

    result, _ = small
    ra = result.risk_adjustment
    assert ra is not None
    assert 0 < ra.total < ra.undiversified
    assert sum(r["ra75_diversified"] for r in result.summary) == pytest.approx(ra.total, rel=1e-12)
    for row, run in zip(result.summary, result.classes, strict=True):
        sims = run.bootstrap.components["total_ibnr_sims"][0] * run.bootstrap_scale
        assert row["ra75"] == pytest.approx(np.quantile(sims, DEMO_RA_CONFIDENCE) - sims.mean(), rel=1e-9)
        assert row["ra75"] > 0
