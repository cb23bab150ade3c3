"""The configuration of an IFRS 17 close (``aktuar ifrs17 measure CONFIG``): a TOML file, validated here.

Every file named in the configuration is relative to the configuration file's folder. An error names the
configuration file and the key (``portfolio[2].ulae_ratio``) and says what to write instead. The format is
documented in docs/ifrs17.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aktuar.services.config_files import ConfigReader, read_toml

APPROACHES = ("paa", "gmm")
RESERVING_METHODS = ("mack", "chainladder")
MEASURES = ("paid", "incurred")


@dataclass(frozen=True)
class CurveSpec:
    """Risk-free spot rates per reporting date (file) extrapolated by Smith–Wilson to ``ufr``, plus an
    illiquidity premium (bottom-up approach, B80)."""

    file: Path
    ufr: float
    illiquidity_premium: float = 0.0


@dataclass(frozen=True)
class PAAPortfolio:
    """A non-life portfolio measured by the premium allocation approach."""

    name: str
    contracts: Path
    claims: Path
    claims_column: str = "class"
    claims_value: str = ""
    reserving_method: str = "mack"
    measure: str = "paid"
    ulae_ratio: float = 0.0
    expected_loss_ratio: float | None = None
    onerous_threshold: float = 1.0
    expense_acquisition: bool = True
    discount_lic: bool = True


@dataclass(frozen=True)
class GMMPortfolio:
    """A life / annuity portfolio measured by the general measurement model from projected model points."""

    name: str
    model_points: Path
    mortality: Path
    lapse: tuple[float, ...] = (0.0,)
    acquisition_expense: float = 0.0
    maintenance_expense: float = 0.0
    expense_inflation: float = 0.0
    commission: tuple[float, ...] = ()
    ra_share: float = 0.05
    margin_threshold: float = 0.1
    mortality_revision: tuple[tuple[date, float], ...] = ()
    actuals: Path | None = None
    transition_date: date | None = None  # cohorts issued on or before it start from fair-value balances
    fair_values: Path | None = None  # cohort, fair_value (C20)


@dataclass(frozen=True)
class Reinsurance:
    """A proportional (quota share) reinsurance contract held on one portfolio."""

    name: str
    portfolio: str
    share: float
    ceding_commission: float = 0.0
    default_probability: float = 0.0
    loss_given_default: float = 0.5


@dataclass(frozen=True)
class Scenario:
    """A reasonably possible change at the last reporting date for the sensitivity analysis (para 128): a
    parallel shift of the current curve, and multipliers of the expected non-life claims (LIC and onerous test)
    and of life mortality and lapse rates (a change in estimates of the GMM groups)."""

    name: str
    curve_shift_bp: float = 0.0
    claims_multiplier: float = 1.0
    mortality_multiplier: float = 1.0
    lapse_multiplier: float = 1.0


@dataclass(frozen=True)
class CloseConfig:
    source: Path
    entity: str
    currency: str
    opening_date: date
    reporting_dates: tuple[date, ...]
    confidence_level: float
    correlation: float
    oci_option: bool
    curves: CurveSpec
    group_register: Path | None
    paa: tuple[PAAPortfolio, ...]
    gmm: tuple[GMMPortfolio, ...]
    reinsurance: tuple[Reinsurance, ...]
    scenarios: tuple[Scenario, ...] = ()
    scenario: Scenario | None = None  # the scenario being measured (None: the base)

    @property
    def boundaries(self) -> tuple[date, ...]:
        return (self.opening_date, *self.reporting_dates)

    @property
    def portfolio_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.paa) + tuple(p.name for p in self.gmm)


def load_config(path: str | Path) -> CloseConfig:
    """Read and validate a close configuration (TOML)."""
    p, raw = read_toml(path)
    r = ConfigReader(p)
    r.check_keys(raw, "", {"entity", "currency", "opening_date", "reporting_dates", "confidence_level",
                           "correlation", "oci_option", "curves", "group_register", "portfolio", "reinsurance",
                           "scenario"})
    entity = r.take(raw, "entity", "", str)
    currency = r.currency(raw)
    dates_raw = r.take(raw, "reporting_dates", "", list)
    if not dates_raw:
        raise r.error("reporting_dates", "give at least one reporting date, e.g. [\"2026-12-31\"]")
    dates = tuple(r.date(v, f"reporting_dates[{i + 1}]") for i, v in enumerate(dates_raw))
    if any(b <= a for a, b in zip(dates, dates[1:], strict=False)):
        raise r.error("reporting_dates", "the reporting dates must be in increasing order, each once")
    if "opening_date" in raw:
        opening = r.date(raw["opening_date"], "opening_date")
    else:
        first = dates[0]
        opening = date(first.year - 1, first.month, 28 if (first.month, first.day) == (2, 29) else first.day)
    if opening >= dates[0]:
        raise r.error("opening_date", "the opening date must be before the first reporting date")
    confidence = r.number(raw, "confidence_level", "", 0.75, low=0.5, high=0.9999)
    correlation = r.number(raw, "correlation", "", 0.25, low=-1.0, high=1.0,
                           what=" (the correlation between any two portfolios' reserve risks)")
    oci = r.take(raw, "oci_option", "", bool, False)

    c = r.take(raw, "curves", "", dict)
    r.check_keys(c, "curves", {"file", "ufr", "illiquidity_premium"})
    curves = CurveSpec(r.file(c, "file", "curves"), r.number(c, "ufr", "curves", low=-0.05, high=0.5),
                       r.number(c, "illiquidity_premium", "curves", 0.0, low=-0.05, high=0.2))

    register = r.file(raw, "group_register", "") if "group_register" in raw else None
    paa: list[PAAPortfolio] = []
    gmm: list[GMMPortfolio] = []
    portfolios = r.take(raw, "portfolio", "", list)
    if not portfolios:
        raise r.error("portfolio", "give at least one [[portfolio]]")
    names: set[str] = set()
    for i, t in enumerate(portfolios, start=1):
        w = f"portfolio[{i}]"
        if not isinstance(t, dict):
            raise r.error(w, "each portfolio is a [[portfolio]] table")
        name = r.take(t, "name", w, str)
        if not name.strip() or name in names:
            raise r.error(f"{w}.name", f"portfolio name '{name}' is blank or used twice: give each a unique name")
        names.add(name)
        approach = r.take(t, "approach", w, str)
        if approach == "paa":
            r.check_keys(t, w, {"name", "approach", "contracts", "claims", "claims_column", "claims_value",
                                "reserving_method", "measure", "ulae_ratio", "expected_loss_ratio",
                                "onerous_threshold", "expense_acquisition", "discount_lic"})
            method = r.take(t, "reserving_method", w, str, "mack")
            if method not in RESERVING_METHODS:
                raise r.error(f"{w}.reserving_method", f"unknown method '{method}': use mack or chainladder")
            measure = r.take(t, "measure", w, str, "paid")
            if measure not in MEASURES:
                raise r.error(f"{w}.measure", f"unknown measure '{measure}': use paid or incurred")
            paa.append(PAAPortfolio(
                name, r.file(t, "contracts", w), r.file(t, "claims", w), r.take(t, "claims_column", w, str, "class"),
                r.take(t, "claims_value", w, str, name), method, measure,
                r.number(t, "ulae_ratio", w, 0.0, low=0.0, high=1.0),
                r.number(t, "expected_loss_ratio", w, None, low=0.0, high=10.0),
                r.number(t, "onerous_threshold", w, 1.0, low=0.0, high=10.0),
                r.take(t, "expense_acquisition", w, bool, True), r.take(t, "discount_lic", w, bool, True),
            ))
        elif approach == "gmm":
            r.check_keys(t, w, {"name", "approach", "model_points", "mortality", "lapse", "acquisition_expense",
                                "maintenance_expense", "expense_inflation", "commission", "ra_share",
                                "margin_threshold", "mortality_revision", "actuals", "transition_date",
                                "fair_values"})
            revision_raw = r.take(t, "mortality_revision", w, dict, {})
            revision = tuple(sorted(
                (r.date(k, f"{w}.mortality_revision"),
                 float(r.number(revision_raw, k, f"{w}.mortality_revision", low=0.01, high=10.0)))
                for k in revision_raw))
            gmm.append(GMMPortfolio(
                name, r.file(t, "model_points", w), r.file(t, "mortality", w),
                r.rates(t, "lapse", w, (0.0,)),
                r.number(t, "acquisition_expense", w, 0.0, low=0.0),
                r.number(t, "maintenance_expense", w, 0.0, low=0.0),
                r.number(t, "expense_inflation", w, 0.0, low=-0.5, high=1.0),
                r.rates(t, "commission", w, ()),
                r.number(t, "ra_share", w, 0.05, low=0.0, high=1.0),
                r.number(t, "margin_threshold", w, 0.1, low=0.0, high=1.0),
                revision,
                r.file(t, "actuals", w) if "actuals" in t else None,
                r.date(t["transition_date"], f"{w}.transition_date") if "transition_date" in t else None,
                r.file(t, "fair_values", w) if "fair_values" in t else None,
            ))
            g = gmm[-1]
            if (g.transition_date is None) != (g.fair_values is None):
                raise r.error(f"{w}.fair_values", "the fair value approach needs both transition_date and "
                                                 "fair_values (a file with cohort, fair_value)")
        else:
            raise r.error(f"{w}.approach", f"unknown approach '{approach}': use paa or gmm")

    reinsurance: list[Reinsurance] = []
    for i, t in enumerate(r.take(raw, "reinsurance", "", list, []), start=1):
        w = f"reinsurance[{i}]"
        if not isinstance(t, dict):
            raise r.error(w, "each reinsurance contract is a [[reinsurance]] table")
        r.check_keys(t, w, {"name", "portfolio", "share", "ceding_commission", "default_probability",
                            "loss_given_default"})
        target = r.take(t, "portfolio", w, str)
        names_all = [p.name for p in paa] + [g.name for g in gmm]
        if target not in names_all:
            raise r.error(f"{w}.portfolio", f"'{target}' is not a portfolio of this configuration: name one of "
                                            f"{', '.join(names_all)}")
        reinsurance.append(Reinsurance(
            r.take(t, "name", w, str), target, r.number(t, "share", w, low=0.0, high=1.0),
            r.number(t, "ceding_commission", w, 0.0, low=0.0, high=1.0),
            r.number(t, "default_probability", w, 0.0, low=0.0, high=1.0),
            r.number(t, "loss_given_default", w, 0.5, low=0.0, high=1.0),
        ))
    if gmm and any((d.month, d.day) != (12, 31) for d in (opening, *dates)):
        raise r.error("reporting_dates", "life portfolios (approach gmm) are measured in annual periods: the opening "
                                         "date and the reporting dates must be 31 December")
    if gmm and any(b.year - a.year != 1 for a, b in zip((opening, *dates), dates, strict=False)):
        raise r.error("reporting_dates", "life portfolios (approach gmm) are measured in annual periods: give every "
                                         "year end from the opening date to the last reporting date")
    for i, g in enumerate(gmm, start=1):
        if g.transition_date is not None and g.transition_date not in (opening, *dates):
            raise r.error(f"portfolio[{i}].transition_date", "the transition date must be the opening date or a "
                                                             "reporting date (its curve is needed)")
    scenarios: list[Scenario] = []
    for i, t in enumerate(r.take(raw, "scenario", "", list, []), start=1):
        w = f"scenario[{i}]"
        if not isinstance(t, dict):
            raise r.error(w, "each scenario is a [[scenario]] table")
        r.check_keys(t, w, {"name", "curve_shift_bp", "claims_multiplier", "mortality_multiplier", "lapse_multiplier"})
        name = r.take(t, "name", w, str)
        if not name.strip() or name in {s.name for s in scenarios}:
            raise r.error(f"{w}.name", f"scenario name '{name}' is blank or used twice")
        scenarios.append(Scenario(
            name, r.number(t, "curve_shift_bp", w, 0.0, low=-1000.0, high=1000.0),
            r.number(t, "claims_multiplier", w, 1.0, low=0.0, high=10.0),
            r.number(t, "mortality_multiplier", w, 1.0, low=0.01, high=10.0),
            r.number(t, "lapse_multiplier", w, 1.0, low=0.0, high=10.0),
        ))
    return CloseConfig(p.resolve(), entity, currency, opening, dates, float(confidence), float(correlation), oci,
                       curves, register, tuple(paa), tuple(gmm), tuple(reinsurance), tuple(scenarios))
