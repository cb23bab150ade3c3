"""Published reserving figures reproduced by the core estimators.

Sources (each JSON file under tests/reference/data names the paper, table and where the figures were read):
- Mack (1993), ASTIN Bulletin 23(2): Taylor & Ashe triangle, reserves and standard errors.
- Mack (1994), CAS Forum: RAA data, σ² and standard errors.
- Mack (1999), ASTIN Bulletin 29(2): mortgage guarantee example, Table 1 and Table 2, with tail 1.05.
- Friedland (2010), "Estimating Unpaid Claims Using Basic Techniques", ch. 9 and 10 Exhibit I
  (U.S. Industry Auto): Bornhuetter–Ferguson and Cape Cod totals.
Published tables are rounded (whole units, 3–4 significant digits): the tolerance is half a unit of the last
printed digit. Where R ChainLadder prints full precision for the same case, we also match it to 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aktuar.core.reserving import BornhuetterFerguson, CapeCod, Development, Tail, from_array
from aktuar.core.reserving.mack import Mack

DATA = Path(__file__).parent / "data"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def assert_printed(got: np.ndarray, printed: list[float]) -> None:
    """Each value equals the printed one to half a unit of its last printed decimal."""
    for g, p in zip(got, printed, strict=True):
        text = repr(float(p)).rstrip("0").rstrip(".")
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert abs(g - p) <= 0.5 * 10.0**-decimals + 1e-12, (g, p)


def triangle_of(case: dict, key: str = "triangle"):
    t = case[key]
    values = np.array([[np.nan if v is None else v for v in row] for row in t["values"]], dtype=float)
    return from_array(values, t["origin"], t["development"])


def test_mack_1993_taylor_ashe_reserves_and_standard_errors() -> None:
    case = load("mack1993_taylor_ashe")
    tri = triangle_of(case)
    res = Mack(Development(sigma="mack")).fit(tri)
    origins = list(tri.origin)
    for label, exp in case["expected"]["by_origin"].items():
        o = origins.index(label)
        assert res.ibnr[0, o] == pytest.approx(exp["ibnr"], abs=0.5)
        assert res.se[0, o] == pytest.approx(exp["se"], abs=0.5)
    assert res.total_ibnr[0] == pytest.approx(case["expected"]["total"]["ibnr"], abs=0.5)
    assert res.total_se[0] == pytest.approx(case["expected"]["total"]["se"], abs=0.5)
    # R ChainLadder MackChainLadder(GenIns, est.sigma="Mack") printed to full precision
    r = case["secondary"]["r_chainladder_MackChainLadder_est_sigma_Mack"]
    assert res.total_se[0] == pytest.approx(r["total"]["se"], rel=1e-6)
    assert res.total_ibnr[0] == pytest.approx(r["total"]["ibnr"], rel=1e-6)
    np.testing.assert_allclose(res.development.ldf[0], r["ldf"], rtol=1e-6)
    np.testing.assert_allclose(res.development.sigma[0] ** 2, r["sigma2"], rtol=1e-6)


def test_mack_1994_raa_sigma_and_standard_errors() -> None:
    case = load("mack1994_raa")
    tri = triangle_of(case)
    res = Mack(Development(sigma="mack")).fit(tri)
    sig2 = res.development.sigma[0] ** 2
    for got, printed in zip(sig2[:8], case["expected"]["sigma2"], strict=True):
        digits = len(str(printed).replace(".", "").lstrip("0"))
        assert got == pytest.approx(printed, rel=0.5 * 10 ** (1 - digits) + 1e-12)
    origins = list(tri.origin)
    for label, exp in case["expected"]["by_origin"].items():
        assert res.se[0, origins.index(label)] == pytest.approx(exp["se"], abs=0.5)


def test_mack_1999_mortgage_with_tail() -> None:
    case = load("mack1999_mortgage")
    tri = triangle_of(case)
    table1 = case["expected"]["table1"]
    # Table 2: s.e. of C_i9 (projection to the last age, no tail), in thousands
    res = Mack(Development(sigma="mack")).fit(tri)
    origins = list(tri.origin)
    for label, se_thousands in case["expected"]["table2_se_C_i9_thousands"].items():
        assert res.se[0, origins.index(label)] / 1000 == pytest.approx(se_thousands, abs=0.5)
    # Table 1: factors, their standard errors and σ, to the printed 3–4 significant digits
    fit = res.development
    assert_printed(fit.ldf[0], table1["ldf"][:8])
    assert_printed(fit.std_err[0], table1["ldf_se"][:8])
    assert_printed(fit.sigma[0], table1["sigma"][:8])
    # with the tail selected by Mack: f_ult = 1.05, σ = 71, s.e. = 0.02 (R: MackChainLadder(..., tail=1.05,
    # tail.sigma=71, tail.se=0.02, est.sigma="Mack"), printed to whole units)
    tail = Tail("constant", factor=1.05, sigma=71, std_err=0.02)
    res_t = Mack(Development(sigma="mack", tail=tail)).fit(tri)
    r = case["secondary"]["r_chainladder_MackChainLadder_tail"]
    for label, se in r["se_by_origin"].items():
        assert res_t.se[0, origins.index(label)] == pytest.approx(se, abs=0.5)
    for label, ult in r["ultimate_by_origin"].items():
        assert res_t.ultimate[0, origins.index(label)] == pytest.approx(ult, abs=0.5)
    assert res_t.total_se[0] == pytest.approx(r["total"]["se"], rel=1e-6)
    assert res_t.total_ibnr[0] == pytest.approx(r["total"]["ibnr"], rel=1e-6)


def _friedland_selected(case: dict) -> tuple:
    """Friedland feeds CDFs rounded to 3 decimals: select age-to-age factors whose product is that CDF."""
    opts = case["options"]
    ages = [int(a) for a in opts["selected_cdf_reported_by_age"]]
    cdf = np.array([opts["selected_cdf_reported_by_age"][str(a)] for a in ages])
    ldf = cdf[:-1] / cdf[1:]
    return dict(zip(ages[:-1], ldf, strict=True)), cdf[-1]


@pytest.mark.parametrize("basis", ["reported"])
def test_friedland_bornhuetter_ferguson_totals(basis: str) -> None:
    case = load("friedland_bf")
    tri = triangle_of(case)
    selected, tail = _friedland_selected(case)
    expected_claims = np.array([case["options"]["apriori_expected_claims"][o] for o in tri.origin], dtype=float)
    dev = Development(selected=selected, tail=Tail("constant", factor=float(tail)) if tail != 1 else Tail())
    res = BornhuetterFerguson(apriori=1.0, development=dev).fit(tri, expected_claims)
    exp = case["expected"]["total"]
    assert res.total_ultimate[0] == pytest.approx(exp["ultimate_reported_bf"], abs=1.0)
    assert res.total_ibnr[0] == pytest.approx(exp["ibnr_reported_bf"], abs=1.0)


def test_friedland_cape_cod_totals() -> None:
    case = load("friedland_capecod")
    tri = triangle_of(case)
    selected, tail = _friedland_selected(case)
    premium = np.array([case["options"]["earned_premium"][o] for o in tri.origin], dtype=float)
    res = CapeCod(development=Development(selected=selected)).fit(tri, premium)
    assert res.components["elr"][0, 0] == pytest.approx(case["expected"]["expected_claim_ratio"], abs=5e-4)
    assert res.total_ultimate[0] == pytest.approx(case["expected"]["total"]["ultimate"], abs=1.0)
    assert res.total_ibnr[0] == pytest.approx(case["expected"]["total"]["ibnr"], abs=1.0)
