"""Mortality tables, commutation functions and net premium reserves (KZ191-OP item 8(7)).

A :class:`LifeTable` is a parameterised table of one-year death probabilities ``q_x`` for integer ages
``min_age … max_age`` (``q`` at the last age is 1), with its name, source and whether it is illustrative;
:func:`makeham_table` builds one from Makeham's law ``μ_x = A + B·c^x``:
``p_x = exp(−A − B·c^x·(c − 1)/ln c)``. The pack ships Bowers et al.'s Illustrative Life Table parameters
(``mortality.illustrative_makeham``), labelled illustrative: the actuary must record the approved table.

Commutation functions at annual interest i (``v = 1/(1+i)``; Bowers et al. 1997, ch. 4-5 and 8):
``D_x = v^x l_x``, ``N_x = Σ_{y≥x} D_y``, ``C_x = v^{x+1} d_x``, ``M_x = Σ_{y≥x} C_y``, so that

    A_x = M_x/D_x,   ä_x = N_x/D_x,   A¹_{x:n} = (M_x − M_{x+n})/D_x,   ₙE_x = D_{x+n}/D_x,
    ä_{x:n} = (N_x − N_{x+n})/D_x,   A_{x:n} = A¹_{x:n} + ₙE_x.

**Net premium reserve** (prospective, annual premiums in advance, benefit at the end of the year of death,
sum insured S): ``P = S·A/ä`` over the premium term, and at duration t

    ₜV = S·A_{x+t:remaining} − P·ä_{x+t:remaining premium term}

for term (death benefit only), endowment (death + survival to the end) and whole life (to the table's end)
insurance. Reserves are money float64 unrounded, liabilities positive; zero sum insured gives zero.
Verified against the Standard Ultimate Life Table at 5 % (Dickson, Hardy & Waters, *Actuarial Mathematics
for Life Contingent Risks*, 2nd ed. 2013, Appendix D) and closed forms under a constant force of mortality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from aktuar.core.statutory.packs import RegulationPack
from aktuar.errors import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = ["Commutation", "LifeTable", "NetPremiumReserve", "commutation", "makeham_table", "net_premium_reserve",
           "pack_table"]

Product = Literal["term", "endowment", "whole_life"]


@dataclass(frozen=True)
class LifeTable:
    name: str
    min_age: int
    qx: FloatArray
    source: str = ""
    illustrative: bool = False
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        q = np.asarray(self.qx, dtype=np.float64).reshape(-1)
        if q.size == 0 or not np.isfinite(q).all() or (q < 0).any() or (q > 1).any():
            raise InputError(f"table '{self.name}': every q_x must be a probability in [0, 1]", column="qx")
        q = q.copy()
        q[-1] = 1.0  # the table closes at its last age
        object.__setattr__(self, "qx", q)

    @property
    def max_age(self) -> int:
        return self.min_age + int(self.qx.size) - 1

    def index(self, age: int) -> int:
        if not self.min_age <= age <= self.max_age:
            raise InputError(f"age {age} is outside table '{self.name}' ({self.min_age} … {self.max_age})",
                             column="age")
        return age - self.min_age

    def survival(self, age: int, years: int) -> FloatArray:
        """``ₜp_age`` for t = 0 … years (0 beyond the table)."""
        i = self.index(age)
        p = 1.0 - self.qx[i:i + years]
        out = np.concatenate([[1.0], np.cumprod(p)])
        return np.concatenate([out, np.zeros(max(0, years + 1 - out.size))])


def makeham_table(a: float, b: float, c: float, *, min_age: int = 0, max_age: int = 120, name: str = "Makeham",
                  source: str = "", illustrative: bool = True) -> LifeTable:
    """Makeham's law table (Gompertz when ``a = 0``)."""
    if not (np.isfinite([a, b, c]).all() and b > 0 and c > 1 and a > -b) or max_age <= min_age:
        raise InputError("Makeham's law needs B > 0, c > 1, A > −B and max_age > min_age")
    x = np.arange(min_age, max_age + 1, dtype=np.float64)
    p = np.exp(-a - b * c**x * (c - 1.0) / np.log(c))
    return LifeTable(name, min_age, 1.0 - p, source, illustrative, {"A": a, "B": b, "c": c, "law": "Makeham"})


def pack_table(pack: RegulationPack) -> LifeTable:
    """The pack's illustrative Makeham table, labelled with its citation."""
    p = pack.value("mortality.illustrative_makeham")
    return makeham_table(float(p["A"]), float(p["B"]), float(p["c"]), min_age=int(p["min_age"]),
                         max_age=int(p["max_age"]), name=str(p["name"]),
                         source=pack.cite("mortality.illustrative_makeham"),
                         illustrative=pack.param("mortality.illustrative_makeham").status == "illustrative")


@dataclass(frozen=True)
class Commutation:
    table: LifeTable
    interest: float
    ages: npt.NDArray[np.int64]
    lx: FloatArray
    dx: FloatArray
    Dx: FloatArray
    Nx: FloatArray
    Cx: FloatArray
    Mx: FloatArray

    def _i(self, age: int) -> int:
        return self.table.index(age)

    def _at(self, arr: FloatArray, age: int) -> float:
        i = age - self.table.min_age
        return float(arr[i]) if i < arr.size else 0.0

    def whole_life(self, x: int) -> float:
        return self._at(self.Mx, x) / self._at(self.Dx, x)

    def annuity_due(self, x: int, n: int | None = None) -> float:
        d = self._at(self.Dx, x)
        return (self._at(self.Nx, x) - (0.0 if n is None else self._at(self.Nx, x + n))) / d

    def term(self, x: int, n: int) -> float:
        return (self._at(self.Mx, x) - self._at(self.Mx, x + n)) / self._at(self.Dx, x)

    def pure_endowment(self, x: int, n: int) -> float:
        return self._at(self.Dx, x + n) / self._at(self.Dx, x)

    def endowment(self, x: int, n: int) -> float:
        return self.term(x, n) + self.pure_endowment(x, n)


def commutation(table: LifeTable, interest: float, radix: float = 100_000.0) -> Commutation:
    if not np.isfinite(interest) or interest <= -1:
        raise InputError("the interest rate must be above −100 %", column="interest")
    q = table.qx
    lx = radix * np.concatenate([[1.0], np.cumprod(1.0 - q)[:-1]])
    dx = lx * q
    ages = np.arange(table.min_age, table.max_age + 1, dtype=np.int64)
    v = 1.0 / (1.0 + interest)
    # v^(x − min_age) keeps the numbers in range; the ratios are unchanged
    k = (ages - table.min_age).astype(np.float64)
    dcap = v**k * lx
    ccap = v ** (k + 1) * dx
    ncap = np.cumsum(dcap[::-1])[::-1]
    mcap = np.cumsum(ccap[::-1])[::-1]
    return Commutation(table, float(interest), ages, lx, dx, dcap, ncap, ccap, mcap)


@dataclass(frozen=True)
class NetPremiumReserve:
    product: str
    age: int
    term: int | None
    premium_term: int | None
    sum_insured: float
    duration: int
    net_premium: float
    reserve: float
    reserves_by_duration: FloatArray
    table: str
    interest: float
    illustrative_table: bool


def net_premium_reserve(table: LifeTable, interest: float, product: Product, age: int, sum_insured: float, *,
                        term: int | None = None, premium_term: int | None = None, duration: int = 0
                        ) -> NetPremiumReserve:
    """Net premium reserve of one contract issued at ``age`` (see the module docstring)."""
    if product not in ("term", "endowment", "whole_life"):
        raise InputError(f"unknown product '{product}': use term, endowment or whole_life", column="product")
    if not np.isfinite(sum_insured) or sum_insured < 0:
        raise InputError("the sum insured must be an amount ≥ 0", column="sum_insured")
    com = commutation(table, interest)
    table.index(age)
    if product == "whole_life":
        n = table.max_age + 1 - age
    else:
        if term is None or term < 1:
            raise InputError(f"a {product} contract needs a term of at least one year", column="term")
        n = term
        if age + n > table.max_age + 1:
            raise InputError(f"age {age} + term {n} goes beyond table '{table.name}'", column="term")
    m = n if premium_term is None else int(premium_term)
    if not 1 <= m <= n:
        raise InputError("the premium term must be between 1 and the benefit term", column="premium_term")
    if not 0 <= duration <= n:
        raise InputError(f"the duration must lie in 0 … {n}", column="duration")

    def benefit(x: int, k: int) -> float:
        if product == "endowment":
            return com.endowment(x, k)
        return com.term(x, k)

    a0 = com.annuity_due(age, m)
    prem = sum_insured * benefit(age, n) / a0
    vs = np.zeros(n + 1)
    for t in range(n + 1):
        if t == n:
            vs[t] = sum_insured if product == "endowment" else 0.0
            continue
        rem = n - t
        ann = com.annuity_due(age + t, m - t) if t < m else 0.0
        vs[t] = sum_insured * benefit(age + t, rem) - prem * ann
    return NetPremiumReserve(product, age, None if product == "whole_life" else n, m, float(sum_insured), duration,
                             float(prem), float(vs[duration]), vs, table.name, float(interest), table.illustrative)
