"""Life and annuity cash-flow projection of model points (pure core; see :mod:`.engine` for the method).

Public API: :class:`ModelPoints`, :class:`Assumptions`, :class:`DecrementTable` (alias
:data:`MortalityTable`), :class:`PremiumRateTable`, :class:`AnnualSpotRates`, :class:`NetPremium`,
:func:`project` → :class:`ProjectionResult` (present values per model point, monthly cash flows per group),
:func:`basic_term_assumptions` (lifelib ``BasicTerm_ME``), and for IFRS 17 groups :func:`group_cash_flows`,
:func:`group_inputs`, :func:`csm_per_group`.
"""

from aktuar.core.projection.assumptions import Assumptions, NetPremium, basic_term_assumptions
from aktuar.core.projection.engine import (
    FLOW_FIELDS,
    PV_FIELDS,
    ChunkResult,
    GroupCashFlows,
    Prepared,
    ProjectionResult,
    Workspace,
    combine,
    plan_chunks,
    prepare,
    project,
    project_chunk,
)
from aktuar.core.projection.groups import (
    GroupMeasurement,
    annual_discount_factors,
    csm_per_group,
    group_cash_flows,
    group_inputs,
)
from aktuar.core.projection.model_points import ANNUITY, ENDOWMENT, PRODUCTS, TERM, WHOLE_LIFE, ModelPoints
from aktuar.core.projection.tables import (
    AnnualSpotRates,
    DecrementTable,
    MortalityTable,
    PremiumRateTable,
    monthly_rate,
)

__all__ = [
    "ANNUITY",
    "ENDOWMENT",
    "FLOW_FIELDS",
    "PRODUCTS",
    "PV_FIELDS",
    "TERM",
    "WHOLE_LIFE",
    "AnnualSpotRates",
    "Assumptions",
    "ChunkResult",
    "DecrementTable",
    "GroupCashFlows",
    "GroupMeasurement",
    "ModelPoints",
    "MortalityTable",
    "NetPremium",
    "PremiumRateTable",
    "Prepared",
    "ProjectionResult",
    "Workspace",
    "annual_discount_factors",
    "basic_term_assumptions",
    "csm_per_group",
    "group_cash_flows",
    "group_inputs",
    "combine",
    "monthly_rate",
    "plan_chunks",
    "prepare",
    "project",
    "project_chunk",
]
