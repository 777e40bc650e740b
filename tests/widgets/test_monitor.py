"""MonitorChart: a Monitor's drift windows and live accuracy as the front end's state."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from labtrack.errors import InvalidParameter
from labtrack.widgets.monitor import MonitorChart, MonitorState, monitor_state

from .test_contract import FIXTURES, _jsonable, _shape, _state, _typed_dicts_checked

HOUR_MS = 3_600_000
T0 = pd.Timestamp("2026-11-30 08:00", tz="UTC")


@dataclass
class FakeMonitor:
    """What lt.monitor() returns, as far as the chart reads it (labtrack.production.monitor)."""

    windows: pd.DataFrame
    accuracy: pd.DataFrame
    deployment: str = "iris-prod"
    run_id: str = "r" * 32
    window: str = "1h"
    psi_threshold: float = 0.2
    p_value: float = 0.01
    extra: dict = field(default_factory=dict)


def drifting_monitor(hours: int = 4, shift_at: int = 2) -> FakeMonitor:
    """Two features and the prediction over ``hours`` windows; ``x`` drifts from ``shift_at``."""
    rows = []
    for h in range(hours):
        start = T0 + pd.Timedelta(hours=h)
        drift = h >= shift_at
        rows += [
            (start, "prediction", 0.05, "chi2", 1.0, 0.5, 100, False),
            (start, "x", 0.9 if drift else 0.02, "ks", 0.4, 1e-9 if drift else 0.6, 100, drift),
            (start, "colour", np.nan if h == 0 else 0.01, "chi2", 0.1, 0.9, 100, False),
        ]
    windows = pd.DataFrame(
        rows,
        columns=["window_start", "feature", "psi", "test", "statistic", "p_value", "n", "drifted"],
    )
    accuracy = pd.DataFrame(
        {
            "window_start": [T0 + pd.Timedelta(hours=h) for h in range(hours)],
            "accuracy": [0.95 if h < shift_at else 0.6 for h in range(hours)],
            "n": [40] * hours,
        }
    )
    return FakeMonitor(windows, accuracy)


def test_state_has_a_series_per_feature_with_the_prediction_last():
    chart = MonitorChart(drifting_monitor())
    assert [f["feature"] for f in chart.features] == ["x", "colour", "prediction"]
    x = chart.features[0]
    start = int(T0.timestamp() * 1000)
    assert x["window_start"] == [start + h * HOUR_MS for h in range(4)]
    assert x["test"] == "ks" and x["drifted"] == [False, False, True, True]
    assert x["psi"] == [0.02, 0.02, 0.9, 0.9] and x["n"] == [100] * 4
    assert chart.features[1]["psi"][0] is None  # NaN travels as null
    assert chart.accuracy["accuracy"] == [0.95, 0.95, 0.6, 0.6]
    assert (chart.psi_threshold, chart.p_threshold, chart.window_ms) == (0.2, 0.01, HOUR_MS)
    assert chart.deployment == "iris-prod" and chart.selected == ["r" * 32]
    assert chart.drifted_windows() == [(start + 2 * HOUR_MS, ["x"]), (start + 3 * HOUR_MS, ["x"])]


def test_windows_are_drawn_oldest_first_and_naive_times_read_as_utc():
    monitor = drifting_monitor()
    monitor.windows = monitor.windows.iloc[::-1].assign(
        window_start=lambda f: f["window_start"].dt.tz_localize(None)
    )
    monitor.window = None  # the gap between windows gives their length
    chart = MonitorChart(monitor)
    starts = chart.features[0]["window_start"]
    assert starts == sorted(starts) and starts[0] == int(T0.timestamp() * 1000)
    assert chart.window_ms == HOUR_MS


def test_update_redraws_from_a_newer_monitor():
    chart = MonitorChart(drifting_monitor(hours=2))
    assert chart.drifted_windows() == []
    chart.update(drifting_monitor(hours=3))
    assert len(chart.features[0]["window_start"]) == 3 and len(chart.drifted_windows()) == 1


def test_no_windows_yet_says_what_to_do():
    empty = drifting_monitor()
    empty.windows, empty.accuracy = empty.windows.iloc[:0], empty.accuracy.iloc[:0]
    chart = MonitorChart(empty)
    assert chart.features == [] and "--log-predictions" in chart.empty_message
    assert "--log-predictions" in chart._repr_mimebundle_()[0]["text/plain"]


def test_bad_monitor_is_refused_at_the_call():
    broken = drifting_monitor()
    broken.windows = broken.windows.drop(columns=["psi"])
    with pytest.raises(InvalidParameter, match="no column 'psi'"):
        MonitorChart(broken)
    broken = drifting_monitor()
    broken.accuracy = [0.9]
    with pytest.raises(InvalidParameter, match="accuracy must be a pandas DataFrame"):
        MonitorChart(broken)


def test_fallback_table_marks_the_drifted_windows():
    chart = MonitorChart(drifting_monitor())
    header, rows, caption = chart.fallback_table()
    assert header == ["window (UTC)", "feature", "PSI", "p", "n", "drifted"]
    assert ["2026-11-30 10:00", "x", "0.9", "1e-09", 100, "DRIFT"] in rows
    assert "PSI > 0.2 and p < 0.01" in caption and "iris-prod" in caption
    assert "<td>DRIFT</td>" in chart._repr_mimebundle_()[0]["text/html"]


def test_state_matches_the_contract_and_the_front_end_fixture():
    chart = MonitorChart(drifting_monitor())
    assert MonitorChart.state_type is MonitorState
    state = _state(chart)
    assert state == {**monitor_state(chart.monitor)}
    met = _typed_dicts_checked(state, MonitorState, "monitor")
    assert met == {"MonitorState", "MonitorFeature", "MonitorAccuracy"}
    path = FIXTURES / "monitor.json"
    if os.environ.get("LABTRACK_WRITE_FIXTURES"):
        path.write_text(json.dumps(_jsonable(state), indent=1, sort_keys=True) + "\n")
    fixture = json.loads(path.read_text())
    assert sorted(fixture) == sorted(state)
    for key, value in state.items():
        if value and fixture[key] not in ([], {}, None, ""):
            assert _shape(value) == _shape(fixture[key]), key


def test_a_monitor_lt_monitor_computed_draws_its_shift_in_the_right_window():
    from labtrack.production import drift
    from labtrack.production.monitor import Monitor

    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 2000), "colour": rng.choice(["r", "g"], 2000)})
    start_ms = int(T0.timestamp() * 1000)
    hours = np.repeat(np.arange(4), 300)
    x = rng.normal(0, 1, len(hours)) + np.where(hours >= 2, 3.0, 0.0)  # shifts at hour 2
    predictions = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(len(hours))],
            "timestamp": start_ms + hours * HOUR_MS + rng.integers(0, HOUR_MS, len(hours)),
            "input.x": x,
            "input.colour": rng.choice(["r", "g"], len(hours)),
            "prediction": (x > 0.5).astype(int),
        }
    )
    feedback = pd.DataFrame(
        {"request_id": predictions["request_id"], "label": 1, "timestamp": start_ms}
    )
    window = drift.parse_window("1h")
    windows = drift.drift_table(reference, predictions, window, 0.2, 0.01)
    accuracy = drift.accuracy_table(predictions, feedback, window)
    monitor = Monitor("iris-prod", "r" * 32, window, 0.2, 0.01, windows, accuracy)
    chart = MonitorChart(monitor)
    assert [f["feature"] for f in chart.features] == ["x", "colour", "prediction"]
    assert [start for start, _ in chart.drifted_windows()][:1] == [start_ms + 2 * HOUR_MS]
    assert all(features != ["colour"] for _, features in chart.drifted_windows())
    assert chart.window_ms == HOUR_MS and len(chart.accuracy["accuracy"]) == 4
    data = monitor._repr_mimebundle_()[0]  # displaying the Monitor shows the chart
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "window (UTC)" in data["text/plain"]
