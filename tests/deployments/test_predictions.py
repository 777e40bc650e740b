"""A deployment's logged predictions and feedback: hourly Parquet artifacts of its run, written
off the request path by ``PredictionLog`` and read back by ``read_predictions`` /
``read_feedback``, on a local folder, on S3 (moto's server) and through ``labtrack server``."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound
from labtrack.production.predictions import (
    PredictionLog,
    log_feedback,
    parse_feedback,
    read_feedback,
    read_predictions,
)

from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401  (fixtures)
from ..waiting import wait_until

HOUR = 3_600_000


def utc_ms(*fields: int) -> int:
    """ms since the epoch of a UTC date and time (year, month, day, hour, minute, second, ms)."""
    *head, millisecond = fields if len(fields) == 7 else (*fields, 0)
    moment = datetime(*head, tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1000 + millisecond


def new_run(client, artifact_location: str | None = None) -> str:
    experiment_id = client.create_experiment("predictions", artifact_location=artifact_location)
    return client.create_run(experiment_id).info.run_id


def one_row(value: float, colour: str = "red") -> pd.DataFrame:
    return pd.DataFrame({"x": [value], "colour": [colour]})


def parquet_files(repository, folder: str) -> dict[str, pd.DataFrame]:
    """Every Parquet file under ``folder`` of a repository, read with pyarrow itself."""
    found = {}
    pending = [folder]
    while pending:
        for entry in repository.list_artifacts(pending.pop()):
            if entry.is_dir:
                pending.append(entry.path)
            else:
                found[entry.path] = pq.read_table(io.BytesIO(repository.read_bytes(entry.path)))
    return found


def repository_of(client, run_id: str):
    return client.artifact_repository(client.get_run(run_id).info.artifact_uri)


@pytest.fixture
def client(tracking_uri):
    return lt.Client()


def test_rows_land_in_their_hour_partitions_with_every_column(client):
    run_id = new_run(client)
    before_eleven = utc_ms(2026, 11, 30, 10, 59, 59, 999)
    at_eleven = utc_ms(2026, 11, 30, 11, 0, 0, 0)
    next_day = utc_ms(2026, 12, 1, 23, 30, 0, 0)
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        assert log.record("a", one_row(1.5), [0], 2.5, timestamp_ms=before_eleven)
        # a request of two rows: both carry its id, its time and its latency
        two = pd.DataFrame({"x": [2.0, 3.0], "colour": ["blue", "red"]}, index=[7, 9])
        assert log.record("b", two, np.array([1, 0]), 4.0, timestamp_ms=at_eleven)
        assert log.record("c", one_row(4.0), pd.Series([1]), 1.0, timestamp_ms=next_day)
    assert (log.written_rows, log.files_written, log.dropped_rows) == (4, 3, 0)

    files = parquet_files(repository_of(client, run_id), "predictions")
    by_folder = {path.rsplit("/", 1)[0]: table for path, table in files.items()}
    assert sorted(by_folder) == [
        "predictions/date=2026-11-30/hour=10",
        "predictions/date=2026-11-30/hour=11",
        "predictions/date=2026-12-01/hour=23",
    ]
    for path in files:
        assert path.rsplit("/", 1)[1].startswith("part-") and path.endswith(".parquet")
    eleven = by_folder["predictions/date=2026-11-30/hour=11"]
    assert eleven.column_names == [
        "request_id",
        "timestamp",
        "latency_ms",
        "input.x",
        "input.colour",
        "prediction",
    ]
    assert str(eleven.schema.field("request_id").type) in ("string", "large_string")
    assert str(eleven.schema.field("timestamp").type) == "int64"
    assert str(eleven.schema.field("latency_ms").type) == "double"
    assert eleven.to_pylist() == [
        {
            "request_id": "b",
            "timestamp": at_eleven,
            "latency_ms": 4.0,
            "input.x": 2.0,
            "input.colour": "blue",
            "prediction": 1,
        },
        {
            "request_id": "b",
            "timestamp": at_eleven,
            "latency_ms": 4.0,
            "input.x": 3.0,
            "input.colour": "red",
            "prediction": 0,
        },
    ]
    frame = read_predictions(client, run_id)
    assert list(frame["request_id"]) == ["a", "b", "b", "c"]
    assert list(frame["timestamp"]) == [before_eleven, at_eleven, at_eleven, next_day]


def test_several_outputs_are_prediction_columns_by_name_or_index(client):
    run_id = new_run(client)
    rows = pd.DataFrame({"x": [1.0, 2.0]})
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        log.record("named", rows, {"label": ["a", "b"], "score": [0.9, 0.4]}, 1.0)
        log.record("matrix", rows, np.array([[0.1, 0.9], [0.8, 0.2]]), 1.0)
        log.record("frame", rows, pd.DataFrame({"p": [1, 2]}), 1.0)
        # inputs that are not a DataFrame: a matrix's columns by index, a dict's by key
        log.record("array", np.array([[5.0, 6.0]]), [1], 1.0)
        log.record("dict", {"x": [7.0], "colour": ["green"]}, [0], 1.0)
    frame = read_predictions(client, run_id).set_index("request_id")
    assert frame.loc["named", "prediction.label"].tolist() == ["a", "b"]
    assert frame.loc["named", "prediction.score"].tolist() == [0.9, 0.4]
    assert frame.loc["matrix", "prediction.1"].tolist() == [0.9, 0.2]
    assert frame.loc["frame", "prediction"].tolist() == [1, 2]
    assert frame.loc["array", ["input.0", "input.1"]].tolist() == [5.0, 6.0]
    assert frame.loc["dict", ["input.x", "input.colour", "prediction"]].tolist() == [
        7.0,
        "green",
        0,
    ]


def test_sample_rate_keeps_about_that_share_of_requests(client):
    run_id = new_run(client)
    with PredictionLog(client, run_id, sample_rate=0.25, flush_seconds=3600) as log:
        kept = sum(log.record(str(i), one_row(i), [0], 1.0) for i in range(2000))
    # binomial(2000, 0.25): 500 +- 19.4 (one standard deviation); 5 of them either side
    assert 400 < kept < 600
    assert log.written_rows == kept
    assert len(read_predictions(client, run_id)) == kept


def test_a_full_buffer_drops_and_counts_the_samples_it_cannot_hold(client):
    run_id = new_run(client)
    # at most 6 rows, and no write before flush(): neither an early one nor the interval's
    log = PredictionLog(client, run_id, max_buffered_rows=6, flush_seconds=3600, flush_rows=7)
    try:
        for request in ("a", "b", "c", "d", "e"):
            assert log.record(request, one_row(1.0), [0], 1.0)
        three_rows = pd.DataFrame({"x": [1.0, 2.0, 3.0], "colour": ["r", "g", "b"]})
        assert not log.record("too-big", three_rows, [0, 1, 0], 1.0)
        assert log.record("f", one_row(1.0), [0], 1.0)
        assert not log.record("g", one_row(1.0), [0], 1.0)
        assert (log.buffered_rows, log.dropped_rows) == (6, 4)
        log.flush()
        assert (log.buffered_rows, log.written_rows) == (0, 6)
        assert log.record("h", three_rows, [0, 1, 0], 1.0)  # room again
    finally:
        log.close()
    assert sorted(set(read_predictions(client, run_id)["request_id"])) == list("abcdefh")


def test_the_background_thread_writes_and_record_does_not(client):
    run_id = new_run(client)
    repository = repository_of(client, run_id)
    log = PredictionLog(client, run_id, max_buffered_rows=10, flush_seconds=3600)
    try:
        for request in "abcd":
            log.record(request, one_row(1.0), [0], 1.0)
        # four rows of ten: below half, and the interval is an hour, so nothing is written
        assert repository.list_artifacts("predictions") == []
        assert log.buffered_rows == 4
        log.record("e", one_row(1.0), [0], 1.0)  # half full: the writer wakes
        wait_until(lambda: log.written_rows == 5, 15, "the writer thread to write five rows")
        assert len(parquet_files(repository, "predictions")) == 1
    finally:
        log.close()


def test_the_interval_writes_without_being_asked(client):
    run_id = new_run(client)
    with PredictionLog(client, run_id, flush_seconds=0.05) as log:
        log.record("a", one_row(1.0), [0], 1.0)
        wait_until(lambda: log.written_rows == 1, 15, "the interval's write")
        log.record("b", one_row(2.0), [1], 1.0)
        wait_until(lambda: log.written_rows == 2, 15, "the next interval's write")
    assert list(read_predictions(client, run_id)["request_id"]) == ["a", "b"]


def test_a_failing_store_loses_its_rows_but_never_the_request(client, tmp_path):
    artifacts = tmp_path / "artifacts"
    run_id = new_run(client, str(artifacts))
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        # the store goes away: its folder is now a file, which no write gets past (even as root)
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.write_text("not a folder")
        assert log.record("lost", one_row(1.0), [0], 1.0)
        log.flush()  # logged, not raised
        assert (log.failed_rows, log.written_rows) == (1, 0)
        artifacts.unlink()
        artifacts.mkdir()
        assert log.record("kept", one_row(2.0), [1], 1.0)
    assert (log.failed_rows, log.written_rows) == (1, 1)
    assert list(read_predictions(client, run_id)["request_id"]) == ["kept"]


def test_a_request_recorded_after_close_is_counted_dropped_never_silently_lost(client):
    log = PredictionLog(client, new_run(client), flush_seconds=3600)
    assert log.record("kept", one_row(1.0), [0], 1.0)
    log.close()
    assert not log.record("late", one_row(2.0), [0], 1.0)
    assert (log.written_rows, log.dropped_rows, log.buffered_rows) == (1, 1, 0)


def test_record_never_raises_into_the_request(client):
    run_id = new_run(client)

    class Unreadable:
        @property
        def shape(self):
            raise RuntimeError("no shape")

    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        assert not log.record("broken", Unreadable(), [0], 1.0)
        assert log.dropped_rows == 1
        # outputs that do not line up with the rows, mixed types, None: written as they can be
        assert log.record("ragged", one_row(1.0), [[1, 2], [3]], 1.0)
        log.flush()  # a file of its own: next to numbers, lists would be written as text
        assert log.record("mixed", pd.DataFrame({"x": [1, "a"]}), [None, 2], None)
        assert log.record("empty", pd.DataFrame({"x": []}), [], 1.0)  # no row to write
    assert (log.buffered_rows, log.written_rows, log.failed_rows) == (0, 3, 0)
    frame = read_predictions(client, run_id).set_index("request_id")
    # one row, an output that is not one per row: the row keeps it whole
    assert [list(part) for part in frame.loc["ragged", "prediction"]] == [[1, 2], [3]]
    assert frame.loc["mixed", "input.x"].tolist() == ["1", "a"]
    assert np.isnan(frame.loc["mixed", "latency_ms"]).all()


def test_reading_a_time_range_reads_only_its_partitions(client):
    run_id = new_run(client)
    ten, eleven, noon = (utc_ms(2026, 11, 30, hour, 15) for hour in (10, 11, 12))
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        for start in (ten, eleven, noon):
            for minute in range(0, 60, 20):  # :15, :35, :55
                log.record(
                    f"{start}+{minute}",
                    one_row(minute),
                    [0],
                    1.0,
                    timestamp_ms=start + minute * 60_000,
                )
    repository = repository_of(client, run_id)
    # files no reader can parse, in the hours before and after the range
    for hour in (10, 12):
        repository.write_bytes(f"predictions/date=2026-11-30/hour={hour}/part-0-bad.parquet", b"x")
    eleven_o_clock = utc_ms(2026, 11, 30, 11)
    frame = read_predictions(client, run_id, eleven_o_clock, eleven_o_clock + HOUR)
    assert list(frame["timestamp"]) == [eleven, eleven + 20 * 60_000, eleven + 40 * 60_000]
    # the bounds cut inside an hour too: start included, end excluded
    frame = read_predictions(client, run_id, eleven + 20 * 60_000, eleven + 40 * 60_000)
    assert list(frame["timestamp"]) == [eleven + 20 * 60_000]
    with pytest.raises(Exception):  # noqa: B017  (pyarrow's own error) the bad files are read
        read_predictions(client, run_id)
    assert read_predictions(client, run_id, end_ms=utc_ms(2026, 11, 30)).empty


def test_reading_a_run_without_predictions_gives_an_empty_frame(client):
    run_id = new_run(client)
    frame = read_predictions(client, run_id)
    assert frame.empty and list(frame.columns) == ["request_id", "timestamp", "latency_ms"]
    assert read_feedback(client, run_id).empty
    with pytest.raises(NotFound):
        read_predictions(client, "0" * 32)
    with pytest.raises(InvalidParameter, match="start_ms"):
        read_predictions(client, run_id, start_ms="yesterday")


def test_feedback_joins_the_predictions_by_request_id(client):
    run_id = new_run(client)
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        for index, request in enumerate("abcd"):
            log.record(request, one_row(index), [index % 2], 1.0)
    assert log_feedback(client, run_id, "a", 0) == 1
    assert log_feedback(client, run_id, [("b", 0), ("c", 1)]) == 2
    assert log_feedback(client, run_id, "b", np.int64(1)) == 1  # a correction: the latest wins
    feedback = read_feedback(client, run_id)
    assert list(feedback.columns) == ["request_id", "label", "timestamp"]
    assert dict(zip(feedback["request_id"], feedback["label"], strict=True)) == {
        "a": 0,
        "b": 1,
        "c": 1,
    }
    joined = read_predictions(client, run_id).merge(feedback, on="request_id")
    assert list(joined["request_id"]) == ["a", "b", "c"]
    assert (joined["prediction"] == joined["label"]).tolist() == [True, True, False]
    [folder] = {
        path.rsplit("/", 1)[0] for path in parquet_files(repository_of(client, run_id), "feedback")
    }
    assert folder.startswith("feedback/date=") and "/hour=" in folder


@pytest.mark.parametrize(
    ("request_id", "label", "message"),
    [
        ("", 1, "request id"),
        (None, 1, "request id"),
        ("a", None, "missing"),
        ("a", [1, 2], "number, string or boolean"),
        ([("a", 1, 2)], None, "pairs"),
        (42, None, "request id and a label"),
    ],
)
def test_bad_feedback_is_refused_before_anything_is_written(client, request_id, label, message):
    run_id = new_run(client)
    with pytest.raises(InvalidParameter, match=message):
        log_feedback(client, run_id, request_id, label)
    assert read_feedback(client, run_id).empty


def test_parse_feedback_reads_the_bodies_of_post_feedback():
    assert parse_feedback({"request_id": "a", "label": 1}) == [("a", 1)]
    assert parse_feedback([{"request_id": "a", "label": "x"}, {"request_id": "b", "label": 0}]) == [
        ("a", "x"),
        ("b", 0),
    ]
    assert parse_feedback({"feedback": [{"request_id": "a", "label": True}]}) == [("a", True)]
    for bad in ("a", {"request_id": "a"}, [{"label": 1}], {"feedback": 3}):
        with pytest.raises(InvalidParameter):
            parse_feedback(bad)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sample_rate": 0}, "sample_rate"),
        ({"sample_rate": 1.5}, "sample_rate"),
        ({"max_buffered_rows": 0}, "max_buffered_rows"),
        ({"flush_seconds": -1}, "flush_seconds"),
        ({"flush_rows": 0}, "flush_rows"),
    ],
)
def test_bad_settings_are_refused_where_the_log_is_made(client, arguments, message):
    run_id = new_run(client)
    with pytest.raises(InvalidParameter, match=message):
        PredictionLog(client, run_id, **arguments)


def test_an_unknown_run_is_refused_where_the_log_is_made(client):
    with pytest.raises(NotFound):
        PredictionLog(client, "0" * 32)


def test_rows_still_buffered_at_exit_are_written(tracking_uri, tmp_path):
    client = lt.Client()
    run_id = new_run(client)
    script = f"""
        import pandas as pd, labtrack as lt
        from labtrack.production.predictions import PredictionLog
        lt.set_tracking_uri({tracking_uri!r})
        log = PredictionLog(lt.Client(), {run_id!r}, flush_seconds=3600)
        log.record("at-exit", pd.DataFrame({{"x": [1.0]}}), [1], 1.0)
        # no close(): the interpreter's exit writes it
    """
    subprocess.run([sys.executable, "-c", textwrap.dedent(script)], check=True, timeout=120)
    assert list(read_predictions(client, run_id)["request_id"]) == ["at-exit"]


def test_lt_log_feedback_goes_to_the_only_running_deployment(client):
    from labtrack.production.record import start_deployment

    iris = start_deployment(
        "iris", "models:/iris/1", "http://127.0.0.1:1", client=client, start=False
    )
    with pytest.raises(InvalidParameter, match="pairs"):
        lt.log_feedback([("a", 1, 2)])
    assert lt.log_feedback("r-1", "setosa") == 1
    assert read_feedback(client, iris.run_id)["label"].tolist() == ["setosa"]
    wine = start_deployment(
        "wine", "models:/wine/1", "http://127.0.0.1:2", client=client, start=False
    )
    with pytest.raises(InvalidParameter, match="running: iris, wine"):
        lt.log_feedback("r-2", "red")
    assert lt.log_feedback([("r-2", "red"), ("r-3", "white")], deployment="wine") == 2
    assert read_feedback(client, wine.run_id)["request_id"].tolist() == ["r-2", "r-3"]
    with pytest.raises(NotFound):
        lt.log_feedback("r-4", "x", deployment="nope")
    iris.stop()
    wine.stop()
    with pytest.raises(InvalidParameter, match="running: none"):
        lt.log_feedback("r-5", "x")


def test_on_s3_the_partitions_are_keys_of_the_bucket(tracking_uri, bucket, s3_client):  # noqa: F811
    client = lt.Client()
    run_id = new_run(client, f"s3://{bucket}/team")
    eleven = utc_ms(2026, 11, 30, 11, 5)
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        log.record("a", one_row(1.0), [1], 1.0, timestamp_ms=eleven - HOUR)
        log.record("b", one_row(2.0), [0], 1.0, timestamp_ms=eleven)
    log_feedback(client, run_id, [("a", 1), ("b", 1)])
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=f"team/{run_id}/artifacts/")
    keys = [item["Key"].split("/artifacts/", 1)[1] for item in listing["Contents"]]
    assert sorted(key.rsplit("/", 1)[0] for key in keys if key.startswith("predictions/")) == [
        "predictions/date=2026-11-30/hour=10",
        "predictions/date=2026-11-30/hour=11",
    ]
    assert any(key.startswith("feedback/date=") for key in keys)
    start = utc_ms(2026, 11, 30, 11)
    assert list(read_predictions(client, run_id, start, start + HOUR)["request_id"]) == ["b"]
    joined = read_predictions(client, run_id).merge(read_feedback(client, run_id), on="request_id")
    assert (joined["prediction"] == joined["label"]).tolist() == [True, False]


def test_through_labtrack_server_the_artifact_proxy_holds_them(tmp_path):
    from ..tracking_server.conftest import start_server, stop_server

    server = start_server(tmp_path)
    try:
        client = lt.Client(server.url)
        run_id = new_run(client)
        with PredictionLog(client, run_id, flush_seconds=3600) as log:
            log.record("a", one_row(1.0), [1], 1.0)
        log_feedback(client, run_id, "a", 1)
        assert list(read_predictions(client, run_id)["request_id"]) == ["a"]
        assert list(read_feedback(client, run_id)["label"]) == [1]
        stored = Path(server.destination)
        assert any(stored.rglob("predictions/date=*/hour=*/part-*.parquet"))
    finally:
        stop_server(server)


def test_a_server_keeps_answering_while_its_predictions_cannot_be_stored(
    client, iris, iris_classifier
):
    X, _ = iris
    info = lt.log_model(iris_classifier, "model", input_example=X[:3])
    lt.end_run()
    rows = {"dataframe_records": X[:2].to_dict(orient="records")}
    expected = iris_classifier.predict(X[:2]).tolist()
    with lt.serve(
        info.model_uri, port=0, background=True, deployment="fragile", log_predictions=True
    ) as server:
        log = server.deployment.prediction_log
        folder = Path(repository_of(client, server.deployment.run_id).uri_of())
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_text("the store went away")  # a file: no write gets past it, even as root
        answer = httpx.post(f"{server.url}/invocations", json=rows, timeout=30)
        assert answer.status_code == 200 and answer.json()["predictions"] == expected
        wait_until(lambda: log.buffered_rows == 2, 15, "the request to be recorded")
        log.flush()
        assert (log.failed_rows, log.written_rows) == (2, 0)
        folder.unlink()
        folder.mkdir()
        answer = httpx.post(f"{server.url}/invocations", json=rows, timeout=30)
        assert answer.status_code == 200 and answer.json()["predictions"] == expected
        kept = answer.headers["X-Request-Id"]
        wait_until(lambda: log.buffered_rows == 2, 15, "the next request to be recorded")
        log.flush()  # the predictions are written: only the feedback meets the broken store
        kept_aside = folder.rename(folder.with_name("kept-aside"))
        folder.write_text("the store went away again")
        refused = httpx.post(
            f"{server.url}/feedback", json={"request_id": kept, "label": 0}, timeout=30
        )
        assert refused.status_code == 500  # JSON saying so, not a traceback page
        assert refused.json()["error_code"] == "INTERNAL_ERROR"
        assert "feedback was not stored" in refused.json()["message"]
        folder.unlink()
        kept_aside.rename(folder)
    assert (log.failed_rows, log.written_rows) == (2, 2)
    assert read_predictions(client, server.deployment.run_id)["request_id"].tolist() == [kept] * 2


def test_columns_whose_types_differ_between_batches_are_written_apart(client):
    run_id = new_run(client)
    with PredictionLog(client, run_id, flush_seconds=3600) as log:
        for index in range(16):  # one conversion step, then a step where x is text
            log.record(f"n{index}", pd.DataFrame({"x": [index]}), [0], 1.0)
        log.record("text", pd.DataFrame({"x": ["a"]}), [0], 1.0)
    assert (log.written_rows, log.files_written, log.failed_rows) == (17, 2, 0)
    frame = read_predictions(client, run_id).set_index("request_id")
    assert frame.loc["text", "input.x"] == "a" and frame.loc["n3", "input.x"] == 3
