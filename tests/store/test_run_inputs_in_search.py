"""Runs found by a search carry their dataset inputs, as ``get_run``'s do (MLflow fills both):
on the SQL store, read for all the page's runs at once, and through ``labtrack server``."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

import labtrack as lt

from ..mlflow_env import mlflow_python  # noqa: F401  (the session fixture)
from ..tracking_server.conftest import run_mlflow, start_server, stop_server


def _inputs(run) -> list:
    return [
        (i.dataset.name, i.dataset.digest, {t.key: t.value for t in i.tags})
        for i in run.inputs.dataset_inputs
    ]


def _log_runs(with_datasets: int, without: int) -> None:
    """Runs in experiment 'inputs': some using two datasets (the second one tagged), some none."""
    lt.set_experiment("inputs")
    for n in range(with_datasets):
        with lt.start_run():
            lt.log_input(
                lt.data.from_numpy(np.arange(3) + n, name=f"train-{n}"), context="training"
            )
            lt.log_input(lt.data.from_numpy(np.ones(2), name="eval"), tags={"split": "test"})
    for _ in range(without):
        with lt.start_run():
            lt.log_param("p", 1)


def _check_search_matches_get_run() -> None:
    client = lt.Client()
    found = lt.search_runs(experiment_names=["inputs"], output_format="list")
    assert found and all(_inputs(run) == _inputs(client.get_run(run.info.run_id)) for run in found)
    used = [_inputs(run) for run in found if run.inputs.dataset_inputs]
    assert [(name, tags) for name, _, tags in used[0]] == [
        ("train-0", {"mlflow.data.context": "training"}),
        ("eval", {"split": "test"}),
    ]
    assert any(not run.inputs.dataset_inputs for run in found)


def test_searched_runs_carry_the_inputs_get_run_has(tracking_uri):
    _log_runs(with_datasets=1, without=1)
    _check_search_matches_get_run()


class _Statements:
    """The SQL statements an engine runs while counting, by the input tables they read."""

    def __init__(self, engine: sa.Engine):
        self.texts: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)
        self.engine = engine

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.texts.append(statement)

    def reading(self, table: str) -> int:
        return sum(f"FROM {table}" in text or f"JOIN {table}" in text for text in self.texts)

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.mark.parametrize("with_datasets", [0, 5])
def test_a_search_reads_inputs_once_for_all_its_runs(tracking_uri, with_datasets):
    _log_runs(with_datasets=with_datasets, without=20)
    client = lt.Client()
    experiment_id = client.get_experiment_by_name("inputs").experiment_id
    statements = _Statements(client.store.engine)
    try:
        found = client.search_runs([experiment_id], max_results=1000)
    finally:
        statements.close()
    assert len(found) == 20 + with_datasets
    assert sum(bool(run.inputs.dataset_inputs) for run in found) == with_datasets
    assert statements.reading("run_inputs") == 1
    # the uses' tags are read only when some run of the page has inputs
    assert statements.reading("run_input_tags") == (1 if with_datasets else 0)


@pytest.mark.store  # its server's store
def test_searched_runs_carry_their_inputs_over_http(tmp_path):
    server = start_server(tmp_path)
    try:
        lt.set_tracking_uri(server.url)
        _log_runs(with_datasets=1, without=1)
        _check_search_matches_get_run()
    finally:
        stop_server(server)


MLFLOW_SEARCHES = """
import json
import mlflow
import pandas as pd

mlflow.set_experiment("inputs")
with mlflow.start_run():
    mlflow.log_input(mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="train"), "training")
with mlflow.start_run():
    pass
found = mlflow.search_runs(experiment_names=["inputs"], output_format="list")
print(json.dumps([
    [[i.dataset.name, {t.key: t.value for t in i.tags}] for i in run.inputs.dataset_inputs]
    for run in found
]))
"""


@pytest.mark.slow  # MLflow imports slowly
def test_mlflow_search_runs_reads_the_inputs(tmp_path, mlflow_python):  # noqa: F811
    server = start_server(tmp_path)
    try:
        out = run_mlflow(mlflow_python, server, MLFLOW_SEARCHES, tmp_path / "mlflow-cwd")
    finally:
        stop_server(server)
    assert out == [[], [["train", {"mlflow.data.context": "training"}]]]  # newest run first
