"""The actuarial opinion on a major transaction (KZ191-MT; NB RK Resolution No. 191, Appendix 3 §4–5 and the
form of Appendix 2 to the Requirements): every item and sub-item (per insured object), the checks recomputed
independently from the inputs and the close results, ≥ 2 numbered copies (here 3) as separate PDFs with a JSON
register. PDFs are checked by their text (pdftotext) and a page is rendered to PNG (pdftoppm)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.demo.statutory_inputs import write_demo_opinion_inputs, write_demo_statutory_inputs
from aktuar.errors import InputError
from aktuar.reports.opinion_mt import MT_T, mt_model
from aktuar.services.opinions import OpinionRun, run_transaction_opinion
from aktuar.services.statutory import run_statutory_close

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SUBITEMS = {"1": 4, "2": 2, "5": 9, "6": 2}


@pytest.fixture(scope="module")
def mt(tmp_path_factory: pytest.TempPathFactory) -> tuple[OpinionRun, Path]:
    folder = tmp_path_factory.mktemp("mt")
    write_demo_statutory_inputs(folder, seed=5, scale=0.2)
    close = run_statutory_close(folder / "statutory.toml", folder / "results", opinion=False)
    when = close.document["valuation_date"]
    cfg, _ = write_demo_opinion_inputs(folder, close.files[f"statutory-{when}.json"],
                                       close.files[f"opinion-text-{when}.toml"], scale=0.2)
    return run_transaction_opinion(cfg, folder / "out"), folder


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).replace("\u00ad", "")


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
    return _norm(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                                text=True).stdout)


@pytest.mark.req("KZ191-MT")
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_pdf_has_every_item_of_the_appendix_2_form(mt: tuple[OpinionRun, Path], lang: str) -> None:
    run, _ = mt
    text = _pdf_text(run.files[f"transaction-MT-2027-001-{lang}.pdf"])
    for no in range(1, 8):
        assert f"{no}. {_norm(MT_T[f'i{no}'][lang])[:40]}" in text, no
    for no, n in SUBITEMS.items():
        for k in range(1, n + 1):
            assert f"{k}) {_norm(MT_T[f'i{no}.{k}'][lang])[:25]}" in text, (no, k)
    assert _norm(MT_T["i5.note"][lang])[:60] in text
    assert MT_T["title"][lang] in text
    for obj in ("WH-1", "WH-2", "WH-3"):  # 5(5), 5(6), 5(7), 5(9) per object, and the retention table
        assert text.count(obj) >= 5, obj
    assert ("повышенный" if lang == "ru" else "increased") in text
    assert "Demo Re AG" in text and "App. 3 §4" in text  # reinsurance placement and the checks' paragraphs


@pytest.mark.req("KZ191-MT")
def test_checks_recomputed_from_the_inputs_and_the_close(mt: tuple[OpinionRun, Path]) -> None:
    """Retention = sum insured × (1 − 40 % ceded); limit = 10 % of the own funds of the close; the pro-forma ratio
    = actual margin / (minimum margin + 18 % × retained premium)."""
    run, folder = mt
    doc = run.document
    close = json.loads((folder / "results" / "statutory-2026-12-31.json").read_text(encoding="utf-8"))
    objs = pl.read_csv(folder / "transaction-objects.csv")
    limit = 0.10 * close["solvency"]["own_funds"]
    assert doc["capacity"]["limit"] == pytest.approx(limit)
    failing = []
    retained_premium = 0.0
    for row, o in zip(objs.iter_rows(named=True), doc["objects"], strict=True):
        assert o["object_id"] == row["object_id"]
        assert o["retained"] == pytest.approx(row["sum_insured"] * 0.6)
        retained_premium += row["premium"] * 0.6
        if row["sum_insured"] * 0.6 > limit:
            failing.append(row["object_id"])
            assert o["required_cession"] == pytest.approx(1 - limit / row["sum_insured"])
    assert failing == ["WH-3"]
    ret = {c["object"]: c["passed"] for c in doc["checks"] if c["rule"] == "retention within the capacity"}
    assert ret == {"WH-1": True, "WH-2": True, "WH-3": False}
    s = close["solvency"]
    solv = next(c for c in doc["checks"] if c["rule"] == "solvency after the transaction")
    assert doc["capacity"]["pro_forma_ratio"] == pytest.approx(
        s["actual_margin"] / (s["minimum_margin"] + 0.18 * retained_premium))
    assert solv["passed"] and "solvency.min_ratio" not in solv["paragraph"]
    assert all(c["paragraph"] for c in doc["checks"])
    assert any("WH-3" in r and "75" in r for r in doc["recommendations"]["en"])
    assert not doc["passed"]


@pytest.mark.req("KZ191-MT")
def test_numbered_copies_are_separate_pdfs_with_a_register(mt: tuple[OpinionRun, Path]) -> None:
    run, _ = mt
    reg = json.loads(run.files["transaction-MT-2027-001-copies.json"].read_text(encoding="utf-8"))
    assert reg["copies"] == 3 and reg["min_copies"] == 2 and "App. 3 §5" in reg["min_copies_citation"]
    assert reg["signer"] == "Aktuarova Aigerim" and reg["signed_date"] == "2027-02-10"
    for k, entry in enumerate(reg["register"], start=1):
        pdf = run.files[entry["file"]]
        assert entry["file"] == f"transaction-MT-2027-001-copy-{k}-of-3.pdf"
        import hashlib

        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == entry["sha256"]
        text = _pdf_text(pdf)
        assert f"Экземпляр № {k} из 3" in text
        assert all(f"Экземпляр № {j} из 3" not in text for j in (1, 2, 3) if j != k)
    assert [e["holder"] for e in reg["register"]] == ["лицензированный актуарий", "страховая организация",
                                                        "страховая организация"]


@pytest.mark.req("KZ191-MT")
def test_docx_and_page_render(mt: tuple[OpinionRun, Path]) -> None:
    from docx import Document

    run, _ = mt
    d = Document(io.BytesIO(run.files["transaction-MT-2027-001-en.docx"].read_bytes()))
    paras = _norm(" ".join(p.text for p in d.paragraphs))
    for no in range(1, 8):
        assert f"{no}. {_norm(MT_T[f'i{no}']['en'])[:40]}" in paras
    assert "number of copies: 3 (at least 2, Appendix 3 §5)" in paras
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    for page, name in ((1, "opinion-mt-ru-page1"), (3, "opinion-mt-ru-page3")):
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                        str(run.files["transaction-MT-2027-001-copy-1-of-3.pdf"]), str(ARTIFACTS / name)], check=True)
        assert (ARTIFACTS / f"{name}.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.req("KZ191-MT")
def test_words_and_copies_rules(mt: tuple[OpinionRun, Path], tmp_path: Path) -> None:
    run, folder = mt
    doc = run.document
    m = mt_model({**doc, "words": {**doc["words"], "recommendations": "decline the WH-3 object"}}, "en")
    item6 = next(i for i in m["items"] if i["no"] == "6")
    assert item6["body"][0]["body"][0]["text"] == "decline the WH-3 object"
    with pytest.raises(InputError, match="ru or en"):
        mt_model(doc, "de")
    cfg = (folder / "transaction.toml").read_text(encoding="utf-8")
    bad = folder / "transaction-bad.toml"
    bad.write_text(cfg.replace("copies = 3", "copies = 1"), encoding="utf-8")
    res = CliRunner().invoke(app, ["statutory", "transaction", str(bad), "--out", str(tmp_path / "none")])
    assert res.exit_code == 2 and "at least 2 copies" in res.output and "opinion.copies" in res.output
    assert not (tmp_path / "none").exists()
