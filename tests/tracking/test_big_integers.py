"""Steps and timestamps are 64-bit integers and read back exactly, in every read path:
float64 (what histories once went through) rounds them above 2**53, and turns 2**63 - 1
into -2**63. Runs on SQLite, and on PostgreSQL when LABTRACK_TEST_POSTGRES is set."""

from __future__ import annotations

import numpy as np
import pytest

import labtrack as lt

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BIG = [2**53 + 1, 2**62 + 3, INT64_MAX, INT64_MIN]  # none survives a trip through float64
SMALL = list(range(-5, 6))


@pytest.fixture
def history(tracking_uri) -> tuple[str, list[tuple[int, int, float]]]:
    """A run whose metric ``m`` has (step, timestamp, value) points at the int64 extremes,
    the big steps stamped with big timestamps in the other order, logged as users do."""
    points = [
        (step, stamp, float(i))
        for i, (step, stamp) in enumerate(zip(BIG, reversed(BIG), strict=False))
    ]
    points += [(step, 1_700_000_000_000 + step, step / 2) for step in SMALL]
    with lt.start_run() as run:
        for step, stamp, value in points:
            lt.log_metric("m", value, step=step, timestamp=stamp)
        lt.flush()
    return run.info.run_id, sorted(points)


def test_metric_history_is_exact(history):
    run_id, points = history
    metrics = lt.Client().get_metric_history(run_id, "m")
    assert [(m.step, m.timestamp, m.value) for m in metrics] == points
    assert all(type(m.step) is int and type(m.timestamp) is int for m in metrics)


def test_history_columns_are_int64_and_exact(history):
    run_id, points = history
    steps, stamps, values = lt.Client().get_metric_history_columns(run_id, "m")
    assert steps.dtype == np.int64 and stamps.dtype == np.int64 and values.dtype == np.float64
    assert list(zip(steps.tolist(), stamps.tolist(), values.tolist(), strict=False)) == points


@pytest.mark.parametrize("max_points", [4, 6, 2000])
def test_chart_history_keeps_exact_steps_and_timestamps(history, max_points):
    run_id, points = history
    steps, stamps, values, total = lt.Client().get_metric_history_for_chart(run_id, "m", max_points)
    assert total == len(points) and steps.dtype == np.int64 and stamps.dtype == np.int64
    drawn = list(zip(steps.tolist(), stamps.tolist(), values.tolist(), strict=False))
    assert set(drawn) <= set(points)
    assert drawn == sorted(drawn)
    assert drawn[0] == points[0] and drawn[-1] == points[-1]  # the int64 extremes themselves


def test_a_runs_latest_metric_is_exact(history):
    run_id, points = history
    (latest,) = lt.Client().get_run(run_id).data.latest_metrics
    assert (latest.step, latest.timestamp, latest.value) == max(points)


def test_search_frame_times_are_exact(tracking_uri):
    client = lt.Client()
    starts = [2**53 + 1, 2**62 + 3, INT64_MAX]
    for start in starts:
        run = client.create_run("0", start_time=start)
        client.set_terminated(run.info.run_id, end_time=start)
    frame = lt.search_runs(experiment_ids=["0"], order_by=["start_time ASC"])
    for column in ("start_time", "end_time"):
        assert frame[column].dt.as_unit("ms").astype("int64").tolist() == starts
        assert str(frame[column].dt.tz) == "UTC"
