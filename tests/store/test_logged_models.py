"""MLflow 3's logged models and datasets in the store, through ``TrackingClient``: created,
finalized, tagged, given params and metrics, searched; datasets logged as run inputs; and a
store from before them upgrades without loss."""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from labtrack.entities import Dataset, DatasetInput, InputTag
from labtrack.errors import InvalidFilter, InvalidParameter, NotFound
from labtrack.store.sql import connection, migrations, schema
from labtrack.store.sql.store import SqlStore
from labtrack.tracking.client import TrackingClient


@pytest.fixture
def client(tracking_uri) -> TrackingClient:
    return TrackingClient(tracking_uri)


@pytest.fixture
def run_id(client) -> str:
    experiment_id = client.create_experiment("models")
    return client.create_run(experiment_id).info.run_id


def _experiment(client, run_id) -> str:
    return client.get_run(run_id).info.experiment_id


def test_a_model_logged_in_a_run_lives_beside_its_artifacts_and_reads_back(client, run_id):
    model = client.create_logged_model(
        _experiment(client, run_id),
        "clf",
        source_run_id=run_id,
        tags={"team": "vision"},
        params={"C": 1.0},
        model_type="classifier",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    assert model.model_uri == f"models:/{model.model_id}"
    assert model.status == "PENDING"
    run_root = client.get_run(run_id).info.artifact_uri
    assert model.artifact_location == f"{run_root}/clf"
    ready = client.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    assert ready.status == "READY"
    got = client.get_logged_model(model.model_id)
    assert (got.name, got.source_run_id, got.model_type) == ("clf", run_id, "classifier")
    assert (got.tags, got.params) == ({"team": "vision"}, {"C": "1.0"})


def test_a_model_without_a_run_goes_under_its_experiment(client):
    experiment_id = client.create_experiment("no-run")
    model = client.create_logged_model(experiment_id, "m")
    location = client.get_experiment(experiment_id).artifact_location
    assert model.artifact_location == f"{location}/models/{model.model_id}/artifacts"


def test_tags_params_and_deletion(client, run_id):
    model = client.create_logged_model(_experiment(client, run_id), "m", source_run_id=run_id)
    client.set_logged_model_tags(model.model_id, {"a": "1", "b": "2"})
    client.delete_logged_model_tag(model.model_id, "a")
    with pytest.raises(NotFound):
        client.delete_logged_model_tag(model.model_id, "a")
    client.log_model_params(model.model_id, {"lr": 0.1})
    got = client.get_logged_model(model.model_id)
    assert (got.tags, got.params) == ({"b": "2"}, {"lr": "0.1"})
    assert got.last_updated_timestamp >= got.creation_timestamp
    client.delete_logged_model(model.model_id)
    with pytest.raises(NotFound):
        client.get_logged_model(model.model_id)
    assert client.get_logged_model(model.model_id, allow_deleted=True).model_id == model.model_id
    assert client.search_logged_models([_experiment(client, run_id)]) == []


def test_unknown_ids_and_bad_input_are_refused(client, run_id):
    with pytest.raises(NotFound):
        client.get_logged_model("m-" + "0" * 32)
    with pytest.raises(NotFound):
        client.get_logged_model("not-an-id")
    with pytest.raises(NotFound):
        client.create_logged_model("424242", "m")
    with pytest.raises(NotFound):
        client.create_logged_model(_experiment(client, run_id), "m", source_run_id="f" * 32)
    for name in ("../escape", "/abs", "a/../../b"):
        with pytest.raises(InvalidParameter, match="stay inside"):
            client.create_logged_model(_experiment(client, run_id), name, source_run_id=run_id)
    model = client.create_logged_model(_experiment(client, run_id), "m")
    with pytest.raises(InvalidParameter, match="status"):
        client.finalize_logged_model(model.model_id, "DONE")
    with pytest.raises(InvalidParameter, match="dataset_digest"):
        client.log_metric(run_id, "acc", 0.5, model_id=model.model_id, dataset_name="d")
    with pytest.raises(InvalidFilter):
        client.search_logged_models([_experiment(client, run_id)], "start_time > 0")


def test_metrics_linked_to_a_model_reach_the_run_and_the_model(client, run_id):
    model = client.create_logged_model(_experiment(client, run_id), "m", source_run_id=run_id)
    client.log_metric(run_id, "acc", 0.5, step=1, model_id=model.model_id)
    client.log_metric(
        run_id,
        "acc",
        0.75,
        step=2,
        model_id=model.model_id,
        dataset_name="eval",
        dataset_digest="abc123",
    )
    client.log_metric(run_id, "loss", math.nan, step=2, model_id=model.model_id)
    points = client.get_logged_model(model.model_id).metrics
    assert [(p.key, p.value, p.step, p.dataset_name, p.run_id) for p in points[:2]] == [
        ("acc", 0.5, 1, None, run_id),
        ("acc", 0.75, 2, "eval", run_id),
    ]
    assert points[1].dataset_digest == "abc123" and math.isnan(points[2].value)
    assert [m.value for m in client.get_metric_history(run_id, "acc")] == [0.5, 0.75]
    with pytest.raises(NotFound):
        client.log_metric(run_id, "acc", 1.0, model_id="m-" + "1" * 32)


def test_log_batch_links_its_metrics(client, run_id):
    from labtrack.entities import Metric

    model = client.create_logged_model(_experiment(client, run_id), "m", source_run_id=run_id)
    client.log_batch(
        run_id,
        metrics=[Metric("a", 1.0, 1000, 0), Metric("b", 2.0, 1000, 0)],
        model_id=model.model_id,
    )
    assert {p.key for p in client.get_logged_model(model.model_id).metrics} == {"a", "b"}
    assert client.get_run(run_id).data.metrics == {"a": 1.0, "b": 2.0}


def test_search_filters_on_attributes_params_tags_and_latest_metrics(client, run_id):
    experiment_id = _experiment(client, run_id)
    models = {}
    for name, acc, lr in (("svm", 0.9, "0.1"), ("tree", 0.7, "0.2"), ("knn", 0.8, "0.1")):
        model = client.create_logged_model(
            experiment_id, name, source_run_id=run_id, params={"lr": lr}, tags={"kind": name}
        )
        client.log_metric(run_id, "acc", 0.0, step=0, model_id=model.model_id)
        client.log_metric(
            run_id,
            "acc",
            acc,
            step=1,
            model_id=model.model_id,
            dataset_name="val",
            dataset_digest="d1",
        )
        models[name] = model

    def names(filter_string=None, **kwargs):
        return [
            m.name for m in client.search_logged_models([experiment_id], filter_string, **kwargs)
        ]

    assert names() == ["knn", "tree", "svm"]  # newest first
    assert names("name = 'tree'") == ["tree"]
    assert names("metrics.acc > 0.75") == ["knn", "svm"]
    assert names("params.lr = '0.1' AND metrics.acc < 0.85") == ["knn"]
    assert names("tags.kind LIKE 's%'") == ["svm"]
    assert names(f"source_run_id = '{run_id}' AND name != 'svm'") == ["knn", "tree"]
    assert names("metrics.acc > 0.5", datasets=[{"dataset_name": "val"}]) == ["knn", "tree", "svm"]
    assert names("metrics.acc > 0.5", datasets=[{"dataset_name": "other"}]) == []
    order = [{"field_name": "metrics.acc", "ascending": False}]
    assert names(order_by=order) == ["svm", "knn", "tree"]
    assert names(order_by=[{"field_name": "name"}]) == ["knn", "svm", "tree"]
    first = client.search_logged_models([experiment_id], max_results=2)
    assert len(first) == 2 and first.token
    rest = client.search_logged_models([experiment_id], max_results=2, page_token=first.token)
    assert [m.name for m in rest] == ["svm"] and rest.token is None
    assert client.search_logged_models([client.create_experiment("other")]) == []


def test_datasets_logged_as_inputs_read_back_on_the_run(client, run_id):
    train = Dataset("iris", "a1b2c3d4", "local", '{"uri": "/data/iris.csv"}', '{"s": 1}', "{}")
    evaluation = Dataset("iris-eval", "e5f6a7b8", "code", '{"tags": {}}')
    client.log_inputs(run_id, [DatasetInput(train, [InputTag("mlflow.data.context", "train")])])
    client.log_inputs(
        run_id,
        [
            DatasetInput(evaluation, [InputTag("mlflow.data.context", "eval")]),
            DatasetInput(train, [InputTag("mlflow.data.context", "again")]),  # already there
        ],
    )
    inputs = client.get_run(run_id).inputs.dataset_inputs
    assert [(i.dataset, i.tags) for i in inputs] == [
        (train, [InputTag("mlflow.data.context", "train")]),
        (evaluation, [InputTag("mlflow.data.context", "eval")]),
    ]
    # another run of the experiment shares the dataset's row
    other = client.create_run(_experiment(client, run_id)).info.run_id
    client.log_inputs(other, [DatasetInput(train)])
    assert client.get_run(other).inputs.dataset_inputs == [DatasetInput(train, [])]
    with pytest.raises(InvalidParameter):
        client.log_inputs(run_id, [train])
    with pytest.raises(NotFound):
        client.log_inputs("0" * 32, [DatasetInput(train)])


def test_a_version_4_store_upgrades_and_keeps_its_runs_and_registry(tmp_path):
    """A store left at v4 (every migration up to 4) gains the v5 tables, keeps its rows, and
    ends with the same shape as a new store."""
    path = tmp_path / "v4.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_store_v1_sql())
    engine = connection.create_engine(f"sqlite:///{path}")

    def to_v4(conn):
        for version in (2, 3, 4):
            migrations.MIGRATIONS[version](conn)
        conn.execute(schema.schema_info.update().values(version=4))

    connection.run_write(engine, to_v4)
    engine.dispose()
    store = SqlStore(f"sqlite:///{path}")
    assert store.schema_version == schema.SCHEMA_VERSION == 6
    run = store.runs.get_run("a" * 32)
    assert run.data.params == {"lr": "0.1"}
    model = store.logged_models.create_logged_model("1", "m", source_run_id="a" * 32)
    assert store.logged_models.get_logged_model(model.model_id).source_run_id == "a" * 32
    new = SqlStore(f"sqlite:///{tmp_path / 'new.db'}")
    assert sorted(sa.inspect(store.engine).get_table_names()) == sorted(
        sa.inspect(new.engine).get_table_names()
    )
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("model_versions")}
    assert "logged_model_id" in columns
    store.close()
    new.close()


def _store_v1_sql() -> str:
    return (Path(__file__).resolve().parents[1] / "resources" / "store_v1.sql").read_text()


def test_log_metric_takes_mlflows_arguments_in_mlflows_order(client, run_id):
    model = client.create_logged_model(_experiment(client, run_id), "m", source_run_id=run_id)
    # MlflowClient.log_metric(run_id, key, value, timestamp, step, synchronous,
    #                         dataset_name, dataset_digest, model_id)
    client.log_metric(run_id, "acc", 0.5, 1000, 3, True, "eval", "d1g357", model.model_id)
    [point] = client.get_logged_model(model.model_id).metrics
    assert (point.step, point.dataset_name, point.dataset_digest) == (3, "eval", "d1g357")
