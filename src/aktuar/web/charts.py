"""Server-side charts as inline SVG (no JavaScript chart library, no CDN; CSP-safe).

Shapes carry CSS classes (``c-bar``, ``c-line``, ``c-s0`` … ``c-s5``, ``c-q``) styled by /static/app.css — no
``style`` attributes — and every text is escaped. Each chart has a ``<title>`` and ``role="img"`` for screen
readers. Numbers on the axes are formatted by the caller's locale function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

Fmt = Callable[[float], str]
W, H = 720, 300
ML, MR, MT, MB = 80, 20, 20, 46


def _nice(lo: float, hi: float, n: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks: list[float] = []
    v = start
    while v <= hi + step * 1e-9 and len(ticks) < 20:
        ticks.append(round(v, 12))
        v += step
    return ticks


def _frame(title: str, body: list[str], y_ticks: list[tuple[float, str]], x_labels: list[tuple[float, str]],
           x_title: str = "", y_title: str = "") -> Markup:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {W} {H}" role="img" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for y, label in y_ticks:
        out.append(f'<line class="c-grid" x1="{ML}" x2="{W - MR}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="c-tick" x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    step = max(1, len(x_labels) // 14)
    for i, (x, label) in enumerate(x_labels):
        if i % step == 0:
            out.append(f'<text class="c-tick" x="{x:.1f}" y="{H - MB + 16}" text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line class="c-axis" x1="{ML}" x2="{W - MR}" y1="{H - MB}" y2="{H - MB}"/>')
    out.append(f'<line class="c-axis" x1="{ML}" x2="{ML}" y1="{MT}" y2="{H - MB}"/>')
    if x_title:
        out.append(f'<text class="c-label" x="{(ML + W - MR) / 2:.0f}" y="{H - 8}" text-anchor="middle">'
                   f'{escape(x_title)}</text>')
    if y_title:
        out.append(f'<text class="c-label" x="4" y="12">{escape(y_title)}</text>')
    out.extend(body)
    out.append("</svg>")
    return Markup("".join(out))


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               fmt: Fmt, *, points: Sequence[tuple[int, float, bool]] = (), x_title: str = "",
               y_title: str = "") -> Markup:
    """Lines (one per series, classes ``c-s0``…) over categorical x; ``points`` (x index, y, used) are drawn as
    dots (``c-pt`` used, ``c-pt-x`` excluded) — the link ratios behind a development-factor line."""
    ys = [v for _, s in series for v in s if v is not None and math.isfinite(v)]
    ys += [p[1] for p in points if math.isfinite(p[1])]
    if not ys or not x_labels:
        return _frame(title, [], [], [])
    lo, hi = min(ys), max(ys)
    ticks = _nice(lo, hi)
    sy = _scale(ticks[0], ticks[-1], H - MB, MT)
    n = len(x_labels)
    sx = (lambda i: (ML + W - MR) / 2) if n == 1 else _scale(0, n - 1, ML + 20, W - MR - 20)
    body = []
    for k, (name, s) in enumerate(series):
        pts = [f"{sx(i):.1f},{sy(v):.1f}" for i, v in enumerate(s) if v is not None and math.isfinite(v)]
        if pts:
            body.append(f'<polyline class="c-line c-s{k % 6}" points="{" ".join(pts)}"><title>{escape(name)}</title>'
                        "</polyline>")
    for i, v, used in points:
        if math.isfinite(v):
            body.append(f'<circle class="{"c-pt" if used else "c-pt-x"}" cx="{sx(i):.1f}" cy="{sy(v):.1f}" r="3"/>')
    legend = [f'<text class="c-legend c-s{k % 6}" x="{ML + 10 + 150 * k}" y="{MT + 12}">{escape(name)}</text>'
              for k, (name, _) in enumerate(series)]
    return _frame(title, body + legend, [(sy(t), fmt(t)) for t in ticks],
                  [(sx(i), lab) for i, lab in enumerate(x_labels)], x_title, y_title)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], fmt: Fmt, *, x_title: str = "",
              y_title: str = "", series_class: str = "c-s0") -> Markup:
    """Vertical bars (negative values below the zero line)."""
    vals = [v if math.isfinite(v) else 0.0 for v in values]
    if not vals:
        return _frame(title, [], [], [])
    ticks = _nice(min(0.0, *vals), max(0.0, *vals))
    sy = _scale(ticks[0], ticks[-1], H - MB, MT)
    n = len(vals)
    slot = (W - MR - ML) / n
    body = []
    for i, v in enumerate(vals):
        x = ML + i * slot + slot * 0.15
        y0, y1 = sy(0.0), sy(v)
        body.append(f'<rect class="c-bar {series_class}" x="{x:.1f}" y="{min(y0, y1):.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{abs(y1 - y0):.1f}"><title>{escape(labels[i])}: {escape(fmt(v))}</title></rect>')
    return _frame(title, body, [(sy(t), fmt(t)) for t in ticks],
                  [(ML + (i + 0.5) * slot, lab) for i, lab in enumerate(labels)], x_title, y_title)


def grouped_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], fmt: Fmt, *,
                 x_title: str = "", y_title: str = "") -> Markup:
    """Bars of several series side by side per label (e.g. balances by portfolio)."""
    vals = [v for _, s in series for v in s if math.isfinite(v)]
    if not vals or not labels:
        return _frame(title, [], [], [])
    ticks = _nice(min(0.0, *vals), max(0.0, *vals))
    sy = _scale(ticks[0], ticks[-1], H - MB, MT)
    slot = (W - MR - ML) / len(labels)
    k = max(1, len(series))
    bw = slot * 0.8 / k
    body = []
    for j, (name, s) in enumerate(series):
        for i, v in enumerate(s):
            v = v if math.isfinite(v) else 0.0
            x = ML + i * slot + slot * 0.1 + j * bw
            y0, y1 = sy(0.0), sy(v)
            body.append(f'<rect class="c-bar c-s{j % 6}" x="{x:.1f}" y="{min(y0, y1):.1f}" width="{bw:.1f}" '
                        f'height="{abs(y1 - y0):.1f}"><title>{escape(name)} {escape(labels[i])}: '
                        f'{escape(fmt(v))}</title></rect>')
        body.append(f'<text class="c-legend c-s{j % 6}" x="{ML + 10 + 150 * j}" y="{MT + 12}">{escape(name)}</text>')
    return _frame(title, body, [(sy(t), fmt(t)) for t in ticks],
                  [(ML + (i + 0.5) * slot, lab) for i, lab in enumerate(labels)], x_title, y_title)


def histogram(title: str, values: Sequence[float], fmt: Fmt, *, bins: int = 40,
              markers: Sequence[tuple[str, float]] = (), x_title: str = "", y_title: str = "") -> Markup:
    """Histogram of simulated values with vertical marker lines (quantiles, the chain-ladder estimate)."""
    v = [x for x in values if math.isfinite(x)]
    if not v:
        return _frame(title, [], [], [])
    lo, hi = min(v), max(v)
    for _, m in markers:
        if math.isfinite(m):
            lo, hi = min(lo, m), max(hi, m)
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    width = (hi - lo) / bins
    counts = [0] * bins
    for x in v:
        counts[min(bins - 1, int((x - lo) / width))] += 1
    cticks = _nice(0, max(counts))
    sy = _scale(0, cticks[-1], H - MB, MT)
    xt = _nice(lo, hi)
    sx = _scale(lo, hi, ML, W - MR)
    body = []
    for i, c in enumerate(counts):
        x0, x1 = sx(lo + i * width), sx(lo + (i + 1) * width)
        body.append(f'<rect class="c-bar c-s0" x="{x0:.1f}" y="{sy(c):.1f}" width="{max(0.5, x1 - x0 - 0.5):.1f}" '
                    f'height="{(H - MB) - sy(c):.1f}"/>')
    for k, (name, m) in enumerate(markers):
        if math.isfinite(m):
            body.append(f'<line class="c-q c-s{(k + 1) % 6}" x1="{sx(m):.1f}" x2="{sx(m):.1f}" y1="{MT}" '
                        f'y2="{H - MB}"><title>{escape(name)}: {escape(fmt(m))}</title></line>')
            body.append(f'<text class="c-legend c-s{(k + 1) % 6}" x="{W - MR - 4}" y="{MT + 14 * (k + 1)}" '
                        f'text-anchor="end">{escape(name)}: {escape(fmt(m))}</text>')
    return _frame(title, body, [(sy(t), fmt(t)) for t in cticks],
                  [(sx(t), fmt(t)) for t in xt if lo <= t <= hi], x_title, y_title)
