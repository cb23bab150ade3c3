"""Premium allocation approach (IFRS 17 paras 53–59, B126).

Reference: IASB, IFRS 17 Illustrative Examples, Example 10 — measurement applying the premium allocation approach
(IE113–IE123), as transcribed in shared/reference/ifrs17-iasb-examples.md. Every published figure is asserted
within ±1 CU (the IASB rounds to whole CU). Other cases are hand-computed in the test.
"""

from __future__ import annotations

import numpy as np
import pytest

from aktuar.core.ifrs17.paa import (
    lic_measurement,
    lic_rollforward,
    loss_component,
    lrc_rollforward,
    paa_group,
    passage_of_time_pattern,
)
from aktuar.errors import InputError

# Example 10 periods: H2 20x1 (1 Jul–31 Dec 20x1), H1 20x2 (1 Jan–30 Jun 20x2), H2 20x2 (1 Jul–31 Dec 20x2).
# Coverage 1 Jul 20x1 – 30 Apr 20x2: 6 months in H2 20x1, 4 months in H1 20x2, none after.
EX10_COVERAGE_MONTHS = [6, 4, 0]
EX10_PREMIUM = [1220.0, 0.0, 0.0]
EX10_ACQUISITION = [20.0, 0.0, 0.0]
# Expected claims outstanding (undiscounted) and RA at each closing: 600 + 36; 600 + 400 and 36 + 24; settled.
EX10_CLAIMS_OUTSTANDING = [[600.0], [1000.0], [0.0]]
EX10_RA = [36.0, 60.0, 0.0]
EX10_PAID = [0.0, 0.0, 1070.0]


def _example10():  # type: ignore[no-untyped-def]
    lrc = lrc_rollforward(
        EX10_PREMIUM,
        passage_of_time_pattern(EX10_COVERAGE_MONTHS),
        acquisition_paid=EX10_ACQUISITION,
        expense_acquisition=True,  # IE113: acquisition cash flows expensed when incurred (para 59(a))
        coverage_period_years=10 / 12,
    )
    lic = lic_rollforward(lic_measurement(EX10_CLAIMS_OUTSTANDING, EX10_RA), EX10_PAID)  # no discounting
    return paa_group(lrc, lic)


def _close(actual: np.ndarray, published: list[float]) -> None:
    np.testing.assert_allclose(actual, published, rtol=0, atol=1.0)


def test_example10_lrc_ie113_ie123() -> None:
    """Example 10 (IE113–IE123), LRC table: Dec 20x1 cash 1,220, revenue (732), closing 488; Jun 20x2 revenue
    (488), closing 0."""
    r = _example10()
    _close(r.lrc.premiums_received[:1], [1220])
    _close(r.lrc.insurance_revenue, [732, 488, 0])
    _close(r.lrc.closing, [488, 0, 0])
    _close(r.lrc.opening, [0, 488, 0])
    assert r.lrc.total_premium_allocated == pytest.approx(1220.0)


def test_example10_lic_ie113_ie123() -> None:
    """Example 10 (IE113–IE123), LIC table: Dec 20x1 636; Jun 20x2 1,060; Dec 20x2 insurance service expense 10,
    cash (1,070), closing 0."""
    r = _example10()
    _close(r.lic.closing, [636, 1060, 0])
    _close(r.lic.incurred_claims_expense, [636, 424, 10])
    _close(r.lic.claims_paid, [0, 0, 1070])


def test_example10_profit_or_loss_ie113_ie123() -> None:
    """Example 10 (IE113–IE123), statement of profit or loss: revenue 732, 488, –; insurance service expenses
    (656), (424), (10); profit 76, 64, (10)."""
    r = _example10()
    _close(r.insurance_revenue, [732, 488, 0])
    _close(r.insurance_service_expense, [656, 424, 10])
    _close(r.insurance_service_result, [76, 64, -10])
    _close(r.profit, [76, 64, -10])
    _close(r.lrc.acquisition_expensed, [20, 0, 0])
    np.testing.assert_array_equal(r.loss_component, 0.0)


def test_expensing_acquisition_needs_coverage_up_to_one_year_para_59a() -> None:
    with pytest.raises(InputError, match="59"):
        lrc_rollforward(
            [100.0], [1.0], acquisition_paid=[5.0], expense_acquisition=True, coverage_period_years=2.0
        )
    with pytest.raises(InputError):
        lrc_rollforward([100.0], [1.0], acquisition_paid=[5.0], expense_acquisition=True)


def test_capitalised_acquisition_and_onerous_test_hand_computed() -> None:
    """Para 55(b): 1,200 premium, 60 acquisition paid at start, amortised 30 + 30 with revenue 600 + 600:
    closing LRC 1,200 − 60 + 30 − 600 = 570, then 0. Paras 57–58: FCF of remaining coverage 700 > 570 → loss
    component 130, reversed to 0 when coverage ends."""
    lrc = lrc_rollforward([1200.0, 0.0], [0.5, 0.5], acquisition_paid=[60.0, 0.0])
    np.testing.assert_allclose(lrc.closing, [570.0, 0.0])
    np.testing.assert_allclose(lrc.acquisition_amortisation, [30.0, 30.0])
    lic = lic_rollforward([0.0, 0.0], [0.0, 0.0])
    r = paa_group(lrc, lic, fcf_remaining_coverage=[700.0, 0.0])
    np.testing.assert_allclose(r.loss_component, [130.0, 0.0])
    np.testing.assert_allclose(r.loss_component_change, [130.0, -130.0])
    np.testing.assert_allclose(r.insurance_service_expense, [160.0, -100.0])
    np.testing.assert_allclose(loss_component([500.0, 600.0], [570.0, 570.0]), [0.0, 30.0])


def test_financing_component_para_56_hand_computed() -> None:
    """1,000 received at start, two periods at 10 %, revenue X/2 each: closing_1 = 1.1 (1,100 − X/2) − X/2 = 0
    → X = 1,210 / 1.05."""
    lrc = lrc_rollforward([1000.0, 0.0], [0.5, 0.5], financing=True, interest_rates=[0.1, 0.1])
    x = 1210.0 / 1.05
    assert lrc.total_premium_allocated == pytest.approx(x, rel=1e-12)
    np.testing.assert_allclose(lrc.insurance_revenue, [x / 2, x / 2], rtol=1e-12)
    np.testing.assert_allclose(lrc.finance_expense, [100.0, 0.1 * (1100.0 - x / 2)], rtol=1e-12)
    assert lrc.closing[-1] == pytest.approx(0.0, abs=1e-9)
    # Without the flag no accretion: revenue is the premium.
    plain = lrc_rollforward([1000.0, 0.0], [0.5, 0.5])
    np.testing.assert_allclose(plain.insurance_revenue, [500.0, 500.0])
    np.testing.assert_array_equal(plain.finance_expense, 0.0)
    with pytest.raises(InputError):
        lrc_rollforward([1000.0, 0.0], [0.5, 0.5], financing=True)


def test_lic_discounted_para_59b() -> None:
    """LIC = Σ DF × claims + RA: 500 in 1 year and 500 in 2 years at 5 %, RA 40."""
    df = 1.05 ** -np.arange(1, 3)
    lic = lic_measurement([500.0, 500.0], 40.0, df)
    assert lic[0] == pytest.approx(500 / 1.05 + 500 / 1.05**2 + 40, rel=1e-12)


def test_release_pattern_must_sum_to_one() -> None:
    with pytest.raises(InputError):
        lrc_rollforward([100.0, 0.0], [0.5, 0.4])
    with pytest.raises(InputError):
        passage_of_time_pattern([0, 0])
