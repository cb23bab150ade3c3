"""The actuarial opinion on a major transaction (KZ191-MT): the form of Appendix 2 to the Requirements for the
content and procedure for providing a mandatory actuarial opinion (NB RK Resolution No. 191, Appendix 3 §4–5),
filled from the document ``aktuar-opinion-mt/1`` of :func:`aktuar.services.opinions.measure_transaction`.

Every item of the form is present: 1 (1–4) the insurer, 2 (1–2) the actuary, 3 the data provided, 4 the
materials and the regulatory legal acts, 5 (1–9) the contract — sub-items 5), 6), 7), 9) separately for each
object of insurance where there are several (except collective and group personal insurance: the note to item 5),
6 (1–2) results and conclusions (the recommendations and additional recommendations, with the checks and their
paragraphs), 7 signature and date (with the copies: at least 2, App. 3 §5). Rendered with the shared helpers of
:mod:`aktuar.reports.opinion` (HTML → PDF with WeasyPrint, DOCX with python-docx), in Russian and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aktuar.errors import InputError
from aktuar.reports.opinion import LANGUAGES, _date, _fill, _money, _p, _pct, _sub, _tab

__all__ = ["MT_T", "mt_model"]

MT_T: dict[str, dict[str, str]] = {
    "title": {"ru": "Актуарное заключение по крупной сделке", "en": "Actuarial opinion on a major transaction"},
    "form_note": {"ru": "Приложение 2 к Требованиям к содержанию и порядку представления обязательного актуарного "
                        "заключения (постановление Правления НБ РК от 27.08.2018 № 191). Форма",
                  "en": "Appendix 2 to the Requirements for the content and procedure for providing mandatory "
                        "actuarial opinion (NB RK Board Resolution No. 191 of 27.08.2018). Form"},
    "i1": {"ru": "Сведения о страховой (перестраховочной) организации",
           "en": "Information on the insurance (reinsurance) organization"},
    "i1.1": {"ru": "полное наименование", "en": "full name"},
    "i1.2": {"ru": "место нахождения и банковские реквизиты", "en": "location and bank details"},
    "i1.3": {"ru": "дата и номер государственной регистрации", "en": "date and number of state registration"},
    "i1.4": {"ru": "лицензия на право осуществления страховой (перестраховочной) деятельности (номер и дата выдачи)",
             "en": "a license for the right to carry out insurance (reinsurance) activities (number and date of "
                   "issue)"},
    "i2": {"ru": "Данные об актуарии", "en": "Data on the actuary"},
    "i2.1": {"ru": "фамилия, имя, отчество (при его наличии)", "en": "surname, name, patronymic (if any)"},
    "i2.2": {"ru": "лицензия на право осуществления актуарной деятельности на страховом рынке",
             "en": "a license for the right to carry out actuarial activities in the insurance market"},
    "i3": {"ru": "Перечень данных, предоставленных страховой (перестраховочной) организацией",
           "en": "List of data provided by the insurance (reinsurance) organization"},
    "i4": {"ru": "Материалы и данные, использованные актуарием (их источники и (или) место получения), в том числе "
                 "нормативные правовые акты Республики Казахстан",
           "en": "Materials and data used by the actuary (their sources and (or) place of receipt), including the "
                 "regulatory legal acts of the Republic of Kazakhstan"},
    "i5": {"ru": "Данные о договоре страхования (перестрахования)",
           "en": "Data on the insurance (reinsurance) contract"},
    "i5.1": {"ru": "страхователь", "en": "the policyholder"},
    "i5.2": {"ru": "перечень покрываемых страховых рисков и исключений по этим рискам",
             "en": "a list of covered insurance risks and exceptions for these risks"},
    "i5.3": {"ru": "класс и объект страхования", "en": "class and object of insurance"},
    "i5.4": {"ru": "планируемый срок страхования (даты начала и окончания действия договора страхования и "
                   "страховой защиты)",
             "en": "the planned period of insurance (start and end dates of the contract of insurance and insurance "
                   "coverage)"},
    "i5.5": {"ru": "страховая сумма по каждому страховому случаю и (или) по договору страхования (перестрахования)",
             "en": "the sum insured for each insured event and (or) under the insurance (reinsurance) contract"},
    "i5.6": {"ru": "страховой тариф (стандартный, повышенный, пониженный) и его размер",
             "en": "insurance tariff (standard, increased, reduced) and its size"},
    "i5.7": {"ru": "страховая премия", "en": "insurance premium"},
    "i5.8": {"ru": "комиссионное вознаграждение страховому агенту или страховому брокеру",
             "en": "commission to an agent or an insurance broker"},
    "i5.9": {"ru": "франшиза по каждому страховому случаю и (или) по договору страхования (перестрахования) (при "
                   "наличии)",
             "en": "deductible for each insured event and (or) under the insurance (reinsurance) contract (if any)"},
    "i5.note": {"ru": "При наличии нескольких объектов страхования, за исключением коллективного страхования и "
                      "группового личного страхования, данные подпунктов 5), 6), 7), 9) указываются отдельно по "
                      "каждому объекту страхования.",
                "en": "If there are several objects of insurance, except for collective insurance and group personal "
                      "insurance, data provided in subparagraphs 5), 6), 7), 9) are indicated separately for each "
                      "object of insurance."},
    "i6": {"ru": "Результаты и выводы", "en": "Results and conclusions"},
    "i6.1": {"ru": "рекомендации актуария по крупной сделке", "en": "recommendations of the actuary on a major "
                                                                     "transaction"},
    "i6.2": {"ru": "дополнительные рекомендации (при наличии)", "en": "additional recommendations (if any)"},
    "i7": {"ru": "Подпись, дата", "en": "Signature, date"},
}

_BASIS = {"standard": {"ru": "стандартный", "en": "standard"}, "increased": {"ru": "повышенный", "en": "increased"},
          "reduced": {"ru": "пониженный", "en": "reduced"}}
_RULES = {
    "placement": "размещение перестрахования", "premium = tariff × sum insured": "премия = тариф × страховая сумма",
    "retention within the capacity": "удержание в пределах возможностей", "tariff type": "вид тарифа",
    "tariff sufficient": "достаточность тарифа", "solvency after the transaction": "платежеспособность после сделки",
    "own funds known": "собственный капитал известен",
}


def _t(key: str, lang: str) -> str:
    return MT_T[key][lang]


def _rate(x: float, lang: str) -> str:
    s = f"{x * 100:.4g} %"
    return s.replace(".", ",") if lang == "ru" else s


def mt_model(doc: Mapping[str, Any], lang: str = "ru") -> dict[str, Any]:
    """Every item of the Appendix 2 form filled (see the module docstring)."""
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}': use ru or en")
    if doc.get("schema") != "aktuar-opinion-mt/1":
        raise InputError("not a major-transaction document (schema aktuar-opinion-mt/1)")
    ru = lang == "ru"
    ng = "— (не указано)" if ru else "— (not given)"
    cur = doc["currency"]
    c = doc["contract"]
    w = doc.get("words") or {}
    ins = doc["insurer"]
    items: list[dict[str, Any]] = []

    def item(no: int, body: list[dict[str, Any]]) -> None:
        items.append({"no": str(no), "title": _t(f"i{no}", lang), "body": body})

    def money(x: Any) -> str:
        return _money(x, lang, scale=1.0, digits=2)

    item(1, [_sub(f"{k})", _t(f"i1.{k}", lang), [_fill(str(ins.get(key) or ng))])
             for k, key in ((1, "full_name"), (2, "location_bank_details"), (3, "registration"), (4, "license"))])
    item(2, [_sub("1)", _t("i2.1", lang), [_fill(doc["actuary"]["name"])]),
             _sub("2)", _t("i2.2", lang), [_fill(doc["actuary"]["license"])])])
    data = list(doc["data_provided"]) or [f"{k}: {v['file']}" for k, v in doc["input"].items()
                                          if k != "configuration"]
    item(3, [_p(f"{i + 1}) {d}") for i, d in enumerate(data)])
    mats = [_p(f"{i + 1}) {d}") for i, d in enumerate(doc["materials"])]
    rla = ([
        "Закон РК от 18.12.2000 «О страховой деятельности»",
        "Постановление Правления НБ РК от 27.08.2018 № 191 (приложение 3 п. 4–5, приложение 2 к Требованиям)",
        f"Регуляторный пакет {doc['pack']['name']}: {doc['pack']['title']}",
        f"Результаты статутарного закрытия {doc['statutory']['entity']} на {_date(doc['statutory']['valuation_date'])}"
        f" (пакет {doc['statutory']['pack']})"] if ru else [
        "Law of the RK of 18.12.2000 \"On insurance activities\"",
        "NB RK Board Resolution No. 191 of 27.08.2018 (Appendix 3 §4–5, Appendix 2 to the Requirements)",
        f"Regulation pack {doc['pack']['name']}: {doc['pack']['title']}",
        f"Statutory close results of {doc['statutory']['entity']} as of "
        f"{_date(doc['statutory']['valuation_date'])} (pack {doc['statutory']['pack']})"])
    mats += [_p(f"{len(mats) + i + 1}) {d}") for i, d in enumerate(rla)]
    mats.append(_tab(["#", "Файл" if ru else "File", "SHA-256"],
                     [[i + 1, f"{k}: {v['file']}", v["sha256"][:16] + "…"] for i, (k, v) in
                      enumerate(doc["input"].items())]))
    item(4, mats)

    objs = doc["objects"]
    per = bool(c["per_object"])
    one = objs[0] if len(objs) == 1 else None
    risks = [_fill(c["risks"])]
    risks.append(_p(("Исключения: " if ru else "Exclusions: ") + (c["exclusions"] or ("нет" if ru else "none"))))
    obj_txt = c["object"] or "; ".join(f"{o['object_id']}" + (f" — {o['description']}" if o["description"] else "")
                                       for o in objs)
    period = (f"договор: {_date(c['start'])} – {_date(c['end'])}; страховая защита: {_date(c['cover_start'])} – "
              f"{_date(c['cover_end'])}" if ru else
              f"contract: {_date(c['start'])} – {_date(c['end'])}; insurance coverage: {_date(c['cover_start'])} – "
              f"{_date(c['cover_end'])}")
    head_obj = "Объект" if ru else "Object"

    def per_object(label: str, key: str, fmt: Any) -> list[dict[str, Any]]:
        if one is not None or not per:
            tot = doc["totals"].get(key)
            val = fmt(one[key]) if one is not None else (fmt(tot) if tot is not None else "—")
            return [_fill(val)]
        rows = [[o["object_id"], o["description"] or "—", fmt(o[key])] for o in objs]
        tot = doc["totals"].get(key)
        if tot is not None:
            rows.append(["Итого" if ru else "Total", "", fmt(tot)])
        return [_tab([head_obj, "Описание" if ru else "Description", label], rows, (2,))]

    basis = _BASIS[c["tariff_basis"]][lang]
    tariff_body = per_object(("Тариф" if ru else "Tariff"), "tariff", lambda x: _rate(x, lang))
    tariff_body.insert(0, _p((f"Вид тарифа: {basis}" if ru else f"Type of tariff: {basis}") + (
        f"; базовый тариф продукта {_rate(c['base_tariff'], lang)}" if ru and c["base_tariff"] is not None else
        f"; the product's base tariff {_rate(c['base_tariff'], lang)}" if c["base_tariff"] is not None else "")))
    if c["tariff_justification"]:
        tariff_body.append(_p(("Обоснование тарифа: " if ru else "Tariff justification: ") + c["tariff_justification"]))
    if c["expected_loss_ratio"] is not None:
        tariff_body.append(_p(
            f"Ожидаемый коэффициент убыточности {_pct(c['expected_loss_ratio'], lang)}, комиссия "
             f"{_pct(c['commission_rate'], lang)}, расходы {_pct(c['expense_ratio'], lang)}" if ru else
             f"Expected loss ratio {_pct(c['expected_loss_ratio'], lang)}, commission "
             f"{_pct(c['commission_rate'], lang)}, expenses {_pct(c['expense_ratio'], lang)}"))
    commission = (f"{_pct(c['commission_rate'], lang)} = {money(c['commission'])} {cur}"
                  + (f" ({c['commission_recipient']})" if c["commission_recipient"] else "")) if c["commission_rate"] \
        else ("нет" if ru else "none")
    ded = per_object("Франшиза" if ru else "Deductible", "deductible",
                     lambda x: money(x) + f" {cur}" if x else ("нет" if ru else "none"))
    if c["deductible_terms"]:
        ded.insert(0, _fill(c["deductible_terms"]))
    body5 = [
        _sub("1)", _t("i5.1", lang), [_fill(c["policyholder"])]),
        _sub("2)", _t("i5.2", lang), risks),
        _sub("3)", _t("i5.3", lang), [_fill(f"{c['class']}; {obj_txt}")]),
        _sub("4)", _t("i5.4", lang), [_fill(period)]),
        _sub("5)", _t("i5.5", lang), per_object(("Страховая сумма" if ru else "Sum insured") + f", {cur}",
                                                 "sum_insured", money)),
        _sub("6)", _t("i5.6", lang), tariff_body),
        _sub("7)", _t("i5.7", lang), per_object(("Страховая премия" if ru else "Premium") + f", {cur}", "premium",
                                                 money)),
        _sub("8)", _t("i5.8", lang), [_fill(commission)]),
        _sub("9)", _t("i5.9", lang), ded),
        {"type": "note", "text": _t("i5.note", lang) + (
            (" Данные указаны по каждому объекту." if per else " Один объект или коллективное страхование: данные "
             "указаны по договору.") if ru else
            (" The data are given per object." if per else " One object or collective insurance: the data are given "
             "for the contract."))},
    ]
    item(5, body5)

    # item 6: results and conclusions — capacity, reinsurance, checks, recommendations
    cap = doc["capacity"]
    tot = doc["totals"]
    recs_text = str(w.get("recommendations", "")).strip()
    rec_body: list[dict[str, Any]] = []
    if recs_text:
        rec_body.append(_fill(recs_text))
    else:
        rec_body += [_p(f"{i + 1}) {t}") for i, t in enumerate(doc["recommendations"][lang])]
    pl = doc["reinsurance"]["placements"]
    if pl:
        rec_body.append(_tab(["Перестраховщик" if ru else "Reinsurer", "Доля" if ru else "Share",
                              "Рейтинг" if ru else "Rating", "Вид" if ru else "Kind"],
                             [[p["reinsurer"], _pct(p["share"], lang), p["rating"] or "—", p["kind"]] for p in pl],
                             (1,)))
    rec_body.append(_tab([head_obj, ("Страховая сумма" if ru else "Sum insured"), ("Доля перестр." if ru else
                                                                                    "Ceded share"),
                          ("Удержание" if ru else "Retention"), ("Лимит удержания" if ru else "Retention limit"),
                          ("Мин. цессия" if ru else "Min. cession")],
                         [[o["object_id"], money(o["sum_insured"]), _pct(o["reinsurance_share"], lang),
                           money(o["retained"]), money(cap["limit"]),
                           _pct(o["required_cession"], lang) if o["required_cession"] else "—"] for o in objs]
                         + [["Итого" if ru else "Total", money(tot["sum_insured"]), "", money(tot["retained"]), "",
                             ""]], (1, 2, 3, 4, 5)))
    own = cap["own_funds"] if cap["own_funds"] is not None else cap["actual_margin"]
    if cap.get("ratio") is not None:
        cap_txt = (f"Возможности страховщика (результаты закрытия на {_date(doc['statutory']['valuation_date'])}): "
                   f"собственный капитал {money(own)} {cur}; лимит удержания {_pct(cap['max_retention_share'], lang)}"
                   f" = {money(cap['limit'])} {cur}; маржа платежеспособности фактическая "
                   f"{money(cap['actual_margin'])}, минимальная {money(cap['minimum_margin'])}, норматив "
                   f"{cap['ratio']:.3f}" if ru else
                   f"Insurer's capacity (close results as of {_date(doc['statutory']['valuation_date'])}): own funds "
                   f"{money(own)} {cur}; retention limit {_pct(cap['max_retention_share'], lang)} = "
                   f"{money(cap['limit'])} {cur}; solvency margin actual {money(cap['actual_margin'])}, minimum "
                   f"{money(cap['minimum_margin'])}, ratio {cap['ratio']:.3f}")
    else:
        cap_txt = f"Собственный капитал {money(own)} {cur}" if ru else f"Own funds {money(own)} {cur}"
    if cap.get("pro_forma_ratio") is not None:
        cap_txt += (f"; после сделки {cap['pro_forma_ratio']:.3f} (не ниже {cap['min_ratio']:g})" if ru else
                    f"; after the transaction {cap['pro_forma_ratio']:.3f} (at least {cap['min_ratio']:g})")
    rec_body.append(_p(cap_txt + "."))
    rec_body.append(_tab(["Проверка" if ru else "Check", head_obj, "Результат" if ru else "Result",
                          "Детали" if ru else "Detail", "Основание" if ru else "Paragraph"],
                         [[_RULES.get(ch["rule"], ch["rule"]) if ru else ch["rule"], ch["object"] or "—",
                           ("выполнено" if ru else "pass") if ch["passed"] else ("НЕ выполнено" if ru else "FAIL"),
                           ch["detail"], ch["paragraph"]] for ch in doc["checks"]]))
    add = str(w.get("additional_recommendations", "")).strip()
    item(6, [_sub("1)", _t("i6.1", lang), rec_body),
             _sub("2)", _t("i6.2", lang), [_fill(add or ("нет" if ru else "none"))])])

    copies = int(doc["copies"])
    given = list(w.get("copy_holders") or [])
    defaults = (["лицензированный актуарий", "страховая организация"] if ru else
                ["the licensed actuary", "the insurance organization"])
    fill = defaults + [defaults[-1]] * max(0, copies - len(defaults))
    holders = (given + fill[len(given):])[:copies]
    signer = str(w.get("signer") or doc["actuary"]["name"])
    signed = str(w.get("signed_date") or "")
    sd = _date(signed) if signed else "__.__.____"
    place = str(w.get("place") or "")
    item(7, [
        _p((f"Подписал: {signer}; дата: {sd}" + (f"; место: {place}" if place else "") +
            f"; количество экземпляров: {copies} (не менее {doc['pack']['min_copies']}, приложение 3 п. 5).") if ru else
           (f"Signed by: {signer}; date: {sd}" + (f"; place: {place}" if place else "") +
            f"; number of copies: {copies} (at least {doc['pack']['min_copies']}, Appendix 3 §5).")),
        _tab(["№ экз." if ru else "Copy No.", "Держатель" if ru else "Holder", "Подписал" if ru else "Signed by",
              "Дата" if ru else "Date"], [[k + 1, holders[k], signer, sd] for k in range(copies)], (0,)),
    ])
    title = _t("title", lang)
    entity = str(ins.get("full_name") or doc["statutory"]["entity"])
    return {
        "lang": lang, "title": title, "form_note": _t("form_note", lang), "entity": entity,
        "as_of_text": (f"договор {c['policyholder']}, {_date(doc['opinion_date'])}" if ru else
                       f"contract with {c['policyholder']}, {_date(doc['opinion_date'])}"),
        "items": items, "copies": copies, "holders": holders, "signer": signer, "signed": sd,
        "running_head": f"{title} — {doc['id']} — {entity}"[:140],
        "copies_head": (f"{copies} {'экземпляров' if ru else 'copies'}: " + "; ".join(
            f"№{k + 1} {h}" for k, h in enumerate(holders)))[:150],
        "footer": f"aktuar {doc['aktuar_version']}, {doc['schema']}, " + (f"пакет {doc['pack']['name']}" if ru else
                                                                          f"pack {doc['pack']['name']}"),
        "page_word": "стр." if ru else "page", "sign_label": "Лицензированный актуарий" if ru else "Licensed actuary",
        "date_label": "Дата" if ru else "Date",
    }
