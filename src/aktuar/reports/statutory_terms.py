"""Russian and English texts of the statutory close's XLSX annex (``aktuar.services.statutory``), in one place.

The close document ``aktuar-statutory/1`` has English table titles and column labels with stable keys (a table
``key`` and column keys). This module gives every table its Russian sheet name, title and column labels in the
words of the Kazakhstan regulations (резерв незаработанной премии (РНП), резерв заявленных, но неурегулированных
убытков (РЗНУ), резерв произошедших, но незаявленных убытков (РПНУ), резерв неистекшего риска, маржа
платежеспособности, высоколиквидные активы), and the Russian words of the values that are a closed vocabulary
(yes/no, sufficient/insufficient, pass/FAIL, the reinsurance and IBNR methods, the solvency margin's components, the
additional risks, the parameter statuses, …).

Every text column of a table is classified here: a *closed* column's values must all have Russian words; an *open*
column holds names, codes or texts recorded by the calculation (class names, identifiers, formulas, citations of
sources, explanations), shown as recorded (with the Russian words of the known ones). :func:`missing` lists
what has no Russian text in a document — a table, a column, an unclassified text column, a value of a closed
column — and the tests run it over every table the demo close produces, so a new table cannot silently stay
English. Lookups fall back to the document's English text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aktuar.reports.ifrs17_terms import LANGUAGES, check_language, day

__all__ = ["LANGUAGES", "TABLES", "TableTerms", "Values", "check_language", "column_label", "day", "missing",
           "paragraph", "sheet", "text", "title", "value"]

_NUM = r"-?[0-9][0-9,]*(?:\.[0-9]+)?"


def _ru_number(s: str) -> str:
    """``-1,234,567.89`` (as the calculation wrote it) → ``-1 234 567,89``."""
    return s.replace(",", "\u00a0").replace(".", ",")


@dataclass(frozen=True)
class Values:
    """The Russian words of a text column's values: ``known`` exact values, ``patterns`` (a regular expression
    matched in full, and a function of the match giving the Russian text). ``closed``: every value must have
    Russian words (else it is reported by :func:`missing`); open columns hold names and recorded texts."""

    known: Mapping[str, str] = field(default_factory=dict)
    patterns: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = ()
    closed: bool = False

    def ru(self, v: str) -> str | None:
        if v in self.known:
            return self.known[v]
        for rx, fn in self.patterns:
            m = re.fullmatch(rx, v)
            if m:
                return fn(m) or None
        return None


NAMES = Values()  # names, identifiers and texts recorded by the calculation: shown as they are
YES_NO = Values({"yes": "да", "no": "нет"}, closed=True)
CLASSES = Values({"Total": "Итого"})
_METHODS = Values({
    "reinsurance share per class × gross UPR": "доля перестраховщика по классу × РНП брутто",
    "reinsurance share per contract × gross UPR": "доля перестраховщика по договору × РНП брутто",
    "reinsurance share per class × (case + settlement expenses)":
        "доля перестраховщика по классу × (оценка заявленного убытка + расходы на урегулирование)",
    "reinsurance share per class × gross IBNR": "доля перестраховщика по классу × РПНУ брутто",
    "no reinsurance": "без перестрахования",
    "no claims": "нет убытков",
}, closed=True)
_SMOOTHING = " with major-loss smoothing (capped claims + excess loading)"
_IBNR_METHODS = Values(
    {"no claims": "нет убытков"},
    ((r"(chain ladder|Bornhuetter–Ferguson)((?: with major-loss smoothing \(capped claims \+ excess loading\))?)",
      lambda m: ("цепная лестница" if m.group(1) == "chain ladder" else "метод Борнхюттера–Фергюсона")
      + (" со сглаживанием крупных убытков (ограничение убытков и надбавка за превышение)" if m.group(2) else "")),),
    closed=True)
_TREATIES = Values(
    {"no reinsurance": "без перестрахования"},
    ((r"quota share ([0-9.,]+) % \(treaty (.+)\)", lambda m: f"квотное перестрахование {m.group(1)} % "
                                                             f"(договор {m.group(2)})"),))
_SELECTIONS = Values({
    "no tail": "без хвостового коэффициента",
    "volume-weighted average of link ratios (α = 1)": "средневзвешенное по объёму значение цепных коэффициентов "
                                                      "(α = 1)",
    "σ of the last ages extrapolated by Mack’s rule": "σ последних возрастов экстраполирована по правилу Мака",
})
_RESERVE_TYPES = {"RBNS": "РЗНУ", "IBNR": "РПНУ"}
_WORST = {"payments above those expected": "превышения выплат над ожидаемыми",
          "re-estimate of the outstanding claims": "переоценки неурегулированных убытков"}


def _cause(m: re.Match[str]) -> str:
    head = m.group("head")
    fixed = {
        "sufficient: payments and re-estimated reserves did not exceed the opening reserve":
            "достаточно: выплаты и переоценённые резервы не превысили резерв на начало периода",
        "insufficient: no reserve was held at the start for claims that were paid or re-reserved":
            "недостаточно: на начало периода не было резерва по убыткам, которые были оплачены или "
            "зарезервированы заново",
        "insufficient: give the expected payments to split payments from re-estimate":
            "недостаточно: чтобы разделить выплаты и переоценку, задайте ожидаемые выплаты",
    }
    ru = fixed.get(head)
    if ru is None:
        h = re.fullmatch(rf"insufficient, mainly from the (.+) \(payments ({_NUM}), re-estimate ({_NUM})\)", head)
        if h is None or h.group(1) not in _WORST:
            return ""
        ru = (f"недостаточно, главным образом из-за {_WORST[h.group(1)]} (выплаты {_ru_number(h.group(2))}, "
              f"переоценка {_ru_number(h.group(3))})")
    if m.group("type"):
        t = m.group("type")
        ru += f"; наибольшая недостаточность по виду резерва — {_RESERVE_TYPES.get(t, t)} ({_ru_number(m.group('v'))})"
    return ru


_CAUSES = Values(patterns=((rf"(?P<head>.+?)(?:; the largest shortfall by reserve type is (?P<type>\w+) "
                            rf"\((?P<v>{_NUM})\))?", _cause),), closed=True)
_COMPONENTS = Values(
    {"Minimum solvency margin": "Минимальный размер маржи платежеспособности",
     "Actual solvency margin": "Фактическая маржа платежеспособности",
     "Sufficiency ratio": "Коэффициент достаточности маржи платежеспособности",
     "premium index": "индекс по премиям", "claims index": "индекс по выплатам",
     "retention coefficient k": "коэффициент собственного удержания k",
     "life part": "часть по страхованию жизни"},
    ((r"OGPO VTS premium \+(\d+)%", lambda m: f"надбавка {m.group(1)} % к премиям ОГПО ВТС"),
     (r"(.+): listed-class increase", lambda m: f"{m.group(1)}: увеличение по перечисленным классам"),
     (r"(.+): related-party increase", lambda m: f"{m.group(1)}: увеличение по связанным сторонам"),
     (r"(.+): non-performance increase", lambda m: f"{m.group(1)}: увеличение за неисполнение обязательств")),
    closed=True)
_RISKS = Values({
    "runoff_deficiency": "Недостаточность резервов по ретроспективному анализу (п. 9 2))",
    "reserve_uncertainty": "Неопределённость оценки резерва убытков",
    "reinsurer_default": "Риск неисполнения обязательств перестраховщиком",
    "excess_inflation": "Инфляция выплат выше прошлой",
    "judgement": "Риск по суждению актуария",
}, closed=True)
_STATUSES = Values({
    "in_force": "действует", "standard_formula": "стандартная формула", "market_convention": "рыночная практика",
    "methodology": "методика актуария", "illustrative": "иллюстративное значение",
    "not_in_sources": "нет в наших текстах нормативов", "not_in_force": "не действует",
    "override": "изменено в конфигурации расчёта",
}, closed=True)
_PRODUCTS = Values({"term": "срочное страхование жизни", "endowment": "смешанное страхование жизни",
                    "whole_life": "пожизненное страхование жизни"}, closed=True)


@dataclass(frozen=True)
class TableTerms:
    """Russian texts of one table key: the sheet name (at most 28 characters), the title (``{start}``, ``{end}``
    and ``{pack}`` from the document), the column labels (``{notches}``) and the text columns' values."""

    sheet: str
    title: str
    columns: Mapping[str, str]
    values: Mapping[str, Values] = field(default_factory=dict)


_CLASS = "Класс страхования"
_SHARE = "Доля перестраховщика"

TABLES: dict[str, TableTerms] = {
    "reserves": TableTerms(
        "Резервы", "Страховые резервы и доля перестраховщика по классам страхования",
        {"class": _CLASS, "upr_gross": "Резерв незаработанной премии",
         "upr_reinsurance": "Резерв незаработанной премии: доля перестраховщика",
         "rbns_gross": "Резерв заявленных, но неурегулированных убытков (с расходами на урегулирование)",
         "rbns_reinsurance": "РЗНУ: доля перестраховщика",
         "ibnr_gross": "Резерв произошедших, но незаявленных убытков",
         "ibnr_reinsurance": "РПНУ: доля перестраховщика", "urr_gross": "Резерв неистекшего риска",
         "urr_reinsurance": "Резерв неистекшего риска: доля перестраховщика",
         "annuities_gross": "Прогнозируемые выплаты (аннуитеты) по ОСНС (8(6))",
         "annuities_reinsurance": "Аннуитеты по ОСНС: доля перестраховщика",
         "life_gross": "Резерв чистых премий по страхованию жизни (8(7))",
         "life_reinsurance": "Резерв по страхованию жизни: доля перестраховщика",
         "total_gross": "Итого брутто", "total_reinsurance": "Итого доля перестраховщика", "total_net": "Итого нетто"},
        {"class": CLASSES}),
    "premiums": TableTerms(
        "Премии", "Страховые премии по действующим договорам и заявленные убытки по классам страхования",
        {"class": _CLASS, "premium_in_force": "Премии по действующим договорам",
         "premium_written": "Премии по договорам, заключённым в году",
         "reported_claims": "Заявленные убытки (известные на дату оценки), шт.",
         "open_claims": "Неурегулированные убытки на дату оценки, шт."},
        {"class": CLASSES}),
    "upr": TableTerms(
        "РНП", "Резерв незаработанной премии (pro rata temporis по дням)",
        {"class": _CLASS, "premium": "Премии по договорам, заключённым до даты оценки", "gross": "РНП брутто",
         "reinsurance": _SHARE, "net": "РНП нетто", "method": "Метод расчёта доли перестраховщика"},
        {"class": CLASSES, "method": _METHODS}),
    "rbns": TableTerms(
        "РЗНУ", "Резерв заявленных, но неурегулированных убытков (РЗНУ) с расходами на урегулирование",
        {"class": _CLASS, "open_claims": "Неурегулированные убытки, шт.", "case": "Оценки заявленных убытков",
         "expenses": "Расходы на урегулирование", "gross": "РЗНУ брутто", "reinsurance": _SHARE,
         "replaced_by_annuities": "Оценки, заменённые аннуитетами по ОСНС"},
        {"class": CLASSES}),
    "ibnr": TableTerms(
        "РПНУ", "Резерв произошедших, но незаявленных убытков (РПНУ)",
        {"class": _CLASS, "method": "Метод", "loss_period": "Период убытков",
         "apriori": "Априорный коэффициент убыточности", "threshold": "Порог крупного убытка",
         "large_claims": "Крупные убытки, шт.", "large_effect": "Эффект сглаживания крупных убытков",
         "gross": "РПНУ брутто", "reinsurance": _SHARE, "net": "РПНУ нетто"},
        {"class": CLASSES, "method": _IBNR_METHODS, "loss_period": NAMES}),
    "development": TableTerms(
        "Коэффициенты развития", "Выбранные коэффициенты развития (заявленные убытки, по годам)",
        {"class": _CLASS, "age": "Возраст (мес.)", "factor": "Коэффициент развития",
         "cumulative": "Кумулятивный коэффициент", "selection": "Выбор"},
        {"class": CLASSES, "selection": _SELECTIONS}),
    "settlement_expenses": TableTerms(
        "Расходы на урегулирование", "Расходы на урегулирование убытков",
        {"class": _CLASS, "paid_expenses": "Оплаченные расходы на урегулирование",
         "paid_claims": "Оплаченные убытки (те же годы)", "ratio": "Коэффициент",
         "case": "Оценки заявленных убытков", "reserve": "Резерв расходов на урегулирование"},
        {"class": CLASSES}),
    "average_paid_claim": TableTerms(
        "Средний убыток", "Средняя величина оплаченного убытка по группам страховых случаев (убытки, "
                          "урегулированные за последние 12 месяцев)",
        {"group": "Группа страховых случаев", "count": "Урегулировано убытков, шт.", "paid": "Оплачено",
         "average": "Средняя величина оплаченного убытка"},
        {"group": NAMES}),
    "unexpired_risk": TableTerms(
        "Неистекший риск", "Проверка на неистекший риск (недостаточность премии)",
        {"class": _CLASS, "upr": "РНП", "elr": "Ожидаемый коэффициент убыточности", "er": "Коэффициент расходов",
         "cost": "Ожидаемая стоимость неистекшего покрытия", "reserve": "Резерв неистекшего риска",
         "sufficient": "РНП достаточен"},
        {"class": CLASSES, "sufficient": YES_NO}),
    "osns": TableTerms(
        "ОСНС", "Прогнозируемые выплаты по ОСНС (аннуитеты потерпевшим и иждивенцам)",
        {"id": "Получатель", "pv": "Приведённая стоимость", "undiscounted": "Без дисконтирования",
         "first_year": "Выплаты в первый год"},
        {"id": NAMES}),
    "life": TableTerms(
        "Страхование жизни", "Резервы чистых премий по страхованию жизни",
        {"id": "Договор", "product": "Продукт", "age": "Возраст при заключении договора",
         "duration": "Срок действия договора (лет)", "net_premium": "Нетто-премия",
         "reserve": "Резерв чистых премий"},
        {"id": NAMES, "product": _PRODUCTS}),
    "reinsurance": TableTerms(
        "Перестрахование", "Доля перестраховщика: методы расчёта",
        {"class": _CLASS, "share": "Доля", "treaty": "Договор перестрахования", "upr": "РНП", "rbns": "РЗНУ",
         "ibnr": "РПНУ"},
        {"class": CLASSES, "treaty": _TREATIES, "upr": _METHODS, "rbns": _METHODS, "ibnr": _METHODS}),
    "adequacy": TableTerms(
        "Достаточность резервов", "Тест на достаточность резервов убытков: ретроспективный анализ {start} – {end}",
        {"class": _CLASS, "reserve_start": "Резервы убытков на начало периода", "paid": "Оплачено за 12 месяцев",
         "reserve_end": "Переоценённые резервы на конец периода", "difference": "Результат ретроспективного анализа",
         "runoff_ratio": "Коэффициент ретроспективного анализа", "rbns_difference": "в том числе РЗНУ",
         "ibnr_difference": "в том числе РПНУ", "expected_paid": "Ожидаемые выплаты", "sufficient": "Вывод",
         "cause": "Анализ"},
        {"class": CLASSES, "sufficient": Values({"sufficient": "достаточно", "insufficient": "недостаточно"},
                                                closed=True), "cause": _CAUSES}),
    "additional_risks": TableTerms(
        "Дополнительные риски", "Дополнительные риски и увеличение страховых резервов",
        {"risk": "Риск", "class": _CLASS, "exposure": "База расчёта", "parameter": "Параметр",
         "increase": "Увеличение резервов", "present": "Риск выявлен", "basis": "Обоснование (как записано в расчёте)",
         "reason": "Причина"},
        {"risk": _RISKS, "class": Values({"portfolio": "портфель"}), "present": YES_NO, "basis": NAMES,
         "reason": NAMES}),
    "solvency": TableTerms(
        "Маржа платежеспособности", "Минимальный и фактический размер маржи платежеспособности",
        {"component": "Показатель", "amount": "Сумма", "formula": "Формула", "citation": "Источник"},
        {"component": _COMPONENTS, "formula": NAMES, "citation": NAMES}),
    "liquid_assets": TableTerms(
        "Высоколиквидные активы", "Высоколиквидные активы (п. 38 нормативных значений) и их изменение при "
                                  "понижении рейтингов",
        {"asset": "Актив", "amount": "Сумма", "category": "Категория", "recognised": "Принимается в расчёт",
         "reason": "Обоснование (как записано в расчёте)",
         "what_if_category": "Категория при понижении рейтингов на {notches} ступ.",
         "what_if_recognised": "Принимается в расчёт после понижения"},
        {"asset": NAMES, "category": Values({"not liquid": "не относится к высоколиквидным"}), "reason": NAMES,
         "what_if_category": Values({"not liquid": "не относится к высоколиквидным"})}),
    "tariffs": TableTerms(
        "Тарифы", "Проверка страховых тарифов продуктов",
        {"product": "Продукт", "rule": "Правило", "applies": "Применяется", "passed": "Результат",
         "detail": "Подробности (как записаны в расчёте)", "paragraph": "Пункт"},
        {"product": NAMES, "rule": NAMES, "applies": YES_NO,
         "passed": Values({"pass": "соответствует", "FAIL": "НЕ СООТВЕТСТВУЕТ"}, closed=True), "detail": NAMES,
         "paragraph": NAMES}),
    "pack": TableTerms(
        "Пакет нормативов", "Пакет нормативов {pack}: использованные параметры",
        {"key": "Параметр", "value": "Значение", "status": "Статус", "citation": "Источник"},
        {"key": NAMES, "value": NAMES, "status": _STATUSES, "citation": NAMES}),
}

# --------------------------------------------------------------------------------------- workbook texts
_TEXT: dict[str, dict[str, str]] = {
    "sheet.summary": {"ru": "Сводка", "en": "Summary"},
    "summary.title": {"ru": "Обязательная отчётность (Казахстан): страховые резервы, достаточность резервов, "
                            "пруденциальные нормативы",
                      "en": "Statutory close (Kazakhstan): insurance reserves, adequacy, normatives"},
    "meta.entity": {"ru": "Организация", "en": "Entity"},
    "meta.valuation_date": {"ru": "Дата оценки", "en": "Valuation date"},
    "meta.calculated_as_of": {"ru": "Расчёты по состоянию на", "en": "Calculations as of"},
    "meta.due_date": {"ru": "Срок представления заключения", "en": "Opinion due"},
    "meta.currency": {"ru": "Валюта", "en": "Currency"},
    "meta.pack": {"ru": "Пакет нормативов", "en": "Regulation pack"},
    "meta.schema": {"ru": "Схема документа", "en": "Schema"},
    "meta.version": {"ru": "Версия aktuar", "en": "aktuar version"},
    "meta.tables": {"ru": "Таблицы", "en": "Tables"},
    "meta.warnings": {"ru": "Предупреждения (как записаны в расчёте)", "en": "Warnings"},
}


def text(key: str, lang: str) -> str:
    """A fixed text of the annex (the summary sheet's labels)."""
    return _TEXT[key][check_language(lang)]


def _params(document: Mapping[str, Any]) -> dict[str, Any]:
    ad = document.get("adequacy") or {}
    la = document.get("liquid_assets") or {}
    return {"start": day(ad.get("start", ""), "ru"), "end": day(ad.get("end", ""), "ru"),
            "pack": (document.get("pack") or {}).get("name", ""), "notches": la.get("what_if_notches", "")}


def sheet(t: Mapping[str, Any], lang: str) -> str:
    """The sheet name of table record ``t``: its key in English, a Russian name in Russian."""
    terms = TABLES.get(str(t.get("key")))
    return terms.sheet if lang == "ru" and terms is not None else str(t["key"])


def title(t: Mapping[str, Any], document: Mapping[str, Any], lang: str) -> str:
    terms = TABLES.get(str(t.get("key")))
    if lang != "ru" or terms is None:
        return str(t["title"])
    return terms.title.format(**_params(document))


def column_label(t: Mapping[str, Any], column: Mapping[str, Any], document: Mapping[str, Any], lang: str) -> str:
    terms = TABLES.get(str(t.get("key")))
    if lang != "ru" or terms is None or column["key"] not in terms.columns:
        return str(column["label"])
    return terms.columns[str(column["key"])].format(**_params(document))


def value(t: Mapping[str, Any], column: Mapping[str, Any], v: str, lang: str) -> str:
    """A text cell of column ``column`` of table ``t`` in ``lang`` (as recorded when it has no Russian words)."""
    if lang != "ru":
        return v
    terms = TABLES.get(str(t.get("key")))
    spec = None if terms is None else terms.values.get(str(column["key"]))
    return (spec.ru(v) if spec is not None else None) or v


_ID = re.compile(r"\bKZ\d+-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")


def _ru_paragraph(v: str) -> str:
    v = v.replace("issue 6 (regulation packs)", "пакеты нормативов (задача 6)")
    return re.sub(r"\bitems?\b", "п.", v)


def paragraph(v: str, lang: str) -> str:
    """``KZ191-OP item 9(1)`` → ``KZ191-OP п. 9(1)`` in Russian (requirement IDs stay as they are)."""
    return _ru_paragraph(v) if lang == "ru" else v


# -------------------------------------------------------------------------------------------- checking
def missing(document: Mapping[str, Any]) -> list[str]:
    """What of ``document``'s tables has no Russian text (empty when the Russian annex is entirely Russian apart
    from names and recorded texts)."""
    out: list[str] = []
    for t in document.get("tables", []):
        k = str(t.get("key"))
        terms = TABLES.get(k)
        if terms is None:
            out.append(f"table {k}: no Russian texts")
            continue
        if re.search(r"[A-Za-z]{2,}", _ID.sub("", _ru_paragraph(str(t.get("paragraph", ""))))):
            out.append(f"table {k}: paragraph {t.get('paragraph')!r}")
        for c in t.get("columns", []):
            key = str(c["key"])
            if key not in terms.columns:
                out.append(f"table {k}: column {key!r}")
            if c.get("format") != "text":
                continue
            spec = terms.values.get(key)
            if spec is None:
                out.append(f"table {k}: text column {key!r} is not classified (names or closed vocabulary)")
                continue
            if spec.closed:
                for r in t.get("rows", []):
                    v = r.get(key)
                    if v is not None and spec.ru(str(v)) is None:
                        out.append(f"table {k}: column {key!r}: value {v!r}")
    return sorted(set(out))
