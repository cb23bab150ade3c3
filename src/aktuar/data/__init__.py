"""Users' data: readers (CSV, XLSX, Parquet) with row/column errors, and triangles built from files."""

from aktuar.data.readers import Table, as_table, read_table
from aktuar.data.triangles import (
    read_exposure,
    read_triangle,
    triangle_from_arrays,
    triangle_from_long,
    triangle_from_transactions,
    triangle_from_wide,
)

__all__ = [
    "Table",
    "as_table",
    "read_exposure",
    "read_table",
    "read_triangle",
    "triangle_from_arrays",
    "triangle_from_long",
    "triangle_from_transactions",
    "triangle_from_wide",
]
