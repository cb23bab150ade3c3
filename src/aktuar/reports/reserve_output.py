"""Reserving results as JSON (schema ``aktuar-reserve/1``, docs/reserve-output.md), CSV and XLSX.

Files are written to a temporary file beside the target and renamed into place, so a failed run never leaves
a half-written output.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aktuar import __version__
from aktuar.core.reserving import ReserveResult
from aktuar.errors import InputError
from aktuar.fsutil import atomic_write

SCHEMA = "aktuar-reserve/1"
FORMATS = ("json", "csv", "xlsx")


def _num(x: Any) -> float | None:
    """A JSON number at full precision, or null for NaN/inf."""
    v = float(x)
    return v if math.isfinite(v) else None


def _qkey(q: float) -> str:
    return f"{q:g}"


def iter_segments(results: Sequence[ReserveResult]) -> Iterator[tuple[ReserveResult, int]]:
    for r in results:
        for s in range(r.triangle.n_segments):
            yield r, s


def segment_record(r: ReserveResult, s: int) -> dict[str, Any]:
    tri = r.triangle
    fit = r.development
    cdf = r.components.get("cdf")
    origins = []
    for o, label in enumerate(tri.origin):
        rec: dict[str, Any] = {
            "origin": label,
            "latest": _num(r.latest[s, o]),
            "ultimate": _num(r.ultimate[s, o]),
            "ibnr": _num(r.ibnr[s, o]),
        }
        if cdf is not None:
            rec["cdf"] = _num(cdf[s, o])
        if r.se is not None:
            rec["se"] = _num(r.se[s, o])
        for key in ("process_se", "parameter_se", "mack_se", "cdr_process_se", "cdr_parameter_se"):
            comp = r.components.get(key)
            if comp is not None and np.ndim(comp) == 2:
                rec[key] = _num(comp[s, o])
        if r.quantiles is not None:
            rec["quantiles"] = {_qkey(q): _num(r.quantiles[s, o, j]) for j, q in enumerate(r.quantile_levels)}
        origins.append(rec)
    total: dict[str, Any] = {
        "latest": _num(r.latest[s].sum()),
        "ultimate": _num(r.ultimate[s].sum()),
        "ibnr": _num(r.ibnr[s].sum()),
    }
    if r.total_se is not None:
        total["se"] = _num(r.total_se[s])
    for key in ("total_process_se", "total_parameter_se", "mack_total_se"):
        comp = r.components.get(key)
        if comp is not None:
            total[key.removeprefix("total_").replace("mack_total_se", "mack_se")] = _num(comp[s])
    if r.total_quantiles is not None:
        total["quantiles"] = {_qkey(q): _num(r.total_quantiles[s, j]) for j, q in enumerate(r.quantile_levels)}
    development = {
        "ages": [int(a) for a in fit.ages],
        "ldf": [_num(x) for x in fit.ldf[s]],
        "cdf": [_num(x) for x in fit.cdf[s]],
        "sigma": [_num(x) for x in fit.sigma[s]],
        "std_err": [_num(x) for x in fit.std_err[s]],
        "tail": _num(fit.tail.factor[s]),
        "average": fit.average,
        "selections": list(fit.selections),
    }
    return {
        "segment": tri.segment_dict(s),
        "label": tri.segment_label(s),
        "origins": origins,
        "total": total,
        "development": development,
        "warnings": list(r.warnings[s]) if s < len(r.warnings) else [],
    }


def to_document(results: Sequence[ReserveResult], *, method: str, options: dict[str, Any],
                source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document of a reserving run (see docs/reserve-output.md)."""
    if not results:
        raise InputError("no results to write")
    tri = results[0].triangle
    return {
        "schema": SCHEMA,
        "aktuar_version": __version__,
        "method": method,
        "options": options,
        "input": source or {},
        "measure": tri.measure,
        "valuation": tri.valuation.isoformat() if tri.valuation else None,
        "origin_grain": tri.origin_grain,
        "development_grain": tri.development_grain,
        "segment_columns": list(tri.segment_names),
        "segments": [segment_record(r, s) for r, s in iter_segments(results)],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    atomic_write(path, lambda fh: json.dump(document, fh, ensure_ascii=False, indent=1, allow_nan=False))


def _flat_rows(document: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    seg_cols = document["segment_columns"]
    qkeys: list[str] = []
    for seg in document["segments"]:
        for q in seg["total"].get("quantiles", {}):
            if q not in qkeys:
                qkeys.append(q)
    value_cols = ["latest", "ultimate", "ibnr", "cdf", "se"]
    header = [*seg_cols, "origin", *value_cols, *[f"q{q}" for q in qkeys]]
    rows = []
    for seg in document["segments"]:
        keys = [seg["segment"].get(c, "") for c in seg_cols]
        for rec in [*seg["origins"], {"origin": "Total", **seg["total"]}]:
            rows.append([*keys, rec["origin"], *[rec.get(c) for c in value_cols],
                         *[rec.get("quantiles", {}).get(q) for q in qkeys]])
    return header, rows


def write_csv(path: Path, document: dict[str, Any]) -> None:
    header, rows = _flat_rows(document)

    def write(fh: Any) -> None:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])

    atomic_write(path, write)


def write_xlsx(path: Path, document: dict[str, Any], results: Sequence[ReserveResult]) -> None:
    from aktuar.reports.workbook import reserve_workbook

    atomic_write(path, lambda fh: reserve_workbook(fh, document, results), binary=True)


def write_output(path: Path, results: Sequence[ReserveResult], document: dict[str, Any]) -> None:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise InputError(f"--out {path}: the output must end in .json, .csv or .xlsx")
    if ext == "json":
        write_json(path, document)
    elif ext == "csv":
        write_csv(path, document)
    else:
        write_xlsx(path, document, results)
