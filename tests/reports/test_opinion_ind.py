"""The independent actuary's opinion (KZ191-IND; NB RK Resolution No. 191, Appendix 5 and the form of its
Appendix 2; forms 1 and 2 of its Appendix 1): every item and sub-item in ru and en, the comparison of the in-house
and independent results recomputed independently from the two closes, the adequacy opinion, ≥ 3 numbered copies
with a register, the 10-day / 30 April submission term."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aktuar.demo.statutory_inputs import write_demo_opinion_inputs, write_demo_statutory_inputs
from aktuar.reports.opinion_ind import FORMS_T, IND_T, ind_model, text_toml
from aktuar.services.opinions import OpinionRun, independent_deadline, run_independent_opinion
from aktuar.services.statutory import run_statutory_close

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SUBITEMS = {"3": 4, "4": 3, "11": 10, "12": 3, "13": 3}


@pytest.fixture(scope="module")
def ind(tmp_path_factory: pytest.TempPathFactory) -> tuple[OpinionRun, Path]:
    folder = tmp_path_factory.mktemp("ind")
    write_demo_statutory_inputs(folder, seed=5, scale=0.2)
    close = run_statutory_close(folder / "statutory.toml", folder / "results", opinion=False)
    when = close.document["valuation_date"]
    _, cfg = write_demo_opinion_inputs(folder, close.files[f"statutory-{when}.json"],
                                       close.files[f"opinion-text-{when}.toml"], scale=0.2)
    return run_independent_opinion(cfg, folder / "out"), folder


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).replace("\u00ad", "")


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
    return _norm(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                                text=True).stdout)


@pytest.mark.req("KZ191-IND")
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_pdf_has_every_item_and_sub_item(ind: tuple[OpinionRun, Path], lang: str) -> None:
    run, _ = ind
    text = _pdf_text(run.files[f"independent-2026-12-31-{lang}.pdf"])
    for no in range(1, 17):
        assert f"{no}. {_norm(IND_T[f'i{no}'][lang])[:40]}" in text, no
    for no, n in SUBITEMS.items():
        for k in range(1, n + 1):
            assert f"{k}) {_norm(IND_T[f'i{no}.{k}'][lang])[:25]}" in text, (no, k)
    assert "01.01.2027" in text and "25.04.2027" in text  # as of; due 10 days after 15.04.2027
    assert "Nezavisimov Bolat" in text and "IA-2027/03" in text


@pytest.mark.req("KZ191-IND")
def test_comparison_recomputed_from_the_two_closes(ind: tuple[OpinionRun, Path]) -> None:
    """Difference = independent − in-house, % of in-house, material when > 5 % and > 1 mn (the configuration)."""
    run, folder = ind
    doc = run.document
    inhouse = json.loads((folder / "results" / "statutory-2026-12-31.json").read_text(encoding="utf-8"))
    own = doc["independent_close"]
    a = {r["class"]: r for r in next(t for t in inhouse["tables"] if t["key"] == "reserves")["rows"]}
    b = {r["class"]: r for r in next(t for t in own["tables"] if t["key"] == "reserves")["rows"]}
    rows = {(r["class"], r["reserve"]): r for r in doc["comparison"]}
    checked = 0
    for cls in a:
        for res in ("upr", "rbns", "ibnr", "urr", "annuities", "life", "total"):
            x, y = a[cls][f"{res}_gross"], b[cls][f"{res}_gross"]
            xn = x - a[cls][f"{res}_reinsurance"]
            yn = y - b[cls][f"{res}_reinsurance"]
            if x == y == 0 and xn == yn == 0 and cls != "Total":
                assert (cls, res) not in rows
                continue
            r = rows[(cls, res)]
            assert r["difference_gross"] == pytest.approx(y - x, abs=1e-6)
            assert r["difference_net"] == pytest.approx(yn - xn, abs=1e-6)
            if x:
                assert r["pct_gross"] == pytest.approx((y - x) / abs(x))
                assert r["material_gross"] == (abs(y - x) > 1e6 and abs((y - x) / x) > 0.05)
            checked += 1
    assert checked >= 15
    # the independent OSNS discount rate (8 % vs 10 %) raises the annuities materially
    assert rows[("OSNS", "annuities")]["material"] and rows[("OSNS", "annuities")]["difference_gross"] > 0
    total = next(x for x in doc["adequacy"] if x["class"] == "Total")
    assert total["difference"] == pytest.approx(b["Total"]["total_gross"] - a["Total"]["total_gross"])
    m = ind_model(doc, "en")
    item14 = next(i for i in m["items"] if i["no"] == "14")
    assert "OSNS" in item14["body"][0]["text"]


@pytest.mark.req("KZ191-IND")
def test_forms_1_and_2_copies_and_register(ind: tuple[OpinionRun, Path]) -> None:
    run, _ = ind
    for lang in ("ru", "en"):
        text = _pdf_text(run.files[f"independent-forms-2026-{lang}.pdf"])
        assert _norm(FORMS_T["f1"][lang]) in text and _norm(FORMS_T["f2"][lang]) in text
        assert "Nezavisimova Dana" in text and "Actuarial Services" in text and "Third Insurance JSC" in text
    reg = json.loads(run.files["independent-2026-12-31-copies.json"].read_text(encoding="utf-8"))
    assert reg["copies"] == 3 and reg["min_copies"] == 3 and reg["deadline"]["status"] == "on time"
    for k in (1, 2, 3):
        assert f"Экземпляр № {k} из 3" in _pdf_text(run.files[f"independent-2026-12-31-copy-{k}-of-3.pdf"])
    assert reg["register"][1]["holder"] == "уполномоченный орган (АРРФР)"
    assert 'signer = "Nezavisimov Bolat"' in run.files["independent-text-2026-12-31.toml"].read_text(encoding="utf-8")
    if shutil.which("pdftoppm") is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        for page, name in ((1, "opinion-ind-ru-page1"), (4, "opinion-ind-ru-page4")):
            subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                            str(run.files["independent-2026-12-31-ru.pdf"]), str(ARTIFACTS / name)], check=True)


@pytest.mark.req("KZ191-IND")
def test_words_from_the_editable_text(ind: tuple[OpinionRun, Path]) -> None:
    import tomllib

    run, _ = ind
    doc = run.document
    words = {**doc["words"], "compliance": "complies", "assumptions": "reasonable", "recommendations": "none needed"}
    m = ind_model({**doc, "words": words}, "en")
    item13 = next(i for i in m["items"] if i["no"] == "13")
    assert [b["body"][0]["text"] for b in item13["body"]][:2] == ["complies", "reasonable"]
    assert next(i for i in m["items"] if i["no"] == "14")["body"][0]["text"] == "none needed"
    assert tomllib.loads(text_toml(words))["opinion"]["compliance"] == "complies"


@pytest.mark.req("KZ191-IND")
def test_submission_term() -> None:
    """App. 5 §10: 10 calendar days after the verification; §11 (mandatory): no later than 30 April."""
    d = independent_deadline("mandatory", 2026, dt.date(2027, 4, 15))
    assert (d["due"], d["status"], d["april_binds"]) == ("2027-04-25", "open", False)
    d = independent_deadline("mandatory", 2026, dt.date(2027, 4, 25), dt.date(2027, 5, 3))
    assert (d["due"], d["status"], d["april_binds"]) == ("2027-04-30", "late", True)
    d = independent_deadline("initiative", 2026, dt.date(2027, 6, 1), dt.date(2027, 6, 11))
    assert (d["due"], d["status"], d["april_30"]) == ("2027-06-11", "on time", None)


@pytest.mark.req("KZ191-IND")
def test_item_13_3_compares_the_additional_risks_of_both_closes(ind: tuple[OpinionRun, Path]) -> None:
    """Item 13(3): how the in-house actuary accounted for additional risks — the in-house close's item 8(9)
    assessments against the independent actuary's own (the demo's independent close also reserves to the 75 %
    lognormal quantile, so its increase is the larger)."""
    run, _ = ind
    doc = run.document
    inhouse, own = doc["inhouse_close"]["additional_risks"], doc["independent_close"]["additional_risks"]
    assert "reserve_uncertainty" in own["tested"] and "reserve_uncertainty" not in inhouse["tested"]
    assert own["total"] > inhouse["total"] > 0
    m = ind_model({**doc, "words": {**doc["words"], "inhouse_additional_risks": ""}}, "en")
    text = next(i for i in m["items"] if i["no"] == "13")["body"][2]["body"][0]["text"]
    assert "risks assessed: run-off deficiency of the adequacy test (item 9(2))" in text.lower()
    assert "the independent calculation gives" in text
    ru = ind_model({**doc, "words": {**doc["words"], "inhouse_additional_risks": ""}}, "ru")
    assert "по расчету независимого актуария" in next(i for i in ru["items"] if i["no"] == "13")["body"][2]["body"][0][
        "text"]
