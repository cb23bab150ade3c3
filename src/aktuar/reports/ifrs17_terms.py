"""Russian and English texts of the IFRS 17 workbook (``aktuar.reports.ifrs17_output``), in one place.

The disclosure tables of ``aktuar-ifrs17/1`` documents (``aktuar.core.ifrs17.disclosures`` and the close in
``aktuar.services.ifrs17``) carry English titles and labels with stable keys: a table ``key``, row keys and column
keys. This module maps those keys to Russian texts in the terminology of the official Russian text of IFRS 17
«Договоры страхования» (МСФО (IFRS) 17, as published by the Ministry of Finance of Russia and used in
Kazakhstan): выручка по страхованию, расходы по услугам страхования, маржа за предусмотренные договором услуги,
рисковая поправка на нефинансовый риск, оценка приведённой стоимости будущих денежных потоков, обязательство по
оставшейся части покрытия, обязательство по возникшим требованиям, компонент убытка, аквизиционные денежные потоки
по страхованию, финансовые доходы или расходы по страхованию, группа договоров, портфель, когорта, обременительные
договоры.

Lookups fall back to the document's English text when a key has no Russian text, and :func:`missing` lists every
such key of a document (the tests run it over every table the demo close produces, so a new table, row, column or
note cannot silently stay English). Rows or columns that are names rather than keys (the portfolios of the para
119 table, the scenarios of para 128, the accident years of para 130) are shown as they are. The texts of the
group register (the reason a contract was put in its group) are shown as recorded in the register.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aktuar.errors import InputError

__all__ = ["LANGUAGES", "TABLES", "TableTerms", "check_language", "column_label", "day", "group", "missing",
           "note", "paragraph", "profitability", "row_label", "text", "title"]

LANGUAGES = ("ru", "en")


def check_language(lang: str) -> str:
    """``lang`` when it is ``ru`` or ``en``; else an :class:`InputError` naming the choices."""
    if lang not in LANGUAGES:
        raise InputError(f"the workbook language is one of {', '.join(LANGUAGES)}, not '{str(lang)[:10]}'",
                         column="lang")
    return lang


# --------------------------------------------------------------------------------------- workbook texts
_TEXT: dict[str, dict[str, str]] = {
    "sheet.summary": {"ru": "Сводка", "en": "Summary"},
    "sheet.groups": {"ru": "Группы", "en": "Groups"},
    "sheet.contracts": {"ru": "Договоры", "en": "Contracts"},
    "summary.title": {"ru": "Раскрытие информации по МСФО (IFRS) 17", "en": "IFRS 17 disclosures"},
    "meta.entity": {"ru": "Организация", "en": "Entity"},
    "meta.reporting_date": {"ru": "Отчётная дата", "en": "Reporting date"},
    "meta.currency": {"ru": "Валюта", "en": "Currency"},
    "meta.schema": {"ru": "Схема документа", "en": "Schema"},
    "meta.version": {"ru": "Версия aktuar", "en": "aktuar version"},
    "meta.tables": {"ru": "Таблицы", "en": "Tables"},
    "groups.title": {"ru": "Группы договоров страхования (МСФО (IFRS) 17, п. 14–24)",
                     "en": "Groups of insurance contracts (IFRS 17 para 14–24)"},
    "contracts.title": {"ru": "Договоры: группа при первоначальном признании и применённый критерий "
                              "(обоснование — как записано в реестре групп)",
                        "en": "Contracts: group at initial recognition and the test used"},
    "col.group_id": {"ru": "Группа договоров", "en": "group_id"},
    "col.portfolio": {"ru": "Портфель", "en": "portfolio"},
    "col.cohort": {"ru": "Когорта", "en": "cohort"},
    "col.profitability": {"ru": "Прибыльность при первоначальном признании", "en": "profitability"},
    "col.count": {"ru": "Число договоров", "en": "count"},
    "col.contract_id": {"ru": "Договор", "en": "contract_id"},
    "col.new": {"ru": "Признан в периоде", "en": "new"},
    "col.reason": {"ru": "Обоснование", "en": "reason"},
    "yes": {"ru": "да", "en": "yes"},
    "no": {"ru": "нет", "en": "no"},
    "sub.group": {"ru": "группа {x}", "en": "group {x}"},
    "sub.period": {"ru": "период {x}", "en": "period {x}"},
}

_PROFITABILITY_RU = {
    "onerous": "обременительные",
    "no_significant_risk": "без значительной вероятности стать обременительными",
    "remaining": "прочие",
}


def text(key: str, lang: str, **kw: Any) -> str:
    """A fixed text of the workbook (sheet names, the summary's labels, the group and contract headers)."""
    s = _TEXT[key][check_language(lang)]
    return s.format(**kw) if kw else s


def profitability(value: str, lang: str) -> str:
    """The profitability of a group (para 16): the code in English (as in the JSON), the words in Russian."""
    return _PROFITABILITY_RU.get(value, value) if lang == "ru" else value


def group(value: str, lang: str) -> str:
    """The group of a table: a group id or portfolio as it is; ``total`` (all groups) in words in Russian."""
    return "итого" if lang == "ru" and value == "total" else value


def day(value: Any, lang: str) -> str:
    """An ISO date written as text: ``dd.mm.yyyy`` in Russian, ISO in English; anything else unchanged."""
    s = "" if value is None else str(value)
    if lang == "ru" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        try:
            return date.fromisoformat(s).strftime("%d.%m.%Y")
        except ValueError:
            return s
    return s


# -------------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class TableTerms:
    """Russian texts of one table key. ``title`` may use ``{group}`` (the table's group, e.g. a reinsurance
    contract's name). ``data_rows`` / ``data_columns``: the rows / columns other than ``total`` are names (shown
    as they are). ``en_rows`` / ``en_columns``: English labels for keys the document shows as bare keys."""

    title: str
    rows: Mapping[str, str]
    columns: Mapping[str, str]
    data_rows: bool = False
    data_columns: bool = False
    en_rows: Mapping[str, str] = field(default_factory=dict)
    en_columns: Mapping[str, str] = field(default_factory=dict)


_OPENING = "Остаток на начало периода"
_CLOSING = "Остаток на конец периода"
_TOTAL = "Итого"
_CSM = "Маржа за предусмотренные договором услуги (CSM)"
_RA = "Рисковая поправка на нефинансовый риск"
_PV = "Оценка приведённой стоимости будущих денежных потоков"
_LIC = "Обязательство по возникшим требованиям"

_ROWS_100 = {
    "opening": _OPENING,
    "insurance_revenue": "Выручка по страхованию (п. 103(a))",
    "incurred_claims_and_expenses": "Понесённые убытки и прочие понесённые расходы по услугам страхования "
                                    "(п. 103(b)(i))",
    "acquisition_amortisation": "Амортизация аквизиционных денежных потоков по страхованию (п. 103(b)(ii))",
    "losses_and_reversals_onerous": "Убытки по группам обременительных договоров и восстановление таких убытков "
                                    "(п. 103(b)(iv))",
    "loss_component_allocation": "Компонент убытка, распределённый на расходы (п. 50(a), 51)",
    "past_service_changes": "Изменения, которые относятся к прошлым услугам (п. 103(b)(iii))",
    "investment_components": "Инвестиционные компоненты (п. 103(c))",
    "finance_expense": "Финансовые расходы по страхованию (п. 105(c))",
    "premiums_received": "Полученные премии (п. 105(a)(i))",
    "claims_and_expenses_paid": "Выплаченные убытки и прочие выплаченные расходы по услугам страхования "
                                "(п. 105(a)(iii))",
    "acquisition_paid": "Уплаченные аквизиционные денежные потоки по страхованию (п. 105(a)(ii))",
    "closing": _CLOSING,
}
_COLUMNS_100 = {
    "lrc_excl_loss_component": "Обязательство по оставшейся части покрытия, за исключением компонента убытка",
    "loss_component": "Компонент убытка",
    "lic": _LIC,
    "lic_pv_future_cash_flows": f"{_LIC}: оценка приведённой стоимости будущих денежных потоков",
    "lic_risk_adjustment": f"{_LIC}: рисковая поправка на нефинансовый риск",
    "total": _TOTAL,
}
_ROWS_101 = {
    "opening": _OPENING,
    "changes_in_estimates_adjusting_csm": "Изменения расчётных оценок, которые корректируют маржу за "
                                          "предусмотренные договором услуги (п. 104(a)(i))",
    "changes_in_estimates_not_adjusting_csm": "Изменения расчётных оценок, которые не корректируют маржу за "
                                              "предусмотренные договором услуги: убытки по группам обременительных "
                                              "договоров и восстановление таких убытков (п. 104(a)(ii))",
    "new_contracts": "Влияние договоров, первоначально признанных в течение периода (п. 104(a)(iii))",
    "csm_recognised": "Маржа за предусмотренные договором услуги, признанная в составе прибыли или убытка для "
                      "отражения переданных услуг (п. 104(b)(i))",
    "ra_released": "Изменение рисковой поправки на нефинансовый риск, которое не относится к будущим или прошлым "
                   "услугам (п. 104(b)(ii))",
    "experience_adjustments": "Корректировки на основе опыта (п. 104(b)(iii))",
    "past_service_changes": "Изменения, которые относятся к прошлым услугам (п. 104(c))",
    "finance_expense": "Финансовые расходы по страхованию (п. 105(c))",
    "premiums_received": "Полученные премии (п. 105(a)(i))",
    "cash_outflows": "Выплаченные убытки, расходы, инвестиционные компоненты и аквизиционные денежные потоки "
                     "(п. 105(a))",
    "closing": _CLOSING,
}
_COLUMNS_101 = {"pv_future_cash_flows": _PV, "risk_adjustment": _RA, "csm": _CSM, "total": _TOTAL}

TABLES: dict[str, TableTerms] = {
    "100": TableTerms(
        "Сверка остатков обязательства по оставшейся части покрытия и обязательства по возникшим требованиям",
        _ROWS_100, _COLUMNS_100),
    "100-paa": TableTerms(
        "Сверка остатков обязательства по оставшейся части покрытия и обязательства по возникшим требованиям "
        "(подход на основе распределения премии)", _ROWS_100, _COLUMNS_100),
    "101": TableTerms("Сверка компонентов оценки остатков по договорам страхования", _ROWS_101, _COLUMNS_101),
    "106": TableTerms(
        "Анализ выручки по страхованию",
        {
            "expected_claims_and_expenses": "Ожидаемые расходы по услугам страхования, понесённые в течение периода "
                                            "(п. 106(a)(i), B124(a))",
            "ra_released": "Изменение рисковой поправки на нефинансовый риск (п. 106(a)(ii), B124(b))",
            "csm_recognised": "Маржа за предусмотренные договором услуги, признанная в составе прибыли или убытка "
                              "(п. 106(a)(iii), B124(c))",
            "other_amounts": "Прочие суммы, например корректировки на основе опыта в отношении поступлений премий "
                             "(п. 106(a)(iv), B124(d))",
            "acquisition_recovery": "Возмещение аквизиционных денежных потоков по страхованию (п. 106(b), B125)",
            "paa_revenue": "Выручка по страхованию групп, оцениваемых с применением подхода на основе распределения "
                           "премии (B126)",
            "total": "Выручка по страхованию",
        },
        {"amount": "Сумма"}),
    "109": TableTerms(
        "Ожидаемое признание маржи за предусмотренные договором услуги в составе прибыли или убытка",
        {"year_1": "1 год", "year_2": "2 года", "year_3": "3 года", "year_4": "4 года", "year_5": "5 лет",
         "years_6_10": "6–10 лет", "over_10_years": "Более 10 лет", "total": _TOTAL},
        {"csm_release": "Маржа за предусмотренные договором услуги, ожидаемая к признанию"}),
    "119": TableTerms(
        "Рисковая поправка на нефинансовый риск и соответствующий ей доверительный уровень",
        {"total": _TOTAL},
        {"best_estimate": "Наилучшая оценка (оценка приведённой стоимости будущих денежных потоков)",
         "risk_adjustment": _RA, "confidence_level": "Доверительный уровень"},
        data_rows=True),
    "128": TableTerms(
        "Анализ чувствительности к обоснованно возможным изменениям переменных риска (до налогообложения)",
        {},
        {"profit_or_loss": "Влияние на прибыль или убыток", "other_comprehensive_income":
         "Влияние на прочий совокупный доход", "equity": "Влияние на капитал",
         "insurance_liabilities": "Влияние на чистые обязательства по договорам страхования",
         "csm": "Влияние на маржу за предусмотренные договором услуги"},
        data_rows=True),
    "130": TableTerms(
        "Динамика убытков: фактические убытки в сравнении с предыдущими расчётными оценками (без дисконтирования)",
        {"estimate_end_of_accident_year": "На конец года наступления убытков",
         "current_estimate": "Текущая расчётная оценка накопленных убытков",
         "cumulative_payments": "Накопленные выплаты на дату", "liability": "Недисконтированное обязательство"},
        {"total": _TOTAL},
        data_columns=True),
    "130-reconciliation": TableTerms(
        "Динамика убытков: сверка с обязательством по возникшим требованиям",
        {"liability_years_shown": "Недисконтированное обязательство за представленные годы наступления убытков",
         "liability_earlier_years": "Недисконтированное обязательство за более ранние годы наступления убытков",
         "claims_settlement_expenses": "Расходы на урегулирование убытков (ULAE)",
         "effect_of_discounting": "Эффект дисконтирования", "risk_adjustment": _RA,
         "other": "Прочие статьи сверки",
         "lic_carrying_amount": f"{_LIC} (балансовая стоимость)"},
        {"amount": "Сумма"}),
    "100-reinsurance": TableTerms(
        "Удерживаемые договоры перестрахования: {group} (активы)",
        {"opening": _OPENING, "allocation_of_premiums": "Распределение уплаченных премий по перестрахованию",
         "recoveries_of_incurred_claims": "Суммы, возмещённые в отношении понесённых убытков",
         "loss_recovery_component": "Компонент возмещения убытков (п. 66A)",
         "finance_income": "Финансовые доходы (за вычетом риска невыполнения обязательств перестраховщиком)",
         "premiums_paid": "Уплаченные премии (за вычетом перестраховочной комиссии)",
         "recoveries_received": "Полученные возмещения", "closing": _CLOSING},
        {"remaining_coverage_excl_loss_recovery": "Актив по оставшейся части покрытия, за исключением компонента "
                                                  "возмещения убытков",
         "loss_recovery_component": "Компонент возмещения убытков", "incurred_claims": "Актив по возникшим "
                                                                                        "требованиям",
         "total": _TOTAL}),
    "101-reinsurance": TableTerms(
        "Удерживаемые договоры перестрахования: {group} (знак обязательства: актив — со знаком минус)",
        {"opening": _OPENING, "new_contracts": "Договоры, первоначально признанные в течение периода",
         "loss_recovery": "Признание компонента возмещения убытков (п. 66A)", "premiums_paid": "Уплаченные премии",
         "finance": "Финансовые доходы или расходы по перестрахованию",
         "future_service_changes": "Изменения, которые относятся к будущим услугам",
         "non_performance_changes": "Изменение риска невыполнения обязательств перестраховщиком (п. 67)",
         "current_service": "Изменения, которые относятся к текущим услугам",
         "recoveries_received": "Полученные возмещения", "closing": _CLOSING},
        {"pv_future_cash_flows": _PV, "non_performance": "Риск невыполнения обязательств перестраховщиком",
         "risk_adjustment": _RA, "csm": _CSM, "total": _TOTAL},
        en_rows={"opening": "Opening balance", "new_contracts": "Contracts initially recognised in the period",
                 "loss_recovery": "Loss-recovery component recognised (para 66A)", "premiums_paid": "Premiums paid",
                 "finance": "Reinsurance finance income or expenses",
                 "future_service_changes": "Changes relating to future service",
                 "non_performance_changes": "Changes in the risk of non-performance by the reinsurer (para 67)",
                 "current_service": "Changes relating to current service",
                 "recoveries_received": "Recoveries received", "closing": "Closing balance"},
        en_columns={"non_performance": "Risk of non-performance by the reinsurer"}),
}

_LATER = re.compile(r"^estimate_(\d+)_years_later$")


def _years(k: int) -> str:
    if k % 10 == 1 and k % 100 != 11:
        return f"{k} год"
    if k % 10 in (2, 3, 4) and k % 100 not in (12, 13, 14):
        return f"{k} года"
    return f"{k} лет"


def _ru_title(t: Mapping[str, Any]) -> str | None:
    terms = TABLES.get(str(t.get("key")))
    return None if terms is None else terms.title.format(group=t.get("group") or "")


def _ru_row(t: Mapping[str, Any], key: str, label: str) -> str | None:
    terms = TABLES.get(str(t.get("key")))
    if terms is None:
        return None
    if key in terms.rows:
        return terms.rows[key]
    m = _LATER.match(key)
    if m and t.get("key") == "130":
        return f"Через {_years(int(m.group(1)))}"
    return label if terms.data_rows and key != "total" else None


def _ru_column(t: Mapping[str, Any], key: str, label: str) -> str | None:
    terms = TABLES.get(str(t.get("key")))
    if terms is None:
        return None
    if key in terms.columns:
        return terms.columns[key]
    return label if terms.data_columns and key != "total" else None


def title(t: Mapping[str, Any], lang: str) -> str:
    """The title of table record ``t`` (``{key, title, group, …}``) in ``lang``."""
    return (_ru_title(t) if lang == "ru" else None) or str(t["title"])


def row_label(t: Mapping[str, Any], row: Mapping[str, Any], lang: str) -> str:
    """The label of ``row`` (``{key, label, …}``) of table ``t`` in ``lang``."""
    key, label = str(row["key"]), str(row["label"])
    if lang == "ru":
        return _ru_row(t, key, label) or label
    terms = TABLES.get(str(t.get("key")))
    return terms.en_rows.get(key, label) if terms is not None and label == key else label


def column_label(t: Mapping[str, Any], column: Mapping[str, Any], lang: str) -> str:
    """The label of ``column`` (``{key, label}``) of table ``t`` in ``lang``."""
    key, label = str(column["key"]), str(column["label"])
    if lang == "ru":
        return _ru_column(t, key, label) or label
    terms = TABLES.get(str(t.get("key")))
    return terms.en_columns.get(key, label) if terms is not None and label == key else label


def paragraph(value: str, lang: str) -> str:
    """``IFRS 17 para 100, 103`` → ``МСФО (IFRS) 17, п. 100, 103`` in Russian."""
    if lang != "ru":
        return value
    return re.sub(r"\bIFRS 17 para\b", "МСФО (IFRS) 17, п.", value).replace("IFRS 17", "МСФО (IFRS) 17")


# ---------------------------------------------------------------------------------------------- notes
_DISTRIBUTION_RU = {"lognormal": "логнормальное распределение", "normal": "нормальное распределение",
                    "simulations": "распределение по результатам моделирования"}
_ALLOCATION_RU = {"euler": "распределение по Эйлеру", "pro_rata": "пропорциональное распределение"}
_SCENARIO_PART = (r"(?:curve [+-]?[0-9.]+(?:e[+-]?\d+)? bp|non-life claims × [0-9.]+(?:e[+-]?\d+)?|"
                  r"mortality × [0-9.]+(?:e[+-]?\d+)?|lapses × [0-9.]+(?:e[+-]?\d+)?)")
_SCENARIO = re.compile(rf"^(?P<name>.+): (?P<parts>no change|{_SCENARIO_PART}(?:, {_SCENARIO_PART})*)$")


def _comma(s: str) -> str:
    return re.sub(r"(\d)\.(\d)", r"\1,\2", s)


def _scenario_part(part: str) -> str:
    for en, ru in (("curve ", "кривая доходности "), ("non-life claims × ", "убытки по страхованию иному, чем "
                                                                          "страхование жизни, × "),
                   ("mortality × ", "смертность × "), ("lapses × ", "расторжения договоров × ")):
        if part.startswith(en):
            return ru + _comma(part[len(en):]).replace(" bp", " б. п.")
    return part


def _ru_note(value: str) -> str | None:
    fixed = {
        "without accretion: the bands sum to the closing CSM":
            "без наращивания процентов: суммы по срокам равны марже за предусмотренные договором услуги на конец "
            "периода",
        "with interest accreted at the locked-in rates: the bands sum to the closing CSM plus future accretion":
            "с наращиванием процентов по ставкам, зафиксированным при первоначальном признании: суммы по срокам "
            "равны марже за предусмотренные договором услуги на конец периода и будущему наращиванию процентов",
    }
    if value in fixed:
        return fixed[value]
    m = re.fullmatch(r"technique: confidence level \((\w+)\)", value)
    if m and m.group(1) in _DISTRIBUTION_RU:
        return f"метод: доверительный уровень ({_DISTRIBUTION_RU[m.group(1)]})"
    m = re.fullmatch(r"technique: confidence level \((\w+)\) at ([0-9.]+)% per portfolio, diversified "
                     r"\((\w+) allocation\)", value)
    if m and m.group(1) in _DISTRIBUTION_RU and m.group(3) in _ALLOCATION_RU:
        return (f"метод: доверительный уровень ({_DISTRIBUTION_RU[m.group(1)]}) {_comma(m.group(2))} % по каждому "
                f"портфелю, с учётом диверсификации ({_ALLOCATION_RU[m.group(3)]})")
    m = _SCENARIO.match(value)
    if m:
        parts = m.group("parts")
        ru = "без изменений" if parts == "no change" else ", ".join(_scenario_part(p) for p in parts.split(", "))
        return f"{m.group('name')}: {ru}"
    return None


def note(value: str, lang: str) -> str:
    """A note under a table in ``lang`` (the known notes of the builders; any other as it is)."""
    return (_ru_note(value) if lang == "ru" else None) or value


# -------------------------------------------------------------------------------------------- checking
def missing(document: Mapping[str, Any]) -> list[str]:
    """Every text of ``document``'s tables that has no Russian text (empty when the Russian workbook is
    entirely Russian apart from names): ``table <key>: title|row <key>|column <key>|note …``."""
    out: list[str] = []
    for t in document.get("tables", []):
        k = t.get("key")
        if _ru_title(t) is None:
            out.append(f"table {k}: title {t.get('title')!r}")
        for r in t.get("rows", []):
            if _ru_row(t, str(r["key"]), str(r["label"])) is None:
                out.append(f"table {k}: row {r['key']!r}")
        for c in t.get("columns", []):
            if _ru_column(t, str(c["key"]), str(c["label"])) is None:
                out.append(f"table {k}: column {c['key']!r}")
        for n in t.get("notes", []):
            if _ru_note(str(n)) is None:
                out.append(f"table {k}: note {n!r}")
    for g in document.get("groups", []):
        if g.get("profitability") not in _PROFITABILITY_RU:
            out.append(f"groups: profitability {g.get('profitability')!r}")
    return sorted(set(out))
