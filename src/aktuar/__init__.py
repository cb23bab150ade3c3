"""aktuar — actuarial valuation and regulatory compliance for insurers."""

__version__ = "0.1.0"
