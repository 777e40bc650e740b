"""``%%track`` and ``%track`` in a real IPython shell, checked against the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import labtrack as lt

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(shell, source: str):
    result = shell.run_cell(source, store_history=True)
    return result


def only_run(experiment: str = "Default"):
    runs = lt.search_runs(experiment_names=[experiment])
    assert len(runs) == 1, runs
    return lt.get_run(runs["run_id"][0])


def test_import_in_ipython_registers_the_magics(tmp_path):
    # A fresh IPython process: `import labtrack` alone must make %%track available.
    code = "import labtrack\nprint(sorted(k for k in get_ipython().magics_manager.magics['cell'] if k == 'track'))"
    env = {**os.environ, "PYTHONPATH": SRC, "LABTRACK_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "['track']" in result.stdout, result.stderr


def test_a_tracked_cell_becomes_a_run(shell, capsys):
    run(shell, "C, kernel = 1.0, 'rbf'")
    result = run(
        shell,
        '%%track --name "svm C=1" --params C,kernel,seed=7 --tags team=vision,stage=dev\n'
        "acc = 0.5 + C / 4\n"
        "lt.log_metric('accuracy', acc)\n"
        "acc * 2\n",
    )
    assert result.success and result.result == 1.5  # the last expression is still the output
    stored = only_run()
    assert stored.info.run_name == "svm C=1" and stored.info.status == "FINISHED"
    assert stored.data.params == {"C": "1.0", "kernel": "rbf", "seed": "7"}
    assert stored.data.tags["team"] == "vision" and stored.data.tags["stage"] == "dev"
    assert stored.data.metrics["accuracy"] == 0.75 and stored.data.metrics["wall_time_s"] >= 0
    cells = json.loads(lt.Client()._artifacts(stored.info.run_id).read_bytes("source/cells.json"))
    assert len(cells) == 1 and "lt.log_metric('accuracy', acc)" in cells[0]["source"]
    assert cells[0]["status"] == "ok"
    out = capsys.readouterr().out
    assert "labtrack: run 'svm C=1'" in out and "FINISHED" in out


def test_the_cell_namespace_is_the_notebooks(shell):
    run(shell, "%%track --quiet\nmodel_result = 42\n")
    assert shell.user_ns["model_result"] == 42


def test_params_the_cell_defines_are_logged_after_it(shell):
    run(shell, "%%track --params lr --quiet\nlr = 0.01\n")
    assert only_run().data.params == {"lr": "0.01"}


def test_an_exception_marks_the_run_failed_and_is_raised_unchanged(shell, capsys):
    result = run(
        shell, "%%track --name boom\nlt.log_metric('x', 1.0)\nraise ValueError('bad data')\n"
    )
    assert isinstance(result.error_in_exec, ValueError) and str(result.error_in_exec) == "bad data"
    stored = only_run()
    assert stored.info.status == "FAILED"
    assert stored.data.tags["labtrack.error"] == "ValueError: bad data"
    assert stored.data.metrics["x"] == 1.0
    assert lt.active_run() is None
    # the next cell works as if nothing happened
    assert run(shell, "%%track --quiet\n1 + 1\n").result == 2


def test_rerunning_a_cell_never_complains_about_an_active_run(shell):
    cell = "%%track --name again --quiet\nlt.log_metric('m', 1)\n"
    for _ in range(3):
        assert run(shell, cell).success
    runs = lt.search_runs()
    assert list(runs["status"]) == ["FINISHED"] * 3
    assert lt.active_run() is None


def test_an_interrupt_marks_the_run_killed(shell):
    result = run(shell, "%%track --quiet\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert only_run().info.status == "KILLED" and lt.active_run() is None


def test_experiment_nested_and_resume_options(shell):
    run(
        shell,
        "%%track --experiment exp-a --name parent --quiet\nparent_id = lt.active_run().info.run_id\n",
    )
    parent_id = shell.user_ns["parent_id"]
    run(shell, f"with lt.start_run(run_id='{parent_id}'):\n    pass\n")
    run(shell, "%%track --experiment exp-a --name child --quiet\n1\n")
    run(shell, f"%%track --resume {parent_id} --quiet\nlt.log_metric('resumed', 1)\n")
    runs = lt.search_runs(experiment_names=["exp-a"])
    assert sorted(runs["tags.mlflow.runName"]) == ["child", "parent"]
    assert lt.get_run(parent_id).data.metrics["resumed"] == 1
    assert lt.get_experiment_by_name("exp-a") is not None
    assert lt.search_runs()["run_id"].tolist() == []  # --experiment did not change the active one


def test_no_source_keeps_the_cell_out_of_the_artifacts(shell):
    run(shell, "%%track --no-source --quiet\nsecret = 1\n")
    assert lt.Client().list_artifacts(only_run().info.run_id) == []


@pytest.mark.parametrize(
    "line, message",
    [
        ("%%track --bogus", "unrecognized arguments: --bogus"),
        ("%%track --tags novalue", "--tags takes key=value pairs"),
        ("%track frobnicate", "invalid choice: 'frobnicate'"),
        ("%track stop", "no run was started with %track start"),
        ("%track params nothing_here", "no active run"),
        ("%track start --params nothing_here", "no variable named 'nothing_here'"),
    ],
)
def test_bad_arguments_give_a_one_line_usage_error(shell, capsys, line, message):
    source = f"{line}\n1\n" if line.startswith("%%") else line
    result = run(shell, source)
    assert not result.success
    out = capsys.readouterr()
    text = out.out + out.err
    assert "UsageError" in text and message in text
    assert "Traceback" not in text
    assert lt.active_run() is None


def test_help_prints_the_options(shell, capsys):
    assert run(shell, "%%track --help\n1\n").success
    out = capsys.readouterr().out
    assert "--params" in out and "--resume" in out and "--no-source" in out


def test_track_start_records_every_cell_until_stop(shell, capsys):
    run(shell, "batch_size = 32")
    run(shell, "%track start --name span --params batch_size --tags kind=span")
    run(shell, "lr = 0.1")
    run(shell, "%track params lr")
    run(shell, "lt.log_metric('loss', 0.3)")
    failed = run(shell, "1 / 0")
    assert not failed.success
    assert lt.active_run() is not None  # the span survives an error in one of its cells
    run(shell, "%track status")
    assert "active run 'span'" in capsys.readouterr().out
    run(shell, "%track stop")
    run(shell, "after_stop = 1")
    stored = only_run()
    assert stored.info.status == "FINISHED" and stored.data.params == {
        "batch_size": "32",
        "lr": "0.1",
    }
    cells = json.loads(lt.Client()._artifacts(stored.info.run_id).read_bytes("source/cells.json"))
    sources = [c["source"] for c in cells]
    # the cells between start and stop, in order; the opening and closing cells are not work
    assert sources == [
        "lr = 0.1",
        "%track params lr",
        "lt.log_metric('loss', 0.3)",
        "1 / 0",
        "%track status",
    ]
    assert cells[3]["status"] == "error"
    script = lt.Client()._artifacts(stored.info.run_id).read_bytes("source/cells.py").decode()
    assert "# In[" in script and "lr = 0.1" in script


def test_track_start_again_ends_the_previous_span(shell):
    run(shell, "%track start --name first --quiet")
    with pytest.warns(UserWarning, match="left active"):
        run(shell, "%track start --name second --quiet")
    run(shell, "%track stop")
    runs = lt.search_runs()
    assert sorted(runs["tags.mlflow.runName"]) == ["first", "second"]
    assert set(runs["status"]) == {"FINISHED"}


def test_tracked_cells_inside_a_span_are_its_children(shell):
    run(shell, "%track start --name sweep --quiet")
    run(shell, "%%track --name trial --quiet\nlt.log_metric('score', 0.9)\n")
    run(shell, "%track stop")
    runs = lt.search_runs()
    parent = runs[runs["tags.mlflow.runName"] == "sweep"].iloc[0]
    child = runs[runs["tags.mlflow.runName"] == "trial"].iloc[0]
    assert child["tags.mlflow.parentRunId"] == parent["run_id"]


def test_load_ext_works_too(tracking_uri):
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    try:
        shell.run_cell("%load_ext labtrack")
        assert shell.run_cell("%%track --quiet\n3\n").result == 3
    finally:
        InteractiveShell.clear_instance()
