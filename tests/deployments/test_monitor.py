"""``lt.monitor`` end to end on a deployment run: predictions written by ``PredictionLog`` in
one-second windows (a synthetic stream whose ``x`` shifts at the third window), the drift
found there and only there, logged as metrics, alerted once per window (webhook included),
a pipeline run once on new drift; the reference from a run's logged dataset; the CLI."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.errors import InvalidParameter, NotFound
from labtrack.production.monitor import ALERTED_TAG, ON_DRIFT_TAG, Monitor, metric_key
from labtrack.production.predictions import (
    FEEDBACK_FOLDER,
    PredictionLog,
    log_feedback,
    read_predictions,
)
from labtrack.production.record import start_deployment
from labtrack.widgets.monitor import MonitorChart

from ..tracking.test_alerts import hook  # noqa: F401 (the webhook fixture)
from ..waiting import wait_until

WINDOW = "1s"  # metric steps are whole seconds: no shorter window
ROWS = 300
SHIFT = 2  # the first window of the stream where x has shifted


def reference_frame(seed: int = 0, rows: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(0.0, 1.0, rows), "colour": rng.choice(["red", "blue"], rows)}
    )


def batch(rng: np.random.Generator, shifted: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": rng.normal(1.5 if shifted else 0.0, 1.0, ROWS),
            "colour": rng.choice(["red", "blue"], ROWS),
        }
    )


def now_window() -> int:
    return time.time_ns() // 1_000_000_000


def send_stream(run_id: str, windows: int = 4, shift_at: int = 2, seed: int = 1) -> list:
    """One request of ``ROWS`` rows per one-second window, each in a window of its own (the
    next is sent once the clock is past the last one's); ``x`` shifts from window
    ``shift_at`` (0-based). Returns the window starts (pd.Timestamp), in order."""
    rng = np.random.default_rng(seed)
    log = PredictionLog(lt.Client(), run_id, flush_seconds=60)
    last = None
    try:
        for index in range(windows):
            if last is not None:
                wait_until(
                    lambda last=last: now_window() > last, what="the next window", interval=0.01
                )
            inputs = batch(rng, shifted=index >= shift_at)
            outputs = (inputs["colour"] == "red").astype(int).to_numpy()
            assert log.record(f"req-{index}", inputs, outputs, latency_ms=2.0)
            last = now_window()  # at or after the request's own timestamp
    finally:
        log.close()
    # The timestamps PredictionLog gave, read back: each request is in a window of its own.
    seen = (
        read_predictions(lt.Client(), run_id).groupby("request_id")["timestamp"].agg(["min", "max"])
    )
    assert len(seen) == windows and (seen["min"] // 1000 == seen["max"] // 1000).all()
    ordered = sorted(seen["min"] // 1000)
    assert len(set(ordered)) == windows
    return [pd.Timestamp(second * 1000, unit="ms", tz="UTC") for second in ordered]


@pytest.fixture
def deployment(tracking_uri):
    """A recorded deployment (no server: its run is what the monitor reads)."""
    running = start_deployment("iris", "models:/iris@champion", "http://127.0.0.1:1")
    yield running
    running.stop()


@pytest.fixture
def drifting(deployment):
    """The deployment with the four-window stream logged (clean, clean, shifted, shifted);
    the window starts. Each test using it waits about 3 s for the clock."""
    return send_stream(deployment.run_id)


def alerts_of(run_id: str) -> list:
    return lt.search_alerts(run_ids=[run_id])


def test_the_shift_is_found_from_its_window_on_in_x_only_and_logged(deployment, drifting):
    result = lt.monitor("iris", reference_frame(), window=WINDOW, psi_threshold=0.3, alert=False)

    assert isinstance(result, Monitor) and result.run_id == deployment.run_id
    assert sorted(result.windows["window_start"].unique()) == drifting
    found = result.drifted_windows()
    assert found["window_start"].tolist() == drifting[SHIFT:]  # no false alarm before the shift
    assert found["features"].tolist() == [["x"]] * 2
    assert set(result.windows["feature"]) == {"x", "colour", "prediction"}
    assert (result.psi_threshold, result.p_value) == (0.3, 0.01)

    client = lt.Client()
    steps = [int(t.value // 1_000_000_000) for t in drifting]
    for key in ("drift/psi/x", "drift/p_value/x", "drift/psi/colour", "drift/prediction_psi"):
        history = client.get_metric_history(deployment.run_id, key)
        assert sorted(m.step for m in history) == steps, key
    psi_x = {m.step: m.value for m in client.get_metric_history(deployment.run_id, "drift/psi/x")}
    assert all(psi_x[s] > 0.3 for s in steps[SHIFT:])
    assert all(psi_x[s] < 0.3 for s in steps[:SHIFT])

    # Displayed, it is the chart widget, drawn from these windows and thresholds.
    assert "<td>DRIFT</td>" in result._repr_mimebundle_()[0]["text/html"]  # (no kernel here)
    chart = MonitorChart(result)
    assert (chart.psi_threshold, chart.p_threshold, chart.window_ms) == (0.3, 0.01, 1000)
    assert chart.drifted_windows() == [(s * 1000, ["x"]) for s in steps[SHIFT:]]

    # A second look logs nothing new: the same steps, not a second point at each.
    lt.monitor("iris", reference_frame(), window=WINDOW, psi_threshold=0.3, alert=False)
    assert len(client.get_metric_history(deployment.run_id, "drift/psi/x")) == len(steps)
    assert alerts_of(deployment.run_id) == []  # alert=False


PIPELINE = """
    name: retrain
    steps:
      retrain:
        entry_point: main
"""
MLPROJECT = """
    name: retrain
    entry_points:
      main:
        command: "python retrain.py"
"""
RETRAIN = """
    from pathlib import Path
    with open(Path(__file__).parent.parent / "retrained.txt", "a") as trace:
        trace.write("retrained\\n")
"""


def retrain_pipeline(folder: Path) -> Path:
    """A one-step pipeline that appends a line to ``retrained.txt`` beside ``folder``."""
    folder.mkdir()
    for name, text in (("pipeline.yaml", PIPELINE), ("MLproject", MLPROJECT)):
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    (folder / "retrain.py").write_text(textwrap.dedent(RETRAIN))
    return folder / "pipeline.yaml"


def test_new_drift_alerts_once_per_window_with_the_webhook_and_runs_the_pipeline_once(
    deployment,
    drifting,
    hook,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    server = hook()
    pipeline = retrain_pipeline(tmp_path / "retrain")

    first = lt.monitor("iris", reference_frame(), window=WINDOW, on_drift=pipeline, log=False)

    stored = alerts_of(deployment.run_id)
    assert [a.level for a in stored] == ["WARN"] * 2
    assert all(a.title.startswith("Drift in iris at ") and a.title.endswith(": x") for a in stored)
    assert all("psi" in a.text and "ks p" in a.text for a in stored)
    assert first.new_drifts == drifting[SHIFT:] and first.alerts == stored
    wait_until(lambda: len(server.bodies) == 2, what="two webhook posts")
    # The pipeline ran once for both windows, and the alerts name its run.
    assert (tmp_path / "retrained.txt").read_text() == "retrained\n"
    assert lt.get_run(first.pipeline_run_id).info.status == "FINISHED"
    assert all(first.pipeline_run_id in a.text for a in stored)

    second = lt.monitor("iris", reference_frame(), window=WINDOW, on_drift=pipeline, log=False)

    assert second.new_drifts == [] and second.alerts == [] and second.pipeline_run_id is None
    assert len(alerts_of(deployment.run_id)) == 2
    assert (tmp_path / "retrained.txt").read_text() == "retrained\n"  # not run again
    tags = lt.Client().get_run(deployment.run_id).data.tags
    for tag in (ALERTED_TAG, ON_DRIFT_TAG):
        assert tags[tag] == ",".join(str(t.value // 1_000_000) for t in drifting[SHIFT:])


def test_live_accuracy_comes_from_the_feedback_joined_on_request_ids(deployment):
    log = PredictionLog(lt.Client(), deployment.run_id)
    frame = pd.DataFrame({"x": [0.1], "colour": ["red"]})
    for index in range(8):
        log.record(f"r{index}", frame, [index % 2], latency_ms=1.0)
    log.close()
    # Labels for six of the eight: four right (r0, r1, r2, r3), two wrong (r4, r5).
    labels = [("r0", 0), ("r1", 1), ("r2", 0), ("r3", "1"), ("r4", 1), ("r5", 0)]
    log_feedback(lt.Client(), deployment.run_id, labels)

    result = lt.monitor("iris", reference_frame(), window="1h", alert=False)

    assert result.accuracy["n"].sum() == 6
    weighted = (result.accuracy["accuracy"] * result.accuracy["n"]).sum() / 6
    assert weighted == pytest.approx(4 / 6)
    history = lt.Client().get_metric_history(deployment.run_id, "live/accuracy")
    assert sorted(m.value for m in history) == sorted(result.accuracy["accuracy"])


def test_a_bad_on_drift_file_is_refused_before_anything_is_computed(deployment, tmp_path):
    with pytest.raises(InvalidParameter, match="no pipeline file"):
        lt.monitor("iris", reference_frame(), on_drift=tmp_path / "missing.yaml")


def test_the_reference_is_a_runs_logged_dataset_or_table(deployment, drifting, tmp_path):
    path = tmp_path / "train.parquet"
    reference_frame().to_parquet(path)
    lt.set_experiment("training")
    with lt.start_run() as training:
        dataset = lt.data.from_pandas(reference_frame(), source=str(path), name="train")
        lt.log_input(dataset, context="training")
        lt.log_table(reference_frame(), "reference.parquet")
    run_id = training.info.run_id

    for reference in (run_id, f"runs:/{run_id}", f"runs:/{run_id}/reference.parquet"):
        result = lt.monitor("iris", reference, window=WINDOW, alert=False, log=False)
        assert result.drifted_windows()["window_start"].tolist() == drifting[SHIFT:], reference


def test_a_run_without_a_readable_dataset_is_a_clear_error(deployment):
    lt.set_experiment("training")
    with lt.start_run() as bare:
        pass
    with lt.start_run() as in_code:
        lt.log_input(lt.data.from_pandas(reference_frame(), name="made-here"))

    with pytest.raises(InvalidParameter, match="logged no dataset"):
        lt.monitor("iris", bare.info.run_id)
    with pytest.raises(InvalidParameter, match="made in code"):
        lt.monitor("iris", in_code.info.run_id)
    with pytest.raises(InvalidParameter, match="reference must be"):
        lt.monitor("iris", 42)


def test_an_unknown_deployment_is_not_found_and_a_bad_argument_refused(deployment):
    with pytest.raises(NotFound, match="no deployment named 'nope'"):
        lt.monitor("nope", reference_frame())
    with pytest.raises(InvalidParameter, match="window"):
        lt.monitor("iris", reference_frame(), window="often")
    with pytest.raises(InvalidParameter, match="alert must be True or False"):
        lt.monitor("iris", reference_frame(), alert="yes")


def test_no_predictions_yet_is_an_empty_monitor(deployment):
    result = lt.monitor("iris", reference_frame(), alert=True)
    assert result.windows.empty and result.accuracy.empty
    assert result.drifted_windows().empty and result.new_drifts == []
    assert "0 windows" in repr(result)


def test_labtrack_monitor_prints_the_table_and_the_drifted_windows(
    deployment, drifting, tmp_path, capsys
):
    path = tmp_path / "reference.csv"
    reference_frame().to_csv(path, index=False)

    assert main(["monitor", "iris", "--reference", str(path), "--window", WINDOW]) == 0

    out = capsys.readouterr().out
    assert "window_start" in out and "psi" in out and "p_value" in out
    drift_lines = [line for line in out.splitlines() if line.startswith("drift at ")]
    assert len(drift_lines) == 2 and all(line.endswith(": x") for line in drift_lines)
    assert alerts_of(deployment.run_id) == []  # the command reads only, unless --alert

    assert main(["monitor", "iris", "--reference", str(path), "--window", WINDOW, "--alert"]) == 0
    assert len(alerts_of(deployment.run_id)) == 2


def test_labtrack_monitor_of_an_unknown_deployment_says_so(tracking_uri, capsys):
    assert main(["monitor", "nope", "--reference", "x.csv"]) == 2
    assert "no deployment named 'nope'" in capsys.readouterr().err


def test_a_served_deployment_is_monitored_against_the_data_its_model_was_trained_on(
    tmp_path, tracking_uri, iris, iris_classifier
):
    X, y = iris
    path = tmp_path / "train.parquet"
    X.to_parquet(path)
    with lt.start_run():
        lt.log_input(lt.data.from_pandas(X, source=str(path), name="iris"), context="training")
        lt.log_model(iris_classifier, "model", input_example=X[:3], registered_model_name="iris")
    # Production sees longer petals than training did; the other features are as trained.
    rows = X.sample(60, random_state=0)
    rows["petal length (cm)"] += 3.0
    with lt.serve(
        "models:/iris/1", port=0, background=True, deployment="iris-prod", log_predictions=True
    ) as server:
        ids = []
        for index in range(len(rows)):
            response = httpx.post(
                f"{server.url}/invocations",
                json={"dataframe_records": rows.iloc[[index]].to_dict(orient="records")},
                timeout=30,
            )
            ids.append(response.headers["X-Request-Id"])
        labels = [
            {"request_id": i, "label": int(y[r])} for i, r in zip(ids, rows.index, strict=True)
        ]
        answer = httpx.post(f"{server.url}/feedback", json=labels[:40], timeout=30)
        assert answer.status_code == 200

    result = lt.monitor("iris-prod", window="1h")  # reference: the training run's dataset

    drifted = result.windows[result.windows["drifted"]]
    assert set(drifted["feature"]) == {"petal length (cm)"}
    assert result.windows.groupby("window_start")["drifted"].any().all()  # each window
    assert result.windows["n"].groupby(result.windows["feature"]).sum().to_dict() == {
        **{feature: 60 for feature in X.columns},
        "prediction": 60,
    }
    assert result.accuracy["n"].sum() == 40
    assert len(lt.search_alerts(run_ids=[result.run_id])) == len(result.new_drifts) >= 1


HOUR_MS = 3_600_000


def write_windows(run_id: str, starts_ms: list[int], shift: float, prefix: str = "r") -> list:
    """Predictions of 40 requests (one row each, prediction 0) in each one-second window of
    ``starts_ms``, ``x`` shifted by ``shift``, written straight into the run's hour
    partitions (no waiting on the clock); the request ids, in order."""
    from labtrack.production.predictions import _parquet_bytes, _part_path, _repository

    rng = np.random.default_rng(len(starts_ms))
    rows = 40
    timestamps = np.repeat(starts_ms, rows) + np.tile(np.arange(rows) * 10, len(starts_ms))
    frame = pd.DataFrame(
        {
            "request_id": [f"{prefix}{index}" for index in range(len(timestamps))],
            "timestamp": timestamps.astype("int64"),
            "latency_ms": 1.0,
            "input.x": rng.normal(shift, 1.0, len(timestamps)),
            "input.colour": rng.choice(["red", "blue"], len(timestamps)),
            "prediction": 0,
        }
    )
    repository = _repository(lt.Client(), run_id)
    for hour, part in frame.groupby(frame["timestamp"] // HOUR_MS):
        repository.write_bytes(_part_path("predictions", hour), _parquet_bytes(part))
    return frame["request_id"].tolist()


def hours_ago(hours: int) -> int:
    return (time.time_ns() // 1_000_000 // HOUR_MS - hours) * HOUR_MS


def test_more_drifted_windows_than_the_record_keeps_are_still_alerted_once(deployment):
    starts = [hours_ago(2) + second * 1000 for second in range(503)]
    write_windows(deployment.run_id, starts, shift=3.0)

    first = lt.monitor("iris", reference_frame(), window=WINDOW, log=False)
    assert len(first.new_drifts) == len(first.alerts) == 503

    second = lt.monitor("iris", reference_frame(), window=WINDOW, log=False)
    assert second.new_drifts == [] and second.alerts == []
    assert len(alerts_of(deployment.run_id)) == 503
    # The record names a cut-off and the newest windows, and fits in a tag.
    record = lt.Client().get_run(deployment.run_id).data.tags[ALERTED_TAG]
    assert record.startswith(f"<={starts[3]},{starts[4]},") and len(record) < 8000


def test_alerts_and_on_drift_each_keep_their_own_record(deployment, tmp_path):
    path = tmp_path / "reference.csv"
    reference_frame().to_csv(path, index=False)
    pipeline = retrain_pipeline(tmp_path / "retrain")
    trace = tmp_path / "retrained.txt"
    start = hours_ago(2)
    write_windows(deployment.run_id, [start, start + 1000], shift=3.0, prefix="a")

    # A notebook's look alerts; a later monitor with --on-drift still retrains, once.
    assert len(lt.monitor("iris", reference_frame(), window=WINDOW, log=False).alerts) == 2
    command = ["monitor", "iris", "--reference", str(path), "--window", WINDOW, "--alert"]
    assert main([*command, "--on-drift", str(pipeline)]) == 0
    assert trace.read_text() == "retrained\n"
    assert len(alerts_of(deployment.run_id)) == 2  # not alerted twice
    assert main([*command, "--on-drift", str(pipeline)]) == 0
    assert trace.read_text() == "retrained\n"

    # Retraining without alerting leaves the alerts of the new windows to a later look.
    write_windows(deployment.run_id, [start + 2000, start + 3000], shift=3.0, prefix="b")
    retrained = lt.monitor("iris", reference_frame(), window=WINDOW, on_drift=pipeline, alert=False)
    assert retrained.alerts == [] and len(retrained.new_drifts) == 2
    assert trace.read_text() == "retrained\n" * 2
    later = lt.monitor("iris", reference_frame(), window=WINDOW, log=False)
    assert [a.title for a in later.alerts] == [
        f"Drift in iris at {pd.Timestamp(ms, unit='ms', tz='UTC'):%Y-%m-%d %H:%M} UTC: x"
        for ms in (start + 2000, start + 3000)
    ]
    assert len(alerts_of(deployment.run_id)) == 4


def test_a_restarted_deployment_is_monitored_over_all_its_runs(tracking_uri):
    start = hours_ago(3)
    first = start_deployment("iris", "models:/iris@champion", "http://127.0.0.1:1")
    try:
        ids = write_windows(first.run_id, [start, start + 1000], shift=0.0, prefix="a")
        ids += write_windows(first.run_id, [start + 2000], shift=3.0, prefix="b")
        before = lt.monitor("iris", reference_frame(), window=WINDOW, log=False)
        assert len(before.alerts) == 1
    finally:
        first.stop()
    second = start_deployment("iris", "models:/iris@champion", "http://127.0.0.1:1")
    try:
        write_windows(second.run_id, [start + 3000], shift=3.0, prefix="c")
        # Labels for the first run's requests arrive after the restart: stored on the new run.
        assert lt.log_feedback([(i, 0) for i in ids[:30]], deployment="iris") == 30
        after = lt.monitor("iris", reference_frame(), window=WINDOW)

        assert after.run_id == second.run_id
        expected = [pd.Timestamp(start + k * 1000, unit="ms", tz="UTC") for k in range(4)]
        assert sorted(after.windows["window_start"].unique()) == expected
        assert after.accuracy["n"].sum() == 30 and (after.accuracy["accuracy"] == 1.0).all()
        assert after.new_drifts == expected[3:]  # the window alerted before the restart: not again
        assert len(alerts_of(second.run_id)) == 1 and len(alerts_of(first.run_id)) == 1
        assert lt.Client().list_artifacts(first.run_id, FEEDBACK_FOLDER) == []
        assert lt.Client().get_metric_history(second.run_id, "live/accuracy")
    finally:
        second.stop()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("folder.parquet", None),  # a directory
        ("text.parquet", "not parquet"),
        ("empty.csv", ""),
        ("broken.json", "{x"),
    ],
)
def test_an_unreadable_reference_file_is_a_clear_error_naming_it(
    deployment, tmp_path, capsys, name, content
):
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_text(content)

    with pytest.raises(InvalidParameter, match=f"reference: .*{name}"):
        lt.monitor("iris", str(path))
    assert main(["monitor", "iris", "--reference", str(path)]) == 2
    assert name in capsys.readouterr().err


@pytest.mark.parametrize(
    ("feature", "key"),
    [
        ("x", "drift/psi/x"),
        ("petal length (cm)", "drift/psi/petal length _cm_"),  # a name metrics cannot hold
        ("..", "drift/psi/_"),
        ("prediction", "drift/prediction_psi"),
        ("prediction.proba", "drift/prediction_psi/proba"),
    ],
)
def test_every_feature_name_gives_a_valid_metric_name(feature, key):
    from labtrack.tracking.validation import validate_key

    assert metric_key("psi", feature) == key == validate_key(key)
