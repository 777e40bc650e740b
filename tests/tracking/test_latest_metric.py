"""A run's latest value of a metric: the point of the highest step, then of the latest
timestamp, then the one logged last; whatever order the points come in, however batched."""

from __future__ import annotations

import random

import pytest

import labtrack as lt


def _expected(points: list[tuple[str, float, int, int]]) -> dict[str, float]:
    """By brute force, from (key, value, step, timestamp) in the order logged."""
    best: dict[str, tuple[tuple[int, int, int], float]] = {}
    for index, (key, value, step, timestamp) in enumerate(points):
        rank = (step, timestamp, index)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, value)
    return {key: value for key, (_rank, value) in best.items()}


@pytest.mark.parametrize("runs", [1, 3], ids=["one run", "three runs"])
def test_the_latest_value_is_the_highest_step_then_the_latest_time_then_the_last_logged(
    tracking_uri, runs
):
    rng = random.Random(runs)
    client = lt.Client()
    run_ids = [client.create_run("0").info.run_id for _ in range(runs)]
    logged: dict[str, list] = {run_id: [] for run_id in run_ids}
    for _ in range(2):  # the second batch moves some values forward, never back
        # 20 steps and 5 timestamps for ~200 points a key: many ties to break.
        for _ in range(300 * runs):
            run_id, key = rng.choice(run_ids), rng.choice("abc")
            point = (key, float(rng.randrange(10_000)), rng.randrange(20), 1_000 + rng.randrange(5))
            logged[run_id].append(point)
            client.log_metric(run_id, key, point[1], timestamp=point[3], step=point[2])
        client.flush()  # one batch: one run's points alone, or three runs' mixed
        for run_id in run_ids:
            assert client.get_run(run_id).data.metrics == _expected(logged[run_id])
