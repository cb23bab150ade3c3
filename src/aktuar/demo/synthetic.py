"""A synthetic Kazakh non-life insurer: premiums, claim transactions and claims-settlement expenses.

Everything is drawn from one :class:`numpy.random.Generator` seeded with ``seed`` (no clock, no files): the
same seed and parameters give the same tables, row for row. The insurer writes four classes in KZT:

============  ===============================================  ==========================================
class         business                                         development
============  ===============================================  ==========================================
OGPO VTS      compulsory motor third-party liability           short: many small property-damage claims
              (ОГПО ВТС)                                       paid within weeks; bodily-injury claims
                                                               (10 %) reported late and paid over years;
                                                               recoveries (subrogation) and reopenings
Property      property of legal entities (имущество)           short: attritional claims paid within
                                                               months, plus a few catastrophic losses
                                                               (Pareto) paid in instalments
OSNS          compulsory employee accident insurance (ОСНС)    long: a quarter of the claims are
                                                               annuity-like (loss of working capacity,
                                                               loss of a breadwinner) paid quarterly for
                                                               up to 30 years, indexed; reopenings after
                                                               re-examination of the working capacity
DMS           voluntary medical insurance (ДМС)                very short: clinic invoices paid within
                                                               weeks; a rare expensive treatment
============  ===============================================  ==========================================

**Model.** Claim counts per accident year are Poisson with the class's expected count growing at the class's
real growth rate, times an underwriting-cycle factor per year (lognormal, σ = 6 %). Accident dates are spread
over the year (motor with more accidents in winter), regions drawn by the class's regional shares. Severities
are lognormal (mean and coefficient of variation by class and type), with Pareto large losses for property
and health, at the level of the accident year: the last year's level deflated by 8 % a year (claims
inflation). Every payment is further inflated by 8 % a year from the accident date to its payment date, and
annuities are indexed by 8 % a year. Reporting delays (exponential, lognormal for late bodily-injury claims)
and payment delays (gamma) depend on the class.

**Transactions.** A claim is registered at its report date with a case reserve (for health, only 30 % of the
claims: the rest are paid straight from the invoice); every payment row carries the claim's outstanding case
reserve after it: the rest of the claim's payments times the claims handler's estimation factor (lognormal,
with a bias by class — bodily-injury claims are under-reserved), zero and ``closed`` on the last payment.
A reopened claim gets a row with status ``reopened`` and a new case reserve, then its new payments; a
recovery is a negative payment on a closed claim. Claims reported after the valuation date and transactions
after it are not in the data: that is what the reserves estimate.

**Premiums.** Written premium of a year is the class's expected claims of that year (count × mean severity)
divided by its plan loss ratio, with 4 % noise, split over regions; annual policies written evenly over the
year earn half in the year written and half in the next. Exposure for Bornhuetter–Ferguson and Cape Cod is
the earned premium of the accident year.

**Claims-settlement expenses (ULAE).** Paid ULAE of a calendar year is the class's expense ratio times the
year's paid claims, with 6 % noise.

Amounts are float64 KZT rounded to the tiyn (0.01) at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

VALUATION = date(2025, 12, 31)
N_YEARS = 10
INFLATION = 0.08
CURRENCY = "KZT"
REGIONS: tuple[str, ...] = ("Almaty", "Astana", "Shymkent", "Other regions")
_YEAR = 365.25

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "claim_id", "class", "region", "accident_date", "report_date", "transaction_date", "paid", "case_reserve",
    "closed", "status",
)


@dataclass(frozen=True)
class ClassSpec:
    """One class of business of the demo insurer (amounts in KZT at the level of the valuation year)."""

    code: str  # value of the ``class`` column
    prefix: str  # claim-number prefix
    name_ru: str
    name_en: str
    claims_last_year: float  # expected reported claims of the last accident year
    real_growth: float  # annual growth of the claim count and of the real premium volume
    mean_severity: float  # pricing assumption: expected ultimate per claim (last year's level)
    plan_loss_ratio: float  # pricing loss ratio; premium = expected claims / plan loss ratio
    large_loss_threshold: float  # a claim above this is a large (major) loss
    ulae_ratio: float  # paid claims-settlement expenses per paid claims
    region_shares: tuple[float, float, float, float]


CLASSES: tuple[ClassSpec, ...] = (
    ClassSpec("OGPO VTS", "OG", "ОГПО ВТС (обязательное страхование ГПО владельцев транспортных средств)",
              "Compulsory motor third-party liability (OGPO VTS)", 2600, 0.05, 560e3, 0.55, 6.5e6, 0.06,
              (0.38, 0.22, 0.12, 0.28)),
    ClassSpec("Property", "PR", "Имущество юридических лиц", "Property of legal entities", 260, 0.03, 2.3e6, 0.45,
              50e6, 0.04, (0.45, 0.30, 0.08, 0.17)),
    ClassSpec("OSNS", "NS", "ОСНС (обязательное страхование работника от несчастных случаев)",
              "Compulsory employee accident insurance (OSNS)", 320, 0.02, 2.4e6, 0.60, 25e6, 0.05,
              (0.25, 0.20, 0.10, 0.45)),
    ClassSpec("DMS", "MD", "ДМС (добровольное медицинское страхование)", "Voluntary health insurance (DMS)", 3000,
              0.06, 270e3, 0.70, 10e6, 0.08, (0.42, 0.33, 0.10, 0.15)),
)


@dataclass(frozen=True)
class DemoInsurer:
    """The generated data (polars frames, columns as written to the demo's CSV files)."""

    transactions: pl.DataFrame  # TRANSACTION_COLUMNS
    premiums: pl.DataFrame  # class, region, year, written_premium, earned_premium
    exposure: pl.DataFrame  # origin, class, exposure (earned premium of the accident year)
    ulae: pl.DataFrame  # class, year, paid_ulae
    hindsight: pl.DataFrame  # class, origin, unpaid: the payments after the valuation (known only in a demo)
    classes: tuple[ClassSpec, ...]
    valuation: date
    first_year: int
    seed: int
    scale: float

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.valuation.year + 1))

    def spec(self, code: str) -> ClassSpec:
        for c in self.classes:
            if c.code == code:
                return c
        raise KeyError(code)


# ============================================================================================== helpers
def _lognormal(rng: np.random.Generator, mean: float | FloatArray, cv: float, size: int) -> FloatArray:
    """Lognormal draws with the given mean and coefficient of variation."""
    s2 = np.log1p(cv * cv)
    return np.asarray(rng.lognormal(np.log(mean) - s2 / 2.0, np.sqrt(s2), size))


def _factor(rng: np.random.Generator, bias: float, sd: float, size: int) -> FloatArray:
    """Multiplicative estimation factors ``exp(N(bias, sd²))``."""
    return np.asarray(np.exp(rng.normal(bias, sd, size)))


def _chance(rng: np.random.Generator, p: FloatArray) -> BoolArray:
    """Independent events with probabilities ``p``."""
    return np.asarray(rng.random(p.shape[0]) < p, dtype=bool)


def _gamma_days(rng: np.random.Generator, mean: float, size: int, shape: float = 2.0) -> IntArray:
    """Whole days ≥ 1, gamma distributed with the given mean."""
    return np.maximum(1, np.rint(rng.gamma(shape, mean / shape, size))).astype(np.int64)


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _year_start(y: IntArray | int) -> IntArray:
    return np.asarray((np.asarray(y, dtype=np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
                      .astype(np.int64))


def _years_of(days: IntArray) -> IntArray:
    return np.asarray(days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)


def _within(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For ``counts[i]`` items of each owner i: the owner of every item and its position within the owner."""
    owner = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.shape[0], dtype=np.int64) - starts[owner]


def _cumulate(owner: IntArray, gaps: IntArray, counts: IntArray) -> IntArray:
    """Running sum of ``gaps`` within each owner (items grouped by owner, in order)."""
    cs = np.cumsum(gaps)
    starts = np.cumsum(counts) - counts
    before = np.concatenate([np.zeros(1, cs.dtype), cs])[starts]
    return np.asarray(cs - before[owner])


def _shares(rng: np.random.Generator, owner: IntArray, n_owners: int) -> FloatArray:
    """Random proportions (flat Dirichlet) of each owner's total over its items."""
    e = rng.exponential(1.0, owner.shape[0])
    tot = np.bincount(owner, weights=e, minlength=n_owners)
    return np.asarray(e / tot[owner])


@dataclass
class _Claims:
    """Claims of one class: per claim arrays, before the cut at the valuation date."""

    ay: IntArray
    acc: IntArray  # accident day numbers
    rep: IntArray  # report day numbers
    region: IntArray
    opening: BoolArray  # registered with a case reserve at the report date
    bias: FloatArray  # the claim handler's estimation factor of the outstanding amount

    @property
    def n(self) -> int:
        return int(self.ay.shape[0])


@dataclass
class _Payments:
    """Payment schedule, one row per payment; ``episode`` 0 = first settlement, 1 = after a reopening, 2 = a
    recovery on the closed claim."""

    claim: IntArray
    day: IntArray
    amount: FloatArray
    episode: IntArray


def _concat_payments(parts: list[_Payments]) -> _Payments:
    return _Payments(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("claim", "day", "amount",
                                                                               "episode")))


def _draw_claims(rng: np.random.Generator, spec: ClassSpec, years: IntArray, scale: float,
                 month_weights: FloatArray | None = None) -> tuple[IntArray, IntArray, IntArray]:
    """Accident years, accident days and regions of the class's claims (all reported or not)."""
    last = int(years[-1])
    cycle = np.exp(rng.normal(0.0, 0.06, years.shape[0]))
    lam = scale * spec.claims_last_year * (1.0 + spec.real_growth) ** (years - last) * cycle
    counts = rng.poisson(lam)
    ay = np.repeat(years, counts)
    n = ay.shape[0]
    if month_weights is None:
        frac = rng.random(n)
        span = _year_start(ay + 1) - _year_start(ay)
        acc = _year_start(ay) + np.floor(frac * span).astype(np.int64)
    else:
        w = month_weights / month_weights.sum()
        month = rng.choice(12, size=n, p=w)
        m0 = (ay - 1970) * 12 + month
        start = m0.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        end = (m0 + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        acc = start + np.floor(rng.random(n) * (end - start)).astype(np.int64)
    region = rng.choice(len(REGIONS), size=n, p=np.asarray(spec.region_shares) / sum(spec.region_shares))
    return ay, acc.astype(np.int64), region.astype(np.int64)


def _level(ay: IntArray, last: int) -> FloatArray:
    """Severity level of the accident year relative to the last one (claims inflation)."""
    return np.asarray((1.0 + INFLATION) ** (ay - last).astype(np.float64))


def _indexed(amount: FloatArray, acc: IntArray, day: IntArray) -> FloatArray:
    """Inflate amounts from the accident date to the payment date."""
    return np.asarray(amount * (1.0 + INFLATION) ** ((day - acc) / _YEAR))


def _settle(rng: np.random.Generator, ultimate: FloatArray, acc: IntArray, rep: IntArray, k: IntArray,
            first_gap: float, next_gap: float, first_shape: float = 2.0) -> _Payments:
    """``k`` payments per claim splitting ``ultimate`` (accident-date money) at gamma distributed gaps."""
    owner, pos = _within(k)
    gaps = np.where(pos == 0, _gamma_days(rng, first_gap, owner.shape[0], first_shape),
                    _gamma_days(rng, next_gap, owner.shape[0]))
    day = rep[owner] + _cumulate(owner, gaps, k)
    amount = _indexed(ultimate[owner] * _shares(rng, owner, k.shape[0]), acc[owner], day)
    return _Payments(owner, day, amount, np.zeros(owner.shape[0], np.int64))


def _reopen(rng: np.random.Generator, settled: _Payments, which: BoolArray, acc: IntArray, amount: FloatArray,
            lag_low: int, lag_high: int, gap_mean: float) -> tuple[_Payments, IntArray]:
    """One more payment for the claims ``which``, after a reopening ``lag_low``–``lag_high`` days after their
    last payment; returns the payments and the reopening day per claim (−1 for none)."""
    n = which.shape[0]
    last_day = np.full(n, -1, np.int64)
    np.maximum.at(last_day, settled.claim, settled.day)
    idx = np.flatnonzero(which & (last_day >= 0))
    reopen_day = np.full(n, -1, np.int64)
    reopen_day[idx] = last_day[idx] + rng.integers(lag_low, lag_high + 1, idx.shape[0])
    day = reopen_day[idx] + _gamma_days(rng, gap_mean, idx.shape[0])
    pay = _indexed(amount[idx], acc[idx], day)
    return _Payments(idx, day, pay, np.ones(idx.shape[0], np.int64)), reopen_day


# ======================================================================================= the four classes
def _ogpo(rng: np.random.Generator, spec: ClassSpec, years: IntArray, scale: float
          ) -> tuple[_Claims, _Payments, IntArray]:
    winter = np.array([1.35, 1.25, 1.05, 0.9, 0.85, 0.85, 0.9, 0.9, 0.9, 1.0, 1.1, 1.3])
    ay, acc, region = _draw_claims(rng, spec, years, scale, winter)
    n, last = ay.shape[0], int(years[-1])
    lvl = _level(ay, last)
    bi = rng.random(n) < 0.10
    pd_amt = np.minimum(_lognormal(rng, 420e3, 1.0, n), 2.4e6) * lvl
    bi_amt = np.minimum(_lognormal(rng, 1.7e6, 1.4, n), 8.0e6) * lvl
    ult = np.where(bi, bi_amt, pd_amt)
    late = bi & (rng.random(n) < 0.3)
    delay = np.where(bi, np.where(late, np.rint(rng.lognormal(np.log(300.0), 0.7, n)),
                                  np.rint(rng.exponential(60.0, n))), np.rint(rng.exponential(12.0, n)))
    rep = acc + delay.astype(np.int64)
    k = np.where(bi, 1 + rng.binomial(3, 0.5, n), 1 + (rng.random(n) < 0.15)).astype(np.int64)
    pd_pay = _settle(rng, np.where(bi, 0.0, ult), acc, rep, np.where(bi, 0, k), 40.0, 45.0)
    bi_pay = _settle(rng, np.where(bi, ult, 0.0), acc, rep, np.where(bi, k, 0), 120.0, 240.0)
    first = _concat_payments([pd_pay, bi_pay])
    reopen_amt = _lognormal(rng, 600e3, 0.8, n) * lvl
    again, reopen_day = _reopen(rng, first, _chance(rng, np.where(bi, 0.03, 0.005)), acc, reopen_amt, 120, 900,
                                60.0)
    # recoveries from the party at fault (subrogation, «регресс») on a few property-damage claims
    rec = np.flatnonzero(~bi & (rng.random(n) < 0.02))
    last_day = np.full(n, -1, np.int64)
    np.maximum.at(last_day, first.claim, first.day)
    rec_day = last_day[rec] + rng.integers(90, 541, rec.shape[0])
    rec_amt = -ult[rec] * rng.uniform(0.4, 1.0, rec.shape[0])
    recovery = _Payments(rec, rec_day, rec_amt, np.full(rec.shape[0], 2, np.int64))
    bias = np.where(bi, _factor(rng, -0.15, 0.35, n), _factor(rng, 0.0, 0.25, n))
    claims = _Claims(ay, acc, rep, region, np.ones(n, bool), bias)
    return claims, _concat_payments([first, again, recovery]), reopen_day


def _property(rng: np.random.Generator, spec: ClassSpec, years: IntArray, scale: float
              ) -> tuple[_Claims, _Payments, IntArray]:
    ay, acc, region = _draw_claims(rng, spec, years, scale)
    last = int(years[-1])
    # catastrophic losses: fire, flood, earthquake — independent of the portfolio's size
    n_cat = rng.poisson(0.45, years.shape[0])
    cay = np.repeat(years, n_cat)
    cacc = _year_start(cay) + np.floor(rng.random(cay.shape[0]) * 365).astype(np.int64)
    creg = rng.choice(len(REGIONS), size=cay.shape[0], p=np.asarray(spec.region_shares) / sum(spec.region_shares))
    n_att = ay.shape[0]
    ay, acc, region = np.concatenate([ay, cay]), np.concatenate([acc, cacc]), np.concatenate([region, creg])
    n = ay.shape[0]
    cat = np.arange(n) >= n_att
    lvl = _level(ay, last)
    att_amt = _lognormal(rng, 1.8e6, 2.0, n)
    cat_amt = np.minimum(120e6 * (1.0 + rng.pareto(1.3, n)), 4e9)
    ult = np.where(cat, cat_amt, att_amt) * lvl
    rep = acc + np.rint(np.where(cat, rng.exponential(4.0, n), rng.exponential(20.0, n))).astype(np.int64)
    k = np.where(cat, 2 + rng.binomial(3, 0.5, n), 1 + rng.binomial(2, 0.35, n)).astype(np.int64)
    att_pay = _settle(rng, np.where(cat, 0.0, ult), acc, rep, np.where(cat, 0, k), 40.0, 60.0)
    cat_pay = _settle(rng, np.where(cat, ult, 0.0), acc, rep, np.where(cat, k, 0), 45.0, 120.0)
    first = _concat_payments([att_pay, cat_pay])
    reopen_amt = _lognormal(rng, 1.0e6, 1.0, n) * lvl
    again, reopen_day = _reopen(rng, first, ~cat & _chance(rng, np.full(n, 0.01)), acc, reopen_amt, 60, 600, 45.0)
    bias = np.where(cat, _factor(rng, 0.0, 0.35, n), _factor(rng, 0.05, 0.30, n))
    return _Claims(ay, acc, rep, region, np.ones(n, bool), bias), _concat_payments([first, again]), reopen_day


def _osns(rng: np.random.Generator, spec: ClassSpec, years: IntArray, scale: float
          ) -> tuple[_Claims, _Payments, IntArray]:
    ay, acc, region = _draw_claims(rng, spec, years, scale)
    n, last = ay.shape[0], int(years[-1])
    lvl = _level(ay, last)
    annuity = _chance(rng, np.full(n, 0.25))
    rep = acc + np.rint(np.where(annuity, rng.exponential(60.0, n), rng.exponential(40.0, n))).astype(np.int64)
    # one-off benefits (temporary loss of working capacity, medical costs)
    one_amt = _lognormal(rng, 350e3, 1.2, n) * lvl
    k = np.where(annuity, 0, 1 + (rng.random(n) < 0.3)).astype(np.int64)
    once = _settle(rng, np.where(annuity, 0.0, one_amt), acc, rep, k, 50.0, 40.0)
    # annuities: a lump sum once the loss of working capacity is established, then indexed quarterly payments
    ann = np.flatnonzero(annuity)
    m = ann.shape[0]
    lump_day = rep[ann] + _gamma_days(rng, 150.0, m, 3.0)
    lump = _indexed(_lognormal(rng, 800e3, 0.8, m) * lvl[ann], acc[ann], lump_day)
    u = rng.random(m)
    quarters = np.where(u < 0.55, rng.integers(4, 21, m), np.where(u < 0.93, rng.integers(20, 49, m),
                                                                    rng.integers(60, 101, m))).astype(np.int64)
    quarterly = _lognormal(rng, 180e3, 0.6, m) * lvl[ann]
    owner, pos = _within(quarters)
    q_day = lump_day[owner] + np.rint((pos + 1) * 91.3125).astype(np.int64)
    q_amt = _indexed(quarterly[owner], acc[ann][owner], q_day)
    annuities = _Payments(np.concatenate([ann, ann[owner]]), np.concatenate([lump_day, q_day]),
                          np.concatenate([lump, q_amt]), np.zeros(m + owner.shape[0], np.int64))
    first = _concat_payments([once, annuities])
    # re-examination of the loss of working capacity reopens some one-off claims
    reopen_amt = _lognormal(rng, 300e3, 1.0, n) * lvl
    again, reopen_day = _reopen(rng, once, ~annuity & _chance(rng, np.full(n, 0.08)), acc, reopen_amt, 300, 1100,
                                40.0)
    bias = np.where(annuity, _factor(rng, -0.08, 0.15, n), _factor(rng, 0.05, 0.3, n))
    return _Claims(ay, acc, rep, region, np.ones(n, bool), bias), _concat_payments([first, again]), reopen_day


def _dms(rng: np.random.Generator, spec: ClassSpec, years: IntArray, scale: float
         ) -> tuple[_Claims, _Payments, IntArray]:
    ay, acc, region = _draw_claims(rng, spec, years, scale)
    n, last = ay.shape[0], int(years[-1])
    lvl = _level(ay, last)
    expensive = rng.random(n) < 0.01
    ult = np.where(expensive, np.minimum(3e6 * (1.0 + rng.pareto(2.2, n)), 60e6),
                   _lognormal(rng, 200e3, 1.3, n)) * lvl
    rep = acc + np.rint(rng.exponential(10.0, n)).astype(np.int64)
    k = (1 + (rng.random(n) < np.where(expensive, 0.6, 0.08))).astype(np.int64)
    first = _settle(rng, ult, acc, rep, k, 20.0, 30.0)
    reopen_amt = _lognormal(rng, 150e3, 1.0, n) * lvl
    again, reopen_day = _reopen(rng, first, _chance(rng, np.full(n, 0.005)), acc, reopen_amt, 30, 240, 20.0)
    opening = expensive | _chance(rng, np.full(n, 0.3))
    return (_Claims(ay, acc, rep, region, opening, _factor(rng, 0.0, 0.2, n)), _concat_payments([first, again]),
            reopen_day)


_GENERATORS: dict[str, Callable[[np.random.Generator, ClassSpec, IntArray, float],
                                tuple[_Claims, _Payments, IntArray]]] = {
    "OGPO VTS": _ogpo, "Property": _property, "OSNS": _osns, "DMS": _dms,
}


# ================================================================================ transactions of a class
def _rows(rng: np.random.Generator, spec: ClassSpec, claims: _Claims, pay: _Payments, reopen_day: IntArray,
          valuation_day: int, years: IntArray) -> tuple[pl.DataFrame, FloatArray]:
    """Transaction rows of one class up to the valuation date (see the module docstring), and the payments
    after it by accident year (the hindsight the reserves estimate)."""
    n = claims.n
    future = pay.day > valuation_day
    unpaid = np.bincount(claims.ay[pay.claim[future]] - years[0], weights=pay.amount[future],
                         minlength=years.shape[0]).astype(np.float64)
    order = np.lexsort((pay.day, pay.episode, pay.claim))
    c, day, amt, ep = pay.claim[order], pay.day[order], pay.amount[order], pay.episode[order]
    group = c * 3 + ep
    last_in = np.ones(c.shape[0], bool)
    last_in[:-1] = group[1:] != group[:-1]
    first_in = np.ones(c.shape[0], bool)
    first_in[1:] = group[1:] != group[:-1]
    # outstanding after each payment: the rest of its episode, as the claims handler estimates it
    tot = np.bincount(group, weights=amt, minlength=3 * n)
    cum = np.cumsum(amt)
    first_pos = np.maximum.accumulate(np.where(first_in, np.arange(c.shape[0]), 0))
    paid_in_episode = cum - (cum[first_pos] - amt[first_pos])
    remaining = np.where(last_in | (ep == 2), 0.0, tot[group] - paid_in_episode)
    noise = _factor(rng, 0.0, 0.10, c.shape[0])
    case = np.maximum(remaining * claims.bias[c] * noise, 0.0)
    status = np.where(last_in | (ep == 2), "closed", np.where(ep == 1, "reopened", "open"))

    # opening rows: at the report date (episode 0) and at the reopening (episode 1)
    op0 = np.flatnonzero(claims.opening & (np.bincount(c[ep == 0], minlength=n) > 0))
    tot0 = tot[op0 * 3]
    op1 = np.flatnonzero(reopen_day >= 0)
    tot1 = tot[op1 * 3 + 1]
    o_claim = np.concatenate([op0, op1])
    o_day = np.concatenate([claims.rep[op0], reopen_day[op1]])
    o_case = np.concatenate([tot0, tot1]) * claims.bias[o_claim] * _factor(rng, 0.0, 0.15, o_claim.shape[0])
    o_status = np.concatenate([np.full(op0.shape[0], "open"), np.full(op1.shape[0], "reopened")])
    o_ep = np.concatenate([np.zeros(op0.shape[0], np.int64), np.ones(op1.shape[0], np.int64)])

    all_claim = np.concatenate([o_claim, c])
    all_day = np.concatenate([o_day, day])
    all_paid = np.concatenate([np.zeros(o_claim.shape[0]), amt])
    all_case = np.concatenate([o_case, case])
    all_status = np.concatenate([o_status, status])
    kind = np.concatenate([np.zeros(o_claim.shape[0], np.int64), np.ones(c.shape[0], np.int64)])
    all_ep = np.concatenate([o_ep, ep])
    keep = (all_day <= valuation_day) & (claims.rep[all_claim] <= valuation_day)
    sel = np.flatnonzero(keep)
    sel = sel[np.lexsort((kind[sel], all_day[sel], all_ep[sel], all_claim[sel]))]

    cl = all_claim[sel]
    seq = np.zeros(n, np.int64)
    # claim numbers count the reported claims of each accident year in order of their report date
    reported = np.flatnonzero(claims.rep <= valuation_day)
    rorder = reported[np.lexsort((claims.rep[reported], claims.ay[reported]))]
    ay_r = claims.ay[rorder]
    newy = np.ones(rorder.shape[0], bool)
    newy[1:] = ay_r[1:] != ay_r[:-1]
    block_start = np.maximum.accumulate(np.where(newy, np.arange(rorder.shape[0]), 0))
    seq[rorder] = np.arange(rorder.shape[0]) - block_start + 1
    ids = np.array([f"{spec.prefix}-{y}-{s:05d}" for y, s in zip(claims.ay.tolist(), seq.tolist(), strict=True)])
    frame = pl.DataFrame({
        "claim_id": ids[cl],
        "class": np.full(cl.shape[0], spec.code),
        "region": np.asarray(REGIONS)[claims.region[cl]],
        "accident_date": claims.acc[cl].astype("datetime64[D]"),
        "report_date": claims.rep[cl].astype("datetime64[D]"),
        "transaction_date": all_day[sel].astype("datetime64[D]"),
        "paid": np.round(all_paid[sel], 2),
        "case_reserve": np.round(all_case[sel], 2),
        "closed": (all_status[sel] == "closed").astype(np.int8),
        "status": all_status[sel],
    })
    return frame, unpaid


# ================================================================================================ insurer
def generate_insurer(
    seed: int = 2026,
    *,
    valuation: date = VALUATION,
    n_years: int = N_YEARS,
    scale: float = 1.0,
    classes: tuple[ClassSpec, ...] = CLASSES,
) -> DemoInsurer:
    """The demo insurer's data for accident years ``valuation.year − n_years + 1 … valuation.year``.

    ``scale`` multiplies the expected claim counts (and so the premiums) of every class except the property
    catastrophes: 1.0 gives about 50 000 claims and 100 000 transactions; 0.1 a quick test set.
    """
    if not isinstance(valuation, date):
        raise InputError(f"the valuation date must be a date, not {valuation!r}")
    if n_years < 2:
        raise InputError("the demo insurer needs at least 2 accident years")
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"the scale of the demo insurer must be a positive number, not {scale}")
    unknown = [c.code for c in classes if c.code not in _GENERATORS]
    if unknown:
        raise InputError(f"no generator for class(es) {unknown}: use the classes of aktuar.demo.CLASSES")
    last = valuation.year
    years = np.arange(last - n_years + 1, last + 1, dtype=np.int64)
    val_day = _day(valuation)
    root = np.random.SeedSequence(int(seed))
    streams = root.spawn(len(classes) + 1)
    frames: list[pl.DataFrame] = []
    prem_rows: list[dict[str, object]] = []
    ulae_rows: list[dict[str, object]] = []
    exp_rows: list[dict[str, object]] = []
    hind_rows: list[dict[str, object]] = []
    for spec, ss in zip(classes, streams[:-1], strict=True):
        rng = np.random.default_rng(ss)
        claims, pay, reopen_day = _GENERATORS[spec.code](rng, spec, years, scale)
        frame, unpaid = _rows(rng, spec, claims, pay, reopen_day, val_day, years)
        frames.append(frame)
        for i, y in enumerate(years.tolist()):
            hind_rows.append({"class": spec.code, "origin": y, "unpaid": float(unpaid[i])})

        # premiums: expected claims of the year / plan loss ratio, one year before the first for earning
        p_years = np.arange(years[0] - 1, last + 1, dtype=np.int64)
        expected = (scale * spec.claims_last_year * (1.0 + spec.real_growth) ** (p_years - last)
                    * spec.mean_severity * _level(p_years, last))
        written = expected / spec.plan_loss_ratio * np.exp(rng.normal(0.0, 0.04, p_years.shape[0]))
        shares = np.asarray(spec.region_shares)[None, :] * np.exp(rng.normal(0.0, 0.05, (p_years.shape[0], 4)))
        shares /= shares.sum(axis=1, keepdims=True)
        wr = written[:, None] * shares  # (years + 1, regions)
        earned = 0.5 * wr[1:] + 0.5 * wr[:-1]
        for i, y in enumerate(years.tolist()):
            for r, region in enumerate(REGIONS):
                prem_rows.append({"class": spec.code, "region": region, "year": y,
                                  "written_premium": round(float(wr[i + 1, r]), 2),
                                  "earned_premium": round(float(earned[i, r]), 2)})
            exp_rows.append({"origin": y, "class": spec.code,
                             "exposure": round(float(np.round(earned[i], 2).sum()), 2)})

        # claims-settlement expenses: a ratio of the calendar year's paid claims
        t_year = frame["transaction_date"].dt.year().to_numpy().astype(np.int64)
        paid_by_year = np.bincount(t_year - years[0], weights=frame["paid"].to_numpy(), minlength=years.shape[0])
        ulae = np.maximum(paid_by_year, 0.0) * spec.ulae_ratio * np.exp(rng.normal(0.0, 0.06, years.shape[0]))
        for i, y in enumerate(years.tolist()):
            ulae_rows.append({"class": spec.code, "year": y, "paid_ulae": round(float(ulae[i]), 2)})

    transactions = pl.concat(frames)
    return DemoInsurer(
        transactions=transactions,
        premiums=pl.DataFrame(prem_rows),
        exposure=pl.DataFrame(exp_rows),
        ulae=pl.DataFrame(ulae_rows),
        hindsight=pl.DataFrame(hind_rows),
        classes=classes,
        valuation=valuation,
        first_year=int(years[0]),
        seed=int(seed),
        scale=float(scale),
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
