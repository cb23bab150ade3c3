"""The self-contained HTML reserve summary: number formats, sections, inline charts, no outside resources.

The reserves shown are those of the RAA triangle (Mack 1994, "Measuring the variability of chain ladder
reserve estimates", CAS Forum Spring 1994; the data in tests/reference/data/mack1994_raa.json); the page is
checked for what it shows, not for the numbers, which the reserving tests verify.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from aktuar.core.reserving import from_array
from aktuar.core.reserving.patterns import cash_flows
from aktuar.errors import InputError
from aktuar.reports.html import (
    ClassReport,
    MethodEstimate,
    ReserveReport,
    chart_bootstrap,
    fmt_date,
    fmt_millions,
    fmt_number,
    fmt_pct,
    fmt_thousands,
    render_reserve_report,
    write_reserve_report,
)
from aktuar.services.reserving import ReserveRequest, estimate

RAA = Path(__file__).parents[1] / "reference" / "data" / "mack1994_raa.json"
T = "\u2009"


def raa_report(code: str = "RAA", **request: object) -> ReserveReport:
    data = json.loads(RAA.read_text())["triangle"]
    tri = from_array(np.array(data["values"], dtype=float) * 1000.0, origin=data["origin"],
                     development=[12 * int(d) if int(d) < 12 else int(d) for d in data["development"]])
    tri = replace(tri, measure="paid")
    mack = estimate(tri, ReserveRequest(method="mack", **request))  # type: ignore[arg-type]
    boot = estimate(tri, ReserveRequest(method="bootstrap", sims=300, seed=1))
    cdr = estimate(tri, ReserveRequest(method="cdr"))
    latest = tri.latest()[0]
    methods = [MethodEstimate("cl_paid", "Цепная лестница", "Chain ladder", mack.ibnr[0], float(mack.total_se[0])),
               MethodEstimate("bootstrap", "Бутстрэп", "Bootstrap", boot.ibnr[0], float(boot.total_se[0]))]
    cls = ClassReport(code=code, name_ru="Перестрахование", name_en="Reinsurance", selected=mack, paid_latest=latest,
                      methods=methods, case_reserves=np.zeros_like(latest), bootstrap=boot, cdr=cdr,
                      cash_flows=cash_flows(mack), warnings=["a warning <with> markup"])
    return ReserveReport(title_ru="Резервы убытков", title_en="Claims reserves", entity_ru="Тест", entity_en="Test",
                         valuation=date(1990, 12, 31), currency="KZT", classes=[cls],
                         inputs=[("raa.csv", "0" * 64)], parameters={"Метод / method": "Mack"})


def test_number_formats() -> None:
    assert fmt_number(1234567.891, 2) == f"1{T}234{T}567,89"
    assert fmt_number(-1234) == f"\u22121{T}234"
    assert fmt_number(-0.4) == "0"  # no negative zero
    assert fmt_number(999.5) == f"1{T}000"
    assert fmt_number(None) == "—" and fmt_number(float("nan")) == "—" and fmt_number(float("inf")) == "—"
    assert fmt_thousands(2_500_000.0) == f"2{T}500"
    assert fmt_millions(2.5e9) == f"2{T}500,0"
    assert fmt_pct(0.1234) == f"12,3{T}%"
    assert fmt_pct(None) == "—"
    assert fmt_date(date(2025, 12, 31)) == "31.12.2025"


@pytest.fixture(scope="module")
def page() -> str:
    return render_reserve_report(raa_report())


def test_sections_and_bilingual_headings(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ru">' in page
    for ru, en in (("Резервы убытков", "Claims reserves"), ("Итоги по классам", "Summary by class"),
                   ("Сравнение методов", "Comparison of methods"), ("Факторы развития", "Development factors"),
                   ("Распределение резерва", "Reserve distribution"),
                   ("Паттерн выплат и денежные потоки", "Payment pattern and cash flows"),
                   ("Предупреждения", "Warnings"), ("Данные и методы", "Data and methods")):
        assert ru in page and en in page, ru
    assert "Треугольник оплаченных убытков" in page
    assert "31.12.1990" in page
    assert "a warning &lt;with&gt; markup" in page  # text is escaped
    assert "Крупные убытки" not in page and 'id="ulae"' not in page  # sections without data are left out


def test_inline_svg_charts_and_no_outside_resources(page: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == 5  # summary, reserve by origin, factors, bootstrap, cash flows
    for svg in svgs:
        assert 'class="chart"' in svg and "viewBox" in svg
        assert "<text" in svg  # text stays text (svg.fonttype none)
    assert "<script" not in page and "<link" not in page and "<img" not in page and "@import" not in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    assert not re.search(r"url\((?!#)", page)  # only references to the page's own ids
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for ref in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', page):
        assert (ref[0] or ref[1]) in ids


def test_amounts_in_russian_typography(page: str) -> None:
    assert f"{T}%" in page
    assert re.search(rf"\d{T}\d{{3}}", page)
    assert ">nan<" not in page.lower() and ">inf<" not in page.lower()


def test_same_report_same_page(page: str) -> None:
    assert render_reserve_report(raa_report()) == page


def test_excluded_link_ratios_are_struck_through() -> None:
    html = render_reserve_report(raa_report(drop_high=1))
    assert "line-through" in html
    assert "line-through" not in render_reserve_report(raa_report())


def test_minimal_class_and_special_characters(tmp_path: Path) -> None:
    full = raa_report(code="A<B & C")
    c = full.classes[0]
    bare = ClassReport(code=c.code, name_ru=c.name_ru, name_en=c.name_en, selected=c.selected,
                       paid_latest=c.paid_latest)
    html = render_reserve_report(replace(full, classes=[bare]))
    assert "A&lt;B &amp; C" in html and "A<B" not in html
    assert "Нет предупреждений / No warnings" in html
    assert "Распределение резерва" not in html
    out = tmp_path / "page.html"
    write_reserve_report(out, replace(full, classes=[bare]))
    assert out.read_text(encoding="utf-8") == html
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_bootstrap_chart_scaled_quantiles() -> None:
    rep = raa_report()
    boot = rep.classes[0].bootstrap
    assert boot is not None and boot.total_quantiles is not None
    q995 = float(boot.total_quantiles[0, -1])
    svg = chart_bootstrap(boot, 1.0, None, "KZT", "t", scale=2.0)
    assert fmt_millions(2.0 * q995) in svg


def test_no_class_is_an_error() -> None:
    with pytest.raises(InputError):
        render_reserve_report(replace(raa_report(), classes=[]))
