"""Load a user's reserving input: a wide or long triangle, or claim transactions, plus exposures.

Which reader applies is decided from the file's columns; every reader validates and raises ``InputError``
with the file, row and column of the first problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from aktuar.core.reserving import Triangle
from aktuar.errors import InputError

TRANSACTION_MARKERS = frozenset({"accident_date", "transaction_date"})


@dataclass(frozen=True)
class TriangleSpec:
    """Where a triangle comes from and, for transactions, how to build it."""

    path: Path
    cumulative: bool = True
    segment_columns: tuple[str, ...] = ()
    valuation: date | None = None
    origin_grain: str = "Y"
    development_grain: str = "Y"
    origin_basis: str = "accident"
    measure: str = "paid"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_format(path: Path) -> str:
    """``transactions``, ``long`` or ``wide`` from the header of the file."""
    from aktuar.data.readers import read_columns

    cols = {c.strip().lower() for c in read_columns(path)}
    if TRANSACTION_MARKERS <= cols:
        return "transactions"
    if {"origin", "development", "value"} <= cols:
        return "long"
    if {"origin", "value"} <= cols or {"development", "value"} <= cols:
        missing = sorted({"origin", "development", "value"} - cols)
        raise InputError(
            f"this looks like a long table but has no column {', '.join(repr(m) for m in missing)}: a long table "
            "needs columns origin, development and value (a wide triangle has origins in the first column and "
            "development ages as the other headers)",
            file=str(path), row=1,
        )
    return "wide"


def load_triangle(spec: TriangleSpec) -> tuple[Triangle, str]:
    """The triangle described by ``spec`` and the input format it was read as."""
    from aktuar.data import triangles as readers

    path = Path(spec.path)
    if not path.exists():
        raise InputError("the input file does not exist", file=str(path))
    fmt = detect_format(path)
    if fmt == "transactions":
        if spec.valuation is None:
            raise InputError("claim transactions need a valuation date: give --valuation yyyy-mm-dd", file=str(path))
        tri = readers.triangle_from_transactions(
            path, valuation=spec.valuation, origin_basis=spec.origin_basis, origin_grain=spec.origin_grain,
            development_grain=spec.development_grain, measure=spec.measure, segment_columns=spec.segment_columns,
        )
        return tri, fmt
    tri = readers.read_triangle(path, cumulative=spec.cumulative)
    if spec.segment_columns:
        tri = tri.group_segments(spec.segment_columns)
    return (tri if tri.cumulative else tri.cum()), fmt


def load_exposure(path: Path, tri: Triangle) -> np.ndarray:
    from aktuar.data.triangles import read_exposure

    return read_exposure(path, tri)
