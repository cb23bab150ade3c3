"""Claims-reserve summary as one self-contained HTML page (Russian and English).

The page needs nothing from outside: the style sheet is inline and every chart is an inline SVG drawn with
matplotlib's object API (``matplotlib.figure.Figure``; no pyplot, no global backend or state, so it is safe
in a server). Text in the charts stays text (``svg.fonttype = none``), the SVG ids are salted per chart so
that the charts of one page never share an id, and the output carries no date: the same inputs give the
same page, byte for byte.

Amounts are shown in thousands (tables) or millions (charts) of the report's currency with thin-space
thousands separators and a decimal comma, as Russian typography has them; dates as dd.mm.yyyy.

Sections: a summary by class; the comparison of methods; per class the reserve by accident year for every
method, the cumulative triangle of the selected estimate (paid or incurred) as a heat-map (shade = the link
ratio against the selected factor), the development factors (link ratios and the selected factors), the
bootstrap distribution with its 75 %, 95 % and 99.5 % quantiles, the payment pattern and the expected cash
flows, the effect of smoothing large losses and the warnings; the claims-settlement expense reserve; the data
and methods.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aktuar.core.reserving.expenses import ULAEResult
from aktuar.core.reserving.large_losses import LargeLossResult
from aktuar.core.reserving.patterns import CashFlows
from aktuar.core.reserving.results import ReserveResult
from aktuar.core.reserving.triangles import Triangle

FloatArray = npt.NDArray[np.float64]

THIN = "\u2009"  # thin space: thousands separator in Russian typography
MINUS = "\u2212"
NAVY, BLUE, TEAL, SAND, ORANGE, RED, GREY, INK = (
    "#1d3557", "#457b9d", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#8d99ae", "#222222")
METHOD_COLORS = {"cl_paid": NAVY, "cl_incurred": BLUE, "bf": TEAL, "capecod": SAND, "bootstrap": ORANGE,
                 "large": GREY}


# ============================================================================================ the inputs
@dataclass(frozen=True)
class MethodEstimate:
    """One method's reserve for unpaid claims (ultimate − paid to date) by origin (O,), and the standard error
    of its total where the method gives one."""

    key: str
    label_ru: str
    label_en: str
    unpaid: FloatArray
    se: float | None = None


@dataclass(frozen=True)
class ClassReport:
    """What the page shows for one class (segment).

    ``selected`` is the selected estimate (one segment) on the triangle the page shows, paid or incurred
    claims; the reserve shown is the unpaid ``selected.ultimate − paid_latest``. ``bootstrap`` is a bootstrap of
    the unpaid claims (on paid claims); its simulations and quantiles are multiplied by ``bootstrap_scale`` to
    give the distribution of the selected reserve (1 when the bootstrap is of the selected estimate itself).
    """

    code: str
    name_ru: str
    name_en: str
    selected: ReserveResult
    paid_latest: FloatArray  # (O,)
    methods: Sequence[MethodEstimate] = ()
    case_reserves: FloatArray | None = None  # (O,)
    exposure: FloatArray | None = None  # (O,) earned premium
    bootstrap: ReserveResult | None = None
    bootstrap_scale: float = 1.0
    cdr: ReserveResult | None = None
    cash_flows: CashFlows | None = None
    large_losses: LargeLossResult | None = None
    ulae_reserve: float | None = None
    hindsight: FloatArray | None = None  # (O,) actual payments after the valuation (synthetic data only)
    warnings: Sequence[str] = ()
    notes: Sequence[str] = ()

    @property
    def triangle(self) -> Triangle:
        return self.selected.triangle

    @property
    def origins(self) -> tuple[str, ...]:
        return self.selected.triangle.origin

    @property
    def unpaid_by_origin(self) -> FloatArray:
        return np.asarray(self.selected.ultimate[0] - self.paid_latest)

    @property
    def unpaid(self) -> float:
        return float(self.unpaid_by_origin.sum())

    @property
    def measure_label(self) -> tuple[str, str]:
        if self.triangle.measure == "incurred":
            return "понесённых убытков", "incurred claims"
        if self.triangle.measure == "paid":
            return "оплаченных убытков", "paid claims"
        return "убытков", "claims"

    @property
    def case_total(self) -> float:
        return float(self.case_reserves.sum()) if self.case_reserves is not None else float("nan")


@dataclass(frozen=True)
class ReserveReport:
    """The page: a title, the entity, the valuation date, the classes and the run's inputs and parameters."""

    title_ru: str
    title_en: str
    entity_ru: str
    entity_en: str
    valuation: date
    currency: str
    classes: Sequence[ClassReport]
    ulae: ULAEResult | None = None  # segments in the order of ``classes``
    inputs: Sequence[tuple[str, str]] = ()  # (file name, sha256)
    parameters: Mapping[str, str] = field(default_factory=dict)
    notes: Sequence[str] = ()
    generator: str = "aktuar"


# ============================================================================================ formatting
def fmt_number(x: float | None, decimals: int = 0) -> str:
    """``1234567.891`` → ``1 234 567,89`` (thin-space thousands, decimal comma, true minus); ``—`` for none."""
    if x is None or not math.isfinite(float(x)):
        return "—"
    v = float(x)
    text = f"{abs(v):,.{decimals}f}".replace(",", THIN).replace(".", ",")
    negative = v < 0 and any(ch not in f"0,{THIN}" for ch in text)
    return (MINUS if negative else "") + text


def fmt_thousands(x: float | None) -> str:
    return fmt_number(None if x is None else float(x) / 1e3, 0)


def fmt_millions(x: float | None, decimals: int = 1) -> str:
    return fmt_number(None if x is None else float(x) / 1e6, decimals)


def fmt_pct(x: float | None, decimals: int = 1) -> str:
    if x is None or not math.isfinite(float(x)):
        return "—"
    return f"{fmt_number(100.0 * float(x), decimals)}{THIN}%"


def fmt_factor(x: float | None, decimals: int = 4) -> str:
    return fmt_number(x, decimals)


def fmt_date(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def _slug(code: str) -> str:
    return "cls-" + (re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-") or "x")


def bilingual(ru: str, en: str) -> str:
    """A bilingual label: Russian / English."""
    return f"{escape(ru)} <span class=\"en\">/ {escape(en)}</span>"


# ================================================================================================ charts
@contextmanager
def figure(width: float = 7.2, height: float = 3.3, ncols: int = 1,
            margins: tuple[float, float, float, float] = (0.8, 0.15, 0.55, 0.35),
            wspace: float = 0.3) -> Iterator[tuple[Any, list[Any]]]:
    """A figure of ``width`` × ``height`` inches with fixed ``margins`` (left, right, bottom, top, inches): fixed
    margins instead of a layout engine, which would draw every chart twice."""
    import matplotlib
    from matplotlib.figure import Figure

    rc: dict[str, Any] = {
        "svg.fonttype": "none", "font.size": 9, "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"], "axes.edgecolor": "#9aa5b1",
        "axes.labelcolor": INK, "xtick.color": "#444444", "ytick.color": "#444444", "axes.spines.top": False,
        "axes.spines.right": False, "axes.grid": True, "axes.axisbelow": True, "grid.color": "#e3e7ec",
        "grid.linewidth": 0.8, "axes.titlesize": 10, "axes.titleweight": "bold", "legend.frameon": False,
        "legend.fontsize": 8,
    }
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig = Figure(figsize=(width, height), dpi=100)
        left, right, bottom, top = margins
        fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                            top=1 - top / height, wspace=wspace)
        axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
        yield fig, axes


def svg(fig: Any, label: str, salt: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, count=1, flags=re.S)
    text = re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", text, count=1)
    # every id of the chart (matplotlib's figure_1, axes_1, clip paths, markers) and every reference to one get
    # the chart's prefix, so that the charts of a page never share an id
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{salt}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{salt}-{m.group(1)})", text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{salt}-{m.group(2)}"', text)
    text = text.replace("<svg", f'<svg class="chart" role="img" aria-label="{escape(label)}"', 1)
    return text


def mn_axis(ax: Any, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: fmt_number(v / 1e6, 0 if abs(v) >= 1e7 or v == 0 else 1))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def chart_summary(classes: Sequence[ClassReport], ulae: ULAEResult | None, currency: str, salt: str) -> str:
    """Reserves by class: case reserves, IBNR and ULAE stacked (millions)."""
    names = [c.code for c in classes]
    case = np.array([c.case_total for c in classes])
    ibnr = np.array([c.unpaid for c in classes]) - case
    ul = np.array([float(ulae.reserve[i]) for i in range(len(classes))]) if ulae is not None else np.zeros(
        len(classes))
    with figure(7.2, 1.2 + 0.45 * len(classes), margins=(1.0, 0.2, 0.5, 0.4)) as (fig, (ax,)):
        y = np.arange(len(classes))[::-1]
        left = np.zeros(len(classes))
        for vals, color, label in ((case, BLUE, "РЗНУ / case reserves"), (ibnr, ORANGE, "IBNR (РПНУ)"),
                                   (ul, TEAL, "РУУ / ULAE")):
            ax.barh(y, vals, left=left, color=color, label=label, height=0.6)
            left = left + np.maximum(vals, 0)
        for yi, tot in zip(y, case + ibnr + ul, strict=True):
            ax.text(float(left[list(y).index(yi)]), yi, f"  {fmt_millions(tot)}", va="center", fontsize=8)
        ax.set_yticks(y, names)
        ax.grid(axis="y", visible=False)
        mn_axis(ax, "x")
        ax.set_xlabel(f"млн {currency} / {currency} mn")
        ax.set_xlim(0, float(left.max()) * 1.18 if left.max() > 0 else 1)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3)
        return svg(fig, "Reserves by class", salt)


def chart_factors(res: ReserveResult, salt: str) -> str:
    """Link ratios of every origin (dots; excluded ones as crosses) and the selected factors (line)."""
    fit = res.development
    ages = [int(a) for a in fit.ages]
    lr = fit.link_ratios[0]
    used = fit.used[0]
    n = len(ages) - 1
    with figure(7.2, 3.2) as (fig, (ax,)):
        if n >= 1:
            x = np.arange(n)
            o = lr.shape[0]
            xs = np.repeat(x[None, :], o, axis=0) + np.linspace(-0.18, 0.18, o)[:, None]
            ok = np.isfinite(lr) & used
            ex = np.isfinite(lr) & ~used
            ax.scatter(xs[ok], lr[ok], s=14, color=BLUE, alpha=0.55, label="по годам / link ratios", zorder=2)
            if ex.any():
                ax.scatter(xs[ex], lr[ex], s=18, color=RED, marker="x", label="исключены / excluded", zorder=2)
            ax.plot(x, fit.ldf[0], color=NAVY, marker="o", lw=2, ms=5, label="выбранный / selected", zorder=3)
            ax.set_xticks(x, [f"{a}–{b}" for a, b in zip(ages[:-1], ages[1:], strict=True)], rotation=0)
            finite = lr[np.isfinite(lr)]
            if finite.size:
                lo, hi = np.percentile(finite, [1, 99])
                lo = min(lo, float(np.nanmin(fit.ldf[0])), 1.0)
                hi = max(hi, float(np.nanmax(fit.ldf[0])))
                pad = 0.06 * (hi - lo or 1.0)
                ax.set_ylim(lo - pad, hi + pad)
            ax.axhline(1.0, color="#999999", lw=0.8, ls="--")
        tail = float(fit.tail.factor[0])
        title = "Факторы развития / Development factors"
        if abs(tail - 1.0) > 1e-9:
            title += f"  (хвост / tail {fmt_factor(tail)})"
        ax.set_title(title, loc="left")
        ax.set_xlabel("Возраст, мес. / Age, months")
        ax.legend(loc="upper right")
        return svg(fig, "Development factors", salt)


def chart_reserve_by_origin(c: ClassReport, currency: str, salt: str) -> str:
    """Unpaid claims by origin for every method (bars) and the actual future payments (diamonds)."""
    origins = list(c.origins)
    methods = [m for m in c.methods if m.key != "large"] or list(c.methods) or [
        MethodEstimate("selected", "выбранный", "selected", c.unpaid_by_origin)]
    k = max(len(methods), 1)
    width = 0.8 / k
    with figure(7.2, 3.4) as (fig, (ax,)):
        x = np.arange(len(origins))
        for j, m in enumerate(methods):
            ax.bar(x - 0.4 + width * (j + 0.5), m.unpaid, width=width, color=METHOD_COLORS.get(m.key, GREY),
                   label=m.label_en)
        if c.hindsight is not None:
            ax.scatter(x, c.hindsight, marker="D", s=22, color=INK, zorder=4, label="actual (hindsight)")
        ax.set_xticks(x, origins)
        ax.axhline(0, color="#999999", lw=0.8)
        mn_axis(ax)
        ax.set_ylabel(f"млн {currency} / {currency} mn")
        ax.set_title("Резерв по годам происшествия / Unpaid claims by accident year", loc="left")
        ax.legend(loc="upper left", ncols=2)
        return svg(fig, "Reserve by accident year", salt)


def chart_bootstrap(boot: ReserveResult, cl_total: float, actual: float | None, currency: str, salt: str,
                    scale: float = 1.0) -> str:
    """Histogram of the simulated total reserve (times ``scale``) with the quantile lines."""
    sims = boot.components.get("total_ibnr_sims")
    with figure(7.2, 3.2, margins=(0.8, 1.75, 0.55, 0.35)) as (fig, (ax,)):
        if sims is not None:
            v = np.asarray(sims[0], dtype=np.float64) * scale
            v = v[np.isfinite(v)]
            ax.hist(v, bins=50, color="#a8c5da", edgecolor="white", linewidth=0.4)
        ymax = ax.get_ylim()[1]
        styles = {0.75: (TEAL, "--"), 0.95: (ORANGE, "--"), 0.995: (RED, "-")}
        if boot.total_quantiles is not None:
            for j, q in enumerate(boot.quantile_levels):
                color, ls = styles.get(round(q, 4), (GREY, ":"))
                val = float(boot.total_quantiles[0, j]) * scale
                ax.axvline(val, color=color, ls=ls, lw=1.6,
                           label=f"{fmt_number(100 * q, 1 if q * 100 % 1 else 0)}{THIN}%: {fmt_millions(val)}")
        ax.axvline(cl_total, color=NAVY, lw=1.6, label=f"ЦЛ / CL: {fmt_millions(cl_total)}")
        if actual is not None and math.isfinite(actual):
            ax.axvline(actual, color=INK, lw=1.2, ls=":", label=f"факт / actual: {fmt_millions(actual)}")
        ax.set_ylim(0, ymax * 1.05)
        mn_axis(ax, "x")
        ax.set_xlabel(f"Резерв, млн {currency} / Reserve, {currency} mn")
        ax.set_ylabel("Симуляций / simulations")
        ax.set_title("Бутстрэп ODP / ODP bootstrap", loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), title=f"млн {currency} / {currency} mn",
                  title_fontsize=8, alignment="left")
        return svg(fig, "Bootstrap distribution of the reserve", salt)


def chart_cash_flows(cf: CashFlows, currency: str, salt: str) -> str:
    """Left: the incremental payment pattern by development period; right: expected payments by year."""
    pat = cf.pattern
    inc = pat.incremental[0]
    ages = [str(int(a)) for a in pat.ages] + [f"+{t + 1}" for t in range(pat.tail_periods)]
    with figure(7.2, 3.3, ncols=2, margins=(0.6, 0.2, 0.55, 0.55), wspace=0.75) as (fig, (a1, a2)):
        x = np.arange(inc.shape[0])
        a1.bar(x, 100 * inc, color=BLUE)
        a1b = a1.twinx()
        a1b.plot(x, 100 * pat.cumulative[0], color=NAVY, marker="o", ms=3, lw=1.5)
        a1b.set_ylim(0, 105)
        a1b.grid(False)
        a1b.spines["right"].set_visible(True)
        a1b.set_ylabel("накопл. % / cumulative %")
        step = max(1, math.ceil(len(ages) / 5))
        a1.set_xticks(x[::step], ages[::step])
        a1.set_ylabel("% конечного / % of ultimate")
        a1.set_xlabel("Возраст, мес. / Age, months")
        a1.set_title("Паттерн выплат\nPayment pattern", loc="left")
        flows = cf.total[0]
        last = int(np.flatnonzero(np.abs(flows) > 1e-6 * max(np.abs(flows).max(), 1.0)).max(initial=0)) + 1
        xs = np.arange(last)
        a2.bar(xs, flows[:last], color=TEAL)
        labels = list(cf.labels[:last])
        step2 = max(1, math.ceil(last / 6))
        a2.set_xticks(xs[::step2], labels[::step2])
        mn_axis(a2)
        a2.set_ylabel(f"млн {currency} / {currency} mn")
        a2.set_title("Выплаты по годам\nExpected payments by year", loc="left")
        return svg(fig, "Payment pattern and expected cash flows", salt)


def chart_large_losses(ll: LargeLossResult, origins: Sequence[str], currency: str, salt: str) -> str:
    """Reserve by origin: chain ladder on uncapped claims against attritional + excess (smoothed)."""
    with figure(7.2, 3.0) as (fig, (ax,)):
        x = np.arange(len(origins))
        ax.bar(x - 0.2, ll.unsmoothed.ibnr[0], width=0.4, color=GREY, label="без сглаживания / uncapped CL")
        ax.bar(x + 0.2, ll.attritional.ibnr[0], width=0.4, color=NAVY, label="аттриционный / attritional (capped)")
        ax.bar(x + 0.2, ll.excess_ibnr[0], width=0.4, bottom=ll.attritional.ibnr[0], color=RED,
               label="превышение / excess IBNR")
        ax.set_xticks(x, list(origins))
        ax.axhline(0, color="#999999", lw=0.8)
        mn_axis(ax)
        ax.set_ylabel(f"млн {currency} / {currency} mn")
        ax.set_title("Сглаживание крупных убытков / Large-loss smoothing", loc="left")
        ax.legend(loc="upper left")
        return svg(fig, "Large-loss smoothing", salt)


# ================================================================================================ blocks
def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, cls: str = "", total_last: bool = False,
           first_text: int = 1) -> str:
    out = [f'<table class="{cls}"><thead><tr>']
    out += [f"<th>{h}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        tr = ' class="total"' if total_last and i == len(rows) - 1 else ""
        cells = [f'<td class="{"txt" if j < first_text else "num"}">{v}</td>' for j, v in enumerate(row)]
        out.append(f"<tr{tr}>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _heat(dev: float) -> str:
    """Background for a link ratio's relative deviation ``dev`` from the selected factor: blue below, orange
    above, full colour at ±25 %."""
    t = min(abs(dev) / 0.25, 1.0) ** 0.8
    lo = np.array([0xFF, 0xFF, 0xFF])
    hi = np.array([0x8E, 0xB8, 0xD8]) if dev < 0 else np.array([0xF4, 0xA2, 0x61])
    rgb = (lo + (hi - lo) * t).round().astype(int)
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def triangle_heatmap(c: ClassReport) -> str:
    """The cumulative paid triangle (millions); a cell's shade is how far its link ratio (from the age before)
    lies from the selected factor, so that unusual development stands out; excluded link ratios are struck
    through."""
    tri = c.triangle.cum()
    vals = tri.values[0]
    fit = c.selected.development
    lr, used, ldf = fit.link_ratios[0], fit.used[0], fit.ldf[0]
    ult = c.selected.ultimate[0]
    ages = [int(a) for a in tri.development]
    out = ['<div class="scroll"><table class="heat"><thead><tr><th>Год / AY</th>']
    out += [f"<th>{a}</th>" for a in ages]
    out.append(f"<th>{bilingual('Конечный', 'Ultimate')}</th></tr></thead><tbody>")
    for o, label in enumerate(tri.origin):
        out.append(f'<tr><td class="txt">{escape(label)}</td>')
        for d in range(len(ages)):
            v = vals[o, d]
            if not np.isfinite(v):
                out.append('<td class="empty"></td>')
                continue
            style, title = "", ""
            if d > 0 and np.isfinite(lr[o, d - 1]) and np.isfinite(ldf[d - 1]) and ldf[d - 1] > 0:
                dev = lr[o, d - 1] / ldf[d - 1] - 1.0
                style = f' style="background:{_heat(dev)}"'
                title = f' title="{fmt_factor(lr[o, d - 1])} ({fmt_pct(dev)})"'
                if not used[o, d - 1]:
                    style = style[:-1] + ';text-decoration:line-through"'
            out.append(f'<td class="num"{style}{title}>{fmt_millions(v)}</td>')
        out.append(f'<td class="num ult">{fmt_millions(ult[o])}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def _factor_table(res: ReserveResult) -> str:
    fit = res.development
    ages = [int(a) for a in fit.ages]
    head = ["", *[f"{a}–{b}" for a, b in zip(ages[:-1], ages[1:], strict=True)], "хвост / tail"]
    ldf = [fmt_factor(x) for x in fit.ldf[0]] + [fmt_factor(float(fit.tail.factor[0]))]
    cdf = [fmt_factor(x) for x in fit.cdf[0][: len(ages) - 1]] + [fmt_factor(float(fit.cdf[0][-1]))]
    sig = [fmt_number(x, 1) for x in fit.sigma[0]] + [""]
    rows = [[bilingual("выбранный", "selected"), *ldf], [bilingual("до конечного", "to ultimate"), *cdf],
            [bilingual("σ (Мак)", "σ (Mack)"), *sig]]
    return '<div class="scroll">' + html_table(head, rows, cls="compact") + "</div>"


def _origin_table(c: ClassReport) -> str:
    r = c.selected
    latest, ult, unpaid = c.paid_latest, r.ultimate[0], c.unpaid_by_origin
    se = r.se[0] if r.se is not None else None
    case = c.case_reserves
    head = [bilingual("Год", "AY"), bilingual("Заработанная премия", "Earned premium"), bilingual("Оплачено", "Paid"),
            bilingual("РЗНУ", "Case reserves"), bilingual("Конечный убыток", "Ultimate"), bilingual("Убыточность", "Loss ratio"),
            bilingual("Резерв", "Unpaid"), "IBNR", bilingual("Ст. ошибка (Мак)", "Mack s.e."), "CV"]
    if c.hindsight is not None:
        head.append(bilingual("Факт", "Actual"))
    rows = []
    n = len(c.origins)

    def row(label: str, idx: slice | int) -> list[str]:
        def pick(a: FloatArray | None) -> float | None:
            if a is None:
                return None
            return float(np.sum(a[idx]))

        prem = pick(c.exposure)
        u = pick(unpaid) or 0.0
        ca = pick(case)
        s = (float(se[idx]) if isinstance(idx, int) else (float(r.total_se[0]) if r.total_se is not None else None)
             ) if se is not None else None
        cells = [escape(label), fmt_thousands(prem), fmt_thousands(pick(latest)), fmt_thousands(ca),
                 fmt_thousands(pick(ult)),
                 fmt_pct((pick(ult) or 0.0) / prem if prem else None), fmt_thousands(u),
                 fmt_thousands(u - ca if ca is not None else None), fmt_thousands(s),
                 fmt_pct(s / u if s is not None and u > 0 else None)]
        if c.hindsight is not None:
            cells.append(fmt_thousands(pick(c.hindsight)))
        return cells

    for o in range(n):
        rows.append(row(c.origins[o], o))
    rows.append(row("Итого / Total", slice(None)))
    return '<div class="scroll">' + html_table(head, rows, total_last=True) + "</div>"


def _methods_table(c: ClassReport) -> str:
    base = c.unpaid
    actual = float(c.hindsight.sum()) if c.hindsight is not None else None
    head = [bilingual("Метод", "Method"), bilingual("Резерв", "Unpaid"), bilingual("Ст. ошибка", "S.e."),
            bilingual("к выбранному", "vs selected")]
    if actual is not None:
        head.append(bilingual("к факту", "vs actual"))
    rows = []
    for m in c.methods:
        tot = float(np.sum(m.unpaid))
        cells = [bilingual(m.label_ru, m.label_en), fmt_thousands(tot), fmt_thousands(m.se),
                 fmt_pct(tot / base - 1.0 if base else None)]
        if actual is not None:
            cells.append(fmt_pct(tot / actual - 1.0 if actual else None))
        rows.append(cells)
    if actual is not None:
        rows.append([bilingual("Факт (известен только в демо)", "Actual (known only in the demo)"), fmt_thousands(actual),
                     "", fmt_pct(actual / base - 1.0 if base else None), ""])
    return html_table(head, rows)


def _bootstrap_table(c: ClassReport) -> str:
    b = c.bootstrap
    assert b is not None
    k = c.bootstrap_scale
    rows = [[bilingual("Среднее", "Mean"), fmt_thousands(float(b.ibnr[0].sum()) * k)],
            [bilingual("Ст. отклонение", "Standard deviation"),
             fmt_thousands(float(b.total_se[0]) * k if b.total_se is not None else None)]]
    if b.total_quantiles is not None:
        for j, q in enumerate(b.quantile_levels):
            pct = fmt_number(100 * q, 0 if float(100 * q).is_integer() else 1)
            rows.append([bilingual(f"Квантиль {pct}{THIN}%", f"Quantile {100 * q:g} %"),
                         fmt_thousands(float(b.total_quantiles[0, j]) * k)])
    if c.selected.total_se is not None:
        rows.append([bilingual("Ст. ошибка Мака", "Mack s.e."), fmt_thousands(float(c.selected.total_se[0]))])
    if c.cdr is not None and c.cdr.total_se is not None:
        rows.append([bilingual("Одногодичная ошибка (Мерц–Вютрих)", "One-year CDR s.e. (Merz–Wüthrich)"),
                     fmt_thousands(float(c.cdr.total_se[0]))])
    table = html_table([bilingual("Показатель", "Statistic"), bilingual("тыс.", "thousand")], rows)
    if abs(k - 1.0) > 1e-12:
        label = bilingual("Бутстрэп по оплаченным убыткам, масштабирован к выбранному резерву",
                   "Bootstrap of paid claims, scaled to the selected reserve")
        table += f'<p class="small">{label}: × {fmt_number(k, 4)} ({bilingual("среднее без масштаба", "unscaled mean")} ' \
                 f"{fmt_thousands(float(b.ibnr[0].sum()))}).</p>"

    return table


def _cash_table(cf: CashFlows) -> str:
    flows = cf.total[0]
    tot = float(flows.sum())
    last = int(np.flatnonzero(np.abs(flows) > 1e-6 * max(np.abs(flows).max(), 1.0)).max(initial=0)) + 1
    rows = []
    cum = 0.0
    for j in range(min(last, 12)):
        cum += float(flows[j])
        rows.append([escape(cf.labels[j]), fmt_thousands(float(flows[j])), fmt_pct(cum / tot if tot else None)])
    if last > 12:
        rest = float(flows[12:last].sum())
        rows.append([f"{escape(cf.labels[12])}–{escape(cf.labels[last - 1])}", fmt_thousands(rest), fmt_pct(1.0)])
    rows.append(["Итого / Total", fmt_thousands(tot), ""])
    dur = float(cf.total_duration[0]) * (cf.period_months or 12) / 12.0
    table = html_table([bilingual("Год", "Year"), bilingual("Выплаты", "Payments"), bilingual("накопл.", "cumul.")], rows, total_last=True)
    return table + (f'<p class="small">{bilingual("Средний срок выплат", "Mean term of payments")}: {fmt_number(dur, 2)} '
                    f"{bilingual('лет', 'years')} ({bilingual('середина года', 'mid-year timing')})</p>")


def _large_block(c: ClassReport, currency: str, salt: str) -> str:
    ll = c.large_losses
    assert ll is not None
    n_large = len(ll.large_claims)
    facts = [
        [bilingual("Порог", "Threshold"), fmt_thousands(float(ll.threshold[0]))],
        [bilingual("Крупных убытков", "Large claims"), str(n_large)],
        [bilingual("Резерв ЦЛ без сглаживания", "CL reserve, uncapped"), fmt_thousands(float(ll.unsmoothed.ibnr.sum()))],
        [bilingual("Резерв со сглаживанием", "Reserve, smoothed"), fmt_thousands(float(ll.reserve.sum()))],
        [bilingual("Нагрузка на превышение", "Excess loading"), fmt_pct(float(ll.excess_loading[0]), 2)],
        [bilingual("Эффект", "Effect"), fmt_thousands(float(ll.effect.sum()))],
    ]
    top = sorted(ll.large_claims, key=lambda x: -x.amount)[:6]
    claims = html_table([bilingual("Убыток", "Claim"), bilingual("Год", "AY"), bilingual("Оплачено", "Paid"), bilingual("Превышение", "Excess")],
                    [[escape(x.claim_id), escape(x.origin), fmt_thousands(x.amount), fmt_thousands(x.excess)]
                     for x in top], first_text=2) if top else ""
    chart = chart_large_losses(ll, c.origins, currency, salt)
    table = html_table([bilingual("Показатель", "Item"), bilingual("тыс.", "thousand")], facts)
    return f'<div class="grid2"><div>{chart}</div><div>{table}{claims}</div></div>'


def _warnings(items: Sequence[str]) -> str:
    if not items:
        return '<p class="ok">Нет предупреждений / No warnings</p>'
    return '<ul class="warn">' + "".join(f"<li>{escape(w)}</li>" for w in items) + "</ul>"


def _class_section(c: ClassReport, currency: str, idx: int) -> str:
    salt = f"aktuar-{idx}"
    parts = [f'<section id="{_slug(c.code)}" class="cls"><h2>{escape(c.code)} — {bilingual(c.name_ru, c.name_en)}</h2>']
    if c.notes:
        parts.append('<p class="notes">' + " · ".join(escape(n) for n in c.notes) + "</p>")
    parts.append(f"<h3>{bilingual('Резерв по годам происшествия', 'Reserve by accident year')} "
                 f'<span class="unit">тыс. {currency} / {currency} thousand</span></h3>')
    parts.append(_origin_table(c))
    parts.append(f'<div class="grid2 even"><div>{chart_reserve_by_origin(c, currency, salt + "a")}</div>'
                 f"<div><h4>{bilingual('Сравнение методов', 'Comparison of methods')}</h4>{_methods_table(c)}</div></div>")
    ru, en = c.measure_label
    parts.append(f"<h3>{bilingual('Треугольник ' + ru, 'Cumulative ' + en + ' triangle')} "
                 f'<span class="unit">млн {currency} / {currency} mn; '
                 f"{bilingual('цвет — отклонение фактора от выбранного', 'colour — link ratio against the selected factor')}"
                 "</span></h3>")
    parts.append(triangle_heatmap(c))
    parts.append(f"<h3>{bilingual('Факторы развития: ' + ru, 'Development factors: ' + en)}</h3>")
    parts.append(f"<div>{chart_factors(c.selected, salt + 'b')}</div>{_factor_table(c.selected)}")
    if c.bootstrap is not None:
        actual = float(c.hindsight.sum()) if c.hindsight is not None else None
        parts.append(f"<h3>{bilingual('Распределение резерва', 'Reserve distribution')}</h3>")
        chart = chart_bootstrap(c.bootstrap, c.unpaid, actual, currency, salt + "c", c.bootstrap_scale)
        parts.append(f'<div class="grid2"><div>{chart}'
                     f"</div><div>{_bootstrap_table(c)}</div></div>")
    if c.cash_flows is not None:
        parts.append(f"<h3>{bilingual('Паттерн выплат и денежные потоки', 'Payment pattern and cash flows')}</h3>")
        parts.append(f'<div class="grid2"><div>{chart_cash_flows(c.cash_flows, currency, salt + "d")}</div>'
                     f"<div>{_cash_table(c.cash_flows)}</div></div>")
    if c.large_losses is not None:
        parts.append(f"<h3>{bilingual('Крупные убытки', 'Large losses')}</h3>")
        parts.append(_large_block(c, currency, salt + "e"))
    parts.append(f"<h3>{bilingual('Предупреждения', 'Warnings')}</h3>{_warnings(c.warnings)}")
    parts.append("</section>")
    return "".join(parts)


def _total_quantile(classes: Sequence[ClassReport], level: float) -> float | None:
    """Quantile of the sum of the classes' simulated reserves (classes independent)."""
    sims = []
    for c in classes:
        s = c.bootstrap.components.get("total_ibnr_sims") if c.bootstrap is not None else None
        if s is None:
            return None
        sims.append(np.asarray(s[0], dtype=np.float64) * c.bootstrap_scale)
    if not sims or len({s.shape for s in sims}) != 1:
        return None
    return float(np.quantile(np.sum(sims, axis=0), level))


def _summary_section(rep: ReserveReport) -> str:
    classes = rep.classes
    cur = rep.currency
    head = [bilingual("Класс", "Class"), bilingual("Оплачено", "Paid to date"), bilingual("РЗНУ", "Case reserves"), "IBNR (РПНУ)",
            bilingual("Резерв убытков", "Claims reserve"), bilingual("РУУ", "ULAE"), bilingual("Ст. ошибка (Мак)", "Mack s.e."), "CV",
            bilingual("Бутстрэп 99,5 %", "Bootstrap 99.5 %"), bilingual("Одногодичная ош.", "One-year CDR s.e.")]
    has_actual = all(c.hindsight is not None for c in classes)
    if has_actual:
        head.append(bilingual("Факт", "Actual"))
    rows = []
    totals = np.zeros(6)
    for c in classes:
        r = c.selected
        u, ca = c.unpaid, c.case_total
        ul = c.ulae_reserve if c.ulae_reserve is not None else float("nan")
        se = float(r.total_se[0]) if r.total_se is not None else None
        q = None
        if c.bootstrap is not None and c.bootstrap.total_quantiles is not None:
            levels = list(c.bootstrap.quantile_levels)
            if 0.995 in levels:
                q = float(c.bootstrap.total_quantiles[0, levels.index(0.995)]) * c.bootstrap_scale
        cdr = float(c.cdr.total_se[0]) if c.cdr is not None and c.cdr.total_se is not None else None
        paid = float(c.paid_latest.sum())
        actual = float(c.hindsight.sum()) if c.hindsight is not None else float("nan")
        totals += [paid, ca, u - ca, u, ul, actual]
        cells = [f'<a href="#{_slug(c.code)}">{escape(c.code)}</a>', fmt_thousands(paid), fmt_thousands(ca),
                 fmt_thousands(u - ca), f"<b>{fmt_thousands(u)}</b>", fmt_thousands(ul), fmt_thousands(se),
                 fmt_pct(se / u if se is not None and u > 0 else None), fmt_thousands(q), fmt_thousands(cdr)]
        if has_actual:
            cells.append(fmt_thousands(actual))
        rows.append(cells)
    tq = _total_quantile(classes, 0.995)
    total = ["Итого / Total", *[fmt_thousands(x) for x in totals[:3]], f"<b>{fmt_thousands(totals[3])}</b>",
             fmt_thousands(totals[4]), "", "", fmt_thousands(tq) + ("*" if tq is not None else ""), ""]
    if has_actual:
        total.append(fmt_thousands(totals[5]))
    rows.append(total)
    cards = [
        (bilingual("Оплачено", "Paid to date"), totals[0]),
        (bilingual("Резерв убытков", "Claims reserve"), totals[3]),
        (bilingual("РУУ", "ULAE reserve"), totals[4]),
        (bilingual("Бутстрэп 99,5 %", "Bootstrap 99.5 %"), tq if tq is not None else float("nan")),
    ]
    card_html = "".join(f'<div class="card"><div class="k">{k}</div><div class="v">{fmt_millions(v)}</div>'
                        f'<div class="u">млн {cur} / {cur} mn</div></div>' for k, v in cards)
    note = ('<p class="small">* Сумма симуляций по классам в предположении их независимости. / Sum of the '
            "classes' simulations, classes assumed independent. Резерв убытков = конечный убыток (выбранный "
            "метод) − оплачено; IBNR = резерв − РЗНУ. / Claims reserve = ultimate (selected method) − paid; "
            "IBNR = reserve − case reserves.</p>")
    return (f'<section id="summary"><h2>{bilingual("Итоги по классам", "Summary by class")}</h2>'
            f'<div class="cards">{card_html}</div>'
            f'<p class="unit">тыс. {cur} / {cur} thousand</p><div class="scroll">'
            f"{html_table(head, rows, total_last=True)}</div>{note}"
            f"<div>{chart_summary(classes, rep.ulae, cur, 'aktuar-s')}</div></section>")


def _comparison_section(rep: ReserveReport) -> str:
    keys: list[tuple[str, str, str]] = []
    for c in rep.classes:
        for m in c.methods:
            if m.key not in [k for k, _, _ in keys]:
                keys.append((m.key, m.label_ru, m.label_en))
    has_actual = all(c.hindsight is not None for c in rep.classes)
    head = [bilingual("Класс", "Class"), *[bilingual(ru, en) for _, ru, en in keys]]
    if has_actual:
        head.append(bilingual("Факт", "Actual"))
    rows = []
    for c in rep.classes:
        by = {m.key: float(np.sum(m.unpaid)) for m in c.methods}
        cells = [escape(c.code), *[fmt_thousands(by.get(k)) for k, _, _ in keys]]
        if has_actual:
            cells.append(fmt_thousands(float(c.hindsight.sum())))  # type: ignore[union-attr]
        rows.append(cells)
    return (f'<section id="methods"><h2>{bilingual("Сравнение методов", "Comparison of methods")}</h2>'
            f'<p class="unit">{bilingual("Резерв (конечный − оплачено)", "Unpaid (ultimate − paid)")}, тыс. '
            f"{rep.currency} / {rep.currency} thousand</p><div class=\"scroll\">{html_table(head, rows)}</div></section>")


def _ulae_section(rep: ReserveReport) -> str:
    u = rep.ulae
    if u is None:
        return ""
    labels = list(u.period_labels)
    show = labels[-5:]
    head = [bilingual("Класс", "Class"), *[escape(p) for p in show], bilingual("Коэффициент", "Ratio"), bilingual("РЗНУ", "Case"),
            "IBNR", bilingual("Резерв РУУ", "ULAE reserve")]
    rows = []
    for i, c in enumerate(rep.classes):
        ratios = [fmt_pct(float(u.ratio_by_period[i, labels.index(p)]), 2) for p in show]
        rows.append([escape(c.code), *ratios, fmt_pct(float(u.ratio[i]), 2), fmt_thousands(float(u.case_reserves[i])),
                     fmt_thousands(float(u.ibnr[i])), fmt_thousands(float(u.reserve[i]))])
    rows.append(["Итого / Total", *[""] * len(show), "", fmt_thousands(float(u.case_reserves.sum())),
                 fmt_thousands(float(u.ibnr.sum())), fmt_thousands(float(u.reserve.sum()))])
    share = f"{100 * (1 - u.opening_share):g}{THIN}%"
    used = ", ".join(str(x) for x in u.parameters.get("periods", []))
    title = bilingual("Расходы на урегулирование убытков (РУУ)", "Claims-settlement expenses (ULAE)")
    return (f'<section id="ulae"><h2>{title}</h2><p class="small">'
            f'{bilingual("Метод «оплаченные к оплаченным»", "Paid-to-paid method")} ({escape(u.method)}; '
            f"{bilingual('годы', 'years')} {escape(used)}): "
            f"РУУ = k × (IBNR + {share} × РЗНУ) / ULAE = ratio × (IBNR + {share} × case reserves) — "
            "Friedland (2010), ch. 17.</p>"
            f'<div class="scroll">{html_table(head, rows, total_last=True)}</div></section>')


REFERENCES: tuple[str, ...] = (
    "Mack, T. (1993). Distribution-free calculation of the standard error of chain ladder reserve estimates. "
    "ASTIN Bulletin 23(2).",
    "Mack, T. (1999). The standard error of chain ladder reserve estimates: recursive calculation and inclusion "
    "of a tail factor. ASTIN Bulletin 29(2).",
    "Bornhuetter, R. & Ferguson, R. (1972). The actuary and IBNR. PCAS 59.",
    "Gluck, S. (1997). Balancing development and trend in loss reserve analysis (Cape Cod). PCAS 84.",
    "England, P. & Verrall, R. (2002). Stochastic claims reserving in general insurance. BAJ 8(3).",
    "Merz, M. & Wüthrich, M. (2008). Modelling the claims development result for solvency purposes. CAS E-Forum.",
    "Friedland, J. (2010). Estimating unpaid claims using basic techniques. CAS (ch. 7, 17).",
)


def _data_section(rep: ReserveReport) -> str:
    params = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rep.parameters.items())
    files = "".join(f"<tr><td class=\"txt\"><code>{escape(f)}</code></td><td class=\"txt\"><code class=\"hash\">"
                    f"{escape(h)}</code></td></tr>" for f, h in rep.inputs)
    refs = "".join(f"<li>{escape(r)}</li>" for r in REFERENCES)
    notes = "".join(f"<p class=\"small\">{escape(n)}</p>" for n in rep.notes)
    return (f'<section id="data"><h2>{bilingual("Данные и методы", "Data and methods")}</h2>'
            f'<table class="kv">{params}</table>'
            f'<h3>{bilingual("Исходные файлы", "Input files")}</h3>'
            f'<div class="scroll"><table><thead><tr><th>{bilingual("Файл", "File")}</th><th class="l">SHA-256</th></tr>'
            f"</thead><tbody>{files}</tbody></table></div>{notes}"
            f"<h3>{bilingual('Литература', 'References')}</h3><ol class=\"refs\">{refs}</ol></section>")


CSS = """
:root{--navy:#1d3557;--blue:#457b9d;--ink:#222;--muted:#5c6773;--line:#dde3ea;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 "Segoe UI","Helvetica Neue",Arial,"DejaVu Sans",sans-serif;color:var(--ink);
background:var(--bg)}
header{background:var(--navy);color:#fff;padding:22px 32px 18px}
header h1{margin:0;font-size:26px;font-weight:600}
header .en{color:#c9d6e3}
header .meta{margin-top:6px;color:#dbe4ee;font-size:13px}
nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;position:sticky;top:0;z-index:2}
nav a{color:var(--navy);text-decoration:none;margin-right:18px;font-size:13px;font-weight:600}
main{max-width:1240px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin:18px 0}
h2{font-size:20px;margin:0 0 12px;color:var(--navy);font-weight:600}
h3{font-size:15px;margin:22px 0 8px;color:var(--navy);border-bottom:1px solid var(--line);padding-bottom:4px}
h4{font-size:13px;margin:4px 0 6px;color:var(--navy)}
.en{color:var(--muted);font-weight:400}
.unit{font-size:12px;color:var(--muted);font-weight:400;margin:2px 0 6px}
.notes,.small{font-size:12px;color:var(--muted)}
table{border-collapse:collapse;font-size:12.5px;margin:4px 0 10px;width:auto}
th{background:#eef2f6;color:var(--navy);font-weight:600;text-align:right;padding:5px 8px;border-bottom:1px solid
var(--line);vertical-align:bottom}
th:first-child,th.l{text-align:left}
th .en{display:block;font-size:11px}
td{padding:4px 8px;border-bottom:1px solid #eef1f4}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.txt{text-align:left;white-space:nowrap}
tr.total td{font-weight:600;border-top:2px solid var(--navy);background:#f8fafc}
tbody tr:hover td{background:#f3f7fb}
table.heat td{padding:3px 6px;font-size:12px;border:1px solid #fff}
table.heat td.empty{background:#fafbfc}
table.heat td.ult{font-weight:600;background:#fff;border-left:2px solid var(--navy)}
table.compact td{font-size:12px}
table.kv th{text-align:left;background:none;border:none;color:var(--muted);font-weight:400;padding:3px 10px 3px 0}
table.kv td{border:none;padding:3px 0}
.scroll{overflow-x:auto}
.grid2{display:grid;grid-template-columns:minmax(0,1.45fr) minmax(0,1fr);gap:22px;align-items:start}
.grid2.even{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
@media (max-width:980px){.grid2,.grid2.even{grid-template-columns:1fr}}
svg.chart{width:100%;max-width:780px;height:auto;display:block}
.grid2>div{min-width:0;overflow-x:auto}
td.txt .en{display:block;font-size:11px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:4px 0 16px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:linear-gradient(#fff,#f7f9fb)}
.card .k{font-size:12px;color:var(--muted)}
.card .k .en{display:inline}
.card .v{font-size:24px;font-weight:600;color:var(--navy);font-variant-numeric:tabular-nums}
.card .u{font-size:11px;color:var(--muted)}
ul.warn{margin:4px 0;padding-left:20px;color:#8a3b12;font-size:12.5px}
ul.warn li{margin:2px 0}
p.ok{color:#2a7d4f;font-size:12.5px}
ol.refs{font-size:12px;color:var(--muted)}
code.hash{font-size:11px;color:var(--muted);word-break:break-all}
footer{text-align:center;color:var(--muted);font-size:12px;padding:10px 0 30px}
@media print{nav{display:none}section{break-inside:avoid-page;border:none}body{background:#fff}}
"""


def render_reserve_report(rep: ReserveReport) -> str:
    """The whole page as a string (UTF-8 HTML5, no external resources)."""
    if not rep.classes:
        from aktuar.errors import InputError

        raise InputError("the reserve report has no class to show")
    nav = ['<a href="#summary">Итоги / Summary</a>', '<a href="#methods">Методы / Methods</a>']
    nav += [f'<a href="#{_slug(c.code)}">{escape(c.code)}</a>' for c in rep.classes]
    if rep.ulae is not None:
        nav.append('<a href="#ulae">РУУ / ULAE</a>')
    nav.append('<a href="#data">Данные / Data</a>')
    body = [_summary_section(rep), _comparison_section(rep)]
    body += [_class_section(c, rep.currency, i) for i, c in enumerate(rep.classes)]
    body += [_ulae_section(rep), _data_section(rep)]
    title = f"{rep.title_ru} / {rep.title_en} — {rep.entity_en}, {fmt_date(rep.valuation)}"
    return (
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(rep.title_ru)} <span class=\"en\">/ {escape(rep.title_en)}</span></h1>"
        f"<div class=\"meta\">{escape(rep.entity_ru)} / {escape(rep.entity_en)} · "
        f"дата оценки / valuation date {fmt_date(rep.valuation)} · {escape(rep.currency)}</div></header>"
        f"<nav>{''.join(nav)}</nav><main>{''.join(body)}</main>"
        f"<footer>{escape(rep.generator)} · {escape(rep.entity_en)} · {fmt_date(rep.valuation)}</footer>"
        "</body></html>\n"
    )


def write_reserve_report(path: Path | str, rep: ReserveReport) -> None:
    """Write the page to ``path`` (through a temporary file: never a half-written page)."""
    import os

    path = Path(path)
    text = render_reserve_report(rep).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


__all__ = [
    "ClassReport",
    "MethodEstimate",
    "ReserveReport",
    "chart_bootstrap",
    "chart_cash_flows",
    "chart_factors",
    "chart_large_losses",
    "chart_reserve_by_origin",
    "chart_summary",
    "fmt_date",
    "fmt_millions",
    "fmt_number",
    "fmt_pct",
    "fmt_thousands",
    "render_reserve_report",
    "triangle_heatmap",
    "write_reserve_report",
]
