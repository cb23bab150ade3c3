"""Run every ``benchmarks/bench_*.py`` side by side with its peer and write BENCHMARKS.md.

Usage: ``python -m benchmarks [--quick] [--only NAME ...] [--out BENCHMARKS.md]``.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent


def _fmt(x: float, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if unit == "x":
        return f"{x:,.1f}×"
    if unit == "MB":
        return f"{x:,.0f}"
    return f"{x:,.3f}" if x < 100 else f"{x:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("--quick", action="store_true", help="smaller cases (a smoke run, not the goals)")
    p.add_argument("--only", nargs="*", default=None, help="bench module names, e.g. mack bootstrap")
    p.add_argument("--out", default=str(HERE.parent / "BENCHMARKS.md"))
    args = p.parse_args(argv)
    names = sorted(f.stem for f in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    sections = []
    for name in names:
        mod = importlib.import_module(f"benchmarks.{name}")
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        rows = mod.run(quick=args.quick)
        goal = getattr(mod, "GOAL", "")
        sections.append((name, (mod.__doc__ or "").strip().splitlines()[0], goal, rows, time.perf_counter() - t0))
    import numpy
    lines = [
        "# Benchmarks",
        "",
        "Measured side by side with the peer library in one process run by `make bench` "
        f"({'quick' if args.quick else 'full'} mode). Ratio = peer time / aktuar time (higher is better for aktuar).",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}",
        "",
    ]
    for name, title, goal, rows, secs in sections:
        lines += [f"## {name.removeprefix('bench_')}: {title}", ""]
        if goal:
            lines += [f"Goal: {goal}", ""]
        lines += ["| case | aktuar s | peer | peer s | ratio | aktuar peak MB | peer peak MB | notes |",
                  "|---|---:|---|---:|---:|---:|---:|---|"]
        for r in rows:
            lines.append(f"| {r['name']} | {_fmt(r['aktuar_s'])} | {r['peer']} | {_fmt(r['peer_s'])} | "
                         f"{_fmt(r['ratio'], 'x')} | {_fmt(r['aktuar_peak_mb'], 'MB')} | "
                         f"{_fmt(r['peer_peak_mb'], 'MB')} | {r.get('notes', '')} |")
        lines += ["", f"(section ran in {secs:,.0f} s)", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
