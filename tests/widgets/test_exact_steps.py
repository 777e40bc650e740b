"""Steps and wall times beyond 2**53 reach the browser exactly: a JavaScript number (and
the float64 ``x`` buffer) rounds them, so a series then also carries ``x_exact``, each
point's integer as a decimal string, which the chart shows on hover."""

from __future__ import annotations

import numpy as np
import pytest

import labtrack as lt
from labtrack.widgets import _data

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BIG = sorted([2**53 + 1, 2**62 + 3, INT64_MAX, INT64_MIN])


def xs(line) -> np.ndarray:
    return np.frombuffer(line["x"], dtype="<f8")


@pytest.mark.parametrize("x_axis", ["step", "wall"])
def test_integers_beyond_2_53_travel_as_exact_strings(x_axis):
    stamps = BIG[::-1]  # another order than the steps: each axis reads its own column
    line = _data.series("r", "run", "m", BIG, stamps, [1.0, 2.0, 3.0, 4.0], x_axis=x_axis)
    expected = BIG if x_axis == "step" else stamps
    assert line["x_exact"] == [str(i) for i in expected]
    assert xs(line).tolist() == [float(i) for i in expected]  # what the chart positions by


def test_integers_a_browser_holds_exactly_send_no_strings():
    safe = 2**53 - 1  # Number.MAX_SAFE_INTEGER
    line = _data.series("r", "run", "m", [-safe, 0, safe], [0, 1, 2], [1.0, 2.0, 3.0])
    assert line["x_exact"] is None
    assert (
        _data.series("r", "run", "m", BIG, BIG, [0.0] * 4, x_axis="relative", start_time=0)[
            "x_exact"
        ]
        is None
    )  # seconds: a float axis


def test_relative_time_is_exact_to_the_millisecond_far_from_zero():
    start = 2**62 + 3
    line = _data.series(
        "r",
        "run",
        "m",
        [0, 1, 2],
        [start, start + 1, start + 1001],
        [1.0, 2.0, 3.0],
        x_axis="relative",
        start_time=start,
    )
    assert xs(line).tolist() == [0.0, 0.001, 1.001]
    # A span wider than int64 (from -2**63 to 2**63 - 1) still comes out, as floats.
    wide = _data.series(
        "r",
        "run",
        "m",
        [0, 1],
        [INT64_MIN, INT64_MAX],
        [1.0, 2.0],
        x_axis="relative",
        start_time=INT64_MIN,
    )
    assert xs(wide).tolist() == [0.0, float(2**64 - 1) / 1000]


def test_downsampled_points_keep_their_exact_steps():
    steps = INT64_MAX - np.arange(10_000, dtype=np.int64)[::-1] * 3
    values = np.sin(np.arange(10_000) / 100.0)
    values[4321] = 9.0
    line = _data.series("r", "run", "m", steps, steps, values, max_points=200)
    exact = [int(s) for s in line["x_exact"]]
    assert line["points"] == len(exact) <= 200 and line["total_points"] == 10_000
    assert exact[0] == steps[0] and exact[-1] == INT64_MAX
    assert set(exact) <= set(steps.tolist())
    y = np.frombuffer(line["y"], dtype="<f8")
    assert y[exact.index(int(steps[4321]))] == 9.0  # each string is its own point's step


def _logged_run(name: str) -> str:
    with lt.start_run(run_name=name) as run:
        for i, step in enumerate(BIG):
            lt.log_metric("m", float(i), step=step, timestamp=step)
        lt.flush()
    return run.info.run_id


def test_chart_and_compare_send_the_logged_steps_exactly(tracking_uri):
    first, second = _logged_run("a"), _logged_run("b")
    chart = lt.chart("m", runs=[first, second])
    try:
        assert [line["x_exact"] for line in chart.series] == [[str(s) for s in BIG]] * 2
        chart.x_axis = "wall"
        assert chart.series[0]["x_exact"] == [str(s) for s in BIG]
    finally:
        chart.close()
    compare = lt.compare(first, second, metric="m")
    assert [line["x_exact"] for line in compare.series] == [[str(s) for s in BIG]] * 2
