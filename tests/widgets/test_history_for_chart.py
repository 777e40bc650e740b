"""A long history reaches a chart as at most ``max_points`` points that keep its spikes and
dips, picked by the store on SQLite (one query per step range) or downsampled in the kernel."""

from __future__ import annotations

import math

import numpy as np

import labtrack as lt
from labtrack.widgets import _data


def _logged(client, values) -> str:
    run = client.create_run("0")
    pk = client.store.runs.run_pk(run.info.run_id)
    client.store.metrics.insert_metrics(
        [(pk, "loss", v, 1_700_000_000_000 + i, i) for i, v in enumerate(values)]
    )
    return run.info.run_id


def _drawn(client, run_id: str, max_points: int):
    steps, stamps, values, total = client.get_metric_history_for_chart(run_id, "loss", max_points)
    line = _data.series(
        run_id, "r", "loss", steps, stamps, values, max_points=max_points, total_points=total
    )
    return np.frombuffer(line["x"]), np.frombuffer(line["y"]), line


def test_a_long_history_keeps_its_spikes_ends_and_count(tracking_uri):
    client = lt.Client()
    values = [math.sin(i / 300) for i in range(10_000)]
    values[1234], values[7777] = 1000.0, -1000.0
    for i in range(5000, 5300):  # a stretch of NaN: drawn as a gap
        values[i] = float("nan")
    run_id = _logged(client, values)
    x, y, line = _drawn(client, run_id, max_points=200)
    assert line["points"] <= 200 and line["total_points"] == 10_000
    assert {0.0, 9999.0} <= set(x)
    assert y[x == 1234.0][0] == 1000.0 and y[x == 7777.0][0] == -1000.0
    assert np.isnan(y).any() and not np.isnan(y[(x < 5000) | (x >= 5300)]).any()
    assert (np.diff(x) > 0).all()  # in step order, no point twice
    # No peak or dip is lost anywhere: each window's drawn extremes reach those of the full
    # history inside it (away from its edges, where a range may straddle the window's border).
    full, margin = np.array(values), 110
    for start in range(0, 10_000, 1000):
        inside = full[start + margin : start + 1000 - margin]
        shown = y[(x >= start) & (x < start + 1000)]
        if not np.isnan(inside).all():
            assert np.nanmax(shown) >= np.nanmax(inside) and np.nanmin(shown) <= np.nanmin(inside)


def test_a_short_history_is_drawn_whole(tracking_uri):
    client = lt.Client()
    run_id = _logged(client, [float(i) for i in range(150)])
    x, y, line = _drawn(client, run_id, max_points=200)
    assert list(x) == list(range(150)) and line["points"] == line["total_points"] == 150
