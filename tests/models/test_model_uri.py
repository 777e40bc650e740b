"""Model URIs: runs:/, models:/ (version, alias, stage, latest), folders; and where
log_model logs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound


def test_log_model_starts_a_run_when_none_is_active(iris_classifier):
    assert lt.active_run() is None
    info = lt.log_model(iris_classifier, "model")
    assert lt.active_run().info.run_id == info.run_id  # as lt.log_param would


def test_log_model_logs_into_the_active_run_and_records_it(iris_classifier):
    with lt.start_run() as run:
        first = lt.log_model(iris_classifier, "a")
        second = lt.log_model(iris_classifier, artifact_path="nested/b")  # MLflow 2's keyword
    assert first.run_id == second.run_id == run.info.run_id
    assert second.model_uri == f"models:/{second.model_id}"
    history = json.loads(lt.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert [entry["artifact_path"] for entry in history] == ["a", "nested/b"]
    assert history[1]["model_uuid"] == second.model_uuid


def test_name_is_required_and_must_stay_in_the_run(iris_classifier):
    with pytest.raises(InvalidParameter, match="needs a name"):
        lt.log_model(iris_classifier)
    with pytest.raises(InvalidParameter, match="stay inside the run"):
        lt.log_model(iris_classifier, "../escape")
    with pytest.raises(InvalidParameter, match="differ"):
        lt.log_model(iris_classifier, "a", artifact_path="b")


def test_runs_uri_folder_and_file_uri_load_the_same_model(iris, iris_classifier, tmp_path):
    X, _ = iris
    info = lt.log_model(iris_classifier, "model")
    lt.models.save_model(iris_classifier, tmp_path / "saved")
    expected = iris_classifier.predict(X)
    for uri in (
        info.model_uri,
        str(tmp_path / "saved"),
        tmp_path / "saved",
        f"file://{tmp_path / 'saved'}",
    ):
        np.testing.assert_array_equal(lt.load_model(uri).predict(X), expected)


def test_bad_uris_say_what_is_accepted(iris_classifier):
    info = lt.log_model(iris_classifier, "model")
    with pytest.raises(InvalidParameter, match="runs:/<run_id>/<path"):
        lt.load_model(f"runs:/{info.run_id}")
    with pytest.raises(InvalidParameter, match="stay inside the run"):
        lt.load_model(f"runs:/{info.run_id}/../../etc")
    with pytest.raises(NotFound, match="no saved model"):
        lt.load_model(f"runs:/{info.run_id}/nothing_here")
    with pytest.raises(InvalidParameter, match="unsupported model URI"):
        lt.load_model("nosuchscheme://bucket/model")
    with pytest.raises(NotFound):
        lt.load_model("runs:/0123456789abcdef0123456789abcdef/model")


# -- the registry ---------------------------------------------------------------------------------


@pytest.fixture
def registered(iris_classifier):
    """Three versions of 'iris': v1 Production, v2 Staging with alias champion, v3 none."""
    pytest.importorskip("labtrack.registry")
    from sklearn.dummy import DummyClassifier

    X, y = np.zeros((3, 4)), np.array([0, 1, 2])
    models = {n: DummyClassifier(strategy="constant", constant=n).fit(X, y) for n in (0, 1, 2)}
    infos = [lt.log_model(models[n], f"m{n}", registered_model_name="iris") for n in (0, 1, 2)]
    client = lt.Client()
    client.transition_model_version_stage("iris", 1, "Production")
    client.transition_model_version_stage("iris", 2, "Staging")
    client.set_registered_model_alias("iris", "champion", 2)
    return infos


def test_registered_model_name_registers_a_version(registered):
    assert [info.registered_model_version for info in registered] == [1, 2, 3]
    # the run's URI of the model, so the version records its run
    info = registered[1]
    assert lt.Client().get_model_version("iris", 2).source == f"runs:/{info.run_id}/{info.name}"


@pytest.mark.parametrize(
    ("uri", "constant"),
    [
        ("models:/iris/1", 0),
        ("models:/iris/2", 1),
        ("models:/iris@champion", 1),
        ("models:/iris/Production", 0),
        ("models:/iris/production", 0),  # stages in any case
        ("models:/iris/STAGING", 1),
        ("models:/iris/latest", 2),
    ],
)
def test_registry_uris(registered, uri, constant):
    assert lt.load_model(uri).predict(np.zeros((1, 4))).tolist() == [constant]
    assert lt.sklearn.load_model(uri).constant == constant


def test_registry_uri_errors(registered):
    with pytest.raises(NotFound, match="no version in stage Archived"):
        lt.load_model("models:/iris/archived")
    with pytest.raises(InvalidParameter, match="models:/iris@nightly"):
        lt.load_model("models:/iris/nightly")
    with pytest.raises(NotFound):
        lt.load_model("models:/iris@nobody")
    with pytest.raises(NotFound):
        lt.load_model("models:/unknown/1")
    with pytest.raises(InvalidParameter, match="neither a version number"):
        lt.load_model("models:/iris/²")  # "²".isdigit() is True, int("²") a ValueError
