"""IFRS 17 disclosure tables (paras 100, 101, 103–106, 109, 119, 130) against the IASB Illustrative Examples and
properties (reconciliations add up; the total of groups is the sum of the groups; CSM bands sum to the closing CSM).

Published figures: IFRS 17 IE Examples 1–3 (IE4–IE41), 7 (IE72–IE80) and 10 (IE113–IE123) as transcribed in
/work/shared/reference/ifrs17-iasb-examples.md; the IASB rounds to whole CU, so ±1 CU.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.ifrs17.disclosures import (
    CSM_BANDS,
    DisclosureTable,
    claims_development,
    combine,
    csm_maturity,
    csm_maturity_gmm,
    insurance_revenue_gmm,
    insurance_revenue_paa,
    lrc_lic_reconciliation,
    lrc_lic_reconciliation_paa,
    measurement_components_reconciliation,
    ra_confidence_level,
    ra_disclosure,
    ultimate_history,
)
from aktuar.core.ifrs17.gmm import CashFlows, GMMResult, GroupInputs, Revision, measure
from aktuar.core.ifrs17.paa import (
    PAAResult,
    lic_measurement,
    lic_rollforward,
    lrc_rollforward,
    paa_group,
    passage_of_time_pattern,
)
from aktuar.core.ifrs17.risk_adjustment import diversify, ra_normal
from aktuar.core.reserving import ChainLadder, from_array
from aktuar.errors import InputError

CU = 1.0


def _cf(p: list[float], c: list[float], ic: list[float] | None = None, acq: list[float] | None = None) -> CashFlows:
    return CashFlows(np.array(p, float), np.array(c, float), None if ic is None else np.array(ic, float),
                     None if acq is None else np.array(acq, float))


def _ex2(claims2: float, claims3: float, ra3: float, ic: float = 0.0) -> GMMResult:
    base = 200.0 - ic
    return measure(GroupInputs(
        expected=_cf([900, 0, 0], [base] * 3, [ic] * 3),
        risk_adjustment=np.array([120.0, 80, 40, 0]),
        coverage_units=np.ones(3),
        discount=0.05,
        actual=_cf([900, 0, 0], [base, claims2 - ic, claims3 - ic], [ic] * 3),
        revisions={2: Revision(_cf([0, 0, 0], [base, base, claims3 - ic], [ic] * 3), np.array([120.0, 80, ra3, 0]))},
    ))


def _ex3a() -> GMMResult:
    return _ex2(150.0, 140.0, 30.0, ic=100.0)


def _ex3b() -> GMMResult:
    return _ex2(400.0, 450.0, 88.0, ic=100.0)


def _ex10() -> PAAResult:
    lrc = lrc_rollforward([1220.0, 0, 0], passage_of_time_pattern([6, 4, 0]), acquisition_paid=[20.0, 0, 0],
                          expense_acquisition=True, coverage_period_years=10 / 12)
    lic = lic_rollforward(lic_measurement([[600.0], [1000.0], [0.0]], [36.0, 60.0, 0.0]), [0.0, 0.0, 1070.0])
    return paa_group(lrc, lic)


def _close(t: DisclosureTable, row: str, published: list[float], tol: float = CU) -> None:
    actual = [t.get(row, c) for c in t.columns]
    assert np.allclose(actual, published, atol=tol, rtol=0), (row, actual, published)


# --- para 100 / 103 / 105 -------------------------------------------------------------------------------------


@pytest.mark.req("KZ84-LRC")
def test_para_100_example_3a_year_1() -> None:
    """IFRS 17 IE Example 3A (IE29–IE41), year 1 [LRC excl. LC | LC | LIC | total]: premiums 900; revenue (222);
    incurred claims 100 (LIC); investment component (100) LRC / 100 LIC; IFE 39; cash outflows (200); closing 617."""
    t = lrc_lic_reconciliation(_ex3a(), 1, group="EX3A")
    _close(t, "premiums_received", [900, 0, 0, 900])
    _close(t, "insurance_revenue", [-222, 0, 0, -222])
    _close(t, "incurred_claims_and_expenses", [0, 0, 100, 100])
    _close(t, "investment_components", [-100, 0, 100, 0])
    _close(t, "finance_expense", [39, 0, 0, 39])
    _close(t, "claims_and_expenses_paid", [0, 0, -200, -200])
    _close(t, "closing", [617, 0, 0, 617])
    assert t.key == "100" and t.group == "EX3A" and t.period == "1"
    assert [lrc_lic_reconciliation(_ex3a(), k).get("insurance_revenue", "total") for k in (1, 2, 3)] == pytest.approx(
        [-222, -261, -196], abs=CU)


@pytest.mark.req("KZ84-LRC")
def test_para_100_example_3b_onerous_years_2_and_3() -> None:
    """IFRS 17 IE Example 3B: year 2 revenue (140); ISE LC 113, LIC 300; investment component (100)/100; IFE 27;
    cash (400); closing 404 | 113 | – | 517. Year 3: IFE 16 | 5; revenue (320); LC allocated (118); LIC 350."""
    r = _ex3b()
    y2 = lrc_lic_reconciliation(r, 2)
    _close(y2, "opening", [617, 0, 0, 617])
    _close(y2, "insurance_revenue", [-140, 0, 0, -140])
    _close(y2, "losses_and_reversals_onerous", [0, 113, 0, 113])
    _close(y2, "incurred_claims_and_expenses", [0, 0, 300, 300])
    _close(y2, "investment_components", [-100, 0, 100, 0])
    _close(y2, "finance_expense", [27, 0, 0, 27])
    _close(y2, "claims_and_expenses_paid", [0, 0, -400, -400])
    _close(y2, "closing", [404, 113, 0, 517])
    y3 = lrc_lic_reconciliation(r, 3)
    _close(y3, "finance_expense", [16, 5, 0, 21])
    _close(y3, "insurance_revenue", [-320, 0, 0, -320])
    _close(y3, "loss_component_allocation", [0, -118, 0, -118])
    _close(y3, "incurred_claims_and_expenses", [0, 0, 350, 350])
    _close(y3, "closing", [0, 0, 0, 0])


@pytest.mark.req("KZ84-LIC")
def test_para_100c_paa_example_10_lic_split() -> None:
    """IFRS 17 IE Example 10 (IE113–IE123): LRC cash 1,220, revenue (732), closing 488; LIC 636 = 600 + RA 36;
    then 1,060 = 1,000 + 60; Dec 20x2 ISE 10 (RA release 60 against 70 more claims), paid (1,070), closing 0."""
    r = _ex10()
    ra = [36.0, 60.0, 0.0]
    t1 = lrc_lic_reconciliation_paa(r, 1, ra)
    _close(t1, "premiums_received", [1220, 0, 0, 0, 1220])
    _close(t1, "insurance_revenue", [-732, 0, 0, 0, -732])
    _close(t1, "incurred_claims_and_expenses", [0, 0, 600, 36, 636])
    _close(t1, "closing", [488, 0, 600, 36, 1124])
    t2 = lrc_lic_reconciliation_paa(r, 2, ra)
    _close(t2, "opening", [488, 0, 600, 36, 1124])
    _close(t2, "closing", [0, 0, 1000, 60, 1060])
    t3 = lrc_lic_reconciliation_paa(r, 3, ra)
    _close(t3, "incurred_claims_and_expenses", [0, 0, 70, -60, 10])
    _close(t3, "claims_and_expenses_paid", [0, 0, -1070, 0, -1070])
    _close(t3, "closing", [0, 0, 0, 0, 0])
    with pytest.raises(InputError, match="lic_risk_adjustment"):
        lrc_lic_reconciliation_paa(r, 1, [1.0, 2.0])
    with pytest.raises(InputError, match="outside"):
        lrc_lic_reconciliation_paa(r, 4, ra)


# --- para 101 / 104 -------------------------------------------------------------------------------------------


def test_para_101_example_2a() -> None:
    """IFRS 17 IE Example 2A (IE12–IE28) [PV FCF | RA | CSM | total]: year 1 new contracts (355) | 120 | 235 | 0;
    inflows 900; IFE 27 | – | 12 | 39; current service – | (40) | (82); outflows (200); closing 372 | 80 | 165 | 617.
    Year 2: future service (58) | (10) | 68 | – (all adjusts the CSM); experience adjustment (50) (claims 150 for
    200 expected); closing 133 | 30 | 120 | 283."""
    r = _ex2(150.0, 140.0, 30.0)
    y1 = measurement_components_reconciliation(r, 1)
    _close(y1, "new_contracts", [-355, 120, 235, 0])
    _close(y1, "premiums_received", [900, 0, 0, 900])
    _close(y1, "finance_expense", [27, 0, 12, 39])
    _close(y1, "csm_recognised", [0, 0, -82, -82])
    _close(y1, "ra_released", [0, -40, 0, -40])
    _close(y1, "cash_outflows", [-200, 0, 0, -200])
    _close(y1, "closing", [372, 80, 165, 617])
    y2 = measurement_components_reconciliation(r, 2)
    _close(y2, "changes_in_estimates_adjusting_csm", [-58, -10, 68, 0])
    _close(y2, "changes_in_estimates_not_adjusting_csm", [0, 0, 0, 0])
    _close(y2, "experience_adjustments", [-50, 0, 0, -50])
    _close(y2, "closing", [133, 30, 120, 283])


@pytest.mark.req("KZ84-CSM")
def test_para_101_example_2b_loss_split() -> None:
    """IFRS 17 IE Example 2B: year 2 future service 238 | 48 | (173) | 113 — 173 absorbed by the CSM, the loss 113
    (113.1127) does not adjust it; closing 429 | 88 | 0 | 517."""
    y2 = measurement_components_reconciliation(_ex2(400.0, 450.0, 88.0), 2)
    adj = y2.row("changes_in_estimates_adjusting_csm")
    non = y2.row("changes_in_estimates_not_adjusting_csm")
    assert adj["csm"] == pytest.approx(-173, abs=CU) and adj["total"] == pytest.approx(0, abs=1e-9)
    assert non["total"] == pytest.approx(113.1127, abs=1e-3) and non["csm"] == 0
    assert adj["pv_future_cash_flows"] + non["pv_future_cash_flows"] == pytest.approx(238, abs=CU)
    assert adj["risk_adjustment"] + non["risk_adjustment"] == pytest.approx(48, abs=CU)
    _close(y2, "closing", [429, 88, 0, 517])


# --- para 106 -------------------------------------------------------------------------------------------------


@pytest.mark.req("KZ84-REV")
def test_para_106_example_3a_and_7() -> None:
    """IFRS 17 IE Example 3A: revenue 222 = 100 expected claims excl. investment component + 40 RA + 82 CSM;
    261 in year 2; 196 = 40 + 30 + 126 in year 3. IE Example 7 (IE72–IE80): revenue 300 = 200 claims + 65 CSM +
    5 RA + 30 acquisition recovery."""
    r = _ex3a()
    t1 = insurance_revenue_gmm(r, 1)
    assert [t1.get(x, "amount") for x in ("expected_claims_and_expenses", "ra_released", "csm_recognised",
                                          "acquisition_recovery", "total")] == pytest.approx([100, 40, 82, 0, 222],
                                                                                             abs=CU)
    assert insurance_revenue_gmm(r, 2).get("total", "amount") == pytest.approx(261, abs=CU)
    t3 = insurance_revenue_gmm(r, 3)
    assert [t3.get(x, "amount") for x in ("expected_claims_and_expenses", "ra_released", "csm_recognised")] == \
        pytest.approx([40, 30, 126], abs=CU)
    ex7 = measure(GroupInputs(expected=_cf([900, 0, 0], [200.0] * 3, acq=[90.0, 0, 0]),
                              risk_adjustment=np.array([15.0, 10, 5, 0]), coverage_units=np.ones(3), discount=0.0))
    for k in (1, 2, 3):
        t = insurance_revenue_gmm(ex7, k)
        assert [t.get(x, "amount") for x in ("expected_claims_and_expenses", "csm_recognised", "ra_released",
                                             "acquisition_recovery", "total")] == pytest.approx([200, 65, 5, 30, 300],
                                                                                                 abs=CU)


@pytest.mark.req("KZ84-REV")
def test_para_106_paa_and_total_of_gmm_and_paa() -> None:
    """IFRS 17 IE Example 10: PAA revenue 732 in Dec 20x1; a total with Example 3A year 1 (222) is 954."""
    paa = insurance_revenue_paa(_ex10(), 1, group="EX10")
    assert paa.get("paa_revenue", "amount") == pytest.approx(732, abs=CU)
    total = combine([paa, insurance_revenue_gmm(_ex3a(), 1, group="EX3A")], group="entity")
    assert total.get("total", "amount") == pytest.approx(954, abs=2 * CU)
    assert total.group == "entity"


# --- combine --------------------------------------------------------------------------------------------------


def test_total_of_groups_is_sum_of_groups_and_layouts_must_match() -> None:
    a, b = _ex3a(), _ex3b()
    for k in (1, 2, 3):
        ta, tb = lrc_lic_reconciliation(a, k), lrc_lic_reconciliation(b, k)
        tot = combine([ta, tb])
        np.testing.assert_allclose(tot.values, ta.values + tb.values)
        tot.check()
        ma, mb = measurement_components_reconciliation(a, k), measurement_components_reconciliation(b, k)
        np.testing.assert_allclose(combine([ma, mb]).values, ma.values + mb.values)
    with pytest.raises(InputError, match="rows or columns differ"):
        combine([lrc_lic_reconciliation(a, 1), lrc_lic_reconciliation_paa(_ex10(), 1, [36.0, 60.0, 0.0])])
    with pytest.raises(InputError, match="nothing to combine"):
        combine([])


def test_check_reports_what_does_not_add_up() -> None:
    t = lrc_lic_reconciliation(_ex3a(), 1)
    bad = DisclosureTable(t.key, t.title, t.paragraph, t.rows, t.columns, t.values + np.eye(*t.values.shape),
                          t.kind)
    assert bad.problems()
    with pytest.raises(AssertionError, match="do not add up"):
        bad.check()


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0, 3000), st.floats(0, 500), st.floats(0, 300),
    st.lists(st.floats(0, 600), min_size=3, max_size=3),
    st.floats(0, 0.1),
)
def test_property_gmm_tables_reconcile(prem: float, claims: float, ra0: float, actual: list[float],
                                       rate: float) -> None:
    r = measure(GroupInputs(
        expected=_cf([prem, 0, 0], [claims] * 3),
        risk_adjustment=np.array([ra0, ra0 * 2 / 3, ra0 / 3, 0.0]),
        coverage_units=np.ones(3),
        discount=rate,
        actual=_cf([prem, 0, 0], actual),
    ))
    for k in (1, 2, 3):
        t100 = lrc_lic_reconciliation(r, k)
        t101 = measurement_components_reconciliation(r, k)
        t106 = insurance_revenue_gmm(r, k)
        assert t100.get("closing", "total") == pytest.approx(t101.get("closing", "total"), abs=1e-6)
        assert -t100.get("insurance_revenue", "total") == pytest.approx(t106.get("total", "amount"), abs=1e-6)


# --- para 109 -------------------------------------------------------------------------------------------------


def test_para_109_example_1a_bands_and_next_release() -> None:
    """IFRS 17 IE Example 2 (IE12–IE28): closing CSM after year 1 is 164.7453 (full precision); with accretion at
    the locked-in 5 % the first band is the CSM released in year 2 of the group measured without revisions."""
    cu = np.ones(3)
    r = measure(GroupInputs(expected=_cf([900, 0, 0], [200.0] * 3), risk_adjustment=np.array([120.0, 80, 40, 0]),
                            coverage_units=cu, discount=0.05))
    plain = csm_maturity_gmm(r, 1, cu, accretion=False)
    assert plain.get("total", "csm_release") == pytest.approx(164.7453, abs=1e-4)
    assert plain.get("year_1", "csm_release") == pytest.approx(164.7453 / 2, abs=1e-4)
    acc = csm_maturity_gmm(r, 1, cu)
    assert acc.get("year_1", "csm_release") == pytest.approx(r.periods[1].csm_release, abs=1e-9)
    assert acc.get("year_2", "csm_release") == pytest.approx(r.periods[2].csm_release, abs=1e-9)
    assert acc.get("total", "csm_release") > 164.7453
    assert csm_maturity_gmm(r, 3, cu).get("total", "csm_release") == 0.0


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e6), st.lists(st.floats(0, 100), min_size=1, max_size=25))
def test_property_csm_bands_sum_to_closing_csm_without_accretion(csm: float, cu: list[float]) -> None:
    if sum(cu) <= 0:
        cu = cu[:-1] + [1.0]
    t = csm_maturity(csm, cu)
    assert t.get("total", "csm_release") == pytest.approx(csm, rel=1e-9, abs=1e-6)
    assert t.rows == (*CSM_BANDS, "total")
    if len(cu) <= 10:
        assert t.get("over_10_years", "csm_release") == 0.0


def test_para_109_long_coverage_and_errors() -> None:
    t = csm_maturity(1200.0, np.ones(12))
    assert [t.get(b, "csm_release") for b in CSM_BANDS] == pytest.approx([100] * 5 + [500, 200])
    with pytest.raises(InputError, match="no future coverage units"):
        csm_maturity(10.0, [])
    with pytest.raises(InputError, match="≥ 0"):
        csm_maturity(-5.0, [1.0])
    assert csm_maturity(0.0, []).get("total", "csm_release") == 0.0


# --- para 119 -------------------------------------------------------------------------------------------------


def test_para_119_confidence_level_table() -> None:
    ra = ra_normal([1000.0, 500.0], [100.0, 80.0], 0.75)
    t = ra_disclosure(ra, ["OGPO", "KASKO"], total_confidence_level=0.8)
    assert t.get("total", "risk_adjustment") == pytest.approx(float(ra.ra.sum()))
    assert t.get("OGPO", "confidence_level") == 0.75 and t.get("total", "confidence_level") == 0.8
    d = diversify(ra.ra, [[1.0, 0.5], [0.5, 1.0]])
    td = ra_disclosure(ra, ["OGPO", "KASKO"], diversified=d)
    assert td.get("total", "risk_adjustment") == pytest.approx(d.total)
    assert np.isnan(td.get("OGPO", "confidence_level"))
    tot = combine([t, t])
    assert tot.get("total", "risk_adjustment") == pytest.approx(2 * float(ra.ra.sum()))
    assert np.isnan(tot.get("total", "confidence_level"))
    with pytest.raises(InputError, match="do not add up"):
        ra_confidence_level(["A"], [10.0], [1.0], total_risk_adjustment=2.0)
    with pytest.raises(InputError, match="between 0 and 1"):
        ra_confidence_level(["A"], [10.0], [1.0], [75.0])


# --- para 130 -------------------------------------------------------------------------------------------------

TRI = np.array([
    [100.0, 150, 170, 180],
    [110.0, 168, 190, np.nan],
    [120.0, 175, np.nan, np.nan],
    [130.0, np.nan, np.nan, np.nan],
])


@pytest.mark.req("KZ84-LIC")
def test_para_130_claims_development_from_chain_ladder_history() -> None:
    """Hand check: the chain ladder re-run on the diagonals of a 4×4 paid triangle; the current estimates equal the
    chain ladder on the full triangle, the estimate at the end of the latest accident year is its current one,
    and the oldest year's estimate made at its first year end is its paid amount (nothing to develop from then)."""
    tri = from_array(TRI, origin=["2022", "2023", "2024", "2025"], development=[12, 24, 36, 48])
    hist = ultimate_history(tri, ChainLadder())
    full = ChainLadder().fit(tri).ultimate[0]
    np.testing.assert_allclose(hist.current, full)
    assert hist.by_lag[0, 0] == pytest.approx(100.0)
    assert hist.by_lag[1, 0] == pytest.approx(110.0 * 150 / 100)  # factor 12→24 known at the end of 2023
    assert np.isnan(hist.by_lag[3, 1])
    paid = np.array([180.0, 190, 175, 130])
    liab = float((full - paid).sum())
    cd = claims_development(hist, paid, claims_settlement_expenses=10.0, effect_of_discounting=-5.0,
                            risk_adjustment=20.0, lic_carrying_amount=liab + 25.0)
    assert cd.development is not None
    dev = cd.development
    assert dev.columns == ("2022", "2023", "2024", "2025", "total")
    assert dev.get("liability", "total") == pytest.approx(liab)
    assert dev.get("estimate_end_of_accident_year", "2025") == pytest.approx(full[3])
    assert cd.reconciliation.get("lic_carrying_amount", "amount") == pytest.approx(liab + 25.0)
    with pytest.raises(InputError, match="difference"):
        claims_development(hist, paid, lic_carrying_amount=liab + 1.0)
    short = claims_development(hist, paid, settled_within_one_year=True)
    assert short.development is None
    assert short.reconciliation.get("liability_earlier_years", "amount") == pytest.approx(liab)


def test_para_130_at_most_ten_years_shown() -> None:
    n = 12
    tri = np.full((n, n), np.nan)
    for o in range(n):
        for d in range(n - o):
            tri[o, d] = 100.0 * (1 + 0.5 * (1 - 0.5**d))
    t = from_array(tri, origin=[str(2014 + o) for o in range(n)], development=[12 * (d + 1) for d in range(n)])
    hist = ultimate_history(t, ChainLadder())
    paid = np.array([tri[o, n - 1 - o] for o in range(n)])
    cd = claims_development(hist, paid)
    assert cd.development is not None and len(cd.development.columns) == 11
    assert cd.development.columns[0] == "2016"
    total = float((hist.current - paid).sum())
    assert cd.reconciliation.get("lic_carrying_amount", "amount") == pytest.approx(total)
    with pytest.raises(InputError, match="1 to 10"):
        claims_development(hist, paid, max_years=11)


def test_tables_reconcile_with_current_rates_and_oci_option() -> None:
    """With current discount rates differing from the locked-in rate (para 36, B72(a)) the rate effect is part of
    insurance finance expenses (para 87, 105(c)): the para 100 and 101 tables still reach the closing liability."""
    import dataclasses

    if "current_discount" not in {f.name for f in dataclasses.fields(GroupInputs)}:
        pytest.skip("this GMM has no current discount rates")
    r = measure(GroupInputs(expected=_cf([900, 0, 0], [200.0] * 3), risk_adjustment=np.array([120.0, 80, 40, 0]),
                            coverage_units=np.ones(3), discount=0.05, current_discount=[0.03, 0.08, 0.05],
                            oci_option=True))
    for k in (1, 2, 3):
        t100, t101 = lrc_lic_reconciliation(r, k), measurement_components_reconciliation(r, k)
        assert t100.get("closing", "total") == pytest.approx(r.liability[k - 1], abs=1e-6)
        assert t101.get("closing", "total") == pytest.approx(r.liability[k - 1], abs=1e-6)
        assert t101.get("finance_expense", "total") == pytest.approx(
            r.periods[k - 1].profit_or_loss.insurance_finance_expenses, abs=1e-6)
