"""One downsampling rule for charts: the store picks a long history's points in SQL (SQLite
and PostgreSQL alike), and a whole history from a store that cannot (a tracking server) is
downsampled by the same rule in numpy, so a curve is drawn the same from every store.
Runs on SQLite, and on PostgreSQL when LABTRACK_TEST_POSTGRES is set."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sqlalchemy as sa

import labtrack as lt
from labtrack.store.sql.base import Database
from labtrack.store.sql.metrics import Metrics
from labtrack.tracking import downsampling


def _values(count: int) -> list[float]:
    values = [round(math.sin(i / 97), 3) for i in range(count)]  # rounded: many ties
    values[1234], values[3001] = 1000.0, -1000.0
    values[700], values[4200] = math.inf, -math.inf  # beyond every other value
    values[4500:4560] = [0.0, -0.0] * 30  # ties of zeros of both signs
    for i in range(2000, 2300):  # NaN stretches: gaps, one of them a whole range
        values[i] = float("nan")
    return values


def _whole_int64_range(i: int) -> int:
    """Steps from -2**63 to 2**63 - 1; both 32-bit halves of most of them are not zero."""
    return 2**63 - 1 if i == 4999 else -(2**63) + i * ((2**64 - 1) // 4999) + i % 7


def _logged(client, points: list[tuple[int, int, float]]) -> str:
    run = client.create_run("0")
    pk = client.store.runs.run_pk(run.info.run_id)
    client.store.metrics.insert_metrics([(pk, "loss", v, ts, s) for s, ts, v in points])
    return run.info.run_id


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(lambda i: i, id="dense"),
        pytest.param(lambda i: i * i, id="sparse-uneven"),
        pytest.param(lambda i: -(2**62) + i * 2**50, id="huge-span"),
        pytest.param(_whole_int64_range, id="whole-int64-range"),
    ],
)
@pytest.mark.parametrize("buckets", [1, 7, 99])
def test_the_store_picks_what_the_numpy_rule_picks(tracking_uri, steps, buckets):
    client = lt.Client()
    values = _values(5000)
    points = [(steps(i), 1_700_000_000_000 + i % 3, v) for i, v in enumerate(values)]
    points += [(steps(10), 1_700_000_000_100, 5.0)]  # a second point at one step
    # A tie at one step: the lowest point's twin, logged later with an earlier timestamp.
    points += [(steps(3001), 1_699_999_999_000, -1000.0)]
    run_id = _logged(client, points)

    picked = client.store.metrics.metric_history_extremes(run_id, "loss", buckets)
    assert picked is not None, "a long history is picked in SQL on every SQL store"
    whole = client.store.metrics.metric_history_arrays(run_id, "loss")
    expected = downsampling.step_range_extremes(*whole, buckets)

    *columns, total = picked
    assert total == len(points)
    assert [c.tolist() for c in columns[:2]] == [c.tolist() for c in expected[:2]]
    np.testing.assert_array_equal(columns[2], expected[2])  # NaN where NaN
    assert len(columns[0]) <= 2 * buckets + 2


def test_the_rule_keeps_spikes_ends_and_gaps():
    values = np.array(_values(5000))
    steps = np.arange(5000, dtype=np.int64)
    kept_steps, _, kept = downsampling.step_range_extremes(steps, steps, values, 50)
    assert len(kept) <= 102 and kept_steps[0] == 0 and kept_steps[-1] == 4999
    assert 1000.0 in kept and -1000.0 in kept
    assert np.isnan(kept).any()  # the NaN stretch covers a whole range: drawn as a gap
    assert not np.isnan(kept[(kept_steps < 2000) | (kept_steps >= 2300)]).any()
    assert (np.diff(kept_steps) > 0).all()


def test_a_short_history_is_read_whole(tracking_uri):
    client = lt.Client()
    run_id = _logged(client, [(i, 1_700_000_000_000, float(i)) for i in range(50)])
    assert client.store.metrics.metric_history_extremes(run_id, "loss", 24) is None
    steps, _, values, total = client.get_metric_history_for_chart(run_id, "loss", 50)
    assert steps.tolist() == list(range(50)) and total == 50


@pytest.mark.postgres_only(
    reason="PostgreSQL reads a long history on two connections (SQLite on one)"
)
def test_a_long_history_is_picked_on_postgres_from_a_pool_of_one_connection(tracking_uri):
    """The halves run on two connections at once, yet no thread holds one while waiting
    for another: a pool with a single connection still serves the read (a tracking server's
    pool may be short of them), instead of timing out."""
    client = lt.Client()
    run_id = _logged(client, [(i, 1_700_000_000_000 + i, float(i % 17)) for i in range(3000)])
    url = tracking_uri.replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        one_connection = Metrics(Database(engine), client.store.runs)
        picked = one_connection.metric_history_extremes(run_id, "loss", 50)
    finally:
        engine.dispose()
    assert picked is not None and picked[3] == 3000
    expected = client.store.metrics.metric_history_extremes(run_id, "loss", 50)
    assert [c.tolist() for c in picked[:3]] == [c.tolist() for c in expected[:3]]
