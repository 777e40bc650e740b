"""MLflow's environment variables (``MLFLOW_TRACKING_URI``, ``MLFLOW_EXPERIMENT_NAME``,
``MLFLOW_EXPERIMENT_ID``, ``MLFLOW_RUN_ID``, ``MLFLOW_REGISTRY_URI``) and
``set_registry_uri``: an MLflow script configured by its environment logs where it means to.
labtrack's own variables come first."""

from __future__ import annotations

import os

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound


def _store(tmp_path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


def _run_names(uri: str, experiment_id: str = "0") -> list[str]:
    return sorted(r.info.run_name for r in lt.Client(uri).search_runs([experiment_id]))


def test_mlflow_tracking_uri_chooses_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _store(tmp_path, "a.db"))
    assert lt.get_tracking_uri() == _store(tmp_path, "a.db") and lt.is_tracking_uri_set()
    with lt.start_run(run_name="in-a"):
        lt.log_metric("m", 1)
    # Changed while the process runs, as a notebook may: the next run follows it.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _store(tmp_path, "b.db"))
    with lt.start_run(run_name="in-b"):
        pass
    assert _run_names(_store(tmp_path, "a.db")) == ["in-a"]
    assert _run_names(_store(tmp_path, "b.db")) == ["in-b"]


def test_labtrack_tracking_uri_comes_before_mlflow_s(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _store(tmp_path, "mlflow.db"))
    monkeypatch.setenv("LABTRACK_TRACKING_URI", _store(tmp_path, "labtrack.db"))
    assert lt.get_tracking_uri() == _store(tmp_path, "labtrack.db")
    lt.set_tracking_uri(_store(tmp_path, "explicit.db"))  # and set_tracking_uri before both
    assert lt.get_tracking_uri() == _store(tmp_path, "explicit.db")


def test_mlflow_experiment_name_chooses_the_experiment_labtrack_s_first(tracking_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-mlflow")
    with lt.start_run() as run:
        pass
    assert lt.get_experiment(run.info.experiment_id).name == "from-mlflow"
    lt.set_tracking_uri(tracking_uri)  # forgets the active experiment: the environment again
    monkeypatch.setenv("LABTRACK_EXPERIMENT_NAME", "from-labtrack")
    with lt.start_run() as run:
        pass
    assert lt.get_experiment(run.info.experiment_id).name == "from-labtrack"


def test_mlflow_experiment_id_chooses_the_experiment(tracking_uri, monkeypatch):
    experiment_id = lt.create_experiment("by-id")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment_id)
    with lt.start_run() as run:
        pass
    assert run.info.experiment_id == experiment_id


def test_a_wrong_mlflow_experiment_id_is_a_clear_error(tracking_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "4242")
    with pytest.raises(NotFound, match="MLFLOW_EXPERIMENT_ID=4242: no such experiment"):
        lt.start_run()
    lt.create_experiment("other")
    lt.set_tracking_uri(tracking_uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "named")
    # As MLflow: an id that contradicts the name is refused, not silently overridden.
    with pytest.raises(InvalidParameter, match="MLFLOW_EXPERIMENT_ID=4242 does not match"):
        lt.start_run()


def test_mlflow_run_id_is_resumed_once_as_mlflow_does(tracking_uri, monkeypatch):
    with lt.start_run(run_name="launched") as launched:
        lt.log_metric("loss", 1.0, step=0)
    monkeypatch.setenv("MLFLOW_RUN_ID", launched.info.run_id)
    with lt.start_run() as resumed:
        lt.log_metric("loss", 0.5, step=1)
    assert resumed.info.run_id == launched.info.run_id
    assert "MLFLOW_RUN_ID" not in os.environ  # consumed, as MLflow's start_run does
    with lt.start_run() as fresh:
        pass
    assert fresh.info.run_id != launched.info.run_id
    steps = [m.step for m in lt.Client().get_metric_history(launched.info.run_id, "loss")]
    assert steps == [0, 1]


def test_labtrack_run_id_comes_before_mlflow_s(tracking_uri, monkeypatch):
    first, second = (lt.Client().create_run("0") for _ in range(2))
    monkeypatch.setenv("LABTRACK_RUN_ID", first.info.run_id)
    monkeypatch.setenv("MLFLOW_RUN_ID", second.info.run_id)
    with lt.start_run() as run:
        pass
    assert run.info.run_id == first.info.run_id


def test_registry_uri_follows_the_tracking_uri_and_may_name_it(tmp_path):
    uri = _store(tmp_path, "one.db")
    lt.set_tracking_uri(uri)
    assert lt.get_registry_uri() == uri
    lt.set_registry_uri(str(tmp_path / "one.db"))  # the same store, spelled as a path
    assert lt.get_registry_uri() == str(tmp_path / "one.db")
    with lt.start_run():
        pass


def test_a_registry_uri_naming_another_store_is_refused(tmp_path, monkeypatch):
    lt.set_tracking_uri(_store(tmp_path, "tracking.db"))
    with pytest.raises(InvalidParameter, match="keeps the model registry in the tracking store"):
        lt.set_registry_uri(_store(tmp_path, "registry.db"))
    assert lt.get_registry_uri() == _store(tmp_path, "tracking.db")


def test_a_registry_uri_set_before_the_tracking_uri_is_checked_when_the_store_is_used(tmp_path):
    lt.set_registry_uri(_store(tmp_path, "shared.db"))  # no tracking URI yet: nothing to check
    lt.set_tracking_uri(_store(tmp_path, "shared.db"))
    with lt.start_run(run_name="ok"):
        pass
    lt.set_tracking_uri(_store(tmp_path, "elsewhere.db"))
    with pytest.raises(InvalidParameter, match="registry URI .*shared.db"):
        lt.start_run()
    assert _run_names(_store(tmp_path, "shared.db")) == ["ok"]
    assert not (tmp_path / "elsewhere.db").exists()  # refused before anything was written


def test_mlflow_registry_uri_naming_another_store_is_refused_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _store(tmp_path, "tracking.db"))
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "databricks-uc")
    assert lt.get_registry_uri() == "databricks-uc"
    with pytest.raises(InvalidParameter, match="'databricks-uc' names another store"):
        lt.log_metric("m", 1.0)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", _store(tmp_path, "tracking.db"))
    lt.log_metric("m", 1.0)
    lt.end_run()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("file:./mlruns", "is a folder, as MLflow's file store is"),
        ("file:///tmp/mlruns", "is a folder, as MLflow's file store is"),
        ("mlruns", "is a folder, as MLflow's file store is"),
        ("databricks", "names Databricks"),
        ("databricks://profile", "names Databricks"),
    ],
)
def test_an_mlflow_uri_labtrack_cannot_use_is_refused_not_made_a_sqlite_file(
    tmp_path, monkeypatch, uri, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mlruns").mkdir()  # what MLflow's default store leaves in a project
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(InvalidParameter, match=message):
        lt.log_metric("m", 1.0)
    assert [p.name for p in tmp_path.iterdir()] == ["mlruns"]  # no SQLite file was made
