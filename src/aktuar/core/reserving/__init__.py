"""Loss reserving: triangles, development, the chain-ladder family, Mack, Merz–Wüthrich, bootstrap ODP.

Pure calculation: arrays in, named results out. No I/O, no clock, no global state.
"""

from aktuar.core.reserving.development import Development, DevelopmentFit, Exclusion
from aktuar.core.reserving.methods import (
    Benktander,
    BornhuetterFerguson,
    CapeCod,
    ChainLadder,
    ExpectedLossRatio,
)
from aktuar.core.reserving.results import ReserveResult
from aktuar.core.reserving.tails import Tail
from aktuar.core.reserving.triangles import Triangle, from_array

__all__ = [
    "Benktander",
    "BornhuetterFerguson",
    "CapeCod",
    "ChainLadder",
    "Development",
    "DevelopmentFit",
    "Exclusion",
    "ExpectedLossRatio",
    "ReserveResult",
    "Tail",
    "Triangle",
    "from_array",
]
