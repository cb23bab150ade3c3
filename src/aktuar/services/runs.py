"""A reserving run from files: read, validate, estimate, write. Nothing is written unless all succeeds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aktuar.core.reserving import ReserveResult
from aktuar.errors import InputError
from aktuar.reports.reserve_output import FORMATS, to_document, write_output
from aktuar.services.inputs import TriangleSpec, file_sha256, load_exposure, load_triangle
from aktuar.services.reserving import Progress, ReserveRequest, run_reserving


@dataclass(frozen=True)
class ReserveRun:
    results: list[ReserveResult]
    document: dict[str, Any]


def reserve_file(
    spec: TriangleSpec,
    request: ReserveRequest,
    out: Path | None,
    *,
    exposure: Path | None = None,
    progress: Progress | None = None,
) -> ReserveRun:
    """Reserve every segment of the input file and write ``out`` (json, csv or xlsx) if given."""
    if out is not None and Path(out).suffix.lower().lstrip(".") not in FORMATS:
        raise InputError(f"--out {out}: the output must end in .json, .csv or .xlsx")
    tri, fmt = load_triangle(spec)
    exp = load_exposure(exposure, tri) if exposure is not None else None
    results = run_reserving(tri, request, exp, progress)
    source: dict[str, Any] = {"file": str(spec.path), "sha256": file_sha256(Path(spec.path)), "format": fmt,
                              "cumulative": spec.cumulative}
    if exposure is not None:
        source["exposure"] = {"file": str(exposure), "sha256": file_sha256(Path(exposure))}
    document = to_document(results, method=request.method, options=request.recorded_options(), source=source)
    if out is not None:
        write_output(Path(out), results, document)
    return ReserveRun(results, document)
