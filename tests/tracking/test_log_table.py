"""``lt.log_table`` / ``lt.load_table``: MLflow's table artifacts, byte for byte in MLflow's
layout, rows appended on repeated calls, read back across runs."""

from __future__ import annotations

import json
import os
import subprocess

import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

# The same two calls, made by the real MLflow (its file store: no database to set up).
MLFLOW_SCRIPT = """
import mlflow, pathlib, sys
mlflow.set_tracking_uri("file:" + sys.argv[1])
with mlflow.start_run() as run:
    mlflow.log_table({"q": ["a", "b"], "score": [0.5, 1]}, "eval/t.json")
    mlflow.log_table({"q": "c", "score": 2.5}, "eval/t.json")
    path = mlflow.get_artifact_uri("eval/t.json").removeprefix("file://")
    print(pathlib.Path(path).read_text())
print(mlflow.get_run(run.info.run_id).data.tags["mlflow.loggedArtifacts"])
"""


def _log_two_tables() -> str:
    with lt.start_run() as run:
        lt.log_table({"q": ["a", "b"], "score": [0.5, 1]}, "eval/t.json")
        lt.log_table({"q": "c", "score": 2.5}, "eval/t.json")  # scalars: one row
    return run.info.run_id


def test_the_file_and_tag_are_mlflows(client, mlflow_python, tmp_path):  # noqa: F811
    run_id = _log_two_tables()
    ours = client._artifacts(run_id).read_bytes("eval/t.json").decode()
    result = subprocess.run(
        [mlflow_python, "-c", MLFLOW_SCRIPT, str(tmp_path / "mlruns")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"},
    )
    assert result.returncode == 0, result.stderr
    mlflow_file, mlflow_tag = result.stdout.strip().splitlines()[-2:]
    assert json.loads(ours) == json.loads(mlflow_file)
    assert json.loads(ours) == {
        "columns": ["q", "score"],
        "data": [["a", 0.5], ["b", 1.0], ["c", 2.5]],
    }
    assert client.get_run(run_id).data.tags["mlflow.loggedArtifacts"] == mlflow_tag


def test_load_table_joins_runs_and_adds_run_columns(client):
    first = _log_two_tables()
    with lt.start_run(tags={"kind": "second"}) as run:
        lt.log_table(pd.DataFrame({"q": ["d"], "score": [9.0], "status": ["x"]}), "eval/t.json")
        lt.log_table({"other": [1]}, "eval/other.json")
    with lt.start_run():
        lt.log_text("not a table", "eval/t.json")  # same name, not logged as a table
    table = lt.load_table("eval/t.json", extra_columns=["run_id", "tags.kind"])
    assert sorted(table["q"]) == ["a", "b", "c", "d"]
    assert set(table["run_id"]) == {first, run.info.run_id}
    # a name the table has already gets an underscore, as in MLflow
    only = lt.load_table("eval/t.json", run_ids=[run.info.run_id], extra_columns=["status"])
    assert only.to_dict("list") == {
        "q": ["d"],
        "score": [9.0],
        "status": ["x"],
        "status_": ["FINISHED"],
    }
    with pytest.raises(InvalidParameter, match="extra column 'nope'"):
        lt.load_table("eval/t.json", extra_columns=["nope"])
    assert len(client.load_table(run.info.experiment_id, "eval/other.json")) == 1
    with pytest.raises(NotFound, match="nope.json"):
        lt.load_table("nope.json")


def test_parquet_tables_round_trip_or_say_what_they_need():
    import importlib.util

    with lt.start_run():
        if importlib.util.find_spec("pyarrow") is None:
            with pytest.raises(InvalidParameter, match="pyarrow"):
                lt.log_table({"x": [1, 2]}, "t.parquet")
            return
        lt.log_table({"x": [1, 2]}, "t.parquet")
        lt.log_table({"x": [3]}, "t.parquet")
    assert lt.load_table("t.parquet")["x"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "data, artifact_file, message",
    [
        ({"x": [1]}, "t.csv", ".json or .parquet"),
        ([1, 2], "t.json", "DataFrame or a dict"),
    ],
)
def test_bad_tables_are_refused_at_the_call(data, artifact_file, message):
    with lt.start_run(), pytest.raises(InvalidParameter, match=message):
        lt.log_table(data, artifact_file)
