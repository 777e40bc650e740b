"""MLflow 3's logged models and the datasets runs used travel with the runs: after a sync
(SQLite -> labtrack server -> SQLite) or an import from MLflow, ``get_logged_model(id)`` reads
the same name, status, type, params, tags and linked points, ``models:/<id>`` loads and
predicts, and a second copy copies nothing."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound
from labtrack.store.rest.logged_models import logged_model_json
from labtrack.tracking.fluent import wait_for_source_capture
from labtrack.transfer import export_bundle, import_bundle, sync


@pytest.fixture
def data():
    from sklearn.linear_model import LinearRegression

    X = np.array([[0.0], [1.0], [2.0]])
    return X, LinearRegression().fit(X, np.array([0.0, 1.0, 2.0]))


def kept(model) -> tuple:
    """What a copy of a logged model must keep."""
    points = sorted(
        (m.key, m.step, m.timestamp, m.value, m.run_id, m.dataset_name, m.dataset_digest)
        for m in model.metrics
    )
    return (
        model.name,
        model.status,
        model.model_type,
        model.source_run_id,
        model.creation_timestamp,
        model.params,
        model.tags,
        points,
    )


def log_models(uri: str, model) -> dict:
    """A run with a logged model (params, tags, a point on a dataset) and a model logged
    without a run; their ids and what each read."""
    client = lt.Client(uri)
    lt.set_tracking_uri(uri)
    lt.set_experiment("models")
    dataset = lt.data.from_pandas(pd.DataFrame({"x": [0.0, 1.0]}), name="eval-set")
    with lt.start_run() as run:
        info = lt.sklearn.log_model(
            model, name="reg", params={"alpha": "1"}, tags={"team": "vision"}, model_type="lr"
        )
        lt.log_metric("rmse", 0.25, step=1, model_id=info.model_id, dataset=dataset)
    wait_for_source_capture()  # the run's git tags land from a thread: before any copy
    loose = client.create_logged_model(
        run.info.experiment_id, "loose", params={"k": "v"}, tags={"t": "1"}
    )
    repository = client.artifact_repository(loose.artifact_location)
    repository.upload_stream("weights.txt", io.BytesIO(b"w"))
    client.finalize_logged_model(loose.model_id, "READY")
    lt.set_tracking_uri(None)
    return {
        "run": run.info.run_id,
        "models": {i: kept(client.get_logged_model(i)) for i in (info.model_id, loose.model_id)},
        "reg": info.model_id,
        "loose": loose.model_id,
        "inputs": [(d.dataset.name, d.dataset.digest) for d in _inputs(client, run.info.run_id)],
    }


def _inputs(client: lt.Client, run_id: str) -> list:
    return list(client.get_run(run_id).inputs.dataset_inputs)


def check(uri: str, logged: dict, X, model, loose: bool = True) -> None:
    """The store at ``uri`` has the logged models as logged (the one without a run only with
    ``loose``), the run's inputs, and the model in the run loads and predicts."""
    client = lt.Client(uri)
    wanted = {i: v for i, v in logged["models"].items() if loose or i != logged["loose"]}
    for model_id, want in wanted.items():
        assert kept(client.get_logged_model(model_id)) == want
    experiment = client.get_experiment_by_name("models")
    found = client.search_logged_models([experiment.experiment_id])
    assert {m.model_id for m in found} == set(wanted)
    inputs = _inputs(client, logged["run"])
    assert [(d.dataset.name, d.dataset.digest) for d in inputs] == logged["inputs"]
    if loose:
        files = client.artifact_repository(
            client.get_logged_model(logged["loose"]).artifact_location
        )
        assert files.read_bytes("weights.txt") == b"w"
    lt.set_tracking_uri(uri)
    try:
        loaded = lt.pyfunc.load_model(f"models:/{logged['reg']}")
        np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    finally:
        lt.set_tracking_uri(None)


def test_sync_round_trip_through_a_server_keeps_logged_models(tmp_path, data, server):
    X, model = data
    src = f"sqlite:///{tmp_path / 'src.db'}"
    back = f"sqlite:///{tmp_path / 'back.db'}"
    logged = log_models(src, model)
    first = sync(src, server.url)
    assert first.logged_models_copied == 2
    check(server.url, logged, X, model)
    assert sync(server.url, back).logged_models_copied == 2
    check(back, logged, X, model)
    again = sync(src, server.url)
    assert again.copied_nothing and again.logged_models_copied == 0
    assert sync(server.url, back).copied_nothing


def test_an_interrupted_logged_model_copy_is_completed(tmp_path, data):
    X, model = data
    src, dst = (f"sqlite:///{tmp_path / name}" for name in ("src.db", "dst.db"))
    logged = log_models(src, model)
    sync(src, dst)
    # As if the copy stopped while the model without a run was being written.
    client = lt.Client(dst)
    client.finalize_logged_model(logged["loose"], "PENDING")
    client.delete_logged_model_tag(logged["reg"], "team")
    report = sync(src, dst)
    assert report.logged_models_copied == 2 and report.runs_copied == 0
    check(dst, logged, X, model)
    points = client.get_logged_model(logged["reg"]).metrics
    assert len(points) == 1  # not duplicated


def test_a_bundle_carries_the_logged_models_of_its_runs(tmp_path, data):
    X, model = data
    src, dst = (f"sqlite:///{tmp_path / name}" for name in ("src.db", "dst.db"))
    logged = log_models(src, model)
    export_bundle(tmp_path / "models.zip", src, experiments=["models"])
    report = import_bundle(tmp_path / "models.zip", dst)
    assert report.logged_models_copied == 1  # a bundle holds runs: the one without is not in
    check(dst, logged, X, model, loose=False)
    assert import_bundle(tmp_path / "models.zip", dst).copied_nothing


def test_importing_a_logged_model_refuses_what_would_escape_or_clash(tmp_path, server):
    client = lt.Client(f"sqlite:///{tmp_path / 'store.db'}")
    first, second = (client.create_experiment(name) for name in ("a", "b"))
    run = client.create_run(first)
    model = client.create_logged_model(first, "m", source_run_id=run.info.run_id)
    store = client.store.logged_models
    with pytest.raises(InvalidParameter, match="without '..'"):
        store.import_logged_model(model, first, "../elsewhere")
    with pytest.raises(AlreadyExists, match=f"exists in experiment {first}"):
        store.import_logged_model(model, second)
    # Over HTTP: the same checks, and a request that is no model is refused by name.
    remote = lt.Client(server.url)
    experiment = remote.create_experiment("c")
    answer = server.api("POST", "logged-models/import", json={"experiment_id": experiment})
    assert answer.status_code == 400 and "'model'" in answer.json()["message"]
    body = {
        "experiment_id": experiment,
        "artifact_path": "../up",
        "model": logged_model_json(replace(model, source_run_id=None), None),
    }
    answer = server.api("POST", "logged-models/import", json=body)
    assert answer.status_code == 400 and ".." in answer.json()["message"]
    with pytest.raises(NotFound):
        remote.get_logged_model(model.model_id)
