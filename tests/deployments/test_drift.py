"""Drift per window and feature (labtrack.production.drift), on synthetic streams whose
distribution shifts at a known moment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labtrack.errors import InvalidParameter
from labtrack.production import drift

HOUR_MS = 3_600_000
START_MS = 1_764_500_400_000  # 2025-11-30 11:00 UTC: on the hour


def reference_frame(seed: int = 0, rows: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(0.0, 1.0, rows),
            "y": rng.uniform(0.0, 10.0, rows),
            "colour": rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2]),
        }
    )


def stream(
    windows: int = 6, shift_at: int = 3, rows: int = 400, seed: int = 1, shift: float = 1.5
) -> pd.DataFrame:
    """``windows`` hours of predictions as ``read_predictions`` gives them; from window
    ``shift_at`` (0-based) on, the mean of ``x`` moves by ``shift`` standard deviations and
    nothing else changes. The prediction depends on ``y`` only."""
    rng = np.random.default_rng(seed)
    parts = []
    for window in range(windows):
        x = rng.normal(shift if window >= shift_at else 0.0, 1.0, rows)
        y = rng.uniform(0.0, 10.0, rows)
        parts.append(
            pd.DataFrame(
                {
                    "request_id": [f"w{window}-{i}" for i in range(rows)],
                    "timestamp": START_MS + window * HOUR_MS + rng.integers(0, HOUR_MS, rows),
                    "latency_ms": rng.uniform(1, 5, rows),
                    "input.x": x,
                    "input.y": y,
                    "input.colour": rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2]),
                    "prediction": (y > 5).astype(int),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values("timestamp", ignore_index=True)


def test_a_mean_shift_is_found_in_the_windows_after_it_and_nowhere_else():
    windows = drift.drift_table(reference_frame(), stream(shift_at=3), window="1h")

    assert list(windows.columns) == drift.WINDOW_COLUMNS
    starts = sorted(windows["window_start"].unique())
    assert starts == [pd.Timestamp(START_MS + i * HOUR_MS, unit="ms", tz="UTC") for i in range(6)]
    drifted = windows[windows["drifted"]]
    assert sorted(drifted["window_start"].unique()) == starts[3:]  # no false alarm before
    assert set(drifted["feature"]) == {"x"}  # and no other feature
    x = windows[windows["feature"] == "x"].set_index("window_start")
    assert (x.loc[starts[:3], "psi"] < 0.1).all() and (x.loc[starts[3:], "psi"] > 0.5).all()
    assert (x.loc[starts[3:], "p_value"] < 1e-6).all()
    assert set(x["test"]) == {"ks"} and (x["n"] == 400).all()


def test_categories_use_chi_squared_and_a_changed_mix_drifts():
    predictions = stream(shift_at=99)
    late = predictions["timestamp"] >= START_MS + 4 * HOUR_MS
    rng = np.random.default_rng(5)
    predictions.loc[late, "input.colour"] = rng.choice(
        ["red", "green", "blue", "purple"], late.sum(), p=[0.1, 0.2, 0.3, 0.4]
    )

    windows = drift.drift_table(reference_frame(), predictions, features=["colour"])

    colour = windows[windows["feature"] == "colour"]
    assert set(colour["test"]) == {"chi2"}
    assert colour["drifted"].tolist() == [False] * 4 + [True] * 2


def test_prediction_drift_is_against_the_reference_predictions_or_else_the_first_window():
    predictions = stream(shift_at=99)
    late = predictions["timestamp"] >= START_MS + 2 * HOUR_MS
    predictions.loc[late, "prediction"] = 1  # the model now says 1 to everything
    reference = reference_frame()

    against_first = drift.drift_table(reference, predictions)
    prediction = against_first[against_first["feature"] == "prediction"]
    assert prediction["drifted"].tolist() == [False, False, True, True, True, True]

    reference["prediction"] = np.ones(len(reference), dtype=int)  # the reference agrees
    against_reference = drift.drift_table(reference, predictions)
    prediction = against_reference[against_reference["feature"] == "prediction"]
    assert prediction["drifted"].tolist() == [True, True, False, False, False, False]


def test_psi_of_identical_samples_is_zero_and_grows_with_the_shift():
    rng = np.random.default_rng(3)
    reference = pd.Series(rng.normal(0, 1, 5000))

    assert drift.psi(reference, reference) == pytest.approx(0.0, abs=1e-12)
    small, large = (drift.psi(reference, pd.Series(rng.normal(m, 1, 5000))) for m in (0.2, 1.0))
    assert 0 < small < 0.1 < 0.2 < large


def test_values_beyond_the_reference_range_count_in_the_outer_bins():
    reference = pd.Series(np.linspace(0, 1, 1000))
    # All beyond the top edge: PSI must see it, not drop the rows.
    assert drift.psi(reference, pd.Series(np.full(100, 50.0))) > 2


def test_an_empty_side_gives_nan_and_a_single_category_is_no_evidence():
    empty = pd.Series([], dtype=float)
    assert np.isnan(drift.psi(pd.Series([1.0, 2.0]), empty))
    assert drift.two_sample_test(pd.Series([1.0]), empty)[0] == "ks"
    assert drift.two_sample_test(pd.Series(["a", "a"]), pd.Series(["a"])) == ("chi2", 0.0, 1.0)


def test_live_accuracy_joins_the_latest_label_of_each_request_per_window():
    predictions = pd.DataFrame(
        {
            "request_id": ["a", "b", "c", "d"],
            "timestamp": [START_MS, START_MS + 10, START_MS + HOUR_MS, START_MS + HOUR_MS + 5],
            "prediction": [1, 0, 1, 1],
        }
    )
    feedback = pd.DataFrame(
        {
            # b relabelled later (now right); c sent back as text; d never labelled
            "request_id": ["a", "b", "b", "c"],
            "label": [1, 1, 0, "1"],
            "timestamp": [START_MS + 100, START_MS + 200, START_MS + 300, START_MS + 400],
        }
    )

    accuracy = drift.accuracy_table(predictions, feedback, "1h")

    assert list(accuracy.columns) == drift.ACCURACY_COLUMNS
    assert accuracy["window_start"].tolist() == [
        pd.Timestamp(START_MS, unit="ms", tz="UTC"),
        pd.Timestamp(START_MS + HOUR_MS, unit="ms", tz="UTC"),
    ]
    assert accuracy["accuracy"].tolist() == [1.0, 1.0]
    assert accuracy["n"].tolist() == [2, 1]


def test_no_predictions_give_empty_tables_with_the_columns():
    empty = stream().iloc[0:0]
    assert list(drift.drift_table(reference_frame(), empty).columns) == drift.WINDOW_COLUMNS
    accuracy = drift.accuracy_table(empty, empty, "1h")
    assert accuracy.empty and list(accuracy.columns) == drift.ACCURACY_COLUMNS


@pytest.mark.parametrize("window", ["", "soon", "0s", "-1h", "1us", 3600, None, True])
def test_a_bad_window_is_refused(window):
    with pytest.raises(InvalidParameter, match="window"):
        drift.parse_window(window)


def test_windows_are_parsed_and_aligned_on_the_epoch():
    assert drift.parse_window("15min") == pd.Timedelta(minutes=15)
    starts = drift.window_starts(pd.Series([START_MS + 20 * 60_000 + 7]), pd.Timedelta("15min"))
    assert starts.tolist() == [START_MS + 15 * 60_000]


@pytest.mark.parametrize(
    ("psi_threshold", "p_value", "message"),
    [
        (-0.1, 0.01, "psi_threshold"),
        (0.2, 0, "p_value"),
        (0.2, 1.5, "p_value"),
        ("x", 0.1, "must be a number"),
    ],
)
def test_bad_thresholds_are_refused(psi_threshold, p_value, message):
    with pytest.raises(InvalidParameter, match=message):
        drift.drift_table(reference_frame(), stream(), psi_threshold=psi_threshold, p_value=p_value)


def test_an_unknown_feature_is_refused_naming_the_reference_columns():
    with pytest.raises(InvalidParameter, match="'z' is not a column of the reference.*colour"):
        drift.drift_table(reference_frame(), stream(), features=["z"])
