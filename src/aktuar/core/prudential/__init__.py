"""Prudential normatives (solvency margin, highly liquid assets) and tariff checks (KZ3-*), from the
regulation pack in force."""

from aktuar.core.prudential.liquid_assets import Asset, AssetClass, LiquidAssetsResult, liquid_assets, what_if
from aktuar.core.prudential.solvency import Component, PremiumLine, SolvencyResult, minimum_margin, solvency
from aktuar.core.prudential.tariffs import Product, TariffCheck, TariffReport, check_tariff

__all__ = [
    "Asset", "AssetClass", "Component", "LiquidAssetsResult", "PremiumLine", "Product", "SolvencyResult",
    "TariffCheck", "TariffReport", "check_tariff", "liquid_assets", "minimum_margin", "solvency", "what_if",
]
