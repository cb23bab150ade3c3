"""Kazakhstan statutory insurance reserves and the regulation packs they read (issue 6; KZ191-OP, KZ3-*).

Pure calculation except :mod:`.packs`, which reads the packaged, read-only regulation pack files.
"""

from aktuar.core.statutory.additional import (
    AdditionalRisk,
    AdditionalRisksResult,
    JudgementItem,
    ReinsurerExposure,
)
from aktuar.core.statutory.additional import assess as assess_additional_risks
from aktuar.core.statutory.adequacy import (
    AdequacyLine,
    AdequacyResult,
    BacktestResult,
    adequacy_test,
    backtest,
)
from aktuar.core.statutory.annuities import (
    AnnuityResult,
    Beneficiary,
    ReexaminationAssumption,
    osns_annuities,
)
from aktuar.core.statutory.claims import (
    IBNRRecord,
    IBNRResult,
    RBNSResult,
    SettlementExpenses,
    UnexpiredRiskResult,
    ibnr,
    rbns,
    settlement_expenses,
    unexpired_risk,
)
from aktuar.core.statutory.life import (
    Commutation,
    LifeTable,
    NetPremiumReserve,
    commutation,
    makeham_table,
    net_premium_reserve,
    pack_table,
)
from aktuar.core.statutory.packs import (
    PackParameter,
    RegulationPack,
    builtin_packs,
    check_no_overlap,
    load_pack,
    pack_for,
    parse_pack,
)
from aktuar.core.statutory.upr import UPRResult, unearned_premium

__all__ = [
    "AdditionalRisk", "AdditionalRisksResult", "JudgementItem", "ReinsurerExposure", "AdequacyLine", "AdequacyResult", "AnnuityResult", "BacktestResult", "Beneficiary", "Commutation",
    "IBNRRecord", "IBNRResult", "LifeTable", "NetPremiumReserve", "PackParameter", "RBNSResult",
    "ReexaminationAssumption", "RegulationPack", "SettlementExpenses", "UPRResult", "UnexpiredRiskResult",
    "adequacy_test", "assess_additional_risks", "backtest", "builtin_packs", "check_no_overlap", "commutation", "ibnr", "load_pack",
    "makeham_table", "net_premium_reserve", "osns_annuities", "pack_for", "pack_table", "parse_pack", "rbns",
    "settlement_expenses", "unearned_premium", "unexpired_risk",
]
