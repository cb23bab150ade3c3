"""The projection on a Dask cluster (LocalCluster, 2 worker processes) gives results identical to the local run."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from aktuar.core.projection import (
    FLOW_FIELDS,
    AnnualSpotRates,
    Assumptions,
    DecrementTable,
    ModelPoints,
    project,
)
from aktuar.distributed import project as project_dask
from aktuar.errors import InputError

distributed = pytest.importorskip("distributed")

PV = ("premium_per_payment", "pv_premiums", "pv_claims", "pv_morbidity", "pv_annuities", "pv_maturities",
      "pv_expenses", "pv_commissions", "pv_net_cf")


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _portfolio(n: int) -> tuple[ModelPoints, Assumptions]:
    rng = np.random.default_rng(84)
    product = rng.choice(["term", "endowment", "annuity"], n, p=[0.6, 0.3, 0.1])
    term = rng.integers(1, 30, n)
    mp = ModelPoints(
        age_at_entry=rng.integers(20, 65, n), policy_term=term, sum_insured=rng.integers(1, 100, n) * 10_000.0,
        policy_count=rng.integers(0, 40, n).astype(float), duration_mth=rng.integers(-24, 12, n),
        premium=rng.uniform(10, 500, n), product=product, premium_frequency=rng.choice([12, 1, 0], n),
        annuity_amount=np.where(product == "annuity", 1_000.0, 0.0),
        annuity_deferral=np.where(product == "annuity", rng.integers(0, 1, n), 0),
        sex=rng.choice(["M", "F"], n), group=rng.choice([f"P{i}/{y}" for i in range(3) for y in (2023, 2024)], n),
    )
    ages = np.arange(18, 121)
    q = np.minimum(1.0, 0.0004 * np.exp(0.085 * (ages - 18)))
    a = Assumptions(
        mortality={"M": DecrementTable.select_ultimate(np.column_stack([0.7 * q, 0.85 * q, q]), 18),
                   "F": DecrementTable.by_age(0.8 * q, 18)},
        lapse=DecrementTable.by_duration([0.12, 0.08, 0.05, 0.03]),
        morbidity=DecrementTable.by_age(np.full(ages.size, 0.002), 18),
        discount=AnnualSpotRates(np.linspace(0.12, 0.08, 30)),
        acquisition_expense=5_000.0, maintenance_expense=3_000.0, premium_expense=0.02, expense_inflation=0.06,
        commission=(0.3, 0.05), claims_timing="end",
    )
    return mp, a


@pytest.mark.req("KZ84-FCF")
def test_dask_results_identical_to_local(client: object) -> None:
    mp, a = _portfolio(3_000)
    local = project(mp, a, chunk_size=700)
    remote = project_dask(mp, a, chunk_size=700, client=client, points_per_task=1_500)
    for name in PV:
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name), err_msg=name)
    for name in FLOW_FIELDS:
        np.testing.assert_array_equal(getattr(remote.flows, name), getattr(local.flows, name), err_msg=name)
    assert remote.groups == local.groups and remote.months == local.months
    np.testing.assert_array_equal(remote.discount_factors, local.discount_factors)
    # Without a client the same entry point runs locally.
    np.testing.assert_array_equal(project_dask(mp, a, chunk_size=700).pv_net_cf, local.pv_net_cf)


def test_dask_by_scheduler_address(client: object) -> None:
    mp, a = _portfolio(200)
    address = client.scheduler.address  # type: ignore[attr-defined]
    remote = project_dask(mp, a, chunk_size=64, scheduler=address)
    np.testing.assert_array_equal(remote.pv_net_cf, project(mp, a, chunk_size=64).pv_net_cf)


def test_dask_bad_scheduler_address_is_an_input_error() -> None:
    mp, a = _portfolio(5)
    with pytest.raises(InputError, match="cannot connect to the Dask scheduler"):
        project_dask(mp, a, scheduler="tcp://127.0.0.1:1", connect_timeout=1.0)
