"""Level of aggregation (KZ84-AGG; IFRS 17 paras 14–24, 47): portfolios, annual cohorts, profitability groups.

Cases are hand-constructed from the wording of the paragraphs: para 16 (three groups), para 17 (sets), para 18
(PAA presumption and facts and circumstances), para 20 (law/regulation constraint), para 22 (annual cohorts),
para 24 (no reassessment) and para 47 (onerous = net outflow).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aktuar.core.ifrs17.aggregation import (
    AggregationTest,
    Contracts,
    GroupRegister,
    assign_groups,
    cohort_label,
    group_id,
)
from aktuar.errors import InputError

pytestmark = pytest.mark.req("KZ84-AGG")


def _gmm_book() -> Contracts:
    return Contracts(
        contract_id=["A", "B", "C", "D", "E"],
        portfolio=["OGPO", "OGPO", "OGPO", "KASKO", "OGPO"],
        issue=[date(2026, 1, 15), date(2026, 12, 31), date(2026, 6, 1), date(2026, 3, 1), date(2027, 1, 1)],
        fcf=[10.0, -50.0, -5.0, 0.0, -30.0],
        premium=[100.0, 100.0, 100.0, 100.0, 100.0],
    )


def test_para_16_47_three_groups_by_fcf_and_margin() -> None:
    r = assign_groups(_gmm_book(), AggregationTest(margin_threshold=0.10))
    assert r.group_id == (
        "OGPO-2026-ONEROUS",  # FCF 10 > 0: para 47
        "OGPO-2026-PROFITABLE",  # margin 50 % ≥ 10 %
        "OGPO-2026-REMAINING",  # margin 5 % < 10 %
        "KASKO-2026-REMAINING",  # FCF 0 is not a net outflow; margin 0 %
        "OGPO-2027-PROFITABLE",  # issued more than a year after A: another cohort (para 22)
    )
    assert "para 16(a), 47" in r.reason[0]
    assert "50.00% ≥ 10.00%" in r.reason[1]
    assert r.groups.group_id == (
        "KASKO-2026-REMAINING",
        "OGPO-2026-ONEROUS",
        "OGPO-2026-PROFITABLE",
        "OGPO-2026-REMAINING",
        "OGPO-2027-PROFITABLE",
    )
    assert sum(r.groups.count) == 5
    assert all(r.is_new)


def test_margin_threshold_is_a_parameter() -> None:
    r = assign_groups(_gmm_book(), AggregationTest(margin_threshold=0.01))
    assert r.group_id[2] == "OGPO-2026-PROFITABLE"


def test_stressed_fcf_decides_no_significant_possibility_para_19() -> None:
    c = Contracts(["A", "B"], ["KASKO", "KASKO"], [2026, 2026], fcf=[-20.0, -20.0], fcf_stressed=[-1.0, 3.0])
    r = assign_groups(c)
    assert r.profitability == ("no_significant_risk", "remaining")
    assert "stressed FCF" in r.reason[1]


def test_para_18_paa_combined_ratio_thresholds_and_presumption() -> None:
    c = Contracts(
        ["P1", "P2", "P3", "P4", "P5"],
        ["OGPO"] * 5,
        [2026] * 5,
        loss_ratio=[0.80, 0.60, 0.70, np.nan, np.nan],
        combined_ratio=[np.nan, np.nan, np.nan, 1.05, np.nan],
        paa=[True] * 5,
    )
    r = assign_groups(c, AggregationTest(onerous_combined_ratio=1.0, low_risk_combined_ratio=0.9, expense_ratio=0.25))
    # 0.80 + 0.25 = 1.05 > 1 onerous; 0.85 ≤ 0.9 low risk; 0.95 remaining; 1.05 onerous; no facts: presumption
    assert r.profitability == ("onerous", "no_significant_risk", "remaining", "onerous", "remaining")
    assert "para 18" in r.reason[0] and "combined ratio 105.00%" in r.reason[0]
    assert "presumed not onerous (para 18)" in r.reason[4]


def test_contract_without_facts_and_not_paa_is_refused() -> None:
    with pytest.raises(InputError, match="no facts for the profitability test"):
        assign_groups(Contracts(["A"], ["OGPO"], [2026]))


def test_para_22_cohort_start_month() -> None:
    issue = [date(2026, 6, 30), date(2026, 7, 1), date(2027, 6, 30), date(2027, 7, 1)]
    c = Contracts(["A", "B", "C", "D"], ["OGPO"] * 4, issue, fcf=[1.0] * 4)
    r = assign_groups(c, cohort_start_month=7)
    assert r.cohort == ("2025-07", "2026-07", "2026-07", "2027-07")
    assert r.group_id[1] == "OGPO-2026-07-ONEROUS"
    assert cohort_label(2026) == "2026" and group_id("OGPO", "2026", "onerous") == "OGPO-2026-ONEROUS"
    with pytest.raises(InputError, match="January"):
        assign_groups(Contracts(["A"], ["OGPO"], [2026], fcf=[1.0]), cohort_start_month=7)


def test_numpy_datetimes_are_accepted() -> None:
    issue = np.array(["2025-12-31", "2026-01-01"], dtype="datetime64[D]")
    r = assign_groups(Contracts(["A", "B"], ["X", "X"], issue, fcf=[1.0, 1.0]))
    assert r.cohort == ("2025", "2026")
    assert assign_groups(Contracts(["A"], ["X"], ["2026-07-01"], fcf=[1.0]), cohort_start_month=7).cohort == ("2026-07",)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        assign_groups(Contracts(["A"], ["X"], ["01.07.2026"], fcf=[1.0]))


def test_para_17_set_assessed_together() -> None:
    c = Contracts(
        ["A", "B", "C"],
        ["OGPO"] * 3,
        [2026] * 3,
        fcf=[5.0, -40.0, 5.0],
        premium=[100.0, 100.0, 100.0],
        set_id=["S1", "S1", ""],
    )
    r = assign_groups(c)
    # set S1: FCF −35 over premium 200 = 17.5 % margin → group (b), though A alone would be onerous
    assert r.group_id[:2] == ("OGPO-2026-PROFITABLE", "OGPO-2026-PROFITABLE")
    assert "para 17" in r.reason[0]
    assert r.group_id[2] == "OGPO-2026-ONEROUS"


def test_set_across_cohorts_is_refused() -> None:
    c = Contracts(["A", "B"], ["OGPO"] * 2, [2026, 2027], fcf=[1.0, 1.0], set_id=["S", "S"])
    with pytest.raises(InputError, match="one portfolio and one annual cohort"):
        assign_groups(c)


def test_para_20_regulation_constraint_pools_contracts() -> None:
    c = Contracts(
        ["A", "B", "C"],
        ["OGPO"] * 3,
        [2026] * 3,
        combined_ratio=[1.2, 0.7, 1.2],
        premium=[100.0, 300.0, 100.0],
        paa=[True] * 3,
        regulatory_constraint=[True, True, False],
    )
    r = assign_groups(c)
    # pooled premium-weighted combined ratio (1.2·100 + 0.7·300)/400 = 82.5 % → (b) for A and B
    assert r.profitability[:2] == ("no_significant_risk", "no_significant_risk")
    assert "para 20" in r.reason[0] and "82.50%" in r.reason[0]
    assert r.profitability[2] == "onerous"


def test_para_24_existing_contracts_keep_their_group() -> None:
    first = assign_groups(_gmm_book())
    later = Contracts(
        ["A", "F"],
        ["OGPO", "OGPO"],
        [date(2026, 1, 15), date(2026, 3, 3)],
        fcf=[-90.0, 2.0],  # A is now very profitable, but stays onerous
        premium=[100.0, 100.0],
    )
    r = assign_groups(later, register=first.register)
    assert r.group_id == ("OGPO-2026-ONEROUS", "OGPO-2026-ONEROUS")
    assert r.is_new == (False, True)
    assert r.assessed_profitability[0] == "no_significant_risk"
    assert "not reassessed" in r.reason[0] and "para 24" in r.reason[0]
    assert len(r.register) == 6
    assert dict(zip(r.groups.group_id, r.groups.count, strict=True))["OGPO-2026-ONEROUS"] == 2
    with pytest.raises(InputError, match="para 24"):
        assign_groups(later, register=first.register, on_existing="error")


def test_reassignment_is_refused() -> None:
    reg = assign_groups(_gmm_book()).register
    moved = GroupRegister(("A",), ("OGPO",), ("2026",), ("remaining",), ("OGPO-2026-REMAINING",), ("manual",))
    with pytest.raises(InputError, match="cannot be moved"):
        reg.merge(moved)
    assert reg.group_of("A") == "OGPO-2026-ONEROUS"
    changed = Contracts(["A"], ["KASKO"], [date(2026, 1, 15)], fcf=[1.0])
    with pytest.raises(InputError, match="correct the contract data"):
        assign_groups(changed, register=reg)


def test_bad_inputs_give_clear_errors() -> None:
    with pytest.raises(InputError, match="twice"):
        assign_groups(Contracts(["A", "A"], ["X", "X"], [2026, 2026], fcf=[1.0, 1.0]))
    with pytest.raises(InputError, match="no portfolio"):
        assign_groups(Contracts(["A"], [" "], [2026], fcf=[1.0]))
    with pytest.raises(InputError, match="one value per contract"):
        assign_groups(Contracts(["A"], ["X"], [2026], fcf=[1.0, 2.0]))
    with pytest.raises(InputError, match="must not exceed"):
        AggregationTest(low_risk_combined_ratio=1.1, onerous_combined_ratio=1.0)
    with pytest.raises(InputError, match="negative"):
        assign_groups(Contracts(["A"], ["X"], [2026], fcf=[1.0], premium=[-1.0]))


def test_empty_book() -> None:
    r = assign_groups(Contracts([], [], []))
    assert r.group_id == () and r.groups.group_id == () and len(r.register) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["OGPO", "KASKO", "NS"]),
            st.integers(2024, 2027),
            st.floats(-100, 100, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_property_groups_partition_contracts_and_never_mix_cohorts(rows: list[tuple[str, int, float]]) -> None:
    ids = [f"C{i}" for i in range(len(rows))]
    c = Contracts(ids, [r[0] for r in rows], [r[1] for r in rows], fcf=[r[2] for r in rows],
                  premium=[100.0] * len(rows))
    r = assign_groups(c)
    assert sum(r.groups.count) == len(rows)
    for k, (p, y, f) in enumerate(rows):
        assert r.group_id[k].startswith(f"{p}-{y}-")
        assert (r.profitability[k] == "onerous") == (f > 0)
    # adding the same contracts again changes nothing (para 24)
    again = assign_groups(c, register=r.register)
    assert again.group_id == r.group_id and not any(again.is_new)
    assert again.register == r.register
