"""The mandatory actuarial opinion (KZ191-OP; NB RK Resolution No. 191, Appendix 3 and the form of its Appendix
1): every numbered item and sub-item, in Russian and English, as PDF (WeasyPrint) and DOCX; ≥ 3 numbered copies
with signer and date; the 30 April due date. The PDF is checked by its text and rendered to PNG with pdftoppm."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.demo.statutory_inputs import write_demo_statutory_inputs
from aktuar.errors import InputError
from aktuar.reports.opinion import _T, opinion_model, render_docx, render_html, render_pdf
from aktuar.services.statutory import StatutoryRun, run_statutory_close

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ITEMS = [str(i) for i in range(1, 13)]
SUBITEMS = {"3": 4, "4": 3, "5": 4, "8": 10, "9": 3}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> StatutoryRun:
    folder = tmp_path_factory.mktemp("opinion")
    write_demo_statutory_inputs(folder, seed=5, scale=0.2)
    return run_statutory_close(folder / "statutory.toml", folder / "results", opinion=True)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).replace("\u00ad", "")


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
    return _norm(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                                text=True).stdout)


@pytest.mark.req("KZ191-OP")
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_pdf_has_every_item_and_sub_item(run: StatutoryRun, lang: str) -> None:
    pdf = run.files[f"opinion-2026-12-31-{lang}.pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    for no in ITEMS:
        title = _norm(_T[f"i{no}"][lang])
        assert f"{no}. {title[:40]}" in text, (no, title)
    for no, n in SUBITEMS.items():
        for k in range(1, n + 1):
            title = _norm(_T[f"i{no}.{k}"][lang])
            assert f"{k}) {title[:25]}" in text, (no, k, title)
    assert "01.01.2027" in text and "30.04.2027" in text
    assert ("Актуарное заключение" if lang == "ru" else "Actuarial opinion") in text


@pytest.mark.req("KZ191-OP")
def test_pdf_pages_render_to_png(run: StatutoryRun) -> None:
    """The rendered pages look like a filed document: kept under test-artifacts/ for review."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: apt-get install poppler-utils")
    pdf = run.files["opinion-2026-12-31-ru.pdf"]
    ARTIFACTS.mkdir(exist_ok=True)
    for page, name in ((1, "opinion-ru-page1"), (5, "opinion-ru-page5")):
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                        str(ARTIFACTS / name)], check=True)
        png = ARTIFACTS / f"{name}.png"
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a page with text, not a blank one
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert 4 <= int(re.search(r"Pages:\s+(\d+)", pages).group(1)) <= 12  # type: ignore[union-attr]


@pytest.mark.req("KZ191-OP")
def test_docx_has_every_item_copies_and_due_date(run: StatutoryRun) -> None:
    from docx import Document

    d = Document(io.BytesIO(run.files["opinion-2026-12-31-en.docx"].read_bytes()))
    paras = _norm(" ".join(p.text for p in d.paragraphs))
    cells = _norm(" ".join(c.text for t in d.tables for r in t.rows for c in r.cells))
    for no in ITEMS:
        assert f"{no}. {_norm(_T[f'i{no}']['en'])[:40]}" in paras
    assert "Due to the authorized body by 30.04.2027" in paras and "on time" in paras
    assert "number of copies: 3" in paras
    copies = [t for t in d.tables if t.rows[0].cells[0].text == "Copy No."][0]
    assert [r.cells[0].text for r in copies.rows[1:]] == ["1", "2", "3"]
    assert copies.rows[2].cells[1].text == "the authorized body (ARDFM)" and "Aktuarova" in copies.rows[1].cells[2].text
    assert "Property" in cells and "sufficient" in cells


@pytest.mark.req("KZ191-OP")
def test_copies_due_date_and_actuary_words(run: StatutoryRun) -> None:
    doc = run.document
    with pytest.raises(InputError, match="at least 3 copies"):
        opinion_model(doc, {"copies": 2}, "ru")
    m = opinion_model(doc, {"copies": 4, "signed_date": "2027-05-04", "signer": "X",
                            "recommendations": "revise the OSNS tariff"}, "en")
    assert m["copies"] == 4 and len(m["holders"]) == 4 and m["late"]
    item12 = next(i for i in m["items"] if i["no"] == "12")
    assert "signed after the due date" in item12["body"][-1]["text"]
    item10 = next(i for i in m["items"] if i["no"] == "10")
    assert item10["body"][0]["text"] == "revise the OSNS tariff"
    with pytest.raises(InputError, match="ru or en"):
        opinion_model(doc, {}, "de")
    with pytest.raises(InputError, match="aktuar-statutory/1"):
        opinion_model({**doc, "schema": "x"}, {}, "ru")
    item8 = next(i for i in opinion_model(doc, {}, "ru")["items"] if i["no"] == "8")
    assert [b["no"] for b in item8["body"]] == [f"{k})" for k in range(1, 11)]


@pytest.mark.req("KZ191-OP")
def test_rerender_from_stored_results_with_edited_text(run: StatutoryRun, tmp_path: Path) -> None:
    results = run.files["statutory-2026-12-31.json"]
    text = run.files["opinion-text-2026-12-31.toml"].read_text(encoding="utf-8")
    assert 'recommendations = ""' in text and 'signer = "Aktuarova Aigerim"' in text
    edited = tmp_path / "text.toml"
    edited.write_text(text.replace('recommendations = ""', 'recommendations = "пересмотреть тариф ОСНС"'),
                      encoding="utf-8")
    out = tmp_path / "op"
    res = CliRunner().invoke(app, ["statutory", "opinion", str(results), "--text", str(edited), "--out", str(out),
                                   "--lang", "ru"])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} == {"opinion-2026-12-31-ru.pdf", "opinion-2026-12-31-ru.docx"}
    assert "пересмотреть тариф ОСНС" in _pdf_text(out / "opinion-2026-12-31-ru.pdf")
    bad = tmp_path / "bad.toml"
    bad.write_text("[opinion]\ncopies = 1\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["statutory", "opinion", str(results), "--text", str(bad), "--out",
                                   str(tmp_path / "none")])
    assert res.exit_code == 2 and "at least 3 copies" in res.output
    assert not (tmp_path / "none").exists()
    doc = json.loads(results.read_text(encoding="utf-8"))
    html = render_html(doc, {}, "en")
    assert "<table" in html and render_pdf(html).startswith(b"%PDF") and render_docx(doc, {}, "en")[:2] == b"PK"
