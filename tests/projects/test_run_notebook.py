"""Notebooks executed by papermill as tracked runs. Each execution starts a kernel and costs
seconds, so three tests cover: logging into the run (from lt.start_run, %%track and a bare
lt.log_metric), a failure, and reproduction from the recorded notebook."""

from __future__ import annotations

import json

import pytest

import labtrack as lt
from labtrack.cli import main
from labtrack.errors import ExecutionFailed
from labtrack.projects import reproduce

PARAMETERS = """
    C = 1.0
    epochs = 2
    kernel = "linear"
"""
TRAINING = (
    """
    import labtrack as lt
    with lt.start_run(run_name="the notebook's name"):
        for epoch in range(epochs):
            lt.log_metric("loss", C / (epoch + 1), step=epoch)
    """,
    """
    %%track --params kernel
    lt.log_metric("accuracy", 0.5 + C / 100)
    """,
    """
    lt.log_metric("epochs_seen", epochs)  # no active run: the runner's run
    print(f"trained C={C} epochs={epochs} kernel={kernel}")
    """,
)


def test_executed_notebook_logs_into_its_run(tracking_uri, notebook, tmp_path, capsys):
    path = notebook(tmp_path / "train.ipynb", PARAMETERS, *TRAINING)

    code = main(
        [
            "--tracking-uri",
            tracking_uri,
            "run",
            str(path),
            "-P",
            "C=10",
            "-P",
            "epochs=3",
            "--experiment",
            "nb",
            "--run-name",
            "svm C=10",
        ]
    )

    assert code == 0, capsys.readouterr()
    runs = lt.search_runs(experiment_names=["nb"])
    assert len(runs) == 1  # everything the notebook logged went into the runner's run
    run = lt.get_run(runs["run_id"][0])
    assert run.info.status == "FINISHED" and run.info.run_name == "svm C=10"
    assert run.data.params == {"C": "10.0", "epochs": "3", "kernel": "linear"}
    assert run.data.metrics["loss"] == pytest.approx(10 / 3)
    assert run.data.metrics["accuracy"] == pytest.approx(0.6)
    assert run.data.metrics["epochs_seen"] == 3
    assert run.data.tags["mlflow.source.type"] == "NOTEBOOK"
    assert run.data.tags["mlflow.source.name"] == str(path)

    client = lt.Client()
    executed = json.load(
        open(client.download_artifacts(run.info.run_id, "output/train.ipynb", str(tmp_path / "d")))
    )
    injected = next(
        c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])
    )
    assert "C = 10.0" in "".join(injected["source"])
    assert "trained C=10.0 epochs=3 kernel=linear" in json.dumps(executed["cells"][-1]["outputs"])
    assert {a.path for a in client.list_artifacts(run.info.run_id, "input")} == {
        "input/train.ipynb"
    }


def test_a_failing_notebook_is_recorded_with_the_partial_notebook(client, notebook, tmp_path):
    path = notebook(
        tmp_path / "broken.ipynb",
        "x = 1",
        "print('before')",
        "raise ValueError(f'bad x={x}')",
        "print('never')",
    )

    with pytest.raises(ExecutionFailed, match="raised ValueError: bad x=2") as caught:
        lt.run(path, parameters={"x": 2})

    run = client.get_run(caught.value.run_id)
    assert run.info.status == "FAILED"
    assert "ValueError: bad x=2" in run.data.tags["labtrack.error"]
    partial = json.load(
        open(client.download_artifacts(run.info.run_id, "output/broken.ipynb", str(tmp_path / "d")))
    )
    outputs = json.dumps([cell.get("outputs") for cell in partial["cells"]])
    assert "before" in outputs and "bad x=2" in outputs and "never" not in outputs


def test_reproduce_a_notebook_run_from_its_recorded_source(client, notebook, tmp_path):
    path = notebook(
        tmp_path / "tiny.ipynb", "n = 1", "import labtrack as lt\nlt.log_metric('n_squared', n * n)"
    )
    original = lt.run(path, parameters={"n": 4}, experiment_name="repro")
    notebook(path, "n = 1", "raise RuntimeError('edited since')")

    again = reproduce(original.info.run_id)

    assert again.info.status == "FINISHED" and again.data.metrics["n_squared"] == 16
    assert again.data.tags["labtrack.reproduces"] == original.info.run_id
    assert again.info.experiment_id == original.info.experiment_id
    assert again.data.params == {"n": "4"}


def test_a_notebook_run_from_a_lab_kernel_is_not_taken_for_that_lab_notebook(
    tracking_uri, notebook, tmp_path, capsys, monkeypatch
):
    """A Jupyter server names its notebook to the kernel in JPY_SESSION_NAME; a notebook that
    kernel runs (lt.run from a cell) must not inherit it: its source would be the wrong
    notebook, and its saved widgets would count on the lab's extension for Plotly."""
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "outer.ipynb"))
    path = notebook(
        tmp_path / "inner.ipynb",
        "x = 1",
        """
        import os
        import labtrack as lt
        lt.log_param("session", str(os.environ.get("JPY_SESSION_NAME")))
        """,
    )
    code = main(["--tracking-uri", tracking_uri, "run", str(path), "--experiment", "nested"])
    assert code == 0, capsys.readouterr()
    (run_id,) = lt.search_runs(experiment_names=["nested"])["run_id"]
    assert lt.get_run(run_id).data.params["session"] == "None"
