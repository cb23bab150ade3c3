"""The mandatory actuarial opinion (KZ191-OP): the form of Appendix 1 to the Requirements for the content and
procedure for providing a mandatory actuarial opinion (NB RK Resolution No. 191 of 27.08.2018, Appendix 3),
filled from a statutory close document (``aktuar-statutory/1``) and the actuary's own texts.

Every numbered item 1–12 of the form and every sub-item (3.1–3.4, 4.1–4.3, 5.1–5.4, 8.1–8.10, 9.1–9.3) is
present; the figures come from the close, the words that only the actuary can give (purpose, the company's
and the actuary's details, methodology narrative, additional risks, assistance, conclusions, recommendations,
place) from the editable text (the ``[opinion]`` table; empty = the generated default). Appendix 3 §1: the
calculations are as of January 1 of the year following the reporting year and the opinion is submitted by
April 30 (pack ``opinion.due_day``); §2: at least 3 copies (pack ``opinion.min_copies``), signed by the
licensed actuary: one with the actuary, one to the authorised body, the others with the insurer. The copies
are recorded (number, holder) in item 12 and in the page head; the due date is shown with its status.

One model (:func:`opinion_model`) feeds both renderers: HTML → PDF with WeasyPrint (template
``templates/opinion/opinion.html``) and DOCX with python-docx. Languages: ``ru`` and ``en``. Amounts in
thousands of the currency.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

from aktuar.errors import InputError

__all__ = ["DEFAULT_TEXT", "LANGUAGES", "copy_mark", "form_docx", "form_html", "numbered_copies", "opinion_model",
           "render_docx", "render_html", "render_opinion", "render_pdf"]

LANGUAGES = ("ru", "en")

#: The actuary's texts; "" = the generated default of the chosen language.
DEFAULT_TEXT: dict[str, Any] = {
    "purpose": "", "full_name": "", "location_bank_details": "", "registration": "", "license": "",
    "actuary_name": "", "actuary_residence": "", "actuary_license": "", "obligation": "mandatory",
    "industry": "", "purpose_kind": "reporting", "scale": "general", "documents": [], "materials": "",
    "methodology": "", "statistical_data": "", "reinsurance_methods": "", "ibnr_rationale": "",
    "osns_justification": "", "life_table_note": "", "settlement_expenses_note": "", "additional_risks": "",
    "additional_risks_increase": 0.0, "assistance": "", "results_conclusions": "", "recommendations": "",
    "preparation_terms": "", "place": "", "signer": "", "signed_date": "", "copies": 0, "copy_holders": [],
}

_T: dict[str, dict[str, str]] = {
    "title": {"ru": "Актуарное заключение", "en": "Actuarial opinion"},
    "form_note": {"ru": "Приложение 1 к Требованиям к содержанию и порядку представления обязательного актуарного "
                        "заключения (постановление Правления НБ РК от 27.08.2018 № 191). Форма",
                  "en": "Appendix 1 to the Requirements for the content and procedure for providing mandatory "
                        "actuarial opinion (NB RK Board Resolution No. 191 of 27.08.2018). Form"},
    "i1": {"ru": "Актуарные расчеты произведены по состоянию на", "en": "Actuarial calculations performed as of"},
    "i2": {"ru": "Цель составления актуарного заключения", "en": "Purpose of drawing up an actuarial opinion"},
    "i3": {"ru": "Сведения о страховой (перестраховочной) организации",
           "en": "Information on the insurance (reinsurance) organization"},
    "i3.1": {"ru": "полное наименование", "en": "full name"},
    "i3.2": {"ru": "место нахождения и банковские реквизиты", "en": "location and bank details"},
    "i3.3": {"ru": "дата и номер государственной регистрации", "en": "date and number of state registration"},
    "i3.4": {"ru": "лицензия на право осуществления страховой (перестраховочной) деятельности (номер и дата выдачи)",
             "en": "a license for the right to carry out insurance (reinsurance) activities (number and date of "
                   "issue)"},
    "i4": {"ru": "Данные об актуарии", "en": "Data on the actuary"},
    "i4.1": {"ru": "фамилия, имя, отчество (при его наличии)", "en": "surname, name, patronymic (if any)"},
    "i4.2": {"ru": "место жительства (нахождения)", "en": "place of residence (location)"},
    "i4.3": {"ru": "лицензия на право осуществления актуарной деятельности на страховом рынке (номер и дата выдачи)",
             "en": "a license for the right to carry out actuarial activities in the insurance market (number and "
                   "date of issue)"},
    "i5": {"ru": "Вид актуарного заключения", "en": "Type of actuarial opinion"},
    "i5.1": {"ru": "по степени обязательности", "en": "by the degree of obligation"},
    "i5.2": {"ru": "по отрасли (классу) страхования", "en": "by industry (class) of insurance"},
    "i5.3": {"ru": "по цели составления", "en": "by the purpose of compilation"},
    "i5.4": {"ru": "по масштабу применения", "en": "by the scale of application"},
    "initiative": {"ru": "инициативное — проводимое по инициативе страховой (перестраховочной) организации",
                   "en": "initiative - carried out at the initiative of the insurance (reinsurance) organization"},
    "mandatory": {"ru": "обязательное — проводимое в случаях, предусмотренных законодательством Республики Казахстан",
                  "en": "mandatory - carried out in cases provided by the law of the Republic of Kazakhstan"},
    "life": {"ru": "проводимое в отрасли «страхование жизни»", "en": "carried out in the industry \"life insurance\""},
    "general": {"ru": "проводимое в отрасли «общее страхование»",
                "en": "carried out in the industry \"general insurance\""},
    "classes": {"ru": "проводимое по перестрахованию или классам согласно классификации статьи 6 Закона РК «О "
                      "страховой деятельности»",
                "en": "carried out under reinsurance or classes according to the classification of Article 6 of "
                      "the Law \"On insurance activities\""},
    "reporting": {"ru": "отчетное — проводимое на отчетную дату", "en": "reporting - carried out at the reporting "
                                                                       "date"},
    "planned": {"ru": "плановое — при введении нового класса страхования",
                "en": "planned - when introducing a new class of insurance"},
    "subsequent": {"ru": "последующее — для корректировки ранее проведенных расчетов",
                   "en": "subsequent - adjusting previously conducted actuarial calculations"},
    "scale_general": {"ru": "общее — на всей территории Республики Казахстан, а также за ее пределами",
                      "en": "general - throughout the territory of the Republic of Kazakhstan, as well as outside"},
    "regional": {"ru": "региональное — для отдельных регионов", "en": "regional - for individual regions"},
    "individual": {"ru": "индивидуальное — для отдельного страхователя (группы)",
                   "en": "individual - for an individual policyholder (group)"},
    "i6": {"ru": "Перечень документов (сведений), представленных страховой (перестраховочной) организацией",
           "en": "List of documents (information) submitted by the insurance (reinsurance) organization"},
    "i7": {"ru": "Материалы и данные, использованные актуарием (их источники и (или) место получения)",
           "en": "Materials and data used by the actuary (their sources and (or) place of receipt)"},
    "i8": {"ru": "Методика расчета, использованная актуарием", "en": "Methodology of calculation used by the actuary"},
    "i8.1": {"ru": "методика расчета, включая описание, обоснование, допущения, использованные при расчете страховых "
                   "резервов и доли перестраховщика; для страхования жизни — параметры резервного и тарифного базиса",
             "en": "methodology of calculation, including description, justification, assumptions used in "
                   "calculating insurance reserves and the reinsurer's share; for life insurance the parameters of "
                   "the reserve and tariff bases"},
    "i8.2": {"ru": "статистические и иные данные, использованные в актуарных расчетах",
             "en": "statistical and other data used in actuarial calculations"},
    "i8.3": {"ru": "общая сумма страховых премий по действующим договорам и количество заявленных убытков по классам",
             "en": "total insurance premiums under valid contracts and the number of reported losses by classes"},
    "i8.4": {"ru": "методы и модели расчета доли перестраховщика в страховых резервах",
             "en": "methods and models used to calculate the share of the reinsurer in insurance reserves"},
    "i8.5": {"ru": "обоснование выбора метода расчета РПНУ, период убытков, выбор коэффициентов развития убытков, "
                   "сглаживание крупных убытков",
             "en": "rationale for the choice of the RIDL (IBNR) method, the loss period, the choice of the loss "
                   "development ratios and the smoothing of major losses"},
    "i8.6": {"ru": "обоснование и расчет обязательств, связанных с переосвидетельствованием и (или) продлением "
                   "степени утраты трудоспособности (ОСНС), с указанием всех параметров",
             "en": "justification and calculation of obligations related to re-examination and (or) extension of "
                   "the degree of disability (OSNS), indicating all parameters"},
    "i8.7": {"ru": "используемая таблица вероятностей смерти, инвалидности, заболеваний (источник, методика "
                   "построения) для договоров страхования жизни и аннуитетов",
             "en": "the table of probabilities of death, disability, diseases (source, building methodology) for "
                   "life and annuity contracts"},
    "i8.8": {"ru": "расчет и обоснование расходов на урегулирование заявленных требований и средняя величина "
                   "выплаченного убытка по группам страховых случаев",
             "en": "calculation and justification of the costs of settling declared claims and the average paid "
                   "claim by groups of insured events"},
    "i8.9": {"ru": "заключение о наличии или отсутствии дополнительных рисков; при наличии — сумма увеличения "
                   "страховых резервов",
             "en": "conclusion on the presence or absence of additional risks; if present, the increase in "
                   "insurance reserves"},
    "i8.10": {"ru": "описание помощи, полученной актуарием от привлеченных специалистов",
              "en": "description of the assistance received by the actuary from involved specialists"},
    "i9": {"ru": "Полученные результаты и выводы", "en": "Results received and conclusions"},
    "i9.1": {"ru": "результаты актуарных расчетов страховых резервов и доли перестраховщика по классам страхования",
             "en": "the results of actuarial calculations of insurance reserves and the reinsurer's share by classes"},
    "i9.2": {"ru": "результаты теста на достаточность резервов убытков, включая ретроспективный анализ за последние "
                   "12 месяцев, по классам и по портфелю в целом; выводы о достаточности и анализ причин",
             "en": "the results of the loss reserve adequacy test, including the retrospective analysis for the "
                   "last 12 months, by class and for the portfolio; conclusions and analysis of causes"},
    "i9.3": {"ru": "результаты и выводы", "en": "results and conclusions"},
    "i10": {"ru": "Рекомендации (при отсутствии указывается «нет»)",
            "en": "Recommendations (if absent, indicate \"no\")"},
    "i11": {"ru": "Сроки подготовки и место составления актуарного заключения",
            "en": "Terms of preparation and place of drawing up an actuarial opinion"},
    "i12": {"ru": "Подпись, дата и количество экземпляров", "en": "Signature, date and number of copies"},
    "no": {"ru": "нет", "en": "no"},
    "not_given": {"ru": "— (не указано)", "en": "— (not given)"},
    "thousand": {"ru": "тыс.", "en": "thousand"},
    "page": {"ru": "стр.", "en": "page"},
    "sign": {"ru": "Лицензированный актуарий", "en": "Licensed actuary"},
    "date": {"ru": "Дата", "en": "Date"},
    "copies_of": {"ru": "экземпляров", "en": "copies"},
}

_CLASS_HEAD = {
    "ru": ["Класс", "РНП", "РЗНУ", "РПНУ", "Резерв неистекшего риска", "Аннуитеты ОСНС", "Резервы жизни",
           "Всего брутто", "Доля перестраховщика", "Нетто"],
    "en": ["Class", "UPR", "RBNS", "IBNR (RIDL)", "Unexpired risk", "OSNS annuities", "Life NPR", "Total gross",
           "Reinsurer's share", "Net"],
}
_HOLDERS = {"ru": ["лицензированный актуарий", "уполномоченный орган (АРРФР)", "страховая организация"],
            "en": ["the licensed actuary", "the authorized body (ARDFM)", "the insurance organization"]}


def _t(key: str, lang: str) -> str:
    return _T[key][lang]


def _money(x: Any, lang: str, scale: float = 1e3, digits: int = 0) -> str:
    if x is None:
        return "—"
    v = float(x) / scale
    s = f"{v:,.{digits}f}"
    if lang == "ru":
        s = s.replace(",", "\u202f").replace(".", ",")
    return s.replace("-", "−") if v < 0 else s


def _pct(x: Any, lang: str, digits: int = 1) -> str:
    if x is None:
        return "—"
    s = f"{float(x) * 100:.{digits}f} %"
    return s.replace(".", ",") if lang == "ru" else s


def _factor(x: Any, lang: str) -> str:
    if x is None:
        return "—"
    s = f"{float(x):.4f}"
    return s.replace(".", ",") if lang == "ru" else s


def _date(iso: str) -> str:
    d = _dt.date.fromisoformat(iso)
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


def _p(text: str) -> dict[str, Any]:
    return {"type": "p", "text": text}


def _fill(text: str) -> dict[str, Any]:
    return {"type": "fill", "text": text}


def _sub(no: str, title: str, body: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "sub", "no": no, "title": title, "body": body}


def _tab(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = (),
         total: Sequence[str] = ("Total", "Итого")) -> dict[str, Any]:
    return {"type": "table", "header": list(header), "rows": [[str(v) for v in r] for r in rows],
            "numeric": list(numeric), "total_labels": list(total)}


def _table(document: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    return next((t for t in document["tables"] if t["key"] == key), None)


def _given(text: Mapping[str, Any], key: str) -> str:
    v = text.get(key, "")
    return str(v).strip() if v is not None else ""


_RISK_NAMES = {
    "runoff_deficiency": ("Недостаточность резервов по ретроспективному анализу (п. 9, подп. 2)",
                          "Run-off deficiency of the adequacy test (item 9(2))"),
    "reserve_uncertainty": ("Неопределенность оценки резерва убытков", "Uncertainty of the claims reserve estimate"),
    "reinsurer_default": ("Риск неисполнения обязательств перестраховщиком", "Default of the reinsurer"),
    "excess_inflation": ("Инфляция выплат выше прошлой", "Claims inflation above the past"),
    "judgement": ("Риск по суждению актуария", "Risk by the actuary's judgement"),
}


def _risk_basis(r: Mapping[str, Any], lang: str) -> str:
    ru = lang == "ru"
    k, par = r["kind"], r.get("parameter")
    if k == "runoff_deficiency" and par is None and r["increase"] > 0:
        return ("резерва на начало периода не было: добавляется сам недостаток" if ru else
                "no reserve at the start: the shortfall itself is added")
    if k == "runoff_deficiency":
        return (f"недостаточность {_pct(par, lang)} × текущий резерв убытков" if ru else
                f"deficiency {_pct(par, lang)} × the current claims reserve") if r["increase"] > 0 else (
            "резервы на начало периода достаточны или недостаточность несущественна" if ru else
            "the reserves at the start were sufficient or the deficiency is immaterial")
    if k == "reserve_uncertainty":
        return (f"квантиль {_pct(par, lang)} логнормального распределения резерва (стандартная ошибка по Маку)" if ru
                else f"{_pct(par, lang)} quantile of a lognormal reserve (Mack's standard error)")
    if k == "reinsurer_default":
        return (f"доля перестраховщика × вероятность дефолта × LGD = {_pct(par, lang, 3)}" if ru else
                f"reinsurer's share × probability of default × LGD = {_pct(par, lang, 3)}")
    if k == "excess_inflation":
        return (f"инфляция выплат на {_pct(par, lang, 2)} в год выше прошлой, по графику выплат" if ru else
                f"payments inflated by {_pct(par, lang, 2)} a year above the past, by the payment pattern")
    return f"{r.get('basis', '')}: {r.get('reason', '')}"


def _additional_risks(document: Mapping[str, Any], tx: Mapping[str, Any], lang: str, unit: str
                      ) -> tuple[float, list[dict[str, Any]]]:
    """Item 8(9): the assessed additional risks (``document["additional_risks"]``), the actuary's words and any
    further increase the actuary states in the editable text (``additional_risks_increase``)."""
    ru = lang == "ru"
    ar = document.get("additional_risks") or {"tested": [], "risks": [], "total": 0.0}
    extra = float(tx.get("additional_risks_increase") or 0.0)
    computed = float(ar.get("total") or 0.0)
    inc = computed + extra
    words = _given(tx, "additional_risks")
    if inc == 0:
        conclusion = ("Дополнительные риски не выявлены; увеличение страховых резервов не требуется." if ru else
                      "No additional risks were identified; the insurance reserves are not increased.")
    else:
        conclusion = (f"Выявлены дополнительные риски; они требуют увеличения страховых резервов на {_money(inc, lang)} "
                      f"{unit} сверх рассчитанных резервов п. 9 1)." if ru else
                      f"Additional risks were identified; they call for an increase of the insurance reserves by "
                      f"{_money(inc, lang)} {unit} beyond the calculated reserves of item 9(1).")
    out = [_p(words)] if words else []
    out.append(_p(conclusion))
    tested = [_RISK_NAMES[k][0 if ru else 1] for k in ar.get("tested", []) if k in _RISK_NAMES]
    if tested:
        out.append(_p(("Проверены: " if ru else "Assessed: ") + "; ".join(tested) + "."))
    rows = []
    for r in ar.get("risks", []):
        name = r["class"] or ("портфель" if ru else "portfolio")
        title = _RISK_NAMES.get(r["kind"], (r["kind"], r["kind"]))[0 if ru else 1]
        if r["kind"] == "judgement":
            title = f"{title}: {r.get('basis', '')}"
        rows.append([title, name, _money(r["exposure"], lang), _risk_basis(r, lang), _money(r["increase"], lang)])
    if rows:
        out.append(_tab(["Риск" if ru else "Risk", "Класс" if ru else "Class",
                         f"База, {unit}" if ru else f"Exposure, {unit}", "Расчет" if ru else "Calculation",
                         f"Увеличение, {unit}" if ru else f"Increase, {unit}"], rows, (2, 4)))
    if extra > 0:
        out.append(_p(f"Дополнительное увеличение по суждению актуария: {_money(extra, lang)} {unit}." if ru else
                      f"Further increase by the actuary's judgement: {_money(extra, lang)} {unit}."))
    return inc, out


def opinion_model(document: Mapping[str, Any], text: Mapping[str, Any], lang: str = "ru") -> dict[str, Any]:
    """Every item and sub-item of the form filled (see the module docstring)."""
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}': use ru or en")
    if document.get("schema") != "aktuar-statutory/1":
        raise InputError("the results are not a statutory close document (schema aktuar-statutory/1)")
    ru = lang == "ru"
    ng = _t("not_given", lang)
    cur = document["currency"]
    unit = f"{_t('thousand', lang)} {cur}"
    tx = {**DEFAULT_TEXT, **dict(text)}
    entity = _given(tx, "full_name") or document["entity"]
    as_of = _date(document["calculated_as_of"])
    items: list[dict[str, Any]] = []

    def item(no: int, body: list[dict[str, Any]]) -> None:
        items.append({"no": str(no), "title": _t(f"i{no}", lang), "body": body})

    item(1, [_fill(as_of)])
    purpose = _given(tx, "purpose") or (
        "Обязательное ежегодное актуарное заключение о страховых резервах (ст. 19 Закона РК «О страховой "
        "деятельности»; приложение 3 к постановлению НБ РК № 191)" if ru else
        "Mandatory annual actuarial opinion on the insurance reserves (Law on insurance activities, art. 19; NB "
        "Resolution No. 191, Appendix 3)")
    item(2, [_fill(purpose)])
    item(3, [_sub("1)", _t("i3.1", lang), [_fill(entity)]),
             _sub("2)", _t("i3.2", lang), [_fill(_given(tx, "location_bank_details") or ng)]),
             _sub("3)", _t("i3.3", lang), [_fill(_given(tx, "registration") or ng)]),
             _sub("4)", _t("i3.4", lang), [_fill(_given(tx, "license") or ng)])])
    item(4, [_sub("1)", _t("i4.1", lang), [_fill(_given(tx, "actuary_name") or _given(tx, "signer") or ng)]),
             _sub("2)", _t("i4.2", lang), [_fill(_given(tx, "actuary_residence") or ng)]),
             _sub("3)", _t("i4.3", lang), [_fill(_given(tx, "actuary_license") or ng)])])
    obligation = _given(tx, "obligation") or "mandatory"
    has_life = document.get("life") is not None
    industry = _given(tx, "industry") or ("life,general,classes" if has_life else "general,classes")
    kind = _given(tx, "purpose_kind") or "reporting"
    scale = _given(tx, "scale") or "general"
    for name, val, allowed in (("obligation", obligation, ("mandatory", "initiative")),
                               ("purpose_kind", kind, ("reporting", "planned", "subsequent")),
                               ("scale", scale, ("general", "regional", "individual"))):
        if val not in allowed:
            raise InputError(f"opinion.{name} = '{val}': use one of {', '.join(allowed)}", column=f"opinion.{name}")
    ind = {s.strip() for s in industry.split(",")}
    classes_txt = ", ".join(document["classes"]) + (f", {document['life'] and 'Life'}" if has_life else "")
    item(5, [
        _sub("1)", _t("i5.1", lang), [{"type": "checks", "options": [(obligation == "initiative", _t("initiative",
                                                                                                    lang)),
                                                                     (obligation == "mandatory", _t("mandatory",
                                                                                                   lang))]}]),
        _sub("2)", _t("i5.2", lang), [{"type": "checks", "options": [
            ("life" in ind, _t("life", lang)), ("general" in ind, _t("general", lang)),
            ("classes" in ind, _t("classes", lang) + f": {classes_txt}")]}]),
        _sub("3)", _t("i5.3", lang), [{"type": "checks", "options": [
            (kind == "reporting", _t("reporting", lang)), (kind == "planned", _t("planned", lang)),
            (kind == "subsequent", _t("subsequent", lang))]}]),
        _sub("4)", _t("i5.4", lang), [{"type": "checks", "options": [
            (scale == "general", _t("scale_general", lang)), (scale == "regional", _t("regional", lang)),
            (scale == "individual", _t("individual", lang))]}]),
    ])
    docs = list(tx.get("documents") or [])
    if not docs:
        docs = [f"{k}: {v['file']}" for k, v in document["input"].items() if k not in ("configuration",
                                                                                     "opinion text")]
    item(6, [_p(f"{i + 1}) {d}") for i, d in enumerate(docs)])
    mats = [_p(_given(tx, "materials"))] if _given(tx, "materials") else []
    mats.append(_tab(["#", "Файл" if ru else "File", "SHA-256"],
                     [[i + 1, f"{k}: {v['file']}", v["sha256"][:16] + "…"] for i, (k, v) in
                      enumerate(document["input"].items())]))
    pk = document["pack"]
    mats.append(_p((f"Регуляторный пакет {pk['name']}: {pk['title']} (действует с {_date(pk['effective_from'])}"
                    f"{'' if pk['effective_from_confirmed'] else ', дата не подтверждена'})") if ru else
                   (f"Regulation pack {pk['name']}: {pk['title']} (from {_date(pk['effective_from'])}"
                    f"{'' if pk['effective_from_confirmed'] else ', date not confirmed'})")))
    item(7, mats)

    # ------------------------------------------------------------------------------------------ item 8
    ibnr_t = _table(document, "ibnr")
    m81 = [_p(_given(tx, "methodology"))] if _given(tx, "methodology") else []
    auto = [
        ("РНП: pro rata temporis по дням действия договора (день оценки заработан); доля перестраховщика — по доле "
         "класса." if ru else "UPR: pro rata temporis by day of cover (the valuation day is earned); the "
         "reinsurer's share by the class's share."),
        ("РЗНУ: заявленная оценка за вычетом выплаченного по заявленным и неурегулированным на дату убыткам, плюс "
         "расходы на урегулирование (п. 8.8)." if ru else "RBNS: declared estimate less paid for claims reported "
         "and open at the valuation, plus settlement expenses (item 8.8)."),
        ("РПНУ: треугольники заявленных убытков по годам наступления, метод по классу (п. 8.5)." if ru else
         "IBNR (RIDL): reported (incurred) triangles by accident year, the method per class (item 8.5)."),
        ("Резерв неистекшего риска: max(0, РНП·(ожидаемый коэффициент убыточности + расходы) − РНП)." if ru else
         "Unexpired risk: max(0, UPR·(expected loss ratio + expense ratio) − UPR)."),
    ]
    ur = _table(document, "unexpired_risk")
    if ur:
        m81 += [_p(a) for a in auto]
        m81.append(_tab(["Класс" if ru else "Class", "ELR", "ER"],
                        [[r["class"], _pct(r["elr"], lang), _pct(r["er"], lang)] for r in ur["rows"]], (1, 2)))
    if document.get("life"):
        lf = document["life"]
        m81.append(_p(f"Страхование жизни: резервный и тарифный базис — нетто-премии, норма доходности "
                       f"{_pct(lf['interest'], lang, 2)}, таблица «{lf['table']}»." if ru else
                       f"Life insurance: reserve and tariff basis net premium, interest "
                       f"{_pct(lf['interest'], lang, 2)}, table '{lf['table']}'."))
    stat = [_p(_given(tx, "statistical_data"))] if _given(tx, "statistical_data") else []
    recs = document["ibnr_records"]
    if recs:
        first = min(r["loss_period"][0] for r in recs)
        last = max(r["loss_period"][1] for r in recs)
        stat.append(_p(f"Транзакции по убыткам (выплаты и заявленные резервы) по годам наступления {first}–{last}; "
                        f"договоры страхования; данные о расходах на урегулирование; всего классов: "
                        f"{len(document['classes'])}." if ru else
                        f"Claim transactions (payments and case reserves) for accident years {first}–{last}; the "
                        f"contracts; paid settlement expenses; classes: {len(document['classes'])}."))
    prem = _table(document, "premiums")
    p83 = [_tab(["Класс" if ru else "Class", f"Премии по действующим договорам, {unit}" if ru else
                 f"Premiums of valid contracts, {unit}", "Заявленные убытки (шт.)" if ru else "Reported claims (no.)",
                 "Открытые на дату" if ru else "Open at the date"],
                [[r["class"], _money(r["premium_in_force"], lang), r["reported_claims"], r["open_claims"]]
                 for r in (prem["rows"] if prem else [])], (1, 2, 3))]
    re_t = _table(document, "reinsurance")
    p84 = [_p(_given(tx, "reinsurance_methods"))] if _given(tx, "reinsurance_methods") else []
    p84.append(_tab(["Класс" if ru else "Class", "Доля" if ru else "Share", "Договор" if ru else "Treaty",
                     "Метод (РНП; РЗНУ; РПНУ)" if ru else "Method (UPR; RBNS; IBNR)"],
                    [[r["class"], _pct(r["share"], lang), r["treaty"], f"{r['upr']}; {r['rbns']}; {r['ibnr']}"]
                     for r in (re_t["rows"] if re_t else [])], (1,)))
    p85 = [_p(_given(tx, "ibnr_rationale"))] if _given(tx, "ibnr_rationale") else []
    for r in recs:
        thr = r["large_loss_threshold"]
        line = (f"{r['class']}: {r['method']}; период убытков {r['loss_period'][0]}–{r['loss_period'][1]} "
                f"({r['n_origins']} лет)" if ru else
                f"{r['class']}: {r['method']}; loss period {r['loss_period'][0]}–{r['loss_period'][1]} "
                f"({r['n_origins']} years)")
        if r["apriori_loss_ratio"] is not None:
            line += f"; {'априорная убыточность' if ru else 'a-priori loss ratio'} {_pct(r['apriori_loss_ratio'], lang)}"
        if thr is not None:
            line += (f"; крупные убытки выше {_money(thr, lang, 1)} {cur}: {r['large_claims']}, эффект сглаживания "
                     f"{_money(r['large_loss_effect'], lang)} {unit}" if ru else
                     f"; major losses above {_money(thr, lang, 1)} {cur}: {r['large_claims']}, smoothing effect "
                     f"{_money(r['large_loss_effect'], lang)} {unit}")
        if r["rationale"]:
            line += f". {r['rationale']}"
        p85.append(_p(line))
        ages = r["development_ages"]
        p85.append(_tab([("Возраст, мес." if ru else "Age, months")] + [str(a) for a in ages[:-1]],
                        [[("Коэфф. развития" if ru else "Age-to-age")] + [_factor(f, lang) for f in
                                                                          r["development_factors"][:len(ages) - 1]],
                         [("Кумулятивный" if ru else "Cumulative")] + [_factor(f, lang) for f in
                                                                       r["cumulative_factors"][:len(ages) - 1]]],
                        tuple(range(1, len(ages)))))
    if ibnr_t:
        p85.append(_p("Методы выбраны актуарием; коэффициенты — средневзвешенные по объему." if ru else
                       "The methods are the actuary's choice; factors are volume-weighted averages."))
    p86 = [_p(_given(tx, "osns_justification"))] if _given(tx, "osns_justification") else []
    osns = document.get("osns")
    if osns:
        par = osns["parameters"]
        rx = par["reexamination"]
        p86.append(_p(f"Класс {osns['class']}: {osns['beneficiaries']} получателей; приведенная стоимость "
                       f"{_money(osns['total'], lang)} {unit}." if ru else
                       f"Class {osns['class']}: {osns['beneficiaries']} beneficiaries; present value "
                       f"{_money(osns['total'], lang)} {unit}."))
        p86.append(_tab(["Параметр" if ru else "Parameter", "Значение" if ru else "Value"], [
            ["Таблица смертности" if ru else "Mortality table", f"{par['table']} ({par['table_source']})"],
            ["Иллюстративная" if ru else "Illustrative", ("да" if ru else "yes") if par["table_illustrative"]
             else ("нет" if ru else "no")],
            ["Дисконтирование" if ru else "Discounting", par["discount"]],
            ["Индексация" if ru else "Indexation", _pct(par["indexation"], lang, 2)],
            ["Вероятность продления степени" if ru else "Probability of extension", _pct(rx["p_extend"], lang)],
            ["Доля выплаты при изменении" if ru else "Payment ratio if changed", _factor(rx["ratio_if_changed"], lang)],
            ["Интервал переосвидетельствования, лет" if ru else "Re-examination interval, years",
             _factor(rx["interval_years"], lang)],
            ["Множитель на переосвидетельствование" if ru else "Factor per re-examination",
             _factor(rx["factor_per_reexamination"], lang)],
            ["Выплаты" if ru else "Timing", par["timing"]],
            *[[k, _money(v, lang)] for k, v in osns["by_kind"].items()],
        ]))
    else:
        p86.append(_p(_t("no", lang)))
    p87 = [_p(_given(tx, "life_table_note"))] if _given(tx, "life_table_note") else []
    life_src = document.get("life") or (osns["parameters"] if osns else None)
    if life_src:
        name = life_src.get("table")
        src = life_src.get("table_source")
        ill = life_src.get("illustrative", life_src.get("table_illustrative"))
        p87.append(_p(f"{name}; {src}" + ((" — ИЛЛЮСТРАТИВНАЯ таблица, подлежит замене утвержденной" if ru else
                                           " — ILLUSTRATIVE table, to be replaced by the approved one") if ill else "")))
        if document.get("life"):
            lf = document["life"]
            p87.append(_p(f"Резервы нетто-премий: {lf['policies']} договоров, {_money(lf['total'], lang)} {unit}; "
                           f"доля перестраховщика {_money(lf['reinsurance'], lang)} {unit}." if ru else
                           f"Net premium reserves: {lf['policies']} policies, {_money(lf['total'], lang)} {unit}; "
                           f"reinsurer's share {_money(lf['reinsurance'], lang)} {unit}."))
    else:
        p87.append(_p(_t("no", lang)))
    se = _table(document, "settlement_expenses")
    apc = _table(document, "average_paid_claim")
    p88 = [_p(_given(tx, "settlement_expenses_note"))] if _given(tx, "settlement_expenses_note") else []
    p88.append(_p(document["settlement_expenses"]["method"]))
    if se:
        p88.append(_tab(["Класс" if ru else "Class", "Коэффициент" if ru else "Ratio",
                         f"Резерв расходов, {unit}" if ru else f"Expense reserve, {unit}"],
                        [[r["class"], _pct(r["ratio"], lang, 2), _money(r["reserve"], lang)] for r in se["rows"]],
                        (1, 2)))
    if apc:
        p88.append(_tab(["Группа страховых случаев" if ru else "Group of insured events", "Кол-во" if ru else "Count",
                         f"Средний выплаченный убыток, {cur}" if ru else f"Average paid claim, {cur}"],
                        [[r["group"], r["count"], _money(r["average"], lang, 1)] for r in apc["rows"]], (1, 2)))
    inc, p89 = _additional_risks(document, tx, lang, unit)
    item(8, [_sub("1)", _t("i8.1", lang), m81), _sub("2)", _t("i8.2", lang), stat or [_p(ng)]),
             _sub("3)", _t("i8.3", lang), p83), _sub("4)", _t("i8.4", lang), p84),
             _sub("5)", _t("i8.5", lang), p85), _sub("6)", _t("i8.6", lang), p86),
             _sub("7)", _t("i8.7", lang), p87), _sub("8)", _t("i8.8", lang), p88),
             _sub("9)", _t("i8.9", lang), p89),
             _sub("10)", _t("i8.10", lang), [_p(_given(tx, "assistance") or _t("no", lang))])])

    # ------------------------------------------------------------------------------------------ item 9
    res = _table(document, "reserves")
    rows91 = []
    for r in (res["rows"] if res else []):
        label = ("Итого" if ru else "Total") if r["class"] == "Total" else r["class"]
        rows91.append([label] + [_money(r[k], lang) for k in (
            "upr_gross", "rbns_gross", "ibnr_gross", "urr_gross", "annuities_gross", "life_gross", "total_gross",
            "total_reinsurance", "total_net")])
    p91 = [_tab(_CLASS_HEAD[lang], rows91, tuple(range(1, 10))), {"type": "note", "text": (
        f"Суммы в {unit}. Доля перестраховщика по видам резервов — в приложении XLSX (лист reserves)." if ru else
        f"Amounts in {unit}. The reinsurer's share by reserve — XLSX annex (sheet reserves).")}]
    if inc > 0:
        p91.append(_p(f"Таблица показывает рассчитанные резервы; с учетом дополнительных рисков (п. 8 9)) их следует "
                       f"увеличить на {_money(inc, lang)} {unit}." if ru else
                       f"The table shows the calculated reserves; with the additional risks (item 8(9)) they are to be "
                       f"increased by {_money(inc, lang)} {unit}."))
    ad = _table(document, "adequacy")
    adq = document["adequacy"]
    p92 = [_p(f"Ретроспективный анализ за {adq['months']} месяцев: с {_date(adq['start'])} по {_date(adq['end'])}; "
               "резервы убытков на начало сравниваются с выплатами за период и переоцененными резервами на конец "
               "по тем же убыткам." if ru else
               f"Retrospective analysis over {adq['months']} months: {_date(adq['start'])} to {_date(adq['end'])}; "
               "the loss reserves at the start against the payments in the period and the re-estimated reserves at "
               "the end for the same claims.")]
    if ad:
        p92.append(_tab(["Класс" if ru else "Class", "Резерв на начало" if ru else "Reserve at start",
                         "Выплаты" if ru else "Paid", "Резерв на конец" if ru else "Reserve at end",
                         "Результат" if ru else "Run-off result", "Вывод" if ru else "Conclusion"],
                        [[("Итого" if ru else "Total") if r["class"] == "Total" else r["class"],
                          _money(r["reserve_start"], lang), _money(r["paid"], lang), _money(r["reserve_end"], lang),
                          _money(r["difference"], lang),
                          (("достаточен" if r["sufficient"] == "sufficient" else "недостаточен") if ru else
                           r["sufficient"])] for r in ad["rows"]], (1, 2, 3, 4)))
        for r in ad["rows"]:
            if r["sufficient"] != "sufficient":
                p92.append(_p(_cause(r, lang, unit)))
    concl = []
    tot = document["totals"]
    concl.append(_p(f"Страховые резервы на {as_of}: брутто {_money(tot['gross'], lang)} {unit}, доля "
                     f"перестраховщика {_money(tot['reinsurance'], lang)} {unit}, нетто {_money(tot['net'], lang)} "
                     f"{unit}." if ru else
                     f"Insurance reserves as of {as_of}: gross {_money(tot['gross'], lang)} {unit}, reinsurer's share "
                     f"{_money(tot['reinsurance'], lang)} {unit}, net {_money(tot['net'], lang)} {unit}."))
    concl.append(_p((("Резервы убытков достаточны в целом по портфелю" if adq["sufficient"] else
                      "Резервы убытков недостаточны в целом по портфелю") + (
                         f"; недостаточны по классам: {', '.join(adq['insufficient'])}." if adq["insufficient"]
                         else ".")) if ru else
                    (("The loss reserves are sufficient for the portfolio" if adq["sufficient"] else
                      "The loss reserves are insufficient for the portfolio") + (
                        f"; insufficient for: {', '.join(adq['insufficient'])}." if adq["insufficient"] else "."))))
    sv = document["solvency"]
    if sv.get("ratio") is not None:
        concl.append(_p(f"Маржа платежеспособности: минимальная {_money(sv['minimum_margin'], lang)} {unit}, "
                         f"фактическая {_money(sv['actual_margin'], lang)} {unit}, норматив достаточности "
                         f"{_factor(sv['ratio'], lang)} ({'выполнен' if sv['sufficient'] else 'НЕ выполнен'})." if ru
                         else f"Solvency margin: minimum {_money(sv['minimum_margin'], lang)} {unit}, actual "
                              f"{_money(sv['actual_margin'], lang)} {unit}, sufficiency ratio "
                              f"{_factor(sv['ratio'], lang)} ({'met' if sv['sufficient'] else 'NOT met'})."))
    la = document.get("liquid_assets")
    if la:
        concl.append(_p(f"Высоколиквидные активы (п. 38): {_money(la['total'], lang)} {unit}; при понижении "
                         f"рейтингов на {la['what_if_notches']} ступ.: {_money(la['what_if_total'], lang)} {unit}."
                         if ru else f"Highly liquid assets (item 38): {_money(la['total'], lang)} {unit}; ratings "
                                    f"{la['what_if_notches']} notch(es) lower: {_money(la['what_if_total'], lang)} "
                                    f"{unit}."))
    failed = [t["product"] for t in document.get("tariffs", []) if not t["passed"]]
    if document.get("tariffs"):
        concl.append(_p(f"Проверка тарифов: {len(document['tariffs'])} продукт(а); не соответствуют: "
                         f"{', '.join(failed) or 'нет'}." if ru else
                         f"Tariff checks: {len(document['tariffs'])} product(s); failing: {', '.join(failed) or 'none'}."))
    if _given(tx, "results_conclusions"):
        concl.append(_p(_given(tx, "results_conclusions")))
    item(9, [_sub("1)", _t("i9.1", lang), p91), _sub("2)", _t("i9.2", lang), p92),
             _sub("3)", _t("i9.3", lang), concl)])
    item(10, [_fill(_given(tx, "recommendations") or _t("no", lang))])
    min_copies = int(pk.get("min_copies", 3))
    copies = int(tx.get("copies") or min_copies)
    if copies < min_copies:
        raise InputError(f"the opinion is drawn up in at least {min_copies} copies (Appendix 3 §2): set opinion.copies "
                         f"≥ {min_copies}", column="opinion.copies")
    signed = _given(tx, "signed_date")
    place = _given(tx, "place") or ng
    terms = _given(tx, "preparation_terms") or (
        (f"{as_of} – {_date(signed) if signed else '__.__.____'}, {place}") if True else "")
    item(11, [_fill(terms)])
    holders = list(tx.get("copy_holders") or [])
    default_holders = _HOLDERS[lang] + [_HOLDERS[lang][2]] * max(0, copies - 3)
    holders = (holders + default_holders[len(holders):])[:copies] if len(holders) < copies else holders[:copies]
    due = _date(document["due_date"])
    status = ""
    late = False
    if signed:
        late = _dt.date.fromisoformat(signed) > _dt.date.fromisoformat(document["due_date"])
        status = ("подписано после срока представления" if late else "в срок") if ru else (
            "signed after the due date" if late else "on time")
    signer = _given(tx, "signer") or _given(tx, "actuary_name") or ng
    item(12, [
        _p(f"Подписал: {signer}; дата: {_date(signed) if signed else '__.__.____'}; количество экземпляров: {copies}."
            if ru else f"Signed by: {signer}; date: {_date(signed) if signed else '__.__.____'}; number of copies: "
                       f"{copies}."),
        _tab(["№ экз." if ru else "Copy No.", "Держатель" if ru else "Holder", "Подписал" if ru else "Signed by",
              "Дата" if ru else "Date"],
             [[k + 1, holders[k], signer, _date(signed) if signed else "—"] for k in range(copies)], (0,)),
        _p(f"Срок представления в уполномоченный орган: до {due} (приложение 3 п. 1){'; ' + status if status else ''}."
            if ru else f"Due to the authorized body by {due} (Appendix 3 §1){'; ' + status if status else ''}."),
    ])
    safe = str.maketrans({'"': "'", "<": "‹", ">": "›", "\\": "/"})
    return {
        "lang": lang, "title": _t("title", lang), "form_note": _t("form_note", lang), "entity": entity,
        "as_of": as_of, "as_of_text": (f"по состоянию на {as_of}" if ru else f"as of {as_of}"),
        "items": items, "copies": copies, "holders": holders, "signer": signer,
        "signed": _date(signed) if signed else "__.__.____", "due": due, "late": late,
        "running_head": f"{_t('title', lang)} — {entity} — {as_of}".translate(safe),
        "copies_head": (f"{copies} {_t('copies_of', lang)}: " + "; ".join(f"№{k + 1} {h}" for k, h in
                                                                          enumerate(holders))).translate(safe)[:150],
        "footer": (f"aktuar {document['aktuar_version']}, {document['schema']}, пакет {pk['name']}" if ru else
                   f"aktuar {document['aktuar_version']}, {document['schema']}, pack {pk['name']}").translate(safe),
        "page_word": _t("page", lang), "sign_label": _t("sign", lang), "date_label": _t("date", lang),
    }


def _cause(r: Mapping[str, Any], lang: str, unit: str) -> str:
    """The analysis of an insufficient class (item 9(2)) in the opinion's language, from the run-off figures."""
    ru = lang == "ru"
    name = ("Итого" if ru else "Total") if r["class"] == "Total" else r["class"]
    parts = [f"{name}: " + ("недостаточность" if ru else "insufficiency") + f" {_money(-r['difference'], lang)} {unit}"]
    e = r.get("expected_paid")
    if e is not None:
        pe = e - r["paid"]
        re_ = (r["reserve_start"] - e) - r["reserve_end"]
        parts.append(f"выплаты против ожидаемых {_money(pe, lang)}, переоценка неоплаченных убытков "
                      f"{_money(re_, lang)}" if ru else f"payments against expected {_money(pe, lang)}, "
                      f"re-estimate of the outstanding claims {_money(re_, lang)}")
    types: dict[str, float] = {k: float(r[f"{k.lower()}_difference"]) for k in ("RBNS", "IBNR")
                               if r.get(f"{k.lower()}_difference") is not None}
    if types:
        worst = min(types, key=lambda k: types[k])
        label = {"RBNS": "РЗНУ", "IBNR": "РПНУ"}[worst] if ru else worst
        parts.append(f"наибольший недостаток — {label} ({_money(types[worst], lang)})" if ru else
                      f"largest shortfall by reserve type: {label} ({_money(types[worst], lang)})")
    return "; ".join(parts) + "."


def _css_safe(text: str) -> str:
    """A text that can stand inside a CSS string of the page margin boxes."""
    table: dict[str, str | int | None] = {'"': "'", "<": "‹", ">": "›", "\\": "/", "\n": " "}
    return str(text).translate(str.maketrans(table))


def form_html(model: Mapping[str, Any], template: str = "opinion.html") -> str:
    """Shared renderer of the three opinions (mandatory, major transaction, independent actuary) and of the
    independent actuary's forms: a model ``{title, form_note, entity, as_of_text, items, running_head,
    copies_head, footer, page_word, sign_label, date_label, signer, signed}`` (items of blocks ``p``, ``fill``,
    ``note``, ``checks``, ``table``, ``sub``) to HTML; an optional ``copy_mark`` ("Copy No. k of N") is printed
    under the title and in every page head."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("aktuar.reports", "templates/opinion"),
                             autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)
    m = dict(model)
    for k in ("running_head", "copies_head", "footer", "copy_mark"):
        if k in m:
            m[k] = Markup(_css_safe(m[k]))  # made safe for a CSS string just above
    return env.get_template(template).render(m=m, lang=m.get("lang", "ru"))


def render_html(document: Mapping[str, Any], text: Mapping[str, Any], lang: str = "ru") -> str:
    return form_html(opinion_model(document, text, lang))


def render_pdf(html: str) -> bytes:
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def form_docx(m: Mapping[str, Any]) -> bytes:
    """The shared Word renderer (python-docx) of a form model (see :func:`form_html`)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    d = Document()
    style = d.styles["Normal"]
    style.font.name = "DejaVu Serif"
    style.font.size = Pt(10)
    note = d.add_paragraph(m["form_note"])
    note.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    h = d.add_heading(m["title"], level=0)
    h.alignment = WD_ALIGN_PARAGRAPH.CENTER
    d.add_paragraph(f"{m['entity']} — {m['as_of_text']}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    if m.get("copy_mark"):
        mark = d.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        mark.add_run(str(m["copy_mark"])).bold = True
    d.add_paragraph(m["copies_head"]).runs[0].font.size = Pt(8)

    def blocks(items: Sequence[Mapping[str, Any]], level: int) -> None:
        for b in items:
            if b["type"] in ("p", "fill", "note"):
                para = d.add_paragraph(b["text"])
                para.paragraph_format.left_indent = Pt(12 * level)
                if b["type"] == "note" and para.runs:
                    para.runs[0].font.size = Pt(8)
            elif b["type"] == "checks":
                for on, label in b["options"]:
                    para = d.add_paragraph(f"{'☒' if on else '☐'} {label}")
                    para.paragraph_format.left_indent = Pt(12 * (level + 1))
            elif b["type"] == "table":
                t = d.add_table(rows=1, cols=len(b["header"]))
                t.style = "Table Grid"
                for j, hd in enumerate(b["header"]):
                    t.rows[0].cells[j].text = str(hd)
                for r in b["rows"]:
                    cells = t.add_row().cells
                    for j, v in enumerate(r[:len(cells)]):
                        cells[j].text = str(v)
                for row in t.rows:
                    for cell in row.cells:
                        for para in cell.paragraphs:
                            for run in para.runs:
                                run.font.size = Pt(7.5)
            elif b["type"] == "sub":
                para = d.add_paragraph()
                para.paragraph_format.left_indent = Pt(12 * level)
                run = para.add_run(f"{b['no']} {b['title']}")
                run.italic = True
                blocks(b["body"], level + 1)

    for it in m["items"]:
        para = d.add_paragraph()
        para.add_run(f"{it['no']}. {it['title']}" if it["no"] else it["title"]).bold = True
        blocks(it["body"], 1)
    d.add_paragraph(f"{m['sign_label']}: ____________________ {m['signer']}    {m['date_label']}: {m['signed']}")
    section = d.sections[0]
    section.header.paragraphs[0].text = str(m.get("copy_mark") or m["running_head"])
    section.footer.paragraphs[0].text = m["footer"]
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def render_docx(document: Mapping[str, Any], text: Mapping[str, Any], lang: str = "ru") -> bytes:
    """The same opinion as a Word document (python-docx)."""
    return form_docx(opinion_model(document, text, lang))


def copy_mark(k: int, n: int, holder: str, lang: str) -> str:
    """The mark of one numbered copy: "Copy No. k of N — holder" / "Экземпляр № k из N — держатель"."""
    return (f"Экземпляр № {k} из {n} — {holder}" if lang == "ru" else f"Copy No. {k} of {n} — {holder}")


def numbered_copies(model: Mapping[str, Any], holders: Sequence[str], lang: str,
                    template: str = "opinion.html") -> list[bytes]:
    """One PDF per copy, each marked :func:`copy_mark` on its first page and in every page head."""
    n = len(holders)
    return [render_pdf(form_html({**model, "copy_mark": copy_mark(k + 1, n, h, lang)}, template))
            for k, h in enumerate(holders)]


def render_opinion(document: Mapping[str, Any], text: Mapping[str, Any], lang: str = "ru") -> tuple[bytes, bytes]:
    """The opinion as (PDF, DOCX) bytes."""
    return render_pdf(render_html(document, text, lang)), render_docx(document, text, lang)
