"""The IFRS 17 close end to end (`aktuar ifrs17 measure CONFIG --out DIR`) on the demo insurer's inputs:
PAA portfolios with groups, LRC, loss component and LIC from reserving, reinsurance held, disclosure tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.demo.ifrs17_inputs import REPORTING_DATES, write_demo_close_inputs
from aktuar.errors import InputError
from aktuar.services.ifrs17 import CloseRun, portfolio_paa_result, run_close


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("close")
    write_demo_close_inputs(folder, seed=11, scale=0.3)
    return folder


@pytest.fixture(scope="module")
def close(inputs: Path) -> CloseRun:
    return run_close(inputs / "ifrs17.toml", inputs / "results")


@pytest.mark.req("KZ84-LRC")
@pytest.mark.req("KZ84-LIC")
def test_command_line_writes_every_result(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["ifrs17", "measure", str(inputs / "ifrs17.toml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    for d in REPORTING_DATES:
        assert {f"ifrs17-{d.isoformat()}.json", f"ifrs17-{d.isoformat()}.xlsx"} <= names
    assert {"balances.csv", "group-register.csv"} <= names
    doc = json.loads((out / f"ifrs17-{REPORTING_DATES[-1].isoformat()}.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "aktuar-ifrs17/1" and doc["currency"] == "KZT"
    keys = {t["key"] for t in doc["tables"]}
    assert {"100-paa", "106", "119", "130", "130-reconciliation", "100-reinsurance"} <= keys
    assert all(len(v["sha256"]) == 64 for v in doc["input"].values())


@pytest.mark.req("KZ84-LRC")
def test_periods_chain_and_reconcile(close: CloseRun) -> None:
    """The closing balances of the first year are the opening balances of the second (para 100)."""
    first, second = (close.documents[d.isoformat()] for d in REPORTING_DATES)
    for name in ("OGPO VTS", "total"):
        t1 = next(t for t in first["tables"] if t["key"] == "100-paa" and t["group"] == name)
        t2 = next(t for t in second["tables"] if t["key"] == "100-paa" and t["group"] == name)
        np.testing.assert_allclose(_matrix(t1)[-1], _matrix(t2)[0], rtol=1e-12)
        v = _matrix(t2)
        np.testing.assert_allclose(v[:-1].sum(axis=0), v[-1], rtol=1e-9)


def _matrix(table: dict) -> np.ndarray:
    cols = [c["key"] for c in table["columns"]]
    return np.array([[r["values"][c] for c in cols] for r in table["rows"]], dtype=float)


@pytest.mark.req("KZ84-AGG")
def test_groups_are_cohorts_by_profitability_and_fixed(close: CloseRun, inputs: Path, tmp_path: Path) -> None:
    dms = next(p for p in close.result.paa if p.name == "DMS")
    ids = {g.group_id: g for g in dms.groups}
    assert ids["DMS-2026-ONEROUS"].profitability == "onerous"  # the 2026 cohort is priced at a 96 % loss ratio
    assert "para 16" in ids["DMS-2026-ONEROUS"].test or "para 18" in ids["DMS-2026-ONEROUS"].test
    res = portfolio_paa_result(dms)
    assert res.loss_component[-1] > 0 and res.loss_component[0] == 0
    # a second close with the register keeps every group (para 24) ...
    folder = tmp_path / "again"
    shutil.copytree(inputs, folder, ignore=shutil.ignore_patterns("results"))
    shutil.copy(inputs / "results" / "group-register.csv", folder / "register.csv")
    cfg = folder / "ifrs17.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("[curves]", 'group_register = "register.csv"\n\n[curves]'),
                   encoding="utf-8")
    again = run_close(cfg, folder / "out")
    assert (folder / "out" / "group-register.csv").read_text() == (inputs / "results" / "group-register.csv").read_text()
    assert again.summary == close.summary
    # ... and a register that puts a contract elsewhere is refused
    text = (folder / "register.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(text) if "DMS-2026-ONEROUS" in line)
    text[row] = text[row].replace("DMS-2026-ONEROUS", "DMS-2026-REMAINING").replace(",onerous,", ",remaining,")
    (folder / "register.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    kept = run_close(cfg, folder / "out2")  # the register decides: the contract stays where it was registered
    gids = dict(zip(kept.result.paa[3].aggregation.contract_id, kept.result.paa[3].aggregation.group_id,
                    strict=True))
    assert gids[text[row].split(",")[0]] == "DMS-2026-REMAINING"


@pytest.mark.req("KZ84-RE")
def test_reinsurance_held_follows_the_underlying(close: CloseRun) -> None:
    r = close.result.reinsurance[0]
    prop = next(p for p in close.result.paa if p.name == r.spec.portfolio)
    res = portfolio_paa_result(prop)
    x = r.result
    np.testing.assert_allclose(x.premium_allocation, r.spec.share * (1 - r.spec.ceding_commission)
                               * res.insurance_revenue)
    np.testing.assert_allclose(x.aic_gross, r.spec.share * prop.lic_closing)
    assert np.all(x.non_performance > 0)


@pytest.mark.req("KZ84-DISC")
def test_oci_option_splits_finance_expense(close: CloseRun) -> None:
    for p in close.result.paa:
        np.testing.assert_allclose(p.lic_finance_pl + p.lic_finance_oci, p.lic.finance_expense)
        assert np.all(p.lic_finance_pl > 0)  # interest accreted on a positive PV


@pytest.mark.req("KZ84-DISC")
def test_zero_curve_gives_undiscounted_lic(inputs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    shutil.copytree(inputs, folder, ignore=shutil.ignore_patterns("results"))
    lines = (folder / "curves.csv").read_text(encoding="utf-8").splitlines()
    (folder / "curves.csv").write_text("\n".join([lines[0]] + [",".join(x.split(",")[:2] + ["0.0"]) for x in lines[1:]])
                                       + "\n", encoding="utf-8")
    cfg = folder / "ifrs17.toml"
    text = cfg.read_text(encoding="utf-8").replace("ufr = 0.08", "ufr = 0.0").replace("illiquidity_premium = 0.005",
                                                                                      "illiquidity_premium = 0.0")
    cfg.write_text(text, encoding="utf-8")
    flat = run_close(cfg, folder / "out")
    for p in flat.result.paa:
        for q in p.lic_points:
            assert q.pv == pytest.approx(q.undiscounted, rel=1e-9)
        np.testing.assert_allclose(p.lic.finance_expense, 0.0, atol=1e-3)


def test_bad_input_writes_nothing(inputs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(inputs, folder, ignore=shutil.ignore_patterns("results"))
    lines = (folder / "contracts.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[6] = "abc"  # the premium of the fifth contract
    lines[5] = ",".join(cells)
    (folder / "contracts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "out"
    res = CliRunner().invoke(app, ["ifrs17", "measure", str(folder / "ifrs17.toml"), "--out", str(out)])
    assert res.exit_code == 2
    assert "contracts.csv, row 6, column 'premium'" in res.output
    assert not out.exists()
    with pytest.raises(InputError, match="row 6"):
        run_close(folder / "ifrs17.toml", out)


@pytest.mark.req("KZ84-CSM")
def test_life_and_annuity_groups_under_the_gmm(close: CloseRun) -> None:
    """Life cohorts measured from initial recognition with the projection; the 2026 annuity cohort is sold below
    cost (onerous, para 47) and the 31.12.2026 longevity study (mortality × 0.9) is a change in estimates that
    exhausts the CSM of the older annuity groups and makes them onerous (para 44(c), 48)."""
    life = {p.name: p for p in close.result.gmm}
    assert set(life) == {"Term life", "Annuities"}
    ann = {g.info.group_id: g for g in life["Annuities"].groups}
    assert ann["Annuities-2026-ONEROUS"].info.profitability == "onerous"
    assert ann["Annuities-2026-ONEROUS"].result.initial.loss > 0
    for g in [*life["Term life"].groups, *life["Annuities"].groups]:
        for period in g.result.periods:
            assert period.aoc.get("closing", "csm") >= -1e-6
    rows = {(r["date"], r["portfolio"]): r for r in close.summary}
    first, second = (d.isoformat() for d in REPORTING_DATES)
    assert rows[(second, "Annuities")]["loss_component"] > rows[(first, "Annuities")]["loss_component"]
    assert rows[(second, "Annuities")]["csm"] < rows[(first, "Annuities")]["csm"]
    doc = close.documents[second]
    keys = {(t["key"], t["group"]) for t in doc["tables"]}
    for key in ("100", "101", "106", "109"):
        assert (key, "Annuities") in keys and (key, "Term life") in keys


@pytest.mark.req("KZ84-DISC")
def test_life_oci_option_accumulates_the_rate_effect(close: CloseRun) -> None:
    """FCF at current rates, CSM at locked-in rates: the difference of the two PVs is the accumulated OCI of
    each group (para 88(b), B131), and finance expense in P&L plus OCI is the total finance expense."""
    for life in close.result.gmm:
        for g in life.groups:
            for p in g.result.periods:
                pl_ = p.profit_or_loss
                assert pl_.insurance_finance_expenses == pytest.approx(
                    pl_.insurance_finance_expenses_pl + pl_.insurance_finance_expenses_oci, abs=1e-6)
                pv_current = p.aoc.get("closing", "pv_future_cash_flows")
                assert p.accumulated_oci == pytest.approx(p.pv_future_cash_flows_locked_in - pv_current,
                                                          rel=1e-9, abs=1e-3)
    assert any(r["oci"] != 0 for r in close.summary if r["approach"] == "GMM")


def test_summary_page_is_self_contained_with_charts(close: CloseRun) -> None:
    import re

    page = close.files["summary"].read_text(encoding="utf-8")
    assert page.count("<svg") >= 3  # balances, CSM roll-forward, CSM run-off
    assert "CSM run-off" in page and "Term life" in page and "Annuities-2026-ONEROUS" in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


@pytest.mark.req("KZ84-CSM")
def test_actual_cash_flows_give_experience_adjustments(close: CloseRun, inputs: Path, tmp_path: Path) -> None:
    """Claims paid in 2026 above expectation are an experience adjustment of current service (B97(c)): the
    insurance service result falls by the excess, the CSM does not move; an unknown group is refused by row."""
    term = next(p for p in close.result.gmm if p.name == "Term life")
    g = next(x for x in term.groups if x.info.cohort == 2024)
    p = REPORTING_DATES[-1].year - 2024 + 1
    assert g.inputs is not None
    expected_claims = float(np.asarray(g.inputs.expected.claims)[p - 1])
    folder = tmp_path / "actuals"
    shutil.copytree(inputs, folder, ignore=shutil.ignore_patterns("results"))
    (folder / "actuals.csv").write_text(
        f"group_id,period_end,claims\n{g.info.group_id},{REPORTING_DATES[-1].isoformat()},{expected_claims + 1e6}\n",
        encoding="utf-8")
    cfg = folder / "ifrs17.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('model_points = "life_term.csv"',
                                                           'model_points = "life_term.csv"\nactuals = "actuals.csv"'),
                   encoding="utf-8")
    again = run_close(cfg, folder / "out")
    g2 = next(x for x in next(p_ for p_ in again.result.gmm if p_.name == "Term life").groups
              if x.info.group_id == g.info.group_id)
    before, after = g.result.periods[p - 1], g2.result.periods[p - 1]
    assert after.profit_or_loss.experience_adjustments == pytest.approx(
        before.profit_or_loss.experience_adjustments + 1e6)
    assert after.profit_or_loss.insurance_service_result == pytest.approx(
        before.profit_or_loss.insurance_service_result - 1e6)
    assert after.aoc.get("closing", "csm") == pytest.approx(before.aoc.get("closing", "csm"))
    (folder / "actuals.csv").write_text("group_id,period_end,claims\nNO-SUCH-GROUP,2026-12-31,5\n", encoding="utf-8")
    with pytest.raises(InputError, match="no group 'NO-SUCH-GROUP'") as info:
        run_close(cfg, folder / "out2")
    assert info.value.row == 2


@pytest.mark.req("KZ84-DISC")
def test_sensitivity_to_reasonably_possible_changes(close: CloseRun) -> None:
    """Para 128(a): each scenario of the configuration re-measured at the last date. Lower rates raise the
    liabilities (an OCI loss under the OCI option); higher non-life claims cost profit; without cash flows the
    change in equity is minus the change in the net liabilities."""
    doc = close.documents[REPORTING_DATES[-1].isoformat()]
    table = next(t for t in doc["tables"] if t["key"] == "128")
    eff = {r["key"]: r["values"] for r in table["rows"]}
    assert set(eff) == {"rates -100 bp", "non-life claims +10 %", "mortality -10 %", "lapses +50 %"}
    assert eff["rates -100 bp"]["other_comprehensive_income"] < 0 < eff["rates -100 bp"]["insurance_liabilities"]
    assert eff["non-life claims +10 %"]["profit_or_loss"] < 0
    for v in eff.values():
        assert v["equity"] == pytest.approx(-v["insurance_liabilities"], rel=1e-6, abs=1.0)
        assert v["equity"] == pytest.approx(v["profit_or_loss"] + v["other_comprehensive_income"])


@pytest.mark.req("KZ84-RE")
def test_quota_share_held_on_a_gmm_portfolio(close: CloseRun) -> None:
    """One reinsurance group per underlying group (para 61): recoveries and ceded premiums at the share, the
    risk transferred at the share of the underlying RA (para 64), a loss-recovery component where the underlying
    group is onerous at initial recognition (para 66A), and the reinsurance AoC adding up (para 100/101)."""
    held = close.result.gmm_reinsurance[0]
    assert held.spec.portfolio == "Term life" and held.groups
    for g, res in held.groups:
        assert g.inputs is not None
        # liability sign: the risk transferred reduces the (negative) carrying amount of the asset
        assert res.initial.risk_adjustment == pytest.approx(
            -held.spec.share * float(np.asarray(g.inputs.risk_adjustment)[0]), rel=1e-9)
        assert res.initial.loss_recovery == pytest.approx(held.spec.share * g.result.initial.loss, rel=1e-9)
    doc = close.documents[REPORTING_DATES[-1].isoformat()]
    table = next(t for t in doc["tables"] if t["key"] == "101-reinsurance")
    v = _matrix(table)
    np.testing.assert_allclose(v[:-1].sum(axis=0), v[-1], rtol=1e-9, atol=1e-3)
    assert any(r["approach"] == "GMM held" for r in close.summary)


@pytest.mark.req("KZ84-CSM")
def test_pre_transition_annuities_start_from_fair_value_balances(close: CloseRun, inputs: Path) -> None:
    """C20–C24: cohorts issued before the transition date are measured from it; their CSM at transition is the
    fair value less the FCF, the liability at transition equals the fair value (as it exceeds the FCF), nothing
    is recognised at the transition date, and the cohorts' fair values add up to the file's."""
    import polars as pl

    ann = next(p for p in close.result.gmm if p.name == "Annuities")
    fair = dict(pl.read_csv(inputs / "annuity_fair_values.csv").iter_rows())
    by_cohort: dict[int, float] = {}
    for g in ann.groups:
        if g.info.cohort > 2024:
            assert g.transition is None
            continue
        assert g.transition is not None and g.transition.approach == "fair_value"
        assert g.transition.csm == pytest.approx(g.transition.fair_value - g.transition.fulfilment_cash_flows)
        first = g.result.periods[0]
        assert first.aoc.get("new_contracts", "total") == 0.0
        assert first.aoc.get("opening", "total") == pytest.approx(g.transition.liability, rel=1e-9)
        assert "fair value approach" in g.info.test
        by_cohort[g.info.cohort] = by_cohort.get(g.info.cohort, 0.0) + g.transition.fair_value
    assert set(by_cohort) == set(fair)
    for cohort, fv in by_cohort.items():
        assert fv == pytest.approx(fair[cohort], rel=1e-9)
