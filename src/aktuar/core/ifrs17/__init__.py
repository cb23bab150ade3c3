"""IFRS 17 measurement models (pure core: numpy in, dataclasses out)."""
