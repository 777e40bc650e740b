"""Pipelines on Dask: steps as tasks of a LocalCluster of worker processes, logging into the
shared store (PostgreSQL when LABTRACK_TEST_POSTGRES is set, else a SQLite file)."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.pipelines import run_pipeline
from labtrack.pipelines.run import STEP_TAG

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_steps_run_as_tasks_on_worker_processes_in_parallel(write_pipeline, ran, dask_client):
    # a and b each wait for the other to start: two workers must run them at once.
    path = write_pipeline("""
        steps:
          a: {entry_point: step, parameters: {name: a, value: 1, wait_for: b}, metrics: [score]}
          b: {entry_point: step, parameters: {name: b, value: 2, wait_for: a}, metrics: [score]}
          best:
            entry_point: step
            needs: [a, b]
            when: steps.b.metrics.score > steps.a.metrics.score
            parameters: {name: best, value: "${steps.b.metrics.score}"}
    """)
    result = run_pipeline(path, executor=dask_client)

    assert [r.status for r in result.steps.values()] == ["FINISHED"] * 3, result
    assert sorted(ran()[:2]) == ["a", "b"] and ran()[2] == "best"
    runs = lt.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.mlflow.parentRunId = '{result.parent_run_id}'",
        output_format="list",
    )
    assert {run.data.tags[STEP_TAG]: run.data.metrics["score"] for run in runs} == {
        "a": 1.0,
        "b": 2.0,
        "best": 2.0,
    }
    assert lt.get_run(result.parent_run_id).info.status == "FINISHED"


def test_a_failed_step_on_a_worker_fails_the_pipeline(write_pipeline, ran, dask_client):
    path = write_pipeline("""
        steps:
          broken: {entry_point: step, parameters: {name: broken, fail: 1}}
          after: {entry_point: step, needs: [broken], parameters: {name: after}}
    """)
    result = run_pipeline(path, executor=dask_client)

    assert result.steps["broken"].status == "FAILED"
    assert "told to fail" in result.steps["broken"].error
    assert result.steps["after"].status == "NOT_RUN"
    assert ran() == ["broken"]
    assert lt.get_run(result.parent_run_id).info.status == "FAILED"
