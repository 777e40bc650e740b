"""Payload building: downsampling keeps extremes within a bounded number of points."""

from __future__ import annotations

import numpy as np

from labtrack.widgets import _data


def test_short_series_are_untouched():
    x, y = np.arange(10.0), np.arange(10.0) ** 2
    small_x, small_y = _data.downsample(x, y, 100)
    assert (small_x == x).all() and (small_y == y).all()


def test_a_million_points_come_down_to_the_budget_keeping_spikes_and_dips():
    rng = np.random.default_rng(0)
    y = rng.normal(size=1_000_000)
    y[123_457] = 50.0  # a spike
    y[765_432] = -50.0  # a dip
    x = np.arange(len(y), dtype=float)
    small_x, small_y = _data.downsample(x, y, 2000)
    assert len(small_y) <= 2000
    assert 50.0 in small_y and -50.0 in small_y
    assert small_x[0] == 0 and small_x[-1] == len(y) - 1  # the ends stay
    assert (np.diff(small_x) > 0).all()  # still in x order
    for low, high in zip(
        range(0, 1_000_000, 100_000), range(100_000, 1_000_001, 100_000), strict=False
    ):
        window = (small_x >= low) & (small_x < high)
        assert small_y[window].max() == y[low:high].max()  # every region keeps its extremes
        assert small_y[window].min() == y[low:high].min()


def test_nan_gaps_survive_downsampling():
    y = np.ones(10_000)
    y[5000:6000] = np.nan
    _, small_y = _data.downsample(np.arange(10_000.0), y, 200)
    assert np.isnan(small_y).any() and np.nanmax(small_y) == 1.0


def test_series_encodes_little_endian_float64_and_counts_points():
    line = _data.series(
        "r1",
        "run",
        "loss",
        steps=list(range(5000)),
        timestamps=list(range(1000, 6000)),
        values=[float(i) for i in range(5000)],
        x_axis="relative",
        start_time=1000,
        max_points=500,
    )
    x = np.frombuffer(line["x"], dtype="<f8")
    y = np.frombuffer(line["y"], dtype="<f8")
    assert line["points"] == len(x) == len(y) <= 500 and line["total_points"] == 5000
    assert x[0] == 0.0 and x[-1] == 4.999  # seconds since the run started
    assert y[-1] == 4999.0


def test_json_values_turn_nan_into_null():
    assert _data.json_values([1.0, float("nan"), np.float64("nan"), np.int64(3), None, "x"]) == [
        1.0,
        None,
        None,
        3,
        None,
        "x",
    ]
