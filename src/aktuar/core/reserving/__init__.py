"""Loss reserving: triangles, development, the chain-ladder family, Mack, Merz–Wüthrich, bootstrap ODP.

Pure calculation: arrays in, named results out. No I/O, no clock, no global state.
"""

from aktuar.core.reserving.bootstrap import BootstrapODP
from aktuar.core.reserving.cdr import MerzWuthrich
from aktuar.core.reserving.development import Development, DevelopmentFit, Exclusion
from aktuar.core.reserving.expenses import PaidToPaid
from aktuar.core.reserving.large_losses import ClaimData, LargeLossSmoothing
from aktuar.core.reserving.mack import Mack
from aktuar.core.reserving.methods import (
    Benktander,
    BornhuetterFerguson,
    CapeCod,
    ChainLadder,
    ExpectedLossRatio,
)
from aktuar.core.reserving.patterns import cash_flows, payment_pattern
from aktuar.core.reserving.results import ReserveResult
from aktuar.core.reserving.tails import Tail
from aktuar.core.reserving.triangles import Triangle, from_array

__all__ = [
    "Benktander",
    "BootstrapODP",
    "ClaimData",
    "LargeLossSmoothing",
    "Mack",
    "MerzWuthrich",
    "PaidToPaid",
    "cash_flows",
    "payment_pattern",
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
