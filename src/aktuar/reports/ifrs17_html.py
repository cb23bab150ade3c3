"""IFRS 17 close summary as one self-contained HTML page (Russian / English), with charts.

Same conventions as :mod:`aktuar.reports.html` (inline CSS, inline SVG charts from matplotlib's object API, no
date in the output): closing balances by portfolio and date, the CSM roll-forward and its expected release by
time band (para 109) for GMM portfolios, the insurance service result, the groups (para 16–24), the risk
adjustment and its confidence level (para 119) and the inputs with their SHA-256.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from aktuar.reports.html import CSS, bilingual, figure, fmt_millions, fmt_pct, html_table, mn_axis, svg

PALETTE = ("#1f5f8b", "#e07b39", "#4e9a6b", "#b6465f", "#7d6fb0", "#8c8c3e", "#3f8fb0")


def _rows(summary: Sequence[dict[str, Any]], date: str) -> list[dict[str, Any]]:
    return [r for r in summary if r["date"] == date]


def chart_balances(summary: Sequence[dict[str, Any]], dates: Sequence[str], salt: str) -> str:
    """Stacked bars per portfolio and reporting date: LRC excluding the CSM, the CSM, the loss component and the
    LIC (their sum is the insurance contract liability; reinsurance held below zero)."""
    portfolios = list(dict.fromkeys(r["portfolio"] for r in summary))
    parts = (("lrc_excl_csm", "LRC excl. CSM"), ("csm", "CSM"), ("loss_component", "LC"), ("lic", "LIC"))
    with figure(7.6, 3.6, margins=(0.8, 0.15, 1.25, 0.35)) as (fig, (ax,)):
        width = 0.8 / len(dates)
        x = np.arange(len(portfolios))
        for j, d in enumerate(dates):
            by = {r["portfolio"]: {**r, "lrc_excl_csm": r["lrc"] - r["csm"]} for r in _rows(summary, d)}
            bottom = np.zeros(len(portfolios))
            for k, (key, label) in enumerate(parts):
                h = np.array([by[p][key] if p in by else 0.0 for p in portfolios])
                ax.bar(x + (j - (len(dates) - 1) / 2) * width, h, width * 0.95, bottom=bottom,
                       color=PALETTE[k], alpha=0.55 + 0.45 * (j == len(dates) - 1),
                       label=label if j == len(dates) - 1 else None)
                bottom += h
        ax.set_xticks(x)
        ax.set_xticklabels(portfolios, rotation=25, ha="right")
        ax.set_title(f"Balances by portfolio, mn ({', '.join(dates)}; the last date darker)")
        ax.axhline(0, color="#777777", linewidth=0.8)
        mn_axis(ax)
        ax.legend(ncols=4, loc="upper right")
        return svg(fig, "closing balances by portfolio", salt)


def chart_csm_release(bands: Mapping[str, tuple[Sequence[str], Sequence[float]]], salt: str) -> str:
    """Expected recognition of the closing CSM by time band (para 109), one series per GMM portfolio."""
    with figure(7.2, 3.2) as (fig, (ax,)):
        names = list(bands)
        width = 0.8 / max(len(names), 1)
        for i, name in enumerate(names):
            labels, values = bands[name]
            x = np.arange(len(labels))
            ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width * 0.95, color=PALETTE[i % len(PALETTE)],
                   label=name)
            ax.set_xticks(x)
            ax.set_xticklabels(labels)
        ax.set_title("CSM run-off: expected release by time band (para 109), mn")
        mn_axis(ax)
        ax.legend()
        return svg(fig, "expected CSM release by time band", salt)


def chart_csm_rollforward(steps: Sequence[tuple[str, float]], title: str, salt: str) -> str:
    """A waterfall of the CSM from opening to closing."""
    import textwrap

    with figure(7.2, 3.2, margins=(0.8, 0.15, 0.95, 0.35)) as (fig, (ax,)):
        level = 0.0
        lo, hi = 0.0, 0.0
        for i, (_, value) in enumerate(steps):
            last = i == len(steps) - 1
            if i == 0 or last:
                ax.bar(i, value, 0.6, color=PALETTE[0])
                level = value
                lo, hi = min(lo, value), max(hi, value)
            else:
                ax.bar(i, value, 0.6, bottom=level, color=PALETTE[2] if value >= 0 else PALETTE[3])
                lo, hi = min(lo, level, level + value), max(hi, level, level + value)
                level += value
        span = (hi - lo) or 1.0
        ax.set_ylim(lo - 0.05 * span * (lo < 0), hi + 0.08 * span)
        ax.set_xticks(range(len(steps)))
        ax.set_xticklabels([textwrap.fill(s[0], 16) for s in steps], fontsize=7.5)
        ax.set_title(title)
        mn_axis(ax)
        return svg(fig, title, salt)


def render_close_report(close: Any) -> str:
    """The page for a :class:`aktuar.services.ifrs17.CloseRun`."""
    cfg = close.result.config
    dates = [d.isoformat() for d in cfg.reporting_dates]
    summary = close.summary
    body: list[str] = []
    head = ["Дата / Date", "Портфель / Portfolio", "LRC", "LC", "LIC", "в т.ч. CSM / of which CSM", "Выручка / Revenue",
            "Результат / ISR", "IFIE", "OCI"]
    rows = [[r["date"], f"{escape(r['portfolio'])} ({escape(r['approach'])})",
             *[fmt_millions(r[k]) for k in ("lrc", "loss_component", "lic", "csm", "revenue", "service_result",
                                            "finance_pl", "oci")]] for r in summary]
    body.append(f"<section id=\"balances\"><h2>{bilingual('Балансы и результат', 'Balances and result')}</h2>"
                f"<p class=\"note\">млн {escape(cfg.currency)}; LRC без компонента убытка, включая CSM; "
                f"перестрахование — активы со знаком минус / mn; LRC excludes the loss component and includes the "
                f"CSM; reinsurance held shown as negative liabilities</p>"
                f"{html_table(head, rows, first_text=2)}{chart_balances(summary, dates, 'bal')}</section>")
    # CSM of GMM portfolios
    last_doc = close.documents[dates[-1]]
    bands: dict[str, tuple[list[str], list[float]]] = {}
    waterfalls: list[str] = []
    for t in last_doc["tables"]:
        portfolios = {g.name for g in close.result.gmm}
        if t["key"] == "109" and t["group"] in portfolios:
            col = t["columns"][0]["key"]
            data = [(r["label"], r["values"][col]) for r in t["rows"] if r["key"] != "total"]
            bands[t["group"]] = ([d[0] for d in data], [float(d[1] or 0.0) for d in data])
        if t["key"] == "101" and t["group"] in portfolios:
            cols = [c["key"] for c in t["columns"]]
            csm_col = next(c for c in cols if "csm" in c)
            # in the order of para 44: new contracts, interest accreted, changes relating to future service, release
            order = ("opening", "new_contracts", "finance_expense", "changes_in_estimates_adjusting_csm",
                     "changes_in_estimates_not_adjusting_csm", "experience_adjustments", "csm_recognised", "closing")
            rank = {k: i for i, k in enumerate(order)}
            rows_ = sorted(t["rows"], key=lambda r: rank.get(r["key"], len(order) - 1))
            steps = [(r["label"].split(" (")[0], float(r["values"][csm_col] or 0.0)) for r in rows_
                     if r["key"] in ("opening", "closing") or abs(float(r["values"][csm_col] or 0.0)) > 0.5]
            waterfalls.append(chart_csm_rollforward(steps, f"CSM roll-forward {t['group']} {dates[-1]}, mn",
                                                    f"wf{len(waterfalls)}"))
    if bands or waterfalls:
        body.append(f"<section id=\"csm\"><h2>{bilingual('Маржа за предусмотренные договором услуги (CSM)', 'CSM')}"
                    f"</h2>{''.join(waterfalls)}{chart_csm_release(bands, 'rel') if bands else ''}</section>")
    sens = next((t for t in last_doc["tables"] if t["key"] == "128"), None)
    if sens is not None:
        cols = [c["key"] for c in sens["columns"]]
        srows = [[escape(r["label"]), *[fmt_millions(r["values"][c]) for c in cols]] for r in sens["rows"]]
        body.append(f"<section id=\"sensitivity\"><h2>{bilingual('Чувствительность', 'Sensitivity')}</h2>"
                    f"<p class=\"note\">para 128(a), {dates[-1]}, млн / mn, до налогов / before tax</p>"
                    + html_table(["Сценарий / Scenario", *[escape(c["label"]) for c in sens["columns"]]], srows)
                    + "</section>")
    # groups
    grows = []
    for p in [*close.result.paa, *close.result.gmm]:
        infos = p.groups if hasattr(p.groups[0], "group_id") else [g.info for g in p.groups]
        for g in infos:
            grows.append([escape(g.group_id), str(g.cohort), escape(g.profitability), str(g.contracts),
                          fmt_pct(g.expected_combined_ratio), escape(g.test)])
    body.append(f"<section id=\"groups\"><h2>{bilingual('Группы договоров', 'Groups of contracts')}</h2>"
                f"<p class=\"note\">para 14–24; последний столбец — применённый тест / the test applied</p>"
                + html_table(["Группа / Group", "Когорта / Cohort", "Прибыльность", "Договоров", "Коэф. / Ratio",
                              "Тест / Test"], grows, first_text=6) + "</section>")
    # risk adjustment
    ra_rows = []
    for d, div in zip(["opening", *dates], close.result.lic_ra, strict=True):
        ra_rows.append([d, fmt_millions(div.undiversified), fmt_millions(div.total),
                        fmt_millions(div.diversification_benefit)])
    body.append(f"<section id=\"ra\"><h2>{bilingual('Рисковая поправка (LIC)', 'Risk adjustment (LIC)')}</h2>"
                f"<p class=\"note\">уровень доверия / confidence level {fmt_pct(cfg.confidence_level)}; "
                f"корреляция / correlation {cfg.correlation:g} (para 119)</p>"
                + html_table(["Дата / Date", "Без диверсификации", "С диверсификацией / Diversified",
                              "Эффект / Benefit"], ra_rows) + "</section>")
    src = last_doc["input"]
    body.append(f"<section id=\"data\"><h2>{bilingual('Исходные данные', 'Inputs')}</h2>"
                + html_table(["Файл / File", "Имя / Name", "SHA-256"],
                             [[escape(k), escape(v["file"]), f"<code>{v['sha256']}</code>"] for k, v in src.items()],
                             first_text=3) + "</section>")
    title_ru, title_en = "МСФО 17: закрытие периода", "IFRS 17 close"
    return (
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title_en} — {escape(cfg.entity)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{title_ru} <span class=\"en\">/ {title_en}</span></h1>"
        f"<div class=\"meta\">{escape(cfg.entity)} · {', '.join(dates)} · {escape(cfg.currency)}</div></header>"
        "<nav><a href=\"#balances\">Балансы / Balances</a><a href=\"#csm\">CSM</a><a href=\"#groups\">Группы / "
        "Groups</a><a href=\"#sensitivity\">Чувствительность / Sensitivity</a><a href=\"#ra\">RA</a><a href=\"#data\">Данные / Data</a></nav>"
        f"<main>{''.join(body)}</main><footer>aktuar · {escape(cfg.entity)}</footer></body></html>\n"
    )
