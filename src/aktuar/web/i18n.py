"""Russian and English texts of the web application, and numbers and dates per locale (Babel).

The catalog is a Python dictionary (message id → text per language) so that nothing needs compiling at build
time and no tool needs the internet; :func:`missing` lists ids that lack a language (a test keeps it empty).
Numbers and dates are formatted with ``babel.numbers`` / ``babel.dates``: Russian ``1 234 567,89`` (with a
non-breaking space as the group separator, as CLDR specifies) and ``dd.mm.yyyy``; English ``1,234,567.89``
and ISO dates ``yyyy-mm-dd`` (unambiguous for international readers, unlike dd/mm vs mm/dd). The default
language is Russian. Kazakh is not provided yet (no reviewed texts exist).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
_LOCALES = {"ru": "ru_RU", "en": "en_GB"}

CATALOG: dict[str, dict[str, str]] = {
    # layout
    "app.title": {"ru": "Актуарная платформа", "en": "Actuarial platform"},
    "nav.dashboard": {"ru": "Обзор", "en": "Dashboard"},
    "nav.runs": {"ru": "Расчёты", "en": "Runs"},
    "nav.audit": {"ru": "Журнал аудита", "en": "Audit trail"},
    "nav.logout": {"ru": "Выйти", "en": "Log out"},
    "nav.language": {"ru": "Язык", "en": "Language"},
    "nav.signed_in_as": {"ru": "Вы вошли как", "en": "Signed in as"},
    "lang.ru": {"ru": "Русский", "en": "Русский"},
    "lang.en": {"ru": "English", "en": "English"},
    "lang.switch": {"ru": "Сменить", "en": "Switch"},
    # login
    "login.title": {"ru": "Вход", "en": "Log in"},
    "login.username": {"ru": "Имя пользователя", "en": "User name"},
    "login.password": {"ru": "Пароль", "en": "Password"},
    "login.code": {"ru": "Одноразовый код (приложение-аутентификатор) или код восстановления",
                   "en": "One-time code (authenticator app) or recovery code"},
    "login.submit": {"ru": "Войти", "en": "Log in"},
    "login.failed": {
        "ru": "Вход не выполнен: неверно имя пользователя, пароль или одноразовый код, либо учётная запись "
              "заблокирована, отключена или просрочена. После {threshold} неудачных попыток учётная запись "
              "блокируется на {minutes} мин.; разблокировать её может сотрудник по информационной безопасности.",
        "en": "Login failed: the user name, password or one-time code is wrong, or the account is locked, "
              "disabled or expired. After {threshold} failed attempts an account is locked for {minutes} "
              "minutes; an information security officer can unlock it.",
    },
    "login.mfa_required": {
        "ru": "Для этой учётной записи ещё не настроена двухфакторная аутентификация: настройте её командой "
              "'aktuar users mfa-enroll' и войдите снова.",
        "en": "Two-factor authentication is not set up for this account yet: set it up with "
              "'aktuar users mfa-enroll', then log in.",
    },
    "login.session_ended": {"ru": "Сеанс завершён. Войдите снова.",
                            "en": "Your session has ended. Please log in again."},
    "login.logged_out": {"ru": "Вы вышли из системы.", "en": "You have logged out."},
    "hygiene.title": {"ru": "Рекомендации по кибергигиене", "en": "Cyber-hygiene advice"},
    "hygiene.1": {"ru": "Проверьте адрес страницы и сертификат: вход выполняется только на сайте {insurer} "
                        "по защищённому соединению (https).",
                  "en": "Check the address and the certificate: log in only on the site of {insurer} over a "
                        "secure connection (https)."},
    "hygiene.2": {"ru": "Никому не сообщайте пароль и одноразовые коды, в том числе сотрудникам поддержки.",
                  "en": "Never tell anyone your password or one-time codes, not even support staff."},
    "hygiene.3": {"ru": "Не сохраняйте пароль в браузере и не входите с чужих или общедоступных компьютеров.",
                  "en": "Do not let the browser remember your password; do not log in from shared or public "
                        "computers."},
    "hygiene.4": {"ru": "Используйте длинную уникальную парольную фразу; держите систему и браузер обновлёнными, "
                        "используйте антивирус.",
                  "en": "Use a long, unique passphrase; keep the operating system and browser up to date and "
                        "use anti-virus software."},
    "hygiene.5": {"ru": "Завершайте работу кнопкой «Выйти»; о подозрительных событиях сообщайте в службу "
                        "информационной безопасности.",
                  "en": "Always finish with \u201cLog out\u201d; report anything suspicious to information "
                        "security."},
    # dashboard
    "dashboard.title": {"ru": "Обзор", "en": "Dashboard"},
    "dashboard.reporting_dates": {"ru": "Отчётные даты", "en": "Reporting dates"},
    "dashboard.no_reporting_dates": {"ru": "Расчётов ещё нет.", "en": "No runs yet."},
    "dashboard.deadlines": {"ru": "Регуляторные сроки", "en": "Regulatory deadlines"},
    "dashboard.deadline": {"ru": "Срок", "en": "Deadline"},
    "dashboard.days_left": {"ru": "Осталось дней", "en": "Days left"},
    "dashboard.run_status": {"ru": "Статусы расчётов", "en": "Run status"},
    "dashboard.warnings": {"ru": "Предупреждения", "en": "Warnings"},
    "dashboard.no_warnings": {"ru": "Предупреждений нет.", "en": "No warnings."},
    "dashboard.no_run_access": {"ru": "Ваша роль не даёт доступа к расчётам.",
                                "en": "Your role gives no access to runs."},
    "deadline.jan1": {"ru": "Отчётная дата годового расчёта резервов (1 января)",
                      "en": "Annual valuation reporting date (1 January)"},
    "deadline.jan10": {"ru": "Представление ежемесячной отчётности за декабрь (10 января)",
                       "en": "Monthly regulatory reporting for December due (10 January)"},
    "deadline.apr30": {"ru": "Актуарное заключение и годовая отчётность (30 апреля)",
                       "en": "Actuarial opinion and annual reporting due (30 April)"},
    "warning.failed_runs": {"ru": "Неуспешных расчётов: {n}. Перезапустите или разберите их.",
                            "en": "{n} failed run(s): restart or investigate them."},
    "warning.awaiting_approval": {"ru": "Ожидают утверждения: {n}.", "en": "{n} run(s) await approval."},
    "warning.awaiting_review": {"ru": "Ожидают проверки: {n}.", "en": "{n} run(s) await review."},
    "status.running": {"ru": "выполняется", "en": "running"},
    "status.prepared": {"ru": "подготовлен", "en": "prepared"},
    "status.reviewed": {"ru": "проверен", "en": "reviewed"},
    "status.approved": {"ru": "утверждён", "en": "approved"},
    "status.rejected": {"ru": "отклонён", "en": "rejected"},
    "status.failed": {"ru": "ошибка", "en": "failed"},
    # runs
    "runs.title": {"ru": "Расчёты", "en": "Runs"},
    "runs.none": {"ru": "Расчётов нет.", "en": "No runs."},
    "runs.id": {"ru": "№", "en": "#"},
    "runs.reporting_date": {"ru": "Отчётная дата", "en": "Reporting date"},
    "runs.status": {"ru": "Статус", "en": "Status"},
    "runs.methodology": {"ru": "Методика", "en": "Methodology"},
    "runs.prepared_by": {"ru": "Подготовил", "en": "Prepared by"},
    "runs.reviewed_by": {"ru": "Проверил", "en": "Reviewed by"},
    "runs.approved_by": {"ru": "Утвердил", "en": "Approved by"},
    "runs.results": {"ru": "Строк результатов", "en": "Result rows"},
    "runs.actions": {"ru": "Действия", "en": "Actions"},
    "runs.review": {"ru": "Проверено", "en": "Mark reviewed"},
    "runs.approve": {"ru": "Утвердить", "en": "Approve"},
    "runs.reject": {"ru": "Отклонить", "en": "Reject"},
    "runs.reason": {"ru": "Причина отклонения", "en": "Reason for rejection"},
    "runs.comment": {"ru": "Комментарий", "en": "Comment"},
    "runs.test": {"ru": "тестовый", "en": "test"},
    "runs.done.review": {"ru": "Расчёт №{id} отмечен как проверенный.", "en": "Run #{id} marked reviewed."},
    "runs.done.approve": {"ru": "Расчёт №{id} утверждён.", "en": "Run #{id} approved."},
    "runs.done.reject": {"ru": "Расчёт №{id} отклонён.", "en": "Run #{id} rejected."},
    # audit
    "audit.title": {"ru": "Журнал аудита", "en": "Audit trail"},
    "audit.verify": {"ru": "Проверить цепочку", "en": "Verify the chain"},
    "audit.verified": {"ru": "Цепочка журнала проверена: записей {records}, подписанных контрольных точек "
                             "{checkpoints}.",
                       "en": "The audit chain verifies: {records} records, {checkpoints} signed checkpoints."},
    "audit.not_verified": {"ru": "Цепочка журнала НЕ проходит проверку: проблем {problems}.",
                           "en": "The audit chain DOES NOT verify: {problems} problem(s)."},
    "audit.filter": {"ru": "Отбор", "en": "Filter"},
    "audit.category": {"ru": "Категория", "en": "Category"},
    "audit.actor": {"ru": "Пользователь", "en": "Actor"},
    "audit.outcome": {"ru": "Результат", "en": "Outcome"},
    "audit.any": {"ru": "все", "en": "any"},
    "audit.seq": {"ru": "№", "en": "Seq"},
    "audit.at": {"ru": "Время (UTC)", "en": "Time (UTC)"},
    "audit.action": {"ru": "Действие", "en": "Action"},
    "audit.object": {"ru": "Объект", "en": "Object"},
    "audit.source": {"ru": "Источник", "en": "Source"},
    "audit.none": {"ru": "Записей нет.", "en": "No records."},
    "audit.success": {"ru": "успех", "en": "success"},
    "audit.failure": {"ru": "отказ", "en": "failure"},
    # errors
    "error.title": {"ru": "Ошибка", "en": "Error"},
    "error.internal": {"ru": "Внутренняя ошибка. Операция не выполнена. Сообщите в поддержку идентификатор "
                             "{cid}.",
                       "en": "Internal error. The operation was not performed. Give support the reference {cid}."},
    "error.forbidden": {"ru": "Недостаточно прав для этой операции.",
                        "en": "You do not have permission for this operation."},
    "error.unauthorized": {"ru": "Требуется вход в систему.", "en": "Authentication is required."},
    "error.not_found": {"ru": "Страница не найдена.", "en": "Not found."},
    "error.method": {"ru": "Метод не поддерживается.", "en": "Method not allowed."},
    "error.csrf": {"ru": "Запрос отклонён: форма устарела или отправлена с другого сайта. Обновите страницу и "
                         "повторите.",
                   "en": "Request refused: the form is stale or came from another site. Reload the page and try "
                         "again."},
    "error.invalid": {"ru": "Неверные данные запроса.", "en": "The request data are not valid."},
    "error.refused": {"ru": "Операция отклонена: {detail}", "en": "Operation refused: {detail}"},
    "error.unavailable": {"ru": "Сервис временно недоступен. Повторите позже (идентификатор {cid}).",
                          "en": "The service is temporarily unavailable. Try again later (reference {cid})."},
    "error.reference": {"ru": "Идентификатор обращения", "en": "Reference"},
    "error.back": {"ru": "На главную", "en": "Back to the dashboard"},
}

from aktuar.web.i18n_pages import PAGES  # noqa: E402 - the pages' texts, kept in their own module

CATALOG.update(PAGES)


def normalize_language(value: str | None) -> str:
    """A supported language code for ``value`` (``ru`` when unknown)."""
    v = (value or "").strip().lower()[:5].split("-")[0].split("_")[0]
    return v if v in LANGUAGES else DEFAULT_LANGUAGE


def t(lang: str, key: str, **kw: Any) -> str:
    """The text ``key`` in ``lang`` with ``{placeholders}`` filled; a missing id raises ``KeyError`` (tests
    find it) rather than showing an English fallback silently."""
    entry = CATALOG[key]
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**kw) if kw else text


def missing() -> list[str]:
    """Message ids that lack one of the languages."""
    return sorted(k for k, v in CATALOG.items() for lang in LANGUAGES if not v.get(lang))


def format_number(value: float | int | None, lang: str, digits: int = 2) -> str:
    """``1 234 567,89`` (ru) / ``1,234,567.89`` (en); empty for ``None`` or a non-finite value."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return ""
    fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=fmt, locale=_LOCALES[normalize_language(lang)])


def format_date(value: date | datetime | None, lang: str) -> str:
    """``dd.mm.yyyy`` (ru) / ``yyyy-mm-dd`` (en)."""
    if value is None:
        return ""
    d = value.date() if isinstance(value, datetime) else value
    if normalize_language(lang) == "ru":
        return _babel_date(d, format="dd.MM.yyyy", locale="ru_RU")
    return _babel_date(d, format="yyyy-MM-dd", locale="en_GB")


def format_datetime(value: datetime | None, lang: str) -> str:
    """Date and time (UTC as stored) per locale: ``dd.mm.yyyy HH:mm:ss`` (ru) / ``yyyy-mm-dd HH:mm:ss`` (en)."""
    if value is None:
        return ""
    pattern = "dd.MM.yyyy HH:mm:ss" if normalize_language(lang) == "ru" else "yyyy-MM-dd HH:mm:ss"
    return _babel_datetime(value, format=pattern, locale=_LOCALES[normalize_language(lang)], tzinfo=None)
