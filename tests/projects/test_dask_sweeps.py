"""Sweeps on a Dask cluster: a LocalCluster of two worker processes (not threads), the store
on PostgreSQL when LABTRACK_TEST_POSTGRES is set, else a SQLite file the workers share.

Each point runs in a worker process and logs into the store; the parent run is made here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.errors import InvalidParameter
from labtrack.projects.early_stop import STOPPED_TAG

distributed = pytest.importorskip("distributed")

PARENT = "tags.mlflow.parentRunId"

# Logs `loss` per step: the same curve for every a up to 1; a larger a is a bad point, and
# slow (30 s if not stopped).
STEPS_PROJECT = """
    name: steps
    entry_points:
      main:
        parameters:
          a: float
          b: {type: int, default: 1}
        command: "python steps.py {a} {b}"
"""
STEPS_SCRIPT = """
    import sys, time
    import labtrack as lt

    a, b = float(sys.argv[1]), int(sys.argv[2])
    if b < 0:
        raise SystemExit("b must not be negative")
    for step in range(30):
        lt.log_metric("loss", (a if a > 1 else 0.1) / (step + 1), step=step)
        lt.flush()
        time.sleep(1.0 if a > 1 else 0.02)
    lt.log_metric("score", 1 / a)
"""


@pytest.fixture(scope="module")
def dask():
    """Two worker processes with one thread each: two points run at once."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def steps_project(project, tmp_path):
    return project(tmp_path / "steps", STEPS_PROJECT, **{"steps.py": STEPS_SCRIPT})


def _sweep(experiment: str):
    """The parent run and its children (a DataFrame each) of the one sweep in ``experiment``."""
    runs = lt.search_runs(experiment_names=[experiment])
    parents = runs[runs[PARENT].isna()]
    assert len(parents) == 1
    parent = parents.iloc[0]
    return parent, runs[runs[PARENT] == parent["run_id"]]


@pytest.mark.slow
def test_a_notebook_grid_runs_on_two_worker_processes_as_children_of_one_parent(
    tracking_uri, dask, notebook, tmp_path
):
    path = notebook(
        tmp_path / "train.ipynb",
        "lr = 0.1\nlayers = 1",
        "import os\nimport labtrack as lt\nlt.log_metric('acc', lr * layers)\n"
        "lt.set_tag('pid', os.getpid())",
    )
    run = lt.run(
        path,
        parameters={"lr": [0.1, 0.01], "layers": [1, 2]},
        experiment_name="grid",
        executor=dask,
        metric="acc",
    )
    parent, children = _sweep("grid")
    assert run.info.run_id == parent["tags.labtrack.sweep.bestRunId"]
    assert parent["status"] == "FINISHED" and parent["tags.labtrack.sweep.size"] == "4"
    assert set(children["status"]) == {"FINISHED"}
    assert sorted(zip(children["params.lr"], children["params.layers"], strict=True)) == [
        ("0.01", "1"), ("0.01", "2"), ("0.1", "1"), ("0.1", "2"),
    ]  # fmt: skip
    for _, child in children.iterrows():
        assert child["metrics.acc"] == pytest.approx(
            float(child["params.lr"]) * int(child["params.layers"])
        )
    # every point's notebook ran in a kernel of a worker process, not of this one
    workers = dask.run(os.getpid)
    kernels = {int(pid) for pid in children["tags.pid"]}
    assert len(kernels) == 4 and os.getpid() not in kernels and not kernels & set(workers.values())


def test_a_failing_point_is_a_failed_child_and_the_sweep_goes_on(
    tracking_uri, dask, steps_project, capsys
):
    code = main(
        ["--tracking-uri", tracking_uri, "run", str(steps_project), "-e", "failing",
         "-P", "a=0.5", "-P", "b=1,-1,2", "--executor", "dask",
         "--scheduler", dask.scheduler.address]
    )  # fmt: skip
    assert code == 1
    assert "1 of 3 runs failed" in capsys.readouterr().err
    parent, children = _sweep("failing")
    assert parent["status"] == "FAILED"
    by_b = children.set_index("params.b")
    assert by_b.loc["-1", "status"] == "FAILED"
    assert "b must not be negative" in by_b.loc["-1", "tags.labtrack.error"]
    assert list(by_b.loc[["1", "2"], "status"]) == ["FINISHED", "FINISHED"]


@pytest.mark.slow
def test_early_stopping_stops_a_clearly_bad_point(tracking_uri, dask, steps_project, capsys):
    # Two workers: the first two (good) points finish, then the third runs beside the bad one.
    code = main(
        ["--tracking-uri", tracking_uri, "run", str(steps_project), "-e", "early",
         "-P", "a=0.1,0.2,0.3,50", "--executor", "dask", "--scheduler", dask.scheduler.address,
         "--early-stop", "loss", "--metric", "score"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    parent, children = _sweep("early")
    by_a = children.set_index("params.a")
    bad = by_a.loc["50.0"]
    assert bad["status"] == "KILLED"
    assert bad[f"tags.{STOPPED_TAG}"].startswith("stopped early: loss=")
    assert bad["tags.labtrack.error"] == bad[f"tags.{STOPPED_TAG}"]
    history = lt.Client(tracking_uri).get_metric_history(bad["run_id"], "loss")
    assert 1 <= len(history) < 30  # stopped long before its 30 steps
    assert list(by_a.loc[["0.1", "0.2", "0.3"], "status"]) == ["FINISHED"] * 3
    assert parent["status"] == "FINISHED"
    assert parent["tags.labtrack.sweep.bestRunId"] == by_a.loc["0.1", "run_id"]


@pytest.mark.slow
def test_optuna_trials_are_child_runs_within_the_ranges(tracking_uri, dask, steps_project):
    pytest.importorskip("optuna")
    run = lt.run(
        steps_project,
        parameters={"a": "loguniform:0.05:1", "b": "int:1:3"},
        experiment_name="tpe",
        sampler="optuna",
        trials=4,
        seed=1,
        metric="score",
        executor=dask,
    )
    parent, children = _sweep("tpe")
    assert len(children) == 4 and set(children["status"]) == {"FINISHED"}
    assert all(0.05 <= float(a) <= 1 for a in children["params.a"])
    assert set(children["params.b"]) <= {"1", "2", "3"}
    assert run.info.run_id == parent["tags.labtrack.sweep.bestRunId"]
    assert run.data.metrics["score"] == children["metrics.score"].max()


@pytest.mark.slow
def test_ctrl_c_cancels_the_sweep_and_leaves_no_running_child(tracking_uri, dask, steps_project):
    command = [
        sys.executable, "-m", "labtrack.cli", "--tracking-uri", tracking_uri, "run",
        str(steps_project), "-e", "cancelled", "-P", "a=5,6,7,8", "--executor", "dask",
        "--scheduler", dask.scheduler.address,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    client = lt.Client(tracking_uri)
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts kernels slowly
        while True:  # until both workers run a point
            assert process.poll() is None, process.communicate()
            experiment = client.get_experiment_by_name("cancelled")
            running = experiment and client.search_runs(
                [experiment.experiment_id], "attributes.status = 'RUNNING'"
            )
            if running and len(running) == 3:  # the parent and two children
                break
            assert time.monotonic() < deadline, "the sweep never ran two points"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert b"interrupted; the runs under way were stopped" in stderr
    parent, children = _sweep("cancelled")
    assert parent["status"] == "KILLED"
    assert len(children) == 2 and set(children["status"]) == {"KILLED"}


def test_a_bad_executor_is_refused(steps_project, tracking_uri):
    with pytest.raises(InvalidParameter, match="executor must be"):
        lt.run(steps_project, parameters={"a": [1, 2]}, executor="spark")
    with pytest.raises(InvalidParameter, match="scheduler address goes with"):
        lt.run(steps_project, parameters={"a": [1, 2]}, scheduler="tcp://127.0.0.1:1")


def test_a_sqlite_store_is_refused_when_workers_run_on_another_host(
    dask, steps_project, tmp_path, monkeypatch
):
    from labtrack.projects import executors

    lt.set_tracking_uri(f"sqlite:///{tmp_path / 'local.db'}")
    monkeypatch.setattr(executors, "_this_host", lambda: "the-laptop")  # workers are elsewhere
    with pytest.raises(InvalidParameter, match="cannot share: log to PostgreSQL"):
        lt.run(steps_project, parameters={"a": [1, 2]}, experiment_name="far", executor=dask)
    assert lt.search_runs(experiment_names=["far"]).empty  # refused before any run


def test_dask_client_starts_a_local_cluster_of_processes_or_joins_a_scheduler(dask):
    from labtrack.projects.executors import close_client, dask_client

    assert dask_client(dask) == (dask, False)  # the caller's client, left to the caller
    own, owned = dask_client("dask")
    try:
        assert owned and os.getpid() not in own.run(os.getpid).values()  # worker processes
    finally:
        close_client(own)
    assert own.status == "closed" and own.labtrack_owns_cluster.status.name == "closed"
    joined, owned = dask_client(dask.scheduler.address)
    assert owned and joined.scheduler_info()["id"] == dask.scheduler_info()["id"]
    close_client(joined)
    assert dask.status == "running"  # joining a scheduler does not close its cluster
