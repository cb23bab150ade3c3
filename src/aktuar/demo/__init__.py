"""The demo insurer: synthetic data of a Kazakh non-life insurer for ``aktuar demo``."""

from aktuar.demo.synthetic import (
    CLASSES,
    CURRENCY,
    INFLATION,
    REGIONS,
    TRANSACTION_COLUMNS,
    VALUATION,
    ClassSpec,
    DemoInsurer,
    generate_insurer,
)

__all__ = [
    "CLASSES",
    "CURRENCY",
    "INFLATION",
    "REGIONS",
    "TRANSACTION_COLUMNS",
    "VALUATION",
    "ClassSpec",
    "DemoInsurer",
    "generate_insurer",
]
