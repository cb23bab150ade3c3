"""Platform: run pure core calculations on a Dask cluster (the same functions, the same results)."""

from aktuar.distributed.dask_backend import project

__all__ = ["project"]
