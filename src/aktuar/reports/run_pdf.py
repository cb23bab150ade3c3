"""The PDF report of a governed valuation run (reserving or IFRS 17) that an auditor files, in Russian or English.

Rendered from plain data (:class:`RunReportData`, filled by :mod:`aktuar.services.run_documents` from the stored
run, its stored results and documents, after checking them against the recorded results hash): HTML from the
Jinja template ``templates/run_report.html`` → PDF with WeasyPrint. Nothing is fetched while rendering (every
URL is refused), the charts are inline SVG drawn with matplotlib's object API (:func:`aktuar.reports.html.figure`
and :func:`~aktuar.reports.html.svg`), and every text that comes from the data is escaped by the template.

Pages
    1. Identity: run number, kind, reporting date, status, scope; the workflow (prepared / reviewed / approved /
       rejected with the reason, who and when, with the comments recorded in the audit trail); the methodology
       (name, version, status, coordination, document and parameter hashes); the input datasets with their
       SHA-256; the run parameters; code and dependency versions; the results SHA-256 and the integrity check;
       who generated the document and when. A run that is not approved carries a "DRAFT — not approved" banner
       and a watermark on every page.
    2. Reserving run: a summary by class, then per class the results by origin (latest paid or incurred,
       factor to ultimate, ultimate, reserve, standard error where the method gives one), the uncertainty
       columns (process / parameter error, quantiles) where present, the development factors and the tail, and
       two charts (reserve by origin with ± one standard error; development factors).
    3. IFRS 17 run: balances by portfolio at every reporting date of the close (LRC, loss component, LIC, CSM)
       with the balance chart of :mod:`aktuar.reports.ifrs17_html`, the result lines of the reporting date,
       balances by group of contracts (GMM groups), the CSM roll-forward per GMM portfolio (para 101) with its
       waterfall, the expected recognition of the CSM by time band (para 109, the CSM run-off chart), the risk
       adjustment (para 119) and the files of the close package with their SHA-256.

Every page has the footer "run N · results SHA-256 …" and "page X of Y". Numbers: ru ``1 234 567,89`` (no-break
space groups, decimal comma), en ``1,234,567.89``; dates ru ``dd.mm.yyyy``, en ``yyyy-mm-dd``; times in UTC.
Money is shown with two decimals (the full-precision values are in the XLSX/JSON exports).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from aktuar.errors import InputError

__all__ = ["LANGUAGES", "InputInfo", "MethodologyInfo", "RunReportData", "WorkflowStep", "fmt_amount",
           "fmt_day", "fmt_factor", "report_model", "render_html", "render_pdf"]

LANGUAGES = ("ru", "en")
_LOCALES = {"ru": "ru_RU", "en": "en_GB"}
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


# ================================================================================================ the data
class ResultLike(Protocol):
    """One stored result row (``aktuar.services.valuation.ResultRow``), read only."""

    @property
    def segment(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def origin(self) -> str: ...

    @property
    def quantity(self) -> str: ...

    @property
    def value(self) -> float | None: ...


@dataclass(frozen=True)
class WorkflowStep:
    """A step of the run's approval workflow: ``prepared``, ``reviewed``, ``approved``, ``rejected`` or ``failed``."""

    action: str
    by: str | None
    at: datetime | None
    note: str = ""


@dataclass(frozen=True)
class MethodologyInfo:
    name: str
    version: str
    status: str
    document_name: str | None
    document_sha256: str | None
    parameters_sha256: str
    regulator_reference: str | None = None
    coordinated_at: date | None = None


@dataclass(frozen=True)
class InputInfo:
    """An input dataset of the run (content-addressed by its SHA-256)."""

    role: str
    dataset_id: int
    kind: str
    filename: str
    format: str | None
    rows: int | None
    size_bytes: int
    sha256: str
    imported_by: str
    imported_at: datetime


@dataclass(frozen=True)
class RunReportData:
    """Everything the report shows, read from the stored run (the service checked ``rows`` and ``documents``
    against ``results_sha256`` before filling this)."""

    run_id: int
    kind: str  # reserving | ifrs17 | statutory
    status: str
    reporting_date: date
    is_test: bool
    scope: Sequence[str]
    workflow: Sequence[WorkflowStep]
    methodology: MethodologyInfo
    inputs: Sequence[InputInfo]
    inputs_sha256: str
    parameters: Mapping[str, Any]  # the run's effective parameters (as recorded)
    code_version: str
    environment: Mapping[str, Any]
    results_sha256: str
    rows: Sequence[ResultLike]
    generated_by: str
    generated_at: datetime
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # IFRS 17: date → aktuar-ifrs17/1;
    # statutory: "statutory" → aktuar-statutory/1
    ifrs17_summary: Sequence[Mapping[str, Any]] = ()  # IFRS 17: rows of CloseRun.summary rebuilt from ``rows``
    restart_of: int | None = None
    failure_reason: str | None = None


# =============================================================================================== the texts
_T: dict[str, dict[str, str]] = {
    "title": {"ru": "Отчёт о расчёте №{id}", "en": "Valuation run report #{id}"},
    "kind.reserving": {"ru": "Оценка страховых резервов (резервирование убытков)", "en": "Claims reserving"},
    "kind.ifrs17": {"ru": "Оценка договоров страхования по МСФО (IFRS) 17", "en": "IFRS 17 measurement"},
    "watermark": {"ru": "ПРОЕКТ", "en": "DRAFT"},
    "draft.banner": {"ru": "ПРОЕКТ — расчёт не утверждён", "en": "DRAFT — not approved"},
    "draft.detail": {"ru": "Статус расчёта: {status}. Документ не является утверждённым результатом и не может "
                           "использоваться для отчётности.",
                     "en": "Run status: {status}. This document is not an approved result and must not be used "
                           "for reporting."},
    "draft.test": {"ru": "Это тестовый расчёт: он не может быть утверждён.",
                   "en": "This is a test run: it cannot be approved."},
    "approved.banner": {"ru": "Расчёт утверждён: {by}, {at} (UTC)", "en": "Run approved by {by} on {at} (UTC)"},
    "status.running": {"ru": "выполняется", "en": "running"},
    "status.prepared": {"ru": "подготовлен", "en": "prepared"},
    "status.reviewed": {"ru": "проверен", "en": "reviewed"},
    "status.approved": {"ru": "утверждён", "en": "approved"},
    "status.rejected": {"ru": "отклонён", "en": "rejected"},
    "status.failed": {"ru": "завершился ошибкой", "en": "failed"},
    "yes": {"ru": "да", "en": "yes"},
    "no": {"ru": "нет", "en": "no"},
    "none": {"ru": "нет", "en": "none"},
    "pending": {"ru": "ожидается", "en": "pending"},
    "total": {"ru": "Итого", "en": "Total"},
    # identity
    "sec.identity": {"ru": "Идентификация расчёта", "en": "Run identity"},
    "id.run": {"ru": "Расчёт", "en": "Run"},
    "id.kind": {"ru": "Вид расчёта", "en": "Kind"},
    "id.reporting_date": {"ru": "Отчётная дата", "en": "Reporting date"},
    "id.status": {"ru": "Статус", "en": "Status"},
    "id.test": {"ru": "Тестовый расчёт", "en": "Test run"},
    "id.scope": {"ru": "Охват (классы)", "en": "Scope (classes)"},
    "id.scope_all": {"ru": "все классы входных данных", "en": "every class of the input"},
    "id.restart_of": {"ru": "Повтор расчёта", "en": "Restart of run"},
    "id.failure": {"ru": "Причина сбоя", "en": "Failure"},
    "sec.workflow": {"ru": "Подготовка, проверка и утверждение", "en": "Preparation, review and approval"},
    "wf.step": {"ru": "Этап", "en": "Step"},
    "wf.by": {"ru": "Исполнитель", "en": "By"},
    "wf.at": {"ru": "Дата и время (UTC)", "en": "Date and time (UTC)"},
    "wf.note": {"ru": "Комментарий / причина", "en": "Comment / reason"},
    "wf.prepared": {"ru": "Подготовлен", "en": "Prepared"},
    "wf.reviewed": {"ru": "Проверен", "en": "Reviewed"},
    "wf.approved": {"ru": "Утверждён", "en": "Approved"},
    "wf.rejected": {"ru": "Отклонён", "en": "Rejected"},
    "wf.failed": {"ru": "Сбой", "en": "Failed"},
    "sec.methodology": {"ru": "Методика", "en": "Methodology"},
    "m.name": {"ru": "Наименование", "en": "Name"},
    "m.version": {"ru": "Версия", "en": "Version"},
    "m.status": {"ru": "Статус", "en": "Status"},
    "m.coordinated": {"ru": "Согласована с регулятором", "en": "Coordinated with the regulator"},
    "m.document": {"ru": "Документ методики", "en": "Methodology document"},
    "m.document_sha256": {"ru": "SHA-256 документа методики", "en": "Methodology document SHA-256"},
    "m.parameters_sha256": {"ru": "SHA-256 параметров методики", "en": "Methodology parameters SHA-256"},
    "mstatus.draft": {"ru": "черновик", "en": "draft"},
    "mstatus.submitted": {"ru": "направлена регулятору", "en": "submitted"},
    "mstatus.coordinated": {"ru": "согласована", "en": "coordinated"},
    "mstatus.superseded": {"ru": "заменена", "en": "superseded"},
    "sec.inputs": {"ru": "Входные данные", "en": "Input datasets"},
    "in.role": {"ru": "Роль", "en": "Role"},
    "in.dataset": {"ru": "Набор", "en": "Dataset"},
    "in.file": {"ru": "Файл", "en": "File"},
    "in.rows": {"ru": "Строк / файлов", "en": "Rows / files"},
    "in.imported": {"ru": "Загружен", "en": "Imported"},
    "in.combined": {"ru": "SHA-256 входных данных (сводный)", "en": "Inputs SHA-256 (combined)"},
    "role.triangle": {"ru": "треугольник", "en": "triangle"},
    "role.claims": {"ru": "убытки (транзакции)", "en": "claim transactions"},
    "role.exposure": {"ru": "экспозиция / премии", "en": "exposure / premium"},
    "role.ifrs17": {"ru": "пакет закрытия МСФО 17", "en": "IFRS 17 close package"},
    "sec.parameters": {"ru": "Параметры расчёта", "en": "Run parameters"},
    "p.name": {"ru": "Параметр", "en": "Parameter"},
    "p.value": {"ru": "Значение", "en": "Value"},
    "sec.environment": {"ru": "Версии программы и зависимостей", "en": "Code and dependency versions"},
    "env.code_version": {"ru": "Версия программы", "en": "Code version"},
    "env.git_commit": {"ru": "Коммит исходного кода", "en": "Source commit"},
    "env.git_dirty": {"ru": "Изменения, не внесённые в коммит", "en": "Uncommitted changes"},
    "env.platform": {"ru": "Платформа", "en": "Platform"},
    "env.package": {"ru": "Пакет {name}", "en": "Package {name}"},
    "sec.integrity": {"ru": "Целостность результатов", "en": "Results integrity"},
    "int.sha256": {"ru": "SHA-256 результатов", "en": "Results SHA-256"},
    "int.check": {"ru": "Проверка перед формированием", "en": "Checked before rendering"},
    "int.ok": {"ru": "хранимые результаты ({rows} строк{docs}) совпадают с зафиксированным хешем и с записью "
                     "журнала аудита о подготовке расчёта",
               "en": "the stored results ({rows} rows{docs}) match the recorded hash and the audit trail's "
                     "record of the run's preparation"},
    "int.docs": {"ru": ", {n} документ(ов)", "en": ", {n} document(s)"},
    "int.generated": {"ru": "Документ сформирован", "en": "Document generated"},
    "int.generated_value": {"ru": "{by}, {at} (UTC)", "en": "{by}, {at} (UTC)"},
    "footer": {"ru": "Расчёт №{id} · SHA-256 результатов {sha}", "en": "Run #{id} · results SHA-256 {sha}"},
    "page": {"ru": "стр.", "en": "page"},
    "of": {"ru": "из", "en": "of"},
    # reserving
    "sec.summary": {"ru": "Итоги по классам", "en": "Summary by class"},
    "r.amounts": {"ru": "Суммы — в валюте входных данных.", "en": "Amounts in the currency of the input data."},
    "r.class": {"ru": "Класс", "en": "Class"},
    "r.class_title": {"ru": "Класс: {label}", "en": "Class: {label}"},
    "r.method": {"ru": "Метод", "en": "Method"},
    "r.method_line": {"ru": "Метод: {method}", "en": "Method: {method}"},
    "r.origin": {"ru": "Период происшествия", "en": "Origin"},
    "r.latest.paid": {"ru": "Оплачено на дату", "en": "Paid to date"},
    "r.latest.incurred": {"ru": "Понесено (заявлено) на дату", "en": "Incurred to date"},
    "r.latest.other": {"ru": "Последнее значение", "en": "Latest"},
    "r.reserve.paid": {"ru": "Резерв (конечные − оплаченные)", "en": "Reserve (ultimate − paid)"},
    "r.reserve.incurred": {"ru": "IBNR (конечные − понесённые)", "en": "IBNR (ultimate − incurred)"},
    "r.reserve.other": {"ru": "Резерв (конечные − последние)", "en": "Reserve (ultimate − latest)"},
    "r.cdf": {"ru": "Фактор до конечного", "en": "Factor to ultimate"},
    "r.ultimate": {"ru": "Конечные убытки", "en": "Ultimate"},
    "r.se": {"ru": "Стандартная ошибка", "en": "Standard error"},
    "r.cv": {"ru": "Ст. ошибка / резерв", "en": "Std. error / reserve"},
    "r.mean": {"ru": "Среднее", "en": "Mean"},
    "r.by_origin": {"ru": "Результаты по периодам происшествия", "en": "Results by origin period"},
    "r.uncertainty": {"ru": "Неопределённость по периодам происшествия", "en": "Uncertainty by origin period"},
    "r.process_se": {"ru": "Ошибка процесса", "en": "Process s.e."},
    "r.parameter_se": {"ru": "Ошибка параметров", "en": "Parameter s.e."},
    "r.mack_se": {"ru": "Ст. ошибка до конечного (Мак)", "en": "Ultimo s.e. (Mack)"},
    "r.cdr_process_se": {"ru": "CDR: ошибка процесса", "en": "CDR process s.e."},
    "r.cdr_parameter_se": {"ru": "CDR: ошибка параметров", "en": "CDR parameter s.e."},
    "r.quantile": {"ru": "Квантиль {q}", "en": "Quantile {q}"},
    "r.factors": {"ru": "Факторы развития", "en": "Development factors"},
    "r.development": {"ru": "Развитие (возраст)", "en": "Development (age)"},
    "r.factor": {"ru": "Фактор", "en": "Factor"},
    "r.tail": {"ru": "Хвостовой фактор", "en": "Tail factor"},
    "r.chart_reserve": {"ru": "Резерв по периодам происшествия{unit}", "en": "Reserve by origin period{unit}"},
    "r.chart_se": {"ru": "± 1 ст. ошибка", "en": "± 1 standard error"},
    "r.chart_factors": {"ru": "Факторы развития (выбранные)", "en": "Selected development factors"},
    "r.chart_tail": {"ru": "хвост {tail}", "en": "tail {tail}"},
    "r.age": {"ru": "Возраст", "en": "Age"},
    "r.no_rows": {"ru": "Расчёт не содержит результатов по классам.", "en": "The run has no results by class."},
    "unit.mn": {"ru": ", млн", "en": ", millions"},
    "unit.th": {"ru": ", тыс.", "en": ", thousands"},
    "method.chainladder": {"ru": "Цепная лестница", "en": "Chain ladder"},
    "method.mack": {"ru": "Цепная лестница Мака (со стандартными ошибками)", "en": "Mack chain ladder"},
    "method.bf": {"ru": "Борнхюттер–Фергюсон", "en": "Bornhuetter–Ferguson"},
    "method.capecod": {"ru": "Кейп-Код", "en": "Cape Cod"},
    "method.benktander": {"ru": "Бенктандер", "en": "Benktander"},
    "method.elr": {"ru": "Метод ожидаемой убыточности", "en": "Expected loss ratio"},
    "method.bootstrap": {"ru": "Бутстрэп ODP", "en": "ODP bootstrap"},
    "method.cdr": {"ru": "CDR (Мерц–Вютрих)", "en": "CDR (Merz–Wüthrich)"},
    # statutory close
    "kind.statutory": {"ru": "Статутные страховые резервы и пруденциальные нормативы (РК)",
                       "en": "Kazakhstan statutory reserves and prudential normatives"},
    "s.reserves": {"ru": "Страховые резервы и доля перестраховщика по классам (п. 9 1) заключения)",
                   "en": "Insurance reserves and the reinsurer's share by class (opinion item 9(1))"},
    "s.class": {"ru": "Класс", "en": "Class"},
    "s.upr_gross": {"ru": "РНП", "en": "UPR"},
    "s.rbns_gross": {"ru": "РЗНУ", "en": "RBNS"},
    "s.ibnr_gross": {"ru": "РПНУ", "en": "IBNR"},
    "s.urr_gross": {"ru": "Неистекший риск", "en": "Unexpired risk"},
    "s.annuities_gross": {"ru": "Аннуитеты ОСНС", "en": "OSNS annuities"},
    "s.life_gross": {"ru": "Резервы по страхованию жизни", "en": "Life reserves"},
    "s.total_gross": {"ru": "Итого брутто", "en": "Total gross"},
    "s.total_reinsurance": {"ru": "Доля перестраховщика", "en": "Reinsurer's share"},
    "s.total_net": {"ru": "Итого нетто", "en": "Total net"},
    "s.entity": {"ru": "{entity}; валюта {currency}; пакет правил {pack}",
                 "en": "{entity}; currency {currency}; regulation pack {pack}"},
    "s.checks": {"ru": "Достаточность резервов, платежеспособность, дополнительные риски",
                 "en": "Reserve adequacy, solvency and additional risks"},
    "s.adequacy": {"ru": "Тест достаточности резервов убытков за {months} мес. (п. 9 2))",
                   "en": "Loss reserve adequacy test over {months} months (item 9(2))"},
    "s.reserve_start": {"ru": "Резерв на начало", "en": "Reserve at start"},
    "s.paid": {"ru": "Выплаты", "en": "Paid"},
    "s.reserve_end": {"ru": "Резерв на конец", "en": "Reserve at end"},
    "s.difference": {"ru": "Результат", "en": "Run-off result"},
    "s.conclusion": {"ru": "Вывод", "en": "Conclusion"},
    "s.sufficient": {"ru": "достаточен", "en": "sufficient"},
    "s.insufficient": {"ru": "недостаточен", "en": "insufficient"},
    "s.solvency": {"ru": "Маржа платежеспособности", "en": "Solvency margin"},
    "s.minimum_margin": {"ru": "Минимальный размер маржи", "en": "Minimum solvency margin"},
    "s.actual_margin": {"ru": "Фактическая маржа", "en": "Actual solvency margin"},
    "s.ratio": {"ru": "Норматив достаточности", "en": "Sufficiency ratio"},
    "s.additional": {"ru": "Дополнительные риски (п. 8 9)): увеличение резервов {amount}",
                     "en": "Additional risks (item 8(9)): increase of the reserves {amount}"},
    "s.opinion": {"ru": "Актуарное заключение по этому расчёту: aktuar statutory opinion --run {id} (после "
                        "утверждения).",
                  "en": "The actuarial opinion of this run: aktuar statutory opinion --run {id} (once approved)."},
    # IFRS 17
    "i.entity": {"ru": "{entity}; валюта {currency}", "en": "{entity}; currency {currency}"},
    "i.balances": {"ru": "Балансы по портфелям", "en": "Balances by portfolio"},
    "i.balances_note": {"ru": "LRC — без компонента убытка, включая CSM; договоры перестрахования — со знаком минус.",
                        "en": "LRC excludes the loss component and includes the CSM; reinsurance held is shown as "
                              "negative liabilities."},
    "i.date": {"ru": "Дата", "en": "Date"},
    "i.portfolio": {"ru": "Портфель", "en": "Portfolio"},
    "i.approach": {"ru": "Подход", "en": "Approach"},
    "i.lrc": {"ru": "LRC (остаток покрытия)", "en": "LRC"},
    "i.loss_component": {"ru": "Компонент убытка", "en": "Loss component"},
    "i.lic": {"ru": "LIC (возникшие требования)", "en": "LIC"},
    "i.csm": {"ru": "CSM", "en": "CSM"},
    "i.result": {"ru": "Результат за период, закончившийся {date}", "en": "Result of the period ended {date}"},
    "i.revenue": {"ru": "Выручка по страхованию", "en": "Insurance revenue"},
    "i.service_result": {"ru": "Результат от услуг страхования", "en": "Insurance service result"},
    "i.finance_pl": {"ru": "Финансовые расходы (ОПУ)", "en": "Insurance finance (P&L)"},
    "i.oci": {"ru": "Прочий совокупный доход", "en": "OCI"},
    "i.chart_balances": {"ru": "Балансы по портфелям на отчётные даты (последняя — темнее), млн",
                         "en": "Balances by portfolio at the reporting dates (the last darker), millions"},
    "i.groups": {"ru": "Балансы по группам договоров на {date} (общая модель оценки)",
                 "en": "Balances by group of contracts at {date} (general measurement model)"},
    "i.groups_note": {"ru": "Портфели, оцениваемые упрощённым подходом (PAA), показаны по портфелю.",
                      "en": "Portfolios measured under the premium allocation approach are shown by portfolio."},
    "i.group": {"ru": "Группа", "en": "Group"},
    "i.cohort": {"ru": "Когорта", "en": "Cohort"},
    "i.profitability": {"ru": "Прибыльность", "en": "Profitability"},
    "i.contracts": {"ru": "Договоров", "en": "Contracts"},
    "i.lrc_excl": {"ru": "LRC без компонента убытка", "en": "LRC excl. loss component"},
    "prof.onerous": {"ru": "обременительная", "en": "onerous"},
    "prof.no_significant_risk": {"ru": "без значительного риска", "en": "no significant risk"},
    "prof.remaining": {"ru": "прочие", "en": "remaining"},
    "i.rollforward": {"ru": "Движение CSM: {portfolio}, {date}", "en": "CSM roll-forward: {portfolio}, {date}"},
    "i.rollforward_note": {"ru": "МСФО (IFRS) 17, п. 101, 104, 105", "en": "IFRS 17 para 101, 104, 105"},
    "i.line": {"ru": "Статья", "en": "Line"},
    "i.release": {"ru": "Ожидаемое признание CSM в прибыли или убытке (п. 109), {date}",
                  "en": "Expected recognition of the CSM in profit or loss (para 109), {date}"},
    "i.band": {"ru": "Срок", "en": "Time band"},
    "i.chart_release": {"ru": "Амортизация CSM по срокам (млн)", "en": "CSM run-off by time band (millions)"},
    "i.chart_rollforward": {"ru": "Движение CSM: {portfolio}, {date}, млн", "en": "CSM roll-forward: {portfolio}, "
                                                                                "{date}, mn"},
    "i.ra": {"ru": "Рисковая поправка на нефинансовый риск (п. 119), {date}",
             "en": "Risk adjustment for non-financial risk (para 119), {date}"},
    "i.files": {"ru": "Файлы пакета закрытия", "en": "Files of the close package"},
    "i.file_key": {"ru": "Назначение", "en": "Input"},
    "i.no_gmm": {"ru": "В закрытии нет портфелей общей модели оценки: CSM равна нулю (п. 55).",
                 "en": "The close has no portfolio under the general measurement model: the CSM is nil (para 55)."},
    "col.pv_future_cash_flows": {"ru": "ПС будущих денежных потоков", "en": "PV of future cash flows"},
    "col.risk_adjustment": {"ru": "Рисковая поправка", "en": "Risk adjustment"},
    "col.csm": {"ru": "CSM", "en": "CSM"},
    "col.total": {"ru": "Итого", "en": "Total"},
    "col.best_estimate": {"ru": "Наилучшая оценка (ПС потоков)", "en": "Best estimate (PV of cash flows)"},
    "col.confidence_level": {"ru": "Уровень доверия", "en": "Confidence level"},
    "col.csm_release": {"ru": "Ожидаемое признание CSM", "en": "CSM expected to be recognised"},
    "row.opening": {"ru": "Остаток на начало периода", "en": "Opening balance"},
    "row.changes_in_estimates_adjusting_csm": {"ru": "Изменения оценок, корректирующие CSM (п. 104(a)(i))",
                                               "en": ""},
    "row.changes_in_estimates_not_adjusting_csm": {
        "ru": "Изменения оценок, не корректирующие CSM: убытки и их восстановление по обременительным группам "
              "(п. 104(a)(ii))", "en": ""},
    "row.new_contracts": {"ru": "Договоры, впервые признанные в периоде (п. 104(a)(iii))", "en": ""},
    "row.csm_recognised": {"ru": "CSM, признанная за оказанные услуги (п. 104(b)(i))", "en": ""},
    "row.ra_released": {"ru": "Изменение рисковой поправки за истёкший риск (п. 104(b)(ii))", "en": ""},
    "row.experience_adjustments": {"ru": "Корректировки на основе опыта (п. 104(b)(iii))", "en": ""},
    "row.past_service_changes": {"ru": "Изменения, относящиеся к прошлым услугам (п. 104(c))", "en": ""},
    "row.finance_expense": {"ru": "Финансовые расходы по страхованию (п. 105(c))", "en": ""},
    "row.premiums_received": {"ru": "Полученные премии (п. 105(a)(i))", "en": ""},
    "row.cash_outflows": {"ru": "Выплаты, расходы, инвестиционные компоненты и аквизиционные денежные потоки "
                                "(п. 105(a))", "en": ""},
    "row.closing": {"ru": "Остаток на конец периода", "en": "Closing balance"},
    "row.year_1": {"ru": "1 год", "en": ""},
    "row.year_2": {"ru": "2 года", "en": ""},
    "row.year_3": {"ru": "3 года", "en": ""},
    "row.year_4": {"ru": "4 года", "en": ""},
    "row.year_5": {"ru": "5 лет", "en": ""},
    "row.years_6_10": {"ru": "6–10 лет", "en": ""},
    "row.over_10_years": {"ru": "Более 10 лет", "en": ""},
    "row.total": {"ru": "Итого", "en": "Total"},
}
"""ru/en texts; an empty English text means "the document's own (English) label"."""


def _t(lang: str, key: str, **kw: Any) -> str:
    text = _T[key][lang]
    return text.format(**kw) if kw else text


def _label(lang: str, prefix: str, key: str, fallback: str) -> str:
    """The localized label of a document row/column ``key``, else the document's own label."""
    entry = _T.get(f"{prefix}.{key}")
    if entry is None or not entry.get(lang):
        return fallback
    return entry[lang]


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(f"the report language is one of {', '.join(LANGUAGES)}, not '{str(lang)[:10]}'")
    return lang


# =========================================================================================== formatting
def fmt_amount(x: float | None, lang: str, digits: int = 2) -> str:
    """``1 234 567,89`` (ru, no-break spaces) / ``1,234,567.89`` (en); ``—`` for none or a non-finite value."""
    from babel.numbers import format_decimal

    if x is None or not math.isfinite(float(x)):
        return "—"
    v = round(float(x), digits)
    if v == 0:
        v = 0.0  # no "-0,00"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(v, format=pattern, locale=_LOCALES[lang]))


def fmt_factor(x: float | None, lang: str) -> str:
    return fmt_amount(x, lang, 4)


def fmt_pct(x: float | None, lang: str, digits: int = 1) -> str:
    if x is None or not math.isfinite(float(x)):
        return "—"
    return f"{fmt_amount(100.0 * float(x), lang, digits)}\u00a0%"


def fmt_day(d: date | None, lang: str) -> str:
    if d is None:
        return ""
    return d.strftime("%d.%m.%Y") if lang == "ru" else d.isoformat()


def fmt_moment(t: datetime | None, lang: str) -> str:
    if t is None:
        return ""
    return t.strftime("%d.%m.%Y %H:%M:%S") if lang == "ru" else t.strftime("%Y-%m-%d %H:%M:%S")


def _iso_day(text: str, lang: str) -> str:
    try:
        return fmt_day(date.fromisoformat(str(text)[:10]), lang)
    except ValueError:
        return str(text)


def _scale(values: Sequence[float | None]) -> tuple[float, str]:
    """A unit for chart axes: millions, thousands or units, by the largest absolute value."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    if top >= 1e7:
        return 1e6, "unit.mn"
    if top >= 1e4:
        return 1e3, "unit.th"
    return 1.0, ""


# =============================================================================================== blocks
def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric_from: int = 1, total_last: bool = False,
           cls: str = "", numeric: Sequence[int] | None = None) -> dict[str, Any]:
    cols = set(numeric) if numeric is not None else set(range(numeric_from, len(header)))
    return {"type": "table", "header": list(header), "rows": [list(r) for r in rows], "numeric": sorted(cols),
            "total_last": total_last, "cls": cls}


def _chart(svg_text: str, caption: str, chart_id: str, *, show_caption: bool = False) -> dict[str, Any]:
    """A chart (inline SVG from :func:`aktuar.reports.html.svg`: matplotlib escapes the text it draws); its
    caption is printed above it when the chart's own title is not in the report's language."""
    from markupsafe import Markup

    return {"type": "chart", "svg": Markup(svg_text), "caption": caption if show_caption else "", "id": chart_id}


def _h(text: str) -> dict[str, Any]:
    return {"type": "h3", "text": text}


def _p(text: str, cls: str = "note") -> dict[str, Any]:
    return {"type": "p", "text": text, "cls": cls}


def _axis(lang: str, scale: float, digits: int = 1) -> Any:
    from matplotlib.ticker import FuncFormatter

    def tick(v: float, _pos: Any) -> str:
        x = v / scale
        return fmt_amount(x, lang, 0 if scale == 1.0 or abs(x) >= 10 or float(x).is_integer() else digits)

    return FuncFormatter(tick)


# ============================================================================================ reserving
_ORIGIN_COLUMNS = ("latest", "cdf", "ultimate", "ibnr", "se")
_UNCERTAINTY = ("process_se", "parameter_se", "mack_se", "cdr_process_se", "cdr_parameter_se")


@dataclass
class _Segment:
    label: str
    method: str
    origins: dict[str, dict[str, float | None]] = field(default_factory=dict)
    total: dict[str, float | None] = field(default_factory=dict)
    ldf: list[tuple[str, float | None]] = field(default_factory=list)
    tail: float | None = None


def _segments(rows: Sequence[ResultLike]) -> list[_Segment]:
    out: dict[str, _Segment] = {}
    for r in rows:
        seg = out.get(r.segment)
        if seg is None:
            seg = out[r.segment] = _Segment(r.segment, r.method)
        if r.quantity == "ldf":
            seg.ldf.append((r.origin, r.value))
        elif r.quantity == "tail":
            seg.tail = r.value
        elif r.origin == "Total":
            seg.total[r.quantity] = r.value
        else:
            seg.origins.setdefault(r.origin, {})[r.quantity] = r.value
    return list(out.values())


def _quantile_keys(seg: _Segment) -> list[str]:
    keys = {k for v in [seg.total, *seg.origins.values()] for k in v if k.startswith("q")}
    return sorted(keys, key=lambda k: float(k[1:]) if k[1:].replace(".", "", 1).isdigit() else math.inf)


def _q_label(key: str, lang: str) -> str:
    try:
        level = float(key[1:])
    except ValueError:
        return key
    return _t(lang, "r.quantile", q=fmt_pct(level, lang, 1 if (level * 1000) % 10 else 0))


def _method(lang: str, method: str) -> str:
    return _label(lang, "method", method, method)


def _measure(data: RunReportData) -> str:
    m = str((data.parameters.get("data") or {}).get("measure", "paid"))
    return m if m in ("paid", "incurred") else "other"


def chart_reserve_by_origin(origins: Sequence[str], reserve: Sequence[float | None], se: Sequence[float | None],
                            lang: str, salt: str) -> str:
    """Bars of the reserve by origin period, with ± one standard error where the method gives one."""
    import numpy as np

    from aktuar.reports.html import BLUE, INK, figure, svg

    scale, unit = _scale([*reserve, *se])
    vals = np.array([0.0 if v is None else float(v) for v in reserve])
    with figure(7.0, 3.0, margins=(0.85, 0.15, 0.75, 0.35)) as (fig, (ax,)):
        x = np.arange(len(origins))
        ax.bar(x, vals, 0.65, color=BLUE, label=_t(lang, "r.reserve.other").split(" (")[0])
        errs = np.array([0.0 if s is None else float(s) for s in se])
        if np.any(errs > 0):
            ax.errorbar(x, vals, yerr=errs, fmt="none", ecolor=INK, elinewidth=0.9, capsize=2.5,
                        label=_t(lang, "r.chart_se"))
            ax.legend(loc="upper left")
        step = max(1, math.ceil(len(origins) / 14))
        labels = [str(o)[:10] for o in origins][::step]
        ax.set_xticks(x[::step], labels, rotation=_rotation(labels, 14))
        ax.axhline(0, color="#999999", lw=0.8)
        ax.yaxis.set_major_formatter(_axis(lang, scale))
        ax.set_title(_t(lang, "r.chart_reserve", unit=_t(lang, unit) if unit else ""), loc="left")
        return svg(fig, _t(lang, "r.chart_reserve", unit=""), salt)


def chart_factors(periods: Sequence[str], ldf: Sequence[float | None], tail: float | None, lang: str,
                  salt: str) -> str:
    """The selected age-to-age factors by development period (line with markers), the tail in the title."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    from aktuar.reports.html import NAVY, figure, svg

    with figure(5.0, 2.6, margins=(0.6, 0.1, 0.6, 0.3)) as (fig, (ax,)):
        y = np.array([np.nan if v is None else float(v) for v in ldf])
        x = np.arange(len(periods))
        ax.plot(x, y, color=NAVY, marker="o", lw=1.8, ms=4)
        ax.axhline(1.0, color="#999999", lw=0.8, ls="--")
        step = max(1, math.ceil(len(periods) / 12))
        labels = list(periods)[::step]
        ax.set_xticks(x[::step], labels, rotation=_rotation(labels, 10))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_amount(v, lang, 2)))
        title = _t(lang, "r.chart_factors")
        if tail is not None and math.isfinite(tail) and abs(tail - 1.0) > 1e-12:
            title += f" ({_t(lang, 'r.chart_tail', tail=fmt_factor(tail, lang))})"
        ax.set_title(title, loc="left")
        ax.set_xlabel(_t(lang, "r.age"))
        return svg(fig, _t(lang, "r.chart_factors"), salt)


def _rotation(labels: Sequence[str], room: int) -> int:
    """Tick labels are turned when they would overlap: ``room`` characters per label fit side by side at 14."""
    width = max((len(x) for x in labels), default=0) + 1
    return 30 if width * len(labels) > room * 7 else 0


def _development_periods(ldf: Sequence[tuple[str, float | None]]) -> list[str]:
    """``age 12`` … → ``12–24`` … (the factor from one age to the next; the last age's successor by the step
    between the ages when they are evenly spaced); other labels kept."""
    ages: list[str] = [o.removeprefix("age ") for o, _ in ldf]
    numeric = [int(a) for a in ages if a.isdigit()]
    step = None
    if len(numeric) == len(ages) >= 2:
        gaps = {b - a for a, b in zip(numeric[:-1], numeric[1:], strict=True)}
        step = gaps.pop() if len(gaps) == 1 else None
    out = []
    for k, a in enumerate(ages):
        nxt = ages[k + 1] if k + 1 < len(ages) else (str(int(a) + step) if step and a.isdigit() else None)
        out.append(f"{a}–{nxt}" if nxt is not None and a.isdigit() and nxt.isdigit() else a)
    return out


def reserving_sections(data: RunReportData, lang: str) -> list[dict[str, Any]]:
    segs = _segments(data.rows)
    measure = _measure(data)
    latest_h, reserve_h = _t(lang, f"r.latest.{measure}"), _t(lang, f"r.reserve.{measure}")
    if not segs:
        return [{"id": "summary", "title": _t(lang, "sec.summary"), "newpage": True,
                 "blocks": [_p(_t(lang, "r.no_rows"))]}]
    any_q = [k for s in segs for k in _quantile_keys(s)]
    top_q = max(set(any_q), key=lambda k: float(k[1:]) if k[1:].replace(".", "", 1).isdigit() else -1.0,
                default=None)
    head = [_t(lang, "r.class"), _t(lang, "r.method"), latest_h, _t(lang, "r.ultimate"), reserve_h, _t(lang, "r.se")]
    if top_q:
        head.append(_q_label(top_q, lang))
    rows: list[list[str]] = []
    sums = {"latest": 0.0, "ultimate": 0.0, "ibnr": 0.0}
    for s in segs:
        row = [s.label, _method(lang, s.method), *[fmt_amount(s.total.get(k), lang) for k in
                                                   ("latest", "ultimate", "ibnr", "se")]]
        if top_q:
            row.append(fmt_amount(s.total.get(top_q), lang))
        rows.append(row)
        for k in sums:
            v = s.total.get(k)
            sums[k] += float(v) if v is not None and math.isfinite(v) else 0.0
    if len(segs) > 1:
        rows.append([_t(lang, "total"), "", *[fmt_amount(sums[k], lang) for k in ("latest", "ultimate", "ibnr")],
                     "", *([""] if top_q else [])])
    sections = [{"id": "summary", "title": _t(lang, "sec.summary"), "newpage": True,
                 "blocks": [_p(_t(lang, "r.amounts")),
                            _table(head, rows, numeric_from=2, total_last=len(segs) > 1, cls="summary")]}]
    for i, s in enumerate(segs):
        sections.append({"id": f"class-{i + 1}", "title": _t(lang, "r.class_title", label=s.label),
                         "newpage": i > 0, "blocks": _class_blocks(s, lang, latest_h, reserve_h, i)})
    return sections


def _class_blocks(s: _Segment, lang: str, latest_h: str, reserve_h: str, i: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [_p(_t(lang, "r.method_line", method=_method(lang, s.method)), "lead")]
    present = [k for k in _ORIGIN_COLUMNS if any(k in v for v in [s.total, *s.origins.values()])]
    has_se = "se" in present
    labels = {"latest": latest_h, "cdf": _t(lang, "r.cdf"), "ultimate": _t(lang, "r.ultimate"), "ibnr": reserve_h,
              "se": _t(lang, "r.se")}
    head = [_t(lang, "r.origin"), *[labels[k] for k in present], *([_t(lang, "r.cv")] if has_se else [])]

    def cells(v: Mapping[str, float | None], total: bool) -> list[str]:
        out = []
        for k in present:
            if k == "cdf":
                out.append("" if total else fmt_factor(v.get(k), lang))
            else:
                out.append(fmt_amount(v.get(k), lang))
        if has_se:
            se, res = v.get("se"), v.get("ibnr")
            out.append(fmt_pct(se / res, lang) if se is not None and res and math.isfinite(se) else "—")
        return out

    rows = [[o, *cells(v, False)] for o, v in s.origins.items()]
    rows.append([_t(lang, "total"), *cells(s.total, True)])
    blocks += [_h(_t(lang, "r.by_origin")), _table(head, rows, total_last=True, cls="origins")]
    unc = [k for k in _UNCERTAINTY if any(k in v for v in [s.total, *s.origins.values()])]
    qs = _quantile_keys(s)
    if unc or qs:
        uhead = [_t(lang, "r.origin"), *[_t(lang, f"r.{k}") for k in unc], *[_q_label(q, lang) for q in qs]]
        urows = [[o, *[fmt_amount(v.get(k), lang) for k in (*unc, *qs)]] for o, v in s.origins.items()]
        urows.append([_t(lang, "total"), *[fmt_amount(s.total.get(k), lang) for k in (*unc, *qs)]])
        blocks += [_h(_t(lang, "r.uncertainty")), _table(uhead, urows, total_last=True, cls="origins")]
    origins = list(s.origins)
    blocks.append(_chart(chart_reserve_by_origin(origins, [s.origins[o].get("ibnr") for o in origins],
                                                 [s.origins[o].get("se") for o in origins], lang, f"res{i}"),
                         _t(lang, "r.chart_reserve", unit=""), f"chart-reserve-{i + 1}"))
    if s.ldf:
        periods = _development_periods(s.ldf)
        frows = [[p, fmt_factor(v, lang)] for p, v in zip(periods, (v for _, v in s.ldf), strict=True)]
        frows.append([_t(lang, "r.tail"), fmt_factor(s.tail, lang)])
        blocks += [_h(_t(lang, "r.factors")),
                   {"type": "split", "left": _table([_t(lang, "r.development"), _t(lang, "r.factor")], frows,
                                                    cls="factors"),
                    "right": _chart(chart_factors(periods, [v for _, v in s.ldf], s.tail, lang, f"ldf{i}"),
                                    _t(lang, "r.chart_factors"), f"chart-factors-{i + 1}")}]
    return blocks


# =============================================================================================== IFRS 17
_BAL = ("lrc", "loss_component", "lic", "csm")
_RES = ("revenue", "service_result", "finance_pl", "oci")


def _doc_tables(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [t for t in doc.get("tables", []) if t.get("key") == key]


def _row(table: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    return next((r for r in table.get("rows", []) if r.get("key") == key), None)


def _val(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def ifrs17_sections(data: RunReportData, lang: str) -> list[dict[str, Any]]:
    from aktuar.reports.ifrs17_html import chart_balances, chart_csm_release, chart_csm_rollforward

    summary = [dict(r) for r in data.ifrs17_summary]
    dates = sorted({str(r["date"]) for r in summary} | set(data.documents))
    if not dates:
        raise InputError(f"run {data.run_id} has no IFRS 17 results to report")
    last = dates[-1]
    doc = data.documents.get(last) or {}
    last_h = _iso_day(last, lang)
    sections: list[dict[str, Any]] = []
    # balances by portfolio
    blocks: list[dict[str, Any]] = []
    if doc:
        blocks.append(_p(_t(lang, "i.entity", entity=str(doc.get("entity", "")), currency=str(doc.get("currency", "")))
                         , "lead"))
    blocks.append(_p(_t(lang, "i.balances_note")))
    head = [_t(lang, "i.portfolio"), _t(lang, "i.approach"), *[_t(lang, f"i.{k}") for k in _BAL]]
    for d in dates:
        rows = [r for r in summary if str(r["date"]) == d]
        if not rows:
            continue
        body = [[str(r["portfolio"]), str(r["approach"]), *[fmt_amount(_val(r.get(k)), lang) for k in _BAL]]
                for r in rows]
        body.append([_t(lang, "total"), "", *[fmt_amount(sum(_val(r.get(k)) or 0.0 for r in rows), lang)
                                              for k in _BAL]])
        blocks += [_h(f"{_t(lang, 'i.date')}: {_iso_day(d, lang)}"),
                   _table(head, body, numeric_from=2, total_last=True, cls=f"balances balances-{d}")]
    if summary:
        blocks.append(_chart(chart_balances(summary, dates, "bal"), _t(lang, "i.chart_balances"), "chart-balances",
                             show_caption=lang != "en"))
        rows = [r for r in summary if str(r["date"]) == last]
        rhead = [_t(lang, "i.portfolio"), *[_t(lang, f"i.{k}") for k in _RES]]
        rbody = [[str(r["portfolio"]), *[fmt_amount(_val(r.get(k)), lang) for k in _RES]] for r in rows]
        rbody.append([_t(lang, "total"), *[fmt_amount(sum(_val(r.get(k)) or 0.0 for r in rows), lang)
                                           for k in _RES]])
        blocks += [_h(_t(lang, "i.result", date=last_h)), _table(rhead, rbody, total_last=True, cls="result")]
    sections.append({"id": "balances", "title": _t(lang, "i.balances"), "newpage": True, "blocks": blocks})
    # groups (GMM: their own reconciliation tables)
    groups = list(doc.get("groups", []))
    t100 = {str(t.get("group")): t for t in _doc_tables(doc, "100")}
    t101 = {str(t.get("group")): t for t in _doc_tables(doc, "101")}
    grows = []
    for g in groups:
        gid = str(g.get("group_id", ""))
        if gid not in t100 and gid not in t101:
            continue
        c100 = _row(t100[gid], "closing") if gid in t100 else None
        c101 = _row(t101[gid], "closing") if gid in t101 else None
        v100 = (c100 or {}).get("values", {})
        grows.append([gid, str(g.get("cohort", "")),
                      _label(lang, "prof", str(g.get("profitability", "")), str(g.get("profitability", ""))),
                      fmt_amount(_val(g.get("count")), lang, 0),
                      fmt_amount(_val(v100.get("lrc_excl_loss_component")), lang),
                      fmt_amount(_val(v100.get("loss_component")), lang), fmt_amount(_val(v100.get("lic")), lang),
                      fmt_amount(_val((c101 or {}).get("values", {}).get("csm")), lang)])
    if grows:
        ghead = [_t(lang, "i.group"), _t(lang, "i.cohort"), _t(lang, "i.profitability"), _t(lang, "i.contracts"),
                 _t(lang, "i.lrc_excl"), _t(lang, "i.loss_component"), _t(lang, "i.lic"), _t(lang, "i.csm")]
        sections.append({"id": "groups", "title": _t(lang, "i.groups", date=last_h), "newpage": False,
                         "blocks": [_p(_t(lang, "i.groups_note")), _table(ghead, grows, numeric_from=3,
                                                                           cls="groups")]})
    # CSM roll-forward and run-off of the GMM portfolios (the portfolio-level tables)
    gmm = list(dict.fromkeys(str(r["portfolio"]) for r in summary if str(r["approach"]) == "GMM"))
    csm_blocks: list[dict[str, Any]] = []
    bands: dict[str, tuple[list[str], list[float]]] = {}
    for k, portfolio in enumerate(gmm):
        t = t101.get(portfolio)
        if t is None:
            continue
        cols = [str(c["key"]) for c in t.get("columns", [])]
        labels = {str(c["key"]): str(c.get("label", c["key"])) for c in t.get("columns", [])}
        head = [_t(lang, "i.line"), *[_label(lang, "col", c, labels[c]) for c in cols]]
        body = [[_label(lang, "row", str(r["key"]), str(r.get("label", r["key"]))),
                 *[fmt_amount(_val(r["values"].get(c)), lang) for c in cols]] for r in t.get("rows", [])]
        steps = [(_label(lang, "row", str(r["key"]), str(r.get("label", r["key"]))).split(" (")[0],
                  _val(r["values"].get("csm")) or 0.0) for r in t.get("rows", [])
                 if r.get("key") in ("opening", "closing") or abs(_val(r["values"].get("csm")) or 0.0) > 0.5]
        title = _t(lang, "i.rollforward", portfolio=portfolio, date=last_h)
        csm_blocks += [_h(title), _p(_t(lang, "i.rollforward_note")),
                       _table(head, body, total_last=True, cls=f"rollforward rollforward-{k + 1}"),
                       _chart(chart_csm_rollforward(steps, _t(lang, "i.chart_rollforward", portfolio=portfolio,
                                                               date=last_h), f"wf{k}"), title, f"chart-csm-{k + 1}")]
        t109 = next((x for x in _doc_tables(doc, "109") if str(x.get("group")) == portfolio), None)
        if t109 is not None and t109.get("columns"):
            col = str(t109["columns"][0]["key"])
            data_rows = [r for r in t109.get("rows", []) if r.get("key") != "total"]
            bands[portfolio] = ([_label(lang, "row", str(r["key"]), str(r.get("label", r["key"])))
                                 for r in data_rows], [_val(r["values"].get(col)) or 0.0 for r in data_rows])
    if bands:
        names = list(bands)
        band_labels = bands[names[0]][0]
        rhead = [_t(lang, "i.band"), *names]
        rbody = [[label, *[fmt_amount(bands[n][1][j] if j < len(bands[n][1]) else None, lang) for n in names]]
                 for j, label in enumerate(band_labels)]
        rbody.append([_t(lang, "total"), *[fmt_amount(sum(bands[n][1]), lang) for n in names]])
        notes = [str(n) for x in _doc_tables(doc, "109") if str(x.get("group")) in bands for n in x.get("notes", [])]
        csm_blocks += [_h(_t(lang, "i.release", date=last_h)), _table(rhead, rbody, total_last=True, cls="release"),
                       *[_p(n) for n in dict.fromkeys(notes)],
                       _chart(chart_csm_release(bands, "rel"), _t(lang, "i.chart_release"), "chart-csm-runoff",
                              show_caption=lang != "en")]
    if not csm_blocks:
        csm_blocks.append(_p(_t(lang, "i.no_gmm")))
    sections.append({"id": "csm", "title": "CSM", "newpage": True, "blocks": csm_blocks})
    # risk adjustment and inputs
    other: list[dict[str, Any]] = []
    t119 = next(iter(_doc_tables(doc, "119")), None)
    if t119 is not None:
        cols = [str(c["key"]) for c in t119.get("columns", [])]
        labels = {str(c["key"]): str(c.get("label", c["key"])) for c in t119.get("columns", [])}
        head = [_t(lang, "i.portfolio"), *[_label(lang, "col", c, labels[c]) for c in cols]]
        body = [[_label(lang, "row", str(r["key"]), str(r.get("label", r["key"]))),
                 *[fmt_pct(_val(r["values"].get(c)), lang) if c == "confidence_level"
                   else fmt_amount(_val(r["values"].get(c)), lang) for c in cols]] for r in t119.get("rows", [])]
        other += [_h(_t(lang, "i.ra", date=last_h)), _table(head, body, total_last=True, cls="ra"),
                  *[_p(str(n)) for n in t119.get("notes", [])]]
    files = doc.get("input") or {}
    if isinstance(files, Mapping) and files:
        frows = [[str(k), str((v or {}).get("file", "")) if isinstance(v, Mapping) else str(v),
                  str((v or {}).get("sha256", "")) if isinstance(v, Mapping) else ""] for k, v in files.items()]
        other += [_h(_t(lang, "i.files")), _table([_t(lang, "i.file_key"), _t(lang, "in.file"), "SHA-256"], frows,
                                                  numeric=(), cls="files")]
    if other:
        sections.append({"id": "ra", "title": _t(lang, "col.risk_adjustment") + " · " + _t(lang, "i.files"),
                         "newpage": False, "blocks": other})
    return sections


_STAT_RESERVES = ("upr_gross", "rbns_gross", "ibnr_gross", "urr_gross", "annuities_gross", "life_gross",
                  "total_gross", "total_reinsurance", "total_net")


def statutory_sections(data: RunReportData, lang: str) -> list[dict[str, Any]]:
    """A statutory close run: the reserves by class (item 9(1)), the adequacy test, the solvency margin and the
    additional risks, from the run's stored document ``aktuar-statutory/1``."""
    doc = data.documents.get("statutory")
    if not doc:
        raise InputError(f"run {data.run_id} has no statutory document to report")
    res = _row_table(doc, "reserves")
    blocks: list[dict[str, Any]] = [_p(_t(lang, "s.entity", entity=str(doc.get("entity", "")),
                                          currency=str(doc.get("currency", "")),
                                          pack=str((doc.get("pack") or {}).get("name", ""))), "lead")]
    head = [_t(lang, "s.class"), *[_t(lang, f"s.{k}") for k in _STAT_RESERVES]]
    body = [[_t(lang, "total") if r["class"] == "Total" else str(r["class"]),
             *[fmt_amount(_val(r.get(k)), lang) for k in _STAT_RESERVES]] for r in res]
    blocks.append(_table(head, body, total_last=True, cls="statutory-reserves"))
    sections: list[dict[str, Any]] = [{"id": "reserves", "title": _t(lang, "s.reserves"), "newpage": True,
                                       "blocks": blocks}]
    checks: list[dict[str, Any]] = []
    ad = doc.get("adequacy") or {}
    adh = [_t(lang, "s.class"), _t(lang, "s.reserve_start"), _t(lang, "s.paid"), _t(lang, "s.reserve_end"),
           _t(lang, "s.difference"), _t(lang, "s.conclusion")]
    adb = [[_t(lang, "total") if r["class"] == "Total" else str(r["class"]),
            *[fmt_amount(_val(r.get(k)), lang) for k in ("reserve_start", "paid", "reserve_end", "difference")],
            _t(lang, "s.sufficient") if r.get("sufficient") == "sufficient" else _t(lang, "s.insufficient")]
           for r in _row_table(doc, "adequacy")]
    checks += [_h(_t(lang, "s.adequacy", months=ad.get("months", 12))), _table(adh, adb, total_last=True,
                                                                               cls="statutory-adequacy")]
    sv = doc.get("solvency") or {}
    checks += [_h(_t(lang, "s.solvency")),
               _table([_t(lang, "s.minimum_margin"), _t(lang, "s.actual_margin"), _t(lang, "s.ratio")],
                      [[fmt_amount(_val(sv.get("minimum_margin")), lang), fmt_amount(_val(sv.get("actual_margin")),
                                                                                      lang),
                        fmt_factor(_val(sv.get("ratio")), lang)]], numeric_from=0, cls="statutory-solvency")]
    add = doc.get("additional_risks") or {}
    checks.append(_p(_t(lang, "s.additional", amount=fmt_amount(_val(add.get("total")) or 0.0, lang)), "lead"))
    checks.append(_p(_t(lang, "s.opinion", id=data.run_id)))
    sections.append({"id": "checks", "title": _t(lang, "s.checks"), "newpage": False, "blocks": checks})
    return sections


def _row_table(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    t = next((t for t in doc.get("tables", []) if t.get("key") == key), None)
    return list(t.get("rows", [])) if t else []


# ============================================================================================== identity
def _flatten(prefix: str, obj: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(obj, Mapping) and obj:
        for k in sorted(obj, key=str):
            _flatten(f"{prefix}.{k}" if prefix else str(k), obj[k], out)
    else:
        text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, sort_keys=True)
        out.append((prefix, text if len(text) <= 2000 else text[:2000] + " …"))


def identity_model(data: RunReportData, lang: str) -> dict[str, Any]:
    status = _t(lang, f"status.{data.status}") if f"status.{data.status}" in _T else data.status
    ident: list[tuple[str, str, bool]] = [
        (_t(lang, "id.run"), f"№ {data.run_id}" if lang == "ru" else f"#{data.run_id}", False),
        (_t(lang, "id.kind"), _t(lang, f"kind.{data.kind}"), False),
        (_t(lang, "id.reporting_date"), fmt_day(data.reporting_date, lang), False),
        (_t(lang, "id.status"), status, False),
        (_t(lang, "id.test"), _t(lang, "yes" if data.is_test else "no"), False),
        (_t(lang, "id.scope"), "; ".join(data.scope) if data.scope else _t(lang, "id.scope_all"), False),
    ]
    if data.restart_of is not None:
        ident.append((_t(lang, "id.restart_of"), str(data.restart_of), False))
    if data.failure_reason:
        ident.append((_t(lang, "id.failure"), data.failure_reason, False))
    steps = {s.action: s for s in data.workflow}
    wf_rows = []
    for action in ("prepared", "reviewed", "approved", "rejected", "failed"):
        s = steps.get(action)
        if s is None:
            if action in ("reviewed", "approved") and data.status not in ("rejected", "failed"):
                wf_rows.append([_t(lang, f"wf.{action}"), _t(lang, "pending"), "", ""])
            continue
        wf_rows.append([_t(lang, f"wf.{action}"), s.by or "", fmt_moment(s.at, lang), s.note])
    m = data.methodology
    mstatus = _label(lang, "mstatus", m.status, m.status)
    meth = [(_t(lang, "m.name"), m.name, False), (_t(lang, "m.version"), m.version, False),
            (_t(lang, "m.status"), mstatus, False)]
    if m.coordinated_at is not None or m.regulator_reference:
        meth.append((_t(lang, "m.coordinated"), " · ".join(x for x in (fmt_day(m.coordinated_at, lang),
                                                                       m.regulator_reference or "") if x), False))
    meth += [(_t(lang, "m.document"), m.document_name or _t(lang, "none"), False),
             (_t(lang, "m.document_sha256"), m.document_sha256 or _t(lang, "none"), bool(m.document_sha256)),
             (_t(lang, "m.parameters_sha256"), m.parameters_sha256, True)]
    inputs = [[_label(lang, "role", i.role, i.role), f"#{i.dataset_id}", i.filename,
               fmt_amount(i.rows, lang, 0) if i.rows is not None else "—",
               f"{i.imported_by}, {fmt_moment(i.imported_at, lang)}"] for i in data.inputs]
    input_hashes = [(f"SHA-256 #{i.dataset_id} ({i.filename})", i.sha256, True) for i in data.inputs]
    input_hashes.append((_t(lang, "in.combined"), data.inputs_sha256, True))
    params: list[tuple[str, str]] = []
    _flatten("", {k: v for k, v in data.parameters.items() if k != "methodology"}, params)
    env = data.environment or {}
    environment: list[tuple[str, str, bool]] = [(_t(lang, "env.code_version"), data.code_version, True)]
    if env.get("git_commit"):
        environment.append((_t(lang, "env.git_commit"), str(env["git_commit"]), True))
    if env.get("git_dirty") is not None:
        environment.append((_t(lang, "env.git_dirty"), _t(lang, "yes" if env["git_dirty"] else "no"), False))
    environment.append((_t(lang, "env.platform"), " ".join(str(env.get(k, "")) for k in
                                                           ("implementation", "python", "system", "machine")
                                                           if env.get(k)), False))
    for name, version in sorted((env.get("packages") or {}).items()):
        environment.append((_t(lang, "env.package", name=name), str(version or "—"), False))
    docs = _t(lang, "int.docs", n=len(data.documents)) if data.documents else ""
    integrity = [(_t(lang, "int.sha256"), data.results_sha256, True),
                 (_t(lang, "int.check"), _t(lang, "int.ok", rows=fmt_amount(len(data.rows), lang, 0), docs=docs),
                  False),
                 (_t(lang, "int.generated"), _t(lang, "int.generated_value", by=data.generated_by,
                                               at=fmt_moment(data.generated_at, lang)), False)]
    return {
        "ident": ident,
        "workflow": _table([_t(lang, "wf.step"), _t(lang, "wf.by"), _t(lang, "wf.at"), _t(lang, "wf.note")],
                           wf_rows, numeric=(), cls="workflow"),
        "methodology": meth,
        "inputs": _table([_t(lang, "in.role"), _t(lang, "in.dataset"), _t(lang, "in.file"), _t(lang, "in.rows"),
                          _t(lang, "in.imported")], inputs, numeric=(3,), cls="inputs"),
        "input_hashes": input_hashes,
        "parameters": _table([_t(lang, "p.name"), _t(lang, "p.value")], params, numeric=(), cls="parameters"),
        "environment": environment,
        "integrity": integrity,
    }


# ================================================================================================ model
def _css_text(text: str) -> str:
    """A text that can stand inside a CSS string of a page margin box (no quote, backslash or line break)."""
    return re.sub(r'["\\\n\r<>]', " ", text)


def report_model(data: RunReportData, lang: str = "ru") -> dict[str, Any]:
    """The template's model of the report (see the module doc)."""
    lang = _check_lang(lang)
    if data.kind not in ("reserving", "ifrs17", "statutory"):
        raise InputError(f"unknown run kind '{data.kind}': reserving, ifrs17 or statutory")
    if not _HEX64.match(data.results_sha256 or ""):
        raise InputError(f"run {data.run_id} has no results hash: only a run with results is reported")
    approved = data.status == "approved"
    status = _t(lang, f"status.{data.status}") if f"status.{data.status}" in _T else data.status
    banner: dict[str, Any]
    if approved:
        step = next((s for s in data.workflow if s.action == "approved"), None)
        banner = {"draft": False, "title": _t(lang, "approved.banner", by=step.by if step else "",
                                               at=fmt_moment(step.at if step else None, lang)), "lines": []}
    else:
        lines = [_t(lang, "draft.detail", status=status)]
        if data.is_test:
            lines.append(_t(lang, "draft.test"))
        banner = {"draft": True, "title": _t(lang, "draft.banner"), "lines": lines}
    sections = {"reserving": reserving_sections, "ifrs17": ifrs17_sections,
                "statutory": statutory_sections}[data.kind](data, lang)
    return {
        "lang": lang,
        "title": _t(lang, "title", id=data.run_id),
        "subtitle": f"{_t(lang, f'kind.{data.kind}')} · {_t(lang, 'id.reporting_date').lower()} "
                    f"{fmt_day(data.reporting_date, lang)}",
        "banner": banner,
        "watermark": _t(lang, "watermark") if not approved else "",
        "footer": _css_text(_t(lang, "footer", id=data.run_id, sha=data.results_sha256)),
        "running_head": _css_text(_t(lang, "title", id=data.run_id) + ("" if approved else
                                                                     " — " + _t(lang, "draft.banner"))),
        "page_word": _css_text(_t(lang, "page")),
        "of_word": _css_text(_t(lang, "of")),
        "labels": {k: _t(lang, k) for k in ("sec.identity", "sec.workflow", "sec.methodology", "sec.inputs",
                                            "sec.parameters", "sec.environment", "sec.integrity")},
        "identity": identity_model(data, lang),
        "sections": sections,
    }


def render_html(data: RunReportData, lang: str = "ru") -> str:
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("aktuar.reports", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)
    m = report_model(data, lang)
    for k in ("footer", "running_head", "page_word", "of_word"):
        m[k] = Markup(m[k])  # made safe for a CSS string by _css_text
    return env.get_template("run_report.html").render(m=m)


_RENDER_LOCK = threading.Lock()


def render_pdf(data: RunReportData, lang: str = "ru") -> bytes:
    """The report as PDF bytes (WeasyPrint; every URL refused: the document needs nothing from outside).

    One rendering at a time per process: the charts use matplotlib's ``rc_context`` (process-wide settings) and
    WeasyPrint's font machinery (Pango/fontconfig) is not documented as thread-safe, while the web server calls
    this from its worker threads."""
    import logging

    import weasyprint
    from weasyprint.urls import URLFetcher

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    with _RENDER_LOCK:
        html = render_html(data, lang)
        pdf = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf without a target returns the bytes
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
