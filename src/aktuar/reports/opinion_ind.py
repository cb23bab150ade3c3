"""The independent actuary's opinion (KZ191-IND): the form of Appendix 2 to the Rules of Appendix 5 to NB RK
Resolution No. 191, and forms 1 (the actuary's affiliates) and 2 (actuarial activities) of Appendix 1 to the
Rules, filled from the document ``aktuar-opinion-ind/1`` of :func:`aktuar.services.opinions.measure_independent`.

Every item 1–16 and sub-item (3.1–3.4, 4.1–4.3, 11.1–11.10, 12.1–12.3, 13.1–13.3) is present. Item 11 (the
independent actuary's methodology) is filled exactly as item 8 of the mandatory opinion, from the independent
actuary's own close (:func:`aktuar.reports.opinion.opinion_model`); item 12(1) is the comparison of the in-house and
independent results by reserve and class with the differences, % and the materiality threshold; 12(2) the
opinion on the adequacy per class and for the portfolio with both run-off tests; 13 the assessment of the in-house
opinion — the actuary's words from the editable text file, or generated from the comparison; 16 the copies (at
least 3, §8) and the submission term (§10–11). Rendered with the shared helpers of :mod:`aktuar.reports.opinion`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aktuar.errors import InputError
from aktuar.reports.opinion import (
    _RISK_NAMES,
    LANGUAGES,
    _date,
    _fill,
    _money,
    _p,
    _pct,
    _sub,
    _tab,
    opinion_model,
)

__all__ = ["FORMS_T", "IND_T", "forms_model", "ind_model", "text_toml"]

IND_T: dict[str, dict[str, str]] = {
    "title": {"ru": "Актуарное заключение независимого актуария", "en": "Actuarial opinion of an independent actuary"},
    "form_note": {"ru": "Приложение 2 к Правилам и срокам привлечения независимого актуария (приложение 5 к "
                        "постановлению Правления НБ РК от 27.08.2018 № 191). Форма",
                  "en": "Appendix 2 to the Rules and terms of engaging an independent actuary (Appendix 5 to NB RK "
                        "Board Resolution No. 191 of 27.08.2018). Form"},
    "i1": {"ru": "Актуарная оценка произведена по состоянию на", "en": "Actuarial assessment performed as of"},
    "i2": {"ru": "Цель составления актуарного заключения", "en": "Purpose of drawing up an actuarial opinion"},
    "i3": {"ru": "Сведения о страховой (перестраховочной) организации",
           "en": "Information on the insurance (reinsurance) organization"},
    "i3.1": {"ru": "полное наименование", "en": "full name"},
    "i3.2": {"ru": "место нахождения и банковские реквизиты", "en": "location and bank details"},
    "i3.3": {"ru": "дата и номер государственной регистрации", "en": "date and number of state registration"},
    "i3.4": {"ru": "лицензия на право осуществления страховой (перестраховочной) деятельности (номер и дата выдачи)",
             "en": "a license for the right to carry out insurance (reinsurance) activities (number and date of "
                   "issue)"},
    "i4": {"ru": "Сведения о независимом актуарии", "en": "Information on the independent actuary"},
    "i4.1": {"ru": "фамилия, имя, отчество (при его наличии)", "en": "surname, name, patronymic (if any)"},
    "i4.2": {"ru": "место жительства (нахождения)", "en": "place of residence (location)"},
    "i4.3": {"ru": "лицензия на осуществление актуарной деятельности (номер и дата выдачи)",
             "en": "a license to carry out actuarial activities (number and date of issue)"},
    "i5": {"ru": "Заказчик актуарной оценки", "en": "Customer of the actuarial assessment"},
    "i6": {"ru": "Вид проверки (обязательная, инициативная)", "en": "Type of verification (mandatory, initiative)"},
    "i7": {"ru": "Основание для проведения актуарных расчетов (договор, номер и дата заключения договора)",
           "en": "Basis for preparation of actuarial calculations (agreement, number and date of conclusion of the "
                 "agreement)"},
    "i8": {"ru": "Перечень документов (сведений), представленных страховой (перестраховочной) организацией",
           "en": "List of documents (information) submitted by the insurance (reinsurance) organization"},
    "i9": {"ru": "Иные материалы и данные, использованные актуарием (их источники и (или) место получения)",
           "en": "Other materials and data used by the actuary (their sources and (or) place of receipt)"},
    "i10": {"ru": "Предмет актуарного исследования (перечень задач)",
            "en": "The subject of actuarial research (list of tasks)"},
    "i11": {"ru": "Методика, использованная независимым актуарием при расчете страховых резервов и доли "
                  "перестраховщика в страховых резервах",
            "en": "Methodology used by an independent actuary in calculating insurance reserves and the reinsurer's "
                  "share in insurance reserves"},
    "i11.1": {"ru": "методика расчета, включая описание, обоснование, допущения, использованные независимым "
                    "актуарием при расчете страховых резервов и доли перестраховщика; для страхования жизни — "
                    "параметры резервного и тарифного базиса",
              "en": "calculation methodology, including description, justification, assumptions used by the "
                    "independent actuary in calculating insurance reserves and the reinsurer's share; for life "
                    "insurance the parameters of reserve and tariff bases"},
    "i11.2": {"ru": "статистические и иные данные, использованные независимым актуарием в актуарных расчетах",
              "en": "statistical and other data used by an independent actuary in actuarial calculations"},
    "i11.3": {"ru": "общая сумма страховых премий по действующим договорам и количество заявленных убытков, "
                    "использованные независимым актуарием, в разрезе классов страхования",
              "en": "the total amount of insurance premiums under valid contracts and the number of claimed losses "
                    "used by the independent actuary, in the context of insurance classes"},
    "i11.4": {"ru": "методы и модели оценки доли перестраховщика в страховых резервах",
              "en": "methods and models used by an independent actuary to assess the share of the reinsurer in "
                    "insurance reserves"},
    "i11.5": {"ru": "обоснование выбора метода расчета РПНУ, период убытков, выбор коэффициента развития убытков, "
                    "сглаживание крупных убытков",
              "en": "rationale for the choice of the method for calculating the RIDL, the period of losses, the "
                    "choice of loss development ratio, the smoothing of major losses"},
    "i11.6": {"ru": "обоснование и расчет обязательств, связанных с переосвидетельствованием и (или) продлением "
                    "степени утраты трудоспособности (ОСНС), с указанием всех параметров",
              "en": "justification and calculation of the obligations related to re-examination and (or) extension "
                    "of the degree of disability (OSNS), indicating all parameters"},
    "i11.7": {"ru": "используемая таблица вероятностей смерти, инвалидности, заболеваний (источник, методика "
                    "построения) для договоров страхования жизни и аннуитетов",
              "en": "the table of probabilities of death, disability, diseases (source of formation, building "
                    "methodology) for life and annuity contracts"},
    "i11.8": {"ru": "расчет и обоснование расходов на рассмотрение и урегулирование заявленных требований и средняя "
                    "величина выплаченного убытка по группам страховых случаев",
              "en": "calculation and justification of the costs of considering and settling declared claims and the "
                    "average paid claim by groups of insured events"},
    "i11.9": {"ru": "заключение о наличии или отсутствии дополнительных рисков; при наличии — сумма увеличения "
                    "страховых резервов",
              "en": "opinion on the presence or absence of additional risks; if present, the increase in insurance "
                    "reserves"},
    "i11.10": {"ru": "описание помощи, полученной актуарием от привлеченных специалистов",
               "en": "description of the assistance received by the actuary from the involved specialists"},
    "i12": {"ru": "Полученные результаты и выводы", "en": "Results received and conclusions"},
    "i12.1": {"ru": "сравнение результатов расчетов актуария, состоящего в штате страховой (перестраховочной) "
                    "организации, и независимого актуария в разрезе страховых резервов и классов страхования",
              "en": "comparison of the results obtained in the calculation by an actuary who is on the staff of the "
                    "insurance (reinsurance) organization and an independent actuary in the context of insurance "
                    "reserves and classes of insurance"},
    "i12.2": {"ru": "мнение о достаточности страховых резервов, рассчитанных штатным актуарием, и результаты "
                    "анализа достаточности страховых резервов отдельно по каждому классу и по портфелю в целом",
              "en": "opinion on the adequacy of insurance reserves obtained in the calculation made by the in-house "
                    "actuary and the results of the analysis of the adequacy separately for each class of insurance "
                    "and for the insurance portfolio as a whole"},
    "i12.3": {"ru": "результаты и выводы", "en": "results and conclusions"},
    "i13": {"ru": "Оценка правильности составления заключения актуария, состоящего в штате страховой "
                  "(перестраховочной) организации",
            "en": "Assessment of the correctness of drawing up the opinion of the actuary who is on the staff of the "
                  "insurance (reinsurance) organization"},
    "i13.1": {"ru": "соответствие расчетов штатного актуария требованиям законодательства Республики Казахстан о "
                    "страховании и страховой деятельности",
              "en": "compliance of the calculations of the in-house actuary with the requirements of the legislation "
                    "of the Republic of Kazakhstan on insurance and insurance activities"},
    "i13.2": {"ru": "обоснованность допущений, использованных штатным актуарием при расчете страховых резервов",
              "en": "rationale of the assumptions used by the in-house actuary when calculating insurance reserves"},
    "i13.3": {"ru": "учет штатным актуарием дополнительных рисков при определении размера страховых резервов",
              "en": "accounting for additional risks by the in-house actuary when determining the size of insurance "
                    "reserves"},
    "i14": {"ru": "Рекомендации (при отсутствии указывается «нет»)",
            "en": "Recommendations (if absent, indicate \"no\")"},
    "i15": {"ru": "Сроки подготовки и место составления актуарного заключения",
            "en": "Terms of preparation and place of drawing up an actuarial opinion"},
    "i16": {"ru": "Подпись, дата и количество экземпляров", "en": "Signature, date and number of copies"},
}

FORMS_T: dict[str, dict[str, str]] = {
    "title": {"ru": "Сведения независимого актуария (формы 1 и 2)",
              "en": "Information of the independent actuary (forms 1 and 2)"},
    "form_note": {"ru": "Приложение 1 к Правилам и срокам привлечения независимого актуария (приложение 5 к "
                        "постановлению Правления НБ РК от 27.08.2018 № 191), п. 6",
                  "en": "Appendix 1 to the Rules and terms of engaging an independent actuary (Appendix 5 to NB RK "
                        "Board Resolution No. 191 of 27.08.2018), paragraph 6"},
    "f1": {"ru": "Форма 1. Сведения об аффилиированных лицах актуария",
           "en": "Form 1. Information on the actuary's affiliates"},
    "f2": {"ru": "Форма 2. Сведения об осуществлении актуарной деятельности",
           "en": "Form 2. Information on implementation of actuarial activities"},
    "individuals": {"ru": "Физические лица", "en": "Individuals"},
    "entities": {"ru": "Юридические лица", "en": "Legal entities"},
}

_KEYS = ("Класс", "Class")
_RES = {"upr": ("РНП", "UPR"), "rbns": ("РЗНУ", "RBNS"), "ibnr": ("РПНУ", "IBNR"), "urr": ("Рез. неистекш. риска",
        "Unexpired risk"), "annuities": ("Аннуитеты ОСНС", "OSNS annuities"), "life": ("Резервы жизни", "Life NPR"),
        "total": ("Всего", "Total")}


def _t(key: str, lang: str) -> str:
    return IND_T[key][lang]


def _items_of(model: Mapping[str, Any], no: str) -> list[dict[str, Any]]:
    return list(next(i for i in model["items"] if i["no"] == no)["body"])


def _sd(x: Any) -> str:
    return _date(str(x)) if x else "__.__.____"


def _inhouse_additional(doc: Mapping[str, Any], iw: Mapping[str, Any], lang: str, money: Any, unit: str) -> str:
    """Item 13(3): how the in-house actuary accounted for additional risks — the assessments of the in-house
    close (item 8(9) of its opinion) and the in-house actuary's words, against the independent assessment."""
    ru = lang == "ru"
    ar = (doc.get("inhouse_close") or {}).get("additional_risks") or {}
    own = (doc.get("independent_close") or {}).get("additional_risks") or {}
    stated = float(ar.get("total") or 0.0) + float(iw.get("additional_risks_increase") or 0.0)
    parts = []
    if iw.get("additional_risks"):
        parts.append(f"Штатный актуарий: «{iw['additional_risks']}»" if ru else
                     f"The in-house actuary: \"{iw['additional_risks']}\"")
    tested = "; ".join(_RISK_NAMES.get(k, (k, k))[0 if ru else 1].lower() for k in ar.get("tested") or [])
    if ru:
        parts.append(f"оценены риски: {tested}" if tested else "оценка дополнительных рисков в расчете не проводилась")
        parts.append(f"увеличение резервов {money(stated)} {unit}" if stated else "увеличение резервов не требуется")
        if own:
            parts.append(f"по расчету независимого актуария — {money(float(own.get('total') or 0.0))} {unit}")
    else:
        parts.append(f"risks assessed: {tested}" if tested else "no additional risks were assessed in the calculation")
        parts.append(f"increase of the reserves {money(stated)} {unit}" if stated else "no increase of the reserves")
        if own:
            parts.append(f"the independent calculation gives {money(float(own.get('total') or 0.0))} {unit}")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def ind_model(doc: Mapping[str, Any], lang: str = "ru") -> dict[str, Any]:
    """Every item and sub-item of the Appendix 2 form of the Rules filled (see the module docstring)."""
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}': use ru or en")
    if doc.get("schema") != "aktuar-opinion-ind/1":
        raise InputError("not an independent actuary's document (schema aktuar-opinion-ind/1)")
    ru = lang == "ru"
    ng = "— (не указано)" if ru else "— (not given)"
    no_ = "нет" if ru else "no"
    w = dict(doc.get("words") or {})
    iw = dict(doc.get("inhouse_words") or {})
    cur = doc["currency"]
    unit = f"{'тыс.' if ru else 'thousand'} {cur}"
    ind = doc["independent_actuary"]
    own = doc["independent_close"]
    items: list[dict[str, Any]] = []

    def given(key: str) -> str:
        return str(w.get(key) or "").strip()

    def item(no: int, body: list[dict[str, Any]]) -> None:
        items.append({"no": str(no), "title": _t(f"i{no}", lang), "body": body})

    def money(x: Any) -> str:
        return _money(x, lang)

    item(1, [_fill(_date(doc["calculated_as_of"]))])
    kind = doc["verification"]
    purpose = given("purpose") or (
        (f"{'Обязательная' if kind == 'mandatory' else 'Инициативная'} проверка деятельности актуария, состоящего в "
         f"штате, и достоверности его расчетов страховых резервов на {_date(doc['calculated_as_of'])} (приложение 5 "
         f"к постановлению НБ РК № 191, п. {'4' if kind == 'mandatory' else '7'})") if ru else
        (f"{'Mandatory' if kind == 'mandatory' else 'Initiative'} verification of the in-house actuary's activities "
         f"and of the reliability of the calculation of the insurance reserves as of {_date(doc['calculated_as_of'])}"
         f" (NB Resolution No. 191, Appendix 5, para {'4' if kind == 'mandatory' else '7'})"))
    item(2, [_fill(purpose)])
    item(3, [_sub("1)", _t("i3.1", lang), [_fill(str(iw.get("full_name") or doc["organization"]))]),
             _sub("2)", _t("i3.2", lang), [_fill(str(iw.get("location_bank_details") or ng))]),
             _sub("3)", _t("i3.3", lang), [_fill(str(iw.get("registration") or ng))]),
             _sub("4)", _t("i3.4", lang), [_fill(str(iw.get("license") or ng))])])
    lic = ind.get("license_number")
    lic_txt = (f"{lic} {'от' if ru else 'of'} {_date(ind['license_date'])} ({ind.get('license_issuer') or ''})"
               if lic else ng)
    item(4, [_sub("1)", _t("i4.1", lang), [_fill(ind["full_name"])]),
             _sub("2)", _t("i4.2", lang), [_fill(str(ind.get("residence") or ng))]),
             _sub("3)", _t("i4.3", lang), [_fill(lic_txt)] + ([_p(
                 f"Член международной ассоциации актуариев: {ind['iaa_member_body']}" if ru else
                  f"Member of an international association of actuaries: {ind['iaa_member_body']}")]
                 if ind.get("iaa_member_body") else []))])
    item(5, [_fill(given("customer") or doc["organization"])])
    item(6, [{"type": "checks", "options": [
        (kind == "mandatory", "обязательная (п. 4 приложения 5)" if ru else "mandatory (Appendix 5 para 4)"),
        (kind == "initiative", "инициативная (п. 7 приложения 5)" if ru else "initiative (Appendix 5 para 7)")]}])
    item(7, [_fill(given("agreement") or ng)])
    docs = list(w.get("documents") or [])
    if not docs:
        docs = [f"{k}: {v['file']}" for k, v in doc["input"].items() if not k.startswith("independent")
                and k != "configuration"]
        docs += [("Актуарное заключение штатного актуария (тексты)" if ru else
                  "The in-house actuary's opinion (texts)")] if iw else []
    item(8, [_p(f"{i + 1}) {d}") for i, d in enumerate(docs)])
    mats = [_p(given("materials"))] if given("materials") else []
    mats.append(_tab(["#", "Файл" if ru else "File", "SHA-256"],
                     [[i + 1, f"{k}: {v['file']}", v["sha256"][:16] + "…"] for i, (k, v) in
                      enumerate(doc["input"].items()) if k.startswith("independent") or k == "configuration"]))
    item(9, mats)
    subject = given("subject")
    tasks = [subject] if subject else ([
        "проверка расчетов страховых резервов и доли перестраховщика по классам страхования",
        "независимый расчет страховых резервов (собственная конфигурация и допущения независимого актуария)",
        "сравнение результатов и тест достаточности резервов по классам и по портфелю",
        "оценка правильности составления актуарного заключения штатного актуария"] if ru else [
        "verification of the calculation of the insurance reserves and the reinsurer's share by class",
        "an independent calculation of the insurance reserves (the independent actuary's own configuration and "
        "assumptions)", "comparison of the results and the reserve adequacy test by class and for the portfolio",
        "assessment of the correctness of the in-house actuary's opinion"])
    item(10, [_p(f"{i + 1}) {t}") for i, t in enumerate(tasks)])

    # item 11 = item 8 of the mandatory opinion on the independent close
    keys = ("methodology", "statistical_data", "reinsurance_methods", "ibnr_rationale", "osns_justification",
            "life_table_note", "settlement_expenses_note", "additional_risks", "additional_risks_increase",
            "assistance")
    mand = opinion_model(own, {k: w[k] for k in keys if k in w}, lang)
    body8 = _items_of(mand, "8")
    item(11, [_sub(f"{k})", _t(f"i11.{k}", lang), list(b["body"])) for k, b in enumerate(body8, start=1)])

    # item 12(1): comparison
    mat = doc["materiality"]
    cmp_rows = []
    for r in doc["comparison"]:
        label = ("Итого" if ru else "Total") if r["class"] == "Total" else r["class"]
        cmp_rows.append([label, _RES[r["reserve"]][0 if ru else 1], money(r["inhouse_gross"]),
                         money(r["independent_gross"]), money(r["difference_gross"]), _pct(r["pct_gross"], lang),
                         money(r["inhouse_net"]), money(r["independent_net"]), money(r["difference_net"]),
                         _pct(r["pct_net"], lang), ("да" if ru else "yes") if r["material"] else "—"])
    n_mat = sum(1 for r in doc["comparison"] if r["material"])
    p121 = [
        _p(f"Суммы в {unit}. Разница = независимый − штатный; существенность: |разница| > {_pct(mat['relative'], lang)}"
            f" суммы штатного актуария и > {money(mat['amount'])} ({mat['source'] or 'конфигурация'})." if ru else
            f"Amounts in {unit}. Difference = independent − in-house; material: |difference| > "
            f"{_pct(mat['relative'], lang)} of the in-house amount and > {money(mat['amount'])} "
            f"({mat['source'] or 'configuration'})."),
        _tab([_KEYS[0 if ru else 1], "Резерв" if ru else "Reserve", "Штат. брутто" if ru else "In-house gross",
              "Незав. брутто" if ru else "Indep. gross", "Разн." if ru else "Diff.", "%",
              "Штат. нетто" if ru else "In-house net", "Незав. нетто" if ru else "Indep. net",
              "Разн. нетто" if ru else "Net diff.", "% нетто" if ru else "Net %", "Сущ." if ru else "Mat."], cmp_rows, (2, 3, 4, 5, 6, 7, 8, 9)),
        _p(f"Существенных расхождений: {n_mat}." if ru else f"Material differences: {n_mat}."),
    ]
    # item 12(2): adequacy
    ad = doc["adequacy"]
    ad_rows = [[("Итого" if ru else "Total") if a["class"] == "Total" else a["class"], money(a["inhouse"]),
                money(a["independent"]), money(a["difference"]), _pct(a["pct"], lang),
                str(doc["inhouse_adequacy_test"].get(a["class"], "—")),
                str(doc["independent_adequacy_test"].get(a["class"], "—")),
                (("достаточны" if a["adequate"] else "НЕдостаточны") if ru else
                 ("adequate" if a["adequate"] else "NOT adequate"))] for a in ad]
    short = [a["class"] for a in ad if not a["adequate"] and a["class"] != "Total"]
    total = next(a for a in ad if a["class"] == "Total")
    p122 = [
        _tab([_KEYS[0 if ru else 1], "Штатный (брутто)" if ru else "In-house (gross)",
              "Независимый (брутто)" if ru else "Independent (gross)", "Разница" if ru else "Difference", "%",
              "Ретроспективный тест штатного" if ru else "In-house run-off test",
              "Ретроспективный тест независимого" if ru else "Independent run-off test",
              "Мнение" if ru else "Opinion"], ad_rows, (1, 2, 3, 4)),
        _p((("Страховые резервы, рассчитанные штатным актуарием, достаточны в целом по портфелю" if total["adequate"]
             else "Страховые резервы, рассчитанные штатным актуарием, НЕдостаточны в целом по портфелю") +
            (f"; недостаточны по классам: {', '.join(short)}." if short else "; по всем классам достаточны.")) if ru
           else (("The insurance reserves calculated by the in-house actuary are adequate for the portfolio as a whole"
                  if total["adequate"] else "The insurance reserves calculated by the in-house actuary are NOT "
                                            "adequate for the portfolio as a whole") +
                 (f"; not adequate for: {', '.join(short)}." if short else "; adequate for every class."))),
        _p("Ретроспективный анализ за 12 месяцев (п. 9(2) формы приложения 1), выполненный штатным актуарием:" if ru
            else "The in-house 12-month retrospective analysis (item 9(2) of the Appendix 1 form):"),
    ]
    inh_model = opinion_model(_inhouse_doc(doc), {}, lang)
    p122 += list(next(b for b in _items_of(inh_model, "9") if b["no"] == "2)")["body"])
    concl = [_p(f"Резервы брутто: штатный {money(doc['inhouse_totals']['gross'])}, независимый "
                 f"{money(doc['independent_totals']['gross'])} {unit}; нетто: штатный "
                 f"{money(doc['inhouse_totals']['net'])}, независимый {money(doc['independent_totals']['net'])} "
                 f"{unit}; разница в целом {money(total['difference'])} ({_pct(total['pct'], lang)})." if ru else
                 f"Gross reserves: in-house {money(doc['inhouse_totals']['gross'])}, independent "
                 f"{money(doc['independent_totals']['gross'])} {unit}; net: in-house "
                 f"{money(doc['inhouse_totals']['net'])}, independent {money(doc['independent_totals']['net'])} "
                 f"{unit}; overall difference {money(total['difference'])} ({_pct(total['pct'], lang)}).")]
    if given("results_conclusions"):
        concl.append(_p(given("results_conclusions")))
    item(12, [_sub("1)", _t("i12.1", lang), p121), _sub("2)", _t("i12.2", lang), p122),
              _sub("3)", _t("i12.3", lang), concl)])

    # item 13: assessment of the in-house opinion
    due_in = _date(doc["inhouse_due_date"])
    comp = given("compliance") or (
        (f"Расчеты выполнены по классам страхования с долей перестраховщика, по правилам пакета {doc['pack']['name']};"
         f" срок представления заключения штатного актуария — до {due_in}; не менее "
         f"{doc['pack']['min_copies']} экземпляров (приложение 3 п. 1–2). Существенных расхождений: {n_mat}.") if ru
        else (f"The calculations are made by class of insurance with the reinsurer's share, under the rules of pack "
              f"{doc['pack']['name']}; the in-house opinion is due by {due_in}, in at least "
              f"{doc['pack']['min_copies']} copies (Appendix 3 §1–2). Material differences: {n_mat}."))
    mi, mo = doc["ibnr_methods"]["inhouse"], doc["ibnr_methods"]["independent"]
    diffs = [f"{c}: {mi.get(c)} / {mo.get(c)}" for c in mi if mi.get(c) != mo.get(c)]
    assum = given("assumptions") or (
        ("Методы РПНУ (штатный / независимый): " + ("; ".join(diffs) if diffs else "совпадают") +
         ". Допущения штатного актуария " + ("обоснованы: расхождения несущественны." if not n_mat else
                                             "требуют пересмотра по существенным расхождениям п. 12(1).")) if ru else
        ("IBNR methods (in-house / independent): " + ("; ".join(diffs) if diffs else "the same") +
         ". The in-house assumptions are " + ("reasonable: the differences are not material." if not n_mat else
                                              "to be revisited for the material differences of item 12(1).")))
    add_in = given("inhouse_additional_risks") or _inhouse_additional(doc, iw, lang, money, unit)
    item(13, [_sub("1)", _t("i13.1", lang), [_fill(comp)]), _sub("2)", _t("i13.2", lang), [_fill(assum)]),
              _sub("3)", _t("i13.3", lang), [_fill(add_in)])])
    recs = given("recommendations")
    if not recs and short:
        recs = (f"Довести страховые резервы по классам {', '.join(short)} до уровня независимой оценки." if ru else
                f"Bring the insurance reserves of {', '.join(short)} to the level of the independent estimate.")
    if not recs:
        up = [r for r in doc["comparison"] if r["material"] and r["class"] != "Total" and r["reserve"] != "total"
              and r["difference_gross"] > 0]
        recs = "; ".join((f"пересмотреть допущения: {r['class']} — {_RES[r['reserve']][0]} (независимая оценка выше на "
                          f"{_pct(r['pct_gross'], lang)})" if ru else
                          f"revisit the assumptions of {r['class']} — {_RES[r['reserve']][1]} (the independent "
                          f"estimate is {_pct(r['pct_gross'], lang)} higher)") for r in up)
    item(14, [_fill(recs or no_)])
    dl = doc["deadline"]
    signed = str(w.get("signed_date") or "")
    place = given("place") or ng
    start = doc.get("verification_start")
    terms = given("preparation_terms") or (
        f"{_sd(start) if start else '__.__.____'} – {_date(dl['verification_end'])}, {place}")
    item(15, [_fill(terms)])
    copies = int(doc["copies"])
    given_h = list(w.get("copy_holders") or [])
    defaults = (["независимый актуарий", "уполномоченный орган (АРРФР)", "страховая организация"] if ru else
                ["the independent actuary", "the authorized body (ARDFM)", "the insurance organization"])
    fill = defaults + [defaults[-1]] * max(0, copies - len(defaults))
    holders = (given_h + fill[len(given_h):])[:copies]
    signer = str(w.get("signer") or ind["full_name"])
    status = {"open": "не представлено" if ru else "not submitted yet", "on time": "в срок" if ru else "on time",
              "late": "ПОЗДНО" if ru else "LATE"}[dl["status"]]
    term = (f"Срок представления в уполномоченный орган: до {_date(dl['due'])} (10 календарных дней после окончания "
            f"проверки {_date(dl['verification_end'])}" + (", но не позднее 30 апреля" if dl["april_30"] else "") +
            f"; приложение 5 п. {'11' if dl['april_30'] else '10'})" if ru else
            f"Due to the authorized body by {_date(dl['due'])} (10 calendar days after the end of the verification "
            f"{_date(dl['verification_end'])}" + (", no later than 30 April" if dl["april_30"] else "") +
            f"; Appendix 5 para {'11' if dl['april_30'] else '10'})")
    term += (f"; представлено {_date(dl['submitted'])}: {status}." if ru else
             f"; submitted {_date(dl['submitted'])}: {status}.") if dl["submitted"] else f"; {status}."
    item(16, [
        _p((f"Подписал: {signer}; дата: {_sd(signed)}; количество экземпляров: {copies} (не менее "
            f"{doc['pack']['min_copies']}, приложение 5 п. 8).") if ru else
           (f"Signed by: {signer}; date: {_sd(signed)}; number of copies: {copies} (at least "
            f"{doc['pack']['min_copies']}, Appendix 5 para 8).")),
        _tab(["№ экз." if ru else "Copy No.", "Держатель" if ru else "Holder", "Подписал" if ru else "Signed by",
              "Дата" if ru else "Date"], [[k + 1, holders[k], signer, _sd(signed)] for k in range(copies)], (0,)),
        _p(term),
    ])
    title = _t("title", lang)
    entity = str(iw.get("full_name") or doc["organization"])
    as_of = _date(doc["calculated_as_of"])
    return {
        "lang": lang, "title": title, "form_note": _t("form_note", lang), "entity": entity,
        "as_of_text": f"по состоянию на {as_of}" if ru else f"as of {as_of}", "items": items, "copies": copies,
        "holders": holders, "signer": signer, "signed": _sd(signed), "deadline": dl,
        "running_head": f"{title} — {doc['organization']} — {as_of}"[:140],
        "copies_head": (f"{copies} {'экземпляров' if ru else 'copies'}: " + "; ".join(
            f"№{k + 1} {h}" for k, h in enumerate(holders)))[:150],
        "footer": f"aktuar {doc['aktuar_version']}, {doc['schema']}, " + (f"пакет {doc['pack']['name']}" if ru else
                                                                          f"pack {doc['pack']['name']}"),
        "page_word": "стр." if ru else "page", "sign_label": "Независимый актуарий" if ru else "Independent actuary",
        "date_label": "Дата" if ru else "Date",
    }


def _inhouse_doc(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The in-house close document kept in the independent document (for its item 9(2) run-off tables)."""
    return dict(doc["inhouse_close"])


def forms_model(doc: Mapping[str, Any], lang: str = "ru") -> dict[str, Any]:
    """Forms 1 (affiliates: individuals and legal entities) and 2 (actuarial activities of the reporting year) of
    Appendix 1 to the Rules, from the independent actuary's registry entry."""
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}': use ru or en")
    ru = lang == "ru"
    ind = doc["independent_actuary"]
    year = int(doc["reporting_year"])
    people = [a for a in ind.get("affiliations", []) if str(a.get("kind", "individual")) != "legal_entity"]
    ents = [a for a in ind.get("affiliations", []) if str(a.get("kind", "")) == "legal_entity"]
    f1 = [
        _p(FORMS_T["individuals"][lang]),
        _tab(["№", "Фамилия, имя, отчество" if ru else "Surname, name, patronymic",
              "Дата рождения, ИИН" if ru else "Date of birth, personal identification number",
              "Основания для признания аффилиированности" if ru else "Grounds for recognizing affiliation",
              "Примечание" if ru else "Note"],
             [[i + 1, a.get("name", ""), ", ".join(x for x in (_date(a["birth_date"]) if a.get("birth_date") else "",
                                                               str(a.get("iin", ""))) if x) or "—",
               a.get("grounds", ""), a.get("note", "")] for i, a in enumerate(people)] or
             [["—", "нет" if ru else "none", "", "", ""]]),
        _p(FORMS_T["entities"][lang]),
        _tab(["№", "Полное наименование юридического лица" if ru else "Full name of the legal entity",
              "Дата и номер гос. регистрации, БИН, почтовый адрес и место нахождения" if ru else
              "Date and number of state registration, BIN, postal address and actual location",
              "Основания для признания аффилиированности" if ru else "Grounds for recognizing affiliation",
              "Дата аффилиированности" if ru else "Affiliation date", "Примечание" if ru else "Note"],
             [[i + 1, a.get("name", ""), a.get("registration", ""), a.get("grounds", ""),
               _date(a["since"]) if a.get("since") else "", a.get("note", "")] for i, a in enumerate(ents)] or
             [["—", "нет" if ru else "none", "", "", "", ""]]),
        _p(f"Актуарий: {ind['full_name']}   Подпись ____________   Дата ____________" if ru else
            f"Actuary: {ind['full_name']}   Signature ____________   Date ____________"),
    ]
    acts = [a for a in ind.get("activities", []) if int(a.get("year", year)) == year]
    f2 = [
        _p(f"За {year} год" if ru else f"For {year}"),
        _tab(["№", "Вид актуарных услуг, вид актуарного заключения" if ru else
              "Type of actuarial services, type of actuarial opinion",
              "Страховая (перестраховочная) организация" if ru else "Insurance (reinsurance) organization",
              "Основание для подготовки актуарного заключения" if ru else "Basis for preparation of an actuarial "
                                                                            "opinion",
              "Предмет актуарного исследования" if ru else "The subject of actuarial research"],
             [[i + 1, a.get("service", ""), a.get("organization", ""), a.get("basis", ""), a.get("subject", "")]
              for i, a in enumerate(acts)] or [["—", "нет" if ru else "none", "", "", ""]]),
        _p(f"Актуарий: {ind['full_name']}   Подпись ____________   Дата ____________" if ru else
            f"Actuary: {ind['full_name']}   Signature ____________   Date ____________"),
    ]
    title = FORMS_T["title"][lang]
    return {
        "lang": lang, "title": title, "form_note": FORMS_T["form_note"][lang], "entity": ind["full_name"],
        "as_of_text": (f"проверка {doc['organization']} за {year} год" if ru else
                       f"verification of {doc['organization']} for {year}"),
        "items": [{"no": "", "title": FORMS_T["f1"][lang], "body": f1},
                  {"no": "", "title": FORMS_T["f2"][lang], "body": f2}],
        "signer": ind["full_name"], "signed": "__.__.____",
        "running_head": f"{title} — {ind['full_name']}"[:140],
        "copies_head": ("Приложение 5, п. 6: представляется в уполномоченный орган" if ru else
                        "Appendix 5 para 6: submitted to the authorized body"),
        "footer": f"aktuar {doc['aktuar_version']}, {doc['schema']}",
        "page_word": "стр." if ru else "page", "sign_label": "Актуарий" if ru else "Actuary",
        "date_label": "Дата" if ru else "Date",
    }


def text_toml(words: Mapping[str, Any]) -> str:
    """The independent actuary's editable words as ``[opinion]`` TOML (empty = the generated text)."""
    import json as _json

    from aktuar.services.opinions import IND_WORDS

    lines = ["# The independent actuary's words (KZ191-IND form items 2, 5, 7-16); \"\" = the generated text.",
             "# Edit and re-run: aktuar statutory independent CONFIG --out DIR (text_file = this file)", "[opinion]"]
    for k in IND_WORDS:
        v = words.get(k, 0 if k in ("copies", "additional_risks_increase") else
                      [] if k in ("documents", "copy_holders") else "")
        if k in ("copies_language", "submitted_date", "signed_date") and not v:
            continue
        if k == "copies" and not v:
            continue
        lines.append(f"{k} = {_json.dumps(v, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
